//! The Rust runner: replays one pre-generated operation trace against one concurrent map
//! and writes results, as `comparisons/RUNNER-SPEC.md` specifies (the Go runner,
//! `go-reference/cmd/runner`, implements the same contract).
//!
//! ```text
//! rust-runner --trace PATH --map NAME --out-dir DIR --run-id ID
//!             [--interval-ms 100] [--latency-sample-every 1024] [--duration-ms 0]
//!             [--warmup-ops 0] [--op-delay-ns 0] [--list-maps]
//! ```
//!
//! A run: validate the trace, the map (a `cmap_maps` registry name or `noop`) and the
//! output files; measure the clock's cost; prefill from one thread; start one worker per
//! op stream (`std::thread::scope`), each with its own handle, warm-up, then a start gate;
//! replay (once, or looping for `--duration-ms`), handing per-interval counters and latency
//! histograms to the collector on this thread, which writes `DIR/<run_id>.jsonl` and
//! `DIR/<run_id>.hlog` interval by interval; then `run_end` and the `bench.txt` line.
//!
//! The map is chosen once, by name and by the trace's key type and value kind, through
//! [`cmap_maps::visit_kv_by_name`]: the replay loop ([`replay`]) is compiled once per map
//! type and key/value types, with no dynamic dispatch per op. String keys are built
//! before the prefill ([`keys`]).
//!
//! Exit status (the binary): 0 ok, 2 bad input (nothing overwritten), 130 interrupted
//! (SIGINT; `run_end` says `"interrupted"`), 1 anything else (a worker panicked, a results
//! file could not be written).

pub mod alloc;
pub mod collect;
pub mod fixture;
pub mod hlog;
pub mod keys;
pub mod noop;
pub mod reclaim;
pub mod records;
pub mod replay;
pub mod run;
pub mod sampling;
pub mod sys;

pub use cmap_formats::results::EndStatus;
pub use run::{Config, Outcome, RunError, resolve_map, run};
