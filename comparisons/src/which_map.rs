//! "Which map, when": the data behind the Results part's first page
//! (`mapbench which-map`).
//!
//! Reads only committed, generated files, never raw results:
//!
//! - the quick suite's `bench.txt` (one Go-benchmark-format line per run) for throughput
//!   and p99 per map on the main workloads;
//! - a memory suite's `report.md` (the table of fitted models) and its `bench.txt` for the
//!   live heap each map settles at under churn, and its bytes allocated per op;
//! - chapter 4.3's `tails.md` ("The runs") for p99.9 and the worst latency per run.
//!
//! Writes into `--out`: `which-map.json` (every cell, and per situation a ranking per
//! language, each map's value relative to the best, and the *leading* maps: within a
//! fixed tolerance of the best), `which-map.md` (the generated sentences, one anchored
//! section per situation, and a table) and `figures/which-map.svg` (throughput of every
//! map, both languages, one panel per workload; one hue per design across languages,
//! Go solid with circles, Rust dashed with triangles).
//!
//! The parsers are tolerant of what does not concern them (other header lines, other
//! benchmarks, extra metrics, extra columns) and strict about what does: a line or row
//! this module needs that it cannot read is an error naming the file, the line and the
//! field.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result, anyhow, bail};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use serde_json::{Value, json};

use crate::chapters::tables::{Table, median, parse_value};
use crate::chart::{INK, err, fmt_bytes, fmt_num, font, register_bundled_font};
use crate::results::Lang;

/// Maps within this fraction of the best throughput or heap lead a situation.
pub const LEAD_TOLERANCE: f64 = 0.2;
/// Latency is coarser (sampled, half-second runs): within 1.5 × the lowest worst p99.
pub const LATENCY_TOLERANCE: f64 = 0.5;
/// The thread count every verdict's cell uses.
pub const THREADS: u32 = 2;

/// The figure's panels and the throughput situations: (situation, workload, what it is).
pub const WORKLOADS: [(&str, &str, &str); 5] = [
    ("read-mostly", "read-heavy", "98% get, uniform"),
    ("write-heavy", "exchange", "40% insert, 40% remove"),
    ("skewed", "ycsb-a", "50% update, Zipf"),
    ("skewed-reads", "ycsb-c", "100% get, Zipf"),
    ("growing", "rapid-grow", "80% insert, from empty"),
];

// ---------------------------------------------------------------------------
// designs: one hue each, shared by the two languages

/// How a map is built; a Go map and a Rust map of one design share a colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Design {
    Mutex,
    RwLock,
    Sharded,
    SyncMap,
    LockFree,
    LeftRight,
    Other,
}

impl Design {
    pub const ALL: [Design; 7] = [
        Design::Mutex,
        Design::RwLock,
        Design::Sharded,
        Design::SyncMap,
        Design::LockFree,
        Design::LeftRight,
        Design::Other,
    ];

    /// The design of a map by its registry name (both runners' names).
    pub fn of(map: &str) -> Design {
        let starts = |p: &str| map.starts_with(p);
        if starts("mutex-") {
            Design::Mutex
        } else if starts("rwmutex-") || starts("rwlock-") {
            Design::RwLock
        } else if starts("sharded-") || starts("dashmap") || starts("orcaman-") {
            Design::Sharded
        } else if starts("sync-map") || starts("gosyncmap") {
            Design::SyncMap
        } else if starts("xsync")
            || starts("haxmap")
            || starts("papaya")
            || starts("flurry")
            || starts("scc")
        {
            Design::LockFree
        } else if starts("evmap") {
            Design::LeftRight
        } else {
            Design::Other
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Design::Mutex => "one mutex",
            Design::RwLock => "one RW lock",
            Design::Sharded => "sharded locks",
            Design::SyncMap => "sync.Map design",
            Design::LockFree => "lock-free table",
            Design::LeftRight => "left-right copies",
            Design::Other => "other",
        }
    }

    pub fn key(self) -> &'static str {
        match self {
            Design::Mutex => "mutex",
            Design::RwLock => "rwlock",
            Design::Sharded => "sharded",
            Design::SyncMap => "sync-map",
            Design::LockFree => "lock-free",
            Design::LeftRight => "left-right",
            Design::Other => "other",
        }
    }

    /// Mid-lightness hues, readable on the site's light and dark themes.
    pub fn colour(self) -> RGBColor {
        match self {
            Design::Mutex => RGBColor(0x3b, 0x82, 0xc4),
            Design::RwLock => RGBColor(0x2f, 0xa8, 0xa0),
            Design::Sharded => RGBColor(0xe0, 0x7b, 0x39),
            Design::SyncMap => RGBColor(0xa0, 0x6c, 0xc8),
            Design::LockFree => RGBColor(0xd0, 0x4f, 0x6a),
            Design::LeftRight => RGBColor(0x8c, 0x9a, 0x2e),
            Design::Other => INK,
        }
    }
}

// ---------------------------------------------------------------------------
// bench.txt

/// One run's line of a `bench.txt`.
#[derive(Debug, Clone, PartialEq)]
pub struct BenchLine {
    pub workload: String,
    pub map: String,
    pub lang: Lang,
    pub threads: u32,
    pub ops_per_s: f64,
    pub p99_ns: Option<f64>,
    pub b_per_op: Option<f64>,
    pub allocs_per_op: Option<f64>,
}

/// A parsed `bench.txt`: its `key: value` header lines and its runs.
#[derive(Debug, Clone, Default)]
pub struct Bench {
    pub header: BTreeMap<String, String>,
    pub lines: Vec<BenchLine>,
}

