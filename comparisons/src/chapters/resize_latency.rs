//! Chapter 2.4: per-operation latency while a Rust map resizes under load
//! (`mapbench resize-latency`, writing `ch02/resize-latency.md`).
//!
//! Traces the rapid-grow workload (starts empty, not presized, 80% inserts, so the map
//! resizes all the way up), replays it with the Rust runner timing every operation
//! (`--latency-sample-every 1`) against dashmap (each shard resizes while holding its
//! write lock), papaya in blocking mode (one thread copies the whole table while the
//! others wait) and papaya in incremental mode (every writer copies a chunk), and
//! tabulates the `run_end` percentiles of each run. The maps alternate (A B C A B C …)
//! so that a slow moment of the machine does not land on one map's runs only.
//!
//! `--from-runs DIR` renders the page from run files already in DIR (`MAP-REP.jsonl`,
//! REP from 0), without tracing or running anything.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context as _, Result, anyhow, bail};

use crate::chart::fmt_thousands;
use crate::orchestrate::Failure;
use crate::results::{self, EndStatus, RunEnd};
use crate::workload::{self, Overrides};

/// The command that regenerates the committed page.
pub const REGENERATE: &str =
    "cargo run --release -p mapbench -- resize-latency --out book/src/generated/ch02";
/// The maps, in the order of the table.
pub const MAPS: [&str; 3] = [
    "dashmap-sip",
    "papaya-blocking-sip",
    "papaya-incremental-sip",
];
const WORKLOAD: &str = "rapid-grow";
const THREADS: u32 = 2;
/// The page's settings: ops per thread and runs per map.
pub const OPS_PER_THREAD: u64 = 1_000_000;
pub const REPEATS: u32 = 3;

/// What `mapbench resize-latency` was asked to do.
pub struct Options {
    /// Where to write `resize-latency.md`; `None` prints the page.
    pub out: Option<PathBuf>,
    /// The Rust runner to replay with.
    pub rust_runner: PathBuf,
    pub workloads_dir: PathBuf,
    pub ops_per_thread: u64,
    pub repeats: u32,
    /// Render from these run files instead of running.
    pub from_runs: Option<PathBuf>,
}

/// One run's row: its map, its repeat (from 1) and its `run_end` record.
pub struct Row {
    pub map: String,
    pub repeat: u32,
    pub end: RunEnd,
}

/// Runs (or reads) every run, then prints or writes the page.
pub fn run(opts: &Options) -> Result<(), Failure> {
    if let Some(out) = &opts.out
        && !out.is_dir()
    {
        return Err(Failure::BadInput(anyhow!(
            "--out {}: want an existing directory",
            out.display()
        )));
    }
    if opts.repeats == 0 || opts.ops_per_thread == 0 {
        return Err(Failure::BadInput(anyhow!(
            "--repeats and --ops-per-thread: want at least 1"
        )));
    }
    let rows = match &opts.from_runs {
        Some(dir) => read_rows(dir, opts.repeats).map_err(Failure::BadInput)?,
        None => measure(opts)?,
    };
    let page = render_markdown(&rows, opts.ops_per_thread, &Machine::current());
    match &opts.out {
        None => print!("{page}"),
        Some(out) => {
            let path = out.join("resize-latency.md");
            cmap_formats::files::write_atomic(&path, &page)
                .with_context(|| format!("{}: cannot write", path.display()))
                .map_err(Failure::Failed)?;
            eprintln!("mapbench: wrote {}", path.display());
        }
    }
    Ok(())
}

