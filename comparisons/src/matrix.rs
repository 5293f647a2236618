//! `mapbench matrix-report RESULTS_DIR --out DIR [--load FILE]`: the Results page "the
//! matrix", from a results directory of the `matrix` suite (`comparisons/suites/matrix.toml`).
//!
//! A matrix cell is one workload `matrix-{size}-r{reads}-{dist}-{key}-{value}`: a map size
//! (1k … 10M keys), a read share (100/99/90/75 % gets), a key distribution (uniform,
//! Zipf), a key type (u64, string) and a value kind (u64, boxed). Per cell and map the
//! throughput is the median over the runs that ended `ok` (with min, max and their
//! count), each map's value relative to the fastest map of its side in that cell, its
//! rank there, and its allocation per op (interval sums ÷ ops, median over runs).
//!
//! Writes into `DIR` (built in a sibling temporary directory, then renamed over `DIR`, so
//! a failed report leaves an earlier one alone; `DIR` is replaced whole, and refused when
//! it holds files this command does not write):
//!
//! - `matrix.json`: every cell and map, and the derived summaries the page asserts on
//!   (ranking flips between 1k and 10M keys, the cost of string keys and of boxed
//!   values, the rankings per read share at 1M uniform u64, the Rust/Go ratio of the
//!   design pairs);
//! - `matrix-summary.md`: the run's date and status, generated takeaway sentences and
//!   small tables, each in an anchored section;
//! - `figures/matrix-{rust,go}.svg` (relative throughput), `figures/matrix-pairs.svg`
//!   (Rust/Go ratio of the design pairs, log scale), `figures/matrix-alloc-bytes.svg` and
//!   `figures/matrix-allocs.svg` (allocation per op).
//!
//! A results directory still being written (or stopped early) gives a report that says
//! how many of the planned runs it holds; missing cells are drawn hatched and counted.
//! Nothing from the clock or the host goes in: the same input gives the same bytes.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result, anyhow, bail};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use serde_json::{Value, json};

use crate::chart::{INK, err, fmt_num, font, register_bundled_font};
use crate::figures::{SeriesKey, design_of};
use crate::manifest::{Manifest, RunState, SuiteStatus};
use crate::report::{median, median_of};
use crate::results::{self, Lang, Outcome, ResultsError};
use crate::stats::cell::{AllocsPerOp, relative_range};
use crate::which_map::round;

/// The thread count of every matrix run; runs at other counts are set aside (noted).
pub const THREADS: u32 = 2;
/// The axes, in the order of the figures' columns and the JSON's lists.
pub const SIZES: [&str; 4] = ["1k", "100k", "1m", "10m"];
pub const SIZE_LABELS: [&str; 4] = ["1k", "100k", "1M", "10M"];
pub const READS: [u32; 4] = [100, 99, 90, 75];
pub const DISTS: [&str; 2] = ["uniform", "zipf"];
pub const KEYS: [&str; 2] = ["u64", "string"];
pub const VALUES: [&str; 2] = ["u64", "boxed"];

/// The files this command writes under `--out` (relative paths).
pub const OUTPUTS: [&str; 7] = [
    "matrix.json",
    "matrix-summary.md",
    "figures/matrix-rust.svg",
    "figures/matrix-go.svg",
    "figures/matrix-pairs.svg",
    "figures/matrix-alloc-bytes.svg",
    "figures/matrix-allocs.svg",
];

// ---------------------------------------------------------------------------
// cells

/// One cell of the matrix, as indices into the axes (so cells sort in axis order).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CellId {
    pub size: usize,
    pub read: usize,
    pub dist: usize,
    pub key: usize,
    pub value: usize,
}

/// A cell without its size: what the ranking-flip summary compares across sizes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Mix {
    pub read: usize,
    pub dist: usize,
    pub key: usize,
    pub value: usize,
}

impl Mix {
    pub fn all() -> Vec<Mix> {
        let mut v = Vec::new();
        for read in 0..READS.len() {
            for dist in 0..DISTS.len() {
                for key in 0..KEYS.len() {
                    for value in 0..VALUES.len() {
                        v.push(Mix {
                            read,
                            dist,
                            key,
                            value,
                        });
                    }
                }
            }
        }
        v
    }

    /// `r90-zipf-string-boxed`.
    pub fn name(self) -> String {
        format!(
            "r{}-{}-{}-{}",
            READS[self.read], DISTS[self.dist], KEYS[self.key], VALUES[self.value]
        )
    }

    pub fn at(self, size: usize) -> CellId {
        CellId {
            size,
            read: self.read,
            dist: self.dist,
            key: self.key,
            value: self.value,
        }
    }
}

impl CellId {
    /// Parses `matrix-1k-r90-zipf-string-boxed`; `None` for any other name.
    pub fn parse(workload: &str) -> Option<CellId> {
        let rest = workload.strip_prefix("matrix-")?;
        let parts: Vec<&str> = rest.split('-').collect();
        let [size, read, dist, key, value] = parts.as_slice() else {
            return None;
        };
        let read: u32 = read.strip_prefix('r')?.parse().ok()?;
        Some(CellId {
            size: SIZES.iter().position(|s| s == size)?,
            read: READS.iter().position(|r| *r == read)?,
            dist: DISTS.iter().position(|d| d == dist)?,
            key: KEYS.iter().position(|k| k == key)?,
            value: VALUES.iter().position(|v| v == value)?,
        })
    }

    pub fn workload(self) -> String {
        format!("matrix-{}-{}", SIZES[self.size], self.mix().name())
    }

    pub fn mix(self) -> Mix {
        Mix {
            read: self.read,
            dist: self.dist,
            key: self.key,
            value: self.value,
        }
    }

    /// Every cell, in axis order.
    pub fn all() -> Vec<CellId> {
        let mut v: Vec<CellId> = (0..SIZES.len())
            .flat_map(|s| Mix::all().into_iter().map(move |m| m.at(s)))
            .collect();
        v.sort();
        v
    }
}

// ---------------------------------------------------------------------------
// loading

/// One map in one cell: its `ok` runs.
#[derive(Debug, Clone, PartialEq)]
pub struct MapCell {
    /// Throughput of each `ok` run, million ops/s, sorted.
    pub mops: Vec<f64>,
    /// Median over `ok` runs of allocated objects / bytes per op.
    pub allocs_per_op: Option<f64>,
    pub b_per_op: Option<f64>,
}

impl MapCell {
    pub fn median(&self) -> f64 {
        median(&self.mops).unwrap_or(f64::NAN)
    }
}

/// Why a planned map × cell has no `ok` run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Missing {
    /// Not run yet (the suite is still running, or stopped before it).
    NotYetRun,
    /// `mapbench run` skipped it (the map lacks the key/value kinds, or a thread limit).
    Skipped,
    /// Every run of it ended, none `ok` (failed, killed, timed out, interrupted).
    Failed,
    /// Not in the results at all (a results directory without a manifest).
    Absent,
}

impl Missing {
    pub fn label(self) -> &'static str {
        match self {
            Missing::NotYetRun => "not yet run",
            Missing::Skipped => "skipped",
            Missing::Failed => "failed",
            Missing::Absent => "absent",
        }
    }
}

/// The load average samples of `--load FILE`.
#[derive(Debug, Clone, PartialEq)]
pub struct Load {
    pub file: String,
    pub samples: usize,
    pub load1_median: f64,
    pub load1_max: f64,
    pub first_epoch: f64,
    pub last_epoch: f64,
}

/// Everything the report is computed from.
#[derive(Debug, Clone)]
pub struct Matrix {
    /// The results directory as given.
    pub source: String,
    pub data: BTreeMap<(Lang, String, CellId), MapCell>,
    /// Each side's maps in figure order (by design, then name).
    pub maps: BTreeMap<Lang, Vec<String>>,
    /// Planned map × cells without an `ok` run, and why.
    pub missing: BTreeMap<(Lang, String, CellId), Missing>,
    /// Runs: planned in total (0 without a manifest), by state; run files read.
    pub planned_runs: usize,
    pub run_states: BTreeMap<String, usize>,
    pub ok_runs: usize,
    pub suite_status: Option<String>,
    pub started_at: Option<String>,
    pub ended_at: Option<String>,
    pub commit: Option<String>,
    pub cpu: Option<String>,
    pub vcpus: Option<u32>,
    /// Things set aside, one line each (other workloads, other thread counts, a run file
    /// still being written).
    pub notes: Vec<String>,
    pub load: Option<Load>,
}

fn map_order(lang: Lang, map: &str) -> (usize, String) {
    let d = design_of(&SeriesKey {
        lang,
        map: map.to_owned(),
    });
    (d.order, map.to_owned())
}

/// Reads the results directory (and the load file): bad input is an error naming the
/// file and what was expected.
pub fn load(dir: &Path, load_file: Option<&Path>) -> Result<Matrix> {
    if !dir.is_dir() {
        bail!(
            "{}: not a directory (expected a results directory of the `matrix` suite, \
             written by `mapbench run --suite matrix`)",
            dir.display()
        );
    }
    let manifest_path = dir.join(crate::manifest::MANIFEST_FILE);
    let manifest = if manifest_path.is_file() {
        Some(Manifest::read(&manifest_path)?)
    } else {
        None
    };
    let files = results::run_files(dir)?;
    if files.is_empty() && manifest.is_none() {
        bail!(
            "{}: no manifest.json and no run files (*.jsonl): not a results directory \
             (expected the output of `mapbench run --suite matrix`)",
            dir.display()
        );
    }
    let RunsRead {
        acc,
        ok_runs,
        notes,
    } = read_runs(&files, manifest.as_ref())?;
    if acc.is_empty() && manifest.is_none() {
        bail!(
            "{}: no run of a matrix workload at {THREADS} threads (expected run files of \
             workloads named matrix-SIZE-rREADS-DIST-KEY-VALUE)",
            dir.display()
        );
    }

    let (data, failed_cells) = map_cells(acc);
    let Plan {
        planned,
        skipped,
        run_states,
        planned_runs,
    } = plan(manifest.as_ref(), &data);
    if data.is_empty() && planned.is_empty() && skipped.is_empty() {
        bail!(
            "{}: neither its run files nor its manifest hold a run of a matrix workload at \
             {THREADS} threads (expected workloads named matrix-SIZE-rREADS-DIST-KEY-VALUE, \
             from `mapbench run --suite matrix`)",
            dir.display()
        );
    }
    let missing = missing_of(&planned, skipped, &data, &failed_cells);
    let maps = maps_of(&data, &missing);
    let load = load_file.map(read_load).transpose()?;
    Ok(Matrix {
        source: dir.display().to_string(),
        data,
        maps,
        missing,
        planned_runs,
        run_states,
        ok_runs,
        suite_status: manifest.as_ref().map(|m| {
            serde_json::to_value(m.status)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default()
        }),
        started_at: manifest.as_ref().map(|m| m.started_at.clone()),
        ended_at: manifest.as_ref().and_then(|m| m.ended_at.clone()),
        commit: manifest.as_ref().and_then(|m| m.git.commit.clone()),
        cpu: manifest.as_ref().and_then(|m| m.host.cpu_model.clone()),
        vcpus: manifest.as_ref().and_then(|m| m.host.vcpus),
        notes,
        load,
    })
}

/// A map in a cell, as the matrix keys it.
type MapCellKey = (Lang, String, CellId);

/// One map × cell's run files as read: the `ok` runs' throughputs (M ops/s) and
/// allocations, and how many runs ended not ok.
type RunsOfCell = (Vec<f64>, AllocsPerOp, usize);

/// The run files read: per map × cell, the `ok` runs in all, and the notes on what was
/// set aside.
struct RunsRead {
    acc: BTreeMap<MapCellKey, RunsOfCell>,
    ok_runs: usize,
    notes: Vec<String>,
}

