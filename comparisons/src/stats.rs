//! The statistics of the analysis. For `mapbench compare`: medians, a distribution-free
//! confidence interval for the median, and the Mann-Whitney U test, the same choices
//! benchstat (golang.org/x/perf) makes.
//!
//! * Median CI: the order-statistic interval `[x(k), x(n+1-k)]` with the largest `k`
//!   whose coverage `P(k <= B <= n-k)`, `B ~ Binomial(n, 1/2)`, is at least the asked
//!   confidence. It assumes only independent samples from one continuous distribution.
//!   With too few samples to reach the confidence (n <= 5 at 95 %) it is `[min, max]`
//!   with its actual, lower, coverage, and the caller must say so.
//! * Mann-Whitney U, two-sided: exact (the null distribution of U counted by recursion)
//!   when there are no ties and `n1 + n2 <= EXACT_MAX_N`; otherwise the normal
//!   approximation with the tie correction of the variance and a continuity correction
//!   of 1/2 (as R's `wilcox.test(exact = FALSE, correct = TRUE)`).
//!
//! [`cell`]: what the reports make of one cell's runs (allocations per op, noise).
//! [`fit`]: the least-squares models of memory over a long run and the choice among them
//! (what `mapbench report` draws and tabulates).

/// Above this many samples in all the exact null distribution is not counted: the
/// counts stop fitting an f64 exactly (C(60, 30) ≈ 1.2e17 > 2^53), and the normal
/// approximation is good to three digits long before.
pub const EXACT_MAX_N: usize = 50;

pub mod cell;
pub mod fit;

/// The median of unsorted values (mean of the middle two for an even count), from the
/// formats crate so the runners' tools and the chapter programs share it.
pub use cmap_formats::stats::median;

/// A confidence interval for the median.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MedianCi {
    pub lo: f64,
    pub hi: f64,
    /// The interval's actual coverage; below the asked confidence when there were too
    /// few samples to reach it.
    pub coverage: f64,
}

impl MedianCi {
    /// Whether the interval reaches `confidence`.
    pub fn reaches(&self, confidence: f64) -> bool {
        self.coverage >= confidence
    }
}

/// `P(B <= k)` for `B ~ Binomial(n, 1/2)`.
fn binomial_half_cdf(n: usize, k: usize) -> f64 {
    let mut c = 1.0_f64; // C(n, 0)
    let mut sum = 0.0;
    for i in 0..=k.min(n) {
        if i > 0 {
            c = c * (n + 1 - i) as f64 / i as f64;
        }
        sum += c;
    }
    sum / 2f64.powi(n as i32)
}

/// The distribution-free order-statistic interval for the median (see the module doc).
/// `None` for fewer than two values.
pub fn median_ci(values: &[f64], confidence: f64) -> Option<MedianCi> {
    let n = values.len();
    if n < 2 {
        return None;
    }
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    let coverage = |k: usize| 1.0 - 2.0 * binomial_half_cdf(n, k - 1);
    // k is 1-based; the interval [x(k), x(n+1-k)] needs k <= n+1-k.
    let mut best = 1;
    for k in 2..=n.div_ceil(2) {
        if coverage(k) >= confidence {
            best = k;
        } else {
            break;
        }
    }
    Some(MedianCi {
        lo: v[best - 1],
        hi: v[n - best],
        coverage: coverage(best),
    })
}

/// The result of a two-sided Mann-Whitney U test of `x` against `y`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MannWhitney {
    /// U for `x`: the number of pairs (xi, yj) with xi > yj, ties counting 1/2.
    pub u: f64,
    pub p: f64,
    /// Whether `p` came from the exact null distribution.
    pub exact: bool,
}

/// Ranks `values` (sorted here, ascending) with midranks for ties and returns the sum of
/// the ranks of the marked values (`.1 == true`) and Σ (t³ − t) over the tie groups (t the
/// group's size; 0 when no two values tie), the two sums both rank tests need.
fn marked_rank_sum(values: &mut [(f64, bool)]) -> (f64, f64) {
    values.sort_by(|a, b| a.0.total_cmp(&b.0));
    let n = values.len();
    let mut rank_sum = 0.0;
    let mut tie_term = 0.0;
    let mut i = 0;
    while i < n {
        let mut j = i;
        while j + 1 < n && values[j + 1].0 == values[i].0 {
            j += 1;
        }
        let t = (j - i + 1) as f64;
        let midrank = (i + j) as f64 / 2.0 + 1.0;
        rank_sum += values[i..=j].iter().filter(|v| v.1).count() as f64 * midrank;
        tie_term += t * t * t - t;
        i = j + 1;
    }
    (rank_sum, tie_term)
}

