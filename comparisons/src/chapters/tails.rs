//! Chapter 4.3: do a run's latency tails line up with GC pauses? (`mapbench tails`)
//!
//! Reads results directories of `comparisons/suites/tails.toml` (run once as is and once
//! with the Go collector off, `GOGC=off`), and relates each run's per-interval tail (the
//! interval's p999 and maximum op latency) to what else the interval recorded:
//!
//! * **GC pauses** (`gc.pauses_ns`, from `/sched/pauses/total/gc:seconds`): the
//!   stop-the-world pauses the article blames.
//! * **GC cycles** ([`gc_cycle_flags`]): the intervals from a cycle's first pause
//!   (sweep termination) to the interval whose `gc.cycles` counts it as done (mark
//!   termination), that is the concurrent mark phase, when the world runs but mark
//!   workers and assists take CPU from it.
//! * **Scheduling latency** (`gc.sched_latency_p99_ns`, from `/sched/latencies:seconds`).
//! * **Steal time** (`steal_ticks`), on both sides: the host taking the vCPU away.
//!
//! Rust runs have no collector (`gc` is null): their tails are what the host and the map
//! do without one. The runners record no per-interval reclamation events for the Rust
//! maps, so none are used here.
//!
//! Per run: the share of its slowest intervals ([`SLOWEST_SHARE`]) that were in a GC
//! cycle, held a GC pause or saw steal, against the share of all intervals that did; and
//! Spearman's rank correlation ([`spearman`]) of the tail with the pause total, with
//! being in a cycle, and with scheduling latency. Output (atomically): `tails.md` and
//! `figures/tails.svg`, the figure drawn with the bundled font so it is byte-identical.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result, anyhow, bail};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::chart::{self, Area, Frame, err, fmt_ns, fmt_num, font};
use crate::results::{self, Interval, Lang, LatencySummary, Outcome, RunFile};

/// The share of a run's intervals counted as its slowest. 5%: a 20-second run in 50 ms
/// intervals has 400, and 1% of that (4 intervals) is too few for a share to mean much.
pub const SLOWEST_SHARE: f64 = 0.05;

/// Intervals during a GC cycle, and the rest.
const IN_CYCLE: RGBColor = RGBColor(0xd9, 0x5f, 0x02);
const OUTSIDE: RGBColor = RGBColor(0x31, 0x6f, 0xb0);

/// Whether a run had a collector, and in which setting.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum GcSetting {
    /// Go with the collector on (`GOGC` as the runner recorded it).
    On(String),
    /// Go with `GOGC=off`.
    Off,
    /// Rust: no collector.
    None,
}

impl GcSetting {
    pub fn label(&self) -> String {
        match self {
            GcSetting::On(gogc) => format!("GOGC={gogc}"),
            GcSetting::Off => "GOGC=off".to_owned(),
            GcSetting::None => "no GC".to_owned(),
        }
    }
}

/// What one interval recorded, as this analysis uses it.
#[derive(Debug, Clone, PartialEq)]
pub struct IntervalObs {
    pub index: u64,
    /// `None` for an interval without latency samples.
    pub p999_ns: Option<u64>,
    pub max_ns: Option<u64>,
    /// GC pauses in the interval; `None` for a run without a collector record (Rust).
    pub gc_pauses: Option<usize>,
    pub gc_pause_total_ns: u64,
    /// Whether any part of the interval was inside a GC cycle ([`gc_cycle_flags`]).
    pub in_gc_cycle: bool,
    /// `/sched/latencies:seconds` p99 over the interval (`None`: no scheduling events, or
    /// Rust).
    pub sched_latency_p99_ns: Option<u64>,
    pub steal_ticks: Option<u64>,
}

/// One run, reduced to what the analysis needs.
#[derive(Debug, Clone)]
pub struct RunTails {
    pub path: PathBuf,
    pub run_id: String,
    pub lang: Lang,
    pub map: String,
    pub workload: String,
    pub gc: GcSetting,
    pub interval_ms: u64,
    /// The runner times one op in `latency_sample_every`.
    pub latency_sample_every: u64,
    /// Whole-run percentiles from the merged latency log.
    pub latency: Option<LatencySummary>,
    pub gc_cycles: u64,
    pub gc_pause_max_ns: u64,
    /// Resident set size at the end of the last interval.
    pub rss_end_bytes: Option<u64>,
    pub intervals: Vec<IntervalObs>,
}

/// Which per-interval tail to rank intervals by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TailMetric {
    P999,
    Max,
}

impl TailMetric {
    pub fn label(self) -> &'static str {
        match self {
            TailMetric::P999 => "p999",
            TailMetric::Max => "max",
        }
    }

    fn of(self, i: &IntervalObs) -> Option<u64> {
        match self {
            TailMetric::P999 => i.p999_ns,
            TailMetric::Max => i.max_ns,
        }
    }
}

// ANCHOR: cycles
/// Marks the intervals that overlap a GC cycle, from the per-interval pause count and
/// completed-cycle count. A cycle stops the world twice: at sweep termination, when it
/// starts, and at mark termination, when it ends and `/gc/cycles/total:gc-cycles` counts
/// it. So a pause in an interval that completes no cycle opens one, and the cycle stays
/// open until an interval completes it; pauses left over after the cycles an interval
/// completes (an odd one out) open the next. A mark termination that finds work left and
/// restarts the mark phase pauses a third time; it is counted as a new cycle starting,
/// which keeps the interval marked either way.
pub fn gc_cycle_flags(pauses_and_cycles: &[(usize, u64)]) -> Vec<bool> {
    let mut open = false;
    let mut flags = Vec::with_capacity(pauses_and_cycles.len());
    for &(pauses, cycles) in pauses_and_cycles {
        let touched = open || pauses > 0 || cycles > 0;
        if cycles == 0 {
            if pauses > 0 {
                open = true;
            }
        } else {
            // Pauses the completed cycles account for: one (mark termination) for the
            // cycle already open, two for each that started and ended in this interval.
            let used = if open { 1 } else { 2 } + 2 * (cycles as usize - 1);
            open = pauses > used && (pauses - used) % 2 == 1;
        }
        flags.push(touched);
    }
    flags
}
// ANCHOR_END: cycles

