//! `manifest.json`: what a results directory holds and how it was made — the suite,
//! the commands, the toolchains, the host, the git commit, the traces, and every planned
//! run with its exit status. `mapbench run` rewrites it (atomically) after every run, so
//! an interrupted or crashed suite still says what finished.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::Context as _;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::host::{GitInfo, Host};
use crate::results::Lang;

pub const MANIFEST_FILE: &str = "manifest.json";
/// Bumped when a field is renamed or removed.
pub const MANIFEST_VERSION: u32 = 1;

/// The state of the whole suite.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SuiteStatus {
    /// Still running (or the orchestrator itself died: `ended_at` is then null).
    Running,
    /// Every run finished `ok`.
    Complete,
    /// Every run finished, some not `ok`.
    Failed,
    /// Stopped by Ctrl-C; finished runs are kept.
    Interrupted,
}

/// The state of one run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RunState {
    /// Not started yet.
    Pending,
    /// Exit 0 and a `run_end` with status ok.
    Ok,
    /// Non-zero exit, or a run file with status error, or none.
    Failed,
    /// Ended by a signal (other than the orchestrator's SIGINT) or without `run_end`.
    Killed,
    /// Exceeded the orchestrator's time limit and was stopped.
    Timeout,
    /// Stopped by Ctrl-C.
    Interrupted,
}

impl RunState {
    pub fn label(self) -> &'static str {
        match self {
            RunState::Pending => "pending",
            RunState::Ok => "ok",
            RunState::Failed => "failed",
            RunState::Killed => "killed",
            RunState::Timeout => "timeout",
            RunState::Interrupted => "interrupted",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SuiteRef {
    pub name: String,
    pub description: String,
    /// The suite file, or null for a suite built in code (`mapbench validate`).
    pub file: Option<String>,
    pub sha256: Option<String>,
}

/// How one runner binary was obtained.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunnerRecord {
    pub path: String,
    /// The build command, or null when the binary was given (`--rust-runner`/`--go-runner`).
    pub build_command: Option<Vec<String>>,
    pub build_cwd: Option<String>,
    pub build_seconds: Option<f64>,
    /// `rustc -V` / `go version`, when the toolchain is installed.
    pub toolchain: Option<String>,
    /// The runner's `--list-maps` output, one JSON object per map.
    pub maps: Vec<Value>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TraceRecord {
    pub workload: String,
    /// The workload spec, or null for a workload built in code.
    pub spec: Option<String>,
    pub threads: u32,
    pub ops_per_thread: u64,
    pub seed: u64,
    pub path: String,
    pub sha256: String,
    /// Taken from the cache (its `.sha256` matched) rather than generated.
    pub reused: bool,
}

/// One planned run and, once it ran, how it ended.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ManifestRun {
    pub run_id: String,
    /// Position in the run order, from 1.
    pub seq: usize,
    pub lang: Lang,
    pub map: String,
    pub workload: String,
    pub threads: u32,
    pub repeat: u32,
    pub ops_per_thread: u64,
    pub seed: u64,
    pub duration_ms: u64,
    pub trace_sha256: Option<String>,
    /// The exact command line.
    pub argv: Vec<String>,
    pub status: RunState,
    pub exit_code: Option<i32>,
    pub signal: Option<i32>,
    pub started_at: Option<String>,
    pub elapsed_s: Option<f64>,
    /// Why it failed (the end of the runner's stderr), or a warning.
    pub message: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    pub manifest_version: u32,
    pub generated_by: String,
    pub suite: SuiteRef,
    pub status: SuiteStatus,
    pub started_at: String,
    pub ended_at: Option<String>,
    /// The orchestrator's own command line.
    pub command: Vec<String>,
    pub options: BTreeMap<String, Value>,
    pub host: Host,
    pub git: GitInfo,
    pub runners: BTreeMap<String, RunnerRecord>,
    pub traces: Vec<TraceRecord>,
    pub runs: Vec<ManifestRun>,
    /// The process id of the `mapbench run` that writes this manifest, so a reader can
    /// tell a suite still running from one whose orchestrator was killed (absent in
    /// manifests written before it existed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub orchestrator_pid: Option<u32>,
}

/// How far a suite got, from its manifest: what `check` and `report` say about a suite
/// that has not ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SuiteProgress {
    /// Runs that ended (any state but pending).
    pub finished: usize,
    pub total: usize,
    /// Cells with a run that never ended: `lang map workload tN (k of n runs missing)`.
    pub missing_cells: Vec<String>,
    /// Whether the orchestrator is still alive: `Some(false)` when the manifest names a
    /// process on this host that is gone (or is not mapbench), `None` when it cannot tell.
    pub orchestrator_alive: Option<bool>,
}

