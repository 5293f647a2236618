//! A port of Go's `sync.Map` as it was designed before Go 1.24 (which
//! replaced it with a hash-trie): a read-only map that readers load with one
//! atomic pointer read and no lock, plus a mutex-guarded dirty map that holds
//! new keys until enough lookups miss the read map to make promoting it pay.
//!
//! Written from the algorithm in Go's `sync/map.go` (Go 1.20–1.23), generic over
//! the key ([`MapKey`]: `u64` or a string) and value ([`MapValue`]: `u64` or boxed). Go's garbage collector frees replaced values and
//! retired read maps; here crossbeam-epoch does that job, which is the one
//! structural difference and a cost Go does not pay per operation.
//!
//! # Invariants (Go's, restated)
//!
//! An entry's pointer `p` is in one of three states:
//! - **nil** (null, tag 0): deleted, and either `dirty` is `None` or
//!   `dirty[key]` is this entry;
//! - **expunged** (null, tag 1): deleted, `dirty` is `Some`, and the key is
//!   *not* in `dirty`;
//! - **a value**: live, recorded in `read.m[key]` and, if `dirty` is `Some`,
//!   in `dirty[key]` too.
//!
//! A key present in `read.m` always has `read.m[key]` as its one entry, so
//! nil or expunged there means "absent" with no need to look further; and
//! `read.amended` is true iff `dirty` holds a key that `read.m` lacks (which
//! implies `dirty` is `Some`). An entry is expunged only under the mutex, so a
//! lock-free writer that sees a value or nil may CAS it without the lock;
//! seeing expunged sends it to the locked path, which must put the entry back
//! in `dirty` before storing into it.

use std::collections::HashMap;
use std::hash::BuildHasher;
use std::sync::atomic::Ordering::{AcqRel, Acquire, Relaxed};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use crossbeam_epoch::{self as epoch, Atomic, Guard, Owned, Shared};

use crate::reclaim::{self, Counted, Reclamation};
use crate::{
    ConcurrentMap, FoldState, MapHandle, MapInfo, MapKey, MapValue, ReadVisibility, RepinClock,
    hasher,
};

/// Tag on a null `p` that marks an entry expunged (see the module docs).
const EXPUNGED: usize = 1;

/// One key's slot, shared by `read.m` and `dirty` (Go's `*entry`).
struct Entry<V> {
    /// Points to an immutable boxed value, or is nil / expunged.
    p: Atomic<Counted<V>>,
}

/// What the lock-free readers load (Go's `readOnly`). Immutable once
/// published; `m` is an `Arc` because, as in Go, setting `amended` publishes
/// a new `ReadOnly` sharing the same map.
struct ReadOnly<K, V, S> {
    m: Arc<HashMap<K, Arc<Entry<V>>, S>>,
    amended: bool,
}

/// State behind the mutex.
struct Dirty<K, V, S> {
    /// Every live key (read's and new ones) when `Some`; built lazily by
    /// copying `read.m` the first time a new key arrives after a promotion.
    dirty: Option<HashMap<K, Arc<Entry<V>>, S>>,
    /// Lookups that had to lock since the last promotion; when they reach
    /// `dirty.len()` the copying cost is paid off and `dirty` is promoted.
    misses: usize,
}

/// Go's pre-1.24 `sync.Map` from `K` to `V`, hasher `S`.
pub struct GoSyncMap<S, K = u64, V = u64> {
    /// Never null. Replaced only under `mu`; the old one is retired through
    /// the epoch collector, so a reader pinned before the swap may finish.
    read: Atomic<ReadOnly<K, V, S>>,
    mu: Mutex<Dirty<K, V, S>>,
    hasher: S,
}

/// [`GoSyncMap`] with foldhash (Go's runtime hash is a fast AES hash too).
pub type GoSyncMapFoldhash<K = u64, V = u64> = GoSyncMap<FoldState, K, V>;

fn is_expunged<V>(p: Shared<'_, Counted<V>>) -> bool {
    p.is_null() && p.tag() == EXPUNGED
}

fn is_nil<V>(p: Shared<'_, Counted<V>>) -> bool {
    p.is_null() && p.tag() == 0
}

impl<V: MapValue> Entry<V> {
    /// A live entry holding `value` (already wrapped, so a caller that fails to
    /// store it elsewhere can hand the same allocation here).
    fn new(value: Owned<Counted<V>>) -> Self {
        Self {
            p: Atomic::from(value),
        }
    }