/// Two-sided Mann-Whitney U test. `None` if either sample is empty.
pub fn mann_whitney(x: &[f64], y: &[f64]) -> Option<MannWhitney> {
    let (n1, n2) = (x.len(), y.len());
    if n1 == 0 || n2 == 0 {
        return None;
    }
    // Midranks of the pooled sample, and the tie groups' sizes.
    let mut pooled: Vec<(f64, bool)> = x
        .iter()
        .map(|&v| (v, true))
        .chain(y.iter().map(|&v| (v, false)))
        .collect();
    let n = pooled.len();
    let (rank_sum_x, tie_term) = marked_rank_sum(&mut pooled);
    let u = rank_sum_x - (n1 * (n1 + 1)) as f64 / 2.0;
    let ties = tie_term > 0.0;
    if !ties && n <= EXACT_MAX_N {
        return Some(MannWhitney {
            u,
            p: exact_p(n1, n2, u as usize),
            exact: true,
        });
    }
    let (n1f, n2f, nf) = (n1 as f64, n2 as f64, n as f64);
    let mean = n1f * n2f / 2.0;
    let var = n1f * n2f / 12.0 * ((nf + 1.0) - tie_term / (nf * (nf - 1.0)));
    let p = if var <= 0.0 {
        1.0 // every value equal: no evidence either way
    } else {
        let d = (u - mean).abs();
        let z = (d - 0.5).max(0.0) / var.sqrt();
        (2.0 * normal_sf(z)).min(1.0)
    };
    Some(MannWhitney { u, p, exact: false })
}

/// The number of arrangements of n1 x's and n2 y's with each U value, `counts[u]`,
/// by the recursion f(n1, n2, u) = f(n1-1, n2, u-n2) + f(n1, n2-1, u) (Mann and Whitney
/// 1947): the largest value is an x (beating all n2 y's) or a y.
fn u_counts(n1: usize, n2: usize) -> Vec<f64> {
    // table[a][b] = counts for sizes (a, b); built up over b for each a.
    let mut prev: Vec<Vec<f64>> = (0..=n2).map(|_| vec![1.0]).collect(); // a = 0
    for a in 1..=n1 {
        let mut cur: Vec<Vec<f64>> = Vec::with_capacity(n2 + 1);
        cur.push(vec![1.0]); // b = 0: only U = 0
        for b in 1..=n2 {
            let mut c = vec![0.0; a * b + 1];
            for (u, &k) in prev[b].iter().enumerate() {
                c[u + b] += k; // the largest is an x: it beats all b y's
            }
            for (u, &k) in cur[b - 1].iter().enumerate() {
                c[u] += k; // the largest is a y
            }
            cur.push(c);
        }
        prev = cur;
    }
    prev.swap_remove(n2)
}

/// The exact two-sided p-value of U = `u` for sizes n1, n2 (no ties):
/// `min(1, 2 · min(P(U <= u), P(U >= u)))`.
pub fn exact_p(n1: usize, n2: usize, u: usize) -> f64 {
    let counts = u_counts(n1, n2);
    let total: f64 = counts.iter().sum();
    let lower: f64 = counts[..=u.min(counts.len() - 1)].iter().sum();
    let upper: f64 = counts[u.min(counts.len() - 1)..].iter().sum();
    (2.0 * lower.min(upper) / total).min(1.0)
}

/// The smallest two-sided p-value samples of these sizes can give (complete
/// separation): if it is not below alpha, no difference can be detected.
pub fn min_p(n1: usize, n2: usize) -> f64 {
    if n1 == 0 || n2 == 0 {
        return 1.0;
    }
    if n1 + n2 <= EXACT_MAX_N {
        exact_p(n1, n2, 0)
    } else {
        0.0
    }
}

/// The standard normal upper tail `P(Z > z)`.
pub fn normal_sf(z: f64) -> f64 {
    0.5 * libm::erfc(z / std::f64::consts::SQRT_2)
}

/// The result of a two-sided Wilcoxon signed-rank test of paired differences.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SignedRank {
    /// W+: the sum of the ranks of |d| over the positive differences (midranks for ties).
    pub w_plus: f64,
    /// Pairs used (non-zero differences; zeros are dropped, Wilcoxon's convention).
    pub n: usize,
    pub p: f64,
    /// Whether `p` came from the exact null distribution.
    pub exact: bool,
}

