//! Workload specs: the TOML files under `comparisons/workloads/`, parsed and validated.
//!
//! A spec says *what* work to do (key space, prefill, op mix, key distribution, how many
//! threads and ops, the seed); [`crate::trace`] turns a validated [`Workload`] into the
//! binary trace both runners replay. Every rejection names the file, the field and what
//! was expected, so a typo in a spec is a one-line fix.

use std::fmt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// Largest key id + 1: an op packs its kind in 2 bits and its key id in the other 62.
pub const KEY_ID_LIMIT: u64 = 1 << 62;
/// Most threads a trace may carry. A value packs `thread + 1` in its top 16 bits
/// (see [`crate::trace::op_value`]); 1024 is far above any machine we run on.
pub const MAX_THREADS: u32 = 1024;
/// Most ops per thread: 2^32 ops is already 32 GiB of trace per thread, and a value
/// packs `op index + 1` in its low 48 bits.
pub const MAX_OPS_PER_THREAD: u64 = 1 << 32;
/// Most prefilled keys: the prefill is held in memory while generating (8 bytes each).
pub const MAX_PREFILL: u64 = 1 << 32;
/// The op mix is stored in basis points (hundredths of a percent), summing to this.
pub const MIX_TOTAL_BP: u16 = 10_000;

/// The four operations a trace contains. The discriminant is the 2-bit code in the trace.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u8)]
pub enum OpKind {
    /// Look the key up.
    Get = 0,
    /// Insert the key with the op's value, overwriting any value already there.
    Insert = 1,
    /// Replace the value only if the key is present (a miss changes nothing).
    Update = 2,
    /// Remove the key if present.
    Remove = 3,
}

impl OpKind {
    /// All kinds in code order.
    pub const ALL: [OpKind; 4] = [OpKind::Get, OpKind::Insert, OpKind::Update, OpKind::Remove];

    /// The 2-bit code.
    pub fn code(self) -> u8 {
        self as u8
    }

    /// The kind for a 2-bit code (`code & 3`).
    pub fn from_code(code: u8) -> OpKind {
        OpKind::ALL[usize::from(code & 3)]
    }

    /// Lower-case name, as used in specs, summaries and results.
    pub fn name(self) -> &'static str {
        match self {
            OpKind::Get => "get",
            OpKind::Insert => "insert",
            OpKind::Update => "update",
            OpKind::Remove => "remove",
        }
    }
}

impl fmt::Display for OpKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The op mix in basis points (1/100 of a percent); the four shares sum to 10,000.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mix {
    pub get: u16,
    pub insert: u16,
    pub update: u16,
    pub remove: u16,
}

impl Mix {
    /// Share of `kind`, in basis points.
    pub fn share_bp(&self, kind: OpKind) -> u16 {
        match kind {
            OpKind::Get => self.get,
            OpKind::Insert => self.insert,
            OpKind::Update => self.update,
            OpKind::Remove => self.remove,
        }
    }

    /// The kind an op gets when the op-kind draw is `r` in `0..10_000`: kinds own
    /// consecutive ranges in code order (get, insert, update, remove).
    pub fn kind_for_draw(&self, r: u16) -> OpKind {
        let mut upper = 0u16;
        for kind in OpKind::ALL {
            upper += self.share_bp(kind);
            if r < upper {
                return kind;
            }
        }
        // Unreachable for a validated mix and r < 10_000; the last kind with a share
        // is the safe answer.
        OpKind::ALL
            .into_iter()
            .rev()
            .find(|&k| self.share_bp(k) > 0)
            .unwrap_or(OpKind::Get)
    }
}

/// How keys are drawn. See [`crate::keydist`] for the generators.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize, Serialize)]
#[serde(tag = "kind", rename_all = "lowercase", deny_unknown_fields)]
pub enum Distribution {
    /// Every key id in `0..key_space` equally likely.
    Uniform {},
    /// YCSB's Zipfian generator (Gray et al., SIGMOD 1994) with constant `theta`;
    /// `scrambled` = YCSB's ScrambledZipfianGenerator (FNV-1a-64 of the rank, mod key space).
    Zipf { theta: f64, scrambled: bool },
    /// YCSB's HotspotIntegerGenerator: `hot_op_fraction` of ops go to the lowest
    /// `hot_key_fraction` of key ids, the rest to the others, uniformly within each set.
    Hotspot {
        hot_op_fraction: f64,
        hot_key_fraction: f64,
    },
    /// YCSB's SkewedLatestGenerator (Zipf 0.99 over recency): inserts take fresh key ids,
    /// other ops favour the most recently inserted ones.
    Latest {},
}

