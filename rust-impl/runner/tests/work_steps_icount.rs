//! `--op-work-steps` adds the same instructions to every op on every map: the spin
//! runs in the one un-timed replay loop with or without steps, rather than switching
//! to a loop of its own. Counted under valgrind's cachegrind (instructions, not
//! time), latency off; skipped, with a message, where valgrind is not installed.
//! Run it on the release build too (`scripts/test` does): that is where the compiler
//! would lay out a separate loop differently around each map's call.

mod common;

use std::path::Path;
use std::process::Command;

use cmap_formats::workload::Overrides;

use common::*;

/// Total instructions (cachegrind's `summary:` line) of one run, and its ops.
fn count(trace: &Path, map: &str, dir: &Path, id: &str, steps: u64) -> (u64, u64) {
    let out_file = dir.join(format!("{id}.cg"));
    let out = Command::new("valgrind")
        .args(["--tool=cachegrind", "--cache-sim=no"])
        .arg(format!("--cachegrind-out-file={}", out_file.display()))
        .arg(env!("CARGO_BIN_EXE_rust-runner"))
        .arg("--trace")
        .arg(trace)
        .args(["--map", map, "--run-id", id, "--out-dir"])
        .arg(dir)
        // Latency off: what the histograms cost to write depends on the latencies
        // recorded, which differ from run to run, and would swamp the difference.
        .args(["--latency-sample-every", "0", "--interval-ms", "3600000"])
        .args(["--op-work-steps", &steps.to_string()])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{map} {steps} steps under valgrind: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    // `--cache-sim=no`: Ir is the only event, the `summary:` line's one number.
    let text = std::fs::read_to_string(&out_file).unwrap();
    assert!(
        text.lines().any(|l| l == "events: Ir"),
        "{}",
        out_file.display()
    );
    let ir = text
        .lines()
        .find_map(|l| l.strip_prefix("summary: "))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("{}: no summary line", out_file.display()));
    let records = read_jsonl(&dir.join(format!("{id}.jsonl")));
    let end = records.last().unwrap();
    (ir, num(&end["ops"], "total"))
}

#[test]
fn work_steps_add_the_same_instructions_per_op_on_every_map() {
    if Command::new("valgrind").arg("--version").output().is_err() {
        eprintln!("skipped: valgrind is not on PATH");
        return;
    }
    let dir = fresh_dir("icount");
    // One thread, all four op kinds; the long trace has 2000 more ops, so start-up,
    // trace loading and prefill cancel in the difference.
    let trace = |ops| {
        golden_variant(
            &dir,
            &format!("t{ops}.trace"),
            Overrides {
                threads: Some(1),
                ops_per_thread: Some(ops),
                seed: None,
            },
        )
    };
    let (short, long) = (trace(2000), trace(4000));
    const STEPS: u64 = 50;
    let per_op = |map: &str, steps: u64| {
        let (s_ir, s_ops) = count(&short, map, &dir, &format!("{map}-{steps}-s"), steps);
        let (l_ir, l_ops) = count(&long, map, &dir, &format!("{map}-{steps}-l"), steps);
        assert_eq!((s_ops, l_ops), (2000, 4000));
        (l_ir as f64 - s_ir as f64) / (l_ops - s_ops) as f64
    };
    let added = |map: &str| per_op(map, STEPS) - per_op(map, 0);
    let noop = added("noop");
    // A step is at least a multiply, an add and the loop's branch (more in a debug
    // build, which is what `cargo test` runs).
    assert!(
        noop >= 3.0 * STEPS as f64,
        "noop: {STEPS} steps added {noop:.1} instructions per op"
    );
    for map in ["mutex-std-foldhash", "dashmap-foldhash"] {
        let a = added(map);
        // Within 1% (a few instructions of the loop's layout around each map's
        // call); a separate delayed loop added up to ~20 more on some maps.
        assert!(
            (a - noop).abs() <= 0.01 * noop,
            "{map}: {STEPS} steps added {a:.1} instructions per op, the noop map {noop:.1}"
        );
    }
}
