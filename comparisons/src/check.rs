//! `mapbench check RESULTS_DIR`: is every run file well formed and self-consistent?
//!
//! For each `<run_id>.jsonl`: the schema and every field RUNNER-SPEC.md lists for its
//! record type; record order (run_start, intervals indexed 0, 1, 2… with non-decreasing
//! times, run_end last); each interval's `ops.total` = the sum of its kinds; for a run
//! that ended `ok` (or `interrupted`, which both runners write on SIGINT), the intervals'
//! ops and latency sample counts = `run_end`'s; the `.hlog` present, decodable, with one
//! histogram per interval holding that interval's sample count. Killed runs (no
//! `run_end`, possibly a cut-short last line) and failed ones (`run_end` status `error`)
//! are valid: they are counted, and what they wrote is checked (their `.hlog` may be
//! missing or cut short). A manifest, if present, must agree with the files.
//!
//! Problems make the directory malformed (exit 2, each problem naming its file).

use std::collections::BTreeMap;
use std::path::Path;

use hdrhistogram::Histogram;
use serde_json::Value;

use crate::manifest::{MANIFEST_FILE, Manifest, RunState};
use crate::results::{self, Lang, LatencySummary, Outcome, RawRun, RunFile};
use crate::stats::median;

/// Fields every record of a type must have (RUNNER-SPEC.md, schema 1). Dotted names are
/// nested.
const RUN_START_FIELDS: &[&str] = &[
    "schema",
    "run_id",
    "lang",
    "impl",
    "impl_info",
    "workload",
    "trace_path",
    "trace_sha256",
    "key_space",
    "threads",
    "ops_per_thread",
    "prefill",
    "presize",
    "duration_ms",
    "warmup_ops",
    "interval_ms",
    "op_delay_ns",
    "latency",
    "latency.sample_every",
    "latency.timer_overhead_ns",
    "toolchain",
    "runtime",
    "host",
    "git_commit",
    "started_at",
    "argv",
];
const INTERVAL_FIELDS: &[&str] = &[
    "index",
    "t_start_ns",
    "t_end_ns",
    "ops",
    "hits",
    "lat_ns",
    "lat_ns.count",
    "rss_bytes",
    "heap_live_bytes",
    "alloc_bytes",
    "alloc_objects",
    "gc",
    "steal_ticks",
];
const RUN_END_OK_FIELDS: &[&str] = &[
    "status",
    "elapsed_ns",
    "prefill_ns",
    "ops",
    "throughput_ops_per_s",
    "lat_ns",
    "lat_ns.count",
    "checksum",
    "final_len",
    "gc",
];

/// A run that could be read, and (if it ended ok) its merged latency histogram.
type CheckedRun = (RunFile, Option<Histogram<u64>>);

/// One workload × threads × map, over its runs.
#[derive(Debug, Clone, PartialEq)]
pub struct CellSummary {
    pub lang: Lang,
    pub map: String,
    pub workload: String,
    pub threads: u32,
    pub ok: usize,
    pub failed: usize,
    pub killed: usize,
    pub interrupted: usize,
    /// Median over the ok runs.
    pub median_ops_per_s: Option<f64>,
    /// From the merged histograms of the ok runs.
    pub latency: Option<LatencySummary>,
}

/// What `check` found.
#[derive(Debug, Clone, Default)]
pub struct CheckReport {
    pub files: usize,
    pub cells: Vec<CellSummary>,
    /// Each names its file; any problem makes the directory malformed.
    pub problems: Vec<String>,
    /// For a suite whose manifest says it has not ended: how far it got
    /// ([`crate::manifest::SuiteProgress::describe`]).
    pub suite_progress: Option<String>,
}

