//! `mapbench report RESULTS_DIR --out DIR`: a results directory as a markdown page with
//! figures, for the book and for reviewers.
//!
//! Writes `DIR/report.md`, `DIR/figures/*.svg` ([`crate::figures`]) and `DIR/bench.txt`
//! (the results' own, in Go benchmark format). Everything is built in a sibling temporary
//! directory and renamed over `DIR` only when the whole report succeeded, so a failed
//! report leaves an earlier one untouched. The same input gives the same bytes on every
//! machine: nothing from the clock, the host or the working directory goes in, tables
//! and figures are in sorted order, numbers have fixed formats.
//!
//! Statistics: a cell is (workload, threads, language, map); its throughput is the median
//! over the repeats that ended `ok`, with the min–max range; its latency percentiles come
//! from the `.hlog` histograms of all those repeats merged ([`crate::results::merge`]),
//! never from averaging percentiles. [`knee`] locates where added threads stop adding
//! throughput; the memory curves of long runs are fitted by [`crate::stats::fit`] and
//! rendered here.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, anyhow};
use hdrhistogram::Histogram;

use crate::figures::{self, Bar, Palette, SeriesKey, Spread};
use crate::orchestrate::Failure;
use crate::results::{self, ImplInfo, Lang, LatencySummary, Outcome, RunFile};
use crate::stats::cell::{AllocsPerOp, relative_range};
use crate::stats::fit::{self, LONG_RUN_MIN_SAMPLES, LONG_RUN_MIN_SPAN_NS, fmt_sig, memory_series};

/// What `mapbench report` needs.
#[derive(Debug, Clone)]
pub struct ReportOptions {
    pub results_dir: PathBuf,
    pub out: PathBuf,
    pub title: Option<String>,
    /// The command that regenerates this report, printed in it verbatim (so give paths as
    /// the user typed them, not made absolute).
    pub command: String,
    /// `harness-costs.json` from `mapbench validate`: both runners' noop cost per op,
    /// stated near the top of the page.
    pub harness_costs: Option<PathBuf>,
}

/// Both runners' own cost per op, as `mapbench validate` wrote it.
#[derive(Debug, Clone, PartialEq)]
pub struct HarnessCosts {
    pub rust_ns: f64,
    pub go_ns: f64,
    pub runs: (u64, u64),
    pub workload: String,
    pub threads: u64,
    pub sample_every: u64,
    pub git: String,
}

/// Reads `harness-costs.json`; errors name the file and the field.
pub fn read_harness_costs(path: &Path) -> anyhow::Result<HarnessCosts> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| anyhow!("{}: cannot read: {e}", path.display()))?;
    let v: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| anyhow!("{}: not JSON: {e}", path.display()))?;
    let num = |lang: &str, field: &str| -> anyhow::Result<f64> {
        v.get(lang)
            .and_then(|o| o.get(field))
            .and_then(serde_json::Value::as_f64)
            .filter(|x| x.is_finite() && *x >= 0.0)
            .ok_or_else(|| {
                anyhow!(
                    "{}: field `{lang}.{field}`: expected a number >= 0 (written by `mapbench validate`)",
                    path.display()
                )
            })
    };
    let text_of = |lang: &str, field: &str| {
        v.get(lang)
            .and_then(|o| o.get(field))
            .and_then(serde_json::Value::as_str)
            .unwrap_or("?")
            .to_owned()
    };
    Ok(HarnessCosts {
        rust_ns: num("rust", "noop_ns_per_op")?,
        go_ns: num("go", "noop_ns_per_op")?,
        runs: (num("rust", "runs")? as u64, num("go", "runs")? as u64),
        workload: text_of("rust", "workload"),
        threads: num("rust", "threads")? as u64,
        sample_every: num("rust", "latency_sample_every")? as u64,
        git: v
            .get("git")
            .and_then(serde_json::Value::as_str)
            .unwrap_or("unknown")
            .to_owned(),
    })
}

/// What was written.
#[derive(Debug, Clone)]
pub struct ReportSummary {
    pub runs: usize,
    pub figures: Vec<String>,
}

/// A run that ended `ok`, with its latency log merged.
pub struct LoadedRun {
    pub file: RunFile,
    pub latency: Histogram<u64>,
}

/// The runs of one cell (workload, threads, language, map).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct CellKey {
    pub workload: String,
    pub threads: u32,
    pub lang: Lang,
    pub map: String,
}

/// One cell's statistics.
pub struct CellStats {
    pub key: CellKey,
    /// Run files of this cell, whatever their outcome.
    pub runs_total: usize,
    /// Throughput (ops/s) of each `ok` run, sorted.
    pub throughputs: Vec<f64>,
    /// The `ok` runs' histograms merged.
    pub latency: Histogram<u64>,
    /// Median over `ok` runs of allocated bytes / objects per op (interval sums ÷ ops).
    pub bytes_per_op: Option<f64>,
    pub allocs_per_op: Option<f64>,
}

impl CellStats {
    pub fn series(&self) -> SeriesKey {
        SeriesKey {
            lang: self.key.lang,
            map: self.key.map.clone(),
        }
    }
    pub fn spread(&self) -> Option<Spread> {
        Some(Spread {
            x: f64::from(self.key.threads),
            median: median(&self.throughputs)?,
            min: *self.throughputs.first()?,
            max: *self.throughputs.last()?,
        })
    }
}

pub use crate::stats::median;

/// The median of unsorted values, taking them by value.
pub(crate) fn median_of(v: Vec<f64>) -> Option<f64> {
    median(&v)
}

fn bad(e: impl Into<anyhow::Error>) -> Failure {
    Failure::BadInput(e.into())
}

/// Writes the report (see the module docs).
pub fn report(opts: &ReportOptions) -> Result<ReportSummary, Failure> {
    let dir = &opts.results_dir;
    if !dir.is_dir() {
        return Err(bad(anyhow!(
            "{}: not a directory (expected a results directory written by `mapbench run`)",
            dir.display()
        )));
    }
    if let Some(p) = &opts.harness_costs {
        read_harness_costs(p).map_err(bad)?;
    }
    let loaded = results::load_dir(dir).map_err(bad)?;
    if loaded.runs.is_empty() {
        return Err(bad(anyhow!(
            "{}: no run files (*.jsonl): not a results directory",
            dir.display()
        )));
    }
    // The same checks as `mapbench check`: a report never averages malformed files.
    let checked = crate::check::check_dir(dir).map_err(bad)?;
    if let Some(first) = checked.problems.first() {
        let more = match checked.problems.len() {
            1 => String::new(),
            n => format!(
                " (and {} more: `mapbench check {}` lists them)",
                n - 1,
                dir.display()
            ),
        };
        return Err(bad(anyhow!(
            "{}: malformed results, no report written: {first}{more}",
            dir.display()
        )));
    }
    let mut ok_runs = Vec::new();
    let mut not_ok = Vec::new();
    for file in loaded.runs {
        if file.outcome() == Outcome::Ok {
            let latency = file.latency_log().map_err(bad)?.merged();
            ok_runs.push(LoadedRun { file, latency });
        } else {
            not_ok.push(file);
        }
    }
    let run_count = ok_runs.len() + not_ok.len();
    let bench = read_bench(dir).map_err(bad)?;

    let out = &opts.out;
    let name = out
        .file_name()
        .ok_or_else(|| bad(anyhow!("{}: --out needs a directory name", out.display())))?
        .to_string_lossy()
        .into_owned();
    let parent = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&parent)
        .with_context(|| format!("{}: cannot create", parent.display()))
        .map_err(Failure::Failed)?;
    let tmp = parent.join(format!(".{name}.tmp-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    let built = (|| -> anyhow::Result<Vec<String>> {
        std::fs::create_dir_all(tmp.join("figures"))
            .with_context(|| format!("{}: cannot create", tmp.display()))?;
        let mut page = Page::new(opts, loaded.manifest.as_ref(), &ok_runs, &not_ok);
        page.has_bench = bench.is_some();
        let (markdown, figs) = page.render(&tmp.join("figures"))?;
        std::fs::write(tmp.join("report.md"), markdown)
            .with_context(|| format!("{}: cannot write", tmp.join("report.md").display()))?;
        if let Some(bench) = &bench {
            std::fs::write(tmp.join("bench.txt"), bench)
                .with_context(|| format!("{}: cannot write", tmp.join("bench.txt").display()))?;
        }
        Ok(figs)
    })();
    let figs = match built {
        Ok(f) => f,
        Err(e) => {
            let _ = std::fs::remove_dir_all(&tmp);
            return Err(Failure::Failed(e));
        }
    };
    let old = parent.join(format!(".{name}.old-{}", std::process::id()));
    if out.exists() {
        std::fs::rename(out, &old)
            .with_context(|| format!("{}: cannot move the old report aside", out.display()))
            .map_err(Failure::Failed)?;
    }
    std::fs::rename(&tmp, out)
        .with_context(|| format!("{}: cannot rename {} to it", out.display(), tmp.display()))
        .map_err(Failure::Failed)?;
    let _ = std::fs::remove_dir_all(&old);
    Ok(ReportSummary {
        runs: run_count,
        figures: figs,
    })
}

/// The results' `bench.txt` (the orchestrator writes it), or None when there is none: a
/// directory of runner files run by hand is reported without one.
fn read_bench(dir: &Path) -> anyhow::Result<Option<String>> {
    let path = dir.join("bench.txt");
    let text = match std::fs::read_to_string(&path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        other => other.with_context(|| {
            format!(
                "{}: cannot read (expected Go benchmark format text, as `mapbench run` writes)",
                path.display()
            )
        })?,
    };
    for (i, line) in text.lines().enumerate() {
        if line.starts_with("Benchmark") && line.split('\t').count() < 3 {
            return Err(anyhow!(
                "{}:{}: benchmark line: expected `Name \\t N \\t value unit …`",
                path.display(),
                i + 1
            ));
        }
    }
    Ok(Some(text))
}

/// Groups `ok` runs into cells, sorted.
pub fn cells(runs: &[LoadedRun], not_ok: &[RunFile]) -> Vec<CellStats> {
    let key_of = |r: &RunFile| CellKey {
        workload: r.start.workload.clone(),
        threads: r.start.threads,
        lang: r.start.lang,
        map: r.start.map.clone(),
    };
    let mut groups: BTreeMap<CellKey, (Vec<&LoadedRun>, usize)> = BTreeMap::new();
    for r in runs {
        let g = groups.entry(key_of(&r.file)).or_default();
        g.0.push(r);
        g.1 += 1;
    }
    for r in not_ok {
        groups.entry(key_of(r)).or_default().1 += 1;
    }
    groups
        .into_iter()
        .map(|(key, (rs, total))| {
            let mut throughputs: Vec<f64> = rs.iter().filter_map(|r| r.file.throughput()).collect();
            throughputs.sort_by(f64::total_cmp);
            let mut allocs = AllocsPerOp::default();
            for r in &rs {
                allocs.add(&r.file);
            }
            CellStats {
                key,
                runs_total: total,
                throughputs,
                latency: results::merge(rs.iter().map(|r| &r.latency)),
                bytes_per_op: allocs.bytes(),
                allocs_per_op: allocs.objects(),
            }
        })
        .collect()
}

