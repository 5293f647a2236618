//! The runner writes its records with `cmap_formats::results`' types, the ones every
//! reader uses: what it writes, read back through `read_run` and written again, is the
//! same bytes (every field typed, none lost to `extra`, the same order and number
//! spelling). Runs cover the record variants: a counted map (interval `reclaim`), a
//! calibrated op delay (`op_delay_*`), latency off, string keys, and `noop`.

mod common;

use cmap_formats::results::{ListedMap, Record, read_run};

use common::*;

/// Re-serializes every record of `run_id`'s file and compares it with the line written.
fn assert_round_trips(dir: &std::path::Path, run_id: &str) {
    let path = dir.join(format!("{run_id}.jsonl"));
    let written = std::fs::read_to_string(&path).unwrap();
    let lines: Vec<&str> = written.lines().collect();
    let mut run = read_run(&path).unwrap();
    // A record read back keeps its `type` in `extra`; it must be the only thing there.
    for extra in std::iter::once(&mut run.start.extra)
        .chain(run.intervals.iter_mut().map(|i| &mut i.extra))
        .chain(run.end.iter_mut().map(|e| &mut e.extra))
    {
        assert!(extra.remove("type").is_some());
        assert!(extra.is_empty(), "{run_id}: untyped fields {extra:?}");
    }
    let again: Vec<String> = std::iter::once(Record::RunStart(&run.start))
        .chain(run.intervals.iter().map(Record::Interval))
        .chain(run.end.iter().map(Record::RunEnd))
        .map(|r| serde_json::to_string(&r).unwrap())
        .collect();
    assert_eq!(again.len(), lines.len(), "{run_id}: record count");
    for (i, (a, w)) in again.iter().zip(&lines).enumerate() {
        assert_eq!(a, w, "{run_id}: line {} differs after a round trip", i + 1);
    }
}

#[test]
fn written_records_read_back_and_write_the_same_bytes() {
    let dir = fresh_dir("round-trip");
    let golden = testdata("golden.trace");
    let cases: [(&str, &str, &[&str]); 5] = [
        (
            "counted",
            "papaya-blocking-sip",
            &["--interval-ms", "1", "--latency-sample-every", "2"],
        ),
        ("delay", "dashmap-foldhash", &["--op-delay-ns", "20"]),
        (
            "no-latency",
            "mutex-std-foldhash",
            &["--latency-sample-every", "0", "--warmup-ops", "5"],
        ),
        ("noop", "noop", &[]),
        ("steps", "rwlock-std-sip", &["--op-work-steps", "2"]),
    ];
    for (id, map, args) in cases {
        run_ok(&golden, map, &dir, id, args);
        assert_round_trips(&dir, id);
    }
    run_ok(
        &testdata("golden-string.trace"),
        "flurry-ahash",
        &dir,
        "string",
        &["--latency-sample-every", "1"],
    );
    assert_round_trips(&dir, "string");
}

#[test]
fn list_maps_lines_round_trip() {
    let out = runner().arg("--list-maps").output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.lines().count() > 1);
    for line in text.lines() {
        let listed: ListedMap = serde_json::from_str(line).unwrap();
        assert!(listed.info.extra.is_empty(), "untyped fields in {line}");
        assert_eq!(serde_json::to_string(&listed).unwrap(), line);
    }
}