impl Distribution {
    /// Short name, as in specs.
    pub fn kind_name(&self) -> &'static str {
        match self {
            Distribution::Uniform {} => "uniform",
            Distribution::Zipf {
                scrambled: false, ..
            } => "zipf",
            Distribution::Zipf {
                scrambled: true, ..
            } => "scrambled zipf",
            Distribution::Hotspot { .. } => "hotspot",
            Distribution::Latest {} => "latest",
        }
    }
}

impl fmt::Display for Distribution {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Distribution::Uniform {} | Distribution::Latest {} => f.write_str(self.kind_name()),
            Distribution::Zipf { theta, .. } => write!(f, "{} (theta {theta})", self.kind_name()),
            Distribution::Hotspot {
                hot_op_fraction,
                hot_key_fraction,
            } => write!(
                f,
                "hotspot ({hot_op_fraction} of ops on {hot_key_fraction} of keys)"
            ),
        }
    }
}

/// What the maps store as keys: the u64 key (`key_for_id`), or a string built from it
/// (`key_string_for_id`, 24 to 40 bytes with a shared prefix). Both runners build every
/// key string before the timed phase.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum KeyType {
    #[default]
    U64,
    String,
}

impl KeyType {
    /// The header code (byte 73 of a version-2 trace).
    pub fn code(self) -> u8 {
        match self {
            KeyType::U64 => 0,
            KeyType::String => 1,
        }
    }
    /// The type for a header code.
    pub fn from_code(code: u8) -> Option<KeyType> {
        match code {
            0 => Some(KeyType::U64),
            1 => Some(KeyType::String),
            _ => None,
        }
    }
    /// As in specs and results: `u64` or `string`.
    pub fn name(self) -> &'static str {
        match self {
            KeyType::U64 => "u64",
            KeyType::String => "string",
        }
    }
}

/// What the maps store as values: the u64 itself, or a 32-byte heap object holding it
/// (`Box<[u64; 4]>` in Rust, `*[4]uint64` in Go), so that every write allocates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ValueKind {
    #[default]
    U64,
    Boxed,
}

impl ValueKind {
    /// The header code (byte 74 of a version-2 trace).
    pub fn code(self) -> u8 {
        match self {
            ValueKind::U64 => 0,
            ValueKind::Boxed => 1,
        }
    }
    /// The kind for a header code.
    pub fn from_code(code: u8) -> Option<ValueKind> {
        match code {
            0 => Some(ValueKind::U64),
            1 => Some(ValueKind::Boxed),
            _ => None,
        }
    }
    /// As in specs and results: `u64` or `boxed`.
    pub fn name(self) -> &'static str {
        match self {
            ValueKind::U64 => "u64",
            ValueKind::Boxed => "boxed",
        }
    }
}

impl fmt::Display for KeyType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl fmt::Display for ValueKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A validated workload: everything the trace generator needs.
#[derive(Debug, Clone, PartialEq)]
pub struct Workload {
    pub name: String,
    pub description: String,
    /// Key ids are drawn from `0..key_space` (for `latest`: the records present at the
    /// start; inserts append ids past the prefill).
    pub key_space: u64,
    /// How many distinct key ids are inserted before the timed ops start.
    pub prefill_count: u64,
    /// Whether maps are created with capacity for the expected size.
    pub presize: bool,
    pub mix: Mix,
    pub distribution: Distribution,
    pub threads: u32,
    pub ops_per_thread: u64,
    pub seed: u64,
    /// What the maps store as keys (default `u64`).
    pub key_type: KeyType,
    /// What the maps store as values (default `u64`).
    pub value_kind: ValueKind,
}