/// Reads every run file; runs of other workloads or thread counts, and run files a
/// running suite is still writing, are set aside with a note.
fn read_runs(files: &[PathBuf], manifest: Option<&Manifest>) -> Result<RunsRead> {
    let running = manifest.is_some_and(|m| m.status == SuiteStatus::Running);
    let pending: BTreeSet<&str> = manifest
        .iter()
        .flat_map(|m| &m.runs)
        .filter(|r| r.status == RunState::Pending)
        .map(|r| r.run_id.as_str())
        .collect();

    let mut notes = Vec::new();
    let mut other_workloads: BTreeSet<String> = BTreeSet::new();
    let mut other_threads = 0usize;
    let mut in_progress = Vec::new();
    let mut acc: BTreeMap<MapCellKey, RunsOfCell> = BTreeMap::new();
    let mut ok_runs = 0;
    for path in files {
        let stem = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let run = match results::read_run(path) {
            Ok(r) => r,
            // A run file the runner has only begun to write, of a run the manifest of a
            // running suite still lists as pending.
            Err(ResultsError::NoRunStart { .. }) if running && pending.contains(stem.as_str()) => {
                in_progress.push(stem);
                continue;
            }
            Err(e) => return Err(e.into()),
        };
        let Some(cell) = CellId::parse(&run.start.workload) else {
            other_workloads.insert(run.start.workload.clone());
            continue;
        };
        if run.start.threads != THREADS {
            other_threads += 1;
            continue;
        }
        let e = acc
            .entry((run.start.lang, run.start.map.clone(), cell))
            .or_default();
        match run.outcome() {
            Outcome::Ok => {
                let Some(t) = run.throughput() else {
                    bail!(
                        "{}: run_end says ok but gives no throughput (expected \
                         `throughput_ops_per_s` or `elapsed_ns` > 0)",
                        path.display()
                    );
                };
                ok_runs += 1;
                e.0.push(t / 1e6);
                e.1.add(&run);
            }
            _ if pending.contains(stem.as_str()) => in_progress.push(stem),
            _ => e.2 += 1,
        }
    }
    if !other_workloads.is_empty() {
        let names: Vec<&str> = other_workloads.iter().map(String::as_str).collect();
        notes.push(format!(
            "set aside: runs of {} workload(s) whose names are not matrix cells \
             (expected matrix-SIZE-rREADS-DIST-KEY-VALUE, SIZE in {}, READS in {}, DIST in \
             {}, KEY in {}, VALUE in {}): {}",
            names.len(),
            SIZES.join("/"),
            READS.map(|r| r.to_string()).join("/"),
            DISTS.join("/"),
            KEYS.join("/"),
            VALUES.join("/"),
            names.join(", ")
        ));
    }
    if other_threads > 0 {
        notes.push(format!(
            "set aside: {other_threads} run(s) at a thread count other than {THREADS}"
        ));
    }
    if !in_progress.is_empty() {
        notes.push(format!(
            "{} run file(s) still being written, counted as not yet run: {}",
            in_progress.len(),
            in_progress.join(", ")
        ));
    }
    Ok(RunsRead {
        acc,
        ok_runs,
        notes,
    })
}

/// The map × cells with an `ok` run, and the ones whose every run failed.
fn map_cells(
    acc: BTreeMap<MapCellKey, RunsOfCell>,
) -> (BTreeMap<MapCellKey, MapCell>, BTreeSet<MapCellKey>) {
    let mut data = BTreeMap::new();
    let mut failed_cells = BTreeSet::new();
    for (k, (mut mops, allocs, not_ok)) in acc {
        if mops.is_empty() {
            if not_ok > 0 {
                failed_cells.insert(k);
            }
            continue;
        }
        mops.sort_by(f64::total_cmp);
        data.insert(
            k,
            MapCell {
                mops,
                allocs_per_op: allocs.objects(),
                b_per_op: allocs.bytes(),
            },
        );
    }

    (data, failed_cells)
}

/// What was planned: per map × cell the states of its planned runs, the skipped map ×
/// cells, and the planned runs counted by state and in all.
struct Plan {
    planned: BTreeMap<MapCellKey, Vec<RunState>>,
    skipped: BTreeSet<MapCellKey>,
    run_states: BTreeMap<String, usize>,
    planned_runs: usize,
}

/// The manifest's runs and skips, else every cell for every map seen.
fn plan(manifest: Option<&Manifest>, data: &BTreeMap<MapCellKey, MapCell>) -> Plan {
    let mut planned: BTreeMap<(Lang, String, CellId), Vec<RunState>> = BTreeMap::new();
    let mut skipped = BTreeSet::new();
    let mut run_states = BTreeMap::new();
    let mut planned_runs = 0;
    if let Some(m) = manifest {
        for r in &m.runs {
            let Some(cell) = CellId::parse(&r.workload) else {
                continue;
            };
            if r.threads != THREADS {
                continue;
            }
            planned_runs += 1;
            *run_states
                .entry(r.status.label().to_owned())
                .or_insert(0usize) += 1;
            planned
                .entry((r.lang, r.map.clone(), cell))
                .or_default()
                .push(r.status);
        }
        for line in crate::report::skipped_cells(Some(m)) {
            // "LANG MAP WORKLOAD tN: reason"
            let mut it = line.split_whitespace();
            if let (Some(lang), Some(map), Some(wl)) = (it.next(), it.next(), it.next())
                && let (Ok(lang), Some(cell)) = (lang.parse::<Lang>(), CellId::parse(wl))
            {
                skipped.insert((lang, map.to_owned(), cell));
            }
        }
    } else {
        let seen: BTreeSet<(Lang, String)> = data.keys().map(|(l, m, _)| (*l, m.clone())).collect();
        for (l, m) in seen {
            for c in CellId::all() {
                planned.insert((l, m.clone(), c), Vec::new());
            }
        }
    }
    Plan {
        planned,
        skipped,
        run_states,
        planned_runs,
    }
}

/// Why each planned map × cell without an `ok` run has none.
fn missing_of(
    planned: &BTreeMap<MapCellKey, Vec<RunState>>,
    skipped: BTreeSet<MapCellKey>,
    data: &BTreeMap<MapCellKey, MapCell>,
    failed_cells: &BTreeSet<MapCellKey>,
) -> BTreeMap<MapCellKey, Missing> {
    let mut missing = BTreeMap::new();
    for (k, states) in planned {
        if data.contains_key(k) {
            continue;
        }
        let why = if states.is_empty() {
            if failed_cells.contains(k) {
                Missing::Failed
            } else {
                Missing::Absent
            }
        } else if states.contains(&RunState::Pending) {
            Missing::NotYetRun
        } else {
            Missing::Failed
        };
        missing.insert(k.clone(), why);
    }
    for k in skipped {
        if !data.contains_key(&k) {
            missing.insert(k, Missing::Skipped);
        }
    }
    missing
}

/// Each side's maps, measured or missing, in figure order.
fn maps_of(
    data: &BTreeMap<MapCellKey, MapCell>,
    missing: &BTreeMap<MapCellKey, Missing>,
) -> BTreeMap<Lang, Vec<String>> {
    let mut maps: BTreeMap<Lang, Vec<String>> = BTreeMap::new();
    for (l, m, _) in data.keys().chain(missing.keys()) {
        let v = maps.entry(*l).or_default();
        if !v.contains(m) {
            v.push(m.clone());
        }
    }
    for (l, v) in maps.iter_mut() {
        v.sort_by_key(|m| map_order(*l, m));
    }
    maps
}

/// Parses a load file: lines `epoch load1 load5 load15 …` (as scripts/soak.sh samples
/// /proc/loadavg); blank lines and `#` comments are skipped.
pub fn read_load(path: &Path) -> Result<Load> {
    let text = std::fs::read_to_string(path).with_context(|| {
        format!(
            "{}: cannot read (expected lines `epoch load1 load5 load15 …`)",
            path.display()
        )
    })?;
    let mut load1 = Vec::new();
    let mut epochs = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let mut f = line.split_whitespace();
        let (epoch, l1) = (f.next(), f.next());
        let (Some(Ok(epoch)), Some(Ok(l1))) =
            (epoch.map(str::parse::<f64>), l1.map(str::parse::<f64>))
        else {
            bail!(
                "{}:{}: expected `epoch load1 load5 load15 …` (numbers), found {line:?}",
                path.display(),
                i + 1
            );
        };
        epochs.push(epoch);
        load1.push(l1);
    }
    if load1.is_empty() {
        bail!(
            "{}: no samples (expected lines `epoch load1 load5 load15 …`)",
            path.display()
        );
    }
    Ok(Load {
        file: path.display().to_string(),
        samples: load1.len(),
        load1_median: median_of(load1.clone()).unwrap_or(f64::NAN),
        load1_max: load1.iter().copied().fold(f64::MIN, f64::max),
        first_epoch: epochs.iter().copied().fold(f64::INFINITY, f64::min),
        last_epoch: epochs.iter().copied().fold(f64::NEG_INFINITY, f64::max),
    })
}

// ---------------------------------------------------------------------------
// derived values

/// A design pair: a Rust map and the Go map of the same design.
#[derive(Debug, Clone, PartialEq)]
pub struct Pair {
    pub design: String,
    pub rust: String,
    pub go: String,
}

impl Matrix {
    pub fn get(&self, lang: Lang, map: &str, cell: CellId) -> Option<&MapCell> {
        self.data.get(&(lang, map.to_owned(), cell))
    }

    pub fn maps(&self, lang: Lang) -> &[String] {
        self.maps.get(&lang).map(Vec::as_slice).unwrap_or(&[])
    }

    /// A side's maps in one cell, fastest first (ties by name), with their medians.
    pub fn ranking(&self, lang: Lang, cell: CellId) -> Vec<(String, f64)> {
        let mut v: Vec<(String, f64)> = self
            .maps(lang)
            .iter()
            .filter_map(|m| self.get(lang, m, cell).map(|c| (m.clone(), c.median())))
            .collect();
        v.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        v
    }

    /// A map's median divided by the fastest of its side's medians in that cell.
    pub fn relative(&self, lang: Lang, map: &str, cell: CellId) -> Option<f64> {
        let best = self.ranking(lang, cell).first()?.1;
        let c = self.get(lang, map, cell)?;
        (best > 0.0).then(|| c.median() / best)
    }

    /// Whether every map of the side has an `ok` run in the cell.
    pub fn complete(&self, lang: Lang, cell: CellId) -> bool {
        self.maps(lang)
            .iter()
            .all(|m| self.get(lang, m, cell).is_some())
    }

    /// Design pairs among the maps present: a Go map and the Rust map of the same design
    /// (the design's canonical port when the side has several).
    pub fn pairs(&self) -> Vec<Pair> {
        let mut out = Vec::new();
        for g in self.maps(Lang::Go) {
            let gd = design_of(&SeriesKey {
                lang: Lang::Go,
                map: g.clone(),
            });
            if gd.family == crate::figures::Family::Other {
                continue;
            }
            let same: Vec<&String> = self
                .maps(Lang::Rust)
                .iter()
                .filter(|r| {
                    design_of(&SeriesKey {
                        lang: Lang::Rust,
                        map: (*r).clone(),
                    })
                    .name
                        == gd.name
                })
                .collect();
            let pick = same
                .iter()
                .find(|r| r.as_str() == gd.rust_canonical())
                .or(same.first());
            if let Some(r) = pick {
                out.push(Pair {
                    design: gd.name.clone(),
                    rust: (*r).clone(),
                    go: g.clone(),
                });
            }
        }
        out
    }

