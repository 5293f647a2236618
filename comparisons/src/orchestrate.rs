//! `mapbench run`: build the runners, generate each trace once, run every cell of a
//! suite as a subprocess in an interleaved order, and keep a manifest of it all.
//!
//! A results directory (`results/<suite>/<UTC timestamp>/` by default) holds
//!
//! ```text
//! manifest.json          the suite, commands, toolchains, host, commit, every run and its status
//! bench.txt              config header (goos, goarch, cpu, commit, suite), then one line per ok run
//! <run_id>.jsonl/.hlog   what each runner wrote (RUNNER-SPEC.md)
//! logs/<run_id>.stdout|.stderr
//! ```
//!
//! The manifest is rewritten after every run. A runner that fails is recorded and the
//! suite goes on; Ctrl-C stops the current runner (SIGINT), keeps everything finished,
//! marks the manifest `interrupted` and exits 130.

use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::{IsTerminal as _, Write as _};
use std::os::unix::process::ExitStatusExt as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant, SystemTime};

use anyhow::{Context as _, anyhow};
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::{Value, json};

use crate::host::{self, GitInfo, Host};
use crate::manifest::{Manifest, ManifestRun, RunState, SuiteRef, SuiteStatus, TraceRecord};
use crate::results::{self, Lang, Outcome};
use crate::runners::{self, Runner, RunnerSource};
use crate::suite::{self, Cell, PlannedRun, Registries, Skipped};
use crate::trace;
use crate::workload::{self, Workload};

/// How a command failed: bad input exits 2, anything else 1.
#[derive(Debug)]
pub enum Failure {
    BadInput(anyhow::Error),
    Failed(anyhow::Error),
}

impl From<runners::RunnerError> for Failure {
    fn from(e: runners::RunnerError) -> Failure {
        if e.is_bad_input() {
            Failure::BadInput(e.into())
        } else {
            Failure::Failed(e.into())
        }
    }
}

/// The exit status of an interrupted suite (128 + SIGINT, as a shell reports it).
pub const EXIT_INTERRUPTED: u8 = 130;

static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// Installs the Ctrl-C handler (once per process): it only sets a flag, which the run
/// loop polls; the loop then stops the runner it owns.
pub fn install_interrupt_handler() -> anyhow::Result<()> {
    static INSTALLED: OnceLock<Result<(), String>> = OnceLock::new();
    INSTALLED
        .get_or_init(|| {
            ctrlc::set_handler(|| INTERRUPTED.store(true, Ordering::SeqCst))
                .map_err(|e| e.to_string())
        })
        .clone()
        .map_err(|e| anyhow!("cannot install the Ctrl-C handler: {e}"))
}

pub fn interrupted() -> bool {
    INTERRUPTED.load(Ordering::SeqCst)
}

/// A trace ready to replay.
#[derive(Debug, Clone)]
pub struct PreparedTrace {
    pub path: PathBuf,
    pub sha256: String,
    pub reused: bool,
}

/// The cache file for a workload (with threads, ops and seed applied): named for humans,
/// keyed by a hash of every parameter, so an edited spec never reuses a stale trace.
pub fn trace_cache_path(cache_dir: &Path, w: &Workload) -> PathBuf {
    let key = trace::sha256_hex(format!("{w:?}").as_bytes());
    cache_dir.join(format!(
        "{}-t{}-n{}-s{}-{}.trace",
        w.name,
        w.threads,
        w.ops_per_thread,
        w.seed,
        &key[..12]
    ))
}

/// Returns the cached trace when its `.sha256` matches its bytes, else generates it.
pub fn ensure_trace(cache_dir: &Path, w: &Workload) -> anyhow::Result<PreparedTrace> {
    let path = trace_cache_path(cache_dir, w);
    if let Some(sha256) = cached_sha256(&path) {
        return Ok(PreparedTrace {
            path,
            sha256,
            reused: true,
        });
    }
    std::fs::create_dir_all(cache_dir)
        .with_context(|| format!("{}: cannot create the trace cache", cache_dir.display()))?;
    let written = trace::write_trace_file(w, &path)?;
    Ok(PreparedTrace {
        path,
        sha256: written.sha256,
        reused: false,
    })
}

/// The digest of a cached trace if its sidecar records exactly that digest.
fn cached_sha256(path: &Path) -> Option<String> {
    let recorded = std::fs::read_to_string(trace::sha256_path(path)).ok()?;
    let recorded = recorded.split_whitespace().next()?.to_ascii_lowercase();
    let bytes = std::fs::read(path).ok()?;
    let actual = trace::sha256_hex(&bytes);
    (actual == recorded).then_some(actual)
}