/// Values given on the command line that replace the spec's defaults.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Overrides {
    pub threads: Option<u32>,
    pub ops_per_thread: Option<u64>,
    pub seed: Option<u64>,
}

/// Why a workload was rejected. Every variant names the file.
#[derive(Debug, thiserror::Error)]
pub enum WorkloadError {
    #[error("{}: cannot read workload: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}: not a valid workload spec: {message}", path.display())]
    Parse { path: PathBuf, message: String },
    #[error("{}: field `{field}`: expected {expected}, found {found}", path.display())]
    Invalid {
        path: PathBuf,
        field: String,
        expected: String,
        found: String,
    },
    #[error("unknown workload `{name}`: no {}; available: {}", path.display(), available.join(", "))]
    UnknownName {
        name: String,
        path: PathBuf,
        available: Vec<String>,
    },
}

/// The file as written: TOML, every field named, nothing unknown.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SpecFile {
    name: String,
    description: String,
    key_space: u64,
    prefill_fraction: Option<f64>,
    prefill_count: Option<u64>,
    presize: bool,
    threads: u32,
    ops_per_thread: u64,
    seed: u64,
    mix: MixFile,
    distribution: Distribution,
    key_type: Option<String>,
    value_kind: Option<String>,
}

/// Percentages as written (integers or decimals with at most two places).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct MixFile {
    get: f64,
    insert: f64,
    update: f64,
    remove: f64,
}

/// The directory holding the shipped specs (`comparisons/workloads`).
pub fn workloads_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("comparisons/formats/ has a parent")
        .join("workloads")
}

/// Names of the shipped specs, sorted.
pub fn available_workloads(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let path = entry.path();
            (path.extension()? == "toml")
                .then(|| path.file_stem()?.to_str().map(str::to_owned))
                .flatten()
        })
        .collect();
    names.sort();
    names
}

/// Resolves `--workload`: `<dir>/NAME.toml` if it exists (NAME may contain a `/`: a
/// subdirectory of `dir`); else an existing file, or anything that looks like a path
/// (has a `/` or ends in `.toml`), is a file; a bare NAME is `<dir>/NAME.toml`.
pub fn resolve(arg: &str, dir: &Path) -> Result<PathBuf, WorkloadError> {
    let as_path = Path::new(arg);
    // A NAME may name a spec in a subdirectory of `dir` (`matrix/matrix-1k-…`).
    let in_dir = dir.join(format!("{arg}.toml"));
    if !arg.ends_with(".toml") && !as_path.is_file() && in_dir.is_file() {
        return Ok(in_dir);
    }
    resolve_spec_path(arg, dir).map_err(|path| WorkloadError::UnknownName {
        name: arg.to_owned(),
        path,
        available: available_workloads(dir),
    })
}

/// Reads and validates a spec file, applying command-line overrides before validation.
pub fn load(path: &Path, overrides: Overrides) -> Result<Workload, WorkloadError> {
    let text = std::fs::read_to_string(path).map_err(|source| WorkloadError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    parse(&text, path, overrides)
}

/// Parses and validates spec text; `path` is only used in errors.
pub fn parse(text: &str, path: &Path, overrides: Overrides) -> Result<Workload, WorkloadError> {
    let file: SpecFile = from_toml(text).map_err(|message| WorkloadError::Parse {
        path: path.to_path_buf(),
        message,
    })?;
    validate(file, path, overrides)
}

/// Deserialises a TOML spec (a workload or a suite); the error is toml's message, one
/// line per line of its report.
pub fn from_toml<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, String> {
    toml::from_str(text).map_err(|e| e.to_string().trim_end().to_owned())
}

/// Builds the error for a rejected field from (field, expected, found); the caller's
/// closure adds the file. Shared by workload specs and suites.
pub type Invalid<'a, E> = &'a dyn Fn(&str, &str, String) -> E;

/// Whether `b` may appear in a name that becomes part of a file name or run id:
/// `[A-Za-z0-9._-]`.
pub fn is_name_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"._-".contains(&b)
}

