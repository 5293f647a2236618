//! One run, start to end: validate, create the files, measure the timer, prefill, start the
//! workers, collect, write `run_end`.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant, SystemTime};

use cmap_formats::host::{GitInfo, rfc3339};
use cmap_formats::results::{
    EndStatus, Lang, LatNs, LatencyPolicy, Record, RunEnd, RunHost, RunStart, Runtime, SCHEMA,
};
use cmap_formats::trace::{Sidecar, Trace};
use cmap_formats::workload::{KeyType, ValueKind as TraceValueKind};
use cmap_maps::{ConcurrentMap, KeyKind, KvVisitor, MapInfo, MapKey, MapValue, ValueKind};

use crate::alloc;
use crate::collect::{Collected, Collector, ProcSample, ResultFiles, SPARE_HISTOGRAMS};
use crate::hlog::{HDR_HIGHEST_NS, HDR_LOWEST_NS, HDR_SIGFIGS, new_latency_histogram};
use crate::noop::{NOOP_NAME, NoopMap};
use crate::records::{BenchLine, hits_of, impl_info, ops_of};
use crate::replay::{self, SpinDelay, StartGate, Tally, WorkerPlan, run_worker};

/// Everything the command line sets (RUNNER-SPEC.md, "Command line").
#[derive(Debug, Clone)]
pub struct Config {
    pub trace: PathBuf,
    pub map: String,
    pub out_dir: PathBuf,
    pub run_id: String,
    /// > 0.
    pub interval_ms: u64,
    /// 0 disables latency sampling.
    pub latency_sample_every: u64,
    /// 0: replay each stream once; > 0: loop the streams for this long.
    pub duration_ms: u64,
    pub warmup_ops: u64,
    pub op_delay_ns: u64,
    /// `--op-work-steps`: a spin of exactly this many steps per op, in the spin loop
    /// (`Some(0)`: the spin loop with no steps, a compare's baseline; `None`: the lean
    /// loop, unless `op_delay_ns` is set); not combined with `op_delay_ns`.
    pub op_work_steps: Option<u64>,
    /// The command line, for `run_start`.
    pub argv: Vec<String>,
}

/// Why a run did not happen or did not finish.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RunError {
    /// Bad input (exit status 2): the message names the file or flag and what was expected.
    /// Nothing was overwritten.
    BadInput(String),
    /// Anything else (exit status 1).
    Failed(String),
}

impl std::fmt::Display for RunError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RunError::BadInput(m) | RunError::Failed(m) => f.write_str(m),
        }
    }
}

/// A run that wrote its `run_end`.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub status: EndStatus,
    /// The `run_end` error message, if any.
    pub error: Option<String>,
    /// The `bench.txt` line (only for `EndStatus::Ok`).
    pub bench_line: Option<String>,
    pub jsonl_path: PathBuf,
    pub hlog_path: PathBuf,
}

/// The `--map` name's metadata: `noop`, or a registered map.
pub fn resolve_map(name: &str) -> Result<MapInfo, String> {
    if name == NOOP_NAME {
        return Ok(<NoopMap as ConcurrentMap>::describe());
    }
    cmap_maps::find(name).copied().map_err(|_| {
        let names: Vec<&str> = cmap_maps::all().iter().map(|m| m.name).collect();
        format!(
            "--map `{name}`: unknown map; expected one of: {}, {NOOP_NAME}",
            names.join(", ")
        )
    })
}

/// Median cost of one `Instant::now()`: 1,000,000 pairs of back-to-back reads, the median
/// of (second − first), nothing subtracted. Exact for medians below 4 µs (counted per ns).
pub fn measure_timer_overhead_ns(pairs: u32) -> u64 {
    const EXACT_NS: usize = 4096;
    let mut counts = vec![0u32; EXACT_NS + 1];
    for _ in 0..pairs {
        let a = Instant::now();
        let b = Instant::now();
        let d = b.duration_since(a).as_nanos().min(EXACT_NS as u128) as usize;
        counts[d] += 1;
    }
    let half = u64::from(pairs).div_ceil(2);
    let mut seen = 0u64;
    for (ns, &c) in counts.iter().enumerate() {
        seen += u64::from(c);
        if seen >= half {
            return ns as u64;
        }
    }
    EXACT_NS as u64
}