// ANCHOR: spearman
/// Spearman's rank correlation of paired values (ties get their average rank). `None`
/// when it is undefined: fewer than 3 pairs, or one side constant (for example a run
/// without a single GC pause).
pub fn spearman(x: &[f64], y: &[f64]) -> Option<f64> {
    assert_eq!(x.len(), y.len(), "spearman needs paired values");
    if x.len() < 3 {
        return None;
    }
    let (rx, ry) = (ranks(x), ranks(y));
    let n = x.len() as f64;
    let (mx, my) = (rx.iter().sum::<f64>() / n, ry.iter().sum::<f64>() / n);
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (a, b) in rx.iter().zip(&ry) {
        sxy += (a - mx) * (b - my);
        sxx += (a - mx) * (a - mx);
        syy += (b - my) * (b - my);
    }
    (sxx > 0.0 && syy > 0.0).then(|| sxy / (sxx * syy).sqrt())
}

/// 1-based ranks, ties sharing the average of the ranks they span.
fn ranks(v: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..v.len()).collect();
    order.sort_by(|&a, &b| v[a].total_cmp(&v[b]));
    let mut r = vec![0.0; v.len()];
    let mut i = 0;
    while i < order.len() {
        let mut j = i;
        while j + 1 < order.len() && v[order[j + 1]] == v[order[i]] {
            j += 1;
        }
        let avg = (i + j) as f64 / 2.0 + 1.0;
        for &k in &order[i..=j] {
            r[k] = avg;
        }
        i = j + 1;
    }
    r
}
// ANCHOR_END: spearman

/// How a run's slowest intervals compare with all of its intervals.
#[derive(Debug, Clone, PartialEq)]
pub struct TailStats {
    pub metric: TailMetric,
    /// Intervals with latency samples, and how many of them count as the slowest.
    pub intervals: usize,
    pub slowest: usize,
    /// Shares (0..=1) among the slowest intervals and among all of them. The GC shares
    /// are `None` for a run without a collector record.
    pub slowest_in_cycle: Option<f64>,
    pub all_in_cycle: Option<f64>,
    pub slowest_with_pause: Option<f64>,
    pub all_with_pause: Option<f64>,
    pub slowest_with_steal: Option<f64>,
    pub all_with_steal: Option<f64>,
    /// Spearman's rho of the tail with the interval's GC pause total, with being in a GC
    /// cycle (0/1), and with the scheduling-latency p99. `None`: undefined (see
    /// [`spearman`]) or no collector.
    pub rho_pause_total: Option<f64>,
    pub rho_in_cycle: Option<f64>,
    pub rho_sched_latency: Option<f64>,
}

/// Ranks `run`'s intervals by `metric` and compares the slowest [`SLOWEST_SHARE`] (at
/// least one) with all of them. Ties at the cut are broken by interval order, so the
/// result is deterministic.
pub fn tail_stats(run: &RunTails, metric: TailMetric) -> TailStats {
    let obs: Vec<(&IntervalObs, u64)> = run
        .intervals
        .iter()
        .filter_map(|i| metric.of(i).map(|v| (i, v)))
        .collect();
    let n = obs.len();
    let slowest_n = if n == 0 {
        0
    } else {
        ((n as f64 * SLOWEST_SHARE).ceil() as usize).clamp(1, n)
    };
    let mut by_tail: Vec<&(&IntervalObs, u64)> = obs.iter().collect();
    by_tail.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.index.cmp(&b.0.index)));
    let slowest: Vec<&IntervalObs> = by_tail[..slowest_n].iter().map(|(i, _)| *i).collect();
    let all: Vec<&IntervalObs> = obs.iter().map(|(i, _)| *i).collect();
    let has_gc = run.gc != GcSetting::None && all.iter().all(|i| i.gc_pauses.is_some());
    let share = |set: &[&IntervalObs], pred: &dyn Fn(&IntervalObs) -> bool| -> Option<f64> {
        (!set.is_empty()).then(|| set.iter().filter(|i| pred(i)).count() as f64 / set.len() as f64)
    };
    let gc_share = |set: &[&IntervalObs], pred: &dyn Fn(&IntervalObs) -> bool| {
        if has_gc { share(set, pred) } else { None }
    };
    let in_cycle = |i: &IntervalObs| i.in_gc_cycle;
    let paused = |i: &IntervalObs| i.gc_pauses.unwrap_or(0) > 0;
    let steal_known = all.iter().all(|i| i.steal_ticks.is_some());
    let stolen = |i: &IntervalObs| i.steal_ticks.unwrap_or(0) > 0;
    let tails: Vec<f64> = obs.iter().map(|(_, v)| *v as f64).collect();
    let rho_with = |f: &dyn Fn(&IntervalObs) -> f64| {
        let xs: Vec<f64> = all.iter().map(|i| f(i)).collect();
        spearman(&tails, &xs)
    };
    let sched: Vec<(f64, f64)> = obs
        .iter()
        .filter_map(|(i, v)| i.sched_latency_p99_ns.map(|s| (*v as f64, s as f64)))
        .collect();
    let (st, ss): (Vec<f64>, Vec<f64>) = sched.into_iter().unzip();
    TailStats {
        metric,
        intervals: n,
        slowest: slowest_n,
        slowest_in_cycle: gc_share(&slowest, &in_cycle),
        all_in_cycle: gc_share(&all, &in_cycle),
        slowest_with_pause: gc_share(&slowest, &paused),
        all_with_pause: gc_share(&all, &paused),
        slowest_with_steal: if steal_known {
            share(&slowest, &stolen)
        } else {
            None
        },
        all_with_steal: if steal_known {
            share(&all, &stolen)
        } else {
            None
        },
        rho_pause_total: if has_gc {
            rho_with(&|i| i.gc_pause_total_ns as f64)
        } else {
            None
        },
        rho_in_cycle: if has_gc {
            rho_with(&|i| f64::from(u8::from(i.in_gc_cycle)))
        } else {
            None
        },
        rho_sched_latency: if has_gc { spearman(&st, &ss) } else { None },
    }
}

