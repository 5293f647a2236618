//! The micro-benchmark `mapbench validate` holds the Rust runner against: gets
//! from a map prefilled with 65,536 keys (every get a hit), keys cycled in
//! order, as Go's `BenchmarkGet` (go-reference/maps/bench_test.go) does. Keys
//! are mixed ids, as in a trace. Run:
//! `cargo bench -p cmap-maps --bench get_prefilled`.

use std::hint::black_box;

use cmap_maps::{ConcurrentMap, MapHandle, MapVisitor};
use criterion::{Criterion, criterion_group, criterion_main};
use mapbench::trace::key_for_id;

/// go-reference/maps/bench_test.go: benchKeys.
const KEYS: u64 = 1 << 16;

struct GetPrefilled<'a>(&'a mut Criterion);

impl MapVisitor for GetPrefilled<'_> {
    type Output = ();
    fn visit<M: ConcurrentMap>(self) {
        let keys: Vec<u64> = (0..KEYS).map(key_for_id).collect();
        let map = M::with_capacity(KEYS as usize);
        let mut h = map.handle();
        for (i, &k) in keys.iter().enumerate() {
            h.insert(k, i as u64 + 1);
        }
        h.quiesce();
        let mut i = 0usize;
        self.0
            .benchmark_group("get_prefilled_64k")
            .bench_function(M::describe().name, |b| {
                b.iter(|| {
                    let v = h.get(black_box(keys[i & (KEYS as usize - 1)]));
                    i += 1;
                    black_box(v)
                })
            });
    }
}

fn get_prefilled(c: &mut Criterion) {
    // The counterpart of Go's BenchmarkGet/mutex-map.
    cmap_maps::visit_by_name("mutex-std-foldhash", GetPrefilled(c)).unwrap();
}

criterion_group!(benches, get_prefilled);
criterion_main!(benches);
