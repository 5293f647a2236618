//! A stand-in for the two runners, for testing `mapbench run`, `check` and `validate`
//! without building the real ones. It speaks the runner contract
//! (`comparisons/RUNNER-SPEC.md`): the same flags and exit statuses, and spec-conformant
//! `<run_id>.jsonl` + `<run_id>.hlog` files, but it replays nothing — op counts come
//! from the trace, latencies are made up.
//!
//! Its language is its file name's: a name containing `go` is the Go runner, anything
//! else the Rust runner (`FAKE_RUNNER_LANG=go|rust` overrides), so a test links it
//! twice, e.g. as `go-runner` and `rust-runner`. Each side lists three maps, like the
//! real registries: an unsynchronised one limited to one thread, a mutex map and one
//! more. Its records are the typed ones `mapbench` reads (`mapbench::results`), so a
//! field the schema adds or renames cannot be missed here.
//!
//! Behaviour for run ids containing a substring (environment variables):
//!
//! * `FAKE_RUNNER_FAIL`: writes `run_end` with status `error` and exits 1.
//! * `FAKE_RUNNER_CRASH`: writes run_start and one interval, half a line, exits 3.
//! * `FAKE_RUNNER_INTERRUPT`: sends SIGINT to its parent (the orchestrator, as Ctrl-C
//!   would) and exits 130.
//! * `FAKE_RUNNER_KILL_PARENT`: sends SIGKILL to its parent (the orchestrator dies
//!   mid-suite), then runs normally.
//! * `FAKE_RUNNER_LOG=PATH`: appends `<run_id>` to PATH for every run (the order runs
//!   actually happened in).
//! * `FAKE_RUNNER_NS_PER_OP=F`: the reported cost per op (default 10), so validate's
//!   arithmetic can be checked.

use std::fs::{File, OpenOptions};
use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, SystemTime};

use clap::Parser;
use hdrhistogram::Histogram;
use hdrhistogram::serialization::V2DeflateSerializer;
use hdrhistogram::serialization::interval_log::{IntervalLogWriterBuilder, Tag};
use serde_json::json;

use mapbench::results::{
    self, EndGc, EndStatus, HDR_HIGHEST_NS, HDR_LOWEST_NS, HDR_SIGFIGS, HitCounts, ImplInfo,
    Interval, IntervalGc, Lang, LatNs, LatencyPolicy, OpCounts, ReclaimInfo, Record, RunEnd,
    RunHost, RunStart, Runtime,
};
use mapbench::trace::Trace;

#[derive(Parser)]
struct Args {
    #[arg(long)]
    trace: Option<PathBuf>,
    #[arg(long)]
    map: Option<String>,
    #[arg(long)]
    out_dir: Option<PathBuf>,
    #[arg(long)]
    run_id: Option<String>,
    #[arg(long, default_value_t = 100)]
    interval_ms: u64,
    #[arg(long, default_value_t = 16)]
    latency_sample_every: u64,
    #[arg(long, default_value_t = 0)]
    duration_ms: u64,
    #[arg(long, default_value_t = 0)]
    warmup_ops: u64,
    #[arg(long, default_value_t = 0)]
    op_delay_ns: u64,
    #[arg(long)]
    list_maps: bool,
}

