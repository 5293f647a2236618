//! The keys a replay hands the map: the u64 key mixed from the op's key id, computed in
//! the op as before, or, for a trace with string keys, the id's string from one table
//! built before the prefill ([`prepare`]), so that no op builds a string.
//!
//! The table is process-wide (a runner makes one run) and lives until exit: map keys
//! are `&'static str` slices of it, as a Go map's string keys share one backing array.

use std::any::TypeId;
use std::sync::OnceLock;

use cmap_formats::trace::{KeyStrings, key_for_id};
use cmap_formats::workload::KeyType;
use cmap_maps::{MapKey, StrKey};

static STRING_KEYS: OnceLock<&'static [StrKey]> = OnceLock::new();

/// Builds the string keys of ids `0..bound` when `key_type` is string (once per
/// process; a second call with another bound keeps the first table, so it must cover
/// it). Returns the time it took, in ns.
pub fn prepare(key_type: KeyType, bound: u64) -> u64 {
    let started = std::time::Instant::now();
    if key_type == KeyType::String {
        let table = STRING_KEYS.get_or_init(|| {
            let strings: &'static KeyStrings = Box::leak(Box::new(KeyStrings::build(bound)));
            strings.iter().collect::<Vec<StrKey>>().leak()
        });
        assert!(
            table.len() as u64 >= bound,
            "string key table built for {} ids, {bound} needed",
            table.len()
        );
    }
    started.elapsed().as_nanos() as u64
}

/// The map key of key id `id`.
#[inline(always)]
pub fn key<K: MapKey>(id: u64) -> K {
    if TypeId::of::<K>() == TypeId::of::<u64>() {
        let k = key_for_id(id);
        // SAFETY: K is u64 (the type ids are equal).
        unsafe { std::mem::transmute_copy::<u64, K>(&k) }
    } else if TypeId::of::<K>() == TypeId::of::<StrKey>() {
        let s: StrKey = STRING_KEYS
            .get()
            .expect("keys::prepare builds the string keys before any op")[id as usize];
        // SAFETY: K is StrKey (the type ids are equal).
        unsafe { std::mem::transmute_copy::<StrKey, K>(&s) }
    } else {
        unreachable!("map keys are u64 or StrKey")
    }
}
