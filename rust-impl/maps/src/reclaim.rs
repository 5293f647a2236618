//! Observing deferred reclamation: a counting wrapper around stored values.
//!
//! A map that frees replaced and removed values later (seize for papaya and
//! flurry, crossbeam-epoch for `gosyncmap`) stores [`Counted`] instead of a
//! bare `u64`, and its adapter calls [`retire`] on every value it unlinks (the
//! old value an insert, update or remove hands back). [`Counted`]'s `Drop`
//! counts the free. Then, at any instant:
//!
//! - **backlog** = values retired but not yet dropped (`retired - freed`),
//!   i.e. live values minus the map's length, without having to ask the map
//!   for its length;
//! - **frees** = retired values dropped so far (per interval: the difference);
//! - **retire-to-free delay**: one retirement in [`DELAY_SAMPLE_EVERY`] per
//!   thread is stamped with the time; its drop records the delay;
//! - **who paid**: [`thread_frees`] is this thread's count of retired values
//!   it dropped. Read before and after a timed operation, a change means the
//!   operation ran destructors of retired values (a reclamation stall).
//!
//! Counters are per thread (one writer each, so an increment is a plain load
//! and store, no atomic read-modify-write on a shared line) and summed by
//! [`totals`]. A map whose values are freed at once reports
//! [`Reclamation::Immediate`] with the reason, one that defers frees but is
//! not instrumented reports [`Reclamation::NotObserved`].
//!
//! Adding an instrumented map: store `Counted`, wrap values with
//! [`Counted::new`], read them with [`Counted::get`], call [`retire`] on each
//! value the map hands back as replaced or removed, and return
//! [`Reclamation::Counted`] from [`ConcurrentMap::reclamation`].
//!
//! [`ConcurrentMap::reclamation`]: crate::ConcurrentMap::reclamation

use std::cell::Cell;
use std::sync::atomic::AtomicU64;
use std::sync::atomic::Ordering::{AcqRel, Relaxed};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::Instant;

/// How a map's reclamation can be observed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reclamation {
    /// Values are [`Counted`]; `bytes_per_value` is the payload one retired
    /// value keeps allocated (key and value as the map stores them, without
    /// the allocator's rounding or the map's own node overhead).
    Counted {
        /// Payload bytes per retired value.
        bytes_per_value: u64,
    },
    /// Replaced and removed values are freed during the operation: there is
    /// no backlog to observe. The reason says where the memory goes.
    Immediate(&'static str),
    /// Frees are deferred but the crate gives no way to count them; the
    /// reason says what stands in.
    NotObserved(&'static str),
}

/// Stamp value of a live (not retired) value.
const LIVE: u64 = 0;
/// Stamp value of a retired value whose time was not sampled.
const RETIRED: u64 = 1;
/// Stamped times are stored as `ns since BASE + STAMP_OFFSET`.
const STAMP_OFFSET: u64 = 2;

/// One retirement in this many (per thread) is stamped with its time.
pub const DELAY_SAMPLE_EVERY: u32 = 256;

/// Most delay samples kept between two [`take_delay_samples`] calls (later
/// ones are counted in [`Totals::delay_samples_dropped`], not kept).
pub const MAX_PENDING_DELAY_SAMPLES: usize = 1 << 16;

/// A stored value (a `u64` unless named) whose creation, retirement and drop are
/// counted.
#[derive(Debug)]
pub struct Counted<V = u64> {
    value: V,
    /// [`LIVE`], [`RETIRED`], or a retirement time (see [`STAMP_OFFSET`]).
    stamp: AtomicU64,
}

impl<V: crate::MapValue> Counted<V> {
    /// A new live value (counted as created).
    #[inline]
    pub fn new(value: V) -> Counted<V> {
        with_counters(|c| bump(c.created));
        Counted {
            value,
            stamp: AtomicU64::new(LIVE),
        }
    }

    /// The stored number.
    #[inline]
    pub fn get(&self) -> u64 {
        self.value.as_u64()
    }
}

impl<V: crate::MapValue> Clone for Counted<V> {
    fn clone(&self) -> Counted<V> {
        Counted::new(self.value.clone())
    }
}

impl<V: PartialEq> PartialEq for Counted<V> {
    fn eq(&self, other: &Counted<V>) -> bool {
        self.value == other.value
    }
}

impl<V: Eq> Eq for Counted<V> {}

/// Marks `value` as unlinked from its map: from now on it is backlog until
/// its drop. Idempotent (a value retired twice counts once).
#[inline]
pub fn retire<V>(value: &Counted<V>) {
    let stamp = with_counters(|c| {
        let left = c.until_sample.get();
        if left <= 1 {
            c.until_sample.set(DELAY_SAMPLE_EVERY);
            now_ns() + STAMP_OFFSET
        } else {
            c.until_sample.set(left - 1);
            RETIRED
        }
    })
    .unwrap_or(RETIRED);
    if value
        .stamp
        .compare_exchange(LIVE, stamp, AcqRel, Relaxed)
        .is_ok()
    {
        with_counters(|c| bump(c.retired));
    }
}

impl<V> Drop for Counted<V> {
    #[inline]
    fn drop(&mut self) {
        let stamp = *self.stamp.get_mut();
        let counted = with_counters(|c| {
            bump(c.dropped);
            if stamp != LIVE {
                bump(c.freed);
                c.local_frees.set(c.local_frees.get() + 1);
            }
        });
        if counted.is_none() {
            // This thread's counters are gone (a drop during thread exit).
            LATE.dropped.fetch_add(1, Relaxed);
            if stamp != LIVE {
                LATE.freed.fetch_add(1, Relaxed);
            }
        }
        if stamp >= STAMP_OFFSET {
            let delay = (now_ns() + STAMP_OFFSET).saturating_sub(stamp);
            let mut pending = DELAYS.lock().unwrap_or_else(PoisonError::into_inner);
            if pending.len() < MAX_PENDING_DELAY_SAMPLES {
                pending.push(delay);
            } else {
                LATE.delays_dropped.fetch_add(1, Relaxed);
            }
        }
    }
}

/// Counter totals over every thread that ever touched a [`Counted`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Totals {
    /// Values created.
    pub created: u64,
    /// Values dropped (retired or not: a map being dropped drops its values).
    pub dropped: u64,
    /// Values retired.
    pub retired: u64,
    /// Retired values dropped.
    pub freed: u64,
    /// Delay samples not kept (more than [`MAX_PENDING_DELAY_SAMPLES`] pending).
    pub delay_samples_dropped: u64,
}

