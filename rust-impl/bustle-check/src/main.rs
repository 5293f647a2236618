//! `bustle-check`: one bustle workload (bustle 0.5, the harness conc-map-bench
//! uses) against one `cmap-maps` adapter, the second Rust harness `mapbench
//! validate` holds the Rust runner against. Prints one JSON line.
//!
//! ```text
//! bustle-check --map NAME --mix read-heavy|exchange|rapid-grow --threads N
//!              [--capacity-log2 L] [--table-capacity C] [--operations F] [--seed S]
//! ```
//!
//! The mixes, prefill fractions and capacity are conc-map-bench's (its
//! `src/workloads.rs`), at `2^L` instead of its `2^25`; `--operations` is
//! bustle's ops as a multiple of that capacity (conc-map-bench's default 1).
//! `--table-capacity` creates the map with that capacity instead of bustle's
//! `2^L`, so that the table matches the runner's (which presizes to the
//! trace's key space).

use std::process::ExitCode;

use bustle::{Collection, CollectionHandle, Mix, Workload};
use cmap_maps::{ConcurrentMap, MapHandle, MapVisitor};

mod shape;

use shape::{BustleMix, Shape};

/// The map under test, created once per process and leaked, so that its
/// handles can be `'static` as bustle's `Collection::Handle` must be.
struct Bustled<M: ConcurrentMap>(&'static M);

/// The capacity `with_capacity` really uses (`--table-capacity`), set before
/// the workload runs.
static TABLE_CAPACITY: std::sync::OnceLock<Option<usize>> = std::sync::OnceLock::new();

impl<M: ConcurrentMap> Collection for Bustled<M> {
    type Handle = BustledHandle<M>;

    fn with_capacity(capacity: usize) -> Self {
        let capacity = TABLE_CAPACITY.get().copied().flatten().unwrap_or(capacity);
        Bustled(Box::leak(Box::new(M::with_capacity(capacity))))
    }

    fn pin(&self) -> BustledHandle<M> {
        BustledHandle(self.0.handle())
    }
}

/// One bustle thread's handle; dropping it quiesces it, so the prefill
/// threads' writes are visible to the mix threads.
struct BustledHandle<M: ConcurrentMap>(M::Handle<'static>);

impl<M: ConcurrentMap> Drop for BustledHandle<M> {
    fn drop(&mut self) {
        self.0.quiesce();
    }
}

/// Bustle's keys are random `u64`s; 0 and `u64::MAX` are moved off (adapters
/// may use them as sentinels, as the trace's keys never are).
#[derive(Debug, Clone, Copy)]
struct Key(u64);

impl From<u64> for Key {
    fn from(x: u64) -> Key {
        Key(x.clamp(1, u64::MAX - 1))
    }
}

impl<M: ConcurrentMap> CollectionHandle for BustledHandle<M> {
    type Key = Key;

    fn get(&mut self, key: &Key) -> bool {
        self.0.get(key.0).is_some()
    }

    fn insert(&mut self, key: &Key) -> bool {
        self.0.insert(key.0, key.0)
    }

    fn remove(&mut self, key: &Key) -> bool {
        self.0.remove(key.0)
    }

    fn update(&mut self, key: &Key) -> bool {
        self.0.update(key.0, key.0 ^ 1)
    }
}

struct RunBustle(Shape);

impl MapVisitor for RunBustle {
    type Output = Result<String, String>;
    fn visit<M: ConcurrentMap>(self) -> Self::Output {
        let s = &self.0;
        let info = M::describe();
        if !info.supports_threads(s.threads) {
            return Err(format!(
                "--map {}: supports at most {:?} threads, asked for {}",
                info.name, info.max_threads, s.threads
            ));
        }
        let mix = bustle_mix(s.mix);
        let mut w = Workload::new(s.threads, mix);
        w.initial_capacity_log2(s.capacity_log2)
            .prefill_fraction(s.mix.prefill_fraction())
            .operations(s.operations)
            .seed(seed_bytes(s.seed));
        let m = w.run_silently::<Bustled<M>>();
        Ok(format!(
            "{{\"harness\":\"bustle 0.5\",\"map\":\"{}\",\"mix\":\"{}\",\"threads\":{},\"capacity_log2\":{},\"table_capacity\":{},\"operations\":{},\"total_ops\":{},\"spent_ns\":{},\"throughput_ops_per_s\":{}}}",
            info.name,
            s.mix.name(),
            s.threads,
            s.capacity_log2,
            s.table_capacity(),
            s.operations,
            m.total_ops,
            m.spent.as_nanos(),
            m.throughput
        ))
    }
}

fn seed_bytes(seed: u64) -> [u8; 32] {
    let mut b = [0u8; 32];
    for (i, chunk) in b.chunks_mut(8).enumerate() {
        chunk.copy_from_slice(
            &(seed ^ (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15)).to_le_bytes(),
        );
    }
    b
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let shape = match Shape::parse(&args) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("bustle-check: {e}");
            return ExitCode::from(2);
        }
    };
    TABLE_CAPACITY
        .set(shape.table_capacity)
        .expect("set once, before the run");
    let map = shape.map.clone();
    match cmap_maps::visit_by_name(&map, RunBustle(shape)) {
        Err(e) => {
            eprintln!("bustle-check: --map: {e}");
            ExitCode::from(2)
        }
        Ok(Err(e)) => {
            eprintln!("bustle-check: {e}");
            ExitCode::from(2)
        }
        Ok(Ok(line)) => {
            println!("{line}");
            ExitCode::SUCCESS
        }
    }
}

/// conc-map-bench's mix (its src/workloads.rs) as bustle's type.
fn bustle_mix(m: BustleMix) -> Mix {
    let (read, insert, remove, update) = m.percentages();
    Mix {
        read,
        insert,
        remove,
        update,
        upsert: 0,
    }
}