/// Median per-interval p999 of the intervals inside GC cycles and of the rest.
pub fn p999_inside_outside(run: &RunTails) -> (Option<f64>, Option<f64>) {
    let pick = |inside: bool| {
        let v: Vec<f64> = run
            .intervals
            .iter()
            .filter(|i| i.in_gc_cycle == inside)
            .filter_map(|i| i.p999_ns.map(|p| p as f64))
            .collect();
        crate::stats::median(&v)
    };
    (pick(true), pick(false))
}

/// Reduces a loaded run. Only runs that ended ok are analysed: a killed or failed run
/// (a truncated file, a cut-short latency log) is an error naming its file.
pub fn observe(run: &RunFile) -> Result<RunTails> {
    let file = run.path.display();
    match run.outcome() {
        Outcome::Ok => {}
        Outcome::Killed => bail!(
            "{file}: the run did not finish (no run_end{}): rerun the suite",
            run.truncated_line
                .map_or(String::new(), |l| format!("; line {l} is cut short"))
        ),
        other => bail!(
            "{file}: the run ended `{}`, not ok: rerun the suite",
            other.label()
        ),
    }
    let gc = match run.start.lang {
        Lang::Rust => GcSetting::None,
        Lang::Go => {
            let gogc = run
                .start
                .runtime
                .as_ref()
                .and_then(|r| r.gogc.as_deref())
                .ok_or_else(|| {
                    anyhow!(
                        "{file}:1: run_start: field `runtime.GOGC`: missing (a Go run records it)"
                    )
                })?;
            if gogc == "off" {
                GcSetting::Off
            } else {
                GcSetting::On(gogc.to_owned())
            }
        }
    };
    let is_go = run.start.lang == Lang::Go;
    if is_go && let Some(i) = run.intervals.iter().find(|i| i.gc.is_none()) {
        bail!(
            "{file}: interval {}: field `gc`: null in a Go run (want the collector's record)",
            i.index
        );
    }
    let flags = gc_cycle_flags(
        &run.intervals
            .iter()
            .map(|i| {
                i.gc.as_ref()
                    .map_or((0, 0), |g| (g.pauses_ns.len(), g.cycles))
            })
            .collect::<Vec<_>>(),
    );
    let intervals = run
        .intervals
        .iter()
        .zip(flags)
        .map(|(i, in_gc_cycle)| observe_interval(i, in_gc_cycle))
        .collect();
    let log = run.latency_log()?;
    let latency = LatencySummary::of(&log.merged());
    let end_gc = run.end.as_ref().and_then(|e| e.gc.as_ref());
    Ok(RunTails {
        path: run.path.clone(),
        run_id: run.start.run_id.clone(),
        lang: run.start.lang,
        map: run.start.map.clone(),
        workload: run.start.workload.clone(),
        gc,
        interval_ms: run.start.interval_ms,
        latency_sample_every: run.start.latency.sample_every,
        latency,
        gc_cycles: end_gc.map_or(0, |g| g.cycles),
        gc_pause_max_ns: end_gc.map_or(0, |g| g.pause_max_ns),
        rss_end_bytes: run.intervals.last().and_then(|i| i.rss_bytes),
        intervals,
    })
}

fn observe_interval(i: &Interval, in_gc_cycle: bool) -> IntervalObs {
    let lat = i.lat_ns.filter(|l| l.count > 0);
    IntervalObs {
        index: i.index,
        p999_ns: lat.and_then(|l| l.p999),
        max_ns: lat.and_then(|l| l.max),
        gc_pauses: i.gc.as_ref().map(|g| g.pauses_ns.len()),
        gc_pause_total_ns: i.gc.as_ref().map_or(0, |g| g.pause_total_ns),
        in_gc_cycle,
        sched_latency_p99_ns: i.gc.as_ref().and_then(|g| g.sched_latency_p99_ns),
        steal_ticks: i.steal_ticks,
    }
}

/// Loads every run of each results directory. A missing directory, one without run
/// files, an unreadable or truncated file: an error naming it (exit 2 in `main`).
pub fn load(dirs: &[PathBuf]) -> Result<Vec<RunTails>> {
    let mut runs = Vec::new();
    for dir in dirs {
        // Displayed, not chained: the error already names the file and says why, and
        // `{:#}` would repeat an I/O error's source after it.
        let loaded = results::load_dir(dir).map_err(|e| anyhow!("{e}"))?;
        if loaded.runs.is_empty() {
            bail!(
                "{}: no run files (*.jsonl): not a results directory of `mapbench run`",
                dir.display()
            );
        }
        for run in &loaded.runs {
            runs.push(observe(run)?);
        }
    }
    sort_runs(&mut runs);
    Ok(runs)
}

