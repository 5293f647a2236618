//! The concurrent maps under test, behind one narrow contract: `u64 -> u64` by
//! default, and string keys ([`StrKey`]) and boxed values ([`Boxed`]) too (see [`MapKey`], [`MapValue`], [`visit_kv_by_name`]).
//!
//! The harness (the Rust runner, the chapter programs, the tests) knows only
//! [`ConcurrentMap`], [`MapHandle`], [`MapInfo`] and the registry ([`all`],
//! [`visit_by_name`]); every adapter is a few lines that map those four
//! operations onto one crate's API. This mirrors bustle's
//! `Collection`/`CollectionHandle` pair.
//!
//! # Running a generic function for a map chosen by name
//!
//! ```
//! use cmap_maps::{ConcurrentMap, MapHandle, MapVisitor};
//!
//! /// Inserts `keys` keys from `threads` threads, each with its own handle.
//! struct FillFromThreads {
//!     threads: u64,
//!     keys: u64,
//! }
//!
//! impl MapVisitor for FillFromThreads {
//!     type Output = usize;
//!     fn visit<M: ConcurrentMap>(self) -> usize {
//!         let info = M::describe();
//!         assert!(info.supports_threads(self.threads as usize), "{} is single-threaded", info.name);
//!         let map = M::with_capacity(self.keys as usize);
//!         std::thread::scope(|s| {
//!             for t in 0..self.threads {
//!                 let map = &map;
//!                 s.spawn(move || {
//!                     let mut handle = map.handle(); // created on the thread that uses it
//!                     for k in (t..self.keys).step_by(self.threads as usize) {
//!                         assert!(handle.insert(k, k * 10));
//!                     }
//!                 });
//!             }
//!         });
//!         let mut handle = map.handle();
//!         handle.quiesce(); // publish pending writes (evmap-refresh-64-sip)
//!         (0..self.keys).filter(|&k| handle.get(k) == Some(k * 10)).count()
//!     }
//! }
//!
//! let found = cmap_maps::visit_by_name("dashmap-foldhash", FillFromThreads { threads: 2, keys: 100 });
//! assert_eq!(found.unwrap(), 100);
//!
//! let err = cmap_maps::visit_by_name("dashmap-fast", FillFromThreads { threads: 2, keys: 1 });
//! assert!(err.unwrap_err().to_string().contains("dashmap-foldhash"));
//! ```
//!
//! # Naming convention
//!
//! `<design>-<hasher>`: the last token is always the hasher (`sip` = std's
//! SipHash-1-3 `RandomState`, `foldhash` = `foldhash::fast::RandomState`,
//! `ahash` = flurry's default `ahash::RandomState`). The design is
//! `<sync>-<container>` for a lock around a std map (`mutex-std`,
//! `rwlock-parkinglot`, `unsync-std`), or the crate name plus its mode for a
//! concurrent-map crate (`dashmap`, `papaya-blocking`, `evmap-refresh-64`), or
//! our own designs (`sharded-rwlock`, `gosyncmap`).
//!
//! Which hashers: the crates keep their defaults (SipHash, ahash for flurry);
//! the designs we assemble use foldhash (Go's runtime hash is fast too), and
//! `mutex-std`, `rwlock-std`, `sharded-rwlock` and `dashmap` come in both
//! `sip` and `foldhash`, so SipHash's cost is never mistaken for a design's.

mod adapters;
mod go_sync_map;
mod locked;
pub mod reclaim;
mod registry;
mod sharded;
mod unsync;

pub use adapters::dashmap::{DashMapAdapter, DashMapFoldhash, DashMapSip};
pub use adapters::evmap::{EvMap, EvMapRefresh64, EvMapRefreshEach};
pub use adapters::flurry::FlurryAhash;
pub use adapters::papaya::{PapayaBlocking, PapayaIncremental};
pub use adapters::scc::SccSip;
pub use go_sync_map::{GoSyncMap, GoSyncMapFoldhash};
pub use locked::{
    Lock, LockedMap, MutexParkingLotFoldhash, MutexStdFoldhash, MutexStdSip,
    RwLockParkingLotFoldhash, RwLockStdFoldhash, RwLockStdSip,
};
pub use registry::{
    KeyKind, KvVisitor, MapVisitor, UnknownMap, ValueKind, all, find, supports_kinds,
    visit_by_name, visit_kv_by_name,
};
pub use sharded::{ShardedMap, ShardedRwLockFoldhash, ShardedRwLockSip};
pub use unsync::UnsyncStdFoldhash;

/// std's default hasher: SipHash-1-3 with per-map random keys.
pub type SipState = std::hash::RandomState;
/// foldhash's fast hasher with per-map random seeds.
pub type FoldState = foldhash::fast::RandomState;