/// The longest interval accepted (one hour, as the Go runner).
pub const MAX_INTERVAL_MS: u64 = 3_600_000;

/// Pairs of clock reads behind `timer_overhead_ns`.
pub const TIMER_OVERHEAD_PAIRS: u32 = 1_000_000;

/// Runs the whole contract. `stop` is the SIGINT flag (the runner also raises it itself
/// to stop the workers when something fails).
pub fn run(cfg: &Config, stop: &AtomicBool) -> Result<Outcome, RunError> {
    let bad = RunError::BadInput;
    if cfg.interval_ms == 0 {
        return Err(bad(
            "--interval-ms 0: expected a positive number of milliseconds".into(),
        ));
    }
    let info = resolve_map(&cfg.map).map_err(bad)?;
    // Checked against PATH.sha256 here, before anything is created or timed; the digest
    // is kept for run_start.
    let (trace, sidecar) =
        Trace::open_verified(&cfg.trace).map_err(|e| bad(format!("--trace: {e}")))?;
    if let Sidecar::Missing(path) = sidecar {
        eprintln!(
            "rust-runner: warning: {}: not found, so {} was checked against its format only, not against its SHA-256 (`mapbench trace` writes both)",
            path.display(),
            cfg.trace.display()
        );
    }
    let threads = trace.header().threads;
    if !info.supports_threads(threads as usize) {
        return Err(bad(format!(
            "--map {}: supports at most {} thread(s), but --trace {} has {threads} op streams; expected a trace with at most {} threads",
            info.name,
            info.max_threads.unwrap_or(usize::MAX),
            cfg.trace.display(),
            info.max_threads.unwrap_or(usize::MAX),
        )));
    }
    let (key_type, value_kind) = (trace.header().key_type, trace.header().value_kind);
    let kinds = (
        match key_type {
            KeyType::U64 => KeyKind::U64,
            KeyType::String => KeyKind::Str,
        },
        match value_kind {
            TraceValueKind::U64 => ValueKind::U64,
            TraceValueKind::Boxed => ValueKind::Boxed,
        },
    );
    if cfg.map != NOOP_NAME && !cmap_maps::supports_kinds(&cfg.map, kinds.0, kinds.1) {
        return Err(bad(format!(
            "--map {}: comes only with u64 keys and u64 values, but --trace {} has {key_type} keys and {value_kind} values; expected a map that comes in those types or a trace with key_type = \"u64\" and value_kind = \"u64\"",
            info.name,
            cfg.trace.display(),
        )));
    }
    let files = ResultFiles::create(&cfg.out_dir, &cfg.run_id).map_err(bad)?;
    let timer_overhead_ns = measure_timer_overhead_ns(TIMER_OVERHEAD_PAIRS);
    let prepared = Prepared {
        cfg,
        trace,
        info,
        files,
        timer_overhead_ns,
        stop,
    };
    match (cfg.map == NOOP_NAME, kinds) {
        (true, (KeyKind::U64, ValueKind::U64)) => prepared.visit::<u64, u64, NoopMap>(),
        (true, (KeyKind::Str, ValueKind::U64)) => {
            prepared.visit::<cmap_maps::StrKey, u64, NoopMap>()
        }
        (true, (KeyKind::U64, ValueKind::Boxed)) => {
            prepared.visit::<u64, cmap_maps::Boxed, NoopMap>()
        }
        (true, (KeyKind::Str, ValueKind::Boxed)) => {
            prepared.visit::<cmap_maps::StrKey, cmap_maps::Boxed, NoopMap>()
        }
        (false, (k, v)) => {
            cmap_maps::visit_kv_by_name(&cfg.map, k, v, prepared).expect("checked above")
        }
    }
}

/// A validated run, before the map type is known.
struct Prepared<'a> {
    cfg: &'a Config,
    trace: Trace,
    info: MapInfo,
    files: ResultFiles,
    timer_overhead_ns: u64,
    stop: &'a AtomicBool,
}

impl KvVisitor for Prepared<'_> {
    type Output = Result<Outcome, RunError>;

    fn visit<K: MapKey, V: MapValue, M: ConcurrentMap<K, V>>(self) -> Self::Output {
        execute::<K, V, M>(self)
    }
}

/// The measured phase's result, or why it never started.
enum Phase {
    Measured(Box<Collected>),
    NotStarted { ends_errors: Vec<String> },
}

