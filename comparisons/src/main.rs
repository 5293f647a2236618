//! `mapbench`: the comparisons command line.
//!
//! ```text
//! mapbench trace --workload FILE|NAME --out PATH [--threads N] [--ops-per-thread N] [--seed S]
//! mapbench trace-info PATH [--json]
//! mapbench run --suite NAME|FILE [--out DIR] [--only-lang go|rust] [--filter SUBSTR] [--dry-run]
//!              [--rust-runner PATH] [--go-runner PATH] [--trace-cache DIR] [--run-timeout SECS]
//! mapbench check RESULTS_DIR
//! mapbench report RESULTS_DIR --out DIR [--title TEXT]
//! mapbench compare BASE_DIR NEW_DIR [--out FILE.md] [--alpha 0.01] [--metric throughput|p99]
//! mapbench compare-validate --out DIR [--repeats N] [--truth-pairs N] [--delay-ns D]
//! mapbench cachesim-figure CSV --out DIR
//! mapbench chapter-figure NAME INPUT... --out DIR
//! mapbench resize-latency [--out DIR] [--rust-runner PATH] [--from-runs DIR]
//! mapbench tails RESULTS_DIR... --out DIR
//! mapbench http-knee CSV --out DIR
//! mapbench which-map [--quick DIR] [--memory DIR] [--tails FILE] --out DIR
//! mapbench validate --out DIR [--repeats N] [--ops-per-thread N] [--only-lang go|rust]
//!              [--rust-runner PATH] [--go-runner PATH] [--skip-micro] [--skip-bustle]
//!              [--bustle-capacity-log2 L] [--criterion-dir DIR]
//! ```
//!
//! Exit status: 0 on success, 2 for bad input (an invalid spec, suite, trace or results
//! file, an unknown workload, suite or map name, a missing toolchain, a bad flag), 1 when
//! something else fails (a runner build, a run, writing output), 130 when Ctrl-C stopped
//! a suite.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::anyhow;
use clap::{Parser, Subcommand};

use mapbench::orchestrate::{self, EXIT_INTERRUPTED, Failure, RunOptions, RunSummary};
use mapbench::results::Lang;
use mapbench::trace::{self, Trace, TraceHeader};
use mapbench::validate::{self, ValidateOptions};
use mapbench::workload::{self, OpKind, Overrides};
use mapbench::{check, compare, report, suite};

