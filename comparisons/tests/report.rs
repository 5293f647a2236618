//! `mapbench report`: the committed sample (`testdata/results-sample`, ten real runs of
//! the quick suite) must give exactly the committed page (`testdata/report-expected`);
//! bad input is refused naming the file and leaves an earlier report alone; the knee
//! rule and the memory-curve fits behave on synthetic data.
//!
//! After an intended change to the report or the figures, bless the new output with
//! `MAPBENCH_BLESS=1 cargo test -p mapbench --test report` and review the diff.

use std::path::{Path, PathBuf};
use std::process::Command;

use mapbench::report::{self, Knee, ReportOptions};
use mapbench::stats::fit;

/// The command the expected page records (from the repository root).
const BLESS_COMMAND: &str = "mapbench report comparisons/testdata/results-sample --out comparisons/testdata/report-expected";

fn testdata() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata")
}

fn scratch(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("mapbench-report-{}-{test}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn generate(out: &Path) {
    report::report(&ReportOptions {
        results_dir: testdata().join("results-sample"),
        out: out.to_path_buf(),
        title: Some("Sample: read-heavy, four maps".into()),
        command: BLESS_COMMAND.into(),
        harness_costs: None,
    })
    .unwrap_or_else(|e| match e {
        mapbench::orchestrate::Failure::BadInput(e) | mapbench::orchestrate::Failure::Failed(e) => {
            panic!("report failed: {e:#}")
        }
    });
}

fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for sub in ["", "figures"] {
        let mut names: Vec<PathBuf> = std::fs::read_dir(dir.join(sub))
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.is_file())
            .map(|p| p.strip_prefix(dir).unwrap().to_path_buf())
            .collect();
        names.sort();
        out.extend(names);
    }
    out
}

#[test]
fn the_sample_gives_the_committed_report_byte_for_byte() {
    let expected = testdata().join("report-expected");
    if std::env::var_os("MAPBENCH_BLESS").is_some() {
        generate(&expected);
        return;
    }
    let out = scratch("golden").join("report");
    generate(&out);
    let got = files(&out);
    assert_eq!(
        got,
        files(&expected),
        "the report's files differ from testdata/report-expected; if intended, bless with \
         `MAPBENCH_BLESS=1 cargo test -p mapbench --test report`"
    );
    for f in &got {
        let a = std::fs::read(out.join(f)).unwrap();
        let b = std::fs::read(expected.join(f)).unwrap();
        assert!(
            a == b,
            "{} differs from testdata/report-expected/{0} (new output in {}); if intended, \
             bless with `MAPBENCH_BLESS=1 cargo test -p mapbench --test report`",
            f.display(),
            out.display()
        );
    }
    // Two runs give the same bytes (no clock, no map iteration order).
    let again = scratch("golden-again").join("report");
    generate(&again);
    for f in &got {
        assert_eq!(
            std::fs::read(out.join(f)).unwrap(),
            std::fs::read(again.join(f)).unwrap(),
            "{} differs between two runs",
            f.display()
        );
    }
}

fn sample_cells() -> Vec<report::CellStats> {
    let loaded = mapbench::results::load_dir(&testdata().join("results-sample")).unwrap();
    let runs: Vec<report::LoadedRun> = loaded
        .runs
        .into_iter()
        .map(|file| {
            let latency = file.latency_log().unwrap().merged();
            report::LoadedRun { file, latency }
        })
        .collect();
    report::cells(&runs, &[])
}

#[test]
fn the_page_opens_with_takeaways_and_says_its_conventions_once() {
    let out = scratch("takeaways").join("report");
    generate(&out);
    let md = std::fs::read_to_string(out.join("report.md")).unwrap();
    let at = |s: &str| md.find(s).unwrap_or_else(|| panic!("no {s:?} in the page"));
    assert!(at("## Takeaways") < at("## How to read this page"));
    assert!(at("## How to read this page") < at("## Workload"));
    assert!(at("## Workload") < at("## Environment"));
    assert_eq!(md.matches("histograms merged").count(), 1, "said once");
    // The sample's runs last under a second: no pause figure, and the page says where
    // pause timelines are.
    assert!(!md.contains("figures/pauses-"));
    assert!(md.contains("No pause timeline here"));
    let bullets = md[at("## Takeaways")..at("## How to read this page")]
        .lines()
        .filter(|l| l.starts_with("- "))
        .count();
    assert!((3..=5).contains(&bullets), "{bullets} takeaways");
}

