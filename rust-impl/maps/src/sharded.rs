//! Our own sharded map: N independent `RwLock<HashMap>`s, each padded to its
//! own cache-line pair. dashmap's idea in a few dozen lines, and the same
//! design, shard count and shard function as Go's `sharded-rwmutex-map`, so
//! the two languages do the same work.

use std::collections::HashMap;
use std::hash::BuildHasher;
use std::sync::{PoisonError, RwLock};

use crossbeam_utils::CachePadded;

use crate::{ConcurrentMap, FoldState, MapHandle, MapInfo, ReadVisibility, SipState, hasher};

/// One shard. `CachePadded` aligns each shard to 128 bytes on x86-64 (the
/// adjacent-line prefetcher pulls 64-byte lines in pairs, so 64-byte padding
/// would still let two shards' locks share a prefetch pair) and to the
/// cache-line size elsewhere: without it, threads locking *different* shards
/// would still bounce one cache line between cores (false sharing).
type Shard<S> = CachePadded<RwLock<HashMap<u64, u64, S>>>;

/// Shards in a map made by [`ConcurrentMap::with_capacity`]: a power of two
/// (the index is a shift) and at least 4 × the most threads the suites run
/// (16): with T threads on uniform keys an operation finds another thread on
/// its shard with probability about (T − 1)/64, at most 25%. Go's
/// `sharded-rwmutex-map` uses the same 64.
pub const SHARDS: usize = 64;

/// Knuth's multiplicative hashing constant, 2^64 / golden ratio, made odd.
const FIBONACCI: u64 = 0x9E37_79B9_7F4A_7C15;

// ANCHOR: core
/// A map split into a power-of-two number of shards, each an
/// `RwLock<HashMap<u64, u64, S>>`.
///
/// The shard is the top bits of `key × FIBONACCI` (unseeded, as in Go's
/// sharded map): a multiply carries every key bit upward, so structured keys
/// (multiples of 64, sequential ids) still spread, for the price of one
/// multiplication; the key is then hashed with `S` inside its shard.
pub struct ShardedMap<S> {
    shards: Box<[Shard<S>]>,
    /// `64 - log2(shards.len())`.
    shift: u32,
}

impl<S: BuildHasher + Default> ShardedMap<S> {
    /// A map with exactly `shards` shards (a power of two, ≥ 2) sized for
    /// `capacity` entries in total.
    pub fn with_shards(capacity: usize, shards: usize) -> Self {
        assert!(
            shards.is_power_of_two() && shards >= 2,
            "shard count must be a power of two >= 2, got {shards}"
        );
        let per_shard = capacity.div_ceil(shards);
        Self {
            shards: (0..shards)
                .map(|_| {
                    CachePadded::new(RwLock::new(HashMap::with_capacity_and_hasher(
                        per_shard,
                        S::default(),
                    )))
                })
                .collect(),
            shift: 64 - shards.trailing_zeros(),
        }
    }
}

impl<S> ShardedMap<S> {
    /// The number of shards.
    pub fn shard_count(&self) -> usize {
        self.shards.len()
    }

    /// The shard index of `key`.
    #[inline]
    pub fn shard_index(&self, key: u64) -> usize {
        (key.wrapping_mul(FIBONACCI) >> self.shift) as usize
    }

    #[inline]
    fn shard(&self, key: u64) -> &RwLock<HashMap<u64, u64, S>> {
        &self.shards[self.shard_index(key)]
    }
}

/// The handle is a reference: shards are the only shared state.
pub struct ShardedHandle<'a, S> {
    map: &'a ShardedMap<S>,
}

impl<S: BuildHasher> MapHandle for ShardedHandle<'_, S> {
    fn get(&mut self, key: u64) -> Option<u64> {
        let shard = self.map.shard(key).read();
        shard
            .unwrap_or_else(PoisonError::into_inner)
            .get(&key)
            .copied()
    }
    fn insert(&mut self, key: u64, value: u64) -> bool {
        let shard = self.map.shard(key).write();
        let mut shard = shard.unwrap_or_else(PoisonError::into_inner);
        shard.insert(key, value).is_none()
    }
    fn update(&mut self, key: u64, value: u64) -> bool {
        let shard = self.map.shard(key).write();
        match shard.unwrap_or_else(PoisonError::into_inner).get_mut(&key) {
            Some(slot) => {
                *slot = value;
                true
            }
            None => false,
        }
    }
    fn remove(&mut self, key: u64) -> bool {
        let shard = self.map.shard(key).write();
        let mut shard = shard.unwrap_or_else(PoisonError::into_inner);
        shard.remove(&key).is_some()
    }
}
// ANCHOR_END: core

/// [`ShardedMap`] with std's SipHash.
pub type ShardedRwLockSip = ShardedMap<SipState>;
/// [`ShardedMap`] with foldhash.
pub type ShardedRwLockFoldhash = ShardedMap<FoldState>;

const NOTES: &str = "64 shards (fixed; the same count and shard function as Go's \
                     sharded-rwmutex-map). Shard = top 6 bits of key * 0x9E3779B97F4A7C15 \
                     (unseeded); the in-shard HashMap hashes with the named hasher. Each shard is a \
                     std RwLock padded to 128 bytes on x86-64 (crossbeam CachePadded); every \
                     operation holds one shard lock, so all are atomic.";

impl ConcurrentMap for ShardedRwLockSip {
    type Handle<'a> = ShardedHandle<'a, SipState>;
    fn with_capacity(capacity: usize) -> Self {
        Self::with_shards(capacity, SHARDS)
    }
    fn handle(&self) -> Self::Handle<'_> {
        ShardedHandle { map: self }
    }
    fn describe() -> MapInfo {
        MapInfo {
            name: "sharded-rwlock-sip",
            hasher: hasher::SIP,
            ..sharded_info()
        }
    }
}

impl ConcurrentMap for ShardedRwLockFoldhash {
    type Handle<'a> = ShardedHandle<'a, FoldState>;
    fn with_capacity(capacity: usize) -> Self {
        Self::with_shards(capacity, SHARDS)
    }
    fn handle(&self) -> Self::Handle<'_> {
        ShardedHandle { map: self }
    }
    fn describe() -> MapInfo {
        MapInfo {
            name: "sharded-rwlock-foldhash",
            hasher: hasher::FOLDHASH,
            go_counterpart: Some("sharded-rwmutex-map"),
            ..sharded_info()
        }
    }
}

fn sharded_info() -> MapInfo {
    MapInfo {
        name: "",
        crate_name: "cmap-maps",
        crate_version: env!("CARGO_PKG_VERSION"),
        hasher: "",
        description: "Our sharded map: 64 std RwLock<HashMap> shards, each padded to 128 bytes",
        notes: NOTES,
        max_threads: None,
        reads: ReadVisibility::Immediate,
        go_counterpart: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn structured_keys_spread_over_every_shard() {
        let map = ShardedRwLockFoldhash::with_capacity(0);
        let mut hits = [0usize; SHARDS];
        // Multiples of 64: `key % 64` would put every one in shard 0.
        for key in (0..64_000u64).map(|k| k * 64) {
            hits[map.shard_index(key)] += 1;
        }
        // Uniform would be 1000 per shard.
        assert!(hits.iter().all(|&n| (700..1300).contains(&n)), "{hits:?}");
    }
}