/// What to run: cells in order, ready to execute.
#[derive(Debug, Clone)]
pub struct Plan {
    pub suite: SuiteRef,
    pub cells: Vec<Cell>,
    pub order: Vec<PlannedRun>,
    pub skipped: Vec<Skipped>,
}

impl Plan {
    pub fn run_id(&self, p: &PlannedRun) -> String {
        self.cells[p.cell].run_id(&self.suite.name, p.repeat)
    }

    /// How many distinct cells the run order visits.
    pub fn cells_in_order(&self) -> usize {
        let mut cells: Vec<usize> = self.order.iter().map(|p| p.cell).collect();
        cells.sort_unstable();
        cells.dedup();
        cells.len()
    }

    /// Keeps the runs whose id contains `substr`.
    pub fn filter(&mut self, substr: &str) {
        let keep: Vec<PlannedRun> = self
            .order
            .iter()
            .filter(|p| self.run_id(p).contains(substr))
            .copied()
            .collect();
        self.order = keep;
    }
}

/// Where and with what to execute a plan.
pub struct ExecConfig<'a> {
    pub out_dir: &'a Path,
    pub runners: &'a BTreeMap<Lang, Runner>,
    pub trace_cache: &'a Path,
    /// Stop a runner that takes longer (SIGINT, then SIGKILL 10 s later); `None`: no limit.
    pub run_timeout: Option<Duration>,
    pub command: Vec<String>,
    pub options: BTreeMap<String, Value>,
    pub repo: &'a Path,
}

/// How an execution ended.
#[derive(Debug)]
pub struct ExecOutcome {
    pub manifest: Manifest,
    pub interrupted: bool,
}

impl ExecOutcome {
    pub fn all_ok(&self) -> bool {
        !self.interrupted && self.manifest.runs.iter().all(|r| r.status == RunState::Ok)
    }
}

/// Runs a plan into `cfg.out_dir` (created; must not hold results already).
pub fn execute(plan: &Plan, cfg: &ExecConfig<'_>) -> Result<ExecOutcome, Failure> {
    let out = cfg.out_dir;
    if out.join(crate::manifest::MANIFEST_FILE).exists()
        || results::run_files(out).is_ok_and(|f| !f.is_empty())
    {
        return Err(Failure::BadInput(anyhow!(
            "{}: already holds results (manifest.json or *.jsonl); choose another --out",
            out.display()
        )));
    }
    let logs = out.join("logs");
    std::fs::create_dir_all(&logs)
        .with_context(|| format!("{}: cannot create", logs.display()))
        .map_err(Failure::Failed)?;
    let host = Host::current();
    let git = GitInfo::of(cfg.repo);
    let mut manifest = new_manifest(plan, cfg, &host, &git);
    let failed = |e: anyhow::Error| Failure::Failed(e);
    manifest.write(out).map_err(failed)?;
    write_bench_header(&out.join("bench.txt"), &host, &git, &plan.suite.name).map_err(failed)?;
    let traces = prepare_traces(plan, cfg.trace_cache, &mut manifest).map_err(failed)?;
    list_runs(plan, cfg, &traces, &mut manifest);
    manifest.write(out).map_err(failed)?;
    let was_interrupted = run_all(plan, cfg, &logs, &mut manifest).map_err(failed)?;

    manifest.ended_at = Some(host::now_rfc3339());
    manifest.status = if was_interrupted {
        SuiteStatus::Interrupted
    } else if manifest.runs.iter().all(|r| r.status == RunState::Ok) {
        SuiteStatus::Complete
    } else {
        SuiteStatus::Failed
    };
    manifest.write(out).map_err(failed)?;
    Ok(ExecOutcome {
        manifest,
        interrupted: was_interrupted,
    })
}

/// The manifest of a suite that is starting: no traces or runs yet.
fn new_manifest(plan: &Plan, cfg: &ExecConfig<'_>, host: &Host, git: &GitInfo) -> Manifest {
    Manifest {
        manifest_version: crate::manifest::MANIFEST_VERSION,
        generated_by: format!("mapbench {}", env!("CARGO_PKG_VERSION")),
        suite: plan.suite.clone(),
        status: SuiteStatus::Running,
        started_at: host::now_rfc3339(),
        ended_at: None,
        command: cfg.command.clone(),
        options: cfg.options.clone(),
        host: host.clone(),
        git: git.clone(),
        runners: cfg
            .runners
            .iter()
            .map(|(l, r)| (l.name().to_owned(), r.record.clone()))
            .collect(),
        traces: Vec::new(),
        runs: Vec::new(),
        orchestrator_pid: Some(std::process::id()),
    }
}