#[test]
fn the_fastest_map_takeaway_follows_the_medians() {
    let cells = sample_cells();
    let fastest = report::fastest(&cells);
    // The highest thread count of read-heavy, and on each side the map with the highest
    // median there.
    let top = cells.iter().map(|c| c.key.threads).max().unwrap();
    for lang in mapbench::results::Lang::ALL {
        let best = cells
            .iter()
            .filter(|c| c.key.threads == top && c.key.lang == lang)
            .max_by(|a, b| {
                report::median(&a.throughputs)
                    .unwrap()
                    .total_cmp(&report::median(&b.throughputs).unwrap())
            })
            .unwrap();
        let f = fastest.iter().find(|f| f.lang == lang).unwrap();
        assert_eq!((f.threads, f.map.as_str()), (top, best.key.map.as_str()));
    }
    // Which side leads is the sentence's verdict: make every Go map faster than every
    // Rust map and the sentence turns.
    let mut go_ahead = sample_cells();
    for c in go_ahead.iter_mut() {
        let k = if c.key.lang == mapbench::results::Lang::Go {
            1000.0
        } else {
            1.0
        };
        for v in c.throughputs.iter_mut() {
            *v *= k;
        }
    }
    // The sentence names both maps and their ratio, from the medians.
    let says_ratio = |cells: &[report::CellStats], lead: mapbench::results::Lang| {
        let f = report::fastest(cells);
        let of = |l| f.iter().find(|x| x.lang == l).unwrap();
        let (a, b) = (of(lead), of(lead.other()));
        let t = report::takeaways(cells, &[], false);
        let s = t
            .iter()
            .find(|s| s.contains("Fastest map"))
            .unwrap()
            .clone();
        let title = |l| match l {
            mapbench::results::Lang::Go => "Go",
            mapbench::results::Lang::Rust => "Rust",
        };
        let want = format!(
            "{}'s fastest map (`{}`) runs {:.2} times as fast as {}'s (`{}`)",
            title(lead),
            a.map,
            a.median / b.median,
            title(lead.other()),
            b.map
        );
        assert!(s.contains(&want), "{s}\nexpected: {want}");
        // The sample's winners ran once at 2 threads: no range to call the order settled.
        assert!(s.contains("ran once there"), "{s}");
        assert!(!s.contains("is clear of"), "{s}");
    };
    says_ratio(&go_ahead, mapbench::results::Lang::Go);
    let mut rust_ahead = sample_cells();
    for c in rust_ahead.iter_mut() {
        let k = if c.key.lang == mapbench::results::Lang::Rust {
            1000.0
        } else {
            1.0
        };
        for v in c.throughputs.iter_mut() {
            *v *= k;
        }
    }
    says_ratio(&rust_ahead, mapbench::results::Lang::Rust);
    // Sides that ran at the same time are not ranked against each other, in throughput
    // or in tail latency.
    let t = report::takeaways(&rust_ahead, &[], true);
    assert!(t.iter().all(|s| !s.contains("Fastest map")), "{t:?}");
    assert!(
        t.iter().any(|s| s.contains("not compared across sides")),
        "{t:?}"
    );
    let tails = t.iter().find(|s| s.contains("Tail latency")).unwrap();
    assert!(tails.contains("within a side"), "{tails}");
    assert!(!tails.contains("best p99.9"), "{tails}");
    // The worst and the best map named are of one side.
    let (go, rust) = (
        tails.matches("Go `").count(),
        tails.matches("Rust `").count(),
    );
    assert!((go, rust) == (2, 0) || (go, rust) == (0, 2), "{tails}");
}

/// The sample copied to a scratch directory with its manifest edited by `edit`.
fn sample_with_manifest(test: &str, edit: impl FnOnce(&mut serde_json::Value)) -> PathBuf {
    let dir = scratch(test).join("results");
    std::fs::create_dir_all(&dir).unwrap();
    for e in std::fs::read_dir(testdata().join("results-sample"))
        .unwrap()
        .flatten()
    {
        std::fs::copy(e.path(), dir.join(e.file_name())).unwrap();
    }
    let path = dir.join("manifest.json");
    let mut m: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    edit(&mut m);
    std::fs::write(&path, serde_json::to_string_pretty(&m).unwrap()).unwrap();
    dir
}

