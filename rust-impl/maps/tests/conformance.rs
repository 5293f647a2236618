//! The conformance suite: every registered map, reached through the registry
//! by name, must behave like a `HashMap` (single-threaded, against a model)
//! and lose no write (multi-threaded). A map added to the registry is tested
//! here without touching this file.

use std::collections::HashMap;
use std::panic::{AssertUnwindSafe, catch_unwind};

use std::any::Any;
use std::sync::LazyLock;

use cmap_formats::trace::KeyStrings;
use cmap_maps::{
    ConcurrentMap, EvMapRefresh64, EvMapRefreshEach, KeyKind, KvVisitor, MapHandle, MapKey,
    MapValue, MapVisitor, ReadVisibility, StrKey, UnsyncStdFoldhash, ValueKind, all, find,
    supports_kinds, visit_by_name, visit_kv_by_name,
};

/// The trace's string keys for ids below this (the tests use ids up to 15,000).
const STRING_KEY_IDS: u64 = 16_384;

static KEY_STRINGS: LazyLock<&'static KeyStrings> =
    LazyLock::new(|| Box::leak(Box::new(KeyStrings::build(STRING_KEY_IDS))));

/// The key of id `id` as the runner makes it: the number itself for `u64`, the trace's
/// string for id `id` for [`StrKey`].
fn k<K: MapKey>(id: u64) -> K {
    if let Some(key) = (&id as &dyn Any).downcast_ref::<K>() {
        return *key;
    }
    let s: StrKey = KEY_STRINGS.get(id);
    *(&s as &dyn Any)
        .downcast_ref::<K>()
        .expect("keys are u64 or StrKey")
}

fn kinds<K: MapKey, V: MapValue>() -> String {
    format!(
        "{} keys, {} values",
        std::any::type_name::<K>(),
        std::any::type_name::<V>()
    )
}

/// Every key and value type combination.
const KINDS: [(KeyKind, ValueKind); 4] = [
    (KeyKind::U64, ValueKind::U64),
    (KeyKind::Str, ValueKind::U64),
    (KeyKind::U64, ValueKind::Boxed),
    (KeyKind::Str, ValueKind::Boxed),
];

/// Runs `visitor` for every registered map and every key and value type it comes in.
/// Every map comes as `u64 -> u64`, and either in all four combinations or in that one
/// only (the registry's `kv` / `u64`); the shipped registry has generic maps, so the string
/// and boxed paths are exercised. Expectations come from the registry, not a list here.
fn for_every_map_and_kind<V: KvVisitor<Output = ()> + Clone>(visitor: V) {
    let mut string_maps = 0;
    for info in all() {
        let supported = KINDS
            .iter()
            .filter(|&&(k, v)| supports_kinds(info.name, k, v))
            .count();
        assert!(
            supports_kinds(info.name, KeyKind::U64, ValueKind::U64)
                && (supported == 1 || supported == KINDS.len()),
            "{}: must come as u64 -> u64, and then in one or all {} key/value combinations (has {supported})",
            info.name,
            KINDS.len()
        );
        for (key, value) in KINDS {
            if supports_kinds(info.name, key, value) {
                visit_kv_by_name(info.name, key, value, visitor.clone())
                    .expect("a supported kind dispatches");
                string_maps += usize::from(key == KeyKind::Str && value == ValueKind::Boxed);
            } else {
                assert!(
                    visit_kv_by_name(info.name, key, value, visitor.clone()).is_err(),
                    "{}: unsupported kinds must be refused",
                    info.name
                );
            }
        }
    }
    assert!(
        string_maps > 0,
        "no registered map comes with string keys and boxed values"
    );
}

/// SplitMix64: a tiny deterministic generator, so every run replays the same ops.
struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

/// Runs `visitor` for every registered map, by name, as a harness would.
fn for_every_map<V: MapVisitor<Output = ()> + Clone>(visitor: V) {
    for info in all() {
        visit_by_name(info.name, visitor.clone()).expect("a registered name dispatches");
    }
}

