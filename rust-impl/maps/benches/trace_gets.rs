//! The micro-benchmark `mapbench validate` holds the Rust runner against: the
//! gets of a trace (comparisons/TRACE-FORMAT.md) through the same adapters,
//! timed by criterion instead of the runner, as Go's `BenchmarkTraceGets`
//! (go-reference/maps/trace_bench_test.go) does. It reads the traces named in
//! `CMAP_BENCH_TRACES` (comma-separated paths; nothing runs without it) and
//! the maps in `CMAP_BENCH_MAPS` (comma-separated names). Per trace and map:
//! the map is created as the runner creates it (presized to the trace's
//! capacity) and prefilled from the trace; then one thread per op stream, each
//! with its own handle, cycles through its stream's keys (decoded beforehand).
//! One criterion iteration is one get on every thread; criterion's time per
//! iteration is the wall-clock time of that round, so ns per op (all threads,
//! as `go test -bench` reports for `b.RunParallel`) is it ÷ threads.
//! Id: `trace_gets/<map>/<workload>-t<threads>`.
//!
//! A second group, `trace_gets_used`, runs the same loop with each get's result used as
//! the runner must use it (comparisons/RUNNER-SPEC.md, "What a run does" 5): a hit is
//! counted and the found value (or the miss marker) folded into an FNV-style checksum,
//! both kept in locals and passed to `black_box` once per round. Set against the first
//! group it shows what using the result costs on a map and shape, apart from the runner.
//! Run: `CMAP_BENCH_TRACES=a.trace cargo bench -p cmap-maps --bench trace_gets`.

use std::hint::black_box;
use std::sync::Barrier;
use std::time::{Duration, Instant};

use cmap_formats::trace::{CHECKSUM_INIT, CHECKSUM_PRIME, KEY_ID_MASK, Trace, key_for_id};
use cmap_maps::{ConcurrentMap, MapHandle, MapVisitor};
use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};

struct TraceGets<'a> {
    c: &'a mut Criterion,
    trace: &'a Trace,
    streams: &'a [Vec<u64>],
}

/// `iters` gets per thread, one thread per stream; the wall-clock time from the
/// moment all threads are ready to the moment the last one is done.
fn timed_round<M: ConcurrentMap, const USED: bool>(
    map: &M,
    streams: &[Vec<u64>],
    iters: u64,
) -> Duration {
    let gets = |handle: &mut M::Handle<'_>, keys: &[u64]| {
        let mut i = 0usize;
        let (mut hits, mut acc) = (0u64, CHECKSUM_INIT);
        for _ in 0..iters {
            if USED {
                let found = handle.get(keys[i]);
                hits += u64::from(found.is_some());
                // A miss folds u64::MAX, the runner's MISS_MARKER.
                acc = (acc ^ found.unwrap_or(u64::MAX)).wrapping_mul(CHECKSUM_PRIME);
            } else {
                black_box(handle.get(keys[i]));
            }
            i += 1;
            if i == keys.len() {
                i = 0;
            }
        }
        black_box((hits, acc));
    };
    if streams.len() == 1 {
        let mut handle = map.handle();
        let start = Instant::now();
        gets(&mut handle, &streams[0]);
        return start.elapsed();
    }
    let ready = Barrier::new(streams.len() + 1);
    std::thread::scope(|s| {
        let workers: Vec<_> = streams
            .iter()
            .map(|keys| {
                let ready = &ready;
                s.spawn(move || {
                    let mut handle = map.handle();
                    ready.wait();
                    gets(&mut handle, keys);
                })
            })
            .collect();
        ready.wait();
        let start = Instant::now();
        for w in workers {
            w.join().expect("a benchmark thread panicked");
        }
        start.elapsed()
    })
}

impl MapVisitor for TraceGets<'_> {
    type Output = ();
    fn visit<M: ConcurrentMap>(self) {
        let h = self.trace.header();
        let info = M::describe();
        if !info.supports_threads(self.streams.len()) {
            return;
        }
        let map = M::with_capacity(h.presize_capacity().unwrap_or(0) as usize);
        {
            let mut handle = map.handle();
            for op in self.trace.prefill() {
                handle.insert(op.key, op.value);
            }
            handle.quiesce();
        }
        let id = || BenchmarkId::new(info.name, format!("{}-t{}", h.name, h.threads));
        self.c
            .benchmark_group("trace_gets")
            .bench_function(id(), |b| {
                b.iter_custom(|iters| timed_round::<M, false>(&map, self.streams, iters))
            });
        self.c
            .benchmark_group("trace_gets_used")
            .bench_function(id(), |b| {
                b.iter_custom(|iters| timed_round::<M, true>(&map, self.streams, iters))
            });
    }
}

/// Every stream's keys; panics unless the trace holds gets only.
fn get_keys(trace: &Trace) -> Vec<Vec<u64>> {
    (0..trace.header().threads)
        .map(|t| {
            trace
                .thread_ops(t)
                .raw()
                .iter()
                .enumerate()
                .map(|(i, &w)| {
                    let w = u64::from_le(w);
                    assert!(
                        w >> 62 == 0,
                        "{}: trace_gets expects a trace of gets only; op {i} of thread {t} is not a get",
                        trace.label()
                    );
                    key_for_id(w & KEY_ID_MASK)
                })
                .collect()
        })
        .collect()
}

fn trace_gets(c: &mut Criterion) {
    let Ok(paths) = std::env::var("CMAP_BENCH_TRACES") else {
        eprintln!("trace_gets: CMAP_BENCH_TRACES is not set (mapbench validate sets it)");
        return;
    };
    let names = std::env::var("CMAP_BENCH_MAPS").unwrap_or_default();
    for path in paths.split(',').filter(|p| !p.is_empty()) {
        let trace =
            Trace::open(path.as_ref()).unwrap_or_else(|e| panic!("CMAP_BENCH_TRACES: {path}: {e}"));
        let streams = get_keys(&trace);
        for name in names.split(',').filter(|n| !n.is_empty()) {
            cmap_maps::visit_by_name(
                name,
                TraceGets {
                    c,
                    trace: &trace,
                    streams: &streams,
                },
            )
            .unwrap_or_else(|e| panic!("CMAP_BENCH_MAPS: {e}"));
        }
    }
}

criterion_group!(benches, trace_gets);
criterion_main!(benches);
