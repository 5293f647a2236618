//! The binary operation trace both runners replay: writer, validating reader, the
//! key/value derivation and the summary checksum. `comparisons/TRACE-FORMAT.md` is the
//! specification; the Go reader is `go-reference/trace`. Keep all three in step.
//!
//! Layout (little-endian throughout):
//!
//! ```text
//! header   96 fixed bytes + workload name, zero-padded to a multiple of 8 (header_len)
//! prefill  prefill_count × u64 key id, in insertion order
//! ops      threads × ops_per_thread × u64, thread-major: (kind << 62) | key_id
//! ```

use std::fs::File;
use std::io::{self, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::keydist::{self, KeyChooser, OpStream, YCSB_ZIPFIAN_CONSTANT};
use crate::workload::{
    Distribution, KEY_ID_LIMIT, KeyType, MAX_OPS_PER_THREAD, MAX_THREADS, MIX_TOTAL_BP, Mix,
    OpKind, ValueKind, Workload,
};

/// First 8 bytes of every trace.
pub const MAGIC: [u8; 8] = *b"MAPTRACE";
/// The newest format version this code writes and reads. Version 2 gives the reserved
/// bytes 73 and 74 a meaning (key type, value kind); a trace with u64 keys and u64 values
/// is written as version 1, byte for byte what older writers wrote, so older readers and
/// recorded trace digests stay valid. A version-1 reader refuses a version-2 trace with
/// "unsupported trace format version 2".
pub const VERSION: u32 = 2;
/// The oldest version this code reads (u64 keys and values implied).
pub const MIN_VERSION: u32 = 1;
/// Bytes before the workload name.
pub const FIXED_HEADER_LEN: usize = 96;
/// Longest workload name a header may carry (the spec allows 64).
pub const MAX_NAME_LEN: usize = 64;
/// Low 62 bits of an op word: the key id.
pub const KEY_ID_MASK: u64 = KEY_ID_LIMIT - 1;
/// Header flag bit 0: maps are created with capacity (`presize`).
pub const FLAG_PRESIZE: u32 = 1;

/// Byte offsets of the fixed header fields.
mod off {
    pub const MAGIC: usize = 0; // [u8; 8]
    pub const VERSION: usize = 8; // u32
    pub const HEADER_LEN: usize = 12; // u32
    pub const KEY_SPACE: usize = 16; // u64
    pub const KEY_ID_BOUND: usize = 24; // u64
    pub const THREADS: usize = 32; // u32
    pub const FLAGS: usize = 36; // u32
    pub const OPS_PER_THREAD: usize = 40; // u64
    pub const PREFILL_COUNT: usize = 48; // u64
    pub const SEED: usize = 56; // u64
    pub const MIX: usize = 64; // 4 × u16 basis points: get, insert, update, remove
    pub const DIST_KIND: usize = 72; // u8
    pub const KEY_TYPE: usize = 73; // u8 (version 2; reserved zero in version 1)
    pub const VALUE_KIND: usize = 74; // u8 (version 2; reserved zero in version 1)
    pub const RESERVED: usize = 75; // u8, zero
    pub const NAME_LEN: usize = 76; // u32
    pub const PARAM0: usize = 80; // f64
    pub const PARAM1: usize = 88; // f64
    pub const NAME: usize = 96; // name_len bytes of UTF-8, zero padding to a multiple of 8
}

/// Distribution codes in the header (`DIST_KIND`).
mod dist_code {
    pub const UNIFORM: u8 = 0;
    pub const ZIPF: u8 = 1;
    pub const SCRAMBLED_ZIPF: u8 = 2;
    pub const HOTSPOT: u8 = 3;
    pub const LATEST: u8 = 4;
}

// --- keys and values -------------------------------------------------------------------

const GOLDEN_GAMMA: u64 = 0x9E37_79B9_7F4A_7C15;
const MIX_M1: u64 = 0xBF58_476D_1CE4_E5B9;
const MIX_M2: u64 = 0x94D0_49BB_1331_11EB;

/// The u64 key stored in the map for key id `id`: SplitMix64's output function (Stafford's
/// "Mix13") applied to `id XOR golden gamma` — a bijection of u64, so distinct ids are
/// distinct keys.
///
/// Why not the id itself: ids are small and dense (0, 1, 2, ...; the hottest Zipf and
/// hotspot ids are the smallest), so a map that takes its bucket or shard from the key's
/// low bits (identity hashers, `key % shards`) would see a perfectly even or pathologically
/// clustered spread that real keys never give. Mixed keys look random to every map, and
/// hot keys land in unrelated shards. No id below 2^62 maps to 0 or u64::MAX (tested; this
/// is why the gamma is XORed, not added as SplitMix64 does), so adapters may use either
/// as a sentinel.
pub fn key_for_id(id: u64) -> u64 {
    let mut z = id ^ GOLDEN_GAMMA;
    z = (z ^ (z >> 30)).wrapping_mul(MIX_M1);
    z = (z ^ (z >> 27)).wrapping_mul(MIX_M2);
    z ^ (z >> 31)
}

/// The shared prefix of every string key; a key uses its first 8 to 24 bytes.
pub const KEY_STRING_PREFIX: &str = "mapbench:tenant-42:user:";

/// Shortest and longest string key.
pub const KEY_STRING_LEN: std::ops::RangeInclusive<usize> = 24..=40;

/// The string key for key id `id` (traces with `key_type = "string"`): with
/// `k = key_for_id(id)`, the first `8 + k % 17` bytes of [`KEY_STRING_PREFIX`], then `k`
/// as 16 lower-case hex digits: 24 to 40 bytes, at least 8 of them shared by every key
/// and on average 16. Distinct ids give distinct strings (the last 16 bytes are the u64
/// key, a bijection of the id). The Go reader builds the same bytes
/// (`trace.KeyString`); the golden string trace pins their SHA-256.
pub fn key_string_for_id(id: u64) -> String {
    let mut s = String::with_capacity(*KEY_STRING_LEN.end());
    push_key_string(&mut s, id);
    s
}

fn push_key_string(out: &mut String, id: u64) {
    use std::fmt::Write as _;
    let k = key_for_id(id);
    let prefix = 8 + (k % 17) as usize;
    out.push_str(&KEY_STRING_PREFIX[..prefix]);
    write!(out, "{k:016x}").expect("writing to a String cannot fail");
}

/// Every string key of ids `0..bound`, built once, in one buffer: what a runner makes
/// before the timed phase, so that no op builds a string.
#[derive(Debug, Clone, Default)]
pub struct KeyStrings {
    arena: String,
    /// `ends[id]`: end of key `id` in `arena` (its start is the previous end).
    ends: Vec<usize>,
}

impl KeyStrings {
    /// The keys of ids `0..bound`.
    pub fn build(bound: u64) -> KeyStrings {
        let n = usize::try_from(bound).expect("key id bound fits in memory");
        let mut arena = String::with_capacity(n * 32);
        let mut ends = Vec::with_capacity(n);
        for id in 0..bound {
            push_key_string(&mut arena, id);
            ends.push(arena.len());
        }
        KeyStrings { arena, ends }
    }

    /// The number of keys.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// True if there are no keys.
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// Key `id`. Panics if `id >= len()`.
    pub fn get(&self, id: u64) -> &str {
        let i = id as usize;
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        &self.arena[start..self.ends[i]]
    }

    /// The keys in id order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = &str> + '_ {
        (0..self.ends.len()).map(|id| self.get(id as u64))
    }

    /// Lower-case hex SHA-256 of every key in id order, each followed by a `\n` byte: the
    /// digest both languages' tests compare for the golden string trace.
    pub fn sha256(&self) -> String {
        let mut h = Sha256::new();
        for key in self.iter() {
            h.update(key.as_bytes());
            h.update(b"\n");
        }
        hex(&h.finalize())
    }
}

