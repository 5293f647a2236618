//! Instructions per op: a cell's runner under valgrind's cachegrind (no cache
//! simulation), on two traces of the same workload that differ only in length. The
//! difference of the two totals over the difference of their op counts is what one
//! more op costs, free of start-up, trace loading, prefill and writing results. The
//! noop map's count on the same traces is the harness's own share of that op; the net
//! count (map − noop) is the map's.
//!
//! Instruction counts do not move with the machine's load, so a compare of them needs
//! no quiet machine; they do not see cache misses, lock waits or anything else that
//! costs time without instructions. cachegrind rather than callgrind: callgrind 3.19
//! aborts on the Go runtime's signal handling (`vgCallgrind_post_signal`), also with
//! `GODEBUG=asyncpreemptoff=1`, so its per-thread counts are out of reach.
//!
//! Each run with instructions has a sidecar `<run_id>.icount.json` next to its
//! `<run_id>.jsonl`; `mapbench compare --metric instructions` reads it.

use std::path::{Path, PathBuf};

use anyhow::{Context as _, anyhow, bail};
use serde::{Deserialize, Serialize};

/// valgrind's arguments before the output file: instruction counts only.
pub const TOOL_ARGS: [&str; 2] = ["--tool=cachegrind", "--cache-sim=no"];

/// The total `Ir` (instructions executed) of a cachegrind or callgrind output file:
/// the `events:` line names the columns, the `summary:` line (cachegrind, callgrind)
/// or `totals:` line (callgrind) holds the totals. `file` names the file in errors.
pub fn parse_total_ir(text: &str, file: &Path) -> anyhow::Result<u64> {
    let mut events: Option<Vec<&str>> = None;
    let mut totals: Option<&str> = None;
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("events:") {
            events = Some(rest.split_whitespace().collect());
        } else if let Some(rest) = line
            .strip_prefix("summary:")
            .or_else(|| line.strip_prefix("totals:"))
        {
            totals = Some(rest);
        }
    }
    let events = events.ok_or_else(|| {
        anyhow!(
            "{}: no `events:` line: not a cachegrind or callgrind output file",
            file.display()
        )
    })?;
    let col = events.iter().position(|e| *e == "Ir").ok_or_else(|| {
        anyhow!(
            "{}: `events:` has no Ir column (found {:?}); expected instruction counts",
            file.display(),
            events
        )
    })?;
    let totals = totals.ok_or_else(|| {
        anyhow!(
            "{}: no `summary:` or `totals:` line: the file is truncated (valgrind writes it \
             last) or the run was killed",
            file.display()
        )
    })?;
    let field = totals.split_whitespace().nth(col).ok_or_else(|| {
        anyhow!(
            "{}: `summary:` has no value in column {} (Ir)",
            file.display(),
            col + 1
        )
    })?;
    field.parse().map_err(|_| {
        anyhow!(
            "{}: `summary:` Ir: expected a whole number, found {field:?}",
            file.display()
        )
    })
}

/// One counted run: its total instructions and the ops it replayed (all threads).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Count {
    pub ir: u64,
    pub ops: u64,
}

/// Instructions per extra op: `(long.ir − short.ir) / (long.ops − short.ops)`. Errors
/// unless the long run replayed more ops and counted at least as many instructions.
pub fn per_op(short: Count, long: Count) -> anyhow::Result<f64> {
    if long.ops <= short.ops {
        bail!(
            "the long run replayed {} ops, the short one {}: expected more ops in the long run",
            long.ops,
            short.ops
        );
    }
    if long.ir < short.ir {
        bail!(
            "the long run counted {} instructions, fewer than the short run's {}",
            long.ir,
            short.ir
        );
    }
    Ok((long.ir - short.ir) as f64 / (long.ops - short.ops) as f64)
}

/// What one run's sidecar records (`<run_id>.icount.json`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sidecar {
    /// The tool and its arguments, e.g. `valgrind --tool=cachegrind --cache-sim=no`.
    pub tool: String,
    pub short: Count,
    pub long: Count,
    /// Instructions per op of this run's map (harness included).
    pub per_op: f64,
    /// The same for the noop map on the same two traces: the harness's share.
    pub noop_per_op: f64,
    /// `per_op − noop_per_op`: the map's own instructions per op.
    pub net_per_op: f64,
    /// `--op-work-steps` of the run (0: none).
    pub op_work_steps: u64,
}