/// Parses Go benchmark format as `mapbench run` writes it. Lines that are not
/// benchmarks (config `key: value`, `PASS`, `ok`, blank) are kept as header or skipped;
/// a benchmark whose name has no `workload=` is another tool's and skipped. A line of
/// ours that lacks a name key, or has neither `ops/s` nor `ns/op`, is an error.
pub fn parse_bench(path: &Path, text: &str) -> Result<Bench> {
    let mut bench = Bench::default();
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim();
        let at = || format!("{}:{}", path.display(), i + 1);
        if !line.starts_with("Benchmark") {
            if let Some((k, v)) = line.split_once(':')
                && !k.contains(char::is_whitespace)
                && !k.is_empty()
            {
                bench.header.insert(k.to_owned(), v.trim().to_owned());
            }
            continue;
        }
        let mut fields = line.split_whitespace();
        let name = fields.next().unwrap_or_default();
        let keys: BTreeMap<&str, &str> = name
            .split('/')
            .skip(1)
            .filter_map(|seg| seg.split_once('='))
            .collect();
        if !keys.contains_key("workload") {
            continue;
        }
        let need = |k: &str| -> Result<&str> {
            keys.get(k)
                .copied()
                .filter(|v| !v.is_empty())
                .ok_or_else(|| {
                    anyhow!(
                        "{}: benchmark name {name:?} has no `{k}=`: expected \
                     BenchmarkReplay/workload=W/map=M/lang=go|rust/threads=N",
                        at()
                    )
                })
        };
        let lang: Lang = need("lang")?
            .parse()
            .map_err(|e: String| anyhow!("{}: lang: {e}", at()))?;
        // `go test` appends -GOMAXPROCS to the last element: "threads=2-8".
        let t = need("threads")?;
        let threads: u32 = t
            .split('-')
            .next()
            .unwrap_or(t)
            .parse()
            .map_err(|_| anyhow!("{}: threads: expected a whole number, found {t:?}", at()))?;
        let rest: Vec<&str> = fields.collect();
        // The iteration count, then value/unit pairs; unknown units are ignored.
        let mut metrics: BTreeMap<&str, f64> = BTreeMap::new();
        for pair in rest.get(1..).unwrap_or_default().chunks(2) {
            if let [v, unit] = pair
                && let Ok(v) = v.parse::<f64>()
            {
                metrics.insert(unit, v);
            }
        }
        let ops_per_s = match (metrics.get("ops/s"), metrics.get("ns/op")) {
            (Some(&v), _) if v > 0.0 => v,
            (_, Some(&ns)) if ns > 0.0 => 1e9 / ns,
            _ => bail!(
                "{}: {name}: expected a positive `ops/s` or `ns/op` value, found {:?}",
                at(),
                rest.join(" ")
            ),
        };
        bench.lines.push(BenchLine {
            workload: need("workload")?.to_owned(),
            map: need("map")?.to_owned(),
            lang,
            threads,
            ops_per_s,
            p99_ns: metrics.get("p99-ns").copied(),
            b_per_op: metrics.get("B/op").copied(),
            allocs_per_op: metrics.get("allocs/op").copied(),
        });
    }
    Ok(bench)
}

fn read_bench(path: &Path) -> Result<Bench> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("{}: cannot read", path.display()))?;
    let b = parse_bench(path, &text)?;
    if b.lines.is_empty() {
        bail!(
            "{}: no BenchmarkReplay/workload=... lines: expected the bench.txt of a \
             `mapbench run` results directory",
            path.display()
        );
    }
    Ok(b)
}

/// One map in one cell: the median over its runs.
#[derive(Debug, Clone, PartialEq)]
pub struct Cell {
    pub workload: String,
    pub threads: u32,
    pub lang: Lang,
    pub map: String,
    pub runs: usize,
    pub mops: f64,
    pub mops_min: f64,
    pub mops_max: f64,
    pub p99_ns: Option<f64>,
    pub b_per_op: Option<f64>,
    pub allocs_per_op: Option<f64>,
}

/// Groups runs into cells (workload, threads, lang, map), medians over repeats.
pub fn cells(bench: &Bench) -> Vec<Cell> {
    let mut by: BTreeMap<(String, u32, Lang, String), Vec<&BenchLine>> = BTreeMap::new();
    for l in &bench.lines {
        by.entry((l.workload.clone(), l.threads, l.lang, l.map.clone()))
            .or_default()
            .push(l);
    }
    let med = |v: Vec<f64>| (!v.is_empty()).then(|| median(v));
    by.into_iter()
        .map(|((workload, threads, lang, map), ls)| {
            let mops: Vec<f64> = ls.iter().map(|l| l.ops_per_s / 1e6).collect();
            Cell {
                workload,
                threads,
                lang,
                map,
                runs: ls.len(),
                mops: median(mops.clone()),
                mops_min: mops.iter().copied().fold(f64::INFINITY, f64::min),
                mops_max: mops.iter().copied().fold(0.0, f64::max),
                p99_ns: med(ls.iter().filter_map(|l| l.p99_ns).collect()),
                b_per_op: med(ls.iter().filter_map(|l| l.b_per_op).collect()),
                allocs_per_op: med(ls.iter().filter_map(|l| l.allocs_per_op).collect()),
            }
        })
        .collect()
}

// ---------------------------------------------------------------------------
// the memory suite's fitted levels, and chapter 4.3's tails

/// A map's live heap under churn: the constant `c` of the model its run's fit preferred
/// (the level an exponential settles at; a line's level at the start of the run).
#[derive(Debug, Clone, PartialEq)]
pub struct HeapLevel {
    pub lang: Lang,
    pub map: String,
    pub workload: String,
    pub threads: u32,
    pub series: String,
    pub model: String,
    pub bytes: f64,
    pub b_per_op: Option<f64>,
}