    /// Maps with no counterpart on the other side, and why.
    pub fn unpaired(&self) -> BTreeMap<Lang, BTreeMap<String, String>> {
        let pairs = self.pairs();
        let mut out: BTreeMap<Lang, BTreeMap<String, String>> = BTreeMap::new();
        for lang in Lang::ALL {
            for m in self.maps(lang) {
                let paired = pairs.iter().any(|p| match lang {
                    Lang::Rust => &p.rust == m,
                    Lang::Go => &p.go == m,
                });
                if paired {
                    continue;
                }
                let d = design_of(&SeriesKey {
                    lang,
                    map: m.clone(),
                });
                let other = match lang.other() {
                    Lang::Rust => "Rust",
                    Lang::Go => "Go",
                };
                out.entry(lang).or_default().insert(
                    m.clone(),
                    format!(
                        "no {other} map of its design ({}) is in these results",
                        d.name
                    ),
                );
            }
        }
        out
    }

    /// Rust median ÷ Go median of a pair in one cell.
    pub fn pair_ratio(&self, p: &Pair, cell: CellId) -> Option<f64> {
        let r = self.get(Lang::Rust, &p.rust, cell)?.median();
        let g = self.get(Lang::Go, &p.go, cell)?.median();
        (g > 0.0).then(|| r / g)
    }

    /// For one map: the median over cells of one size of throughput(b) ÷ throughput(a),
    /// where `vary` changes the cell from its `a` form to its `b` form and every other
    /// factor stays equal; with the number of cell pairs.
    pub fn factor_cost(
        &self,
        lang: Lang,
        map: &str,
        size: usize,
        vary: fn(CellId) -> Option<CellId>,
    ) -> Option<(f64, usize)> {
        let ratios: Vec<f64> = CellId::all()
            .into_iter()
            .filter(|c| c.size == size)
            .filter_map(|a| {
                let b = vary(a)?;
                let ta = self.get(lang, map, a)?.median();
                let tb = self.get(lang, map, b)?.median();
                (ta > 0.0).then(|| tb / ta)
            })
            .collect();
        let n = ratios.len();
        median_of(ratios).map(|m| (m, n))
    }

    /// Median over a side's maps of [`Matrix::factor_cost`] ratios (every cell pair of
    /// every map pooled).
    pub fn side_factor_cost(
        &self,
        lang: Lang,
        size: usize,
        vary: fn(CellId) -> Option<CellId>,
    ) -> Option<(f64, usize)> {
        let mut ratios = Vec::new();
        for m in self.maps(lang) {
            for a in CellId::all().into_iter().filter(|c| c.size == size) {
                if let Some(b) = vary(a)
                    && let (Some(ca), Some(cb)) = (self.get(lang, m, a), self.get(lang, m, b))
                    && ca.median() > 0.0
                {
                    ratios.push(cb.median() / ca.median());
                }
            }
        }
        let n = ratios.len();
        median_of(ratios).map(|m| (m, n))
    }

    /// The cells of one mix where the top map differs between the first and the last
    /// size, for one side; only mixes complete at both sizes are compared.
    pub fn flips(&self, lang: Lang) -> Vec<Flip> {
        let (first, last) = (0, SIZES.len() - 1);
        Mix::all()
            .into_iter()
            .filter_map(|mix| {
                if !self.complete(lang, mix.at(first)) || !self.complete(lang, mix.at(last)) {
                    return None;
                }
                let a = self.ranking(lang, mix.at(first));
                let b = self.ranking(lang, mix.at(last));
                Some(Flip {
                    mix,
                    small: a.iter().map(|x| x.0.clone()).collect(),
                    large: b.iter().map(|x| x.0.clone()).collect(),
                    small_lead: lead(&a),
                    large_lead: lead(&b),
                })
            })
            .collect()
    }
}

/// How far the top map is ahead of the second: top ÷ second − 1.
fn lead(r: &[(String, f64)]) -> Option<f64> {
    match r {
        [a, b, ..] if b.1 > 0.0 => Some(a.1 / b.1 - 1.0),
        _ => None,
    }
}

/// One mix compared at 1k and at 10M keys.
#[derive(Debug, Clone, PartialEq)]
pub struct Flip {
    pub mix: Mix,
    /// Rankings, fastest first.
    pub small: Vec<String>,
    pub large: Vec<String>,
    pub small_lead: Option<f64>,
    pub large_lead: Option<f64>,
}

impl Flip {
    pub fn top_changes(&self) -> bool {
        self.small.first() != self.large.first()
    }

    /// A change of the fastest map whose winner leads the next map by more than the
    /// noise threshold at both sizes: one that a noisy run is unlikely to have made.
    pub fn clear_top_change(&self) -> bool {
        self.top_changes()
            && self.small_lead.is_some_and(|l| l > NOISE_WIDE)
            && self.large_lead.is_some_and(|l| l > NOISE_WIDE)
    }
}

/// The string-key form of a u64-key cell.
pub fn to_string_keys(c: CellId) -> Option<CellId> {
    (KEYS[c.key] == "u64").then_some(CellId { key: 1, ..c })
}

/// The boxed-value form of a u64-value cell.
pub fn to_boxed_values(c: CellId) -> Option<CellId> {
    (VALUES[c.value] == "u64").then_some(CellId { value: 1, ..c })
}

/// The cell the read-share rankings compare: 1M keys, uniform, u64 keys and values.
pub fn read_share_cell(read: usize) -> CellId {
    CellId {
        size: 2,
        read,
        dist: 0,
        key: 0,
        value: 0,
    }
}

fn r(v: f64) -> Value {
    json!(round(v))
}

fn opt(v: Option<f64>) -> Value {
    v.map_or(Value::Null, r)
}

impl Matrix {
    pub fn expected_cells(&self) -> usize {
        self.data.len() + self.missing.len()
    }

    pub fn to_json(&self) -> Value {
        let missing_count = self.missing_count_json();
        let unpaired: BTreeMap<&str, BTreeMap<String, String>> = self
            .unpaired()
            .into_iter()
            .map(|(l, v)| (l.name(), v))
            .collect();
        let maps: BTreeMap<&str, &[String]> = Lang::ALL
            .iter()
            .map(|l| (l.name(), self.maps(*l)))
            .collect();
        json!({
            "schema": 1,
            "generated_by": "mapbench matrix-report",
            "source": self.source,
            "threads": THREADS,
            "run": {
                "suite_status": self.suite_status,
                "started_at": self.started_at,
                "ended_at": self.ended_at,
                "commit": self.commit,
                "cpu_model": self.cpu,
                "vcpus": self.vcpus,
            },
            "runs": {
                "planned": self.planned_runs,
                "ok_in_files": self.ok_runs,
                "by_state": self.run_states,
            },
            "map_cells": {
                "expected": self.expected_cells(),
                "measured": self.data.len(),
                "missing": missing_count,
            },
            "noise": self.noise().map(|(n, wide, med)| json!({
                "repeated": n, "wide": wide, "wide_above": NOISE_WIDE, "median_spread": r(med),
            })),
            "notes": self.notes,
            "load": self.load.as_ref().map(|l| json!({
                "file": l.file, "samples": l.samples,
                "load1_median": r(l.load1_median), "load1_max": r(l.load1_max),
                "span_s": r(l.last_epoch - l.first_epoch),
            })),
            "axes": {
                "sizes": SIZES, "reads_pct": READS, "dists": DISTS, "keys": KEYS, "values": VALUES,
            },
            "maps": maps,
            "pairs": self.pairs().iter().map(|p| json!({"design": p.design, "rust": p.rust, "go": p.go})).collect::<Vec<_>>(),
            "unpaired": unpaired,
            "summaries": {
                "ranking_flips": self.flips_json(),
                "string_key_cost": self.cost_json(to_string_keys),
                "boxed_value_cost": self.cost_json(to_boxed_values),
                "ranking_by_read_share": self.by_read_json(),
                "rust_over_go": self.pair_summary_json(),
            },
            "cells": self.cells_json(),
        })
    }

    /// `cells`: every cell with a measured or missing map, by workload name.
    fn cells_json(&self) -> serde_json::Map<String, Value> {
        let mut cells = serde_json::Map::new();
        for c in CellId::all() {
            if let Some(o) = self.cell_json(c) {
                cells.insert(c.workload(), o);
            }
        }
        cells
    }

    /// One cell: its axes, each side's ranking with every map's numbers and what is
    /// missing, and Rust over Go per pair; `None` when no map of the cell was measured
    /// or planned.
    fn cell_json(&self, c: CellId) -> Option<Value> {
        let mut o = serde_json::Map::new();
        o.insert("size".into(), json!(SIZES[c.size]));
        o.insert("reads_pct".into(), json!(READS[c.read]));
        o.insert("dist".into(), json!(DISTS[c.dist]));
        o.insert("key".into(), json!(KEYS[c.key]));
        o.insert("value".into(), json!(VALUES[c.value]));
        let mut any = false;
        for lang in Lang::ALL {
            let ranking = self.ranking(lang, c);
            let mut side = serde_json::Map::new();
            for (i, (m, _)) in ranking.iter().enumerate() {
                let mc = &self.data[&(lang, m.clone(), c)];
                any = true;
                side.insert(
                    m.clone(),
                    json!({
                        "median": r(mc.median()),
                        "min": r(mc.mops[0]),
                        "max": r(mc.mops[mc.mops.len() - 1]),
                        "n": mc.mops.len(),
                        "rank": i + 1,
                        "relative": opt(self.relative(lang, m, c)),
                        "allocs_per_op": opt(mc.allocs_per_op),
                        "b_per_op": opt(mc.b_per_op),
                    }),
                );
            }
            let missing: BTreeMap<&str, &str> = self
                .maps(lang)
                .iter()
                .filter_map(|m| {
                    self.missing
                        .get(&(lang, m.clone(), c))
                        .map(|w| (m.as_str(), w.label()))
                })
                .collect();
            o.insert(
                lang.name().into(),
                json!({
                    "complete": self.complete(lang, c),
                    "ranking": ranking.iter().map(|x| &x.0).collect::<Vec<_>>(),
                    "maps": side,
                    "missing": missing,
                }),
            );
        }
        let pairs: serde_json::Map<String, Value> = self
            .pairs()
            .iter()
            .filter_map(|p| Some((p.design.clone(), r(self.pair_ratio(p, c)?))))
            .collect();
        o.insert("rust_over_go".into(), Value::Object(pairs));
        (any || self.missing.keys().any(|k| k.2 == c)).then_some(Value::Object(o))
    }

    /// `summaries.ranking_flips`: per side, whether the order of the maps changes from
    /// the smallest size to the largest, mix by mix, and the rankings at every size.
    fn flips_json(&self) -> serde_json::Map<String, Value> {
        let mut flips = serde_json::Map::new();
        for lang in Lang::ALL {
            let fs = self.flips(lang);
            let mut per = serde_json::Map::new();
            for f in &fs {
                per.insert(
                    f.mix.name(),
                    json!({
                        "top_changes": f.top_changes(),
                        "order_changes": f.small != f.large,
                        "ranking_1k": f.small,
                        "ranking_10m": f.large,
                        "top_1k": f.small.first(),
                        "top_10m": f.large.first(),
                        "top_lead_1k": opt(f.small_lead),
                        "top_lead_10m": opt(f.large_lead),
                    }),
                );
            }
            let changed: Vec<String> = fs
                .iter()
                .filter(|f| f.top_changes())
                .map(|f| f.mix.name())
                .collect();
            // Rankings at every size, for every mix, complete or not.
            let mut by_size = serde_json::Map::new();
            for mix in Mix::all() {
                let mut s = serde_json::Map::new();
                for (i, size) in SIZES.iter().enumerate() {
                    let rk = self.ranking(lang, mix.at(i));
                    if !rk.is_empty() {
                        s.insert(
                            (*size).into(),
                            json!(rk.iter().map(|x| &x.0).collect::<Vec<_>>()),
                        );
                    }
                }
                by_size.insert(mix.name(), Value::Object(s));
            }
            flips.insert(
                lang.name().into(),
                json!({
                    "compared": fs.len(),
                    "top_changes": changed.len(),
                    "clear_top_changes": fs.iter().filter(|f| f.clear_top_change()).count(),
                    "clear_lead_above": NOISE_WIDE,
                    "mixes_where_top_changes": changed,
                    "mixes": per,
                    "ranking_by_size": by_size,
                }),
            );
        }

        flips
    }