fn manifest_of(dir: &Path) -> mapbench::manifest::Manifest {
    serde_json::from_str(&std::fs::read_to_string(dir.join("manifest.json")).unwrap()).unwrap()
}

#[test]
fn sides_that_ran_at_the_same_time_are_not_ranked_against_each_other() {
    // The sample ran one run at a time (two of its runs start in the same second: the
    // timestamps' resolution is not an overlap).
    let sample = manifest_of(&testdata().join("results-sample"));
    assert!(!report::sides_concurrent(Some(&sample)));
    assert!(!report::sides_concurrent(None));
    // Every run started at once and lasting a minute: the sides overlap.
    let overlapping = sample_with_manifest("overlap", |m| {
        for r in m["runs"].as_array_mut().unwrap() {
            r["started_at"] = "2026-11-26T10:00:12Z".into();
            r["elapsed_s"] = 60.0.into();
        }
    });
    assert!(report::sides_concurrent(Some(&manifest_of(&overlapping))));
    // Or the manifest says so (scripts/soak_merge.py), with no usable times.
    let said = sample_with_manifest("said", |m| {
        m["options"]["concurrent_sides"] =
            serde_json::json!(["go: taskset -c 0", "rust: taskset -c 1"]);
        for r in m["runs"].as_array_mut().unwrap() {
            r["elapsed_s"] = serde_json::Value::Null;
        }
    });
    assert!(report::sides_concurrent(Some(&manifest_of(&said))));
    for (dir, how) in [
        (&overlapping, "their run times in `manifest.json` overlap"),
        (&said, "`go: taskset -c 0`, `rust: taskset -c 1`"),
    ] {
        let out = dir.parent().unwrap().join("report");
        report::report(&ReportOptions {
            results_dir: dir.clone(),
            out: out.clone(),
            title: None,
            command: "mapbench report".into(),
            harness_costs: None,
        })
        .unwrap_or_else(|_| panic!("report of {}", dir.display()));
        let md = std::fs::read_to_string(out.join("report.md")).unwrap();
        assert!(md.contains("**Sides at the same time.**"), "{md}");
        assert!(md.contains(how), "{md}");
        assert!(!md.contains("Fastest map per side"), "{md}");
        assert!(!md.contains("| fastest Go map |"), "{md}");
        assert!(md.contains("not compared across sides"), "{md}");
    }
}

#[test]
fn memory_that_keeps_growing_is_told_from_memory_that_is_level() {
    let flat: Vec<f64> = (0..40).map(|i| 100.0 + (i % 3) as f64).collect();
    let growing: Vec<f64> = (0..40).map(|i| 100.0 + 5.0 * i as f64).collect();
    let c = report::second_half_change(&flat).unwrap();
    assert!(c.abs() <= report::LEVEL_CHANGE, "{c}");
    let g = report::second_half_change(&growing).unwrap();
    assert!(g > report::LEVEL_CHANGE, "{g}");
    assert_eq!(report::second_half_change(&[1.0; 4]), None);
}

#[test]
fn every_figure_the_page_references_exists_and_the_page_is_portable() {
    let out = scratch("refs").join("report");
    generate(&out);
    let md = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(md.starts_with(&format!(
        "<!-- Generated by mapbench report; regenerate with: {BLESS_COMMAND} -->"
    )));
    let refs: Vec<&str> = md
        .match_indices("](figures/")
        .map(|(i, _)| {
            let rest = &md[i + 2..];
            &rest[..rest.find(')').unwrap()]
        })
        .collect();
    assert!(
        refs.len() >= 6,
        "expected the figures embedded, found {refs:?}"
    );
    for r in &refs {
        assert!(
            out.join(r).is_file(),
            "report.md references {r}, which is missing"
        );
    }
    // Every figure written is referenced.
    let written = std::fs::read_dir(out.join("figures")).unwrap().count();
    assert_eq!(written, refs.len());
    // Nothing machine-specific: not the scratch path, not the working directory.
    let cwd = std::env::current_dir().unwrap();
    assert!(!md.contains(&*out.to_string_lossy()));
    assert!(!md.contains(&*cwd.to_string_lossy()));
    // The knee with two thread counts, the fit without a long run, the tables.
    assert!(md.contains("needs at least 3 thread counts for a map, so none is located here"));
    assert!(md.contains("No long run in these results"));
    assert!(md.contains("| 1 | go | mutex-map | 3/3 |"));
    // bench.txt is the results' own.
    assert_eq!(
        std::fs::read(out.join("bench.txt")).unwrap(),
        std::fs::read(testdata().join("results-sample/bench.txt")).unwrap()
    );
}