#[derive(Parser)]
#[command(
    name = "mapbench",
    version,
    about = "Workloads, traces, suites and results for the Go/Rust concurrent-map comparisons"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Generate a workload's binary op trace; writes PATH atomically and PATH.sha256,
    /// prints the SHA-256.
    Trace {
        /// A workload spec file, or NAME for comparisons/workloads/NAME.toml
        /// (MAPBENCH_WORKLOADS_DIR overrides the directory).
        #[arg(long, value_name = "FILE|NAME")]
        workload: String,
        /// Where to write the trace.
        #[arg(long, value_name = "PATH")]
        out: PathBuf,
        /// Replay threads (overrides the spec's `threads`).
        #[arg(long, value_name = "N")]
        threads: Option<u32>,
        /// Ops per thread (overrides the spec's `ops_per_thread`).
        #[arg(long, value_name = "N")]
        ops_per_thread: Option<u64>,
        /// Seed (overrides the spec's `seed`).
        #[arg(long, value_name = "S")]
        seed: Option<u64>,
    },
    /// Validate a trace and print its header, op counts, checksums and SHA-256
    /// (checked against PATH.sha256 when present).
    TraceInfo {
        path: PathBuf,
        /// Print JSON (the shape of comparisons/testdata/golden.summary.json).
        #[arg(long)]
        json: bool,
    },
    /// Run a suite: build both runners, generate the traces, run every cell (languages
    /// alternated, repeats interleaved), write results, manifest.json and bench.txt.
    /// Exit 1 if any run failed, 130 on Ctrl-C.
    Run(RunArgs),
    /// Check a results directory: every run file's schema, record order, interval totals
    /// against run_end, the .hlog's sample count; print a table per cell. Exit 2 if
    /// anything is malformed.
    Check {
        #[arg(value_name = "RESULTS_DIR")]
        dir: PathBuf,
    },
    /// Write a report of a results directory: DIR/report.md, DIR/figures/*.svg and
    /// DIR/bench.txt (DIR is replaced only when the whole report succeeded). Exit 2 if
    /// the results are malformed.
    Report {
        #[arg(value_name = "RESULTS_DIR")]
        dir: PathBuf,
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
        /// The page title [default: "Results: the <suite> suite"].
        #[arg(long, value_name = "TEXT")]
        title: Option<String>,
        /// `harness-costs.json` from `mapbench validate`: state both runners' noop cost
        /// per op at the top of the page.
        #[arg(long, value_name = "FILE")]
        harness_costs: Option<PathBuf>,
    },
    /// Validate the harness: noop overhead per op, runner vs micro-benchmark for one get,
    /// read-only scaling efficiency. Writes validation.json and validation.md into --out,
    /// and the runs into --out/runs.
    Validate(ValidateArgs),
    /// Compare two results directories cell by cell: medians, 95% intervals, the
    /// Mann-Whitney U test; a markdown table per workload. Exit 2 if a cell's trace or
    /// workload parameters differ between the sides, or for a malformed directory.
    Compare {
        #[arg(value_name = "BASE_DIR")]
        base: PathBuf,
        #[arg(value_name = "NEW_DIR")]
        new: PathBuf,
        /// Write the page here instead of stdout.
        #[arg(long, value_name = "FILE.md")]
        out: Option<PathBuf>,
        /// Significance level of the two-sided test.
        #[arg(long, default_value_t = compare::DEFAULT_ALPHA)]
        alpha: f64,
        #[arg(long, value_enum, default_value = "throughput")]
        metric: compare::Metric,
    },
    /// Validate compare: an A/A run pair (fraction flagged should be near alpha) and a
    /// power run with --op-delay-ns (should be flagged slower). Writes
    /// compare-validation.md and both tables into --out, the runs into --out/runs.
    CompareValidate(CompareValidateArgs),
    /// Chapter 4.4's figure from the CSV of `cargo run -p chapters --example ch4_cachesim
    /// -- cachegrind`: writes DIR/cachesim.svg. Exit 2 for a malformed CSV.
    CachesimFigure {
        #[arg(value_name = "CSV")]
        csv: PathBuf,
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
    },
    /// Chapter 2.4's latency while a map resizes: traces rapid-grow, replays it with the
    /// Rust runner timing every op (dashmap, papaya blocking and incremental, the maps
    /// alternated), writes DIR/resize-latency.md (or prints it). Exit 2 for bad input
    /// (no runner, a missing or unfinished run file), 1 if a run fails.
    ResizeLatency {
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
        /// The Rust runner [default: <target>/release/rust-runner].
        #[arg(long, value_name = "PATH", env = "MAPBENCH_RUST_RUNNER")]
        rust_runner: Option<PathBuf>,
        #[arg(long, value_name = "N", default_value_t = mapbench::chapters::resize_latency::OPS_PER_THREAD)]
        ops_per_thread: u64,
        /// Runs per map.
        #[arg(long, value_name = "N", default_value_t = mapbench::chapters::resize_latency::REPEATS)]
        repeats: u32,
        /// Render from the run files MAP-REP.jsonl (REP from 0) in DIR; run nothing.
        #[arg(long, value_name = "DIR")]
        from_runs: Option<PathBuf>,
    },
    /// A figure of chapters 2-3 from files their generators write: reclamation
    /// (ch02/reclamation.csv), resize-latency (ch02/resize-latency.md), false-sharing
    /// (ch03/contention-go.md ch03/contention-rust.md), deletes (ch03/deletes-go.md
    /// ch03/deletes-rust.md). Writes DIR/NAME.svg. Exit 2 for bad input.
    ChapterFigure {
        #[arg(value_name = "NAME")]
        name: String,
        #[arg(value_name = "INPUT", required = true)]
        inputs: Vec<PathBuf>,
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
    },
    /// Chapter 4.3: per-interval latency tails against GC pauses, GC cycles, scheduling
    /// latency and steal, from results of the `tails` suite (one or more directories, e.g.
    /// the run with GC on and the Go run with GOGC=off): writes DIR/tails.md and
    /// DIR/figures/tails.svg. Exit 2 for a missing, truncated or malformed results file.
    Tails {
        #[arg(value_name = "RESULTS_DIR", required = true)]
        dirs: Vec<PathBuf>,
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
        /// Also draw DIR/figures/tails-pauses.svg: every run's GC pauses and
        /// reclamation stalls on a time axis, one panel per run.
        #[arg(long)]
        pause_timeline: bool,
    },
    /// Chapter 4.1's knee table and figure from the CSV of `go-reference/cmd/ch4-load`
    /// (scripts/ch4_http_knee.sh): writes DIR/http-knee.md and DIR/figures/http-knee.svg.
    /// Exit 2 for a malformed CSV.
    HttpKnee {
        #[arg(value_name = "CSV")]
        csv: PathBuf,
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
    },
    /// Chapter 4.1's open-loop offered rates (scripts/ch4_http_open.sh): FRACTIONS of the
    /// closed-loop knee throughput of one server and distribution in CLOSED_CSV (the
    /// closed-loop format of `go-reference/cmd/ch4-load`), printed as whole requests/s
    /// separated by commas. Exit 2 for a malformed CSV, a bad fraction or a sweep the CSV
    /// lacks.
    HttpOpenRates {
        #[arg(value_name = "CLOSED_CSV")]
        csv: PathBuf,
        #[arg(long)]
        lang: String,
        #[arg(long)]
        map: String,
        #[arg(long)]
        distribution: String,
        /// Comma-separated fractions of the knee, e.g. 0.25,0.5,1,1.5.
        #[arg(long, value_delimiter = ',', required = true)]
        fractions: Vec<f64>,
    },
    /// Chapter 4.1's latency against offered load (scripts/ch4_http_open.sh), from the
    /// open-loop CSV of `go-reference/cmd/ch4-load -rates`, the .hlog files it names and
    /// the closed-loop CSV of the same servers: writes DIR/http-open.md and
    /// DIR/figures/http-open.svg. Exit 2 for a malformed or missing input.
    HttpOpen {
        #[arg(value_name = "OPEN_CSV")]
        csv: PathBuf,
        /// The closed-loop CSV (service times and the knee).
        #[arg(long, value_name = "CSV")]
        closed: PathBuf,
        /// Where the .hlog files the open-loop CSV names are.
        #[arg(long, value_name = "DIR")]
        hlog_dir: PathBuf,
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
    },
    /// The "which map, when" page's data, from generated files only: the quick suite's
    /// bench.txt, a memory suite's report.md + bench.txt, chapter 4.3's tails.md. Writes
    /// DIR/which-map.json, DIR/which-map.md and DIR/figures/which-map.svg. Exit 2 for a
    /// missing or malformed input.
    WhichMap {
        /// The quick suite's generated report directory (reads its bench.txt).
        #[arg(long, value_name = "DIR", default_value = "book/src/generated/results")]
        quick: PathBuf,
        /// A memory suite's generated report directory (report.md and bench.txt).
        #[arg(long, value_name = "DIR", default_value = "book/src/generated/long")]
        memory: PathBuf,
        /// Chapter 4.3's generated tails.md.
        #[arg(
            long,
            value_name = "FILE",
            default_value = "book/src/generated/ch04/tails.md"
        )]
        tails: PathBuf,
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
    },
    /// The Results page "the matrix", from a results directory of the `matrix` suite
    /// (complete, still running or stopped early): writes DIR/matrix.json,
    /// DIR/matrix-summary.md and DIR/figures/matrix-*.svg, replacing DIR (refused when
    /// DIR holds other files). Exit 2 for a missing or malformed input.
    MatrixReport {
        #[arg(value_name = "RESULTS_DIR")]
        dir: PathBuf,
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
        /// Load average samples taken while the suite ran: lines `epoch load1 load5
        /// load15 …` (as scripts/soak.sh writes); the summary says how busy the machine was.
        #[arg(long, value_name = "FILE")]
        load: Option<PathBuf>,
    },
}