    /// The live value, if any.
    fn load(&self, guard: &Guard) -> Option<u64> {
        // SAFETY: a non-null `p` was loaded under `guard`; values are retired
        // with `defer_destroy`, so it stays allocated while `guard` is pinned.
        unsafe { self.p.load(Acquire, guard).as_ref() }.map(Counted::get)
    }

    /// Stores `new` unless the entry is expunged (Go's `trySwap`). Returns
    /// the previous value, or `Err(new)` (not stored) if expunged.
    fn try_swap(
        &self,
        mut new: Owned<Counted<V>>,
        guard: &Guard,
    ) -> Result<Option<u64>, Owned<Counted<V>>> {
        let mut current = self.p.load(Acquire, guard);
        loop {
            if is_expunged(current) {
                return Err(new);
            }
            match self
                .p
                .compare_exchange_weak(current, new, AcqRel, Acquire, guard)
            {
                Ok(_) => return Ok(retire(current, guard)),
                Err(failed) => {
                    current = failed.current;
                    new = failed.new;
                }
            }
        }
    }

    /// Replaces a live value; `false` if nil or expunged (absent). The
    /// `CompareAndSwap` pattern of Go with "any old value".
    fn try_replace(&self, value: V, guard: &Guard) -> bool {
        let mut new = Owned::new(Counted::new(value));
        let mut current = self.p.load(Acquire, guard);
        loop {
            if current.is_null() {
                return false;
            }
            match self
                .p
                .compare_exchange_weak(current, new, AcqRel, Acquire, guard)
            {
                Ok(_) => {
                    retire(current, guard);
                    return true;
                }
                Err(failed) => {
                    current = failed.current;
                    new = failed.new;
                }
            }
        }
    }

    /// Deletes the live value (Go's `delete`): value → nil. Returns it.
    fn delete(&self, guard: &Guard) -> Option<u64> {
        let mut current = self.p.load(Acquire, guard);
        loop {
            if current.is_null() {
                return None;
            }
            match self
                .p
                .compare_exchange_weak(current, Shared::null(), AcqRel, Acquire, guard)
            {
                Ok(_) => return retire(current, guard),
                Err(failed) => current = failed.current,
            }
        }
    }

    /// expunged → nil; `true` if it was expunged. Caller holds `mu`.
    fn unexpunge_locked(&self, guard: &Guard) -> bool {
        let expunged = Shared::null().with_tag(EXPUNGED);
        self.p
            .compare_exchange(expunged, Shared::null(), AcqRel, Acquire, guard)
            .is_ok()
    }

    /// Unconditional store; caller holds `mu` and the entry is not expunged.
    fn swap_locked(&self, new: Owned<Counted<V>>, guard: &Guard) -> Option<u64> {
        let old = self.p.swap(new, AcqRel, guard);
        retire(old, guard)
    }

    /// nil → expunged; `true` if the entry is (now) expunged. Caller holds
    /// `mu`. Only entries that end up expunged are left out of a new `dirty`.
    fn try_expunge_locked(&self, guard: &Guard) -> bool {
        let mut current = self.p.load(Acquire, guard);
        while is_nil(current) {
            let expunged = Shared::null().with_tag(EXPUNGED);
            match self
                .p
                .compare_exchange(current, expunged, AcqRel, Acquire, guard)
            {
                Ok(_) => return true,
                Err(failed) => current = failed.current,
            }
        }
        is_expunged(current)
    }
}

/// Reads a value just unlinked from an entry and schedules its free.
fn retire<V: MapValue>(old: Shared<'_, Counted<V>>, guard: &Guard) -> Option<u64> {
    // SAFETY: `old` was loaded under `guard` and has just been unlinked by
    // our successful CAS/swap, so no later reader can reach it; earlier
    // readers are pinned and `defer_destroy` waits for them.
    unsafe {
        let value = old.as_ref().map(|v| {
            reclaim::retire(v);
            v.get()
        });
        if value.is_some() {
            guard.defer_destroy(old);
        }
        value
    }
}

impl<V> Drop for Entry<V> {
    fn drop(&mut self) {
        // SAFETY: the last `Arc` is gone, so no map reaches this entry; a
        // reader holding `&Entry` from a retired `ReadOnly` keeps that
        // `ReadOnly` (and its `Arc`) alive through its pin.
        unsafe {
            let guard = epoch::unprotected();
            let p = self.p.load(Relaxed, guard);
            if !p.is_null() {
                drop(p.into_owned());
            }
        }
    }
}