/// Checks every run file of `dir`. Only an unreadable directory is an `Err`; everything
/// wrong with the files is in [`CheckReport::problems`].
pub fn check_dir(dir: &Path) -> Result<CheckReport, results::ResultsError> {
    let files = results::run_files(dir)?;
    let mut report = CheckReport {
        files: files.len(),
        ..CheckReport::default()
    };
    if files.is_empty() {
        report
            .problems
            .push(format!("{}: no run files (*.jsonl)", dir.display()));
    }
    let mut runs: Vec<CheckedRun> = Vec::new();
    for path in &files {
        match check_file(path) {
            Ok((checked, problems)) => {
                report.problems.extend(problems);
                runs.push(checked);
            }
            Err(p) => report.problems.push(p),
        }
    }
    let manifest_path = dir.join(MANIFEST_FILE);
    if manifest_path.is_file() {
        match Manifest::read(&manifest_path) {
            Ok(m) => {
                report.suite_progress = m.progress().map(|p| p.describe());
                report
                    .problems
                    .extend(check_manifest(&m, &manifest_path, &runs));
            }
            Err(e) => report.problems.push(format!("{e:#}")),
        }
    }
    report.cells = summarise(&runs);
    Ok(report)
}

/// Checks one run file: the typed run, its merged latency histogram (ok runs), and the
/// problems found. `Err` when the file cannot be read as a run at all.
fn check_file(path: &Path) -> Result<(CheckedRun, Vec<String>), String> {
    let raw = results::read_raw(path).map_err(|e| e.to_string())?;
    let mut problems = required_fields(&raw);
    let run = RunFile::from_raw(raw).map_err(|e| e.to_string())?;
    let interval_samples: u64 = run
        .intervals
        .iter()
        .filter_map(|i| i.lat_ns)
        .map(|l| l.count)
        .sum();
    let file = path.display();
    let mut say = |msg: String| problems.push(format!("{file}: {msg}"));
    check_records(&run, path, interval_samples, &mut say);
    let merged = check_latency_log(&run, path, interval_samples, &mut problems);
    Ok(((run, merged), problems))
}

/// The records among themselves: the run id is the file's name; intervals indexed 0,
/// 1, 2… in order with non-decreasing times and consistent totals; a complete run's
/// `run_end` totals = the intervals'. Each problem goes to `say`.
fn check_records(run: &RunFile, path: &Path, interval_samples: u64, say: &mut dyn FnMut(String)) {
    let stem = path
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or_default();
    if run.start.run_id != stem {
        say(format!(
            "run_start.run_id is {:?}, expected the file's name {stem:?}",
            run.start.run_id
        ));
    }
    // Intervals: indexed 0, 1, 2… in order, times non-decreasing, totals consistent.
    let mut prev_start = 0;
    for (k, iv) in run.intervals.iter().enumerate() {
        if iv.index != k as u64 {
            say(format!(
                "interval {k} has index {}, expected {k} (in order, none missing)",
                iv.index
            ));
        }
        if iv.t_end_ns < iv.t_start_ns || iv.t_start_ns < prev_start {
            say(format!(
                "interval {}: times out of order (t_start_ns {}, t_end_ns {}, previous start {prev_start})",
                iv.index, iv.t_start_ns, iv.t_end_ns
            ));
        }
        prev_start = iv.t_start_ns;
        if iv.ops.total != iv.ops.sum_of_kinds() {
            say(format!(
                "interval {}: ops.total {} ≠ get + insert + update + remove = {}",
                iv.index,
                iv.ops.total,
                iv.ops.sum_of_kinds()
            ));
        }
    }
    if let (true, Some(end)) = (run.is_complete(), &run.end) {
        let sum = run.interval_ops();
        match end.ops {
            Some(ops) if ops != sum => say(format!(
                "run_end.ops {ops:?} ≠ the sum of the intervals' ops {sum:?}"
            )),
            Some(ops) if ops.total != ops.sum_of_kinds() => say(format!(
                "run_end.ops.total {} ≠ get + insert + update + remove = {}",
                ops.total,
                ops.sum_of_kinds()
            )),
            _ => {}
        }
        if let Some(lat) = end.lat_ns
            && lat.count != interval_samples
        {
            say(format!(
                "run_end.lat_ns.count {} ≠ the sum of the intervals' lat_ns.count {interval_samples}",
                lat.count
            ));
        }
    }
}