impl Sidecar {
    /// Builds the record, subtracting the noop baseline.
    pub fn new(
        tool: String,
        short: Count,
        long: Count,
        noop_per_op: f64,
        op_work_steps: u64,
    ) -> anyhow::Result<Sidecar> {
        let per_op = per_op(short, long)?;
        Ok(Sidecar {
            tool,
            short,
            long,
            per_op,
            noop_per_op,
            net_per_op: per_op - noop_per_op,
            op_work_steps,
        })
    }
}

/// The sidecar of a run file `DIR/ID.jsonl`: `DIR/ID.icount.json`.
pub fn sidecar_path(run_jsonl: &Path) -> PathBuf {
    run_jsonl.with_extension("icount.json")
}

/// Reads and checks a sidecar; errors name the file and the field.
pub fn read_sidecar(path: &Path) -> anyhow::Result<Sidecar> {
    let text = std::fs::read_to_string(path).with_context(|| {
        format!(
            "{}: cannot read (runs compared by instructions need the sidecar \
             `mapbench compare-validate --metric instructions` writes)",
            path.display()
        )
    })?;
    let s: Sidecar = serde_json::from_str(&text)
        .map_err(|e| anyhow!("{}: not an instruction-count sidecar: {e}", path.display()))?;
    for (field, v) in [
        ("per_op", s.per_op),
        ("noop_per_op", s.noop_per_op),
        ("net_per_op", s.net_per_op),
    ] {
        if !v.is_finite() || v < 0.0 && field != "net_per_op" {
            bail!(
                "{}: field `{field}`: expected a finite count >= 0, found {v}",
                path.display()
            );
        }
    }
    if (s.per_op - s.noop_per_op - s.net_per_op).abs() > 1e-6 * s.per_op.abs().max(1.0) {
        bail!(
            "{}: field `net_per_op`: expected per_op − noop_per_op = {}, found {}",
            path.display(),
            s.per_op - s.noop_per_op,
            s.net_per_op
        );
    }
    Ok(s)
}

/// `valgrind TOOL_ARGS --cachegrind-out-file=OUT -- ARGV...`.
pub fn valgrind_argv(out_file: &Path, runner_argv: &[String]) -> Vec<String> {
    let mut v = vec!["valgrind".to_owned()];
    v.extend(TOOL_ARGS.iter().map(|s| (*s).to_owned()));
    v.push(format!("--cachegrind-out-file={}", out_file.display()));
    v.push("--".into());
    v.extend(runner_argv.iter().cloned());
    v
}

/// What a counted Go run's environment adds: `GOGC=off`. With the collector on, how
/// much it marks and when depends on the pacer, which reads the clock, and valgrind
/// slows the clock's view of the program unevenly: the same sync.Map run's count per
/// op moved by tens of percent from run to run. Off, the count is the map's
/// own work, allocation included, without the collection that allocation would
/// later cost (the runner's one `runtime.GC()` after the prefill still runs, and
/// cancels). The runner records GOGC in `run_start`.
pub const GO_ENV: [&str; 1] = ["GOGC=off"];

/// `argv` (valgrind's, the runner's inside it) run through `env` with [`GO_ENV`] for the
/// Go runner; unchanged for Rust.
pub fn with_env(lang: crate::results::Lang, argv: Vec<String>) -> Vec<String> {
    match lang {
        crate::results::Lang::Rust => argv,
        crate::results::Lang::Go => ["env"]
            .iter()
            .chain(GO_ENV.iter())
            .map(|s| (*s).to_owned())
            .chain(argv)
            .collect(),
    }
}

/// The tool, as recorded in sidecars.
pub fn tool_label() -> String {
    format!("valgrind {}", TOOL_ARGS.join(" "))
}

#[cfg(test)]
mod tests {
    #[test]
    fn go_runs_are_counted_with_the_collector_off() {
        use crate::results::Lang;
        let argv = vec!["go-runner".to_owned(), "--map".to_owned()];
        assert_eq!(super::with_env(Lang::Rust, argv.clone()), argv);
        assert_eq!(
            super::with_env(Lang::Go, argv),
            ["env", "GOGC=off", "go-runner", "--map"]
        );
    }

