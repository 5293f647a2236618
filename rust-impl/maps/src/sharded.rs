//! Our own sharded map: N independent `RwLock<HashMap>`s, each padded to its
//! own cache-line pair. dashmap's idea in a few dozen lines, and the same
//! design, shard count and shard function as Go's `sharded-rwmutex-map`, so
//! the two languages do the same work.

use std::collections::HashMap;
use std::hash::BuildHasher;
use std::sync::{PoisonError, RwLock};

use crossbeam_utils::CachePadded;

use crate::{
    ConcurrentMap, FoldState, MapHandle, MapInfo, MapKey, MapValue, ReadVisibility, SipState,
    hasher,
};

/// One shard. `CachePadded` aligns each shard to 128 bytes on x86-64 (the
/// adjacent-line prefetcher pulls 64-byte lines in pairs, so 64-byte padding
/// would still let two shards' locks share a prefetch pair) and to the
/// cache-line size elsewhere: without it, threads locking *different* shards
/// would still bounce one cache line between cores (false sharing).
type Shard<S, K, V> = CachePadded<RwLock<HashMap<K, V, S>>>;

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
/// multiplication; the key is then hashed with `S` inside its shard. A string
/// key is first folded to a word by FNV-1a ([`MapKey::shard_word`]).
pub struct ShardedMap<S, K = u64, V = u64> {
    shards: Box<[Shard<S, K, V>]>,
    /// `64 - log2(shards.len())`.
    shift: u32,
}

impl<S: BuildHasher + Default, K: MapKey, V: MapValue> ShardedMap<S, K, V> {
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

impl<S, K: MapKey, V> ShardedMap<S, K, V> {
    /// The number of shards.
    pub fn shard_count(&self) -> usize {
        self.shards.len()
    }

    /// The shard index of `key`.
    #[inline]
    pub fn shard_index(&self, key: K) -> usize {
        (key.shard_word().wrapping_mul(FIBONACCI) >> self.shift) as usize
    }

    #[inline]
    fn shard(&self, key: K) -> &RwLock<HashMap<K, V, S>> {
        &self.shards[self.shard_index(key)]
    }
}

/// The handle is a reference: shards are the only shared state.
pub struct ShardedHandle<'a, S, K = u64, V = u64> {
    map: &'a ShardedMap<S, K, V>,
}

impl<S: BuildHasher, K: MapKey, V: MapValue> MapHandle<K, V> for ShardedHandle<'_, S, K, V> {
    fn get(&mut self, key: K) -> Option<u64> {
        let shard = self.map.shard(key).read();
        shard
            .unwrap_or_else(PoisonError::into_inner)
            .get(&key)
            .map(V::as_u64)
    }
    fn insert(&mut self, key: K, value: V) -> bool {
        let shard = self.map.shard(key).write();
        let mut shard = shard.unwrap_or_else(PoisonError::into_inner);
        shard.insert(key, value).is_none()
    }
    fn update(&mut self, key: K, value: V) -> bool {
        let shard = self.map.shard(key).write();
        match shard.unwrap_or_else(PoisonError::into_inner).get_mut(&key) {
            Some(slot) => {
                *slot = value;
                true
            }
            None => false,
        }
    }
    fn remove(&mut self, key: K) -> bool {
        let shard = self.map.shard(key).write();
        let mut shard = shard.unwrap_or_else(PoisonError::into_inner);
        shard.remove(&key).is_some()
    }
}
// ANCHOR_END: core

/// [`ShardedMap`] with std's SipHash.
pub type ShardedRwLockSip<K = u64, V = u64> = ShardedMap<SipState, K, V>;
/// [`ShardedMap`] with foldhash.
pub type ShardedRwLockFoldhash<K = u64, V = u64> = ShardedMap<FoldState, K, V>;

const NOTES: &str = "64 shards (fixed; the same count and shard function as Go's \
                     sharded-rwmutex-map). Shard = top 6 bits of key * 0x9E3779B97F4A7C15 \
                     (unseeded); the in-shard HashMap hashes with the named hasher. Each shard is a \
                     std RwLock padded to 128 bytes on x86-64 (crossbeam CachePadded); every \
                     operation holds one shard lock, so all are atomic.";

impl<K: MapKey, V: MapValue> ConcurrentMap<K, V> for ShardedRwLockSip<K, V> {
    type Handle<'a> = ShardedHandle<'a, SipState, K, V>;
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

impl<K: MapKey, V: MapValue> ConcurrentMap<K, V> for ShardedRwLockFoldhash<K, V> {
    type Handle<'a> = ShardedHandle<'a, FoldState, K, V>;
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
        let map = <ShardedRwLockFoldhash>::with_capacity(0);
        let mut hits = [0usize; SHARDS];
        // Multiples of 64: `key % 64` would put every one in shard 0.
        for key in (0..64_000u64).map(|k| k * 64) {
            hits[map.shard_index(key)] += 1;
        }
        // Uniform would be 1000 per shard.
        assert!(hits.iter().all(|&n| (700..1300).contains(&n)), "{hits:?}");
    }
}