/// Inverse of [`key_for_id`] (for debugging: which id is this key?).
pub fn id_for_key(key: u64) -> u64 {
    const fn inverse(a: u64) -> u64 {
        // Newton's iteration for the inverse of an odd number mod 2^64; each step doubles
        // the correct low bits (3 → 6 → 12 → 24 → 48 → 96).
        let mut x = a;
        let mut i = 0;
        while i < 5 {
            x = x.wrapping_mul(2u64.wrapping_sub(a.wrapping_mul(x)));
            i += 1;
        }
        x
    }
    fn unshift(v: u64, s: u32) -> u64 {
        let mut x = v;
        let mut k = s;
        while k < 64 {
            x = v ^ (x >> s);
            k += s;
        }
        x
    }
    let mut z = unshift(key, 31);
    z = unshift(z.wrapping_mul(inverse(MIX_M2)), 27);
    z = unshift(z.wrapping_mul(inverse(MIX_M1)), 30);
    z ^ GOLDEN_GAMMA
}

/// The value the prefill writes with its `index`-th key: `index + 1` (never 0).
pub fn prefill_value(index: u64) -> u64 {
    index + 1
}

/// The value op `index` of thread `thread` carries (used by inserts and updates; defined
/// for every op so the checksum covers it): `(thread + 1) << 48 | (index + 1)`. A value
/// found in the map says which thread's which op wrote it; never 0, and never equal to a
/// prefill value.
pub fn op_value(thread: u32, index: u64) -> u64 {
    ((u64::from(thread) + 1) << 48) | (index + 1)
}

/// One op word: kind in the top 2 bits, key id in the low 62.
pub fn encode_op(kind: OpKind, key_id: u64) -> u64 {
    debug_assert!(key_id <= KEY_ID_MASK);
    (u64::from(kind.code()) << 62) | key_id
}

/// One decoded op, ready to apply: kind, key id, the map key and the value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Op {
    pub kind: OpKind,
    pub key_id: u64,
    pub key: u64,
    pub value: u64,
}

impl Op {
    /// Decodes op word `word` (already native-endian) at `index` of `thread`'s stream.
    pub fn decode(word: u64, thread: u32, index: u64) -> Op {
        let key_id = word & KEY_ID_MASK;
        Op {
            kind: OpKind::from_code((word >> 62) as u8),
            key_id,
            key: key_for_id(key_id),
            value: op_value(thread, index),
        }
    }
}

// --- header ---------------------------------------------------------------------------

/// The decoded header.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TraceHeader {
    pub version: u32,
    pub header_len: u32,
    pub name: String,
    pub key_space: u64,
    /// Every key id in the trace is below this (key_space, or more for `latest`).
    pub key_id_bound: u64,
    pub threads: u32,
    pub ops_per_thread: u64,
    pub prefill_count: u64,
    pub presize: bool,
    pub seed: u64,
    /// Op mix in basis points (1/100 %), summing to 10,000.
    pub mix_bp: Mix,
    pub distribution: Distribution,
    /// What the maps store as keys (version 2; `u64` in version 1).
    #[serde(skip_serializing_if = "is_default")]
    pub key_type: KeyType,
    /// What the maps store as values (version 2; `u64` in version 1).
    #[serde(skip_serializing_if = "is_default")]
    pub value_kind: ValueKind,
}

fn is_default<T: Default + PartialEq>(v: &T) -> bool {
    *v == T::default()
}

/// The version a header with these key and value kinds is written as: 1 when both are
/// u64 (the bytes older writers wrote), else 2.
pub fn version_for(key_type: KeyType, value_kind: ValueKind) -> u32 {
    if key_type == KeyType::U64 && value_kind == ValueKind::U64 {
        MIN_VERSION
    } else {
        VERSION
    }
}

impl TraceHeader {
    /// The header a trace of `w` carries.
    pub fn for_workload(w: &Workload) -> TraceHeader {
        TraceHeader {
            version: version_for(w.key_type, w.value_kind),
            header_len: header_len_for(w.name.len()) as u32,
            name: w.name.clone(),
            key_space: w.key_space,
            key_id_bound: keydist::key_id_bound(w),
            threads: w.threads,
            ops_per_thread: w.ops_per_thread,
            prefill_count: w.prefill_count,
            presize: w.presize,
            seed: w.seed,
            mix_bp: w.mix,
            distribution: w.distribution,
            key_type: w.key_type,
            value_kind: w.value_kind,
        }
    }

    /// The capacity to create maps with when `presize` is set (None otherwise): the
    /// most distinct keys the workload can hold — `key_space`, or for `latest` the
    /// prefill plus the expected inserts, `prefill_count + ceil(threads × ops_per_thread
    /// × insert share)`.
    pub fn presize_capacity(&self) -> Option<u64> {
        if !self.presize {
            return None;
        }
        Some(match self.distribution {
            Distribution::Latest {} => {
                let ops = u128::from(self.threads) * u128::from(self.ops_per_thread);
                let inserts =
                    (ops * u128::from(self.mix_bp.insert)).div_ceil(u128::from(MIX_TOTAL_BP));
                self.prefill_count + inserts as u64
            }
            _ => self.key_space,
        })
    }

    /// Total file size this header implies, or None on overflow.
    pub fn expected_len(&self) -> Option<u64> {
        let ops = u64::from(self.threads).checked_mul(self.ops_per_thread)?;
        u64::from(self.header_len)
            .checked_add(self.prefill_count.checked_mul(8)?)?
            .checked_add(ops.checked_mul(8)?)
    }

    /// The header bytes, `header_len` long.
    pub fn encode(&self) -> Vec<u8> {
        let mut b = vec![0u8; self.header_len as usize];
        b[off::MAGIC..off::MAGIC + 8].copy_from_slice(&MAGIC);
        put_u32(&mut b, off::VERSION, self.version);
        put_u32(&mut b, off::HEADER_LEN, self.header_len);
        put_u64(&mut b, off::KEY_SPACE, self.key_space);
        put_u64(&mut b, off::KEY_ID_BOUND, self.key_id_bound);
        put_u32(&mut b, off::THREADS, self.threads);
        put_u32(
            &mut b,
            off::FLAGS,
            if self.presize { FLAG_PRESIZE } else { 0 },
        );
        put_u64(&mut b, off::OPS_PER_THREAD, self.ops_per_thread);
        put_u64(&mut b, off::PREFILL_COUNT, self.prefill_count);
        put_u64(&mut b, off::SEED, self.seed);
        for (i, kind) in OpKind::ALL.into_iter().enumerate() {
            let at = off::MIX + 2 * i;
            b[at..at + 2].copy_from_slice(&self.mix_bp.share_bp(kind).to_le_bytes());
        }
        let (code, p0, p1) = match self.distribution {
            Distribution::Uniform {} => (dist_code::UNIFORM, 0.0, 0.0),
            Distribution::Zipf {
                theta,
                scrambled: false,
            } => (dist_code::ZIPF, theta, 0.0),
            Distribution::Zipf {
                theta,
                scrambled: true,
            } => (dist_code::SCRAMBLED_ZIPF, theta, 0.0),
            Distribution::Hotspot {
                hot_op_fraction,
                hot_key_fraction,
            } => (dist_code::HOTSPOT, hot_op_fraction, hot_key_fraction),
            Distribution::Latest {} => (dist_code::LATEST, YCSB_ZIPFIAN_CONSTANT, 0.0),
        };
        b[off::DIST_KIND] = code;
        b[off::KEY_TYPE] = self.key_type.code();
        b[off::VALUE_KIND] = self.value_kind.code();
        put_u32(&mut b, off::NAME_LEN, self.name.len() as u32);
        put_u64(&mut b, off::PARAM0, p0.to_bits());
        put_u64(&mut b, off::PARAM1, p1.to_bits());
        b[off::NAME..off::NAME + self.name.len()].copy_from_slice(self.name.as_bytes());
        b
    }
}

fn header_len_for(name_len: usize) -> usize {
    (FIXED_HEADER_LEN + name_len).next_multiple_of(8)
}

fn put_u32(b: &mut [u8], at: usize, v: u32) {
    b[at..at + 4].copy_from_slice(&v.to_le_bytes());
}

fn put_u64(b: &mut [u8], at: usize, v: u64) {
    b[at..at + 8].copy_from_slice(&v.to_le_bytes());
}

