//! The collector: merges the workers' per-interval contributions, samples the process at
//! each interval boundary, and writes one `interval` record (flushed) and one `.hlog`
//! histogram per interval, in order, as soon as every worker has moved past it.
//!
//! Invariants:
//! - each worker sends contributions for intervals 0, 1, 2, ... in order over one FIFO
//!   channel, the last one marked `end`; so once worker `w` has sent interval `k`, it will
//!   send nothing for any interval below `k`: `progress[w] = k` ("w is done with < k");
//! - interval `k` is complete when every worker's progress is above `k`; a finished worker
//!   counts as infinitely far;
//! - the last interval (the highest index any worker ended in) ends at the run's elapsed
//!   time; every other interval `k` spans `[k·I, (k+1)·I)`.

use std::collections::VecDeque;
use std::fs::{self, File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender};
use std::time::{Duration, Instant, SystemTime};

use cmap_formats::results::{Interval, LatNs, Record};
use hdrhistogram::Histogram;

use crate::alloc::{self, AllocSnapshot};
use crate::hlog::{HlogWriter, new_latency_histogram};
use crate::reclaim::ReclaimTracker;
use crate::records::{hits_of, ops_of};
use crate::replay::{Contribution, Tally, WorkerEnd};
use crate::sys;

/// `DIR/<run_id>.jsonl` and `DIR/<run_id>.hlog`, created new (never overwritten) and
/// written as the run goes.
pub(crate) struct ResultFiles {
    pub jsonl_path: PathBuf,
    pub hlog_path: PathBuf,
    jsonl: BufWriter<File>,
    pub hlog: HlogWriter<File>,
}

impl ResultFiles {
    /// Creates both files; `Err` is a message for exit status 2.
    pub fn create(dir: &Path, run_id: &str) -> Result<ResultFiles, String> {
        // Any file-name stem (the Go runner's rule): not empty, `.` or `..`; no path
        // separator, space or control character.
        let valid_id = !run_id.is_empty()
            && run_id != "."
            && run_id != ".."
            && !run_id
                .chars()
                .any(|c| c == '/' || c == '\\' || c <= ' ' || c == '\u{7f}');
        if !valid_id {
            return Err(format!(
                "--run-id {run_id:?}: expected a file-name stem without path separators, spaces or control characters"
            ));
        }
        fs::create_dir_all(dir).map_err(|e| {
            format!(
                "--out-dir {}: expected a writable directory, cannot create it: {e}",
                dir.display()
            )
        })?;
        if !dir.is_dir() {
            return Err(format!("--out-dir {}: expected a directory", dir.display()));
        }
        let jsonl_path = dir.join(format!("{run_id}.jsonl"));
        let hlog_path = dir.join(format!("{run_id}.hlog"));
        for path in [&jsonl_path, &hlog_path] {
            if fs::symlink_metadata(path).is_ok() {
                return Err(format!(
                    "--run-id {run_id}: {} already exists; expected a new run id (results are never overwritten)",
                    path.display()
                ));
            }
        }
        let create = |path: &Path| {
            OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(path)
                .map_err(|e| {
                    if e.kind() == io::ErrorKind::AlreadyExists {
                        format!(
                            "--run-id {run_id}: {} already exists; expected a new run id",
                            path.display()
                        )
                    } else {
                        format!(
                            "--out-dir {}: expected a writable directory, cannot create {}: {e}",
                            dir.display(),
                            path.display()
                        )
                    }
                })
        };
        let jsonl = create(&jsonl_path)?;
        let hlog = match create(&hlog_path) {
            Ok(f) => f,
            Err(e) => {
                // Ours, empty, a moment old: do not leave half a result set behind.
                let _ = fs::remove_file(&jsonl_path);
                return Err(e);
            }
        };
        Ok(ResultFiles {
            jsonl_path,
            hlog_path,
            jsonl: BufWriter::new(jsonl),
            hlog: HlogWriter::new(hlog),
        })
    }

    /// Appends one JSON line and flushes it to the OS.
    pub fn write_record(&mut self, record: Record<'_>) -> io::Result<()> {
        serde_json::to_writer(&mut self.jsonl, &record)?;
        self.jsonl.write_all(b"\n")?;
        self.jsonl.flush()
    }
}

/// The process at one instant.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ProcSample {
    pub rss: Option<u64>,
    pub alloc: AllocSnapshot,
    pub steal: Option<u64>,
}

impl ProcSample {
    pub(crate) fn now() -> ProcSample {
        ProcSample {
            rss: sys::rss_bytes(),
            alloc: alloc::snapshot(),
            steal: sys::steal_ticks(),
        }
    }
}

/// A finished worker's progress.
const DONE: u64 = u64::MAX;

/// Spare histograms each worker starts with, so that handing one over never allocates
/// (the collector resets and returns every histogram it is given).
pub(crate) const SPARE_HISTOGRAMS: usize = 2;

/// One interval's merged contributions.
#[derive(Default)]
struct Slot {
    tally: Tally,
    hist: Option<Histogram<u64>>,
}

