//! `mapbench`: the orchestrator that drives the two runners, and the analysis of what
//! they write (check, report, compare, validate, figures).
//!
//! The formats it shares with the runners live in the leaf crate `cmap-formats`
//! (`comparisons/formats/`) and are re-exported here under their old paths:
//! [`workload`] (the TOML specs), [`keydist`] (key-id generators), [`trace`] (the trace
//! file, `comparisons/TRACE-FORMAT.md`), [`results`] (run files and latency logs,
//! `comparisons/RUNNER-SPEC.md`), [`manifest`] (`manifest.json`), [`host`] (host,
//! toolchain and git facts, UTC time stamps), [`bustle_shape`].
//!
//! * [`suite`]: the TOML suites under `comparisons/suites/` (`comparisons/SUITES.md`),
//!   their cells and the run order.
//! * [`runners`]: building the two runners, their map lists, a run's command line.
//! * [`orchestrate`]: `mapbench run`: traces, subprocesses, manifest, `bench.txt`,
//!   progress, Ctrl-C.
//! * [`check`]: `mapbench check`; [`validate`]: `mapbench validate`.
//! * [`report`]: `mapbench report` (markdown, knee); [`figures`]: its SVGs;
//!   [`chart`]: the look and the chart building every figure shares.
//! * [`chapters`]: the chapters' own analysis and figures (`mapbench tails`,
//!   `http-knee`, `http-open`, `cachesim-figure`, `chapter-figure`, `resize-latency`).
//! * [`stats`]: compare's tests and intervals, the memory fits ([`stats::fit`]), the
//!   per-cell statistics ([`stats::cell`]).
//! * [`matrix`]: `mapbench matrix-report`: the Results page "the matrix".
//! * [`which_map`]: `mapbench which-map`: the Results part's "which map, when" data.

pub use cmap_formats::{bustle_shape, host, keydist, manifest, results, trace, workload};

pub mod chapters;
pub mod chart;
pub mod check;
pub mod compare;
pub mod figures;
pub mod icount;
pub mod matrix;
pub mod orchestrate;
pub mod report;
pub mod runners;
pub mod stats;
pub mod suite;
pub mod validate;
pub mod which_map;