fn get_u16(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes(b[at..at + 2].try_into().expect("2 bytes"))
}

fn get_u32(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(b[at..at + 4].try_into().expect("4 bytes"))
}

fn get_u64(b: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(b[at..at + 8].try_into().expect("8 bytes"))
}

// --- writer ---------------------------------------------------------------------------

/// Ops buffered per write.
const WRITE_CHUNK_OPS: usize = 1 << 16;

/// Writes the whole trace of `w` to `out`.
pub fn write_trace(w: &Workload, out: &mut impl Write) -> io::Result<()> {
    out.write_all(&TraceHeader::for_workload(w).encode())?;
    let mut buf = Vec::with_capacity(WRITE_CHUNK_OPS * 8);
    for chunk in keydist::prefill_ids(w).chunks(WRITE_CHUNK_OPS) {
        buf.clear();
        for id in chunk {
            buf.extend_from_slice(&id.to_le_bytes());
        }
        out.write_all(&buf)?;
    }
    let chooser = KeyChooser::new(w);
    for thread in 0..w.threads {
        let mut stream = OpStream::new(w, &chooser, thread);
        let mut left = w.ops_per_thread;
        while left > 0 {
            let n = left.min(WRITE_CHUNK_OPS as u64);
            buf.clear();
            for _ in 0..n {
                let (kind, key_id) = stream.next_op();
                buf.extend_from_slice(&encode_op(kind, key_id).to_le_bytes());
            }
            out.write_all(&buf)?;
            left -= n;
        }
    }
    Ok(())
}

/// The trace of `w` in memory.
pub fn generate(w: &Workload) -> Vec<u8> {
    let mut out = Vec::new();
    write_trace(w, &mut out).expect("writing to a Vec cannot fail");
    out
}

/// Lower-case hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

struct HashingWriter<W> {
    inner: W,
    hasher: Sha256,
}

impl<W: Write> Write for HashingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// What [`write_trace_file`] wrote.
#[derive(Debug, Clone)]
pub struct WrittenTrace {
    pub path: PathBuf,
    pub bytes: u64,
    pub sha256: String,
}

/// Path of the checksum file beside a trace: `PATH.sha256`.
pub fn sha256_path(trace: &Path) -> PathBuf {
    let mut p = trace.as_os_str().to_owned();
    p.push(".sha256");
    PathBuf::from(p)
}

/// Writes the trace of `w` to `path` atomically (a temporary file in the same directory,
/// synced, then renamed over `path`), and `PATH.sha256` in `sha256sum` format.
pub fn write_trace_file(w: &Workload, path: &Path) -> anyhow::Result<WrittenTrace> {
    use anyhow::Context as _;
    let (bytes, sha256) = crate::files::write_atomic_with(path, |file| {
        let mut out = HashingWriter {
            inner: BufWriter::with_capacity(1 << 20, file),
            hasher: Sha256::new(),
        };
        write_trace(w, &mut out)?;
        out.flush()?;
        Ok(hex(&out.hasher.finalize()))
    })
    .with_context(|| format!("{}: cannot write trace", path.display()))?;
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let sidecar = sha256_path(path);
    crate::files::write_atomic_with(&sidecar, |file| writeln!(file, "{sha256}  {file_name}"))
        .with_context(|| format!("{}: cannot write checksum", sidecar.display()))?;
    Ok(WrittenTrace {
        path: path.to_path_buf(),
        bytes,
        sha256,
    })
}

// --- reader ---------------------------------------------------------------------------

/// Why a trace was rejected. Every variant names the file (or the label given to
/// [`Trace::from_bytes`]).
#[derive(Debug, thiserror::Error)]
pub enum TraceError {
    #[error("{path}: cannot read trace: {source}")]
    Io { path: String, source: io::Error },
    #[error("{path}: not a trace: expected magic \"MAPTRACE\", found {found}")]
    BadMagic { path: String, found: String },
    #[error(
        "{path}: unsupported trace format version {found}: expected {MIN_VERSION} to {VERSION}"
    )]
    UnsupportedVersion { path: String, found: u32 },
    #[error("{path}: truncated header: expected at least {expected} bytes, found {found}")]
    TruncatedHeader {
        path: String,
        expected: u64,
        found: u64,
    },
    #[error("{path}: header field `{field}`: expected {expected}, found {found}")]
    BadHeader {
        path: String,
        field: &'static str,
        expected: String,
        found: String,
    },
    #[error(
        "{path}: {what}: expected {expected} bytes in all (header {header_len} + 8 × {prefill_count} prefill keys + 8 × {threads} threads × {ops_per_thread} ops), found {found}"
    )]
    LengthMismatch {
        path: String,
        what: &'static str,
        expected: u64,
        found: u64,
        header_len: u32,
        prefill_count: u64,
        threads: u32,
        ops_per_thread: u64,
    },
    #[error(
        "{path}: prefill key {index}: expected a key id below key_space {bound}, found {found}"
    )]
    BadPrefill {
        path: String,
        index: u64,
        bound: u64,
        found: u64,
    },
    #[error("{path}: thread {thread} op {index}: expected {expected}, found {found}")]
    BadOp {
        path: String,
        thread: u32,
        index: u64,
        expected: String,
        found: String,
    },
    #[error(
        "{path}: sha256 does not match {sidecar}: expected {expected}, found {found} (the file changed after `mapbench trace` wrote it; regenerate it)"
    )]
    ChecksumMismatch {
        path: String,
        sidecar: String,
        expected: String,
        found: String,
    },
    #[error(
        "{sidecar}: checksum file of {path}: expected `<64 hex digits>  <file name>` (sha256sum format), found {found}"
    )]
    BadSidecar {
        path: String,
        sidecar: String,
        found: String,
    },
}

/// What [`Trace::open_verified`] found beside the trace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sidecar {
    /// `PATH.sha256` exists and records the file's SHA-256.
    Matched,
    /// There is no `PATH.sha256` (a trace not written by `mapbench trace`): the bytes
    /// passed the format's checks, but nothing says they are the bytes that were written.
    Missing(PathBuf),
}

/// The digest recorded in a `sha256sum`-format line: the first field, 64 hex digits.
fn parse_sidecar(text: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(text).ok()?;
    let digest = text.split_whitespace().next()?;
    (digest.len() == 64 && digest.bytes().all(|b| b.is_ascii_hexdigit()))
        .then(|| digest.to_ascii_lowercase())
}

/// A validated trace in memory. The file is read once into an 8-byte-aligned buffer;
/// the prefill and each thread's ops are slices of it, decoded on access.
#[derive(Debug)]
pub struct Trace {
    label: String,
    words: Vec<u64>,
    len: usize,
    header: TraceHeader,
    prefill_start: usize,
    ops_start: usize,
    /// The file's SHA-256, computed once.
    sha256: OnceLock<String>,
}

