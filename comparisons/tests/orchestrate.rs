//! `mapbench run`, `check` and `validate` end to end, against the fake runner
//! (`src/bin/mapbench-fake-runner.rs`) linked as `rust-runner` and `go-runner`.
//! No timing is asserted: only what ran, in which order, and what was written.

use std::path::{Path, PathBuf};

use mapbench::manifest::{Manifest, RunState, SuiteStatus};
use serde_json::Value;

mod common;

use common::{FakeEnv as Env, stderr, stdout};

fn env(test: &str) -> Env {
    Env::new(
        "mapbench-orch",
        test,
        &["read-heavy", "exchange", "get-sweep-100"],
    )
}

const SUITE: &str = r#"
name = "t"
description = "A tiny suite for the orchestrator's tests."
[defaults]
ops_per_thread = 300
repeats = 2
[[group]]
workloads = ["read-heavy"]
threads = [2]
rust = ["all"]
go = ["all"]
[[group]]
workloads = ["exchange"]
threads = [1]
rust = ["unsync-std-foldhash"]
go = ["unsync-map", "mutex-map"]
repeats = 1
"#;

impl Env {
    fn suite(&self, text: &str) -> String {
        let p = self.dir.join("t.toml");
        std::fs::write(&p, text).unwrap();
        p.display().to_string()
    }

    fn out(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }
}

fn manifest(out: &Path) -> Manifest {
    Manifest::read(&out.join("manifest.json")).unwrap()
}