/// ~10k seeded random operations on 512 keys, each return value checked
/// against a std `HashMap`; then a growth phase well past the presize.
#[derive(Clone)]
struct ModelCheck {
    capacity: usize,
    seed: u64,
}

const MODEL_OPS: usize = 10_000;
const MODEL_KEYS: u64 = 512;

impl KvVisitor for ModelCheck {
    type Output = ();
    fn visit<K: MapKey, V: MapValue, M: ConcurrentMap<K, V>>(self) {
        let info = M::describe();
        let name = &format!("{} ({})", info.name, kinds::<K, V>());
        let map = M::with_capacity(self.capacity);
        let mut handle = map.handle();
        let mut model: HashMap<u64, u64> = HashMap::new();
        // What `get` may see: the model as of the last publish.
        let mut published = model.clone();
        let mut unpublished_writes = 0;
        let mut rng = SplitMix64(self.seed);

        for op in 0..MODEL_OPS {
            let key = rng.next() % MODEL_KEYS;
            let value = rng.next();
            let wrote = match rng.next() % 10 {
                0..=2 => {
                    let visible = match info.reads {
                        ReadVisibility::Immediate => &model,
                        ReadVisibility::AfterPublish { .. } => &published,
                    };
                    let expected = visible.get(&key).copied();
                    assert_eq!(handle.get(k(key)), expected, "{name}: op {op}: get({key})");
                    false
                }
                3..=5 => {
                    let expected = model.insert(key, value).is_none();
                    assert_eq!(
                        handle.insert(k(key), V::from_u64(value)),
                        expected,
                        "{name}: op {op}: insert({key})"
                    );
                    true
                }
                6..=7 => {
                    let expected = model.contains_key(&key);
                    if expected {
                        model.insert(key, value);
                    }
                    assert_eq!(
                        handle.update(k(key), V::from_u64(value)),
                        expected,
                        "{name}: op {op}: update({key})"
                    );
                    expected
                }
                _ => {
                    let expected = model.remove(&key).is_some();
                    assert_eq!(
                        handle.remove(k(key)),
                        expected,
                        "{name}: op {op}: remove({key})"
                    );
                    expected
                }
            };
            if let (true, ReadVisibility::AfterPublish { writes_per_publish }) = (wrote, info.reads)
            {
                unpublished_writes += 1;
                if unpublished_writes == writes_per_publish {
                    published = model.clone();
                    unpublished_writes = 0;
                }
            }
        }
        handle.quiesce();
        for key in 0..MODEL_KEYS {
            let expected = model.get(&key).copied();
            assert_eq!(
                handle.get(k(key)),
                expected,
                "{name}: after quiesce: get({key})"
            );
        }

        // Growth: many more keys than any presize, then all removed again.
        let fresh = 10_000..15_000u64;
        for key in fresh.clone() {
            assert!(
                handle.insert(k(key), V::from_u64(!key)),
                "{name}: growth: insert({key}) of a new key"
            );
        }
        handle.quiesce();
        for key in fresh.clone() {
            assert_eq!(handle.get(k(key)), Some(!key), "{name}: growth: get({key})");
        }
        for key in fresh.clone() {
            assert!(handle.remove(k(key)), "{name}: growth: remove({key})");
        }
        handle.quiesce();
        assert!(
            fresh.clone().all(|key| handle.get(k(key)).is_none()),
            "{name}: growth: a removed key is still visible"
        );
    }
}

#[test]
fn single_thread_semantics_match_a_model_not_presized() {
    for_every_map_and_kind(ModelCheck {
        capacity: 0,
        seed: 1,
    });
}

#[test]
fn single_thread_semantics_match_a_model_presized() {
    for_every_map_and_kind(ModelCheck {
        capacity: 10_000,
        seed: 2,
    });
}

const THREADS: u64 = 4;

/// Each thread inserts, updates and removes its own key range; no write may
/// be lost and every return value must be exact.
#[derive(Clone)]
struct DisjointWriters {
    keys_per_thread: u64,
}