impl Trace {
    /// [`Trace::open`], then the check against `PATH.sha256`: a sidecar that records
    /// another digest (a byte flipped or cut since `mapbench trace` wrote the file) or that
    /// is not in `sha256sum` format is an error; a missing one is reported as
    /// [`Sidecar::Missing`]. The hash is computed once and kept for [`Trace::sha256`].
    pub fn open_verified(path: &Path) -> Result<(Trace, Sidecar), TraceError> {
        let trace = Trace::open(path)?;
        let sidecar = sha256_path(path);
        let sidecar_label = sidecar.display().to_string();
        let text = match std::fs::read(&sidecar) {
            Ok(t) => t,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return Ok((trace, Sidecar::Missing(sidecar)));
            }
            Err(source) => {
                return Err(TraceError::Io {
                    path: sidecar_label,
                    source,
                });
            }
        };
        let Some(expected) = parse_sidecar(&text) else {
            let shown: String = String::from_utf8_lossy(&text).chars().take(80).collect();
            return Err(TraceError::BadSidecar {
                path: trace.label.clone(),
                sidecar: sidecar_label,
                found: format!("{shown:?}"),
            });
        };
        let found = trace.sha256();
        if found != expected {
            return Err(TraceError::ChecksumMismatch {
                path: trace.label.clone(),
                sidecar: sidecar_label,
                expected,
                found,
            });
        }
        Ok((trace, Sidecar::Matched))
    }

    /// Reads and validates the trace at `path` (header, length, every prefill key and op).
    pub fn open(path: &Path) -> Result<Trace, TraceError> {
        let label = path.display().to_string();
        let io_err = |source| TraceError::Io {
            path: label.clone(),
            source,
        };
        let mut file = File::open(path).map_err(io_err)?;
        let len = file.metadata().map_err(io_err)?.len();
        let len = usize::try_from(len).map_err(|_| {
            io_err(io::Error::new(
                io::ErrorKind::OutOfMemory,
                "file larger than memory",
            ))
        })?;
        let mut words = vec![0u64; len.div_ceil(8)];
        file.read_exact(&mut bytemuck::cast_slice_mut::<u64, u8>(&mut words)[..len])
            .map_err(io_err)?;
        Trace::from_words(label, words, len)
    }

    /// Validates a trace held in `bytes`; `label` stands for the file name in errors.
    pub fn from_bytes(bytes: &[u8], label: &str) -> Result<Trace, TraceError> {
        let mut words = vec![0u64; bytes.len().div_ceil(8)];
        bytemuck::cast_slice_mut::<u64, u8>(&mut words)[..bytes.len()].copy_from_slice(bytes);
        Trace::from_words(label.to_owned(), words, bytes.len())
    }

    fn from_words(label: String, words: Vec<u64>, len: usize) -> Result<Trace, TraceError> {
        let bytes = &bytemuck::cast_slice::<u64, u8>(&words)[..len];
        let header = parse_header(bytes, &label)?;
        let prefill_start = header.header_len as usize / 8;
        let ops_start = prefill_start + header.prefill_count as usize;
        let trace = Trace {
            label,
            words,
            len,
            header,
            prefill_start,
            ops_start,
            sha256: OnceLock::new(),
        };
        trace.validate_body()?;
        Ok(trace)
    }

    fn validate_body(&self) -> Result<(), TraceError> {
        let h = &self.header;
        for (index, &word) in self.prefill_raw().iter().enumerate() {
            let id = u64::from_le(word);
            if id >= h.key_space {
                return Err(TraceError::BadPrefill {
                    path: self.label.clone(),
                    index: index as u64,
                    bound: h.key_space,
                    found: id,
                });
            }
        }
        for thread in 0..h.threads {
            for (index, &word) in self.thread_ops(thread).raw().iter().enumerate() {
                let word = u64::from_le(word);
                let kind = OpKind::from_code((word >> 62) as u8);
                let key_id = word & KEY_ID_MASK;
                let bad = |expected: String, found: String| TraceError::BadOp {
                    path: self.label.clone(),
                    thread,
                    index: index as u64,
                    expected,
                    found,
                };
                if h.mix_bp.share_bp(kind) == 0 {
                    return Err(bad(
                        format!(
                            "an op kind the header's mix allows ({})",
                            allowed_kinds(&h.mix_bp)
                        ),
                        format!("kind {} ({kind})", kind.code()),
                    ));
                }
                if key_id >= h.key_id_bound {
                    return Err(bad(
                        format!("a key id below key_id_bound {}", h.key_id_bound),
                        key_id.to_string(),
                    ));
                }
            }
        }
        Ok(())
    }

    /// The file name (or label) errors use.
    pub fn label(&self) -> &str {
        &self.label
    }

    /// The decoded header.
    pub fn header(&self) -> &TraceHeader {
        &self.header
    }

    /// The raw file bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &bytemuck::cast_slice::<u64, u8>(&self.words)[..self.len]
    }

    /// SHA-256 of the file, lower-case hex (computed on first use, then kept).
    pub fn sha256(&self) -> String {
        self.sha256
            .get_or_init(|| sha256_hex(self.as_bytes()))
            .clone()
    }

    /// The prefill key ids as stored (little-endian words).
    pub fn prefill_raw(&self) -> &[u64] {
        &self.words[self.prefill_start..self.ops_start]
    }

    /// The prefill as insert ops, in order: key id, key, and [`prefill_value`].
    pub fn prefill(&self) -> impl ExactSizeIterator<Item = Op> + '_ {
        self.prefill_raw().iter().enumerate().map(|(i, &w)| {
            let key_id = u64::from_le(w);
            Op {
                kind: OpKind::Insert,
                key_id,
                key: key_for_id(key_id),
                value: prefill_value(i as u64),
            }
        })
    }

    /// Thread `thread`'s ops. Panics if `thread >= header().threads`.
    pub fn thread_ops(&self, thread: u32) -> ThreadOps<'_> {
        assert!(
            thread < self.header.threads,
            "{}: thread {thread} out of range (trace has {})",
            self.label,
            self.header.threads
        );
        let n = self.header.ops_per_thread as usize;
        let start = self.ops_start + thread as usize * n;
        ThreadOps {
            thread,
            words: &self.words[start..start + n],
        }
    }

    /// Op counts per kind per thread and the checksums (see [`checksum_step`]).
    pub fn summary(&self) -> TraceSummary {
        let prefill_checksum = self.prefill().fold(CHECKSUM_INIT, checksum_step);
        let mut overall = prefill_checksum;
        let threads = (0..self.header.threads)
            .map(|thread| {
                let mut s = ThreadSummary {
                    thread,
                    get: 0,
                    insert: 0,
                    update: 0,
                    remove: 0,
                    checksum: String::new(),
                };
                let mut h = CHECKSUM_INIT;
                for op in self.thread_ops(thread).iter() {
                    *match op.kind {
                        OpKind::Get => &mut s.get,
                        OpKind::Insert => &mut s.insert,
                        OpKind::Update => &mut s.update,
                        OpKind::Remove => &mut s.remove,
                    } += 1;
                    h = checksum_step(h, op);
                    overall = checksum_step(overall, op);
                }
                s.checksum = format!("{h:016x}");
                s
            })
            .collect();
        TraceSummary {
            prefill: PrefillSummary {
                count: self.header.prefill_count,
                checksum: format!("{prefill_checksum:016x}"),
            },
            threads,
            checksum: format!("{overall:016x}"),
            sequential_replay: self.sequential_replay(),
            key_strings_sha256: (self.header.key_type == KeyType::String)
                .then(|| KeyStrings::build(self.header.key_id_bound).sha256()),
        }
    }

    /// Replays the trace on one thread against `std::collections::HashMap`, in file order
    /// (prefill, then thread 0's ops, thread 1's, ...), with the semantics every adapter
    /// implements (see [`OpKind`]). What a correct map must report for the same replay.
    pub fn sequential_replay(&self) -> ReplaySummary {
        let mut map = std::collections::HashMap::<u64, u64>::with_capacity(
            self.header.prefill_count as usize,
        );
        for op in self.prefill() {
            map.insert(op.key, op.value);
        }
        let mut r = ReplaySummary::default();
        let mut get_value_sum = 0u64;
        for thread in 0..self.header.threads {
            for op in self.thread_ops(thread).iter() {
                match op.kind {
                    OpKind::Get => {
                        if let Some(&v) = map.get(&op.key) {
                            r.get_hits += 1;
                            get_value_sum = get_value_sum.wrapping_add(v);
                        }
                    }
                    OpKind::Insert => {
                        if map.insert(op.key, op.value).is_none() {
                            r.insert_new += 1;
                        }
                    }
                    OpKind::Update => {
                        if let Some(slot) = map.get_mut(&op.key) {
                            *slot = op.value;
                            r.update_hits += 1;
                        }
                    }
                    OpKind::Remove => {
                        if map.remove(&op.key).is_some() {
                            r.remove_hits += 1;
                        }
                    }
                }
            }
        }
        r.final_len = map.len() as u64;
        r.get_value_sum = format!("{get_value_sum:016x}");
        r.state_checksum = format!("{:016x}", state_checksum(map.iter().map(|(&k, &v)| (k, v))));
        r
    }

    /// What `mapbench trace-info --json` prints.
    pub fn info(&self) -> TraceInfo {
        TraceInfo {
            format: format!("MAPTRACE v{}", self.header.version),
            sha256: self.sha256(),
            header: self.header.clone(),
            summary: self.summary(),
        }
    }
}

