//! Reclamation accounting for maps that defer frees (RUNNER-SPEC.md, schema 2,
//! `interval.reclaim`): backlog and frees from `cmap_maps::reclaim`'s counters,
//! sampled retire-to-free delays, and *stalls*: timed ops during which the
//! calling thread dropped retired values, with their start times so they can
//! be drawn on the same time axis as Go's GC pauses.

use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use cmap_formats::results::{IntervalReclaim, LatNs, ReclaimInfo};
use cmap_maps::reclaim::{self, Reclamation, Totals};
use hdrhistogram::Histogram;

use crate::hlog::new_latency_histogram;

/// Stall events listed per interval at most (the histogram counts them all).
pub const MAX_LISTED_STALLS: usize = 256;

/// Whether the run's map is instrumented (set before the workers start).
static ON: AtomicBool = AtomicBool::new(false);

/// Stalls recorded by workers, not yet written: (start, duration).
static STALLS: Mutex<Vec<(Instant, u64)>> = Mutex::new(Vec::new());

/// Before a timed op: this thread's free count (0 when not instrumented).
#[inline(always)]
pub fn before_op() -> u64 {
    if ON.load(Relaxed) {
        reclaim::thread_frees()
    } else {
        0
    }
}

/// After a timed op that started at `started` and took `took`: records a stall
/// if this thread freed retired values meanwhile, and says whether it did.
#[inline(always)]
pub fn after_op(frees_before: u64, started: Instant, took: Duration) -> bool {
    if ON.load(Relaxed) && reclaim::thread_frees() != frees_before {
        STALLS
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push((started, took.as_nanos() as u64));
        true
    } else {
        false
    }
}

/// Whether the run's map is counted: workers then count every op during which
/// they dropped retired values (`Tally::stall_ops`), not only the timed ones.
pub fn is_on() -> bool {
    ON.load(Relaxed)
}

/// `run_start.reclaim`: how this map's reclamation is observed (`mode`: `counted`,
/// `immediate` or `not_observed`; `bytes_per_value`: payload bytes per retired value,
/// `counted` only; `reason`: why there is no per-interval `reclaim` record, null when
/// counted; `delay_sample_every`: one retirement in this many per thread is timed).
pub fn info(r: Reclamation) -> ReclaimInfo {
    let (mode, bytes_per_value, reason) = match r {
        Reclamation::Counted { bytes_per_value } => ("counted", Some(bytes_per_value), None),
        Reclamation::Immediate(why) => ("immediate", None, Some(why)),
        Reclamation::NotObserved(why) => ("not_observed", None, Some(why)),
    };
    ReclaimInfo {
        mode: mode.to_owned(),
        bytes_per_value,
        reason: reason.map(str::to_owned),
        delay_sample_every: Some(u64::from(reclaim::DELAY_SAMPLE_EVERY)),
        extra: Default::default(),
    }
}

/// The collector's side: deltas between interval ends.
pub struct ReclaimTracker {
    bytes_per_value: u64,
    prev: Totals,
    t0: Instant,
    delays: Histogram<u64>,
    stalls: Histogram<u64>,
}

impl ReclaimTracker {
    /// `Some` when the map is counted; turns stall detection on or off. Call it just
    /// before the start gate opens (the counters' baseline: warm-up ops still in
    /// flight count as the first interval's), then [`ReclaimTracker::started`].
    pub fn prepare(r: Reclamation) -> Option<ReclaimTracker> {
        let Reclamation::Counted { bytes_per_value } = r else {
            ON.store(false, Relaxed);
            return None;
        };
        // Delays and stalls before t0 (prefill, warm-up) are not the run's.
        reclaim::take_delay_samples();
        STALLS
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
        ON.store(true, Relaxed);
        Some(ReclaimTracker {
            bytes_per_value,
            prev: reclaim::totals(),
            t0: Instant::now(),
            delays: new_latency_histogram(),
            stalls: new_latency_histogram(),
        })
    }

    /// Sets the measured phase's start.
    pub fn started(mut self, t0: Instant) -> ReclaimTracker {
        self.t0 = t0;
        self
    }

    /// The record for the interval ending at `end` (since t0), in which the workers
    /// counted `stall_ops` ops that dropped retired values.
    pub fn interval(&mut self, end: Duration, stall_ops: u64) -> IntervalReclaim {
        let now = reclaim::totals();
        self.delays.reset();
        for d in reclaim::take_delay_samples() {
            self.delays.saturating_record(d);
        }
        let cut = self.t0 + end;
        let mine: Vec<(Instant, u64)> = {
            let mut all = STALLS.lock().unwrap_or_else(PoisonError::into_inner);
            let (before, after): (Vec<_>, Vec<_>) = all.drain(..).partition(|(at, _)| *at < cut);
            *all = after;
            before
        };
        self.stalls.reset();
        let mut stalls = Vec::new();
        for &(at, ns) in &mine {
            self.stalls.saturating_record(ns);
            if stalls.len() < MAX_LISTED_STALLS {
                stalls.push([at.saturating_duration_since(self.t0).as_nanos() as u64, ns]);
            }
        }
        let record = IntervalReclaim {
            backlog_values: now.backlog(),
            backlog_bytes: now.backlog() * self.bytes_per_value,
            live_values: now.live(),
            retired: now.retired.saturating_sub(self.prev.retired),
            frees: now.freed.saturating_sub(self.prev.freed),
            retire_to_free_ns: Some(LatNs::of_histogram(Some(&self.delays))),
            stall_lat_ns: Some(LatNs::of_histogram(Some(&self.stalls))),
            stalls,
            stall_ops: Some(stall_ops),
            extra: Default::default(),
        };
        self.prev = now;
        record
    }
}

impl Drop for ReclaimTracker {
    fn drop(&mut self) {
        ON.store(false, Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn info_names_the_mode_and_keeps_the_reason() {
        let i = info(Reclamation::NotObserved("because"));
        assert_eq!(
            (i.mode.as_str(), i.reason.as_deref(), i.bytes_per_value),
            ("not_observed", Some("because"), None)
        );
        let c = info(Reclamation::Counted {
            bytes_per_value: 16,
        });
        assert_eq!(
            (c.mode.as_str(), c.reason.as_deref(), c.bytes_per_value),
            ("counted", None, Some(16))
        );
    }
}
