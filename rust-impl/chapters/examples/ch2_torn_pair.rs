//! Chapter 2.2: a pair of words shared between threads, the three safe ways.
//!
//! One thread keeps writing `(i, i)`; two threads read and count the pairs
//! with `a != b`, like the Go program `go-reference/cmd/ch2-torn-reads`. The
//! types live in `rust-impl/torn-pair`, whose loom models check them in every
//! interleaving; this program runs them on real threads.
//! Run: `cargo run --release -p chapters --example ch2_torn_pair`.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread;

use torn_pair::{LockedPair, PackedPair, SeqLockPair};

/// Reads per reader thread in `main`.
const READS_PER_READER: u64 = 2_000_000;
const READERS: usize = 2;

/// What one run saw.
#[derive(Debug)]
struct Observed {
    reads: u64,
    torn: u64,
    writes: u64,
}

/// Runs one writer of `(i, i)` against `READERS` readers doing `reads` reads
/// each, and counts the torn pairs the readers saw.
fn count_torn_reads(
    write: impl Fn(u64) + Sync,
    read: impl Fn() -> (u64, u64) + Sync,
    reads: u64,
) -> Observed {
    let done = AtomicBool::new(false);
    let torn = AtomicU64::new(0);
    let writes = thread::scope(|s| {
        let writer = s.spawn(|| {
            let mut i = 0;
            while !done.load(Ordering::Relaxed) {
                i += 1;
                write(i);
            }
            i
        });
        let readers: Vec<_> = (0..READERS)
            .map(|_| {
                s.spawn(|| {
                    for _ in 0..reads {
                        let (a, b) = read();
                        if a != b {
                            torn.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                })
            })
            .collect();
        for r in readers {
            r.join().unwrap();
        }
        done.store(true, Ordering::Relaxed);
        writer.join().unwrap()
    });
    Observed {
        reads: reads * READERS as u64,
        torn: torn.into_inner(),
        writes,
    }
}

fn with_lock(reads: u64) -> Observed {
    let pair = LockedPair::default();
    count_torn_reads(|i| pair.write(i, i), || pair.read(), reads)
}

fn with_seqlock(reads: u64) -> Observed {
    let pair = SeqLockPair::default();
    count_torn_reads(|i| pair.write(i, i), || pair.read(), reads)
}

fn with_packed_atomic(reads: u64) -> Observed {
    let pair = PackedPair::default();
    count_torn_reads(
        // Each half is 32 bits: i wraps at 2^32, the same in both halves.
        |i| pair.write(i as u32, i as u32),
        || {
            let (a, b) = pair.read();
            (u64::from(a), u64::from(b))
        },
        reads,
    )
}

fn main() {
    for (name, run) in [
        ("Mutex<(u64, u64)>", with_lock as fn(u64) -> Observed),
        ("seqlock", with_seqlock),
        ("AtomicU64 packing two u32", with_packed_atomic),
    ] {
        let seen = run(READS_PER_READER);
        println!(
            "{name}: {} torn of {} reads, while {} writes ran",
            seen.torn, seen.reads, seen.writes
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const READS: u64 = 200_000;

    fn assert_never_torn(seen: Observed) {
        assert_eq!(seen.torn, 0, "torn pairs: {seen:?}");
        assert_eq!(seen.reads, READS * READERS as u64);
        assert!(seen.writes > 0, "the writer never ran: {seen:?}");
    }

    #[test]
    fn lock_is_never_torn() {
        assert_never_torn(with_lock(READS));
    }

    #[test]
    fn seqlock_is_never_torn() {
        assert_never_torn(with_seqlock(READS));
    }

    #[test]
    fn packed_atomic_is_never_torn() {
        assert_never_torn(with_packed_atomic(READS));
    }
}
