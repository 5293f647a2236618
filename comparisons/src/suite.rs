//! Suites: which workloads, thread counts and maps `mapbench run` measures, how often,
//! and with which runner settings. A suite is a TOML file in `comparisons/suites/`
//! (format: `comparisons/SUITES.md`), validated like a workload spec: every rejection
//! names the file, the field and what was expected, and exits with status 2 before
//! anything runs.
//!
//! Map names differ between the languages, so each `[[group]]` lists maps per language
//! (`rust = [...]`, `go = [...]`); the keyword `"all"` stands for every map the runner's
//! `--list-maps` reports. Names are checked against those lists in [`Suite::cells`].

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::results::Lang;
use crate::runners::MapEntry;
use crate::trace::sha256_hex;
use crate::workload::{self, Invalid, Overrides, Workload, WorkloadError};

/// The keyword for "every map the runner lists".
pub const ALL_MAPS: &str = "all";
/// The harness-cost map every runner accepts (RUNNER-SPEC.md), though neither lists it.
pub const NOOP_MAP: &str = "noop";

/// Why a suite was rejected. Every variant names the file.
#[derive(Debug, thiserror::Error)]
pub enum SuiteError {
    #[error("{}: cannot read suite: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}: not a valid suite: {message}", path.display())]
    Parse { path: PathBuf, message: String },
    #[error("{}: field `{field}`: expected {expected}, found {found}", path.display())]
    Invalid {
        path: PathBuf,
        field: String,
        expected: String,
        found: String,
    },
    #[error("unknown suite `{name}`: no {}; available: {}", path.display(), available.join(", "))]
    UnknownName {
        name: String,
        path: PathBuf,
        available: Vec<String>,
    },
    #[error("{}: field `{field}`: {source}", path.display())]
    Workload {
        path: PathBuf,
        field: String,
        source: Box<WorkloadError>,
    },
}

/// The runner settings a group may set (and `[defaults]` gives every group).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
struct SettingsFile {
    ops_per_thread: Option<u64>,
    seed: Option<u64>,
    repeats: Option<u32>,
    duration_ms: Option<u64>,
    interval_ms: Option<u64>,
    latency_sample_every: Option<u64>,
    warmup_ops: Option<u64>,
    op_delay_ns: Option<u64>,
}

impl SettingsFile {
    /// `self`'s values where set, else `base`'s.
    fn or(self, base: SettingsFile) -> SettingsFile {
        SettingsFile {
            ops_per_thread: self.ops_per_thread.or(base.ops_per_thread),
            seed: self.seed.or(base.seed),
            repeats: self.repeats.or(base.repeats),
            duration_ms: self.duration_ms.or(base.duration_ms),
            interval_ms: self.interval_ms.or(base.interval_ms),
            latency_sample_every: self.latency_sample_every.or(base.latency_sample_every),
            warmup_ops: self.warmup_ops.or(base.warmup_ops),
            op_delay_ns: self.op_delay_ns.or(base.op_delay_ns),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SuiteFile {
    name: String,
    description: String,
    #[serde(default)]
    defaults: SettingsFile,
    #[serde(default, rename = "group")]
    groups: Vec<GroupFile>,
}

// serde cannot combine `flatten` with `deny_unknown_fields`, so the settings are spelled
// out again here.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct GroupFile {
    #[serde(default)]
    name: Option<String>,
    workloads: Vec<String>,
    threads: Vec<u32>,
    #[serde(default)]
    rust: Vec<String>,
    #[serde(default)]
    go: Vec<String>,
    ops_per_thread: Option<u64>,
    seed: Option<u64>,
    repeats: Option<u32>,
    duration_ms: Option<u64>,
    interval_ms: Option<u64>,
    latency_sample_every: Option<u64>,
    warmup_ops: Option<u64>,
    op_delay_ns: Option<u64>,
}

impl GroupFile {
    fn settings(&self) -> SettingsFile {
        SettingsFile {
            ops_per_thread: self.ops_per_thread,
            seed: self.seed,
            repeats: self.repeats,
            duration_ms: self.duration_ms,
            interval_ms: self.interval_ms,
            latency_sample_every: self.latency_sample_every,
            warmup_ops: self.warmup_ops,
            op_delay_ns: self.op_delay_ns,
        }
    }
}

/// The runner flags of one cell (RUNNER-SPEC.md), after defaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RunnerSettings {
    pub duration_ms: u64,
    pub interval_ms: u64,
    pub latency_sample_every: u64,
    pub warmup_ops: u64,
    pub op_delay_ns: u64,
}

impl Default for RunnerSettings {
    /// The runners' own defaults.
    fn default() -> RunnerSettings {
        RunnerSettings {
            duration_ms: 0,
            interval_ms: 100,
            latency_sample_every: 1024,
            warmup_ops: 0,
            op_delay_ns: 0,
        }
    }
}

/// A map list entry: a name, or every listed map.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MapSel {
    All,
    Named(String),
}