    /// The cost of varying one factor (`vary`: string keys, boxed values), per side, map
    /// and size, and over all of a side's maps.
    fn cost_json(&self, vary: fn(CellId) -> Option<CellId>) -> Value {
        let mut o = serde_json::Map::new();
        for lang in Lang::ALL {
            let mut side = serde_json::Map::new();
            for m in self.maps(lang) {
                let mut per = serde_json::Map::new();
                for (i, size) in SIZES.iter().enumerate() {
                    if let Some((v, n)) = self.factor_cost(lang, m, i, vary) {
                        per.insert((*size).into(), json!({"ratio": r(v), "n": n}));
                    }
                }
                side.insert(m.clone(), Value::Object(per));
            }
            let mut all = serde_json::Map::new();
            for (i, size) in SIZES.iter().enumerate() {
                if let Some((v, n)) = self.side_factor_cost(lang, i, vary) {
                    all.insert((*size).into(), json!({"ratio": r(v), "n": n}));
                }
            }
            o.insert(lang.name().into(), json!({"maps": side, "all_maps": all}));
        }
        Value::Object(o)
    }

    /// `summaries.ranking_by_read_share`: per side, the ranking at each read share.
    fn by_read_json(&self) -> serde_json::Map<String, Value> {
        let mut by_read = serde_json::Map::new();
        for lang in Lang::ALL {
            let mut side = serde_json::Map::new();
            for (i, reads) in READS.iter().enumerate() {
                let c = read_share_cell(i);
                let rk = self.ranking(lang, c);
                side.insert(
                format!("r{reads}"),
                json!({
                    "workload": c.workload(),
                    "complete": self.complete(lang, c),
                    "ranking": rk.iter().map(|x| &x.0).collect::<Vec<_>>(),
                    "mops": rk.iter().map(|(m, v)| (m.clone(), r(*v))).collect::<serde_json::Map<_, _>>(),
                }),
            );
            }
            by_read.insert(lang.name().into(), Value::Object(side));
        }

        by_read
    }

    /// `summaries.rust_over_go`: per pair, Rust over Go by size (median, min, max).
    fn pair_summary_json(&self) -> serde_json::Map<String, Value> {
        let mut pair_sum = serde_json::Map::new();
        for p in self.pairs() {
            let mut per = serde_json::Map::new();
            for (i, size) in SIZES.iter().enumerate() {
                let v: Vec<f64> = CellId::all()
                    .into_iter()
                    .filter(|c| c.size == i)
                    .filter_map(|c| self.pair_ratio(&p, c))
                    .collect();
                let n = v.len();
                if let Some(m) = median_of(v.clone()) {
                    per.insert(
                        (*size).into(),
                        json!({
                            "median": r(m),
                            "min": r(v.iter().copied().fold(f64::INFINITY, f64::min)),
                            "max": r(v.iter().copied().fold(0.0, f64::max)),
                            "n": n,
                        }),
                    );
                }
            }
            pair_sum.insert(
                p.design.clone(),
                json!({"rust": p.rust, "go": p.go, "by_size": per}),
            );
        }

        pair_sum
    }

    /// `map_cells.missing`: per side, how many map × cells are missing for each reason.
    fn missing_count_json(&self) -> serde_json::Map<String, Value> {
        let mut missing_count = serde_json::Map::new();
        for lang in Lang::ALL {
            let mut by: BTreeMap<&str, usize> = BTreeMap::new();
            for ((l, _, _), w) in &self.missing {
                if *l == lang {
                    *by.entry(w.label()).or_insert(0) += 1;
                }
            }
            missing_count.insert(lang.name().into(), json!(by));
        }
        missing_count
    }
}

// ---------------------------------------------------------------------------
// the summary page

fn side_name(lang: Lang) -> &'static str {
    match lang {
        Lang::Rust => "Rust",
        Lang::Go => "Go",
    }
}

fn pct(v: f64) -> String {
    format!("{}%", (v * 100.0).round())
}

impl Matrix {
    /// One line: how much of the planned suite the report holds.
    pub fn status_line(&self) -> String {
        let status = self
            .suite_status
            .as_deref()
            .unwrap_or("unknown (no manifest)");
        let mut s = format!("Suite status: {status}");
        if let Some(t) = &self.started_at {
            let _ = write!(s, ", started {t}");
        }
        match &self.ended_at {
            Some(t) => {
                let _ = write!(s, ", ended {t}");
            }
            None if self.started_at.is_some() => s.push_str(", not ended"),
            None => {}
        }
        s.push_str(". ");
        if self.planned_runs > 0 {
            let _ = write!(
                s,
                "{} of the {} planned runs ended ok",
                self.run_states.get("ok").copied().unwrap_or(0),
                self.planned_runs
            );
            let others: Vec<String> = self
                .run_states
                .iter()
                .filter(|(k, _)| k.as_str() != "ok")
                .map(|(k, v)| format!("{v} {k}"))
                .collect();
            if !others.is_empty() {
                let _ = write!(s, " ({})", others.join(", "));
            }
        } else {
            let _ = write!(s, "{} runs ended ok", self.ok_runs);
        }
        let _ = write!(
            s,
            "; {} of {} map × cell combinations have at least one ok run",
            self.data.len(),
            self.expected_cells()
        );
        if !self.missing.is_empty() {
            let mut by: BTreeMap<&str, usize> = BTreeMap::new();
            for w in self.missing.values() {
                *by.entry(w.label()).or_insert(0) += 1;
            }
            let parts: Vec<String> = by.iter().map(|(k, v)| format!("{v} {k}")).collect();
            let _ = write!(s, " (missing: {})", parts.join(", "));
        }
        s.push('.');
        if let Some(c) = &self.commit {
            let _ = write!(s, " Commit `{c}`");
            if let Some(cpu) = &self.cpu {
                let _ = write!(s, ", {cpu}");
            }
            if let Some(n) = self.vcpus {
                let _ = write!(s, ", {n} vCPUs");
            }
            s.push('.');
        }
        s
    }

    fn flip_sentence(&self) -> String {
        let mut parts = Vec::new();
        for lang in Lang::ALL {
            let fs = self.flips(lang);
            if fs.is_empty() {
                parts.push(format!(
                    "for {} no mix has every map measured at both 1k and 10M keys yet",
                    side_name(lang)
                ));
                continue;
            }
            let changed: Vec<&Flip> = fs.iter().filter(|f| f.top_changes()).collect();
            let clear = fs.iter().filter(|f| f.clear_top_change()).count();
            let mut s = format!(
                "the fastest {} map changes in {} of the {} mixes measured at both sizes, \
                 {} of them with the winner more than {}% ahead of the next map at both sizes",
                side_name(lang),
                changed.len(),
                fs.len(),
                clear,
                (NOISE_WIDE * 100.0).round()
            );
            // The clearest flip: the one whose new top leads by the most.
            if let Some(f) = changed.iter().max_by(|a, b| {
                a.large_lead
                    .unwrap_or(0.0)
                    .total_cmp(&b.large_lead.unwrap_or(0.0))
                    .then(b.mix.cmp(&a.mix))
            }) {
                let _ = write!(
                    s,
                    " (clearest: `{}`, `{}` at 1k, `{}` at 10M, {} ahead of the next)",
                    f.mix.name(),
                    f.small[0],
                    f.large[0],
                    pct(f.large_lead.unwrap_or(0.0))
                );
            }
            parts.push(s);
        }
        format!("Between 1k and 10M keys, {}.", parts.join("; "))
    }

    /// The largest size at which the side has cell pairs for the factor, preferring 1M.
    fn cost_size(&self, vary: fn(CellId) -> Option<CellId>) -> Option<usize> {
        let has = |i: usize| {
            Lang::ALL
                .iter()
                .all(|l| self.side_factor_cost(*l, i, vary).is_some())
        };
        if has(2) {
            return Some(2);
        }
        (0..SIZES.len()).rev().find(|i| has(*i))
    }

    fn cost_sentence(&self, what: &str, vary: fn(CellId) -> Option<CellId>) -> String {
        let Some(size) = self.cost_size(vary) else {
            return format!(
                "The cost of {what} cannot be computed yet: no cell pair is measured on both sides."
            );
        };
        let mut parts = Vec::new();
        for lang in Lang::ALL {
            let Some((all, n)) = self.side_factor_cost(lang, size, vary) else {
                continue;
            };
            let mut per: Vec<(String, f64)> = self
                .maps(lang)
                .iter()
                .filter_map(|m| Some((m.clone(), self.factor_cost(lang, m, size, vary)?.0)))
                .collect();
            per.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
            let mut s = format!(
                "{} maps keep {} of their throughput (median of {n} cell pairs)",
                side_name(lang),
                pct(all)
            );
            if let (Some(lo), Some(hi)) = (per.first(), per.last())
                && per.len() > 1
            {
                let _ = write!(
                    s,
                    ", from {} for `{}` to {} for `{}`",
                    pct(lo.1),
                    lo.0,
                    pct(hi.1),
                    hi.0
                );
            }
            parts.push(s);
        }
        format!(
            "With {what} at {} keys, {}.",
            SIZE_LABELS[size],
            parts.join("; ")
        )
    }

    fn pair_sentence(&self) -> String {
        let pairs = self.pairs();
        if pairs.is_empty() {
            return "No Rust and Go maps of the same design are both in these results.".into();
        }
        let mut parts = Vec::new();
        for p in &pairs {
            let med = |i: usize| {
                median_of(
                    CellId::all()
                        .into_iter()
                        .filter(|c| c.size == i)
                        .filter_map(|c| self.pair_ratio(p, c))
                        .collect(),
                )
            };
            let sizes: Vec<String> = (0..SIZES.len())
                .filter_map(|i| Some(format!("{}× at {}", fmt_num(med(i)?), SIZE_LABELS[i])))
                .collect();
            if sizes.is_empty() {
                continue;
            }
            parts.push(format!(
                "`{}` does {} the throughput of `{}`",
                p.rust,
                sizes.join(", "),
                p.go
            ));
        }
        if parts.is_empty() {
            return "No design pair has both maps measured in one cell yet.".into();
        }
        format!(
            "Of the maps of one design on both sides (median over the cells of each size), {}.",
            parts.join("; ")
        )
    }

    fn read_share_sentence(&self, lang: Lang) -> String {
        let mut orders = Vec::new();
        for (i, reads) in READS.iter().enumerate() {
            let rk = self.ranking(lang, read_share_cell(i));
            if rk.is_empty() {
                continue;
            }
            let names: Vec<String> = rk.iter().map(|x| format!("`{}`", x.0)).collect();
            orders.push((*reads, names.join(" > ")));
        }
        if orders.is_empty() {
            return format!(
                "At 1M uniform u64 keys no {} map is measured yet.",
                side_name(lang)
            );
        }
        let distinct: BTreeSet<&String> = orders.iter().map(|o| &o.1).collect();
        if distinct.len() == 1 && orders.len() == READS.len() {
            return format!(
                "At 1M uniform u64 keys and values, the {} order is the same at every read share: {}.",
                side_name(lang),
                orders[0].1
            );
        }
        let parts: Vec<String> = orders
            .iter()
            .map(|(r, o)| format!("{o} at {r}% reads"))
            .collect();
        format!(
            "At 1M uniform u64 keys and values, the {} order is {}.",
            side_name(lang),
            parts.join("; ")
        )
    }