/// Each trace once, in the order runs first need it (stopping early on Ctrl-C), each
/// recorded in the manifest.
fn prepare_traces(
    plan: &Plan,
    trace_cache: &Path,
    manifest: &mut Manifest,
) -> anyhow::Result<Vec<(Workload, PreparedTrace)>> {
    let mut traces: Vec<(Workload, PreparedTrace)> = Vec::new();
    for p in &plan.order {
        let cell = &plan.cells[p.cell];
        if traces.iter().any(|(w, _)| *w == cell.workload) {
            continue;
        }
        if interrupted() {
            break;
        }
        let w = &cell.workload;
        let started = Instant::now();
        let t = ensure_trace(trace_cache, w)?;
        eprintln!(
            "mapbench: trace {} t{} × {} ops (seed {}): {} {}",
            w.name,
            w.threads,
            w.ops_per_thread,
            w.seed,
            if t.reused {
                "reused".to_owned()
            } else {
                format!("generated in {:.1} s", started.elapsed().as_secs_f64())
            },
            t.path.display()
        );
        manifest.traces.push(TraceRecord {
            workload: w.name.clone(),
            spec: cell.spec.as_ref().map(|p| p.display().to_string()),
            threads: w.threads,
            ops_per_thread: w.ops_per_thread,
            seed: w.seed,
            path: t.path.display().to_string(),
            sha256: t.sha256.clone(),
            reused: t.reused,
        });
        traces.push((w.clone(), t));
    }
    Ok(traces)
}

/// Every planned run into the manifest, pending, with its exact command.
fn list_runs(
    plan: &Plan,
    cfg: &ExecConfig<'_>,
    traces: &[(Workload, PreparedTrace)],
    manifest: &mut Manifest,
) {
    for (seq, p) in plan.order.iter().enumerate() {
        let cell = &plan.cells[p.cell];
        let run_id = plan.run_id(p);
        let trace = traces
            .iter()
            .find(|(w, _)| *w == cell.workload)
            .map(|(_, t)| t);
        let trace_path = trace.map_or_else(|| PathBuf::from("(not generated)"), |t| t.path.clone());
        let runner = &cfg.runners[&cell.lang];
        let mut argv = vec![runner.path.display().to_string()];
        argv.extend(runners::run_args(
            &trace_path,
            &cell.map,
            cfg.out_dir,
            &run_id,
            &cell.runner,
        ));
        manifest.runs.push(ManifestRun {
            run_id,
            seq: seq + 1,
            lang: cell.lang,
            map: cell.map.clone(),
            workload: cell.workload.name.clone(),
            threads: cell.threads(),
            repeat: p.repeat,
            ops_per_thread: cell.workload.ops_per_thread,
            seed: cell.workload.seed,
            duration_ms: cell.runner.duration_ms,
            trace_sha256: trace.map(|t| t.sha256.clone()),
            argv,
            status: RunState::Pending,
            exit_code: None,
            signal: None,
            started_at: None,
            elapsed_s: None,
            message: None,
        });
    }
}

/// Runs the manifest's runs in order, rewriting the manifest after each, until the end
/// or Ctrl-C; returns whether it was interrupted.
fn run_all(
    plan: &Plan,
    cfg: &ExecConfig<'_>,
    logs: &Path,
    manifest: &mut Manifest,
) -> anyhow::Result<bool> {
    let out = cfg.out_dir;
    let mut progress = Progress::new(plan.order.len());
    let mut was_interrupted = interrupted();
    for seq in 0..plan.order.len() {
        if was_interrupted || interrupted() {
            was_interrupted = true;
            break;
        }
        let cell = &plan.cells[plan.order[seq].cell];
        let run = &mut manifest.runs[seq];
        let label = format!("{} r{}", cell.label(), run.repeat);
        progress.begin(seq, &label, cell.runner.duration_ms);
        run.started_at = Some(host::now_rfc3339());
        let timeout = cfg
            .run_timeout
            .map(|t| t + Duration::from_millis(cell.runner.duration_ms));
        let result = run_one(&run.argv, out, logs, &run.run_id, timeout);
        run.status = result.state;
        run.exit_code = result.exit_code;
        run.signal = result.signal;
        run.elapsed_s = Some(result.elapsed.as_secs_f64());
        run.message = result.message.clone();
        if result.state == RunState::Ok
            && let Some(line) = &result.bench_line
        {
            append_line(&out.join("bench.txt"), line)?;
        }
        manifest.write(out)?;
        progress.end(seq, &label, &result);
        if result.state == RunState::Interrupted {
            was_interrupted = true;
        }
    }
    progress.finish();
    Ok(was_interrupted)
}

