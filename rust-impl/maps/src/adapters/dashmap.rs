//! dashmap: a fixed number of `RwLock`ed hashbrown shards (the design our
//! `sharded-rwlock` map copies).

use std::hash::BuildHasher;

use ::dashmap::DashMap;

use crate::{ConcurrentMap, FoldState, MapHandle, MapInfo, ReadVisibility, SipState, hasher};

/// `dashmap::DashMap<u64, u64, S>`.
pub struct DashMapAdapter<S>(DashMap<u64, u64, S>);
/// dashmap with its default hasher, std's SipHash.
pub type DashMapSip = DashMapAdapter<SipState>;
/// dashmap with foldhash.
pub type DashMapFoldhash = DashMapAdapter<FoldState>;

/// The handle is a reference; dashmap needs no per-thread state.
pub struct DashMapHandle<'a, S>(&'a DashMap<u64, u64, S>);

impl<S: BuildHasher + Clone + Default> DashMapAdapter<S> {
    fn with_capacity(capacity: usize) -> Self {
        Self(DashMap::with_capacity_and_hasher(capacity, S::default()))
    }
}

impl<S: BuildHasher + Clone> MapHandle for DashMapHandle<'_, S> {
    fn get(&mut self, key: u64) -> Option<u64> {
        self.0.get(&key).map(|value| *value)
    }
    fn insert(&mut self, key: u64, value: u64) -> bool {
        self.0.insert(key, value).is_none()
    }
    fn update(&mut self, key: u64, value: u64) -> bool {
        match self.0.get_mut(&key) {
            Some(mut slot) => {
                *slot = value;
                true
            }
            None => false,
        }
    }
    fn remove(&mut self, key: u64) -> bool {
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

impl ConcurrentMap for DashMapSip {
    type Handle<'a> = DashMapHandle<'a, SipState>;
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

impl ConcurrentMap for DashMapFoldhash {
    type Handle<'a> = DashMapHandle<'a, FoldState>;
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