/// `mapbench run`'s arguments.
#[derive(clap::Args)]
struct RunArgs {
    /// A suite file, or NAME for comparisons/suites/NAME.toml (MAPBENCH_SUITES_DIR
    /// overrides the directory).
    #[arg(long, value_name = "NAME|FILE")]
    suite: String,
    /// Results directory [default: results/<suite>/<UTC timestamp>/ in the repository].
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Run one language only.
    #[arg(long, value_name = "go|rust")]
    only_lang: Option<Lang>,
    /// Keep the runs whose id (<suite>-<lang>-<map>-<workload>-t<threads>-r<repeat>)
    /// contains SUBSTR.
    #[arg(long, value_name = "SUBSTR")]
    filter: Option<String>,
    /// Build the runners and resolve the maps, then print the traces and the exact
    /// command of every run, in order; generate and run nothing.
    #[arg(long)]
    dry_run: bool,
    #[command(flatten)]
    runners: RunnerArgs,
    /// Where traces are cached, keyed by workload, threads, ops and seed
    /// [default: <target>/traces].
    #[arg(long, value_name = "DIR")]
    trace_cache: Option<PathBuf>,
    /// Stop a run (SIGINT, SIGKILL 10 s later) that takes longer than this plus its
    /// --duration-ms; 0 = no limit.
    #[arg(long, value_name = "SECS", default_value_t = 1800)]
    run_timeout: u64,
}