impl<S: BuildHasher + Clone, K: MapKey, V: MapValue> GoSyncMap<S, K, V> {
    /// An empty map. Go's `sync.Map` takes no size hint, and neither does this.
    pub fn with_hasher(hasher: S) -> Self {
        let empty = ReadOnly {
            m: Arc::new(HashMap::with_hasher(hasher.clone())),
            amended: false,
        };
        Self {
            read: Atomic::new(empty),
            mu: Mutex::new(Dirty {
                dirty: None,
                misses: 0,
            }),
            hasher,
        }
    }

    fn load_read<'g>(&self, guard: &'g Guard) -> &'g ReadOnly<K, V, S> {
        // SAFETY: `read` is never null, and a replaced `ReadOnly` is retired
        // with `defer_destroy`, so it outlives `guard`'s pin.
        unsafe { self.read.load(Acquire, guard).deref() }
    }

    fn lock(&self) -> MutexGuard<'_, Dirty<K, V, S>> {
        // Every critical section leaves `Dirty` consistent before any call
        // that could unwind, so a poisoned lock is still usable.
        self.mu.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn publish_read(&self, new: ReadOnly<K, V, S>, guard: &Guard) {
        let old = self.read.swap(Owned::new(new), AcqRel, guard);
        // SAFETY: unlinked by the swap (under `mu`, so by this thread only);
        // readers that loaded it are pinned.
        unsafe { guard.defer_destroy(old) };
    }

    /// Go's `Load`.
    pub fn load(&self, key: K, guard: &Guard) -> Option<u64> {
        let read = self.load_read(guard);
        if let Some(e) = read.m.get(&key) {
            return e.load(guard);
        }
        if !read.amended {
            return None;
        }
        let mut state = self.lock();
        // Re-check: a promotion may have happened while we waited for `mu`.
        let read = self.load_read(guard);
        if let Some(e) = read.m.get(&key) {
            return e.load(guard);
        }
        if !read.amended {
            return None;
        }
        let value = state
            .dirty
            .as_ref()
            .and_then(|dirty| dirty.get(&key))
            .and_then(|e| e.load(guard));
        // Found or not, this key will keep missing until `dirty` is promoted.
        self.miss_locked(&mut state, guard);
        value
    }

    /// Go's `Swap` (what `Store` calls): stores `value`, returns the previous.
    pub fn swap(&self, key: K, value: V, guard: &Guard) -> Option<u64> {
        let mut new = Owned::new(Counted::new(value));
        let read = self.load_read(guard);
        if let Some(e) = read.m.get(&key) {
            match e.try_swap(new, guard) {
                Ok(previous) => return previous,
                Err(back) => new = back,
            }
        }
        let mut state = self.lock();
        let read = self.load_read(guard);
        if let Some(e) = read.m.get(&key) {
            if e.unexpunge_locked(guard) {
                // Expunged means `dirty` exists and lacks the key: add it
                // back before the store makes the entry live.
                let dirty = state
                    .dirty
                    .as_mut()
                    .expect("expunged implies dirty is Some");
                dirty.insert(key, Arc::clone(e));
            }
            e.swap_locked(new, guard)
        } else if let Some(e) = state.dirty.as_ref().and_then(|d| d.get(&key)) {
            e.swap_locked(new, guard)
        } else {
            if !read.amended {
                // The first new key since the last promotion: build `dirty`,
                // then tell readers to look there for keys `read.m` lacks.
                self.dirty_locked(&mut state, read, guard);
                let amended = ReadOnly {
                    m: Arc::clone(&read.m),
                    amended: true,
                };
                self.publish_read(amended, guard);
            }
            let dirty = state.dirty.as_mut().expect("amended implies dirty is Some");
            dirty.insert(key, Arc::new(Entry::new(new)));
            None
        }
    }

    /// Replaces the value of an existing key; `true` if it existed. Go's
    /// `CompareAndSwap` without the comparison: it never adds a key, so a hit
    /// in `dirty` counts as a miss, as there.
    pub fn replace(&self, key: K, value: V, guard: &Guard) -> bool {
        let read = self.load_read(guard);
        if let Some(e) = read.m.get(&key) {
            return e.try_replace(value, guard);
        }
        if !read.amended {
            return false;
        }
        let mut state = self.lock();
        let read = self.load_read(guard);
        if let Some(e) = read.m.get(&key) {
            e.try_replace(value, guard)
        } else if let Some(e) = state.dirty.as_ref().and_then(|d| d.get(&key)) {
            let replaced = e.try_replace(value, guard);
            self.miss_locked(&mut state, guard);
            replaced
        } else {
            false
        }
    }

    /// Go's `LoadAndDelete`: removes `key`, returns its value.
    pub fn load_and_delete(&self, key: K, guard: &Guard) -> Option<u64> {
        let read = self.load_read(guard);
        if let Some(e) = read.m.get(&key) {
            return e.delete(guard);
        }
        if !read.amended {
            return None;
        }
        let mut state = self.lock();
        let read = self.load_read(guard);
        if let Some(e) = read.m.get(&key) {
            return e.delete(guard);
        }
        if !read.amended {
            return None;
        }
        let removed = state.dirty.as_mut().and_then(|d| d.remove(&key));
        self.miss_locked(&mut state, guard);
        // Unlinked from both maps; only we hold it now.
        removed.and_then(|e| e.delete(guard))
    }

    /// Go's `missLocked`: count a locked lookup; promote `dirty` to `read`
    /// once the misses have cost as much as copying it did.
    fn miss_locked(&self, state: &mut Dirty<K, V, S>, guard: &Guard) {
        state.misses += 1;
        let dirty_len = state.dirty.as_ref().map_or(0, HashMap::len);
        if state.misses < dirty_len {
            return;
        }
        let dirty = state
            .dirty
            .take()
            .expect("a miss implies amended, so dirty is Some");
        self.publish_read(
            ReadOnly {
                m: Arc::new(dirty),
                amended: false,
            },
            guard,
        );
        state.misses = 0;
    }

    /// Go's `dirtyLocked`: if `dirty` is `None`, build it from `read.m`,
    /// expunging deleted entries instead of copying them. O(len): the price
    /// of a new key after each promotion.
    fn dirty_locked(&self, state: &mut Dirty<K, V, S>, read: &ReadOnly<K, V, S>, guard: &Guard) {
        if state.dirty.is_some() {
            return;
        }
        let mut dirty = HashMap::with_capacity_and_hasher(read.m.len(), self.hasher.clone());
        for (&key, e) in read.m.iter() {
            if !e.try_expunge_locked(guard) {
                dirty.insert(key, Arc::clone(e));
            }
        }
        state.dirty = Some(dirty);
    }
}

