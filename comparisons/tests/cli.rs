//! The `mapbench` binary: exit statuses, messages, and that bad input writes nothing.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn mapbench(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mapbench"))
        .args(args)
        .output()
        .expect("run mapbench")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn testdata(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("testdata")
        .join(name)
        .display()
        .to_string()
}

/// A fresh scratch directory per test.
fn scratch(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("mapbench-cli-{}-{test}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn entries(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn trace_reproduces_the_golden_file_and_prints_its_sha256() {
    let dir = scratch("golden");
    let out = dir.join("g.trace");
    let o = mapbench(&[
        "trace",
        "--workload",
        &testdata("golden.toml"),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let golden = std::fs::read(testdata("golden.trace")).unwrap();
    assert_eq!(std::fs::read(&out).unwrap(), golden);
    let sha = mapbench::trace::sha256_hex(&golden);
    assert_eq!(String::from_utf8_lossy(&o.stdout).trim(), sha);
    assert_eq!(
        std::fs::read_to_string(dir.join("g.trace.sha256")).unwrap(),
        format!("{sha}  g.trace\n")
    );
    assert_eq!(entries(&dir), ["g.trace", "g.trace.sha256"]);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn overrides_apply_and_names_resolve() {
    let dir = scratch("names");
    let out = dir.join("rh.trace");
    let o = mapbench(&[
        "trace",
        "--workload",
        "read-heavy",
        "--out",
        out.to_str().unwrap(),
        "--threads",
        "3",
        "--ops-per-thread",
        "10",
        "--seed",
        "9",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let t = mapbench::trace::Trace::open(&out).unwrap();
    let h = t.header();
    assert_eq!(
        (h.name.as_str(), h.threads, h.ops_per_thread, h.seed),
        ("read-heavy", 3, 10, 9)
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn unknown_workload_name_lists_the_available_ones_and_exits_2() {
    let dir = scratch("unknown");
    let out = dir.join("x.trace");
    let o = mapbench(&[
        "trace",
        "--workload",
        "read-hevy",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    let e = stderr(&o);
    assert!(e.contains("unknown workload `read-hevy`"), "{e}");
    assert!(e.contains("available: exchange, get-sweep-100"), "{e}");
    assert!(entries(&dir).is_empty());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn invalid_spec_exits_2_naming_file_and_field_and_writes_nothing() {
    let dir = scratch("invalid");
    let golden = std::fs::read_to_string(testdata("golden.toml")).unwrap();
    let cases = [
        (
            "mix.toml",
            golden.replace("get = 40", "get = 30"),
            "field `mix`: expected get + insert + update + remove = 100",
        ),
        (
            "theta.toml",
            golden.replace("theta = 0.99", "theta = 1.2"),
            "field `distribution.theta`: expected 0 < theta < 1",
        ),
        (
            "unknown.toml",
            golden.replace("seed = ", "colour = 1\nseed = "),
            "unknown field `colour`",
        ),
        (
            "threads.toml",
            golden.replace("threads = 2", "threads = 0"),
            "field `threads`: expected 1 to 1024 threads, found 0",
        ),
        (
            "keys.toml",
            golden.replace("key_space = 1000", "key_space = 0"),
            "field `key_space`",
        ),
        (
            "broken.toml",
            golden.replace("[mix]", "[mix"),
            "not a valid workload spec",
        ),
    ];
    for (file, text, want) in cases {
        let spec = dir.join(file);
        std::fs::write(&spec, text).unwrap();
        let out = dir.join("out.trace");
        let o = mapbench(&[
            "trace",
            "--workload",
            spec.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ]);
        assert_eq!(o.status.code(), Some(2), "{file}");
        let e = stderr(&o);
        assert!(
            e.contains(spec.to_str().unwrap()) && e.contains(want),
            "{file}: {e}"
        );
        assert!(
            !out.exists() && !dir.join("out.trace.sha256").exists(),
            "{file}"
        );
    }
    let out = dir.join("out.trace");
    let o = mapbench(&[
        "trace",
        "--workload",
        &testdata("golden.toml"),
        "--out",
        out.to_str().unwrap(),
        "--threads",
        "0",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("threads (--threads)"));
    assert_eq!(
        entries(&dir).iter().filter(|f| f.contains("trace")).count(),
        0
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn trace_info_prints_header_and_json_summary() {
    let o = mapbench(&["trace-info", &testdata("golden.trace")]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(text.contains("workload       golden"), "{text}");
    assert!(text.contains("threads        2 × 1000 ops"), "{text}");
    assert!(text.contains("(matches "), "{text}");
    let o = mapbench(&["trace-info", "--json", &testdata("golden.trace")]);
    assert!(o.status.success());
    let expected = std::fs::read_to_string(testdata("golden.summary.json")).unwrap();
    assert_eq!(String::from_utf8_lossy(&o.stdout), expected);
}

#[test]
fn trace_info_rejects_corrupt_traces_and_checksum_mismatches() {
    let dir = scratch("info");
    let golden = std::fs::read(testdata("golden.trace")).unwrap();
    let cut = dir.join("cut.trace");
    std::fs::write(&cut, &golden[..golden.len() - 8]).unwrap();
    let o = mapbench(&["trace-info", cut.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("cut.trace: truncated op stream"),
        "{}",
        stderr(&o)
    );

    let copy = dir.join("copy.trace");
    std::fs::write(&copy, &golden).unwrap();
    std::fs::write(
        dir.join("copy.trace.sha256"),
        format!("{}  copy.trace\n", "0".repeat(64)),
    )
    .unwrap();
    let o = mapbench(&["trace-info", copy.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("does not match"), "{}", stderr(&o));

    let o = mapbench(&["trace-info", dir.join("none.trace").to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn matrix_report_bad_input_exits_2_naming_the_file_and_writes_nothing() {
    let dir = scratch("matrix-report");
    let out = dir.join("out");
    // No such directory.
    let missing = dir.join("no-such-results");
    let o = mapbench(&[
        "matrix-report",
        &missing.display().to_string(),
        "--out",
        &out.display().to_string(),
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("no-such-results") && stderr(&o).contains("not a directory"),
        "{}",
        stderr(&o)
    );
    assert!(!out.exists(), "bad input wrote {}", out.display());
    // A results directory of another suite: no matrix cell in it.
    let o = mapbench(&[
        "matrix-report",
        &testdata("results-sample"),
        "--out",
        &out.display().to_string(),
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("results-sample") && stderr(&o).contains("matrix-SIZE-rREADS"),
        "{}",
        stderr(&o)
    );
    assert!(!out.exists());
    // An --out holding other files is refused and left as it was.
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(out.join("keep.md"), "mine").unwrap();
    let o = mapbench(&[
        "matrix-report",
        &testdata("results-sample"),
        "--out",
        &out.display().to_string(),
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("keep.md"), "{}", stderr(&o));
    assert_eq!(entries(&out), ["keep.md"]);
    std::fs::remove_dir_all(&dir).ok();
}