/// One `[[group]]`, validated. Its workloads are loaded with the group's thread counts,
/// op count and seed, so every trace it needs is known to be valid.
#[derive(Debug, Clone)]
pub struct Group {
    /// `group[i]`, with the group's `name` if it has one.
    pub label: String,
    /// Index in the file, from 0.
    pub index: usize,
    /// Workload name, spec file, and the spec at each thread count (same order as `threads`).
    pub workloads: Vec<(String, PathBuf, Vec<Workload>)>,
    pub threads: Vec<u32>,
    pub rust: Vec<MapSel>,
    pub go: Vec<MapSel>,
    pub repeats: u32,
    pub runner: RunnerSettings,
}

impl Group {
    pub fn maps(&self, lang: Lang) -> &[MapSel] {
        match lang {
            Lang::Rust => &self.rust,
            Lang::Go => &self.go,
        }
    }
}

/// A validated suite.
#[derive(Debug, Clone)]
pub struct Suite {
    pub name: String,
    pub description: String,
    pub path: PathBuf,
    /// SHA-256 of the file's bytes (recorded in the manifest).
    pub sha256: String,
    pub groups: Vec<Group>,
}

/// One workload × threads × map: the unit that repeats. Its runs differ only in the
/// repeat number.
#[derive(Debug, Clone, PartialEq)]
pub struct Cell {
    pub lang: Lang,
    pub map: String,
    /// The workload, with threads, ops per thread and seed applied: the trace to replay.
    pub workload: Workload,
    /// The spec file it came from (`None`: built in code).
    pub spec: Option<PathBuf>,
    pub repeats: u32,
    pub runner: RunnerSettings,
}

impl Cell {
    pub fn threads(&self) -> u32 {
        self.workload.threads
    }

    /// `<suite>-<lang>-<map>-<workload>-t<threads>-r<repeat>` (repeat from 1).
    pub fn run_id(&self, suite: &str, repeat: u32) -> String {
        format!(
            "{suite}-{}-{}-{}-t{}-r{repeat}",
            self.lang,
            self.map,
            self.workload.name,
            self.threads()
        )
    }

    /// `rust dashmap-foldhash read-heavy t2`.
    pub fn label(&self) -> String {
        format!(
            "{} {} {} t{}",
            self.lang,
            self.map,
            self.workload.name,
            self.threads()
        )
    }
}

/// The directory holding the shipped suites (`comparisons/suites`).
pub fn suites_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("suites")
}

/// Resolves `--suite`: an existing file, or anything that looks like a path, is a file;
/// a bare NAME is `<dir>/NAME.toml`.
pub fn resolve(arg: &str, dir: &Path) -> Result<PathBuf, SuiteError> {
    workload::resolve_spec_path(arg, dir).map_err(|path| SuiteError::UnknownName {
        name: arg.to_owned(),
        path,
        available: workload::available_workloads(dir),
    })
}

/// Reads and validates a suite; workload names resolve in `workloads_dir`.
pub fn load(path: &Path, workloads_dir: &Path) -> Result<Suite, SuiteError> {
    let bytes = std::fs::read(path).map_err(|source| SuiteError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let text = String::from_utf8(bytes.clone()).map_err(|e| SuiteError::Parse {
        path: path.to_path_buf(),
        message: format!("not UTF-8: {e}"),
    })?;
    let mut suite = parse(&text, path, workloads_dir)?;
    suite.sha256 = sha256_hex(&bytes);
    Ok(suite)
}

/// Parses and validates suite text; `path` names the file in errors.
pub fn parse(text: &str, path: &Path, workloads_dir: &Path) -> Result<Suite, SuiteError> {
    let file: SuiteFile = workload::from_toml(text).map_err(|message| SuiteError::Parse {
        path: path.to_path_buf(),
        message,
    })?;
    let invalid = |field: &str, expected: &str, found: String| SuiteError::Invalid {
        path: path.to_path_buf(),
        field: field.to_owned(),
        expected: expected.to_owned(),
        found,
    };
    workload::check_name(&file.name, "result directories and run ids", &invalid)?;
    workload::check_description(&file.description, "what the suite is for", &invalid)?;
    if file.groups.is_empty() {
        return Err(invalid("group", "at least one [[group]]", "none".into()));
    }
    check_settings(&file.defaults, "defaults", &invalid)?;
    let groups = file
        .groups
        .iter()
        .enumerate()
        .map(|(gi, g)| parse_group(gi, g, file.defaults, path, workloads_dir, &invalid))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Suite {
        name: file.name,
        description: file.description,
        path: path.to_path_buf(),
        sha256: sha256_hex(text.as_bytes()),
        groups,
    })
}