fn write_bench_header(path: &Path, host: &Host, git: &GitInfo, suite: &str) -> anyhow::Result<()> {
    let mut f = File::create(path).with_context(|| format!("{}: cannot create", path.display()))?;
    writeln!(f, "goos: {}", host.goos)?;
    writeln!(f, "goarch: {}", host.goarch)?;
    writeln!(f, "cpu: {}", host.cpu_model.as_deref().unwrap_or("unknown"))?;
    writeln!(f, "commit: {}", git.describe())?;
    writeln!(f, "suite: {suite}")?;
    Ok(())
}

fn append_line(path: &Path, line: &str) -> anyhow::Result<()> {
    let mut f = OpenOptions::new()
        .append(true)
        .create(true)
        .open(path)
        .with_context(|| format!("{}: cannot open", path.display()))?;
    writeln!(f, "{}", line.trim_end()).with_context(|| format!("{}: cannot write", path.display()))
}

/// How one runner process ended.
#[derive(Debug, Clone)]
pub struct RunResult {
    pub state: RunState,
    pub exit_code: Option<i32>,
    pub signal: Option<i32>,
    pub elapsed: Duration,
    pub message: Option<String>,
    pub bench_line: Option<String>,
}

/// After SIGINT, how long a runner gets to write its last interval before SIGKILL.
const GRACE: Duration = Duration::from_secs(10);

/// Runs one runner to completion (or interruption), its stdout and stderr into `logs/`,
/// and classifies the ending from its exit status and its run file.
pub fn run_one(
    argv: &[String],
    out_dir: &Path,
    logs: &Path,
    run_id: &str,
    timeout: Option<Duration>,
) -> RunResult {
    let started = Instant::now();
    let fail = |message: String| RunResult {
        state: RunState::Failed,
        exit_code: None,
        signal: None,
        elapsed: started.elapsed(),
        message: Some(message),
        bench_line: None,
    };
    let stdout_path = logs.join(format!("{run_id}.stdout"));
    let stderr_path = logs.join(format!("{run_id}.stderr"));
    let (stdout, stderr) = match (File::create(&stdout_path), File::create(&stderr_path)) {
        (Ok(o), Ok(e)) => (o, e),
        (Err(e), _) | (_, Err(e)) => {
            return fail(format!("{}: cannot create log: {e}", logs.display()));
        }
    };
    let mut child = match Command::new(&argv[0])
        .args(&argv[1..])
        .stdin(Stdio::null())
        .stdout(stdout)
        .stderr(stderr)
        .spawn()
    {
        Ok(c) => c,
        Err(e) => return fail(format!("cannot start {}: {e}", argv[0])),
    };
    let (status, stopped) = match wait_for_runner(&mut child, started, timeout) {
        Ok(ended) => ended,
        Err(message) => return fail(message),
    };
    let elapsed = started.elapsed();
    let stdout_text = std::fs::read_to_string(&stdout_path).unwrap_or_default();
    let bench_line = stdout_text
        .lines()
        .rev()
        .find(|l| l.starts_with("Benchmark"))
        .map(str::to_owned);
    let stderr_tail = tail(
        &std::fs::read_to_string(&stderr_path).unwrap_or_default(),
        6,
    );
    let run_file = out_dir.join(format!("{run_id}.jsonl"));
    let file_outcome = if run_file.is_file() {
        results::read_run(&run_file)
            .map(|r| r.outcome())
            .map_err(|e| e.to_string())
    } else {
        Err(format!("{}: not written", run_file.display()))
    };
    let ending = RunnerEnding {
        stopped,
        exit_code: status.code(),
        signal: status.signal(),
        elapsed,
        stderr_tail,
        file_outcome,
        has_bench_line: bench_line.is_some(),
    };
    let (state, message) = ending.classify();
    RunResult {
        state,
        exit_code: ending.exit_code,
        signal: ending.signal,
        elapsed,
        message,
        bench_line,
    }
}

