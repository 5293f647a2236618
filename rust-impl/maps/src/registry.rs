//! The list of maps under test, and dispatch from a name to a generic function.
//!
//! Adding a map = implementing [`ConcurrentMap`] and adding its type to the
//! `registry!` list below; `all()`, `visit_by_name` and the conformance tests
//! pick it up from there.

use std::fmt;
use std::sync::LazyLock;

use crate::{ConcurrentMap, MapInfo};

/// A generic computation to run for one map type chosen at run time.
pub trait MapVisitor {
    /// What the computation returns.
    type Output;
    /// Runs the computation for map type `M`.
    fn visit<M: ConcurrentMap>(self) -> Self::Output;
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
    ($($map:ty),+ $(,)?) => {
        /// Every registered map, in a fixed order (the order of the
        /// `registry!` list: simplest first).
        pub fn all() -> &'static [MapInfo] {
            static ALL: LazyLock<Vec<MapInfo>> =
                LazyLock::new(|| vec![$(<$map as ConcurrentMap>::describe()),+]);
            &ALL
        }

        /// Runs `visitor` with the map type registered as `name`.
        pub fn visit_by_name<V: MapVisitor>(
            name: &str,
            visitor: V,
        ) -> Result<V::Output, UnknownMap> {
            $(
                if name == <$map as ConcurrentMap>::describe().name {
                    return Ok(visitor.visit::<$map>());
                }
            )+
            Err(UnknownMap { name: name.to_owned() })
        }
    };
}

registry! {
    crate::UnsyncStdFoldhash,
    crate::MutexStdSip,
    crate::MutexStdFoldhash,
    crate::RwLockStdSip,
    crate::RwLockStdFoldhash,
    crate::MutexParkingLotFoldhash,
    crate::RwLockParkingLotFoldhash,
    crate::ShardedRwLockSip,
    crate::ShardedRwLockFoldhash,
    crate::GoSyncMapFoldhash,
    crate::DashMapSip,
    crate::DashMapFoldhash,
    crate::EvMapRefreshEach,
    crate::EvMapRefresh64,
    crate::FlurryAhash,
    crate::PapayaBlocking,
    crate::PapayaIncremental,
    crate::SccSip,
}
