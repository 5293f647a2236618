//! The results both runners write (schema 2, `comparisons/RUNNER-SPEC.md`): one JSON Lines
//! file per run (`<run_id>.jsonl`: `run_start`, `interval`…, `run_end`) beside an
//! HdrHistogram interval log (`<run_id>.hlog`).
//!
//! * [`read_run`] loads one run file. Errors name the file, the line and the field. A
//!   last line cut short (no newline, not valid JSON) is what a killed runner leaves: the
//!   run loads as [`Outcome::Killed`], it is not an error. A file without a `run_start`
//!   first is an error.
//! * [`read_hlog`] decodes the latency log (V2, deflate-compressed histograms) and
//!   [`merge`] adds histograms; every percentile a report prints comes from a merged
//!   histogram ([`LatencySummary::of`]), never from averaging percentiles.
//! * [`load_dir`] loads every run of a results directory and its `manifest.json`.
//!
//! Unknown fields are allowed everywhere (the spec lets runners add fields) and kept in
//! each record's `extra` map; a `schema` outside [`OLDEST_SCHEMA`]`..=`[`SCHEMA`] is rejected.
//! Schema 1 files read as schema 2 without reclamation (`reclaim` fields absent: `None`).

use std::collections::BTreeMap;
use std::fmt;
use std::io::Cursor;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use hdrhistogram::Histogram;
use hdrhistogram::serialization::Deserializer;
use hdrhistogram::serialization::interval_log::{IntervalLogIterator, LogEntry};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::manifest::Manifest;

/// The results schema this code reads and writes.
pub const SCHEMA: u64 = 2;
/// The oldest schema this code still reads (1 lacks the `reclaim` fields).
pub const OLDEST_SCHEMA: u64 = 1;
/// Latency histogram bounds both runners use (nanoseconds): lowest 1 ns, highest 60 s,
/// 3 significant digits, so histograms from either side merge exactly.
pub const HDR_LOWEST_NS: u64 = 1;
pub const HDR_HIGHEST_NS: u64 = 60_000_000_000;
pub const HDR_SIGFIGS: u8 = 3;

/// Which runner wrote a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    Rust,
    Go,
}

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::Rust, Lang::Go];

    pub fn name(self) -> &'static str {
        match self {
            Lang::Rust => "rust",
            Lang::Go => "go",
        }
    }

    pub fn other(self) -> Lang {
        match self {
            Lang::Rust => Lang::Go,
            Lang::Go => Lang::Rust,
        }
    }
}

impl fmt::Display for Lang {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for Lang {
    type Err = String;
    fn from_str(s: &str) -> Result<Lang, String> {
        match s {
            "rust" => Ok(Lang::Rust),
            "go" => Ok(Lang::Go),
            _ => Err(format!("expected `rust` or `go`, found `{s}`")),
        }
    }
}

/// Ops completed, by kind (an interval's or a whole run's).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpCounts {
    pub get: u64,
    pub insert: u64,
    pub update: u64,
    pub remove: u64,
    pub total: u64,
}

impl OpCounts {
    /// get + insert + update + remove (which `total` must equal).
    pub fn sum_of_kinds(&self) -> u64 {
        self.get + self.insert + self.update + self.remove
    }

    pub fn add(&mut self, other: &OpCounts) {
        self.get += other.get;
        self.insert += other.insert;
        self.update += other.update;
        self.remove += other.remove;
        self.total += other.total;
    }
}

/// Ops that found their key (or, for inserts, created it).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HitCounts {
    pub get: u64,
    pub insert_new: u64,
    pub update: u64,
    pub remove: u64,
}

/// Latency percentiles as a runner reports them (nanoseconds). With no samples the
/// percentiles may be absent or null.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LatNs {
    pub count: u64,
    #[serde(default)]
    pub p50: Option<u64>,
    #[serde(default)]
    pub p90: Option<u64>,
    #[serde(default)]
    pub p99: Option<u64>,
    #[serde(default)]
    pub p999: Option<u64>,
    #[serde(default)]
    pub max: Option<u64>,
}

impl LatNs {
    /// What a runner writes for one (merged) histogram: the percentiles, all zero when it
    /// holds no samples or there is none (as both runners write them).
    pub fn of_histogram(hist: Option<&Histogram<u64>>) -> LatNs {
        let s = hist.and_then(LatencySummary::of);
        LatNs {
            count: s.map_or(0, |s| s.count),
            p50: Some(s.map_or(0, |s| s.p50)),
            p90: Some(s.map_or(0, |s| s.p90)),
            p99: Some(s.map_or(0, |s| s.p99)),
            p999: Some(s.map_or(0, |s| s.p999)),
            max: Some(s.map_or(0, |s| s.max)),
        }
    }
}

/// `run_start.latency.sampling` (schema 2): which ops are timed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SamplingPolicy {
    /// `jittered` (gaps vary), `every_op` (K = 1) or `off` (K = 0).
    pub policy: String,
    /// Mean gap between timed ops (K).
    pub mean_gap: u64,
    /// Smallest gap.
    pub min_gap: u64,
    /// Largest gap.
    pub max_gap: u64,
    /// The generator and its seed.
    pub generator: String,
}

/// The runner's latency sampling policy and clock.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LatencyPolicy {
    pub sample_every: u64,
    /// Schema 2 (absent in older files).
    #[serde(default)]
    pub sampling: Option<SamplingPolicy>,
    #[serde(default)]
    pub clock: Option<String>,
    /// The median cost of one clock read pair, whole nanoseconds.
    #[serde(default)]
    pub timer_overhead_ns: Option<u64>,
    /// Addition: how `timer_overhead_ns` was measured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timer_overhead_method: Option<String>,
    #[serde(default)]
    pub hdr_lowest_ns: Option<u64>,
    #[serde(default)]
    pub hdr_highest_ns: Option<u64>,
    #[serde(default)]
    pub hdr_sigfigs: Option<u8>,
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

/// The machine a run ran on (`run_start.host`); [`crate::host::RunHost::current`] reads it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RunHost {
    #[serde(default)]
    pub cpu_model: Option<String>,
    #[serde(default)]
    pub vcpus: Option<u32>,
    #[serde(default)]
    pub kernel: Option<String>,
    #[serde(default)]
    pub hostname: Option<String>,
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

/// `run_start.impl_info`: the map's registry metadata. Every field is optional when
/// read (a reader shows what is there); the Rust runner writes them all.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ImplInfo {
    #[serde(default)]
    pub crate_or_package: Option<String>,
    #[serde(default)]
    pub version: Option<String>,
    #[serde(default)]
    pub hasher: Option<String>,
    #[serde(default)]
    pub notes: Option<String>,
    /// Rust: the Go map of the same design (`null`: none).
    #[serde(default)]
    pub go_counterpart: Option<String>,
    /// Addition: one line on what the map is.
    #[serde(default)]
    pub description: Option<String>,
    /// Addition: the most threads the map allows (`null`: no limit).
    #[serde(default)]
    pub max_threads: Option<u64>,
    /// Addition (Rust): when a write becomes visible to `get` (`immediate`, or
    /// `after_publish:<writes per publish>`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reads: Option<String>,
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

