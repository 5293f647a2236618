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

use crate::orchestrate::{self, Failure, RunOptions, RunSummary};
use crate::results::{self, Lang, Outcome, ResultsDir, RunFile};
use crate::stats::{self, MannWhitney, MedianCi};

/// The confidence of the median intervals (benchstat's default).
pub const CONFIDENCE: f64 = 0.95;

/// What is compared per run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Metric {
    /// `run_end.throughput_ops_per_s`; higher is faster.
    Throughput,
    /// `run_end.lat_ns.p99` (from the merged histogram); lower is faster.
    P99,
}

impl Metric {
    fn sample(self, run: &RunFile) -> Option<f64> {
        match self {
            Metric::Throughput => run.throughput(),
            Metric::P99 => run.end.as_ref()?.lat_ns?.p99.map(|v| v as f64),
        }
    }

    fn higher_is_faster(self) -> bool {
        self == Metric::Throughput
    }

    fn unit(self) -> &'static str {
        match self {
            Metric::Throughput => "M ops/s",
            Metric::P99 => "p99 ns",
        }
    }

    fn show(self, v: f64) -> String {
        match self {
            Metric::Throughput => format!("{:.3}", v / 1e6),
            Metric::P99 => format!("{v:.0}"),
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

impl SideCell<'_> {
    fn samples(&self, metric: Metric) -> Vec<f64> {
        self.runs
            .iter()
            .filter(|r| r.outcome() == Outcome::Ok)
            .filter_map(|r| metric.sample(r))
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
    /// (new - base) / base of the medians.
    pub change: Option<f64>,
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
        let change = match (bm, nm) {
            (Some(b), Some(n)) if b != 0.0 => Some((n - b) / b),
            _ => None,
        };
        let test = stats::mann_whitney(&xs, &ys);
        let verdict = if stats::min_p(xs.len(), ys.len()) >= alpha {
            Verdict::TooFewSamples
        } else {
            match (test, change) {
                (Some(t), Some(c)) if t.p < alpha && c != 0.0 => {
                    if (c > 0.0) == metric.higher_is_faster() {
                        Verdict::Faster
                    } else {
                        Verdict::Slower
                    }
                }
                _ => Verdict::NoChange,
            }
        };
        rows.push(Row {
            cell: key.clone(),
            base_ci: stats::median_ci(&xs, CONFIDENCE),
            new_ci: stats::median_ci(&ys, CONFIDENCE),
            base: xs,
            new: ys,
            base_median: bm,
            new_median: nm,
            change,
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
            "| map | lang | threads | base median | base 95% CI | new median | new 95% CI | change | p | n | |"
        );
        let _ = writeln!(s, "|---|---|---:|---:|---|---:|---|---:|---:|---:|---|");
        for r in rows {
            let med = |v: Option<f64>| v.map_or("—".into(), |v| m.show(v));
            let change = r
                .change
                .map_or("—".into(), |c| format!("{:+.1}%", c * 100.0));
            let p = match (r.verdict, r.test) {
                (Verdict::TooFewSamples, _) | (_, None) => "—".into(),
                (_, Some(t)) => format!("{:.3}", t.p),
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
                "| {} | {} | {} | {} | {} | {} | {} | {change} | {p} | {n} | {} |",
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
    let _ = writeln!(
        s,
        "Metric: {} ({}), one sample per run; median of the runs, its 95% order-statistic \
         confidence interval († = fewer than 6 runs, the interval is min – max and covers \
         less than 95%), change of the medians, two-sided Mann-Whitney U p-value; \
         ↑/↓ marks p < {}.\n",
        match m {
            Metric::Throughput => "throughput, higher is faster",
            Metric::P99 => "p99 latency, lower is faster",
        },
        m.unit(),
        c.alpha
    );
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

/// The slowdown the power test injects, as a fraction of the measured per-op time.
pub const POWER_SLOWDOWN: f64 = 0.10;

/// Options of `mapbench compare-validate`.
pub struct CompareValidateOptions {
    pub out: PathBuf,
    /// Overrides the suite's repeat count (0 = the suite's).
    pub repeats: Option<u32>,
    /// One injected delay for every map; default: per map, POWER_SLOWDOWN of that
    /// map's per-thread ns/op in the first A1 repeat.
    pub delay_ns: Option<u64>,
    pub rust_runner: Option<PathBuf>,
    pub go_runner: Option<PathBuf>,
    pub trace_cache: Option<PathBuf>,
    pub workloads_dir: PathBuf,
    pub suites_dir: PathBuf,
    pub alpha: f64,
}

/// The delay the power series injects into one map's runs.
#[derive(Debug, Clone, PartialEq)]
pub struct MapDelay {
    pub lang: Lang,
    pub map: String,
    /// Median per-thread ns per op of the map's first A1 repeat.
    pub per_thread_ns: f64,
    pub delay_ns: u64,
}

impl MapDelay {
    /// The throughput change the delay would cause if it simply added to every op.
    pub fn expected_change(&self) -> f64 {
        let d = self.delay_ns as f64;
        -d / (self.per_thread_ns + d)
    }
}

/// What compare-validate found.
pub struct CompareValidation {
    pub aa: Comparison,
    pub power: Comparison,
    pub delays: Vec<MapDelay>,
    /// The runners' clock-read cost (median `timer_overhead_ns` of the A1 runs): the
    /// spin behind `--op-delay-ns` reads the clock, so it cannot add much less than this.
    pub timer_overhead_ns: Option<f64>,
    pub seconds: f64,
}

/// Rewrites a suite's text with `[defaults]` overrides (`key = value` lines right after
/// the `[defaults]` header, which must exist and must not set them already).
fn suite_with(text: &str, overrides: &[(&str, u64)], file: &Path) -> anyhow::Result<String> {
    let mut out = String::new();
    let mut found = false;
    for line in text.lines() {
        let key = line.split('=').next().unwrap_or("").trim();
        if overrides.iter().any(|(k, _)| *k == key) {
            continue; // replaced below
        }
        out.push_str(line);
        out.push('\n');
        if line.trim() == "[defaults]" {
            found = true;
            for (k, v) in overrides {
                let _ = writeln!(out, "{k} = {v}");
            }
        }
    }
    if !found {
        return Err(anyhow!("{}: expected a [defaults] table", file.display()));
    }
    Ok(out)
}

/// Per map, per-thread nanoseconds per op of the ok runs (elapsed × threads ÷ ops):
/// what one worker spends on an op, which `--op-delay-ns` adds to, as a median over the
/// map's runs; and the runners' measured clock-read cost.
type PerMap = BTreeMap<(Lang, String), f64>;

fn per_map_costs(dir: &Path) -> Result<(PerMap, Option<f64>), Failure> {
    let d = load(dir)?;
    let mut per_map: BTreeMap<(Lang, String), Vec<f64>> = BTreeMap::new();
    for r in &d.runs {
        if let Some(ns) = r.ns_per_op() {
            per_map
                .entry((r.start.lang, r.start.map.clone()))
                .or_default()
                .push(ns * f64::from(r.start.threads));
        }
    }
    let timer: Vec<f64> = d
        .runs
        .iter()
        .filter_map(|r| r.start.latency.timer_overhead_ns)
        .collect();
    let medians: PerMap = per_map
        .into_iter()
        .filter_map(|(k, v)| Some((k, stats::median(&v)?)))
        .collect();
    if medians.is_empty() {
        return Err(Failure::Failed(anyhow!(
            "{}: no run ended ok",
            dir.display()
        )));
    }
    Ok((medians, stats::median(&timer)))
}

/// The suite with every group split into one group per map, each carrying that map's
/// `op_delay_ns` (the suite format allows per-group settings; run ids do not change).
fn suite_with_delays(text: &str, delays: &[MapDelay], file: &Path) -> anyhow::Result<String> {
    let mut doc: toml::Table =
        toml::from_str(text).with_context(|| format!("{}: not a suite", file.display()))?;
    let groups = match doc.remove("group") {
        Some(toml::Value::Array(g)) => g,
        _ => return Err(anyhow!("{}: expected [[group]] tables", file.display())),
    };
    let mut split = Vec::new();
    for g in groups {
        let toml::Value::Table(g) = g else {
            return Err(anyhow!("{}: a [[group]] is not a table", file.display()));
        };
        for lang in Lang::ALL {
            let maps = match g.get(lang.name()) {
                Some(toml::Value::Array(m)) => m.clone(),
                _ => continue,
            };
            for map in maps {
                let name = map.as_str().unwrap_or_default();
                let d = delays
                    .iter()
                    .find(|d| d.lang == lang && d.map == name)
                    .ok_or_else(|| {
                        anyhow!("{}: no A1 run of {lang} {name} ended ok", file.display())
                    })?;
                let mut one = g.clone();
                for other in Lang::ALL {
                    let list = if other == lang {
                        vec![map.clone()]
                    } else {
                        vec![]
                    };
                    one.insert(other.name().into(), toml::Value::Array(list));
                }
                one.insert(
                    "op_delay_ns".into(),
                    toml::Value::Integer(d.delay_ns as i64),
                );
                split.push(toml::Value::Table(one));
            }
        }
    }
    doc.insert("group".into(), toml::Value::Array(split));
    Ok(toml::to_string(&doc)?)
}

fn run_one_suite(
    opts: &CompareValidateOptions,
    suite_file: &Path,
    out: &Path,
    filter: &str,
) -> Result<(), Failure> {
    let summary = orchestrate::run_suite(&RunOptions {
        suite: suite_file.display().to_string(),
        out: Some(out.to_path_buf()),
        only_lang: None,
        filter: Some(filter.to_owned()),
        dry_run: false,
        rust_runner: opts.rust_runner.clone(),
        go_runner: opts.go_runner.clone(),
        trace_cache: opts.trace_cache.clone(),
        run_timeout: Some(std::time::Duration::from_secs(600)),
        workloads_dir: opts.workloads_dir.clone(),
        suites_dir: opts.suites_dir.clone(),
    })?;
    match summary {
        RunSummary::Executed { outcome, .. } if outcome.all_ok() && !outcome.interrupted => Ok(()),
        _ => Err(Failure::Failed(anyhow!(
            "{}: the suite did not complete (see above)",
            out.display()
        ))),
    }
}

fn chunk_dir(series: &Path, repeat: u32) -> PathBuf {
    let name = series
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    series.with_file_name(format!("{name}.r{repeat}"))
}

/// Copies the run files (`.jsonl`, `.hlog`) of the chunks `<series>.r1 …` into
/// `<series>`, one results directory per series. The chunks keep their manifests.
fn merge_chunks(series: &Path, repeats: u32) -> anyhow::Result<()> {
    std::fs::create_dir_all(series)
        .with_context(|| format!("{}: cannot create", series.display()))?;
    for k in 1..=repeats {
        let chunk = chunk_dir(series, k);
        for entry in std::fs::read_dir(&chunk)
            .with_context(|| format!("{}: cannot read", chunk.display()))?
        {
            let path = entry?.path();
            if path
                .extension()
                .is_some_and(|e| e == "jsonl" || e == "hlog")
            {
                let to = series.join(path.file_name().expect("a file"));
                std::fs::copy(&path, &to).with_context(|| {
                    format!("{}: cannot copy to {}", path.display(), to.display())
                })?;
            }
        }
    }
    Ok(())
}

/// `mapbench compare-validate`: A/A and power runs, their compare tables, and
/// `compare-validation.md` in `opts.out`.
pub fn compare_validate(opts: &CompareValidateOptions) -> Result<CompareValidation, Failure> {
    let started = Instant::now();
    let bad = Failure::BadInput;
    let spec =
        crate::suite::resolve(VALIDATION_SUITE, &opts.suites_dir).map_err(|e| bad(e.into()))?;
    let text = std::fs::read_to_string(&spec)
        .with_context(|| format!("{}: cannot read", spec.display()))
        .map_err(bad)?;
    let runs = opts.out.join("runs");
    if runs.exists() {
        return Err(bad(anyhow!(
            "{}: already exists; compare-validate writes fresh runs (remove it first)",
            runs.display()
        )));
    }
    std::fs::create_dir_all(&runs)
        .with_context(|| format!("{}: cannot create", runs.display()))
        .map_err(Failure::Failed)?;
    let base_overrides: Vec<(&str, u64)> = opts
        .repeats
        .map(|r| vec![("repeats", u64::from(r))])
        .unwrap_or_default();
    let suite_a = runs.join(format!("{VALIDATION_SUITE}.toml"));
    write_file(
        &suite_a,
        &suite_with(&text, &base_overrides, &spec).map_err(bad)?,
    )
    .map_err(Failure::Failed)?;
    let (a1, a2, b) = (runs.join("a1"), runs.join("a2"), runs.join("b-delay"));
    let suite = crate::suite::load(&suite_a, &opts.workloads_dir).map_err(|e| bad(e.into()))?;
    let repeats = suite.groups.iter().map(|g| g.repeats).max().unwrap_or(1);
    if repeats > 9 {
        // Each repeat is selected with `--filter -r<k>`, which must not also match -r1k.
        return Err(bad(anyhow!(
            "{}: repeats: compare-validate takes at most 9, found {repeats}",
            spec.display()
        )));
    }
    // Repeat by repeat, the three series take turns (A1 A2 B, then A2 B A1, then B A1
    // A2, …) so that drift of the machine's speed during the session falls on all three
    // alike; each chunk is its own results directory, merged per series afterwards.
    let mut delay: Option<(Vec<MapDelay>, Option<f64>)> = None;
    let mut suite_b = PathBuf::new();
    for k in 1..=repeats {
        let filter = format!("-r{k}");
        for i in 0..3 {
            let series = (i + k as usize - 1) % 3;
            if series == 2 && delay.is_none() {
                // B needs its delays: per map, from the A1 runs so far.
                let (costs, timer) = per_map_costs(&chunk_dir(&a1, k))?;
                let delays: Vec<MapDelay> = costs
                    .into_iter()
                    .map(|((lang, map), ns)| MapDelay {
                        lang,
                        map,
                        per_thread_ns: ns,
                        delay_ns: opts
                            .delay_ns
                            .unwrap_or_else(|| (ns * POWER_SLOWDOWN).round().max(1.0) as u64),
                    })
                    .collect();
                let base = suite_with(&text, &base_overrides, &spec).map_err(bad)?;
                suite_b = runs.join(format!("{VALIDATION_SUITE}-delay.toml"));
                write_file(
                    &suite_b,
                    &suite_with_delays(&base, &delays, &spec).map_err(bad)?,
                )
                .map_err(Failure::Failed)?;
                delay = Some((delays, timer));
            }
            let (dir, file) = match series {
                0 => (&a1, &suite_a),
                1 => (&a2, &suite_a),
                _ => (&b, &suite_b),
            };
            run_one_suite(opts, file, &chunk_dir(dir, k), &filter)?;
        }
    }
    for dir in [&a1, &a2, &b] {
        merge_chunks(dir, repeats).map_err(Failure::Failed)?;
    }
    let (delays, timer_overhead_ns) = delay.expect("B ran");
    let aa = compare_dirs(&a1, &a2, Metric::Throughput, opts.alpha)?;
    let power = compare_dirs(&a1, &b, Metric::Throughput, opts.alpha)?;
    let v = CompareValidation {
        aa,
        power,
        delays,
        timer_overhead_ns,
        seconds: started.elapsed().as_secs_f64(),
    };
    let command = crate::validate::regenerate_command();
    let tables = [
        ("compare-aa.md", &v.aa, "A/A"),
        ("compare-power.md", &v.power, "power"),
    ];
    for (file, c, _) in tables {
        write_file(&opts.out.join(file), &render_markdown(c, &command)).map_err(Failure::Failed)?;
    }
    write_file(
        &opts.out.join("compare-validation.md"),
        &render_validation(&v, &command),
    )
    .map_err(Failure::Failed)?;
    eprintln!(
        "mapbench: compare-validate: A/A {}; power {}; wrote {} in {:.0} s",
        summary_line(&v.aa),
        summary_line(&v.power),
        opts.out.join("compare-validation.md").display(),
        v.seconds
    );
    Ok(v)
}

fn fraction(k: usize, n: usize) -> String {
    if n == 0 {
        "—".into()
    } else {
        format!("{k}/{n} ({:.0}%)", 100.0 * k as f64 / n as f64)
    }
}

/// `compare-validation.md`: what was run, the two fractions, the runtime, the tables.
pub fn render_validation(v: &CompareValidation, command: &str) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "<!-- Generated by `mapbench compare-validate`; do not edit. Regenerate with the command below. -->\n"
    );
    let _ = writeln!(s, "```sh\n{command}\n```\n");
    let flagged = |c: &Comparison| c.count(Verdict::Slower) + c.count(Verdict::Faster);
    let median_change = |c: &Comparison| {
        let v: Vec<f64> = c.rows.iter().filter_map(|r| r.change).collect();
        stats::median(&v).map_or("—".into(), |m| format!("{:+.1}%", m * 100.0))
    };
    let _ = writeln!(
        s,
        "Suite `{VALIDATION_SUITE}` run as three series from one build: A1, A2 (the \
         same) and B, in which the runners spin for `op_delay_ns` after every op. Each map \
         gets its own delay, {:.0}% of its median per-thread time per op in A1's first \
         repeat, so that every cell is slowed by about the same share. The series take turns \
         repeat by repeat (A1 A2 B, then A2 B A1, then B A1 A2, …), so drift of the \
         machine's speed falls on all three alike. Throughput, alpha {}. Whole run: {:.0} s.\n",
        POWER_SLOWDOWN * 100.0,
        v.aa.alpha,
        v.seconds
    );
    let _ = writeln!(
        s,
        "The delay is a dependent multiply-add chain whose step cost each runner calibrates \
         once, single-threaded, at start-up (each run records `op_delay_steps` and \
         `op_delay_ns_per_step`). \"If it simply added\" is the change a delay of that \
         length would make if it only lengthened every op; the measured change is what it \
         really did. They differ when the delay changes how the threads interact: with a \
         lock, a thread that relocks at once tends to keep the lock and its cache line, and \
         a pause between ops turns that into a hand-off between cores; and two busy vCPUs \
         that share a core slow each other's spin. For reference, a clock read costs about \
         {} ns here (the runs' `timer_overhead_ns`).\n",
        v.timer_overhead_ns
            .map_or("an unknown number of".to_owned(), |t| format!("{t:.0}"))
    );
    let _ = writeln!(
        s,
        "| map | lang | A1 per-thread ns/op | delay ns | change if it simply added | measured change |"
    );
    let _ = writeln!(s, "|---|---|---:|---:|---:|---:|");
    for d in &v.delays {
        let measured = v
            .power
            .rows
            .iter()
            .find(|r| r.cell.lang == d.lang && r.cell.map == d.map)
            .and_then(|r| r.change)
            .map_or("—".into(), |c| format!("{:+.1}%", c * 100.0));
        let _ = writeln!(
            s,
            "| {} | {} | {:.1} | {} | {:+.1}% | {measured} |",
            d.map,
            d.lang,
            d.per_thread_ns,
            d.delay_ns,
            d.expected_change() * 100.0
        );
    }
    let _ = writeln!(s);
    let _ = writeln!(
        s,
        "| test | compared | cells flagged (p < alpha) | ↓ slower | ↑ faster | median change | expected |"
    );
    let _ = writeln!(s, "|---|---|---|---:|---:|---:|---|");
    for (name, c, expected) in [
        (
            "A/A: A1 vs A2",
            &v.aa,
            format!("about {:.0}% flagged, either way", v.aa.alpha * 100.0),
        ),
        (
            "power: A1 vs B (delayed)",
            &v.power,
            "most flagged ↓ slower".to_owned(),
        ),
    ] {
        let _ = writeln!(
            s,
            "| {name} | {} | {} | {} | {} | {} | {expected} |",
            c.rows.len(),
            fraction(flagged(c), c.testable()),
            c.count(Verdict::Slower),
            c.count(Verdict::Faster),
            median_change(c)
        );
    }
    let _ = writeln!(s, "\n##### A/A: A1 (base) vs A2 (new)\n");
    s.push_str(&render_tables(&v.aa));
    let _ = writeln!(s, "##### Power: A1 (base) vs B, delayed (new)\n");
    s.push_str(&render_tables(&v.power));
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suite_overrides_go_under_defaults_and_replace_existing_keys() {
        let text = "name = \"x\"\n[defaults]\nrepeats = 5\nops_per_thread = 1\n[[group]]\n";
        let out = suite_with(
            text,
            &[("repeats", 7), ("op_delay_ns", 3)],
            Path::new("s.toml"),
        )
        .unwrap();
        assert_eq!(
            out,
            "name = \"x\"\n[defaults]\nrepeats = 7\nop_delay_ns = 3\nops_per_thread = 1\n[[group]]\n"
        );
        let err = suite_with("name = \"x\"\n", &[], Path::new("s.toml")).unwrap_err();
        assert!(err.to_string().contains("s.toml"));
    }

    #[test]
    fn the_delayed_suite_has_one_group_per_map_with_its_delay() {
        let text = "name = \"x\"\n[defaults]\nrepeats = 2\n\n[[group]]\nname = \"g\"\n\
                    workloads = [\"w\"]\nthreads = [2]\nrust = [\"a\", \"b\"]\ngo = [\"c\"]\n";
        let d = |lang, map: &str, delay_ns| MapDelay {
            lang,
            map: map.into(),
            per_thread_ns: 100.0,
            delay_ns,
        };
        let delays = [
            d(Lang::Rust, "a", 10),
            d(Lang::Rust, "b", 20),
            d(Lang::Go, "c", 30),
        ];
        let out = suite_with_delays(text, &delays, Path::new("s.toml")).unwrap();
        let doc: toml::Table = toml::from_str(&out).unwrap();
        let groups = doc["group"].as_array().unwrap();
        let got: Vec<(String, String, i64)> = groups
            .iter()
            .map(|g| {
                let (lang, maps) = if g["rust"].as_array().unwrap().is_empty() {
                    ("go", g["go"].as_array().unwrap())
                } else {
                    ("rust", g["rust"].as_array().unwrap())
                };
                assert_eq!(maps.len(), 1);
                (
                    lang.to_owned(),
                    maps[0].as_str().unwrap().to_owned(),
                    g["op_delay_ns"].as_integer().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                ("rust".into(), "a".into(), 10),
                ("rust".into(), "b".into(), 20),
                ("go".into(), "c".into(), 30)
            ]
        );
        assert_eq!(doc["defaults"]["repeats"].as_integer(), Some(2));
        assert!((delays[0].expected_change() + 10.0 / 110.0).abs() < 1e-12);
        // A map without an A1 measurement is an error naming the file.
        let err = suite_with_delays(text, &delays[..2], Path::new("s.toml")).unwrap_err();
        assert!(err.to_string().contains("s.toml") && err.to_string().contains("go c"));
    }

    #[test]
    fn verdict_marks_name_the_direction() {
        assert_eq!(Verdict::Slower.mark(), "↓ slower");
        assert_eq!(Verdict::Faster.mark(), "↑ faster");
        assert!(Verdict::TooFewSamples.mark().contains("too few samples"));
    }
}