/// Validates `[[group]]` number `gi` and loads its workloads at each thread count.
fn parse_group(
    gi: usize,
    g: &GroupFile,
    defaults: SettingsFile,
    path: &Path,
    workloads_dir: &Path,
    invalid: Invalid<'_, SuiteError>,
) -> Result<Group, SuiteError> {
    let at = |field: &str| format!("group[{gi}].{field}");
    let label = match &g.name {
        Some(n) => format!("group[{gi}] ({n})"),
        None => format!("group[{gi}]"),
    };
    let settings = g.settings().or(defaults);
    check_settings(&g.settings(), &format!("group[{gi}]"), invalid)?;
    check_threads(&g.threads, &at("threads"), invalid)?;
    if g.workloads.is_empty() {
        return Err(invalid(
            &at("workloads"),
            "a list of workload names, e.g. [\"read-heavy\"]",
            "[]".into(),
        ));
    }
    if g.rust.is_empty() && g.go.is_empty() {
        return Err(invalid(
            &at("rust"),
            "maps for at least one language: rust = [...] and/or go = [...] (\"all\" = every listed map)",
            "neither".into(),
        ));
    }
    let rust = map_list(&g.rust, &at("rust"), invalid)?;
    let go = map_list(&g.go, &at("go"), invalid)?;

    let mut workloads = Vec::new();
    let mut seen = BTreeSet::new();
    for (wi, wname) in g.workloads.iter().enumerate() {
        let field = format!("group[{gi}].workloads[{wi}]");
        if !seen.insert(wname.clone()) {
            return Err(invalid(
                &field,
                "each workload once per group",
                format!("{wname:?} twice"),
            ));
        }
        let as_workload_error = |e| SuiteError::Workload {
            path: path.to_path_buf(),
            field: field.clone(),
            source: Box::new(e),
        };
        let spec = resolve_workload(wname, workloads_dir).map_err(as_workload_error)?;
        let per_threads = g
            .threads
            .iter()
            .map(|&t| {
                let ov = Overrides {
                    threads: Some(t),
                    ops_per_thread: settings.ops_per_thread,
                    seed: settings.seed,
                };
                workload::load(&spec, ov).map_err(as_workload_error)
            })
            .collect::<Result<Vec<_>, _>>()?;
        let name = per_threads[0].name.clone();
        workloads.push((name, spec, per_threads));
    }
    let d = RunnerSettings::default();
    Ok(Group {
        label,
        index: gi,
        workloads,
        threads: g.threads.clone(),
        rust,
        go,
        repeats: settings.repeats.unwrap_or(1),
        runner: RunnerSettings {
            duration_ms: settings.duration_ms.unwrap_or(d.duration_ms),
            interval_ms: settings.interval_ms.unwrap_or(d.interval_ms),
            latency_sample_every: settings
                .latency_sample_every
                .unwrap_or(d.latency_sample_every),
            warmup_ops: settings.warmup_ops.unwrap_or(d.warmup_ops),
            op_delay_ns: settings.op_delay_ns.unwrap_or(d.op_delay_ns),
        },
    })
}

/// A group's `threads`: a non-empty list of distinct counts from 1 to the trace's limit.
fn check_threads(
    threads: &[u32],
    field: &str,
    invalid: Invalid<'_, SuiteError>,
) -> Result<(), SuiteError> {
    if threads.is_empty() {
        return Err(invalid(
            field,
            "a list of thread counts, e.g. [1, 2]",
            "[]".into(),
        ));
    }
    let mut seen = BTreeSet::new();
    for &t in threads {
        if !(1..=workload::MAX_THREADS).contains(&t) {
            return Err(invalid(
                field,
                &format!("thread counts from 1 to {}", workload::MAX_THREADS),
                t.to_string(),
            ));
        }
        if !seen.insert(t) {
            return Err(invalid(
                field,
                "each thread count once",
                format!("{t} twice"),
            ));
        }
    }
    Ok(())
}

/// A group's workload entry as a spec file. A workload given as a relative path is
/// relative to the repository root (the parent of `comparisons/`), so a suite means the
/// same file from any working directory; the current directory is tried first.
fn resolve_workload(wname: &str, workloads_dir: &Path) -> Result<PathBuf, WorkloadError> {
    let from_root = workloads_dir
        .parent()
        .and_then(Path::parent)
        .map(|root| root.join(wname))
        .filter(|p| Path::new(wname).is_relative() && !Path::new(wname).is_file() && p.is_file());
    let resolved = from_root
        .as_deref()
        .map(|p| p.to_string_lossy().into_owned())
        .unwrap_or_else(|| wname.to_owned());
    workload::resolve(&resolved, workloads_dir)
}

fn check_settings(
    s: &SettingsFile,
    at: &str,
    invalid: Invalid<'_, SuiteError>,
) -> Result<(), SuiteError> {
    if s.repeats == Some(0) {
        return Err(invalid(&format!("{at}.repeats"), "at least 1", "0".into()));
    }
    if s.interval_ms == Some(0) {
        return Err(invalid(
            &format!("{at}.interval_ms"),
            "at least 1 ms",
            "0".into(),
        ));
    }
    if let Some(w) = s.warmup_ops
        && let Some(n) = s.ops_per_thread
        && w > n
    {
        return Err(invalid(
            &format!("{at}.warmup_ops"),
            &format!("at most ops_per_thread ({n}): warm-up replays the stream's first ops"),
            w.to_string(),
        ));
    }
    Ok(())
}