/// Waits for the runner, polling for Ctrl-C and the time limit; on either it sends
/// SIGINT, then SIGKILL [`GRACE`] later. Returns the exit status and why the runner was
/// stopped, if it was.
fn wait_for_runner(
    child: &mut std::process::Child,
    started: Instant,
    timeout: Option<Duration>,
) -> Result<(std::process::ExitStatus, Option<RunState>), String> {
    // Sleep briefly at first (most runs are short), then poll every 50 ms.
    let mut nap = Duration::from_millis(2);
    let mut stopping: Option<(Instant, RunState)> = None;
    let mut sigkilled = false;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) => {}
            Err(e) => return Err(format!("cannot wait for the runner: {e}")),
        }
        match stopping {
            None => {
                let why = if interrupted() {
                    Some(RunState::Interrupted)
                } else if timeout.is_some_and(|t| started.elapsed() > t) {
                    Some(RunState::Timeout)
                } else {
                    None
                };
                if let Some(state) = why {
                    // The child is not reaped yet, so its pid is still ours to signal.
                    if let Ok(pid) = i32::try_from(child.id()) {
                        // SAFETY: kill(2) has no memory-safety preconditions.
                        unsafe { libc::kill(pid, libc::SIGINT) };
                    }
                    stopping = Some((Instant::now(), state));
                }
            }
            Some((since, _)) if !sigkilled && since.elapsed() > GRACE => {
                let _ = child.kill();
                sigkilled = true;
            }
            Some(_) => {}
        }
        std::thread::sleep(nap);
        nap = (nap * 2).min(Duration::from_millis(50));
    };
    Ok((status, stopping.map(|(_, s)| s)))
}

/// What is known about how a runner ended: enough to classify it.
struct RunnerEnding {
    /// Why the orchestrator stopped it (Ctrl-C or the time limit), if it did.
    stopped: Option<RunState>,
    exit_code: Option<i32>,
    signal: Option<i32>,
    elapsed: Duration,
    /// The last lines of its stderr, joined.
    stderr_tail: String,
    /// Its run file's outcome, or why the file could not be read.
    file_outcome: Result<Outcome, String>,
    has_bench_line: bool,
}

impl RunnerEnding {
    /// The run's state and the message that explains it.
    fn classify(&self) -> (RunState, Option<String>) {
        let (exit_code, signal) = (self.exit_code, self.signal);
        let describe_exit = match (exit_code, signal) {
            (Some(c), _) => format!("exit status {c}"),
            (None, Some(s)) => format!("killed by signal {s}"),
            (None, None) => "unknown exit".to_owned(),
        };
        let with_stderr = |m: String| {
            if self.stderr_tail.is_empty() {
                m
            } else {
                format!("{m}; stderr: {}", self.stderr_tail)
            }
        };
        match self.stopped {
            Some(RunState::Timeout) => (
                RunState::Timeout,
                Some(format!(
                    "stopped after {:.0} s (time limit)",
                    self.elapsed.as_secs_f64()
                )),
            ),
            Some(_) => (RunState::Interrupted, Some("stopped by Ctrl-C".to_owned())),
            None if exit_code == Some(130) || signal == Some(libc::SIGINT) => (
                RunState::Interrupted,
                Some(format!("the runner was interrupted ({describe_exit})")),
            ),
            None if signal.is_some() => (RunState::Killed, Some(with_stderr(describe_exit))),
            None if exit_code != Some(0) => (RunState::Failed, Some(with_stderr(describe_exit))),
            None => match &self.file_outcome {
                Ok(Outcome::Ok) => (
                    RunState::Ok,
                    (!self.has_bench_line).then(|| "no Benchmark line on stdout".to_owned()),
                ),
                Ok(Outcome::Error(e)) => {
                    (RunState::Failed, Some(format!("run_end status error: {e}")))
                }
                Ok(Outcome::Killed) => (
                    RunState::Killed,
                    Some("exit status 0 but the run file has no run_end".to_owned()),
                ),
                Ok(Outcome::Interrupted) => (
                    RunState::Interrupted,
                    Some("run_end status interrupted".to_owned()),
                ),
                Err(e) => (RunState::Failed, Some(format!("exit status 0 but {e}"))),
            },
        }
    }
}

fn tail(text: &str, lines: usize) -> String {
    let v: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    v[v.len().saturating_sub(lines)..].join(" | ")
}

