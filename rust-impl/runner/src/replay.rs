//! The hot path: one worker replaying its op stream through its own map handle.
//!
//! Everything here is generic over the map type (one monomorphised copy per map, chosen
//! once by name in [`crate::run()`]): no `dyn` call and no allocation per op. A worker
//! decodes its stream's keys and kinds before its start gate ([`decode_keys`],
//! [`decode_kinds`]: op word `kind << 62 | key_id` has key `key_for_id(key_id)`); an op
//! takes its value from its index (`(thread + 1) << 48 | (index + 1)`), and is applied,
//! counted, and, for gets, folded into the result checksum. Every [`CLOCK_CHECK_OPS`] ops
//! the worker reads the clock and hands the collector its counters and latency histogram
//! for each interval it has passed.

use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::sync::mpsc::{Receiver, Sender};
use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant};

use cmap_formats::trace::{CHECKSUM_INIT, CHECKSUM_PRIME, KEY_ID_MASK};
use cmap_maps::{ConcurrentMap, MapHandle, MapKey, MapValue};
use hdrhistogram::Histogram;

use crate::keys::key as key_for_id;

use crate::hlog::new_latency_histogram;

/// Ops between two clock reads (interval and stop checks), as the spec fixes.
pub const CLOCK_CHECK_OPS: usize = 1024;

/// What a get that finds nothing folds into the result checksum.
pub const MISS_MARKER: u64 = 0xFFFF_FFFF_FFFF_FFFF;

/// Op kind codes, the index into [`Tally`]'s arrays.
pub const GET: usize = 0;
/// See [`GET`].
pub const INSERT: usize = 1;
/// See [`GET`].
pub const UPDATE: usize = 2;
/// See [`GET`].
pub const REMOVE: usize = 3;

/// Ops completed and ops that hit, per kind (indexed by the 2-bit kind code): a get that
/// found its key, an insert that created it, an update or remove that found it.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Tally {
    /// Ops per kind.
    pub ops: [u64; 4],
    /// Hits per kind.
    pub hits: [u64; 4],
    /// Ops during which this thread dropped retired values (maps whose
    /// reclamation is counted; 0 otherwise).
    pub stall_ops: u64,
}

impl Tally {
    /// Adds `other` into `self`.
    pub fn add(&mut self, other: &Tally) {
        for k in 0..4 {
            self.ops[k] += other.ops[k];
            self.hits[k] += other.hits[k];
        }
        self.stall_ops += other.stall_ops;
    }

    /// All ops.
    pub fn total(&self) -> u64 {
        self.ops.iter().sum()
    }

    /// Keys created minus keys removed (write return values are exact for every map).
    pub fn net_new_keys(&self) -> i64 {
        self.hits[INSERT] as i64 - self.hits[REMOVE] as i64
    }
}

/// One step of the result checksum: `(acc ^ x) * 0x100000001b3`, wrapping.
#[inline(always)]
pub fn fold_result(acc: u64, x: u64) -> u64 {
    (acc ^ x).wrapping_mul(CHECKSUM_PRIME)
}

/// The constant part of every value thread `thread` writes: `(thread + 1) << 48`.
#[inline]
pub fn value_tag(thread: u32) -> u64 {
    (u64::from(thread) + 1) << 48
}

/// The keys of `words` (op words as stored), decoded: what a worker hands the map, built
/// before its start gate. See [`for_each_op`].
pub fn decode_keys<K: MapKey>(words: &[u64]) -> Vec<K> {
    words
        .iter()
        .map(|&word| key_for_id(u64::from_le(word) & KEY_ID_MASK))
        .collect()
}

/// The op kinds of `words` (the top two bits of each word), one byte each, built before
/// the start gate beside [`decode_keys`]. See [`for_each_op`].
pub fn decode_kinds(words: &[u64]) -> Vec<u8> {
    words
        .iter()
        .map(|&word| (u64::from_le(word) >> 62) as u8)
        .collect()
}