/// Writes `out_dir/figures/tails-pauses.svg`: the pause timeline of every run in `dirs`
/// ([`crate::figures::pause_timeline`]: GC pauses and reclamation stalls against each
/// interval's slowest op), one panel per run. Returns its path.
pub fn write_pause_timeline(dirs: &[PathBuf], out_dir: &Path) -> Result<PathBuf> {
    let mut files = Vec::new();
    for dir in dirs {
        files.extend(results::load_dir(dir).map_err(|e| anyhow!("{e}"))?.runs);
    }
    let refs: Vec<&RunFile> = files.iter().collect();
    let dir = out_dir.join("figures");
    std::fs::create_dir_all(&dir).with_context(|| format!("{}: cannot create", dir.display()))?;
    // Written atomically, as every figure is (`chart::write_svg`).
    let path = dir.join("tails-pauses.svg");
    crate::figures::pause_timeline(
        &path,
        "Pauses over each tails run, against the slowest op of each interval",
        &crate::figures::Palette::new(
            refs.iter()
                .map(|r| crate::figures::SeriesKey {
                    lang: r.start.lang,
                    map: r.start.map.clone(),
                })
                .collect::<Vec<_>>()
                .iter(),
        ),
        &refs,
    )?;
    Ok(path)
}

/// Go before Rust, then by map, GC on before off, then by run id.
fn sort_runs(runs: &mut [RunTails]) {
    runs.sort_by(|a, b| {
        let go_first = |r: &RunTails| r.lang != Lang::Go;
        (go_first(a), &a.map, &a.gc, &a.run_id).cmp(&(go_first(b), &b.map, &b.gc, &b.run_id))
    });
}

/// A run's short name: `Go sync-map, GOGC=100` (with the repeat when there are several).
fn run_label(run: &RunTails, runs: &[RunTails]) -> String {
    let lang = match run.lang {
        Lang::Go => "Go",
        Lang::Rust => "Rust",
    };
    let repeats = runs
        .iter()
        .filter(|r| r.lang == run.lang && r.map == run.map && r.gc == run.gc)
        .count();
    let repeat = match run.run_id.rsplit_once("-r") {
        Some((_, r)) if repeats > 1 => format!(" r{r}"),
        _ => String::new(),
    };
    format!("{lang} {}, {}{repeat}", run.map, run.gc.label())
}

fn pct(v: Option<f64>) -> String {
    v.map_or("–".to_owned(), |v| format!("{:.0}%", v * 100.0))
}

fn rho(v: Option<f64>, has_gc: bool) -> String {
    match v {
        Some(r) => format!("{r:+.2}"),
        None if has_gc => "undefined".to_owned(),
        None => "–".to_owned(),
    }
}

fn ns(v: Option<f64>) -> String {
    v.map_or("–".to_owned(), fmt_ns)
}

/// The generated page: the runs, then their slowest intervals against GC, scheduling and
/// steal, then Go with the collector on against off. `header` is the generated-file
/// comment (naming the command that regenerates it).
pub fn render_markdown(runs: &[RunTails], header: &str) -> String {
    let mut md = String::new();
    md.push_str(header);
    md.push('\n');
    md.push_str(&intro(runs));
    md.push_str(&runs_table(runs));
    for metric in [TailMetric::P999, TailMetric::Max] {
        md.push_str(&slowest_table(runs, metric));
    }
    md.push_str(
        "\nρ is Spearman's rank correlation over the run's intervals (undefined when one \
         side never varies, e.g. a run without a GC pause); – : no collector (Rust) or \
         not recorded.\n",
    );
    md.push_str(&gc_on_off_table(runs));
    md
}

/// The paragraph under the header: workload, intervals, sampling, the definitions.
fn intro(runs: &[RunTails]) -> String {
    let distinct = |f: &dyn Fn(&RunTails) -> String| {
        let mut v: Vec<String> = runs.iter().map(f).collect();
        v.sort();
        v.dedup();
        v.join(", ")
    };
    let sampling: Vec<u64> = {
        let mut v: Vec<u64> = runs.iter().map(|r| r.latency_sample_every).collect();
        v.sort_unstable();
        v.dedup();
        v
    };
    let timed = match sampling.as_slice() {
        [1] => "every op timed".to_owned(),
        _ => format!(
            "one op in {} timed",
            sampling
                .iter()
                .map(u64::to_string)
                .collect::<Vec<_>>()
                .join("/")
        ),
    };
    format!(
        "Workload {}, {} ms intervals, {timed}. A GC cycle runs from its \
         sweep-termination pause to the interval whose cycle count shows it done; \
         \"slowest\" is the {}% of a run's intervals with the highest tail.\n\n",
        distinct(&|r| r.workload.clone()),
        distinct(&|r| r.interval_ms.to_string()),
        fmt_num(SLOWEST_SHARE * 100.0)
    )
}