/// A bar over all runs when stderr is a terminal; plain log lines otherwise (CI).
struct Progress {
    bar: Option<ProgressBar>,
    total: usize,
    started: Instant,
    done: usize,
}

impl Progress {
    fn new(total: usize) -> Progress {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = ProgressBar::new(total as u64);
            bar.set_style(
                ProgressStyle::with_template(
                    "{elapsed_precise} [{bar:30.cyan/blue}] {pos}/{len} ETA {eta} {wide_msg}",
                )
                .expect("valid template")
                .progress_chars("=> "),
            );
            bar.enable_steady_tick(Duration::from_millis(500));
            bar
        });
        Progress {
            bar,
            total,
            started: Instant::now(),
            done: 0,
        }
    }

    fn begin(&self, seq: usize, label: &str, duration_ms: u64) {
        match &self.bar {
            Some(bar) => bar.set_message(label.to_owned()),
            // Long runs get a start line too, so a quiet log is not mistaken for a hang.
            None if duration_ms >= 10_000 => eprintln!(
                "mapbench: [{}/{}] {label}: started ({} s)",
                seq + 1,
                self.total,
                duration_ms / 1000
            ),
            None => {}
        }
    }

    fn end(&mut self, seq: usize, label: &str, r: &RunResult) {
        self.done += 1;
        let note = r
            .message
            .as_deref()
            .map(|m| format!(": {m}"))
            .unwrap_or_default();
        match &self.bar {
            Some(bar) => {
                bar.inc(1);
                if r.state != RunState::Ok {
                    bar.println(format!("mapbench: {label}: {}{note}", r.state.label()));
                }
            }
            None => {
                let per_run = self.started.elapsed().as_secs_f64() / self.done as f64;
                let eta = per_run * (self.total - self.done) as f64;
                eprintln!(
                    "mapbench: [{}/{}] {label}: {} in {:.2} s (ETA {}){note}",
                    seq + 1,
                    self.total,
                    r.state.label(),
                    r.elapsed.as_secs_f64(),
                    format_duration(eta)
                );
            }
        }
    }

    fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

/// `1h 02m`, `4m 05s`, `12s`.
pub fn format_duration(secs: f64) -> String {
    let s = secs.max(0.0).round() as u64;
    match (s / 3600, s / 60 % 60, s % 60) {
        (0, 0, s) => format!("{s}s"),
        (0, m, s) => format!("{m}m {s:02}s"),
        (h, m, _) => format!("{h}h {m:02}m"),
    }
}

/// `mapbench run`'s options.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    pub suite: String,
    pub out: Option<PathBuf>,
    pub only_lang: Option<Lang>,
    pub filter: Option<String>,
    pub dry_run: bool,
    pub rust_runner: Option<PathBuf>,
    pub go_runner: Option<PathBuf>,
    pub trace_cache: Option<PathBuf>,
    pub run_timeout: Option<Duration>,
    pub workloads_dir: PathBuf,
    pub suites_dir: PathBuf,
}

/// What `mapbench run` did.
#[derive(Debug)]
pub enum RunSummary {
    DryRun,
    /// Ctrl-C before any run started.
    InterruptedBeforeRuns,
    Executed {
        out: PathBuf,
        outcome: Box<ExecOutcome>,
    },
}

/// Builds (or takes) the runners for `langs`, in order, stopping at the first problem.
pub fn prepare_runners(
    langs: &[Lang],
    rust_runner: Option<&Path>,
    go_runner: Option<&Path>,
    repo: &Path,
) -> Result<BTreeMap<Lang, Runner>, Failure> {
    let mut runners = BTreeMap::new();
    for &lang in langs {
        let given = match lang {
            Lang::Rust => rust_runner,
            Lang::Go => go_runner,
        };
        if given.is_none() {
            eprintln!("mapbench: building the {lang} runner");
        }
        let r = runners::prepare(
            &RunnerSource {
                lang,
                given: given.map(Path::to_path_buf),
            },
            repo,
        )?;
        eprintln!(
            "mapbench: {lang} runner {} ({} maps)",
            r.path.display(),
            r.maps.len()
        );
        runners.insert(lang, r);
        if interrupted() {
            break;
        }
    }
    Ok(runners)
}