/// The fraction of the ideal linear gain below which an added step of load counts as
/// not paying: half. A step from x₀ to x₁ ideally adds y₀/x₀ · (x₁ − x₀) (the first
/// point's throughput per unit of load, times the added load).
pub const KNEE_GAIN_FRACTION: f64 = 0.5;

/// Where a throughput-vs-load sweep stops scaling.
#[derive(Debug, Clone, PartialEq)]
pub enum Knee {
    /// Fewer than 3 points: one step cannot show a bend.
    TooFewPoints(usize),
    /// Every step added at least [`KNEE_GAIN_FRACTION`] of the ideal gain, up to `last`.
    NoKnee { last: f64 },
    /// The last load before the first step whose gain fell below the fraction;
    /// `gain_fraction` is that step's gain ÷ its ideal gain.
    At { load: f64, gain_fraction: f64 },
}

/// The knee rule: sort the points by load; walking from the first, the knee is the load
/// just before the first step whose throughput gain is below [`KNEE_GAIN_FRACTION`] of
/// the ideal linear gain (see the constant). Needs at least 3 points.
pub fn knee(points: &[(f64, f64)]) -> Knee {
    let mut pts = points.to_vec();
    pts.sort_by(|a, b| a.0.total_cmp(&b.0));
    if pts.len() < 3 {
        return Knee::TooFewPoints(pts.len());
    }
    let (x0, y0) = pts[0];
    let per_unit = if x0 > 0.0 { y0 / x0 } else { 0.0 };
    for w in pts.windows(2) {
        let ideal = per_unit * (w[1].0 - w[0].0);
        let gain = w[1].1 - w[0].1;
        if ideal > 0.0 && gain < KNEE_GAIN_FRACTION * ideal {
            return Knee::At {
                load: w[0].0,
                gain_fraction: gain / ideal,
            };
        }
    }
    Knee::NoKnee {
        last: pts[pts.len() - 1].0,
    }
}

fn knee_sentence(k: &Knee) -> String {
    match k {
        Knee::TooFewPoints(n) => format!(
            "no knee can be located with {n} point{}",
            if *n == 1 { "" } else { "s" }
        ),
        Knee::NoKnee { last } => format!(
            "no knee up to {} threads (every step added ≥ {:.0}% of the ideal gain)",
            figures::fmt_num(*last),
            KNEE_GAIN_FRACTION * 100.0
        ),
        Knee::At {
            load,
            gain_fraction,
        } => format!(
            "knee at {} threads (the next step added {:.0}% of the ideal linear gain)",
            figures::fmt_num(*load),
            gain_fraction * 100.0
        ),
    }
}

/// The preferred fit of a long run's memory series, sampled for the memory figure.
fn fitted_curve(r: &RunFile) -> Option<figures::FittedCurve> {
    let (series, t, y) = memory_series(r)?;
    let best = fit::compare(&t, &y).best().clone();
    let (t0, t1) = (*t.first()?, *t.last()?);
    const STEPS: usize = 200;
    let points = (0..=STEPS)
        .map(|i| {
            let ts = t0 + (t1 - t0) * i as f64 / STEPS as f64;
            (ts * 1e3, best.predict(ts) / 1048576.0)
        })
        .collect();
    Some(figures::FittedCurve {
        run_id: r.start.run_id.clone(),
        series,
        points,
    })
}

/// A cell's spread counts as noisy above this fraction of its median.
pub const NOISY_SPREAD: f64 = 0.25;
/// Memory over a run's second half counts as level within this relative change.
pub const LEVEL_CHANGE: f64 = 0.05;
/// A map allocating at least this many objects per op counts as allocating per op.
pub const ALLOCATING_PER_OP: f64 = 0.1;

fn lang_title(l: Lang) -> &'static str {
    match l {
        Lang::Go => "Go",
        Lang::Rust => "Rust",
    }
}

fn side_map(l: Lang, map: &str) -> String {
    format!("{} `{map}`", lang_title(l))
}

/// The takeaways a report opens with: sentences whose numbers and wording come from the
/// cells (`cells`) and the long runs (`long`, the runs the memory fit uses), at most five,
/// each left out where the data cannot support it. With `sides_concurrent` (the Go and
/// Rust runs went at the same time, [`sides_concurrent`]) no speed or latency is compared
/// across sides: each side's depends on what the other was doing.
pub fn takeaways(cells: &[CellStats], long: &[&RunFile], sides_concurrent: bool) -> Vec<String> {
    let mut out: Vec<String> = [
        takeaway_fastest(cells, sides_concurrent),
        takeaway_one_lock(cells),
        takeaway_memory(long),
        takeaway_pauses(long),
        takeaway_tails(cells, sides_concurrent),
        takeaway_alloc(cells),
        takeaway_noise(cells),
    ]
    .into_iter()
    .flatten()
    .collect();
    out.truncate(5);
    out
}

/// How much a Go run's and a Rust run's times must overlap to count as the same time: the
/// manifest's `started_at` has one-second resolution.
const SAME_TIME_TOLERANCE_S: f64 = 1.0;

/// Whether the Go and Rust runs of these results went at the same time: the manifest says
/// so (`options.concurrent_sides`, which scripts/soak_merge.py writes), or a Go run's and a
/// Rust run's times in the manifest (`started_at` + `elapsed_s`) overlap by more than the
/// timestamps' one-second resolution. `mapbench run` runs one run at a time, so an
/// overlap means two orchestrators ran side by side and their results were merged.
pub fn sides_concurrent(m: Option<&crate::manifest::Manifest>) -> bool {
    let Some(m) = m else { return false };
    let said = m
        .options
        .get("concurrent_sides")
        .is_some_and(|v| !v.is_null() && v != &serde_json::Value::Bool(false));
    if said {
        return true;
    }
    let span = |r: &crate::manifest::ManifestRun| {
        let start = crate::host::parse_rfc3339(r.started_at.as_deref()?)?;
        Some((r.lang, start, start + r.elapsed_s?))
    };
    let spans: Vec<(Lang, f64, f64)> = m.runs.iter().filter_map(span).collect();
    spans.iter().any(|a| {
        spans.iter().any(|b| {
            a.0 == Lang::Go
                && b.0 == Lang::Rust
                && a.2.min(b.2) - a.1.max(b.1) > SAME_TIME_TOLERANCE_S
        })
    })
}

/// Per workload, its highest thread count and the cells there with a median.
fn top_cells(cells: &[CellStats]) -> BTreeMap<&str, (u32, Vec<&CellStats>)> {
    let mut out: BTreeMap<&str, (u32, Vec<&CellStats>)> = BTreeMap::new();
    for c in cells.iter().filter(|c| c.spread().is_some()) {
        let e = out
            .entry(c.key.workload.as_str())
            .or_insert((0, Vec::new()));
        if c.key.threads > e.0 {
            *e = (c.key.threads, Vec::new());
        }
        if c.key.threads == e.0 {
            e.1.push(c);
        }
    }
    out
}

fn med(c: &CellStats) -> f64 {
    median(&c.throughputs).unwrap_or(0.0)
}

fn best_of<'c>(cs: impl Iterator<Item = &'c CellStats>) -> Option<&'c CellStats> {
    cs.max_by(|a, b| med(a).total_cmp(&med(b)).then(b.key.map.cmp(&a.key.map)))
}

/// The fastest map of one side at a workload's highest thread count, and the runner-up
/// when its min–max range reaches the winner's (the ranking is then not settled).
pub struct Fastest {
    pub workload: String,
    pub threads: u32,
    pub lang: Lang,
    pub map: String,
    pub median: f64,
    /// Whether the winner and its runner-up both ran more than once, so that their min–max
    /// ranges could be compared (`tied_with` is then the verdict).
    pub compared: bool,
    pub tied_with: Option<String>,
}

/// Per workload and side, the fastest map at the workload's highest thread count.
pub fn fastest(cells: &[CellStats]) -> Vec<Fastest> {
    let mut out = Vec::new();
    for (wl, (t, cs)) in &top_cells(cells) {
        for lang in [Lang::Go, Lang::Rust] {
            let side = || cs.iter().copied().filter(move |c| c.key.lang == lang);
            let Some(win) = best_of(side()) else { continue };
            let runner = best_of(side().filter(|c| c.key.map != win.key.map));
            let compared =
                runner.is_some_and(|r| r.throughputs.len() > 1 && win.throughputs.len() > 1);
            let tied_with = runner
                .filter(|r| compared && r.throughputs.last() >= win.throughputs.first())
                .map(|r| r.key.map.clone());
            out.push(Fastest {
                workload: (*wl).to_owned(),
                threads: *t,
                lang,
                map: win.key.map.clone(),
                median: med(win),
                compared,
                tied_with,
            });
        }
    }
    out
}

/// "×1.23" or "×1.05–2.40": the range of ratios, one number when they agree.
fn ratio_range(rs: &[f64]) -> String {
    let lo = rs.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = rs.iter().copied().fold(0.0, f64::max);
    if hi - lo < 0.005 {
        format!("×{hi:.2}")
    } else {
        format!("×{lo:.2}–{hi:.2}")
    }
}

/// Medians within this ratio of each other count as level, not as one side ahead.
const LEVEL_RATIO: f64 = 1.005;

/// "`a`, `b`".
fn ticked(names: &[&str]) -> String {
    names
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn takeaway_fastest(cells: &[CellStats], sides_concurrent: bool) -> Option<String> {
    let f = fastest(cells);
    if f.is_empty() {
        return None;
    }
    let sides: BTreeSet<Lang> = f.iter().map(|x| x.lang).collect();
    if sides_concurrent && sides.len() == 2 {
        return Some(
            "**Throughput** is not compared across sides here: the Go and Rust runs went at the \
             same time (see [How to read this page](#how-to-read-this-page)), so neither side's \
             was measured alone."
                .to_owned(),
        );
    }
    let both = both_sides(&f);
    // With one map on each side there is no "fastest" to name: the two maps are compared.
    let maps_of = |l: Lang| {
        cells
            .iter()
            .filter(|c| c.key.lang == l && c.spread().is_some())
            .map(|c| c.key.map.as_str())
            .collect::<BTreeSet<_>>()
    };
    let (go_maps, rust_maps) = (maps_of(Lang::Go), maps_of(Lang::Rust));
    let one_each = go_maps.len() == 1 && rust_maps.len() == 1;
    let mut text = if one_each {
        "**Throughput**: ".to_owned()
    } else {
        "**Fastest map per side** (the table below): ".to_owned()
    };
    match both[..] {
        [] => text.push_str("only one side was measured"),
        [(wl, g, r)] => one_workload_lead(&mut text, wl, g, r, one_each),
        _ => {
            let firsts = (
                go_maps.first().copied().unwrap_or_default(),
                rust_maps.first().copied().unwrap_or_default(),
            );
            workloads_lead(&mut text, &both, firsts, one_each)
        }
    }
    winners_clear_clause(&mut text, &f, cells);
    text.push('.');
    Some(text)
}

/// A workload measured on both sides, with Go's and Rust's fastest maps.
type BothSides<'f> = (&'f str, &'f Fastest, &'f Fastest);