/// The latency log: present for a run that ended ok, decodable, one histogram per
/// interval of a complete run holding that interval's sample count. Returns the merged
/// histogram of an ok run. `path` is the run file's.
fn check_latency_log(
    run: &RunFile,
    path: &Path,
    interval_samples: u64,
    problems: &mut Vec<String>,
) -> Option<Histogram<u64>> {
    let hlog_path = run.hlog_path();
    let outcome = run.outcome();
    if !hlog_path.is_file() {
        // A run that failed or was killed early may not have reached its first interval.
        if outcome == Outcome::Ok {
            problems.push(format!(
                "{}: {}: missing (a run that ends ok has written its .hlog)",
                path.display(),
                hlog_path.display()
            ));
        }
        return None;
    }
    let log = match run.latency_log() {
        Err(e) => {
            problems.push(e.to_string());
            return None;
        }
        Ok(log) => log,
    };
    let hlog_count = log.total_count();
    let expected = match (run.is_complete(), run.end.as_ref().and_then(|e| e.lat_ns)) {
        (true, Some(lat)) => Some(lat.count),
        (true, None) => Some(interval_samples),
        // A killed run may have died between an interval record and its
        // histogram: no exact count to hold it to.
        _ => None,
    };
    // Every interval gets a histogram line, empty ones included, in order.
    if run.is_complete() {
        if log.intervals.len() != run.intervals.len() {
            problems.push(format!(
                "{}: {} histograms, but the run file has {} intervals (one line per interval, empty ones included)",
                hlog_path.display(),
                log.intervals.len(),
                run.intervals.len()
            ));
        } else if let Some((iv, h)) = run
            .intervals
            .iter()
            .zip(&log.intervals)
            .find(|(iv, h)| iv.lat_ns.map_or(0, |l| l.count) != h.histogram.len())
        {
            problems.push(format!(
                "{}: histogram {} holds {} samples, but interval {} reports lat_ns.count {}",
                hlog_path.display(),
                iv.index,
                h.histogram.len(),
                iv.index,
                iv.lat_ns.map_or(0, |l| l.count)
            ));
        }
    }
    if let Some(n) = expected
        && n != hlog_count
    {
        problems.push(format!(
            "{}: {hlog_count} latency samples in the log, but the run file reports {n}",
            hlog_path.display()
        ));
    }
    (outcome == Outcome::Ok).then(|| log.merged())
}

/// Presence of the spec's fields, by record type (the typed reader is lenient on purpose).
fn required_fields(raw: &RawRun) -> Vec<String> {
    let mut problems = Vec::new();
    for rec in &raw.records {
        let ty = rec.value.get("type").and_then(Value::as_str).unwrap_or("");
        let fields: &[&str] = match ty {
            "run_start" => RUN_START_FIELDS,
            "interval" => INTERVAL_FIELDS,
            "run_end"
                if matches!(
                    rec.value.get("status").and_then(Value::as_str),
                    Some("ok" | "interrupted")
                ) =>
            {
                RUN_END_OK_FIELDS
            }
            "run_end" => &["status", "error"],
            _ => &[],
        };
        let missing: Vec<&str> = fields
            .iter()
            .copied()
            .filter(|f| lookup(&rec.value, f).is_none())
            .collect();
        if !missing.is_empty() {
            problems.push(format!(
                "{}:{}: {ty}: missing field(s) {} (RUNNER-SPEC.md; null is allowed where the spec says so)",
                raw.path.display(),
                rec.line,
                missing.iter().map(|f| format!("`{f}`")).collect::<Vec<_>>().join(", ")
            ));
        }
    }
    problems
}

fn lookup<'a>(v: &'a Value, dotted: &str) -> Option<&'a Value> {
    dotted.split('.').try_fold(v, |v, k| v.get(k))
}

fn check_manifest(m: &Manifest, path: &Path, runs: &[CheckedRun]) -> Vec<String> {
    let mut problems = Vec::new();
    let by_id: BTreeMap<&str, &RunFile> = runs
        .iter()
        .map(|(r, _)| (r.start.run_id.as_str(), r))
        .collect();
    for r in &m.runs {
        let file = by_id.get(r.run_id.as_str());
        match (r.status, file) {
            (RunState::Ok, None) => problems.push(format!(
                "{}: run {} is ok in the manifest but has no run file",
                path.display(),
                r.run_id
            )),
            (RunState::Ok, Some(f)) if f.outcome() != Outcome::Ok => problems.push(format!(
                "{}: run {} is ok in the manifest but its file says {}",
                path.display(),
                r.run_id,
                f.outcome().label()
            )),
            _ => {}
        }
    }
    for (run, _) in runs {
        if !m.runs.iter().any(|r| r.run_id == run.start.run_id) {
            problems.push(format!(
                "{}: not in {} (a run from another suite?)",
                run.path.display(),
                path.display()
            ));
        }
    }
    problems
}