/// What the measured phase produced.
pub(crate) struct Collected {
    pub tally: Tally,
    pub hist: Option<Histogram<u64>>,
    pub ends: Vec<WorkerEnd>,
    pub elapsed: Duration,
    pub intervals: u64,
    /// Allocation counters when the last worker finished (`None` if it never did).
    pub end_alloc: Option<AllocSnapshot>,
    /// A results file could not be written.
    pub io_error: Option<String>,
}

pub(crate) struct Collector<'f> {
    files: &'f mut ResultFiles,
    t0: Instant,
    interval: Duration,
    sampling: bool,
    recycle: Vec<Sender<Histogram<u64>>>,
    progress: Vec<u64>,
    ends: Vec<Option<WorkerEnd>>,
    /// Slots for intervals `next_write ..`.
    pending: VecDeque<Slot>,
    next_write: u64,
    /// Samples for boundaries `next_write .. sampled_upto` (boundary `k` = end of interval `k`).
    samples: VecDeque<ProcSample>,
    sampled_upto: u64,
    prev_sample: ProcSample,
    max_final: Option<u64>,
    end_alloc: Option<AllocSnapshot>,
    total: Tally,
    total_hist: Option<Histogram<u64>>,
    pool: Vec<Histogram<u64>>,
    empty: Option<Histogram<u64>>,
    io_error: Option<String>,
    written: u64,
    reclaim: Option<ReclaimTracker>,
}