/// `mapbench validate`'s arguments.
#[derive(clap::Args)]
struct ValidateArgs {
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    #[arg(long, value_name = "go|rust")]
    only_lang: Option<Lang>,
    #[command(flatten)]
    runners: RunnerArgs,
    /// Repeats (each runs every cell once; the median is reported).
    #[arg(long, value_name = "N", default_value_t = 5)]
    repeats: u32,
    #[arg(long, value_name = "N", default_value_t = 1_000_000)]
    ops_per_thread: u64,
    /// Do not run `go test -bench` or `cargo bench`.
    #[arg(long)]
    skip_micro: bool,
    /// Do not run the bustle comparison.
    #[arg(long)]
    skip_bustle: bool,
    /// The bustle comparison's capacity, as a power of two.
    #[arg(long, value_name = "L", default_value_t = 20)]
    bustle_capacity_log2: u8,
    /// Criterion's output directory [default: <target>/criterion].
    #[arg(long, value_name = "DIR")]
    criterion_dir: Option<PathBuf>,
    #[arg(long, value_name = "DIR")]
    trace_cache: Option<PathBuf>,
}

/// `mapbench compare-validate`'s arguments.
#[derive(clap::Args)]
struct CompareValidateArgs {
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// Runs per cell [default: the suite's].
    #[arg(long, value_name = "N")]
    repeats: Option<u32>,
    /// Pairs per cell measuring the true size of the injected change [default: the
    /// repeats].
    #[arg(long, value_name = "N")]
    truth_pairs: Option<u32>,
    /// One delay per op for every cell in the power run [default: per cell, the delay
    /// that would cut throughput by 10% if it simply added, from its first A runs].
    #[arg(long, value_name = "D")]
    delay_ns: Option<u64>,
    #[command(flatten)]
    runners: RunnerArgs,
    #[arg(long, value_name = "DIR")]
    trace_cache: Option<PathBuf>,
    /// `throughput`: wall-clock runs (five series, see above); `instructions`: every
    /// run under cachegrind, B with `--op-work-steps` (writes icount-validation.md).
    #[arg(long, value_enum, default_value = "throughput")]
    metric: compare::Metric,
    /// Instructions only: keep the cells whose name (workload/lang/map/tT) contains this.
    #[arg(long, value_name = "SUBSTR")]
    only: Option<String>,
}

impl RunArgs {
    fn options(self) -> RunOptions {
        RunOptions {
            suite: self.suite,
            out: self.out,
            only_lang: self.only_lang,
            filter: self.filter,
            dry_run: self.dry_run,
            rust_runner: self.runners.rust_runner,
            go_runner: self.runners.go_runner,
            trace_cache: self.trace_cache,
            run_timeout: (self.run_timeout > 0)
                .then(|| std::time::Duration::from_secs(self.run_timeout)),
            workloads_dir: workloads_dir(),
            suites_dir: suites_dir(),
        }
    }
}

impl ValidateArgs {
    fn options(self) -> ValidateOptions {
        ValidateOptions {
            out: self.out,
            only_lang: self.only_lang,
            rust_runner: self.runners.rust_runner,
            go_runner: self.runners.go_runner,
            repeats: self.repeats,
            ops_per_thread: self.ops_per_thread,
            skip_micro: self.skip_micro,
            skip_bustle: self.skip_bustle,
            bustle_capacity_log2: self.bustle_capacity_log2,
            criterion_dir: self.criterion_dir,
            trace_cache: self.trace_cache,
            workloads_dir: workloads_dir(),
        }
    }
}