impl Totals {
    /// Values created and not dropped.
    pub fn live(&self) -> u64 {
        self.created.saturating_sub(self.dropped)
    }
    /// Values retired and not dropped.
    pub fn backlog(&self) -> u64 {
        self.retired.saturating_sub(self.freed)
    }
}

/// Sums every thread's counters. Each is read once, so the sum is not one
/// instant's snapshot: with threads running it is within a few operations.
pub fn totals() -> Totals {
    let all = registry().lock().unwrap_or_else(PoisonError::into_inner);
    let mut t = Totals {
        created: 0,
        dropped: LATE.dropped.load(Relaxed),
        retired: 0,
        freed: LATE.freed.load(Relaxed),
        delay_samples_dropped: LATE.delays_dropped.load(Relaxed),
    };
    for c in all.iter() {
        t.created += c.created.load(Relaxed);
        t.dropped += c.dropped.load(Relaxed);
        t.retired += c.retired.load(Relaxed);
        t.freed += c.freed.load(Relaxed);
    }
    t
}

/// Retired values this thread has dropped so far (read it around an
/// operation: a difference means the operation ran reclamation).
#[inline]
pub fn thread_frees() -> u64 {
    with_counters(|c| c.local_frees.get()).unwrap_or(0)
}

/// This thread's free counter, as [`thread_frees`] reads it.
pub struct FreeCount<'a>(&'a Cell<u64>);

impl FreeCount<'_> {
    /// Retired values this thread has dropped so far.
    #[inline(always)]
    pub fn get(&self) -> u64 {
        self.0.get()
    }
}

