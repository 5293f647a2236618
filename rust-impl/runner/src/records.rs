//! The runner's side of the JSONL records (`run_start`, `interval`, `run_end`;
//! RUNNER-SPEC.md, schema 2): the records themselves are `cmap_formats::results`' typed
//! structs, the ones every reader uses; here is how the runner's counters and the map
//! registry fill them in. And the `bench.txt` line.

use cmap_formats::results::{HitCounts, ImplInfo, ListedMap, OpCounts};

use crate::replay::{GET, INSERT, REMOVE, Tally, UPDATE};

/// `ops`: completed ops per kind and in all.
pub fn ops_of(t: &Tally) -> OpCounts {
    OpCounts {
        get: t.ops[GET],
        insert: t.ops[INSERT],
        update: t.ops[UPDATE],
        remove: t.ops[REMOVE],
        total: t.total(),
    }
}

/// `hits`: gets that found their key, inserts that created it, updates and removes that
/// found it.
pub fn hits_of(t: &Tally) -> HitCounts {
    HitCounts {
        get: t.hits[GET],
        insert_new: t.hits[INSERT],
        update: t.hits[UPDATE],
        remove: t.hits[REMOVE],
    }
}

/// `impl_info`, from the registry's metadata.
pub fn impl_info(info: &cmap_maps::MapInfo) -> ImplInfo {
    ImplInfo {
        crate_or_package: Some(info.crate_name.to_owned()),
        version: Some(info.crate_version.to_owned()),
        hasher: Some(info.hasher.to_owned()),
        notes: Some(info.notes.to_owned()),
        go_counterpart: info.go_counterpart.map(str::to_owned),
        description: Some(info.description.to_owned()),
        max_threads: info.max_threads.map(|n| n as u64),
        reads: Some(match info.reads {
            cmap_maps::ReadVisibility::Immediate => "immediate".to_owned(),
            cmap_maps::ReadVisibility::AfterPublish { writes_per_publish } => {
                format!("after_publish:{writes_per_publish}")
            }
        }),
        extra: Default::default(),
    }
}

/// One `--list-maps` line.
pub fn listed_map(info: &cmap_maps::MapInfo) -> ListedMap {
    ListedMap {
        name: info.name.to_owned(),
        kinds: kinds_of(info.name).into_iter().map(str::to_owned).collect(),
        info: impl_info(info),
    }
}

/// The `kinds` of map `name` for `--list-maps`.
pub fn kinds_of(name: &str) -> Vec<&'static str> {
    use cmap_maps::{KeyKind, ValueKind};
    [
        (KeyKind::U64, ValueKind::U64, "u64/u64"),
        (KeyKind::Str, ValueKind::U64, "string/u64"),
        (KeyKind::U64, ValueKind::Boxed, "u64/boxed"),
        (KeyKind::Str, ValueKind::Boxed, "string/boxed"),
    ]
    .into_iter()
    .filter(|&(k, v, _)| cmap_maps::supports_kinds(name, k, v))
    .map(|(_, _, s)| s)
    .collect()
}

/// What the `bench.txt` line is made of.
#[derive(Debug, Clone)]
pub struct BenchLine<'a> {
    pub workload: &'a str,
    pub map: &'a str,
    pub threads: u32,
    pub total_ops: u64,
    pub elapsed_ns: u64,
    /// `None` when there were no latency samples.
    pub p99_ns: Option<u64>,
    pub alloc_bytes: u64,
    pub alloc_objects: u64,
}

impl BenchLine<'_> {
    /// Go benchmark format, fields separated by `" \t"` as in the spec:
    /// `BenchmarkReplay/workload=W/map=M/lang=rust/threads=T \tN \tX ns/op \tY ops/s \tP p99-ns \tB B/op \tA allocs/op`,
    /// ns/op and B/op with 2 decimals, allocs/op with 3, ops/s and p99-ns whole (as the Go
    /// runner prints them). Without latency samples the p99 field is left out (a 0 would
    /// read as a measurement); with no ops, everything after N is.
    pub fn render(&self) -> String {
        let clean = |s: &str| s.replace(|c: char| c.is_whitespace() || c == '/', "_");
        let mut line = format!(
            "BenchmarkReplay/workload={}/map={}/lang=rust/threads={} \t{}",
            clean(self.workload),
            clean(self.map),
            self.threads,
            self.total_ops,
        );
        if self.total_ops > 0 {
            let n = self.total_ops as f64;
            let ops_per_s = if self.elapsed_ns == 0 {
                0.0
            } else {
                n * 1e9 / self.elapsed_ns as f64
            };
            line += &format!(
                " \t{:.2} ns/op \t{ops_per_s:.0} ops/s",
                self.elapsed_ns as f64 / n
            );
            if let Some(p99) = self.p99_ns {
                line += &format!(" \t{p99} p99-ns");
            }
            line += &format!(
                " \t{:.2} B/op \t{:.3} allocs/op",
                self.alloc_bytes as f64 / n,
                self.alloc_objects as f64 / n
            );
        }
        line
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bench_line_has_the_spec_shape() {
        let line = BenchLine {
            workload: "read-heavy",
            map: "dashmap-foldhash",
            threads: 2,
            total_ops: 2_000_000,
            elapsed_ns: 100_000_000,
            p99_ns: Some(1234),
            alloc_bytes: 1000,
            alloc_objects: 10,
        }
        .render();
        assert_eq!(
            line,
            "BenchmarkReplay/workload=read-heavy/map=dashmap-foldhash/lang=rust/threads=2 \t2000000 \t50.00 ns/op \t20000000 ops/s \t1234 p99-ns \t0.00 B/op \t0.000 allocs/op"
        );
        let no_latency = BenchLine {
            workload: "read heavy",
            map: "noop",
            threads: 1,
            total_ops: 4,
            elapsed_ns: 10,
            p99_ns: None,
            alloc_bytes: 6,
            alloc_objects: 1,
        }
        .render();
        assert_eq!(
            no_latency,
            "BenchmarkReplay/workload=read_heavy/map=noop/lang=rust/threads=1 \t4 \t2.50 ns/op \t400000000 ops/s \t1.50 B/op \t0.250 allocs/op"
        );
    }
}