#[test]
fn a_suite_runs_interleaved_and_check_accepts_the_results() {
    let e = env("good");
    let suite = e.suite(SUITE);
    let out = e.out("res");
    let log = e.dir.join("order.log");
    let o = e.run(
        &suite,
        &out,
        &[],
        &[("FAKE_RUNNER_LOG", log.to_str().unwrap())],
    );
    assert!(o.status.success(), "{}", stderr(&o));

    // read-heavy t2: rust mutex, dashmap; go mutex, sync (the unsync maps are
    // skipped at 2 threads); exchange t1: rust unsync; go unsync, mutex.
    let m = manifest(&out);
    assert_eq!(m.status, SuiteStatus::Complete);
    assert_eq!(m.suite.name, "t");
    assert_eq!(m.runs.len(), 4 * 2 + 3);
    assert!(
        m.runs
            .iter()
            .all(|r| r.status == RunState::Ok && r.exit_code == Some(0))
    );
    assert!(m.ended_at.is_some());
    assert_eq!(m.runners["go"].maps.len(), 3);
    let skipped = m.options["skipped"].as_array().unwrap();
    assert_eq!(skipped.len(), 2, "{skipped:?}");

    // The order the runner was actually started in.
    let order: Vec<String> = std::fs::read_to_string(&log)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect();
    let expected = [
        // repeat 1, rust first, alternating languages
        "t-rust-mutex-std-foldhash-read-heavy-t2-r1",
        "t-go-mutex-map-read-heavy-t2-r1",
        "t-rust-dashmap-foldhash-read-heavy-t2-r1",
        "t-go-sync-map-read-heavy-t2-r1",
        "t-rust-unsync-std-foldhash-exchange-t1-r1",
        "t-go-unsync-map-exchange-t1-r1",
        "t-go-mutex-map-exchange-t1-r1",
        // repeat 2 (only the first group has 2 repeats), go first
        "t-go-mutex-map-read-heavy-t2-r2",
        "t-rust-mutex-std-foldhash-read-heavy-t2-r2",
        "t-go-sync-map-read-heavy-t2-r2",
        "t-rust-dashmap-foldhash-read-heavy-t2-r2",
    ];
    assert_eq!(order, expected);
    let in_manifest: Vec<&str> = m.runs.iter().map(|r| r.run_id.as_str()).collect();
    assert_eq!(in_manifest, expected);
    let r = &m.runs[0];
    assert_eq!(r.argv[0], e.rust.display().to_string());
    assert!(
        r.argv.join(" ").contains("--map mutex-std-foldhash"),
        "{:?}",
        r.argv
    );
    assert!(
        r.argv.join(" ").contains("--latency-sample-every 1024"),
        "{:?}",
        r.argv
    );

    // bench.txt: the config header once, then one line per run.
    let bench = std::fs::read_to_string(out.join("bench.txt")).unwrap();
    let lines: Vec<&str> = bench.lines().collect();
    assert!(lines[0].starts_with("goos: "));
    assert!(lines[1].starts_with("goarch: "));
    assert!(lines[2].starts_with("cpu: "));
    assert!(lines[3].starts_with("commit: "));
    assert_eq!(lines[4], "suite: t");
    assert_eq!(lines.len(), 5 + 11);
    assert!(
        lines[5].starts_with(
            "BenchmarkReplay/workload=read-heavy/map=mutex-std-foldhash/lang=rust/threads=2 "
        ),
        "{}",
        lines[5]
    );
    // Two traces, generated once each; the logs are kept.
    assert_eq!(m.traces.len(), 2);
    assert!(m.traces.iter().all(|t| !t.reused));
    assert!(
        out.join("logs/t-go-sync-map-read-heavy-t2-r2.stdout")
            .is_file()
    );

    let c = e.mapbench(&["check", out.to_str().unwrap()], &[]);
    assert!(c.status.success(), "{}{}", stdout(&c), stderr(&c));
    let table = stdout(&c);
    assert!(
        table.contains("7 cells, 11 run files: 11 ok, 0 failed, 0 killed; well formed"),
        "{table}"
    );
    assert!(
        table
            .lines()
            .any(|l| l.starts_with("read-heavy") && l.contains("sync-map") && l.contains(" 2 ")),
        "{table}"
    );

    // Again into another directory: the traces come from the cache.
    let out2 = e.out("res2");
    let o = e.run(&suite, &out2, &["--filter", "exchange"], &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    let m2 = manifest(&out2);
    assert_eq!(m2.runs.len(), 3);
    assert_eq!(m2.traces.len(), 1);
    assert!(m2.traces[0].reused);
    // The same directory twice is refused.
    let o = e.run(&suite, &out2, &[], &[]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("already holds results"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn failed_and_crashed_runs_are_recorded_and_the_suite_goes_on() {
    let e = env("fail");
    let suite = e.suite(SUITE);
    let out = e.out("res");
    let o = e.run(
        &suite,
        &out,
        &[],
        &[
            ("FAKE_RUNNER_FAIL", "go-sync-map-read-heavy-t2-r1"),
            (
                "FAKE_RUNNER_CRASH",
                "rust-dashmap-foldhash-read-heavy-t2-r2",
            ),
        ],
    );
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let m = manifest(&out);
    assert_eq!(m.status, SuiteStatus::Failed);
    let by_id = |id: &str| m.runs.iter().find(|r| r.run_id == id).unwrap();
    let failed = by_id("t-go-sync-map-read-heavy-t2-r1");
    assert_eq!(
        (failed.status, failed.exit_code),
        (RunState::Failed, Some(1))
    );
    assert!(
        failed
            .message
            .as_deref()
            .unwrap()
            .contains("failing as asked"),
        "{failed:?}"
    );
    let crashed = by_id("t-rust-dashmap-foldhash-read-heavy-t2-r2");
    assert_eq!(
        (crashed.status, crashed.exit_code),
        (RunState::Failed, Some(3))
    );
    assert_eq!(
        m.runs.iter().filter(|r| r.status == RunState::Ok).count(),
        9
    );
    // bench.txt has the ok runs only.
    let bench = std::fs::read_to_string(out.join("bench.txt")).unwrap();
    assert_eq!(
        bench.lines().filter(|l| l.starts_with("Benchmark")).count(),
        9
    );
    assert!(
        stderr(&o).contains("failed t-go-sync-map-read-heavy-t2-r1"),
        "{}",
        stderr(&o)
    );

    // Both files are valid: one failed, one killed (cut-short last line).
    let c = e.mapbench(&["check", out.to_str().unwrap()], &[]);
    assert!(c.status.success(), "{}{}", stdout(&c), stderr(&c));
    assert!(
        stdout(&c).contains("11 run files: 9 ok, 1 failed, 1 killed; well formed"),
        "{}",
        stdout(&c)
    );
}

#[test]
fn a_killed_suite_says_it_stopped_early_and_which_cells_are_missing() {
    let e = env("killed");
    let suite = e.suite(SUITE);
    let out = e.out("res");
    // The third run SIGKILLs mapbench itself: no final manifest, no ended_at.
    let o = e.run(
        &suite,
        &out,
        &[],
        &[(
            "FAKE_RUNNER_KILL_PARENT",
            "rust-dashmap-foldhash-read-heavy-t2-r1",
        )],
    );
    use std::os::unix::process::ExitStatusExt as _;
    assert_eq!(o.status.signal(), Some(9), "{}", stderr(&o));
    let m = manifest(&out);
    assert_eq!(m.status, SuiteStatus::Running);
    assert!(m.ended_at.is_none());
    let p = m.progress().expect("a suite that has not ended");
    assert_eq!((p.finished, p.total), (2, 11));
    assert_eq!(p.orchestrator_alive, Some(false));
    let want = "stopped early: 2 of 11 runs finished; missing cells: go mutex-map exchange t1 (1 of 1 runs missing)";
    assert!(p.describe().starts_with(want), "{}", p.describe());
    assert!(
        p.describe()
            .contains("rust dashmap-foldhash read-heavy t2 (2 of 2 runs missing)"),
        "{}",
        p.describe()
    );

    let c = e.mapbench(&["check", out.to_str().unwrap()], &[]);
    assert!(c.status.success(), "{}{}", stdout(&c), stderr(&c));
    assert!(
        stdout(&c).contains("the suite stopped early: 2 of 11 runs finished; missing cells:"),
        "{}",
        stdout(&c)
    );
    let rep = e.out("report");
    let r = e.mapbench(
        &[
            "report",
            out.to_str().unwrap(),
            "--out",
            rep.to_str().unwrap(),
        ],
        &[],
    );
    assert!(r.status.success(), "{}", stderr(&r));
    let page = std::fs::read_to_string(rep.join("report.md")).unwrap();
    assert!(
        page.contains("**The suite has not ended: stopped early: 2 of 11 runs finished;"),
        "{page}"
    );
    assert!(
        page.contains("| suite status | stopped early: 2 of 11 runs finished;"),
        "{page}"
    );
    assert!(!page.contains("Running,"), "{page}");
}

#[test]
fn bare_runner_files_without_bench_txt_are_reported() {
    let e = env("bare");
    let suite = e.suite(SUITE);
    let out = e.out("res");
    let o = e.run(&suite, &out, &["--filter", "read-heavy-t2-r1"], &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    // Only the runner files, as a runner run by hand leaves them.
    let bare = e.out("bare");
    std::fs::create_dir_all(&bare).unwrap();
    for f in std::fs::read_dir(&out).unwrap().flatten() {
        let name = f.file_name().to_string_lossy().into_owned();
        if name.ends_with(".jsonl") || name.ends_with(".hlog") {
            std::fs::copy(f.path(), bare.join(&name)).unwrap();
        }
    }
    let rep = e.out("report");
    let r = e.mapbench(
        &[
            "report",
            bare.to_str().unwrap(),
            "--out",
            rep.to_str().unwrap(),
        ],
        &[],
    );
    assert!(r.status.success(), "{}", stderr(&r));
    let page = std::fs::read_to_string(rep.join("report.md")).unwrap();
    assert!(page.contains("has no `manifest.json`"), "{page}");
    assert!(page.contains("has no `bench.txt`"), "{page}");
    assert!(
        page.contains("mapbench run --suite NAME --out DIR"),
        "{page}"
    );
    assert!(!rep.join("bench.txt").exists());
}

#[test]
fn ctrl_c_stops_the_suite_keeps_what_finished_and_exits_130() {
    let e = env("interrupt");
    let suite = e.suite(SUITE);
    let out = e.out("res");
    // The third run sends SIGINT to mapbench, as Ctrl-C would, and exits 130.
    let o = e.run(
        &suite,
        &out,
        &[],
        &[(
            "FAKE_RUNNER_INTERRUPT",
            "rust-dashmap-foldhash-read-heavy-t2-r1",
        )],
    );
    assert_eq!(o.status.code(), Some(130), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(err.contains("interrupted: 3 of 11 runs finished"), "{err}");
    assert!(err.contains(out.to_str().unwrap()), "{err}");
    let m = manifest(&out);
    assert_eq!(m.status, SuiteStatus::Interrupted);
    assert!(m.ended_at.is_some());
    let states: Vec<RunState> = m.runs.iter().map(|r| r.status).collect();
    assert_eq!(
        &states[..3],
        [RunState::Ok, RunState::Ok, RunState::Interrupted]
    );
    assert!(
        states[3..].iter().all(|&s| s == RunState::Pending),
        "{states:?}"
    );
    // What finished is intact.
    let c = e.mapbench(&["check", out.to_str().unwrap()], &[]);
    assert!(c.status.success(), "{}{}", stdout(&c), stderr(&c));
    assert!(
        stdout(&c).contains("3 run files: 2 ok, 0 failed, 1 killed"),
        "{}",
        stdout(&c)
    );
}

#[test]
fn bad_suites_and_unknown_maps_stop_before_anything_runs() {
    let e = env("bad");
    let out = e.out("res");
    let suite = e.suite(&SUITE.replace(
        "go = [\"unsync-map\", \"mutex-map\"]",
        "go = [\"mutex-std-foldhash\"]",
    ));
    let o = e.run(&suite, &out, &[], &[]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("field `group[1].go`: expected a map the go runner lists (--list-maps) or \"all\" or \"noop\": unsync-map, mutex-map, sync-map, found \"mutex-std-foldhash\""),
        "{}",
        stderr(&o)
    );
    assert!(!out.exists());

    let suite = e.suite(&SUITE.replace("threads = [1]", "threads = [1, 2]"));
    let o = e.run(&suite, &out, &[], &[]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("expected at most 1 thread(s) for rust map \"unsync-std-foldhash\""),
        "{}",
        stderr(&o)
    );

    let suite = e.suite(&SUITE.replace("repeats = 2", "repeats = 0"));
    let o = e.run(&suite, &out, &[], &[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("t.toml: field `defaults.repeats`: expected at least 1, found 0"),
        "{}",
        stderr(&o)
    );

    let o = e.run("no-such-suite", &out, &[], &[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("unknown suite `no-such-suite`") && stderr(&o).contains("quick"),
        "{}",
        stderr(&o)
    );

    let suite = e.suite(SUITE);
    let o = e.run(&suite, &out, &["--filter", "nothing-matches"], &[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("matches no run id"), "{}", stderr(&o));
    assert!(!out.exists());
}

#[test]
fn a_missing_toolchain_is_reported_with_exit_2() {
    let e = env("toolchain");
    let suite = e.suite(SUITE);
    let empty = e.dir.join("empty-path");
    std::fs::create_dir_all(&empty).unwrap();
    let o = e.mapbench(
        &["run", "--suite", &suite, "--only-lang", "go", "--dry-run"],
        &[("PATH", empty.to_str().unwrap())],
    );
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains(
            "go runner: `go` not found on PATH (Go toolchain, to build go-reference/cmd/runner)"
        ),
        "{}",
        stderr(&o)
    );
    let o = e.mapbench(
        &[
            "run",
            "--suite",
            &suite,
            "--go-runner",
            "/no/such/runner",
            "--only-lang",
            "go",
        ],
        &[],
    );
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("/no/such/runner: no such runner binary"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn dry_run_prints_every_command_and_writes_nothing() {
    let e = env("dry");
    let suite = e.suite(SUITE);
    let out = e.out("res");
    let o = e.run(&suite, &out, &["--dry-run", "--only-lang", "rust"], &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    let runs: Vec<&str> = text.lines().filter(|l| l.starts_with('[')).collect();
    assert_eq!(runs.len(), 5, "{text}");
    assert!(
        runs[0].starts_with("[1/5] ")
            && runs[0].contains("--run-id t-rust-mutex-std-foldhash-read-heavy-t2-r1"),
        "{text}"
    );
    assert!(text.contains("(to generate)"), "{text}");
    assert!(!out.exists());
    assert!(!e.dir.join("traces").exists());
}

#[test]
fn check_rejects_malformed_files_naming_them() {
    let e = env("check");
    let suite = e.suite(SUITE);
    let out = e.out("res");
    let o = e.run(&suite, &out, &["--filter", "exchange"], &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    let victim = out.join("t-go-mutex-map-exchange-t1-r1.jsonl");
    let text = std::fs::read_to_string(&victim).unwrap();

    // Interval ops that do not add up to run_end's.
    let lines: Vec<String> = text.lines().map(str::to_owned).collect();
    let mut iv: Value = serde_json::from_str(&lines[1]).unwrap();
    let get = iv["ops"]["get"].as_u64().unwrap();
    iv["ops"]["get"] = (get + 1).into();
    iv["ops"]["total"] = (iv["ops"]["total"].as_u64().unwrap() + 1).into();
    let mut bad = lines.clone();
    bad[1] = iv.to_string();
    std::fs::write(&victim, bad.join("\n") + "\n").unwrap();
    let c = e.mapbench(&["check", out.to_str().unwrap()], &[]);
    assert_eq!(c.status.code(), Some(2));
    let err = stderr(&c);
    assert!(
        err.contains(&format!("{}: run_end.ops", victim.display())),
        "{err}"
    );
    assert!(err.contains("≠ the sum of the intervals' ops"), "{err}");

    // A schema-3 file.
    std::fs::write(&victim, text.replacen("\"schema\":2", "\"schema\":3", 1)).unwrap();
    let c = e.mapbench(&["check", out.to_str().unwrap()], &[]);
    assert_eq!(c.status.code(), Some(2));
    assert!(
        stderr(&c).contains(&format!(
            "{}:1: run_start: field `schema`: expected schema 1 to 2, found 3",
            victim.display()
        )),
        "{}",
        stderr(&c)
    );

    // No run_start.
    std::fs::write(&victim, lines[1..].join("\n") + "\n").unwrap();
    let c = e.mapbench(&["check", out.to_str().unwrap()], &[]);
    assert_eq!(c.status.code(), Some(2));
    assert!(
        stderr(&c).contains(&format!("{}: no `run_start` record", victim.display())),
        "{}",
        stderr(&c)
    );

    // A missing field, and an hlog with fewer samples than the run reports.
    std::fs::write(
        &victim,
        text.replacen("\"steal_ticks\":0", "\"steal\":0", 1),
    )
    .unwrap();
    let hlog = victim.with_extension("hlog");
    let hl = std::fs::read_to_string(&hlog).unwrap();
    let kept: Vec<&str> = hl
        .lines()
        .filter(|l| !l.starts_with("Tag=lat,0.0"))
        .collect();
    std::fs::write(&hlog, kept.join("\n") + "\n").unwrap();
    let c = e.mapbench(&["check", out.to_str().unwrap()], &[]);
    assert_eq!(c.status.code(), Some(2));
    let err = stderr(&c);
    assert!(
        err.contains(":2: interval: missing field(s) `steal_ticks`"),
        "{err}"
    );
    assert!(
        err.contains("latency samples in the log, but the run file reports"),
        "{err}"
    );

    // An empty directory.
    let empty = e.out("empty");
    std::fs::create_dir_all(&empty).unwrap();
    let c = e.mapbench(&["check", empty.to_str().unwrap()], &[]);
    assert_eq!(c.status.code(), Some(2));
    assert!(stderr(&c).contains("no run files"), "{}", stderr(&c));
}

#[test]
fn validate_writes_json_and_markdown_from_the_runs() {
    let e = env("validate");
    let out = e.out("val");
    let o = e.mapbench(
        &[
            "validate",
            "--out",
            out.to_str().unwrap(),
            "--rust-runner",
            e.rust.to_str().unwrap(),
            "--go-runner",
            e.go.to_str().unwrap(),
            "--repeats",
            "2",
            "--ops-per-thread",
            "200",
            "--skip-micro",
            "--skip-bustle",
            "--trace-cache",
            e.dir.join("traces").to_str().unwrap(),
        ],
        &[("FAKE_RUNNER_NS_PER_OP", "10")],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let v: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("validation.json")).unwrap())
            .unwrap();
    // The fake reports 10 ns per op for every run, and 20 ns per clock read pair.
    let costs = v["harness_cost"].as_array().unwrap();
    assert_eq!(costs.len(), 2);
    for c in costs {
        assert_eq!(c["ns_per_op"]["median"], 10.0, "{c}");
        assert_eq!(c["ns_per_op"]["n"], 2, "{c}");
        assert_eq!(c["timer_overhead_ns"]["median"], 20.0, "{c}");
        assert_eq!(c["within"], false, "{c}");
    }
    // Every sampling period was run (its own results directory) and read back.
    let sampling = v["sampling"].as_array().unwrap();
    for k in [0, 16, 1024] {
        let noop = sampling
            .iter()
            .find(|s| s["lang"] == "rust" && s["map"] == "noop" && s["sample_every"] == k)
            .unwrap();
        assert_eq!(noop["ns_per_op"]["median"], 10.0, "{noop}");
    }
    // Runner side measured on both shapes and thread counts, micro side skipped.
    let rows = v["runner_vs_micro"].as_array().unwrap();
    let rust: Vec<&Value> = rows
        .iter()
        .filter(|r| r["lang"] == "rust" && r["map"] == "mutex-std-foldhash")
        .collect();
    assert_eq!(rust.len(), 4);
    for r in &rust {
        assert_eq!(r["runner_ns_per_op"]["median"], 10.0, "{r}");
        assert_eq!(r["noop_ns_per_op"]["median"], 10.0, "{r}");
        assert_eq!(r["ratio"], Value::Null, "{r}");
        assert_eq!(r["micro_used_ns_per_op"], Value::Null, "{r}");
        assert_eq!(r["ratio_used"], Value::Null, "{r}");
    }
    assert!(v["micro"].as_object().unwrap().is_empty());
    // Same throughput at 1 and 2 threads: efficiency 0.5 for every map that takes 2 threads.
    let scaling = v["scaling"].as_array().unwrap();
    assert_eq!(scaling.len(), 4);
    assert!(
        scaling.iter().all(|s| s["efficiency"] == 0.5),
        "{scaling:?}"
    );
    let costs: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("harness-costs.json")).unwrap())
            .unwrap();
    assert_eq!(costs["rust"]["noop_ns_per_op"], 10.0);
    assert_eq!(costs["go"]["target_ns_per_op"], 5.0);
    let md = std::fs::read_to_string(out.join("validation.md")).unwrap();
    assert!(
        md.starts_with("<!-- Generated by mapbench validate (mapbench "),
        "{md}"
    );
    assert!(
        md.lines()
            .next()
            .unwrap()
            .contains("regenerate with: cargo run --release -p mapbench -- validate --out "),
        "{md}"
    );
    assert!(
        md.contains("| rust | 10.00 (10.00–10.00) | 3.0 | no | 20 (20–20) |"),
        "{md}"
    );
    // Each repeat's runs are a results directory check accepts.
    let c = e.mapbench(&["check", out.join("runs/rep-01").to_str().unwrap()], &[]);
    assert!(c.status.success(), "{}{}", stdout(&c), stderr(&c));
}