fn allowed_kinds(mix: &Mix) -> String {
    OpKind::ALL
        .into_iter()
        .filter(|&k| mix.share_bp(k) > 0)
        .map(OpKind::name)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Builds a [`TraceError::BadHeader`] from (field, expected, found); the caller's
/// closure adds the file.
type BadHeader<'a> = &'a dyn Fn(&'static str, String, String) -> TraceError;

fn parse_header(b: &[u8], label: &str) -> Result<TraceHeader, TraceError> {
    let version = check_frame(b, label)?;
    let bad = |field: &'static str, expected: String, found: String| TraceError::BadHeader {
        path: label.to_owned(),
        field,
        expected,
        found,
    };
    let (name, header_len) = read_name(b, label, &bad)?;
    let counts = read_counts(b, &bad)?;
    let mix_bp = read_mix(b, &bad)?;
    let (key_type, value_kind) = read_kinds(b, version, &bad)?;
    let distribution = read_distribution(b, &bad)?;
    let header = TraceHeader {
        version,
        header_len,
        name,
        key_space: counts.key_space,
        key_id_bound: counts.key_id_bound,
        threads: counts.threads,
        ops_per_thread: counts.ops_per_thread,
        prefill_count: counts.prefill_count,
        presize: counts.presize,
        seed: get_u64(b, off::SEED),
        mix_bp,
        distribution,
        key_type,
        value_kind,
    };
    check_length(&header, b.len() as u64, label)?;
    Ok(header)
}

fn truncated_header(label: &str, expected: usize, found: usize) -> TraceError {
    TraceError::TruncatedHeader {
        path: label.to_owned(),
        expected: expected as u64,
        found: found as u64,
    }
}

/// The magic, the version and enough bytes for the fixed header; returns the version.
fn check_frame(b: &[u8], label: &str) -> Result<u32, TraceError> {
    // Magic first when there are 8 bytes to look at, so a non-trace says so.
    if b.len() >= 8 && b[..8] != MAGIC {
        return Err(TraceError::BadMagic {
            path: label.to_owned(),
            found: format!("{:?}", String::from_utf8_lossy(&b[..8])),
        });
    }
    if b.len() < off::HEADER_LEN {
        return Err(truncated_header(label, FIXED_HEADER_LEN, b.len()));
    }
    let version = get_u32(b, off::VERSION);
    if !(MIN_VERSION..=VERSION).contains(&version) {
        return Err(TraceError::UnsupportedVersion {
            path: label.to_owned(),
            found: version,
        });
    }
    if b.len() < FIXED_HEADER_LEN {
        return Err(truncated_header(label, FIXED_HEADER_LEN, b.len()));
    }
    Ok(version)
}

/// The workload name and the header length it implies (checked against the file).
fn read_name(b: &[u8], label: &str, bad: BadHeader<'_>) -> Result<(String, u32), TraceError> {
    let name_len = get_u32(b, off::NAME_LEN) as usize;
    if !(1..=MAX_NAME_LEN).contains(&name_len) {
        return Err(bad(
            "name_len",
            format!("1 to {MAX_NAME_LEN}"),
            name_len.to_string(),
        ));
    }
    let min_header = header_len_for(name_len);
    let header_len = get_u32(b, off::HEADER_LEN);
    if (header_len as usize) < min_header || !header_len.is_multiple_of(8) {
        return Err(bad(
            "header_len",
            format!("a multiple of 8, at least {min_header} (96 + name, padded)"),
            header_len.to_string(),
        ));
    }
    if b.len() < header_len as usize {
        return Err(truncated_header(label, header_len as usize, b.len()));
    }
    let name = std::str::from_utf8(&b[off::NAME..off::NAME + name_len])
        .map_err(|_| {
            bad(
                "name",
                "UTF-8 text".into(),
                format!("{:?}", &b[off::NAME..off::NAME + name_len]),
            )
        })?
        .to_owned();
    Ok((name, header_len))
}

/// The header's sizes and flags, each checked against its limit.
struct HeaderCounts {
    key_space: u64,
    key_id_bound: u64,
    threads: u32,
    presize: bool,
    ops_per_thread: u64,
    prefill_count: u64,
}

fn read_counts(b: &[u8], bad: BadHeader<'_>) -> Result<HeaderCounts, TraceError> {
    let key_space = get_u64(b, off::KEY_SPACE);
    if !(1..=KEY_ID_LIMIT).contains(&key_space) {
        return Err(bad("key_space", "1 to 2^62".into(), key_space.to_string()));
    }
    let key_id_bound = get_u64(b, off::KEY_ID_BOUND);
    if !(key_space..=KEY_ID_LIMIT).contains(&key_id_bound) {
        return Err(bad(
            "key_id_bound",
            format!("key_space ({key_space}) to 2^62"),
            key_id_bound.to_string(),
        ));
    }
    let threads = get_u32(b, off::THREADS);
    if !(1..=MAX_THREADS).contains(&threads) {
        return Err(bad(
            "threads",
            format!("1 to {MAX_THREADS}"),
            threads.to_string(),
        ));
    }
    let flags = get_u32(b, off::FLAGS);
    if flags & !FLAG_PRESIZE != 0 {
        return Err(bad(
            "flags",
            "only bit 0 (presize) set".into(),
            format!("{flags:#x}"),
        ));
    }
    let ops_per_thread = get_u64(b, off::OPS_PER_THREAD);
    if !(1..=MAX_OPS_PER_THREAD).contains(&ops_per_thread) {
        return Err(bad(
            "ops_per_thread",
            "1 to 2^32".into(),
            ops_per_thread.to_string(),
        ));
    }
    let prefill_count = get_u64(b, off::PREFILL_COUNT);
    if prefill_count > key_space {
        return Err(bad(
            "prefill_count",
            format!("at most key_space ({key_space})"),
            prefill_count.to_string(),
        ));
    }
    Ok(HeaderCounts {
        key_space,
        key_id_bound,
        threads,
        presize: flags & FLAG_PRESIZE != 0,
        ops_per_thread,
        prefill_count,
    })
}

/// The op mix in basis points, summing to 10,000.
fn read_mix(b: &[u8], bad: BadHeader<'_>) -> Result<Mix, TraceError> {
    let share = |i: usize| get_u16(b, off::MIX + 2 * i);
    let mix_bp = Mix {
        get: share(0),
        insert: share(1),
        update: share(2),
        remove: share(3),
    };
    let mix_sum: u32 = (0..4).map(|i| u32::from(share(i))).sum();
    if mix_sum != u32::from(MIX_TOTAL_BP) {
        return Err(bad(
            "mix",
            "basis points summing to 10000".into(),
            format!(
                "{} + {} + {} + {} = {mix_sum}",
                mix_bp.get, mix_bp.insert, mix_bp.update, mix_bp.remove
            ),
        ));
    }
    Ok(mix_bp)
}

/// The key type and value kind (zero bytes in a version-1 trace), and the reserved
/// bytes after them.
fn read_kinds(
    b: &[u8],
    version: u32,
    bad: BadHeader<'_>,
) -> Result<(KeyType, ValueKind), TraceError> {
    let kinds_from = if version >= 2 {
        off::RESERVED
    } else {
        off::KEY_TYPE
    };
    if b[kinds_from..off::NAME_LEN].iter().any(|&x| x != 0) {
        return Err(bad(
            if version >= 2 {
                "reserved (byte 75)"
            } else {
                "reserved (bytes 73..76)"
            },
            "zero".into(),
            format!("{:?}", &b[kinds_from..off::NAME_LEN]),
        ));
    }
    let key_type = KeyType::from_code(b[off::KEY_TYPE]).ok_or_else(|| {
        bad(
            "key_type",
            "0 (u64) or 1 (string)".into(),
            b[off::KEY_TYPE].to_string(),
        )
    })?;
    let value_kind = ValueKind::from_code(b[off::VALUE_KIND]).ok_or_else(|| {
        bad(
            "value_kind",
            "0 (u64) or 1 (boxed)".into(),
            b[off::VALUE_KIND].to_string(),
        )
    })?;
    if version >= 2 && version_for(key_type, value_kind) != version {
        return Err(bad(
            "key_type",
            "string keys or boxed values in a version-2 trace (u64 keys and values are written as version 1)".into(),
            format!("{key_type} keys, {value_kind} values"),
        ));
    }
    Ok((key_type, value_kind))
}

/// The key distribution and its two parameters.
fn read_distribution(b: &[u8], bad: BadHeader<'_>) -> Result<Distribution, TraceError> {
    let p0 = f64::from_bits(get_u64(b, off::PARAM0));
    let p1 = f64::from_bits(get_u64(b, off::PARAM1));
    let theta = |scrambled| {
        if p0 > 0.0 && p0 < 1.0 {
            Ok(Distribution::Zipf {
                theta: p0,
                scrambled,
            })
        } else {
            Err(bad("theta", "0 < theta < 1".into(), p0.to_string()))
        }
    };
    Ok(match b[off::DIST_KIND] {
        dist_code::UNIFORM => Distribution::Uniform {},
        dist_code::ZIPF => theta(false)?,
        dist_code::SCRAMBLED_ZIPF => theta(true)?,
        dist_code::HOTSPOT => {
            if !(0.0..=1.0).contains(&p0) || !(0.0..=1.0).contains(&p1) {
                return Err(bad(
                    "hotspot fractions",
                    "two fractions between 0 and 1".into(),
                    format!("{p0}, {p1}"),
                ));
            }
            Distribution::Hotspot {
                hot_op_fraction: p0,
                hot_key_fraction: p1,
            }
        }
        dist_code::LATEST => Distribution::Latest {},
        other => {
            return Err(bad(
                "distribution",
                "0 uniform, 1 zipf, 2 scrambled zipf, 3 hotspot or 4 latest".into(),
                other.to_string(),
            ));
        }
    })
}

/// The file is exactly as long as the header says: header, prefill and op streams.
fn check_length(header: &TraceHeader, found: u64, label: &str) -> Result<(), TraceError> {
    let expected = header.expected_len().unwrap_or(u64::MAX);
    if found != expected {
        return Err(TraceError::LengthMismatch {
            path: label.to_owned(),
            what: if found < expected {
                "truncated op stream"
            } else {
                "trailing bytes after the op stream"
            },
            expected,
            found,
            header_len: header.header_len,
            prefill_count: header.prefill_count,
            threads: header.threads,
            ops_per_thread: header.ops_per_thread,
        });
    }
    Ok(())
}

/// One thread's ops: a slice of the trace buffer, decoded on access.
#[derive(Debug, Clone, Copy)]
pub struct ThreadOps<'a> {
    thread: u32,
    words: &'a [u64],
}