/// Calls `f(kind, key, value)` for each op of a stretch (ops `first_index..` of the stream
/// whose value tag is `tag`), with the kinds and keys decoded beforehand ([`decode_kinds`],
/// [`decode_keys`]), as the Go runner and both micro-benchmarks hold them. Mixed in the op,
/// a key (a chain of dependent multiplies) was about half of the `noop` map's instructions
/// per op; read from the op words, a kind streamed 8 bytes per op through the cache beside
/// the key's 8, where a byte array streams 1.
#[inline(always)]
fn for_each_op<K: MapKey>(
    kinds: &[u8],
    keys: &[K],
    tag: u64,
    first_index: u64,
    mut f: impl FnMut(usize, K, u64),
) {
    for (i, (&kind, &key)) in kinds.iter().zip(keys).enumerate() {
        f(
            usize::from(kind & 3),
            key,
            tag | (first_index + i as u64 + 1),
        );
    }
}

/// The map call alone: what a latency sample times (the Go runner times the
/// same region: decoding before, counting after). Returns whether the op hit
/// and, for a get, the value found or [`MISS_MARKER`]. A write makes its value here
/// (for boxed values, the allocation a write costs).
#[inline(always)]
fn call_map<K: MapKey, V: MapValue, H: MapHandle<K, V>>(
    handle: &mut H,
    kind: usize,
    key: K,
    value: u64,
) -> (bool, u64) {
    match kind {
        GET => match handle.get(key) {
            Some(found) => (true, found),
            None => (false, MISS_MARKER),
        },
        INSERT => (handle.insert(key, V::from_u64(value)), 0),
        UPDATE => (handle.update(key, V::from_u64(value)), 0),
        _ => (handle.remove(key), 0),
    }
}

/// Counts an op's outcome, folding a get's result into the checksum.
#[inline(always)]
fn count_op(kind: usize, hit: bool, got: u64, tally: &mut Tally, checksum: &mut u64) {
    if kind == GET {
        *checksum = fold_result(*checksum, got);
    }
    tally.ops[kind] += 1;
    tally.hits[kind] += u64::from(hit);
}

/// Replays `kinds` and `keys` (ops `first_index..` of thread `thread`'s stream) untimed, with nothing
/// but the op around the map call: the warm-up, the measured phase of a run without a spin
/// (`--op-delay-ns` or `--op-work-steps`), and the tests' sequential replay.
#[inline]
pub fn replay_untimed<K: MapKey, V: MapValue, H: MapHandle<K, V>>(
    handle: &mut H,
    kinds: &[u8],
    keys: &[K],
    thread: u32,
    first_index: u64,
    tally: &mut Tally,
    checksum: &mut u64,
) {
    for_each_op(
        kinds,
        keys,
        value_tag(thread),
        first_index,
        |kind, key, value| {
            let (hit, got) = call_map(handle, kind, key, value);
            count_op(kind, hit, got, tally, checksum);
        },
    );
}

/// The measured phase's un-timed loop when a spin is asked for (`--op-delay-ns`, calibrated,
/// or `--op-work-steps`, even 0): as [`replay_untimed`], with `spin` steps of
/// [`spin_steps`] inside each op (after the map call, before the op is counted). Both
/// sides of a compare check run this loop (the baseline with `--op-work-steps 0`), so the
/// injected change adds exactly its steps to every op, the same on every map: the lean
/// loop compiles differently around each map's call, and a change measured against it
/// would add a different cost per map besides the steps.
#[inline]
#[allow(clippy::too_many_arguments)]
fn replay_spinning<K: MapKey, V: MapValue, H: MapHandle<K, V>>(
    handle: &mut H,
    kinds: &[u8],
    keys: &[K],
    thread: u32,
    first_index: u64,
    tally: &mut Tally,
    checksum: &mut u64,
    spin: u64,
) {
    let tag = value_tag(thread);
    // One chain through all the ops (as the Go runner's): a fresh chain per op would let
    // the CPU overlap consecutive ops' spins, and the delay would come out shorter than
    // calibrated, by how much depending on the map's work around it. The chain goes from
    // op to op through memory, not a register: a register held across the map call costs
    // each map a different save and restore (its code is inlined here), a load and a
    // store cost every map the same.
    let mut chain = SpinChain::new();
    for_each_op(kinds, keys, tag, first_index, |kind, key, value| {
        let (hit, got) = call_map(handle, kind, key, value);
        chain.spin(spin);
        count_op(kind, hit, got, tally, checksum);
    });
}