/// One run of map `M`: `run_start`, the map and its prefill, the measured phase, `run_end`
/// and the `bench.txt` line.
fn execute<K: MapKey, V: MapValue, M: ConcurrentMap<K, V>>(
    mut p: Prepared<'_>,
) -> Result<Outcome, RunError> {
    let cfg = p.cfg;
    let header = p.trace.header().clone();
    let capacity = header.presize_capacity().unwrap_or(0);
    let failed = |what: &std::path::Path, e: std::io::Error| {
        RunError::Failed(format!("{}: cannot write: {e}", what.display()))
    };

    // Calibrated here, before any worker runs, so the calibration is not
    // disturbed by the replay itself.
    let op_delay = match cfg.op_work_steps {
        Some(steps) => Some(SpinDelay::steps(steps)),
        None => (cfg.op_delay_ns > 0).then(|| SpinDelay::calibrate(cfg.op_delay_ns)),
    };
    let start = run_start_record::<K, V, M>(&p, capacity, op_delay);
    p.files
        .write_record(Record::RunStart(&start))
        .map_err(|e| failed(&p.files.jsonl_path, e))?;

    // Before the map exists and before anything is timed: every string key.
    crate::keys::prepare(header.key_type, header.key_id_bound);
    let map = M::with_capacity(capacity as usize);

    // Prefill, from this thread, untimed; its handle is gone before the workers make theirs
    // (a map with max_threads = 1 allows one handle at a time).
    let prefill_started = Instant::now();
    let created = {
        let mut handle = map.handle();
        replay::prefill(&mut handle, p.trace.prefill_raw(), p.stop)
    };
    let prefill = Prefill {
        created,
        ns: prefill_started.elapsed().as_nanos() as u64,
    };

    let (phase, warmup_ns) = match prefill.created {
        None => (
            Phase::NotStarted {
                ends_errors: Vec::new(),
            },
            0,
        ),
        Some(_) => measure::<K, V, M>(&mut p, &map, op_delay)?,
    };

    let (end, alloc_delta) = run_end_record(&phase, &prefill, warmup_ns, p.stop);
    let write_end = p.files.write_record(Record::RunEnd(&end));
    drop(map);
    write_end.map_err(|e| failed(&p.files.jsonl_path, e))?;

    let bench_line = (end.status == EndStatus::Ok).then(|| {
        let lat = end.lat_ns.unwrap_or_default();
        BenchLine {
            workload: &header.name,
            map: p.info.name,
            threads: header.threads,
            total_ops: end.ops.map_or(0, |o| o.total),
            elapsed_ns: end.elapsed_ns.unwrap_or(0),
            p99_ns: lat.p99.filter(|_| lat.count > 0),
            alloc_bytes: alloc_delta.map_or(0, |a| a.alloc_bytes),
            alloc_objects: alloc_delta.map_or(0, |a| a.alloc_objects),
        }
        .render()
    });
    Ok(Outcome {
        status: end.status,
        error: end.error,
        bench_line,
        jsonl_path: p.files.jsonl_path.clone(),
        hlog_path: p.files.hlog_path.clone(),
    })
}

/// The prefill's outcome: keys it created (`None`: stopped by SIGINT) and its duration.
struct Prefill {
    created: Option<u64>,
    ns: u64,
}

