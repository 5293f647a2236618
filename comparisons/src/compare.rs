//! `mapbench compare BASE NEW`: is NEW faster or slower than BASE, cell by cell, and is
//! the difference more than noise? And `mapbench compare-validate`: does compare flag
//! about alpha of the rows when nothing changed (A/A), and does it see a small real
//! slowdown (power)?
//!
//! A cell is (workload, map, lang, threads). Its samples are one value per ok run (one
//! per repeat): throughput (ops/s, higher is better) or p99 latency (ns, lower is
//! better). For each cell present on both sides: the medians, a 95 % order-statistic
//! confidence interval for each median, the relative change of the medians, and the
//! two-sided Mann-Whitney U p-value ([`crate::stats`]); p < alpha is marked with its
//! direction. Cells whose trace or workload parameters differ are not comparable: compare
//! refuses them (exit 2) rather than report a "change" that is a different experiment.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context as _, anyhow};

use crate::orchestrate::{self, Failure};
use crate::results::{self, Lang, Outcome, ResultsDir, RunFile};
use crate::stats::{self, MannWhitney, MedianCi, SignedRank};

/// The confidence of the median intervals (benchstat's default).
pub const CONFIDENCE: f64 = 0.95;

/// The fewest full intervals a run needs for its median interval rate; with fewer, the
/// run's sample is its whole-run throughput.
pub const MIN_INTERVALS: usize = 5;

/// What is compared per run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Metric {
    /// The upper quartile of the run's per-interval throughputs (ops/s; intervals
    /// shorter than half of `interval_ms` left out, see [`stats::interval_rate`]); the
    /// whole-run throughput for a run with fewer than [`MIN_INTERVALS`] full intervals.
    /// Higher is faster.
    Throughput,
    /// `run_end.throughput_ops_per_s`, the whole-run mean; higher is faster.
    MeanThroughput,
    /// `run_end.lat_ns.p99` (from the merged histogram); lower is faster.
    P99,
    /// Instructions per op of the map, less the noop map's on the same traces, from the
    /// run's `<run_id>.icount.json` ([`crate::icount`]); lower is faster.
    Instructions,
}

impl Metric {
    fn sample(self, run: &RunFile) -> Option<f64> {
        match self {
            Metric::Throughput => {
                let iv: Vec<(u64, u64)> = run
                    .intervals
                    .iter()
                    .map(|i| (i.ops.total, i.t_end_ns.saturating_sub(i.t_start_ns)))
                    .collect();
                let nominal = run.start.interval_ms.saturating_mul(1_000_000);
                run.throughput()?; // only runs that ended ok
                stats::interval_rate(&iv, nominal, MIN_INTERVALS).or(run.throughput())
            }
            Metric::MeanThroughput => run.throughput(),
            Metric::P99 => run.end.as_ref()?.lat_ns?.p99.map(|v| v as f64),
            Metric::Instructions => {
                run.throughput()?; // only runs that ended ok
                crate::icount::read_sidecar(&crate::icount::sidecar_path(&run.path))
                    .ok()
                    .map(|s| s.net_per_op)
            }
        }
    }

    fn higher_is_faster(self) -> bool {
        !matches!(self, Metric::P99 | Metric::Instructions)
    }

    /// The smallest change that is flagged, whatever its p: instruction counts are so
    /// steady that the few thousand instructions by which runs differ (threads handing
    /// off through a channel or the start gate spin a variable number of times) can lean
    /// the same way in every pair of an A/A and reach p < alpha; 0.1% is well above that
    /// jitter (the A/A rows of compare-validate show it) and far below a change worth a
    /// review. Timed
    /// metrics have no floor: their spread keeps such differences from significance.
    pub fn min_change(self) -> f64 {
        match self {
            Metric::Instructions => 0.001,
            _ => 0.0,
        }
    }

    fn unit(self) -> &'static str {
        match self {
            Metric::Throughput | Metric::MeanThroughput => "M ops/s",
            Metric::P99 => "p99 ns",
            Metric::Instructions => "instructions/op",
        }
    }

    fn show(self, v: f64) -> String {
        match self {
            Metric::Throughput | Metric::MeanThroughput => format!("{:.3}", v / 1e6),
            Metric::P99 => format!("{v:.0}"),
            Metric::Instructions => format!("{v:.1}"),
        }
    }
}

/// One cell of a results directory.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct CellKey {
    pub workload: String,
    pub lang: Lang,
    pub map: String,
    pub threads: u32,
}

impl std::fmt::Display for CellKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}/{}/{}/t{}",
            self.workload, self.lang, self.map, self.threads
        )
    }
}

/// What makes two runs the same experiment: the trace and every workload parameter.
/// Runner flags that change the measurement on purpose (`op_delay_ns`) or only its
/// resolution (`interval_ms`, latency sampling) are reported, not refused.
fn identity(run: &RunFile) -> Vec<(&'static str, String)> {
    let s = &run.start;
    let show = |v: Option<u64>| v.map_or("absent".to_owned(), |v| v.to_string());
    vec![
        ("trace_sha256", s.trace_sha256.clone()),
        ("key_space", show(s.key_space)),
        ("ops_per_thread", s.ops_per_thread.to_string()),
        ("prefill", show(s.prefill)),
        (
            "presize",
            s.presize.map_or("absent".to_owned(), |v| v.to_string()),
        ),
        ("duration_ms", s.duration_ms.to_string()),
        ("warmup_ops", show(s.warmup_ops)),
    ]
}

struct SideCell<'a> {
    runs: Vec<&'a RunFile>,
}

/// The repeat number of a run: the `-r<k>` that ends a suite's run ids.
pub fn repeat_of(run_id: &str) -> Option<u32> {
    let (_, k) = run_id.rsplit_once("-r")?;
    k.parse().ok()
}

impl SideCell<'_> {
    fn samples(&self, metric: Metric) -> Vec<f64> {
        self.by_repeat(metric).into_iter().map(|(_, v)| v).collect()
    }

    /// (repeat, sample) of the ok runs, in run-file order; repeat 0 when the id has none.
    fn by_repeat(&self, metric: Metric) -> Vec<(u32, f64)> {
        self.runs
            .iter()
            .filter(|r| r.outcome() == Outcome::Ok)
            .filter_map(|r| Some((repeat_of(&r.start.run_id).unwrap_or(0), metric.sample(r)?)))
            .collect()
    }

    fn not_ok(&self) -> usize {
        self.runs
            .iter()
            .filter(|r| r.outcome() != Outcome::Ok)
            .count()
    }
}

fn cells(dir: &ResultsDir) -> BTreeMap<CellKey, SideCell<'_>> {
    let mut m: BTreeMap<CellKey, SideCell<'_>> = BTreeMap::new();
    for r in &dir.runs {
        let key = CellKey {
            workload: r.start.workload.clone(),
            lang: r.start.lang,
            map: r.start.map.clone(),
            threads: r.start.threads,
        };
        m.entry(key)
            .or_insert_with(|| SideCell { runs: Vec::new() })
            .runs
            .push(r);
    }
    m
}

/// Whether a row's change is significant, and which way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Even complete separation could not reach p < alpha with these sample counts.
    TooFewSamples,
    /// p >= alpha.
    NoChange,
    Faster,
    Slower,
}

impl Verdict {
    pub fn mark(self) -> &'static str {
        match self {
            Verdict::TooFewSamples => "~ too few samples",
            Verdict::NoChange => "~",
            Verdict::Faster => "↑ faster",
            Verdict::Slower => "↓ slower",
        }
    }
}

/// One cell present on both sides.
#[derive(Debug, Clone)]
pub struct Row {
    pub cell: CellKey,
    pub base: Vec<f64>,
    pub new: Vec<f64>,
    pub base_median: Option<f64>,
    pub new_median: Option<f64>,
    pub base_ci: Option<MedianCi>,
    pub new_ci: Option<MedianCi>,
    /// Paired cells: the change of the median per-pair ratio (new ÷ base − 1); unpaired:
    /// (new - base) / base of the medians.
    pub change: Option<f64>,
    /// Paired cells: new ÷ base per pair of runs with the same repeat number.
    pub ratios: Vec<f64>,
    /// Paired cells: the 95% order-statistic interval of the median ratio, as a change.
    pub change_ci: Option<MedianCi>,
    /// The signed-rank test of the log ratios (paired cells).
    pub paired: Option<SignedRank>,
    /// The rank-sum test of the two sets of runs (unpaired cells; also computed for
    /// paired ones, for reference).
    pub test: Option<MannWhitney>,
    pub verdict: Verdict,
    /// Runs of the cell that did not end ok (excluded), base and new.
    pub not_ok: (usize, usize),
}

/// Where one side's results came from.
#[derive(Debug, Clone)]
pub struct SideEnv {
    pub dir: PathBuf,
    pub runs: usize,
    pub lines: Vec<(String, String)>,
    /// Total `steal_ticks` over every interval of every run (host contention).
    pub steal_ticks: u64,
}

/// A whole comparison.
#[derive(Debug, Clone)]
pub struct Comparison {
    pub metric: Metric,
    pub alpha: f64,
    pub base: SideEnv,
    pub new: SideEnv,
    pub rows: Vec<Row>,
    pub only_base: Vec<CellKey>,
    pub only_new: Vec<CellKey>,
    /// Runner settings that differ between the sides (reported, not refused).
    pub notes: Vec<String>,
}

impl Comparison {
    pub fn count(&self, v: Verdict) -> usize {
        self.rows.iter().filter(|r| r.verdict == v).count()
    }

    /// Rows that could be significant (enough samples).
    pub fn testable(&self) -> usize {
        self.rows.len() - self.count(Verdict::TooFewSamples)
    }
}

fn load(dir: &Path) -> Result<ResultsDir, Failure> {
    if !dir.is_dir() {
        return Err(Failure::BadInput(anyhow!(
            "{}: not a results directory (does not exist or is not a directory)",
            dir.display()
        )));
    }
    let d = results::load_dir(dir).map_err(|e| Failure::BadInput(e.into()))?;
    if d.runs.is_empty() {
        return Err(Failure::BadInput(anyhow!(
            "{}: no run files (*.jsonl): not a results directory",
            dir.display()
        )));
    }
    Ok(d)
}