/// (name, thread limit)
fn maps(go: bool) -> [(&'static str, Option<u32>); 3] {
    if go {
        [
            ("unsync-map", Some(1)),
            ("mutex-map", None),
            ("sync-map", None),
        ]
    } else {
        [
            ("unsync-std-foldhash", Some(1)),
            ("mutex-std-foldhash", None),
            ("dashmap-foldhash", None),
        ]
    }
}

fn bad(msg: String) -> ExitCode {
    eprintln!("fake-runner: {msg}");
    ExitCode::from(2)
}

/// get, insert, update, remove (in that order) and their total.
fn op_counts(kinds: &[u64], total: u64) -> OpCounts {
    OpCounts {
        get: kinds[0],
        insert: kinds[1],
        update: kinds[2],
        remove: kinds[3],
        total,
    }
}

fn matches(var: &str, run_id: &str) -> bool {
    std::env::var(var).is_ok_and(|s| !s.is_empty() && run_id.contains(&s))
}

fn main() -> ExitCode {
    let argv0 = std::env::args().next().unwrap_or_default();
    let name = std::path::Path::new(&argv0)
        .file_name()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let go = match std::env::var("FAKE_RUNNER_LANG").as_deref() {
        Ok("go") => true,
        Ok("rust") => false,
        _ => name.contains("go"),
    };
    let lang = if go { Lang::Go } else { Lang::Rust };
    let args = Args::parse();
    if args.list_maps {
        for (name, limit) in maps(go) {
            let limit_key = if go { "max_goroutines" } else { "max_threads" };
            println!(
                "{}",
                json!({"name": name, "crate_or_package": "fake", "version": "0.0.0",
                       "hasher": "none", "notes": "fake runner", limit_key: limit})
            );
        }
        return ExitCode::SUCCESS;
    }
    let (Some(trace_path), Some(map), Some(out_dir), Some(run_id)) =
        (args.trace, args.map, args.out_dir, args.run_id)
    else {
        return bad("--trace, --map, --out-dir and --run-id are required".into());
    };
    let trace = match Trace::open(&trace_path) {
        Ok(t) => t,
        Err(e) => return bad(e.to_string()),
    };
    let h = trace.header().clone();
    let limit = match maps(go).iter().find(|(n, _)| *n == map) {
        Some((_, limit)) => *limit,
        None if map == "noop" => None,
        None => return bad(format!("--map: unknown map {map:?}")),
    };
    if limit.is_some_and(|l| h.threads > l) {
        return bad(format!(
            "--map {map}: at most {limit:?} thread(s), the trace has {}",
            h.threads
        ));
    }
    let jsonl = out_dir.join(format!("{run_id}.jsonl"));
    let hlog = out_dir.join(format!("{run_id}.hlog"));
    if jsonl.exists() || hlog.exists() {
        return bad(format!("{}: already exists", jsonl.display()));
    }
    if let Ok(log) = std::env::var("FAKE_RUNNER_LOG")
        && let Ok(mut f) = OpenOptions::new().append(true).create(true).open(&log)
    {
        let _ = writeln!(f, "{run_id}");
    }
    let mut out = match File::create(&jsonl) {
        Ok(f) => f,
        Err(e) => return bad(format!("{}: {e}", jsonl.display())),
    };
    let ns_per_op: f64 = std::env::var("FAKE_RUNNER_NS_PER_OP")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(10.0);
    let mut write = |record: Record| {
        let line = serde_json::to_string(&record).expect("a record serializes");
        writeln!(out, "{line}").expect("write run file");
        out.flush().expect("flush run file");
    };
    let fake = || Some("fake".to_owned());
    write(Record::RunStart(&RunStart {
        schema: results::SCHEMA,
        run_id: run_id.clone(),
        lang,
        map: map.clone(),
        impl_info: Some(ImplInfo {
            crate_or_package: fake(),
            version: Some("0.0.0".into()),
            hasher: Some("none".into()),
            notes: Some(String::new()),
            ..Default::default()
        }),
        workload: h.name.clone(),
        trace_path: Some(trace_path.display().to_string()),
        trace_sha256: trace.sha256().to_owned(),
        key_space: Some(h.key_space),
        threads: h.threads,
        ops_per_thread: h.ops_per_thread,
        prefill: Some(h.prefill_count),
        presize: Some(h.presize_capacity().is_some()),
        duration_ms: args.duration_ms,
        warmup_ops: Some(args.warmup_ops),
        interval_ms: args.interval_ms,
        op_delay_ns: Some(args.op_delay_ns),
        op_delay_steps: None,
        op_delay_ns_per_step: None,
        latency: LatencyPolicy {
            sample_every: args.latency_sample_every,
            sampling: None,
            clock: fake(),
            timer_overhead_ns: Some(20),
            timer_overhead_method: None,
            hdr_lowest_ns: Some(HDR_LOWEST_NS),
            hdr_highest_ns: Some(HDR_HIGHEST_NS),
            hdr_sigfigs: Some(HDR_SIGFIGS),
            extra: Default::default(),
        },
        toolchain: "fake 0.0".into(),
        runtime: Some(Runtime::default()),
        host: RunHost {
            cpu_model: fake(),
            vcpus: Some(2),
            kernel: fake(),
            hostname: fake(),
            extra: Default::default(),
        },
        git_commit: None,
        started_at: Some("2026-01-01T00:00:00Z".into()),
        argv: Some(std::env::args().collect()),
        capacity: Some(h.presize_capacity().unwrap_or(0)),
        key_id_bound: Some(h.key_id_bound),
        mix_bp: Some(h.mix_bp),
        distribution: Some(h.distribution),
        reclaim: (!go).then(|| ReclaimInfo {
            mode: "immediate".into(),
            reason: Some("the fake runner has no map".into()),
            ..Default::default()
        }),
        key_type: h.key_type,
        value_kind: h.value_kind,
        extra: Default::default(),
    }));
    if matches("FAKE_RUNNER_INTERRUPT", &run_id) {
        // SAFETY: kill(2) and getppid(2) have no memory-safety preconditions.
        unsafe { libc::kill(libc::getppid(), libc::SIGINT) };
        return ExitCode::from(130);
    }
    if matches("FAKE_RUNNER_KILL_PARENT", &run_id) {
        // SAFETY: kill(2) and getppid(2) have no memory-safety preconditions.
        unsafe { libc::kill(libc::getppid(), libc::SIGKILL) };
    }
    if matches("FAKE_RUNNER_FAIL", &run_id) {
        write(Record::RunEnd(&RunEnd {
            error: Some("fake failure".into()),
            ..RunEnd::with_status(EndStatus::Error)
        }));
        eprintln!("fake-runner: failing as asked (FAKE_RUNNER_FAIL)");
        return ExitCode::from(1);
    }

    // Ops per kind over all threads, split into three intervals.
    let summary = trace.summary();
    let totals: Vec<u64> = (0..4)
        .map(|k| {
            summary
                .threads
                .iter()
                .map(|t| [t.get, t.insert, t.update, t.remove][k])
                .sum()
        })
        .collect();
    const INTERVALS: u64 = 3;
    let share = |total: u64, i: u64| total / INTERVALS + u64::from(i < total % INTERVALS);
    let hlog_file = File::create(&hlog).expect("create hlog");
    let mut hlog_out = std::io::BufWriter::new(hlog_file);
    let mut ser = V2DeflateSerializer::new();
    let mut log = IntervalLogWriterBuilder::new()
        .with_start_time(SystemTime::now())
        .with_base_time(SystemTime::now())
        .begin_log_with(&mut hlog_out, &mut ser)
        .expect("begin hlog");
    let new_histogram =
        || Histogram::<u64>::new_with_bounds(HDR_LOWEST_NS, HDR_HIGHEST_NS, HDR_SIGFIGS).unwrap();
    let mut all = new_histogram();
    let mut sample = 0u64;
    let total_ops = h.ops_per_thread * u64::from(h.threads);
    let elapsed_ns = (total_ops as f64 * ns_per_op) as u64;
    let crash = matches("FAKE_RUNNER_CRASH", &run_id);
    for i in 0..INTERVALS {
        let ops: Vec<u64> = totals.iter().map(|&t| share(t, i)).collect();
        let n: u64 = ops.iter().sum();
        let samples = if args.latency_sample_every == 0 {
            0
        } else {
            n.div_ceil(args.latency_sample_every)
        };
        let mut hist = new_histogram();
        for _ in 0..samples {
            hist.record(50 + (sample * 7919) % 2000).unwrap();
            sample += 1;
        }
        all.add(&hist).unwrap();
        let q = |p: f64| (!hist.is_empty()).then(|| hist.value_at_quantile(p));
        write(Record::Interval(&Interval {
            index: i,
            t_start_ns: i * elapsed_ns / INTERVALS,
            t_end_ns: (i + 1) * elapsed_ns / INTERVALS,
            ops: op_counts(&ops, n),
            hits: Some(HitCounts {
                get: ops[0] / 2,
                insert_new: ops[1] / 2,
                update: ops[2] / 2,
                remove: ops[3] / 2,
            }),
            lat_ns: Some(LatNs {
                count: hist.len(),
                p50: q(0.5),
                p90: q(0.9),
                p99: q(0.99),
                p999: q(0.999),
                max: (!hist.is_empty()).then(|| hist.max()),
            }),
            rss_bytes: Some(1 << 20),
            heap_live_bytes: Some(1 << 19),
            alloc_bytes: Some(0),
            alloc_objects: Some(0),
            gc: go.then(|| IntervalGc {
                cpu_seconds: Some(0.0),
                sched_latency_p99_ns: Some(0),
                ..Default::default()
            }),
            steal_ticks: Some(0),
            reclaim: None,
            extra: Default::default(),
        }));
        log.write_histogram(
            &hist,
            Duration::from_nanos(i * elapsed_ns / INTERVALS),
            Duration::from_nanos(elapsed_ns / INTERVALS),
            Tag::new("lat"),
        )
        .expect("write hlog");
        if crash {
            drop(log);
            drop(hlog_out);
            // Half a record, as a kill in the middle of a write leaves.
            let mut f = OpenOptions::new().append(true).open(&jsonl).unwrap();
            let _ = write!(f, "{{\"type\":\"interval\",\"index\":1,\"t_sta");
            eprintln!("fake-runner: crashing as asked (FAKE_RUNNER_CRASH)");
            return ExitCode::from(3);
        }
    }
    drop(log);
    hlog_out.flush().expect("flush hlog");
    let throughput = total_ops as f64 * 1e9 / elapsed_ns.max(1) as f64;
    let p99 = if all.is_empty() {
        0
    } else {
        all.value_at_quantile(0.99)
    };
    write(Record::RunEnd(&RunEnd {
        elapsed_ns: Some(elapsed_ns),
        prefill_ns: Some(1000),
        ops: Some(op_counts(&totals, total_ops)),
        throughput_ops_per_s: Some(throughput),
        lat_ns: Some(LatNs {
            count: all.len(),
            p50: Some(all.value_at_quantile(0.5)),
            p90: Some(all.value_at_quantile(0.9)),
            p99: Some(p99),
            p999: Some(all.value_at_quantile(0.999)),
            max: Some(all.max()),
        }),
        checksum: Some("0x0000000000000000".into()),
        final_len: Some(h.prefill_count),
        gc: go.then(EndGc::default),
        ..RunEnd::with_status(EndStatus::Ok)
    }));
    println!(
        "BenchmarkReplay/workload={}/map={map}/lang={lang}/threads={} \t{total_ops} \t{:.2} ns/op \t{throughput:.0} ops/s \t{p99} p99-ns \t0 B/op \t0 allocs/op",
        h.name,
        h.threads,
        elapsed_ns as f64 / total_ops as f64
    );
    ExitCode::SUCCESS
}