fn map_list(
    names: &[String],
    field: &str,
    invalid: Invalid<'_, SuiteError>,
) -> Result<Vec<MapSel>, SuiteError> {
    let mut out = Vec::new();
    let mut seen = BTreeSet::new();
    for n in names {
        if !seen.insert(n.as_str()) {
            return Err(invalid(field, "each map once", format!("{n:?} twice")));
        }
        if n.is_empty() || !n.bytes().all(workload::is_name_byte) {
            return Err(invalid(
                field,
                "map names from [A-Za-z0-9._-], or \"all\"",
                format!("{n:?}"),
            ));
        }
        out.push(if n == ALL_MAPS {
            MapSel::All
        } else {
            MapSel::Named(n.clone())
        });
    }
    Ok(out)
}

/// The maps each runner offers (its `--list-maps`).
#[derive(Debug, Clone, Default)]
pub struct Registries {
    pub by_lang: BTreeMap<Lang, Vec<MapEntry>>,
}

impl Registries {
    pub fn get(&self, lang: Lang) -> Option<&[MapEntry]> {
        self.by_lang.get(&lang).map(Vec::as_slice)
    }
}

/// A cell the map cannot run, left out and said so: through `"all"`, one over the map's
/// thread limit; named or through `"all"`, one whose key/value kinds the map's
/// `--list-maps` line does not list (its `kinds`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    pub lang: Lang,
    pub map: String,
    pub workload: String,
    pub threads: u32,
    pub reason: String,
}

impl Suite {
    /// Expands the groups into cells, for the languages in `langs` (whose registries
    /// must be in `registries`). Unknown map names are errors naming the group and
    /// listing the valid names; a map named explicitly at a thread count above its limit
    /// is an error, one reached through `"all"` is skipped; a map that does not list the
    /// workload's key/value kinds is skipped either way. A cell listed by two groups
    /// runs once, with the larger repeat count, provided both ask for the same settings.
    pub fn cells(
        &self,
        registries: &Registries,
        langs: &[Lang],
    ) -> Result<(Vec<Cell>, Vec<Skipped>), SuiteError> {
        let mut acc = CellList::default();
        for g in &self.groups {
            for lang in Lang::ALL.into_iter().filter(|l| langs.contains(l)) {
                let sels = g.maps(lang);
                if sels.is_empty() {
                    continue;
                }
                let registry = registries.get(lang).unwrap_or(&[]);
                let maps = self.group_maps(g, lang, sels, registry)?;
                for (wname, spec, per_threads) in &g.workloads {
                    for w in per_threads {
                        for &(map, explicit) in &maps {
                            let listed = registry.iter().find(|e| e.name == map);
                            if let Some(reason) =
                                self.skip_reason(g, lang, map, explicit, listed, w)?
                            {
                                acc.skipped.push(Skipped {
                                    lang,
                                    map: map.to_owned(),
                                    workload: wname.clone(),
                                    threads: w.threads,
                                    reason,
                                });
                                continue;
                            }
                            let cell = Cell {
                                lang,
                                map: map.to_owned(),
                                workload: w.clone(),
                                spec: Some(spec.clone()),
                                repeats: g.repeats,
                                runner: g.runner,
                            };
                            acc.add(&self.path, g, wname, cell)?;
                        }
                    }
                }
            }
        }
        Ok((acc.cells, acc.skipped))
    }