/// Per workload measured on both sides: the two fastest maps, Go's and Rust's.
fn both_sides(f: &[Fastest]) -> Vec<BothSides<'_>> {
    let mut by_wl: BTreeMap<&str, BTreeMap<Lang, &Fastest>> = BTreeMap::new();
    for x in f {
        by_wl.entry(&x.workload).or_default().insert(x.lang, x);
    }
    by_wl
        .iter()
        .filter_map(|(wl, m)| {
            let (g, r) = (*m.get(&Lang::Go)?, *m.get(&Lang::Rust)?);
            (g.median > 0.0 && r.median > 0.0).then_some((*wl, g, r))
        })
        .collect()
}

/// "Rust's fastest map", or "Rust `papaya`" when each side ran one map.
fn side_subject(l: Lang, map: &str, one_each: bool) -> String {
    if one_each {
        side_map(l, map)
    } else {
        format!("{}'s fastest map", lang_title(l))
    }
}

/// "Rust's", or "Rust `papaya`" when each side ran one map.
fn side_object(l: Lang, map: &str, one_each: bool) -> String {
    if one_each {
        side_map(l, map)
    } else {
        format!("{}'s", lang_title(l))
    }
}

/// The lead when one workload ran on both sides: which side's map runs how many times
/// as fast, or that they are level.
fn one_workload_lead(text: &mut String, wl: &str, g: &Fastest, r: &Fastest, one_each: bool) {
    let (a, b) = if r.median >= g.median { (r, g) } else { (g, r) };
    let ratio = a.median / b.median;
    let (sa, sb) = if one_each {
        (side_map(a.lang, &a.map), side_map(b.lang, &b.map))
    } else {
        (
            format!("{}'s fastest map (`{}`)", lang_title(a.lang), a.map),
            format!("{}'s (`{}`)", lang_title(b.lang), b.map),
        )
    };
    if ratio < LEVEL_RATIO {
        write!(
            text,
            "{sa} and {sb} are level on `{wl}` at {} threads",
            a.threads
        )
    } else {
        write!(
            text,
            "{sa} runs {ratio:.2} times as fast as {sb} on `{wl}` at {} threads",
            a.threads
        )
    }
    .unwrap();
}

/// The lead over several workloads: the side ahead more often (Rust on a tie), by how
/// much, and where it is behind or level. `firsts`: Go's and Rust's first map (named
/// when each side ran one).
fn workloads_lead(
    text: &mut String,
    both: &[BothSides],
    (go1, rust1): (&str, &str),
    one_each: bool,
) {
    let n = both.len();
    // Rust's median over Go's, per workload.
    let ratio = |b: &(&str, &Fastest, &Fastest)| b.2.median / b.1.median;
    let rust_ahead: Vec<&(&str, &Fastest, &Fastest)> =
        both.iter().filter(|b| ratio(b) >= LEVEL_RATIO).collect();
    let go_ahead: Vec<&(&str, &Fastest, &Fastest)> = both
        .iter()
        .filter(|b| 1.0 / ratio(b) >= LEVEL_RATIO)
        .collect();
    let level: Vec<&str> = both
        .iter()
        .filter(|b| ratio(b) < LEVEL_RATIO && 1.0 / ratio(b) < LEVEL_RATIO)
        .map(|b| b.0)
        .collect();
    // Told from the side ahead more often (Rust on a tie).
    let (lead, other, ahead, behind) = if go_ahead.len() > rust_ahead.len() {
        ((Lang::Go, go1), (Lang::Rust, rust1), &go_ahead, &rust_ahead)
    } else {
        ((Lang::Rust, rust1), (Lang::Go, go1), &rust_ahead, &go_ahead)
    };
    let lead_ratio = |b: &&(&str, &Fastest, &Fastest)| {
        if lead.0 == Lang::Rust {
            ratio(b)
        } else {
            1.0 / ratio(b)
        }
    };
    let ahead_by: Vec<f64> = ahead.iter().map(lead_ratio).collect();
    let behind_by: Vec<f64> = behind.iter().map(|b| 1.0 / lead_ratio(b)).collect();
    let who = side_subject(lead.0, lead.1, one_each);
    let whom = side_object(other.0, other.1, one_each);
    if ahead.is_empty() {
        write!(
            text,
            "{} and {whom} are level in every workload ({n})",
            side_subject(lead.0, lead.1, one_each)
        )
        .unwrap();
    } else if ahead.len() == n {
        write!(
            text,
            "{who} is ahead of {whom} in every workload ({n}), by {} (ratio of the \
             medians)",
            ratio_range(&ahead_by)
        )
        .unwrap();
    } else {
        write!(
            text,
            "{who} is ahead of {whom} in {} of {n} workloads (by {}, ratio of the medians)",
            ahead.len(),
            ratio_range(&ahead_by)
        )
        .unwrap();
        if !behind.is_empty() {
            let wls: Vec<&str> = behind.iter().map(|b| b.0).collect();
            write!(
                text,
                ", behind in {} (by {})",
                ticked(&wls),
                ratio_range(&behind_by)
            )
            .unwrap();
        }
        if !level.is_empty() {
            write!(text, ", level in {}", ticked(&level)).unwrap();
        }
    }
}

/// Is each side's winner clear of its runner-up? Only where both ran more than once.
fn winners_clear_clause(text: &mut String, f: &[Fastest], cells: &[CellStats]) {
    let pairs = f
        .iter()
        .filter(|x| {
            cells.iter().any(|c| {
                c.key.lang == x.lang
                    && c.key.workload == x.workload
                    && c.key.threads == x.threads
                    && c.key.map != x.map
                    && c.spread().is_some()
            })
        })
        .count();
    let compared = f.iter().filter(|x| x.compared).count();
    let open = f.iter().filter(|x| x.tied_with.is_some()).count();
    if pairs > 0 {
        match (compared, open) {
            (0, _) => text.push_str(
                "; the winners or their runners-up ran once there, so no min–max range says \
                 whether the order within a side would hold",
            ),
            (k, 0) if k == pairs => {
                text.push_str("; every winner's min–max range is clear of its runner-up's")
            }
            (k, 0) => write!(
                text,
                "; where winner and runner-up both ran more than once ({k} of {pairs} \
                 workload–side pairs), the winner's min–max range is clear of the runner-up's"
            )
            .unwrap(),
            (k, o) => write!(
                text,
                "; in {o} of the {k} workload–side pairs with repeats the runner-up's range \
                 reaches the winner's, so the order there is not settled"
            )
            .unwrap(),
        }
    }
}

/// The table under the takeaways: the fastest map per workload and side.
fn fastest_table(cells: &[CellStats]) -> Option<String> {
    let f = fastest(cells);
    if f.is_empty() {
        return None;
    }
    let mut rows: BTreeMap<(&str, u32), BTreeMap<Lang, &Fastest>> = BTreeMap::new();
    for x in &f {
        rows.entry((&x.workload, x.threads))
            .or_default()
            .insert(x.lang, x);
    }
    let mut t = String::from(
        "| workload | threads | fastest Go map | Mops/s | fastest Rust map | Mops/s |\n|---|--:|---|--:|---|--:|\n",
    );
    let cell = |x: Option<&&Fastest>| match x {
        Some(x) => {
            let tie = x
                .tied_with
                .as_ref()
                .map_or(String::new(), |r| format!(" (≈ `{r}`)"));
            (
                format!("`{}`{tie}", x.map),
                format!("{:.2}", x.median / 1e6),
            )
        }
        None => ("–".into(), "–".into()),
    };
    for ((wl, th), m) in rows {
        let (gm, gv) = cell(m.get(&Lang::Go));
        let (rm, rv) = cell(m.get(&Lang::Rust));
        writeln!(t, "| `{wl}` | {th} | {gm} | {gv} | {rm} | {rv} |").unwrap();
    }
    Some(t)
}

fn is_one_lock(lang: Lang, map: &str) -> bool {
    figures::design_of(&SeriesKey {
        lang,
        map: map.to_owned(),
    })
    .family
        == figures::Family::OneLock
}

fn takeaway_one_lock(cells: &[CellStats]) -> Option<String> {
    let scaling = thread_scaling(cells);
    let shares = lock_shares(cells);
    // With two maps or fewer on each side and no scaling, there is nothing to rank.
    let per_side = |l: Lang| {
        cells
            .iter()
            .filter(|c| c.key.lang == l)
            .map(|c| c.key.map.as_str())
            .collect::<BTreeSet<_>>()
            .len()
    };
    if scaling.ratios.is_empty()
        && (shares.shares.is_empty() || per_side(Lang::Go).max(per_side(Lang::Rust)) < 3)
    {
        return None;
    }
    let mut text = "**One lock**".to_owned();
    if !shares.shares.is_empty() {
        shares_clause(&mut text, &shares);
    }
    if let Some((lo, hi)) = scaling.span
        && !scaling.ratios.is_empty()
    {
        scaling_clause(&mut text, &scaling, (lo, hi), shares.shares.is_empty());
        // The other maps, each by its median ratio over the workloads: does the added
        // thread pay off for them?
        if let Some(how_many) = others_clause(&scaling.others) {
            write!(text, "; {how_many}").ok();
        }
    }
    text.push('.');
    Some(text)
}