fn summarise(runs: &[CheckedRun]) -> Vec<CellSummary> {
    type Key = (String, Lang, String, u32);
    let mut groups: BTreeMap<Key, Vec<&CheckedRun>> = BTreeMap::new();
    for r in runs {
        let s = &r.0.start;
        groups
            .entry((s.workload.clone(), s.lang, s.map.clone(), s.threads))
            .or_default()
            .push(r);
    }
    groups
        .into_iter()
        .map(|((workload, lang, map, threads), rs)| {
            let count = |label: &str| {
                rs.iter()
                    .filter(|(r, _)| r.outcome().label() == label)
                    .count()
            };
            let mut tput: Vec<f64> = rs.iter().filter_map(|(r, _)| r.throughput()).collect();
            tput.sort_by(f64::total_cmp);
            let hists: Vec<&Histogram<u64>> = rs.iter().filter_map(|(_, h)| h.as_ref()).collect();
            CellSummary {
                lang,
                map,
                workload,
                threads,
                ok: count("ok"),
                failed: count("failed"),
                killed: count("killed"),
                interrupted: count("interrupted"),
                median_ops_per_s: median(&tput),
                latency: (!hists.is_empty())
                    .then(|| LatencySummary::of(&results::merge(hists)))
                    .flatten(),
            }
        })
        .collect()
}

/// The summary table, as text.
pub fn render(report: &CheckReport, dir: &Path) -> String {
    let mut out = String::new();
    let mut rows = vec![[
        "workload".to_owned(),
        "threads".into(),
        "lang".into(),
        "map".into(),
        "ok".into(),
        "failed".into(),
        "killed".into(),
        "interrupted".into(),
        "median Mops/s".into(),
        "p50 ns".into(),
        "p99 ns".into(),
        "max ns".into(),
    ]];
    for c in &report.cells {
        let lat = |f: fn(&LatencySummary) -> u64| {
            c.latency.as_ref().map_or("-".into(), |l| f(l).to_string())
        };
        rows.push([
            c.workload.clone(),
            c.threads.to_string(),
            c.lang.to_string(),
            c.map.clone(),
            c.ok.to_string(),
            c.failed.to_string(),
            c.killed.to_string(),
            c.interrupted.to_string(),
            c.median_ops_per_s
                .map_or("-".into(), |t| format!("{:.2}", t / 1e6)),
            lat(|l| l.p50),
            lat(|l| l.p99),
            lat(|l| l.max),
        ]);
    }
    let widths: Vec<usize> = (0..rows[0].len())
        .map(|i| rows.iter().map(|r| r[i].chars().count()).max().unwrap_or(0))
        .collect();
    for r in &rows {
        let line: Vec<String> = r
            .iter()
            .enumerate()
            .map(|(i, v)| {
                if i >= 4 {
                    format!("{v:>w$}", w = widths[i])
                } else {
                    format!("{v:<w$}", w = widths[i])
                }
            })
            .collect();
        out.push_str(line.join("  ").trim_end());
        out.push('\n');
    }
    let (ok, failed, killed, interrupted) = report.cells.iter().fold((0, 0, 0, 0), |t, x| {
        (
            t.0 + x.ok,
            t.1 + x.failed,
            t.2 + x.killed,
            t.3 + x.interrupted,
        )
    });
    let interrupted = if interrupted > 0 {
        format!(", {interrupted} interrupted")
    } else {
        String::new()
    };
    if let Some(p) = &report.suite_progress {
        out.push_str(&format!("{}: the suite {p}\n", dir.display()));
    }
    out.push_str(&format!(
        "{}: {} cells, {} run files: {ok} ok, {failed} failed, {killed} killed{interrupted}; {}\n",
        dir.display(),
        report.cells.len(),
        report.files,
        if report.problems.is_empty() {
            "well formed".to_owned()
        } else {
            format!("{} problem(s)", report.problems.len())
        }
    ));
    out
}