/// A key the maps store: `u64`, or [`StrKey`]. Keys are `Copy`: a string key is a
/// reference into one table of key strings built before the timed phase (as a Go
/// `string` is a header pointing at shared bytes), so no operation copies or builds one.
pub trait MapKey:
    Copy + Eq + std::hash::Hash + Ord + std::fmt::Debug + Send + Sync + 'static
{
    /// The word a sharded design picks its shard from: the key itself for `u64`; for a
    /// string, FNV-1a-64 of its bytes (unseeded, as in Go's sharded map).
    fn shard_word(&self) -> u64;
}

impl MapKey for u64 {
    #[inline]
    fn shard_word(&self) -> u64 {
        *self
    }
}

/// A string key: a slice of the key table, which lives as long as the process.
pub type StrKey = &'static str;

impl MapKey for StrKey {
    #[inline]
    fn shard_word(&self) -> u64 {
        self.bytes().fold(0xCBF2_9CE4_8422_2325u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01B3)
        })
    }
}

/// A value the maps store, made from the trace's `u64` value by the caller before the
/// map call: the `u64` itself, or a [`Boxed`] 32-byte heap object (one allocation per
/// write, as a pointer value costs in Go).
pub trait MapValue: Clone + Eq + std::hash::Hash + std::fmt::Debug + Send + Sync + 'static {
    /// The value carrying `v`.
    fn from_u64(v: u64) -> Self;
    /// The `u64` it carries (a get reads it through the pointer).
    fn as_u64(&self) -> u64;
    /// Heap bytes one value owns besides its inline size (0 for `u64`).
    const HEAP_BYTES: u64;
}

impl MapValue for u64 {
    #[inline]
    fn from_u64(v: u64) -> Self {
        v
    }
    #[inline]
    fn as_u64(&self) -> u64 {
        *self
    }
    const HEAP_BYTES: u64 = 0;
}

/// A boxed value: 32 bytes on the heap, every word the trace's value.
pub type Boxed = Box<[u64; 4]>;

impl MapValue for Boxed {
    #[inline]
    fn from_u64(v: u64) -> Self {
        Box::new([v; 4])
    }
    #[inline]
    fn as_u64(&self) -> u64 {
        self[0]
    }
    const HEAP_BYTES: u64 = 32;
}

/// A concurrent map from `K` keys to `V` values (`u64 -> u64` unless named), as the
/// harness sees it.
///
/// Invariants every implementation upholds (checked by `tests/conformance.rs`
/// for every registered map):
/// - One `Self` is shared by reference between all worker threads; each thread
///   calls [`handle`](Self::handle) itself and performs every operation
///   through its own handle.
/// - Operations on one key are atomic: no write is lost, and the `bool`s and
///   `Option`s returned describe the map as it was at one instant. Only the
///   *visibility of writes to `get`* may lag, and only where
///   [`MapInfo::reads`] says so.
/// - At most [`MapInfo::max_threads`] handles are alive at once; an
///   implementation with a limit panics when asked for one more.
pub trait ConcurrentMap<K: MapKey = u64, V: MapValue = u64>: Send + Sync + 'static {
    /// A per-thread accessor. It may hold thread-local state (an epoch guard,
    /// an evmap read handle), so it need not be `Send`: create it on the
    /// thread that uses it, and drop it when that thread is done.
    type Handle<'a>: MapHandle<K, V>
    where
        Self: 'a;

    /// An empty map sized for `capacity` entries; `0` means not presized
    /// (the map grows from its own default).
    fn with_capacity(capacity: usize) -> Self;

    /// A new handle onto this map, for the calling thread.
    fn handle(&self) -> Self::Handle<'_>;

    /// Static metadata: the stable name, crate and resolved version, hasher.
    fn describe() -> MapInfo;

    /// Whether replaced and removed values are freed at once or later, and
    /// how the runner can observe it (see [`reclaim`]). A map that defers
    /// frees must override this.
    fn reclamation() -> reclaim::Reclamation {
        reclaim::Reclamation::Immediate(
            "replaced and removed values are freed inside the operation that unlinks them",
        )
    }
}

