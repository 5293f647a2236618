//! The statistics behind `mapbench compare`: medians, a distribution-free confidence
//! interval for the median, and the Mann-Whitney U test, the same choices benchstat
//! (golang.org/x/perf) makes.
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

/// Above this many samples in all the exact null distribution is not counted: the
/// counts stop fitting an f64 exactly (C(60, 30) ≈ 1.2e17 > 2^53), and the normal
/// approximation is good to three digits long before.
pub const EXACT_MAX_N: usize = 50;

/// The median of unsorted values (mean of the middle two for an even count).
pub fn median(values: &[f64]) -> Option<f64> {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    crate::check::median(&v)
}

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
    pooled.sort_by(|a, b| a.0.total_cmp(&b.0));
    let n = pooled.len();
    let mut rank_sum_x = 0.0;
    let mut tie_term = 0.0; // Σ (t³ - t) over tie groups
    let mut i = 0;
    while i < n {
        let mut j = i;
        while j + 1 < n && pooled[j + 1].0 == pooled[i].0 {
            j += 1;
        }
        let t = (j - i + 1) as f64;
        let midrank = (i + j) as f64 / 2.0 + 1.0;
        rank_sum_x += pooled[i..=j].iter().filter(|p| p.1).count() as f64 * midrank;
        tie_term += t * t * t - t;
        i = j + 1;
    }
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
}