/// As [`replay_spinning`] (the same spin), also counting in
/// `tally.stall_ops` the ops during which this thread dropped retired values:
/// `frees`, its free counter, is read before and after each op (a plain load, no clock).
#[allow(clippy::too_many_arguments)]
fn replay_counting_stalls<K: MapKey, V: MapValue, H: MapHandle<K, V>>(
    handle: &mut H,
    kinds: &[u8],
    keys: &[K],
    thread: u32,
    first_index: u64,
    tally: &mut Tally,
    checksum: &mut u64,
    spin: u64,
    frees: &cmap_maps::reclaim::FreeCount<'_>,
) {
    let tag = value_tag(thread);
    let mut chain = SpinChain::new(); // one chain through the ops: see `replay_spinning`
    for_each_op(kinds, keys, tag, first_index, |kind, key, value| {
        let before = frees.get();
        let (hit, got) = call_map(handle, kind, key, value);
        chain.spin(spin);
        count_op(kind, hit, got, tally, checksum);
        tally.stall_ops += u64::from(frees.get() != before);
    });
}

/// Inserts the prefill (`prefill_raw` words, entry `i` with value `i + 1`) through one
/// handle, then quiesces it. Returns how many inserts created their key, or `None` if
/// `stop` was raised (checked every [`CLOCK_CHECK_OPS`] keys).
pub fn prefill<K: MapKey, V: MapValue, H: MapHandle<K, V>>(
    handle: &mut H,
    prefill_raw: &[u64],
    stop: &AtomicBool,
) -> Option<u64> {
    let mut created = 0u64;
    for (chunk_no, chunk) in prefill_raw.chunks(CLOCK_CHECK_OPS).enumerate() {
        if stop.load(Relaxed) {
            return None;
        }
        let base = (chunk_no * CLOCK_CHECK_OPS) as u64;
        for (i, &word) in chunk.iter().enumerate() {
            let key = key_for_id(u64::from_le(word));
            let value = V::from_u64(cmap_formats::trace::prefill_value(base + i as u64));
            created += u64::from(handle.insert(key, value));
        }
    }
    handle.quiesce();
    Some(created)
}

/// `--op-delay-ns`: a busy-wait of a fixed number of steps of a dependent
/// multiply-add chain, calibrated once at start-up. Reading the clock inside
/// the loop instead would cost a clock read (about 30 ns here) per pass, so a
/// short delay would come out several times longer than asked. The Go runner
/// spins the same chain, calibrated the same way.
#[derive(Clone, Copy, Debug)]
pub struct SpinDelay {
    /// Steps per delay.
    pub steps: u64,
    /// Measured cost of one step, in ns.
    pub ns_per_step: f64,
}

/// Steps per calibration trial, and trials (the fastest is kept: it is the one
/// least disturbed by other work on the machine).
const CALIBRATION_STEPS: u64 = 2_000_000;
const CALIBRATION_TRIALS: usize = 5;

impl SpinDelay {
    /// Calibrates the chain and sizes it for `ns` nanoseconds.
    pub fn calibrate(ns: u64) -> SpinDelay {
        let mut best = f64::INFINITY;
        for _ in 0..CALIBRATION_TRIALS {
            let start = Instant::now();
            spin_steps(CALIBRATION_STEPS, 1);
            let took = start.elapsed().as_nanos() as f64;
            best = best.min(took / CALIBRATION_STEPS as f64);
        }
        let ns_per_step = best.max(f64::MIN_POSITIVE);
        SpinDelay {
            steps: (ns as f64 / ns_per_step).round() as u64,
            ns_per_step,
        }
    }

    /// Exactly `steps` steps, uncalibrated (`--op-work-steps`): the same cost in
    /// instructions on any machine and under valgrind; `ns_per_step` is NaN.
    pub fn steps(steps: u64) -> SpinDelay {
        SpinDelay {
            steps,
            ns_per_step: f64::NAN,
        }
    }
}

/// `steps` steps of `x = x * 6364136223846793005 + 1442695040888963407` from `x`, a chain
/// the CPU cannot overlap or skip; returns the chain's end, for the next op's spin to go on
/// from.
#[inline(always)]
fn spin_steps(steps: u64, mut x: u64) -> u64 {
    for _ in 0..steps {
        x = x
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        opaque(&mut x);
    }
    x
}

/// The spin chain's state between ops, kept in memory: each op's spin loads it, runs its
/// steps on from it and stores the end (see [`replay_spinning`]).
struct SpinChain(u64);

