//! `rust-runner`: see the crate docs and `comparisons/RUNNER-SPEC.md`.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering::SeqCst};

use clap::Parser;

use cmap_runner::alloc::CountingAlloc;
use cmap_runner::{Config, EndStatus, RunError};

#[global_allocator]
static GLOBAL: CountingAlloc = CountingAlloc;

/// Raised by SIGINT; workers stop at their next clock check.
static STOP: AtomicBool = AtomicBool::new(false);

/// Replay an operation trace against one concurrent map and write results
/// (comparisons/RUNNER-SPEC.md).
#[derive(Parser, Debug)]
#[command(name = "rust-runner", version)]
struct Cli {
    /// A trace written by `mapbench trace`; one worker thread per op stream.
    #[arg(long, value_name = "PATH", required_unless_present = "list_maps")]
    trace: Option<PathBuf>,
    /// A map name from `--list-maps`, or `noop` (measures the harness's own cost).
    #[arg(long, value_name = "NAME", required_unless_present = "list_maps")]
    map: Option<String>,
    /// Where to write ID.jsonl and ID.hlog (created if missing).
    #[arg(long, value_name = "DIR", required_unless_present = "list_maps")]
    out_dir: Option<PathBuf>,
    /// The results files' stem; an existing one is never overwritten.
    #[arg(long, value_name = "ID", required_unless_present = "list_maps")]
    run_id: Option<String>,
    /// Interval length for the per-interval records.
    #[arg(long, value_name = "MS", default_value_t = 100,
          value_parser = clap::value_parser!(u64).range(1..=3_600_000))]
    interval_ms: u64,
    /// Time op i of each worker's measured phase iff i % K == 0; 0 disables latency.
    #[arg(long, value_name = "K", default_value_t = 1024)]
    latency_sample_every: u64,
    /// 0: replay each stream once; > 0: loop the streams until this many ms have passed.
    #[arg(long, value_name = "MS", default_value_t = 0)]
    duration_ms: u64,
    /// Ops each worker replays untimed (from its stream's start) before the start barrier.
    #[arg(long, value_name = "N", default_value_t = 0)]
    warmup_ops: u64,
    /// Spin this long after every op.
    #[arg(long, value_name = "NS", default_value_t = 0)]
    op_delay_ns: u64,
    /// Spin exactly this many steps of the delay's chain after every op, uncalibrated:
    /// an extra cost per op fixed in instructions, for instruction-count runs
    /// (under valgrind a time-calibrated delay would shrink with the slowdown).
    /// Given at all, even as 0, the ops run through the spin loop (the loop a delay
    /// uses): a compare's baseline with `--op-work-steps 0` differs from its
    /// `--op-delay-ns` or `--op-work-steps N` side by the spin's steps alone.
    #[arg(long, value_name = "STEPS")]
    op_work_steps: Option<u64>,
    /// Print the maps as JSON lines and exit.
    #[arg(long)]
    list_maps: bool,
}

fn main() -> ExitCode {
    let argv: Vec<String> = std::env::args().collect();
    let cli = Cli::parse(); // usage errors: clap prints them and exits 2
    if cli.list_maps {
        use std::io::Write;
        let mut out = std::io::stdout().lock();
        for info in cmap_maps::all() {
            let line = cmap_runner::records::listed_map(info);
            let json = serde_json::to_string(&line).expect("serializable");
            // `--list-maps | head` closes the pipe early: that is the reader's choice,
            // not an error worth a panic.
            if writeln!(out, "{json}").is_err() {
                return ExitCode::SUCCESS;
            }
        }
        return ExitCode::SUCCESS;
    }
    if let Err(e) = ctrlc::set_handler(|| {
        if STOP.swap(true, SeqCst) {
            // A second Ctrl-C: stop waiting for the workers.
            std::process::exit(130);
        }
    }) {
        eprintln!("rust-runner: error: cannot install the SIGINT handler: {e}");
        return ExitCode::FAILURE;
    }
    if let Some(steps) = cli.op_work_steps.filter(|&s| s > 0 && cli.op_delay_ns > 0) {
        eprintln!(
            "rust-runner: error: --op-work-steps: expected 0 when --op-delay-ns is set \
             (one delay per op), found {steps}"
        );
        return ExitCode::from(2);
    }
    let cfg = Config {
        trace: cli.trace.expect("required by clap"),
        map: cli.map.expect("required by clap"),
        out_dir: cli.out_dir.expect("required by clap"),
        run_id: cli.run_id.expect("required by clap"),
        interval_ms: cli.interval_ms,
        latency_sample_every: cli.latency_sample_every,
        duration_ms: cli.duration_ms,
        warmup_ops: cli.warmup_ops,
        op_delay_ns: cli.op_delay_ns,
        op_work_steps: cli.op_work_steps,
        argv,
    };
    match cmap_runner::run(&cfg, &STOP) {
        Ok(outcome) => match outcome.status {
            EndStatus::Ok => {
                if let Some(line) = outcome.bench_line {
                    println!("{line}");
                }
                ExitCode::SUCCESS
            }
            EndStatus::Interrupted => {
                eprintln!(
                    "rust-runner: interrupted; partial results in {}",
                    outcome.jsonl_path.display()
                );
                ExitCode::from(130)
            }
            EndStatus::Error => {
                eprintln!(
                    "rust-runner: error: {}",
                    outcome.error.as_deref().unwrap_or("the run failed")
                );
                ExitCode::FAILURE
            }
        },
        Err(RunError::BadInput(message)) => {
            eprintln!("rust-runner: error: {message}");
            ExitCode::from(2)
        }
        Err(RunError::Failed(message)) => {
            eprintln!("rust-runner: error: {message}");
            ExitCode::FAILURE
        }
    }
}