/// Scaling: median at the workload's most threads ÷ at its fewest, per one-lock map
/// (`ratios`) and for every other map (`others`), over the workloads run at two or
/// more thread counts; `span`: the last such workload's fewest and most threads.
struct ThreadScaling<'c> {
    ratios: BTreeMap<(Lang, &'c str), Vec<f64>>,
    others: BTreeMap<(Lang, &'c str), Vec<f64>>,
    span: Option<(u32, u32)>,
}

fn thread_scaling(cells: &[CellStats]) -> ThreadScaling<'_> {
    let mut by_wl: BTreeMap<&str, BTreeSet<u32>> = BTreeMap::new();
    for c in cells.iter().filter(|c| c.spread().is_some()) {
        by_wl
            .entry(&c.key.workload)
            .or_default()
            .insert(c.key.threads);
    }
    let find = |wl: &str, t: u32, lang: Lang, map: &str| {
        cells.iter().find(|c| {
            c.key.workload == wl && c.key.threads == t && c.key.lang == lang && c.key.map == map
        })
    };
    let mut ratios: BTreeMap<(Lang, &str), Vec<f64>> = BTreeMap::new();
    // The same ratio for every other map: does the second thread pay off for them?
    let mut others: BTreeMap<(Lang, &str), Vec<f64>> = BTreeMap::new();
    let mut span = None;
    for (wl, ts) in &by_wl {
        let (Some(&lo), Some(&hi)) = (ts.first(), ts.last()) else {
            continue;
        };
        if lo == hi {
            continue;
        }
        span = Some((lo, hi));
        for c in cells
            .iter()
            .filter(|c| c.key.workload == *wl && c.key.threads == lo)
        {
            if let Some(h) = find(wl, hi, c.key.lang, &c.key.map).filter(|h| med(h) > 0.0)
                && med(c) > 0.0
            {
                let into = if is_one_lock(c.key.lang, &c.key.map) {
                    &mut ratios
                } else {
                    &mut others
                };
                into.entry((c.key.lang, c.key.map.as_str()))
                    .or_default()
                    .push(med(h) / med(c));
            }
        }
    }
    ThreadScaling {
        ratios,
        others,
        span,
    }
}

/// At each workload's most threads, per side with two maps or more: the best one-lock
/// map's share of the side's fastest (`shares`), how often it is the fastest, and the
/// thread counts seen.
struct LockShares {
    shares: Vec<f64>,
    fastest_somewhere: usize,
    top_t: BTreeSet<u32>,
}

fn lock_shares(cells: &[CellStats]) -> LockShares {
    let mut shares = Vec::new();
    let mut fastest_somewhere = 0;
    let mut top_t = BTreeSet::new();
    for (t, cs) in top_cells(cells).values() {
        for lang in [Lang::Go, Lang::Rust] {
            let side = || cs.iter().copied().filter(move |c| c.key.lang == lang);
            let (Some(best), Some(lock)) = (
                best_of(side()),
                best_of(side().filter(|c| is_one_lock(lang, &c.key.map))),
            ) else {
                continue;
            };
            if side().count() < 2 || med(best) <= 0.0 {
                continue;
            }
            top_t.insert(*t);
            shares.push(med(lock) / med(best));
            fastest_somewhere += usize::from(lock.key.map == best.key.map);
        }
    }
    LockShares {
        shares,
        fastest_somewhere,
        top_t,
    }
}

/// "…: at 2 threads the best single-lock map reaches 40–60% of the fastest map on its
/// side, …".
fn shares_clause(text: &mut String, s: &LockShares) {
    let (shares, fastest_somewhere, top_t) = (&s.shares, s.fastest_somewhere, &s.top_t);
    let lo = shares.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = shares.iter().copied().fold(0.0, f64::max);
    let ts: Vec<String> = top_t.iter().map(u32::to_string).collect();
    let range = if hi - lo < 0.005 {
        format!("{:.0}%", hi * 100.0)
    } else {
        format!("{:.0}–{:.0}%", lo * 100.0, hi * 100.0)
    };
    if fastest_somewhere == shares.len() {
        write!(
            text,
            ": at {} threads a single-lock map (Mutex or RwLock around one table) is the \
             fastest map on its side in every workload",
            ts.join("/")
        )
        .ok();
    } else {
        write!(
            text,
            ": at {} threads the best single-lock map (Mutex or RwLock around one table) \
             reaches {range} of the fastest map on its side",
            ts.join("/")
        )
        .ok();
        if fastest_somewhere > 0 {
            write!(
                text,
                ", and is itself the fastest in {fastest_somewhere} of {} workload–side pairs",
                shares.len()
            )
            .ok();
        }
    }
}

/// "…going from 1 to 2 threads slows every one of them (throughput ratio: …)".
fn scaling_clause(text: &mut String, s: &ThreadScaling, (lo, hi): (u32, u32), first: bool) {
    let ratios = &s.ratios;
    let all: Vec<f64> = ratios.values().flatten().copied().collect();
    let verb = if all.iter().all(|&r| r < 1.0) {
        "slows every one of them"
    } else if all.iter().all(|&r| r > 1.0) {
        "speeds every one of them up"
    } else {
        "helps some of them and slows others"
    };
    let maps: Vec<String> = ratios
        .iter()
        .map(|((l, m), rs)| {
            let a = rs.iter().copied().fold(f64::INFINITY, f64::min);
            let b = rs.iter().copied().fold(0.0, f64::max);
            if rs.len() == 1 || (b - a).abs() < 0.005 {
                format!("{} ×{a:.2}", side_map(*l, m))
            } else {
                format!("{} ×{a:.2}–{b:.2}", side_map(*l, m))
            }
        })
        .collect();
    let sep = if first { ": " } else { "; " };
    write!(
        text,
        "{sep}going from {lo} to {hi} threads {verb} (throughput ratio: {})",
        maps.join(", ")
    )
    .ok();
}

/// The other maps' scaling, each by its median ratio over the workloads: how many gain
/// from the added thread, and the one that gains most.
fn others_clause(others: &BTreeMap<(Lang, &str), Vec<f64>>) -> Option<String> {
    let other: Vec<(f64, String)> = others
        .iter()
        .filter_map(|((l, m), rs)| Some((median_of(rs.clone())?, side_map(*l, m))))
        .collect();
    let top = other
        .iter()
        .max_by(|a, b| a.0.total_cmp(&b.0).then(b.1.cmp(&a.1)))?;
    let n = other.len();
    let gain = other.iter().filter(|o| o.0 > 1.0).count();
    Some(match (gain, n) {
        (0, 1) => format!("{} does not gain (×{:.2})", top.1, top.0),
        (1, 1) => format!("{} gains (×{:.2})", top.1, top.0),
        (g, n) => {
            let who = match g {
                0 => format!("none of the other {n} maps gains"),
                g if g == n => format!("all {n} other maps gain"),
                g => format!("{g} of the other {n} maps gain"),
            };
            format!("{who} (highest median ratio: {} ×{:.2})", top.1, top.0)
        }
    })
}

/// Relative change of a memory series from its second quarter to its last.
pub fn second_half_change(y: &[f64]) -> Option<f64> {
    let n = y.len();
    if n < 8 {
        return None;
    }
    let mean = |s: &[f64]| s.iter().sum::<f64>() / s.len() as f64;
    let (q2, q4) = (mean(&y[n / 4..n / 2]), mean(&y[3 * n / 4..]));
    (q2 > 0.0).then(|| (q4 - q2) / q2)
}

fn takeaway_memory(long: &[&RunFile]) -> Option<String> {
    let mut level = Vec::new();
    let mut growing = Vec::new();
    let mut falling = Vec::new();
    let mut what = BTreeSet::new();
    let mut double = 0;
    let mut rss_growing = Vec::new();
    for r in long {
        let Some((series, t, y)) = memory_series(r) else {
            continue;
        };
        let Some(ch) = second_half_change(&y) else {
            continue;
        };
        what.insert(series);
        let name = side_map(r.start.lang, &r.start.map);
        if ch.abs() <= LEVEL_CHANGE {
            level.push(name.clone());
        } else if ch > 0.0 {
            growing.push(format!("{name} (+{:.0}%)", ch * 100.0));
        } else {
            falling.push(format!("{name} ({:.0}%)", ch * 100.0));
        }
        double += usize::from(fit::compare(&t, &y).better == fit::DOUBLE_EXP);
        if series == "live heap" {
            let rss: Vec<f64> = r
                .intervals
                .iter()
                .filter_map(|i| Some(i.rss_bytes? as f64))
                .collect();
            if let Some(c) = second_half_change(&rss).filter(|c| *c > LEVEL_CHANGE) {
                rss_growing.push(format!("{name} (+{:.0}%)", c * 100.0));
            }
        }
    }
    let n = level.len() + growing.len() + falling.len();
    if n == 0 {
        return None;
    }
    let what: Vec<&str> = what.into_iter().collect();
    let mut parts = Vec::new();
    if !level.is_empty() {
        parts.push(format!(
            "level (within ±{:.0}%) for {}",
            LEVEL_CHANGE * 100.0,
            level.join(", ")
        ));
    }
    if !growing.is_empty() {
        parts.push(format!("still growing for {}", growing.join(", ")));
    }
    if !falling.is_empty() {
        parts.push(format!("falling for {}", falling.join(", ")));
    }
    let verdict = match (level.len(), n) {
        (l, n) if l == n => "memory plateaus in every long run",
        (0, _) => "no long run's memory plateaus",
        _ => "memory plateaus in some runs, not in all",
    };
    let rss = if rss_growing.is_empty() {
        String::new()
    } else {
        format!(
            " The resident set still grows where the live heap does not: {}.",
            rss_growing.join(", ")
        )
    };
    let fits = match (double, n) {
        (0, 1) => "is not the preferred fit of the run".to_owned(),
        (1, 1) => "is the preferred fit of the run".to_owned(),
        (0, n) => format!("is the preferred fit in none of the {n} runs"),
        (d, n) if d == n => format!("is the preferred fit in all {n} runs"),
        (d, n) => format!("is the preferred fit in {d} of the {n} runs"),
    };
    Some(format!(
        "**Memory** ({}, mean of the last quarter against the second quarter of each run): \
         {verdict}: {}.{rss} The article's double exponential {fits}.",
        what.join(" or "),
        parts.join("; ")
    ))
}

fn takeaway_pauses(long: &[&RunFile]) -> Option<String> {
    let mut parts = Vec::new();
    let go: Vec<&&RunFile> = long.iter().filter(|r| r.start.lang == Lang::Go).collect();
    if !go.is_empty() {
        let mut with: Vec<(u64, usize, &str)> = Vec::new();
        let mut without = Vec::new();
        for r in &go {
            let p = figures::pauses_of(r);
            match p.iter().map(|q| q.1).max() {
                Some(m) => with.push((m, p.len(), &r.start.map)),
                None => without.push(format!("`{}`", r.start.map)),
            }
        }
        with.sort();
        let mut s = match with.last() {
            Some((m, _, map)) => format!(
                "Go's collector paused {} times in {}, the longest {} (`{map}`)",
                with.iter().map(|w| w.1).sum::<usize>(),
                match (with.len(), go.len()) {
                    (1, 1) => "the Go run".to_owned(),
                    (k, n) if k == n => format!("the {n} Go runs"),
                    (k, n) => format!("{k} of the {n} Go runs"),
                },
                figures::fmt_ns(*m as f64)
            ),
            None => format!(
                "Go's collector did not pause in any of the {} Go runs",
                go.len()
            ),
        };
        if !without.is_empty() && !with.is_empty() {
            write!(s, "; no pause at all in {}", without.join(", ")).ok();
        }
        parts.push(s);
    }
    let rust: Vec<&&RunFile> = long.iter().filter(|r| r.start.lang == Lang::Rust).collect();
    if !rust.is_empty() {
        let counted: Vec<&&&RunFile> = rust
            .iter()
            .filter(|r| figures::PauseKind::of(r) == figures::PauseKind::ReclamationStall)
            .collect();
        let longest = counted
            .iter()
            .flat_map(|r| {
                figures::pauses_of(r)
                    .into_iter()
                    .map(|p| (p.1, r.start.map.as_str()))
            })
            .max();
        parts.push(match (counted.len(), longest) {
            (0, _) => "no Rust run here counts its reclamation, so Rust stalls are not observed"
                .to_owned(),
            (1, None) => "the Rust run that counts its reclamation recorded no stall".to_owned(),
            (k, None) => {
                format!("the {k} Rust runs that count their reclamation recorded no stall")
            }
            (k, Some((ns, map))) => format!(
                "{}, and {} longest stall took {} (`{map}`)",
                match (k, rust.len()) {
                    (1, 1) => "the Rust run counts its reclamation".to_owned(),
                    (1, n) => format!("1 of the {n} Rust runs counts its reclamation"),
                    (k, n) if k == n => format!("the {k} Rust runs count their reclamation"),
                    (k, n) => format!("{k} of the {n} Rust runs count their reclamation"),
                },
                if k == 1 { "its" } else { "their" },
                figures::fmt_ns(ns as f64)
            ),
        });
    }
    (!parts.is_empty()).then(|| format!("**Pauses**: {}.", parts.join("; ")))
}