/// Reads the fits table of a memory report (`| run | series | model | parameters … |
/// verdict |`) and names each run's map from the `bench.txt` beside it: run ids are
/// `<suite>-<lang>-<map>-<workload>-t<threads>-r<repeat>`.
pub fn heap_levels(report: &Path, bench: &Bench) -> Result<Vec<HeapLevel>> {
    let t = Table::read(report, "run")?;
    let (c_run, c_series, c_model, c_verdict) = (
        t.col("run")?,
        t.col("series")?,
        t.col("model")?,
        t.col("verdict")?,
    );
    let c_params = t
        .header
        .iter()
        .position(|h| h.starts_with("parameters"))
        .ok_or_else(|| {
            anyhow!(
                "{}: the fits table has no column \"parameters…\" (columns: {})",
                report.display(),
                t.header.join(", ")
            )
        })?;
    let mut known: Vec<(String, &BenchLine)> = bench
        .lines
        .iter()
        .map(|l| {
            (
                format!("-{}-{}-{}-t{}-r", l.lang, l.map, l.workload, l.threads),
                l,
            )
        })
        .collect();
    known.sort_by(|a, b| b.0.len().cmp(&a.0.len()).then(a.0.cmp(&b.0)));
    known.dedup_by(|a, b| a.0 == b.0);
    let mut per_map: BTreeMap<(Lang, String), Vec<HeapLevel>> = BTreeMap::new();
    for (line, row) in &t.rows {
        let cell = |c: usize| row.get(c).map(String::as_str).unwrap_or("");
        if !cell(c_verdict).contains('✓') {
            continue;
        }
        let run = cell(c_run).trim_matches('`');
        let Some((_, l)) = known.iter().find(|(k, _)| run.contains(k.as_str())) else {
            bail!(
                "{}:{line}: run {run:?} matches no map of the bench.txt beside it \
                 (expected <suite>-<lang>-<map>-<workload>-t<threads>-r<repeat>)",
                report.display()
            );
        };
        let params = cell(c_params);
        let c = params
            .split(", ")
            .find_map(|p| p.trim().strip_prefix("c = "))
            .and_then(|v| v.trim().parse::<f64>().ok())
            .ok_or_else(|| {
                anyhow!(
                    "{}:{line}: column {:?}: expected \"… c = NUMBER\", got {params:?}",
                    report.display(),
                    t.header[c_params]
                )
            })?;
        per_map
            .entry((l.lang, l.map.clone()))
            .or_default()
            .push(HeapLevel {
                lang: l.lang,
                map: l.map.clone(),
                workload: l.workload.clone(),
                threads: l.threads,
                series: cell(c_series).to_owned(),
                model: cell(c_model).to_owned(),
                bytes: c,
                b_per_op: l.b_per_op,
            });
    }
    if per_map.is_empty() {
        bail!(
            "{}: the fits table marks no preferred model (✓): expected a memory report",
            report.display()
        );
    }
    // One level per map: the median over its runs.
    Ok(per_map
        .into_values()
        .map(|mut v| {
            let bytes = median(v.iter().map(|h| h.bytes).collect());
            let mut h = v.swap_remove(0);
            h.bytes = bytes;
            h
        })
        .collect())
}

/// One row of chapter 4.3's "The runs".
#[derive(Debug, Clone, PartialEq)]
pub struct TailRun {
    pub run: String,
    pub p999_ns: f64,
    pub max_ns: f64,
    pub rss_bytes: Option<f64>,
}

pub fn tail_runs(tails: &Path) -> Result<Vec<TailRun>> {
    let t = Table::read(tails, "run")?;
    let (c_run, c_p999, c_max) = (t.col("run")?, t.col("p999")?, t.col("max")?);
    let c_rss = t.header.iter().position(|h| h.starts_with("RSS"));
    let mut out = Vec::new();
    for (line, row) in &t.rows {
        let num = |c: usize| -> Result<f64> {
            let s = row.get(c).map(String::as_str).unwrap_or("");
            parse_value(s).ok_or_else(|| {
                anyhow!(
                    "{}:{line}: column {:?}: expected a duration (ns, µs, ms, s), got {s:?}",
                    tails.display(),
                    t.header[c]
                )
            })
        };
        out.push(TailRun {
            run: row.get(c_run).cloned().unwrap_or_default(),
            p999_ns: num(c_p999)?,
            max_ns: num(c_max)?,
            rss_bytes: c_rss.and_then(|c| row.get(c)).and_then(|s| parse_value(s)),
        });
    }
    Ok(out)
}

// ---------------------------------------------------------------------------
// situations

/// One language's side of a situation: maps best first.
#[derive(Debug, Clone, PartialEq)]
pub struct Ranking {
    pub lang: Lang,
    /// (map, value), best first.
    pub order: Vec<(String, f64)>,
    pub higher_is_better: bool,
    pub tolerance: f64,
}

impl Ranking {
    fn new(lang: Lang, mut v: Vec<(String, f64)>, higher: bool, tolerance: f64) -> Ranking {
        v.sort_by(|a, b| {
            let o = a.1.total_cmp(&b.1);
            (if higher { o.reverse() } else { o }).then(a.0.cmp(&b.0))
        });
        Ranking {
            lang,
            order: v,
            higher_is_better: higher,
            tolerance,
        }
    }

    pub fn best(&self) -> Option<&(String, f64)> {
        self.order.first()
    }

    /// Each map's value relative to the best (1 = the best; < 1 slower, > 1 larger).
    pub fn of_best(&self, v: f64) -> f64 {
        match self.best() {
            Some((_, b)) if *b > 0.0 => v / b,
            _ => f64::NAN,
        }
    }

    /// Maps within the tolerance of the best.
    pub fn leading(&self) -> Vec<&str> {
        self.order
            .iter()
            .filter(|(_, v)| {
                let r = self.of_best(*v);
                if self.higher_is_better {
                    r >= 1.0 - self.tolerance
                } else {
                    r <= 1.0 + self.tolerance
                }
            })
            .map(|(m, _)| m.as_str())
            .collect()
    }

    fn json(&self, unit: &str) -> Value {
        let values: serde_json::Map<String, Value> = self
            .order
            .iter()
            .map(|(m, v)| (m.clone(), json!(round(*v))))
            .collect();
        let of_best: serde_json::Map<String, Value> = self
            .order
            .iter()
            .map(|(m, v)| (m.clone(), json!(round(self.of_best(*v)))))
            .collect();
        let rank: serde_json::Map<String, Value> = self
            .order
            .iter()
            .enumerate()
            .map(|(i, (m, _))| (m.clone(), json!(i + 1)))
            .collect();
        json!({
            "unit": unit,
            "best": self.best().map(|b| b.0.clone()),
            "leading": self.leading(),
            "ranking": self.order.iter().map(|o| o.0.clone()).collect::<Vec<_>>(),
            "rank": rank,
            "value": values,
            "of_best": of_best,
        })
    }
}

/// Four significant digits (0 for a value that is not finite), for stable JSON.
pub(crate) fn round(v: f64) -> f64 {
    if !v.is_finite() {
        return 0.0;
    }
    let digits = 4 - (v.abs().max(1e-9).log10().floor() as i32);
    let f = 10f64.powi(digits.clamp(0, 9));
    (v * f).round() / f
}

/// Everything `which-map` computes, before it is written.
pub struct WhichMap {
    pub quick: Vec<Cell>,
    pub heap: Vec<HeapLevel>,
    pub tails: Vec<TailRun>,
    pub sources: BTreeMap<&'static str, String>,
    pub commit: Option<String>,
}

/// Where `which-map` reads from; paths as given (repository-relative in the book).
pub struct Inputs {
    pub quick: PathBuf,
    pub memory: PathBuf,
    pub tails: PathBuf,
}