/// The `name` rule of workload specs and suites: 1 to 64 characters from
/// `[A-Za-z0-9._-]`, because it names files; `names` says which (for the error).
pub fn check_name<E>(name: &str, names: &str, invalid: Invalid<'_, E>) -> Result<(), E> {
    if (1..=64).contains(&name.len()) && name.bytes().all(is_name_byte) {
        return Ok(());
    }
    Err(invalid(
        "name",
        &format!("1 to 64 characters from [A-Za-z0-9._-] (it names {names})"),
        format!("{name:?}"),
    ))
}

/// The `description` rule of workload specs and suites: not blank; `says` is what it
/// should say (for the error).
pub fn check_description<E>(
    description: &str,
    says: &str,
    invalid: Invalid<'_, E>,
) -> Result<(), E> {
    if description.trim().is_empty() {
        return Err(invalid(
            "description",
            &format!("a sentence saying {says}"),
            "an empty string".into(),
        ));
    }
    Ok(())
}

/// Resolves a spec argument (a workload or a suite): an existing file, or anything that
/// looks like a path (has a `/` or ends in `.toml`), is a file; a bare NAME is
/// `<dir>/NAME.toml` if that exists. `Err` holds the path a bare NAME was looked for at.
pub fn resolve_spec_path(arg: &str, dir: &Path) -> Result<PathBuf, PathBuf> {
    let as_path = Path::new(arg);
    if as_path.is_file() || arg.contains('/') || arg.ends_with(".toml") {
        return Ok(as_path.to_path_buf());
    }
    let path = dir.join(format!("{arg}.toml"));
    if path.is_file() { Ok(path) } else { Err(path) }
}

fn validate(file: SpecFile, path: &Path, ov: Overrides) -> Result<Workload, WorkloadError> {
    let invalid = |field: &str, expected: &str, found: String| WorkloadError::Invalid {
        path: path.to_path_buf(),
        field: field.to_owned(),
        expected: expected.to_owned(),
        found,
    };
    check_name(&file.name, "result files", &invalid)?;
    check_description(&file.description, "what the workload models", &invalid)?;
    if file.key_space == 0 || file.key_space > KEY_ID_LIMIT {
        return Err(invalid(
            "key_space",
            "1 to 2^62 key ids",
            file.key_space.to_string(),
        ));
    }
    let prefill_count = validate_prefill(&file, &invalid)?;
    let (threads, ops_per_thread) = validate_size(&file, ov, &invalid)?;
    let mix = validate_mix(&file.mix, &invalid)?;
    let (key_type, value_kind) = validate_kinds(&file, &invalid)?;
    validate_distribution(&file, prefill_count, threads, ops_per_thread, &invalid)?;
    Ok(Workload {
        name: file.name,
        description: file.description,
        key_space: file.key_space,
        prefill_count,
        presize: file.presize,
        mix,
        distribution: file.distribution,
        threads,
        ops_per_thread,
        seed: ov.seed.unwrap_or(file.seed),
        key_type,
        value_kind,
    })
}

/// The prefill count from `prefill_fraction` or `prefill_count` (at most one of them).
fn validate_prefill(
    file: &SpecFile,
    invalid: Invalid<'_, WorkloadError>,
) -> Result<u64, WorkloadError> {
    let prefill_count = match (file.prefill_fraction, file.prefill_count) {
        (Some(_), Some(_)) => {
            return Err(invalid(
                "prefill_fraction",
                "either prefill_fraction or prefill_count, not both",
                "both".into(),
            ));
        }
        (Some(f), None) => {
            if !(0.0..=1.0).contains(&f) {
                return Err(invalid(
                    "prefill_fraction",
                    "a fraction of key_space between 0 and 1",
                    f.to_string(),
                ));
            }
            // Floor, so the count never exceeds the key space.
            (file.key_space as f64 * f).floor() as u64
        }
        (None, Some(c)) => {
            if c > file.key_space {
                return Err(invalid(
                    "prefill_count",
                    &format!("at most key_space ({})", file.key_space),
                    c.to_string(),
                ));
            }
            c
        }
        (None, None) => 0,
    };
    if prefill_count > MAX_PREFILL {
        return Err(invalid(
            "prefill_fraction",
            "at most 2^32 prefilled keys",
            prefill_count.to_string(),
        ));
    }
    Ok(prefill_count)
}