    use super::*;

    /// The head and tail of a real `cachegrind.out` (valgrind 3.19, the Go runner,
    /// xsync-map, 20,000 ops), per-function lines cut.
    const CACHEGRIND: &str = include_str!("../testdata/icount/cachegrind.out");
    /// The same from callgrind (the Rust runner, dashmap-foldhash).
    const CALLGRIND: &str = include_str!("../testdata/icount/callgrind.out");

    #[test]
    fn totals_parse_from_real_cachegrind_and_callgrind_output() {
        let p = Path::new("x.out");
        assert_eq!(parse_total_ir(CACHEGRIND, p).unwrap(), 259_359_050);
        assert_eq!(parse_total_ir(CALLGRIND, p).unwrap(), 567_428_440);
    }

    #[test]
    fn malformed_output_names_the_file_and_what_is_missing() {
        let p = Path::new("dir/cg.out");
        let e = parse_total_ir("summary: 5\n", p).unwrap_err().to_string();
        assert!(e.contains("dir/cg.out") && e.contains("events:"), "{e}");
        let e = parse_total_ir("events: Dr Dw\nsummary: 1 2\n", p)
            .unwrap_err()
            .to_string();
        assert!(e.contains("no Ir column"), "{e}");
        // Cut before the summary (a killed run).
        let cut = CACHEGRIND.split("summary:").next().unwrap();
        let e = parse_total_ir(cut, p).unwrap_err().to_string();
        assert!(e.contains("truncated"), "{e}");
        let e = parse_total_ir("events: Ir\nsummary: lots\n", p)
            .unwrap_err()
            .to_string();
        assert!(e.contains("whole number") && e.contains("lots"), "{e}");
        // A second event column: Ir is found by name, not position.
        assert_eq!(
            parse_total_ir("events: Dr Ir\nsummary: 7 42\n", p).unwrap(),
            42
        );
    }

    #[test]
    fn per_op_is_the_difference_over_the_extra_ops_and_noop_is_subtracted() {
        let short = Count { ir: 1_000, ops: 10 };
        let long = Count { ir: 3_000, ops: 30 };
        assert_eq!(per_op(short, long).unwrap(), 100.0);
        // The fixed cost (start-up, prefill) cancels: a larger one changes nothing.
        let (s2, l2) = (Count { ir: 9_000, ..short }, Count { ir: 11_000, ..long });
        assert_eq!(per_op(s2, l2).unwrap(), 100.0);
        let side = Sidecar::new("t".into(), short, long, 30.0, 0).unwrap();
        assert_eq!(side.net_per_op, 70.0);
        assert!(
            per_op(long, short)
                .unwrap_err()
                .to_string()
                .contains("more ops")
        );
        let fewer = Count { ir: 10, ops: 30 };
        assert!(per_op(short, fewer).is_err());
    }

    #[test]
    fn sidecars_round_trip_and_bad_ones_name_the_field() {
        let dir = std::env::temp_dir().join(format!("icount-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let run = dir.join("r1.jsonl");
        let path = sidecar_path(&run);
        assert_eq!(path, dir.join("r1.icount.json"));
        let s = Sidecar::new(
            tool_label(),
            Count { ir: 100, ops: 1 },
            Count { ir: 300, ops: 3 },
            40.0,
            5,
        )
        .unwrap();
        std::fs::write(&path, serde_json::to_string(&s).unwrap()).unwrap();
        assert_eq!(read_sidecar(&path).unwrap(), s);
        let mut bad = serde_json::to_value(&s).unwrap();
        bad["net_per_op"] = 1.0.into();
        std::fs::write(&path, bad.to_string()).unwrap();
        let e = read_sidecar(&path).unwrap_err().to_string();
        assert!(
            e.contains("r1.icount.json") && e.contains("net_per_op"),
            "{e}"
        );
        std::fs::write(&path, "{}").unwrap();
        assert!(read_sidecar(&path).is_err());
        let e = read_sidecar(&dir.join("none.icount.json"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("none.icount.json"), "{e}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