    /// The maps a group's selections name for `lang`, each once, with whether it was
    /// named explicitly. Unknown names are errors listing the valid ones.
    fn group_maps<'a>(
        &self,
        g: &Group,
        lang: Lang,
        sels: &'a [MapSel],
        registry: &'a [MapEntry],
    ) -> Result<Vec<(&'a str, bool)>, SuiteError> {
        let mut maps: Vec<(&str, bool)> = Vec::new(); // (name, named explicitly)
        for sel in sels {
            match sel {
                MapSel::All => maps.extend(registry.iter().map(|e| (e.name.as_str(), false))),
                MapSel::Named(n) => {
                    if n != NOOP_MAP && !registry.iter().any(|e| &e.name == n) {
                        let available: Vec<&str> =
                            registry.iter().map(|e| e.name.as_str()).collect();
                        return Err(SuiteError::Invalid {
                            path: self.path.clone(),
                            field: format!("group[{}].{lang}", g.index),
                            expected: format!(
                                "a map the {lang} runner lists (--list-maps) or \"all\" or \"noop\": {}",
                                available.join(", ")
                            ),
                            found: format!("{n:?}"),
                        });
                    }
                    maps.push((n.as_str(), true));
                }
            }
        }
        // "all" plus a name would list the name twice: keep the first, but an
        // explicit mention wins for the thread-limit rule.
        let mut dedup: Vec<(&str, bool)> = Vec::new();
        for (n, explicit) in maps {
            match dedup.iter_mut().find(|(m, _)| *m == n) {
                Some(slot) => slot.1 |= explicit,
                None => dedup.push((n, explicit)),
            }
        }
        Ok(dedup)
    }

    /// Why `map` (its `--list-maps` line: `listed`) cannot run `w`, if it cannot: kinds
    /// it does not list, or more threads than its limit (an error if named explicitly).
    fn skip_reason(
        &self,
        g: &Group,
        lang: Lang,
        map: &str,
        explicit: bool,
        listed: Option<&MapEntry>,
        w: &Workload,
    ) -> Result<Option<String>, SuiteError> {
        let kind = format!("{}/{}", w.key_type, w.value_kind);
        if let Some(kinds) = listed.and_then(|e| e.kinds.as_ref())
            && !kinds.contains(&kind)
        {
            return Ok(Some(format!(
                "comes without {} keys with {} values (its --list-maps kinds: {})",
                w.key_type,
                w.value_kind,
                kinds.join(", ")
            )));
        }
        if let Some(max) = listed.and_then(|e| e.max_threads)
            && w.threads > max
        {
            if explicit {
                return Err(SuiteError::Invalid {
                    path: self.path.clone(),
                    field: format!("group[{}].threads", g.index),
                    expected: format!(
                        "at most {max} thread(s) for {lang} map {map:?} (its --list-maps limit), or leave it to \"all\", which skips it"
                    ),
                    found: w.threads.to_string(),
                });
            }
            return Ok(Some(format!(
                "allows at most {max} thread(s) (listed through \"all\")"
            )));
        }
        Ok(None)
    }
}

/// The cells [`Suite::cells`] has built so far, and the group that first listed each
/// (lang, map, workload, threads).
#[derive(Default)]
struct CellList {
    cells: Vec<Cell>,
    skipped: Vec<Skipped>,
    index: BTreeMap<(Lang, String, String, u32), (usize, String)>,
}

impl CellList {
    /// Adds `cell` (of group `g`, workload `wname`), or merges it into the cell another
    /// group listed: the larger repeat count, provided both ask for the same settings.
    fn add(&mut self, path: &Path, g: &Group, wname: &str, cell: Cell) -> Result<(), SuiteError> {
        let key = (
            cell.lang,
            cell.map.clone(),
            wname.to_owned(),
            cell.workload.threads,
        );
        match self.index.get(&key) {
            None => {
                self.index.insert(key, (self.cells.len(), g.label.clone()));
                self.cells.push(cell);
            }
            Some((i, first)) => {
                let prev = &mut self.cells[*i];
                if prev.workload != cell.workload || prev.runner != cell.runner {
                    return Err(SuiteError::Invalid {
                        path: path.to_path_buf(),
                        field: format!("group[{}]", g.index),
                        expected: format!(
                            "the same ops_per_thread, seed and runner settings as {first} for {} (run ids would collide)",
                            cell.label()
                        ),
                        found: "different settings".into(),
                    });
                }
                prev.repeats = prev.repeats.max(cell.repeats);
            }
        }
        Ok(())
    }
}

/// One run in the order `mapbench run` executes them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlannedRun {
    /// Index into the cell list.
    pub cell: usize,
    /// From 1.
    pub repeat: u32,
}