/// The four operations, made through one thread's handle.
///
/// `insert` is an upsert (Go's `m[k] = v`, Rust's `HashMap::insert`); `update`
/// never creates a key. Together the return values let a replay check the map
/// against a model.
pub trait MapHandle<K: MapKey = u64, V: MapValue = u64> {
    /// The value stored for `key`, if any ([`MapValue::as_u64`] of it, read
    /// while the map still guards it).
    fn get(&mut self, key: K) -> Option<u64>;
    /// Stores `value` for `key`, replacing any previous value; `true` if the
    /// key was absent.
    fn insert(&mut self, key: K, value: V) -> bool;
    /// Replaces the value of an existing `key`; `true` if it existed. An absent
    /// key stays absent (and `value` is dropped).
    fn update(&mut self, key: K, value: V) -> bool;
    /// Removes `key`; `true` if it existed.
    fn remove(&mut self, key: K) -> bool;
    /// Brings the map to a quiescent point as seen from this handle: every
    /// write made so far (through any handle) becomes visible to every
    /// handle's `get`, and any epoch guard this handle holds is re-pinned so
    /// that retired memory can be reclaimed. A no-op for most maps. Call it
    /// after a prefill and before a handle sits idle (e.g. at a barrier).
    fn quiesce(&mut self) {}
}

/// Static description of one registered map.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MapInfo {
    /// Stable id used on command lines and in results, kebab-case,
    /// `<design>-<hasher>` (see the crate docs).
    pub name: &'static str,
    /// The crate whose design is under test (`std`, `parking_lot`, `dashmap`,
    /// ..., or `cmap-maps` for our own designs).
    pub crate_name: &'static str,
    /// The resolved version of `crate_name` (from Cargo.lock at build time;
    /// rustc's version for `std`).
    pub crate_version: &'static str,
    /// The hasher and its resolved version.
    pub hasher: &'static str,
    /// One line: what the map is.
    pub description: &'static str,
    /// Caveats a reader of the results must know (reclamation, staleness...).
    pub notes: &'static str,
    /// `Some(n)`: at most `n` handles may be alive at once (the runner must
    /// refuse more threads). `None`: no limit.
    pub max_threads: Option<usize>,
    /// When a write becomes visible to `get`.
    pub reads: ReadVisibility,
    /// The name of the Go map (go-reference/maps) doing the same work with
    /// the same design, for cross-language comparison; `None` if Go has no
    /// such map. Each Go map has at most one Rust counterpart.
    pub go_counterpart: Option<&'static str>,
}

impl MapInfo {
    /// The defaults most maps share, for `..MapInfo::BASE` after the six
    /// strings: no thread limit, writes visible at once, no Go counterpart.
    /// The strings are empty, which the conformance tests refuse.
    pub const BASE: MapInfo = MapInfo {
        name: "",
        crate_name: "",
        crate_version: "",
        hasher: "",
        description: "",
        notes: "",
        max_threads: None,
        reads: ReadVisibility::Immediate,
        go_counterpart: None,
    };

    /// Whether `threads` concurrent handles are allowed.
    pub fn supports_threads(&self, threads: usize) -> bool {
        self.max_threads.is_none_or(|max| threads <= max)
    }
}

/// When a completed write becomes visible to `get` on other handles.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReadVisibility {
    /// A `get` that starts after a write returned sees that write (or a later
    /// one). Write return values are always exact.
    Immediate,
    /// Writes are published in batches: after every `writes_per_publish`-th
    /// write that changes the map (any `insert`, a successful `update` or
    /// `remove`), all writes so far become visible at once; until then `get`
    /// sees the last published state. [`MapHandle::quiesce`] publishes early.
    /// Write return values are still exact.
    AfterPublish {
        /// Writes per publish.
        writes_per_publish: usize,
    },
}

/// Re-pin epoch guards held by a handle after this many operations.
///
/// A pinned guard keeps everything retired since it was pinned from being
/// freed, so a handle must not hold one for a whole run (memory would grow
/// with every replaced value). Pinning costs a full fence plus a few atomic
/// operations, comparable to a whole uncontended map operation; re-pinning
/// every 64 ops makes that a small fraction of each op while bounding the
/// reclamation delay to 64 ops per thread.
pub const GUARD_REPIN_OPS: u32 = 64;

/// Counts operations and says when [`GUARD_REPIN_OPS`] have passed.
#[derive(Debug, Default)]
pub(crate) struct RepinClock(u32);

impl RepinClock {
    /// Call once per operation; `true` when the guard should be re-pinned now.
    #[inline]
    pub(crate) fn tick(&mut self) -> bool {
        self.0 += 1;
        if self.0 >= GUARD_REPIN_OPS {
            self.0 = 0;
            true
        } else {
            false
        }
    }
}

/// `MapInfo::hasher` strings, with the resolved versions.
pub(crate) mod hasher {
    pub(crate) const SIP: &str = concat!(
        "SipHash-1-3 (std RandomState, rustc ",
        env!("CMAP_RUSTC_VERSION"),
        ")"
    );
    pub(crate) const FOLDHASH: &str =
        concat!("foldhash ", env!("CMAP_VERSION_FOLDHASH"), " (fast)");
    pub(crate) const AHASH: &str = concat!("ahash ", env!("CMAP_VERSION_FLURRY_AHASH"));
}