impl<'a> ThreadOps<'a> {
    /// The thread index.
    pub fn thread(&self) -> u32 {
        self.thread
    }

    /// Number of ops.
    pub fn len(&self) -> usize {
        self.words.len()
    }

    /// True if there are no ops (never, for a valid trace).
    pub fn is_empty(&self) -> bool {
        self.words.is_empty()
    }

    /// The op words as stored: little-endian `(kind << 62) | key_id`.
    pub fn raw(&self) -> &'a [u64] {
        self.words
    }

    /// Op `index`, decoded.
    pub fn get(&self, index: usize) -> Op {
        Op::decode(u64::from_le(self.words[index]), self.thread, index as u64)
    }

    /// All ops in order, decoded.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = Op> + 'a {
        let thread = self.thread;
        self.words
            .iter()
            .enumerate()
            .map(move |(i, &w)| Op::decode(u64::from_le(w), thread, i as u64))
    }
}

// --- summary --------------------------------------------------------------------------

/// Start of every checksum fold (the FNV-1a 64-bit offset basis).
pub const CHECKSUM_INIT: u64 = 0xCBF2_9CE4_8422_2325;
/// Multiplier of the fold (the FNV-1a 64-bit prime).
pub const CHECKSUM_PRIME: u64 = 0x0000_0100_0000_01B3;

/// One step of the summary checksum: FNV-1a over 64-bit words instead of bytes, fed the
/// op's kind code, then its key (mixed, as stored in the map), then its value:
/// `h = (h ^ x) * prime` (wrapping) for x in [kind, key, value].
pub fn checksum_step(mut h: u64, op: Op) -> u64 {
    for x in [u64::from(op.kind.code()), op.key, op.value] {
        h = (h ^ x).wrapping_mul(CHECKSUM_PRIME);
    }
    h
}

/// An order-independent checksum of a map's contents: the wrapping sum, over entries, of
/// the fold of (key, value) from [`CHECKSUM_INIT`]. Runners can compute it from any map.
pub fn state_checksum(entries: impl IntoIterator<Item = (u64, u64)>) -> u64 {
    entries.into_iter().fold(0u64, |acc, (k, v)| {
        let h = (CHECKSUM_INIT ^ k).wrapping_mul(CHECKSUM_PRIME);
        acc.wrapping_add((h ^ v).wrapping_mul(CHECKSUM_PRIME))
    })
}

/// Counts and checksums of a trace: what both languages' tests compare.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TraceSummary {
    pub prefill: PrefillSummary,
    pub threads: Vec<ThreadSummary>,
    /// One fold over the prefill (as inserts) and then every thread's ops, thread-major.
    pub checksum: String,
    /// What a single-threaded replay in file order must produce.
    pub sequential_replay: ReplaySummary,
    /// For string keys: [`KeyStrings::sha256`] of every key of ids `0..key_id_bound`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_strings_sha256: Option<String>,
}

/// The outcome of [`Trace::sequential_replay`]: ops that found their key (or, for
/// inserts, that created it), the final size, and checksums of what gets returned and
/// of the final contents ([`state_checksum`]).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ReplaySummary {
    pub get_hits: u64,
    pub insert_new: u64,
    pub update_hits: u64,
    pub remove_hits: u64,
    pub final_len: u64,
    /// Wrapping sum of the values returned by gets that hit.
    pub get_value_sum: String,
    pub state_checksum: String,
}

/// The prefill's part of a [`TraceSummary`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PrefillSummary {
    pub count: u64,
    /// Fold over the prefill as insert ops, from [`CHECKSUM_INIT`].
    pub checksum: String,
}

/// One thread's part of a [`TraceSummary`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ThreadSummary {
    pub thread: u32,
    pub get: u64,
    pub insert: u64,
    pub update: u64,
    pub remove: u64,
    /// Fold over this thread's ops alone, from [`CHECKSUM_INIT`].
    pub checksum: String,
}