/// One `--list-maps` line of the Rust runner: the name, the key/value combinations the
/// map comes in (`u64/u64`, `string/u64`, `u64/boxed`, `string/boxed`, the trace's
/// names: mapbench skips a cell whose kinds are not listed), then its `impl_info`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ListedMap {
    pub name: String,
    #[serde(default)]
    pub kinds: Vec<String>,
    #[serde(flatten)]
    pub info: ImplInfo,
}

/// `run_start.runtime`: the language's runtime settings. Each side writes its own fields
/// (Rust: `allocator`, `profile`, `opt_level`; Go: `GOMAXPROCS`, `GOGC`, `GOMEMLIMIT`
/// and more, kept in `extra`); a field the other side writes is absent, not null.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Runtime {
    /// Rust: the global allocator (`system`, or `system (counting wrapper)`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allocator: Option<String>,
    /// Rust: the cargo build profile.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<String>,
    /// Rust (addition): the build's optimisation level.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub opt_level: Option<String>,
    /// Go: the `GOGC` setting (`off` disables the collector).
    #[serde(rename = "GOGC", default, skip_serializing_if = "Option::is_none")]
    pub gogc: Option<String>,
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

/// The first record of every run file. Field order is the order the Rust runner writes
/// (RUNNER-SPEC.md's, additions marked); readers do not depend on it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunStart {
    pub schema: u64,
    pub run_id: String,
    pub lang: Lang,
    /// The map's registry name (`impl` in the file).
    #[serde(rename = "impl")]
    pub map: String,
    #[serde(default)]
    pub impl_info: Option<ImplInfo>,
    pub workload: String,
    #[serde(default)]
    pub trace_path: Option<String>,
    pub trace_sha256: String,
    #[serde(default)]
    pub key_space: Option<u64>,
    pub threads: u32,
    pub ops_per_thread: u64,
    #[serde(default)]
    pub prefill: Option<u64>,
    #[serde(default)]
    pub presize: Option<bool>,
    pub duration_ms: u64,
    #[serde(default)]
    pub warmup_ops: Option<u64>,
    pub interval_ms: u64,
    #[serde(default)]
    pub op_delay_ns: Option<u64>,
    /// Addition: the calibrated busy-wait behind `op_delay_ns` (null without a delay;
    /// Go leaves both out then).
    #[serde(default)]
    pub op_delay_steps: Option<u64>,
    /// See `op_delay_steps` (null when not calibrated).
    #[serde(default)]
    pub op_delay_ns_per_step: Option<f64>,
    pub latency: LatencyPolicy,
    pub toolchain: String,
    #[serde(default)]
    pub runtime: Option<Runtime>,
    #[serde(default)]
    pub host: RunHost,
    #[serde(default)]
    pub git_commit: Option<String>,
    #[serde(default)]
    pub started_at: Option<String>,
    #[serde(default)]
    pub argv: Option<Vec<String>>,
    /// Addition: the capacity the map was created with (0: not presized).
    #[serde(default)]
    pub capacity: Option<u64>,
    /// Addition: every key id in the trace is below this.
    #[serde(default)]
    pub key_id_bound: Option<u64>,
    /// Addition: the trace's op mix (basis points).
    #[serde(default)]
    pub mix_bp: Option<crate::workload::Mix>,
    /// Addition: the trace's key distribution.
    #[serde(default)]
    pub distribution: Option<crate::workload::Distribution>,
    /// Schema 2: how the map's reclamation is observed (Rust; `null` for Go).
    #[serde(default)]
    pub reclaim: Option<ReclaimInfo>,
    /// What the map stored as keys and values (from the trace header; absent in files
    /// written before string keys and boxed values existed: u64).
    #[serde(default)]
    pub key_type: crate::workload::KeyType,
    /// See `key_type`.
    #[serde(default)]
    pub value_kind: crate::workload::ValueKind,
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

/// `run_start.reclaim` (schema 2, Rust runner).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ReclaimInfo {
    /// `counted`, `immediate` or `not_observed`.
    pub mode: String,
    #[serde(default)]
    pub bytes_per_value: Option<u64>,
    /// Why intervals carry no `reclaim` (null when counted).
    #[serde(default)]
    pub reason: Option<String>,
    #[serde(default)]
    pub delay_sample_every: Option<u64>,
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

/// `interval.reclaim` (schema 2): deferred frees during one interval (Rust maps that
/// count their values; `null` otherwise).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct IntervalReclaim {
    /// Values retired and not yet freed at the interval's end.
    pub backlog_values: u64,
    /// `backlog_values` times `run_start.reclaim.bytes_per_value` (payload only).
    pub backlog_bytes: u64,
    /// Values created and not dropped (map contents plus backlog).
    #[serde(default)]
    pub live_values: u64,
    /// Values retired (replaced or removed) in the interval.
    #[serde(default)]
    pub retired: u64,
    /// Retired values freed in the interval.
    pub frees: u64,
    /// Sampled retire-to-free delays of the values freed in the interval.
    #[serde(default)]
    pub retire_to_free_ns: Option<LatNs>,
    /// Latencies of the timed ops during which their thread dropped retired values.
    #[serde(default)]
    pub stall_lat_ns: Option<LatNs>,
    /// `[start ns since t0, duration ns]` of timed ops that ran destructors of retired
    /// values (at most 256 listed per interval).
    #[serde(default)]
    pub stalls: Vec<[u64; 2]>,
    /// Every op of the interval, timed or not, that ran destructors of retired values
    /// (absent in files written before the field).
    #[serde(default)]
    pub stall_ops: Option<u64>,
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

/// Go's garbage collector during one interval (`null` on the Rust side).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct IntervalGc {
    #[serde(default)]
    pub cycles: u64,
    #[serde(default)]
    pub pauses_ns: Vec<u64>,
    #[serde(default)]
    pub pause_total_ns: u64,
    #[serde(default)]
    pub cpu_seconds: Option<f64>,
    #[serde(default)]
    pub sched_latency_p99_ns: Option<u64>,
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

