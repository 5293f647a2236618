//! scc: one array of 32-entry buckets, each with its own small lock; the
//! bucket array is swapped in lock-free on resize and reclaimed by epochs.

use crate::{ConcurrentMap, MapHandle, MapInfo, MapKey, MapValue, ReadVisibility, hasher};

/// `scc::HashMap<K, V>` with its default hasher (std's SipHash).
pub struct SccSip<K = u64, V = u64>(::scc::HashMap<K, V>);

/// The handle is a reference: scc pins its epoch (sdd) inside each call.
pub struct SccHandle<'a, K = u64, V = u64>(&'a ::scc::HashMap<K, V>);

impl<K: MapKey, V: MapValue> MapHandle<K, V> for SccHandle<'_, K, V> {
    fn get(&mut self, key: K) -> Option<u64> {
        self.0.read_sync(&key, |_, value| value.as_u64())
    }
    fn insert(&mut self, key: K, value: V) -> bool {
        self.0.upsert_sync(key, value).is_none()
    }
    fn update(&mut self, key: K, value: V) -> bool {
        self.0.update_sync(&key, |_, slot| *slot = value).is_some()
    }
    fn remove(&mut self, key: K) -> bool {
        self.0.remove_sync(&key).is_some()
    }
}

impl<K: MapKey, V: MapValue> ConcurrentMap<K, V> for SccSip<K, V> {
    type Handle<'a> = SccHandle<'a, K, V>;
    fn with_capacity(capacity: usize) -> Self {
        Self(::scc::HashMap::with_capacity(capacity))
    }
    fn handle(&self) -> Self::Handle<'_> {
        SccHandle(&self.0)
    }
    fn reclamation() -> crate::reclaim::Reclamation {
        crate::reclaim::Reclamation::Immediate(
            "values live inline in the buckets and are dropped inside the remove or overwrite; \
             only old bucket arrays (whose entries were moved out) wait for sdd epochs, and sdd \
             exposes no counters for them, so they show only in heap_live_bytes",
        )
    }
    fn describe() -> MapInfo {
        MapInfo {
            name: "scc-sip",
            crate_name: "scc",
            crate_version: env!("CMAP_VERSION_SCC"),
            hasher: hasher::SIP,
            description: "scc::HashMap: one bucket array, a lock per 32-entry bucket, \
                          non-blocking incremental resize",
            notes: concat!(
                "Uses the blocking *_sync methods (the async ones need an executor). Resizing \
                 (grow and shrink, automatic; never below a presized capacity) moves entries \
                 incrementally on later accesses. Entries live inline in the buckets; old bucket \
                 arrays and overflow buckets are freed through sdd ",
                env!("CMAP_VERSION_SCC_SDD"),
                " epochs; each call pins and unpins inside, so no guard outlives an operation."
            ),
            max_threads: None,
            reads: ReadVisibility::Immediate,
            go_counterpart: None,
        }
    }
}
