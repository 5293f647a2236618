//! evmap: two copies of a map (left-right); readers read one copy with no
//! lock while the single writer changes the other, and a `publish` swaps them.
//!
//! Writers share one `WriteHandle` behind a `Mutex` (evmap has a single
//! writer by design). Each handle owns its own `ReadHandle` clone for `get`.
//! **Refresh policy** (the const parameter `N`): the writer publishes after
//! every `N`th write that changes the map (any `insert`, a successful
//! `update` or `remove`). `N = 1` (`evmap-refresh-each-sip`) makes every write
//! visible before it returns; `N = 64` (`evmap-refresh-64-sip`) lets `get` miss up
//! to 63 of the latest writes, made through any handle, in exchange for one
//! publish (which waits for readers to leave the old copy) per 64 writes.
//! [`MapHandle::quiesce`] publishes whatever is pending.
//!
//! Write return values stay exact under either policy: the writer answers
//! "did the key exist?" from its unpublished changes (at most `N - 1`, kept
//! in a small overlay) and otherwise from the published copy, which is
//! current for the writer because every write goes through it.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, PoisonError};

use ::evmap::StableHashEq;
use ::evmap::handles::{ReadHandle, WriteHandle};

use crate::{
    ConcurrentMap, FoldState, MapHandle, MapInfo, MapKey, MapValue, ReadVisibility, hasher,
};

/// evmap with a writer that publishes after every `N`th write.
pub struct EvMap<const N: usize, K: MapKey = u64, V: MapValue = u64> {
    writer: Mutex<Writer<K, V>>,
}

/// Publish after every write: reads are never stale.
pub type EvMapRefreshEach<K = u64, V = u64> = EvMap<1, K, V>;
/// Publish after every 64th write: reads may lag by up to 63 writes.
pub type EvMapRefresh64<K = u64, V = u64> = EvMap<64, K, V>;

struct Writer<K: MapKey, V: MapValue> {
    w: WriteHandle<K, V>,
    /// Whether each key written since the last publish is present (`false` =
    /// removed); empty right after a publish.
    unpublished: HashMap<K, bool, FoldState>,
    writes_since_publish: usize,
}

impl<K: MapKey, V: MapValue> Writer<K, V> {
    fn present(&self, key: K) -> bool {
        if let Some(&state) = self.unpublished.get(&key) {
            return state;
        }
        // The write handle reads the published copy.
        self.w.get_one(&key).is_some()
    }

    fn write(&mut self, key: K, value: Option<V>, publish_every: usize) {
        let present = value.is_some();
        match value {
            // `update` is evmap's "replace the value bag with this one value".
            Some(v) => self.w.update(key, v),
            None => self.w.remove_entry(key),
        };
        self.writes_since_publish += 1;
        if self.writes_since_publish >= publish_every {
            self.publish();
        } else {
            self.unpublished.insert(key, present);
        }
    }

    fn publish(&mut self) {
        self.w.publish();
        self.unpublished.clear();
        self.writes_since_publish = 0;
    }
}

impl<const N: usize, K: MapKey + StableHashEq, V: MapValue + StableHashEq> EvMap<N, K, V> {
    fn new(capacity: usize) -> Self {
        let options = ::evmap::Options::default();
        let options = if capacity > 0 {
            options.with_capacity(capacity)
        } else {
            options
        };
        let (mut w, _first_reader) = options.construct();
        // An evmap reads as empty-and-not-ready until its first publish.
        w.publish();
        Self {
            writer: Mutex::new(Writer {
                w,
                unpublished: HashMap::with_capacity_and_hasher(N, FoldState::default()),
                writes_since_publish: 0,
            }),
        }
    }

    fn writer(&self) -> MutexGuard<'_, Writer<K, V>> {
        // A panic inside evmap while publishing would leave it in an unknown
        // state; refuse to go on rather than read a half-applied map.
        self.writer
            .lock()
            .unwrap_or_else(|poisoned: PoisonError<_>| {
                panic!("evmap writer mutex poisoned by an earlier panic: {poisoned}")
            })
    }
}

/// A thread's handle: its own read handle for `get`, the shared writer for
/// everything else.
pub struct EvMapHandle<'a, const N: usize, K: MapKey = u64, V: MapValue = u64> {
    map: &'a EvMap<N, K, V>,
    reader: ReadHandle<K, V>,
}