fn expected_after_disjoint(key: u64, range_start: u64) -> Option<u64> {
    (!(key - range_start).is_multiple_of(3)).then_some(key ^ 0xffff)
}

impl KvVisitor for DisjointWriters {
    type Output = ();
    fn visit<K: MapKey, V: MapValue, M: ConcurrentMap<K, V>>(self) {
        let info = M::describe();
        let name = &format!("{} ({})", info.name, kinds::<K, V>());
        let map = M::with_capacity(0);
        let per = self.keys_per_thread;
        let work = |t: u64| {
            let keys = t * per..(t + 1) * per;
            let mut handle = map.handle();
            for key in keys.clone() {
                assert!(
                    handle.insert(k(key), V::from_u64(key)),
                    "{name}: thread {t}: insert({key}) of a new key"
                );
            }
            for key in keys.clone() {
                assert!(
                    handle.update(k(key), V::from_u64(key ^ 0xffff)),
                    "{name}: thread {t}: update({key})"
                );
            }
            for key in keys.clone().step_by(3) {
                assert!(handle.remove(k(key)), "{name}: thread {t}: remove({key})");
            }
            handle.quiesce();
            for key in keys.clone() {
                let expected = expected_after_disjoint(key, keys.start);
                assert_eq!(
                    handle.get(k(key)),
                    expected,
                    "{name}: thread {t}: get({key})"
                );
            }
        };
        if info.supports_threads(THREADS as usize) {
            std::thread::scope(|s| {
                for t in 0..THREADS {
                    s.spawn(move || work(t));
                }
            });
        } else {
            // A single-thread map still must work from one thread after another.
            for t in 0..THREADS {
                std::thread::scope(|s| {
                    s.spawn(|| work(t));
                });
            }
        }
        let mut handle = map.handle();
        handle.quiesce();
        for t in 0..THREADS {
            let start = t * per;
            for key in start..start + per {
                let expected = expected_after_disjoint(key, start);
                assert_eq!(
                    handle.get(k(key)),
                    expected,
                    "{name}: after join: get({key})"
                );
            }
        }
    }
}

#[test]
fn concurrent_writers_on_disjoint_keys_lose_nothing() {
    for_every_map_and_kind(DisjointWriters {
        keys_per_thread: 1_500,
    });
}

/// Threads race on the same few keys. For each key, successful inserts of a
/// new key minus successful removes must equal its final presence: a lost
/// or double-counted write breaks the count.
#[derive(Clone)]
struct OverlappingWriters {
    ops_per_thread: usize,
}

const SHARED_KEYS: u64 = 64;

impl KvVisitor for OverlappingWriters {
    type Output = ();
    fn visit<K: MapKey, V: MapValue, M: ConcurrentMap<K, V>>(self) {
        let info = M::describe();
        let name = &format!("{} ({})", info.name, kinds::<K, V>());
        if !info.supports_threads(THREADS as usize) {
            return; // nothing to overlap
        }
        let map = M::with_capacity(0);
        let balances: Vec<Vec<i64>> = std::thread::scope(|s| {
            let workers: Vec<_> = (0..THREADS)
                .map(|t| {
                    let map = &map;
                    s.spawn(move || {
                        let mut handle = map.handle();
                        let mut rng = SplitMix64(100 + t);
                        let mut balance = vec![0i64; SHARED_KEYS as usize];
                        for _ in 0..self.ops_per_thread {
                            let key = rng.next() % SHARED_KEYS;
                            let value = (t << 32) | key;
                            match rng.next() % 4 {
                                0 => {
                                    if let Some(found) = handle.get(k(key)) {
                                        assert_eq!(found & 0xffff_ffff, key, "{name}: torn value");
                                    }
                                }
                                1 => {
                                    balance[key as usize] +=
                                        i64::from(handle.insert(k(key), V::from_u64(value)))
                                }
                                2 => {
                                    handle.update(k(key), V::from_u64(value));
                                }
                                _ => balance[key as usize] -= i64::from(handle.remove(k(key))),
                            }
                        }
                        handle.quiesce();
                        balance
                    })
                })
                .collect();
            workers.into_iter().map(|w| w.join().unwrap()).collect()
        });
        let mut handle = map.handle();
        handle.quiesce();
        for key in 0..SHARED_KEYS {
            let net: i64 = balances.iter().map(|b| b[key as usize]).sum();
            let found = handle.get(k(key));
            assert_eq!(
                net,
                i64::from(found.is_some()),
                "{name}: key {key}: inserts-of-new minus removes = {net}, but get = {found:?}"
            );
            if let Some(value) = found {
                assert_eq!(
                    value & 0xffff_ffff,
                    key,
                    "{name}: key {key}: foreign value {value:#x}"
                );
                assert!(
                    value >> 32 < THREADS,
                    "{name}: key {key}: value from nowhere {value:#x}"
                );
            }
        }
    }
}