/// Traces the workload into a temporary directory and replays it for every map and
/// repeat, alternating the maps.
fn measure(opts: &Options) -> Result<Vec<Row>, Failure> {
    if !opts.rust_runner.is_file() {
        return Err(Failure::BadInput(anyhow!(
            "{}: not built; run cargo build --release -p cmap-runner, or pass --rust-runner",
            opts.rust_runner.display()
        )));
    }
    let bad = |e: workload::WorkloadError| Failure::BadInput(e.into());
    let spec = workload::resolve(WORKLOAD, &opts.workloads_dir).map_err(bad)?;
    let overrides = Overrides {
        threads: Some(THREADS),
        ops_per_thread: Some(opts.ops_per_thread),
        seed: None,
    };
    let w = workload::load(&spec, overrides).map_err(bad)?;
    let tmp = std::env::temp_dir().join(format!("ch2-resize-{}", std::process::id()));
    std::fs::create_dir_all(&tmp)
        .with_context(|| format!("{}: cannot create", tmp.display()))
        .map_err(Failure::Failed)?;
    let rows = replay_all(opts, &w, &tmp).map_err(Failure::Failed);
    let _ = std::fs::remove_dir_all(&tmp);
    rows
}

fn replay_all(opts: &Options, w: &workload::Workload, tmp: &Path) -> Result<Vec<Row>> {
    let trace = tmp.join(format!("{WORKLOAD}.trace"));
    crate::trace::write_trace_file(w, &trace)?;
    for rep in 0..opts.repeats {
        for map in MAPS {
            let run_id = format!("{map}-{rep}");
            let o = Command::new(&opts.rust_runner)
                .arg("--trace")
                .arg(&trace)
                .args(["--map", map, "--out-dir"])
                .arg(tmp)
                .args(["--run-id", &run_id, "--latency-sample-every", "1"])
                .output()
                .with_context(|| format!("{}: cannot start", opts.rust_runner.display()))?;
            if !o.status.success() {
                bail!(
                    "{} --map {map} --run-id {run_id} exited {}: {}",
                    opts.rust_runner.display(),
                    o.status,
                    String::from_utf8_lossy(&o.stderr).trim()
                );
            }
        }
    }
    read_rows(tmp, opts.repeats)
}

/// The `run_end` of every map's runs `MAP-0.jsonl` … in `dir`; each must have ended ok.
pub fn read_rows(dir: &Path, repeats: u32) -> Result<Vec<Row>> {
    let mut rows = Vec::new();
    for rep in 0..repeats {
        for map in MAPS {
            let path = dir.join(format!("{map}-{rep}.jsonl"));
            let run = results::read_run(&path)?;
            let end = run.end.ok_or_else(|| {
                anyhow!(
                    "{}: no run_end record (was the run killed?)",
                    path.display()
                )
            })?;
            if end.status != EndStatus::Ok {
                bail!(
                    "{}: run_end.status is {:?}, expected ok",
                    path.display(),
                    end.status
                );
            }
            rows.push(Row {
                map: map.to_owned(),
                repeat: rep + 1,
                end,
            });
        }
    }
    Ok(rows)
}

/// The machine line's facts: kernel name, architecture (as `uname` gives them) and the
/// number of online CPUs.
pub struct Machine {
    pub system: String,
    pub arch: String,
    pub cpus: i64,
}

impl Machine {
    pub fn current() -> Machine {
        // SAFETY: uname fills the zeroed struct; its fields are NUL-terminated strings.
        let mut u: libc::utsname = unsafe { std::mem::zeroed() };
        let ok = unsafe { libc::uname(&mut u) } == 0;
        let field = |f: &[libc::c_char]| {
            let bytes: Vec<u8> = f
                .iter()
                .take_while(|c| **c != 0)
                .map(|c| *c as u8)
                .collect();
            String::from_utf8_lossy(&bytes).into_owned()
        };
        // SAFETY: sysconf has no preconditions.
        let cpus = unsafe { libc::sysconf(libc::_SC_NPROCESSORS_ONLN) };
        Machine {
            system: if ok { field(&u.sysname) } else { String::new() },
            arch: if ok { field(&u.machine) } else { String::new() },
            cpus: cpus as i64,
        }
    }
}

/// A latency: nanoseconds below 1 µs, else µs or ms with one decimal.
fn us(ns: u64) -> String {
    if ns >= 1_000_000 {
        format!("{:.1} ms", ns as f64 / 1e6)
    } else if ns >= 1000 {
        format!("{:.1} µs", ns as f64 / 1000.0)
    } else {
        format!("{ns} ns")
    }
}