impl<S, K, V> Drop for GoSyncMap<S, K, V> {
    fn drop(&mut self) {
        // SAFETY: `&mut self`: no handle is alive, so nothing else can load
        // `read`; retired `ReadOnly`s own `Arc`s and free themselves later.
        unsafe {
            let guard = epoch::unprotected();
            drop(self.read.load(Relaxed, guard).into_owned());
        }
    }
}

/// A per-thread handle: an epoch guard pinned across operations, re-pinned
/// and flushed (local garbage handed over, epoch advanced, old garbage
/// freed) every [`GUARD_REPIN_OPS`](crate::GUARD_REPIN_OPS).
pub struct GoSyncMapHandle<'a, S, K = u64, V = u64> {
    map: &'a GoSyncMap<S, K, V>,
    guard: Guard,
    clock: RepinClock,
}

impl<S, K, V> GoSyncMapHandle<'_, S, K, V> {
    #[inline]
    fn tick(&mut self) {
        if self.clock.tick() {
            self.guard.repin();
            // A re-pin alone never advances crossbeam's global epoch nor
            // collects (`pin()` does both every 128 pins, `flush()` each
            // time): without this, nothing retired during a run would be
            // freed until the handle is dropped.
            self.guard.flush();
        }
    }
}

impl<S: BuildHasher + Clone, K: MapKey, V: MapValue> MapHandle<K, V>
    for GoSyncMapHandle<'_, S, K, V>
{
    fn get(&mut self, key: K) -> Option<u64> {
        let value = self.map.load(key, &self.guard);
        self.tick();
        value
    }
    fn insert(&mut self, key: K, value: V) -> bool {
        let new = self.map.swap(key, value, &self.guard).is_none();
        self.tick();
        new
    }
    fn update(&mut self, key: K, value: V) -> bool {
        let existed = self.map.replace(key, value, &self.guard);
        self.tick();
        existed
    }
    fn remove(&mut self, key: K) -> bool {
        let existed = self.map.load_and_delete(key, &self.guard).is_some();
        self.tick();
        existed
    }
    fn quiesce(&mut self) {
        self.guard.repin();
        self.guard.flush();
    }
}

impl<K: MapKey, V: MapValue> ConcurrentMap<K, V> for GoSyncMapFoldhash<K, V> {
    type Handle<'a> = GoSyncMapHandle<'a, FoldState, K, V>;

    fn with_capacity(_capacity: usize) -> Self {
        Self::with_hasher(FoldState::default())
    }