/// `mapbench trace-info --json`: the golden expected-summary file has this shape.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TraceInfo {
    pub format: String,
    pub sha256: String,
    pub header: TraceHeader,
    pub summary: TraceSummary,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workload::{Overrides, parse};

    fn small_workload(distribution: &str, seed: u64) -> Workload {
        let text = format!(
            r#"
name = "unit"
description = "unit test"
key_space = 500
prefill_fraction = 0.4
presize = true
threads = 3
ops_per_thread = 700
seed = {seed}
[mix]
get = 40
insert = 25
update = 20
remove = 15
[distribution]
{distribution}
"#
        );
        parse(&text, Path::new("unit.toml"), Overrides::default()).unwrap()
    }

    fn zipf(seed: u64) -> Workload {
        small_workload("kind = \"zipf\"\ntheta = 0.99\nscrambled = true", seed)
    }

    fn reject(bytes: &[u8]) -> String {
        Trace::from_bytes(bytes, "bad.trace")
            .expect_err("corrupt trace accepted")
            .to_string()
    }

    #[test]
    fn key_mixer_is_a_bijection_avoiding_sentinels() {
        for id in [0u64, 1, 2, 1000, KEY_ID_MASK, 0xDEAD_BEEF] {
            assert_eq!(id_for_key(key_for_id(id)), id);
        }
        for key in [0u64, u64::MAX, 1, 42] {
            assert_eq!(key_for_id(id_for_key(key)), key);
        }
        // The ids that would map to the sentinels are outside the 62-bit id space.
        assert!(id_for_key(0) > KEY_ID_MASK);
        assert!(id_for_key(u64::MAX) > KEY_ID_MASK);
        // Sequential ids are not sequential keys.
        assert!(key_for_id(1).abs_diff(key_for_id(0)) > 1 << 32);
    }

    #[test]
    fn presize_capacity_covers_what_the_map_can_hold() {
        let mut h = TraceHeader::for_workload(&small_workload("kind = \"latest\"", 1));
        h.ops_per_thread = 1001;
        // 200 prefilled + ceil(3 × 1001 × 25%) = 200 + 751
        assert_eq!(h.presize_capacity(), Some(951));
        let h = TraceHeader::for_workload(&zipf(1));
        assert_eq!(h.presize_capacity(), Some(500));
        let h = TraceHeader {
            presize: false,
            ..h
        };
        assert_eq!(h.presize_capacity(), None);
    }

    #[test]
    fn values_identify_their_writer() {
        assert_eq!(prefill_value(0), 1);
        assert_eq!(op_value(0, 0), (1 << 48) | 1);
        assert_eq!(op_value(2, 9), (3 << 48) | 10);
        assert!(op_value(0, MAX_OPS_PER_THREAD - 1) < op_value(1, 0));
    }

    #[test]
    fn round_trip_every_distribution() {
        for dist in [
            "kind = \"uniform\"",
            "kind = \"zipf\"\ntheta = 0.9\nscrambled = false",
            "kind = \"zipf\"\ntheta = 0.99\nscrambled = true",
            "kind = \"zipf\"\ntheta = 0.5\nscrambled = true",
            "kind = \"hotspot\"\nhot_op_fraction = 0.9\nhot_key_fraction = 0.05",
            "kind = \"latest\"",
        ] {
            let w = small_workload(dist, 11);
            let bytes = generate(&w);
            let t = Trace::from_bytes(&bytes, "rt.trace").unwrap_or_else(|e| panic!("{e}"));
            let h = t.header();
            assert_eq!(h, &TraceHeader::for_workload(&w));
            assert_eq!(h.expected_len(), Some(bytes.len() as u64));
            assert_eq!(t.as_bytes(), &bytes[..]);
            // The prefill is the generator's, in order, with distinct ids.
            let ids: Vec<u64> = t.prefill().map(|op| op.key_id).collect();
            assert_eq!(ids, keydist::prefill_ids(&w));
            let mut distinct = ids.clone();
            distinct.sort_unstable();
            distinct.dedup();
            assert_eq!(distinct.len(), 200);
            // Each thread's ops are the generator's stream, decoded.
            let chooser = KeyChooser::new(&w);
            for thread in 0..w.threads {
                let ops = t.thread_ops(thread);
                assert_eq!(ops.len(), 700);
                let mut stream = OpStream::new(&w, &chooser, thread);
                for (i, op) in ops.iter().enumerate() {
                    let (kind, key_id) = stream.next_op();
                    assert_eq!(
                        (op.kind, op.key_id),
                        (kind, key_id),
                        "{dist} t{thread} op {i}"
                    );
                    assert_eq!(op.key, key_for_id(key_id));
                    assert_eq!(op.value, op_value(thread, i as u64));
                    assert_eq!(ops.get(i), op);
                }
            }
            // Every kind occurs with roughly its share.
            let s = t.summary();
            let gets: u64 = s.threads.iter().map(|t| t.get).sum();
            assert!((700..=980).contains(&gets), "{dist}: {gets} gets of 2100");
            assert!(
                s.threads
                    .iter()
                    .all(|t| t.insert > 0 && t.update > 0 && t.remove > 0)
            );
        }
    }

    #[test]
    fn same_seed_same_bytes_different_seed_different_bytes() {
        assert_eq!(generate(&zipf(5)), generate(&zipf(5)));
        let (a, b) = (generate(&zipf(5)), generate(&zipf(6)));
        assert_eq!(a.len(), b.len());
        let header_len = TraceHeader::for_workload(&zipf(5)).header_len as usize;
        // Differ in the body, not only in the seed field.
        assert_ne!(a[header_len..], b[header_len..]);
        // Threads get different streams.
        let t = Trace::from_bytes(&a, "a").unwrap();
        assert_ne!(t.thread_ops(0).raw(), t.thread_ops(1).raw());
    }

    #[test]
    fn file_is_written_atomically_with_its_checksum() {
        let dir = std::env::temp_dir().join(format!("mapbench-trace-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("x.trace");
        let w = zipf(3);
        let written = write_trace_file(&w, &path).unwrap();
        let bytes = std::fs::read(&path).unwrap();
        assert_eq!(bytes, generate(&w));
        assert_eq!(written.sha256, sha256_hex(&bytes));
        assert_eq!(written.bytes, bytes.len() as u64);
        let sidecar = std::fs::read_to_string(sha256_path(&path)).unwrap();
        assert_eq!(sidecar, format!("{}  x.trace\n", written.sha256));
        let t = Trace::open(&path).unwrap();
        assert_eq!(t.sha256(), written.sha256);
        let leftovers: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().contains(".tmp-"))
            .collect();
        assert!(leftovers.is_empty());
        let e = Trace::open(&dir.join("missing.trace"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("missing.trace: cannot read trace"), "{e}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// A copy of `b` whose body differs but still passes every format check: thread 0's
    /// first op replaced by another op of the same trace.
    fn valid_but_different(b: &[u8]) -> Vec<u8> {
        let t = Trace::from_bytes(b, "x").unwrap();
        let h = t.header();
        let at = h.header_len as usize + 8 * h.prefill_count as usize;
        let mut c = b.to_vec();
        let other = (1..h.ops_per_thread as usize)
            .map(|i| at + 8 * i)
            .find(|&o| b[o..o + 8] != b[at..at + 8])
            .expect("two different ops");
        c.copy_within(other..other + 8, at);
        Trace::from_bytes(&c, "x").expect("still a valid trace");
        c
    }

    #[test]
    fn open_verified_checks_the_sidecar() {
        let dir = std::env::temp_dir().join(format!("mapbench-verify-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("v.trace");
        let written = write_trace_file(&zipf(4), &path).unwrap();
        let (t, side) = Trace::open_verified(&path).unwrap();
        assert_eq!(side, Sidecar::Matched);
        assert_eq!(t.sha256(), written.sha256);

        // One op changed, still a well-formed trace: refused, naming both files.
        let good = std::fs::read(&path).unwrap();
        std::fs::write(&path, valid_but_different(&good)).unwrap();
        assert!(Trace::open(&path).is_ok());
        let e = Trace::open_verified(&path).unwrap_err().to_string();
        assert!(
            e.contains("v.trace: sha256 does not match")
                && e.contains("v.trace.sha256: expected")
                && e.contains(&written.sha256),
            "{e}"
        );
        // A sidecar that is not sha256sum output.
        std::fs::write(&path, &good).unwrap();
        std::fs::write(sha256_path(&path), "not a digest\n").unwrap();
        let e = Trace::open_verified(&path).unwrap_err().to_string();
        assert!(
            e.contains("v.trace.sha256: checksum file of") && e.contains("64 hex digits"),
            "{e}"
        );
        // No sidecar: opened, and said so.
        std::fs::remove_file(sha256_path(&path)).unwrap();
        let (_, side) = Trace::open_verified(&path).unwrap();
        assert_eq!(side, Sidecar::Missing(sha256_path(&path)));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn wrong_magic_is_rejected() {
        let mut b = generate(&zipf(1));
        b[0] = b'X';
        let e = reject(&b);
        assert!(
            e.starts_with("bad.trace: not a trace: expected magic \"MAPTRACE\""),
            "{e}"
        );
        assert!(reject(b"PK\x03\x04 a zip file, say").contains("not a trace"));
    }

    #[test]
    fn unsupported_version_is_rejected() {
        let mut b = generate(&zipf(1));
        b[off::VERSION] = 3;
        let e = reject(&b);
        assert!(
            e.contains("unsupported trace format version 3: expected 1 to 2"),
            "{e}"
        );
        // A version-2 header must say why it is not version 1.
        b[off::VERSION] = 2;
        let e = reject(&b);
        assert!(e.contains("header field `key_type`"), "{e}");
    }

    fn with_kinds(key_type: KeyType, value_kind: ValueKind) -> Workload {
        Workload {
            key_type,
            value_kind,
            ..zipf(1)
        }
    }

    #[test]
    fn key_type_and_value_kind_round_trip_in_version_2() {
        // u64/u64 is written as version 1: byte for byte what older writers wrote.
        let plain = generate(&zipf(1));
        assert_eq!(get_u32(&plain, off::VERSION), 1);
        assert_eq!(plain[off::KEY_TYPE..off::NAME_LEN], [0, 0, 0]);
        for (k, v) in [
            (KeyType::String, ValueKind::U64),
            (KeyType::U64, ValueKind::Boxed),
            (KeyType::String, ValueKind::Boxed),
        ] {
            let b = generate(&with_kinds(k, v));
            assert_eq!(get_u32(&b, off::VERSION), 2);
            assert_eq!((b[off::KEY_TYPE], b[off::VALUE_KIND]), (k.code(), v.code()));
            let t = Trace::from_bytes(&b, "kv.trace").unwrap();
            assert_eq!((t.header().key_type, t.header().value_kind), (k, v));
            // Same ops as the u64 trace: only the header differs.
            let h = t.header().header_len as usize;
            assert_eq!(b[h..], plain[h..]);
            assert_eq!(
                t.summary().key_strings_sha256.is_some(),
                k == KeyType::String
            );
        }
    }

    #[test]
    fn bad_key_type_and_value_kind_codes_are_rejected() {
        let good = generate(&with_kinds(KeyType::String, ValueKind::Boxed));
        let mut b = good.clone();
        b[off::KEY_TYPE] = 9;
        let e = reject(&b);
        assert!(
            e.contains("header field `key_type`: expected 0 (u64) or 1 (string), found 9"),
            "{e}"
        );
        let mut b = good.clone();
        b[off::VALUE_KIND] = 7;
        let e = reject(&b);
        assert!(
            e.contains("header field `value_kind`: expected 0 (u64) or 1 (boxed), found 7"),
            "{e}"
        );
        let mut b = good;
        b[off::RESERVED] = 1;
        assert!(reject(&b).contains("header field `reserved (byte 75)`"));
    }

    #[test]
    fn key_strings_are_distinct_prefixed_and_in_range() {
        let keys = KeyStrings::build(20_000);
        assert_eq!(keys.len(), 20_000);
        let mut seen = std::collections::HashSet::new();
        let mut lens = std::collections::BTreeSet::new();
        for (id, key) in keys.iter().enumerate() {
            assert!(KEY_STRING_LEN.contains(&key.len()), "{key}");
            assert!(key.starts_with(&KEY_STRING_PREFIX[..8]), "{key}");
            assert_eq!(key, key_string_for_id(id as u64));
            // The last 16 bytes are the u64 key.
            let tail = &key[key.len() - 16..];
            assert_eq!(
                u64::from_str_radix(tail, 16).unwrap(),
                key_for_id(id as u64)
            );
            assert!(seen.insert(key.to_owned()), "duplicate {key}");
            lens.insert(key.len());
        }
        // Every length from 24 to 40 occurs.
        assert_eq!(lens.len(), 17);
        assert_ne!(keys.sha256(), KeyStrings::build(19_999).sha256());
    }

    #[test]
    fn truncated_header_is_rejected() {
        let b = generate(&zipf(1));
        for len in [0, 5, 8, 11, 12, 50, 95, 96, 100] {
            let e = reject(&b[..len]);
            assert!(
                e.contains("bad.trace: truncated header: expected at least"),
                "{len}: {e}"
            );
        }
    }

    #[test]
    fn truncated_or_padded_op_stream_is_rejected() {
        let b = generate(&zipf(1));
        let e = reject(&b[..b.len() - 8]);
        assert!(
            e.contains("truncated op stream: expected")
                && e.contains("8 × 3 threads × 700 ops")
                && e.contains(&format!("found {}", b.len() - 8)),
            "{e}"
        );
        assert!(reject(&b[..b.len() - 3]).contains("truncated op stream"));
        let header_len = TraceHeader::for_workload(&zipf(1)).header_len as usize;
        assert!(reject(&b[..header_len]).contains("truncated op stream"));
        let mut longer = b.clone();
        longer.extend_from_slice(&[0; 8]);
        assert!(reject(&longer).contains("trailing bytes after the op stream"));
        // A header claiming more ops than the file holds.
        let mut more = b.clone();
        more[off::OPS_PER_THREAD] += 1;
        assert!(reject(&more).contains("truncated op stream"));
    }

    #[test]
    fn invalid_op_kind_and_key_are_rejected() {
        // ycsb-c style: gets only, so any other kind is invalid.
        let mut w = zipf(1);
        w.mix = Mix {
            get: 10_000,
            insert: 0,
            update: 0,
            remove: 0,
        };
        let mut b = generate(&w);
        let h = TraceHeader::for_workload(&w);
        let op1 = h.header_len as usize + 8 * h.prefill_count as usize + 8 * 700 + 8;
        b[op1 + 7] |= 0x80; // kind 2 (update) on thread 1, op 1
        let e = reject(&b);
        assert!(
            e.contains("bad.trace: thread 1 op 1: expected an op kind the header's mix allows (get), found kind 2 (update)"),
            "{e}"
        );
        let mut b = generate(&zipf(1));
        b[op1..op1 + 8].copy_from_slice(&encode_op(OpKind::Get, 500).to_le_bytes());
        let e = reject(&b);
        assert!(
            e.contains("thread 1 op 1: expected a key id below key_id_bound 500, found 500"),
            "{e}"
        );
        let mut b = generate(&zipf(1));
        let p = h.header_len as usize + 8;
        b[p..p + 8].copy_from_slice(&9999u64.to_le_bytes());
        assert!(reject(&b).contains("prefill key 1: expected a key id below key_space 500"));
    }

    #[test]
    fn bad_header_fields_are_rejected() {
        let good = generate(&zipf(1));
        let cases: [(usize, &[u8], &str); 8] = [
            (
                off::THREADS,
                &[0, 0, 0, 0],
                "header field `threads`: expected 1 to 1024, found 0",
            ),
            (off::KEY_SPACE, &[0; 8], "header field `key_space`"),
            (
                off::MIX,
                &[0, 0],
                "header field `mix`: expected basis points summing to 10000",
            ),
            (off::DIST_KIND, &[9], "header field `distribution`"),
            (off::DIST_KIND + 1, &[1], "header field `reserved"),
            (off::FLAGS, &[2], "header field `flags`"),
            (
                off::PARAM0,
                &1.5f64.to_le_bytes(),
                "header field `theta`: expected 0 < theta < 1",
            ),
            (off::HEADER_LEN, &[97], "header field `header_len`"),
        ];
        for (at, patch, want) in cases {
            let mut b = good.clone();
            b[at..at + patch.len()].copy_from_slice(patch);
            let e = reject(&b);
            assert!(e.contains(want), "patch at {at}: {e}");
        }
    }

    #[test]
    fn garbage_never_panics() {
        // Every truncation and every single-byte flip of a small trace is either rejected
        // with an error or accepted; nothing panics.
        let mut w = zipf(2);
        w.threads = 2;
        w.ops_per_thread = 20;
        w.key_space = 30;
        w.prefill_count = 5;
        let b = generate(&w);
        for len in 0..b.len() {
            assert!(Trace::from_bytes(&b[..len], "t").is_err());
        }
        for i in 0..b.len() {
            for bit in [0x01u8, 0x80] {
                let mut c = b.clone();
                c[i] ^= bit;
                if let Ok(t) = Trace::from_bytes(&c, "t") {
                    let _ = t.summary();
                }
            }
        }
    }
}