/// The widest p99.9 gap between two maps at a workload's highest thread count (worst
/// against best), and which side has the lower best p99.9 in how many workloads. With
/// `sides_concurrent` only maps of the same side are set against each other.
fn takeaway_tails(cells: &[CellStats], sides_concurrent: bool) -> Option<String> {
    let p999 = |c: &CellStats| LatencySummary::of(&c.latency).map(|l| l.p999 as f64);
    // The groups whose maps are compared: per workload, or per workload and side.
    type Group<'c> = (u32, Vec<(&'c CellStats, f64)>);
    let mut groups: BTreeMap<(&str, Option<Lang>), Group> = BTreeMap::new();
    for (wl, (t, cs)) in &top_cells(cells) {
        for c in cs {
            let Some(v) = p999(c).filter(|v| *v > 0.0) else {
                continue;
            };
            let side = sides_concurrent.then_some(c.key.lang);
            groups
                .entry((*wl, side))
                .or_insert((*t, Vec::new()))
                .1
                .push((*c, v));
        }
    }
    // (workload, threads, worst cell, its p99.9, best cell, its p99.9)
    let mut gaps = Vec::new();
    let mut side_best: Vec<Lang> = Vec::new();
    for ((wl, _), (t, with)) in &groups {
        if with.len() < 2 {
            continue;
        }
        let cmp = |a: &&(&CellStats, f64), b: &&(&CellStats, f64)| {
            a.1.total_cmp(&b.1).then(b.0.key.cmp(&a.0.key))
        };
        let (Some(worst), Some(best)) = (with.iter().max_by(cmp), with.iter().min_by(cmp)) else {
            continue;
        };
        gaps.push((*wl, *t, worst.0, worst.1, best.0, best.1));
        let best_of_side = |l: Lang| {
            with.iter()
                .filter(|w| w.0.key.lang == l)
                .map(|w| w.1)
                .fold(f64::INFINITY, f64::min)
        };
        let (g, r) = (best_of_side(Lang::Go), best_of_side(Lang::Rust));
        if g.is_finite() && r.is_finite() && g != r {
            side_best.push(if r < g { Lang::Rust } else { Lang::Go });
        }
    }
    let (wl, t, worst, w, best, b) = gaps
        .iter()
        .max_by(|a, b| (a.3 / a.5).total_cmp(&(b.3 / b.5)).then(b.0.cmp(a.0)))?;
    let within = if sides_concurrent {
        ", within a side"
    } else {
        ""
    };
    let mut text = format!(
        "**Tail latency** (p99.9 at each workload's highest thread count{within}): the widest \
         gap is on `{wl}` at {t} threads, where {} takes {} at p99.9, {:.1} times the {} of {}",
        side_map(worst.key.lang, &worst.key.map),
        figures::fmt_ns(*w),
        w / b,
        figures::fmt_ns(*b),
        side_map(best.key.lang, &best.key.map),
    );
    let n = side_best.len();
    let rust = side_best.iter().filter(|l| **l == Lang::Rust).count();
    match (n, rust) {
        (0, _) => {}
        (1, 1) => text.push_str("; Rust's best p99.9 there is below Go's best"),
        (1, 0) => text.push_str("; Go's best p99.9 there is below Rust's best"),
        (n, k) if k == n => write!(
            text,
            "; Rust's best p99.9 is below Go's best in every workload ({n})"
        )
        .unwrap(),
        (n, 0) => write!(
            text,
            "; Go's best p99.9 is below Rust's best in every workload ({n})"
        )
        .unwrap(),
        (n, k) => write!(
            text,
            "; Rust's best p99.9 is below Go's best in {k} of {n} workloads"
        )
        .unwrap(),
    }
    text.push('.');
    Some(text)
}

fn takeaway_alloc(cells: &[CellStats]) -> Option<String> {
    let mut most: BTreeMap<(Lang, &str), (f64, &str)> = BTreeMap::new();
    let mut maps = BTreeSet::new();
    for c in cells {
        maps.insert((c.key.lang, c.key.map.as_str()));
        let Some(a) = c.allocs_per_op else { continue };
        let e = most
            .entry((c.key.lang, c.key.map.as_str()))
            .or_insert((a, c.key.workload.as_str()));
        if a > e.0 {
            *e = (a, c.key.workload.as_str());
        }
    }
    if most.is_empty() {
        return None;
    }
    let mut alloc: Vec<(f64, String)> = most
        .iter()
        .filter(|(_, (a, _))| *a >= ALLOCATING_PER_OP)
        .map(|((l, m), (a, wl))| (*a, format!("{} (up to {a:.2} on `{wl}`)", side_map(*l, m))))
        .collect();
    alloc.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    if alloc.is_empty() {
        return Some(format!(
            "**Allocation**: no map allocates {ALLOCATING_PER_OP} objects per op or more in any \
             workload."
        ));
    }
    let others = most.len() - alloc.len();
    let listed: Vec<String> = alloc.into_iter().map(|a| a.1).collect();
    Some(if others == 0 {
        format!(
            "**Allocation**: every map allocates at least {ALLOCATING_PER_OP} objects per op \
             (allocs/op) in some workload: {}.",
            listed.join(", ")
        )
    } else {
        format!(
            "**Allocation**: {} allocate{} at least {ALLOCATING_PER_OP} objects per op \
             (allocs/op); the other {others} map{} stay{} below that in every workload.",
            listed.join(", "),
            if listed.len() == 1 { "s" } else { "" },
            if others == 1 { "" } else { "s" },
            if others == 1 { "s" } else { "" },
        )
    })
}

fn takeaway_noise(cells: &[CellStats]) -> Option<String> {
    let repeated: Vec<(&CellStats, f64)> = cells
        .iter()
        .filter(|c| c.throughputs.len() > 1)
        .filter_map(|c| Some((c, relative_range(&c.throughputs)?)))
        .collect();
    if cells.iter().all(|c| c.throughputs.is_empty()) {
        return None;
    }
    if repeated.is_empty() {
        return Some(
            "**Noise**: each cell ran once, so there is no min–max range to judge noise by; \
             differences of a few percent between maps may be noise."
                .to_owned(),
        );
    }
    let noisy = repeated.iter().filter(|(_, r)| *r > NOISY_SPREAD).count();
    let (c, widest) = repeated
        .iter()
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .copied()?;
    Some(if noisy == 0 {
        format!(
            "**Noise**: in every one of the {} cells with repeats the min–max range is within \
             {:.0}% of the median (widest: {:.0}%).",
            repeated.len(),
            NOISY_SPREAD * 100.0,
            widest * 100.0
        )
    } else {
        format!(
            "**Noise**: in {noisy} of {} cells with repeats the min–max range is wider than {:.0}% \
             of the median (widest: {} on `{}` at {} threads, {:.0}%); read a difference between \
             two maps as real only where their ranges do not overlap.",
            repeated.len(),
            NOISY_SPREAD * 100.0,
            side_map(c.key.lang, &c.key.map),
            c.key.workload,
            c.key.threads,
            widest * 100.0
        )
    })
}

