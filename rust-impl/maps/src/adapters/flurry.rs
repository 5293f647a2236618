//! flurry: a port of Java's `ConcurrentHashMap` (lock-free reads, a lock per
//! bin for writes, cooperative resizing), with memory reclaimed by seize.

use ::flurry::{Guard, HashMap};

use crate::reclaim::{self, Counted, Reclamation};
use crate::{
    ConcurrentMap, MapHandle, MapInfo, MapKey, MapValue, ReadVisibility, RepinClock, hasher,
};

/// `flurry::HashMap<K, Counted<V>>` with its default hasher (ahash).
pub struct FlurryAhash<K = u64, V = u64>(HashMap<K, Counted<V>>);

/// A thread's handle: one seize guard, pinned for [`GUARD_REPIN_OPS`]
/// operations at a time.
///
/// [`GUARD_REPIN_OPS`]: crate::GUARD_REPIN_OPS
pub struct FlurryHandle<'a, K = u64, V = u64> {
    map: &'a HashMap<K, Counted<V>>,
    guard: Guard<'a>,
    clock: RepinClock,
}

impl<K, V> FlurryHandle<'_, K, V> {
    #[inline]
    fn tick(&mut self) {
        if self.clock.tick() {
            self.guard.refresh();
        }
    }
}

impl<K: MapKey, V: MapValue> MapHandle<K, V> for FlurryHandle<'_, K, V> {
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
        let existed = self
            .map
            .compute_if_present(
                &key,
                |_, old| {
                    reclaim::retire(old);
                    Some(Counted::new(value))
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

impl<K: MapKey, V: MapValue> ConcurrentMap<K, V> for FlurryAhash<K, V> {
    type Handle<'a> = FlurryHandle<'a, K, V>;
    fn with_capacity(capacity: usize) -> Self {
        Self(HashMap::with_capacity(capacity))
    }
    fn handle(&self) -> Self::Handle<'_> {
        FlurryHandle {
            map: &self.0,
            guard: self.0.guard(),
            clock: RepinClock::default(),
        }
    }
    fn reclamation() -> Reclamation {
        // An overwrite retires the value box; a remove retires the node too
        // (not counted in the bytes).
        Reclamation::Counted {
            bytes_per_value: std::mem::size_of::<Counted<V>>() as u64 + V::HEAP_BYTES,
        }
    }
    fn describe() -> MapInfo {
        MapInfo {
            name: "flurry-ahash",
            crate_name: "flurry",
            crate_version: env!("CMAP_VERSION_FLURRY"),
            hasher: hasher::AHASH,
            description: "flurry: Java's ConcurrentHashMap in Rust, lock-free reads, a lock per bin \
                          for writes, cooperative resize",
            notes: concat!(
                "Every insert/update allocates a new node or value and retires the old one to \
                 seize ",
                env!("CMAP_VERSION_FLURRY_SEIZE"),
                "; a retired object is freed only after every guard that was active when it was \
                 retired has moved on. Handles hold one guard and refresh it every 64 ops, so \
                 garbage waits up to 64 ops per thread; a handle left idle without quiesce() \
                 holds back reclamation for the whole map."
            ),
            max_threads: None,
            reads: ReadVisibility::Immediate,
            go_counterpart: None,
        }
    }
}