    fn load_sentence(&self) -> Option<String> {
        let l = self.load.as_ref()?;
        let cores = self
            .vcpus
            .map(|n| format!(" on {n} vCPUs"))
            .unwrap_or_default();
        // The suite's own two threads keep the load near the CPU count; clearly above
        // it, other work was running too.
        let shared = self.vcpus.is_none_or(|n| l.load1_median > n as f64 + 1.0);
        let verdict = if shared {
            "other work shared the machine while the suite ran"
        } else {
            "the suite had the machine mostly to itself"
        };
        Some(format!(
            "Over {} samples of the 1-minute load average{cores}, the median was {} and the \
             highest {}: {verdict}.",
            l.samples,
            fmt_num(l.load1_median),
            fmt_num(l.load1_max)
        ))
    }

    /// Spread of the repeated cells: (max - min) / median per map x cell with 3+ runs.
    pub fn noise(&self) -> Option<(usize, usize, f64)> {
        let spreads: Vec<f64> = self
            .data
            .values()
            .filter(|c| c.mops.len() >= 3)
            .filter_map(|c| relative_range(&c.mops))
            .collect();
        let n = spreads.len();
        let wide = spreads.iter().filter(|&&x| x > NOISE_WIDE).count();
        median(&spreads).map(|m| (n, wide, m))
    }

    fn noise_sentence(&self) -> Option<String> {
        let (n, wide, med) = self.noise()?;
        Some(format!(
            "Of the {n} map × cell combinations that ran at least three times, {wide} have a \
             min–max range wider than {} of their median (median range {}): where two maps \
             differ by less than that, their order in a cell is not settled.",
            pct(NOISE_WIDE),
            pct(med)
        ))
    }
}

/// A min-max range wider than this fraction of the median counts as a noisy cell.
pub const NOISE_WIDE: f64 = 0.25;

/// `matrix-summary.md`: the status, the takeaways and small tables, each anchored.
pub fn render_md(m: &Matrix, command: &str) -> String {
    let mut md = format!(
        "<!-- Generated by mapbench matrix-report; do not edit. Regenerate with:\n     {command} -->\n\n"
    );
    let _ = writeln!(md, "<!-- ANCHOR: status -->\n{}", m.status_line());
    if let Some(s) = m.load_sentence() {
        let _ = writeln!(md, "{s}");
    }
    if let Some(s) = m.noise_sentence() {
        let _ = writeln!(md, "{s}");
    }
    for n in &m.notes {
        let _ = writeln!(md, "\nNote: {n}.");
    }
    let _ = writeln!(md, "<!-- ANCHOR_END: status -->\n");
    let sections: [(&str, String); 6] = [
        ("flips", m.flip_sentence()),
        (
            "string-keys",
            m.cost_sentence("string keys instead of u64 keys", to_string_keys),
        ),
        (
            "boxed-values",
            m.cost_sentence("boxed values instead of u64 values", to_boxed_values),
        ),
        ("pairs", m.pair_sentence()),
        ("go-read-shares", m.read_share_sentence(Lang::Go)),
        ("rust-read-shares", m.read_share_sentence(Lang::Rust)),
    ];
    for (name, s) in sections {
        let _ = writeln!(
            md,
            "<!-- ANCHOR: {name} -->\n{s}\n<!-- ANCHOR_END: {name} -->\n"
        );
    }

    // Tables: the cost of string keys and of boxed values per map and size.
    for (name, title, vary) in [
        (
            "string-keys-table",
            "Throughput with string keys ÷ with u64 keys",
            to_string_keys as fn(CellId) -> Option<CellId>,
        ),
        (
            "boxed-values-table",
            "Throughput with boxed values ÷ with u64 values",
            to_boxed_values,
        ),
    ] {
        cost_table(&mut md, m, name, title, vary);
    }
    read_share_table(&mut md, m);
    pairs_table(&mut md, m);
    let _ = writeln!(
        md,
        "Source: `{}`; every value per cell and map is in `matrix.json`.",
        m.source
    );
    md
}

/// The cost of one factor (`vary`) per map and size, as an anchored table.
fn cost_table(
    md: &mut String,
    m: &Matrix,
    name: &str,
    title: &str,
    vary: fn(CellId) -> Option<CellId>,
) {
    let _ = writeln!(
        md,
        "<!-- ANCHOR: {name} -->\n{title}, median over the cells of each size:\n"
    );
    size_columns_header(md, &["side", "map"], "");
    for lang in Lang::ALL {
        for map in m.maps(lang) {
            let _ = write!(md, "| {} | `{map}` |", side_name(lang));
            for i in 0..SIZES.len() {
                match m.factor_cost(lang, map, i, vary) {
                    Some((v, _)) => {
                        let _ = write!(md, " {} |", fmt_num(v));
                    }
                    None => md.push_str(" – |"),
                }
            }
            md.push('\n');
        }
    }
    let _ = writeln!(md, "<!-- ANCHOR_END: {name} -->\n");
}

/// The read-share rankings, both sides, as an anchored table.
fn read_share_table(md: &mut String, m: &Matrix) {
    // The read-share rankings, both sides.
    let _ = writeln!(
        md,
        "<!-- ANCHOR: read-share-table -->\nRanking at 1M keys, uniform, u64 keys and values, \
         median Mops/s (1 = fastest):\n"
    );
    md.push_str("| side | reads | 1 | 2 | 3 | 4 |\n|---|--:|---|---|---|---|\n");
    for lang in Lang::ALL {
        for (i, reads) in READS.iter().enumerate() {
            let rk = m.ranking(lang, read_share_cell(i));
            let _ = write!(md, "| {} | {reads}% |", side_name(lang));
            for k in 0..4 {
                match rk.get(k) {
                    Some((map, v)) => {
                        let _ = write!(md, " `{map}` {} |", fmt_num(*v));
                    }
                    None => md.push_str(" – |"),
                }
            }
            md.push('\n');
        }
    }
    let _ = writeln!(md, "<!-- ANCHOR_END: read-share-table -->\n");
}

/// A table's header: the `first` columns (left-aligned), then one right-aligned column
/// per size, labelled `size_prefix` and the size.
fn size_columns_header(md: &mut String, first: &[&str], size_prefix: &str) {
    md.push('|');
    for c in first {
        let _ = write!(md, " {c} |");
    }
    for s in SIZE_LABELS {
        let _ = write!(md, " {size_prefix}{s} |");
    }
    md.push_str("\n|");
    for _ in first {
        md.push_str("---|");
    }
    for _ in SIZES {
        md.push_str("--:|");
    }
    md.push('\n');
}

/// The design pairs (Rust ÷ Go by size) and the maps without one, anchored.
fn pairs_table(md: &mut String, m: &Matrix) {
    let _ = writeln!(md, "<!-- ANCHOR: pairs-table -->");
    size_columns_header(md, &["design", "Rust", "Go"], "Rust ÷ Go, ");
    for p in m.pairs() {
        let _ = write!(md, "| {} | `{}` | `{}` |", p.design, p.rust, p.go);
        for i in 0..SIZES.len() {
            let v = median_of(
                CellId::all()
                    .into_iter()
                    .filter(|c| c.size == i)
                    .filter_map(|c| m.pair_ratio(&p, c))
                    .collect(),
            );
            match v {
                Some(v) => {
                    let _ = write!(md, " {} |", fmt_num(v));
                }
                None => md.push_str(" – |"),
            }
        }
        md.push('\n');
    }
    let unpaired = m.unpaired();
    let lines: Vec<String> = Lang::ALL
        .iter()
        .flat_map(|l| {
            unpaired
                .get(l)
                .into_iter()
                .flatten()
                .map(move |(map, why)| format!("{} `{map}`: {why}", side_name(*l)))
        })
        .collect();
    if !lines.is_empty() {
        let _ = writeln!(md, "\nWithout a counterpart: {}.", lines.join("; "));
    }
    let _ = writeln!(md, "<!-- ANCHOR_END: pairs-table -->\n");
}

// ---------------------------------------------------------------------------
// the figures

/// How a heat map's values become colours.
#[derive(Debug, Clone, Copy)]
enum Scale {
    /// 0 … 1, sequential.
    Relative,
    /// A ratio on a log₂ axis from 1/`max` to `max`, diverging around 1.
    Ratio { max: f64 },
    /// A positive value on a log₁₀ axis from `lo` to `hi`, sequential.
    Log { lo: f64, hi: f64 },
}

/// Viridis at five stops: perceptually even and readable for colour-blind readers.
const SEQUENTIAL: [(u8, u8, u8); 5] = [
    (0x44, 0x01, 0x54),
    (0x3b, 0x52, 0x8b),
    (0x21, 0x91, 0x8c),
    (0x5e, 0xc9, 0x62),
    (0xfd, 0xe7, 0x25),
];
/// Go faster (blue) … equal (light grey) … Rust faster (red).
const DIVERGING: [(u8, u8, u8); 5] = [
    (0x21, 0x66, 0xac),
    (0x92, 0xc5, 0xde),
    (0xf0, 0xf0, 0xf0),
    (0xf4, 0xa5, 0x82),
    (0xb2, 0x18, 0x2b),
];

