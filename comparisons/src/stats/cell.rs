//! What every report makes of one cell's `ok` runs (`mapbench report`'s workload ×
//! threads × map cells and `matrix-report`'s map × cell): the allocations per op and the
//! relative min–max range of the throughputs, computed once here.

use crate::results::{Interval, RunFile};
use crate::stats::median;

/// A run's interval sums of `field` divided by its ops (None when an interval lacks it).
pub fn per_op(run: &RunFile, field: impl Fn(&Interval) -> Option<u64>) -> Option<f64> {
    let ops = run.total_ops();
    let mut sum = 0u64;
    for i in &run.intervals {
        sum += field(i)?;
    }
    (ops > 0).then(|| sum as f64 / ops as f64)
}

/// A cell's allocations per op, gathered run by run: each the median over the `ok` runs
/// that recorded it (the interval sums ÷ ops of [`per_op`]).
#[derive(Debug, Clone, Default)]
pub struct AllocsPerOp {
    bytes: Vec<f64>,
    objects: Vec<f64>,
}

impl AllocsPerOp {
    /// Adds one `ok` run.
    pub fn add(&mut self, run: &RunFile) {
        if let Some(b) = per_op(run, |i| i.alloc_bytes) {
            self.bytes.push(b);
        }
        if let Some(a) = per_op(run, |i| i.alloc_objects) {
            self.objects.push(a);
        }
    }

    /// Median allocated bytes per op.
    pub fn bytes(&self) -> Option<f64> {
        median(&self.bytes)
    }

    /// Median allocated objects per op.
    pub fn objects(&self) -> Option<f64> {
        median(&self.objects)
    }
}

/// The min–max range of a cell's throughputs (sorted ascending) over their median, the
/// noise both reports judge a cell by; `None` without samples or with a median of 0.
pub fn relative_range(sorted: &[f64]) -> Option<f64> {
    let (m, lo, hi) = (median(sorted)?, sorted.first()?, sorted.last()?);
    (m > 0.0).then(|| (hi - lo) / m)
}