fn side_env(d: &ResultsDir) -> SideEnv {
    let mut lines = Vec::new();
    if let Some(m) = &d.manifest {
        lines.push((
            "suite".into(),
            format!("{} ({})", m.suite.name, m.status_label()),
        ));
        lines.push((
            "started".into(),
            format!(
                "{} – {}",
                m.started_at,
                m.ended_at.as_deref().unwrap_or("?")
            ),
        ));
        let commit = m.git.commit.as_deref().unwrap_or("unknown");
        let dirty = match m.git.dirty {
            Some(true) => " (dirty)",
            _ => "",
        };
        lines.push(("commit".into(), format!("{commit}{dirty}")));
        lines.push((
            "host".into(),
            format!(
                "{}, {} vCPUs, {}, {}",
                m.host.cpu_model.as_deref().unwrap_or("?"),
                m.host.vcpus.map_or("?".into(), |v| v.to_string()),
                m.host.kernel.as_deref().unwrap_or("?"),
                m.host.hostname.as_deref().unwrap_or("?")
            ),
        ));
        for (lang, r) in &m.runners {
            lines.push((
                format!("{lang} runner"),
                r.toolchain.clone().unwrap_or_else(|| "?".into()),
            ));
        }
    } else if let Some(r) = d.runs.first() {
        let h = &r.start.host;
        lines.push((
            "manifest".into(),
            "none (environment of the first run)".into(),
        ));
        lines.push((
            "commit".into(),
            r.start
                .git_commit
                .clone()
                .unwrap_or_else(|| "unknown".into()),
        ));
        lines.push((
            "host".into(),
            format!(
                "{}, {} vCPUs, {}",
                h.cpu_model.as_deref().unwrap_or("?"),
                h.vcpus.map_or("?".into(), |v| v.to_string()),
                h.kernel.as_deref().unwrap_or("?")
            ),
        ));
        for lang in Lang::ALL {
            if let Some(run) = d.runs.iter().find(|r| r.start.lang == lang) {
                lines.push((format!("{lang} runner"), run.start.toolchain.clone()));
            }
        }
    }
    SideEnv {
        dir: d.dir.clone(),
        runs: d.runs.len(),
        lines,
        steal_ticks: d
            .runs
            .iter()
            .flat_map(|r| &r.intervals)
            .filter_map(|i| i.steal_ticks)
            .sum(),
    }
}

trait StatusLabel {
    fn status_label(&self) -> String;
}

impl StatusLabel for crate::manifest::Manifest {
    fn status_label(&self) -> String {
        serde_json::to_value(self.status)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_else(|| "?".into())
    }
}

/// Refuses a cell whose runs are not all the same experiment, within a side or across.
fn check_identity(
    cell: &CellKey,
    base: &SideCell<'_>,
    new: &SideCell<'_>,
) -> Result<(), anyhow::Error> {
    let reference = base.runs[0];
    let want = identity(reference);
    for run in base.runs.iter().chain(&new.runs) {
        for ((field, a), (_, b)) in want.iter().zip(identity(run)) {
            if *a != b {
                return Err(anyhow!(
                    "cell {cell}: {field} differs: {} has {a}, {} has {b}; \
                     these are different experiments, not a change to compare",
                    reference.path.display(),
                    run.path.display()
                ));
            }
        }
    }
    Ok(())
}

/// Compares two results directories (see the module docs).
pub fn compare_dirs(
    base_dir: &Path,
    new_dir: &Path,
    metric: Metric,
    alpha: f64,
) -> Result<Comparison, Failure> {
    if !(alpha > 0.0 && alpha < 1.0) {
        return Err(Failure::BadInput(anyhow!(
            "--alpha: expected a number between 0 and 1, found {alpha}"
        )));
    }
    let base = load(base_dir)?;
    let new = load(new_dir)?;
    if metric == Metric::Instructions {
        // Every ok run needs its count: a missing or malformed sidecar is bad input,
        // not a run to leave out quietly.
        for run in base.runs.iter().chain(&new.runs) {
            if run.outcome() == Outcome::Ok {
                crate::icount::read_sidecar(&crate::icount::sidecar_path(&run.path))
                    .map_err(Failure::BadInput)?;
            }
        }
    }
    let (bc, nc) = (cells(&base), cells(&new));
    let mut rows = Vec::new();
    let mut notes = Vec::new();
    for (key, b) in &bc {
        let Some(n) = nc.get(key) else { continue };
        check_identity(key, b, n).map_err(Failure::BadInput)?;
        let settings = |c: &SideCell<'_>| {
            let s = &c.runs[0].start;
            (
                s.op_delay_ns.unwrap_or(0),
                s.interval_ms,
                s.latency.sample_every,
            )
        };
        let (sb, sn) = (settings(b), settings(n));
        if sb != sn {
            notes.push(format!(
                "{key}: runner settings differ (op_delay_ns, interval_ms, latency_sample_every): \
                 base {sb:?}, new {sn:?}"
            ));
        }
        let (xs, ys) = (b.samples(metric), n.samples(metric));
        let (bm, nm) = (stats::median(&xs), stats::median(&ys));
        let ratios = pair_ratios(&b.by_repeat(metric), &n.by_repeat(metric));
        let paired = ratios
            .as_ref()
            .and_then(|r| stats::signed_rank(&r.iter().map(|v| v.ln()).collect::<Vec<_>>()));
        let ratios = ratios.unwrap_or_default();
        let change = if ratios.is_empty() {
            match (bm, nm) {
                (Some(b), Some(n)) if b != 0.0 => Some((n - b) / b),
                _ => None,
            }
        } else {
            stats::median(&ratios).map(|r| r - 1.0)
        };
        let change_ci = stats::median_ci(&ratios, CONFIDENCE).map(|ci| MedianCi {
            lo: ci.lo - 1.0,
            hi: ci.hi - 1.0,
            coverage: ci.coverage,
        });
        let test = stats::mann_whitney(&xs, &ys);
        let (p, min_p) = match paired {
            Some(t) => (Some(t.p), stats::signed_rank_min_p(ratios.len())),
            None if !ratios.is_empty() => (Some(1.0), stats::signed_rank_min_p(ratios.len())),
            None => (test.map(|t| t.p), stats::min_p(xs.len(), ys.len())),
        };
        let verdict = verdict_of(metric, p, change, min_p, alpha);
        rows.push(Row {
            cell: key.clone(),
            base_ci: stats::median_ci(&xs, CONFIDENCE),
            new_ci: stats::median_ci(&ys, CONFIDENCE),
            base: xs,
            new: ys,
            base_median: bm,
            new_median: nm,
            change,
            ratios,
            change_ci,
            paired,
            test,
            verdict,
            not_ok: (b.not_ok(), n.not_ok()),
        });
    }
    let only = |a: &BTreeMap<CellKey, SideCell<'_>>, b: &BTreeMap<CellKey, SideCell<'_>>| {
        a.keys().filter(|k| !b.contains_key(*k)).cloned().collect()
    };
    Ok(Comparison {
        metric,
        alpha,
        base: side_env(&base),
        new: side_env(&new),
        only_base: only(&bc, &nc),
        only_new: only(&nc, &bc),
        rows,
        notes,
    })
}

/// new ÷ base per repeat number, when every ok run on both sides has exactly one
/// partner with its repeat number (and there are at least two pairs); `None` otherwise,
/// and the cell is compared unpaired.
pub fn pair_ratios(base: &[(u32, f64)], new: &[(u32, f64)]) -> Option<Vec<f64>> {
    if base.len() != new.len() || base.len() < 2 {
        return None;
    }
    let mut out = Vec::with_capacity(base.len());
    for &(k, b) in base {
        if k == 0 || base.iter().filter(|(j, _)| *j == k).count() != 1 {
            return None;
        }
        let mut partners = new.iter().filter(|(j, _)| *j == k);
        let (Some(&(_, n)), None) = (partners.next(), partners.next()) else {
            return None;
        };
        if b <= 0.0 || n <= 0.0 {
            return None;
        }
        out.push(n / b);
    }
    Some(out)
}

fn show_ci(metric: Metric, ci: Option<MedianCi>) -> String {
    match ci {
        None => "—".into(),
        Some(ci) => {
            let dagger = if ci.reaches(CONFIDENCE) { "" } else { " †" };
            format!("{} – {}{dagger}", metric.show(ci.lo), metric.show(ci.hi))
        }
    }
}