impl<'f> Collector<'f> {
    /// Starts collecting at `t0`; writes the `.hlog` header.
    pub(crate) fn new(
        files: &'f mut ResultFiles,
        t0: Instant,
        t0_wall: SystemTime,
        interval: Duration,
        sampling: bool,
        recycle: Vec<Sender<Histogram<u64>>>,
    ) -> Collector<'f> {
        let workers = recycle.len();
        let io_error = files
            .hlog
            .write_header(t0_wall)
            .err()
            .map(|e| format!("{}: {e}", files.hlog_path.display()));
        Collector {
            files,
            t0,
            interval,
            sampling,
            recycle,
            progress: vec![0; workers],
            ends: (0..workers).map(|_| None).collect(),
            pending: VecDeque::new(),
            next_write: 0,
            samples: VecDeque::new(),
            sampled_upto: 0,
            prev_sample: ProcSample::now(),
            max_final: None,
            end_alloc: None,
            total: Tally::default(),
            total_hist: sampling.then(new_latency_histogram),
            // Two merged intervals in flight cover the usual case (one being written, one
            // filling) without allocating during the measured phase.
            pool: if sampling {
                vec![new_latency_histogram(), new_latency_histogram()]
            } else {
                Vec::new()
            },
            empty: sampling.then(new_latency_histogram),
            io_error,
            written: 0,
            reclaim: None,
        }
    }

    /// The process at t0 (what the first interval's deltas are taken from).
    pub(crate) fn set_baseline(&mut self, baseline: ProcSample) {
        self.prev_sample = baseline;
    }

    /// Per-interval reclamation records (maps that count their values).
    pub(crate) fn set_reclaim(&mut self, tracker: Option<ReclaimTracker>) {
        self.reclaim = tracker;
    }

    fn all_done(&self) -> bool {
        self.progress.iter().all(|&p| p == DONE)
    }

    fn boundary(&self, k: u64) -> Instant {
        self.t0 + Duration::from_nanos((self.interval.as_nanos() as u64).saturating_mul(k + 1))
    }

    /// Runs until every worker has sent its last contribution.
    pub(crate) fn collect(mut self, rx: Receiver<Contribution>, stop: &AtomicBool) -> Collected {
        while !self.all_done() {
            let wait = self
                .boundary(self.sampled_upto)
                .saturating_duration_since(Instant::now());
            match rx.recv_timeout(wait) {
                Ok(c) => {
                    self.accept(c);
                    // Take whatever else has arrived before writing.
                    while let Ok(c) = rx.try_recv() {
                        self.accept(c);
                    }
                }
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => break,
            }
            self.sample_due(Instant::now());
            self.write_complete();
            if self.io_error.is_some() {
                stop.store(true, Relaxed);
            }
        }
        self.write_complete();
        let elapsed = self.elapsed();
        Collected {
            tally: self.total,
            hist: self.total_hist,
            ends: self.ends.into_iter().flatten().collect(),
            elapsed,
            intervals: self.written,
            end_alloc: self.end_alloc,
            io_error: self.io_error,
        }
    }

    fn elapsed(&self) -> Duration {
        self.ends
            .iter()
            .flatten()
            .filter_map(|e| e.at)
            .max()
            .map_or(Duration::ZERO, |at| at.saturating_duration_since(self.t0))
    }

    fn accept(&mut self, c: Contribution) {
        let w = c.worker;
        if self.progress[w] == DONE {
            // Only a panic after the worker's last contribution gets here.
            if let Some(error) = c.end.and_then(|e| e.error) {
                let slot = self.ends[w].get_or_insert_with(|| WorkerEnd {
                    at: None,
                    checksum: cmap_formats::trace::CHECKSUM_INIT,
                    warmup: Tally::default(),
                    error: None,
                });
                slot.error.get_or_insert(error);
            }
            return;
        }
        debug_assert!(
            c.index >= self.next_write,
            "a contribution for an interval already written"
        );
        let at = (c.index.saturating_sub(self.next_write)) as usize;
        while self.pending.len() <= at {
            self.pending.push_back(Slot::default());
        }
        let slot = &mut self.pending[at];
        slot.tally.add(&c.tally);
        if let Some(mut h) = c.hist {
            let merged = slot
                .hist
                .get_or_insert_with(|| self.pool.pop().unwrap_or_else(new_latency_histogram));
            merged.add(&h).expect("histograms share one configuration");
            h.reset();
            let _ = self.recycle[w].send(h);
        }
        match c.end {
            Some(end) => {
                self.progress[w] = DONE;
                self.max_final = Some(self.max_final.map_or(c.index, |m| m.max(c.index)));
                self.ends[w] = Some(end);
                if self.all_done() {
                    self.end_alloc = Some(alloc::snapshot());
                }
            }
            None => self.progress[w] = c.index + 1,
        }
    }

    /// Takes one sample for every boundary the clock has passed.
    fn sample_due(&mut self, now: Instant) {
        if now < self.boundary(self.sampled_upto) {
            return;
        }
        let sample = ProcSample::now();
        while now >= self.boundary(self.sampled_upto) {
            self.samples.push_back(sample);
            self.sampled_upto += 1;
        }
    }

    /// The sample for the end of interval `k` (the next to write): the one taken at its
    /// boundary, or one taken now if the interval ended early (the run's last).
    fn sample_for(&mut self, k: u64) -> ProcSample {
        if self.sampled_upto > k {
            self.samples
                .pop_front()
                .expect("one sample per boundary passed")
        } else {
            self.sampled_upto = k + 1;
            ProcSample::now()
        }
    }

    fn write_complete(&mut self) {
        let min_progress = self.progress.iter().copied().min().unwrap_or(DONE);
        loop {
            let k = self.next_write;
            let complete = if min_progress == DONE {
                self.max_final.is_some_and(|m| k <= m)
            } else {
                k < min_progress
            };
            if !complete {
                break;
            }
            self.write_interval(k);
        }
    }

    fn write_interval(&mut self, k: u64) {
        let slot = self.pending.pop_front().unwrap_or_default();
        let interval_ns = self.interval.as_nanos() as u64;
        let t_start_ns = interval_ns.saturating_mul(k);
        let t_end_ns = if self.all_done() && self.max_final == Some(k) {
            (self.elapsed().as_nanos() as u64).max(t_start_ns)
        } else {
            interval_ns.saturating_mul(k + 1)
        };
        let sample = self.sample_for(k);
        let counting = alloc::is_counting();
        let prev = self.prev_sample;
        let record = Interval {
            index: k,
            t_start_ns,
            t_end_ns,
            ops: ops_of(&slot.tally),
            hits: Some(hits_of(&slot.tally)),
            lat_ns: Some(LatNs::of_histogram(slot.hist.as_ref())),
            rss_bytes: sample.rss,
            heap_live_bytes: counting.then_some(sample.alloc.live_bytes),
            alloc_bytes: counting.then(|| sample.alloc.alloc_bytes - prev.alloc.alloc_bytes),
            alloc_objects: counting.then(|| sample.alloc.alloc_objects - prev.alloc.alloc_objects),
            gc: None,
            steal_ticks: sample
                .steal
                .zip(prev.steal)
                .map(|(now, before)| now.saturating_sub(before)),
            reclaim: self
                .reclaim
                .as_mut()
                .map(|r| r.interval(Duration::from_nanos(t_end_ns), slot.tally.stall_ops)),
            extra: Default::default(),
        };
        if self.io_error.is_none()
            && let Err(e) = self.files.write_record(Record::Interval(&record))
        {
            self.io_error = Some(format!("{}: {e}", self.files.jsonl_path.display()));
        }
        if self.sampling && self.io_error.is_none() {
            let hist = slot
                .hist
                .as_ref()
                .or(self.empty.as_ref())
                .expect("sampling");
            let start = Duration::from_nanos(t_start_ns);
            let length = Duration::from_nanos(t_end_ns - t_start_ns);
            if let Err(e) = self.files.hlog.write_interval(hist, start, length) {
                self.io_error = Some(format!("{}: {e}", self.files.hlog_path.display()));
            }
        }
        self.total.add(&slot.tally);
        if let (Some(total), Some(mut h)) = (self.total_hist.as_mut(), slot.hist) {
            total.add(&h).expect("histograms share one configuration");
            h.reset();
            self.pool.push(h);
        }
        self.prev_sample = sample;
        self.next_write = k + 1;
        self.written += 1;
    }
}
