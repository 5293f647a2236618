//! dashmap: a fixed number of `RwLock`ed hashbrown shards (the design our
//! `sharded-rwlock` map copies).

use std::hash::BuildHasher;

use ::dashmap::DashMap;

use crate::{
    ConcurrentMap, FoldState, MapHandle, MapInfo, MapKey, MapValue, ReadVisibility, SipState,
    hasher,
};

/// `dashmap::DashMap<K, V, S>`.
pub struct DashMapAdapter<S, K = u64, V = u64>(DashMap<K, V, S>);
/// dashmap with its default hasher, std's SipHash.
pub type DashMapSip<K = u64, V = u64> = DashMapAdapter<SipState, K, V>;
/// dashmap with foldhash.
pub type DashMapFoldhash<K = u64, V = u64> = DashMapAdapter<FoldState, K, V>;

/// The handle is a reference; dashmap needs no per-thread state.
pub struct DashMapHandle<'a, S, K = u64, V = u64>(&'a DashMap<K, V, S>);

impl<S: BuildHasher + Clone + Default, K: MapKey, V: MapValue> DashMapAdapter<S, K, V> {
    fn with_capacity(capacity: usize) -> Self {
        Self(DashMap::with_capacity_and_hasher(capacity, S::default()))
    }
}

impl<S: BuildHasher + Clone, K: MapKey, V: MapValue> MapHandle<K, V>
    for DashMapHandle<'_, S, K, V>
{
    fn get(&mut self, key: K) -> Option<u64> {
        self.0.get(&key).map(|value| value.as_u64())
    }
    fn insert(&mut self, key: K, value: V) -> bool {
        self.0.insert(key, value).is_none()
    }
    fn update(&mut self, key: K, value: V) -> bool {
        match self.0.get_mut(&key) {
            Some(mut slot) => {
                *slot = value;
                true
            }
            None => false,
        }
    }
    fn remove(&mut self, key: K) -> bool {
        self.0.remove(&key).is_some()
    }
}

fn dashmap_info() -> MapInfo {
    MapInfo {
        name: "",
        crate_name: "dashmap",
        crate_version: env!("CMAP_VERSION_DASHMAP"),
        hasher: "",
        description: "dashmap: RwLock-protected hashbrown shards, 4 x CPUs of them",
        notes: "Shard count = 4 x available_parallelism rounded up to a power of two, fixed at \
                construction. Lock-based: a reader and a writer on the same shard wait for each \
                other. Memory is freed at once (no epochs).",
        max_threads: None,
        reads: ReadVisibility::Immediate,
        go_counterpart: None,
    }
}

impl<K: MapKey, V: MapValue> ConcurrentMap<K, V> for DashMapSip<K, V> {
    type Handle<'a> = DashMapHandle<'a, SipState, K, V>;
    fn with_capacity(capacity: usize) -> Self {
        DashMapAdapter::with_capacity(capacity)
    }
    fn handle(&self) -> Self::Handle<'_> {
        DashMapHandle(&self.0)
    }
    fn describe() -> MapInfo {
        MapInfo {
            name: "dashmap-sip",
            hasher: hasher::SIP,
            ..dashmap_info()
        }
    }
}

impl<K: MapKey, V: MapValue> ConcurrentMap<K, V> for DashMapFoldhash<K, V> {
    type Handle<'a> = DashMapHandle<'a, FoldState, K, V>;
    fn with_capacity(capacity: usize) -> Self {
        DashMapAdapter::with_capacity(capacity)
    }
    fn handle(&self) -> Self::Handle<'_> {
        DashMapHandle(&self.0)
    }
    fn describe() -> MapInfo {
        MapInfo {
            name: "dashmap-foldhash",
            hasher: hasher::FOLDHASH,
            ..dashmap_info()
        }
    }
}