/// "The runs": one row per run, its tail, GC and memory at a glance.
fn runs_table(runs: &[RunTails]) -> String {
    let mut md = String::from("### The runs\n\n");
    md.push_str(
        "| run | p999 | max | GC cycles | longest GC pause | intervals | in a GC cycle | \
         with a GC pause | with steal | median interval p999 in / outside GC cycles | RSS at the end |\n",
    );
    md.push_str("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    for run in runs {
        let st = tail_stats(run, TailMetric::P999);
        let has_gc = run.gc != GcSetting::None;
        let (inside, outside) = p999_inside_outside(run);
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            run_label(run, runs),
            ns(run.latency.map(|l| l.p999 as f64)),
            ns(run.latency.map(|l| l.max as f64)),
            if has_gc {
                run.gc_cycles.to_string()
            } else {
                "–".into()
            },
            if has_gc && run.gc_cycles > 0 {
                fmt_ns(run.gc_pause_max_ns as f64)
            } else {
                "–".into()
            },
            st.intervals,
            pct(st.all_in_cycle),
            pct(st.all_with_pause),
            pct(st.all_with_steal),
            if has_gc {
                format!("{} / {}", ns(inside), ns(outside))
            } else {
                "–".into()
            },
            run.rss_end_bytes.map_or("–".to_owned(), |b| format!(
                "{} MiB",
                fmt_num(b as f64 / 1_048_576.0)
            )),
        );
    }
    md
}

/// "The slowest intervals by METRIC": how often the slowest intervals fall in GC cycles,
/// hold a pause or see steal, and the rank correlations.
fn slowest_table(runs: &[RunTails], metric: TailMetric) -> String {
    let mut md = String::new();
    let _ = writeln!(
        md,
        "\n### The slowest intervals by {}\n",
        match metric {
            TailMetric::P999 => "p999",
            TailMetric::Max => "maximum latency",
        }
    );
    let m = metric.label();
    let _ = writeln!(
        md,
        "| run | slowest | in a GC cycle (all) | with a GC pause (all) | with steal (all) | \
         ρ({m}, GC pause total) | ρ({m}, in a GC cycle) | ρ({m}, sched. latency p99) |"
    );
    md.push_str("|---|---:|---:|---:|---:|---:|---:|---:|\n");
    for run in runs {
        let st = tail_stats(run, metric);
        let has_gc = run.gc != GcSetting::None;
        let pair = |s: Option<f64>, a: Option<f64>| match (s, a) {
            (None, None) => "–".to_owned(),
            _ => format!("{} ({})", pct(s), pct(a)),
        };
        let _ = writeln!(
            md,
            "| {} | {} of {} | {} | {} | {} | {} | {} | {} |",
            run_label(run, runs),
            st.slowest,
            st.intervals,
            pair(st.slowest_in_cycle, st.all_in_cycle),
            pair(st.slowest_with_pause, st.all_with_pause),
            pair(st.slowest_with_steal, st.all_with_steal),
            rho(st.rho_pause_total, has_gc),
            rho(st.rho_in_cycle, has_gc),
            rho(st.rho_sched_latency, has_gc),
        );
    }
    md
}

/// Go with the collector on against off, per map (medians over repeats); empty when no
/// map has runs both ways.
fn gc_on_off_table(runs: &[RunTails]) -> String {
    let mut md = String::new();
    let mut by_map: BTreeMap<&str, (Vec<&RunTails>, Vec<&RunTails>)> = BTreeMap::new();
    for run in runs.iter().filter(|r| r.lang == Lang::Go) {
        let e = by_map.entry(run.map.as_str()).or_default();
        match run.gc {
            GcSetting::Off => e.1.push(run),
            _ => e.0.push(run),
        }
    }
    if by_map
        .values()
        .any(|(on, off)| !on.is_empty() && !off.is_empty())
    {
        md.push_str("\n### Go with the collector on and off\n\n");
        md.push_str(
            "| map | p999, GC on | p999, GC off | max, GC on | max, GC off | GC cycles on / off |\n",
        );
        md.push_str("|---|---:|---:|---:|---:|---:|\n");
        for (map, (on, off)) in &by_map {
            let med = |rs: &[&RunTails], f: &dyn Fn(&LatencySummary) -> u64| {
                let v: Vec<f64> = rs
                    .iter()
                    .filter_map(|r| r.latency.map(|l| f(&l) as f64))
                    .collect();
                crate::stats::median(&v)
            };
            let cycles = |rs: &[&RunTails]| {
                let v: Vec<f64> = rs.iter().map(|r| r.gc_cycles as f64).collect();
                crate::stats::median(&v).map_or("–".to_owned(), fmt_num)
            };
            let _ = writeln!(
                md,
                "| Go {map} | {} | {} | {} | {} | {} / {} |",
                ns(med(on, &|l| l.p999)),
                ns(med(off, &|l| l.p999)),
                ns(med(on, &|l| l.max)),
                ns(med(off, &|l| l.max)),
                cycles(on),
                cycles(off),
            );
        }
    }
    md
}

/// A fixed jitter in [-0.5, 0.5) for interval `i` (SplitMix64's finaliser), so the
/// points of a run spread sideways the same way on every render.
fn jitter(i: u64) -> f64 {
    let mut z = i.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^= z >> 31;
    (z >> 11) as f64 / (1u64 << 53) as f64 - 0.5
}

/// Two panels, per-interval p999 and per-interval maximum (log scale, microseconds), one
/// column of points per run; an interval inside a GC cycle is orange, the rest blue, and
/// a ring marks an interval that held a GC pause.
pub fn render_svg(runs: &[RunTails]) -> Result<String> {
    if runs.is_empty() {
        bail!("no runs to draw");
    }
    let width = 180 + 130 * runs.len() as u32;
    chart::render_svg((width, 640), |full| {
        let (panels, legend) =
            chart::titled_grid(full, "Per-interval latency tails and GC cycles", (2, 1), 50)?;
        for (panel, metric) in panels.iter().zip([TailMetric::P999, TailMetric::Max]) {
            draw_panel(full, panel, runs, metric)?;
        }
        draw_legend(&legend)
    })
}

