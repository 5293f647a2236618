//! The JSONL records (`run_start`, `interval`, `run_end`; RUNNER-SPEC.md, schema 2) and the
//! `bench.txt` line. Field order is declaration order, as the spec lists them; fields the
//! spec does not list are additions (allowed by the spec) and are marked so.

use hdrhistogram::Histogram;
use serde::Serialize;

use crate::replay::{GET, INSERT, REMOVE, Tally, UPDATE};
use crate::sys::HostInfo;

/// The results format version.
pub const SCHEMA: u32 = 2;

/// `ops`: completed ops per kind and in all.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct OpsJson {
    pub get: u64,
    pub insert: u64,
    pub update: u64,
    pub remove: u64,
    pub total: u64,
}

impl From<&Tally> for OpsJson {
    fn from(t: &Tally) -> OpsJson {
        OpsJson {
            get: t.ops[GET],
            insert: t.ops[INSERT],
            update: t.ops[UPDATE],
            remove: t.ops[REMOVE],
            total: t.total(),
        }
    }
}

/// `hits`: gets that found their key, inserts that created it, updates and removes that
/// found it.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct HitsJson {
    pub get: u64,
    pub insert_new: u64,
    pub update: u64,
    pub remove: u64,
}

impl From<&Tally> for HitsJson {
    fn from(t: &Tally) -> HitsJson {
        HitsJson {
            get: t.hits[GET],
            insert_new: t.hits[INSERT],
            update: t.hits[UPDATE],
            remove: t.hits[REMOVE],
        }
    }
}

/// `lat_ns`: from one (merged) histogram; all zero when it holds no samples.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct LatJson {
    pub count: u64,
    pub p50: u64,
    pub p90: u64,
    pub p99: u64,
    pub p999: u64,
    pub max: u64,
}

impl LatJson {
    /// The summary of `hist` (`None` or empty: zeros).
    pub fn of(hist: Option<&Histogram<u64>>) -> LatJson {
        match hist {
            Some(h) if !h.is_empty() => LatJson {
                count: h.len(),
                p50: h.value_at_quantile(0.5),
                p90: h.value_at_quantile(0.9),
                p99: h.value_at_quantile(0.99),
                p999: h.value_at_quantile(0.999),
                max: h.max(),
            },
            _ => LatJson::default(),
        }
    }
}

/// `impl_info`.
#[derive(Debug, Clone, Serialize)]
pub struct ImplInfo {
    pub crate_or_package: &'static str,
    pub version: &'static str,
    pub hasher: &'static str,
    pub notes: &'static str,
    pub go_counterpart: Option<&'static str>,
    /// Addition: one line on what the map is.
    pub description: &'static str,
    /// Addition: the most threads the map allows (`null`: no limit).
    pub max_threads: Option<usize>,
    /// Addition: when a write becomes visible to `get` (`immediate`, or
    /// `after_publish:<writes per publish>`).
    pub reads: String,
}

impl ImplInfo {
    /// From the registry's metadata.
    pub fn of(info: &cmap_maps::MapInfo) -> ImplInfo {
        ImplInfo {
            crate_or_package: info.crate_name,
            version: info.crate_version,
            hasher: info.hasher,
            notes: info.notes,
            go_counterpart: info.go_counterpart,
            description: info.description,
            max_threads: info.max_threads,
            reads: match info.reads {
                cmap_maps::ReadVisibility::Immediate => "immediate".to_owned(),
                cmap_maps::ReadVisibility::AfterPublish { writes_per_publish } => {
                    format!("after_publish:{writes_per_publish}")
                }
            },
        }
    }
}

