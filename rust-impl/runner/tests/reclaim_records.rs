//! Schema 2's reclamation fields as the runner writes them: a map that counts
//! its values (papaya) writes one `reclaim` object per interval whose totals
//! agree with the run; a map that frees at once (scc) writes `null` and says
//! why in `run_start.reclaim`. The records read back through cmap-formats' reader.

mod common;

use common::*;

#[test]
fn counted_and_immediate_maps_write_schema_2_reclaim_fields() {
    let dir = fresh_dir("reclaim-records");
    let trace = testdata("golden.trace");
    let (records, _) = run_ok(
        &trace,
        "papaya-blocking-sip",
        &dir,
        "papaya",
        &["--interval-ms", "1", "--latency-sample-every", "1"],
    );
    assert_eq!(records[0]["schema"], 2);
    let info = &records[0]["reclaim"];
    assert_eq!(info["mode"], "counted");
    assert!(num(info, "bytes_per_value") >= 16);
    let (intervals, end) = check_sequence(&records, 1);
    let mut retired = 0;
    let mut frees = 0;
    let (mut stall_ops, mut timed_stalls) = (0, 0);
    for iv in &intervals {
        let r = &iv["reclaim"];
        assert!(r.is_object(), "{iv}");
        retired += num(r, "retired");
        frees += num(r, "frees");
        stall_ops += num(r, "stall_ops");
        timed_stalls += num(&r["stall_lat_ns"], "count");
        assert_eq!(
            num(r, "backlog_bytes"),
            num(r, "backlog_values") * num(info, "bytes_per_value")
        );
        let stalls = r["stalls"].as_array().unwrap();
        assert!(stalls.len() as u64 <= num(&r["stall_lat_ns"], "count"));
        for s in stalls {
            assert!(
                s[0].as_u64().unwrap() < num(iv, "t_end_ns"),
                "a stall listed before its interval's end: {s}"
            );
        }
    }
    // Every replaced or removed value of the measured phase was retired
    // (updates that hit, removes that hit, inserts that found the key); the
    // counters start a moment after t0, so a few may be missing.
    let hits = &end["hits"];
    let ops = &end["ops"];
    let unlinked =
        num(hits, "update") + num(hits, "remove") + (num(ops, "insert") - num(hits, "insert_new"));
    assert!(
        retired >= unlinked / 2 && retired <= unlinked,
        "retired {retired}, unlinked {unlinked}"
    );
    assert!(
        frees <= retired + 100_000,
        "frees {frees} (prefill's garbage may be freed during the run)"
    );
    // Every op is timed here (K = 1), so the ops counted as stalls are exactly
    // the timed stalls, over the run (an op near a boundary may be listed in the
    // neighbouring interval by its start time).
    assert_eq!(stall_ops, timed_stalls);

    // At the default K, every op that ran destructors is still counted, timed
    // or not: at least as many as the timed ones.
    let (sparse, _) = run_ok(
        &trace,
        "papaya-blocking-sip",
        &dir,
        "papaya-sparse",
        &["--interval-ms", "1"],
    );
    let (sparse_intervals, _) = check_sequence(&sparse, 1);
    let total = |field: &str| -> u64 {
        sparse_intervals
            .iter()
            .map(|iv| match field {
                "stall_ops" => num(&iv["reclaim"], "stall_ops"),
                _ => num(&iv["reclaim"]["stall_lat_ns"], "count"),
            })
            .sum()
    };
    assert!(total("stall_ops") >= total("timed"));

    // The results reader (cmap-formats) takes the file.
    let run = cmap_formats::results::read_run(&dir.join("papaya.jsonl")).unwrap();
    assert_eq!(run.start.reclaim.as_ref().unwrap().mode, "counted");
    assert!(run.intervals.iter().all(|i| i.reclaim.is_some()));

    let (records, _) = run_ok(&trace, "scc-sip", &dir, "scc", &["--interval-ms", "1"]);
    assert_eq!(records[0]["reclaim"]["mode"], "immediate");
    assert!(
        records[0]["reclaim"]["reason"]
            .as_str()
            .unwrap()
            .contains("sdd")
    );
    let (intervals, _) = check_sequence(&records, 1);
    assert!(intervals.iter().all(|i| i["reclaim"].is_null()));
}