/// Threads and ops per thread, command-line overrides first.
fn validate_size(
    file: &SpecFile,
    ov: Overrides,
    invalid: Invalid<'_, WorkloadError>,
) -> Result<(u32, u64), WorkloadError> {
    let (threads, threads_field) = match ov.threads {
        Some(t) => (t, "threads (--threads)"),
        None => (file.threads, "threads"),
    };
    if !(1..=MAX_THREADS).contains(&threads) {
        return Err(invalid(
            threads_field,
            &format!("1 to {MAX_THREADS} threads"),
            threads.to_string(),
        ));
    }
    let (ops_per_thread, ops_field) = match ov.ops_per_thread {
        Some(n) => (n, "ops_per_thread (--ops-per-thread)"),
        None => (file.ops_per_thread, "ops_per_thread"),
    };
    if !(1..=MAX_OPS_PER_THREAD).contains(&ops_per_thread) {
        return Err(invalid(
            ops_field,
            "1 to 2^32 ops per thread",
            ops_per_thread.to_string(),
        ));
    }
    Ok((threads, ops_per_thread))
}

/// `key_type` and `value_kind`, both `u64` when absent.
fn validate_kinds(
    file: &SpecFile,
    invalid: Invalid<'_, WorkloadError>,
) -> Result<(KeyType, ValueKind), WorkloadError> {
    let key_type = match file.key_type.as_deref() {
        None | Some("u64") => KeyType::U64,
        Some("string") => KeyType::String,
        Some(other) => {
            return Err(invalid(
                "key_type",
                "\"u64\" or \"string\"",
                format!("{other:?}"),
            ));
        }
    };
    let value_kind = match file.value_kind.as_deref() {
        None | Some("u64") => ValueKind::U64,
        Some("boxed") => ValueKind::Boxed,
        Some(other) => {
            return Err(invalid(
                "value_kind",
                "\"u64\" or \"boxed\"",
                format!("{other:?}"),
            ));
        }
    };
    Ok((key_type, value_kind))
}

/// The distribution's own parameters, and what it needs of the rest of the spec.
fn validate_distribution(
    file: &SpecFile,
    prefill_count: u64,
    threads: u32,
    ops_per_thread: u64,
    invalid: Invalid<'_, WorkloadError>,
) -> Result<(), WorkloadError> {
    match file.distribution {
        Distribution::Uniform {} => {}
        Distribution::Zipf { theta, .. } => {
            if !(theta > 0.0 && theta < 1.0) {
                return Err(invalid(
                    "distribution.theta",
                    "0 < theta < 1 (Gray et al.'s generator; YCSB uses 0.99)",
                    theta.to_string(),
                ));
            }
        }
        Distribution::Hotspot {
            hot_op_fraction,
            hot_key_fraction,
        } => {
            for (field, v) in [
                ("distribution.hot_op_fraction", hot_op_fraction),
                ("distribution.hot_key_fraction", hot_key_fraction),
            ] {
                if !(0.0..=1.0).contains(&v) {
                    return Err(invalid(field, "a fraction between 0 and 1", v.to_string()));
                }
            }
            let hot = crate::keydist::hot_set_size(file.key_space, hot_key_fraction);
            if hot_op_fraction > 0.0 && hot == 0 {
                return Err(invalid(
                    "distribution.hot_key_fraction",
                    &format!(
                        "a hot set of at least one key (key_space {} × fraction ≥ 1)",
                        file.key_space
                    ),
                    hot_key_fraction.to_string(),
                ));
            }
            if hot_op_fraction < 1.0 && hot == file.key_space {
                return Err(invalid(
                    "distribution.hot_key_fraction",
                    "a fraction that leaves a cold set when hot_op_fraction < 1",
                    hot_key_fraction.to_string(),
                ));
            }
        }
        Distribution::Latest {} => {
            if prefill_count < 2 {
                return Err(invalid(
                    "prefill_fraction",
                    "at least 2 prefilled keys: YCSB's latest generator draws from records already inserted",
                    prefill_count.to_string(),
                ));
            }
            let fresh = u64::from(threads)
                .checked_mul(ops_per_thread)
                .and_then(|n| n.checked_add(file.key_space));
            if fresh.is_none_or(|n| n > KEY_ID_LIMIT) {
                return Err(invalid(
                    "key_space",
                    "key_space + threads × ops_per_thread ≤ 2^62 (latest appends fresh ids)",
                    file.key_space.to_string(),
                ));
            }
        }
    }
    Ok(())
}

