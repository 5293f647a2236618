//! Least-squares fits of memory curves.
//!
//! The article's model is y = a·e^(−t/τ1) + b·e^(−t/τ2) + c (5 parameters). Two simpler
//! alternatives are fitted beside it: one exponential stage, y = a·e^(−t/τ) + c
//! (3 parameters), and a line, y = m·t + c (2 parameters: steady growth or a flat level,
//! no transient). The line has a closed form. The double exponential is fitted by
//! Levenberg–Marquardt written here (about 80 lines) rather than taken from the
//! `levenberg-marquardt` crate: that crate brings nalgebra, a large build for a 5×5
//! system, and a hand-written loop keeps the result bit-identical across machines (fixed
//! starting grid, fixed iteration order, no parallelism). τ is fitted as ln τ so it stays
//! positive; t and y are scaled to unit range first; 9 starts (τ1 ∈ {0.01, 0.03, 0.1}
//! of the span, τ2/τ1 ∈ {3, 10, 30}, a, b, c solved linearly for those τ) and the best
//! is kept. The single exponential is linear in a and c for a fixed τ: a log grid over τ,
//! then golden-section refinement, again deterministic.
//!
//! A fit can be good by R² and still say nothing: on a flat, noisy curve the double
//! exponential "fits" with two huge terms of opposite sign, or with a time constant far
//! longer than the run. [`Fit::unidentifiable`] names the reason when the data cannot
//! determine the model's parameters; such a fit is reported but never preferred. Models
//! are compared by AIC = n·ln(RSS/n) + 2k (lower is better) among the identifiable ones.

use crate::results::{self, RunFile};

/// One fitted model.
#[derive(Debug, Clone)]
pub struct Fit {
    pub model: &'static str,
    /// Parameter names and values, in the model's units (t in the caller's unit).
    pub params: Vec<(&'static str, f64)>,
    pub rss: f64,
    pub r2: f64,
    pub rmse: f64,
    pub aic: f64,
    /// Why the data do not determine this model's parameters, if they do not.
    pub unidentifiable: Option<String>,
}

impl Fit {
    /// The parameter called `name` (0 if the model has none by that name).
    pub fn param(&self, name: &str) -> f64 {
        self.params
            .iter()
            .find(|(n, _)| *n == name)
            .map_or(0.0, |p| p.1)
    }

    /// The model's value at `t`.
    pub fn predict(&self, t: f64) -> f64 {
        let p = |n| self.param(n);
        match self.model {
            DOUBLE_EXP => p("a") * (-t / p("τ1")).exp() + p("b") * (-t / p("τ2")).exp() + p("c"),
            SINGLE_EXP => p("a") * (-t / p("τ")).exp() + p("c"),
            _ => p("m") * t + p("c"),
        }
    }
}

/// Every fit and which one AIC prefers.
#[derive(Debug, Clone)]
pub struct Comparison {
    pub double_exp: Option<Fit>,
    pub single_exp: Option<Fit>,
    pub linear: Fit,
    /// The model name with the lowest AIC among the identifiable fits.
    pub better: &'static str,
}

impl Comparison {
    /// The fits in the order a table lists them: the article's model first.
    pub fn all(&self) -> impl Iterator<Item = &Fit> {
        self.double_exp
            .iter()
            .chain(self.single_exp.iter())
            .chain(std::iter::once(&self.linear))
    }