/// One panel: every run's intervals by `metric`, in µs on a log axis; the panel of
/// maxima names the runs below it.
fn draw_panel(
    full: &Area<'_>,
    panel: &Area<'_>,
    runs: &[RunTails],
    metric: TailMetric,
) -> Result<()> {
    let us = |i: &IntervalObs| metric.of(i).map(|v| (v as f64 / 1e3).max(0.01));
    let values: Vec<f64> = runs
        .iter()
        .flat_map(|r| r.intervals.iter().filter_map(us))
        .collect();
    let lo = values.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = values.iter().copied().fold(0.0, f64::max);
    let (lo, hi) = if values.is_empty() {
        (0.1, 10.0)
    } else {
        (
            10f64.powf(lo.log10().floor()),
            10f64.powf(hi.log10().ceil().max(lo.log10().floor() + 1.0)),
        )
    };
    let x_labels_px = if metric == TailMetric::Max { 44 } else { 8 };
    let frame = Frame::new(8, x_labels_px, 70).right(16);
    let mut chart = frame.build(panel, -0.5..runs.len() as f64 - 0.5, (lo..hi).log_scale())?;
    chart::styled(&mut chart.configure_mesh(), chart::STANDARD)
        .y_desc(match metric {
            TailMetric::P999 => "interval p999 (µs)",
            TailMetric::Max => "interval maximum (µs)",
        })
        .y_label_formatter(&|v| fmt_num(*v))
        .x_labels(0)
        .disable_x_mesh()
        .draw()
        .map_err(err)?;
    for (k, run) in runs.iter().enumerate() {
        let points: Vec<(f64, f64, &IntervalObs)> = run
            .intervals
            .iter()
            .filter_map(|i| us(i).map(|v| (k as f64 + 0.7 * jitter(i.index), v, i)))
            .collect();
        for inside in [false, true] {
            let colour = if inside { IN_CYCLE } else { OUTSIDE };
            chart
                .draw_series(
                    points
                        .iter()
                        .filter(|p| p.2.in_gc_cycle == inside)
                        .map(|p| Circle::new((p.0, p.1), 2, colour.mix(0.7).filled())),
                )
                .map_err(err)?;
        }
        chart
            .draw_series(
                points
                    .iter()
                    .filter(|p| p.2.gc_pauses.unwrap_or(0) > 0)
                    .map(|p| Circle::new((p.0, p.1), 5, IN_CYCLE.stroke_width(1))),
            )
            .map_err(err)?;
        if metric == TailMetric::Max {
            let (x, y) = chart.backend_coord(&(k as f64, lo));
            let label = run_label(run, runs);
            let (first, second) = label.split_once(", ").unwrap_or((&label, ""));
            for (line, text) in [(0, first), (1, second)] {
                full.draw(&Text::new(
                    text.to_owned(),
                    (x, y + 8 + 15 * line),
                    font(12).pos(Pos::new(HPos::Center, VPos::Top)),
                ))
                .map_err(err)?;
            }
        }
    }
    Ok(())
}

/// The legend: the two point colours, the ring, and a note on the sideways spread.
fn draw_legend(legend: &Area<'_>) -> Result<()> {
    let mut x = 12;
    for (colour, text) in [
        (OUTSIDE, "interval outside any GC cycle (or no collector)"),
        (IN_CYCLE, "interval during a GC cycle"),
    ] {
        legend
            .draw(&Circle::new((x + 5, 14), 4, colour.filled()))
            .map_err(err)?;
        legend
            .draw(&Text::new(text.to_owned(), (x + 14, 7), font(12)))
            .map_err(err)?;
        x += 30 + 6 * text.len() as i32;
    }
    legend
        .draw(&Circle::new((x + 5, 14), 5, IN_CYCLE.stroke_width(1)))
        .map_err(err)?;
    legend
        .draw(&Text::new(
            "ring: the interval held a GC stop-the-world pause".to_owned(),
            (x + 14, 7),
            font(12),
        ))
        .map_err(err)?;
    legend
        .draw(&Text::new(
            "one point per interval; sideways spread is only to separate the points".to_owned(),
            (12, 28),
            font(11),
        ))
        .map_err(err)?;
    Ok(())
}

/// Writes `out_dir/tails.md` and `out_dir/figures/tails.svg`; returns their paths. The
/// figure is drawn first, so a failure leaves the old page and figure in place.
pub fn write_outputs(runs: &[RunTails], out_dir: &Path, header: &str) -> Result<Vec<PathBuf>> {
    let svg = render_svg(runs)?;
    let md = render_markdown(runs, header);
    let (md_path, svg_path) = crate::chart::write_page(out_dir, "tails", &md, &svg)?;
    Ok(vec![md_path, svg_path])
}

