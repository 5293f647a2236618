//! `mapbench validate --out DIR`: does the harness measure what we think it measures?
//!
//! Writes `DIR/validation.json`, `DIR/validation.md` and `DIR/harness-costs.json`; the
//! runs go to `DIR/runs/rep-NN/`, one results directory per repeat (`mapbench check`
//! reads each). Every repeat runs every runner cell once, the micro-benchmarks once and
//! the bustle runs once, so the harnesses being compared are interleaved; every figure
//! is the median over `--repeats` repeats, with its range.
//!
//! 1. **Harness cost per op**: the `noop` map, one thread, `get-sweep-100`, default
//!    sampling (one op in 1024 timed): what a run costs per op before any map is
//!    touched (trace decoding, counters, checksum, interval clock reads, the timed ops).
//!    Beside it the clock read's own cost (`timer_overhead_ns` of those runs) and the
//!    effect of the sampling period (0 = no latency, 16, 1024) on `noop` and on one lock
//!    map on the out-of-cache shape.
//! 2. **Runner vs micro-benchmark**, raw (nothing subtracted): gets on a prefilled map,
//!    in cache ([`GETS_IN_CACHE`]: 65,536 keys, all present) and out of cache
//!    ([`GETS_OUT_OF_CACHE`]: 1,000,000 keys, 75 % present, uniform), at 1 and 2
//!    threads, three maps per language ([`MICRO_MAPS_GO`], [`MICRO_MAPS_RUST`]). The micro
//!    side replays the same trace's keys through the same adapters: Go's
//!    `BenchmarkTraceGets` (go-reference/maps/trace_bench_test.go, `b.RunParallel`),
//!    Rust's criterion bench `trace_gets` (rust-impl/maps/benches/trace_gets.rs).
//!    Expected ratio: 0.9–1.1.
//! 3. **Runner vs bustle**: `rust-impl/bustle-check` runs bustle 0.5 (conc-map-bench's
//!    harness) with conc-map-bench's read-heavy, exchange and rapid-grow mixes at
//!    `2^--bustle-capacity-log2`; the Rust runner replays a trace of the same shape
//!    ([`crate::bustle_shape`]). Throughput ratio runner ÷ bustle, expected 0.9–1.1.
//! 4. **Scaling**: read-only (`get-sweep-100`) throughput at 2 threads ÷ (2 × the
//!    unsynchronised map's single-thread throughput), per map (first
//!    [`SCALING_REPEATS`] repeats only).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context as _, anyhow};
use serde::Serialize;
use serde_json::{Value, json};

use crate::bustle_shape::{BustleMix, BustleShape};
use crate::host::{GitInfo, Host};
use crate::manifest::SuiteRef;
use crate::orchestrate::{self, ExecConfig, ExecOutcome, Failure, Plan};
use crate::results::{self, Lang, RunFile};
use crate::runners;
use crate::stats::median;
use crate::suite::{Cell, NOOP_MAP, RunnerSettings, order_runs};
use crate::workload::{Distribution, Mix, Overrides, Workload};

/// The maps of check 2, per language: a lock, a concurrent package or crate, and
/// sync.Map or dashmap.
pub const MICRO_MAPS_GO: [&str; 3] = ["mutex-map", "xsync-map", "sync-map"];
pub const MICRO_MAPS_RUST: [&str; 3] = ["mutex-std-foldhash", "scc-sip", "dashmap-foldhash"];
/// The maps of check 3.
pub const BUSTLE_MAPS: [&str; 3] = ["dashmap-foldhash", "scc-sip", "flurry-ahash"];
/// The lock map whose out-of-cache runs are repeated at other sampling periods.
pub const SAMPLING_MAP_GO: &str = "mutex-map";
pub const SAMPLING_MAP_RUST: &str = "mutex-std-foldhash";
/// Sampling periods compared with the default (0 = latency off).
pub const OTHER_SAMPLING: [u64; 2] = [0, 16];
/// The single-thread ceiling scaling is measured against.
pub const BASELINE_GO: &str = "unsync-map";
pub const BASELINE_RUST: &str = "unsync-std-foldhash";
/// The read-only workload of checks 1 and 4.
pub const READ_ONLY_WORKLOAD: &str = "get-sweep-100";
/// Names of check 2's two shapes.
pub const GETS_IN_CACHE: &str = "gets-64k-all";
pub const GETS_OUT_OF_CACHE: &str = "gets-1m-75pct";
/// Scaling runs (every map at 2 threads) are in the first this-many repeats.
pub const SCALING_REPEATS: u32 = 1;
/// The bustle comparison (both harnesses) is in the first this-many repeats.
pub const BUSTLE_REPEATS: u32 = 3;
/// The expected band of every ratio.
pub const EXPECTED: [f64; 2] = [0.9, 1.1];
/// The goals for the harness cost per op (noop, 1 thread), ns.
pub const HARNESS_TARGET_RUST_NS: f64 = 3.0;
pub const HARNESS_TARGET_GO_NS: f64 = 5.0;
/// `go test -bench`'s time per benchmark, and criterion's settings: both measure for as
/// long as a runner cell of checks 1 and 2 does ([`MEASURE_MS`]).
pub const GO_BENCHTIME: &str = "0.5s";
/// How long a runner cell of checks 1 and 2 measures (`--duration-ms`, looping its
/// stream), after a warm-up of one pass over its stream (`--warmup-ops`), as criterion
/// measures 0.5 s after 0.2 s of warm-up and `go test -bench` grows `b.N` to 0.5 s:
/// a cell that replayed 1,000,000 ops once, cold, lasted about 10 ms on an in-cache map
/// and compared a cold start against the micro-benchmarks' warm steady state.
pub const MEASURE_MS: u64 = 500;
pub const CRITERION_ARGS: [&str; 6] = [
    "--warm-up-time",
    "0.2",
    "--measurement-time",
    "0.5",
    "--sample-size",
    "10",
];

/// `mapbench validate`'s options.
#[derive(Debug, Clone)]
pub struct ValidateOptions {
    pub out: PathBuf,
    pub only_lang: Option<Lang>,
    pub rust_runner: Option<PathBuf>,
    pub go_runner: Option<PathBuf>,
    pub repeats: u32,
    pub ops_per_thread: u64,
    /// Skip `go test -bench` and `cargo bench`.
    pub skip_micro: bool,
    /// Skip the bustle comparison.
    pub skip_bustle: bool,
    pub bustle_capacity_log2: u8,
    pub criterion_dir: Option<PathBuf>,
    pub trace_cache: Option<PathBuf>,
    pub workloads_dir: PathBuf,
}

/// Check 2's shapes: gets only, uniform, presized, seed 1.
pub fn gets_workload(name: &str, threads: u32, ops_per_thread: u64) -> Workload {
    let (key_space, prefill_count, what) = match name {
        GETS_IN_CACHE => (
            1 << 16,
            1 << 16,
            "65,536 keys, all prefilled, so every get hits: a table that fits in cache",
        ),
        GETS_OUT_OF_CACHE => (
            1_000_000,
            750_000,
            "1,000,000 keys, 750,000 prefilled, so 75% of gets hit: a table larger than the last-level cache",
        ),
        other => panic!("no gets shape {other}"),
    };
    Workload {
        name: name.into(),
        description: format!("Uniform gets on a presized map, {what}; for mapbench validate."),
        key_space,
        prefill_count,
        presize: true,
        mix: Mix {
            get: 10_000,
            insert: 0,
            update: 0,
            remove: 0,
        },
        distribution: Distribution::Uniform {},
        threads,
        ops_per_thread,
        seed: 1,
        key_type: Default::default(),
        value_kind: Default::default(),
    }
}

/// Median, range and count of a set of measurements.
#[derive(Debug, Clone, Copy, Serialize, PartialEq)]
pub struct Stat {
    pub n: usize,
    pub median: f64,
    pub min: f64,
    pub max: f64,
}

impl Stat {
    pub fn of(values: &[f64]) -> Option<Stat> {
        let mut v: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
        v.sort_by(f64::total_cmp);
        Some(Stat {
            n: v.len(),
            median: median(&v)?,
            min: v[0],
            max: *v.last()?,
        })
    }