impl SpinChain {
    fn new() -> SpinChain {
        SpinChain(1)
    }

    #[inline(always)]
    fn spin(&mut self, steps: u64) {
        // SAFETY: `&mut self.0` is a valid, aligned, exclusive u64; volatile only keeps
        // the load and the store (the chain stays in memory between ops).
        unsafe {
            let x = std::ptr::read_volatile(&self.0);
            std::ptr::write_volatile(&mut self.0, spin_steps(steps, x));
        }
    }
}

/// Makes `x` opaque to the compiler, so that it neither reshapes the chain (a
/// step's cost must stay constant, which the calibration relies on) nor drops
/// it. On x86-64 an empty `asm!` that takes and gives back `x` in a register and
/// touches no memory: unlike `black_box`, which goes through memory and tells the
/// compiler any memory may change, it leaves the replay loop around the spin
/// compiled as without it (the loop's other values stay in registers).
#[inline(always)]
fn opaque(x: &mut u64) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: the template is empty: it reads and writes nothing but `x`'s register.
    unsafe {
        std::arch::asm!(
            "/* {0} */",
            inout(reg) * x,
            options(nomem, nostack, preserves_flags)
        );
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        *x = std::hint::black_box(*x);
    }
}

/// The start barrier: workers arrive after their warm-up; the main thread waits for all of
/// them, reads the clock (t = 0 of the measured phase) and opens the gate. Unlike
/// `std::sync::Barrier` it can be aborted, so a worker that panics in its warm-up, or a
/// SIGINT, never leaves the others waiting forever.
#[derive(Debug, Default)]
pub(crate) struct StartGate {
    state: Mutex<GateState>,
    changed: Condvar,
}

#[derive(Debug, Default)]
struct GateState {
    ready: usize,
    start: Option<Instant>,
    aborted: bool,
}

impl StartGate {
    fn lock(&self) -> std::sync::MutexGuard<'_, GateState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A worker: arrive, and wait for t0 (`None`: aborted).
    pub(crate) fn arrive_and_wait(&self) -> Option<Instant> {
        let mut s = self.lock();
        s.ready += 1;
        self.changed.notify_all();
        let s = self
            .changed
            .wait_while(s, |s| s.start.is_none() && !s.aborted)
            .unwrap_or_else(|e| e.into_inner());
        if s.aborted { None } else { s.start }
    }

    /// The main thread: wait for `workers` arrivals, then open the gate at `Instant::now()`
    /// (returned), unless the gate was aborted or `stop` is raised by then (`None`).
    pub(crate) fn open_when_ready(&self, workers: usize, stop: &AtomicBool) -> Option<Instant> {
        let s = self.lock();
        let mut s = self
            .changed
            .wait_while(s, |s| s.ready < workers && !s.aborted)
            .unwrap_or_else(|e| e.into_inner());
        if s.aborted || stop.load(Relaxed) {
            s.aborted = true;
            self.changed.notify_all();
            return None;
        }
        let t0 = Instant::now();
        s.start = Some(t0);
        self.changed.notify_all();
        Some(t0)
    }

    /// Wakes everyone waiting; no measured phase will start (harmless once it has).
    pub(crate) fn abort(&self) {
        let mut s = self.lock();
        if s.start.is_none() {
            s.aborted = true;
        }
        self.changed.notify_all();
    }
}

/// What one worker hands the collector for one interval.
#[derive(Debug)]
pub(crate) struct Contribution {
    pub worker: usize,
    /// Interval index `k`: the ops were completed before the worker saw the clock pass
    /// `t0 + (k + 1) · interval` (or, for its last contribution, before it stopped).
    pub index: u64,
    pub tally: Tally,
    /// The interval's latency samples (`None` when latency is disabled).
    pub hist: Option<Histogram<u64>>,
    /// Set on the worker's last contribution.
    pub end: Option<WorkerEnd>,
}

/// How a worker finished.
#[derive(Debug)]
pub(crate) struct WorkerEnd {
    /// When it completed its last op (`None` if it never started the measured phase).
    pub at: Option<Instant>,
    /// Its result checksum over the measured phase's gets.
    pub checksum: u64,
    /// Its warm-up ops (they change the map, so `final_len` needs them).
    pub warmup: Tally,
    /// A panic message, if it panicked.
    pub error: Option<String>,
}

