//! A pair of words shared between threads: one thread writes `(v, v)`,
//! others read, and a read is *torn* if it returns a pair that no write
//! stored (`a != b`).
//!
//! Go lets you write the racy version in safe code, and the Go memory model
//! says what may happen: a racy read of a value larger than a word may
//! combine parts of different writes. In Rust the racy version needs
//! `unsafe` (and is undefined behaviour, so it is only ever run under loom,
//! which reports it); the three other types here are the safe ways to share
//! a pair:
//!
//! | type | how a reader gets a consistent pair | readers block writers? |
//! |---|---|---|
//! | [`LockedPair`] | a `Mutex` around both words | yes |
//! | [`SeqLockPair`] | a sequence number; a reader retries if a write overlapped | no |
//! | [`PackedPair`] | both halves (32 bits each) in one `AtomicU64` | no |

mod sync;
use sync::{AtomicU64, Mutex, Ordering, UnsafeCell, fence, spin_loop};

// ANCHOR: racy
/// Two words with no synchronisation at all: what Go's `shared = pair{i, i}`
/// is. Never use it from two threads outside loom: concurrent `write` and
/// `read` are a data race, which in Rust is undefined behaviour.
pub struct RacyPair {
    words: UnsafeCell<(u64, u64)>,
}

// SAFETY: none; this is the lie that lets the loom model share it. loom
// tracks every access to the cell and reports the unsynchronised ones.
unsafe impl Sync for RacyPair {}

impl RacyPair {
    pub fn new(a: u64, b: u64) -> Self {
        RacyPair {
            words: UnsafeCell::new((a, b)),
        }
    }

    pub fn write(&self, a: u64, b: u64) {
        // SAFETY: not safe if another thread reads or writes at the same time.
        self.words.with_mut(|p| unsafe { *p = (a, b) });
    }

    pub fn read(&self) -> (u64, u64) {
        // SAFETY: as in `write`.
        self.words.with(|p| unsafe { *p })
    }
}
// ANCHOR_END: racy

// ANCHOR: locked
/// Fix 1: both words behind one lock. A reader holds the lock while it
/// copies the pair, so no write can be half done.
#[derive(Default)]
pub struct LockedPair {
    words: Mutex<(u64, u64)>,
}

impl LockedPair {
    pub fn write(&self, a: u64, b: u64) {
        *self.words.lock().unwrap() = (a, b);
    }

    pub fn read(&self) -> (u64, u64) {
        *self.words.lock().unwrap()
    }
}
// ANCHOR_END: locked

// ANCHOR: seqlock
/// Fix 2: a seqlock. Writers never wait for readers; a reader that
/// overlapped a write notices and tries again.
///
/// Invariant: `seq` is odd exactly while a writer is between its two
/// stores to `seq`; every completed write adds 2. A reader returns `(a, b)`
/// only if `seq` was even before it read the words and unchanged after, so
/// no write overlapped the reads.
///
/// The words are atomics, read and written `Relaxed`: a reader *does* race
/// with a writer (that is the point of a seqlock) and only atomics may race
/// in Rust. The orderings that make the check sound are on `seq` and the
/// fences; see `write` and `read`.
#[derive(Default)]
pub struct SeqLockPair {
    seq: AtomicU64,
    a: AtomicU64,
    b: AtomicU64,
}

impl SeqLockPair {
    pub fn write(&self, a: u64, b: u64) {
        // Take the write side: move seq from even to odd. The CAS makes
        // writers exclude each other; its Acquire pairs with the previous
        // writer's Release below, so that writer's stores happen before ours.
        let mut seq = self.seq.load(Ordering::Relaxed);
        loop {
            if seq & 1 == 1 {
                spin_loop();
                seq = self.seq.load(Ordering::Relaxed);
                continue;
            }
            match self
                .seq
                .compare_exchange_weak(seq, seq + 1, Ordering::Acquire, Ordering::Relaxed)
            {
                Ok(_) => break,
                Err(current) => seq = current,
            }
        }
        // Release fence: the odd seq above happens before any reader that
        // sees one of the word stores below and then runs its Acquire fence.
        // Without it, a reader could see a new word yet the old, even seq.
        fence(Ordering::Release);
        self.a.store(a, Ordering::Relaxed);
        self.b.store(b, Ordering::Relaxed);
        // Release store: a reader that loads this even value (Acquire) also
        // sees both words stored above.
        self.seq.store(seq + 2, Ordering::Release);
    }

    pub fn read(&self) -> (u64, u64) {
        loop {
            // Acquire: pairs with the writer's final Release store, so if s1
            // is the seq a write ended with, that write's words are visible.
            let s1 = self.seq.load(Ordering::Acquire);
            if s1 & 1 == 1 {
                spin_loop(); // a write is in progress
                continue;
            }
            let a = self.a.load(Ordering::Relaxed);
            let b = self.b.load(Ordering::Relaxed);
            // Acquire fence: if either load above saw a store of a later
            // write, that write's Release fence synchronises with this one,
            // so its odd seq happens before the load below: s2 != s1.
            fence(Ordering::Acquire);
            let s2 = self.seq.load(Ordering::Relaxed);
            if s1 == s2 {
                return (a, b);
            }
            spin_loop();
        }
    }
}
// ANCHOR_END: seqlock

// ANCHOR: packed
/// Fix 3: make the pair one word. Two 32-bit halves packed into an
/// `AtomicU64` are stored and loaded by one instruction each, so a reader
/// gets one whole write. `Relaxed` is enough for the pair itself (one atomic
/// object is never torn); use `Release`/`Acquire` only if the pair must
/// also publish other memory.
#[derive(Default)]
pub struct PackedPair {
    word: AtomicU64,
}

impl PackedPair {
    pub fn write(&self, a: u32, b: u32) {
        self.word
            .store((u64::from(a) << 32) | u64::from(b), Ordering::Relaxed);
    }

    pub fn read(&self) -> (u32, u32) {
        let w = self.word.load(Ordering::Relaxed);
        ((w >> 32) as u32, w as u32)
    }
}
// ANCHOR_END: packed

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn each_pair_reads_back_what_was_written() {
        let racy = RacyPair::new(0, 0);
        racy.write(1, 2);
        assert_eq!(racy.read(), (1, 2));
        let locked = LockedPair::default();
        locked.write(3, 4);
        assert_eq!(locked.read(), (3, 4));
        let seqlock = SeqLockPair::default();
        seqlock.write(5, 6);
        seqlock.write(7, 8);
        assert_eq!(seqlock.read(), (7, 8));
        assert_eq!(seqlock.seq.load(Ordering::Relaxed), 4, "two writes add 4");
        let packed = PackedPair::default();
        packed.write(u32::MAX, 9);
        assert_eq!(packed.read(), (u32::MAX, 9));
    }
}
