//! A plain `HashMap` with no synchronisation at all: the single-thread limit
//! that every concurrent design's one-thread cost is compared with.

use std::cell::UnsafeCell;
use std::collections::HashMap;
use std::marker::PhantomData;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::{ConcurrentMap, FoldState, MapHandle, MapInfo, ReadVisibility, hasher};

/// An unsynchronised std `HashMap` with foldhash; one handle at a time.
///
/// Misuse is refused loudly: [`handle`](ConcurrentMap::handle) panics while
/// another handle is alive, so a runner that ignores
/// `MapInfo::max_threads == Some(1)` fails at its second thread instead of
/// racing. Operations pay nothing for this; only handle creation and drop
/// touch the flag.
pub struct UnsyncStdFoldhash {
    map: UnsafeCell<HashMap<u64, u64, FoldState>>,
    /// `true` while a handle exists. Taken with `Acquire` and released with
    /// `Release`, so one handle's accesses happen-before the next handle's,
    /// even on another thread.
    handle_alive: AtomicBool,
}

// SAFETY: the map is only reached through `UnsyncHandle`, and `handle_alive`
// guarantees at most one exists at a time, with a happens-before edge from
// each handle's drop to the next handle's creation (a try-lock that panics
// instead of waiting). So no two threads ever access `map` concurrently.
unsafe impl Sync for UnsyncStdFoldhash {}

/// The only access path to an [`UnsyncStdFoldhash`]. Not `Send`: it stays on
/// the thread that created it.
pub struct UnsyncHandle<'a> {
    owner: &'a UnsyncStdFoldhash,
    _not_send: PhantomData<*const ()>,
}

impl UnsyncHandle<'_> {
    fn map(&mut self) -> &mut HashMap<u64, u64, FoldState> {
        // SAFETY: this handle is the only one alive (see `UnsyncStdFoldhash`),
        // and `&mut self` makes the returned borrow unique within it.
        unsafe { &mut *self.owner.map.get() }
    }
}

impl Drop for UnsyncHandle<'_> {
    fn drop(&mut self) {
        self.owner.handle_alive.store(false, Ordering::Release);
    }
}

impl ConcurrentMap for UnsyncStdFoldhash {
    type Handle<'a> = UnsyncHandle<'a>;

    fn with_capacity(capacity: usize) -> Self {
        Self {
            map: UnsafeCell::new(HashMap::with_capacity_and_hasher(
                capacity,
                FoldState::default(),
            )),
            handle_alive: AtomicBool::new(false),
        }
    }

    fn handle(&self) -> UnsyncHandle<'_> {
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

impl MapHandle for UnsyncHandle<'_> {
    fn get(&mut self, key: u64) -> Option<u64> {
        self.map().get(&key).copied()
    }
    fn insert(&mut self, key: u64, value: u64) -> bool {
        self.map().insert(key, value).is_none()
    }
    fn update(&mut self, key: u64, value: u64) -> bool {
        match self.map().get_mut(&key) {
            Some(slot) => {
                *slot = value;
                true
            }
            None => false,
        }
    }
    fn remove(&mut self, key: u64) -> bool {
        self.map().remove(&key).is_some()
    }
}
