//! The list of maps under test, and dispatch from a name to a generic function.
//!
//! Adding a map = implementing [`ConcurrentMap`] and adding its type to the
//! `registry!` list below; `all()`, `visit_by_name` and the conformance tests
//! pick it up from there.

use std::fmt;
use std::sync::LazyLock;

use crate::{Boxed, ConcurrentMap, MapInfo, MapKey, MapValue, StrKey};

/// A generic computation to run for one map type chosen at run time.
pub trait MapVisitor {
    /// What the computation returns.
    type Output;
    /// Runs the computation for map type `M`.
    fn visit<M: ConcurrentMap>(self) -> Self::Output;
}

/// A generic computation over a map type and its key and value types, chosen at run
/// time by name, [`KeyKind`] and [`ValueKind`] ([`visit_kv_by_name`]).
pub trait KvVisitor {
    /// What the computation returns.
    type Output;
    /// Runs the computation for map type `M` with keys `K` and values `V`.
    fn visit<K: MapKey, V: MapValue, M: ConcurrentMap<K, V>>(self) -> Self::Output;
}

/// The key type a run uses: [`u64`] or [`StrKey`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum KeyKind {
    /// `u64` keys.
    U64,
    /// [`StrKey`] keys.
    Str,
}

/// The value type a run uses: [`u64`] or [`Boxed`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ValueKind {
    /// `u64` values.
    U64,
    /// [`Boxed`] values.
    Boxed,
}

/// Whether map `name` comes in the given key and value types (`false` for an unknown
/// name). Every map comes as `u64 -> u64`; a map registered `u64` only in that one
/// (none today: every registered map is generic).
pub fn supports_kinds(name: &str, key: KeyKind, value: ValueKind) -> bool {
    find(name).is_ok()
        && ((key, value) == (KeyKind::U64, ValueKind::U64) || !u64_only().contains(&name))
}

/// A map name that is not registered. Its message lists the valid names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownMap {
    /// The name that was asked for.
    pub name: String,
}

impl fmt::Display for UnknownMap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = all().iter().map(|info| info.name).collect();
        write!(
            f,
            "unknown map `{}`; expected one of: {}",
            self.name,
            names.join(", ")
        )
    }
}

impl std::error::Error for UnknownMap {}

/// The registered map's metadata for `name`.
pub fn find(name: &str) -> Result<&'static MapInfo, UnknownMap> {
    all()
        .iter()
        .find(|info| info.name == name)
        .ok_or_else(|| UnknownMap {
            name: name.to_owned(),
        })
}

macro_rules! registry {
    ($($($seg:ident)::+ : $kinds:ident),+ $(,)?) => {
        /// Every registered map, in a fixed order (the order of the
        /// `registry!` list: simplest first).
        pub fn all() -> &'static [MapInfo] {
            static ALL: LazyLock<Vec<MapInfo>> =
                LazyLock::new(|| vec![$(<crate::$($seg)::+ as ConcurrentMap>::describe()),+]);
            &ALL
        }

        /// Runs `visitor` with the map type registered as `name` (`u64 -> u64`).
        pub fn visit_by_name<V: MapVisitor>(
            name: &str,
            visitor: V,
        ) -> Result<V::Output, UnknownMap> {
            $(
                if name == <crate::$($seg)::+ as ConcurrentMap>::describe().name {
                    return Ok(visitor.visit::<crate::$($seg)::+>());
                }
            )+
            Err(UnknownMap { name: name.to_owned() })
        }

        /// Runs `visitor` with the map type registered as `name`, instantiated with the
        /// key and value types `key` and `value`. An unknown name, or a map that does not
        /// come in those types ([`supports_kinds`]), is an error.
        pub fn visit_kv_by_name<V: KvVisitor>(
            name: &str,
            key: KeyKind,
            value: ValueKind,
            visitor: V,
        ) -> Result<V::Output, UnknownMap> {
            $(
                if name == <crate::$($seg)::+ as ConcurrentMap>::describe().name {
                    return registry!(@visit $kinds, $($seg)::+, name, key, value, visitor);
                }
            )+
            Err(UnknownMap { name: name.to_owned() })
        }

        /// The maps that come only as `u64 -> u64`.
        fn u64_only() -> &'static [&'static str] {
            static ONLY: LazyLock<Vec<&'static str>> = LazyLock::new(|| {
                let mut names = Vec::new();
                $(
                    if !registry!(@generic $kinds) {
                        names.push(<crate::$($seg)::+ as ConcurrentMap>::describe().name);
                    }
                )+
                names
            });
            &ONLY
        }
    };
    (@generic kv) => { true };
    (@generic u64) => { false };
    (@visit kv, $($seg:ident)::+, $name:ident, $key:ident, $value:ident, $visitor:ident) => {
        Ok(match ($key, $value) {
            (KeyKind::U64, ValueKind::U64) => $visitor.visit::<u64, u64, crate::$($seg)::+<u64, u64>>(),
            (KeyKind::Str, ValueKind::U64) => {
                $visitor.visit::<StrKey, u64, crate::$($seg)::+<StrKey, u64>>()
            }
            (KeyKind::U64, ValueKind::Boxed) => {
                $visitor.visit::<u64, Boxed, crate::$($seg)::+<u64, Boxed>>()
            }
            (KeyKind::Str, ValueKind::Boxed) => {
                $visitor.visit::<StrKey, Boxed, crate::$($seg)::+<StrKey, Boxed>>()
            }
        })
    };
    (@visit u64, $($seg:ident)::+, $name:ident, $key:ident, $value:ident, $visitor:ident) => {
        if ($key, $value) == (KeyKind::U64, ValueKind::U64) {
            Ok($visitor.visit::<u64, u64, crate::$($seg)::+>())
        } else {
            Err(UnknownMap { name: $name.to_owned() })
        }
    };
}

// `kv`: the map comes with every key and value type; `u64`: only as u64 -> u64.
// An entry is a path from the crate root: `adapters::NAME::Type: u64` needs no `pub use`.
registry! {
    UnsyncStdFoldhash: kv,
    MutexStdSip: kv,
    MutexStdFoldhash: kv,
    RwLockStdSip: kv,
    RwLockStdFoldhash: kv,
    MutexParkingLotFoldhash: kv,
    RwLockParkingLotFoldhash: kv,
    ShardedRwLockSip: kv,
    ShardedRwLockFoldhash: kv,
    GoSyncMapFoldhash: kv,
    DashMapSip: kv,
    DashMapFoldhash: kv,
    EvMapRefreshEach: kv,
    EvMapRefresh64: kv,
    FlurryAhash: kv,
    PapayaBlocking: kv,
    PapayaIncremental: kv,
    SccSip: kv,
}
