//! Which ops are timed: a jittered gap between two timed ops (RUNNER-SPEC.md,
//! "Sampling policy"; the Go runner's `sampling.go` is the same generator).
//!
//! A fixed gap of K ops (K = 1024) is a multiple of the maps' guard re-pin
//! interval (`cmap_maps::GUARD_REPIN_OPS` = 64), so a timed op would almost
//! never be the one that re-pins and runs reclamation. Instead, op 0 of the
//! measured phase is timed, and each gap to the next timed op is drawn
//! uniformly from `[K - K/2, K + K/2]` (mean K) by a per-thread xorshift64
//! seeded from the trace thread: the same ops are timed in every run of the
//! same trace and K, on both sides.

use cmap_formats::results::SamplingPolicy;

/// The seed multiplier (odd, so every thread's seed is non-zero).
const SEED_MULTIPLIER: u64 = 0x9E37_79B9_7F4A_7C15;

/// The gaps between timed ops of one thread.
#[derive(Debug, Clone)]
pub struct SampleGaps {
    state: u64,
    min: u64,
    /// Number of possible gaps (`max - min + 1`).
    span: u64,
}

impl SampleGaps {
    /// The gaps for trace thread `thread` at mean `k` (`k >= 1`).
    pub fn new(thread: u32, k: u64) -> SampleGaps {
        let (min, max) = gap_bounds(k);
        SampleGaps {
            state: (u64::from(thread) + 1).wrapping_mul(SEED_MULTIPLIER),
            min,
            span: max - min + 1,
        }
    }

    /// The next gap (ops from one timed op to the next), in `[min, max]`.
    #[inline]
    pub fn next_gap(&mut self) -> u64 {
        let mut x = self.state;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.state = x;
        self.min + x % self.span
    }
}

/// The smallest and largest gap at mean `k`: `k - k/2` and `k + k/2`
/// (`k = 0`: latency off, `(0, 0)`).
pub fn gap_bounds(k: u64) -> (u64, u64) {
    (k - k / 2, k + k / 2)
}

/// What `run_start.latency.sampling.generator` says.
pub const GENERATOR: &str = "op 0 timed, then gaps min + x % (max - min + 1), \
     x = xorshift64 (<<13, >>7, <<17) per trace thread, seeded (thread + 1) * 0x9E3779B97F4A7C15";

/// `run_start.latency.sampling`: the policy for mean gap `k`, as run.
pub fn policy(k: u64) -> SamplingPolicy {
    let (min_gap, max_gap) = gap_bounds(k);
    SamplingPolicy {
        policy: match k {
            0 => "off",
            1 => "every_op",
            _ => "jittered",
        }
        .to_owned(),
        mean_gap: k,
        min_gap,
        max_gap,
        generator: GENERATOR.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gaps_stay_in_bounds_and_average_k() {
        for k in [2u64, 3, 16, 1024] {
            let (lo, hi) = gap_bounds(k);
            let mut g = SampleGaps::new(1, k);
            let n = 20_000u64;
            let sum: u64 = (0..n)
                .map(|_| {
                    let gap = g.next_gap();
                    assert!((lo..=hi).contains(&gap), "k={k}: gap {gap}");
                    gap
                })
                .sum();
            let mean = sum as f64 / n as f64;
            // The mean of n uniform draws is within a few standard errors of k.
            let sd = ((hi - lo + 1) as f64 / 12f64.sqrt()) / (n as f64).sqrt();
            assert!((mean - k as f64).abs() < 6.0 * sd + 1e-9, "k={k}: {mean}");
        }
    }

    #[test]
    fn k_one_times_every_op() {
        let mut g = SampleGaps::new(0, 1);
        assert!((0..100).all(|_| g.next_gap() == 1));
    }

    #[test]
    fn gaps_are_not_locked_to_the_repin_interval() {
        // The point of the jitter: timed ops fall on every residue mod 64.
        let mut g = SampleGaps::new(0, 1024);
        let mut seen = [false; 64];
        let mut at = 0u64;
        for _ in 0..5000 {
            seen[(at % 64) as usize] = true;
            at += g.next_gap();
        }
        assert!(seen.iter().all(|&s| s));
    }

    #[test]
    fn the_first_gaps_match_the_go_runner() {
        // The same vector is asserted in go-reference/runner/sampling_test.go.
        let mut g = SampleGaps::new(0, 1024);
        let first: Vec<u64> = (0..4).map(|_| g.next_gap()).collect();
        assert_eq!(first, CROSS_LANGUAGE_VECTOR);
    }

    /// Thread 0, K = 1024: the first four gaps, computed from the spec's
    /// definition by an independent script (Python, RUNNER-SPEC.md's
    /// "Sampling policy"): both runners must produce them.
    const CROSS_LANGUAGE_VECTOR: [u64; 4] = [1376, 986, 1092, 1322];
}