/// Runner binaries to use instead of building them.
#[derive(clap::Args)]
struct RunnerArgs {
    /// The Rust runner to use; nothing is built for Rust.
    #[arg(long, value_name = "PATH", env = "MAPBENCH_RUST_RUNNER")]
    rust_runner: Option<PathBuf>,
    /// The Go runner to use; nothing is built for Go.
    #[arg(long, value_name = "PATH", env = "MAPBENCH_GO_RUNNER")]
    go_runner: Option<PathBuf>,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Trace {
            workload,
            out,
            threads,
            ops_per_thread,
            seed,
        } => run_trace(
            &workload,
            &out,
            Overrides {
                threads,
                ops_per_thread,
                seed,
            },
        ),
        Command::TraceInfo { path, json } => run_trace_info(&path, json),
        Command::Run(args) => run_suite(args.options()),
        Command::Check { dir } => run_check(&dir),
        Command::Report {
            dir,
            out,
            title,
            harness_costs,
        } => run_report(dir, out, title, harness_costs),
        Command::Validate(args) => run_validate(args.options()),
        Command::Compare {
            base,
            new,
            out,
            alpha,
            metric,
        } => compare::run_compare(&base, &new, out.as_deref(), metric, alpha)
            .map(|_| ExitCode::SUCCESS),
        Command::CompareValidate(args) => run_compare_validate(args),
        Command::CachesimFigure { csv, out } => run_cachesim_figure(&csv, &out),
        Command::ResizeLatency {
            out,
            rust_runner,
            ops_per_thread,
            repeats,
            from_runs,
        } => {
            mapbench::chapters::resize_latency::run(&mapbench::chapters::resize_latency::Options {
                out,
                rust_runner: rust_runner.unwrap_or_else(|| {
                    mapbench::runners::target_dir(&mapbench::runners::repo_root())
                        .join("release/rust-runner")
                }),
                workloads_dir: workloads_dir(),
                ops_per_thread,
                repeats,
                from_runs,
            })
            .map(|()| ExitCode::SUCCESS)
        }
        Command::ChapterFigure { name, inputs, out } => run_chapter_figure(&name, &inputs, &out),
        Command::Tails {
            dirs,
            out,
            pause_timeline,
        } => run_tails(&dirs, &out, pause_timeline),
        Command::HttpKnee { csv, out } => run_http_knee(&csv, &out),
        Command::HttpOpenRates {
            csv,
            lang,
            map,
            distribution,
            fractions,
        } => run_http_open_rates(&csv, &lang, &map, &distribution, &fractions),
        Command::HttpOpen {
            csv,
            closed,
            hlog_dir,
            out,
        } => run_http_open(&csv, &closed, &hlog_dir, &out),
        Command::WhichMap {
            quick,
            memory,
            tails,
            out,
        } => run_which_map(quick, memory, tails, &out),
        Command::MatrixReport { dir, out, load } => run_matrix_report(&dir, &out, load.as_deref()),
    };
    match result {
        Ok(code) => code,
        Err(Failure::BadInput(e)) => {
            eprintln!("mapbench: error: {}", error_text(&e));
            ExitCode::from(2)
        }
        Err(Failure::Failed(e)) => {
            eprintln!("mapbench: error: {}", error_text(&e));
            ExitCode::FAILURE
        }
    }
}

/// An error and its causes on one line, each cause once: an error whose message already
/// quotes its source (`x: cannot read: Not a directory`) does not repeat it.
fn error_text(e: &anyhow::Error) -> String {
    let mut text = String::new();
    for cause in e.chain() {
        let part = cause.to_string();
        let part = part.trim();
        if part.is_empty() || text.contains(part) {
            continue;
        }
        if !text.is_empty() {
            text.push_str(": ");
        }
        text.push_str(part);
    }
    if text.is_empty() {
        text.push_str("failed, with no message (a bug: please report the command)");
    }
    text
}