impl SuiteProgress {
    /// One line: `stopped early: 3 of 10 runs finished; missing cells: …`.
    pub fn describe(&self) -> String {
        let head = match self.orchestrator_alive {
            Some(true) => "still running",
            Some(false) => "stopped early",
            None => "not finished (still running, or stopped early)",
        };
        let mut line = format!("{head}: {} of {} runs finished", self.finished, self.total);
        if !self.missing_cells.is_empty() {
            line.push_str("; missing cells: ");
            line.push_str(&self.missing_cells.join(", "));
        }
        line
    }
}

impl Manifest {
    pub fn read(path: &Path) -> anyhow::Result<Manifest> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("{}: cannot read", path.display()))?;
        let mut de = serde_json::Deserializer::from_str(&text);
        serde_path_to_error::deserialize(&mut de).map_err(|e| {
            anyhow::anyhow!(
                "{}: not a mapbench manifest: field `{}`: {}",
                path.display(),
                e.path(),
                e.inner()
            )
        })
    }

    /// Writes `DIR/manifest.json` atomically (temporary file, then rename), so a reader
    /// never sees half a manifest.
    pub fn write(&self, dir: &Path) -> anyhow::Result<()> {
        let path = dir.join(MANIFEST_FILE);
        let mut text = serde_json::to_string_pretty(self).context("encode manifest")?;
        text.push('\n');
        crate::files::write_atomic(&path, text)
            .with_context(|| format!("{}: cannot write", path.display()))
    }

    /// `Some` when the suite has not ended (status `running`): how many runs finished,
    /// which cells are missing, and whether the orchestrator is still alive.
    pub fn progress(&self) -> Option<SuiteProgress> {
        if self.status != SuiteStatus::Running {
            return None;
        }
        type Cell<'a> = (&'a str, &'a str, &'a str, u32);
        let mut cells: BTreeMap<Cell<'_>, (usize, usize)> = BTreeMap::new();
        for r in &self.runs {
            let c = cells
                .entry((r.lang.name(), &r.map, &r.workload, r.threads))
                .or_default();
            c.1 += 1;
            if r.status == RunState::Pending {
                c.0 += 1;
            }
        }
        let missing_cells = cells
            .iter()
            .filter(|(_, (missing, _))| *missing > 0)
            .map(|((lang, map, workload, threads), (missing, of))| {
                format!("{lang} {map} {workload} t{threads} ({missing} of {of} runs missing)")
            })
            .collect();
        Some(SuiteProgress {
            finished: self
                .runs
                .iter()
                .filter(|r| r.status != RunState::Pending)
                .count(),
            total: self.runs.len(),
            missing_cells,
            orchestrator_alive: self.orchestrator_alive(),
        })
    }

    /// Is the orchestrator that wrote this manifest alive? Only answerable on the host that
    /// ran it, with a recorded pid: `/proc/<pid>/cmdline` must exist and name mapbench.
    fn orchestrator_alive(&self) -> Option<bool> {
        let pid = self.orchestrator_pid?;
        let here = crate::host::Host::current().hostname;
        if here.is_none() || here != self.host.hostname {
            return None;
        }
        if !Path::new("/proc/self/cmdline").exists() {
            return None;
        }
        Some(
            std::fs::read(format!("/proc/{pid}/cmdline"))
                .is_ok_and(|c| String::from_utf8_lossy(&c).contains("mapbench")),
        )
    }

    /// Counts of runs by state.
    pub fn counts(&self) -> BTreeMap<&'static str, usize> {
        let mut c = BTreeMap::new();
        for r in &self.runs {
            *c.entry(r.status.label()).or_insert(0) += 1;
        }
        c
    }
}