#[test]
fn concurrent_writers_on_shared_keys_keep_exact_counts() {
    for_every_map_and_kind(OverlappingWriters {
        ops_per_thread: 4_000,
    });
}

/// A write through one handle becomes visible to another exactly when
/// `MapInfo::reads` says.
#[derive(Clone)]
struct Visibility;

impl MapVisitor for Visibility {
    type Output = ();
    fn visit<M: ConcurrentMap>(self) {
        let info = M::describe();
        let name = info.name;
        if !info.supports_threads(2) {
            return; // one handle at a time: there is no other handle to see it
        }
        let map = M::with_capacity(0);
        let mut writer = map.handle();
        let mut reader = map.handle();
        match info.reads {
            ReadVisibility::Immediate => {
                for key in 0..100 {
                    writer.insert(key, key + 1);
                    assert_eq!(reader.get(key), Some(key + 1), "{name}: insert not visible");
                    writer.update(key, key + 2);
                    assert_eq!(reader.get(key), Some(key + 2), "{name}: update not visible");
                    writer.remove(key);
                    assert_eq!(reader.get(key), None, "{name}: remove not visible");
                }
            }
            ReadVisibility::AfterPublish { writes_per_publish } => {
                let n = writes_per_publish as u64;
                for key in 0..n - 1 {
                    writer.insert(key, key);
                }
                // Writes that change nothing do not count towards a publish.
                assert!(!writer.update(n + 10, 0) && !writer.remove(n + 10));
                assert!(
                    (0..n - 1).all(|key| reader.get(key).is_none()),
                    "{name}: visible before the publish"
                );
                writer.insert(n - 1, n - 1); // the n-th write publishes
                for key in 0..n {
                    assert_eq!(
                        reader.get(key),
                        Some(key),
                        "{name}: not visible after publish"
                    );
                }
                writer.update(0, 1000);
                writer.remove(1);
                assert_eq!(reader.get(0), Some(0), "{name}: update visible early");
                assert_eq!(reader.get(1), Some(1), "{name}: remove visible early");
                reader.quiesce(); // any handle's quiesce publishes every pending write
                assert_eq!(reader.get(0), Some(1000), "{name}: quiesce did not publish");
                assert_eq!(reader.get(1), None, "{name}: quiesce did not publish");
            }
        }
    }
}

#[test]
fn writes_become_visible_when_map_info_says() {
    for_every_map(Visibility);
}

#[test]
fn evmap_refresh_policies_are_as_documented() {
    assert_eq!(
        <EvMapRefreshEach>::describe().reads,
        ReadVisibility::Immediate
    );
    assert_eq!(
        <EvMapRefresh64>::describe().reads,
        ReadVisibility::AfterPublish {
            writes_per_publish: 64
        }
    );
    let map = <EvMapRefresh64>::with_capacity(0);
    let mut writer = map.handle();
    let mut reader = map.handle();
    for key in 0..63 {
        assert!(writer.insert(key, key));
    }
    assert_eq!(reader.get(0), None, "63 writes are not yet published");
    assert_eq!(
        writer.get(0),
        None,
        "the writer's own gets read the published copy too"
    );
    assert!(
        !writer.insert(0, 7),
        "write return values see unpublished writes"
    );
    assert_eq!(reader.get(62), Some(62), "the 64th write published all 64");
    assert_eq!(reader.get(0), Some(7));
}

