//! A counting global allocator: `System` plus three relaxed counters.
//!
//! The binary installs it (`src/main.rs`); `run_start` then reports
//! `"allocator": "system (counting wrapper)"` and every `interval` record carries
//! `heap_live_bytes` (current) and the interval's `alloc_bytes`/`alloc_objects`.
//!
//! Why a hand-written wrapper and not `stats_alloc`: we need exactly three numbers, read
//! from another thread while the workers run, and want their cost and layout visible here
//! (one cache line, relaxed `fetch_add`s), not a general statistics type.
//!
//! What counts: every `alloc`/`alloc_zeroed` is one object of `size` bytes; a `realloc`
//! is one object of `new_size` bytes (it may move, as a fresh allocation would), and
//! moves live bytes by `new_size - old size`. Memory the allocator maps but has not handed
//! out (malloc arenas, thread caches) is not counted: that is what RSS shows.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering::Relaxed};

/// The three counters share one 128-byte-aligned line: they change together on every
/// allocation, so one line moves between cores instead of three, and nothing else shares
/// it (128 = two 64-byte lines, for x86's adjacent-line prefetcher).
#[repr(align(128))]
struct Counters {
    /// Bytes currently allocated (signed: a thread may free before another's increment lands).
    live: AtomicI64,
    /// Bytes ever allocated.
    bytes: AtomicU64,
    /// Allocations ever made.
    count: AtomicU64,
}

static COUNTERS: Counters = Counters {
    live: AtomicI64::new(0),
    bytes: AtomicU64::new(0),
    count: AtomicU64::new(0),
};

/// `System`, counting. Install with `#[global_allocator]`.
#[derive(Debug, Default, Clone, Copy)]
pub struct CountingAlloc;

// ANCHOR: count
#[inline]
fn note_alloc(size: usize) {
    COUNTERS.live.fetch_add(size as i64, Relaxed);
    COUNTERS.bytes.fetch_add(size as u64, Relaxed);
    COUNTERS.count.fetch_add(1, Relaxed);
}

// SAFETY: every method forwards to `System` with the caller's arguments unchanged and only
// adds counter updates, which never allocate.
unsafe impl GlobalAlloc for CountingAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded contract.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            note_alloc(layout.size());
        }
        p
    }

    // ANCHOR_END: count
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded contract.
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            note_alloc(layout.size());
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded contract.
        unsafe { System.dealloc(ptr, layout) };
        COUNTERS.live.fetch_sub(layout.size() as i64, Relaxed);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: forwarded contract.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            COUNTERS
                .live
                .fetch_add(new_size as i64 - layout.size() as i64, Relaxed);
            COUNTERS.bytes.fetch_add(new_size as u64, Relaxed);
            COUNTERS.count.fetch_add(1, Relaxed);
        }
        p
    }
}

/// The counters at one instant (each read on its own; they may be a few allocations apart).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct AllocSnapshot {
    /// Bytes allocated and not yet freed.
    pub live_bytes: u64,
    /// Bytes ever allocated.
    pub alloc_bytes: u64,
    /// Allocations ever made.
    pub alloc_objects: u64,
}

/// Reads the counters.
pub fn snapshot() -> AllocSnapshot {
    AllocSnapshot {
        live_bytes: COUNTERS.live.load(Relaxed).max(0) as u64,
        alloc_bytes: COUNTERS.bytes.load(Relaxed),
        alloc_objects: COUNTERS.count.load(Relaxed),
    }
}

/// Whether [`CountingAlloc`] is this process's global allocator: true once it has counted
/// an allocation (the runner allocates its arguments before it asks).
pub fn is_counting() -> bool {
    COUNTERS.count.load(Relaxed) > 0
}