impl WhichMap {
    pub fn load(inp: &Inputs) -> Result<WhichMap> {
        let qb = inp.quick.join("bench.txt");
        let quick_bench = read_bench(&qb)?;
        let mb = inp.memory.join("bench.txt");
        let mr = inp.memory.join("report.md");
        let memory_bench = read_bench(&mb)?;
        let heap = heap_levels(&mr, &memory_bench)?;
        let tails = tail_runs(&inp.tails)?;
        let quick = cells(&quick_bench);
        for (_, w, _) in WORKLOADS {
            if !quick
                .iter()
                .any(|c| c.workload == w && c.threads == THREADS)
            {
                bail!(
                    "{}: no run of workload {w:?} at {THREADS} threads: expected the quick \
                     suite's bench.txt (comparisons/suites/quick.toml)",
                    qb.display()
                );
            }
        }
        let show = |p: &Path| p.display().to_string();
        Ok(WhichMap {
            commit: quick_bench.header.get("commit").cloned(),
            quick,
            heap,
            tails,
            sources: BTreeMap::from([
                ("quick_bench", show(&qb)),
                ("memory_report", show(&mr)),
                ("memory_bench", show(&mb)),
                ("tails", show(&inp.tails)),
            ]),
        })
    }

    fn cell(&self, workload: &str, lang: Lang, map: &str) -> Option<&Cell> {
        self.quick.iter().find(|c| {
            c.workload == workload && c.threads == THREADS && c.lang == lang && c.map == map
        })
    }

    /// Throughput at [`THREADS`] on one workload, per language.
    pub fn throughput(&self, workload: &str, lang: Lang) -> Ranking {
        let v = self
            .quick
            .iter()
            .filter(|c| c.workload == workload && c.threads == THREADS && c.lang == lang)
            .map(|c| (c.map.clone(), c.mops))
            .collect();
        Ranking::new(lang, v, true, LEAD_TOLERANCE)
    }

    /// The worst p99 over the figure's workloads at [`THREADS`], for the maps measured on
    /// every one of them.
    pub fn worst_p99(&self, lang: Lang) -> Ranking {
        let mut per: BTreeMap<&str, Vec<f64>> = BTreeMap::new();
        for (_, w, _) in WORKLOADS {
            for c in self
                .quick
                .iter()
                .filter(|c| c.workload == w && c.threads == THREADS && c.lang == lang)
            {
                if let Some(p) = c.p99_ns {
                    per.entry(&c.map).or_default().push(p);
                }
            }
        }
        let v = per
            .into_iter()
            .filter(|(_, ps)| ps.len() == WORKLOADS.len())
            .map(|(m, ps)| (m.to_owned(), ps.into_iter().fold(0.0, f64::max)))
            .collect();
        Ranking::new(lang, v, false, LATENCY_TOLERANCE)
    }

    pub fn heap(&self, lang: Lang) -> Ranking {
        let v = self
            .heap
            .iter()
            .filter(|h| h.lang == lang)
            .map(|h| (h.map.clone(), h.bytes))
            .collect();
        Ranking::new(lang, v, false, LEAD_TOLERANCE)
    }

    pub fn to_json(&self) -> Value {
        let mut situations = serde_json::Map::new();
        for (name, w, what) in WORKLOADS {
            let mut s = serde_json::Map::new();
            s.insert(
                "cell".into(),
                json!({"workload": w, "threads": THREADS, "mix": what}),
            );
            s.insert("metric".into(), json!("median throughput, Mops/s"));
            for lang in Lang::ALL {
                s.insert(lang.name().into(), self.throughput(w, lang).json("Mops/s"));
            }
            situations.insert(name.into(), Value::Object(s));
        }
        let mut mem = serde_json::Map::new();
        let (mw, mt) = self
            .heap
            .first()
            .map(|h| (h.workload.clone(), h.threads))
            .unwrap_or_default();
        mem.insert(
            "cell".into(),
            json!({"workload": mw, "threads": mt, "source": self.sources["memory_report"]}),
        );
        mem.insert(
            "metric".into(),
            json!("live heap level under churn (the preferred fit's c), bytes"),
        );
        for lang in Lang::ALL {
            let mut r = self.heap(lang).json("bytes");
            let b: serde_json::Map<String, Value> = self
                .heap
                .iter()
                .filter(|h| h.lang == lang)
                .filter_map(|h| Some((h.map.clone(), json!(round(h.b_per_op?)))))
                .collect();
            r["b_per_op"] = Value::Object(b);
            mem.insert(lang.name().into(), r);
        }
        situations.insert("memory-sensitive".into(), Value::Object(mem));
        let mut lat = serde_json::Map::new();
        lat.insert(
            "cell".into(),
            json!({"workloads": WORKLOADS.map(|w| w.1), "threads": THREADS}),
        );
        lat.insert(
            "metric".into(),
            json!("worst p99 over the workloads, ns (maps measured on all of them)"),
        );
        for lang in Lang::ALL {
            lat.insert(lang.name().into(), self.worst_p99(lang).json("ns"));
        }
        situations.insert("latency-sensitive".into(), Value::Object(lat));

        let cells: Vec<Value> = self
            .quick
            .iter()
            .map(|c| {
                json!({
                    "workload": c.workload, "threads": c.threads, "lang": c.lang.name(),
                    "map": c.map, "design": Design::of(&c.map).key(), "runs": c.runs,
                    "mops": round(c.mops), "mops_min": round(c.mops_min),
                    "mops_max": round(c.mops_max), "p99_ns": c.p99_ns,
                    "b_per_op": c.b_per_op, "allocs_per_op": c.allocs_per_op,
                })
            })
            .collect();
        let tails: Vec<Value> = self
            .tails
            .iter()
            .map(|t| {
                json!({"run": t.run, "p999_ns": round(t.p999_ns), "max_ns": round(t.max_ns),
                       "rss_bytes": t.rss_bytes.map(round)})
            })
            .collect();
        json!({
            "schema": 1,
            "generated_by": "mapbench which-map",
            "commit": self.commit,
            "sources": self.sources,
            "threads": THREADS,
            "lead_tolerance": LEAD_TOLERANCE,
            "latency_tolerance": LATENCY_TOLERANCE,
            "situations": situations,
            "cells": cells,
            "tails": tails,
        })
    }
}

// ---------------------------------------------------------------------------
// the generated sentences