fn show_samples(metric: Metric, v: &[f64]) -> String {
    v.iter()
        .map(|&x| metric.show(x))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The tables, one per workload, as markdown: a count line, then the tables. Used by
/// [`render_markdown`] and by compare-validate's page.
pub fn render_tables(c: &Comparison) -> String {
    let mut s = String::new();
    let m = c.metric;
    let mut by_workload: BTreeMap<&str, Vec<&Row>> = BTreeMap::new();
    for r in &c.rows {
        by_workload.entry(&r.cell.workload).or_default().push(r);
    }
    for (w, rows) in by_workload {
        let _ = writeln!(s, "#### {w}\n");
        let _ = writeln!(
            s,
            "| map | lang | threads | base median | base 95% CI | new median | new 95% CI | change | change 95% CI | test | p | n | |"
        );
        let _ = writeln!(
            s,
            "|---|---|---:|---:|---|---:|---|---:|---|---|---:|---:|---|"
        );
        for r in rows {
            let med = |v: Option<f64>| v.map_or("—".into(), |v| m.show(v));
            let change = r
                .change
                .map_or("—".into(), |c| format!("{:+.1}%", c * 100.0));
            let (test, p) = if r.ratios.is_empty() {
                ("rank-sum", r.test.map(|t| t.p))
            } else {
                ("paired", Some(r.paired.map_or(1.0, |t| t.p)))
            };
            let p = match (r.verdict, p) {
                (Verdict::TooFewSamples, _) | (_, None) => "—".into(),
                (_, Some(p)) if p < 0.001 => format!("{p:.1e}"),
                (_, Some(p)) => format!("{p:.3}"),
            };
            let change_ci = match r.change_ci {
                None => "—".into(),
                Some(ci) => format!(
                    "{:+.1}% – {:+.1}%{}",
                    ci.lo * 100.0,
                    ci.hi * 100.0,
                    if ci.reaches(CONFIDENCE) { "" } else { " †" }
                ),
            };
            let n = if r.not_ok == (0, 0) {
                format!("{}+{}", r.base.len(), r.new.len())
            } else {
                format!(
                    "{}+{} ({} not ok)",
                    r.base.len(),
                    r.new.len(),
                    r.not_ok.0 + r.not_ok.1
                )
            };
            let _ = writeln!(
                s,
                "| {} | {} | {} | {} | {} | {} | {} | {change} | {change_ci} | {test} | {p} | {n} | {} |",
                r.cell.map,
                r.cell.lang,
                r.cell.threads,
                med(r.base_median),
                show_ci(m, r.base_ci),
                med(r.new_median),
                show_ci(m, r.new_ci),
                r.verdict.mark()
            );
        }
        s.push('\n');
    }
    s
}

/// A row's verdict: too few samples when even complete separation could not reach
/// `alpha`; a direction when `p < alpha` and the change is at least the metric's
/// [`Metric::min_change`]; otherwise no change.
fn verdict_of(
    metric: Metric,
    p: Option<f64>,
    change: Option<f64>,
    min_p: f64,
    alpha: f64,
) -> Verdict {
    if min_p >= alpha {
        return Verdict::TooFewSamples;
    }
    match (p, change) {
        (Some(p), Some(c)) if p < alpha && c != 0.0 && c.abs() >= metric.min_change() => {
            if (c > 0.0) == metric.higher_is_faster() {
                Verdict::Faster
            } else {
                Verdict::Slower
            }
        }
        _ => Verdict::NoChange,
    }
}

/// What the page measured and tested, in one paragraph (the reviewer's page and
/// compare-validate's say the same).
pub fn method_paragraph(m: Metric, alpha: f64) -> String {
    let sample = match m {
        Metric::Throughput => format!(
            "throughput, higher is faster ({}): one sample per run, the upper quartile of the \
             run's per-interval throughputs (intervals shorter than half of `interval_ms` \
             left out; a run with fewer than {MIN_INTERVALS} full intervals contributes its \
             whole-run throughput). Preemption and other jobs only take time away from \
             intervals, so they lower some intervals' rates and leave the upper quartile \
             where it was, while a slower map lowers every interval",
            m.unit()
        ),
        Metric::MeanThroughput => format!(
            "whole-run mean throughput, higher is faster ({}): one sample per run",
            m.unit()
        ),
        Metric::P99 => format!(
            "p99 latency of the merged histogram, lower is faster ({}): one sample per run",
            m.unit()
        ),
        Metric::Instructions => format!(
            "instructions per op, lower is faster ({}): one sample per run, counted by \
             valgrind's cachegrind as the difference between a run of the trace and a run of \
             a shorter trace of the same workload, over the difference in ops (start-up, \
             prefill and writing results cancel), less the noop map's count on the same two \
             traces (the harness's own instructions)",
            m.unit()
        ),
    };
    format!(
        "Metric: {sample}. Test: **paired** where every run of a cell has a partner with the \
         same repeat number on the other side (`-r<k>` in the run id): change is the median \
         of the per-pair ratios new ÷ base minus 1, with its 95% order-statistic interval, \
         and p is the two-sided Wilcoxon signed-rank test of the log ratios; otherwise \
         **rank-sum**: change of the medians and the two-sided Mann-Whitney U test. Base and \
         new medians carry 95% order-statistic intervals († = too few runs for 95%, the \
         interval is min – max). ↑/↓ marks p < {alpha}{floor}.\n\n",
        floor = if m.min_change() > 0.0 {
            format!(
                " and a change of at least {}% either way (counts vary a little between \
                 runs as threads hand off to each other, by as much as the A/A rows show: a \
                 smaller change can lean one way in every pair by chance)",
                m.min_change() * 100.0
            )
        } else {
            String::new()
        }
    )
}

/// One line: how many rows, how many flagged each way.
pub fn summary_line(c: &Comparison) -> String {
    format!(
        "{} cells compared: {} ↓ slower, {} ↑ faster, {} ~ no significant change, {} too few samples (alpha {}).",
        c.rows.len(),
        c.count(Verdict::Slower),
        c.count(Verdict::Faster),
        c.count(Verdict::NoChange),
        c.count(Verdict::TooFewSamples),
        c.alpha
    )
}

/// The page a reviewer pastes: generated marker, command, both environments, tables,
/// cells on one side only, and how to read it.
pub fn render_markdown(c: &Comparison, command: &str) -> String {
    let mut s = String::new();
    let m = c.metric;
    let _ = writeln!(
        s,
        "<!-- Generated by `mapbench compare`; do not edit. Regenerate with the command below. -->\n"
    );
    let _ = writeln!(s, "```sh\n{command}\n```\n");
    s.push_str(&method_paragraph(m, c.alpha));
    let _ = writeln!(s, "| | base | new |\n|---|---|---|");
    let _ = writeln!(
        s,
        "| results | `{}` ({} runs) | `{}` ({} runs) |",
        c.base.dir.display(),
        c.base.runs,
        c.new.dir.display(),
        c.new.runs
    );
    let mut keys: Vec<&String> = c.base.lines.iter().map(|(k, _)| k).collect();
    for (k, _) in &c.new.lines {
        if !keys.contains(&k) {
            keys.push(k);
        }
    }
    let get = |e: &SideEnv, k: &str| {
        e.lines
            .iter()
            .find(|(kk, _)| kk == k)
            .map_or("—".to_owned(), |(_, v)| v.clone())
    };
    for k in keys {
        let _ = writeln!(s, "| {k} | {} | {} |", get(&c.base, k), get(&c.new, k));
    }
    let _ = writeln!(
        s,
        "| steal ticks (all runs) | {} | {} |\n",
        c.base.steal_ticks, c.new.steal_ticks
    );
    let _ = writeln!(s, "{}\n", summary_line(c));
    s.push_str(&render_tables(c));
    for (label, cells) in [("base", &c.only_base), ("new", &c.only_new)] {
        if !cells.is_empty() {
            let list: Vec<String> = cells.iter().map(|k| format!("`{k}`")).collect();
            let _ = writeln!(s, "Only in {label} (not compared): {}.\n", list.join(", "));
        }
    }
    for n in &c.notes {
        let _ = writeln!(s, "Note: {n}.\n");
    }
    let _ = writeln!(
        s,
        "<details><summary>samples per cell ({})</summary>\n",
        m.unit()
    );
    let _ = writeln!(s, "| cell | base | new |\n|---|---|---|");
    for r in &c.rows {
        let _ = writeln!(
            s,
            "| `{}` | {} | {} |",
            r.cell,
            show_samples(m, &r.base),
            show_samples(m, &r.new)
        );
    }
    let _ = writeln!(s, "\n</details>");
    s
}

/// `mapbench compare`: prints (or writes to `out`) the page; cells on one side only are
/// also said on stderr.
pub fn run_compare(
    base: &Path,
    new: &Path,
    out: Option<&Path>,
    metric: Metric,
    alpha: f64,
) -> Result<Comparison, Failure> {
    let c = compare_dirs(base, new, metric, alpha)?;
    let page = render_markdown(&c, &crate::validate::regenerate_command());
    for (label, cells) in [("BASE", &c.only_base), ("NEW", &c.only_new)] {
        for k in cells.iter() {
            eprintln!("mapbench: cell {k} only in {label}: not compared");
        }
    }
    match out {
        Some(path) => {
            write_file(path, &page).map_err(Failure::Failed)?;
            eprintln!("mapbench: {} — wrote {}", summary_line(&c), path.display());
        }
        None => print!("{page}"),
    }
    Ok(c)
}

fn write_file(path: &Path, text: &str) -> anyhow::Result<()> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("{}: cannot create", parent.display()))?;
    }
    std::fs::write(path, text).with_context(|| format!("{}: cannot write", path.display()))
}

/// The suite compare-validate runs (`comparisons/suites/<name>.toml`).
pub const VALIDATION_SUITE: &str = "compare-check";

/// The slowdown the power test injects: per cell, the delay that would cut throughput
/// by this share if it only added to every op (`d = t · s / (1 − s)` for a per-thread
/// time per op `t`).
pub const POWER_SLOWDOWN: f64 = 0.10;

/// The significance level compare-validate tests at (compare's default too).
pub const DEFAULT_ALPHA: f64 = 0.01;

/// A run during which the rest of the machine used more than this many CPUs on average
/// (from `/proc/stat` less the runner's own CPU time) is run again, once.
pub const DISTURBED_CPUS: f64 = 0.5;

/// Options of `mapbench compare-validate`.
pub struct CompareValidateOptions {
    pub out: PathBuf,
    /// Overrides the suite's repeat count.
    pub repeats: Option<u32>,
    /// Pairs per cell for the true size of the injected change [default: the repeats].
    pub truth_pairs: Option<u32>,
    /// One delay per op for every cell; default: per cell, from its first A runs.
    pub delay_ns: Option<u64>,
    pub rust_runner: Option<PathBuf>,
    pub go_runner: Option<PathBuf>,
    pub trace_cache: Option<PathBuf>,
    pub workloads_dir: PathBuf,
    pub suites_dir: PathBuf,
    pub alpha: f64,
}

/// The delay the power series injects into one cell's runs.
#[derive(Debug, Clone, PartialEq)]
pub struct CellDelay {
    pub cell: CellKey,
    /// Per-thread ns per op of the cell's first A1 and A2 runs (threads ÷ the faster of
    /// their two rates, as compare reads them).
    pub per_thread_ns: f64,
    pub delay_ns: u64,
}

impl CellDelay {
    /// The throughput change the delay would cause if it simply added to every op.
    pub fn expected_change(&self) -> f64 {
        let d = self.delay_ns as f64;
        -d / (self.per_thread_ns + d)
    }
}