    /// The preferred fit.
    pub fn best(&self) -> &Fit {
        self.all()
            .find(|f| f.model == self.better)
            .unwrap_or(&self.linear)
    }
}

pub const DOUBLE_EXP: &str = "a·e^(−t/τ1) + b·e^(−t/τ2) + c";
pub const SINGLE_EXP: &str = "a·e^(−t/τ) + c";
pub const LINEAR: &str = "m·t + c";

/// A term whose amplitude exceeds the data's whole range this many times is cancelling
/// another term, not describing the curve.
const MAX_AMPLITUDE_OVER_RANGE: f64 = 10.0;
/// Two stages closer than this ratio of time constants are one stage.
const MIN_TAU_RATIO: f64 = 1.5;

fn quality(
    model: &'static str,
    params: Vec<(&'static str, f64)>,
    y: &[f64],
    rss: f64,
    k: usize,
) -> Fit {
    let n = y.len() as f64;
    let mean = y.iter().sum::<f64>() / n;
    let tss: f64 = y.iter().map(|v| (v - mean).powi(2)).sum();
    // A perfect fit would make ln(0): floor RSS at a relative 1e-300.
    let rss_floor = rss.max(1e-300 * tss.max(1.0));
    Fit {
        model,
        params,
        rss,
        r2: if tss > 0.0 { 1.0 - rss / tss } else { 1.0 },
        rmse: (rss / n).sqrt(),
        aic: n * (rss_floor / n).ln() + 2.0 * k as f64,
        unidentifiable: None,
    }
}

/// What the samples can resolve: their time span, the shortest step between
/// samples, and the range of the values.
struct Resolution {
    span: f64,
    step: f64,
    range: f64,
}

impl Resolution {
    fn of(t: &[f64], y: &[f64]) -> Resolution {
        let (lo, hi) = t
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), &v| {
                (l.min(v), h.max(v))
            });
        let step = t
            .windows(2)
            .map(|w| (w[1] - w[0]).abs())
            .filter(|d| *d > 0.0)
            .fold(f64::INFINITY, f64::min);
        let (ylo, yhi) = y
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), &v| {
                (l.min(v), h.max(v))
            });
        Resolution {
            span: hi - lo,
            step,
            range: yhi - ylo,
        }
    }

    /// Why a decay with time constant `tau` called `name` cannot be seen in these samples.
    fn tau_problem(&self, name: &str, tau: f64) -> Option<String> {
        if tau > self.span {
            Some(format!(
                "{name} is longer than the run ({} s > {} s): a drift, not an observed decay",
                fmt_sig(tau),
                fmt_sig(self.span)
            ))
        } else if tau < self.step {
            Some(format!(
                "{name} is shorter than the sampling interval ({} s < {} s)",
                fmt_sig(tau),
                fmt_sig(self.step)
            ))
        } else {
            None
        }
    }

    fn amplitude_problem(&self, amplitudes: &[(&str, f64)], meaning: &str) -> Option<String> {
        let (name, a) = amplitudes
            .iter()
            .copied()
            .max_by(|x, y| x.1.abs().total_cmp(&y.1.abs()))?;
        (a.abs() > MAX_AMPLITUDE_OVER_RANGE * self.range).then(|| {
            format!(
                "|{name}| is over {MAX_AMPLITUDE_OVER_RANGE}× the data's range ({} vs {}): \
                 {meaning}",
                fmt_sig(a.abs()),
                fmt_sig(self.range)
            )
        })
    }
}

/// Ordinary least squares line.
pub fn linear(t: &[f64], y: &[f64]) -> Fit {
    let n = t.len() as f64;
    let tm = t.iter().sum::<f64>() / n;
    let ym = y.iter().sum::<f64>() / n;
    let sxx: f64 = t.iter().map(|v| (v - tm).powi(2)).sum();
    let sxy: f64 = t.iter().zip(y).map(|(a, b)| (a - tm) * (b - ym)).sum();
    let m = if sxx > 0.0 { sxy / sxx } else { 0.0 };
    let c = ym - m * tm;
    let rss = t
        .iter()
        .zip(y)
        .map(|(a, b)| (b - (m * a + c)).powi(2))
        .sum();
    quality(LINEAR, vec![("m", m), ("c", c)], y, rss, 2)
}

/// Solves `a x = b` (n×n, row-major) by Gaussian elimination with partial pivoting.
fn solve(mut a: Vec<Vec<f64>>, mut b: Vec<f64>) -> Option<Vec<f64>> {
    let n = b.len();
    for col in 0..n {
        let piv = (col..n).max_by(|&i, &j| a[i][col].abs().total_cmp(&a[j][col].abs()))?;
        if a[piv][col].abs() < 1e-300 {
            return None;
        }
        a.swap(col, piv);
        b.swap(col, piv);
        let pivot_row = a[col].clone();
        for row in col + 1..n {
            let f = a[row][col] / pivot_row[col];
            for (v, p) in a[row][col..].iter_mut().zip(&pivot_row[col..]) {
                *v -= f * p;
            }
            b[row] -= f * b[col];
        }
    }
    let mut x = vec![0.0; n];
    for row in (0..n).rev() {
        let s: f64 = (row + 1..n).map(|k| a[row][k] * x[k]).sum();
        x[row] = (b[row] - s) / a[row][row];
    }
    x.iter().all(|v| v.is_finite()).then_some(x)
}

