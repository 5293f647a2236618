//! `cmap-formats`: the formats both runners and every tool share, and nothing else.
//!
//! * [`workload`]: the TOML specs under `comparisons/workloads/`, validated
//!   (`comparisons/WORKLOAD-SPEC.md`).
//! * [`keydist`]: the key-id generators (YCSB's, formula for formula) and per-thread op
//!   streams, deterministic from the seed.
//! * [`trace`]: the trace file (`comparisons/TRACE-FORMAT.md`): writer, validating
//!   reader, key and value derivation, summary checksum.
//! * [`results`]: the run files and latency logs both runners write
//!   (`comparisons/RUNNER-SPEC.md`) as typed serde structs, read and merged;
//!   [`manifest`]: a results directory's `manifest.json`; [`host`]: the host, toolchain
//!   and git facts it records, UTC time stamps.
//! * [`bustle_shape`]: the trace workload of the same shape as a bustle run, shared by
//!   `mapbench validate` and `rust-impl/bustle-check`.
//! * Two helpers every tool that writes these formats needs, kept once here:
//!   [`files::write_atomic`] (temporary sibling, then rename) and [`stats::median`].
//!
//! A leaf of the dependency graph: serde and the format libraries only (TOML, JSON,
//! HdrHistogram, SHA-256, the trace's RNG and libm), no plotting, CLI or orchestration,
//! so the runners link it without the analysis crate (`mapbench`, which re-exports these
//! modules under the same names).

pub mod bustle_shape;
pub mod files;
pub mod host;
pub mod keydist;
pub mod manifest;
pub mod results;
pub mod stats;
pub mod trace;
pub mod workload;