#[derive(Clone)]
struct NameOf;

impl MapVisitor for NameOf {
    type Output = &'static str;
    fn visit<M: ConcurrentMap>(self) -> &'static str {
        M::describe().name
    }
}

#[test]
fn dispatch_by_name_reaches_the_named_map() {
    for info in all() {
        assert_eq!(visit_by_name(info.name, NameOf), Ok(info.name));
        assert_eq!(find(info.name).map(|found| found.name), Ok(info.name));
    }
}

#[test]
fn unknown_name_error_lists_every_valid_name() {
    let err = visit_by_name("hashmap-go", NameOf).unwrap_err();
    let message = err.to_string();
    assert!(message.contains("`hashmap-go`"), "{message}");
    for info in all() {
        assert!(message.contains(info.name), "{message} lacks {}", info.name);
    }
    assert_eq!(find("hashmap-go").unwrap_err(), err);
}

#[test]
fn metadata_is_complete_unique_and_follows_the_naming_convention() {
    let infos = all();
    assert!(!infos.is_empty(), "no maps registered");
    let mut names: Vec<&str> = infos.iter().map(|info| info.name).collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), infos.len(), "duplicate names in {names:?}");
    let mut go_names: Vec<&str> = infos
        .iter()
        .filter_map(|info| info.go_counterpart)
        .collect();
    let paired = go_names.len();
    go_names.sort_unstable();
    go_names.dedup();
    assert_eq!(
        go_names.len(),
        paired,
        "a Go map paired twice: {go_names:?}"
    );
    for info in infos {
        let name = info.name;
        assert!(
            !name.is_empty()
                && name.split('-').all(|part| {
                    !part.is_empty()
                        && part
                            .bytes()
                            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
                }),
            "{name}: not kebab-case"
        );
        let hasher_prefix = match name.rsplit('-').next() {
            Some("sip") => "SipHash",
            Some("foldhash") => "foldhash ",
            Some("ahash") => "ahash ",
            other => panic!("{name}: last token {other:?} is not a hasher"),
        };
        assert!(
            info.hasher.starts_with(hasher_prefix),
            "{name}: hasher {}",
            info.hasher
        );
        let version_parts: Vec<&str> = info.crate_version.split('.').collect();
        assert!(
            version_parts.len() >= 3 && version_parts[..2].iter().all(|p| p.parse::<u64>().is_ok()),
            "{name}: crate_version {:?}",
            info.crate_version
        );
        assert!(
            info.hasher.chars().any(|c| c.is_ascii_digit()),
            "{name}: hasher without a version"
        );
        if let Some(go) = info.go_counterpart {
            assert!(
                !go.is_empty() && go.bytes().all(|b| b.is_ascii_lowercase() || b == b'-'),
                "{name}: go_counterpart {go:?}"
            );
        }
        for (field, text) in [
            ("crate_name", info.crate_name),
            ("description", info.description),
            ("notes", info.notes),
        ] {
            assert!(!text.is_empty(), "{name}: empty {field}");
        }
    }
}

#[test]
fn unsync_map_refuses_a_second_live_handle() {
    let map = <UnsyncStdFoldhash>::with_capacity(0);
    assert_eq!(<UnsyncStdFoldhash>::describe().max_threads, Some(1));
    let mut first = map.handle();
    first.insert(1, 1);
    let second = catch_unwind(AssertUnwindSafe(|| {
        map.handle();
    }));
    assert!(second.is_err(), "a second live handle must panic");
    drop(first);
    let mut next = map.handle();
    assert_eq!(
        next.get(1),
        Some(1),
        "a handle created after the first is dropped works"
    );
}