/// p = [a, b, c, ln τ1, ln τ2]
fn model(p: &[f64], t: f64) -> f64 {
    p[0] * (-t / p[3].exp()).exp() + p[1] * (-t / p[4].exp()).exp() + p[2]
}

fn rss_of(p: &[f64], t: &[f64], y: &[f64]) -> f64 {
    t.iter()
        .zip(y)
        .map(|(&ti, &yi)| (yi - model(p, ti)).powi(2))
        .sum()
}

fn levenberg_marquardt(mut p: Vec<f64>, t: &[f64], y: &[f64]) -> (Vec<f64>, f64) {
    let mut rss = rss_of(&p, t, y);
    let mut lambda = 1e-3;
    for _ in 0..500 {
        let (tau1, tau2) = (p[3].exp(), p[4].exp());
        let mut jtj = vec![vec![0.0; 5]; 5];
        let mut jtr = vec![0.0; 5];
        for (&ti, &yi) in t.iter().zip(y) {
            let (e1, e2) = ((-ti / tau1).exp(), (-ti / tau2).exp());
            let j = [e1, e2, 1.0, p[0] * e1 * ti / tau1, p[1] * e2 * ti / tau2];
            let r = yi - model(&p, ti);
            for a in 0..5 {
                jtr[a] += j[a] * r;
                for b in 0..5 {
                    jtj[a][b] += j[a] * j[b];
                }
            }
        }
        let mut improved = false;
        while lambda < 1e12 {
            let mut m = jtj.clone();
            for (d, row) in m.iter_mut().enumerate() {
                row[d] += lambda * jtj[d][d].max(1e-12);
            }
            let Some(step) = solve(m, jtr.clone()) else {
                lambda *= 10.0;
                continue;
            };
            let cand: Vec<f64> = p.iter().zip(&step).map(|(a, b)| a + b).collect();
            let cand_rss = rss_of(&cand, t, y);
            if cand_rss.is_finite() && cand_rss < rss {
                let rel = (rss - cand_rss) / rss.max(1e-300);
                p = cand;
                rss = cand_rss;
                lambda = (lambda / 10.0).max(1e-12);
                improved = rel > 1e-12;
                break;
            }
            lambda *= 10.0;
        }
        if !improved {
            break;
        }
    }
    (p, rss)
}

/// For fixed τ1, τ2: a, b, c by linear least squares.
fn linear_amplitudes(tau1: f64, tau2: f64, t: &[f64], y: &[f64]) -> Option<[f64; 3]> {
    let mut a = vec![vec![0.0; 3]; 3];
    let mut b = vec![0.0; 3];
    for (&ti, &yi) in t.iter().zip(y) {
        let row = [(-ti / tau1).exp(), (-ti / tau2).exp(), 1.0];
        for i in 0..3 {
            b[i] += row[i] * yi;
            for j in 0..3 {
                a[i][j] += row[i] * row[j];
            }
        }
    }
    let x = solve(a, b)?;
    Some([x[0], x[1], x[2]])
}

/// Scaling shared by the exponential fits: t by the span, y to [−1, 1] about its mean.
struct Scaled {
    span: f64,
    ym: f64,
    ys: f64,
    t: Vec<f64>,
    y: Vec<f64>,
}