fn md_escape(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

/// The repository root the runners were built in: the Rust runner's build
/// directory, else the parent of the Go runner's (`go-reference`).
/// The cells `mapbench run` skipped (a map's thread limit, or key/value kinds it does
/// not come in), one line each, from the manifest's `options.skipped`.
pub fn skipped_cells(manifest: Option<&crate::manifest::Manifest>) -> Vec<String> {
    manifest
        .and_then(|m| m.options.get("skipped"))
        .and_then(serde_json::Value::as_array)
        .map(|items| {
            items
                .iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

fn manifest_repo_root(m: &crate::manifest::Manifest) -> Option<PathBuf> {
    let cwd = |side: &str| {
        m.runners
            .get(side)
            .and_then(|r| r.build_cwd.as_deref())
            .map(PathBuf::from)
    };
    // With prebuilt runners (`--rust-runner`, `--go-runner`) nothing was built and no
    // build directory was recorded; the trace cache is still under this repository.
    cwd("rust")
        .or_else(|| cwd("go").and_then(|p| p.parent().map(Path::to_path_buf)))
        .or_else(|| Some(crate::runners::repo_root()))
}

/// A recorded command as a reader can paste it from the repository root:
/// paths under `root` become relative (to `cwd`, prefixed by `cd DIR && `
/// when the command ran in a subdirectory), and an absolute toolchain binary
/// (`/home/u/.rustup/.../cargo`) becomes its bare name.
pub fn portable_command(argv: &[String], root: Option<&Path>, cwd: Option<&Path>) -> String {
    let rel_cwd = match (root, cwd) {
        (Some(r), Some(c)) => c.strip_prefix(r).ok().map(Path::to_path_buf),
        _ => None,
    };
    let depth = rel_cwd.as_ref().map_or(0, |p| p.components().count());
    let relative = |a: &str| -> Option<String> {
        let r = root?;
        let rest = Path::new(a).strip_prefix(r).ok()?;
        let mut out = "../".repeat(depth);
        out.push_str(&rest.to_string_lossy());
        if out.is_empty() {
            out.push('.');
        }
        Some(out.trim_end_matches('/').to_owned())
    };
    let args: Vec<String> = argv
        .iter()
        .enumerate()
        .map(|(i, a)| {
            if let Some(r) = relative(a) {
                return r;
            }
            if let Some((k, v)) = a.split_once('=')
                && let Some(r) = relative(v)
            {
                return format!("{k}={r}");
            }
            if i == 0 && a.starts_with('/') {
                return Path::new(a)
                    .file_name()
                    .map_or_else(|| a.clone(), |n| n.to_string_lossy().into_owned());
            }
            a.clone()
        })
        .collect();
    let cmd = shell_join(&args);
    match rel_cwd {
        Some(d) if !d.as_os_str().is_empty() => format!("cd {} && {cmd}", d.display()),
        _ => cmd,
    }
}

pub fn shell_join(argv: &[String]) -> String {
    argv.iter()
        .map(|a| {
            if !a.is_empty()
                && a.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_./=:,+@%".contains(c))
            {
                a.clone()
            } else {
                format!("'{}'", a.replace('\'', "'\\''"))
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn opt_ns(v: Option<u64>) -> String {
    v.map_or_else(|| "–".into(), |n| n.to_string())
}

/// The page being built: the inputs and the figures drawn so far.
struct Page<'a> {
    opts: &'a ReportOptions,
    manifest: Option<&'a crate::manifest::Manifest>,
    runs: &'a [LoadedRun],
    not_ok: &'a [RunFile],
    cells: Vec<CellStats>,
    palette: Palette,
    /// The results directory has a `bench.txt` (copied beside the page).
    has_bench: bool,
}

impl<'a> Page<'a> {
    fn new(
        opts: &'a ReportOptions,
        manifest: Option<&'a crate::manifest::Manifest>,
        runs: &'a [LoadedRun],
        not_ok: &'a [RunFile],
    ) -> Page<'a> {
        let cells = cells(runs, not_ok);
        let keys: Vec<SeriesKey> = cells.iter().map(CellStats::series).collect();
        let palette = Palette::new(&keys);
        Page {
            opts,
            manifest,
            runs,
            not_ok,
            cells,
            palette,
            has_bench: true,
        }
    }

    fn render(&self, fig_dir: &Path) -> anyhow::Result<(String, Vec<String>)> {
        let mut md = String::new();
        let mut figs = Vec::new();
        let w = &mut md;
        let title = self
            .opts
            .title
            .clone()
            .unwrap_or_else(|| match self.manifest {
                Some(m) => format!("Results: the {} suite", m.suite.name),
                None => "Results".into(),
            });
        writeln!(
            w,
            "<!-- Generated by mapbench report; regenerate with: {} -->\n",
            self.opts.command
        )?;
        writeln!(w, "# {title}\n")?;
        if let Some(p) = self.manifest.and_then(|m| m.progress()) {
            writeln!(
                w,
                "**The suite has not ended: {}.** The tables below hold the runs that finished.\n",
                p.describe()
            )?;
        }
        if self.manifest.is_none() {
            writeln!(
                w,
                "The results directory has no `manifest.json`: the runs below are what its run \
                 files say, without the suite, the commands or the planned runs.\n"
            )?;
        }
        if let Some(path) = &self.opts.harness_costs {
            let h = read_harness_costs(path)?;
            writeln!(
                w,
                "**Harness cost: Rust {:.1} ns/op, Go {:.1} ns/op.** Each runner's own cost per \
                 op, measured by `mapbench validate` with the noop map ({} thread, `{}`, \
                 latency sampled 1 op in {}, median of {} and {} runs; `{}`, commit {}). Every \
                 figure below includes its runner's cost, so a Rust–Go difference smaller than \
                 {:.1} ns per op is within the difference between the two harnesses.\n",
                h.rust_ns,
                h.go_ns,
                h.threads,
                h.workload,
                h.sample_every,
                h.runs.0,
                h.runs.1,
                path.display(),
                h.git,
                (h.go_ns - h.rust_ns).abs()
            )?;
        }
        self.takeaways(w)?;
        self.how_to_read(w)?;
        let workloads: BTreeSet<&str> =
            self.cells.iter().map(|c| c.key.workload.as_str()).collect();
        for wl in workloads {
            self.workload_section(w, wl, fig_dir, &mut figs)?;
        }
        self.memory_fit_section(w)?;
        if !self.not_ok.is_empty() {
            writeln!(w, "## Runs that did not end ok\n")?;
            writeln!(
                w,
                "Not in the statistics above (counted in the `runs` column's total).\n"
            )?;
            writeln!(w, "| run | outcome |\n|---|---|")?;
            for r in self.not_ok {
                let o = r.outcome();
                let msg = match &o {
                    Outcome::Error(m) => format!("{}: {}", o.label(), md_escape(m)),
                    _ => o.label().to_owned(),
                };
                writeln!(w, "| `{}` | {msg} |", r.start.run_id)?;
            }
            writeln!(w)?;
        }
        let skipped = skipped_cells(self.manifest);
        if !skipped.is_empty() {
            writeln!(w, "## Cells skipped\n")?;
            writeln!(
                w,
                "The suite asked for these, and `mapbench run` left them out before running (from \
                 `manifest.json`, `options.skipped`):\n"
            )?;
            for line in &skipped {
                writeln!(w, "- {}", md_escape(line))?;
            }
            writeln!(w)?;
        }
        self.environment(w)?;
        if self.has_bench {
            writeln!(
                w,
                "## bench.txt\n\n`bench.txt` beside this page is the results' own, in Go benchmark \
                 format (one line per run, with the config header): compare two of them with \
                 `benchstat` or `mapbench compare`.\n"
            )?;
        } else {
            writeln!(
                w,
                "## bench.txt\n\nThe results directory has no `bench.txt` (runner files not written \
                 by `mapbench run`), so there is none beside this page. For one, with the Go \
                 benchmark lines `benchstat` reads and the manifest of how the runs were made, \
                 run the suite with `mapbench run --suite NAME --out DIR`.\n"
            )?;
        }
        Ok((md, figs))
    }

    /// "Takeaways": 3–5 sentences computed from the cells and runs ([`takeaways`]).
    fn takeaways(&self, w: &mut String) -> anyhow::Result<()> {
        let long: Vec<&RunFile> = self
            .runs
            .iter()
            .map(|r| &r.file)
            .filter(|r| memory_series(r).is_some())
            .collect();
        let items = takeaways(&self.cells, &long, sides_concurrent(self.manifest));
        if items.is_empty() {
            return Ok(());
        }
        writeln!(w, "## Takeaways\n")?;
        for t in items {
            writeln!(w, "- {t}")?;
        }
        writeln!(w)?;
        if let Some(t) = fastest_table(&self.cells).filter(|_| !sides_concurrent(self.manifest)) {
            writeln!(
                w,
                "At each workload's highest thread count (≈: the runner-up's min–max range \
                 reaches the winner's):\n\n{t}"
            )?;
        }
        Ok(())
    }

    /// Why no speed is compared across sides when they ran at the same time: how the
    /// manifest shows it, and the CPUs each run saw (`host.vcpus` of its run records).
    fn concurrent_sides_note(&self, w: &mut String) -> anyhow::Result<()> {
        let placement: Vec<String> = self
            .manifest
            .and_then(|m| m.options.get("concurrent_sides"))
            .and_then(|v| v.as_array())
            .map(|a| {
                a.iter()
                    .filter_map(|l| Some(format!("`{}`", md_escape(l.as_str()?))))
                    .collect()
            })
            .unwrap_or_default();
        let how = if placement.is_empty() {
            "their run times in `manifest.json` overlap".to_owned()
        } else {
            format!(
                "`manifest.json` records the placement: {}",
                placement.join(", ")
            )
        };
        let vcpus: BTreeSet<Option<u32>> =
            self.runs.iter().map(|r| r.file.start.host.vcpus).collect();
        let threads: BTreeSet<u32> = self.runs.iter().map(|r| r.file.start.threads).collect();
        let one_vcpus = if vcpus.len() == 1 {
            vcpus.first().copied().flatten()
        } else {
            None
        };
        let cpus = match (one_vcpus, threads.first()) {
            (Some(v), Some(&t)) if threads.len() == 1 => {
                format!(
                    ", each run seeing {v} CPU{} for its {t} thread{} (`host.vcpus` in its run \
                     record)",
                    if v == 1 { "" } else { "s" },
                    if t == 1 { "" } else { "s" }
                )
            }
            _ => String::new(),
        };
        writeln!(
            w,
            "- **Sides at the same time.** The Go and Rust runs went at the same time ({how}){cpus}. \
             One side's throughput and latency depend on what the other was doing, so this page \
             ranks no map across sides: read each side's numbers over time, not against the \
             other's."
        )?;
        Ok(())
    }

    /// What every workload section shares, said once.
    fn how_to_read(&self, w: &mut String) -> anyhow::Result<()> {
        writeln!(w, "## How to read this page\n")?;
        writeln!(
            w,
            "- **Tables.** Throughput is the median over the runs that ended ok (min–max \
             beside it); latency percentiles come from those runs' histograms merged (1 op in \
             `sample_every` timed); B/op and allocs/op are allocation totals over the measured \
             phase ÷ ops. The machine, toolchains, map versions and commands are under \
             [Environment](#environment) at the end."
        )?;
        writeln!(
            w,
            "- **Figures.** Maps are grouped in panels by family (one lock, sharded locks, \
             read-optimised, lock-free), all panels on the same axes; a design has one colour \
             in both languages, Go drawn solid and Rust dashed, and each line is labelled where \
             it ends. Time axes start at the measured phase; each point is one interval."
        )?;
        let threads: BTreeSet<u32> = self.cells.iter().map(|c| c.key.threads).collect();
        let list: Vec<String> = threads.iter().map(u32::to_string).collect();
        if self.any_knee_possible() {
            writeln!(
                w,
                "- **Knee.** The knee is the thread count just before the first step whose \
                 throughput gain is below {:.0}% of the ideal linear gain (the first point's \
                 throughput per thread × the threads added); it needs at least 3 points.",
                KNEE_GAIN_FRACTION * 100.0
            )?;
        } else {
            writeln!(
                w,
                "- **Scaling.** Threads measured: {}. Where added threads stop paying (the knee) \
                 needs at least 3 thread counts for a map, so none is located here.",
                list.join(", ")
            )?;
        }
        if sides_concurrent(self.manifest) {
            self.concurrent_sides_note(w)?;
        }
        let has_long = self.runs.iter().any(|r| memory_series(&r.file).is_some());
        if !has_long {
            let longest_s = self
                .runs
                .iter()
                .filter_map(|r| r.file.intervals.last())
                .map(|i| i.t_end_ns as f64 / 1e9)
                .fold(0.0, f64::max);
            writeln!(
                w,
                "- **Pauses.** No pause timeline here: the longest run lasts {} s, and a timeline \
                 is drawn only for runs of at least {} s with {LONG_RUN_MIN_SAMPLES} intervals, \
                 long enough to contain GC pauses or reclamation stalls. The reports of the \
                 `memory-minute` and `long` suites (one- and five-minute runs) draw them.",
                figures::fmt_num(longest_s),
                LONG_RUN_MIN_SPAN_NS / 1_000_000_000
            )?;
        }
        writeln!(w)?;
        Ok(())
    }

    fn environment(&self, w: &mut String) -> anyhow::Result<()> {
        self.environment_facts(w)?;
        self.commands(w)?;
        self.maps_table(w)
    }

    /// The environment table: suite, host, toolchains, commit, runs.
    fn environment_facts(&self, w: &mut String) -> anyhow::Result<()> {
        let first = self.runs.first().map(|r| &r.file.start);
        let toolchain = |lang: Lang| -> String {
            let from_manifest = self
                .manifest
                .and_then(|m| m.runners.get(lang.name()))
                .and_then(|r| r.toolchain.clone());
            from_manifest
                .or_else(|| {
                    self.runs
                        .iter()
                        .find(|r| r.file.start.lang == lang)
                        .map(|r| r.file.start.toolchain.clone())
                })
                .unwrap_or_else(|| "–".into())
        };
        writeln!(w, "## Environment\n\n| | |\n|---|---|")?;
        if let Some(m) = self.manifest {
            writeln!(
                w,
                "| suite | `{}`: {} |",
                m.suite.name,
                md_escape(&m.suite.description)
            )?;
            match m.progress() {
                Some(p) => writeln!(
                    w,
                    "| suite status | {}, started {} |",
                    md_escape(&p.describe()),
                    m.started_at
                )?,
                None => writeln!(
                    w,
                    "| suite status | {:?}, {} → {} |",
                    m.status,
                    m.started_at,
                    m.ended_at.as_deref().unwrap_or("–")
                )?,
            }
        }
        let host_cpu = self
            .manifest
            .and_then(|m| m.host.cpu_model.clone())
            .or_else(|| first.and_then(|s| s.host.cpu_model.clone()));
        let vcpus = self
            .manifest
            .and_then(|m| m.host.vcpus)
            .or_else(|| first.and_then(|s| s.host.vcpus));
        let kernel = self
            .manifest
            .and_then(|m| m.host.kernel.clone())
            .or_else(|| first.and_then(|s| s.host.kernel.clone()));
        writeln!(
            w,
            "| CPU | {} |",
            md_escape(host_cpu.as_deref().unwrap_or("–"))
        )?;
        writeln!(
            w,
            "| vCPUs | {} |",
            vcpus.map_or("–".into(), |v| v.to_string())
        )?;
        writeln!(
            w,
            "| kernel | {} |",
            md_escape(kernel.as_deref().unwrap_or("–"))
        )?;
        if let Some(m) = self.manifest {
            writeln!(w, "| OS/arch | {}/{} |", m.host.goos, m.host.goarch)?;
        }
        writeln!(w, "| Go | {} |", md_escape(&toolchain(Lang::Go)))?;
        writeln!(w, "| Rust | {} |", md_escape(&toolchain(Lang::Rust)))?;
        let commit = match self.manifest {
            Some(m) => match (&m.git.commit, m.git.dirty) {
                (Some(c), Some(true)) => format!("`{c}` (with uncommitted changes)"),
                (Some(c), _) => format!("`{c}`"),
                (None, _) => "–".into(),
            },
            None => first
                .and_then(|s| s.git_commit.clone())
                .map_or("–".into(), |c| format!("`{c}`")),
        };
        writeln!(w, "| git commit | {commit} |")?;
        let runs_total = self.runs.len() + self.not_ok.len();
        writeln!(w, "| runs | {runs_total} ({} ok) |\n", self.runs.len())?;
        Ok(())
    }

    /// The commands that made the results, the runners and this page.
    fn commands(&self, w: &mut String) -> anyhow::Result<()> {
        writeln!(w, "### Commands\n")?;
        if let Some(m) = self.manifest {
            writeln!(
                w,
                "The results:\n\n```sh\n{}\n```\n",
                shell_join(&m.command)
            )?;
            let root = manifest_repo_root(m);
            for (side, r) in &m.runners {
                if let Some(b) = &r.build_command {
                    let cwd = r.build_cwd.as_deref().map(Path::new);
                    writeln!(
                        w,
                        "The {side} runner, built from the repository root:\n\n```sh\n{}\n```\n",
                        portable_command(b, root.as_deref(), cwd)
                    )?;
                }
            }
            if let Some(run) = m.runs.first() {
                writeln!(
                    w,
                    "Each run's exact command line is in `manifest.json` (`runs[].argv`); the first, from the repository root:\n\n```sh\n{}\n```\n",
                    portable_command(&run.argv, root.as_deref(), root.as_deref())
                )?;
            }
        } else {
            writeln!(
                w,
                "The results directory has no `manifest.json`: the commands that made it are not recorded.\n"
            )?;
        }
        writeln!(w, "This page:\n\n```sh\n{}\n```\n", self.opts.command)?;
        Ok(())
    }

    /// One row per map run: its crate or package, version and hasher.
    fn maps_table(&self, w: &mut String) -> anyhow::Result<()> {
        writeln!(
            w,
            "### Maps\n\n| side | map | crate / package | version | hasher |\n|---|---|---|---|---|"
        )?;
        let mut seen = BTreeSet::new();
        let mut rows = Vec::new();
        for r in self.runs.iter().map(|r| &r.file).chain(self.not_ok) {
            let s = &r.start;
            if !seen.insert((s.lang, s.map.clone())) {
                continue;
            }
            let info = |k: fn(&ImplInfo) -> &Option<String>| {
                s.impl_info
                    .as_ref()
                    .and_then(|i| k(i).as_deref())
                    .map_or_else(|| "–".to_owned(), md_escape)
            };
            rows.push((
                s.lang,
                s.map.clone(),
                format!(
                    "| {} | {} | {} | {} | {} |",
                    s.lang,
                    s.map,
                    info(|i| &i.crate_or_package),
                    info(|i| &i.version),
                    info(|i| &i.hasher)
                ),
            ));
        }
        rows.sort();
        for (_, _, row) in rows {
            writeln!(w, "{row}")?;
        }
        writeln!(w)?;
        Ok(())
    }

    fn workload_section(
        &self,
        w: &mut String,
        wl: &str,
        fig_dir: &Path,
        figs: &mut Vec<String>,
    ) -> anyhow::Result<()> {
        let cells: Vec<&CellStats> = self.cells.iter().filter(|c| c.key.workload == wl).collect();
        writeln!(w, "## Workload `{wl}`\n")?;
        let mut out = FigureOut {
            dir: fig_dir,
            names: figs,
        };
        let series = self.throughput_figure(w, wl, &cells, &mut out)?;
        cell_table(w, &cells)?;
        // Knee (the rule is said once above; nothing here when no workload has 3 points).
        if self.any_knee_possible() {
            knee_table(w, &series)?;
        }
        self.latency_figures(w, wl, &cells, &mut out)?;
        self.alloc_figure(w, wl, &cells, &mut out)?;
        self.over_time(w, wl, &mut out)
    }

    /// Throughput vs threads: the figure, and its series (median with min–max per
    /// thread count) for the knee table.
    fn throughput_figure(
        &self,
        w: &mut String,
        wl: &str,
        cells: &[&CellStats],
        out: &mut FigureOut,
    ) -> anyhow::Result<Vec<(SeriesKey, Vec<Spread>)>> {
        let mut by_series: BTreeMap<SeriesKey, Vec<Spread>> = BTreeMap::new();
        for c in cells {
            if let Some(s) = c.spread() {
                by_series.entry(c.series()).or_default().push(s);
            }
        }
        let series: Vec<(SeriesKey, Vec<Spread>)> = by_series.into_iter().collect();
        let name = format!("throughput-{wl}.svg");
        figures::throughput_vs_threads(&out.path(&name), wl, &self.palette, &series)?;
        out.emit(
            w,
            name,
            format!("{wl}: throughput vs threads, median with min–max"),
        )?;
        Ok(series)
    }

    /// The latency spectrum figure of each thread count.
    fn latency_figures(
        &self,
        w: &mut String,
        wl: &str,
        cells: &[&CellStats],
        out: &mut FigureOut,
    ) -> anyhow::Result<()> {
        writeln!(w, "### Latency percentile spectrum\n")?;
        let threads: BTreeSet<u32> = cells.iter().map(|c| c.key.threads).collect();
        for t in &threads {
            let row: Vec<(SeriesKey, &Histogram<u64>)> = cells
                .iter()
                .filter(|c| c.key.threads == *t && !c.latency.is_empty())
                .map(|c| (c.series(), &c.latency))
                .collect();
            if row.is_empty() {
                continue;
            }
            let name = format!("latency-{wl}-t{t}.svg");
            figures::latency_spectrum(
                &out.path(&name),
                &format!("{wl}, {t} thread(s): latency by percentile (merged repeats)"),
                &self.palette,
                &row,
            )?;
            out.emit(
                w,
                name,
                format!("{wl} at {t} thread(s): latency percentile spectrum"),
            )?;
        }
        Ok(())
    }

    /// Allocation per op at the highest thread count, if any cell there recorded it.
    fn alloc_figure(
        &self,
        w: &mut String,
        wl: &str,
        cells: &[&CellStats],
        out: &mut FigureOut,
    ) -> anyhow::Result<()> {
        let Some(t) = cells.iter().map(|c| c.key.threads).max() else {
            return Ok(());
        };
        let bars: Vec<Bar> = cells
            .iter()
            .filter(|c| c.key.threads == t)
            .filter_map(|c| {
                Some(Bar {
                    key: c.series(),
                    bytes_per_op: c.bytes_per_op?,
                    allocs_per_op: c.allocs_per_op.unwrap_or(0.0),
                })
            })
            .collect();
        if bars.is_empty() {
            return Ok(());
        }
        writeln!(w, "### Allocation per operation\n")?;
        let name = format!("alloc-{wl}-t{t}.svg");
        figures::alloc_per_op(
            &out.path(&name),
            &format!("{wl}, {t} thread(s): allocation per operation"),
            &self.palette,
            &bars,
        )?;
        out.emit(
            w,
            name,
            format!("{wl} at {t} thread(s): bytes and allocations per op"),
        )
    }

    /// Over time, for the longest run on each side: throughput per interval, pauses of
    /// the long runs, the reclamation backlog and memory.
    fn over_time(&self, w: &mut String, wl: &str, out: &mut FigureOut) -> anyhow::Result<()> {
        let featured = self.featured(wl);
        if featured.is_empty() {
            return Ok(());
        }
        let ids: Vec<String> = featured
            .iter()
            .map(|r| format!("`{}`", r.start.run_id))
            .collect();
        writeln!(w, "### Over time\n")?;
        writeln!(
            w,
            "The run with the most intervals on each side: {}.\n",
            ids.join(", ")
        )?;
        let name = format!("timeline-{wl}.svg");
        figures::throughput_over_time(
            &out.path(&name),
            &format!("{wl}: throughput per interval"),
            &self.palette,
            &featured,
        )?;
        out.emit(w, name, format!("{wl}: throughput over time"))?;
        // Pauses: only from runs long enough to contain some (the long runs the
        // memory fit uses); short runs get none, as "How to read this page" says.
        let long: Vec<&RunFile> = self.long_runs(wl);
        if !long.is_empty() {
            writeln!(w, "{}", pauses_paragraph(&long))?;
            let name = format!("pauses-{wl}.svg");
            figures::pause_timeline(
                &out.path(&name),
                &format!("{wl}: pauses and max op latency per interval"),
                &self.palette,
                &long,
            )?;
            out.emit(w, name, format!("{wl}: pause timeline"))?;
        }
        let name = format!("backlog-{wl}.svg");
        if let Some(peak) = figures::reclaim_backlog(
            &out.path(&name),
            &format!("{wl}: reclamation backlog"),
            &self.palette,
            &featured,
        )? {
            writeln!(
                w,
                "Backlog: values the Rust map retired (replaced or removed) and has not \
                 freed yet, at each interval's end (peak {peak} values). A Go map has no \
                 such series: its garbage is what the collector has not traced yet, seen \
                 in the live heap (memory figure) and the GC pauses.\n"
            )?;
            out.emit(w, name, format!("{wl}: reclamation backlog over time"))?;
        }
        // Memory: every long run of the workload (the runs the fit section
        // fits), so no map of a memory suite is left out; else the featured runs.
        let memory_runs = if long.is_empty() { &featured } else { &long };
        let fits: Vec<figures::FittedCurve> = long.iter().filter_map(|r| fitted_curve(r)).collect();
        let name = format!("memory-{wl}.svg");
        figures::memory_over_time(
            &out.path(&name),
            &format!("{wl}: memory over time"),
            &self.palette,
            memory_runs,
            &fits,
        )?;
        out.emit(w, name, format!("{wl}: RSS and live heap over time"))
    }

    /// The `ok` runs of `wl` long enough for the memory fit (and for pauses).
    fn long_runs(&self, wl: &str) -> Vec<&'a RunFile> {
        self.runs
            .iter()
            .map(|r| &r.file)
            .filter(|r| r.start.workload == wl && memory_series(r).is_some())
            .collect()
    }

    /// Some workload has 3 thread counts for one map: a knee can be located.
    fn any_knee_possible(&self) -> bool {
        let mut counts: BTreeMap<(&str, Lang, &str), usize> = BTreeMap::new();
        for c in &self.cells {
            if c.spread().is_some() {
                *counts
                    .entry((c.key.workload.as_str(), c.key.lang, c.key.map.as_str()))
                    .or_default() += 1;
            }
        }
        counts.values().any(|&n| n >= 3)
    }

    /// Per language, the `ok` run of `wl` with the most intervals (ties: more threads, then
    /// the first run id).
    fn featured(&self, wl: &str) -> Vec<&'a RunFile> {
        let mut out = Vec::new();
        for lang in [Lang::Go, Lang::Rust] {
            let best = self
                .runs
                .iter()
                .map(|r| &r.file)
                .filter(|r| r.start.workload == wl && r.start.lang == lang)
                .min_by(|a, b| {
                    b.intervals
                        .len()
                        .cmp(&a.intervals.len())
                        .then(b.start.threads.cmp(&a.start.threads))
                        .then(a.start.run_id.cmp(&b.start.run_id))
                });
            out.extend(best);
        }
        out
    }

    fn memory_fit_section(&self, w: &mut String) -> anyhow::Result<()> {
        writeln!(w, "## Memory over long runs\n")?;
        writeln!(
            w,
            "Fitted by least squares to each long run's live heap (else RSS): the article's \
             double exponential y = {}, one exponential stage y = {} and a line y = {}. A fit \
             whose parameters the data cannot determine (terms cancelling each other, a time \
             constant longer than the run or shorter than the sampling interval, two stages \
             that are one) is marked not identifiable and never preferred; among the others \
             the lowest AIC wins, and the memory figures draw it over the series it fits.\n",
            fit::DOUBLE_EXP,
            fit::SINGLE_EXP,
            fit::LINEAR
        )?;
        let long: Vec<(&RunFile, &str, Vec<f64>, Vec<f64>)> = self
            .runs
            .iter()
            .filter_map(|r| {
                let (what, t, y) = memory_series(&r.file)?;
                Some((&r.file, what, t, y))
            })
            .collect();
        if long.is_empty() {
            writeln!(
                w,
                "No long run in these results (one with ≥ {LONG_RUN_MIN_SAMPLES} memory samples \
                 over ≥ {} s): nothing to fit.\n",
                LONG_RUN_MIN_SPAN_NS / 1_000_000_000
            )?;
            return Ok(());
        }
        writeln!(
            w,
            "| run | series | model | parameters (bytes, s) | R² | RMSE bytes | AIC | verdict |\n|---|---|---|---|--:|--:|--:|---|"
        )?;
        // Per model: (identifiable, preferred), for the summary under the table.
        let mut tally: BTreeMap<&'static str, (usize, usize)> = BTreeMap::new();
        let runs = long.len();
        for (r, what, t, y) in long {
            let cmp = fit::compare(&t, &y);
            for f in cmp.all() {
                let e = tally.entry(f.model).or_default();
                e.0 += usize::from(f.unidentifiable.is_none());
                e.1 += usize::from(f.model == cmp.better);
            }
            for f in cmp.all() {
                let params: Vec<String> = f
                    .params
                    .iter()
                    .map(|(n, v)| format!("{n} = {}", fmt_sig(*v)))
                    .collect();
                writeln!(
                    w,
                    "| `{}` | {what} | {} | {} | {:.4} | {} | {:.1} | {} |",
                    r.start.run_id,
                    f.model,
                    params.join(", "),
                    f.r2,
                    fmt_sig(f.rmse),
                    f.aic,
                    match (&f.unidentifiable, f.model == cmp.better) {
                        (Some(why), _) => format!("not identifiable: {}", md_escape(why)),
                        (None, true) => "✓ lowest AIC".into(),
                        (None, false) => String::new(),
                    }
                )?;
            }
        }
        writeln!(w)?;
        let count = |model| tally.get(model).copied().unwrap_or_default();
        let (d, s1, l) = (
            count(fit::DOUBLE_EXP),
            count(fit::SINGLE_EXP),
            count(fit::LINEAR),
        );
        writeln!(
            w,
            "Of {runs} long runs, the double exponential was identifiable in {} and preferred in \
             {}; one exponential stage identifiable in {} and preferred in {}; the line \
             preferred in {}.\n",
            d.0, d.1, s1.0, s1.1, l.1
        )?;
        Ok(())
    }
}

/// Where a section's figures go, and the names of those written (for the summary).
struct FigureOut<'f> {
    dir: &'f Path,
    names: &'f mut Vec<String>,
}

impl FigureOut<'_> {
    fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    /// Links figure `name` (written already) into the page with `alt` text.
    fn emit(&mut self, w: &mut String, name: String, alt: String) -> anyhow::Result<()> {
        writeln!(w, "![{alt}](figures/{name})\n")?;
        self.names.push(name);
        Ok(())
    }
}

/// A workload's table of cells (how to read it is said once, above the workloads).
fn cell_table(w: &mut String, cells: &[&CellStats]) -> anyhow::Result<()> {
    writeln!(
        w,
        "| threads | side | map | runs ok/all | median Mops/s | min–max Mops/s | p50 ns | p99 ns | p99.9 ns | max ns | B/op | allocs/op |\n|--:|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|"
    )?;
    for c in cells {
        let lat = LatencySummary::of(&c.latency);
        let (med, range) = match c.spread() {
            Some(s) => (
                format!("{:.2}", s.median / 1e6),
                format!("{:.2}–{:.2}", s.min / 1e6, s.max / 1e6),
            ),
            None => ("–".into(), "–".into()),
        };
        writeln!(
            w,
            "| {} | {} | {} | {}/{} | {med} | {range} | {} | {} | {} | {} | {} | {} |",
            c.key.threads,
            c.key.lang,
            c.key.map,
            c.throughputs.len(),
            c.runs_total,
            opt_ns(lat.map(|l| l.p50)),
            opt_ns(lat.map(|l| l.p99)),
            opt_ns(lat.map(|l| l.p999)),
            opt_ns(lat.map(|l| l.max)),
            c.bytes_per_op.map_or("–".into(), |v| format!("{v:.2}")),
            c.allocs_per_op.map_or("–".into(), |v| format!("{v:.3}")),
        )?;
    }
    writeln!(w)?;
    Ok(())
}

/// Where added threads stop paying, one row per series.
fn knee_table(w: &mut String, series: &[(SeriesKey, Vec<Spread>)]) -> anyhow::Result<()> {
    writeln!(w, "### Where added threads stop paying\n")?;
    writeln!(w, "| side | map | knee |\n|---|---|---|")?;
    for (k, s) in series {
        let pts: Vec<(f64, f64)> = s.iter().map(|p| (p.x, p.median)).collect();
        writeln!(
            w,
            "| {} | {} | {} |",
            k.lang,
            k.map,
            knee_sentence(&knee(&pts))
        )?;
    }
    writeln!(w)?;
    Ok(())
}

/// The sentence above the pause figure: what the long runs recorded (Go's GC pauses,
/// the Rust runs' reclamation stalls where a run counts them), ending in a blank line.
fn pauses_paragraph(long: &[&RunFile]) -> String {
    let gc_pauses: usize = long
        .iter()
        .filter(|r| r.start.lang == Lang::Go)
        .map(|r| figures::pauses_of(r).len())
        .sum();
    let stalls: usize = long
        .iter()
        .filter(|r| r.start.lang == Lang::Rust)
        .map(|r| figures::pauses_of(r).len())
        .sum();
    let counted = long
        .iter()
        .filter(|r| figures::PauseKind::of(r) == figures::PauseKind::ReclamationStall)
        .count();
    let rust_runs = long.iter().filter(|r| r.start.lang == Lang::Rust).count();
    format!(
        "Pauses in every long run ({}): Go's GC pauses ({gc_pauses} recorded; drawn at \
         the end of the interval they fell in) and the Rust runs' reclamation stalls \
         ({}), against each run's per-interval maximum op latency.\n",
        long.len(),
        if rust_runs == 0 {
            "no Rust run".to_owned()
        } else if counted == 0 {
            "not observed: no Rust run here counts its reclamation".to_owned()
        } else {
            let which = match (counted, rust_runs) {
                (1, 1) => "the Rust run, which counts its reclamation".to_owned(),
                (1, n) => format!("the 1 of {n} Rust runs that counts its reclamation"),
                (k, n) if k == n => format!("the {k} Rust runs, which count their reclamation"),
                (k, n) => format!("the {k} of {n} Rust runs that count their reclamation"),
            };
            format!("{stalls} recorded in {which}")
        }
    )
}
