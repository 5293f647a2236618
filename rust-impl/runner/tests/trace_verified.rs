//! The trace is checked against its `.sha256` before the run starts: a trace whose bytes
//! changed after `mapbench trace` wrote them is refused (exit 2, nothing written), even
//! when the changed bytes still form a well-formed trace.

mod common;

use cmap_formats::trace::{self, Trace};
use common::*;

/// A golden trace copy in `dir` with its sidecar, and one op replaced by another op of
/// the same stream (still a well-formed trace, not the one the sidecar records).
fn corrupted_copy(dir: &std::path::Path) -> std::path::PathBuf {
    let good = std::fs::read(testdata("golden.trace")).unwrap();
    let h = Trace::from_bytes(&good, "golden").unwrap().header().clone();
    let at = h.header_len as usize + 8 * h.prefill_count as usize;
    let other = (1..h.ops_per_thread as usize)
        .map(|i| at + 8 * i)
        .find(|&o| good[o..o + 8] != good[at..at + 8])
        .unwrap();
    let mut bad = good.clone();
    bad.copy_within(other..other + 8, at);
    assert!(Trace::from_bytes(&bad, "bad").is_ok(), "still well formed");
    let path = dir.join("flipped.trace");
    std::fs::write(&path, &bad).unwrap();
    std::fs::copy(testdata("golden.trace.sha256"), trace::sha256_path(&path)).unwrap();
    path
}

#[test]
fn a_trace_that_does_not_match_its_sidecar_is_refused() {
    let dir = fresh_dir("verify");
    let path = corrupted_copy(&dir);
    let out_dir = dir.join("out");
    let out = run(&path, "noop", &out_dir, "v", &[]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    for want in [
        "--trace",
        "flipped.trace: sha256 does not match",
        "flipped.trace.sha256: expected",
    ] {
        assert!(stderr.contains(want), "want {want:?}: {stderr}");
    }
    assert!(!out_dir.join("v.jsonl").exists() && !out_dir.join("v.hlog").exists());
}

#[test]
fn a_matching_sidecar_runs_and_a_missing_one_is_warned_about() {
    let dir = fresh_dir("verify-ok");
    let (records, _) = run_ok(&testdata("golden.trace"), "noop", &dir, "ok", &[]);
    let sha = std::fs::read_to_string(testdata("golden.trace.sha256")).unwrap();
    assert_eq!(
        records[0]["trace_sha256"].as_str().unwrap(),
        sha.split_whitespace().next().unwrap()
    );
    let bare = dir.join("bare.trace");
    std::fs::copy(testdata("golden.trace"), &bare).unwrap();
    let out = run(&bare, "noop", &dir, "bare", &[]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("bare.trace.sha256: not found")
            && stderr.contains("not against its SHA-256"),
        "{stderr}"
    );
}
