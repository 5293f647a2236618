//! `mapbench`: the comparisons command line.
//!
//! ```text
//! mapbench trace --workload FILE|NAME --out PATH [--threads N] [--ops-per-thread N] [--seed S]
//! mapbench trace-info PATH [--json]
//! ```
//!
//! Exit status: 0 on success, 2 for bad input (an invalid spec or trace, an unknown
//! workload name, a bad flag), 1 when something else fails (e.g. the output cannot be
//! written).

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::anyhow;
use clap::{Parser, Subcommand};

use mapbench::trace::{self, Trace, TraceHeader};
use mapbench::workload::{self, OpKind, Overrides};

#[derive(Parser)]
#[command(
    name = "mapbench",
    version,
    about = "Workloads and operation traces for the Go/Rust concurrent-map comparisons"
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
}

/// How a command failed: bad input exits 2, anything else 1.
enum Failure {
    BadInput(anyhow::Error),
    Failed(anyhow::Error),
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
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::BadInput(e)) => {
            eprintln!("mapbench: error: {e:#}");
            ExitCode::from(2)
        }
        Err(Failure::Failed(e)) => {
            eprintln!("mapbench: error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn workloads_dir() -> PathBuf {
    std::env::var_os("MAPBENCH_WORKLOADS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(workload::workloads_dir)
}

fn run_trace(arg: &str, out: &Path, overrides: Overrides) -> Result<(), Failure> {
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
    Ok(())
}

fn run_trace_info(path: &Path, json: bool) -> Result<(), Failure> {
    let t = Trace::open(path).map_err(|e| Failure::BadInput(e.into()))?;
    let info = t.info();
    // Compare with PATH.sha256 if it exists: its first field is the hex digest.
    let sidecar = trace::sha256_path(path);
    let recorded = std::fs::read_to_string(&sidecar).ok().map(|s| {
        s.split_whitespace()
            .next()
            .unwrap_or_default()
            .to_ascii_lowercase()
    });
    if json {
        let text = serde_json::to_string_pretty(&info)
            .map_err(|e| Failure::Failed(anyhow!("cannot encode JSON: {e}")))?;
        println!("{text}");
    } else {
        print_info(path, t.header(), &info, recorded.as_deref(), &sidecar);
    }
    match recorded {
        Some(r) if r != info.sha256 => Err(Failure::BadInput(anyhow!(
            "{}: sha256 {} does not match {} ({r})",
            path.display(),
            info.sha256,
            sidecar.display()
        ))),
        _ => Ok(()),
    }
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