/// Results run with prebuilt runners (`--rust-runner`, `--go-runner`) record no build
/// directory; the page still gives the trace and runner paths relative to the repository.
#[test]
fn commands_are_repository_relative_when_no_runner_was_built() {
    let dir = scratch("prebuilt");
    let results = dir.join("results");
    std::fs::create_dir_all(&results).unwrap();
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let sample = testdata().join("results-sample");
    for entry in std::fs::read_dir(&sample).unwrap() {
        let from = entry.unwrap().path();
        if from.is_file() {
            std::fs::copy(&from, results.join(from.file_name().unwrap())).unwrap();
        }
    }
    // The sample was recorded in a checkout at /work/main: move its paths to this one,
    // and drop what a build would have recorded.
    let text = std::fs::read_to_string(sample.join("manifest.json"))
        .unwrap()
        .replace("/work/main", &repo.to_string_lossy());
    let mut m: serde_json::Value = serde_json::from_str(&text).unwrap();
    for runner in m["runners"].as_object_mut().unwrap().values_mut() {
        runner["build_command"] = serde_json::Value::Null;
        runner["build_cwd"] = serde_json::Value::Null;
    }
    std::fs::write(results.join("manifest.json"), m.to_string()).unwrap();
    let out = dir.join("report");
    report::report(&ReportOptions {
        results_dir: results,
        out: out.clone(),
        title: None,
        command: BLESS_COMMAND.into(),
        harness_costs: None,
    })
    .unwrap_or_else(|_| panic!("report failed"));
    let md = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(md.contains("--trace target/traces/read-heavy-"), "{md}");
    assert!(!md.contains(&*repo.to_string_lossy()), "{md}");
}

