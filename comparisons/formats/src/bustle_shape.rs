//! The shape of a bustle workload (bustle 0.5's `Workload::run_silently`, with
//! conc-map-bench's three mixes), and the trace workload of the same shape: key count,
//! hit rate, table capacity and op mix. `mapbench validate` runs both harnesses on it;
//! `rust-impl/bustle-check` runs the bustle side.
//!
//! Bustle, per thread: `nkeys = ceil((max(cap, ceil(ops/100) × insert%) + prefill) /
//! threads)` rounded up to a power of two random keys; the first `prefill / threads` are
//! inserted before timing; reads and updates walk all `nkeys` with a full-period LCG
//! (uniform, each key at most once per period), inserts take the next fresh key, removes
//! the oldest present one. The matching trace: `key_space = threads × nkeys` (every key
//! bustle could touch), `prefill_count = threads × (prefill / threads)`, the same op
//! shares, uniform keys, presized, `ops_per_thread = ops / threads`. Its table capacity
//! is its key space, so bustle-check creates the map with that capacity
//! (`--table-capacity`) instead of bustle's `cap`. What cannot match: a trace's inserts
//! and removes draw uniform keys, so an insert may find its key and a remove may miss,
//! where bustle's never do (the hit rates are reported beside the numbers).

use crate::workload::{Distribution, Mix, Workload};

/// conc-map-bench's three mixes (its `src/workloads.rs`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BustleMix {
    ReadHeavy,
    Exchange,
    RapidGrow,
}

impl BustleMix {
    pub const ALL: [BustleMix; 3] = [
        BustleMix::ReadHeavy,
        BustleMix::Exchange,
        BustleMix::RapidGrow,
    ];

    pub fn name(self) -> &'static str {
        match self {
            BustleMix::ReadHeavy => "read-heavy",
            BustleMix::Exchange => "exchange",
            BustleMix::RapidGrow => "rapid-grow",
        }
    }

    pub fn parse(s: &str) -> Option<BustleMix> {
        BustleMix::ALL.into_iter().find(|m| m.name() == s)
    }

    /// (read, insert, remove, update) percentages, bustle's field order.
    pub fn percentages(self) -> (u8, u8, u8, u8) {
        match self {
            BustleMix::ReadHeavy => (98, 1, 1, 0),
            BustleMix::Exchange => (10, 40, 40, 10),
            BustleMix::RapidGrow => (5, 80, 5, 10),
        }
    }

    pub fn prefill_fraction(self) -> f64 {
        match self {
            BustleMix::RapidGrow => 0.0,
            _ => 0.75,
        }
    }
}

/// One bustle run's parameters and what bustle derives from them.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BustleShape {
    pub mix: BustleMix,
    pub threads: u32,
    pub capacity_log2: u8,
    /// Ops as a multiple of `2^capacity_log2`.
    pub operations: f64,
}

impl BustleShape {
    /// Bustle's `initial_capacity`.
    pub fn capacity(&self) -> u64 {
        1 << self.capacity_log2
    }

    /// Bustle's `total_ops`.
    pub fn total_ops(&self) -> u64 {
        (self.capacity() as f64 * self.operations) as u64
    }

    /// Bustle's `prefill` (over all threads, before the per-thread split).
    pub fn prefill(&self) -> u64 {
        (self.capacity() as f64 * self.mix.prefill_fraction()) as u64
    }

    /// Bustle's `insert_keys_per_thread`: the keys each thread owns.
    pub fn keys_per_thread(&self) -> u64 {
        let (_, insert, _, _) = self.mix.percentages();
        let max_insert_ops = self.total_ops().div_ceil(100) * u64::from(insert);
        let insert_keys = self.capacity().max(max_insert_ops) + self.prefill();
        insert_keys
            .div_ceil(u64::from(self.threads))
            .next_power_of_two()
    }

    /// Keys inserted before timing (bustle splits the prefill evenly, rounding down).
    pub fn prefill_count(&self) -> u64 {
        self.prefill() / u64::from(self.threads) * u64::from(self.threads)
    }

    /// Every key any thread can touch: the trace's key space and table capacity.
    pub fn key_space(&self) -> u64 {
        self.keys_per_thread() * u64::from(self.threads)
    }

    /// The share of reads that find their key at the start (the prefill's share of the
    /// keys the reads walk).
    pub fn initial_read_hit_rate(&self) -> f64 {
        self.prefill_count() as f64 / self.key_space() as f64
    }

    /// The trace workload of the same shape.
    pub fn workload(&self) -> Workload {
        let (read, insert, remove, update) = self.mix.percentages();
        let pct = |p: u8| u16::from(p) * 100;
        Workload {
            name: format!("bustle-{}-2e{}", self.mix.name(), self.capacity_log2),
            description: format!(
                "The shape of bustle's {} mix at 2^{} capacity ({} ops × capacity): {} keys, {} prefilled, uniform, presized, for mapbench validate.",
                self.mix.name(),
                self.capacity_log2,
                self.operations,
                self.key_space(),
                self.prefill_count()
            ),
            key_space: self.key_space(),
            prefill_count: self.prefill_count(),
            presize: true,
            mix: Mix {
                get: pct(read),
                insert: pct(insert),
                update: pct(update),
                remove: pct(remove),
            },
            distribution: Distribution::Uniform {},
            threads: self.threads,
            ops_per_thread: self.total_ops() / u64::from(self.threads),
            seed: 1,
            key_type: Default::default(),
            value_kind: Default::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape(mix: BustleMix, threads: u32) -> BustleShape {
        BustleShape {
            mix,
            threads,
            capacity_log2: 25,
            operations: 1.0,
        }
    }

    #[test]
    fn read_heavy_at_2e25_is_the_shape_bustle_runs() {
        // 1.75 × 2^25 keys needed, rounded up per thread to a power of two.
        let one = shape(BustleMix::ReadHeavy, 1);
        assert_eq!(one.keys_per_thread(), 1 << 26);
        assert_eq!(one.key_space(), 1 << 26);
        assert_eq!(one.prefill_count(), 3 << 23);
        assert!((one.initial_read_hit_rate() - 0.375).abs() < 1e-12);
        let two = shape(BustleMix::ReadHeavy, 2);
        assert_eq!(two.keys_per_thread(), 1 << 25);
        assert_eq!(two.key_space(), 1 << 26);
        assert!((two.initial_read_hit_rate() - 0.375).abs() < 1e-12);
        assert_eq!(two.workload().ops_per_thread, 1 << 24);
    }

    #[test]
    fn rapid_grow_starts_empty_over_bustles_own_capacity() {
        let s = shape(BustleMix::RapidGrow, 2);
        assert_eq!(s.prefill_count(), 0);
        assert_eq!(s.key_space(), 1 << 25);
        let w = s.workload();
        assert_eq!(
            (w.mix.get, w.mix.insert, w.mix.update, w.mix.remove),
            (500, 8000, 1000, 500)
        );
    }

    #[test]
    fn the_matching_workloads_trace() {
        for mix in BustleMix::ALL {
            let s = BustleShape {
                mix,
                threads: 2,
                capacity_log2: 10,
                operations: 1.0,
            };
            let bytes = crate::trace::generate(&s.workload());
            let t = crate::trace::Trace::from_bytes(&bytes, "bustle").unwrap();
            assert_eq!(t.header().key_space, s.key_space());
            assert_eq!(t.header().prefill_count, s.prefill_count());
            assert_eq!(t.header().ops_per_thread * 2, s.total_ops());
            assert_eq!(BustleMix::parse(mix.name()), Some(mix));
        }
        assert_eq!(BustleMix::parse("read_heavy"), None);
    }
}