fn ramp(stops: &[(u8, u8, u8)], t: f64) -> RGBColor {
    let t = t.clamp(0.0, 1.0) * (stops.len() - 1) as f64;
    let i = (t.floor() as usize).min(stops.len() - 2);
    let f = t - i as f64;
    let mix = |a: u8, b: u8| (f64::from(a) + (f64::from(b) - f64::from(a)) * f).round() as u8;
    let (a, b) = (stops[i], stops[i + 1]);
    RGBColor(mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
}

impl Scale {
    /// The position of a value on the colour axis, 0 … 1.
    fn t(self, v: f64) -> f64 {
        match self {
            Scale::Relative => v,
            Scale::Ratio { max } => 0.5 + v.max(1e-12).log2() / max.log2() / 2.0,
            Scale::Log { lo, hi } => (v.max(lo).log10() - lo.log10()) / (hi.log10() - lo.log10()),
        }
    }

    fn colour(self, v: f64) -> RGBColor {
        match self {
            Scale::Ratio { .. } => ramp(&DIVERGING, self.t(v)),
            _ => ramp(&SEQUENTIAL, self.t(v)),
        }
    }

    fn text(self, v: f64) -> String {
        match self {
            Scale::Relative => format!("{v:.2}"),
            Scale::Ratio { .. } => format!("{v:.2}"),
            Scale::Log { .. } => {
                if v < 0.0005 {
                    "0".into()
                } else {
                    fmt_num(v)
                }
            }
        }
    }

    /// Legend ticks: (value, label).
    fn ticks(self) -> Vec<(f64, String)> {
        match self {
            Scale::Relative => [0.0, 0.25, 0.5, 0.75, 1.0]
                .map(|v| (v, fmt_num(v)))
                .to_vec(),
            Scale::Ratio { max } => {
                let mut v = vec![(1.0 / max, format!("1/{}", fmt_num(max)))];
                if max > 2.0 {
                    v.push((0.5, "1/2".into()));
                }
                v.push((1.0, "1".into()));
                if max > 2.0 {
                    v.push((2.0, "2".into()));
                }
                v.push((max, fmt_num(max)));
                v
            }
            Scale::Log { lo, hi } => {
                let mut v = Vec::new();
                let mut x = lo;
                while x <= hi * 1.0001 {
                    v.push((x, fmt_num(x)));
                    x *= 10.0;
                }
                v
            }
        }
    }
}

/// Text on a fill: dark on light fills, white on dark ones.
fn text_on(c: RGBColor) -> RGBColor {
    let l = 0.2126 * f64::from(c.0) + 0.7152 * f64::from(c.1) + 0.0722 * f64::from(c.2);
    if l > 140.0 {
        RGBColor(0x22, 0x22, 0x22)
    } else {
        RGBColor(0xff, 0xff, 0xff)
    }
}

/// One panel: labelled rows, one value (or none: not measured) per column.
struct Facet {
    title: String,
    rows: Vec<(String, Vec<Option<f64>>)>,
}

/// The columns every heat map shares: size groups of read shares.
fn columns() -> Vec<(usize, usize)> {
    (0..SIZES.len())
        .flat_map(|s| (0..READS.len()).map(move |r| (s, r)))
        .collect()
}

const LABEL_W: i32 = 190;
const CELL_W: i32 = 36;
const CELL_H: i32 = 18;
const GROUP_GAP: i32 = 8;
const TOP: i32 = 104;
const FACET_HEAD: i32 = 60;
const FACET_GAP: i32 = 14;

fn col_x(i: usize) -> i32 {
    LABEL_W + i as i32 * CELL_W + (i / READS.len()) as i32 * GROUP_GAP
}

type Area<'a> = DrawingArea<SVGBackend<'a>, plotters::coord::Shift>;

fn hatched(root: &Area<'_>, x0: i32, y0: i32) -> Result<()> {
    let (w, h) = (CELL_W - 2, CELL_H - 2);
    root.draw(&Rectangle::new(
        [(x0, y0), (x0 + w, y0 + h)],
        INK.mix(0.12).filled(),
    ))
    .map_err(err)?;
    let y1 = y0 + h;
    let mut o = 5;
    while o < w + h {
        let (t0, t1) = ((o - w).max(0), o.min(h));
        root.draw(&PathElement::new(
            vec![(x0 + o - t0, y1 - t0), (x0 + o - t1, y1 - t1)],
            INK.mix(0.6).stroke_width(1),
        ))
        .map_err(err)?;
        o += 7;
    }
    Ok(())
}

/// A heat map: the title and legend, then the facets one under another, each with its
/// size groups and read-share columns.
fn heat_svg(
    title: &str,
    subtitle: &str,
    legend: &str,
    scale: Scale,
    facets: &[Facet],
) -> Result<String> {
    register_bundled_font();
    let cols = columns();
    let width = (col_x(cols.len() - 1) + CELL_W + 16) as u32;
    let height: i32 = TOP
        + facets
            .iter()
            .map(|f| FACET_HEAD + f.rows.len() as i32 * CELL_H + FACET_GAP)
            .sum::<i32>()
        + 8;
    let missing: usize = facets
        .iter()
        .flat_map(|f| &f.rows)
        .flat_map(|r| &r.1)
        .filter(|v| v.is_none())
        .count();
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (width, height as u32)).into_drawing_area();
        root.draw(&Text::new(title.to_owned(), (10, 6), font(15)))
            .map_err(err)?;
        // Up to two lines under the title.
        for (i, line) in subtitle.lines().take(2).enumerate() {
            root.draw(&Text::new(
                line.to_owned(),
                (10, 25 + 13 * i as i32),
                font(11),
            ))
            .map_err(err)?;
        }
        draw_legend(&root, scale, legend, missing)?;

        let mut y = TOP;
        for f in facets {
            draw_facet(&root, f, y, scale, &cols)?;
            y += FACET_HEAD + f.rows.len() as i32 * CELL_H + FACET_GAP;
        }
        root.present().map_err(err)?;
    }
    Ok(svg)
}

/// The legend: a colour bar with ticks, then the hatched "not measured" sample.
fn draw_legend(root: &Area<'_>, scale: Scale, legend: &str, missing: usize) -> Result<()> {
    // The legend: a colour bar with ticks, then the hatched "not measured" sample.
    let (bx, by, bw, bh) = (10, 58, 300, 12);
    let steps = 60;
    for k in 0..steps {
        let t0 = k as f64 / steps as f64;
        let x = bx + (t0 * bw as f64).round() as i32;
        let x1 = bx + (((k + 1) as f64 / steps as f64) * bw as f64).round() as i32;
        let c = match scale {
            Scale::Ratio { .. } => ramp(&DIVERGING, t0 + 0.5 / steps as f64),
            _ => ramp(&SEQUENTIAL, t0 + 0.5 / steps as f64),
        };
        root.draw(&Rectangle::new([(x, by), (x1, by + bh)], c.filled()))
            .map_err(err)?;
    }
    for (v, label) in scale.ticks() {
        let x = bx + (scale.t(v) * bw as f64).round() as i32;
        root.draw(&PathElement::new(
            vec![(x, by + bh), (x, by + bh + 4)],
            INK.stroke_width(1),
        ))
        .map_err(err)?;
        root.draw(&Text::new(
            label,
            (x, by + bh + 6),
            font(10).pos(Pos::new(HPos::Center, VPos::Top)),
        ))
        .map_err(err)?;
    }
    root.draw(&Text::new(
        legend.to_owned(),
        (bx + bw + 14, by - 1),
        font(11),
    ))
    .map_err(err)?;
    hatched(root, bx + bw + 14, by + 14)?;
    root.draw(&Text::new(
        format!("not measured ({missing} cells)"),
        (bx + bw + 14 + CELL_W + 4, by + 16),
        font(11),
    ))
    .map_err(err)?;
    Ok(())
}

/// One facet at `y`: its title, the size and read-share headers, and a row of cells per
/// map.
fn draw_facet(
    root: &Area<'_>,
    f: &Facet,
    y: i32,
    scale: Scale,
    cols: &[(usize, usize)],
) -> Result<()> {
    root.draw(&Text::new(f.title.clone(), (10, y), font(13)))
        .map_err(err)?;
    for (s, label) in SIZE_LABELS.iter().enumerate() {
        let x0 = col_x(s * READS.len());
        let x1 = col_x(s * READS.len() + READS.len() - 1) + CELL_W - 2;
        root.draw(&Text::new(
            format!("{label} keys"),
            ((x0 + x1) / 2, y + 18),
            font(11).pos(Pos::new(HPos::Center, VPos::Top)),
        ))
        .map_err(err)?;
        root.draw(&PathElement::new(
            vec![(x0, y + 31), (x1, y + 31)],
            INK.mix(0.5).stroke_width(1),
        ))
        .map_err(err)?;
    }
    for (i, (_, r)) in cols.iter().enumerate() {
        root.draw(&Text::new(
            format!("{}%", READS[*r]),
            (col_x(i) + (CELL_W - 2) / 2, y + 35),
            font(9).pos(Pos::new(HPos::Center, VPos::Top)),
        ))
        .map_err(err)?;
    }
    let mut ry = y + FACET_HEAD - 12;
    for (label, values) in &f.rows {
        root.draw(&Text::new(
            label.clone(),
            (LABEL_W - 8, ry + (CELL_H - 2) / 2),
            font(11).pos(Pos::new(HPos::Right, VPos::Center)),
        ))
        .map_err(err)?;
        for (i, v) in values.iter().enumerate() {
            let x = col_x(i);
            match v {
                Some(v) => {
                    let c = scale.colour(*v);
                    root.draw(&Rectangle::new(
                        [(x, ry), (x + CELL_W - 2, ry + CELL_H - 2)],
                        c.filled(),
                    ))
                    .map_err(err)?;
                    root.draw(&Text::new(
                        scale.text(*v),
                        (x + (CELL_W - 2) / 2, ry + (CELL_H - 2) / 2),
                        (crate::chart::FAMILY, 9)
                            .into_font()
                            .color(&text_on(c))
                            .pos(Pos::new(HPos::Center, VPos::Center)),
                    ))
                    .map_err(err)?;
                }
                None => hatched(root, x, ry)?,
            }
        }
        ry += CELL_H;
    }
    Ok(())
}

/// Facets of the throughput figures: key type × value kind × distribution; each a
/// title and its cells' mix at read share 0 (the columns vary size and read share).
fn facet_cells() -> Vec<(String, Mix)> {
    let mut v = Vec::new();
    for (key, k) in KEYS.iter().enumerate() {
        for (value, val) in VALUES.iter().enumerate() {
            for (dist, d) in DISTS.iter().enumerate() {
                v.push((
                    format!("{k} keys, {val} values, {d} keys drawn"),
                    Mix {
                        read: 0,
                        dist,
                        key,
                        value,
                    },
                ));
            }
        }
    }
    v
}

/// A facet's cell at one column.
fn at(mix: Mix, size: usize, read: usize) -> CellId {
    CellId {
        size,
        read,
        ..mix.at(size)
    }
}

fn missing_count(m: &Matrix, lang: Option<Lang>) -> usize {
    m.missing
        .keys()
        .filter(|k| lang.is_none_or(|l| k.0 == l))
        .count()
}

pub fn relative_svg(m: &Matrix, lang: Lang) -> Result<String> {
    let facets: Vec<Facet> = facet_cells()
        .into_iter()
        .map(|(title, mix)| Facet {
            title,
            rows: m
                .maps(lang)
                .iter()
                .map(|map| {
                    let vals = columns()
                        .into_iter()
                        .map(|(s, r)| m.relative(lang, map, at(mix, s, r)))
                        .collect();
                    (map.clone(), vals)
                })
                .collect(),
        })
        .collect();
    heat_svg(
        &format!(
            "{}: each map's throughput ÷ the fastest {} map's, per cell",
            side_name(lang),
            side_name(lang)
        ),
        &format!(
            "Median over ok runs at {THREADS} threads; columns: map size, then % gets; {} planned map × cell combinations not measured.",
            missing_count(m, Some(lang))
        ),
        "relative throughput (1 = fastest in the cell)",
        Scale::Relative,
        &facets,
    )
}

pub fn pairs_svg(m: &Matrix) -> Result<String> {
    let pairs = m.pairs();
    let facets: Vec<Facet> = facet_cells()
        .into_iter()
        .map(|(title, mix)| Facet {
            title,
            rows: pairs
                .iter()
                .map(|p| {
                    let vals = columns()
                        .into_iter()
                        .map(|(s, r)| m.pair_ratio(p, at(mix, s, r)))
                        .collect();
                    (format!("{} design", p.design), vals)
                })
                .collect(),
        })
        .collect();
    let unpaired = m.unpaired();
    let names: Vec<String> = Lang::ALL
        .iter()
        .flat_map(|l| unpaired.get(l).into_iter().flat_map(|v| v.keys().cloned()))
        .collect();
    heat_svg(
        "Rust ÷ Go throughput of the maps of one design, per cell",
        &format!(
            "Median over ok runs at {THREADS} threads; red: Rust faster, blue: Go faster.\nPairs: {}. No counterpart: {}.",
            if pairs.is_empty() {
                "none".to_owned()
            } else {
                pairs
                    .iter()
                    .map(|p| format!("{} ÷ {}", p.rust, p.go))
                    .collect::<Vec<_>>()
                    .join(", ")
            },
            if names.is_empty() {
                "none".to_owned()
            } else {
                names.join(", ")
            }
        ),
        "Rust ÷ Go (log scale)",
        Scale::Ratio { max: 4.0 },
        &facets,
    )
}