/// One interval of the measured phase.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Interval {
    pub index: u64,
    pub t_start_ns: u64,
    pub t_end_ns: u64,
    pub ops: OpCounts,
    #[serde(default)]
    pub hits: Option<HitCounts>,
    #[serde(default)]
    pub lat_ns: Option<LatNs>,
    #[serde(default)]
    pub rss_bytes: Option<u64>,
    #[serde(default)]
    pub heap_live_bytes: Option<u64>,
    #[serde(default)]
    pub alloc_bytes: Option<u64>,
    #[serde(default)]
    pub alloc_objects: Option<u64>,
    #[serde(default)]
    pub gc: Option<IntervalGc>,
    #[serde(default)]
    pub steal_ticks: Option<u64>,
    /// Schema 2: deferred reclamation (Rust maps that count their values).
    #[serde(default)]
    pub reclaim: Option<IntervalReclaim>,
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

/// How the runner saw its own run end.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EndStatus {
    Ok,
    Error,
    /// Stopped by SIGINT (exit status 130): what was measured up to then is complete
    /// and consistent, but the stream was not replayed to its end. Both runners write
    /// it; RUNNER-SPEC.md lists only `ok` and `error` so far.
    Interrupted,
}

/// Go's garbage collector over the whole run.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct EndGc {
    #[serde(default)]
    pub cycles: u64,
    #[serde(default)]
    pub pause_total_ns: u64,
    #[serde(default)]
    pub pause_max_ns: u64,
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

/// The last record of a run that ended by itself. A run that failed early may leave
/// out the measurements, so they are optional here; `mapbench check` insists on them
/// when `status` is `ok`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunEnd {
    pub status: EndStatus,
    #[serde(default)]
    pub error: Option<String>,
    #[serde(default)]
    pub elapsed_ns: Option<u64>,
    #[serde(default)]
    pub prefill_ns: Option<u64>,
    #[serde(default)]
    pub ops: Option<OpCounts>,
    #[serde(default)]
    pub throughput_ops_per_s: Option<f64>,
    #[serde(default)]
    pub lat_ns: Option<LatNs>,
    #[serde(default)]
    pub checksum: Option<String>,
    #[serde(default)]
    pub final_len: Option<u64>,
    #[serde(default)]
    pub gc: Option<EndGc>,
    /// Addition: hits over the measured phase.
    #[serde(default)]
    pub hits: Option<HitCounts>,
    /// Addition: `interval` records written.
    #[serde(default)]
    pub intervals: Option<u64>,
    /// Addition: from thread start to the start barrier (handles, warm-up).
    #[serde(default)]
    pub warmup_ns: Option<u64>,
    /// Addition: bytes allocated during the measured phase (whole process; null when
    /// not counted).
    #[serde(default)]
    pub alloc_bytes: Option<u64>,
    /// Addition: allocations during the measured phase (see `alloc_bytes`).
    #[serde(default)]
    pub alloc_objects: Option<u64>,
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

impl RunEnd {
    /// A `run_end` with `status` and nothing measured (to fill in with `..`).
    pub fn with_status(status: EndStatus) -> RunEnd {
        RunEnd {
            status,
            error: None,
            elapsed_ns: None,
            prefill_ns: None,
            ops: None,
            throughput_ops_per_s: None,
            lat_ns: None,
            checksum: None,
            final_len: None,
            gc: None,
            hits: None,
            intervals: None,
            warmup_ns: None,
            alloc_bytes: None,
            alloc_objects: None,
            extra: BTreeMap::new(),
        }
    }
}