fn code_list(ms: &[&str]) -> String {
    let q: Vec<String> = ms.iter().map(|m| format!("`{m}`")).collect();
    match q.len() {
        0 => "none".into(),
        1 => q[0].clone(),
        2 => format!("{} and {}", q[0], q[1]),
        n => format!("{} and {}", q[..n - 1].join(", "), q[n - 1]),
    }
}

/// "the Go maps … are A and B" for one ranking; `fmt` prints the best's value.
fn side_sentence(r: &Ranking, what: &str, fmt: &dyn Fn(f64) -> String) -> String {
    let lang = match r.lang {
        Lang::Go => "Go",
        Lang::Rust => "Rust",
    };
    let lead = r.leading();
    let Some((best, v)) = r.best() else {
        return format!("no {lang} map was measured");
    };
    let worst = r.order.last().map(|w| w.0.as_str()).unwrap_or(best);
    let pct = (r.tolerance * 100.0).round();
    let mut s = if lead.len() == 1 {
        format!(
            "the {lang} map with the {what} is `{best}` ({}), no other within {pct}% of it",
            fmt(*v)
        )
    } else {
        format!(
            "the {lang} maps within {pct}% of the {what} are {} (best: `{best}`, {})",
            code_list(&lead),
            fmt(*v)
        )
    };
    if r.order.len() > lead.len() + 1 {
        let _ = write!(s, "; last is `{worst}`");
    }
    s
}

fn mops(v: f64) -> String {
    format!("{} Mops/s", fmt_num(v))
}

fn ns(v: f64) -> String {
    crate::chart::fmt_ns(v)
}

/// `which-map.md`: one anchored section per situation (one or two generated sentences),
/// then the table of every map on the figure's workloads.
pub fn render_md(w: &WhichMap, command: &str) -> String {
    let mut md = format!(
        "<!-- Generated by mapbench which-map; do not edit. Regenerate with:\n     {command} -->\n\n"
    );
    for (name, wl, what) in WORKLOADS {
        let go = w.throughput(wl, Lang::Go);
        let rust = w.throughput(wl, Lang::Rust);
        let _ = writeln!(md, "<!-- ANCHOR: {name} -->");
        let mut s = format!(
            "On `{wl}` ({what}) at {THREADS} threads, {}; {}.",
            side_sentence(&go, "highest throughput", &mops),
            side_sentence(&rust, "highest throughput", &mops)
        );
        if let (Some(g), Some(r)) = (go.best(), rust.best())
            && g.1 > 0.0
        {
            let _ = write!(
                s,
                " The fastest Rust map does {}× the fastest Go map's throughput here.",
                fmt_num(r.1 / g.1)
            );
        }
        md.push_str(&upper_first(&s));
        let _ = writeln!(md, "\n<!-- ANCHOR_END: {name} -->\n");
    }
    memory_sensitive(&mut md, w);
    latency_sensitive(&mut md, w);
    map_table(&mut md, w);
    md
}

/// The "memory-sensitive" anchor: the smallest heap per side, the maps allocating
/// under one byte per op, and the most per op.
fn memory_sensitive(md: &mut String, w: &WhichMap) {
    let go = w.heap(Lang::Go);
    let rust = w.heap(Lang::Rust);
    let _ = writeln!(md, "<!-- ANCHOR: memory-sensitive -->");
    let (mw, mt) = w
        .heap
        .first()
        .map(|h| (h.workload.as_str(), h.threads))
        .unwrap_or(("?", 0));
    let bop = |lang: Lang, m: &str| {
        w.heap
            .iter()
            .find(|h| h.lang == lang && h.map == m)
            .and_then(|h| h.b_per_op)
    };
    let alloc_free = |lang: Lang| -> Vec<&str> {
        w.heap
            .iter()
            .filter(|h| h.lang == lang && h.b_per_op.is_some_and(|b| b < 1.0))
            .map(|h| h.map.as_str())
            .collect()
    };
    let most = |r: &Ranking, lang: Lang| {
        r.order
            .iter()
            .filter_map(|(m, _)| bop(lang, m).map(|b| (m.clone(), b)))
            .max_by(|a, b| a.1.total_cmp(&b.1))
    };
    let mut s = format!(
        "Under churn (`{mw}` at {mt} threads, the memory suite's fitted live heap), {}; {}.",
        side_sentence(&go, "smallest heap", &fmt_bytes),
        side_sentence(&rust, "smallest heap", &fmt_bytes)
    );
    for (lang, r, name) in [(Lang::Go, &go, "Go"), (Lang::Rust, &rust, "Rust")] {
        let free = alloc_free(lang);
        let _ = write!(
            s,
            " {name} maps allocating under one byte per op: {}",
            code_list(&free)
        );
        if let Some((m, b)) = most(r, lang) {
            let _ = write!(s, "; the most per op: `{m}` ({} B/op)", fmt_num(b));
        }
        s.push('.');
    }
    md.push_str(&s);
    let _ = writeln!(md, "\n<!-- ANCHOR_END: memory-sensitive -->\n");
}

/// The "latency-sensitive" anchor: the lowest worst p99 per side.
fn latency_sensitive(md: &mut String, w: &WhichMap) {
    let go = w.worst_p99(Lang::Go);
    let rust = w.worst_p99(Lang::Rust);
    let _ = writeln!(md, "<!-- ANCHOR: latency-sensitive -->");
    let names: Vec<String> = WORKLOADS.iter().map(|x| format!("`{}`", x.1)).collect();
    let s = format!(
        "Taking each map's worst p99 over {} at {THREADS} threads, {}; {}.",
        names.join(", "),
        side_sentence(&go, "lowest worst p99", &ns),
        side_sentence(&rust, "lowest worst p99", &ns)
    );
    md.push_str(&s);
    let _ = writeln!(md, "\n<!-- ANCHOR_END: latency-sensitive -->\n");
}