/// Allocation per op, both sides: facets key type × value kind, uniform keys.
pub fn alloc_svg(m: &Matrix, bytes: bool) -> Result<String> {
    let mut facets = Vec::new();
    for (key, k) in KEYS.iter().enumerate() {
        for (value, val) in VALUES.iter().enumerate() {
            let mut rows = Vec::new();
            for lang in Lang::ALL {
                for map in m.maps(lang) {
                    let vals = columns()
                        .into_iter()
                        .map(|(size, read)| {
                            let c = m.get(
                                lang,
                                map,
                                CellId {
                                    size,
                                    read,
                                    dist: 0,
                                    key,
                                    value,
                                },
                            )?;
                            if bytes { c.b_per_op } else { c.allocs_per_op }
                        })
                        .collect();
                    rows.push((format!("{} {map}", side_name(lang)), vals));
                }
            }
            facets.push(Facet {
                title: format!("{k} keys, {val} values, uniform keys drawn"),
                rows,
            });
        }
    }
    let (what, scale) = if bytes {
        (
            "bytes allocated per op",
            Scale::Log {
                lo: 0.01,
                hi: 100.0,
            },
        )
    } else {
        (
            "allocations per op",
            Scale::Log {
                lo: 0.001,
                hi: 10.0,
            },
        )
    };
    heat_svg(
        &format!("The {what}, every map"),
        "Median over ok runs of the interval sums ÷ ops, at 2 threads; columns: map size, then % gets; log scale.",
        &format!("{what} (log scale)"),
        scale,
        &facets,
    )
}

// ---------------------------------------------------------------------------
// writing

/// Everything to write, by relative path.
pub fn render_all(m: &Matrix, command: &str) -> Result<Vec<(&'static str, String)>> {
    Ok(vec![
        (
            "matrix.json",
            serde_json::to_string_pretty(&m.to_json())? + "\n",
        ),
        ("matrix-summary.md", render_md(m, command)),
        ("figures/matrix-rust.svg", relative_svg(m, Lang::Rust)?),
        ("figures/matrix-go.svg", relative_svg(m, Lang::Go)?),
        ("figures/matrix-pairs.svg", pairs_svg(m)?),
        ("figures/matrix-alloc-bytes.svg", alloc_svg(m, true)?),
        ("figures/matrix-allocs.svg", alloc_svg(m, false)?),
    ])
}

/// Refuses an `--out` that holds files this command does not write (so a mistyped
/// `--out` never replaces a directory of other files).
pub fn check_out(out: &Path) -> Result<()> {
    if !out.exists() {
        return Ok(());
    }
    if !out.is_dir() {
        bail!("{}: --out exists and is not a directory", out.display());
    }
    let mut foreign = Vec::new();
    for sub in ["", "figures"] {
        let d = out.join(sub);
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        let mut names: Vec<String> = rd
            .flatten()
            .map(|e| {
                let rel = Path::new(sub).join(e.file_name());
                rel.to_string_lossy().into_owned()
            })
            .collect();
        names.sort();
        for n in names {
            if n == "figures" || OUTPUTS.contains(&n.as_str()) {
                continue;
            }
            foreign.push(n);
        }
    }
    if !foreign.is_empty() {
        bail!(
            "{}: --out holds files matrix-report does not write ({}): it replaces its whole \
             output directory, so give it one of its own (expected only {})",
            out.display(),
            foreign.join(", "),
            OUTPUTS.join(", ")
        );
    }
    Ok(())
}