/// Two-sided Wilcoxon signed-rank test of paired differences `d` (for compare: the log
/// of new ÷ base per pair of runs). Exact (the 2^n sign assignments counted) when no
/// two |d| tie and n <= [`EXACT_MAX_N`]; otherwise the normal approximation with the
/// tie correction of the variance and a continuity correction of 1/2 (R's
/// `wilcox.test(paired = TRUE, exact = FALSE, correct = TRUE)`). `None` when every
/// difference is zero or there are none.
pub fn signed_rank(d: &[f64]) -> Option<SignedRank> {
    let mut abs: Vec<(f64, bool)> = d
        .iter()
        .filter(|v| **v != 0.0)
        .map(|&v| (v.abs(), v > 0.0))
        .collect();
    let n = abs.len();
    if n == 0 {
        return None;
    }
    let (w_plus, tie_term) = marked_rank_sum(&mut abs);
    if tie_term == 0.0 && n <= EXACT_MAX_N {
        return Some(SignedRank {
            w_plus,
            n,
            p: signed_rank_exact_p(n, w_plus as usize),
            exact: true,
        });
    }
    let nf = n as f64;
    let mean = nf * (nf + 1.0) / 4.0;
    let var = nf * (nf + 1.0) * (2.0 * nf + 1.0) / 24.0 - tie_term / 48.0;
    let p = if var <= 0.0 {
        1.0
    } else {
        let z = ((w_plus - mean).abs() - 0.5).max(0.0) / var.sqrt();
        (2.0 * normal_sf(z)).min(1.0)
    };
    Some(SignedRank {
        w_plus,
        n,
        p,
        exact: false,
    })
}

/// The exact two-sided p-value of W+ = `w` with `n` pairs (no ties):
/// `min(1, 2 · min(P(W <= w), P(W >= w)))`, the null distribution being the subset sums
/// of {1, …, n}, each subset with probability 2^-n.
pub fn signed_rank_exact_p(n: usize, w: usize) -> f64 {
    let max = n * (n + 1) / 2;
    let mut counts = vec![0.0_f64; max + 1];
    counts[0] = 1.0;
    for r in 1..=n {
        for s in (r..=max).rev() {
            counts[s] += counts[s - r];
        }
    }
    let total = 2f64.powi(n as i32);
    let w = w.min(max);
    let lower: f64 = counts[..=w].iter().sum();
    let upper: f64 = counts[w..].iter().sum();
    (2.0 * lower.min(upper) / total).min(1.0)
}

/// The smallest two-sided p-value the signed-rank test can give with `n` pairs (every
/// pair the same way): 2^(1-n), capped at 1.
pub fn signed_rank_min_p(n: usize) -> f64 {
    if n == 0 {
        1.0
    } else {
        (2.0 / 2f64.powi(n as i32)).min(1.0)
    }
}

/// The `q` quantile of sorted values, linearly interpolated between order statistics
/// (R's type 7, numpy's default): `q = 0.5` is the median.
pub fn quantile(values: &[f64], q: f64) -> Option<f64> {
    if values.is_empty() || !(0.0..=1.0).contains(&q) {
        return None;
    }
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    let h = (v.len() - 1) as f64 * q;
    let (lo, hi) = (h.floor() as usize, h.ceil() as usize);
    Some(v[lo] + (h - lo as f64) * (v[hi] - v[lo]))
}

/// The quantile of a run's per-interval rates at which compare reads it.
pub const RATE_QUANTILE: f64 = 0.75;

