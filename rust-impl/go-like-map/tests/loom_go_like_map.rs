//! loom explores every interleaving of small two-thread programs (up to
//! LOOM_MAX_PREEMPTIONS preemptions) and tracks happens-before for every
//! `UnsafeCell` access. It is the Rust counterpart of Go's runtime check and
//! of `-race` at once, but exhaustive where they are best-effort.
//!
//! Run: `RUSTFLAGS="--cfg loom" LOOM_MAX_PREEMPTIONS=3 cargo test --release -p go-like-map --test loom_go_like_map`
#![cfg(loom)]

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicUsize, Ordering};

use go_like_map::{GoLikeMap, LockedMap};
use loom::sync::Arc;
use loom::thread;

/// Runs a loom model expected to fail and returns loom's panic message.
fn model_failure(model: impl Fn() + Sync + Send + 'static) -> String {
    let outcome = catch_unwind(AssertUnwindSafe(|| loom::model(model)));
    let payload = outcome.expect_err("loom explored every interleaving and found no race");
    payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_default()
}

// ANCHOR: two_writers
#[test]
fn loom_finds_the_two_writer_race_that_the_flag_misses() {
    let message = model_failure(|| {
        let map = Arc::new(GoLikeMap::new());
        let other = Arc::clone(&map);
        let writer = thread::spawn(move || {
            let _ = other.insert(1, 10);
        });
        let _ = map.insert(2, 20);
        writer.join().unwrap();
    });
    assert!(
        message.contains("Causality violation: Concurrent write accesses to `UnsafeCell`"),
        "unexpected loom failure: {message}"
    );
}
// ANCHOR_END: two_writers

// ANCHOR: reader_writer
#[test]
fn loom_finds_the_reader_writer_race() {
    let message = model_failure(|| {
        let map = Arc::new(GoLikeMap::new());
        let other = Arc::clone(&map);
        let writer = thread::spawn(move || {
            let _ = other.insert(1, 10);
        });
        let _ = map.get(1);
        writer.join().unwrap();
    });
    assert!(
        message.contains("Causality violation: Concurrent read and write accesses"),
        "unexpected loom failure: {message}"
    );
}
// ANCHOR_END: reader_writer

// ANCHOR: locked
#[test]
fn loom_accepts_the_locked_map_in_every_interleaving() {
    static EXECUTIONS: AtomicUsize = AtomicUsize::new(0);
    loom::model(|| {
        EXECUTIONS.fetch_add(1, Ordering::Relaxed);
        let map = Arc::new(LockedMap::default());
        let other = Arc::clone(&map);
        let writer = thread::spawn(move || other.insert(1, 10));
        map.insert(2, 20);
        let seen = map.get(1);
        assert!(seen.is_none() || seen == Some(10), "torn read: {seen:?}");
        writer.join().unwrap();
        assert_eq!(map.len(), 2, "a write was lost");
    });
    // More than one execution means loom really did reorder the threads.
    assert!(EXECUTIONS.load(Ordering::Relaxed) > 1);
}
// ANCHOR_END: locked
