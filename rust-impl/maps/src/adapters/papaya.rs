//! papaya: a lock-free open-addressing table with two resize modes, memory
//! reclaimed by seize.

use ::papaya::{Guard as _, HashMap, LocalGuard, ResizeMode};

use crate::reclaim::{self, Counted, Reclamation};
use crate::{
    ConcurrentMap, MapHandle, MapInfo, MapKey, MapValue, ReadVisibility, RepinClock, hasher,
};

/// Chunk of entries each writer copies per step of an incremental resize:
/// papaya's own default (`ResizeMode::Incremental(64)`).
const INCREMENTAL_CHUNK: usize = 64;

/// `papaya::HashMap<u64, Counted>` in `ResizeMode::Blocking`: a resize stops
/// writers until all threads that join in have copied the table.
pub struct PapayaBlocking<K = u64, V = u64>(HashMap<K, Counted<V>>);
/// `papaya::HashMap<u64, Counted>` in `ResizeMode::Incremental(64)`: each writer
/// copies 64 entries per operation while a resize is in progress.
pub struct PapayaIncremental<K = u64, V = u64>(HashMap<K, Counted<V>>);

/// A thread's handle: one seize guard, pinned for [`GUARD_REPIN_OPS`]
/// operations at a time.
///
/// [`GUARD_REPIN_OPS`]: crate::GUARD_REPIN_OPS
pub struct PapayaHandle<'a, K = u64, V = u64> {
    map: &'a HashMap<K, Counted<V>>,
    guard: LocalGuard<'a>,
    clock: RepinClock,
}

impl<K: MapKey, V: MapValue> PapayaHandle<'_, K, V> {
    fn new(map: &HashMap<K, Counted<V>>) -> PapayaHandle<'_, K, V> {
        PapayaHandle {
            map,
            guard: map.guard(),
            clock: RepinClock::default(),
        }
    }

    #[inline]
    fn tick(&mut self) {
        if self.clock.tick() {
            self.guard.refresh();
        }
    }
}

impl<K: MapKey, V: MapValue> MapHandle<K, V> for PapayaHandle<'_, K, V> {
    fn get(&mut self, key: K) -> Option<u64> {
        let value = self.map.get(&key, &self.guard).map(Counted::get);
        self.tick();
        value
    }
    fn insert(&mut self, key: K, value: V) -> bool {
        let old = self.map.insert(key, Counted::new(value), &self.guard);
        old.inspect(|v| reclaim::retire(v));
        let new = old.is_none();
        self.tick();
        new
    }
    fn update(&mut self, key: K, value: V) -> bool {
        // The closure sees the value it replaces; a retry after a lost race
        // sees a value someone else replaced (so retired) too. papaya may call
        // it more than once, so it clones the value (a boxed value: one more
        // allocation per retry, none for u64).
        let existed = self
            .map
            .update(
                key,
                |old| {
                    reclaim::retire(old);
                    Counted::new(value.clone())
                },
                &self.guard,
            )
            .is_some();
        self.tick();
        existed
    }
    fn remove(&mut self, key: K) -> bool {
        let old = self.map.remove(&key, &self.guard);
        old.inspect(|v| reclaim::retire(v));
        let existed = old.is_some();
        self.tick();
        existed
    }
    fn quiesce(&mut self) {
        self.guard.refresh();
        self.guard.flush();
    }
}

fn build<K: MapKey, V: MapValue>(capacity: usize, mode: ResizeMode) -> HashMap<K, Counted<V>> {
    HashMap::builder()
        .capacity(capacity)
        .resize_mode(mode)
        .build()
}

const PAPAYA_NOTES: &str = concat!(
    "Every insert/update allocates a new entry and retires the old one to seize ",
    env!("CMAP_VERSION_PAPAYA_SEIZE"),
    "; a retired batch is freed once every guard active at its retirement has been dropped or \
     refreshed. Handles hold one guard and refresh it every 64 ops; a handle left idle without \
     quiesce() holds back reclamation."
);

/// An entry retires its key and value together (a string key's bytes stay in the key
/// table; a boxed value's 32 bytes go with it).
fn papaya_reclamation<K, V: MapValue>() -> Reclamation {
    Reclamation::Counted {
        bytes_per_value: std::mem::size_of::<(K, Counted<V>)>() as u64 + V::HEAP_BYTES,
    }
}

fn papaya_info() -> MapInfo {
    MapInfo {
        name: "",
        crate_name: "papaya",
        crate_version: env!("CMAP_VERSION_PAPAYA"),
        hasher: hasher::SIP,
        description: "",
        notes: PAPAYA_NOTES,
        max_threads: None,
        reads: ReadVisibility::Immediate,
        go_counterpart: None,
    }
}

impl<K: MapKey, V: MapValue> ConcurrentMap<K, V> for PapayaBlocking<K, V> {
    type Handle<'a> = PapayaHandle<'a, K, V>;
    fn with_capacity(capacity: usize) -> Self {
        Self(build(capacity, ResizeMode::Blocking))
    }
    fn handle(&self) -> Self::Handle<'_> {
        PapayaHandle::new(&self.0)
    }
    fn reclamation() -> Reclamation {
        papaya_reclamation::<K, V>()
    }
    fn describe() -> MapInfo {
        MapInfo {
            name: "papaya-blocking-sip",
            description: "papaya, lock-free reads and writes; ResizeMode::Blocking: writers wait \
                          for (and help) a resize",
            ..papaya_info()
        }
    }
}

impl<K: MapKey, V: MapValue> ConcurrentMap<K, V> for PapayaIncremental<K, V> {
    type Handle<'a> = PapayaHandle<'a, K, V>;
    fn with_capacity(capacity: usize) -> Self {
        Self(build(capacity, ResizeMode::Incremental(INCREMENTAL_CHUNK)))
    }
    fn handle(&self) -> Self::Handle<'_> {
        PapayaHandle::new(&self.0)
    }
    fn reclamation() -> Reclamation {
        papaya_reclamation::<K, V>()
    }
    fn describe() -> MapInfo {
        MapInfo {
            name: "papaya-incremental-sip",
            description: "papaya, lock-free reads and writes; ResizeMode::Incremental(64): each \
                          write copies 64 entries of an ongoing resize (papaya's default)",
            ..papaya_info()
        }
    }
}
