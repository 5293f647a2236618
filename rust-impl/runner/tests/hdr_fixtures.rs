//! The cross-language HDR fixtures in `comparisons/testdata/hdr/`: ours decodes to what we
//! recorded (and is current), and Go's, when present, decodes to what Go recorded.

mod common;

use cmap_runner::fixture::{ExpectedInterval, ExpectedLog, fixture_expected, fixture_histograms};
use cmap_runner::hlog::read_log;

use common::testdata;

#[test]
fn the_rust_fixture_decodes_to_its_expected_values() {
    let log = read_log(&std::fs::read(testdata("hdr/rust-interval.hlog")).unwrap()).unwrap();
    let expected: ExpectedLog = serde_json::from_str(
        &std::fs::read_to_string(testdata("hdr/rust-interval.expected.json")).unwrap(),
    )
    .unwrap();
    // Current: regenerate with `cargo run -p cmap-runner --example write_hdr_fixture`.
    assert_eq!(
        expected,
        fixture_expected(),
        "rust-interval.expected.json is stale"
    );
    assert_eq!(
        log.start_time.unwrap().as_secs_f64(),
        expected.start_time_unix_s
    );
    assert_eq!(
        log.base_time.unwrap().as_secs_f64(),
        expected.base_time_unix_s
    );
    assert_eq!(log.intervals.len(), expected.intervals.len());
    for ((logged, want), recorded) in log
        .intervals
        .iter()
        .zip(&expected.intervals)
        .zip(fixture_histograms())
    {
        assert_eq!(
            &ExpectedInterval::of(&logged.hist, logged.start, logged.length),
            want
        );
        assert_eq!(
            logged.hist, recorded,
            "the decoded histogram holds exactly what was recorded"
        );
    }
}

#[test]
fn the_go_fixture_decodes_to_what_go_reported() {
    let hlog = testdata("hdr/go-interval.hlog");
    let json = testdata("hdr/go-interval.expected.json");
    if !hlog.exists() || !json.exists() {
        eprintln!(
            "skipped: {} or {} not present yet",
            hlog.display(),
            json.display()
        );
        return;
    }
    let log = read_log(&std::fs::read(&hlog).unwrap()).unwrap();
    let expected: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    let start = expected["start_time_unix_s"]
        .as_f64()
        .expect("start_time_unix_s");
    assert_eq!(log.start_time.map(|t| t.as_secs_f64()), Some(start));
    let want = expected["intervals"].as_array().expect("intervals array");
    assert_eq!(log.intervals.len(), want.len());
    for (logged, want) in log.intervals.iter().zip(want) {
        let h = &logged.hist;
        let got = ExpectedInterval::of(h, logged.start, logged.length);
        assert_eq!(logged.tag.as_deref(), want["tag"].as_str());
        assert_eq!(Some(got.start_s), want["start_s"].as_f64());
        assert_eq!(Some(got.length_s), want["length_s"].as_f64());
        for (field, value) in [
            ("count", got.count),
            ("min", got.min),
            ("max", got.max),
            ("p50", got.p50),
            ("p90", got.p90),
            ("p99", got.p99),
            ("p999", got.p999),
        ] {
            if let Some(w) = want.get(field).and_then(|v| v.as_u64()) {
                assert_eq!(
                    value, w,
                    "go-interval interval at {:?}: {field}",
                    logged.start
                );
            }
        }
    }
}
