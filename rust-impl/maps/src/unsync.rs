//! A plain `HashMap` with no synchronisation at all: the single-thread limit
//! that every concurrent design's one-thread cost is compared with.

use std::cell::UnsafeCell;
use std::collections::HashMap;
use std::marker::PhantomData;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::{
    ConcurrentMap, FoldState, MapHandle, MapInfo, MapKey, MapValue, ReadVisibility, hasher,
};

/// An unsynchronised std `HashMap` with foldhash; one handle at a time.
///
/// Misuse is refused loudly: [`handle`](ConcurrentMap::handle) panics while
/// another handle is alive, so a runner that ignores
/// `MapInfo::max_threads == Some(1)` fails at its second thread instead of
/// racing. Operations pay nothing for this; only handle creation and drop
/// touch the flag.
pub struct UnsyncStdFoldhash<K = u64, V = u64> {
    map: UnsafeCell<HashMap<K, V, FoldState>>,
    /// `true` while a handle exists. Taken with `Acquire` and released with
    /// `Release`, so one handle's accesses happen-before the next handle's,
    /// even on another thread.
    handle_alive: AtomicBool,
}

// SAFETY: the map is only reached through `UnsyncHandle`, and `handle_alive`
// guarantees at most one exists at a time, with a happens-before edge from
// each handle's drop to the next handle's creation (a try-lock that panics
// instead of waiting). So no two threads ever access `map` concurrently.
unsafe impl<K: Send, V: Send> Sync for UnsyncStdFoldhash<K, V> {}

/// The only access path to an [`UnsyncStdFoldhash`]. Not `Send`: it stays on
/// the thread that created it.
pub struct UnsyncHandle<'a, K = u64, V = u64> {
    owner: &'a UnsyncStdFoldhash<K, V>,
    _not_send: PhantomData<*const ()>,
}

impl<K, V> UnsyncHandle<'_, K, V> {
    fn map(&mut self) -> &mut HashMap<K, V, FoldState> {
        // SAFETY: this handle is the only one alive (see `UnsyncStdFoldhash`),
        // and `&mut self` makes the returned borrow unique within it.
        unsafe { &mut *self.owner.map.get() }
    }
}

impl<K, V> Drop for UnsyncHandle<'_, K, V> {
    fn drop(&mut self) {
        self.owner.handle_alive.store(false, Ordering::Release);
    }
}

impl<K: MapKey, V: MapValue> ConcurrentMap<K, V> for UnsyncStdFoldhash<K, V> {
    type Handle<'a> = UnsyncHandle<'a, K, V>;

    fn with_capacity(capacity: usize) -> Self {
        Self {
            map: UnsafeCell::new(HashMap::with_capacity_and_hasher(
                capacity,
                FoldState::default(),
            )),
            handle_alive: AtomicBool::new(false),
        }
    }

    fn handle(&self) -> UnsyncHandle<'_, K, V> {
        let already = self.handle_alive.swap(true, Ordering::Acquire);
        assert!(
            !already,
            "unsync-std-foldhash allows one handle at a time (MapInfo::max_threads == Some(1)); \
             a second was requested while the first is alive"
        );
        UnsyncHandle {
            owner: self,
            _not_send: PhantomData,
        }
    }

    fn describe() -> MapInfo {
        MapInfo {
            name: "unsync-std-foldhash",
            crate_name: "std",
            crate_version: env!("CMAP_RUSTC_VERSION"),
            hasher: hasher::FOLDHASH,
            description: "std HashMap with foldhash and no synchronisation: the one-thread limit",
            notes: "Single thread only: a second live handle panics. Compare its 1-thread numbers \
                    with mutex-std-foldhash to see what an uncontended lock costs.",
            max_threads: Some(1),
            reads: ReadVisibility::Immediate,
            go_counterpart: Some("unsync-map"),
        }
    }
}

impl<K: MapKey, V: MapValue> MapHandle<K, V> for UnsyncHandle<'_, K, V> {
    fn get(&mut self, key: K) -> Option<u64> {
        self.map().get(&key).map(V::as_u64)
    }
    fn insert(&mut self, key: K, value: V) -> bool {
        self.map().insert(key, value).is_none()
    }
    fn update(&mut self, key: K, value: V) -> bool {
        match self.map().get_mut(&key) {
            Some(slot) => {
                *slot = value;
                true
            }
            None => false,
        }
    }
    fn remove(&mut self, key: K) -> bool {
        self.map().remove(&key).is_some()
    }
}