/// The generated-file comment: what made the page and how to make it again.
pub fn header(dirs: &[PathBuf], out_dir: &Path) -> String {
    let dirs: Vec<String> = dirs.iter().map(|d| d.display().to_string()).collect();
    format!(
        "<!-- Generated by mapbench tails; do not edit. Regenerate with scripts/run (chapter 4.3), or by hand:\n     \
         cargo run --release -p mapbench -- run --suite tails --out DIR/gc-on\n     \
         GOGC=off GOMEMLIMIT=8GiB cargo run --release -p mapbench -- run --suite tails --only-lang go --go-runner target/release/go-runner --out DIR/gc-off\n     \
         cargo run --release -p mapbench -- tails DIR/gc-on DIR/gc-off --out {}\n     \
         This page: mapbench tails {} --out {} -->\n",
        out_dir.display(),
        dirs.join(" "),
        out_dir.display()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A synthetic interval: tail (p999 = max), GC pauses, cycles completed, steal.
    fn iv(index: u64, max_ns: u64, pauses: &[u64], in_cycle: bool, steal: u64) -> IntervalObs {
        IntervalObs {
            index,
            p999_ns: Some(max_ns),
            max_ns: Some(max_ns),
            gc_pauses: Some(pauses.len()),
            gc_pause_total_ns: pauses.iter().sum(),
            in_gc_cycle: in_cycle,
            sched_latency_p99_ns: Some(1000 + max_ns / 10),
            steal_ticks: Some(steal),
        }
    }

    fn run(gc: GcSetting, intervals: Vec<IntervalObs>) -> RunTails {
        RunTails {
            path: PathBuf::from("synthetic.jsonl"),
            run_id: "tails-go-sync-map-tails-miss-t2-r1".into(),
            lang: if gc == GcSetting::None {
                Lang::Rust
            } else {
                Lang::Go
            },
            map: "sync-map".into(),
            workload: "tails-miss".into(),
            gc,
            interval_ms: 50,
            latency_sample_every: 1,
            latency: None,
            gc_cycles: 0,
            gc_pause_max_ns: 0,
            rss_end_bytes: None,
            intervals,
        }
    }

    // ANCHOR: synthetic_tests
    #[test]
    fn tails_slow_intervals_that_all_hold_pauses_give_share_one_and_positive_rho() {
        // 100 intervals; every 10th holds a pause and is 50x slower than the rest.
        let intervals = (0..100)
            .map(|i| {
                if i % 10 == 3 {
                    iv(i, 500_000 + i, &[20_000 + i], true, 0)
                } else {
                    iv(i, 10_000 + i, &[], false, 0)
                }
            })
            .collect();
        let r = run(GcSetting::On("100".into()), intervals);
        let st = tail_stats(&r, TailMetric::Max);
        assert_eq!((st.intervals, st.slowest), (100, 5));
        assert_eq!(st.slowest_with_pause, Some(1.0));
        assert_eq!(st.all_with_pause, Some(0.1));
        assert_eq!(st.slowest_in_cycle, Some(1.0));
        assert_eq!(st.slowest_with_steal, Some(0.0));
        let rho = st.rho_pause_total.expect("defined: both sides vary");
        assert!(rho > 0.5, "rho {rho}");
        assert!(st.rho_in_cycle.unwrap() > 0.5);
    }

    #[test]
    fn tails_a_run_without_pauses_has_share_zero_and_undefined_rho() {
        let intervals = (0..40)
            .map(|i| iv(i, 1_000 + 37 * i % 11, &[], false, i % 2))
            .collect();
        let r = run(GcSetting::Off, intervals);
        let st = tail_stats(&r, TailMetric::P999);
        assert_eq!(st.slowest, 2);
        assert_eq!(st.slowest_with_pause, Some(0.0));
        assert_eq!(st.all_with_pause, Some(0.0));
        assert_eq!(st.rho_pause_total, None, "no pause ever: constant side");
        assert_eq!(st.rho_in_cycle, None);
        assert_eq!(st.all_with_steal, Some(0.5));
        let md = render_markdown(&[r], "<!-- test -->\n");
        assert!(md.contains("| undefined |"), "{md}");
    }

    // ANCHOR_END: synthetic_tests

    #[test]
    fn tails_rust_runs_have_no_gc_columns() {
        let mut intervals: Vec<IntervalObs> =
            (0..20).map(|i| iv(i, 100 * i, &[], false, 0)).collect();
        for i in &mut intervals {
            i.gc_pauses = None;
            i.sched_latency_p99_ns = None;
        }
        let st = tail_stats(&run(GcSetting::None, intervals), TailMetric::Max);
        assert_eq!(st.slowest_with_pause, None);
        assert_eq!(st.rho_pause_total, None);
        assert_eq!(st.slowest_with_steal, Some(0.0));
    }

    #[test]
    fn tails_gc_cycles_span_from_the_first_pause_to_the_completing_interval() {
        // (pauses, cycles completed) per interval.
        let flags = gc_cycle_flags(&[
            (0, 0),
            (1, 0), // sweep termination: a cycle opens
            (0, 0), // concurrent mark
            (1, 1), // mark termination: it closes
            (0, 0),
            (2, 1), // a whole cycle inside one interval
            (0, 0),
            (3, 1), // a whole cycle, then the odd pause out opens the next
            (0, 0),
            (1, 1),
            (0, 0),
        ]);
        assert_eq!(
            flags,
            [
                false, true, true, true, false, true, false, true, true, true, false
            ]
        );
    }

    #[test]
    fn tails_spearman_matches_hand_computed_values() {
        let x = [1.0, 2.0, 3.0, 4.0, 5.0];
        assert_eq!(spearman(&x, &[10.0, 20.0, 30.0, 40.0, 50.0]), Some(1.0));
        assert_eq!(spearman(&x, &[5.0, 4.0, 3.0, 2.0, 1.0]), Some(-1.0));
        assert_eq!(spearman(&x, &[7.0; 5]), None);
        assert_eq!(spearman(&x[..2], &[1.0, 2.0]), None);
        // Ties share ranks: y ranks 1.5, 1.5, 3, 4, 5.
        let r = spearman(&x, &[1.0, 1.0, 2.0, 3.0, 4.0]).unwrap();
        assert!((r - 0.974_679_434_480_896_4).abs() < 1e-12, "{r}");
    }

    fn testdata() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/tails")
    }

    fn sample_dirs() -> Vec<PathBuf> {
        vec![testdata().join("gc-on"), testdata().join("gc-off")]
    }

    #[test]
    fn tails_reads_the_committed_real_sample() {
        let runs = load(&sample_dirs()).unwrap();
        let find = |lang: Lang, map: &str, off: bool| {
            runs.iter()
                .find(|r| r.lang == lang && r.map == map && (r.gc == GcSetting::Off) == off)
                .unwrap_or_else(|| panic!("no {map} run (off: {off}) in the sample"))
        };
        let on = find(Lang::Go, "sync-map", false);
        assert!(matches!(on.gc, GcSetting::On(_)));
        assert!(on.gc_cycles > 0, "sync.Map allocates: the collector ran");
        assert!(on.intervals.iter().any(|i| i.gc_pauses.unwrap() > 0));
        assert!(on.intervals.iter().any(|i| i.in_gc_cycle));
        assert!(on.latency.is_some());
        let off = find(Lang::Go, "sync-map", true);
        assert_eq!(off.gc_cycles, 0, "GOGC=off: no cycle");
        assert!(
            off.intervals
                .iter()
                .all(|i| i.gc_pauses == Some(0) && !i.in_gc_cycle)
        );
        let rust = find(Lang::Rust, "dashmap-foldhash", false);
        assert_eq!(rust.gc, GcSetting::None);
        assert!(rust.intervals.iter().all(|i| i.gc_pauses.is_none()));
        let st = tail_stats(off, TailMetric::Max);
        assert_eq!(st.slowest_with_pause, Some(0.0));
        assert_eq!(st.rho_pause_total, None);
        let md = render_markdown(&runs, &header(&sample_dirs(), Path::new("out")));
        for text in [
            "<!-- Generated by mapbench tails",
            "Go sync-map, GOGC=off",
            "Rust dashmap-foldhash, no GC",
            "### Go with the collector on and off",
        ] {
            assert!(md.contains(text), "the page lacks {text:?}:\n{md}");
        }
    }

    #[test]
    fn tails_pause_timeline_has_a_panel_per_run_and_names_gogc_off() {
        let out = std::env::temp_dir().join(format!("tails-pauses-{}", std::process::id()));
        let a = write_pause_timeline(&sample_dirs(), &out).unwrap();
        let first = std::fs::read_to_string(&a).unwrap();
        let b = write_pause_timeline(&sample_dirs(), &out).unwrap();
        assert_eq!(first, std::fs::read_to_string(&b).unwrap());
        let runs = load(&sample_dirs()).unwrap();
        let off = runs.iter().filter(|r| r.gc == GcSetting::Off).count();
        assert!(off > 0, "the sample has a GOGC=off run");
        assert_eq!(first.matches("GOGC=off)").count(), off, "{first}");
        assert_eq!(
            first.matches("t, GOGC=off)").count() + first.matches("t)\n").count(),
            runs.len()
        );
        std::fs::remove_dir_all(&out).unwrap();
    }

    #[test]
    fn tails_figure_is_byte_identical_across_renders() {
        let runs = load(&sample_dirs()).unwrap();
        let a = render_svg(&runs).unwrap();
        let b = render_svg(&runs).unwrap();
        assert_eq!(a, b);
        assert!(a.starts_with("<svg"), "{}", &a[..a.len().min(80)]);
        for text in [
            "interval p999 (µs)",
            "interval maximum (µs)",
            "GOGC=off",
            "during a GC cycle",
        ] {
            assert!(a.contains(text), "the SVG lacks {text:?}");
        }
        let dir = std::env::temp_dir().join(format!("tails-figure-{}", std::process::id()));
        let paths = write_outputs(&runs, &dir, "<!-- h -->\n").unwrap();
        assert_eq!(std::fs::read_to_string(&paths[1]).unwrap(), a);
        assert!(
            std::fs::read_to_string(&paths[0])
                .unwrap()
                .starts_with("<!-- h -->")
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn tails_truncated_or_missing_input_is_an_error_naming_the_file() {
        let dir = std::env::temp_dir().join(format!("tails-bad-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let src = testdata().join("gc-off");
        let name = std::fs::read_dir(&src)
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .find(|n| n.ends_with(".jsonl"))
            .unwrap();
        let text = std::fs::read_to_string(src.join(&name)).unwrap();
        // Cut the file in the middle of its last interval record: a killed runner.
        let cut = text[..text.len() - 1].rfind('\n').unwrap();
        let cut = cut - (cut - text[..cut].rfind('\n').unwrap()) / 2;
        std::fs::write(dir.join(&name), &text[..cut]).unwrap();
        let e = format!("{:#}", load(std::slice::from_ref(&dir)).unwrap_err());
        assert!(e.contains(&name) && e.contains("did not finish"), "{e}");
        // Garbage in the middle of a file.
        std::fs::write(
            dir.join(&name),
            text.replacen("\"type\":\"interval\"", "\"type\":", 1),
        )
        .unwrap();
        let e = format!("{:#}", load(std::slice::from_ref(&dir)).unwrap_err());
        assert!(e.contains(&name), "{e}");
        std::fs::remove_dir_all(&dir).unwrap();
        let missing = dir.join("nowhere");
        let e = format!("{:#}", load(std::slice::from_ref(&missing)).unwrap_err());
        assert!(e.contains("nowhere"), "{e}");
    }
}