/// The `run_start` record of a run of map `M` (its capacity, its op delay if any).
fn run_start_record<K: MapKey, V: MapValue, M: ConcurrentMap<K, V>>(
    p: &Prepared<'_>,
    capacity: u64,
    op_delay: Option<SpinDelay>,
) -> RunStart {
    let cfg = p.cfg;
    let header = p.trace.header();
    RunStart {
        schema: SCHEMA,
        run_id: cfg.run_id.clone(),
        lang: Lang::Rust,
        map: p.info.name.to_owned(),
        impl_info: Some(impl_info(&p.info)),
        workload: header.name.clone(),
        trace_path: Some(cfg.trace.display().to_string()),
        trace_sha256: p.trace.sha256(),
        key_space: Some(header.key_space),
        threads: header.threads,
        ops_per_thread: header.ops_per_thread,
        prefill: Some(header.prefill_count),
        presize: Some(header.presize),
        duration_ms: cfg.duration_ms,
        warmup_ops: Some(cfg.warmup_ops),
        interval_ms: cfg.interval_ms,
        op_delay_ns: Some(cfg.op_delay_ns),
        op_delay_steps: op_delay.map(|d| d.steps),
        op_delay_ns_per_step: op_delay.map(|d| d.ns_per_step).filter(|v| v.is_finite()),
        latency: LatencyPolicy {
            sample_every: cfg.latency_sample_every,
            sampling: Some(crate::sampling::policy(cfg.latency_sample_every)),
            clock: Some("CLOCK_MONOTONIC (vDSO)".to_owned()),
            timer_overhead_ns: Some(p.timer_overhead_ns),
            timer_overhead_method: Some(format!(
                "median of {TIMER_OVERHEAD_PAIRS} empty timed regions (Instant::now() twice, back to back)"
            )),
            hdr_lowest_ns: Some(HDR_LOWEST_NS),
            hdr_highest_ns: Some(HDR_HIGHEST_NS),
            hdr_sigfigs: Some(HDR_SIGFIGS),
            extra: Default::default(),
        },
        toolchain: env!("RUNNER_RUSTC_VERSION").to_owned(),
        runtime: Some(Runtime {
            allocator: Some(
                if alloc::is_counting() {
                    "system (counting wrapper)"
                } else {
                    "system"
                }
                .to_owned(),
            ),
            profile: Some(env!("RUNNER_PROFILE").to_owned()),
            opt_level: Some(env!("RUNNER_OPT_LEVEL").to_owned()),
            ..Default::default()
        }),
        host: RunHost::current(),
        git_commit: GitInfo::commit_of(std::path::Path::new(".")),
        started_at: Some(rfc3339(SystemTime::now())),
        argv: Some(cfg.argv.clone()),
        capacity: Some(capacity),
        key_id_bound: Some(header.key_id_bound),
        mix_bp: Some(header.mix_bp),
        distribution: Some(header.distribution),
        reclaim: Some(crate::reclaim::info(M::reclamation())),
        key_type: header.key_type,
        value_kind: header.value_kind,
        extra: Default::default(),
    }
}

/// The measured phase: one worker per op stream, each warming up then waiting at the
/// start gate; the collector on this thread writes the intervals. Returns the phase and
/// the warm-up time (thread start to the gate opening).
fn measure<K: MapKey, V: MapValue, M: ConcurrentMap<K, V>>(
    p: &mut Prepared<'_>,
    map: &M,
    op_delay: Option<SpinDelay>,
) -> Result<(Phase, u64), RunError> {
    let cfg = p.cfg;
    let stop = p.stop;
    let threads = p.trace.header().threads as usize;
    let sampling = cfg.latency_sample_every > 0;
    let warmup_started = Instant::now();
    let mut warmup_ns = 0;
    let trace = &p.trace;
    let files = &mut p.files;
    let gate = StartGate::default();
    let gate = &gate;
    let phase = thread::scope(|s| {
        let (to_collector, from_workers) = mpsc::channel();
        let mut recycle = Vec::with_capacity(threads);
        for worker in 0..threads {
            let (give_back, take_back) = mpsc::channel();
            if sampling {
                for _ in 0..SPARE_HISTOGRAMS {
                    let _ = give_back.send(new_latency_histogram());
                }
            }
            recycle.push(give_back);
            let plan = WorkerPlan {
                worker,
                thread: worker as u32,
                words: trace.thread_ops(worker as u32).raw(),
                warmup_ops: cfg.warmup_ops,
                sample_every: cfg.latency_sample_every,
                op_delay,
                interval: Duration::from_millis(cfg.interval_ms),
                duration: (cfg.duration_ms > 0).then(|| Duration::from_millis(cfg.duration_ms)),
            };
            let to_collector = to_collector.clone();
            let spawned = thread::Builder::new()
                .name(format!("replay-{worker}"))
                .spawn_scoped(s, move || {
                    run_worker::<K, V, M>(map, plan, gate, stop, &to_collector, &take_back)
                });
            if let Err(e) = spawned {
                gate.abort();
                stop.store(true, Relaxed);
                return Err(RunError::Failed(format!(
                    "cannot start worker thread {worker}: {e}"
                )));
            }
        }
        drop(to_collector);
        let reclaim = crate::reclaim::ReclaimTracker::prepare(M::reclamation());
        let Some(t0) = gate.open_when_ready(threads, stop) else {
            warmup_ns = warmup_started.elapsed().as_nanos() as u64;
            // Workers that never started report only panics.
            let ends_errors = from_workers
                .iter()
                .filter_map(|c| c.end.and_then(|e| e.error))
                .collect();
            return Ok(Phase::NotStarted { ends_errors });
        };
        let t0_wall = SystemTime::now();
        warmup_ns = t0.duration_since(warmup_started).as_nanos() as u64;
        let mut collector = Collector::new(
            files,
            t0,
            t0_wall,
            Duration::from_millis(cfg.interval_ms),
            sampling,
            recycle,
        );
        // After the collector's own set-up allocations, so they do not count as the
        // measured phase's.
        let baseline = ProcSample::now();
        let baseline_alloc = baseline.alloc;
        collector.set_baseline(baseline);
        collector.set_reclaim(reclaim.map(|r| r.started(t0)));
        let mut collected = collector.collect(from_workers, stop);
        // Measured-phase allocation deltas, relative to t0.
        collected.end_alloc = collected.end_alloc.map(|end| alloc::AllocSnapshot {
            live_bytes: end.live_bytes,
            alloc_bytes: end.alloc_bytes - baseline_alloc.alloc_bytes,
            alloc_objects: end.alloc_objects - baseline_alloc.alloc_objects,
        });
        Ok(Phase::Measured(Box::new(collected)))
    })?;
    Ok((phase, warmup_ns))
}