/// The delay that slows an op of `per_thread_ns` by `slowdown` of its throughput if it
/// simply adds: `d / (t + d) = s`.
pub fn delay_for(per_thread_ns: f64, slowdown: f64) -> u64 {
    (per_thread_ns * slowdown / (1.0 - slowdown))
        .round()
        .max(1.0) as u64
}

/// What compare-validate found.
pub struct CompareValidation {
    pub aa: Comparison,
    pub power: Comparison,
    /// The injected change measured with many pairs (truth A against truth B).
    pub truth: Comparison,
    pub delays: Vec<CellDelay>,
    pub repeats: u32,
    pub truth_pairs: u32,
    /// Runs started, runs repeated because the machine was busy, and the mean CPUs the
    /// rest of the machine used during the kept runs.
    pub runs: usize,
    pub reruns: usize,
    pub other_cpus: f64,
    pub seconds: f64,
}

/// CPU time of the whole machine (all CPUs, busy jiffies as seconds) and of this
/// process's waited-for children, for "did something else run during this run".
#[derive(Debug, Clone, Copy)]
struct CpuClock {
    machine_busy_s: f64,
    children_s: f64,
    at: Instant,
}

fn cpu_clock() -> Option<CpuClock> {
    let stat = std::fs::read_to_string("/proc/stat").ok()?;
    let line = stat.lines().find(|l| l.starts_with("cpu "))?;
    let v: Vec<f64> = line
        .split_whitespace()
        .skip(1)
        .filter_map(|x| x.parse().ok())
        .collect();
    // user nice system idle iowait irq softirq steal ...: busy = all but idle, iowait.
    if v.len() < 8 {
        return None;
    }
    let busy = v[0] + v[1] + v[2] + v[5] + v[6] + v[7];
    // SAFETY: sysconf has no preconditions.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64;
    // SAFETY: getrusage writes into the struct it is given.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &mut ru) };
    let tv = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    Some(CpuClock {
        machine_busy_s: busy / hz.max(1.0),
        children_s: tv(ru.ru_utime) + tv(ru.ru_stime),
        at: Instant::now(),
    })
}

/// CPUs used on average by everything but the child between two clocks.
fn other_cpus(a: CpuClock, b: CpuClock) -> f64 {
    let wall = b.at.duration_since(a.at).as_secs_f64();
    if wall <= 0.0 {
        return 0.0;
    }
    let others = (b.machine_busy_s - a.machine_busy_s) - (b.children_s - a.children_s);
    (others / wall).max(0.0)
}

/// Removes a run's outputs left by an earlier attempt, so a run file is this run's.
fn remove_outputs(dir: &Path, run_id: &str) {
    for ext in ["jsonl", "hlog"] {
        let _ = std::fs::remove_file(dir.join(format!("{run_id}.{ext}")));
    }
}

/// One runner run (`argv`) into `dir`, stopped after `timeout_s`; an error naming the
/// run, the directory (and `how`, e.g. " under valgrind") unless it ended ok.
fn run_or_fail(
    argv: &[String],
    dir: &Path,
    logs: &Path,
    run_id: &str,
    timeout_s: u64,
    how: &str,
) -> Result<(), Failure> {
    let r = orchestrate::run_one(
        argv,
        dir,
        logs,
        run_id,
        Some(std::time::Duration::from_secs(timeout_s)),
    );
    if r.state != crate::manifest::RunState::Ok {
        return Err(Failure::Failed(anyhow!(
            "{run_id} in {}{how}: {:?}: {}",
            dir.display(),
            r.state,
            r.message.unwrap_or_default()
        )));
    }
    Ok(())
}

/// The five series compare-validate writes, by directory name.
const SERIES: [&str; 5] = ["a1", "a2", "b-delay", "truth-a", "truth-b"];

struct Runs<'a> {
    runners: &'a BTreeMap<Lang, crate::runners::Runner>,
    logs: PathBuf,
    /// Where the series' directories ([`SERIES`]) are, and the suite's name (run ids).
    runs_dir: PathBuf,
    suite: String,
    started: usize,
    reruns: usize,
    other: Vec<f64>,
}

impl Runs<'_> {
    /// The directory of series `i` of [`SERIES`].
    fn dir(&self, i: usize) -> PathBuf {
        self.runs_dir.join(SERIES[i])
    }

    /// Every run of one cell: the three series take turns repeat by repeat (A1 A2 B,
    /// then A2 B A1, then B A1 A2, …), then the truth pairs alternate (TA TB, TB TA, …).
    /// B's delay is `fixed_delay`, else sized from the cell's first A1 and A2 runs; the
    /// delay is returned once those ran.
    fn cell(
        &mut self,
        cell: &crate::suite::Cell,
        trace: &Path,
        repeats: u32,
        truth_pairs: u32,
        fixed_delay: Option<u64>,
    ) -> Result<Option<CellDelay>, Failure> {
        let mut delay: Option<CellDelay> = None;
        for k in 1..=repeats {
            let id = cell.run_id(&self.suite, k);
            for i in 0..3 {
                let series = (i + k as usize - 1) % 3;
                if orchestrate::interrupted() {
                    return Err(Failure::Failed(anyhow!("interrupted")));
                }
                let d = if series == 2 {
                    delay.as_ref().map_or(0, |d| d.delay_ns)
                } else {
                    0
                };
                self.run(cell, trace, &self.dir(series), &id, d)?;
                if k == 1 && series == 1 {
                    // A1 and A2 of repeat 1 are in: B's delay for this cell.
                    delay = Some(self.delay_from_first_a_runs(cell, &id, fixed_delay)?);
                }
            }
        }
        let d = delay.as_ref().map_or(0, |d| d.delay_ns);
        for k in 1..=truth_pairs {
            let id = cell.run_id(&self.suite, k);
            let order = if k % 2 == 1 { [3, 4] } else { [4, 3] };
            for s in order {
                self.run(cell, trace, &self.dir(s), &id, if s == 4 { d } else { 0 })?;
            }
        }
        Ok(delay)
    }

    /// The delay for B from run `id` of A1 and A2: `fixed`, else the one that slows the
    /// faster of the two by [`POWER_SLOWDOWN`] if it simply adds.
    fn delay_from_first_a_runs(
        &self,
        cell: &crate::suite::Cell,
        id: &str,
        fixed: Option<u64>,
    ) -> Result<CellDelay, Failure> {
        let rates: Vec<f64> = [0, 1]
            .iter()
            .filter_map(|&s| {
                let f = self.dir(s).join(format!("{id}.jsonl"));
                Metric::Throughput.sample(&results::read_run(&f).ok()?)
            })
            .collect();
        // The faster of the two: disturbance only ever slows a run down.
        let rate =
            rates.iter().copied().reduce(f64::max).ok_or_else(|| {
                Failure::Failed(anyhow!("{id}: no throughput in the first A runs"))
            })?;
        let per_thread_ns = f64::from(cell.threads()) * 1e9 / rate;
        Ok(CellDelay {
            cell: cell_key(cell),
            per_thread_ns,
            delay_ns: fixed.unwrap_or_else(|| delay_for(per_thread_ns, POWER_SLOWDOWN)),
        })
    }

    /// One run of `cell` into `dir`, again once if the machine was busy meanwhile.
    fn run(
        &mut self,
        cell: &crate::suite::Cell,
        trace: &Path,
        dir: &Path,
        run_id: &str,
        delay_ns: u64,
    ) -> Result<(), Failure> {
        let mut settings = cell.runner;
        settings.op_delay_ns = delay_ns;
        let runner = &self.runners[&cell.lang];
        let mut argv = vec![runner.path.display().to_string()];
        argv.extend(crate::runners::run_args(
            trace, &cell.map, dir, run_id, &settings,
        ));
        if delay_ns == 0 {
            // The baseline runs the spin loop with no steps, so it differs from the
            // delayed side by the spin alone (RUNNER-SPEC.md, `--op-work-steps`).
            argv.extend(["--op-work-steps".into(), "0".into()]);
        }
        for attempt in 0..2 {
            remove_outputs(dir, run_id);
            let before = cpu_clock();
            self.started += 1;
            run_or_fail(&argv, dir, &self.logs, run_id, 600, "")?;
            let busy = match (before, cpu_clock()) {
                (Some(a), Some(b)) => other_cpus(a, b),
                _ => 0.0,
            };
            // At most one run in five is repeated, so a busy machine cannot double the time.
            if busy <= DISTURBED_CPUS || attempt == 1 || 5 * (self.reruns + 1) > self.started {
                self.other.push(busy);
                return Ok(());
            }
            self.reruns += 1;
        }
        Ok(())
    }
}

/// What both modes of compare-validate start from: the validation suite, its cells on
/// the runners (built unless given), a fresh runs directory and the trace cache.
struct Setup {
    suite: crate::suite::Suite,
    cells: Vec<crate::suite::Cell>,
    runners: BTreeMap<Lang, crate::runners::Runner>,
    runs_dir: PathBuf,
    cache: PathBuf,
}