/// One `--list-maps` line.
#[derive(Debug, Clone, Serialize)]
pub struct ListedMap {
    pub name: &'static str,
    /// The key/value combinations the map comes in, `KEY/VALUE` with the trace's names
    /// (`u64/u64`, `string/u64`, `u64/boxed`, `string/boxed`): mapbench skips a cell
    /// whose kinds are not listed.
    pub kinds: Vec<&'static str>,
    #[serde(flatten)]
    pub info: ImplInfo,
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

/// `latency` in `run_start`.
#[derive(Debug, Clone, Serialize)]
pub struct LatencyConfig {
    pub sample_every: u64,
    /// Which ops are timed: jittered gaps of mean `sample_every` (schema 2).
    pub sampling: crate::sampling::SamplingPolicy,
    pub clock: &'static str,
    pub timer_overhead_ns: u64,
    /// Addition: how `timer_overhead_ns` was measured.
    pub timer_overhead_method: String,
    pub hdr_lowest_ns: u64,
    pub hdr_highest_ns: u64,
    pub hdr_sigfigs: u8,
}

/// `runtime` in `run_start` (Rust's shape).
#[derive(Debug, Clone, Serialize)]
pub struct RuntimeInfo {
    pub allocator: &'static str,
    pub profile: &'static str,
    /// Addition: the build's optimisation level.
    pub opt_level: &'static str,
}

/// The first record.
#[derive(Debug, Clone, Serialize)]
pub struct RunStart<'a> {
    #[serde(rename = "type")]
    pub record: &'static str,
    pub schema: u32,
    pub run_id: &'a str,
    pub lang: &'static str,
    #[serde(rename = "impl")]
    pub impl_name: &'a str,
    pub impl_info: ImplInfo,
    pub workload: &'a str,
    pub trace_path: String,
    pub trace_sha256: String,
    pub key_space: u64,
    pub threads: u32,
    pub ops_per_thread: u64,
    pub prefill: u64,
    pub presize: bool,
    pub duration_ms: u64,
    pub warmup_ops: u64,
    pub interval_ms: u64,
    pub op_delay_ns: u64,
    /// Addition: the calibrated busy-wait behind `op_delay_ns` (null without a delay).
    pub op_delay_steps: Option<u64>,
    pub op_delay_ns_per_step: Option<f64>,
    pub latency: LatencyConfig,
    pub toolchain: &'static str,
    pub runtime: RuntimeInfo,
    pub host: HostInfo,
    pub git_commit: Option<String>,
    pub started_at: String,
    pub argv: &'a [String],
    /// Addition: the capacity the map was created with (0: not presized).
    pub capacity: u64,
    /// Addition: every key id in the trace is below this.
    pub key_id_bound: u64,
    /// Addition: the trace's op mix (basis points) and key distribution.
    pub mix_bp: &'a cmap_formats::workload::Mix,
    /// See `mix_bp`.
    pub distribution: &'a cmap_formats::workload::Distribution,
    /// Schema 2: how the map's reclamation is observed.
    pub reclaim: crate::reclaim::ReclaimInfo,
    /// Addition: what the map stores as keys (`u64` or `string`) and values (`u64` or
    /// `boxed`), from the trace header.
    pub key_type: cmap_formats::workload::KeyType,
    /// See `key_type`.
    pub value_kind: cmap_formats::workload::ValueKind,
}

/// Unused process metrics: Rust has no GC (`"gc": null`).
pub type NoGc = Option<()>;

/// One per interval, in order.
#[derive(Debug, Clone, Serialize)]
pub struct IntervalRecord {
    #[serde(rename = "type")]
    pub record: &'static str,
    pub index: u64,
    pub t_start_ns: u64,
    pub t_end_ns: u64,
    pub ops: OpsJson,
    pub hits: HitsJson,
    pub lat_ns: LatJson,
    pub rss_bytes: Option<u64>,
    pub heap_live_bytes: Option<u64>,
    pub alloc_bytes: Option<u64>,
    pub alloc_objects: Option<u64>,
    pub gc: NoGc,
    pub steal_ticks: Option<u64>,
    /// Schema 2: backlog, frees, delays and stalls (null unless `run_start.reclaim.mode`
    /// is `counted`).
    pub reclaim: Option<crate::reclaim::IntervalReclaim>,
}

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Every worker finished its stream (or the duration elapsed).
    Ok,
    /// A worker panicked, or a results file could not be written.
    Error,
    /// SIGINT: workers stopped at their next clock check (addition to the spec's two).
    Interrupted,
}

/// The last record.
#[derive(Debug, Clone, Serialize)]
pub struct RunEnd {
    #[serde(rename = "type")]
    pub record: &'static str,
    pub status: Status,
    pub error: Option<String>,
    pub elapsed_ns: u64,
    pub prefill_ns: u64,
    pub ops: OpsJson,
    pub throughput_ops_per_s: f64,
    pub lat_ns: LatJson,
    pub checksum: String,
    pub final_len: u64,
    pub gc: NoGc,
    /// Addition: hits over the measured phase.
    pub hits: HitsJson,
    /// Addition: `interval` records written.
    pub intervals: u64,
    /// Addition: from thread start to the start barrier (handles, warm-up).
    pub warmup_ns: u64,
    /// Addition: bytes and allocations during the measured phase (whole process).
    pub alloc_bytes: Option<u64>,
    /// See `alloc_bytes`.
    pub alloc_objects: Option<u64>,
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