fn mapbench(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_mapbench"))
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn bad_input_exits_2_naming_the_file_and_keeps_the_old_report() {
    let dir = scratch("bad");
    let results = dir.join("results");
    std::fs::create_dir_all(&results).unwrap();
    let sample = testdata().join("results-sample");
    for e in std::fs::read_dir(&sample).unwrap().flatten() {
        std::fs::copy(e.path(), results.join(e.file_name())).unwrap();
    }
    let victim = results.join("quick-go-sync-map-read-heavy-t2-r1.jsonl");
    let text = std::fs::read_to_string(&victim).unwrap();
    std::fs::write(
        &victim,
        text.replacen("\"threads\":2", "\"threads\":\"two\"", 1),
    )
    .unwrap();
    let out = dir.join("out");
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(out.join("report.md"), "the earlier report").unwrap();

    let o = mapbench(&[
        "report",
        results.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "stderr: {stderr}");
    assert!(
        stderr.contains("quick-go-sync-map-read-heavy-t2-r1.jsonl"),
        "{stderr}"
    );
    assert!(stderr.contains("threads"), "{stderr}");
    assert_eq!(
        std::fs::read_to_string(out.join("report.md")).unwrap(),
        "the earlier report"
    );

    // Not a results directory at all.
    let empty = dir.join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    let o = mapbench(&[
        "report",
        empty.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "stderr: {stderr}");
    assert!(stderr.contains("not a results directory"), "{stderr}");

    // A broken latency log is named too.
    std::fs::write(&victim, text).unwrap();
    std::fs::write(
        results.join("quick-go-sync-map-read-heavy-t2-r1.hlog"),
        "0.1,0.1,1.0,@@@\n",
    )
    .unwrap();
    let o = mapbench(&[
        "report",
        results.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "stderr: {stderr}");
    assert!(
        stderr.contains("quick-go-sync-map-read-heavy-t2-r1.hlog"),
        "{stderr}"
    );
    assert_eq!(
        std::fs::read_to_string(out.join("report.md")).unwrap(),
        "the earlier report"
    );
}

#[test]
fn the_knee_rule_on_synthetic_sweeps() {
    // Linear to 4 threads, then flat: the knee is at 4.
    let sweep = [
        (1.0, 10.0),
        (2.0, 20.0),
        (4.0, 39.0),
        (8.0, 45.0),
        (16.0, 46.0),
    ];
    match report::knee(&sweep) {
        Knee::At {
            load,
            gain_fraction,
        } => {
            assert_eq!(load, 4.0);
            assert!((gain_fraction - 6.0 / 40.0).abs() < 1e-12);
        }
        k => panic!("expected a knee at 4, got {k:?}"),
    }
    // Order does not matter.
    let mut shuffled = sweep;
    shuffled.reverse();
    assert_eq!(report::knee(&shuffled), report::knee(&sweep));
    // Scaling all the way: no knee.
    assert_eq!(
        report::knee(&[(1.0, 10.0), (2.0, 19.0), (3.0, 27.0)]),
        Knee::NoKnee { last: 3.0 }
    );
    // Falling throughput is a knee at the first point.
    assert!(matches!(
        report::knee(&[(1.0, 10.0), (2.0, 8.0), (3.0, 7.0)]),
        Knee::At { load: 1.0, .. }
    ));
    // Two points: none can be located.
    assert_eq!(
        report::knee(&[(1.0, 10.0), (2.0, 12.0)]),
        Knee::TooFewPoints(2)
    );
}

/// Deterministic noise in [−1, 1] (no RNG crate needed).
fn noise(i: usize) -> f64 {
    let x = ((i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 11) as f64 / (1u64 << 53) as f64;
    2.0 * x - 1.0
}

fn param(f: &fit::Fit, name: &str) -> f64 {
    f.params.iter().find(|(n, _)| *n == name).unwrap().1
}

#[test]
fn a_flat_noisy_curve_has_no_identifiable_decay() {
    // A churn run at steady state: 200 MB ± 1 MB, sampled every second for 60 s. The
    // double exponential can always lower the RSS a little with two huge opposite terms
    // or a time constant longer than the run; it must be marked, and the line preferred.
    let t: Vec<f64> = (1..=60).map(f64::from).collect();
    let y: Vec<f64> = (0..60).map(|i| 200e6 + 1e6 * noise(i + 7)).collect();
    let c = fit::compare(&t, &y);
    let d = c.double_exp.as_ref().expect("the fit runs");
    assert!(
        d.unidentifiable.is_some(),
        "a decay was reported identifiable on flat noise: {d:?}"
    );
    assert_eq!(c.better, fit::LINEAR, "{c:?}");
    assert!(c.best().unidentifiable.is_none());
    // The best fit's curve is the level of the data.
    assert!((c.best().predict(30.0) - 200e6).abs() < 1e6);
}

#[test]
fn one_exponential_stage_is_recovered_and_preferred_over_two() {
    // 150 MB falling onto 100 MB with τ = 8 s, sampled every 0.5 s for 60 s.
    let t: Vec<f64> = (0..120).map(|i| f64::from(i) * 0.5).collect();
    let y: Vec<f64> = t
        .iter()
        .enumerate()
        .map(|(i, &t)| 50e6 * (-t / 8.0).exp() + 100e6 + 0.1e6 * noise(i))
        .collect();
    let c = fit::compare(&t, &y);
    let s = c.single_exp.as_ref().expect("the single exponential fits");
    assert!(s.unidentifiable.is_none(), "{s:?}");
    assert!((param(s, "τ") - 8.0).abs() < 0.4, "τ = {}", param(s, "τ"));
    assert!((param(s, "a") - 50e6).abs() < 2e6, "a = {}", param(s, "a"));
    assert!((param(s, "c") - 100e6).abs() < 1e6, "c = {}", param(s, "c"));
    assert_ne!(c.better, fit::LINEAR, "{c:?}");
    assert!(s.aic < c.linear.aic);
    // Whichever exponential model wins, its curve follows the data.
    let best = c.best();
    for (&ti, &yi) in t.iter().zip(&y).step_by(10) {
        assert!(
            (best.predict(ti) - yi).abs() < 1e6,
            "at t = {ti}: {} vs {yi}",
            best.predict(ti)
        );
    }
}

#[test]
fn a_decay_slower_than_the_run_is_not_identifiable() {
    // τ = 600 s watched for 60 s: the data show a nearly straight slope.
    let t: Vec<f64> = (1..=60).map(f64::from).collect();
    let y: Vec<f64> = t
        .iter()
        .enumerate()
        .map(|(i, &t)| 100e6 * (-t / 600.0).exp() + 50e6 + 0.05e6 * noise(i))
        .collect();
    let c = fit::compare(&t, &y);
    let s = c.single_exp.as_ref().unwrap();
    let why = s.unidentifiable.as_deref().unwrap_or("");
    assert!(why.contains("longer than the run"), "{s:?}");
    assert_eq!(c.better, fit::LINEAR, "{c:?}");
}

#[test]
fn the_fit_recovers_a_double_exponential_and_prefers_it() {
    // 300 MB settling in two stages onto 100 MB, sampled every 0.5 s for 120 s.
    let t: Vec<f64> = (0..240).map(|i| f64::from(i) * 0.5).collect();
    let y: Vec<f64> = t
        .iter()
        .enumerate()
        .map(|(i, &t)| {
            120e6 * (-t / 3.0).exp() + 80e6 * (-t / 30.0).exp() + 100e6 + 0.2e6 * noise(i)
        })
        .collect();
    let c = fit::compare(&t, &y);
    let d = c
        .double_exp
        .as_ref()
        .expect("the double exponential converges");
    let close = |got: f64, want: f64, tol: f64| {
        assert!(
            ((got - want) / want).abs() < tol,
            "got {got}, want {want} ± {tol:.0e}"
        );
    };
    close(param(d, "a"), 120e6, 0.05);
    close(param(d, "τ1"), 3.0, 0.05);
    close(param(d, "b"), 80e6, 0.05);
    close(param(d, "τ2"), 30.0, 0.05);
    close(param(d, "c"), 100e6, 0.02);
    assert!(d.r2 > 0.999, "R² {}", d.r2);
    assert!(d.rmse < 0.3e6, "RMSE {}", d.rmse);
    assert!(d.unidentifiable.is_none(), "{d:?}");
    assert_eq!(c.better, fit::DOUBLE_EXP);
    assert!(d.aic < c.linear.aic);
    assert!(d.aic < c.single_exp.as_ref().unwrap().aic);
}

#[test]
fn the_fit_prefers_the_line_for_a_linear_curve() {
    // Steady growth: 50 MB + 1 MB/s with noise.
    let t: Vec<f64> = (0..200).map(|i| f64::from(i) * 0.5).collect();
    let y: Vec<f64> = t
        .iter()
        .enumerate()
        .map(|(i, &t)| 50e6 + 1e6 * t + 0.5e6 * noise(i))
        .collect();
    let c = fit::compare(&t, &y);
    assert_eq!(c.better, fit::LINEAR, "{c:?}");
    assert!((param(&c.linear, "m") - 1e6).abs() < 0.02e6);
    assert!(c.linear.r2 > 0.99);
}

#[test]
fn harness_costs_are_stated_and_a_bad_file_exits_2_naming_the_field() {
    let dir = scratch("costs");
    let costs = dir.join("harness-costs.json");
    let good = serde_json::json!({
        "git": "abc123",
        "rust": {"noop_ns_per_op": 1.25, "runs": 5, "workload": "get-sweep-100",
                 "threads": 1, "latency_sample_every": 1024},
        "go": {"noop_ns_per_op": 3.5, "runs": 5, "workload": "get-sweep-100",
               "threads": 1, "latency_sample_every": 1024}
    });
    std::fs::write(&costs, good.to_string()).unwrap();
    let out = dir.join("out");
    let results = testdata().join("results-sample");
    let args = |c: &Path| {
        vec![
            "report".to_owned(),
            results.display().to_string(),
            "--out".to_owned(),
            out.display().to_string(),
            "--harness-costs".to_owned(),
            c.display().to_string(),
        ]
    };
    let a = args(&costs);
    let o = mapbench(&a.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let page = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(
        page.contains("Harness cost: Rust 1.2 ns/op, Go 3.5 ns/op")
            || page.contains("Harness cost: Rust 1.3 ns/op, Go 3.5 ns/op"),
        "{page}"
    );
    assert!(
        page.contains("abc123") && page.contains("--harness-costs"),
        "{page}"
    );

    let mut bad = good.clone();
    bad["go"]["noop_ns_per_op"] = "fast".into();
    std::fs::write(&costs, bad.to_string()).unwrap();
    let o = mapbench(&a.iter().map(String::as_str).collect::<Vec<_>>());
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "stderr: {stderr}");
    assert!(
        stderr.contains("harness-costs.json") && stderr.contains("go.noop_ns_per_op"),
        "{stderr}"
    );
    // The report from before is still there.
    assert_eq!(
        std::fs::read_to_string(out.join("report.md")).unwrap(),
        page
    );
}