impl Setup {
    /// Loads the suite, creates `opts.out/runs_name/` (refusing one that exists) with a
    /// subdirectory per series and per name in `other_dirs`, installs the Ctrl-C handler
    /// and prepares the runners.
    fn new(
        opts: &CompareValidateOptions,
        runs_name: &str,
        series: &[&str],
        other_dirs: &[&str],
    ) -> Result<Setup, Failure> {
        let bad = Failure::BadInput;
        let spec =
            crate::suite::resolve(VALIDATION_SUITE, &opts.suites_dir).map_err(|e| bad(e.into()))?;
        let suite = crate::suite::load(&spec, &opts.workloads_dir).map_err(|e| bad(e.into()))?;
        let runs_dir = opts.out.join(runs_name);
        if runs_dir.exists() {
            return Err(bad(anyhow!(
                "{}: already exists; compare-validate writes fresh runs (remove it first)",
                runs_dir.display()
            )));
        }
        for d in series.iter().chain(other_dirs).map(|s| runs_dir.join(s)) {
            std::fs::create_dir_all(&d)
                .with_context(|| format!("{}: cannot create", d.display()))
                .map_err(Failure::Failed)?;
        }
        orchestrate::install_interrupt_handler().map_err(Failure::Failed)?;
        let repo = crate::runners::repo_root();
        let runners = orchestrate::prepare_runners(
            &Lang::ALL,
            opts.rust_runner.as_deref(),
            opts.go_runner.as_deref(),
            &repo,
        )?;
        let registries = crate::suite::Registries {
            by_lang: runners.iter().map(|(l, r)| (*l, r.maps.clone())).collect(),
        };
        let (cells, _) = suite
            .cells(&registries, &Lang::ALL)
            .map_err(|e| bad(e.into()))?;
        let cache = opts
            .trace_cache
            .clone()
            .unwrap_or_else(|| crate::runners::target_dir(&repo).join("traces"));
        Ok(Setup {
            suite,
            cells,
            runners,
            runs_dir,
            cache,
        })
    }
}

/// Repeats per cell: the option, else the most any cell of the suite asks for.
fn repeats_of(opts: &CompareValidateOptions, cells: &[crate::suite::Cell]) -> u32 {
    opts.repeats
        .unwrap_or_else(|| cells.iter().map(|c| c.repeats).max().unwrap_or(1))
}

/// `mapbench compare-validate`: A/A, power and true-size series, cell by cell, their
/// compare tables, and `compare-validation.md` in `opts.out`.
pub fn compare_validate(opts: &CompareValidateOptions) -> Result<CompareValidation, Failure> {
    let started = Instant::now();
    let Setup {
        suite,
        cells,
        runners,
        runs_dir,
        cache,
    } = Setup::new(opts, "runs", &SERIES, &["logs"])?;
    let repeats = repeats_of(opts, &cells);
    let truth_pairs = opts.truth_pairs.unwrap_or(repeats);
    let mut traces: Vec<(crate::workload::Workload, PathBuf)> = Vec::new();
    for c in &cells {
        if !traces.iter().any(|(w, _)| *w == c.workload) {
            let t = orchestrate::ensure_trace(&cache, &c.workload).map_err(Failure::Failed)?;
            traces.push((c.workload.clone(), t.path));
        }
    }
    let mut runs = Runs {
        runners: &runners,
        logs: runs_dir.join("logs"),
        runs_dir: runs_dir.clone(),
        suite: suite.name.clone(),
        started: 0,
        reruns: 0,
        other: Vec::new(),
    };
    let mut delays = Vec::new();
    // Cell by cell, so that the runs compared with each other are seconds apart.
    for (ci, cell) in cells.iter().enumerate() {
        let trace = &traces
            .iter()
            .find(|(w, _)| *w == cell.workload)
            .expect("traced")
            .1;
        delays.extend(runs.cell(cell, trace, repeats, truth_pairs, opts.delay_ns)?);
        eprintln!(
            "mapbench: compare-validate: cell {}/{} {} done ({} runs so far, {:.0} s)",
            ci + 1,
            cells.len(),
            cell_key(cell),
            runs.started,
            started.elapsed().as_secs_f64()
        );
    }
    let aa = compare_dirs(&runs.dir(0), &runs.dir(1), Metric::Throughput, opts.alpha)?;
    let power = compare_dirs(&runs.dir(0), &runs.dir(2), Metric::Throughput, opts.alpha)?;
    let truth = compare_dirs(&runs.dir(3), &runs.dir(4), Metric::Throughput, opts.alpha)?;
    let v = CompareValidation {
        aa,
        power,
        truth,
        delays,
        repeats,
        truth_pairs,
        runs: runs.started,
        reruns: runs.reruns,
        other_cpus: stats::median(&runs.other).unwrap_or(0.0),
        seconds: started.elapsed().as_secs_f64(),
    };
    write_validation(opts, &v)?;
    Ok(v)
}

/// Writes compare-validate's pages (`compare-aa.md`, `compare-power.md`,
/// `compare-validation.md`) into `opts.out` and says so.
fn write_validation(opts: &CompareValidateOptions, v: &CompareValidation) -> Result<(), Failure> {
    let command = crate::validate::regenerate_command();
    for (file, c) in [("compare-aa.md", &v.aa), ("compare-power.md", &v.power)] {
        write_file(&opts.out.join(file), &render_markdown(c, &command)).map_err(Failure::Failed)?;
    }
    write_file(
        &opts.out.join("compare-validation.md"),
        &render_validation(v, &command),
    )
    .map_err(Failure::Failed)?;
    eprintln!(
        "mapbench: compare-validate: A/A {}; power {}; wrote {} in {:.0} s",
        summary_line(&v.aa),
        summary_line(&v.power),
        opts.out.join("compare-validation.md").display(),
        v.seconds
    );
    Ok(())
}

fn fraction(k: usize, n: usize) -> String {
    if n == 0 {
        "—".into()
    } else {
        format!("{k}/{n} ({:.0}%)", 100.0 * k as f64 / n as f64)
    }
}

fn flagged(c: &Comparison) -> usize {
    c.count(Verdict::Slower) + c.count(Verdict::Faster)
}

fn pct(v: Option<f64>) -> String {
    v.map_or("—".into(), |c| format!("{:+.1}%", c * 100.0))
}

/// Per thread count, the power rows flagged slower over the rows.
fn power_by_threads(v: &CompareValidation, threads: u32) -> (usize, usize) {
    let rows: Vec<&Row> = v
        .power
        .rows
        .iter()
        .filter(|r| r.cell.threads == threads)
        .collect();
    (
        rows.iter().filter(|r| r.verdict == Verdict::Slower).count(),
        rows.len(),
    )
}

/// `compare-validation.md`: what was run, the summary, per cell the delay, its nominal
/// and true size and the verdicts, then the tables.
pub fn render_validation(v: &CompareValidation, command: &str) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "<!-- Generated by `mapbench compare-validate`; do not edit. Regenerate with the command below. -->\n"
    );
    let _ = writeln!(s, "```sh\n{command}\n```\n");
    let cells = v.aa.rows.len();
    let _ = writeln!(
        s,
        "Suite `{VALIDATION_SUITE}`, {cells} cells, run cell by cell as five series from one \
         build: A1 and A2 (the same), B (the runners' `--op-delay-ns`, a spin inside every \
         op), {} repeats each, the three taking turns repeat by repeat (A1 A2 B, A2 B A1, \
         B A1 A2, …); then {} alternating pairs of truth A and truth B (B's delay again), \
         to measure the true size of the injected change with many repeats. Each cell's \
         delay is set from its first A1 and A2 runs so that, if it simply added to every \
         op, throughput would drop by {:.0}%. The compare is the one `mapbench compare` \
         makes: paired by repeat number, alpha {}. {} runs in {:.0} s; {} run again \
         because the rest of the machine used more than {} CPUs meanwhile; the rest of \
         the machine used {:.2} CPUs during the median kept run.\n",
        v.repeats,
        v.truth_pairs,
        POWER_SLOWDOWN * 100.0,
        v.aa.alpha,
        v.runs,
        v.seconds,
        v.reruns,
        DISTURBED_CPUS,
        v.other_cpus
    );
    s.push_str(&method_paragraph(Metric::Throughput, v.aa.alpha));
    summary_tables(&mut s, v);
    power_by_threads_table(&mut s, v);
    per_cell_table(&mut s, v);
    let _ = writeln!(s, "\n##### A/A: A1 (base) vs A2 (new)\n");
    s.push_str(&render_tables(&v.aa));
    let _ = writeln!(s, "##### Power: A1 (base) vs B, delayed (new)\n");
    s.push_str(&render_tables(&v.power));
    let _ = writeln!(
        s,
        "##### True size: truth A (base) vs truth B, delayed (new)\n"
    );
    s.push_str(&render_tables(&v.truth));
    s
}

/// The validation's summary: per test the rows flagged, then what one compare can
/// detect here (the A/A interval's half-width, the true size of the injected change).
fn summary_tables(s: &mut String, v: &CompareValidation) {
    let _ = writeln!(
        s,
        "| test | cells | flagged (p < alpha) | ↓ slower | ↑ faster | median change |"
    );
    let _ = writeln!(s, "|---|---:|---|---:|---:|---:|");
    let median_change = |c: &Comparison| {
        let v: Vec<f64> = c.rows.iter().filter_map(|r| r.change).collect();
        pct(stats::median(&v))
    };
    for (name, c) in [
        ("A/A: A1 vs A2", &v.aa),
        ("power: A1 vs B (delayed)", &v.power),
        ("truth: truth A vs truth B", &v.truth),
    ] {
        let _ = writeln!(
            s,
            "| {name} | {} | {} | {} | {} | {} |",
            c.rows.len(),
            fraction(flagged(c), c.testable()),
            c.count(Verdict::Slower),
            c.count(Verdict::Faster),
            median_change(c)
        );
    }
    let _ = writeln!(s);
    let half: Vec<f64> =
        v.aa.rows
            .iter()
            .filter_map(|r| r.change_ci)
            .map(|c| (c.hi - c.lo) / 2.0)
            .collect();
    let true_sizes: Vec<f64> = v.truth.rows.iter().filter_map(|r| r.change).collect();
    let _ = writeln!(
        s,
        "| what one compare can detect here | value |\n|---|---:|\n\
         | A/A change interval, median half-width over the cells | {} |\n\
         | A/A change interval, largest half-width | {} |\n\
         | true size of the injected change, median over the cells | {} |\n\
         | true size of the injected change, smallest cell | {} |\n\
         | true size of the injected change, largest cell | {} |\n",
        pct(stats::median(&half)).trim_start_matches('+'),
        pct(half.iter().copied().reduce(f64::max)).trim_start_matches('+'),
        pct(stats::median(&true_sizes)),
        pct(true_sizes.iter().copied().reduce(f64::max)),
        pct(true_sizes.iter().copied().reduce(f64::min)),
    );
}

