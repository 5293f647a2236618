//! The counting global allocator, from the `alloc-count` crate (one home for the runner
//! and the chapter programs; what counts is documented there).
//!
//! The binary installs the default `CountingAlloc` (process-wide counters only, no
//! thread-local on the allocation path) in `src/main.rs`; `run_start` then reports
//! `"allocator": "system (counting wrapper)"` and every `interval` record carries
//! `heap_live_bytes` (current) and the interval's `alloc_bytes`/`alloc_objects`.

pub use alloc_count::{AllocSnapshot, CountingAlloc, is_counting, snapshot};