/// `mapbench run`.
pub fn run_suite(opts: &RunOptions) -> Result<RunSummary, Failure> {
    let bad = |e: anyhow::Error| Failure::BadInput(e);
    let spec = suite::resolve(&opts.suite, &opts.suites_dir).map_err(|e| bad(e.into()))?;
    let s = suite::load(&spec, &opts.workloads_dir).map_err(|e| bad(e.into()))?;
    let langs: Vec<Lang> = Lang::ALL
        .into_iter()
        .filter(|l| opts.only_lang.is_none_or(|o| o == *l))
        .filter(|&l| s.groups.iter().any(|g| !g.maps(l).is_empty()))
        .collect();
    if langs.is_empty() {
        return Err(bad(anyhow!(
            "{}: no group lists maps for {}",
            spec.display(),
            opts.only_lang
                .map_or("any language".into(), |l| l.to_string())
        )));
    }
    install_interrupt_handler().map_err(Failure::Failed)?;
    let repo = runners::repo_root();
    let runners = prepare_runners(
        &langs,
        opts.rust_runner.as_deref(),
        opts.go_runner.as_deref(),
        &repo,
    )?;
    if interrupted() {
        eprintln!("mapbench: interrupted while preparing the runners; nothing ran");
        return Ok(RunSummary::InterruptedBeforeRuns);
    }
    let plan = suite_plan(&s, &spec, &runners, &langs, opts.filter.as_deref())?;
    let stamp = host::compact_stamp(SystemTime::now());
    let out = opts
        .out
        .clone()
        .unwrap_or_else(|| repo.join("results").join(&s.name).join(stamp));
    let trace_cache = opts
        .trace_cache
        .clone()
        .unwrap_or_else(|| runners::target_dir(&repo).join("traces"));
    for sk in &plan.skipped {
        eprintln!(
            "mapbench: skipping {} {} {} t{}: {}",
            sk.lang, sk.map, sk.workload, sk.threads, sk.reason
        );
    }
    if opts.dry_run {
        print_plan(&plan, &runners, &out, &trace_cache);
        return Ok(RunSummary::DryRun);
    }
    let cfg = ExecConfig {
        out_dir: &out,
        runners: &runners,
        trace_cache: &trace_cache,
        run_timeout: opts.run_timeout,
        command: std::env::args().collect(),
        options: run_options(opts, &out, &trace_cache, &plan.skipped),
        repo: &repo,
    };
    eprintln!(
        "mapbench: suite {}: {} runs ({} cells) into {}",
        s.name,
        plan.order.len(),
        plan.cells_in_order(),
        out.display()
    );
    let outcome = execute(&plan, &cfg)?;
    report(&outcome, &out);
    Ok(RunSummary::Executed {
        out,
        outcome: Box::new(outcome),
    })
}

/// The suite's cells for the runners' maps, in run order, kept to the runs whose id
/// contains `filter` (which must match one).
fn suite_plan(
    s: &suite::Suite,
    spec: &Path,
    runners: &BTreeMap<Lang, Runner>,
    langs: &[Lang],
    filter: Option<&str>,
) -> Result<Plan, Failure> {
    let bad = |e: anyhow::Error| Failure::BadInput(e);
    let registries = Registries {
        by_lang: runners.iter().map(|(l, r)| (*l, r.maps.clone())).collect(),
    };
    let (cells, skipped) = s.cells(&registries, langs).map_err(|e| bad(e.into()))?;
    let order = suite::order_runs(&cells);
    let mut plan = Plan {
        suite: SuiteRef {
            name: s.name.clone(),
            description: s.description.clone(),
            file: Some(spec.display().to_string()),
            sha256: Some(s.sha256.clone()),
        },
        cells,
        order,
        skipped,
    };
    if let Some(f) = filter {
        plan.filter(f);
        if plan.order.is_empty() {
            return Err(bad(anyhow!(
                "--filter {f:?}: matches no run id of suite {} (ids look like {})",
                s.name,
                plan.cells
                    .first()
                    .map_or_else(String::new, |c| c.run_id(&s.name, 1))
            )));
        }
    }
    Ok(plan)
}

/// The options a manifest records for `mapbench run`.
fn run_options(
    opts: &RunOptions,
    out: &Path,
    trace_cache: &Path,
    skipped: &[Skipped],
) -> BTreeMap<String, Value> {
    let mut options = BTreeMap::new();
    options.insert("suite".into(), json!(opts.suite));
    options.insert("out".into(), json!(out.display().to_string()));
    options.insert("only_lang".into(), json!(opts.only_lang.map(Lang::name)));
    options.insert("filter".into(), json!(opts.filter));
    options.insert(
        "trace_cache".into(),
        json!(trace_cache.display().to_string()),
    );
    options.insert(
        "run_timeout_s".into(),
        json!(opts.run_timeout.map(|d| d.as_secs())),
    );
    options.insert(
        "skipped".into(),
        json!(
            skipped
                .iter()
                .map(|k| format!(
                    "{} {} {} t{}: {}",
                    k.lang, k.map, k.workload, k.threads, k.reason
                ))
                .collect::<Vec<_>>()
        ),
    );
    options
}