/// The page: a row per run, the maps in [`MAPS`] order and each map's runs in order,
/// then what was run.
pub fn render_markdown(rows: &[Row], ops_per_thread: u64, machine: &Machine) -> String {
    let mut out = vec![format!(
        "<!-- Generated by mapbench resize-latency; do not edit. Regenerate with:\n     {REGENERATE} -->\n"
    )];
    out.push("| map | run | ops | final entries | throughput | p50 | p99 | p99.9 | max |".into());
    out.push("|---|---:|---:|---:|---:|---:|---:|---:|---:|".into());
    for map in MAPS {
        for r in rows.iter().filter(|r| r.map == map) {
            let e = &r.end;
            let lat = e.lat_ns.as_ref();
            let pct =
                |f: fn(&results::LatNs) -> Option<u64>| lat.and_then(f).map_or("–".to_owned(), us);
            out.push(format!(
                "| `{map}` | {} | {} | {} | {:.2} M/s | {} | {} | {} | {} |",
                r.repeat,
                e.ops
                    .as_ref()
                    .map_or("–".to_owned(), |o| fmt_thousands(o.total)),
                e.final_len.map_or("–".to_owned(), fmt_thousands),
                e.throughput_ops_per_s.unwrap_or(0.0) / 1e6,
                pct(|l| l.p50),
                pct(|l| l.p99),
                pct(|l| l.p999),
                pct(|l| l.max),
            ));
        }
    }
    out.push(String::new());
    out.push(format!(
        "Workload `{WORKLOAD}` (comparisons/workloads/{WORKLOAD}.toml), {THREADS} threads × {} ops, \
         every op timed; percentiles from the runner's merged HDR histogram (`run_end.lat_ns`). \
         {} {}, {} vCPUs.",
        fmt_thousands(ops_per_thread),
        machine.system,
        machine.arch,
        machine.cpus
    ));
    out.join("\n") + "\n"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resize_latency_latencies_switch_unit_at_one_microsecond_and_one_millisecond() {
        assert_eq!(us(999), "999 ns");
        assert_eq!(us(1000), "1.0 µs");
        assert_eq!(us(14_650), "14.7 µs");
        assert_eq!(us(84_300_000), "84.3 ms");
    }

    #[test]
    fn resize_latency_page_lists_every_run_by_map_and_names_the_machine() {
        let dir = std::env::temp_dir().join(format!("resize-latency-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let sample = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("testdata/results-sample/quick-rust-dashmap-foldhash-read-heavy-t2-r1.jsonl");
        for rep in 0..2 {
            for map in MAPS {
                std::fs::copy(&sample, dir.join(format!("{map}-{rep}.jsonl"))).unwrap();
            }
        }
        let rows = read_rows(&dir, 2).unwrap();
        let machine = Machine {
            system: "Linux".into(),
            arch: "x86_64".into(),
            cpus: 2,
        };
        let md = render_markdown(&rows, 1_000_000, &machine);
        let table: Vec<&str> = md.lines().filter(|l| l.starts_with("| `")).collect();
        assert_eq!(table.len(), 6, "{md}");
        assert!(table[0].starts_with("| `dashmap-sip` | 1 |"), "{md}");
        assert!(table[1].starts_with("| `dashmap-sip` | 2 |"), "{md}");
        assert!(
            table[5].starts_with("| `papaya-incremental-sip` | 2 |"),
            "{md}"
        );
        assert!(
            md.contains("2 threads × 1,000,000 ops") && md.ends_with("Linux x86_64, 2 vCPUs.\n")
        );
        // A missing run names its file.
        std::fs::remove_file(dir.join("papaya-blocking-sip-1.jsonl")).unwrap();
        let e = format!("{:#}", read_rows(&dir, 2).err().unwrap());
        assert!(e.contains("papaya-blocking-sip-1.jsonl"), "{e}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
