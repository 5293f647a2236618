//! Single-threaded replays give exactly what `comparisons/testdata/golden.summary.json`
//! (the trace library's `sequential_replay`) says a correct map must give.

mod common;

use std::sync::atomic::AtomicBool;

use cmap_formats::trace::{CHECKSUM_INIT, Trace, key_for_id, state_checksum};
use cmap_formats::workload::Overrides;
use cmap_maps::{ConcurrentMap, MapHandle, MapVisitor, ReadVisibility};
use cmap_runner::replay::{self, GET, INSERT, REMOVE, Tally, UPDATE};
use serde_json::Value;

use common::*;

fn golden_summary() -> Value {
    let text = std::fs::read_to_string(testdata("golden.summary.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn hex(v: &Value) -> u64 {
    u64::from_str_radix(v.as_str().unwrap().trim_start_matches("0x"), 16).unwrap()
}

/// What one map did in a sequential replay through one handle.
struct Replayed {
    tally: Tally,
    final_len: u64,
    state_checksum: u64,
    result_checksum: u64,
    immediate: bool,
}

/// Prefill, then thread 0's ops, thread 1's, ... through one handle on this thread: the
/// runner's own replay functions, in file order.
struct SequentialReplay<'a>(&'a Trace);

impl MapVisitor for SequentialReplay<'_> {
    type Output = Replayed;

    fn visit<M: ConcurrentMap>(self) -> Replayed {
        let t = self.0;
        let h = t.header();
        let map = M::with_capacity(h.presize_capacity().unwrap_or(0) as usize);
        let mut handle = map.handle();
        let created =
            replay::prefill(&mut handle, t.prefill_raw(), &AtomicBool::new(false)).unwrap();
        let mut tally = Tally::default();
        let mut result_checksum = 0;
        for thread in 0..h.threads {
            let mut acc = CHECKSUM_INIT;
            let words = t.thread_ops(thread).raw();
            replay::replay_untimed(
                &mut handle,
                &replay::decode_kinds(words),
                &replay::decode_keys(words),
                thread,
                0,
                &mut tally,
                &mut acc,
            );
            result_checksum ^= acc;
        }
        handle.quiesce();
        let entries: Vec<(u64, u64)> = (0..h.key_id_bound)
            .map(key_for_id)
            .filter_map(|k| handle.get(k).map(|v| (k, v)))
            .collect();
        let final_len = (created as i64 + tally.net_new_keys()) as u64;
        assert_eq!(
            final_len,
            entries.len() as u64,
            "{}: counted length vs probed length",
            M::describe().name
        );
        Replayed {
            tally,
            final_len,
            state_checksum: state_checksum(entries),
            result_checksum,
            immediate: M::describe().reads == ReadVisibility::Immediate,
        }
    }
}

#[test]
fn sequential_replay_of_the_golden_trace_matches_its_summary_for_every_map() {
    let trace = Trace::open(&testdata("golden.trace")).unwrap();
    let expected = &golden_summary()["summary"]["sequential_replay"];
    let reference = reference_checksum(&trace);
    for info in cmap_maps::all() {
        let r = cmap_maps::visit_by_name(info.name, SequentialReplay(&trace)).unwrap();
        let name = info.name;
        assert_eq!(r.tally.total(), 2000, "{name}");
        assert_eq!(
            r.tally.hits[INSERT],
            num(expected, "insert_new"),
            "{name}: insert_new"
        );
        assert_eq!(
            r.tally.hits[UPDATE],
            num(expected, "update_hits"),
            "{name}: update hits"
        );
        assert_eq!(
            r.tally.hits[REMOVE],
            num(expected, "remove_hits"),
            "{name}: remove hits"
        );
        assert_eq!(r.final_len, num(expected, "final_len"), "{name}: final_len");
        assert_eq!(
            r.state_checksum,
            hex(&expected["state_checksum"]),
            "{name}: state checksum"
        );
        // A map whose writes are published in batches may serve stale gets (MapInfo::reads).
        if r.immediate {
            assert_eq!(
                r.tally.hits[GET],
                num(expected, "get_hits"),
                "{name}: get hits"
            );
            assert_eq!(r.result_checksum, reference, "{name}: result checksum");
        }
    }
}