/// Writes the report into `out`: built in a sibling temporary directory, then renamed
/// over `out`.
pub fn write_outputs(m: &Matrix, out: &Path, command: &str) -> Result<Vec<PathBuf>> {
    let files = render_all(m, command)?;
    let name = out
        .file_name()
        .ok_or_else(|| anyhow!("{}: --out needs a directory name", out.display()))?
        .to_string_lossy()
        .into_owned();
    let parent = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&parent)
        .with_context(|| format!("{}: cannot create", parent.display()))?;
    let tmp = parent.join(format!(".{name}.tmp-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    let built = (|| -> Result<()> {
        std::fs::create_dir_all(tmp.join("figures"))
            .with_context(|| format!("{}: cannot create", tmp.display()))?;
        for (rel, text) in &files {
            let p = tmp.join(rel);
            std::fs::write(&p, text).with_context(|| format!("{}: cannot write", p.display()))?;
        }
        Ok(())
    })();
    if let Err(e) = built {
        let _ = std::fs::remove_dir_all(&tmp);
        return Err(e);
    }
    let old = parent.join(format!(".{name}.old-{}", std::process::id()));
    if out.exists() {
        std::fs::rename(out, &old)
            .with_context(|| format!("{}: cannot move the old report aside", out.display()))?;
    }
    std::fs::rename(&tmp, out)
        .with_context(|| format!("{}: cannot rename {} to it", out.display(), tmp.display()))?;
    let _ = std::fs::remove_dir_all(&old);
    Ok(files.iter().map(|(rel, _)| out.join(rel)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("matrix-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    /// One run file of a typed results file's shape: run_start, one interval (1000 ops,
    /// with allocation sums), run_end with the given throughput, or an error end.
    fn run_text(lang: Lang, map: &str, workload: &str, repeat: u32, mops: Option<f64>) -> String {
        let id = format!("matrix-{lang}-{map}-{workload}-t2-r{repeat}");
        let start = json!({
            "type": "run_start", "schema": 1, "run_id": id, "lang": lang.name(), "impl": map,
            "workload": workload, "trace_sha256": "ab", "threads": THREADS,
            "ops_per_thread": 500, "duration_ms": 0, "interval_ms": 100,
            "latency": {"sample_every": 16}, "toolchain": "test",
        });
        let ops = json!({"get": 900, "insert": 50, "update": 0, "remove": 50, "total": 1000});
        let interval = json!({
            "type": "interval", "index": 0, "t_start_ns": 0, "t_end_ns": 100, "ops": ops,
            "alloc_bytes": 3200, "alloc_objects": 100,
        });
        let end = match mops {
            Some(m) => json!({
                "type": "run_end", "status": "ok", "elapsed_ns": 1000, "ops": ops,
                "throughput_ops_per_s": m * 1e6,
            }),
            None => json!({"type": "run_end", "status": "error", "error": "boom"}),
        };
        format!("{start}\n{interval}\n{end}\n")
    }

    fn write_run(
        dir: &Path,
        lang: Lang,
        map: &str,
        workload: &str,
        repeat: u32,
        mops: Option<f64>,
    ) {
        let id = format!("matrix-{lang}-{map}-{workload}-t2-r{repeat}");
        std::fs::write(
            dir.join(format!("{id}.jsonl")),
            run_text(lang, map, workload, repeat, mops),
        )
        .unwrap();
    }

    /// A manifest of the committed sample's shape with these planned runs.
    fn write_manifest(
        dir: &Path,
        status: &str,
        runs: &[(Lang, &str, &str, u32, &str)],
        skipped: &[&str],
    ) {
        let sample =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/results-sample/manifest.json");
        let mut m: Value = serde_json::from_str(&std::fs::read_to_string(sample).unwrap()).unwrap();
        m["status"] = json!(status);
        m["ended_at"] = if status == "running" {
            Value::Null
        } else {
            json!("2026-01-01T01:00:00Z")
        };
        m["started_at"] = json!("2026-01-01T00:00:00Z");
        m["options"] = json!({"skipped": skipped});
        m["runs"] = json!(
            runs.iter()
                .enumerate()
                .map(|(i, (lang, map, wl, rep, st))| json!({
                    "run_id": format!("matrix-{lang}-{map}-{wl}-t2-r{rep}"), "seq": i + 1,
                    "lang": lang.name(), "map": map, "workload": wl, "threads": THREADS,
                    "repeat": rep, "ops_per_thread": 500, "seed": 1, "duration_ms": 0,
                    "trace_sha256": null, "argv": [], "status": st, "exit_code": null,
                    "signal": null, "started_at": null, "elapsed_s": null, "message": null,
                }))
                .collect::<Vec<_>>()
        );
        std::fs::write(
            dir.join("manifest.json"),
            serde_json::to_string_pretty(&m).unwrap(),
        )
        .unwrap();
    }

    const R: Lang = Lang::Rust;
    const G: Lang = Lang::Go;

    #[test]
    fn matrix_cell_names_parse_and_others_do_not() {
        let c = CellId::parse("matrix-10m-r75-zipf-string-boxed").unwrap();
        assert_eq!(
            (SIZES[c.size], READS[c.read], DISTS[c.dist]),
            ("10m", 75, "zipf")
        );
        assert_eq!((KEYS[c.key], VALUES[c.value]), ("string", "boxed"));
        assert_eq!(c.workload(), "matrix-10m-r75-zipf-string-boxed");
        for bad in [
            "read-heavy",
            "matrix-2k-r75-zipf-string-boxed",
            "matrix-1k-r50-zipf-u64-u64",
            "matrix-1k-r75-zipf-u64",
            "matrix-1k-r75-zipf-u64-u64-x",
            "matrix-1k-75-zipf-u64-u64",
        ] {
            assert_eq!(CellId::parse(bad), None, "{bad}");
        }
        assert_eq!(CellId::all().len(), 128);
    }

    #[test]
    fn matrix_relative_values_ranks_and_medians_follow_the_runs() {
        let d = scratch("relative");
        let wl = "matrix-1k-r90-uniform-u64-u64";
        for (rep, v) in [(1, 10.0), (2, 14.0), (3, 11.0)] {
            write_run(&d, R, "mutex-std-foldhash", wl, rep, Some(v));
        }
        write_run(&d, R, "dashmap-foldhash", wl, 1, Some(22.0));
        write_run(&d, G, "mutex-map", wl, 1, Some(5.5));
        let m = load(&d, None).unwrap();
        let c = CellId::parse(wl).unwrap();
        assert_eq!(m.relative(R, "mutex-std-foldhash", c), Some(0.5));
        assert_eq!(m.relative(R, "dashmap-foldhash", c), Some(1.0));
        let j = m.to_json();
        let cell = &j["cells"][wl]["rust"]["maps"]["mutex-std-foldhash"];
        assert_eq!(cell["median"], 11.0);
        assert_eq!(
            (cell["min"].clone(), cell["max"].clone()),
            (json!(10.0), json!(14.0))
        );
        assert_eq!(cell["n"], 3);
        assert_eq!(cell["rank"], 2);
        assert_eq!(cell["relative"], 0.5);
        // 3200 bytes and 100 objects over 1000 ops.
        assert_eq!(cell["b_per_op"], 3.2);
        assert_eq!(cell["allocs_per_op"], 0.1);
        assert_eq!(
            j["cells"][wl]["rust"]["ranking"],
            json!(["dashmap-foldhash", "mutex-std-foldhash"])
        );
        // The mutex design pairs across languages: 11 / 5.5.
        assert_eq!(j["cells"][wl]["rust_over_go"]["mutex"], 2.0);
        assert_eq!(
            j["unpaired"]["rust"]["dashmap-foldhash"]
                .as_str()
                .map(|s| s.contains("no Go map")),
            Some(true)
        );
        std::fs::remove_dir_all(&d).ok();
    }

    #[test]
    fn matrix_ranking_flips_are_found_only_where_the_top_map_changes() {
        let d = scratch("flips");
        // r100-uniform-u64-u64: a leads at 1k, b at 10M. r75-zipf-u64-u64: a leads at both.
        for (wl, a, b) in [
            ("matrix-1k-r100-uniform-u64-u64", 10.0, 5.0),
            ("matrix-10m-r100-uniform-u64-u64", 2.0, 3.0),
            ("matrix-1k-r75-zipf-u64-u64", 10.0, 5.0),
            ("matrix-10m-r75-zipf-u64-u64", 4.0, 3.0),
        ] {
            write_run(&d, R, "mutex-std-foldhash", wl, 1, Some(a));
            write_run(&d, R, "dashmap-foldhash", wl, 1, Some(b));
        }
        // Incomplete at 10M (one map only): not compared.
        write_run(
            &d,
            R,
            "mutex-std-foldhash",
            "matrix-1k-r99-uniform-u64-u64",
            1,
            Some(1.0),
        );
        write_run(
            &d,
            R,
            "dashmap-foldhash",
            "matrix-1k-r99-uniform-u64-u64",
            1,
            Some(2.0),
        );
        write_run(
            &d,
            R,
            "dashmap-foldhash",
            "matrix-10m-r99-uniform-u64-u64",
            1,
            Some(2.0),
        );
        let m = load(&d, None).unwrap();
        let f = m.flips(R);
        assert_eq!(f.len(), 2, "{f:?}");
        let changed: Vec<String> = f
            .iter()
            .filter(|x| x.top_changes())
            .map(|x| x.mix.name())
            .collect();
        assert_eq!(changed, ["r100-uniform-u64-u64"]);
        let j = m.to_json();
        let s = &j["summaries"]["ranking_flips"]["rust"];
        assert_eq!(s["compared"], 2);
        assert_eq!(s["top_changes"], 1);
        // Leads of 100% at 1k and 50% at 10M: both above the noise threshold.
        assert_eq!(s["clear_top_changes"], 1);
        let mix = &s["mixes"]["r100-uniform-u64-u64"];
        assert_eq!(
            (mix["top_1k"].clone(), mix["top_10m"].clone()),
            (json!("mutex-std-foldhash"), json!("dashmap-foldhash"))
        );
        assert_eq!(mix["top_lead_10m"], 0.5);
        let md = render_md(&m, "x");
        assert!(md.contains("changes in 1 of the 2 mixes"), "{md}");
        assert!(
            md.contains("1 of them with the winner more than 25% ahead"),
            "{md}"
        );
        std::fs::remove_dir_all(&d).ok();
    }

    #[test]
    fn matrix_noise_counts_repeated_cells_whose_range_is_wide() {
        let d = scratch("noise");
        // a: 10, 11, 14 (range 4 / median 11 = 36%, wide); b: 10, 10.5, 11 (10%, not wide);
        // c ran once: not counted.
        for (rep, a, b) in [(1, 10.0, 10.0), (2, 11.0, 10.5), (3, 14.0, 11.0)] {
            write_run(
                &d,
                R,
                "mutex-std-foldhash",
                "matrix-1k-r90-uniform-u64-u64",
                rep,
                Some(a),
            );
            write_run(
                &d,
                R,
                "dashmap-foldhash",
                "matrix-1k-r90-uniform-u64-u64",
                rep,
                Some(b),
            );
        }
        write_run(
            &d,
            R,
            "papaya-blocking-sip",
            "matrix-1k-r90-uniform-u64-u64",
            1,
            Some(3.0),
        );
        let m = load(&d, None).unwrap();
        let (n, wide, med) = m.noise().unwrap();
        assert_eq!((n, wide), (2, 1));
        assert!(
            (med - (4.0 / 11.0 + 1.0 / 10.5) / 2.0).abs() < 1e-9,
            "{med}"
        );
        let md = render_md(&m, "x");
        assert!(
            md.contains("Of the 2 map × cell combinations that ran at least three times, 1 have"),
            "{md}"
        );
        std::fs::remove_dir_all(&d).ok();
    }

    #[test]
    fn matrix_string_key_cost_is_the_median_ratio_with_other_factors_equal() {
        let d = scratch("strings");
        let map = "mutex-map";
        for (mix, u, s) in [
            ("r100-uniform", 10.0, 5.0),
            ("r90-zipf", 8.0, 4.0),
            ("r75-uniform", 10.0, 8.0),
        ] {
            write_run(&d, G, map, &format!("matrix-1m-{mix}-u64-u64"), 1, Some(u));
            write_run(
                &d,
                G,
                map,
                &format!("matrix-1m-{mix}-string-u64"),
                1,
                Some(s),
            );
        }
        // A string cell without its u64 twin does not count.
        write_run(
            &d,
            G,
            map,
            "matrix-1m-r99-uniform-string-boxed",
            1,
            Some(1.0),
        );
        let m = load(&d, None).unwrap();
        assert_eq!(m.factor_cost(G, map, 2, to_string_keys), Some((0.5, 3)));
        assert_eq!(m.factor_cost(G, map, 0, to_string_keys), None);
        let j = m.to_json();
        let c = &j["summaries"]["string_key_cost"]["go"];
        assert_eq!(c["maps"][map]["1m"], json!({"ratio": 0.5, "n": 3}));
        assert_eq!(c["all_maps"]["1m"]["ratio"], 0.5);
        assert_eq!(
            j["summaries"]["boxed_value_cost"]["go"]["maps"][map],
            json!({})
        );
        std::fs::remove_dir_all(&d).ok();
    }

    #[test]
    fn matrix_missing_cells_are_counted_by_reason_and_a_partial_run_is_reported() {
        let d = scratch("missing");
        let (a, b) = (
            "matrix-1k-r90-uniform-u64-u64",
            "matrix-1k-r75-uniform-u64-u64",
        );
        write_manifest(
            &d,
            "running",
            &[
                (R, "mutex-std-foldhash", a, 1, "ok"),
                (R, "dashmap-foldhash", a, 1, "ok"),
                (R, "mutex-std-foldhash", b, 1, "failed"),
                (R, "dashmap-foldhash", b, 1, "pending"),
                (G, "mutex-map", a, 1, "ok"),
            ],
            &["go mutex-map matrix-1k-r75-uniform-u64-u64 t2: map lacks the kinds"],
        );
        write_run(&d, R, "mutex-std-foldhash", a, 1, Some(4.0));
        write_run(&d, R, "dashmap-foldhash", a, 1, Some(8.0));
        write_run(&d, R, "mutex-std-foldhash", b, 1, None);
        write_run(&d, G, "mutex-map", a, 1, Some(4.0));
        // The pending run's file has only begun: empty.
        std::fs::write(
            d.join(format!("matrix-rust-dashmap-foldhash-{b}-t2-r1.jsonl")),
            "",
        )
        .unwrap();
        let m = load(&d, None).unwrap();
        let cb = CellId::parse(b).unwrap();
        assert_eq!(
            m.missing.get(&(R, "mutex-std-foldhash".into(), cb)),
            Some(&Missing::Failed)
        );
        assert_eq!(
            m.missing.get(&(R, "dashmap-foldhash".into(), cb)),
            Some(&Missing::NotYetRun)
        );
        assert_eq!(
            m.missing.get(&(G, "mutex-map".into(), cb)),
            Some(&Missing::Skipped)
        );
        assert!(
            m.notes.iter().any(|n| n.contains("still being written")),
            "{:?}",
            m.notes
        );
        let j = m.to_json();
        assert_eq!(j["runs"]["planned"], 5);
        assert_eq!(
            j["runs"]["by_state"],
            json!({"failed": 1, "ok": 3, "pending": 1})
        );
        assert_eq!(
            j["map_cells"]["missing"]["rust"],
            json!({"failed": 1, "not yet run": 1})
        );
        assert_eq!(j["map_cells"]["missing"]["go"], json!({"skipped": 1}));
        assert_eq!(j["cells"][b]["rust"]["complete"], false);
        let s = m.status_line();
        assert!(
            s.contains("running") && s.contains("3 of the 5 planned runs ended ok"),
            "{s}"
        );
        assert!(s.contains("1 failed, 1 pending"), "{s}");
        // Drawn hatched and counted in the legend: two missing Rust cells.
        let svg = relative_svg(&m, R).unwrap();
        // The subtitle counts the planned combinations missing; the legend every hatched
        // cell of the figure (2 maps × 128 cells, 2 measured).
        assert!(
            svg.contains("2 planned map × cell combinations not measured"),
            "subtitle"
        );
        assert!(svg.contains("not measured (254 cells)"), "legend count");
        std::fs::remove_dir_all(&d).ok();
    }

    #[test]
    fn matrix_outputs_are_byte_identical_on_two_runs() {
        let d = scratch("identical");
        for (i, wl) in [
            "matrix-1k-r90-uniform-u64-u64",
            "matrix-1m-r90-uniform-string-u64",
            "matrix-10m-r75-zipf-u64-boxed",
        ]
        .iter()
        .enumerate()
        {
            for (lang, map) in [
                (R, "mutex-std-foldhash"),
                (R, "papaya-blocking-sip"),
                (G, "mutex-map"),
                (G, "xsync-map"),
            ] {
                write_run(
                    &d,
                    lang,
                    map,
                    wl,
                    1,
                    Some(3.0 + i as f64 + map.len() as f64 / 10.0),
                );
            }
        }
        let load_file = d.join("load.txt");
        std::fs::write(
            &load_file,
            "100 1.5 1 1 1/2 3\n130 2.5 1 1 1/2 3\n160 4.0 1 1 1/2 3\n",
        )
        .unwrap();
        let out = scratch("identical-out");
        let (a, b) = (out.join("a"), out.join("b"));
        let m = load(&d, Some(&load_file)).unwrap();
        let wa = write_outputs(&m, &a, "cmd").unwrap();
        let m2 = load(&d, Some(&load_file)).unwrap();
        write_outputs(&m2, &b, "cmd").unwrap();
        assert_eq!(wa.len(), OUTPUTS.len());
        for rel in OUTPUTS {
            let (x, y) = (
                std::fs::read(a.join(rel)).unwrap(),
                std::fs::read(b.join(rel)).unwrap(),
            );
            assert!(x == y, "{rel} differs between two runs");
        }
        let md = std::fs::read_to_string(a.join("matrix-summary.md")).unwrap();
        assert!(
            md.contains("Over 3 samples") && md.contains("the median was 2.5 and the highest 4"),
            "{md}"
        );
        // A second write replaces the first: it is our own directory.
        check_out(&a).unwrap();
        write_outputs(&m, &a, "cmd").unwrap();
        std::fs::remove_dir_all(&d).ok();
        std::fs::remove_dir_all(&out).ok();
    }

    #[test]
    fn matrix_bad_inputs_are_errors_naming_the_file() {
        let d = scratch("bad");
        let e = load(&d.join("nope"), None).unwrap_err().to_string();
        assert!(e.contains("nope") && e.contains("not a directory"), "{e}");
        let e = load(&d, None).unwrap_err().to_string();
        assert!(e.contains("not a results directory"), "{e}");
        // Only a run of another workload: set aside, so nothing of the matrix is left.
        std::fs::write(
            d.join("q.jsonl"),
            run_text(R, "m", "read-heavy", 1, Some(1.0)),
        )
        .unwrap();
        let e = load(&d, None).unwrap_err().to_string();
        assert!(e.contains("no run of a matrix workload"), "{e}");
        // Beside a matrix run it is a note that names it.
        write_run(&d, R, "m", "matrix-1k-r90-uniform-u64-u64", 1, Some(1.0));
        let m = load(&d, None).unwrap();
        assert!(
            m.notes
                .iter()
                .any(|n| n.contains("read-heavy") && n.contains("not matrix cells")),
            "{:?}",
            m.notes
        );
        // A malformed run file is an error naming it.
        std::fs::write(d.join("z.jsonl"), "{\"type\":\"interval\"}\n").unwrap();
        let e = format!("{:#}", load(&d, None).unwrap_err());
        assert!(e.contains("z.jsonl") && e.contains("run_start"), "{e}");
        std::fs::remove_file(d.join("z.jsonl")).unwrap();
        // A load file line that is not numbers names file and line.
        let lf = d.join("load.txt");
        std::fs::write(&lf, "1 0.5 0.5 0.5\nnot numbers\n").unwrap();
        let e = load(&d, Some(&lf)).unwrap_err().to_string();
        assert!(e.contains("load.txt:2") && e.contains("epoch load1"), "{e}");
        // An --out holding other files is refused.
        let out = scratch("bad-out");
        std::fs::write(out.join("report.md"), "x").unwrap();
        let e = check_out(&out).unwrap_err().to_string();
        assert!(
            e.contains("report.md") && e.contains("does not write"),
            "{e}"
        );
        std::fs::remove_dir_all(&d).ok();
        std::fs::remove_dir_all(&out).ok();
    }
}