/// One line of a run file as a runner writes it: the `type` tag, then the record's
/// fields (`{"type":"run_start","schema":2,…}`). Writers build the typed records above
/// and serialize them through this, so what they write is what [`read_run`] reads. (A
/// record read back keeps its `type` in `extra`: remove it before writing it again.)
#[derive(Debug, Clone, Copy, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Record<'a> {
    RunStart(&'a RunStart),
    Interval(&'a Interval),
    RunEnd(&'a RunEnd),
}

/// Why results could not be read. Every variant names the file.
#[derive(Debug, thiserror::Error)]
pub enum ResultsError {
    #[error("{}: cannot read: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}:{line}: {record}{}: {message}", path.display(), field_label(field))]
    Record {
        path: PathBuf,
        line: usize,
        /// The record type (`run_start`…) or `record` when it is not known.
        record: String,
        /// Dotted path of the offending field, if one is known.
        field: Option<String>,
        message: String,
    },
    #[error("{}: no `run_start` record: {found} (a run file starts with run_start)", path.display())]
    NoRunStart { path: PathBuf, found: String },
    #[error("{}:{line}: hlog: {message}", path.display())]
    Hlog {
        path: PathBuf,
        line: usize,
        message: String,
    },
}

fn field_label(field: &Option<String>) -> String {
    match field {
        Some(f) => format!(": field `{f}`"),
        None => String::new(),
    }
}

/// One JSON line of a run file, parsed but not yet typed.
#[derive(Debug, Clone)]
pub struct RawRecord {
    /// 1-based line number.
    pub line: usize,
    pub value: Value,
}

/// The lines of a run file as JSON values, and whether the last one was cut short.
#[derive(Debug, Clone)]
pub struct RawRun {
    pub path: PathBuf,
    pub records: Vec<RawRecord>,
    /// The 1-based number of a last line that had no newline and was not valid JSON:
    /// the runner was killed while writing it. It is dropped.
    pub truncated_line: Option<usize>,
}

/// Reads a run file's lines as JSON. Blank lines are skipped; a line that is not JSON is
/// an error, except a last line without a newline (see [`RawRun::truncated_line`]).
pub fn read_raw(path: &Path) -> Result<RawRun, ResultsError> {
    let bytes = std::fs::read(path).map_err(|source| ResultsError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    raw_from_bytes(&bytes, path)
}

fn raw_from_bytes(bytes: &[u8], path: &Path) -> Result<RawRun, ResultsError> {
    let mut records = Vec::new();
    let mut truncated_line = None;
    let ends_with_newline = bytes.last().is_none_or(|&b| b == b'\n');
    let segments: Vec<&[u8]> = bytes.split(|&b| b == b'\n').collect();
    let last = segments.len() - 1;
    for (i, segment) in segments.iter().enumerate() {
        if segment.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let line = i + 1;
        match serde_json::from_slice::<Value>(segment) {
            Ok(value) => records.push(RawRecord { line, value }),
            Err(_) if i == last && !ends_with_newline => truncated_line = Some(line),
            Err(e) => {
                return Err(ResultsError::Record {
                    path: path.to_path_buf(),
                    line,
                    record: "record".into(),
                    field: None,
                    message: format!("not a JSON object: {e}"),
                });
            }
        }
    }
    Ok(RawRun {
        path: path.to_path_buf(),
        records,
        truncated_line,
    })
}

/// One run file, typed.
#[derive(Debug, Clone)]
pub struct RunFile {
    pub path: PathBuf,
    pub start: RunStart,
    pub intervals: Vec<Interval>,
    /// `None`: the run was killed or crashed before writing `run_end`.
    pub end: Option<RunEnd>,
    /// See [`RawRun::truncated_line`].
    pub truncated_line: Option<usize>,
}

/// How a run ended, as its file tells.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// `run_end` with status `ok`.
    Ok,
    /// `run_end` with status `error` and the runner's message.
    Error(String),
    /// No `run_end`: killed or crashed; what it wrote before is kept.
    Killed,
    /// `run_end` with status `interrupted` (SIGINT).
    Interrupted,
}

impl Outcome {
    pub fn label(&self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::Error(_) => "failed",
            Outcome::Killed => "killed",
            Outcome::Interrupted => "interrupted",
        }
    }
}

/// Reads and types one run file (see the module docs for what is an error).
pub fn read_run(path: &Path) -> Result<RunFile, ResultsError> {
    RunFile::from_raw(read_raw(path)?)
}

impl RunFile {
    /// Types the records of a run file, checking their order: `run_start` first and once,
    /// then intervals, then at most one `run_end`, last.
    pub fn from_raw(raw: RawRun) -> Result<RunFile, ResultsError> {
        let path = raw.path;
        let err = |line: usize, record: &str, field: Option<String>, message: String| {
            ResultsError::Record {
                path: path.clone(),
                line,
                record: record.to_owned(),
                field,
                message,
            }
        };
        let mut records = raw.records.into_iter();
        let Some(first) = records.next() else {
            let found = match raw.truncated_line {
                Some(l) => format!("the only line ({l}) is cut short"),
                None => "the file is empty".to_owned(),
            };
            return Err(ResultsError::NoRunStart { path, found });
        };
        let first_type = record_type(&first.value);
        if first_type.as_deref() != Some("run_start") {
            return Err(ResultsError::NoRunStart {
                found: format!(
                    "line {} is {}",
                    first.line,
                    first_type.map_or("a record without a `type`".to_owned(), |t| format!(
                        "a `{t}` record"
                    ))
                ),
                path,
            });
        }
        match first.value.get("schema") {
            Some(Value::Number(n))
                if n.as_u64()
                    .is_some_and(|v| (OLDEST_SCHEMA..=SCHEMA).contains(&v)) => {}
            Some(other) => {
                return Err(err(
                    first.line,
                    "run_start",
                    Some("schema".into()),
                    format!(
                        "expected schema {OLDEST_SCHEMA} to {SCHEMA}, found {other}: this mapbench reads schemas {OLDEST_SCHEMA} to {SCHEMA} only"
                    ),
                ));
            }
            None => {
                return Err(err(
                    first.line,
                    "run_start",
                    Some("schema".into()),
                    format!("missing (expected {SCHEMA})"),
                ));
            }
        }
        let start: RunStart = typed(first.value, &path, first.line, "run_start")?;

        let mut intervals = Vec::new();
        let mut end: Option<(usize, RunEnd)> = None;
        for rec in records {
            if let Some((end_line, _)) = &end {
                return Err(err(
                    rec.line,
                    "record",
                    None,
                    format!("found after run_end (line {end_line}): run_end must be last"),
                ));
            }
            match record_type(&rec.value).as_deref() {
                Some("interval") => intervals.push(typed(rec.value, &path, rec.line, "interval")?),
                Some("run_end") => {
                    end = Some((rec.line, typed(rec.value, &path, rec.line, "run_end")?))
                }
                Some("run_start") => {
                    return Err(err(
                        rec.line,
                        "run_start",
                        None,
                        "a second run_start: one run per file".into(),
                    ));
                }
                Some(other) => {
                    return Err(err(
                        rec.line,
                        "record",
                        Some("type".into()),
                        format!("expected interval or run_end, found `{other}`"),
                    ));
                }
                None => {
                    return Err(err(
                        rec.line,
                        "record",
                        Some("type".into()),
                        "missing or not a string".into(),
                    ));
                }
            }
        }
        Ok(RunFile {
            path,
            start,
            intervals,
            end: end.map(|(_, e)| e),
            truncated_line: raw.truncated_line,
        })
    }

    pub fn outcome(&self) -> Outcome {
        match &self.end {
            None => Outcome::Killed,
            Some(e) if e.status == EndStatus::Ok => Outcome::Ok,
            Some(e) if e.status == EndStatus::Interrupted => Outcome::Interrupted,
            Some(e) => Outcome::Error(e.error.clone().unwrap_or_else(|| "(no message)".into())),
        }
    }

    /// The `.hlog` beside this file.
    pub fn hlog_path(&self) -> PathBuf {
        self.path.with_extension("hlog")
    }

    /// Ops over all intervals.
    pub fn interval_ops(&self) -> OpCounts {
        let mut total = OpCounts::default();
        for i in &self.intervals {
            total.add(&i.ops);
        }
        total
    }

    /// Total ops: from `run_end`, else the intervals' sum.
    pub fn total_ops(&self) -> u64 {
        self.end
            .as_ref()
            .and_then(|e| e.ops)
            .map_or_else(|| self.interval_ops().total, |o| o.total)
    }

    /// Ops per second over the measured phase, for a run that ended `ok`.
    pub fn throughput(&self) -> Option<f64> {
        let end = self.end.as_ref().filter(|e| e.status == EndStatus::Ok)?;
        if let Some(t) = end.throughput_ops_per_s {
            return Some(t);
        }
        let elapsed = end.elapsed_ns.filter(|&n| n > 0)?;
        Some(self.total_ops() as f64 * 1e9 / elapsed as f64)
    }

    /// Wall-clock nanoseconds per op across all threads (as `go test -bench` reports for
    /// `b.RunParallel`), for a run that ended `ok`.
    pub fn ns_per_op(&self) -> Option<f64> {
        let end = self.end.as_ref().filter(|e| e.status == EndStatus::Ok)?;
        let ops = self.total_ops();
        (ops > 0).then(|| end.elapsed_ns.map(|ns| ns as f64 / ops as f64))?
    }

    /// Whether the runner finished writing: `run_end` says `ok` or `interrupted`, so the
    /// intervals, the totals and the latency log must agree.
    pub fn is_complete(&self) -> bool {
        matches!(self.outcome(), Outcome::Ok | Outcome::Interrupted)
    }

    /// Decodes this run's `.hlog`; a cut-short last line is tolerated unless the run
    /// is complete ([`RunFile::is_complete`]).
    pub fn latency_log(&self) -> Result<Hlog, ResultsError> {
        read_hlog(&self.hlog_path(), !self.is_complete())
    }
}

fn record_type(v: &Value) -> Option<String> {
    v.get("type").and_then(Value::as_str).map(str::to_owned)
}

fn typed<T: DeserializeOwned>(
    value: Value,
    path: &Path,
    line: usize,
    record: &str,
) -> Result<T, ResultsError> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let field = e.path().to_string();
        ResultsError::Record {
            path: path.to_path_buf(),
            line,
            record: record.to_owned(),
            field: (field != ".").then_some(field),
            message: e.into_inner().to_string(),
        }
    })
}

