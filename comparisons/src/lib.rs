//! `mapbench`: workload specs, the binary operation trace both runners replay, and (to
//! come) orchestration, statistics, reports and `compare`.
//!
//! * [`workload`]: the TOML specs under `comparisons/workloads/`, validated.
//! * [`keydist`]: the key-id generators (YCSB's, formula for formula) and per-thread op
//!   streams, deterministic from the seed.
//! * [`trace`]: the trace file (see `comparisons/TRACE-FORMAT.md`): writer, validating
//!   reader, key and value derivation, summary checksum.

pub mod keydist;
pub mod trace;
pub mod workload;
