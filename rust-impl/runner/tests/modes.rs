//! Duration mode, warm-up, op delay, latency off, --list-maps.

mod common;

use cmap_runner::hlog::read_log;

use common::*;

#[test]
fn duration_mode_loops_the_streams_until_the_time_is_up() {
    let dir = fresh_dir("duration");
    let trace = testdata("golden.trace");
    for map in ["noop", "dashmap-foldhash"] {
        let (records, _) = run_ok(
            &trace,
            map,
            &dir,
            map,
            &[
                "--duration-ms",
                "40",
                "--interval-ms",
                "10",
                "--warmup-ops",
                "3000",
            ],
        );
        let (intervals, end) = check_sequence(&records, 10);
        assert_eq!(end["status"], "ok");
        // Workers stop at the first clock check at or after t0 + 40 ms.
        assert!(num(&end, "elapsed_ns") >= 40_000_000, "{end}");
        assert!(!intervals.is_empty());
        assert_eq!(records[0]["warmup_ops"], 3000);
        let log = read_log(&std::fs::read(dir.join(format!("{map}.hlog"))).unwrap()).unwrap();
        let logged: u64 = log.intervals.iter().map(|i| i.hist.len()).sum();
        assert_eq!(logged, num(&end["lat_ns"], "count"));
    }
}

#[test]
fn warm_up_ops_are_not_counted_but_change_the_map() {
    let dir = fresh_dir("warmup");
    let trace = testdata("golden.trace");
    let (records, _) = run_ok(
        &trace,
        "mutex-std-foldhash",
        &dir,
        "w",
        &["--warmup-ops", "1000"],
    );
    let (_, end) = check_sequence(&records, 100);
    assert_eq!(num(&end["ops"], "total"), 2000);
    assert!(num(&end, "warmup_ns") > 0);
}

#[test]
fn op_delay_spins_after_every_op() {
    let dir = fresh_dir("delay");
    let trace = testdata("golden.trace");
    let (records, _) = run_ok(&trace, "noop", &dir, "d", &["--op-delay-ns", "20000"]);
    let (_, end) = check_sequence(&records, 100);
    // 1,000 ops per worker, each followed by about 20 µs of calibrated
    // spinning; half of that leaves room for a calibration on a busier moment.
    assert!(num(&end, "elapsed_ns") >= 10_000_000, "{end}");
    assert_eq!(records[0]["op_delay_ns"], 20000);
    assert!(
        records[0]["op_delay_steps"].as_u64().unwrap_or(0) > 0,
        "{}",
        records[0]
    );
}

#[test]
fn op_work_steps_spins_a_fixed_count_uncalibrated() {
    let dir = fresh_dir("work");
    let trace = testdata("golden.trace");
    let (records, _) = run_ok(&trace, "noop", &dir, "w", &["--op-work-steps", "37"]);
    check_sequence(&records, 100);
    // Exactly the steps asked, whatever the machine's speed: no calibration, so
    // no ns per step and no delay in ns.
    assert_eq!(records[0]["op_delay_steps"], 37, "{}", records[0]);
    assert!(
        records[0]["op_delay_ns_per_step"].is_null(),
        "{}",
        records[0]
    );
    assert_eq!(records[0]["op_delay_ns"], 0);
    // Both delays at once: bad input. A zero one is the same as leaving it out.
    let both = run(
        &trace,
        "noop",
        &dir,
        "w2",
        &["--op-work-steps", "37", "--op-delay-ns", "5"],
    );
    assert_eq!(both.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&both.stderr).contains("--op-work-steps"));
    let (zero, _) = run_ok(
        &trace,
        "noop",
        &dir,
        "w3",
        &["--op-work-steps", "37", "--op-delay-ns", "0"],
    );
    assert_eq!(zero[0]["op_delay_steps"], 37);
    // An explicit 0 runs the spin loop with no steps (a compare check's baseline) and
    // says so; left out, the lean loop runs and there is no spin to record (both loops
    // give the same results: golden_replay.rs).
    let (spin0, _) = run_ok(
        &trace,
        "mutex-std-sip",
        &dir,
        "w4",
        &["--op-work-steps", "0"],
    );
    assert_eq!(spin0[0]["op_delay_steps"], 0, "{}", spin0[0]);
    let (lean, _) = run_ok(&trace, "mutex-std-sip", &dir, "w5", &[]);
    assert!(lean[0]["op_delay_steps"].is_null(), "{}", lean[0]);
}

#[test]
fn latency_sampling_can_be_disabled() {
    let dir = fresh_dir("nolat");
    let trace = testdata("golden.trace");
    let (records, stdout) = run_ok(
        &trace,
        "dashmap-sip",
        &dir,
        "n",
        &["--latency-sample-every", "0"],
    );
    let (_, end) = check_sequence(&records, 100);
    assert_eq!(num(&end["lat_ns"], "count"), 0);
    assert!(
        !stdout.contains("p99-ns") && stdout.contains(" ns/op \t"),
        "{stdout}"
    );
    let log = read_log(&std::fs::read(dir.join("n.hlog")).unwrap()).unwrap();
    assert!(log.intervals.is_empty());
}

#[test]
fn list_maps_prints_the_registry_as_json_lines() {
    let out = runner().arg("--list-maps").output().unwrap();
    assert!(out.status.success());
    let lines: Vec<serde_json::Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), cmap_maps::all().len());
    for (line, info) in lines.iter().zip(cmap_maps::all()) {
        assert_eq!(line["name"], info.name);
        assert_eq!(line["crate_or_package"], info.crate_name);
        assert_eq!(line["version"], info.crate_version);
        assert_eq!(line["hasher"], info.hasher);
        assert_eq!(line["notes"], info.notes);
    }
}
