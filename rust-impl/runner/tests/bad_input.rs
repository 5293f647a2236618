//! Bad input: exit status 2, a message naming the file or flag, nothing overwritten.

mod common;

use std::path::Path;
use std::process::Output;

use common::*;

fn assert_bad_input(out: &Output, mentions: &[&str]) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "stderr: {stderr}");
    for m in mentions {
        assert!(stderr.contains(m), "stderr should mention {m:?}: {stderr}");
    }
}

fn files_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn a_single_threaded_map_refuses_a_two_thread_trace() {
    let dir = fresh_dir("unsync");
    let out = run(
        &testdata("golden.trace"),
        "unsync-std-foldhash",
        &dir,
        "u",
        &[],
    );
    assert_bad_input(
        &out,
        &[
            "--map unsync-std-foldhash",
            "at most 1 thread",
            "golden.trace",
        ],
    );
    assert!(files_in(&dir).is_empty());
}

#[test]
fn an_unknown_map_lists_the_names() {
    let dir = fresh_dir("unknown");
    let out = run(&testdata("golden.trace"), "dashmap-fast", &dir, "x", &[]);
    assert_bad_input(
        &out,
        &[
            "--map `dashmap-fast`",
            "dashmap-foldhash",
            "papaya-incremental-sip",
            "noop",
        ],
    );
    assert!(files_in(&dir).is_empty());
}

#[test]
fn a_truncated_trace_is_rejected() {
    let dir = fresh_dir("truncated");
    let bytes = std::fs::read(testdata("golden.trace")).unwrap();
    let path = dir.join("short.trace");
    std::fs::write(&path, &bytes[..bytes.len() - 8]).unwrap();
    let out_dir = dir.join("out");
    let out = run(&path, "dashmap-foldhash", &out_dir, "t", &[]);
    assert_bad_input(&out, &["--trace", "short.trace", "truncated op stream"]);
    assert!(!out_dir.join("t.jsonl").exists());
}

#[test]
fn a_missing_or_garbled_trace_is_rejected() {
    let dir = fresh_dir("garbled");
    let missing = dir.join("nope.trace");
    assert_bad_input(&run(&missing, "noop", &dir, "m", &[]), &["nope.trace"]);
    let garbled = dir.join("garbled.trace");
    std::fs::write(&garbled, b"not a trace at all, just some bytes..............................................................").unwrap();
    assert_bad_input(
        &run(&garbled, "noop", &dir, "g", &[]),
        &["garbled.trace", "MAPTRACE"],
    );
}

#[test]
fn an_existing_run_id_is_never_overwritten() {
    let dir = fresh_dir("existing");
    let old = dir.join("r1.jsonl");
    std::fs::write(&old, "precious\n").unwrap();
    let out = run(
        &testdata("golden.trace"),
        "dashmap-foldhash",
        &dir,
        "r1",
        &[],
    );
    assert_bad_input(&out, &["--run-id r1", "r1.jsonl", "already exists"]);
    assert_eq!(std::fs::read_to_string(&old).unwrap(), "precious\n");
    assert!(!dir.join("r1.hlog").exists());

    // An .hlog alone also blocks the id.
    std::fs::write(dir.join("r2.hlog"), "old").unwrap();
    assert_bad_input(
        &run(&testdata("golden.trace"), "noop", &dir, "r2", &[]),
        &["r2.hlog"],
    );
    assert!(!dir.join("r2.jsonl").exists());

    // And a completed run blocks a second one with the same id.
    let (records, _) = run_ok(&testdata("golden.trace"), "noop", &dir, "r3", &[]);
    let before = std::fs::read(dir.join("r3.jsonl")).unwrap();
    assert_bad_input(
        &run(&testdata("golden.trace"), "noop", &dir, "r3", &[]),
        &["r3.jsonl"],
    );
    assert_eq!(std::fs::read(dir.join("r3.jsonl")).unwrap(), before);
    assert_eq!(records.len(), read_jsonl(&dir.join("r3.jsonl")).len());
}

#[test]
fn bad_flags_are_rejected() {
    let dir = fresh_dir("flags");
    let trace = testdata("golden.trace");
    assert_bad_input(&run(&trace, "noop", &dir, "../escape", &[]), &["--run-id"]);
    assert_bad_input(&run(&trace, "noop", &dir, "..", &[]), &["--run-id"]);
    assert_bad_input(&run(&trace, "noop", &dir, "a b", &[]), &["--run-id"]);
    assert_bad_input(
        &run(&trace, "noop", &dir, "a", &["--interval-ms", "0"]),
        &["--interval-ms"],
    );
    assert_bad_input(
        &run(&trace, "noop", &dir, "b", &["--duration-ms", "soon"]),
        &["--duration-ms"],
    );
    let missing_map = runner()
        .arg("--trace")
        .arg(&trace)
        .args(["--out-dir", "x", "--run-id", "c"])
        .output()
        .unwrap();
    assert_bad_input(&missing_map, &["--map"]);
    assert!(files_in(&dir).is_empty());

    // An out-dir that is a file.
    let file = dir.join("plain-file");
    std::fs::write(&file, "").unwrap();
    assert_bad_input(&run(&trace, "noop", &file, "d", &[]), &["--out-dir"]);
}