fn scaled(t: &[f64], y: &[f64]) -> Option<Scaled> {
    if t.len() < 6 || t.len() != y.len() {
        return None;
    }
    let span = t.iter().copied().fold(f64::NEG_INFINITY, f64::max)
        - t.iter().copied().fold(f64::INFINITY, f64::min);
    let ym = y.iter().sum::<f64>() / y.len() as f64;
    let ys = y.iter().map(|v| (v - ym).abs()).fold(0.0, f64::max);
    if span.partial_cmp(&0.0) != Some(std::cmp::Ordering::Greater) || ys <= 0.0 {
        return None;
    }
    // t scaled by the span (time origin kept: the model's t is time since the start).
    Some(Scaled {
        span,
        ym,
        ys,
        t: t.iter().map(|v| v / span).collect(),
        y: y.iter().map(|v| (v - ym) / ys).collect(),
    })
}

/// Fits the double exponential; `None` with fewer than 6 points or no convergence.
pub fn double_exp(t: &[f64], y: &[f64]) -> Option<Fit> {
    let s = scaled(t, y)?;
    let mut best: Option<(Vec<f64>, f64)> = None;
    for tau1 in [0.01, 0.03, 0.1] {
        for ratio in [3.0, 10.0, 30.0] {
            let tau2: f64 = tau1 * ratio;
            let Some([a, b, c]) = linear_amplitudes(tau1, tau2, &s.t, &s.y) else {
                continue;
            };
            let (p, rss) = levenberg_marquardt(vec![a, b, c, tau1.ln(), tau2.ln()], &s.t, &s.y);
            if rss.is_finite() && best.as_ref().is_none_or(|(_, r)| rss < *r) {
                best = Some((p, rss));
            }
        }
    }
    let (p, _) = best?;
    let (mut a, mut tau1, mut b, mut tau2) = (
        p[0] * s.ys,
        p[3].exp() * s.span,
        p[1] * s.ys,
        p[4].exp() * s.span,
    );
    if tau1 > tau2 {
        std::mem::swap(&mut a, &mut b);
        std::mem::swap(&mut tau1, &mut tau2);
    }
    let c = p[2] * s.ys + s.ym;
    let pr = [a, b, c, tau1, tau2];
    let rss: f64 = t
        .iter()
        .zip(y)
        .map(|(&ti, &yi)| {
            let f = pr[0] * (-ti / pr[3]).exp() + pr[1] * (-ti / pr[4]).exp() + pr[2];
            (yi - f).powi(2)
        })
        .sum();
    let mut fit = quality(
        DOUBLE_EXP,
        vec![("a", a), ("τ1", tau1), ("b", b), ("τ2", tau2), ("c", c)],
        y,
        rss,
        5,
    );
    let res = Resolution::of(t, y);
    fit.unidentifiable = res
        .amplitude_problem(&[("a", a), ("b", b)], "terms cancelling each other")
        .or_else(|| {
            (tau2 / tau1 < MIN_TAU_RATIO).then(|| {
                format!(
                    "τ1 and τ2 are within a factor {MIN_TAU_RATIO} ({} s, {} s): one stage, not two",
                    fmt_sig(tau1),
                    fmt_sig(tau2)
                )
            })
        })
        .or_else(|| res.tau_problem("τ2", tau2))
        .or_else(|| res.tau_problem("τ1", tau1));
    Some(fit)
}

/// For fixed τ (scaled): a and c by linear least squares, and the residual.
fn single_at(tau: f64, t: &[f64], y: &[f64]) -> Option<(f64, f64, f64)> {
    let (mut see, mut se, mut n, mut sey, mut sy) = (0.0, 0.0, 0.0, 0.0, 0.0);
    for (&ti, &yi) in t.iter().zip(y) {
        let e = (-ti / tau).exp();
        see += e * e;
        se += e;
        n += 1.0;
        sey += e * yi;
        sy += yi;
    }
    let det = see * n - se * se;
    if det.abs() < 1e-300 {
        return None;
    }
    let a = (sey * n - se * sy) / det;
    let c = (see * sy - se * sey) / det;
    let rss = t
        .iter()
        .zip(y)
        .map(|(&ti, &yi)| (yi - a * (-ti / tau).exp() - c).powi(2))
        .sum();
    Some((a, c, rss))
}

