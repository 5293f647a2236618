//! `noop`: the map whose every operation returns a constant without touching memory.
//!
//! Runs with it measure the harness's own cost per op: trace decoding (the key mix and the
//! value), the per-kind counters, the result checksum, the clock checks and latency
//! sampling. `get` always misses and every write returns `false` (so a `noop` run reports
//! zero hits, `final_len` 0, and a checksum that folds one miss marker per get).
//! `black_box` makes the compiler compute the key and value it is handed, as it must for
//! a real map, instead of deleting the decoding as dead code.

use std::hint::black_box;

use cmap_maps::{ConcurrentMap, MapHandle, MapInfo, MapKey, MapValue, ReadVisibility};

/// The `--map` name of [`NoopMap`] (not in `cmap_maps`'s registry).
pub const NOOP_NAME: &str = "noop";

/// A map that stores nothing.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoopMap;

/// Its handle: every operation is a constant.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoopHandle;

impl<K: MapKey, V: MapValue> MapHandle<K, V> for NoopHandle {
    #[inline]
    fn get(&mut self, key: K) -> Option<u64> {
        black_box(key);
        None
    }

    #[inline]
    fn insert(&mut self, key: K, value: V) -> bool {
        black_box(key);
        black_box(value);
        false
    }

    #[inline]
    fn update(&mut self, key: K, value: V) -> bool {
        black_box(key);
        black_box(value);
        false
    }

    #[inline]
    fn remove(&mut self, key: K) -> bool {
        black_box(key);
        false
    }
}

impl<K: MapKey, V: MapValue> ConcurrentMap<K, V> for NoopMap {
    type Handle<'a> = NoopHandle;

    fn with_capacity(_capacity: usize) -> Self {
        NoopMap
    }

    fn handle(&self) -> NoopHandle {
        NoopHandle
    }

    fn describe() -> MapInfo {
        MapInfo {
            name: NOOP_NAME,
            crate_name: "cmap-runner",
            crate_version: env!("CARGO_PKG_VERSION"),
            hasher: "none",
            description: "No map: every operation returns a constant (get misses, writes return false) without touching memory.",
            notes: "Measures the harness's own cost per op (trace decoding, counters, checksum, clock checks, latency sampling).",
            max_threads: None,
            reads: ReadVisibility::Immediate,
            go_counterpart: Some(NOOP_NAME),
        }
    }
}