/// Runs `f` with this thread's free counter, so a caller can read it around
/// every operation of a stretch at the cost of a plain load each (`None`
/// during thread teardown).
#[inline]
pub fn with_thread_frees<R>(f: impl FnOnce(&FreeCount<'_>) -> R) -> Option<R> {
    LOCAL.try_with(|l| f(&FreeCount(&l.local_frees))).ok()
}

/// Retire-to-free delays (ns) recorded since the last call.
pub fn take_delay_samples() -> Vec<u64> {
    std::mem::take(&mut *DELAYS.lock().unwrap_or_else(PoisonError::into_inner))
}

/// Nanoseconds since the first call in this process.
fn now_ns() -> u64 {
    static BASE: OnceLock<Instant> = OnceLock::new();
    BASE.get_or_init(Instant::now).elapsed().as_nanos() as u64
}

/// One thread's counters; only that thread writes them.
#[derive(Default)]
struct Shared {
    created: AtomicU64,
    dropped: AtomicU64,
    retired: AtomicU64,
    freed: AtomicU64,
}

/// Counters from drops after a thread's own were destroyed.
struct Late {
    dropped: AtomicU64,
    freed: AtomicU64,
    delays_dropped: AtomicU64,
}

static LATE: Late = Late {
    dropped: AtomicU64::new(0),
    freed: AtomicU64::new(0),
    delays_dropped: AtomicU64::new(0),
};

static DELAYS: Mutex<Vec<u64>> = Mutex::new(Vec::new());

fn registry() -> &'static Mutex<Vec<Arc<Shared>>> {
    static ALL: OnceLock<Mutex<Vec<Arc<Shared>>>> = OnceLock::new();
    ALL.get_or_init(|| Mutex::new(Vec::new()))
}

struct Local {
    shared: Arc<Shared>,
    local_frees: Cell<u64>,
    until_sample: Cell<u32>,
}

impl Local {
    fn new() -> Local {
        let shared = Arc::new(Shared::default());
        registry()
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(Arc::clone(&shared));
        Local {
            shared,
            local_frees: Cell::new(0),
            until_sample: Cell::new(DELAY_SAMPLE_EVERY),
        }
    }
}

thread_local! {
    static LOCAL: Local = Local::new();
}

/// Runs `f` on this thread's counters (`None` during thread teardown).
#[inline]
fn with_counters<R>(f: impl FnOnce(&Counters<'_>) -> R) -> Option<R> {
    LOCAL
        .try_with(|l| {
            f(&Counters {
                created: &l.shared.created,
                dropped: &l.shared.dropped,
                retired: &l.shared.retired,
                freed: &l.shared.freed,
                local_frees: &l.local_frees,
                until_sample: &l.until_sample,
            })
        })
        .ok()
}

struct Counters<'a> {
    created: &'a AtomicU64,
    dropped: &'a AtomicU64,
    retired: &'a AtomicU64,
    freed: &'a AtomicU64,
    local_frees: &'a Cell<u64>,
    until_sample: &'a Cell<u32>,
}

/// Increments a counter only this thread writes: load + store, no RMW.
#[inline]
fn bump(counter: &AtomicU64) {
    counter.store(counter.load(Relaxed) + 1, Relaxed);
}

/// The counters are process-wide, and `cargo test` runs a crate's unit tests on parallel
/// threads: every unit test that creates `Counted` values holds this lock, so one test's
/// values never show up in another's before/after difference.
#[cfg(test)]
pub(crate) static COUNTERS_TEST_LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retire_counts_once_and_drop_frees() {
        let _serial = COUNTERS_TEST_LOCK.lock().unwrap_or_else(|e| e.into_inner());
        let before = totals();
        let a = Counted::new(7);
        assert_eq!(a.get(), 7);
        retire(&a);
        retire(&a);
        let mid = totals();
        assert_eq!(mid.retired - before.retired, 1);
        let frees = thread_frees();
        drop(a);
        assert_eq!(thread_frees(), frees + 1);
        let after = totals();
        assert_eq!(after.freed - before.freed, 1);
        // A value dropped without being retired is not a free of a retired value.
        drop(Counted::new(8));
        assert_eq!(thread_frees(), frees + 1);
        assert_eq!(totals().dropped - after.dropped, 1);
        // The counter a caller reads around each operation moves with frees.
        let seen = with_thread_frees(|f| {
            let before = f.get();
            let v = Counted::new(9);
            retire(&v);
            drop(v);
            f.get() - before
        });
        assert_eq!(seen, Some(1));
    }

    #[test]
    fn a_sampled_retirement_records_its_delay() {
        let _serial = COUNTERS_TEST_LOCK.lock().unwrap_or_else(|e| e.into_inner());
        let values: Vec<Counted> = (0..u64::from(DELAY_SAMPLE_EVERY))
            .map(Counted::new)
            .collect();
        values.iter().for_each(retire);
        drop(values);
        // A fresh thread samples its DELAY_SAMPLE_EVERY-th retirement, and no
        // other unit test takes samples.
        let samples = take_delay_samples();
        assert!(!samples.is_empty(), "one of the retirements was sampled");
    }
}