/// Fits one exponential stage; `None` with fewer than 6 points.
pub fn single_exp(t: &[f64], y: &[f64]) -> Option<Fit> {
    let s = scaled(t, y)?;
    // ln τ (scaled) on a grid from 1e-4 to 1e2 of the span, then golden section
    // between the best grid point's neighbours.
    const GRID: usize = 241;
    let (lo, hi) = (1e-4f64.ln(), 1e2f64.ln());
    let at = |i: usize| lo + (hi - lo) * i as f64 / (GRID - 1) as f64;
    let rss_at = |ln_tau: f64| single_at(ln_tau.exp(), &s.t, &s.y).map_or(f64::INFINITY, |r| r.2);
    let best = (0..GRID).min_by(|&i, &j| rss_at(at(i)).total_cmp(&rss_at(at(j))))?;
    let (mut x0, mut x1) = (at(best.saturating_sub(1)), at((best + 1).min(GRID - 1)));
    let g = (5f64.sqrt() - 1.0) / 2.0;
    for _ in 0..80 {
        let (m0, m1) = (x1 - g * (x1 - x0), x0 + g * (x1 - x0));
        if rss_at(m0) <= rss_at(m1) {
            x1 = m1;
        } else {
            x0 = m0;
        }
    }
    let ln_tau = (x0 + x1) / 2.0;
    let (a, c, _) = single_at(ln_tau.exp(), &s.t, &s.y)?;
    let (a, tau, c) = (a * s.ys, ln_tau.exp() * s.span, c * s.ys + s.ym);
    let rss = t
        .iter()
        .zip(y)
        .map(|(&ti, &yi)| (yi - a * (-ti / tau).exp() - c).powi(2))
        .sum();
    let mut fit = quality(SINGLE_EXP, vec![("a", a), ("τ", tau), ("c", c)], y, rss, 3);
    let res = Resolution::of(t, y);
    fit.unidentifiable = res
        .tau_problem("τ", tau)
        .or_else(|| res.amplitude_problem(&[("a", a)], "a level the data never approach"));
    Some(fit)
}

/// Every fit, compared by AIC among the identifiable ones.
pub fn compare(t: &[f64], y: &[f64]) -> Comparison {
    let linear = linear(t, y);
    let double_exp = double_exp(t, y);
    let single_exp = single_exp(t, y);
    let better = double_exp
        .iter()
        .chain(single_exp.iter())
        .chain(std::iter::once(&linear))
        .filter(|f| f.unidentifiable.is_none())
        .min_by(|a, b| a.aic.total_cmp(&b.aic))
        .map_or(LINEAR, |f| f.model);
    Comparison {
        double_exp,
        single_exp,
        linear,
        better,
    }
}

/// A run counts as long for the memory fit with at least this many memory samples …
pub const LONG_RUN_MIN_SAMPLES: usize = 20;
/// … spanning at least this long (ns).
pub const LONG_RUN_MIN_SPAN_NS: u64 = 10_000_000_000;

/// The memory series fitted for a run: live heap if recorded, else RSS; t in seconds.
pub fn memory_series(r: &RunFile) -> Option<(&'static str, Vec<f64>, Vec<f64>)> {
    let pick = |f: fn(&results::Interval) -> Option<u64>| -> (Vec<f64>, Vec<f64>) {
        r.intervals
            .iter()
            .filter_map(|i| Some((i.t_end_ns as f64 / 1e9, f(i)? as f64)))
            .unzip()
    };
    for (name, f) in [
        (
            "live heap",
            (|i: &results::Interval| i.heap_live_bytes) as fn(&results::Interval) -> Option<u64>,
        ),
        ("RSS", |i: &results::Interval| i.rss_bytes),
    ] {
        let (t, y) = pick(f);
        let span_ok = r
            .intervals
            .last()
            .is_some_and(|i| i.t_end_ns >= LONG_RUN_MIN_SPAN_NS);
        if t.len() >= LONG_RUN_MIN_SAMPLES && span_ok {
            return Some((name, t, y));
        }
    }
    None
}

/// 4 significant digits, fixed format.
pub fn fmt_sig(v: f64) -> String {
    if v == 0.0 || !v.is_finite() {
        return format!("{v}");
    }
    let digits = (3 - v.abs().log10().floor() as i32).max(0) as usize;
    format!("{v:.digits$}")
}