    fn handle(&self) -> Self::Handle<'_> {
        GoSyncMapHandle {
            map: self,
            guard: epoch::pin(),
            clock: RepinClock::default(),
        }
    }

    fn reclamation() -> Reclamation {
        // Boxed values are counted; retired read maps (whole hash maps of
        // entry pointers, after a promotion) are not.
        Reclamation::Counted {
            bytes_per_value: std::mem::size_of::<Counted<V>>() as u64 + V::HEAP_BYTES,
        }
    }

    fn describe() -> MapInfo {
        MapInfo {
            name: "gosyncmap-foldhash",
            crate_name: "cmap-maps",
            crate_version: env!("CARGO_PKG_VERSION"),
            hasher: hasher::FOLDHASH,
            description: "Port of Go's pre-1.24 sync.Map: lock-free read map + locked dirty map, \
                          promoted after len(dirty) misses",
            notes: concat!(
                "Capacity is ignored (sync.Map has no size hint). Every store allocates a boxed \
                 value, as Go boxes into `any`; replaced values and read maps are freed by \
                 crossbeam-epoch ",
                env!("CMAP_VERSION_CROSSBEAM_EPOCH"),
                " instead of a GC; handles re-pin every 64 ops. New keys after a promotion \
                 copy the whole read map (dirtyLocked). No Go counterpart: Go's sync.Map \
                 (sync-map) has been a hash trie since Go 1.24."
            ),
            max_threads: None,
            reads: ReadVisibility::Immediate,
            go_counterpart: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn in_read(map: &GoSyncMapFoldhash, key: u64) -> bool {
        let guard = epoch::pin();
        map.load_read(&guard).m.contains_key(&key)
    }

    #[test]
    fn new_keys_go_to_dirty_then_misses_promote_them() {
        let _serial = reclaim::COUNTERS_TEST_LOCK
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        let map = GoSyncMapFoldhash::with_capacity(0);
        let guard = epoch::pin();
        for key in 0..4 {
            assert_eq!(map.swap(key, key + 100, &guard), None);
        }
        assert!(!in_read(&map, 0), "a new key starts in dirty only");
        assert!(map.load_read(&guard).amended);
        // len(dirty) = 4 misses promote dirty to read.
        for _ in 0..4 {
            assert_eq!(map.load(2, &guard), Some(102));
        }
        assert!(in_read(&map, 0) && in_read(&map, 3), "dirty was promoted");
        assert!(!map.load_read(&guard).amended);
        assert!(map.lock().dirty.is_none());
    }

    #[test]
    fn deleted_entry_is_expunged_then_revived_through_dirty() {
        let _serial = reclaim::COUNTERS_TEST_LOCK
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        let map = GoSyncMapFoldhash::with_capacity(0);
        let guard = epoch::pin();
        map.swap(1, 10, &guard);
        map.load(1, &guard); // one miss, len(dirty) = 1: promote
        assert!(in_read(&map, 1));
        assert_eq!(map.load_and_delete(1, &guard), Some(10)); // read entry -> nil
        map.swap(2, 20, &guard); // new key: dirty built from read, entry 1 expunged
        {
            let read = map.load_read(&guard);
            assert!(is_expunged(read.m[&1].p.load(Acquire, &guard)));
            assert!(!map.lock().dirty.as_ref().unwrap().contains_key(&1));
        }
        assert!(!map.replace(1, 11, &guard), "expunged means absent");
        assert_eq!(map.swap(1, 12, &guard), None, "store unexpunges");
        assert!(map.lock().dirty.as_ref().unwrap().contains_key(&1));
        assert_eq!(map.load(1, &guard), Some(12));
        assert_eq!(map.load(2, &guard), Some(20));
    }

    #[test]
    fn string_keys_and_boxed_values_take_the_same_expunge_and_revive_path() {
        let _serial = reclaim::COUNTERS_TEST_LOCK
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        let map: GoSyncMapFoldhash<crate::StrKey, crate::Boxed> =
            GoSyncMapFoldhash::with_capacity(0);
        let guard = epoch::pin();
        let (a, b) = ("tenant/eu-west/session/0001", "tenant/eu-west/session/0002");
        assert_eq!(map.swap(a, crate::MapValue::from_u64(10), &guard), None);
        assert_eq!(map.load(a, &guard), Some(10)); // promotes
        assert_eq!(map.load_and_delete(a, &guard), Some(10));
        map.swap(b, crate::MapValue::from_u64(20), &guard); // expunges `a`
        assert!(!map.replace(a, crate::MapValue::from_u64(11), &guard));
        assert_eq!(map.swap(a, crate::MapValue::from_u64(12), &guard), None);
        assert_eq!(map.load(a, &guard), Some(12));
        assert_eq!(map.load(b, &guard), Some(20));
    }
}