/// The table: every map at THREADS threads, Mops/s per workload, worst p99.
fn map_table(md: &mut String, w: &WhichMap) {
    let _ = writeln!(md, "<!-- ANCHOR: table -->");
    md.push_str("| side | map |");
    for (_, wl, _) in WORKLOADS {
        let _ = write!(md, " {wl} |");
    }
    md.push_str(" worst p99 |\n|---|---|");
    for _ in WORKLOADS {
        md.push_str("--:|");
    }
    md.push_str("--:|\n");
    for (lang, map) in rows(w) {
        let _ = write!(md, "| {lang} | `{map}` |");
        for (_, wl, _) in WORKLOADS {
            match w.cell(wl, lang, &map) {
                Some(c) => {
                    let _ = write!(md, " {} |", fmt_num(c.mops));
                }
                None => md.push_str(" – |"),
            }
        }
        let p = w.worst_p99(lang);
        match p.order.iter().find(|o| o.0 == map) {
            Some((_, v)) => {
                let _ = writeln!(md, " {} |", ns(*v));
            }
            None => md.push_str(" – |\n"),
        }
    }
    let runs: BTreeSet<usize> = w
        .quick
        .iter()
        .filter(|c| c.threads == THREADS)
        .map(|c| c.runs)
        .collect();
    let runs = match (runs.first(), runs.last()) {
        (Some(a), Some(b)) if a != b => format!("{a} to {b} runs per map and workload"),
        (Some(a), _) => format!("{a} run(s) per map and workload"),
        _ => "no runs".to_owned(),
    };
    let _ = writeln!(
        md,
        "\nMedian throughput in million ops/s at {THREADS} threads over the quick suite's \
         runs ({runs}; – : not in that group of the suite); worst p99 is the highest of a map's p99 over the five workloads, for \
         the maps measured on all of them. Source: `{}`.",
        w.sources["quick_bench"]
    );
    let _ = writeln!(md, "<!-- ANCHOR_END: table -->");
}

fn upper_first(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

/// The figure's and the table's rows: every map measured at [`THREADS`] on the first
/// workload or any other, grouped by design, Go before Rust, by name.
fn rows(w: &WhichMap) -> Vec<(Lang, String)> {
    let set: BTreeSet<(Design, u8, String)> = w
        .quick
        .iter()
        .filter(|c| c.threads == THREADS && WORKLOADS.iter().any(|x| x.1 == c.workload))
        .map(|c| {
            let l = if c.lang == Lang::Go { 0 } else { 1 };
            (Design::of(&c.map), l, c.map.clone())
        })
        .collect();
    set.into_iter()
        .map(|(_, l, m)| (if l == 0 { Lang::Go } else { Lang::Rust }, m))
        .collect()
}

// ---------------------------------------------------------------------------
// the figure

const FIG_WIDTH: u32 = 900;
const LABEL_W: i32 = 214;
const ROW_H: i32 = 15;
const HEAD_H: i32 = 96;
const PANEL_GAP: i32 = 8;

/// Throughput of every map, both languages: one panel per workload (columns), one row
/// per map grouped by design; a stem from 0 to the median (Go solid with a circle, Rust
/// dashed with a triangle), in the design's hue, the value beside it.
pub fn render_svg(w: &WhichMap) -> Result<String> {
    register_bundled_font();
    let rows = rows(w);
    // Row positions with a gap between designs.
    let mut ys = Vec::with_capacity(rows.len());
    let mut y = HEAD_H + 30;
    let mut prev: Option<Design> = None;
    for (_, m) in &rows {
        let d = Design::of(m);
        if prev.is_some_and(|p| p != d) {
            y += ROW_H / 2 + 2;
        }
        prev = Some(d);
        ys.push(y);
        y += ROW_H;
    }
    let height = (y + 40) as u32;
    let panel_w = (FIG_WIDTH as i32 - LABEL_W - 10) / WORKLOADS.len() as i32;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (FIG_WIDTH, height)).into_drawing_area();
        root.draw(&Text::new(
            format!(
                "Throughput of every map at {THREADS} threads, million ops/s (quick suite; one scale)"
            ),
            (10, 6),
            font(15),
        ))
        .map_err(err)?;
        draw_legend(&root, &rows)?;
        // Row labels.
        for ((lang, m), y) in rows.iter().zip(&ys) {
            root.draw(&Text::new(
                format!("{} {m}", if *lang == Lang::Go { "Go" } else { "Rust" }),
                (LABEL_W - 8, *y),
                font(11).pos(Pos::new(HPos::Right, VPos::Center)),
            ))
            .map_err(err)?;
        }
        let bottom = y;
        let max = w
            .quick
            .iter()
            .filter(|c| c.threads == THREADS && WORKLOADS.iter().any(|x| x.1 == c.workload))
            .map(|c| c.mops)
            .fold(0.0, f64::max)
            .max(1e-9);
        let step = nice_step(max / 2.0);
        for (k, (_, wl, what)) in WORKLOADS.iter().enumerate() {
            draw_panel(
                &root,
                w,
                &rows,
                &ys,
                (k, wl, what),
                (panel_w, bottom, max, step),
            )?;
        }
        root.present().map_err(err)?;
    }
    Ok(svg)
}

/// Legend: designs present, then the two languages' line styles.
fn draw_legend(
    root: &DrawingArea<SVGBackend<'_>, plotters::coord::Shift>,
    rows: &[(Lang, String)],
) -> Result<()> {
    // Legend: designs present, then the two languages' line styles.
    let designs: BTreeSet<Design> = rows.iter().map(|r| Design::of(&r.1)).collect();
    let mut x = 10;
    for d in Design::ALL.iter().filter(|d| designs.contains(d)) {
        root.draw(&Rectangle::new(
            [(x, 32), (x + 12, 44)],
            d.colour().filled(),
        ))
        .map_err(err)?;
        root.draw(&Text::new(d.label(), (x + 17, 32), font(12)))
            .map_err(err)?;
        x += 17 + 7 * d.label().chars().count() as i32 + 14;
    }
    let ly = 62;
    lollipop(root, (10, ly), (40, ly), Lang::Go, INK)?;
    root.draw(&Text::new("Go: solid, circle", (48, ly - 7), font(12)))
        .map_err(err)?;
    lollipop(root, (190, ly), (220, ly), Lang::Rust, INK)?;
    root.draw(&Text::new(
        "Rust: dashed, triangle",
        (228, ly - 7),
        font(12),
    ))
    .map_err(err)?;
    root.draw(&Text::new(
        "– : not measured on that workload",
        (420, ly - 7),
        font(12),
    ))
    .map_err(err)?;
    Ok(())
}