/// One histogram of an interval log.
#[derive(Debug, Clone)]
pub struct HlogInterval {
    pub tag: Option<String>,
    /// Seconds: since `BaseTime` if the log has one, else since the epoch.
    pub start_s: f64,
    pub duration_s: f64,
    pub histogram: Histogram<u64>,
}

/// A decoded interval log.
#[derive(Debug, Clone)]
pub struct Hlog {
    pub path: PathBuf,
    pub start_time_s: Option<f64>,
    pub base_time_s: Option<f64>,
    pub intervals: Vec<HlogInterval>,
    /// A cut-short last line was dropped.
    pub truncated: bool,
}

impl Hlog {
    /// Samples over every histogram.
    pub fn total_count(&self) -> u64 {
        self.intervals.iter().map(|i| i.histogram.len()).sum()
    }

    /// All the log's histograms added together.
    pub fn merged(&self) -> Histogram<u64> {
        merge(self.intervals.iter().map(|i| &i.histogram))
    }
}

/// Decodes an HdrHistogram interval log (V2 or V2 deflate histograms, the encodings the
/// Java, Go and Rust libraries write). With `allow_truncated_tail`, a last line without a
/// newline is dropped (a killed writer) instead of being an error.
pub fn read_hlog(path: &Path, allow_truncated_tail: bool) -> Result<Hlog, ResultsError> {
    let bytes = std::fs::read(path).map_err(|source| ResultsError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    hlog_from_bytes(&bytes, path, allow_truncated_tail)
}

fn hlog_from_bytes(
    bytes: &[u8],
    path: &Path,
    allow_truncated_tail: bool,
) -> Result<Hlog, ResultsError> {
    let mut input = bytes;
    let mut truncated = false;
    if !input.is_empty() && !input.ends_with(b"\n") {
        if allow_truncated_tail {
            let cut = input.iter().rposition(|&b| b == b'\n').map_or(0, |p| p + 1);
            input = &input[..cut];
            truncated = true;
        } else {
            // The iterator needs each line terminated; a complete last line without a
            // newline is still valid.
            let mut owned = input.to_vec();
            owned.push(b'\n');
            let mut h = hlog_from_bytes(&owned, path, false)?;
            h.truncated = false;
            return Ok(h);
        }
    }
    let line_of = |offset: usize| {
        input[..offset.min(input.len())]
            .iter()
            .filter(|&&b| b == b'\n')
            .count()
            + 1
    };
    let mut hlog = Hlog {
        path: path.to_path_buf(),
        start_time_s: None,
        base_time_s: None,
        intervals: Vec::new(),
        truncated,
    };
    // Offsets of each interval line, to name lines in errors.
    let mut line_starts = Vec::new();
    let mut offset = 0usize;
    for l in input.split(|&b| b == b'\n') {
        line_starts.push(offset);
        offset += l.len() + 1;
    }
    let mut interval_no = 0usize;
    let interval_lines: Vec<usize> = input
        .split(|&b| b == b'\n')
        .enumerate()
        .filter(|(_, l)| !l.is_empty() && !l.starts_with(b"#") && !l.starts_with(b"\""))
        .map(|(i, _)| i + 1)
        .collect();
    for entry in IntervalLogIterator::new(input) {
        match entry {
            Ok(LogEntry::StartTime(d)) => hlog.start_time_s = Some(d.as_secs_f64()),
            Ok(LogEntry::BaseTime(d)) => hlog.base_time_s = Some(d.as_secs_f64()),
            Ok(LogEntry::Interval(ilh)) => {
                let line = interval_lines.get(interval_no).copied().unwrap_or(0);
                interval_no += 1;
                let herr = |message: String| ResultsError::Hlog {
                    path: path.to_path_buf(),
                    line,
                    message,
                };
                let decoded = base64::engine::general_purpose::STANDARD
                    .decode(ilh.encoded_histogram())
                    .map_err(|e| herr(format!("histogram is not base64: {e}")))?;
                let histogram: Histogram<u64> = Deserializer::new()
                    .deserialize(&mut Cursor::new(&decoded))
                    .map_err(|e| herr(format!("cannot decode the histogram: {e:?}")))?;
                hlog.intervals.push(HlogInterval {
                    tag: ilh.tag().map(|t| t.as_str().to_owned()),
                    start_s: ilh.start_timestamp().as_secs_f64(),
                    duration_s: ilh.duration().as_secs_f64(),
                    histogram,
                });
            }
            Err(e) => {
                let hdrhistogram::serialization::interval_log::LogIteratorError::ParseError {
                    offset,
                } = e;
                return Err(ResultsError::Hlog {
                    path: path.to_path_buf(),
                    line: line_of(offset),
                    message: "not an interval-log line (expected a comment, #[StartTime: …], #[BaseTime: …], a legend, or [Tag=…,]start,duration,max,histogram)".into(),
                });
            }
        }
    }
    Ok(hlog)
}

/// An empty histogram with the runners' bounds.
pub fn latency_histogram() -> Histogram<u64> {
    let mut h = Histogram::new_with_bounds(HDR_LOWEST_NS, HDR_HIGHEST_NS, HDR_SIGFIGS)
        .expect("constant bounds are valid");
    // A runner with other bounds still merges: grow rather than fail.
    h.auto(true);
    h
}

/// The sum of `histograms` (with the runners' bounds, growing if one holds larger values).
pub fn merge<'a>(histograms: impl IntoIterator<Item = &'a Histogram<u64>>) -> Histogram<u64> {
    let mut merged = latency_histogram();
    for h in histograms {
        merged
            .add(h)
            .expect("an auto-resizing histogram accepts any values");
    }
    merged
}

/// Percentiles of one (merged) histogram.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct LatencySummary {
    pub count: u64,
    pub p50: u64,
    pub p90: u64,
    pub p99: u64,
    pub p999: u64,
    pub max: u64,
}

impl LatencySummary {
    /// `None` for an empty histogram.
    pub fn of(h: &Histogram<u64>) -> Option<LatencySummary> {
        (!h.is_empty()).then(|| LatencySummary {
            count: h.len(),
            p50: h.value_at_quantile(0.50),
            p90: h.value_at_quantile(0.90),
            p99: h.value_at_quantile(0.99),
            p999: h.value_at_quantile(0.999),
            max: h.max(),
        })
    }
}

/// Every run of a results directory (its top-level `*.jsonl`, sorted by name) and its
/// manifest, if it has one.
#[derive(Debug, Clone)]
pub struct ResultsDir {
    pub dir: PathBuf,
    pub runs: Vec<RunFile>,
    pub manifest: Option<Manifest>,
}