fn run_which_map(
    quick: PathBuf,
    memory: PathBuf,
    tails: PathBuf,
    out: &Path,
) -> Result<ExitCode, Failure> {
    use mapbench::which_map::{Inputs, WhichMap, write_outputs};
    let command = report::shell_join(&[
        "mapbench".to_owned(),
        "which-map".to_owned(),
        "--quick".to_owned(),
        quick.display().to_string(),
        "--memory".to_owned(),
        memory.display().to_string(),
        "--tails".to_owned(),
        tails.display().to_string(),
        "--out".to_owned(),
        out.display().to_string(),
    ]);
    let w = WhichMap::load(&Inputs {
        quick,
        memory,
        tails,
    })
    .map_err(Failure::BadInput)?;
    for p in write_outputs(&w, out, &command).map_err(Failure::Failed)? {
        eprintln!("mapbench: wrote {}", p.display());
    }
    Ok(ExitCode::SUCCESS)
}

fn run_matrix_report(dir: &Path, out: &Path, load: Option<&Path>) -> Result<ExitCode, Failure> {
    use mapbench::matrix;
    let mut argv = vec![
        "mapbench".to_owned(),
        "matrix-report".to_owned(),
        dir.display().to_string(),
        "--out".to_owned(),
        out.display().to_string(),
    ];
    if let Some(l) = load {
        argv.extend(["--load".to_owned(), l.display().to_string()]);
    }
    let command = report::shell_join(&argv);
    matrix::check_out(out).map_err(Failure::BadInput)?;
    let m = matrix::load(dir, load).map_err(Failure::BadInput)?;
    for p in matrix::write_outputs(&m, out, &command).map_err(Failure::Failed)? {
        eprintln!("mapbench: wrote {}", p.display());
    }
    eprintln!("mapbench: {}", m.status_line());
    Ok(ExitCode::SUCCESS)
}

fn run_http_knee(csv: &Path, out: &Path) -> Result<ExitCode, Failure> {
    let sweep = mapbench::chapters::httpknee::read_csv(csv).map_err(Failure::BadInput)?;
    let (md, svg) =
        mapbench::chapters::httpknee::write_outputs(&sweep, out).map_err(Failure::Failed)?;
    eprintln!("mapbench: wrote {} and {}", md.display(), svg.display());
    Ok(ExitCode::SUCCESS)
}

fn run_http_open_rates(
    csv: &Path,
    lang: &str,
    map: &str,
    distribution: &str,
    fractions: &[f64],
) -> Result<ExitCode, Failure> {
    let sweep = mapbench::chapters::httpknee::read_csv(csv).map_err(Failure::BadInput)?;
    let rates =
        mapbench::chapters::httpopen::offered_rates(&sweep, lang, map, distribution, fractions)
            .map_err(Failure::BadInput)?;
    let text: Vec<String> = rates.iter().map(|r| format!("{r:.0}")).collect();
    println!("{}", text.join(","));
    Ok(ExitCode::SUCCESS)
}

fn run_http_open(
    csv: &Path,
    closed: &Path,
    hlog_dir: &Path,
    out: &Path,
) -> Result<ExitCode, Failure> {
    let (curves, open, closed) =
        mapbench::chapters::httpopen::load(csv, hlog_dir, closed).map_err(Failure::BadInput)?;
    let (md, svg) = mapbench::chapters::httpopen::write_outputs(&curves, &open, &closed, out)
        .map_err(Failure::Failed)?;
    eprintln!("mapbench: wrote {} and {}", md.display(), svg.display());
    Ok(ExitCode::SUCCESS)
}

fn run_tails(dirs: &[PathBuf], out: &Path, pause_timeline: bool) -> Result<ExitCode, Failure> {
    let runs = mapbench::chapters::tails::load(dirs).map_err(Failure::BadInput)?;
    let header = mapbench::chapters::tails::header(dirs, out);
    let mut paths =
        mapbench::chapters::tails::write_outputs(&runs, out, &header).map_err(Failure::Failed)?;
    if pause_timeline {
        paths.push(
            mapbench::chapters::tails::write_pause_timeline(dirs, out).map_err(Failure::Failed)?,
        );
    }
    for p in paths {
        eprintln!("mapbench: wrote {}", p.display());
    }
    Ok(ExitCode::SUCCESS)
}

fn run_chapter_figure(name: &str, inputs: &[PathBuf], out: &Path) -> Result<ExitCode, Failure> {
    // Read and draw first: bad input is exit 2 and writes nothing.
    mapbench::chapters::chapter_figures::render(name, inputs).map_err(Failure::BadInput)?;
    let path = mapbench::chapters::chapter_figures::write_figure(name, inputs, out)
        .map_err(Failure::Failed)?;
    eprintln!("mapbench: wrote {}", path.display());
    Ok(ExitCode::SUCCESS)
}

