//! loom models of chapter 2.2: the unsynchronised pair is reported, the
//! seqlock never returns a torn pair, and the same seqlock with its
//! orderings weakened to `Relaxed` does.
//!
//! Run: `RUSTFLAGS="--cfg loom" LOOM_MAX_PREEMPTIONS=3 cargo test --release -p torn-pair --test loom_torn_pair`
#![cfg(loom)]

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::AtomicUsize;

use loom::sync::Arc;
use loom::sync::atomic::{AtomicU64, Ordering};
use loom::thread;
use torn_pair::{LockedPair, PackedPair, RacyPair, SeqLockPair};

/// Runs a loom model expected to fail and returns loom's panic message.
fn model_failure(model: impl Fn() + Sync + Send + 'static) -> String {
    let outcome = catch_unwind(AssertUnwindSafe(|| loom::model(model)));
    let payload = outcome.expect_err("loom explored every interleaving and found nothing");
    payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_default()
}

// ANCHOR: racy
#[test]
fn loom_reports_the_unsynchronised_pair() {
    let message = model_failure(|| {
        let pair = Arc::new(RacyPair::new(0, 0));
        let writer = {
            let pair = Arc::clone(&pair);
            thread::spawn(move || pair.write(1, 1))
        };
        let (a, b) = pair.read();
        assert_eq!(a, b, "torn pair");
        writer.join().unwrap();
    });
    assert!(
        message.contains("Causality violation: Concurrent read and write accesses to `UnsafeCell`"),
        "unexpected loom failure: {message}"
    );
}
// ANCHOR_END: racy

// ANCHOR: seqlock
#[test]
fn loom_seqlock_never_returns_a_torn_pair() {
    static EXECUTIONS: AtomicUsize = AtomicUsize::new(0);
    loom::model(|| {
        EXECUTIONS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let pair = Arc::new(SeqLockPair::default());
        let writer = {
            let pair = Arc::clone(&pair);
            thread::spawn(move || {
                pair.write(1, 1);
                pair.write(2, 2);
            })
        };
        let (a, b) = pair.read();
        assert_eq!(a, b, "torn pair");
        writer.join().unwrap();
        assert_eq!(
            pair.read(),
            (2, 2),
            "the last write is not visible after join"
        );
    });
    assert!(EXECUTIONS.load(std::sync::atomic::Ordering::Relaxed) > 1);
}
// ANCHOR_END: seqlock

// ANCHOR: relaxed
/// The seqlock's read and write with every ordering `Relaxed` and the
/// fences removed: the same steps, none of the happens-before edges.
struct RelaxedSeqLock {
    seq: AtomicU64,
    a: AtomicU64,
    b: AtomicU64,
}

impl RelaxedSeqLock {
    fn write(&self, a: u64, b: u64) {
        // One writer only in this model, so a plain increment takes the lock.
        let seq = self.seq.load(Ordering::Relaxed);
        self.seq.store(seq + 1, Ordering::Relaxed);
        self.a.store(a, Ordering::Relaxed);
        self.b.store(b, Ordering::Relaxed);
        self.seq.store(seq + 2, Ordering::Relaxed);
    }

    /// One attempt; `None` when the reader would retry.
    fn try_read(&self) -> Option<(u64, u64)> {
        let s1 = self.seq.load(Ordering::Relaxed);
        let a = self.a.load(Ordering::Relaxed);
        let b = self.b.load(Ordering::Relaxed);
        let s2 = self.seq.load(Ordering::Relaxed);
        (s1 & 1 == 0 && s1 == s2).then_some((a, b))
    }
}

#[test]
fn loom_finds_a_torn_pair_once_the_orderings_are_relaxed() {
    let message = model_failure(|| {
        let pair = Arc::new(RelaxedSeqLock {
            seq: AtomicU64::new(0),
            a: AtomicU64::new(0),
            b: AtomicU64::new(0),
        });
        let writer = {
            let pair = Arc::clone(&pair);
            thread::spawn(move || pair.write(1, 1))
        };
        if let Some((a, b)) = pair.try_read() {
            assert_eq!(a, b, "torn pair accepted by the sequence check");
        }
        writer.join().unwrap();
    });
    assert!(
        message.contains("torn pair accepted by the sequence check"),
        "unexpected loom failure: {message}"
    );
}
// ANCHOR_END: relaxed

#[test]
fn loom_locked_and_packed_pairs_are_never_torn() {
    loom::model(|| {
        let locked = Arc::new(LockedPair::default());
        let packed = Arc::new(PackedPair::default());
        let writer = {
            let (locked, packed) = (Arc::clone(&locked), Arc::clone(&packed));
            thread::spawn(move || {
                locked.write(1, 1);
                packed.write(1, 1);
            })
        };
        let (a, b) = locked.read();
        assert_eq!(a, b, "torn locked pair");
        let (a, b) = packed.read();
        assert_eq!(a, b, "torn packed pair");
        writer.join().unwrap();
    });
}