/// The binary on a one-thread trace (the golden spec with `threads = 1`): hits, final
/// length and checksum equal the trace's own sequential replay.
#[test]
fn one_thread_runs_report_the_sequential_replay() {
    let dir = fresh_dir("one-thread");
    let path = golden_variant(
        &dir,
        "golden-1t.trace",
        Overrides {
            threads: Some(1),
            ops_per_thread: Some(2000),
            seed: None,
        },
    );
    let trace = Trace::open(&path).unwrap();
    let expected = trace.sequential_replay();
    let reference = reference_checksum(&trace);
    let maps = [
        "unsync-std-foldhash",
        "mutex-std-sip",
        "dashmap-foldhash",
        "papaya-incremental-sip",
        "evmap-refresh-each-sip",
        "scc-sip",
        "flurry-ahash",
        "gosyncmap-foldhash",
    ];
    for map in maps {
        if cmap_runner::resolve_map(map).is_err() {
            panic!("{map} is not registered: update this list from --list-maps");
        }
        // The lean loop (no spin asked for) and the spin loop (`--op-work-steps`, what a
        // compare check runs) replay the same ops to the same results.
        for (id, args) in [
            (map.to_owned(), &["--interval-ms", "1"][..]),
            (
                format!("{map}-spin"),
                &["--interval-ms", "1", "--op-work-steps", "3"][..],
            ),
        ] {
            let (records, stdout) = run_ok(&path, map, &dir, &id, args);
            let (_, end) = check_sequence(&records, 1);
            assert_eq!(end["status"], "ok");
            let hits = &end["hits"];
            assert_eq!(num(hits, "get"), expected.get_hits, "{map}");
            assert_eq!(num(hits, "insert_new"), expected.insert_new, "{map}");
            assert_eq!(num(hits, "update"), expected.update_hits, "{map}");
            assert_eq!(num(hits, "remove"), expected.remove_hits, "{map}");
            assert_eq!(num(&end, "final_len"), expected.final_len, "{map}");
            assert_eq!(hex(&end["checksum"]), reference, "{map}: checksum");
            assert!(
                stdout.starts_with(&format!(
                    "BenchmarkReplay/workload=golden/map={map}/lang=rust/threads=1 \t2000 \t"
                )),
                "{stdout}"
            );
        }
    }

    // noop: no hits, nothing stored, one miss marker folded per get.
    let (records, _) = run_ok(&path, "noop", &dir, "noop", &[]);
    let (_, end) = check_sequence(&records, 100);
    let gets = trace
        .thread_ops(0)
        .iter()
        .filter(|op| op.kind == cmap_formats::workload::OpKind::Get)
        .count();
    let misses = (0..gets).fold(CHECKSUM_INIT, |acc, _| {
        (acc ^ u64::MAX).wrapping_mul(cmap_formats::trace::CHECKSUM_PRIME)
    });
    assert_eq!(hex(&end["checksum"]), misses);
    assert_eq!(num(&end, "final_len"), 0);
    assert_eq!(sum_intervals(&records, "hits", "get"), 0);
    assert_eq!(num(&end["ops"], "get"), gets as u64);
}

/// The binary on the string golden spec (string keys, boxed values) with one thread:
/// the same hits, length and checksum as the trace's sequential replay, `run_start`
/// records the key type and value kind, and a u64-only map refuses the trace (exit 2).
#[test]
fn one_thread_runs_with_string_keys_and_boxed_values_report_the_sequential_replay() {
    let dir = fresh_dir("one-thread-string");
    let w = cmap_formats::workload::load(
        &testdata("golden-string.toml"),
        Overrides {
            threads: Some(1),
            ops_per_thread: Some(2000),
            seed: None,
        },
    )
    .unwrap();
    let path = dir.join("golden-string-1t.trace");
    std::fs::write(&path, cmap_formats::trace::generate(&w)).unwrap();
    let trace = Trace::open(&path).unwrap();
    assert_eq!(trace.header().version, 2);
    let expected = trace.sequential_replay();
    let reference = reference_checksum(&trace);
    for map in [
        "unsync-std-foldhash",
        "mutex-std-sip",
        "sharded-rwlock-foldhash",
        "dashmap-sip",
        "papaya-blocking-sip",
        "evmap-refresh-each-sip",
        "scc-sip",
        "flurry-ahash",
        "gosyncmap-foldhash",
        "noop",
    ] {
        let (records, _) = run_ok(&path, map, &dir, map, &["--interval-ms", "1"]);
        let start = &records[0];
        assert_eq!(start["key_type"], "string", "{map}");
        assert_eq!(start["value_kind"], "boxed", "{map}");
        let (_, end) = check_sequence(&records, 1);
        assert_eq!(end["status"], "ok");
        if map == "noop" {
            assert_eq!(num(&end, "final_len"), 0);
            continue;
        }
        let hits = &end["hits"];
        assert_eq!(num(hits, "get"), expected.get_hits, "{map}");
        assert_eq!(num(hits, "insert_new"), expected.insert_new, "{map}");
        assert_eq!(num(hits, "update"), expected.update_hits, "{map}");
        assert_eq!(num(hits, "remove"), expected.remove_hits, "{map}");
        assert_eq!(num(&end, "final_len"), expected.final_len, "{map}");
        assert_eq!(hex(&end["checksum"]), reference, "{map}: checksum");
    }
}
