//! `mapbench`: workload specs, the binary operation trace both runners replay, the
//! orchestrator that drives the runners, and the results they write.
//!
//! * [`workload`]: the TOML specs under `comparisons/workloads/`, validated.
//! * [`keydist`]: the key-id generators (YCSB's, formula for formula) and per-thread op
//!   streams, deterministic from the seed.
//! * [`trace`]: the trace file (see `comparisons/TRACE-FORMAT.md`): writer, validating
//!   reader, key and value derivation, summary checksum.
//! * [`suite`]: the TOML suites under `comparisons/suites/` (`comparisons/SUITES.md`),
//!   their cells and the run order.
//! * [`runners`]: building the two runners, their map lists, a run's command line.
//! * [`orchestrate`]: `mapbench run`: traces, subprocesses, manifest, `bench.txt`,
//!   progress, Ctrl-C.
//! * [`results`]: the schema-1 run files and latency logs (`comparisons/RUNNER-SPEC.md`),
//!   read and merged; [`manifest`]: a results directory's `manifest.json`.
//! * [`check`]: `mapbench check`; [`validate`]: `mapbench validate`.
//! * [`host`]: host, toolchain and git facts, UTC time stamps.
//! * [`report`]: `mapbench report` (markdown, knee, memory fits); [`figures`]: its SVGs;
//!   [`theme`]: the look every figure shares.
//! * [`matrix`]: `mapbench matrix-report`: the Results page "the matrix".
//! * [`which_map`]: `mapbench which-map`: the Results part's "which map, when" data.

pub mod bustle_shape;
pub mod cachesim;
pub mod chapter_figures;
pub mod check;
pub mod compare;
pub mod figures;
pub mod host;
pub mod httpknee;
pub mod httpopen;
pub mod keydist;
pub mod manifest;
pub mod matrix;
pub mod orchestrate;
pub mod report;
pub mod results;
pub mod runners;
pub mod stats;
pub mod suite;
pub mod tails;
pub mod theme;
pub mod trace;
pub mod validate;
pub mod which_map;
pub mod workload;
