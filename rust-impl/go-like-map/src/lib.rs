//! A deliberately unsound map that behaves like Go's built-in map under
//! concurrency: no lock, only a `writing` flag that writers set and everyone
//! checks, reporting misuse with the Go runtime's own words.
//!
//! Go's runtime (`internal/runtime/maps`) keeps such a flag in every map and
//! calls `fatal("concurrent map writes")` when a writer finds it already set.
//! The flag is read and written with plain loads and stores, so the check is
//! best-effort: two writers can both see it clear and proceed. This crate
//! reproduces that design in Rust so that loom can enumerate the interleavings
//! and show the one the flag misses (`tests/loom_go_like_map.rs`).
//!
//! Outside loom the type is `Sync` only through `unsafe impl`, which is the
//! point: safe Rust would not let you share an unsynchronised map at all
//! (see `rust-impl/chapters/tests/ui/`). Do not use this type for anything but
//! the models.

use std::collections::HashMap;
use std::fmt;

mod sync;
use sync::{AtomicBool, Mutex, Ordering, UnsafeCell};

/// What the Go runtime would have stopped the program for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MapMisuse {
    /// A writer found another write in progress.
    ConcurrentWrites,
    /// A reader found a write in progress.
    ReadDuringWrite,
}

impl fmt::Display for MapMisuse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The exact messages of Go 1.26's runtime, without the "fatal error: " prefix.
        f.write_str(match self {
            MapMisuse::ConcurrentWrites => "concurrent map writes",
            MapMisuse::ReadDuringWrite => "concurrent map read and map write",
        })
    }
}

impl std::error::Error for MapMisuse {}

/// A `u64 -> u64` map with Go's misuse check and none of a lock's guarantees.
///
/// Invariant the flag *tries* to keep: `writing` is true exactly while one
/// `insert` is between its opening check and its closing toggle. Because the flag is
/// accessed with `Relaxed` ordering (as Go's plain byte is), nothing orders
/// one thread's table access before another's: even when the check passes
/// correctly, the table accesses still race.
pub struct GoLikeMap {
    writing: AtomicBool,
    table: UnsafeCell<HashMap<u64, u64>>,
}

// SAFETY: this is the lie the whole crate exists to expose. The table is not
// protected; `writing` only detects some overlapping accesses.
unsafe impl Sync for GoLikeMap {}

impl Default for GoLikeMap {
    fn default() -> Self {
        Self::new()
    }
}

impl GoLikeMap {
    pub fn new() -> Self {
        GoLikeMap {
            writing: AtomicBool::new(false),
            table: UnsafeCell::new(HashMap::new()),
        }
    }

    // ANCHOR: insert
    /// Inserts like Go's `mapassign`: check the flag, toggle it, write, then
    /// check that nobody toggled it meanwhile, and toggle it back.
    pub fn insert(&self, key: u64, value: u64) -> Result<(), MapMisuse> {
        self.begin_write()?;
        // SAFETY: none; another thread may be inside the table right now if it
        // passed the check at the same moment. loom reports exactly that.
        self.table
            .with_mut(|table| unsafe { (*table).insert(key, value) });
        self.end_write()
    }
    // ANCHOR_END: insert

    // ANCHOR: get
    /// Reads like Go's `mapaccess`: refuse if a write is visibly in progress.
    pub fn get(&self, key: u64) -> Result<Option<u64>, MapMisuse> {
        if self.writing.load(Ordering::Relaxed) {
            return Err(MapMisuse::ReadDuringWrite);
        }
        // SAFETY: none, as in `insert`.
        Ok(self
            .table
            .with(|table| unsafe { (*table).get(&key).copied() }))
    }
    // ANCHOR_END: get

    pub fn len(&self) -> Result<usize, MapMisuse> {
        if self.writing.load(Ordering::Relaxed) {
            return Err(MapMisuse::ReadDuringWrite);
        }
        Ok(self.table.with(|table| unsafe { (*table).len() }))
    }

    pub fn is_empty(&self) -> Result<bool, MapMisuse> {
        self.len().map(|n| n == 0)
    }

    // ANCHOR: flag
    // Go 1.26, internal/runtime/maps/runtime_fast64.go:205-214: refuse if the
    // flag is set, then toggle it (`m.writing ^= 1`). Toggling rather than
    // setting means two writers that both got past the check flip it back to
    // 0, so each may notice at its end-of-write check below.
    fn begin_write(&self) -> Result<(), MapMisuse> {
        // A load then a store, not a compare-and-swap: two writers can both
        // load `false` before either stores. Go's plain byte has the same gap.
        if self.writing.load(Ordering::Relaxed) {
            return Err(MapMisuse::ConcurrentWrites);
        }
        self.toggle_writing();
        Ok(())
    }

    // runtime_fast64.go:224-228 and the end of mapassign: the flag must still
    // be set; if another writer toggled it, both are in the map at once.
    fn end_write(&self) -> Result<(), MapMisuse> {
        if !self.writing.load(Ordering::Relaxed) {
            return Err(MapMisuse::ConcurrentWrites);
        }
        self.toggle_writing();
        Ok(())
    }

    /// `m.writing ^= 1`: a plain read-modify-write, not an atomic one.
    fn toggle_writing(&self) {
        let current = self.writing.load(Ordering::Relaxed);
        self.writing.store(!current, Ordering::Relaxed);
    }
    // ANCHOR_END: flag
}

// ANCHOR: locked
/// The fix: the same map behind a mutex. The lock's acquire/release pairs
/// order every table access after the previous one, so there is nothing left
/// to detect, and nothing for loom to find.
#[derive(Default)]
pub struct LockedMap {
    table: Mutex<HashMap<u64, u64>>,
}

impl LockedMap {
    pub fn insert(&self, key: u64, value: u64) {
        self.table.lock().unwrap().insert(key, value);
    }

    pub fn get(&self, key: u64) -> Option<u64> {
        self.table.lock().unwrap().get(&key).copied()
    }

    pub fn len(&self) -> usize {
        self.table.lock().unwrap().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}
// ANCHOR_END: locked

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn single_thread_use_never_trips_the_check() {
        let map = GoLikeMap::new();
        for k in 0..1000 {
            map.insert(k, k * 2).unwrap();
        }
        assert_eq!(map.len(), Ok(1000));
        assert_eq!(map.get(7), Ok(Some(14)));
        assert_eq!(map.get(5000), Ok(None));
    }

    // The check itself, made deterministic: pretend a write is in progress.
    #[test]
    fn a_write_in_progress_is_reported_with_gos_words() {
        let map = GoLikeMap::new();
        map.begin_write().unwrap();
        let write = map.insert(1, 1).unwrap_err();
        assert_eq!(write, MapMisuse::ConcurrentWrites);
        assert_eq!(write.to_string(), "concurrent map writes");
        let read = map.get(1).unwrap_err();
        assert_eq!(read.to_string(), "concurrent map read and map write");
        map.end_write().unwrap();
        assert_eq!(
            map.get(1),
            Ok(None),
            "the refused insert must not have written"
        );
    }

    #[test]
    fn a_flag_cleared_by_someone_else_is_reported() {
        let map = GoLikeMap::new();
        map.begin_write().unwrap();
        map.end_write().unwrap();
        assert_eq!(map.end_write(), Err(MapMisuse::ConcurrentWrites));
    }
}