/// Workload `k`'s panel: its title, the zero axis and grid, and a stem per row.
/// `(panel_w, bottom, max, step)`: the panel width, the rows' bottom, the one scale's
/// maximum and grid step.
fn draw_panel(
    root: &DrawingArea<SVGBackend<'_>, plotters::coord::Shift>,
    w: &WhichMap,
    rows: &[(Lang, String)],
    ys: &[i32],
    (k, wl, what): (usize, &str, &str),
    (panel_w, bottom, max, step): (i32, i32, f64, f64),
) -> Result<()> {
    let x0 = LABEL_W + k as i32 * panel_w;
    let inner = panel_w - PANEL_GAP;
    // One scale for every panel, so a stem's length compares across workloads.
    let span = (inner - 34) as f64;
    let px = |v: f64| x0 + (v / max * span).round() as i32;
    root.draw(&Text::new(
        wl.to_string(),
        (x0 + inner / 2, HEAD_H - 14),
        font(12).pos(Pos::new(HPos::Center, VPos::Top)),
    ))
    .map_err(err)?;
    root.draw(&Text::new(
        what.to_string(),
        (x0 + inner / 2, HEAD_H + 2),
        font(9).pos(Pos::new(HPos::Center, VPos::Top)),
    ))
    .map_err(err)?;
    // The zero axis, then a grid line and label every `step`.
    let top = HEAD_H + 20;
    root.draw(&PathElement::new(
        vec![(x0, top), (x0, bottom)],
        INK.mix(0.6).stroke_width(1),
    ))
    .map_err(err)?;
    let mut g = 0.0;
    while g <= max + 1e-9 {
        if g > 0.0 {
            root.draw(&PathElement::new(
                vec![(px(g), top), (px(g), bottom)],
                INK.mix(0.2).stroke_width(1),
            ))
            .map_err(err)?;
        }
        root.draw(&Text::new(
            fmt_num(g),
            (px(g), bottom + 6),
            font(9).pos(Pos::new(HPos::Center, VPos::Top)),
        ))
        .map_err(err)?;
        g += step;
    }
    for ((lang, m), y) in rows.iter().zip(ys) {
        match w.cell(wl, *lang, m) {
            Some(c) => {
                let end = px(c.mops);
                lollipop(root, (x0, *y), (end, *y), *lang, Design::of(m).colour())?;
                root.draw(&Text::new(
                    fmt_num(c.mops),
                    (end + 6, *y),
                    font(9).pos(Pos::new(HPos::Left, VPos::Center)),
                ))
                .map_err(err)?;
            }
            None => {
                root.draw(&Text::new(
                    "–",
                    (x0 + 4, *y),
                    font(9).pos(Pos::new(HPos::Left, VPos::Center)),
                ))
                .map_err(err)?;
            }
        }
    }
    Ok(())
}

/// 1, 2 or 5 times a power of ten, at most `v`.
fn nice_step(v: f64) -> f64 {
    let p = 10f64.powf(v.log10().floor());
    [5.0, 2.0, 1.0]
        .into_iter()
        .map(|m| m * p)
        .find(|s| *s <= v)
        .unwrap_or(p)
}