/// The run files of `dir`, sorted.
pub fn run_files(dir: &Path) -> Result<Vec<PathBuf>, ResultsError> {
    let entries = std::fs::read_dir(dir).map_err(|source| ResultsError::Io {
        path: dir.to_path_buf(),
        source,
    })?;
    let mut files: Vec<PathBuf> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_file() && p.extension().is_some_and(|e| e == "jsonl"))
        .collect();
    files.sort();
    Ok(files)
}

/// Loads a results directory; the first unreadable file is the error.
pub fn load_dir(dir: &Path) -> Result<ResultsDir, ResultsError> {
    let runs = run_files(dir)?
        .iter()
        .map(|p| read_run(p))
        .collect::<Result<Vec<_>, _>>()?;
    let manifest_path = dir.join(crate::manifest::MANIFEST_FILE);
    let manifest = if manifest_path.is_file() {
        Some(
            Manifest::read(&manifest_path).map_err(|e| ResultsError::Record {
                path: manifest_path.clone(),
                line: 1,
                record: "manifest".into(),
                field: None,
                message: format!("{e:#}"),
            })?,
        )
    } else {
        None
    };
    Ok(ResultsDir {
        dir: dir.to_path_buf(),
        runs,
        manifest,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use hdrhistogram::serialization::V2DeflateSerializer;
    use hdrhistogram::serialization::interval_log::{IntervalLogWriterBuilder, Tag};
    use std::time::Duration;

    const START: &str = r#"{"type":"run_start","schema":1,"run_id":"r1","lang":"go","impl":"sync-map","workload":"read-heavy","trace_sha256":"ab","threads":2,"ops_per_thread":10,"duration_ms":0,"interval_ms":100,"latency":{"sample_every":16},"toolchain":"go1.26.8","host":{"cpu_model":"x"},"extra_field":{"a":1}}"#;
    const INTERVAL: &str = r#"{"type":"interval","index":0,"t_start_ns":0,"t_end_ns":100,"ops":{"get":18,"insert":1,"update":0,"remove":1,"total":20},"lat_ns":{"count":2,"p50":50,"max":90},"new_thing":true}"#;
    const END: &str = r#"{"type":"run_end","status":"ok","elapsed_ns":100,"ops":{"get":18,"insert":1,"update":0,"remove":1,"total":20},"lat_ns":{"count":2,"p50":50,"p99":90,"max":90},"checksum":"0x1"}"#;

    fn parse(text: &str) -> Result<RunFile, ResultsError> {
        let path = Path::new("res/r1.jsonl");
        RunFile::from_raw(raw_from_bytes(text.as_bytes(), path)?)
    }

    #[test]
    fn a_complete_run_parses_and_keeps_unknown_fields() {
        let r = parse(&format!("{START}\n{INTERVAL}\n{END}\n")).unwrap();
        assert_eq!(r.start.lang, Lang::Go);
        assert_eq!(r.start.map, "sync-map");
        // Written before key types existed: u64 keys and values.
        assert_eq!(
            (r.start.key_type, r.start.value_kind),
            (
                crate::workload::KeyType::U64,
                crate::workload::ValueKind::U64
            )
        );
        assert_eq!(r.start.extra["extra_field"]["a"], 1);
        assert_eq!(r.intervals.len(), 1);
        assert_eq!(r.intervals[0].extra["new_thing"], true);
        assert_eq!(r.outcome(), Outcome::Ok);
        assert_eq!(r.total_ops(), 20);
        assert_eq!(r.ns_per_op(), Some(5.0));
        assert_eq!(r.throughput(), Some(2e8));
        assert_eq!(r.truncated_line, None);
    }

    #[test]
    fn records_written_through_record_read_back_the_same() {
        let read = parse(&format!("{START}\n{INTERVAL}\n{END}\n")).unwrap();
        let (mut start, mut interval, mut end) = (
            read.start.clone(),
            read.intervals[0].clone(),
            read.end.clone().unwrap(),
        );
        for extra in [&mut start.extra, &mut interval.extra, &mut end.extra] {
            assert!(extra.remove("type").is_some());
        }
        let lines: Vec<String> = [
            Record::RunStart(&start),
            Record::Interval(&interval),
            Record::RunEnd(&end),
        ]
        .iter()
        .map(|r| serde_json::to_string(r).unwrap())
        .collect();
        assert!(
            lines[0].starts_with(r#"{"type":"run_start","schema":1,"#),
            "{}",
            lines[0]
        );
        let again = parse(&(lines.join("\n") + "\n")).unwrap();
        assert_eq!(again.start, read.start);
        assert_eq!(again.intervals, read.intervals);
        assert_eq!(again.end, read.end);
    }

    /// The untyped fields of a run read back (`type` aside), as `record.path.field`.
    fn untyped_fields(r: &RunFile) -> Vec<String> {
        let mut out = Vec::new();
        let mut add = |at: &str, extra: &BTreeMap<String, Value>| {
            out.extend(
                extra
                    .keys()
                    .filter(|k| *k != "type")
                    .map(|k| format!("{at}.{k}")),
            )
        };
        let s = &r.start;
        add("run_start", &s.extra);
        add("run_start.latency", &s.latency.extra);
        add("run_start.host", &s.host.extra);
        s.impl_info
            .iter()
            .for_each(|i| add("run_start.impl_info", &i.extra));
        s.runtime
            .iter()
            .for_each(|rt| add("run_start.runtime", &rt.extra));
        s.reclaim
            .iter()
            .for_each(|rc| add("run_start.reclaim", &rc.extra));
        for i in &r.intervals {
            add("interval", &i.extra);
            i.gc.iter().for_each(|g| add("interval.gc", &g.extra));
            i.reclaim
                .iter()
                .for_each(|rc| add("interval.reclaim", &rc.extra));
        }
        if let Some(e) = &r.end {
            add("run_end", &e.extra);
            e.gc.iter().for_each(|g| add("run_end.gc", &g.extra));
        }
        out.sort();
        out.dedup();
        out
    }

    /// The committed sample (real files from both runners, `testdata/results-sample`):
    /// every field the Rust runner writes is typed here, and the Go runner's untyped
    /// ones are exactly its own additions, listed (sorted). A field either runner adds or
    /// renames shows up here, so the reader and both writers stay one schema.
    #[test]
    fn both_runners_sample_files_are_fully_typed() {
        const GO_ONLY: &[&str] = &[
            "interval.metrics_at_ns",
            "run_start.host.goarch",
            "run_start.host.goos",
            "run_start.latency.percentile_rank",
            "run_start.latency.timed_region",
            "run_start.runtime.GOMAXPROCS",
            "run_start.runtime.GOMAXPROCS_source",
            "run_start.runtime.GOMEMLIMIT",
            "run_start.runtime.env",
        ];
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/results-sample");
        let runs = load_dir(&dir).unwrap().runs;
        assert!(runs.iter().any(|r| r.start.lang == Lang::Go));
        assert!(runs.iter().any(|r| r.start.lang == Lang::Rust));
        for r in &runs {
            let untyped = untyped_fields(r);
            match r.start.lang {
                Lang::Rust => assert!(untyped.is_empty(), "{}: {untyped:?}", r.path.display()),
                Lang::Go => assert_eq!(untyped, GO_ONLY, "{}", r.path.display()),
            }
        }
    }

    /// A Rust runner line (schema 2, every variant of its fields: null op delay,
    /// counted reclamation) reads and writes back to the same bytes.
    #[test]
    fn a_rust_runner_record_round_trips_byte_for_byte() {
        let lines = [
            r#"{"type":"run_start","schema":2,"run_id":"r","lang":"rust","impl":"papaya-blocking-sip","impl_info":{"crate_or_package":"papaya","version":"0.2.3","hasher":"SipHash-1-3","notes":"n","go_counterpart":null,"description":"d","max_threads":null,"reads":"immediate"},"workload":"golden","trace_path":"t.trace","trace_sha256":"ab","key_space":1000,"threads":2,"ops_per_thread":1000,"prefill":500,"presize":true,"duration_ms":0,"warmup_ops":0,"interval_ms":1,"op_delay_ns":0,"op_delay_steps":null,"op_delay_ns_per_step":null,"latency":{"sample_every":4,"sampling":{"policy":"jittered","mean_gap":4,"min_gap":2,"max_gap":6,"generator":"g"},"clock":"CLOCK_MONOTONIC (vDSO)","timer_overhead_ns":20,"timer_overhead_method":"m","hdr_lowest_ns":1,"hdr_highest_ns":60000000000,"hdr_sigfigs":3},"toolchain":"rustc 1.95.0","runtime":{"allocator":"system (counting wrapper)","profile":"release","opt_level":"3"},"host":{"cpu_model":"c","vcpus":2,"kernel":"k","hostname":"h"},"git_commit":null,"started_at":"2026-12-03T17:51:51Z","argv":["rust-runner"],"capacity":1000,"key_id_bound":1000,"mix_bp":{"get":4000,"insert":2500,"update":2000,"remove":1500},"distribution":{"kind":"zipf","theta":0.99,"scrambled":true},"reclaim":{"mode":"counted","bytes_per_value":24,"reason":null,"delay_sample_every":256},"key_type":"u64","value_kind":"u64"}"#,
            r#"{"type":"interval","index":0,"t_start_ns":0,"t_end_ns":1014963,"ops":{"get":808,"insert":501,"update":383,"remove":308,"total":2000},"hits":{"get":412,"insert_new":235,"update":215,"remove":170},"lat_ns":{"count":492,"p50":50,"p90":60,"p99":360,"p999":5271,"max":5271},"rss_bytes":6750208,"heap_live_bytes":976185,"alloc_bytes":457018,"alloc_objects":15,"gc":null,"steal_ticks":0,"reclaim":{"backlog_values":5,"backlog_bytes":120,"live_values":9,"retired":7,"frees":2,"retire_to_free_ns":{"count":0,"p50":0,"p90":0,"p99":0,"p999":0,"max":0},"stall_lat_ns":{"count":1,"p50":900,"p90":900,"p99":900,"p999":900,"max":900},"stalls":[[30,900]],"stall_ops":3}}"#,
            r#"{"type":"run_end","status":"ok","error":null,"elapsed_ns":405274,"prefill_ns":1783,"ops":{"get":808,"insert":501,"update":383,"remove":308,"total":2000},"throughput_ops_per_s":4934932.909587095,"lat_ns":{"count":492,"p50":20,"p90":30,"p99":40,"p999":250,"max":250},"checksum":"0x2ada523a7b4d5acc","final_len":0,"gc":null,"hits":{"get":0,"insert_new":0,"update":0,"remove":0},"intervals":1,"warmup_ns":9221567,"alloc_bytes":null,"alloc_objects":null}"#,
        ];
        let mut r = parse(&(lines.join("\n") + "\n")).unwrap();
        assert_eq!(untyped_fields(&r), Vec::<String>::new());
        r.start.extra.clear();
        r.intervals[0].extra.clear();
        r.end.as_mut().unwrap().extra.clear();
        let again = [
            Record::RunStart(&r.start),
            Record::Interval(&r.intervals[0]),
            Record::RunEnd(r.end.as_ref().unwrap()),
        ]
        .map(|rec| serde_json::to_string(&rec).unwrap());
        assert_eq!(again, lines);
    }

    #[test]
    fn a_cut_short_last_line_is_a_killed_run() {
        let cut = &END[..END.len() / 2];
        let r = parse(&format!("{START}\n{INTERVAL}\n{cut}")).unwrap();
        assert_eq!(r.outcome(), Outcome::Killed);
        assert_eq!(r.truncated_line, Some(3));
        assert_eq!(r.intervals.len(), 1);
        // With its newline, the same garbage is corruption, not a kill.
        let e = parse(&format!("{START}\n{cut}\n{INTERVAL}\n")).unwrap_err();
        assert!(
            e.to_string()
                .starts_with("res/r1.jsonl:2: record: not a JSON object"),
            "{e}"
        );
    }

    #[test]
    fn an_interrupted_run_is_complete_but_not_ok() {
        let end = END.replace("\"ok\"", "\"interrupted\"");
        let r = parse(&format!("{START}\n{INTERVAL}\n{end}\n")).unwrap();
        assert_eq!(r.outcome(), Outcome::Interrupted);
        assert!(r.is_complete());
        assert_eq!(r.throughput(), None, "only ok runs have a throughput");
        let bad = END.replace("\"ok\"", "\"paused\"");
        let e = parse(&format!("{START}\n{bad}\n")).unwrap_err().to_string();
        assert!(
            e.contains("res/r1.jsonl:2: run_end: field `status`: unknown variant `paused`"),
            "{e}"
        );
    }

    #[test]
    fn a_run_without_run_end_is_killed() {
        let r = parse(&format!("{START}\n{INTERVAL}\n")).unwrap();
        assert_eq!(r.outcome(), Outcome::Killed);
        assert_eq!(r.outcome().label(), "killed");
    }

    #[test]
    fn schema_2_reclamation_fields_round_trip_and_schema_1_reads_without_them() {
        let old = parse(&format!("{START}\n{INTERVAL}\n{END}\n")).unwrap();
        assert_eq!(old.start.reclaim, None);
        assert_eq!(old.intervals[0].reclaim, None);
        let start = START.replace("\"schema\":1", "\"schema\":2").replace(
            "\"extra_field\"",
            r#""reclaim":{"mode":"counted","bytes_per_value":24,"reason":null,"delay_sample_every":256},"extra_field""#,
        );
        let interval = INTERVAL.replace(
            "\"new_thing\"",
            r#""reclaim":{"backlog_values":5,"backlog_bytes":120,"live_values":9,"retired":7,"frees":2,"retire_to_free_ns":{"count":1,"p50":40,"max":40},"stall_lat_ns":{"count":1,"p50":900,"max":900},"stalls":[[30,900]]},"new_thing""#,
        );
        let new = parse(&format!("{start}\n{interval}\n{END}\n")).unwrap();
        let info = new.start.reclaim.clone().unwrap();
        assert_eq!(
            (info.mode.as_str(), info.bytes_per_value),
            ("counted", Some(24))
        );
        let r = new.intervals[0].reclaim.clone().unwrap();
        assert_eq!((r.backlog_values, r.backlog_bytes, r.frees), (5, 120, 2));
        assert_eq!(r.stalls, vec![[30, 900]]);
        assert_eq!(r.stall_lat_ns.unwrap().max, Some(900));
        // What the reader writes back reads the same.
        let again: IntervalReclaim =
            serde_json::from_value(serde_json::to_value(&new.intervals[0].reclaim).unwrap())
                .unwrap();
        assert_eq!(Some(again), new.intervals[0].reclaim);
        let bad = interval.replace("\"backlog_values\":5", "\"backlog_values\":\"five\"");
        let e = parse(&format!("{start}\n{bad}\n{END}\n")).unwrap_err();
        assert!(e.to_string().contains("reclaim"), "{e}");
    }

    #[test]
    fn other_schemas_are_rejected() {
        let e = parse(&START.replace("\"schema\":1", "\"schema\":3")).unwrap_err();
        let msg = e.to_string();
        assert!(
            msg.starts_with(
                "res/r1.jsonl:1: run_start: field `schema`: expected schema 1 to 2, found 3"
            ),
            "{msg}"
        );
        let e = parse(&START.replace("\"schema\":1,", "")).unwrap_err();
        assert!(e.to_string().contains("field `schema`: missing"), "{e}");
    }

    #[test]
    fn a_file_without_run_start_is_an_error() {
        let e = parse(&format!("{INTERVAL}\n{END}\n")).unwrap_err();
        assert!(matches!(e, ResultsError::NoRunStart { .. }));
        assert_eq!(
            e.to_string(),
            "res/r1.jsonl: no `run_start` record: line 1 is a `interval` record (a run file starts with run_start)"
        );
        let e = parse("").unwrap_err();
        assert!(e.to_string().contains("the file is empty"), "{e}");
    }

    #[test]
    fn errors_name_the_line_and_the_field() {
        let bad = INTERVAL.replace("\"get\":18", "\"get\":\"many\"");
        let e = parse(&format!("{START}\n{bad}\n")).unwrap_err();
        let msg = e.to_string();
        assert!(
            msg.starts_with("res/r1.jsonl:2: interval: field `ops.get`: invalid type: string"),
            "{msg}"
        );
        let e = parse(&START.replace("\"threads\":2,", "")).unwrap_err();
        assert!(
            e.to_string()
                .starts_with("res/r1.jsonl:1: run_start: missing field `threads`"),
            "{e}"
        );
        let e = parse(&format!("{START}\n{END}\n{INTERVAL}\n")).unwrap_err();
        assert!(
            e.to_string()
                .contains("res/r1.jsonl:3: record: found after run_end (line 2)"),
            "{e}"
        );
        let e = parse(&format!(
            "{START}\n{}\n",
            INTERVAL.replace("interval", "intermission")
        ))
        .unwrap_err();
        assert!(
            e.to_string()
                .contains("field `type`: expected interval or run_end, found `intermission`"),
            "{e}"
        );
        let e = parse(&START.replace("\"go\"", "\"java\"")).unwrap_err();
        assert!(
            e.to_string()
                .contains("field `lang`: unknown variant `java`"),
            "{e}"
        );
    }

    fn hist(values: &[u64]) -> Histogram<u64> {
        let mut h = latency_histogram();
        for &v in values {
            h.record(v).unwrap();
        }
        h
    }

    fn write_log(hists: &[Histogram<u64>]) -> Vec<u8> {
        let mut out = Vec::new();
        let mut ser = V2DeflateSerializer::new();
        let mut w = IntervalLogWriterBuilder::new()
            .with_start_time(std::time::UNIX_EPOCH + Duration::from_secs(1_700_000_000))
            .begin_log_with(&mut out, &mut ser)
            .unwrap();
        for (i, h) in hists.iter().enumerate() {
            w.write_histogram(
                h,
                Duration::from_millis(100 * i as u64),
                Duration::from_millis(100),
                Tag::new("lat"),
            )
            .unwrap();
        }
        drop(w);
        out
    }

    #[test]
    fn hlog_round_trips_and_merges() {
        let log = write_log(&[hist(&[100, 200, 300]), hist(&[1_000, 2_000_000])]);
        let h = hlog_from_bytes(&log, Path::new("r.hlog"), false).unwrap();
        assert_eq!(h.intervals.len(), 2);
        assert_eq!(h.intervals[0].tag.as_deref(), Some("lat"));
        assert_eq!(h.total_count(), 5);
        assert_eq!(h.start_time_s, Some(1_700_000_000.0));
        let s = LatencySummary::of(&h.merged()).unwrap();
        assert_eq!(s.count, 5);
        assert_eq!(s.p50, 300);
        assert!(s.max >= 2_000_000 && s.max < 2_002_000, "{s:?}");
        assert!(LatencySummary::of(&latency_histogram()).is_none());
    }

    #[test]
    fn a_cut_short_hlog_is_tolerated_only_for_killed_runs() {
        let log = write_log(&[hist(&[100]), hist(&[200, 300])]);
        let cut = &log[..log.len() - 10];
        let h = hlog_from_bytes(cut, Path::new("r.hlog"), true).unwrap();
        assert!(h.truncated);
        assert_eq!(h.total_count(), 1);
        let e = hlog_from_bytes(cut, Path::new("r.hlog"), false).unwrap_err();
        assert!(e.to_string().starts_with("r.hlog:"), "{e}");
    }

    #[test]
    fn merging_equals_recording_everything_in_one() {
        let a = hist(&[5, 50, 500, 5_000]);
        let b = hist(&[7, 70, 700, 7_000_000]);
        let merged = merge([&a, &b]);
        let all = hist(&[5, 50, 500, 5_000, 7, 70, 700, 7_000_000]);
        assert_eq!(LatencySummary::of(&merged), LatencySummary::of(&all));
    }
}