/// One worker's part of a run.
#[derive(Debug, Clone, Copy)]
pub(crate) struct WorkerPlan<'a> {
    pub worker: usize,
    pub thread: u32,
    /// The thread's op words, as stored.
    pub words: &'a [u64],
    pub warmup_ops: u64,
    /// Mean gap between timed ops (op 0 timed, then jittered gaps:
    /// [`crate::sampling::SampleGaps`]); 0 = never.
    pub sample_every: u64,
    pub op_delay: Option<SpinDelay>,
    pub interval: Duration,
    /// `Some`: replay the stream in a loop until `t0 + duration`; `None`: once.
    pub duration: Option<Duration>,
}

/// Runs one worker on the calling thread: handle, warm-up, quiesce, start gate, measured
/// phase, quiesce. Always sends exactly one contribution with `end` set, last, even if it
/// panics.
pub(crate) fn run_worker<K: MapKey, V: MapValue, M: ConcurrentMap<K, V>>(
    map: &M,
    plan: WorkerPlan<'_>,
    gate: &StartGate,
    stop: &AtomicBool,
    to_collector: &Sender<Contribution>,
    recycled: &Receiver<Histogram<u64>>,
) {
    let mut last_index = 0;
    let mut warmup = Tally::default();
    let outcome = panic::catch_unwind(AssertUnwindSafe(|| {
        worker_body(
            map,
            plan,
            gate,
            stop,
            to_collector,
            recycled,
            &mut last_index,
            &mut warmup,
        )
    }));
    if let Err(payload) = outcome {
        gate.abort();
        stop.store(true, Relaxed);
        let message = payload
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "a worker panicked".to_owned());
        let _ = to_collector.send(Contribution {
            worker: plan.worker,
            index: last_index,
            tally: Tally::default(),
            hist: None,
            end: Some(WorkerEnd {
                at: None,
                checksum: CHECKSUM_INIT,
                warmup,
                error: Some(format!(
                    "worker {} (thread {}) panicked: {message}",
                    plan.worker, plan.thread
                )),
            }),
        });
    }
}