impl<const N: usize, K: MapKey + StableHashEq, V: MapValue + StableHashEq> MapHandle<K, V>
    for EvMapHandle<'_, N, K, V>
{
    fn get(&mut self, key: K) -> Option<u64> {
        self.reader.get_one(&key).map(|value| value.as_u64())
    }
    fn insert(&mut self, key: K, value: V) -> bool {
        let mut writer = self.map.writer();
        let existed = writer.present(key);
        writer.write(key, Some(value), N);
        !existed
    }
    fn update(&mut self, key: K, value: V) -> bool {
        let mut writer = self.map.writer();
        let existed = writer.present(key);
        if existed {
            writer.write(key, Some(value), N);
        }
        existed
    }
    fn remove(&mut self, key: K) -> bool {
        let mut writer = self.map.writer();
        let existed = writer.present(key);
        if existed {
            writer.write(key, None, N);
        }
        existed
    }
    fn quiesce(&mut self) {
        let mut writer = self.map.writer();
        if writer.writes_since_publish > 0 {
            writer.publish();
        }
    }
}

fn evmap_info() -> MapInfo {
    MapInfo {
        name: "",
        crate_name: "evmap",
        crate_version: env!("CMAP_VERSION_EVMAP"),
        hasher: hasher::SIP,
        description: "",
        notes: "",
        max_threads: None,
        reads: ReadVisibility::Immediate,
        go_counterpart: None,
    }
}

/// Why evmap's values are not counted.
const EVMAP_RECLAMATION: &str = "evmap keeps two copies and applies each write to the second \
     copy only after a publish has waited for readers to leave it, on the writer's thread; values \
     are shallow copies shared by both copies (evmap's ShallowCopy), and a counting wrapper would \
     need its own ShallowCopy impl, which is unsafe to get wrong. Not instrumented: the deferred \
     work is bounded by one publish and shows as write latency and as heap_live_bytes.";

macro_rules! evmap_impl {
    ($n:literal, $name:literal, $reads:expr, $description:literal, $notes:literal $(,)?) => {
        impl<K: MapKey + StableHashEq, V: MapValue + StableHashEq> ConcurrentMap<K, V>
            for EvMap<$n, K, V>
        {
            type Handle<'a> = EvMapHandle<'a, $n, K, V>;
            fn with_capacity(capacity: usize) -> Self {
                Self::new(capacity)
            }
            fn handle(&self) -> Self::Handle<'_> {
                // evmap 11 offers no public way to make a ReadHandleFactory,
                // so clone the writer's read handle (only at handle creation).
                let reader = ReadHandle::clone(&self.writer().w);
                EvMapHandle { map: self, reader }
            }
            fn reclamation() -> crate::reclaim::Reclamation {
                crate::reclaim::Reclamation::NotObserved(EVMAP_RECLAMATION)
            }
            fn describe() -> MapInfo {
                MapInfo {
                    name: $name,
                    description: $description,
                    notes: concat!(
                        "left-right ",
                        env!("CMAP_VERSION_EVMAP_LEFT_RIGHT"),
                        " underneath. ",
                        $notes
                    ),
                    reads: $reads,
                    ..evmap_info()
                }
            }
        }
    };
}

evmap_impl!(
    1,
    "evmap-refresh-each-sip",
    ReadVisibility::Immediate,
    "evmap (left-right): lock-free reads of one copy; one writer behind a Mutex publishes \
     after every write",
    "Writes are serialised by one Mutex<WriteHandle> and each publish waits for readers to leave \
     the old copy, so writes scale down as threads are added. Two full copies of the map: about \
     twice the memory. Each value sits in a one-element value bag (evmap is multi-value)."
);

evmap_impl!(
    64,
    "evmap-refresh-64-sip",
    ReadVisibility::AfterPublish {
        writes_per_publish: 64
    },
    "evmap (left-right): lock-free reads of one copy; one writer behind a Mutex publishes \
     after every 64th write",
    "Reads may miss up to 63 of the latest writes (from any handle) until the next publish; \
     quiesce() publishes early, so prefill then quiesce. Write return values stay exact (the \
     writer keeps its unpublished changes in an overlay). Two copies of the map: about twice the \
     memory."
);