    /// `(max − min) ÷ median`, as a percentage.
    pub fn spread_pct(&self) -> f64 {
        if self.median == 0.0 {
            0.0
        } else {
            100.0 * (self.max - self.min) / self.median
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct HarnessCost {
    pub lang: Lang,
    pub workload: String,
    pub threads: u32,
    pub sample_every: u64,
    pub ns_per_op: Option<Stat>,
    /// The runs' own measurement of one clock read pair (`timer_overhead_ns`).
    pub timer_overhead_ns: Option<Stat>,
    pub target_ns: f64,
    pub within: Option<bool>,
}

#[derive(Debug, Clone, Serialize)]
pub struct SamplingEffect {
    pub lang: Lang,
    pub map: String,
    pub workload: String,
    pub threads: u32,
    pub sample_every: u64,
    pub ns_per_op: Option<Stat>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Micro {
    pub tool: String,
    pub command: String,
    pub note: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct RunnerVsMicro {
    pub lang: Lang,
    pub map: String,
    pub workload: String,
    pub threads: u32,
    pub runner_ns_per_op: Option<Stat>,
    /// The `noop` map's runner ns/op on the same trace: the harness's share.
    pub noop_ns_per_op: Option<Stat>,
    pub micro_ns_per_op: Option<Stat>,
    /// Median runner ÷ median micro (raw: nothing subtracted).
    pub ratio: Option<f64>,
    /// Range of the per-repeat ratios (runner and micro of the same repeat).
    pub paired_ratios: Option<Stat>,
    pub within: Option<bool>,
    /// The micro-benchmark with each get's result used as the runner uses it (a hit
    /// counted, the value folded into a checksum): `trace_gets_used`,
    /// `BenchmarkTraceGetsUsed`.
    pub micro_used_ns_per_op: Option<Stat>,
    /// Median runner ÷ median of the result-using micro-benchmark.
    pub ratio_used: Option<f64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct RunnerVsBustle {
    pub map: String,
    pub mix: String,
    pub threads: u32,
    pub workload: String,
    pub key_space: u64,
    pub prefill: u64,
    pub table_capacity: u64,
    pub total_ops: u64,
    pub runner_ops_per_s: Option<Stat>,
    pub bustle_ops_per_s: Option<Stat>,
    /// Median runner ÷ median bustle throughput.
    pub ratio: Option<f64>,
    pub paired_ratios: Option<Stat>,
    pub within: Option<bool>,
    /// Runner hit rates (median over runs): gets that found, inserts that created,
    /// removes that found. Bustle's inserts always create and its removes always find.
    pub runner_get_hit: Option<f64>,
    pub runner_insert_new: Option<f64>,
    pub runner_remove_hit: Option<f64>,
    /// Bustle's reads' hit rate at the start.
    pub bustle_initial_read_hit: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Scaling {
    pub lang: Lang,
    pub map: String,
    pub ops_per_s_t2: Option<f64>,
    pub baseline_map: String,
    pub baseline_ops_per_s_t1: Option<f64>,
    pub efficiency: Option<f64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Validation {
    pub generated_by: String,
    pub command: String,
    pub runs_dir: String,
    pub repeats: u32,
    pub ops_per_thread: u64,
    /// How long a runner cell of checks 1 and 2 measured, after one warm-up pass.
    pub measure_ms: u64,
    pub host: Host,
    pub git: GitInfo,
    pub rust_build_profile: Option<Value>,
    pub harness_cost: Vec<HarnessCost>,
    pub sampling: Vec<SamplingEffect>,
    pub micro: BTreeMap<String, Micro>,
    pub runner_vs_micro: Vec<RunnerVsMicro>,
    pub bustle_command: Option<String>,
    pub bustle_capacity_log2: u8,
    pub runner_vs_bustle: Vec<RunnerVsBustle>,
    pub scaling: Vec<Scaling>,
    pub failed: Vec<String>,
    /// `/proc/loadavg` when the runs started and when they ended: how busy the machine was.
    pub loadavg_start: Option<String>,
    pub loadavg_end: Option<String>,
}

/// The first three fields of `/proc/loadavg` (1, 5 and 15 minute load averages).
fn loadavg() -> Option<String> {
    let text = std::fs::read_to_string("/proc/loadavg").ok()?;
    Some(
        text.split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" "),
    )
}

/// What `validate` did.
pub struct ValidateOutcome {
    pub exec: ExecOutcome,
    pub validation: Option<Validation>,
}

/// The command that regenerates the outputs, as a person would type it.
pub fn regenerate_command() -> String {
    let args: Vec<String> = std::env::args().skip(1).map(|a| shell_quote(&a)).collect();
    format!("cargo run --release -p mapbench -- {}", args.join(" "))
}

fn shell_quote(s: &str) -> String {
    if !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_./=:,+@".contains(&b))
    {
        s.to_owned()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

/// The key of one measurement: lang, map, workload, threads, sampling period.
type Key = (Lang, String, String, u32, u64);

/// A micro-benchmark measurement's key: lang, map, workload, threads.
type MicroKey = (Lang, String, String, u32);

/// Everything measured, per repeat.
#[derive(Default)]
struct Samples {
    /// Runner ns/op and throughput, per key, one entry per repeat (`None`: failed).
    runner_ns: BTreeMap<Key, Vec<(u32, f64)>>,
    runner_tput: BTreeMap<Key, Vec<(u32, f64)>>,
    timer_ns: BTreeMap<Key, Vec<f64>>,
    hits: BTreeMap<Key, Vec<[f64; 3]>>,
    /// Micro ns/op per (lang, map, workload, threads).
    micro_ns: BTreeMap<MicroKey, Vec<(u32, f64)>>,
    /// The same for the micro-benchmarks that use each get's result.
    micro_used_ns: BTreeMap<MicroKey, Vec<(u32, f64)>>,
    /// Bustle throughput per (map, mix, threads).
    bustle: BTreeMap<(String, String, u32), Vec<(u32, f64)>>,
    profile: Option<Value>,
}

/// The runner cells of repeat `repeat` (each runs once in that repeat).
fn repeat_cells(
    runners: &BTreeMap<Lang, runners::Runner>,
    opts: &ValidateOptions,
    read: &[(PathBuf, Workload); 2],
    repeat: u32,
) -> Vec<Cell> {
    let mut cells = Vec::new();
    // Checks 1 and 2 measure as long as the micro-benchmarks ([`MEASURE_MS`]); the
    // bustle and scaling cells replay their streams once, as bustle runs its op count.
    let mut push = |lang: Lang, map: &str, w: &Workload, spec: Option<&PathBuf>, every: u64| {
        let matched = map == NOOP_MAP && w.name == READ_ONLY_WORKLOAD
            || [GETS_IN_CACHE, GETS_OUT_OF_CACHE].contains(&w.name.as_str());
        cells.push(Cell {
            lang,
            map: map.to_owned(),
            workload: w.clone(),
            spec: spec.cloned(),
            repeats: 1,
            runner: RunnerSettings {
                latency_sample_every: every,
                duration_ms: if matched { MEASURE_MS } else { 0 },
                warmup_ops: if matched { w.ops_per_thread } else { 0 },
                ..RunnerSettings::default()
            },
        });
    };
    let default_every = RunnerSettings::default().latency_sample_every;
    for (&lang, runner) in runners {
        let listed = |m: &str| runner.maps.iter().any(|e| e.name == m);
        let (maps, sampling_map, baseline, _) = lang_setup(lang);
        let (spec, read_t1) = (&read[0].0, &read[0].1);
        push(lang, NOOP_MAP, read_t1, Some(spec), default_every);
        for every in OTHER_SAMPLING {
            push(lang, NOOP_MAP, read_t1, Some(spec), every);
        }
        for shape in [GETS_IN_CACHE, GETS_OUT_OF_CACHE] {
            for threads in [1, 2] {
                let w = gets_workload(shape, threads, opts.ops_per_thread);
                push(lang, NOOP_MAP, &w, None, default_every);
                for m in maps.iter().filter(|m| listed(m)) {
                    push(lang, m, &w, None, default_every);
                }
            }
        }
        if listed(sampling_map) {
            let w = gets_workload(GETS_OUT_OF_CACHE, 1, opts.ops_per_thread);
            for every in OTHER_SAMPLING {
                push(lang, sampling_map, &w, None, every);
            }
        }
        if lang == Lang::Rust && !opts.skip_bustle && repeat <= BUSTLE_REPEATS {
            for shape in bustle_shapes(opts.bustle_capacity_log2) {
                for m in BUSTLE_MAPS.iter().filter(|m| listed(m)) {
                    push(lang, m, &shape.workload(), None, default_every);
                }
            }
        }
        if repeat <= SCALING_REPEATS {
            if listed(baseline) {
                push(lang, baseline, read_t1, Some(spec), default_every);
            }
            for m in runner
                .maps
                .iter()
                .filter(|m| m.max_threads.is_none_or(|n| n >= 2))
            {
                push(lang, &m.name, &read[1].1, Some(&read[1].0), default_every);
            }
        }
    }
    cells
}

/// Check 3's shapes: the three mixes at 1 and 2 threads.
pub fn bustle_shapes(capacity_log2: u8) -> Vec<BustleShape> {
    BustleMix::ALL
        .into_iter()
        .flat_map(|mix| {
            [1, 2].map(|threads| BustleShape {
                mix,
                threads,
                capacity_log2,
                operations: 1.0,
            })
        })
        .collect()
}

pub fn validate(opts: &ValidateOptions) -> Result<ValidateOutcome, Failure> {
    check_options(opts)?;
    let langs: Vec<Lang> = Lang::ALL
        .into_iter()
        .filter(|l| opts.only_lang.is_none_or(|o| o == *l))
        .collect();
    orchestrate::install_interrupt_handler().map_err(Failure::Failed)?;
    let repo = runners::repo_root();
    let runners = orchestrate::prepare_runners(
        &langs,
        opts.rust_runner.as_deref(),
        opts.go_runner.as_deref(),
        &repo,
    )?;
    let ov = |threads| Overrides {
        threads: Some(threads),
        ops_per_thread: Some(opts.ops_per_thread),
        seed: None,
    };
    let read = [
        orchestrate::load_workload(READ_ONLY_WORKLOAD, &opts.workloads_dir, ov(1))?,
        orchestrate::load_workload(READ_ONLY_WORKLOAD, &opts.workloads_dir, ov(2))?,
    ];
    let trace_cache = opts
        .trace_cache
        .clone()
        .unwrap_or_else(|| runners::target_dir(&repo).join("traces"));
    let criterion_dir = opts
        .criterion_dir
        .clone()
        .unwrap_or_else(|| runners::target_dir(&repo).join("criterion"));
    let runs_dir = opts.out.join("runs");
    std::fs::create_dir_all(&runs_dir)
        .with_context(|| format!("{}: cannot create", runs_dir.display()))
        .map_err(Failure::Failed)?;
    let gets_env = gets_traces_env(opts, &trace_cache)?;
    let go_micro = (runners.contains_key(&Lang::Go) && !opts.skip_micro)
        .then(|| GoMicro::build(&repo, &opts.out, &gets_env));
    let rust_micro = (runners.contains_key(&Lang::Rust) && !opts.skip_micro)
        .then(|| RustMicro::new(&criterion_dir, &gets_env));
    let bustle = (runners.contains_key(&Lang::Rust) && !opts.skip_bustle)
        .then(|| BustleCheck::build(&repo))
        .transpose()
        .map_err(Failure::Failed)?;
    let mut options = BTreeMap::new();
    options.insert("repeats".into(), json!(opts.repeats));
    options.insert("ops_per_thread".into(), json!(opts.ops_per_thread));
    options.insert("only_lang".into(), json!(opts.only_lang.map(Lang::name)));
    let session = Session {
        opts,
        runners: &runners,
        read: &read,
        trace_cache: &trace_cache,
        runs_dir: &runs_dir,
        repo: &repo,
        options,
        go_micro,
        rust_micro,
        bustle,
    };

    let loadavg_start = loadavg();
    let mut m = Measured::default();
    session.run_repeats(&mut m)?;
    let mut exec = merge_outcomes(m.outcomes);
    exec.interrupted |= orchestrate::interrupted();
    if exec.interrupted {
        return Ok(ValidateOutcome {
            exec,
            validation: None,
        });
    }
    m.failed.extend(
        exec.manifest
            .runs
            .iter()
            .filter(|r| r.status != crate::manifest::RunState::Ok)
            .map(|r| format!("{}: {}", r.run_id, r.status.label())),
    );
    if let Some(b) = &session.bustle {
        m.micro_notes.insert(
            "bustle".into(),
            Micro {
                tool: "bustle 0.5 (rust-impl/bustle-check)".into(),
                command: b.command_template(opts.bustle_capacity_log2),
                note: None,
            },
        );
    }
    let mut validation = summarise(
        opts,
        &runners,
        &read[0].1,
        m.samples,
        m.micro_notes,
        m.failed,
        &runs_dir,
        &repo,
    );
    validation.loadavg_start = loadavg_start;
    validation.loadavg_end = loadavg();
    write_outputs(&validation, &opts.out).map_err(Failure::Failed)?;
    Ok(ValidateOutcome {
        exec,
        validation: Some(validation),
    })
}

fn check_options(opts: &ValidateOptions) -> Result<(), Failure> {
    let bad = |e: anyhow::Error| Failure::BadInput(e);
    if opts.repeats == 0 {
        return Err(bad(anyhow!("--repeats: expected at least 1, found 0")));
    }
    if !(10..=28).contains(&opts.bustle_capacity_log2) {
        return Err(bad(anyhow!(
            "--bustle-capacity-log2: expected 10 to 28, found {}",
            opts.bustle_capacity_log2
        )));
    }
    Ok(())
}

/// Makes check 2's four gets traces (the micro-benchmarks read the runner's traces) and
/// returns their paths, comma-separated, for `CMAP_BENCH_TRACES`.
fn gets_traces_env(opts: &ValidateOptions, trace_cache: &Path) -> Result<String, Failure> {
    let gets: Vec<Workload> = [GETS_IN_CACHE, GETS_OUT_OF_CACHE]
        .into_iter()
        .flat_map(|s| [1, 2].map(|t| gets_workload(s, t, opts.ops_per_thread)))
        .collect();
    let mut gets_paths = Vec::new();
    for w in &gets {
        gets_paths.push(
            orchestrate::ensure_trace(trace_cache, w)
                .map_err(Failure::Failed)?
                .path,
        );
    }
    Ok(gets_paths
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(","))
}

/// Everything one `validate` uses across its repeats.
struct Session<'a> {
    opts: &'a ValidateOptions,
    runners: &'a BTreeMap<Lang, runners::Runner>,
    read: &'a [(PathBuf, Workload); 2],
    trace_cache: &'a Path,
    runs_dir: &'a Path,
    repo: &'a Path,
    options: BTreeMap<String, Value>,
    go_micro: Option<GoMicro>,
    rust_micro: Option<RustMicro>,
    bustle: Option<BustleCheck>,
}

/// What the repeats measured and how they went.
#[derive(Default)]
struct Measured {
    samples: Samples,
    micro_notes: BTreeMap<String, Micro>,
    outcomes: Vec<ExecOutcome>,
    failed: Vec<String>,
}

impl Session<'_> {
    /// Every repeat, the runners and the other harnesses in alternating order, until the
    /// end or Ctrl-C.
    fn run_repeats(&self, m: &mut Measured) -> Result<(), Failure> {
        for repeat in 1..=self.opts.repeats {
            // Alternate which harness goes first.
            let ok = if repeat % 2 == 1 {
                let ok = self.run_runners(repeat, m)?;
                if ok {
                    self.run_others(repeat, m);
                }
                ok
            } else {
                self.run_others(repeat, m);
                !orchestrate::interrupted() && self.run_runners(repeat, m)?
            };
            if !ok || orchestrate::interrupted() {
                break;
            }
        }
        Ok(())
    }

    /// Repeat `repeat`'s runner cells: one plan per sampling period (run ids do not name
    /// it), each into its own results directory: rep-NN, rep-NN-k0, rep-NN-k16. Returns
    /// false if interrupted.
    fn run_runners(&self, repeat: u32, m: &mut Measured) -> Result<bool, Failure> {
        let opts = self.opts;
        let default_every = RunnerSettings::default().latency_sample_every;
        let mut groups: BTreeMap<u64, Vec<Cell>> = BTreeMap::new();
        for c in repeat_cells(self.runners, opts, self.read, repeat) {
            groups
                .entry(c.runner.latency_sample_every)
                .or_default()
                .push(c);
        }
        for (every, cells) in &groups {
            let (suite, dir) = if *every == default_every {
                (
                    "validate".to_owned(),
                    self.runs_dir.join(format!("rep-{repeat:02}")),
                )
            } else {
                (
                    format!("validate-k{every}"),
                    self.runs_dir.join(format!("rep-{repeat:02}-k{every}")),
                )
            };
            let plan = Plan {
                suite: SuiteRef {
                    name: suite,
                    description: format!(
                        "mapbench validate, repeat {repeat} of {}, one op in {every} timed: harness cost, runner vs micro-benchmark and bustle, scaling",
                        opts.repeats
                    ),
                    file: None,
                    sha256: None,
                },
                order: order_runs(cells),
                cells: cells.clone(),
                skipped: Vec::new(),
            };
            let cfg = ExecConfig {
                out_dir: &dir,
                runners: self.runners,
                trace_cache: self.trace_cache,
                run_timeout: Some(std::time::Duration::from_secs(600)),
                command: std::env::args().collect(),
                options: self.options.clone(),
                repo: self.repo,
            };
            eprintln!(
                "mapbench: validate: repeat {repeat}/{}: {} runs into {}",
                opts.repeats,
                plan.order.len(),
                dir.display()
            );
            let exec = orchestrate::execute(&plan, &cfg)?;
            orchestrate::report(&exec, &dir);
            let interrupted = exec.interrupted;
            m.outcomes.push(exec);
            let loaded = results::load_dir(&dir).map_err(|e| Failure::BadInput(e.into()))?;
            m.samples.add_runs(repeat, &loaded.runs);
            if interrupted {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// Repeat `repeat`'s other harnesses: the micro-benchmarks, then bustle (in the
    /// first [`BUSTLE_REPEATS`] repeats).
    fn run_others(&self, repeat: u32, m: &mut Measured) {
        if let Some(g) = &self.go_micro {
            g.run(repeat, &mut m.samples, &mut m.micro_notes);
        }
        if orchestrate::interrupted() {
            return;
        }
        if let Some(r) = &self.rust_micro {
            r.run(self.repo, repeat, &mut m.samples, &mut m.micro_notes);
        }
        if let Some(b) = self.bustle.as_ref().filter(|_| repeat <= BUSTLE_REPEATS) {
            for shape in bustle_shapes(self.opts.bustle_capacity_log2) {
                for map in BUSTLE_MAPS {
                    if orchestrate::interrupted() {
                        return;
                    }
                    match b.run(map, &shape) {
                        Ok(t) => m
                            .samples
                            .bustle
                            .entry((map.into(), shape.mix.name().into(), shape.threads))
                            .or_default()
                            .push((repeat, t)),
                        Err(e) => m
                            .failed
                            .push(format!("bustle-check, repeat {repeat}: {e:#}")),
                    }
                }
            }
        }
    }
}

/// One outcome for all repeats: the first manifest, with every repeat's runs.
fn merge_outcomes(outcomes: Vec<ExecOutcome>) -> ExecOutcome {
    let mut it = outcomes.into_iter();
    // Repeat 1 runs the runners first, so there is at least one.
    let mut first = it.next().expect("at least one repeat ran its runners");
    for o in it {
        first.interrupted |= o.interrupted;
        first.manifest.runs.extend(o.manifest.runs);
    }
    first
}

impl Samples {
    fn add_runs(&mut self, repeat: u32, runs: &[RunFile]) {
        for r in runs {
            let key: Key = (
                r.start.lang,
                r.start.map.clone(),
                r.start.workload.clone(),
                r.start.threads,
                r.start.latency.sample_every,
            );
            if let Some(ns) = r.ns_per_op() {
                self.runner_ns
                    .entry(key.clone())
                    .or_default()
                    .push((repeat, ns));
            }
            if let Some(t) = r.throughput() {
                self.runner_tput
                    .entry(key.clone())
                    .or_default()
                    .push((repeat, t));
            }
            if let Some(t) = r.start.latency.timer_overhead_ns {
                self.timer_ns.entry(key.clone()).or_default().push(t as f64);
            }
            if let Some(h) = run_hit_rates(r) {
                self.hits.entry(key).or_default().push(h);
            }
            if r.start.lang == Lang::Rust && self.profile.is_none() {
                self.profile = r
                    .start
                    .runtime
                    .as_ref()
                    .map(|rt| serde_json::to_value(rt).expect("a runtime object serializes"));
            }
        }
    }
}

/// (gets that found, inserts that created, removes that found), each as a share of its
/// kind (NaN when there were none).
fn run_hit_rates(r: &RunFile) -> Option<[f64; 3]> {
    let end = r.end.as_ref()?;
    let ops = end.ops.as_ref()?;
    let hits = end.hits.as_ref()?;
    let share = |h: u64, n: u64| h as f64 / n as f64;
    Some([
        share(hits.get, ops.get),
        share(hits.insert_new, ops.insert),
        share(hits.remove, ops.remove),
    ])
}

/// Median and range of the per-repeat ratios `a ÷ b` over the repeats both have.
fn paired(a: &[(u32, f64)], b: &[(u32, f64)]) -> Option<Stat> {
    let ratios: Vec<f64> = a
        .iter()
        .filter_map(|&(r, x)| b.iter().find(|(rb, _)| *rb == r).map(|&(_, y)| x / y))
        .collect();
    Stat::of(&ratios)
}

fn values(v: Option<&Vec<(u32, f64)>>) -> Vec<f64> {
    v.map(|v| v.iter().map(|&(_, x)| x).collect())
        .unwrap_or_default()
}

fn within(ratio: Option<f64>) -> Option<bool> {
    ratio.map(|r| (EXPECTED[0]..=EXPECTED[1]).contains(&r))
}

/// The maps and target of one language's checks: the micro-benchmark maps, the sampling
/// map, the scaling baseline and the harness-cost target.
fn lang_setup(lang: Lang) -> ([&'static str; 3], &'static str, &'static str, f64) {
    match lang {
        Lang::Rust => (
            MICRO_MAPS_RUST,
            SAMPLING_MAP_RUST,
            BASELINE_RUST,
            HARNESS_TARGET_RUST_NS,
        ),
        Lang::Go => (
            MICRO_MAPS_GO,
            SAMPLING_MAP_GO,
            BASELINE_GO,
            HARNESS_TARGET_GO_NS,
        ),
    }
}

/// A measurement's key at the given sampling period.
fn key(lang: Lang, map: &str, w: &str, t: u32, every: u64) -> Key {
    (lang, map.to_owned(), w.to_owned(), t, every)
}

#[allow(clippy::too_many_arguments)]
fn summarise(
    opts: &ValidateOptions,
    runners: &BTreeMap<Lang, runners::Runner>,
    read_t1: &Workload,
    s: Samples,
    micro: BTreeMap<String, Micro>,
    failed: Vec<String>,
    runs_dir: &Path,
    repo: &Path,
) -> Validation {
    let mut harness_cost = Vec::new();
    let mut sampling = Vec::new();
    let mut runner_vs_micro = Vec::new();
    let mut runner_vs_bustle = Vec::new();
    let mut scaling = Vec::new();
    for (&lang, runner) in runners {
        harness_cost.push(harness_cost_of(lang, &s, read_t1));
        sampling.extend(sampling_of(lang, &s, read_t1));
        runner_vs_micro.extend(runner_vs_micro_of(lang, &s));
        if lang == Lang::Rust && !opts.skip_bustle {
            runner_vs_bustle.extend(runner_vs_bustle_of(&s, opts.bustle_capacity_log2));
        }
        scaling.extend(scaling_of(lang, runner, &s));
    }
    Validation {
        generated_by: format!("mapbench {}", env!("CARGO_PKG_VERSION")),
        command: regenerate_command(),
        runs_dir: runs_dir.display().to_string(),
        repeats: opts.repeats,
        ops_per_thread: opts.ops_per_thread,
        measure_ms: MEASURE_MS,
        host: Host::current(),
        git: GitInfo::of(repo),
        rust_build_profile: s.profile,
        harness_cost,
        sampling,
        bustle_command: micro.get("bustle").map(|m| m.command.clone()),
        micro,
        bustle_capacity_log2: opts.bustle_capacity_log2,
        runner_vs_micro,
        runner_vs_bustle,
        scaling,
        failed,
        loadavg_start: None,
        loadavg_end: None,
    }
}

/// Check 1: `noop`, one thread, the read-only workload, default sampling.
fn harness_cost_of(lang: Lang, s: &Samples, read_t1: &Workload) -> HarnessCost {
    let default_every = RunnerSettings::default().latency_sample_every;
    let target = lang_setup(lang).3;
    let k = key(lang, NOOP_MAP, &read_t1.name, 1, default_every);
    let ns = Stat::of(&values(s.runner_ns.get(&k)));
    HarnessCost {
        lang,
        workload: read_t1.name.clone(),
        threads: 1,
        sample_every: default_every,
        ns_per_op: ns,
        timer_overhead_ns: s.timer_ns.get(&k).and_then(|v| Stat::of(v)),
        target_ns: target,
        within: ns.map(|n| n.median <= target),
    }
}

/// Check 1, continued: `noop` and the sampling map at each sampling period.
fn sampling_of(lang: Lang, s: &Samples, read_t1: &Workload) -> Vec<SamplingEffect> {
    let default_every = RunnerSettings::default().latency_sample_every;
    let sampling_map = lang_setup(lang).1;
    let mut sampling = Vec::new();
    for every in [OTHER_SAMPLING[0], OTHER_SAMPLING[1], default_every] {
        for (map, w) in [
            (NOOP_MAP, read_t1.name.as_str()),
            (sampling_map, GETS_OUT_OF_CACHE),
        ] {
            sampling.push(SamplingEffect {
                lang,
                map: map.into(),
                workload: w.into(),
                threads: 1,
                sample_every: every,
                ns_per_op: Stat::of(&values(s.runner_ns.get(&key(lang, map, w, 1, every)))),
            });
        }
    }
    sampling
}

/// Check 2: each micro-benchmark map on both gets shapes at 1 and 2 threads.
fn runner_vs_micro_of(lang: Lang, s: &Samples) -> Vec<RunnerVsMicro> {
    let default_every = RunnerSettings::default().latency_sample_every;
    let maps = lang_setup(lang).0;
    let mut out = Vec::new();
    for shape in [GETS_IN_CACHE, GETS_OUT_OF_CACHE] {
        for threads in [1, 2] {
            let noop = Stat::of(&values(s.runner_ns.get(&key(
                lang,
                NOOP_MAP,
                shape,
                threads,
                default_every,
            ))));
            for map in maps {
                let r = s
                    .runner_ns
                    .get(&key(lang, map, shape, threads, default_every));
                let m = s
                    .micro_ns
                    .get(&(lang, map.to_owned(), shape.to_owned(), threads));
                let rs = Stat::of(&values(r));
                let ms = Stat::of(&values(m));
                let ratio = rs.zip(ms).map(|(a, b)| a.median / b.median);
                let us = Stat::of(&values(s.micro_used_ns.get(&(
                    lang,
                    map.to_owned(),
                    shape.to_owned(),
                    threads,
                ))));
                out.push(RunnerVsMicro {
                    lang,
                    map: map.into(),
                    workload: shape.into(),
                    threads,
                    runner_ns_per_op: rs,
                    noop_ns_per_op: noop,
                    micro_ns_per_op: ms,
                    ratio,
                    paired_ratios: r.zip(m).and_then(|(a, b)| paired(a, b)),
                    within: within(ratio),
                    micro_used_ns_per_op: us,
                    ratio_used: rs.zip(us).map(|(a, b)| a.median / b.median),
                });
            }
        }
    }
    out
}

/// Check 3: the Rust runner against bustle on each shape and map.
fn runner_vs_bustle_of(s: &Samples, capacity_log2: u8) -> Vec<RunnerVsBustle> {
    let default_every = RunnerSettings::default().latency_sample_every;
    let mut out = Vec::new();
    for shape in bustle_shapes(capacity_log2) {
        let w = shape.workload();
        for map in BUSTLE_MAPS {
            let k = key(Lang::Rust, map, &w.name, shape.threads, default_every);
            let r = s.runner_tput.get(&k);
            let b = s
                .bustle
                .get(&(map.to_owned(), shape.mix.name().to_owned(), shape.threads));
            let rs = Stat::of(&values(r));
            let bs = Stat::of(&values(b));
            let ratio = rs.zip(bs).map(|(a, b)| a.median / b.median);
            let hit = |i: usize| {
                s.hits
                    .get(&k)
                    .and_then(|v| Stat::of(&v.iter().map(|h| h[i]).collect::<Vec<_>>()))
                    .map(|st| st.median)
            };
            out.push(RunnerVsBustle {
                map: map.into(),
                mix: shape.mix.name().into(),
                threads: shape.threads,
                workload: w.name.clone(),
                key_space: shape.key_space(),
                prefill: shape.prefill_count(),
                table_capacity: shape.key_space(),
                total_ops: shape.total_ops(),
                runner_ops_per_s: rs,
                bustle_ops_per_s: bs,
                ratio,
                paired_ratios: r.zip(b).and_then(|(a, b)| paired(a, b)),
                within: within(ratio),
                runner_get_hit: hit(0),
                runner_insert_new: hit(1),
                runner_remove_hit: hit(2),
                bustle_initial_read_hit: shape.initial_read_hit_rate(),
            });
        }
    }
    out
}

/// Check 4: every map that allows 2 threads against the unsynchronised baseline.
fn scaling_of(lang: Lang, runner: &runners::Runner, s: &Samples) -> Vec<Scaling> {
    let default_every = RunnerSettings::default().latency_sample_every;
    let baseline = lang_setup(lang).2;
    let tput = |map: &str, t: u32| {
        Stat::of(&values(s.runner_tput.get(&key(
            lang,
            map,
            READ_ONLY_WORKLOAD,
            t,
            default_every,
        ))))
        .map(|st| st.median)
    };
    let base = tput(baseline, 1);
    runner
        .maps
        .iter()
        .filter(|m| m.max_threads.is_none_or(|n| n >= 2))
        .map(|m| {
            let t2 = tput(&m.name, 2);
            Scaling {
                lang,
                map: m.name.clone(),
                ops_per_s_t2: t2,
                baseline_map: baseline.into(),
                baseline_ops_per_s_t1: base,
                efficiency: t2.zip(base).map(|(t, b)| t / (2.0 * b)),
            }
        })
        .collect()
}

/// Go's side of check 2: the test binary of go-reference/maps, built once.
struct GoMicro {
    binary: PathBuf,
    dir: PathBuf,
    traces: String,
    build_error: Option<String>,
}

impl GoMicro {
    fn build(repo: &Path, out: &Path, traces: &str) -> GoMicro {
        let binary =
            std::path::absolute(out.join("go-maps.test")).unwrap_or(out.join("go-maps.test"));
        let go_ref = repo.join("go-reference");
        eprintln!(
            "mapbench: (cd go-reference && go test -c -o {} ./maps)",
            binary.display()
        );
        let build_error = match Command::new("go")
            .args(["test", "-c", "-o"])
            .arg(&binary)
            .arg("./maps")
            .current_dir(&go_ref)
            .output()
        {
            Err(e) => Some(format!("cannot run go: {e}")),
            Ok(o) if !o.status.success() => Some(format!(
                "go test -c failed ({}): {}",
                o.status,
                String::from_utf8_lossy(&o.stderr)
                    .lines()
                    .last()
                    .unwrap_or("")
            )),
            Ok(_) => None,
        };
        GoMicro {
            binary,
            dir: go_ref.join("maps"),
            traces: traces.to_owned(),
            build_error,
        }
    }

    fn command() -> String {
        format!(
            "(cd go-reference && CMAP_BENCH_TRACES=<the four gets traces> CMAP_BENCH_MAPS={} go test -run '^$' -bench '^BenchmarkTraceGets(Used)?$' -benchtime {GO_BENCHTIME} ./maps)",
            MICRO_MAPS_GO.join(",")
        )
    }

    fn run(&self, repeat: u32, samples: &mut Samples, notes: &mut BTreeMap<String, Micro>) {
        let mut micro = Micro {
            tool: "go test -bench (b.RunParallel)".into(),
            command: GoMicro::command(),
            note: self.build_error.clone(),
        };
        if self.build_error.is_none() {
            let maps = MICRO_MAPS_GO.join(",");
            eprintln!("mapbench: validate: repeat {repeat}: go test -bench BenchmarkTraceGets");
            match Command::new(&self.binary)
                .args([
                    "-test.run",
                    "^$",
                    "-test.bench",
                    "^BenchmarkTraceGets(Used)?$",
                    "-test.benchtime",
                    GO_BENCHTIME,
                ])
                .env("CMAP_BENCH_TRACES", &self.traces)
                .env("CMAP_BENCH_MAPS", &maps)
                .current_dir(&self.dir)
                .output()
            {
                Err(e) => micro.note = Some(format!("cannot run {}: {e}", self.binary.display())),
                Ok(o) => {
                    let text = String::from_utf8_lossy(&o.stdout);
                    if !o.status.success() {
                        micro.note = Some(format!(
                            "the benchmark failed ({}): {}",
                            o.status,
                            text.lines().last().unwrap_or("")
                        ));
                    }
                    for shape in [GETS_IN_CACHE, GETS_OUT_OF_CACHE] {
                        for threads in [1, 2] {
                            for map in MICRO_MAPS_GO {
                                let cell = (Lang::Go, map.to_owned(), shape.to_owned(), threads);
                                for (bench, into) in [
                                    ("BenchmarkTraceGets", &mut samples.micro_ns),
                                    ("BenchmarkTraceGetsUsed", &mut samples.micro_used_ns),
                                ] {
                                    let name = format!("{bench}/{shape}/t{threads}/{map}");
                                    for ns in parse_go_bench(&text, &name) {
                                        into.entry(cell.clone()).or_default().push((repeat, ns));
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        notes.entry("go".into()).or_insert(micro);
    }
}

/// Rust's side of check 2: criterion's `trace_gets` bench.
struct RustMicro {
    criterion_dir: PathBuf,
    traces: String,
}

impl RustMicro {
    fn new(criterion_dir: &Path, traces: &str) -> RustMicro {
        RustMicro {
            criterion_dir: criterion_dir.to_owned(),
            traces: traces.to_owned(),
        }
    }

    fn maps() -> String {
        MICRO_MAPS_RUST.join(",")
    }

    fn command() -> String {
        format!(
            "CMAP_BENCH_TRACES=<the four gets traces> CMAP_BENCH_MAPS={} cargo bench -p cmap-maps --bench trace_gets -- {}",
            RustMicro::maps(),
            CRITERION_ARGS.join(" ")
        )
    }

    fn run(
        &self,
        repo: &Path,
        repeat: u32,
        samples: &mut Samples,
        notes: &mut BTreeMap<String, Micro>,
    ) {
        let mut micro = Micro {
            tool: "criterion 0.8 (iter_custom, one thread per stream)".into(),
            command: RustMicro::command(),
            note: None,
        };
        let estimates = |group: &str, map: &str, shape: &str, threads: u32| {
            criterion_estimates_path(
                &self.criterion_dir,
                &format!("{group}/{map}/{shape}-t{threads}"),
            )
        };
        const GROUPS: [&str; 2] = ["trace_gets", "trace_gets_used"];
        for shape in [GETS_IN_CACHE, GETS_OUT_OF_CACHE] {
            for threads in [1, 2] {
                for map in MICRO_MAPS_RUST {
                    for group in GROUPS {
                        let _ = std::fs::remove_file(estimates(group, map, shape, threads));
                    }
                }
            }
        }
        eprintln!("mapbench: validate: repeat {repeat}: cargo bench --bench trace_gets");
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let status = Command::new(cargo)
            .args([
                "bench",
                "-q",
                "-p",
                "cmap-maps",
                "--bench",
                "trace_gets",
                "--",
            ])
            .args(CRITERION_ARGS)
            .env("CMAP_BENCH_TRACES", &self.traces)
            .env("CMAP_BENCH_MAPS", RustMicro::maps())
            .current_dir(repo)
            .stdout(std::process::Stdio::null())
            .status();
        match status {
            Ok(s) if s.success() => {}
            Ok(s) => micro.note = Some(format!("cargo bench failed ({s})")),
            Err(e) => micro.note = Some(format!("cannot run cargo: {e}")),
        }
        for shape in [GETS_IN_CACHE, GETS_OUT_OF_CACHE] {
            for threads in [1, 2] {
                for map in MICRO_MAPS_RUST {
                    for (group, into) in GROUPS
                        .into_iter()
                        .zip([&mut samples.micro_ns, &mut samples.micro_used_ns])
                    {
                        match read_criterion_estimate(&estimates(group, map, shape, threads)) {
                            Ok((ns, _)) => into
                                .entry((Lang::Rust, map.into(), shape.into(), threads))
                                .or_default()
                                .push((repeat, ns / f64::from(threads))),
                            Err(e) => {
                                micro.note.get_or_insert_with(|| format!("{e:#}"));
                            }
                        }
                    }
                }
            }
        }
        notes.entry("rust".into()).or_insert(micro);
    }
}

/// Check 3's other harness: `rust-impl/bustle-check`, built once.
struct BustleCheck {
    binary: PathBuf,
}

impl BustleCheck {
    fn build(repo: &Path) -> anyhow::Result<BustleCheck> {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        eprintln!("mapbench: cargo build --release -p bustle-check");
        let status = Command::new(cargo)
            .args(["build", "--release", "-q", "-p", "bustle-check"])
            .current_dir(repo)
            .status()
            .context("cannot run cargo")?;
        anyhow::ensure!(
            status.success(),
            "cargo build --release -p bustle-check failed ({status})"
        );
        Ok(BustleCheck {
            binary: runners::target_dir(repo)
                .join("release")
                .join("bustle-check"),
        })
    }

    fn args(map: &str, shape: &BustleShape) -> Vec<String> {
        [
            "--map",
            map,
            "--mix",
            shape.mix.name(),
            "--threads",
            &shape.threads.to_string(),
            "--capacity-log2",
            &shape.capacity_log2.to_string(),
            "--table-capacity",
            &shape.key_space().to_string(),
            "--operations",
            &shape.operations.to_string(),
        ]
        .map(str::to_owned)
        .to_vec()
    }

    fn command_template(&self, log2: u8) -> String {
        format!(
            "target/release/bustle-check --map MAP --mix read-heavy|exchange|rapid-grow --threads 1|2 --capacity-log2 {log2} --table-capacity KEY_SPACE --operations 1"
        )
    }

    /// Throughput, ops/s.
    fn run(&self, map: &str, shape: &BustleShape) -> anyhow::Result<f64> {
        let args = BustleCheck::args(map, shape);
        let o = Command::new(&self.binary)
            .args(&args)
            .output()
            .with_context(|| format!("cannot run {}", self.binary.display()))?;
        anyhow::ensure!(
            o.status.success(),
            "bustle-check {} failed ({}): {}",
            args.join(" "),
            o.status,
            String::from_utf8_lossy(&o.stderr)
                .lines()
                .last()
                .unwrap_or("")
        );
        parse_bustle_line(&String::from_utf8_lossy(&o.stdout))
    }
}

/// `throughput_ops_per_s` from bustle-check's JSON line.
pub fn parse_bustle_line(text: &str) -> anyhow::Result<f64> {
    let line = text
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .ok_or_else(|| anyhow!("bustle-check printed nothing"))?;
    let v: Value = serde_json::from_str(line)
        .with_context(|| format!("bustle-check's output is not JSON: {line}"))?;
    v.get("throughput_ops_per_s")
        .and_then(Value::as_f64)
        .filter(|t| *t > 0.0)
        .ok_or_else(|| {
            anyhow!(
                "bustle-check's output: expected a positive `throughput_ops_per_s`, found {line}"
            )
        })
}

/// The ns/op of every `name` line (`name` or `name-<GOMAXPROCS>`) in `go test -bench`
/// output.
pub fn parse_go_bench(text: &str, name: &str) -> Vec<f64> {
    text.lines()
        .filter_map(|line| {
            let mut fields = line.split_whitespace();
            let bench = fields.next()?;
            let suffix = bench.strip_prefix(name)?;
            if !(suffix.is_empty()
                || suffix
                    .strip_prefix('-')
                    .is_some_and(|n| n.parse::<u32>().is_ok()))
            {
                return None;
            }
            let rest: Vec<&str> = fields.collect();
            let i = rest.iter().position(|&f| f == "ns/op")?;
            rest.get(i.checked_sub(1)?)?.parse().ok()
        })
        .collect()
}

/// `<criterion dir>/<group>/<function>/new/estimates.json`.
pub fn criterion_estimates_path(criterion_dir: &Path, id: &str) -> PathBuf {
    criterion_dir.join(id).join("new").join("estimates.json")
}

/// Nanoseconds per iteration from criterion's `estimates.json`: the `slope` point
/// estimate (linear sampling, what criterion prints as the time) when present, else
/// the `mean`. Returns the value and which estimate it is.
pub fn read_criterion_estimate(path: &Path) -> anyhow::Result<(f64, &'static str)> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("{}: no criterion estimate", path.display()))?;
    let v: Value =
        serde_json::from_str(&text).with_context(|| format!("{}: not JSON", path.display()))?;
    for key in ["slope", "mean"] {
        if let Some(x) = v
            .get(key)
            .and_then(|e| e.get("point_estimate"))
            .and_then(Value::as_f64)
        {
            return Ok((x, if key == "slope" { "slope" } else { "mean" }));
        }
    }
    Err(anyhow!(
        "{}: expected `slope.point_estimate` or `mean.point_estimate` (nanoseconds)",
        path.display()
    ))
}

/// `harness-costs.json`: the two harness costs, for pages that quote them beside a
/// cross-language table.
pub fn harness_costs_json(v: &Validation) -> Value {
    let mut o = serde_json::Map::new();
    o.insert("generated_by".into(), json!(v.generated_by));
    o.insert("command".into(), json!(v.command));
    o.insert("git".into(), json!(v.git.describe()));
    o.insert(
        "what".into(),
        json!("ns per op of the noop map, one thread, get-sweep-100, default latency sampling: the runner's own cost per op; median of the repeats"),
    );
    for h in &v.harness_cost {
        o.insert(
            h.lang.name().into(),
            json!({
                "workload": h.workload,
                "threads": h.threads,
                "latency_sample_every": h.sample_every,
                "noop_ns_per_op": h.ns_per_op.map(|s| s.median),
                "min_ns_per_op": h.ns_per_op.map(|s| s.min),
                "max_ns_per_op": h.ns_per_op.map(|s| s.max),
                "runs": h.ns_per_op.map_or(0, |s| s.n),
                "timer_overhead_ns": h.timer_overhead_ns.map(|s| s.median),
                "target_ns_per_op": h.target_ns,
                "within_target": h.within,
            }),
        );
    }
    Value::Object(o)
}

fn write_outputs(v: &Validation, out: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(out).with_context(|| format!("{}: cannot create", out.display()))?;
    let write = |name: &str, text: String| -> anyhow::Result<PathBuf> {
        let path = out.join(name);
        std::fs::write(&path, text).with_context(|| format!("{}: cannot write", path.display()))?;
        Ok(path)
    };
    let mut json_text = serde_json::to_string_pretty(v)?;
    json_text.push('\n');
    let json_path = write("validation.json", json_text)?;
    let md_path = write("validation.md", render_markdown(v))?;
    let mut costs = serde_json::to_string_pretty(&harness_costs_json(v))?;
    costs.push('\n');
    let costs_path = write("harness-costs.json", costs)?;
    eprintln!(
        "mapbench: wrote {}, {} and {}",
        json_path.display(),
        md_path.display(),
        costs_path.display()
    );
    Ok(())
}

fn fmt_opt(x: Option<f64>, digits: usize) -> String {
    x.map_or_else(|| "n/a".to_owned(), |v| format!("{v:.digits$}"))
}

/// `median (min–max)`, scaled by `scale`.
fn fmt_stat(s: Option<Stat>, scale: f64, digits: usize) -> String {
    s.map_or_else(
        || "n/a".to_owned(),
        |s| {
            format!(
                "{:.digits$} ({:.digits$}–{:.digits$})",
                s.median * scale,
                s.min * scale,
                s.max * scale
            )
        },
    )
}

fn yes_no(b: Option<bool>) -> &'static str {
    b.map_or("n/a", |w| if w { "yes" } else { "no" })
}

fn fmt_pct(x: Option<f64>) -> String {
    x.filter(|x| x.is_finite())
        .map_or_else(|| "–".to_owned(), |x| format!("{:.1}%", 100.0 * x))
}

/// `validation.md`.
pub fn render_markdown(v: &Validation) -> String {
    let mut md = String::new();
    for section in [
        md_intro,
        md_harness_cost,
        md_sampling,
        md_runner_vs_micro,
        md_runner_vs_bustle,
        md_scaling,
        md_failed,
    ] {
        section(v, &mut md);
    }
    md
}

/// The title, and the host and method paragraph.
fn md_intro(v: &Validation, md: &mut String) {
    md.push_str(&format!(
        "<!-- Generated by mapbench validate ({}); regenerate with: {} -->\n\n# Harness validation\n\n",
        v.generated_by, v.command
    ));
    md.push_str(&format!(
        "Host: {} ({} vCPUs, kernel {}), commit {}. {} repeats; a runner cell of the first two checks replays its trace's stream of {} ops per thread once untimed, then in a loop for {} ms, as long as the micro-benchmarks measure (the bustle and scaling cells replay it once); each repeat runs every runner cell once, the micro-benchmarks once and the bustle runs once (which goes first alternates), so the harnesses compared are interleaved. A figure is the median over the repeats, with the range (min–max) in parentheses; a ratio is median ÷ median, and the range of the per-repeat ratios follows it. Runs: `{}/rep-NN`. Rust build profile of both Rust harnesses: {}. Load average (1, 5, 15 min) at the start: {}; at the end: {}.\n\n",
        v.host.cpu_model.as_deref().unwrap_or("unknown CPU"),
        v.host.vcpus.map_or("?".into(), |n| n.to_string()),
        v.host.kernel.as_deref().unwrap_or("?"),
        v.git.describe(),
        v.repeats,
        v.ops_per_thread,
        v.measure_ms,
        v.runs_dir,
        v.rust_build_profile
            .as_ref()
            .map_or("unknown".to_owned(), |p| format!("`{p}`")),
        v.loadavg_start.as_deref().unwrap_or("n/a"),
        v.loadavg_end.as_deref().unwrap_or("n/a"),
    ));
}

/// Check 1: the harness cost per op.
fn md_harness_cost(v: &Validation, md: &mut String) {
    let runs = v
        .harness_cost
        .iter()
        .filter_map(|h| h.ns_per_op.map(|s| s.n))
        .min()
        .unwrap_or(0);
    md.push_str(&format!(
        "## Harness cost per op\n\nThe `noop` map (every op returns a constant), one thread, `{READ_ONLY_WORKLOAD}`, one op in {} timed (the default): the runner's own cost per op, included in every figure the runner reports. The last column is the runner's own measurement of one clock read pair at start-up (`timer_overhead_ns`), which each timed op pays. {runs} runs per side.\n\n| lang | noop ns/op | target ns/op | within target | clock read pair ns |\n|---|---:|---:|---|---:|\n",
        RunnerSettings::default().latency_sample_every
    ));
    for h in &v.harness_cost {
        md.push_str(&format!(
            "| {} | {} | {:.1} | {} | {} |\n",
            h.lang,
            fmt_stat(h.ns_per_op, 1.0, 2),
            h.target_ns,
            yes_no(h.within),
            fmt_stat(h.timer_overhead_ns, 1.0, 0),
        ));
    }
}

/// Check 1, continued: what latency sampling costs.
fn md_sampling(v: &Validation, md: &mut String) {
    md.push_str("\n## What latency sampling costs\n\nThe same runs at other sampling periods (time op i iff i mod K = 0; K = 0 times nothing), on `noop` and on a lock map out of cache, one thread.\n\n| lang | map | workload | K | ns/op |\n|---|---|---|---:|---:|\n");
    for s in &v.sampling {
        md.push_str(&format!(
            "| {} | `{}` | `{}` | {} | {} |\n",
            s.lang,
            s.map,
            s.workload,
            s.sample_every,
            fmt_stat(s.ns_per_op, 1.0, 2)
        ));
    }
}

/// Check 2: runner vs micro-benchmark, with each side's speed-up and the commands.
fn md_runner_vs_micro(v: &Validation, md: &mut String) {
    md.push_str(&format!(
        "\n## Runner vs micro-benchmark\n\nGets only, uniform keys, presized map: `{GETS_IN_CACHE}` (65,536 keys, all present: in cache) and `{GETS_OUT_OF_CACHE}` (1,000,000 keys, 75% present: out of cache), 1 and 2 threads. The micro-benchmarks replay the same trace's keys through the same adapters with nothing else in the loop. ns/op is wall-clock time per op over all threads (as `go test -bench` reports for `b.RunParallel`). The ratio is raw: nothing is subtracted. Expected: {}–{}. The runner must use each get's result: it counts the hit and folds the value into its checksum (RUNNER-SPEC, \"What a run does\" 5), where the micro-benchmarks discard it. The last two columns are a second micro-benchmark, the same loop with the result used that way and nothing else (`trace_gets_used`, `BenchmarkTraceGetsUsed`): the difference between the two micro columns is what using the result costs on that map and shape, in any harness that does.\n\n| lang | map | shape | threads | runner ns/op | runner noop ns/op | micro ns/op | ratio (per-repeat range) | within | micro, result used, ns/op | runner ÷ it |\n|---|---|---|---:|---:|---:|---:|---:|---|---:|---:|\n",
        EXPECTED[0], EXPECTED[1]
    ));
    for r in &v.runner_vs_micro {
        md.push_str(&format!(
            "| {} | `{}` | `{}` | {} | {} | {} | {} | {} ({}) | {} | {} | {} |\n",
            r.lang,
            r.map,
            r.workload,
            r.threads,
            fmt_stat(r.runner_ns_per_op, 1.0, 1),
            fmt_stat(r.noop_ns_per_op, 1.0, 2)
                .split(' ')
                .next()
                .unwrap_or("n/a"),
            fmt_stat(r.micro_ns_per_op, 1.0, 1),
            fmt_opt(r.ratio, 3),
            r.paired_ratios
                .map_or("n/a".into(), |p| format!("{:.3}–{:.3}", p.min, p.max)),
            yes_no(r.within),
            fmt_stat(r.micro_used_ns_per_op, 1.0, 1),
            fmt_opt(r.ratio_used, 3),
        ));
    }
    md.push_str("\nFrom 1 to 2 threads, each harness's speed-up (ns/op at 1 thread ÷ ns/op at 2 threads; 2.0 = linear):\n\n| lang | map | shape | runner speed-up | micro speed-up |\n|---|---|---|---:|---:|\n");
    for r1 in v.runner_vs_micro.iter().filter(|r| r.threads == 1) {
        let Some(r2) = v.runner_vs_micro.iter().find(|r| {
            r.threads == 2 && r.lang == r1.lang && r.map == r1.map && r.workload == r1.workload
        }) else {
            continue;
        };
        let up = |a: Option<Stat>, b: Option<Stat>| a.zip(b).map(|(a, b)| a.median / b.median);
        md.push_str(&format!(
            "| {} | `{}` | `{}` | {} | {} |\n",
            r1.lang,
            r1.map,
            r1.workload,
            fmt_opt(up(r1.runner_ns_per_op, r2.runner_ns_per_op), 2),
            fmt_opt(up(r1.micro_ns_per_op, r2.micro_ns_per_op), 2),
        ));
    }
    md.push('\n');
    for (lang, m) in &v.micro {
        if lang == "bustle" {
            continue;
        }
        md.push_str(&format!("- **{lang}**: {}, `{}`", m.tool, m.command));
        if let Some(n) = &m.note {
            md.push_str(&format!(" ({n})"));
        }
        md.push_str(".\n");
    }
}

/// Check 3: the Rust runner vs bustle, with each side's speed-up (nothing when bustle did not run).
fn md_runner_vs_bustle(v: &Validation, md: &mut String) {
    if !v.runner_vs_bustle.is_empty() {
        md.push_str(&format!(
            "\n## Rust runner vs bustle\n\nbustle 0.5 (conc-map-bench's harness) drives the same adapters through `rust-impl/bustle-check` with conc-map-bench's mixes (read/insert/remove/update %: read-heavy 98/1/1/0, exchange 10/40/40/10, rapid-grow 5/80/5/10; 75%, 75% and 0% of the capacity prefilled) at capacity 2^{}, one op per capacity slot; the Rust runner replays a trace of the same shape: the same key count, prefill, op shares and op count, uniform keys, and the same table capacity (bustle-check creates the map with the trace's capacity, its key space). Throughput, Mops/s, over the first {} repeats. Expected ratio: {}–{}. A trace's inserts and removes draw uniform keys, where bustle's inserts always create and its removes always find: the runner's hit rates are shown beside bustle's read hit rate at the start. Command: `{}`.\n\n| map | mix | threads | keys | prefilled | runner Mops/s | bustle Mops/s | ratio (per-repeat range) | within | runner get hit / insert new / remove hit | bustle read hit at start |\n|---|---|---:|---:|---:|---:|---:|---:|---|---|---:|\n",
            v.bustle_capacity_log2,
            BUSTLE_REPEATS.min(v.repeats),
            EXPECTED[0],
            EXPECTED[1],
            v.bustle_command.as_deref().unwrap_or("n/a"),
        ));
        for b in &v.runner_vs_bustle {
            md.push_str(&format!(
                "| `{}` | {} | {} | {} | {} | {} | {} | {} ({}) | {} | {} / {} / {} | {} |\n",
                b.map,
                b.mix,
                b.threads,
                b.key_space,
                b.prefill,
                fmt_stat(b.runner_ops_per_s, 1e-6, 2),
                fmt_stat(b.bustle_ops_per_s, 1e-6, 2),
                fmt_opt(b.ratio, 3),
                b.paired_ratios
                    .map_or("n/a".into(), |p| format!("{:.3}–{:.3}", p.min, p.max)),
                yes_no(b.within),
                fmt_pct(b.runner_get_hit),
                fmt_pct(b.runner_insert_new),
                fmt_pct(b.runner_remove_hit),
                fmt_pct(Some(b.bustle_initial_read_hit)),
            ));
        }
    }

    if !v.runner_vs_bustle.is_empty() {
        md.push_str("\nFrom 1 to 2 threads, each harness's throughput speed-up (2.0 = linear):\n\n| map | mix | runner speed-up | bustle speed-up |\n|---|---|---:|---:|\n");
        for b1 in v.runner_vs_bustle.iter().filter(|b| b.threads == 1) {
            let Some(b2) = v
                .runner_vs_bustle
                .iter()
                .find(|b| b.threads == 2 && b.map == b1.map && b.mix == b1.mix)
            else {
                continue;
            };
            let up = |a: Option<Stat>, b: Option<Stat>| a.zip(b).map(|(a, b)| b.median / a.median);
            md.push_str(&format!(
                "| `{}` | {} | {} | {} |\n",
                b1.map,
                b1.mix,
                fmt_opt(up(b1.runner_ops_per_s, b2.runner_ops_per_s), 2),
                fmt_opt(up(b1.bustle_ops_per_s, b2.bustle_ops_per_s), 2),
            ));
        }
    }
}

/// Check 4: read-only scaling efficiency.
fn md_scaling(v: &Validation, md: &mut String) {
    md.push_str(&format!("\n## Scaling efficiency, read-only\n\n`{READ_ONLY_WORKLOAD}` throughput at 2 threads ÷ (2 × the unsynchronised map's throughput at 1 thread), medians of the first {} repeat(s). 1.0 = perfect scaling from the single-thread ceiling.\n\n| lang | map | Mops/s at 2 threads | baseline | baseline Mops/s at 1 thread | efficiency |\n|---|---|---:|---|---:|---:|\n", SCALING_REPEATS.min(v.repeats)));
    for s in &v.scaling {
        md.push_str(&format!(
            "| {} | `{}` | {} | `{}` | {} | {} |\n",
            s.lang,
            s.map,
            fmt_opt(s.ops_per_s_t2.map(|x| x / 1e6), 2),
            s.baseline_map,
            fmt_opt(s.baseline_ops_per_s_t1.map(|x| x / 1e6), 2),
            fmt_opt(s.efficiency, 3)
        ));
    }
}

/// The runs that did not finish ok, if any.
fn md_failed(v: &Validation, md: &mut String) {
    if !v.failed.is_empty() {
        md.push_str("\n## Runs that did not finish ok\n\n");
        for f in &v.failed {
            md.push_str(&format!("- {f}\n"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_bench_lines_parse_with_or_without_the_procs_suffix() {
        let out = "goos: linux\ngoarch: amd64\npkg: concurrentmaps/maps\n\
BenchmarkGet/mutex-map-2         \t50000000\t        21.50 ns/op\t       0 B/op\t       0 allocs/op\n\
BenchmarkGet/mutex-map-2         \t50000000\t        22.50 ns/op\t       0 B/op\t       0 allocs/op\n\
BenchmarkGet/mutex-map-extra-2   \t50000000\t        99.00 ns/op\n\
BenchmarkGetParallel/mutex-map-2 \t50000000\t        99.00 ns/op\n\
BenchmarkGet/mutex-map  3 4.5 ns/op\nPASS\n";
        assert_eq!(
            parse_go_bench(out, "BenchmarkGet/mutex-map"),
            [21.5, 22.5, 4.5]
        );
    }

    #[test]
    fn criterion_estimates_prefer_the_slope() {
        let dir = std::env::temp_dir().join(format!("mapbench-crit-{}", std::process::id()));
        let path = criterion_estimates_path(&dir, "trace_gets/mutex-std-foldhash/gets-64k-all-t1");
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(
            &path,
            r#"{"mean":{"confidence_interval":{"confidence_level":0.95,"lower_bound":20.0,"upper_bound":22.0},"point_estimate":21.0,"standard_error":0.5},"median":{"point_estimate":20.5},"slope":{"point_estimate":20.8},"std_dev":{"point_estimate":1.0}}"#,
        )
        .unwrap();
        assert_eq!(read_criterion_estimate(&path).unwrap(), (20.8, "slope"));
        std::fs::write(&path, r#"{"mean":{"point_estimate":21.0},"slope":null}"#).unwrap();
        assert_eq!(read_criterion_estimate(&path).unwrap(), (21.0, "mean"));
        std::fs::write(&path, r#"{"median":{"point_estimate":21.0}}"#).unwrap();
        assert!(
            read_criterion_estimate(&path)
                .unwrap_err()
                .to_string()
                .contains("slope.point_estimate")
        );
        std::fs::remove_dir_all(&dir).unwrap();
        assert!(
            read_criterion_estimate(&path)
                .unwrap_err()
                .to_string()
                .contains("no criterion estimate")
        );
    }

    #[test]
    fn the_gets_shapes_are_valid_and_hit_as_described() {
        for (name, hit) in [(GETS_IN_CACHE, 1.0), (GETS_OUT_OF_CACHE, 0.75)] {
            let w = gets_workload(name, 2, 20_000);
            let bytes = crate::trace::generate(&w);
            let t = crate::trace::Trace::from_bytes(&bytes, name).unwrap();
            assert_eq!(t.header().threads, 2);
            let r = t.summary().sequential_replay;
            let rate = r.get_hits as f64 / 40_000.0;
            assert!((rate - hit).abs() < 0.02, "{name}: {rate}");
        }
    }

    #[test]
    fn stats_are_median_and_range_and_pairs_match_by_repeat() {
        let s = Stat::of(&[3.0, 1.0, f64::NAN, 2.0, 10.0]).unwrap();
        assert_eq!((s.n, s.median, s.min, s.max), (4, 2.5, 1.0, 10.0));
        assert_eq!(Stat::of(&[]), None);
        let a = [(1, 10.0), (2, 12.0), (3, 30.0)];
        let b = [(2, 6.0), (1, 5.0)];
        let p = paired(&a, &b).unwrap();
        assert_eq!((p.n, p.min, p.max), (2, 2.0, 2.0));
    }

    #[test]
    fn bustle_lines_parse_and_bad_ones_are_named() {
        let line = r#"{"harness":"bustle 0.5","map":"dashmap-foldhash","throughput_ops_per_s":12068092.5}"#;
        assert_eq!(
            parse_bustle_line(&format!("{line}\n\n")).unwrap(),
            12068092.5
        );
        assert!(
            parse_bustle_line("")
                .unwrap_err()
                .to_string()
                .contains("printed nothing")
        );
        assert!(
            parse_bustle_line("oops")
                .unwrap_err()
                .to_string()
                .contains("not JSON")
        );
        assert!(
            parse_bustle_line(r#"{"throughput_ops_per_s":0}"#)
                .unwrap_err()
                .to_string()
                .contains("positive")
        );
    }

    #[test]
    fn every_bustle_mix_runs_at_one_and_two_threads() {
        let shapes = bustle_shapes(20);
        assert_eq!(shapes.len(), 6);
        for mix in BustleMix::ALL {
            let threads: Vec<u32> = shapes
                .iter()
                .filter(|s| s.mix == mix)
                .map(|s| s.threads)
                .collect();
            assert_eq!(threads, [1, 2]);
        }
        let names: std::collections::BTreeSet<String> =
            shapes.iter().map(|s| s.workload().name).collect();
        assert_eq!(names.len(), 3, "one workload name per mix: {names:?}");
    }

    #[test]
    fn quoting_is_minimal() {
        assert_eq!(shell_quote("--out"), "--out");
        assert_eq!(shell_quote("a b"), "'a b'");
        assert_eq!(shell_quote("^$"), "'^$'");
    }
}