#[allow(clippy::too_many_arguments)]
fn worker_body<K: MapKey, V: MapValue, M: ConcurrentMap<K, V>>(
    map: &M,
    plan: WorkerPlan<'_>,
    gate: &StartGate,
    stop: &AtomicBool,
    to_collector: &Sender<Contribution>,
    recycled: &Receiver<Histogram<u64>>,
    last_index: &mut u64,
    warmup: &mut Tally,
) {
    let mut handle = map.handle();
    let words = plan.words;
    let n = words.len();
    let tag = value_tag(plan.thread);
    let keys = decode_keys::<K>(words);
    let kinds = decode_kinds(words);

    // Warm-up: the stream's first `warmup_ops` ops (wrapping), untimed, unrecorded.
    let mut warm_checksum = CHECKSUM_INIT;
    let mut done = 0u64;
    while done < plan.warmup_ops && !stop.load(Relaxed) {
        let pos = (done % n as u64) as usize;
        let len = CLOCK_CHECK_OPS
            .min(n - pos)
            .min((plan.warmup_ops - done) as usize);
        replay_untimed(
            &mut handle,
            &kinds[pos..pos + len],
            &keys[pos..pos + len],
            plan.thread,
            pos as u64,
            warmup,
            &mut warm_checksum,
        );
        done += len as u64;
    }
    handle.quiesce();

    let finish = |index, tally, hist, at, checksum, warmup: Tally| {
        let _ = to_collector.send(Contribution {
            worker: plan.worker,
            index,
            tally,
            hist,
            end: Some(WorkerEnd {
                at,
                checksum,
                warmup,
                error: None,
            }),
        });
    };
    let Some(t0) = gate.arrive_and_wait() else {
        finish(0, Tally::default(), None, None, CHECKSUM_INIT, *warmup);
        return;
    };

    let sampling = plan.sample_every > 0;
    let mut hist = sampling.then(new_latency_histogram);
    let mut tally = Tally::default();
    let mut checksum = CHECKSUM_INIT;
    let mut k = 0u64;
    let mut boundary = t0 + plan.interval;
    let deadline = plan.duration.map(|d| t0 + d);
    let mut pos = 0usize; // position in the stream (restarts when it wraps)
    let mut measured = 0u64; // ops completed in the measured phase (never restarts)
    let mut next_sample = if sampling { 0 } else { u64::MAX };
    let mut gaps = crate::sampling::SampleGaps::new(plan.thread, plan.sample_every.max(1));
    // A counted map: count every op that ran destructors of retired values.
    let count_stalls = crate::reclaim::is_on();
    // Spin steps per op: `None` runs the lean loop ([`replay_untimed`]), `Some` the spin
    // loop ([`replay_spinning`]), even with 0 steps (a compare check's baseline).
    let spin = plan.op_delay.map(|d| d.steps);
    loop {
        let end = (pos + CLOCK_CHECK_OPS).min(n);
        let len = (end - pos) as u64;
        // The chunk runs as plain un-timed loops around at most the one op
        // (per `sample_every` >= 1) that is timed, so an un-timed op pays no
        // per-op sampling test and consecutive ops keep their cache misses
        // overlapped (a clock read orders the op against its neighbours).
        let mut i = 0usize;
        while i < end - pos {
            let untimed = next_sample.saturating_sub(measured).min(len - i as u64) as usize;
            let from = pos + i;
            // (`None`: this thread's counters are gone, which only happens at its exit.)
            let counted = count_stalls
                && untimed > 0
                && cmap_maps::reclaim::with_thread_frees(|frees| {
                    replay_counting_stalls(
                        &mut handle,
                        &kinds[from..from + untimed],
                        &keys[from..from + untimed],
                        plan.thread,
                        from as u64,
                        &mut tally,
                        &mut checksum,
                        spin.unwrap_or(0),
                        frees,
                    )
                })
                .is_some();
            if !counted {
                let (ops, op_keys) = (&kinds[from..from + untimed], &keys[from..from + untimed]);
                let at = from as u64;
                match spin {
                    None => replay_untimed(
                        &mut handle,
                        ops,
                        op_keys,
                        plan.thread,
                        at,
                        &mut tally,
                        &mut checksum,
                    ),
                    Some(steps) => replay_spinning(
                        &mut handle,
                        ops,
                        op_keys,
                        plan.thread,
                        at,
                        &mut tally,
                        &mut checksum,
                        steps,
                    ),
                }
            }
            i += untimed;
            measured += untimed as u64;
            if i == end - pos {
                break;
            }
            let index = (pos + i) as u64;
            // ANCHOR: timed-op
            // measured == next_sample: this op is timed (the map call alone).
            let (kind, key) = (usize::from(kinds[pos + i] & 3), keys[pos + i]);
            let value = tag | (index + 1);
            let frees = crate::reclaim::before_op();
            let started = Instant::now();
            let (hit, got) = call_map(&mut handle, kind, key, value);
            spin_steps(spin.unwrap_or(0), 1);
            let took = Instant::now().duration_since(started);
            tally.stall_ops += u64::from(crate::reclaim::after_op(frees, started, took));
            count_op(kind, hit, got, &mut tally, &mut checksum);
            if let Some(h) = hist.as_mut() {
                h.saturating_record(took.as_nanos() as u64);
            }
            next_sample = next_sample.saturating_add(gaps.next_gap());
            // ANCHOR_END: timed-op
            measured += 1;
            i += 1;
        }
        pos = end;
        let stream_done = pos == n;
        if stream_done {
            pos = 0;
        }
        let now = Instant::now();
        let stopping = match deadline {
            None => stream_done,
            Some(d) => now >= d,
        } || stop.load(Relaxed);
        if stopping {
            *last_index = k;
            finish(k, tally, hist, Some(now), checksum, *warmup);
            break;
        }
        while now >= boundary {
            let fresh = if sampling {
                Some(
                    recycled
                        .try_recv()
                        .unwrap_or_else(|_| new_latency_histogram()),
                )
            } else {
                None
            };
            let full = std::mem::replace(&mut hist, fresh);
            let sent = to_collector.send(Contribution {
                worker: plan.worker,
                index: k,
                tally: std::mem::take(&mut tally),
                hist: full,
                end: None,
            });
            if sent.is_err() {
                // The collector is gone (it failed): nobody will read the rest.
                stop.store(true, Relaxed);
            }
            k += 1;
            *last_index = k;
            boundary += plan.interval;
        }
    }
    handle.quiesce();
}