/// The run order: repeat-major (every cell's repeat 1, then every cell's repeat 2, …), so
/// slow drift of the machine (thermal, background load) spreads over every cell alike.
/// Within a repeat, cells that share a trace (workload, threads, ops, seed, settings) run
/// together, with the languages alternating (rust, go, rust, go … while both have maps
/// left), and the language that starts flips from one repeat to the next, so neither
/// side always runs first or right after the other.
pub fn order_runs(cells: &[Cell]) -> Vec<PlannedRun> {
    // Blocks: cells with the same trace and settings, in order of first appearance.
    let mut blocks: Vec<Vec<usize>> = Vec::new();
    for (i, c) in cells.iter().enumerate() {
        match blocks
            .iter_mut()
            .find(|b| cells[b[0]].workload == c.workload && cells[b[0]].runner == c.runner)
        {
            Some(b) => b.push(i),
            None => blocks.push(vec![i]),
        }
    }
    let max_repeats = cells.iter().map(|c| c.repeats).max().unwrap_or(0);
    let mut order = Vec::new();
    for repeat in 1..=max_repeats {
        let first = if repeat % 2 == 1 {
            Lang::Rust
        } else {
            Lang::Go
        };
        for block in &blocks {
            let live = |lang: Lang| -> Vec<usize> {
                block
                    .iter()
                    .copied()
                    .filter(|&i| cells[i].lang == lang && cells[i].repeats >= repeat)
                    .collect()
            };
            let (a, b) = (live(first), live(first.other()));
            for k in 0..a.len().max(b.len()) {
                for side in [&a, &b] {
                    if let Some(&cell) = side.get(k) {
                        order.push(PlannedRun { cell, repeat });
                    }
                }
            }
        }
    }
    order
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
name = "t"
description = "test suite"
[defaults]
ops_per_thread = 1000
repeats = 2
[[group]]
name = "all maps"
workloads = ["read-heavy"]
threads = [2]
rust = ["all"]
go = ["all"]
repeats = 1
[[group]]
workloads = ["exchange", "ycsb-a"]
threads = [1, 2]
rust = ["m-rust"]
go = ["m-go"]
[[group]]
workloads = ["exchange"]
threads = [1]
rust = ["u-rust", "m-rust"]
go = ["u-go"]
repeats = 3
"#;

    fn parse_str(text: &str) -> Result<Suite, SuiteError> {
        parse(text, Path::new("suites/t.toml"), &workload::workloads_dir())
    }

    fn err_of(text: &str) -> String {
        parse_str(text).expect_err("should be rejected").to_string()
    }

    /// The cells of a suite text that parses, against [`registries`].
    fn cells_of(text: &str) -> Result<(Vec<Cell>, Vec<Skipped>), SuiteError> {
        parse_str(text).unwrap().cells(&registries(), &Lang::ALL)
    }

    fn cells_err(text: &str) -> String {
        cells_of(text).expect_err("should be rejected").to_string()
    }

    fn entry(name: &str, max: Option<u32>) -> MapEntry {
        MapEntry {
            name: name.into(),
            max_threads: max,
            kinds: None,
            info: serde_json::json!({ "name": name }),
        }
    }

    fn registries() -> Registries {
        let mut r = Registries::default();
        r.by_lang.insert(
            Lang::Rust,
            vec![
                entry("u-rust", Some(1)),
                entry("m-rust", None),
                entry("d-rust", None),
            ],
        );
        r.by_lang
            .insert(Lang::Go, vec![entry("u-go", Some(1)), entry("m-go", None)]);
        r
    }

    #[test]
    fn good_suite_parses_with_defaults_applied() {
        let s = parse_str(GOOD).unwrap();
        assert_eq!(s.name, "t");
        assert_eq!(s.groups.len(), 3);
        let g = &s.groups[1];
        assert_eq!(g.repeats, 2);
        assert_eq!(g.threads, [1, 2]);
        assert_eq!(g.workloads[1].0, "ycsb-a");
        assert_eq!(g.workloads[1].2[1].threads, 2);
        assert_eq!(g.workloads[1].2[1].ops_per_thread, 1000);
        assert_eq!(g.runner, RunnerSettings::default());
        assert_eq!(s.groups[0].repeats, 1);
        assert_eq!(s.groups[0].rust, [MapSel::All]);
    }

    #[test]
    fn cells_resolve_all_skip_thread_limits_and_merge_duplicates() {
        let s = parse_str(GOOD).unwrap();
        let (cells, skipped) = s.cells(&registries(), &Lang::ALL).unwrap();
        let labels: Vec<String> = cells
            .iter()
            .map(|c| format!("{} r{}", c.label(), c.repeats))
            .collect();
        assert_eq!(
            labels,
            [
                "rust m-rust read-heavy t2 r1",
                "rust d-rust read-heavy t2 r1",
                "go m-go read-heavy t2 r1",
                // group 2 lists m-rust exchange t1 again with 3 repeats: merged
                "rust m-rust exchange t1 r3",
                "rust m-rust exchange t2 r2",
                "rust m-rust ycsb-a t1 r2",
                "rust m-rust ycsb-a t2 r2",
                "go m-go exchange t1 r2",
                "go m-go exchange t2 r2",
                "go m-go ycsb-a t1 r2",
                "go m-go ycsb-a t2 r2",
                "rust u-rust exchange t1 r3",
                "go u-go exchange t1 r3",
            ]
        );
        assert_eq!(skipped.len(), 2, "{skipped:?}");
        assert_eq!(cells[0].run_id("t", 1), "t-rust-m-rust-read-heavy-t2-r1");
        // Only one language.
        let (rust_only, _) = s.cells(&registries(), &[Lang::Rust]).unwrap();
        assert!(rust_only.iter().all(|c| c.lang == Lang::Rust));
    }

    #[test]
    fn a_map_without_the_workloads_kinds_is_skipped_named_or_not() {
        let text = r#"
name = "k"
description = "kinds"
[defaults]
ops_per_thread = 1000
[[group]]
name = "mixed kinds"
workloads = ["read-heavy", "matrix/matrix-1k-r90-uniform-string-boxed"]
threads = [2]
rust = ["g-rust", "m-rust"]
"#;
        let s = parse_str(text).unwrap();
        let mut r = Registries::default();
        let mut g = entry("g-rust", None);
        g.kinds = Some(vec!["u64/u64".into()]);
        let mut m = entry("m-rust", None);
        m.kinds = Some(vec!["u64/u64".into(), "string/boxed".into()]);
        r.by_lang.insert(Lang::Rust, vec![g, m]);
        let (cells, skipped) = s.cells(&r, &[Lang::Rust]).unwrap();
        let labels: Vec<String> = cells.iter().map(Cell::label).collect();
        assert_eq!(
            labels,
            [
                "rust g-rust read-heavy t2",
                "rust m-rust read-heavy t2",
                "rust m-rust matrix-1k-r90-uniform-string-boxed t2",
            ]
        );
        assert_eq!(skipped.len(), 1, "{skipped:?}");
        assert_eq!(skipped[0].map, "g-rust");
        assert!(
            skipped[0].reason.contains(
                "comes without string keys with boxed values (its --list-maps kinds: u64/u64)"
            ),
            "{}",
            skipped[0].reason
        );
        // A line without `kinds` (an older runner) is tried on every cell.
        r.by_lang.insert(
            Lang::Rust,
            vec![entry("g-rust", None), entry("m-rust", None)],
        );
        let (cells, skipped) = s.cells(&r, &[Lang::Rust]).unwrap();
        assert_eq!((cells.len(), skipped.len()), (4, 0));
    }

    #[test]
    fn an_explicit_map_over_its_thread_limit_is_an_error() {
        let text = GOOD.replace("rust = [\"m-rust\"]", "rust = [\"u-rust\"]");
        let e = cells_err(&text);
        assert!(
            e.starts_with("suites/t.toml: field `group[1].threads`: expected at most 1 thread(s) for rust map \"u-rust\""),
            "{e}"
        );
    }

    #[test]
    fn unknown_maps_are_rejected_with_the_valid_names() {
        let text = GOOD.replace("go = [\"u-go\"]", "go = [\"mutex-map\"]");
        let e = cells_err(&text);
        assert!(
            e.contains("field `group[2].go`: expected a map the go runner lists (--list-maps) or \"all\" or \"noop\": u-go, m-go, found \"mutex-map\""),
            "{e}"
        );
        // noop is always accepted.
        let text = GOOD.replace("go = [\"m-go\"]", "go = [\"noop\"]");
        assert!(cells_of(&text).is_ok());
    }

    #[test]
    fn conflicting_duplicates_are_rejected() {
        let text = format!(
            "{GOOD}\n[[group]]\nworkloads = [\"exchange\"]\nthreads = [1]\nrust = [\"m-rust\"]\nops_per_thread = 5\n"
        );
        let e = cells_err(&text);
        assert!(
            e.contains("field `group[3]`") && e.contains("run ids would collide"),
            "{e}"
        );
    }

    #[test]
    fn suite_errors_name_file_field_and_expectation() {
        let e = err_of(&GOOD.replace("threads = [2]", "threads = [0]"));
        assert_eq!(
            e,
            "suites/t.toml: field `group[0].threads`: expected thread counts from 1 to 1024, found 0"
        );
        let e = err_of(&GOOD.replace("threads = [2]", "threads = [2, 2]"));
        assert!(e.contains("each thread count once"), "{e}");
        let e = err_of(&GOOD.replace("repeats = 1", "repeats = 0"));
        assert_eq!(
            e,
            "suites/t.toml: field `group[0].repeats`: expected at least 1, found 0"
        );
        let e = err_of(&GOOD.replace("repeats = 2", "repeats = 0"));
        assert!(e.contains("field `defaults.repeats`"), "{e}");
        let e = err_of(&GOOD.replace("[\"read-heavy\"]", "[\"read-hevy\"]"));
        assert!(
            e.starts_with(
                "suites/t.toml: field `group[0].workloads[0]`: unknown workload `read-hevy`"
            ),
            "{e}"
        );
        let e = err_of(&GOOD.replace("ops_per_thread = 1000", "ops_per_thread = 0"));
        assert!(
            e.contains("group[0].workloads[0]") && e.contains("ops_per_thread (--ops-per-thread)"),
            "{e}"
        );
        let e = err_of(&GOOD.replace("name = \"t\"", "name = \"a b\""));
        assert!(e.contains("field `name`"), "{e}");
        let e = err_of(&GOOD.replace("rust = [\"all\"]\ngo = [\"all\"]", ""));
        assert!(
            e.contains("field `group[0].rust`: expected maps for at least one language"),
            "{e}"
        );
        let e = err_of(&GOOD.replace("go = [\"m-go\"]", "go = [\"m-go\", \"m-go\"]"));
        assert!(
            e.contains("field `group[1].go`: expected each map once"),
            "{e}"
        );
        let e = err_of(&GOOD.replace("repeats = 1", "repeat = 1"));
        assert!(
            e.starts_with("suites/t.toml: not a valid suite")
                && e.contains("unknown field `repeat`"),
            "{e}"
        );
        let e = err_of(&GOOD.replace(
            "ops_per_thread = 1000",
            "ops_per_thread = 1000\nwarmup_ops = 2000",
        ));
        assert!(
            e.contains("field `defaults.warmup_ops`: expected at most ops_per_thread (1000)"),
            "{e}"
        );
        let e = err_of("name = \"x\"\ndescription = \"d\"\n");
        assert!(
            e.contains("field `group`: expected at least one [[group]]"),
            "{e}"
        );
    }

    #[test]
    fn unknown_suite_lists_the_shipped_ones() {
        let e = resolve("no-such-suite", &suites_dir())
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("unknown suite `no-such-suite`") && e.contains("quick"),
            "{e}"
        );
    }

    #[test]
    fn shipped_suites_parse_and_are_named_after_their_file() {
        let names = workload::available_workloads(&suites_dir());
        for required in ["quick", "full", "long"] {
            assert!(
                names.iter().any(|n| n == required),
                "missing suites/{required}.toml"
            );
        }
        for name in &names {
            let path = suites_dir().join(format!("{name}.toml"));
            let s = load(&path, &workload::workloads_dir()).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(
                &s.name,
                name,
                "{}: name must match the file",
                path.display()
            );
        }
    }

    fn cell(lang: Lang, map: &str, workload: &str, threads: u32, repeats: u32) -> Cell {
        let spec = workload::resolve(workload, &workload::workloads_dir()).unwrap();
        let w = workload::load(
            &spec,
            Overrides {
                threads: Some(threads),
                ops_per_thread: Some(10),
                seed: None,
            },
        )
        .unwrap();
        Cell {
            lang,
            map: map.into(),
            workload: w,
            spec: Some(spec),
            repeats,
            runner: RunnerSettings::default(),
        }
    }

    #[test]
    fn runs_alternate_languages_and_interleave_repeats() {
        let cells = vec![
            cell(Lang::Rust, "r1", "read-heavy", 2, 3),
            cell(Lang::Rust, "r2", "read-heavy", 2, 3),
            cell(Lang::Rust, "r3", "read-heavy", 2, 1),
            cell(Lang::Go, "g1", "read-heavy", 2, 3),
            cell(Lang::Go, "g2", "read-heavy", 2, 3),
            cell(Lang::Rust, "r1", "exchange", 1, 3),
            cell(Lang::Go, "g1", "exchange", 1, 3),
        ];
        let order = order_runs(&cells);
        let names: Vec<String> = order
            .iter()
            .map(|p| {
                format!(
                    "{}:{}:{}",
                    cells[p.cell].map, cells[p.cell].workload.name, p.repeat
                )
            })
            .collect();
        assert_eq!(
            names,
            [
                // repeat 1: rust first, alternating; r3 runs out of partners at the end
                "r1:read-heavy:1",
                "g1:read-heavy:1",
                "r2:read-heavy:1",
                "g2:read-heavy:1",
                "r3:read-heavy:1",
                "r1:exchange:1",
                "g1:exchange:1",
                // repeat 2: go first
                "g1:read-heavy:2",
                "r1:read-heavy:2",
                "g2:read-heavy:2",
                "r2:read-heavy:2",
                "g1:exchange:2",
                "r1:exchange:2",
                // repeat 3: rust first again
                "r1:read-heavy:3",
                "g1:read-heavy:3",
                "r2:read-heavy:3",
                "g2:read-heavy:3",
                "r1:exchange:3",
                "g1:exchange:3",
            ]
        );
        // Every cell runs exactly `repeats` times, and repeat k+1 of any cell never
        // starts before repeat k of every cell is done.
        for (i, c) in cells.iter().enumerate() {
            assert_eq!(
                order.iter().filter(|p| p.cell == i).count() as u32,
                c.repeats
            );
        }
        assert!(order.windows(2).all(|w| w[0].repeat <= w[1].repeat));
    }

    #[test]
    fn within_a_block_no_language_runs_twice_in_a_row_while_both_have_maps() {
        let mut cells = Vec::new();
        for i in 0..5 {
            cells.push(cell(Lang::Rust, &format!("r{i}"), "read-heavy", 2, 2));
        }
        for i in 0..3 {
            cells.push(cell(Lang::Go, &format!("g{i}"), "read-heavy", 2, 2));
        }
        let order = order_runs(&cells);
        for repeat in 1..=2 {
            let langs: Vec<Lang> = order
                .iter()
                .filter(|p| p.repeat == repeat)
                .map(|p| cells[p.cell].lang)
                .collect();
            // 3 go maps: the first 6 runs alternate, then the remaining rust maps.
            assert!(langs[..6].windows(2).all(|w| w[0] != w[1]), "{langs:?}");
            assert!(langs[6..].iter().all(|&l| l == Lang::Rust), "{langs:?}");
        }
    }
}