/// The closing lines: counts, failures, where the results are.
pub fn report(outcome: &ExecOutcome, out: &Path) {
    let m = &outcome.manifest;
    let counts = m.counts();
    let finished: usize = counts
        .iter()
        .filter(|(k, _)| **k != "pending")
        .map(|(_, v)| v)
        .sum();
    let breakdown: Vec<String> = counts.iter().map(|(k, v)| format!("{v} {k}")).collect();
    for r in m
        .runs
        .iter()
        .filter(|r| !matches!(r.status, RunState::Ok | RunState::Pending))
    {
        eprintln!(
            "mapbench: {} {}: {}",
            r.status.label(),
            r.run_id,
            r.message.as_deref().unwrap_or("")
        );
    }
    if outcome.interrupted {
        eprintln!(
            "mapbench: interrupted: {finished} of {} runs finished ({}); results so far in {} (manifest.json says interrupted)",
            m.runs.len(),
            breakdown.join(", "),
            out.display()
        );
    } else {
        eprintln!(
            "mapbench: {} runs: {}; results in {}",
            m.runs.len(),
            breakdown.join(", "),
            out.display()
        );
    }
}

fn print_plan(plan: &Plan, runners: &BTreeMap<Lang, Runner>, out: &Path, cache: &Path) {
    println!(
        "# suite {} ({}): {} runs in {} cells; results would go to {}",
        plan.suite.name,
        plan.suite.file.as_deref().unwrap_or("built in"),
        plan.order.len(),
        plan.cells_in_order(),
        out.display()
    );
    for r in runners.values() {
        println!("# {} runner: {}", r.lang, r.path.display());
    }
    let mut seen: Vec<&Workload> = Vec::new();
    for p in &plan.order {
        let w = &plan.cells[p.cell].workload;
        if seen.contains(&w) {
            continue;
        }
        seen.push(w);
        let path = trace_cache_path(cache, w);
        let state = if cached_sha256(&path).is_some() {
            "cached"
        } else {
            "to generate"
        };
        println!(
            "# trace {} t{} × {} ops, seed {}: {} ({state})",
            w.name,
            w.threads,
            w.ops_per_thread,
            w.seed,
            path.display()
        );
    }
    for (i, p) in plan.order.iter().enumerate() {
        let cell = &plan.cells[p.cell];
        let trace = trace_cache_path(cache, &cell.workload);
        let args = runners::run_args(&trace, &cell.map, out, &plan.run_id(p), &cell.runner);
        println!(
            "[{}/{}] {} {}",
            i + 1,
            plan.order.len(),
            runners[&cell.lang].path.display(),
            args.join(" ")
        );
    }
}

/// Loads a workload by name from `dir` with overrides (for plans built in code).
pub fn load_workload(
    name: &str,
    dir: &Path,
    overrides: workload::Overrides,
) -> Result<(PathBuf, Workload), Failure> {
    let spec = workload::resolve(name, dir).map_err(|e| Failure::BadInput(e.into()))?;
    let w = workload::load(&spec, overrides).map_err(|e| Failure::BadInput(e.into()))?;
    Ok((spec, w))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_well() {
        assert_eq!(format_duration(0.4), "0s");
        assert_eq!(format_duration(59.0), "59s");
        assert_eq!(format_duration(245.0), "4m 05s");
        assert_eq!(format_duration(3720.0), "1h 02m");
    }

    #[test]
    fn trace_cache_names_change_with_any_parameter() {
        let (_, w) = load_workload(
            "read-heavy",
            &workload::workloads_dir(),
            workload::Overrides {
                threads: Some(2),
                ops_per_thread: Some(100),
                seed: None,
            },
        )
        .unwrap_or_else(|_| panic!("read-heavy loads"));
        let a = trace_cache_path(Path::new("/c"), &w);
        assert!(
            a.display()
                .to_string()
                .starts_with("/c/read-heavy-t2-n100-s1-"),
            "{}",
            a.display()
        );
        let mut w2 = w.clone();
        w2.key_space += 1;
        assert_ne!(a, trace_cache_path(Path::new("/c"), &w2));
    }
}
