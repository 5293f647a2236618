//! A counting global allocator: `System` plus three relaxed counters, and, opted into
//! with `CountingAlloc<true>`, a per-thread count of bytes allocated.
//!
//! Each user installs it in one line:
//!
//! ```
//! #[global_allocator]
//! static ALLOC: alloc_count::CountingAlloc = alloc_count::CountingAlloc;
//! # fn main() {
//! # let v = vec![0u8; 100];
//! # assert!(alloc_count::live_bytes() >= 100);
//! # }
//! ```
//!
//! and reads [`snapshot`] or [`live_bytes`] (process-wide), or [`thread_allocated_bytes`]
//! (this thread only, with `CountingAlloc<true>`: tests that run on parallel threads then
//! do not see each other's allocations).
//!
//! The Rust runner reports `heap_live_bytes` and the interval's `alloc_bytes` and
//! `alloc_objects` from these counters; chapters 2.3 and 3.3 read the live bytes, and
//! chapter 3.1 the bytes one store allocates on its own thread.
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
use std::cell::Cell;
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

thread_local! {
    /// Bytes this thread has allocated, counted by `CountingAlloc<true>` only.
    /// Const-initialised and without `Drop`, so touching it never allocates.
    static THREAD_BYTES: Cell<u64> = const { Cell::new(0) };
}

/// `System`, counting. Install with `#[global_allocator]`.
///
/// `PER_THREAD = true` also adds each allocation's bytes to a thread-local counter
/// ([`thread_allocated_bytes`]); with the default `false` that code is compiled out, so
/// the runner's hot path touches no thread-local.
#[derive(Debug, Default, Clone, Copy)]
pub struct CountingAlloc<const PER_THREAD: bool = false>;

// ANCHOR: allocator
// ANCHOR: count
/// One allocation of `size` bytes that changes the live bytes by `live_delta`.
#[inline]
fn note_alloc<const PER_THREAD: bool>(size: usize, live_delta: i64) {
    COUNTERS.live.fetch_add(live_delta, Relaxed);
    COUNTERS.bytes.fetch_add(size as u64, Relaxed);
    COUNTERS.count.fetch_add(1, Relaxed);
    if PER_THREAD {
        // `try_with`: during thread teardown the slot may be gone; that count is lost.
        let _ = THREAD_BYTES.try_with(|c| c.set(c.get() + size as u64));
    }
}

// SAFETY: every method forwards to `System` with the caller's arguments unchanged and only
// adds counter updates, which never allocate.
unsafe impl<const PER_THREAD: bool> GlobalAlloc for CountingAlloc<PER_THREAD> {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded contract.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            note_alloc::<PER_THREAD>(layout.size(), layout.size() as i64);
        }
        p
    }

    // ANCHOR_END: count
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded contract.
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            note_alloc::<PER_THREAD>(layout.size(), layout.size() as i64);
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
            note_alloc::<PER_THREAD>(new_size, new_size as i64 - layout.size() as i64);
        }
        p
    }
}
// ANCHOR_END: allocator

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
        live_bytes: live_bytes() as u64,
        alloc_bytes: COUNTERS.bytes.load(Relaxed),
        alloc_objects: COUNTERS.count.load(Relaxed),
    }
}

/// Bytes allocated and not yet freed, by every thread (0 if [`CountingAlloc`] is not the
/// global allocator).
pub fn live_bytes() -> usize {
    COUNTERS.live.load(Relaxed).max(0) as usize
}

/// Bytes this thread has allocated so far (freed or not), if `CountingAlloc<true>` is the
/// global allocator; 0 otherwise.
pub fn thread_allocated_bytes() -> u64 {
    THREAD_BYTES.with(Cell::get)
}

/// Whether [`CountingAlloc`] is this process's global allocator: true once it has counted
/// an allocation (a program allocates its arguments before it asks).
pub fn is_counting() -> bool {
    COUNTERS.count.load(Relaxed) > 0
}