/// Per thread count, the power rows flagged slower.
fn power_by_threads_table(s: &mut String, v: &CompareValidation) {
    let _ = writeln!(s, "| threads | power: cells flagged ↓ slower |");
    let _ = writeln!(s, "|---:|---|");
    let mut threads: Vec<u32> = v.power.rows.iter().map(|r| r.cell.threads).collect();
    threads.sort_unstable();
    threads.dedup();
    for t in threads {
        let (k, n) = power_by_threads(v, t);
        let _ = writeln!(s, "| {t} | {} |", fraction(k, n));
    }
    let _ = writeln!(s);
}

/// Per cell: the delay, its nominal and true size, and what one compare saw.
fn per_cell_table(s: &mut String, v: &CompareValidation) {
    let _ = writeln!(
        s,
        "Per cell: the delay, the change it would make if it simply added, its true size \
         (median ratio of the truth pairs, with its 95% interval), and what one compare saw \
         (A/A and power).\n"
    );
    let _ = writeln!(
        s,
        "| cell | per-thread ns/op | delay ns | nominal | true change | true 95% CI | A/A change | A/A | power change | power |"
    );
    let _ = writeln!(s, "|---|---:|---:|---:|---:|---|---:|---|---:|---|");
    for d in &v.delays {
        let find = |c: &Comparison| c.rows.iter().find(|r| r.cell == d.cell).cloned();
        let (aa, pw, tr) = (find(&v.aa), find(&v.power), find(&v.truth));
        let ci = tr
            .as_ref()
            .and_then(|r| r.change_ci)
            .map_or("—".into(), |c| {
                format!("{:+.1}% – {:+.1}%", c.lo * 100.0, c.hi * 100.0)
            });
        let mark = |r: &Option<Row>| r.as_ref().map_or("—", |r| r.verdict.mark());
        let _ = writeln!(
            s,
            "| `{}` | {:.1} | {} | {:+.1}% | {} | {ci} | {} | {} | {} | {} |",
            d.cell,
            d.per_thread_ns,
            d.delay_ns,
            d.expected_change() * 100.0,
            pct(tr.as_ref().and_then(|r| r.change)),
            pct(aa.as_ref().and_then(|r| r.change)),
            mark(&aa),
            pct(pw.as_ref().and_then(|r| r.change)),
            mark(&pw),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parallel_map_keeps_item_order_and_returns_the_first_error() {
        let items: Vec<u64> = (0..40).collect();
        // Later items finish first, so completion order is not item order.
        let out = parallel_map(&items, 4, |&i| {
            std::thread::sleep(std::time::Duration::from_micros(200 * (40 - i)));
            Ok(i * 3)
        })
        .unwrap();
        assert_eq!(out, items.iter().map(|i| i * 3).collect::<Vec<_>>());
        let err = parallel_map(&items, 2, |&i| {
            if i >= 5 {
                Err(Failure::Failed(anyhow!("item {i}")))
            } else {
                Ok(i)
            }
        })
        .map(|v| v.len());
        match err {
            Err(Failure::Failed(e)) => assert_eq!(e.to_string(), "item 5"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn runs_pair_by_repeat_number_or_not_at_all() {
        assert_eq!(
            repeat_of("compare-check-rust-dashmap-foldhash-read-heavy-t2-r7"),
            Some(7)
        );
        assert_eq!(repeat_of("r-x-r12"), Some(12));
        assert_eq!(repeat_of("no-repeat"), None);
        // Pairs in any order; the ratio is new ÷ base.
        let r = pair_ratios(&[(1, 10.0), (2, 20.0)], &[(2, 10.0), (1, 5.0)]).unwrap();
        assert_eq!(r, vec![0.5, 0.5]);
        // A run without its partner, a repeated number, one pair only, or an id without
        // a number: unpaired.
        assert!(pair_ratios(&[(1, 1.0), (2, 1.0)], &[(1, 1.0), (3, 1.0)]).is_none());
        assert!(pair_ratios(&[(1, 1.0), (1, 1.0)], &[(1, 1.0), (2, 1.0)]).is_none());
        assert!(pair_ratios(&[(1, 1.0)], &[(1, 1.0)]).is_none());
        assert!(pair_ratios(&[(0, 1.0), (0, 2.0)], &[(0, 1.0), (0, 2.0)]).is_none());
        assert!(pair_ratios(&[(1, 1.0), (2, 1.0)], &[(1, 1.0)]).is_none());
    }

    #[test]
    fn the_delay_is_the_additive_cost_of_the_asked_slowdown() {
        // t = 90 ns, 10 %: d = 10 ns, and 10 / (90 + 10) = 10 %.
        assert_eq!(delay_for(90.0, 0.10), 10);
        let d = CellDelay {
            cell: CellKey {
                workload: "w".into(),
                lang: Lang::Rust,
                map: "m".into(),
                threads: 1,
            },
            per_thread_ns: 90.0,
            delay_ns: delay_for(90.0, 0.10),
        };
        assert!((d.expected_change() + 0.10).abs() < 1e-12);
        // Never less than 1 ns (0 would turn the delay off).
        assert_eq!(delay_for(1.0, 0.10), 1);
    }

    #[test]
    fn other_cpus_subtract_the_child() {
        let at = Instant::now();
        let a = CpuClock {
            machine_busy_s: 10.0,
            children_s: 1.0,
            at,
        };
        let b = CpuClock {
            machine_busy_s: 11.5,
            children_s: 1.8,
            at: at + std::time::Duration::from_secs(1),
        };
        assert!((other_cpus(a, b) - 0.7).abs() < 1e-9);
    }

    #[test]
    fn instruction_mode_shrinks_the_table_and_keeps_the_fill_and_mix() {
        let spec =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("workloads/read-heavy.toml");
        let w = crate::workload::load(&spec, Default::default()).unwrap();
        let s = icount_workload(&w, 123);
        assert_eq!(s.key_space, ICOUNT_KEY_SPACE);
        assert_eq!(s.ops_per_thread, 123);
        // Filled to the same fraction (75%), same mix and distribution.
        assert_eq!(s.prefill_count, ICOUNT_KEY_SPACE * 3 / 4);
        assert_eq!((s.mix, s.distribution), (w.mix, w.distribution));
        // A table already small is left as it is.
        let t = icount_workload(&s, 7);
        assert_eq!(
            (t.key_space, t.prefill_count),
            (s.key_space, s.prefill_count)
        );
    }

    #[test]
    fn spin_cost_counts_the_entry_once_per_op() {
        // 0 steps: 500/op; 1 step: 508; 100 steps: 1102 (6 per step, 2 to enter).
        let c = SpinCost::from_probes(500.0, 508.0, 100, 1102.0);
        assert!((c.per_step - 6.0).abs() < 1e-9, "{c:?}");
        assert!((c.per_spin - 2.0).abs() < 1e-9, "{c:?}");
        assert_eq!(c.added(0), 0.0);
        assert!((c.added(3) - 20.0).abs() < 1e-9);
        // +10% of 76 instructions: 1 step adds 8 (the entry included), 2 add 14.
        assert_eq!(c.steps_for(7.6), 1);
        assert_eq!(c.steps_for(12.0), 2);
        assert_eq!(c.steps_for(0.5), 1, "never zero steps");
    }

    #[test]
    fn an_instruction_change_under_the_floor_is_not_flagged_however_small_its_p() {
        let v = |m, c| verdict_of(m, Some(0.004), Some(c), 0.004, 0.01);
        // Lower is faster for instructions: +0.05% in every pair is below the floor.
        assert_eq!(v(Metric::Instructions, 0.0005), Verdict::NoChange);
        assert_eq!(v(Metric::Instructions, -0.0005), Verdict::NoChange);
        assert_eq!(v(Metric::Instructions, 0.02), Verdict::Slower);
        assert_eq!(v(Metric::Instructions, -0.02), Verdict::Faster);
        // Timed metrics keep no floor; p at or above alpha never flags.
        assert_eq!(v(Metric::Throughput, 0.0005), Verdict::Faster);
        assert_eq!(
            verdict_of(Metric::Instructions, Some(0.02), Some(0.5), 0.004, 0.01),
            Verdict::NoChange
        );
        assert_eq!(
            verdict_of(Metric::Throughput, Some(0.001), Some(0.5), 0.01, 0.01),
            Verdict::TooFewSamples
        );
    }

    #[test]
    fn verdict_marks_name_the_direction() {
        assert_eq!(Verdict::Slower.mark(), "↓ slower");
        assert_eq!(Verdict::Faster.mark(), "↑ faster");
        assert!(Verdict::TooFewSamples.mark().contains("too few samples"));
    }
}

/// Instruction mode's trace: the workload's mix, distribution and fill on this many
/// keys (a shorter prefill: under valgrind it is the slow part, and it cancels anyway).
pub const ICOUNT_KEY_SPACE: u64 = 65_536;
/// Ops per thread of the short trace.
pub const ICOUNT_OPS: u64 = 20_000;
/// Ops per thread of the long trace: a million more than the short one. What a run
/// costs once (start-up, the collection after the prefill, the Go page allocator's
/// state) cancels in the difference only on average; what is left over, a few hundred
/// thousand instructions from run to run in the Go runner, is divided by the
/// difference in ops, so that is made large.
pub const ICOUNT_LONG_OPS: u64 = ICOUNT_OPS + 1_000_000;
/// Steps of the two noop runs that measure the spin's cost: one step, and this many.
const ICOUNT_STEP_PROBE: u64 = 100;

/// What `--op-work-steps N` adds to an op, in instructions, measured on the noop map:
/// `N · per_step + per_spin` for N ≥ 1, nothing for N = 0. `per_spin` is the cost of
/// entering and leaving a spin that runs at all (a branch or two, depending on how the
/// compiler laid out the loop): small, but with one step per op it is a sizeable part
/// of what B adds, so it is measured rather than taken as zero.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SpinCost {
    pub per_step: f64,
    pub per_spin: f64,
}

impl SpinCost {
    /// From the noop map's instructions per op with 0, 1 and `probe` (> 1) steps.
    pub fn from_probes(zero: f64, one: f64, probe_steps: u64, probe: f64) -> SpinCost {
        let per_step = (probe - one) / (probe_steps - 1) as f64;
        SpinCost {
            per_step,
            per_spin: one - zero - per_step,
        }
    }

    /// Instructions `steps` steps add per op.
    pub fn added(&self, steps: u64) -> f64 {
        if steps == 0 {
            0.0
        } else {
            steps as f64 * self.per_step + self.per_spin
        }
    }

    /// The step count (at least 1) whose added instructions come closest to `target`.
    pub fn steps_for(&self, target: f64) -> u64 {
        let n = ((target - self.per_spin) / self.per_step).round();
        if n.is_finite() && n >= 1.0 {
            n as u64
        } else {
            1
        }
    }
}

/// The workload instruction mode replays: `w` on [`ICOUNT_KEY_SPACE`] keys, the
/// prefill scaled alike, `ops` per thread.
pub fn icount_workload(w: &crate::workload::Workload, ops: u64) -> crate::workload::Workload {
    let mut s = w.clone();
    let scale = ICOUNT_KEY_SPACE as f64 / w.key_space.max(1) as f64;
    if w.key_space > ICOUNT_KEY_SPACE {
        s.key_space = ICOUNT_KEY_SPACE;
        s.prefill_count = (w.prefill_count as f64 * scale).round() as u64;
    }
    s.ops_per_thread = ops;
    s
}

/// One cell of instruction mode: counts and the injected work.
#[derive(Debug, Clone)]
pub struct IcountCell {
    pub cell: CellKey,
    pub noop_per_op: f64,
    /// The map's net instructions per op in the first A1 run.
    pub net_per_op: f64,
    pub work_steps: u64,
    /// What a spin costs in this cell's runner.
    pub spin: SpinCost,
    pub seconds: f64,
}

impl IcountCell {
    /// The change the injected work makes if it simply adds its instructions (as
    /// measured on the noop map).
    pub fn nominal(&self) -> f64 {
        self.spin.added(self.work_steps) / self.net_per_op
    }
}

/// What instruction-mode compare-validate found.
pub struct IcountValidation {
    pub aa: Comparison,
    pub power: Comparison,
    pub cells: Vec<IcountCell>,
    pub repeats: u32,
    pub runs: usize,
    pub seconds: f64,
    /// Cells counted at once.
    pub jobs: usize,
}

struct IcountRuns<'a> {
    runners: &'a BTreeMap<Lang, crate::runners::Runner>,
    logs: PathBuf,
    counts: PathBuf,
    started: std::sync::atomic::AtomicUsize,
}

impl IcountRuns<'_> {
    /// One run under cachegrind into `dir`: its instructions and ops.
    #[allow(clippy::too_many_arguments)]
    fn count(
        &self,
        lang: Lang,
        map: &str,
        trace: &Path,
        settings: &crate::suite::RunnerSettings,
        work_steps: u64,
        dir: &Path,
        run_id: &str,
    ) -> Result<crate::icount::Count, Failure> {
        if orchestrate::interrupted() {
            return Err(Failure::Failed(anyhow!("interrupted")));
        }
        let runner = &self.runners[&lang];
        let mut argv = vec![runner.path.display().to_string()];
        argv.extend(crate::runners::run_args(trace, map, dir, run_id, settings));
        // Always given, 0 included: both sides then run the spin loop (RUNNER-SPEC.md).
        argv.extend(["--op-work-steps".into(), work_steps.to_string()]);
        let dir_name = dir.file_name().map_or("x".into(), |n| n.to_string_lossy());
        let out = self.counts.join(format!("{dir_name}-{run_id}.out"));
        // env outside valgrind: valgrind does not follow env's exec into the runner.
        let argv = crate::icount::with_env(lang, crate::icount::valgrind_argv(&out, &argv));
        remove_outputs(dir, run_id);
        self.started
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        run_or_fail(&argv, dir, &self.logs, run_id, 900, " under valgrind")?;
        let text = std::fs::read_to_string(&out)
            .with_context(|| format!("{}: cannot read", out.display()))
            .map_err(Failure::Failed)?;
        let ir = crate::icount::parse_total_ir(&text, &out).map_err(Failure::Failed)?;
        let run = results::read_run(&dir.join(format!("{run_id}.jsonl")))
            .map_err(|e| Failure::Failed(e.into()))?;
        let ops = run
            .end
            .as_ref()
            .and_then(|e| e.ops.as_ref())
            .map(|o| o.total)
            .ok_or_else(|| Failure::Failed(anyhow!("{run_id}: no run_end ops")))?;
        Ok(crate::icount::Count { ir, ops })
    }
}

/// `f` over `items` on up to `jobs` threads, results in `items`' order. After the first
/// error no new item starts; the first error in item order is returned.
fn parallel_map<T: Sync, R: Send>(
    items: &[T],
    jobs: usize,
    f: impl Fn(&T) -> Result<R, Failure> + Sync,
) -> Result<Vec<R>, Failure> {
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    let next = AtomicUsize::new(0);
    let failed = AtomicBool::new(false);
    let slots: Mutex<Vec<Option<Result<R, Failure>>>> =
        Mutex::new((0..items.len()).map(|_| None).collect());
    std::thread::scope(|scope| {
        for _ in 0..jobs.clamp(1, items.len().max(1)) {
            scope.spawn(|| {
                loop {
                    if failed.load(Ordering::SeqCst) {
                        return;
                    }
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    let Some(item) = items.get(i) else { return };
                    let r = f(item);
                    if r.is_err() {
                        failed.store(true, Ordering::SeqCst);
                    }
                    slots.lock().expect("no worker panics holding it")[i] = Some(r);
                }
            });
        }
    });
    let mut out = Vec::with_capacity(items.len());
    for slot in slots.into_inner().expect("no worker panicked") {
        match slot {
            Some(r) => out.push(r?),
            // Not started after an earlier error: that error was returned above.
            None => break,
        }
    }
    if out.len() < items.len() {
        return Err(Failure::Failed(anyhow!("stopped after an error")));
    }
    Ok(out)
}

/// Cells counted at once in instruction mode: valgrind runs all of a program's threads
/// on one core, so one run at a time per core, and counts do not depend on the load.
pub fn icount_jobs() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// `mapbench compare-validate --metric instructions`: per cell, a noop baseline, then
/// A1, A2 and B (B with `--op-work-steps` sized for +10% instructions) by repeat,
/// under cachegrind; the compare of A1 vs A2 and A1 vs B by instructions; writes
/// `icount-validation.md` into `opts.out`. `only`: keep the cells whose name contains
/// it. Cells run on [`icount_jobs`] threads, each cell's series in its own order.
pub fn compare_validate_instructions(
    opts: &CompareValidateOptions,
    only: Option<&str>,
) -> Result<IcountValidation, Failure> {
    let started = Instant::now();
    let series = ["a1", "a2", "b-work", "short", "noop"];
    let Setup {
        suite,
        cells,
        runners,
        runs_dir,
        cache,
    } = Setup::new(opts, "runs-icount", &series, &["logs", "cachegrind"])?;
    let logs = runs_dir.join("logs");
    let counts = runs_dir.join("cachegrind");
    let cells: Vec<_> = cells
        .into_iter()
        .filter(|c| only.is_none_or(|o| cell_key(c).to_string().contains(o)))
        .collect();
    if cells.is_empty() {
        return Err(Failure::BadInput(anyhow!(
            "--only {:?}: no cell of suite {VALIDATION_SUITE} matches",
            only.unwrap_or("")
        )));
    }
    let repeats = repeats_of(opts, &cells);
    // Every trace first, one at a time: cells of one workload share theirs.
    let mut traces = Vec::with_capacity(cells.len());
    for cell in &cells {
        let trace = |ops| {
            orchestrate::ensure_trace(&cache, &icount_workload(&cell.workload, ops))
                .map(|t| t.path)
                .map_err(Failure::Failed)
        };
        traces.push((trace(ICOUNT_OPS)?, trace(ICOUNT_LONG_OPS)?));
    }
    let runs = IcountRuns {
        runners: &runners,
        logs,
        counts,
        started: Default::default(),
    };
    let jobs = icount_jobs();
    let (langs, spins) = spin_costs(&runs, &suite.name, &cells, &traces, &runs_dir, jobs)?;
    let spin_of = |lang: Lang| spins[langs.iter().position(|l| *l == lang).expect("listed")];
    let tool = crate::icount::tool_label();
    let indexed: Vec<usize> = (0..cells.len()).collect();
    let out_cells = parallel_map(&indexed, jobs, |&i| {
        icount_cell(
            &runs,
            &suite.name,
            &cells[i],
            &traces[i],
            icount_settings(&cells[i]),
            spin_of(cells[i].lang),
            repeats,
            &runs_dir,
            &tool,
        )
    })?;
    let dir = |s: &str| runs_dir.join(s);
    let aa = compare_dirs(&dir("a1"), &dir("a2"), Metric::Instructions, opts.alpha)?;
    let power = compare_dirs(&dir("a1"), &dir("b-work"), Metric::Instructions, opts.alpha)?;
    let v = IcountValidation {
        aa,
        power,
        cells: out_cells,
        repeats,
        runs: runs.started.into_inner(),
        seconds: started.elapsed().as_secs_f64(),
        jobs,
    };
    write_icount_validation(opts, &v)?;
    Ok(v)
}

/// Writes `icount-validation.md` into `opts.out` and says so.
fn write_icount_validation(
    opts: &CompareValidateOptions,
    v: &IcountValidation,
) -> Result<(), Failure> {
    let page = render_icount_validation(v, &crate::validate::regenerate_command());
    let out = opts.out.join("icount-validation.md");
    write_file(&out, &page).map_err(Failure::Failed)?;
    eprintln!(
        "mapbench: compare-validate (instructions): A/A {}; power {}; wrote {} in {:.0} s",
        summary_line(&v.aa),
        summary_line(&v.power),
        out.display(),
        v.seconds
    );
    Ok(())
}

/// A cell's runner settings in instruction mode: a fixed number of ops (no duration,
/// no warm-up), no latency samples, one interval, no delay.
fn icount_settings(cell: &crate::suite::Cell) -> crate::suite::RunnerSettings {
    let mut settings = cell.runner;
    settings.duration_ms = 0;
    settings.warmup_ops = 0;
    settings.latency_sample_every = 0;
    settings.interval_ms = 3_600_000;
    settings.op_delay_ns = 0;
    settings
}

/// What a spin costs, per language of `cells`, on the noop map with the traces of the
/// language's first cell (the traces only change what a step is added to): the
/// languages and their costs, in the same order.
fn spin_costs(
    runs: &IcountRuns,
    suite: &str,
    cells: &[crate::suite::Cell],
    traces: &[(PathBuf, PathBuf)],
    runs_dir: &Path,
    jobs: usize,
) -> Result<(Vec<Lang>, Vec<SpinCost>), Failure> {
    let langs: Vec<Lang> = Lang::ALL
        .into_iter()
        .filter(|l| cells.iter().any(|c| c.lang == *l))
        .collect();
    let spins = parallel_map(&langs, jobs, |&lang| {
        let i = cells.iter().position(|c| c.lang == lang).expect("filtered");
        let (cell, (short_t, long_t)) = (&cells[i], &traces[i]);
        let settings = icount_settings(cell);
        let noop_dir = runs_dir.join("noop");
        let probe = |w: u64| -> Result<f64, Failure> {
            let id = format!("{}-spin{w}", cell.run_id(suite, 0));
            let s = runs.count(
                lang,
                "noop",
                short_t,
                &settings,
                w,
                &noop_dir,
                &format!("{id}-s"),
            )?;
            let l = runs.count(
                lang,
                "noop",
                long_t,
                &settings,
                w,
                &noop_dir,
                &format!("{id}-l"),
            )?;
            crate::icount::per_op(s, l).map_err(Failure::Failed)
        };
        let zero = probe(0)?;
        let one = probe(1)?;
        let many = probe(ICOUNT_STEP_PROBE)?;
        Ok(SpinCost::from_probes(zero, one, ICOUNT_STEP_PROBE, many))
    })?;
    Ok((langs, spins))
}

/// The compare key of a suite cell.
fn cell_key(cell: &crate::suite::Cell) -> CellKey {
    CellKey {
        workload: cell.workload.name.clone(),
        lang: cell.lang,
        map: cell.map.clone(),
        threads: cell.threads(),
    }
}

/// One cell of instruction mode: the noop map's count on its two traces, then A1, A2
/// and B taking turns repeat by repeat (B sized from A1's first count).
#[allow(clippy::too_many_arguments)]
fn icount_cell(
    runs: &IcountRuns,
    suite: &str,
    cell: &crate::suite::Cell,
    (short_t, long_t): &(PathBuf, PathBuf),
    settings: crate::suite::RunnerSettings,
    spin: SpinCost,
    repeats: u32,
    runs_dir: &Path,
    tool: &str,
) -> Result<IcountCell, Failure> {
    let cell_started = Instant::now();
    let key = cell_key(cell);
    let dir = |s: &str| runs_dir.join(s);
    let id = |tag: &str| format!("{}-{tag}", cell.run_id(suite, 0));
    let (lang, map) = (cell.lang, cell.map.as_str());
    let noop_s = runs.count(
        lang,
        "noop",
        short_t,
        &settings,
        0,
        &dir("noop"),
        &id("noop-s"),
    )?;
    let noop_l = runs.count(
        lang,
        "noop",
        long_t,
        &settings,
        0,
        &dir("noop"),
        &id("noop-l"),
    )?;
    let noop = crate::icount::per_op(noop_s, noop_l).map_err(Failure::Failed)?;
    let short_a = runs.count(lang, map, short_t, &settings, 0, &dir("short"), &id("a"))?;
    let mut short_b = None;
    let mut ic = IcountCell {
        cell: key.clone(),
        noop_per_op: noop,
        net_per_op: f64::NAN,
        work_steps: 0,
        spin,
        seconds: 0.0,
    };
    for k in 1..=repeats {
        let rid = cell.run_id(suite, k);
        for i in 0..3usize {
            let s = (i + k as usize - 1) % 3;
            if s == 2 && short_b.is_none() {
                // B needs A's count to size its work: A1 r1 runs first (k = 1, s = 0).
                ic.work_steps = spin.steps_for(POWER_SLOWDOWN * ic.net_per_op);
                short_b = Some(runs.count(
                    lang,
                    map,
                    short_t,
                    &settings,
                    ic.work_steps,
                    &dir("short"),
                    &id("b"),
                )?);
            }
            let (name, steps, short) = match s {
                0 => ("a1", 0, short_a),
                1 => ("a2", 0, short_a),
                _ => ("b-work", ic.work_steps, short_b.expect("set above")),
            };
            let long = runs.count(lang, map, long_t, &settings, steps, &dir(name), &rid)?;
            let side = crate::icount::Sidecar::new(tool.to_string(), short, long, noop, steps)
                .map_err(Failure::Failed)?;
            if k == 1 && s == 0 {
                ic.net_per_op = side.net_per_op;
            }
            let path = crate::icount::sidecar_path(&dir(name).join(format!("{rid}.jsonl")));
            write_file(
                &path,
                &serde_json::to_string_pretty(&side).expect("serializable"),
            )
            .map_err(Failure::Failed)?;
        }
    }
    ic.seconds = cell_started.elapsed().as_secs_f64();
    eprintln!(
        "mapbench: compare-validate (instructions): {key}: {:.1} net instructions/op \
         (noop {:.1}), +{} steps = {:+.1}%, {:.0} s",
        ic.net_per_op,
        noop,
        ic.work_steps,
        ic.nominal() * 100.0,
        ic.seconds
    );
    Ok(ic)
}

/// `icount-validation.md`: the method, the summary, per cell the counts, the injected
/// work and the verdicts, then the tables.
pub fn render_icount_validation(v: &IcountValidation, command: &str) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "<!-- Generated by `mapbench compare-validate --metric instructions`; do not edit. Regenerate with the command below. -->\n"
    );
    let _ = writeln!(s, "```sh\n{command}\n```\n");
    let _ = writeln!(
        s,
        "Suite `{VALIDATION_SUITE}`, {} cells, each run under `{}` on the workload's mix \
         over {ICOUNT_KEY_SPACE} keys, once with {ICOUNT_OPS} and once with {} ops per \
         thread. Three series, {} repeats each, taking turns repeat by repeat: A1 and A2 \
         (the same) and B (the runners' `--op-work-steps`, a fixed number of spin steps \
         inside every op, sized from A1's first count for +{:.0}% instructions). {} runs \
         under valgrind in {:.0} s, {} cell(s) at a time (valgrind runs a program's \
         threads one at a time, on one core; the load does not change a count).\n",
        v.cells.len(),
        crate::icount::tool_label(),
        ICOUNT_LONG_OPS,
        v.repeats,
        POWER_SLOWDOWN * 100.0,
        v.runs,
        v.seconds,
        v.jobs
    );
    let mut spins: Vec<(Lang, SpinCost)> = Vec::new();
    for c in &v.cells {
        if !spins.iter().any(|(l, _)| *l == c.cell.lang) {
            spins.push((c.cell.lang, c.spin));
        }
    }
    let spins: Vec<String> = spins
        .iter()
        .map(|(l, c)| {
            format!(
                "{l} runner {:.2} instructions per step plus {:.2} per op that spins",
                c.per_step, c.per_spin
            )
        })
        .collect();
    let _ = writeln!(
        s,
        "What the spin adds, measured on the noop map with 1 and {ICOUNT_STEP_PROBE} steps: \
         {}. The nominal change is that, over the map's net instructions per op.\n",
        spins.join("; ")
    );
    s.push_str(&method_paragraph(Metric::Instructions, v.aa.alpha));
    let _ = writeln!(
        s,
        "| test | cells | flagged (p < alpha) | ↓ slower | ↑ faster |\n|---|---:|---|---:|---:|"
    );
    for (name, c) in [
        ("A/A: A1 vs A2", &v.aa),
        ("power: A1 vs B (extra work)", &v.power),
    ] {
        let _ = writeln!(
            s,
            "| {name} | {} | {} | {} | {} |",
            c.rows.len(),
            fraction(flagged(c), c.testable()),
            c.count(Verdict::Slower),
            c.count(Verdict::Faster)
        );
    }
    let _ = writeln!(
        s,
        "\nThe noop map's count per op includes the runner's start-up check of the trace \
         (its SHA-256, over every byte), which grows with the trace's length and so does \
         not cancel between the short and the long run; it is the same for every map on \
         the same traces and cancels in the net count, which is what is compared.\n"
    );
    let _ = writeln!(
        s,
        "| cell | noop instructions/op | net instructions/op | work steps | nominal | A/A change | A/A | power change | power | seconds |"
    );
    let _ = writeln!(s, "|---|---:|---:|---:|---:|---:|---|---:|---|---:|");
    for c in &v.cells {
        let find = |x: &Comparison| x.rows.iter().find(|r| r.cell == c.cell).cloned();
        let (aa, pw) = (find(&v.aa), find(&v.power));
        let mark = |r: &Option<Row>| r.as_ref().map_or("—", |r| r.verdict.mark());
        let _ = writeln!(
            s,
            "| `{}` | {:.1} | {:.1} | {} | {:+.1}% | {} | {} | {} | {} | {:.0} |",
            c.cell,
            c.noop_per_op,
            c.net_per_op,
            c.work_steps,
            c.nominal() * 100.0,
            pct(aa.as_ref().and_then(|r| r.change)),
            mark(&aa),
            pct(pw.as_ref().and_then(|r| r.change)),
            mark(&pw),
            c.seconds
        );
    }
    let _ = writeln!(s, "\n##### A/A: A1 (base) vs A2 (new)\n");
    s.push_str(&render_tables(&v.aa));
    let _ = writeln!(s, "##### Power: A1 (base) vs B, extra work (new)\n");
    s.push_str(&render_tables(&v.power));
    s
}