fn validate_mix(m: &MixFile, invalid: Invalid<'_, WorkloadError>) -> Result<Mix, WorkloadError> {
    let to_bp = |field: &str, pct: f64| -> Result<u16, WorkloadError> {
        let bp = pct * 100.0;
        if !(0.0..=100.0).contains(&pct) || (bp - bp.round()).abs() > 1e-6 {
            return Err(invalid(
                field,
                "a percentage from 0 to 100 with at most two decimals",
                pct.to_string(),
            ));
        }
        Ok(bp.round() as u16)
    };
    let mix = Mix {
        get: to_bp("mix.get", m.get)?,
        insert: to_bp("mix.insert", m.insert)?,
        update: to_bp("mix.update", m.update)?,
        remove: to_bp("mix.remove", m.remove)?,
    };
    let sum: u32 = OpKind::ALL
        .iter()
        .map(|&k| u32::from(mix.share_bp(k)))
        .sum();
    if sum != u32::from(MIX_TOTAL_BP) {
        return Err(invalid(
            "mix",
            "get + insert + update + remove = 100",
            format!(
                "{} + {} + {} + {} = {}",
                m.get,
                m.insert,
                m.update,
                m.remove,
                f64::from(sum) / 100.0
            ),
        ));
    }
    Ok(mix)
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
name = "t"
description = "test"
key_space = 1000
prefill_fraction = 0.5
presize = true
threads = 2
ops_per_thread = 100
seed = 7
[mix]
get = 90
insert = 5
update = 0
remove = 5
[distribution]
kind = "zipf"
theta = 0.99
scrambled = true
"#;

    fn parse_str(text: &str) -> Result<Workload, WorkloadError> {
        parse(text, Path::new("dir/t.toml"), Overrides::default())
    }

    fn err_of(text: &str) -> String {
        parse_str(text).expect_err("should be rejected").to_string()
    }

    #[test]
    fn good_spec_parses() {
        let w = parse_str(GOOD).unwrap();
        assert_eq!(w.prefill_count, 500);
        assert_eq!(
            w.mix,
            Mix {
                get: 9000,
                insert: 500,
                update: 0,
                remove: 500
            }
        );
        assert_eq!(
            w.distribution,
            Distribution::Zipf {
                theta: 0.99,
                scrambled: true
            }
        );
    }

    #[test]
    fn overrides_replace_defaults_and_are_validated() {
        let ov = Overrides {
            threads: Some(8),
            ops_per_thread: Some(3),
            seed: Some(99),
        };
        let w = parse(GOOD, Path::new("t.toml"), ov).unwrap();
        assert_eq!((w.threads, w.ops_per_thread, w.seed), (8, 3, 99));
        let zero = Overrides {
            threads: Some(0),
            ..Overrides::default()
        };
        let e = parse(GOOD, Path::new("t.toml"), zero)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("threads (--threads)") && e.contains("expected 1 to"),
            "{e}"
        );
    }

    #[test]
    fn malformed_toml_names_the_file() {
        let e = err_of("name = \n");
        assert!(
            e.starts_with("dir/t.toml: not a valid workload spec"),
            "{e}"
        );
    }

    #[test]
    fn unknown_field_is_rejected_with_its_name() {
        let e = err_of(&GOOD.replace("seed = 7", "seed = 7\nsead = 8"));
        assert!(
            e.contains("dir/t.toml") && e.contains("unknown field `sead`"),
            "{e}"
        );
        let e = err_of(&GOOD.replace("remove = 5", "remove = 5\ndelete = 1"));
        assert!(e.contains("unknown field `delete`"), "{e}");
        let e = err_of(&GOOD.replace("scrambled = true", "scrambled = true\nskew = 1"));
        assert!(e.contains("unknown field `skew`"), "{e}");
        let e = err_of(&GOOD.replace(
            "kind = \"zipf\"\ntheta = 0.99\nscrambled = true",
            "kind = \"uniform\"\ntheta = 0.5",
        ));
        assert!(e.contains("unknown field `theta`"), "{e}");
        let e = err_of(&GOOD.replace("kind = \"zipf\"", "kind = \"pareto\""));
        assert!(e.contains("unknown variant `pareto`"), "{e}");
    }

    #[test]
    fn missing_field_is_rejected() {
        let e = err_of(&GOOD.replace("seed = 7\n", ""));
        assert!(e.contains("missing field `seed`"), "{e}");
    }

    #[test]
    fn mix_must_sum_to_100() {
        let e = err_of(&GOOD.replace("get = 90", "get = 80"));
        assert!(
            e.contains("field `mix`: expected get + insert + update + remove = 100")
                && e.contains("= 90"),
            "{e}"
        );
        assert!(err_of(&GOOD.replace("get = 90", "get = 89.995")).contains("mix.get"));
        assert!(err_of(&GOOD.replace("get = 90", "get = -1")).contains("mix.get"));
        // Decimals are allowed.
        let w = parse_str(
            &GOOD
                .replace("insert = 5", "insert = 4.5")
                .replace("remove = 5", "remove = 5.5"),
        )
        .unwrap();
        assert_eq!((w.mix.insert, w.mix.remove), (450, 550));
    }

    #[test]
    fn theta_out_of_range_is_rejected() {
        for bad in ["1.0", "0.0", "1.5", "-0.5", "nan"] {
            let e = err_of(&GOOD.replace("theta = 0.99", &format!("theta = {bad}")));
            assert!(
                e.contains("field `distribution.theta`: expected 0 < theta < 1"),
                "{e}"
            );
        }
    }

    #[test]
    fn zero_threads_ops_and_key_space_are_rejected() {
        let e = err_of(&GOOD.replace("threads = 2", "threads = 0"));
        assert!(
            e.contains("field `threads`: expected 1 to 1024 threads, found 0"),
            "{e}"
        );
        let e = err_of(&GOOD.replace("ops_per_thread = 100", "ops_per_thread = 0"));
        assert!(e.contains("field `ops_per_thread`"), "{e}");
        let e = err_of(&GOOD.replace("key_space = 1000", "key_space = 0"));
        assert!(
            e.contains("field `key_space`: expected 1 to 2^62 key ids, found 0"),
            "{e}"
        );
    }

    #[test]
    fn prefill_is_checked() {
        let e = err_of(&GOOD.replace("prefill_fraction = 0.5", "prefill_fraction = 1.5"));
        assert!(e.contains("prefill_fraction"), "{e}");
        let e = err_of(&GOOD.replace("prefill_fraction = 0.5", "prefill_count = 1001"));
        assert!(
            e.contains("field `prefill_count`: expected at most key_space (1000)"),
            "{e}"
        );
        let e = err_of(&GOOD.replace(
            "prefill_fraction = 0.5",
            "prefill_fraction = 0.5\nprefill_count = 3",
        ));
        assert!(e.contains("not both"), "{e}");
        let w = parse_str(&GOOD.replace("prefill_fraction = 0.5\n", "")).unwrap();
        assert_eq!(w.prefill_count, 0);
    }

    #[test]
    fn hotspot_and_latest_parameters_are_checked() {
        let hot = |op: &str, key: &str| {
            GOOD.replace(
                "kind = \"zipf\"\ntheta = 0.99\nscrambled = true",
                &format!("kind = \"hotspot\"\nhot_op_fraction = {op}\nhot_key_fraction = {key}"),
            )
        };
        assert!(parse_str(&hot("0.9", "0.1")).is_ok());
        assert!(err_of(&hot("1.1", "0.1")).contains("distribution.hot_op_fraction"));
        assert!(err_of(&hot("0.9", "0.0001")).contains("hot set of at least one key"));
        assert!(err_of(&hot("0.9", "1.0")).contains("leaves a cold set"));
        let latest = GOOD.replace(
            "kind = \"zipf\"\ntheta = 0.99\nscrambled = true",
            "kind = \"latest\"",
        );
        assert!(parse_str(&latest).is_ok());
        let e = err_of(&latest.replace("prefill_fraction = 0.5", "prefill_count = 1"));
        assert!(e.contains("at least 2 prefilled keys"), "{e}");
    }

    #[test]
    fn key_type_and_value_kind_default_to_u64_and_are_checked() {
        let w = parse_str(GOOD).unwrap();
        assert_eq!((w.key_type, w.value_kind), (KeyType::U64, ValueKind::U64));
        let w = parse_str(&GOOD.replace(
            "seed = 7",
            "seed = 7\nkey_type = \"string\"\nvalue_kind = \"boxed\"",
        ))
        .unwrap();
        assert_eq!(
            (w.key_type, w.value_kind),
            (KeyType::String, ValueKind::Boxed)
        );
        let e = err_of(&GOOD.replace("seed = 7", "seed = 7\nkey_type = \"str\""));
        assert!(
            e.contains(
                "dir/t.toml: field `key_type`: expected \"u64\" or \"string\", found \"str\""
            ),
            "{e}"
        );
        let e = err_of(&GOOD.replace("seed = 7", "seed = 7\nvalue_kind = \"box\""));
        assert!(e.contains("field `value_kind`"), "{e}");
        for code in 0..4 {
            assert_eq!(
                KeyType::from_code(code).map(KeyType::code),
                (code < 2).then_some(code)
            );
            assert_eq!(
                ValueKind::from_code(code).map(ValueKind::code),
                (code < 2).then_some(code)
            );
        }
    }

    #[test]
    fn bad_names_are_rejected() {
        assert!(err_of(&GOOD.replace("name = \"t\"", "name = \"a b\"")).contains("field `name`"));
        assert!(err_of(&GOOD.replace("name = \"t\"", "name = \"\"")).contains("field `name`"));
    }

    #[test]
    fn mix_draw_ranges_follow_code_order() {
        let m = Mix {
            get: 5000,
            insert: 0,
            update: 2500,
            remove: 2500,
        };
        assert_eq!(m.kind_for_draw(0), OpKind::Get);
        assert_eq!(m.kind_for_draw(4999), OpKind::Get);
        assert_eq!(m.kind_for_draw(5000), OpKind::Update);
        assert_eq!(m.kind_for_draw(7499), OpKind::Update);
        assert_eq!(m.kind_for_draw(7500), OpKind::Remove);
        assert_eq!(m.kind_for_draw(9999), OpKind::Remove);
    }

    #[test]
    fn unknown_name_lists_the_available_ones() {
        let e = resolve("no-such-workload", &workloads_dir()).unwrap_err();
        let msg = e.to_string();
        assert!(msg.contains("unknown workload `no-such-workload`"), "{msg}");
        assert!(
            msg.contains("read-heavy") && msg.contains("ycsb-a"),
            "{msg}"
        );
        assert!(resolve("read-heavy", &workloads_dir()).unwrap().is_file());
        let cell = resolve(
            "matrix/matrix-1k-r90-uniform-string-boxed",
            &workloads_dir(),
        )
        .unwrap();
        let w = load(&cell, Overrides::default()).unwrap();
        assert_eq!(
            (w.key_type, w.value_kind),
            (KeyType::String, ValueKind::Boxed)
        );
    }

    #[test]
    fn every_shipped_workload_parses_and_is_named_after_its_file() {
        let dir = workloads_dir();
        let names = available_workloads(&dir);
        for required in [
            "read-heavy",
            "read-heavy-zipf",
            "read-heavy-hotspot",
            "exchange",
            "rapid-grow",
            "ycsb-a",
            "ycsb-b",
            "ycsb-c",
            "ycsb-d",
            "get-sweep-100",
            "get-sweep-99",
            "get-sweep-90",
            "get-sweep-75",
            "get-sweep-50",
        ] {
            assert!(
                names.iter().any(|n| n == required),
                "missing {required}.toml"
            );
        }
        for name in &names {
            let path = dir.join(format!("{name}.toml"));
            let w = load(&path, Overrides::default())
                .unwrap_or_else(|e| panic!("shipped workload rejected: {e}"));
            assert_eq!(
                &w.name,
                name,
                "{}: name must match the file name",
                path.display()
            );
        }
    }
}