/// A run's robust rate: the upper quartile ([`RATE_QUANTILE`]) of its per-interval
/// rates (ops ÷ seconds), over the intervals at least half as long as `nominal_ns` (a
/// last, cut-short interval is left out). Preemption, steal and other jobs only ever
/// take time away from an interval, so they lower some intervals' rates; as long as
/// a quarter of the intervals ran undisturbed, the upper quartile does not move.
/// `None` with fewer than `min_intervals` such intervals (the caller then falls back to
/// the whole-run rate).
pub fn interval_rate(
    intervals: &[(u64, u64)],
    nominal_ns: u64,
    min_intervals: usize,
) -> Option<f64> {
    let rates: Vec<f64> = intervals
        .iter()
        .filter(|(_, ns)| *ns > 0 && 2 * *ns >= nominal_ns)
        .map(|&(ops, ns)| ops as f64 * 1e9 / ns as f64)
        .collect();
    if rates.len() < min_intervals.max(1) {
        return None;
    }
    quantile(&rates, RATE_QUANTILE)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol
    }

    #[test]
    fn exact_p_values_match_r_and_the_tables() {
        // R: wilcox.test(1:3, 4:6)$p.value = 0.1; 1:4 vs 5:8: 0.02857143;
        // 1:5 vs 6:10: 0.007936508.
        assert!(close(exact_p(3, 3, 0), 0.1, 1e-12));
        assert!(close(exact_p(4, 4, 0), 2.0 / 70.0, 1e-12));
        assert!(close(exact_p(5, 5, 0), 2.0 / 252.0, 1e-12));
        // Two-tailed alpha = 0.05 critical values of U for n1 = n2 = n (the standard
        // Mann-Whitney table): significant at U = crit, not at crit + 1.
        for (n, crit) in [
            (5, 2),
            (6, 5),
            (7, 8),
            (8, 13),
            (9, 17),
            (10, 23),
            (20, 127),
        ] {
            assert!(exact_p(n, n, crit) <= 0.05, "n={n} U={crit}");
            assert!(exact_p(n, n, crit + 1) > 0.05, "n={n} U={}", crit + 1);
        }
        // Unequal sizes from the same table: n1 = 4, n2 = 7 → 3; n1 = 6, n2 = 9 → 10.
        for (n1, n2, crit) in [(4, 7, 3), (6, 9, 10)] {
            assert!(exact_p(n1, n2, crit) <= 0.05);
            assert!(exact_p(n1, n2, crit + 1) > 0.05);
        }
        // The distribution is symmetric, and the middle has p = 1.
        assert!(close(exact_p(5, 5, 3), exact_p(5, 5, 22), 1e-15));
        assert_eq!(exact_p(4, 4, 8), 1.0);
    }

    #[test]
    fn the_test_uses_u_of_x_and_is_exact_without_ties() {
        let r = mann_whitney(&[1.0, 2.0, 3.0, 4.0, 5.0], &[6.0, 7.0, 8.0, 9.0, 10.0]).unwrap();
        assert_eq!(r.u, 0.0);
        assert!(r.exact);
        assert!(close(r.p, 2.0 / 252.0, 1e-12));
        // R: wilcox.test(c(1.1, 2.2, 3.3, 4.4), c(0.5, 2.5, 3.8))  W = 7, p = 0.8571
        let r = mann_whitney(&[1.1, 2.2, 3.3, 4.4], &[0.5, 2.5, 3.8]).unwrap();
        assert_eq!(r.u, 7.0);
        assert!(close(r.p, 30.0 / 35.0, 1e-12), "{}", r.p);
    }

    #[test]
    fn ties_use_the_tie_corrected_normal_approximation() {
        // x = 1 2 2 3 4, y = 3 4 4 5 6. Pooled midranks: 1→1, 2→2.5, 3→4.5, 4→7, 5→9,
        // 6→10; R_x = 1 + 2.5 + 2.5 + 4.5 + 7 = 17.5, U = 17.5 - 15 = 2.5.
        // Ties: {2,2}, {3,3}, {4,4,4}: Σ(t³-t) = 6 + 6 + 24 = 36.
        // var = 25/12 · (11 - 36/90) = 22.083…; z = (12.5 - 2.5 - 0.5)/√var = 2.02158…
        // p = 2·(1 - Φ(z)) = 0.043219… (R: wilcox.test(x, y, exact = FALSE)$p.value
        // = 0.04322).
        let r = mann_whitney(&[1.0, 2.0, 2.0, 3.0, 4.0], &[3.0, 4.0, 4.0, 5.0, 6.0]).unwrap();
        assert!(!r.exact);
        assert_eq!(r.u, 2.5);
        let z = 9.5 / (25.0 / 12.0 * (11.0 - 36.0 / 90.0_f64)).sqrt();
        assert!(close(z, 2.021_58, 1e-5));
        assert!(close(r.p, 0.043_22, 5e-5), "{}", r.p);
        // Every value equal: p = 1.
        let r = mann_whitney(&[5.0; 4], &[5.0; 4]).unwrap();
        assert_eq!(r.p, 1.0);
        // Two separated groups of ties (what a deterministic fake runner gives):
        // significant at n = 5 each.
        let r = mann_whitney(&[10.0; 5], &[20.0; 5]).unwrap();
        assert!(r.p < 0.01, "{}", r.p);
    }

    #[test]
    fn min_p_says_when_too_few_samples() {
        assert_eq!(min_p(1, 1), 1.0);
        assert!(min_p(3, 3) > 0.05); // 0.1: three runs a side can never be significant
        assert!(min_p(4, 4) < 0.05);
        assert!(mann_whitney(&[], &[1.0]).is_none());
    }

    #[test]
    fn median_ci_is_the_order_statistic_interval() {
        // n = 6: [x(1), x(6)] covers 1 - 2/64 = 0.96875 ≥ 0.95; [x(2), x(5)] 0.78125.
        let v = [6.0, 1.0, 5.0, 2.0, 4.0, 3.0];
        let ci = median_ci(&v, 0.95).unwrap();
        assert_eq!((ci.lo, ci.hi), (1.0, 6.0));
        assert!(close(ci.coverage, 0.968_75, 1e-12));
        // n = 10: k = 2 covers 1 - 2·11/1024 = 0.978515625; k = 3 covers 0.890625.
        let v: Vec<f64> = (1..=10).map(f64::from).collect();
        let ci = median_ci(&v, 0.95).unwrap();
        assert_eq!((ci.lo, ci.hi), (2.0, 9.0));
        assert!(close(ci.coverage, 0.978_515_625, 1e-12));
        // n = 5 cannot reach 95 %: [min, max] at 1 - 2/32 = 0.9375.
        let ci = median_ci(&[3.0, 1.0, 2.0, 5.0, 4.0], 0.95).unwrap();
        assert_eq!((ci.lo, ci.hi), (1.0, 5.0));
        assert!(!ci.reaches(0.95));
        assert!(median_ci(&[1.0], 0.95).is_none());
        assert_eq!(median(&[3.0, 1.0, 2.0, 10.0]), Some(2.5));
    }

    #[test]
    #[allow(clippy::approx_constant)] // 3.14 is a measurement in R's example data, not π
    fn signed_rank_exact_matches_r_and_the_tables() {
        // Every pair the same way: W+ = n(n+1)/2, p = 2 / 2^n.
        let r = signed_rank(&[0.1, 0.2, 0.3, 0.4, 0.5, 0.6]).unwrap();
        assert!(r.exact);
        assert_eq!((r.w_plus, r.n), (21.0, 6));
        assert!(close(r.p, 2.0 / 64.0, 1e-15));
        assert!(close(signed_rank_min_p(6), 2.0 / 64.0, 1e-15));
        assert!(signed_rank_min_p(5) > 0.05 && signed_rank_min_p(6) < 0.05);
        // R: wilcox.test(c(1.83, 0.50, 1.62, 2.48, 1.68, 1.88, 1.55, 3.06, 1.30),
        //   c(0.878, 0.647, 0.598, 2.05, 1.06, 1.29, 1.06, 3.14, 1.29), paired = TRUE)
        // V = 40, p-value = 0.03906.
        let x = [1.83, 0.50, 1.62, 2.48, 1.68, 1.88, 1.55, 3.06, 1.30];
        let y = [0.878, 0.647, 0.598, 2.05, 1.06, 1.29, 1.06, 3.14, 1.29];
        let d: Vec<f64> = x.iter().zip(&y).map(|(a, b)| a - b).collect();
        let r = signed_rank(&d).unwrap();
        assert_eq!(r.w_plus, 40.0);
        assert!(close(r.p, 20.0 / 512.0, 1e-12), "{}", r.p);
        // Two-tailed alpha = 0.05 critical values of the smaller rank sum (standard
        // table): n = 8 → 3, n = 10 → 8, n = 12 → 13.
        for (n, crit) in [(8, 3), (10, 8), (12, 13)] {
            assert!(signed_rank_exact_p(n, crit) <= 0.05, "n={n}");
            assert!(signed_rank_exact_p(n, crit + 1) > 0.05, "n={n}");
        }
        // Symmetric; the middle has p = 1; zeros are dropped; nothing left is None.
        assert!(close(
            signed_rank_exact_p(9, 5),
            signed_rank_exact_p(9, 40),
            1e-15
        ));
        assert_eq!(signed_rank_exact_p(4, 5), 1.0);
        assert_eq!(signed_rank(&[0.0, 0.5, 0.0]).unwrap().n, 1);
        assert!(signed_rank(&[0.0, 0.0]).is_none());
    }

    #[test]
    fn signed_rank_ties_use_the_normal_approximation() {
        // d = 1 1 2 -2 3 3 3 4: |d| ranks 1.5 1.5 3.5 3.5 6 6 6 8; W+ = 32.5 (all but
        // the -2). Ties {1,1}, {2,2}, {3,3,3}: Σ(t³-t) = 6 + 6 + 24 = 36.
        // var = 8·9·17/24 - 36/48 = 50.25; z = (|32.5 - 18| - 0.5)/√50.25 = 1.97497…
        // p = 0.04828 (R: wilcox.test(d, exact = FALSE)$p.value = 0.04828).
        let r = signed_rank(&[1.0, 1.0, 2.0, -2.0, 3.0, 3.0, 3.0, 4.0]).unwrap();
        assert!(!r.exact);
        assert_eq!(r.w_plus, 32.5);
        assert!(close(r.p, 2.0 * normal_sf(14.0 / 50.25_f64.sqrt()), 1e-12));
        assert!(close(r.p, 0.048_28, 5e-5), "{}", r.p);
    }

    #[test]
    fn paired_ratios_see_a_shift_that_unpaired_runs_hide() {
        // Runs whose speed drifts a lot from pair to pair (a shared machine), with new
        // 5 % slower than base in every pair: the rank-sum test on the two sets cannot
        // see it, the signed-rank test on the per-pair log ratios can.
        let base: Vec<f64> = [10.0, 14.0, 8.0, 12.0, 9.0, 15.0, 11.0, 13.0]
            .iter()
            .map(|v| v * 1e6)
            .collect();
        let new: Vec<f64> = base.iter().map(|b| b * 0.95).collect();
        assert!(mann_whitney(&base, &new).unwrap().p > 0.3);
        let d: Vec<f64> = base.iter().zip(&new).map(|(b, n)| (n / b).ln()).collect();
        let r = signed_rank(&d).unwrap();
        assert_eq!(r.w_plus, 0.0);
        assert!(r.p < 0.01, "{}", r.p);
        // The same runs against themselves, reshuffled into pairs: no signal.
        let mut shuffled = base.clone();
        shuffled.rotate_left(3);
        let d: Vec<f64> = base
            .iter()
            .zip(&shuffled)
            .map(|(b, n)| (n / b).ln())
            .collect();
        assert!(signed_rank(&d).unwrap().p > 0.05);
    }

    #[test]
    fn the_interval_rate_ignores_disturbed_intervals_and_the_short_tail() {
        // 10 ms intervals of 100k ops (10 M ops/s); three of eight preempted (10k, 0 and
        // 50k ops); a last, 2 ms interval that is left out.
        let mut iv = vec![(100_000u64, 10_000_000u64); 8];
        iv[1] = (10_000, 10_000_000);
        iv[3] = (0, 10_000_000);
        iv[6] = (50_000, 10_000_000);
        iv.push((1_000, 2_000_000));
        let r = interval_rate(&iv, 10_000_000, 3).unwrap();
        assert!(close(r, 1e7, 1e-6), "{r}");
        // The whole-run mean moves by the disturbance; the upper quartile does not.
        let (ops, ns) = iv.iter().fold((0, 0), |a, b| (a.0 + b.0, a.1 + b.1));
        assert!((ops as f64 * 1e9 / ns as f64) < 0.8e7);
        // A real slowdown moves every interval, and the statistic with it.
        let slower: Vec<(u64, u64)> = iv.iter().map(|&(o, n)| (o * 9 / 10, n)).collect();
        assert!(close(
            interval_rate(&slower, 10_000_000, 3).unwrap(),
            0.9e7,
            1e-6
        ));
        // Too few full intervals: None (fall back to the whole run).
        assert!(interval_rate(&iv[..2], 10_000_000, 3).is_none());
    }

    #[test]
    fn quantiles_interpolate_like_r_type_7() {
        let v = [4.0, 1.0, 3.0, 2.0, 5.0];
        assert_eq!(quantile(&v, 0.5), Some(3.0));
        assert_eq!(quantile(&v, 0.75), Some(4.0));
        assert_eq!(quantile(&[1.0, 2.0], 0.75), Some(1.75));
        assert_eq!(quantile(&v, 1.0), Some(5.0));
        assert!(quantile(&[], 0.5).is_none() && quantile(&v, 1.5).is_none());
    }
}
