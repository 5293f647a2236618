//! Helpers shared by the integration tests: run the binary, make traces, read results.

#![allow(dead_code)] // each test file uses its own subset

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicU32, Ordering};

use cmap_formats::trace::{self, Trace};
use cmap_formats::workload::{self, Overrides};
use serde_json::Value;

/// The binary under test.
pub fn runner() -> Command {
    Command::new(env!("CARGO_BIN_EXE_rust-runner"))
}

/// `comparisons/testdata/...`.
pub fn testdata(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../comparisons/testdata")
        .join(rel)
}

/// A fresh, empty directory for one test.
pub fn fresh_dir(name: &str) -> PathBuf {
    static SEQ: AtomicU32 = AtomicU32::new(0);
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!(
        "runner-{name}-{}-{}",
        std::process::id(),
        SEQ.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Writes the golden workload (`golden.toml`) with the given overrides to `dir/name`.
pub fn golden_variant(dir: &Path, name: &str, overrides: Overrides) -> PathBuf {
    let w = workload::load(&testdata("golden.toml"), overrides).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, trace::generate(&w)).unwrap();
    path
}

/// Runs the binary with `args` (plus `--trace`, `--map`, `--out-dir`, `--run-id`).
pub fn run(trace: &Path, map: &str, out_dir: &Path, run_id: &str, args: &[&str]) -> Output {
    runner()
        .arg("--trace")
        .arg(trace)
        .args(["--map", map, "--run-id", run_id])
        .arg("--out-dir")
        .arg(out_dir)
        .args(args)
        .output()
        .unwrap()
}

/// Asserts exit status 0 and returns the records.
pub fn run_ok(
    trace: &Path,
    map: &str,
    out_dir: &Path,
    run_id: &str,
    args: &[&str],
) -> (Vec<Value>, String) {
    let out = run(trace, map, out_dir, run_id, args);
    assert!(
        out.status.success(),
        "{map}: exit {:?}\nstderr: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    (
        read_jsonl(&out_dir.join(format!("{run_id}.jsonl"))),
        String::from_utf8(out.stdout).unwrap(),
    )
}

/// Every line of a JSONL file, parsed.
pub fn read_jsonl(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| {
            serde_json::from_str(l)
                .unwrap_or_else(|e| panic!("{}: bad line {l}: {e}", path.display()))
        })
        .collect()
}

/// `v[field]` as u64.
pub fn num(v: &Value, field: &str) -> u64 {
    v[field]
        .as_u64()
        .unwrap_or_else(|| panic!("{field} in {v}"))
}

/// Sums `records[*][object][field]` over the interval records.
pub fn sum_intervals(records: &[Value], object: &str, field: &str) -> u64 {
    records
        .iter()
        .filter(|r| r["type"] == "interval")
        .map(|r| num(&r[object], field))
        .sum()
}

/// Checks the record sequence (run_start, interval 0..n, run_end) and its arithmetic;
/// returns (intervals, run_end).
pub fn check_sequence(records: &[Value], interval_ms: u64) -> (Vec<Value>, Value) {
    assert!(records.len() >= 2, "{records:?}");
    assert_eq!(records[0]["type"], "run_start");
    assert_eq!(records[0]["schema"], 2);
    assert_eq!(records[0]["lang"], "rust");
    let end = records.last().unwrap().clone();
    assert_eq!(end["type"], "run_end", "{end}");
    let intervals: Vec<Value> = records[1..records.len() - 1].to_vec();
    let interval_ns = interval_ms * 1_000_000;
    for (k, r) in intervals.iter().enumerate() {
        assert_eq!(r["type"], "interval");
        assert_eq!(num(r, "index"), k as u64);
        assert_eq!(num(r, "t_start_ns"), k as u64 * interval_ns);
        if k + 1 < intervals.len() {
            assert_eq!(num(r, "t_end_ns"), (k as u64 + 1) * interval_ns);
        } else {
            assert_eq!(num(r, "t_end_ns"), num(&end, "elapsed_ns"));
        }
        let ops = &r["ops"];
        assert_eq!(
            num(ops, "total"),
            num(ops, "get") + num(ops, "insert") + num(ops, "update") + num(ops, "remove")
        );
        assert!(r["gc"].is_null());
    }
    assert_eq!(num(&end, "intervals"), intervals.len() as u64);
    for kind in ["get", "insert", "update", "remove", "total"] {
        assert_eq!(
            sum_intervals(records, "ops", kind),
            num(&end["ops"], kind),
            "ops.{kind}"
        );
    }
    for kind in ["get", "insert_new", "update", "remove"] {
        assert_eq!(
            sum_intervals(records, "hits", kind),
            num(&end["hits"], kind),
            "hits.{kind}"
        );
    }
    assert_eq!(
        sum_intervals(records, "lat_ns", "count"),
        num(&end["lat_ns"], "count")
    );
    (intervals, end)
}

/// What a correct map returns for a single-threaded replay of `t` in file order: the
/// result checksum of the gets (RUNNER-SPEC.md's fold; per thread, XORed).
pub fn reference_checksum(t: &Trace) -> u64 {
    let mut map = std::collections::HashMap::new();
    for op in t.prefill() {
        map.insert(op.key, op.value);
    }
    let mut xor = 0;
    for thread in 0..t.header().threads {
        let mut acc = cmap_formats::trace::CHECKSUM_INIT;
        for op in t.thread_ops(thread).iter() {
            match op.kind {
                workload::OpKind::Get => {
                    let x = map.get(&op.key).copied().unwrap_or(u64::MAX);
                    acc = (acc ^ x).wrapping_mul(cmap_formats::trace::CHECKSUM_PRIME);
                }
                workload::OpKind::Insert => {
                    map.insert(op.key, op.value);
                }
                workload::OpKind::Update => {
                    if let Some(v) = map.get_mut(&op.key) {
                        *v = op.value;
                    }
                }
                workload::OpKind::Remove => {
                    map.remove(&op.key);
                }
            }
        }
        xor ^= acc;
    }
    xor
}