fn run_cachesim_figure(csv: &Path, out: &Path) -> Result<ExitCode, Failure> {
    let rows = mapbench::chapters::cachesim::read_csv(csv).map_err(Failure::BadInput)?;
    let path = mapbench::chapters::cachesim::write_figure(&rows, out).map_err(Failure::Failed)?;
    eprintln!("mapbench: wrote {}", path.display());
    Ok(ExitCode::SUCCESS)
}

fn workloads_dir() -> PathBuf {
    std::env::var_os("MAPBENCH_WORKLOADS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(workload::workloads_dir)
}

fn suites_dir() -> PathBuf {
    std::env::var_os("MAPBENCH_SUITES_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(suite::suites_dir)
}

fn run_suite(opts: RunOptions) -> Result<ExitCode, Failure> {
    Ok(match orchestrate::run_suite(&opts)? {
        RunSummary::DryRun => ExitCode::SUCCESS,
        RunSummary::InterruptedBeforeRuns => ExitCode::from(EXIT_INTERRUPTED),
        RunSummary::Executed { outcome, .. } if outcome.interrupted => {
            ExitCode::from(EXIT_INTERRUPTED)
        }
        RunSummary::Executed { outcome, .. } if outcome.all_ok() => ExitCode::SUCCESS,
        RunSummary::Executed { .. } => ExitCode::FAILURE,
    })
}

fn run_check(dir: &Path) -> Result<ExitCode, Failure> {
    let report = check::check_dir(dir).map_err(|e| Failure::BadInput(e.into()))?;
    print!("{}", check::render(&report, dir));
    if report.problems.is_empty() {
        return Ok(ExitCode::SUCCESS);
    }
    for p in &report.problems {
        eprintln!("mapbench: problem: {p}");
    }
    // The last line stands on its own: the directory, the count, and the first problem.
    let first = report.problems[0].trim();
    let more = match report.problems.len() {
        1 => String::new(),
        n => format!(" (and {} more, listed above)", n - 1),
    };
    Err(Failure::BadInput(anyhow!(
        "{}: malformed results: {first}{more}",
        dir.display()
    )))
}

fn run_report(
    dir: PathBuf,
    out: PathBuf,
    title: Option<String>,
    harness_costs: Option<PathBuf>,
) -> Result<ExitCode, Failure> {
    // The paths as given, so the page names no machine's working directory.
    let mut command = vec![
        "mapbench".to_owned(),
        "report".to_owned(),
        dir.display().to_string(),
        "--out".to_owned(),
        out.display().to_string(),
    ];
    if let Some(t) = &title {
        command.extend(["--title".to_owned(), t.clone()]);
    }
    if let Some(h) = &harness_costs {
        command.extend(["--harness-costs".to_owned(), h.display().to_string()]);
    }
    let summary = report::report(&report::ReportOptions {
        results_dir: dir,
        out: out.clone(),
        title,
        command: report::shell_join(&command),
        harness_costs,
    })?;
    println!(
        "mapbench: report of {} runs with {} figures in {}",
        summary.runs,
        summary.figures.len(),
        out.display()
    );
    Ok(ExitCode::SUCCESS)
}

/// `mapbench compare-validate`: the throughput series (all cells) or the instruction
/// counts.
fn run_compare_validate(args: CompareValidateArgs) -> Result<ExitCode, Failure> {
    let CompareValidateArgs {
        out,
        repeats,
        truth_pairs,
        delay_ns,
        runners,
        trace_cache,
        metric,
        only,
    } = args;
    let opts = compare::CompareValidateOptions {
        out,
        repeats,
        truth_pairs,
        delay_ns,
        rust_runner: runners.rust_runner,
        go_runner: runners.go_runner,
        trace_cache,
        workloads_dir: workloads_dir(),
        suites_dir: suites_dir(),
        alpha: compare::DEFAULT_ALPHA,
    };
    match metric {
        compare::Metric::Instructions => {
            compare::compare_validate_instructions(&opts, only.as_deref()).map(|_| ())
        }
        compare::Metric::Throughput if only.is_none() => {
            compare::compare_validate(&opts).map(|_| ())
        }
        m => Err(orchestrate::Failure::BadInput(anyhow::anyhow!(
            "--metric {m:?} --only: compare-validate runs `throughput` (all cells) or \
                 `instructions`"
        ))),
    }
    .map(|_| ExitCode::SUCCESS)
}

fn run_validate(opts: ValidateOptions) -> Result<ExitCode, Failure> {
    let outcome = validate::validate(&opts)?;
    Ok(if outcome.exec.interrupted {
        ExitCode::from(EXIT_INTERRUPTED)
    } else if outcome.exec.all_ok() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

fn run_trace(arg: &str, out: &Path, overrides: Overrides) -> Result<ExitCode, Failure> {
    let bad = |e: workload::WorkloadError| Failure::BadInput(e.into());
    let spec = workload::resolve(arg, &workloads_dir()).map_err(bad)?;
    let w = workload::load(&spec, overrides).map_err(bad)?;
    let started = Instant::now();
    let written = trace::write_trace_file(&w, out).map_err(Failure::Failed)?;
    eprintln!(
        "mapbench: wrote {} ({} bytes: {} prefill keys, {} threads × {} ops, {}) in {:.3} s",
        written.path.display(),
        written.bytes,
        w.prefill_count,
        w.threads,
        w.ops_per_thread,
        w.distribution,
        started.elapsed().as_secs_f64()
    );
    println!("{}", written.sha256);
    Ok(ExitCode::SUCCESS)
}

fn run_trace_info(path: &Path, json: bool) -> Result<ExitCode, Failure> {
    // The same check the runners make: a PATH.sha256 that records another digest, or is
    // not sha256sum output, is an error; a missing one is said in the text output.
    let (t, verified) = Trace::open_verified(path).map_err(|e| Failure::BadInput(e.into()))?;
    let info = t.info();
    let sidecar = trace::sha256_path(path);
    let recorded = (verified == trace::Sidecar::Matched).then(|| info.sha256.clone());
    if json {
        let text = serde_json::to_string_pretty(&info)
            .map_err(|e| Failure::Failed(anyhow!("cannot encode JSON: {e}")))?;
        println!("{text}");
    } else {
        print_info(path, t.header(), &info, recorded.as_deref(), &sidecar);
    }
    Ok(ExitCode::SUCCESS)
}

fn print_info(
    path: &Path,
    h: &TraceHeader,
    info: &trace::TraceInfo,
    recorded: Option<&str>,
    sidecar: &Path,
) {
    let pct = |bp: u16| format!("{}%", f64::from(bp) / 100.0);
    let mix: Vec<String> = OpKind::ALL
        .into_iter()
        .map(|k| format!("{k} {}", pct(h.mix_bp.share_bp(k))))
        .collect();
    let check = match recorded {
        None => format!("(no {})", sidecar.display()),
        Some(r) if r == info.sha256 => format!("(matches {})", sidecar.display()),
        Some(_) => format!("(MISMATCH with {})", sidecar.display()),
    };
    println!("file           {}", path.display());
    println!(
        "format         {} (header {} bytes)",
        info.format, h.header_len
    );
    println!("workload       {}", h.name);
    println!(
        "key space      {} (key ids < {})",
        h.key_space, h.key_id_bound
    );
    let presize = match h.presize_capacity() {
        Some(c) => format!("yes (capacity {c})"),
        None => "no".to_owned(),
    };
    println!("prefill        {} keys, presize {presize}", h.prefill_count);
    println!("threads        {} × {} ops", h.threads, h.ops_per_thread);
    println!("mix            {}", mix.join(", "));
    println!("distribution   {}", h.distribution);
    println!("seed           {}", h.seed);
    println!(
        "prefill fold   {} (checksum of the prefill as inserts)",
        info.summary.prefill.checksum
    );
    for t in &info.summary.threads {
        println!(
            "thread {:<7} get {}, insert {}, update {}, remove {}; checksum {}",
            t.thread, t.get, t.insert, t.update, t.remove, t.checksum
        );
    }
    println!("checksum       {}", info.summary.checksum);
    let r = &info.summary.sequential_replay;
    println!(
        "replay         sequential: {} get hits, {} new inserts, {} update hits, {} remove hits; final {} keys, state {}",
        r.get_hits, r.insert_new, r.update_hits, r.remove_hits, r.final_len, r.state_checksum
    );
    println!("sha256         {} {check}", info.sha256);
}