/// A stem from `from` to `to` and a marker at `to`: Go solid with a circle, Rust dashed
/// with a triangle.
fn lollipop(
    area: &DrawingArea<SVGBackend<'_>, plotters::coord::Shift>,
    from: (i32, i32),
    to: (i32, i32),
    lang: Lang,
    c: RGBColor,
) -> Result<()> {
    let style = c.stroke_width(2);
    match lang {
        Lang::Go => {
            area.draw(&PathElement::new(vec![from, to], style))
                .map_err(err)?;
            area.draw(&Circle::new(to, 4, c.filled())).map_err(err)?;
        }
        Lang::Rust => {
            let mut x = from.0;
            while x < to.0 {
                let e = (x + 5).min(to.0);
                area.draw(&PathElement::new(vec![(x, from.1), (e, to.1)], style))
                    .map_err(err)?;
                x += 8;
            }
            area.draw(&TriangleMarker::new(to, 5, c.filled()))
                .map_err(err)?;
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// writing

/// Computes everything, then writes `which-map.json`, `which-map.md` and
/// `figures/which-map.svg` into `out` (each through a temporary file and a rename).
pub fn write_outputs(w: &WhichMap, out: &Path, command: &str) -> Result<Vec<PathBuf>> {
    let json = serde_json::to_string_pretty(&w.to_json())? + "\n";
    let md = render_md(w, command);
    let svg = render_svg(w)?;
    let figures = out.join("figures");
    std::fs::create_dir_all(&figures)
        .with_context(|| format!("{}: cannot create", figures.display()))?;
    let mut written = Vec::new();
    for (path, text) in [
        (out.join("which-map.json"), json),
        (out.join("which-map.md"), md),
        (figures.join("which-map.svg"), svg),
    ] {
        cmap_formats::files::write_atomic(&path, text)
            .with_context(|| format!("{}: cannot write", path.display()))?;
        written.push(path);
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn generated(rel: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../book/src/generated")
            .join(rel)
    }

    fn committed() -> WhichMap {
        WhichMap::load(&Inputs {
            quick: generated("results"),
            memory: generated("long"),
            tails: generated("ch04/tails.md"),
        })
        .unwrap()
    }

    fn scratch(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("which-map-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    #[test]
    fn bench_lines_parse_tolerantly() {
        let text = "goos: linux\ncommit: abc\n\n\
            BenchmarkReplay/workload=w/map=m-1/lang=go/threads=2 \t10\t100 ns/op\t5 ops/s\t7 p99-ns\t0.5 B/op\t0.01 allocs/op\t3 new-unit\n\
            BenchmarkReplay/lang=rust/threads=2-8/map=m2/workload=w 10 250 ns/op\n\
            BenchmarkOther-8 100 3 ns/op\nPASS\nok  pkg 1.0s\n";
        let b = parse_bench(Path::new("b.txt"), text).unwrap();
        assert_eq!(b.header.get("commit").map(String::as_str), Some("abc"));
        assert_eq!(b.lines.len(), 2, "{:?}", b.lines);
        assert_eq!(b.lines[0].map, "m-1");
        assert_eq!(b.lines[0].ops_per_s, 5.0);
        assert_eq!(b.lines[0].p99_ns, Some(7.0));
        assert_eq!(b.lines[0].b_per_op, Some(0.5));
        // Keys in any order, a -GOMAXPROCS suffix, ops/s derived from ns/op.
        assert_eq!(b.lines[1].lang, Lang::Rust);
        assert_eq!(b.lines[1].threads, 2);
        assert_eq!(b.lines[1].ops_per_s, 4e6);
        assert_eq!(b.lines[1].p99_ns, None);
    }

    #[test]
    fn a_bench_line_without_what_is_needed_names_file_line_and_field() {
        let e = parse_bench(
            Path::new("x/bench.txt"),
            "suite: q\nBenchmarkReplay/workload=w/lang=go/threads=2 1 3 ns/op\n",
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("x/bench.txt:2") && e.contains("`map=`"), "{e}");
        let e = parse_bench(
            Path::new("b"),
            "BenchmarkReplay/workload=w/map=m/lang=java/threads=2 1 3 ns/op\n",
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("b:1") && e.contains("lang") && e.contains("java"),
            "{e}"
        );
        let e = parse_bench(
            Path::new("b"),
            "BenchmarkReplay/workload=w/map=m/lang=go/threads=2 1 3 p99-ns\n",
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("ops/s") && e.contains("ns/op"), "{e}");
    }

    #[test]
    fn rankings_and_the_leading_group_follow_the_values() {
        let r = Ranking::new(
            Lang::Go,
            vec![("a".into(), 10.0), ("b".into(), 8.5), ("c".into(), 7.0)],
            true,
            0.2,
        );
        assert_eq!(r.best().unwrap().0, "a");
        assert_eq!(r.leading(), vec!["a", "b"]);
        let r = Ranking::new(
            Lang::Rust,
            vec![
                ("x".into(), 300.0),
                ("y".into(), 100.0),
                ("z".into(), 149.0),
            ],
            false,
            0.5,
        );
        assert_eq!(r.best().unwrap().0, "y");
        assert_eq!(r.leading(), vec!["y", "z"]);
    }

    #[test]
    fn designs_share_a_hue_across_languages() {
        assert_eq!(Design::of("mutex-map"), Design::of("mutex-std-foldhash"));
        assert_eq!(
            Design::of("rwmutex-map"),
            Design::of("rwlock-parkinglot-foldhash")
        );
        assert_eq!(Design::of("sharded-rwmutex-map"), Design::of("dashmap-sip"));
        assert_eq!(Design::of("sync-map"), Design::of("gosyncmap-foldhash"));
        assert_eq!(Design::of("xsync-map"), Design::of("papaya-blocking-sip"));
        assert_ne!(Design::of("mutex-map"), Design::of("rwmutex-map"));
    }

    #[test]
    fn the_committed_files_give_every_situation_both_languages() {
        let w = committed();
        let j = w.to_json();
        for s in [
            "read-mostly",
            "write-heavy",
            "skewed",
            "skewed-reads",
            "growing",
            "memory-sensitive",
            "latency-sensitive",
        ] {
            for lang in ["go", "rust"] {
                let side = &j["situations"][s][lang];
                let lead = side["leading"].as_array().unwrap();
                assert!(!lead.is_empty(), "{s}/{lang}: no leading map");
                assert_eq!(side["best"], lead[0], "{s}/{lang}");
                assert_eq!(side["of_best"][lead[0].as_str().unwrap()], 1.0);
            }
        }
        // The heap levels come from the fits table, one per map of the memory suite.
        let bench = read_bench(&generated("long/bench.txt")).unwrap();
        assert_eq!(w.heap.len(), bench.lines.len());
        assert!(w.heap.iter().all(|h| h.bytes > 1e6), "{:?}", w.heap);
        assert!(!w.tails.is_empty() && w.tails.iter().all(|t| t.max_ns >= t.p999_ns));
    }

    #[test]
    fn the_outputs_are_byte_identical_and_the_figure_is_drawn() {
        let w = committed();
        let a = render_svg(&w).unwrap();
        assert_eq!(a, render_svg(&w).unwrap());
        let shapes = [
            "<path",
            "<line",
            "<polyline",
            "<circle",
            "<rect",
            "<polygon",
        ]
        .iter()
        .map(|t| a.matches(t).count())
        .sum::<usize>();
        let rows = rows(&w).len();
        assert!(shapes >= rows * 2, "{shapes} shapes for {rows} rows");
        for (_, wl, _) in WORKLOADS {
            let titled = a
                .split("<text")
                .any(|t| t.split("</text>").next().unwrap_or("").contains(wl));
            assert!(titled, "panel {wl} has no title");
        }
        let md = render_md(&w, "mapbench which-map");
        assert_eq!(md, render_md(&w, "mapbench which-map"));
        for (s, _, _) in WORKLOADS {
            assert!(md.contains(&format!("ANCHOR: {s} -->")), "{s}");
        }
        assert!(md.contains("ANCHOR: memory-sensitive") && md.contains("ANCHOR: table"));
    }

    #[test]
    fn missing_or_malformed_inputs_are_errors_naming_the_file() {
        let d = scratch("bad");
        let e = WhichMap::load(&Inputs {
            quick: d.join("nope"),
            memory: generated("long"),
            tails: generated("ch04/tails.md"),
        })
        .err()
        .unwrap();
        assert!(format!("{e:#}").contains("nope/bench.txt"), "{e:#}");
        // A quick bench.txt without the figure's workloads.
        std::fs::write(
            d.join("bench.txt"),
            "BenchmarkReplay/workload=w/map=m/lang=go/threads=2 1 3 ns/op\n",
        )
        .unwrap();
        let e = WhichMap::load(&Inputs {
            quick: d.clone(),
            memory: generated("long"),
            tails: generated("ch04/tails.md"),
        })
        .err()
        .unwrap()
        .to_string();
        assert!(e.contains("bench.txt") && e.contains("read-heavy"), "{e}");
        // A fits table whose parameters lack c.
        let m = scratch("mem");
        std::fs::write(
            m.join("bench.txt"),
            "BenchmarkReplay/workload=exchange/map=mutex-map/lang=go/threads=2 1 3 ns/op\n",
        )
        .unwrap();
        std::fs::write(
            m.join("report.md"),
            "| run | series | model | parameters (bytes, s) | verdict |\n|---|---|---|---|---|\n\
             | `s-go-mutex-map-exchange-t2-r1` | live heap | m·t + c | m = 3 | ✓ lowest AIC |\n",
        )
        .unwrap();
        let bench = read_bench(&m.join("bench.txt")).unwrap();
        let e = heap_levels(&m.join("report.md"), &bench)
            .unwrap_err()
            .to_string();
        assert!(e.contains("report.md:3") && e.contains("c = NUMBER"), "{e}");
        std::fs::remove_dir_all(&d).ok();
        std::fs::remove_dir_all(&m).ok();
    }
}
