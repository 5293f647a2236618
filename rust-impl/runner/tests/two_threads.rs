//! Every registered map (and `noop`) runs the 2-thread golden trace: the JSONL has the
//! right record sequence and totals, the `.hlog` decodes and agrees with it, and the
//! bench line has the spec's shape.

mod common;

use cmap_formats::trace::Trace;
use cmap_runner::hlog::read_log;
use cmap_runner::sampling::{SampleGaps, gap_bounds};

use common::*;

#[test]
fn every_map_completes_a_two_thread_run_with_consistent_results() {
    let dir = fresh_dir("two-threads");
    let trace_path = testdata("golden.trace");
    let trace = Trace::open(&trace_path).unwrap();
    let summary = trace.summary();
    let h = trace.header();
    let per_kind = |pick: fn(&cmap_formats::trace::ThreadSummary) -> u64| -> u64 {
        summary.threads.iter().map(pick).sum()
    };
    // Each worker times op 0, then one op per jittered gap (sampling.rs): the
    // exact count is what the same generator gives for that thread, and lies
    // within what the smallest and largest gaps allow.
    let timed_ops = |thread: u32| -> u64 {
        let mut gaps = SampleGaps::new(thread, 1024);
        let (mut at, mut n) = (0u64, 0u64);
        while at < h.ops_per_thread {
            n += 1;
            at += gaps.next_gap();
        }
        n
    };
    let (min_gap, max_gap) = gap_bounds(1024);
    let expected_samples: u64 = (0..h.threads).map(timed_ops).sum();
    let lowest = u64::from(h.threads) * (1 + (h.ops_per_thread - 1) / max_gap);
    let highest = u64::from(h.threads) * (1 + (h.ops_per_thread - 1) / min_gap);
    assert!((lowest..=highest).contains(&expected_samples));

    let maps: Vec<&str> = cmap_maps::all()
        .iter()
        .filter(|m| m.supports_threads(2))
        .map(|m| m.name)
        .chain(["noop"])
        .collect();
    assert!(maps.len() > 10);
    for map in maps {
        let (records, stdout) = run_ok(&trace_path, map, &dir, map, &["--interval-ms", "1"]);
        let (intervals, end) = check_sequence(&records, 1);
        let start = &records[0];
        assert_eq!(start["impl"], map);
        assert_eq!(start["threads"], 2);
        assert_eq!(start["trace_sha256"], trace.sha256());
        assert_eq!(start["latency"]["sample_every"], 1024);
        assert_eq!(start["latency"]["sampling"]["policy"], "jittered");
        assert_eq!(start["latency"]["sampling"]["min_gap"], min_gap);
        assert_eq!(start["latency"]["sampling"]["max_gap"], max_gap);
        num(&start["latency"], "timer_overhead_ns");
        assert_eq!(start["runtime"]["allocator"], "system (counting wrapper)");
        assert_eq!(end["status"], "ok", "{map}: {end}");

        let ops = &end["ops"];
        assert_eq!(
            num(ops, "total"),
            u64::from(h.threads) * h.ops_per_thread,
            "{map}"
        );
        assert_eq!(num(ops, "get"), per_kind(|t| t.get), "{map}");
        assert_eq!(num(ops, "insert"), per_kind(|t| t.insert), "{map}");
        assert_eq!(num(ops, "update"), per_kind(|t| t.update), "{map}");
        assert_eq!(num(ops, "remove"), per_kind(|t| t.remove), "{map}");
        let lat_count = num(&end["lat_ns"], "count");
        assert_eq!(lat_count, expected_samples, "{map}");

        // The .hlog: one histogram per interval, tag lat, counts as in the JSONL.
        let log = read_log(&std::fs::read(dir.join(format!("{map}.hlog"))).unwrap()).unwrap();
        assert!(
            log.start_time.is_some() && log.base_time == log.start_time,
            "{map}"
        );
        assert_eq!(log.intervals.len(), intervals.len(), "{map}");
        let mut total = 0;
        for (logged, record) in log.intervals.iter().zip(&intervals) {
            assert_eq!(logged.tag.as_deref(), Some("lat"));
            assert_eq!(logged.hist.len(), num(&record["lat_ns"], "count"), "{map}");
            assert_eq!(
                logged.start.as_nanos() / 1_000_000,
                u128::from(num(record, "t_start_ns")) / 1_000_000
            );
            total += logged.hist.len();
        }
        assert_eq!(total, lat_count, "{map}");

        let fields: Vec<&str> = stdout.trim_end().split(" \t").collect();
        assert_eq!(fields.len(), 7, "{stdout}");
        assert_eq!(
            fields[0],
            format!("BenchmarkReplay/workload=golden/map={map}/lang=rust/threads=2")
        );
        assert_eq!(fields[1], "2000");
        for (field, unit) in
            fields[2..]
                .iter()
                .zip(["ns/op", "ops/s", "p99-ns", "B/op", "allocs/op"])
        {
            let (value, u) = field.split_once(' ').unwrap();
            assert_eq!(u, unit);
            value.parse::<f64>().unwrap();
        }
    }
}
