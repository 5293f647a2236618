//! Adapters for the concurrent-map crates: each maps the four operations onto
//! one crate's API and states the crate's caveats in its `MapInfo::notes`.

pub(crate) mod dashmap;
pub(crate) mod evmap;
pub(crate) mod flurry;
pub(crate) mod papaya;
pub(crate) mod scc;