/// The `run_end` record, from what the measured phase collected (nothing if it never
/// started), and the measured phase's allocation deltas (for the `bench.txt` line).
fn run_end_record(
    phase: &Phase,
    prefill: &Prefill,
    warmup_ns: u64,
    stop: &AtomicBool,
) -> (RunEnd, Option<alloc::AllocSnapshot>) {
    let mut errors: Vec<String> = Vec::new();
    let (tally, hist, checksum, elapsed, intervals, alloc_delta, warm_net) = match phase {
        Phase::NotStarted { ends_errors } => {
            errors.extend(ends_errors.iter().cloned());
            (Tally::default(), None, 0, Duration::ZERO, 0, None, 0i64)
        }
        Phase::Measured(c) => {
            errors.extend(c.io_error.iter().cloned());
            errors.extend(c.ends.iter().filter_map(|e| e.error.clone()));
            // XOR over the workers that ran the measured phase (each folded from CHECKSUM_INIT).
            let checksum = c
                .ends
                .iter()
                .filter(|e| e.at.is_some())
                .fold(0u64, |acc, e| acc ^ e.checksum);
            let warm_net = c.ends.iter().map(|e| e.warmup.net_new_keys()).sum::<i64>();
            (
                c.tally,
                c.hist.as_ref(),
                checksum,
                c.elapsed,
                c.intervals,
                c.end_alloc,
                warm_net,
            )
        }
    };
    let status = if !errors.is_empty() {
        EndStatus::Error
    } else if stop.load(Relaxed) {
        EndStatus::Interrupted
    } else {
        EndStatus::Ok
    };
    let final_len =
        (prefill.created.unwrap_or(0) as i64 + warm_net + tally.net_new_keys()).max(0) as u64;
    let elapsed_ns = elapsed.as_nanos() as u64;
    let lat = LatNs::of_histogram(hist);
    let counting = alloc::is_counting();
    let error = (!errors.is_empty()).then(|| errors.join("; "));
    let end = RunEnd {
        error,
        elapsed_ns: Some(elapsed_ns),
        prefill_ns: Some(prefill.ns),
        ops: Some(ops_of(&tally)),
        throughput_ops_per_s: Some(if elapsed_ns == 0 {
            0.0
        } else {
            tally.total() as f64 * 1e9 / elapsed_ns as f64
        }),
        lat_ns: Some(lat),
        checksum: Some(format!("0x{checksum:016x}")),
        final_len: Some(final_len),
        gc: None,
        hits: Some(hits_of(&tally)),
        intervals: Some(intervals),
        warmup_ns: Some(warmup_ns),
        alloc_bytes: alloc_delta.filter(|_| counting).map(|a| a.alloc_bytes),
        alloc_objects: alloc_delta.filter(|_| counting).map(|a| a.alloc_objects),
        ..RunEnd::with_status(status)
    };
    (end, alloc_delta)
}
