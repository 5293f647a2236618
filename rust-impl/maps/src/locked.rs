//! One lock around one std `HashMap`: the baseline every other design is
//! measured against (Go's `map` + `sync.Mutex` / `sync.RWMutex`).

use std::collections::HashMap;
use std::hash::BuildHasher;
use std::marker::PhantomData;
use std::ops::{Deref, DerefMut};
use std::sync::PoisonError;

use crate::{
    ConcurrentMap, FoldState, MapHandle, MapInfo, MapKey, MapValue, ReadVisibility, SipState,
    hasher,
};

/// A lock that hands out shared (`read`) and exclusive (`write`) access to a
/// `T`. A mutex gives exclusive access for both.
pub trait Lock<T>: Send + Sync + 'static {
    /// Wraps `value`.
    fn new(value: T) -> Self;
    /// Access for `get`.
    fn read(&self) -> impl Deref<Target = T> + '_;
    /// Access for the writes.
    fn write(&self) -> impl DerefMut<Target = T> + '_;
}

// Poisoning is ignored: every critical section is one call into `HashMap`,
// which leaves the map consistent even if it unwinds.
impl<T: Send + 'static> Lock<T> for std::sync::Mutex<T> {
    fn new(value: T) -> Self {
        std::sync::Mutex::new(value)
    }
    fn read(&self) -> impl Deref<Target = T> + '_ {
        self.lock().unwrap_or_else(PoisonError::into_inner)
    }
    fn write(&self) -> impl DerefMut<Target = T> + '_ {
        self.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl<T: Send + Sync + 'static> Lock<T> for std::sync::RwLock<T> {
    fn new(value: T) -> Self {
        std::sync::RwLock::new(value)
    }
    fn read(&self) -> impl Deref<Target = T> + '_ {
        std::sync::RwLock::read(self).unwrap_or_else(PoisonError::into_inner)
    }
    fn write(&self) -> impl DerefMut<Target = T> + '_ {
        std::sync::RwLock::write(self).unwrap_or_else(PoisonError::into_inner)
    }
}

impl<T: Send + 'static> Lock<T> for parking_lot::Mutex<T> {
    fn new(value: T) -> Self {
        parking_lot::Mutex::new(value)
    }
    fn read(&self) -> impl Deref<Target = T> + '_ {
        self.lock()
    }
    fn write(&self) -> impl DerefMut<Target = T> + '_ {
        self.lock()
    }
}

impl<T: Send + Sync + 'static> Lock<T> for parking_lot::RwLock<T> {
    fn new(value: T) -> Self {
        parking_lot::RwLock::new(value)
    }
    fn read(&self) -> impl Deref<Target = T> + '_ {
        parking_lot::RwLock::read(self)
    }
    fn write(&self) -> impl DerefMut<Target = T> + '_ {
        parking_lot::RwLock::write(self)
    }
}

/// Types a `LockedMap` names but does not own directly (they live inside `L`).
type Marker<S, K, V> = PhantomData<fn() -> (S, K, V)>;

/// `L` (a [`Lock`]) around a std `HashMap<K, V, S>`.
pub struct LockedMap<L, S, K = u64, V = u64> {
    lock: L,
    _hasher: Marker<S, K, V>,
}

/// The handle is just a reference: the lock is the only shared state.
pub struct LockedHandle<'a, L, S, K = u64, V = u64> {
    lock: &'a L,
    _hasher: Marker<S, K, V>,
}

impl<L, S, K, V> LockedMap<L, S, K, V>
where
    L: Lock<HashMap<K, V, S>>,
    S: BuildHasher + Default,
    K: MapKey,
    V: MapValue,
{
    fn with_capacity(capacity: usize) -> Self {
        Self {
            lock: L::new(HashMap::with_capacity_and_hasher(capacity, S::default())),
            _hasher: PhantomData,
        }
    }

    fn handle(&self) -> LockedHandle<'_, L, S, K, V> {
        LockedHandle {
            lock: &self.lock,
            _hasher: PhantomData,
        }
    }
}

impl<L, S, K, V> MapHandle<K, V> for LockedHandle<'_, L, S, K, V>
where
    L: Lock<HashMap<K, V, S>>,
    S: BuildHasher,
    K: MapKey,
    V: MapValue,
{
    fn get(&mut self, key: K) -> Option<u64> {
        self.lock.read().get(&key).map(V::as_u64)
    }
    fn insert(&mut self, key: K, value: V) -> bool {
        self.lock.write().insert(key, value).is_none()
    }
    fn update(&mut self, key: K, value: V) -> bool {
        match self.lock.write().get_mut(&key) {
            Some(slot) => {
                *slot = value;
                true
            }
            None => false,
        }
    }
    fn remove(&mut self, key: K) -> bool {
        self.lock.write().remove(&key).is_some()
    }
}

/// Declares a `LockedMap` alias and its `ConcurrentMap` impl.
macro_rules! locked_map {
    (
        $(#[$doc:meta])*
        $alias:ident = $lock:ident, $hasher:ty;
        name: $name:literal,
        crate: $crate_name:literal,
        version: $version:expr,
        hasher: $hasher_info:expr,
        description: $description:literal,
        notes: $notes:literal,
        go_counterpart: $go:expr $(,)?
    ) => {
        $(#[$doc])*
        pub type $alias<K = u64, V = u64> = LockedMap<$lock<HashMap<K, V, $hasher>>, $hasher, K, V>;

        impl<K: MapKey, V: MapValue> ConcurrentMap<K, V> for $alias<K, V> {
            type Handle<'a> = LockedHandle<'a, $lock<HashMap<K, V, $hasher>>, $hasher, K, V>;
            fn with_capacity(capacity: usize) -> Self {
                LockedMap::with_capacity(capacity)
            }
            fn handle(&self) -> Self::Handle<'_> {
                LockedMap::handle(self)
            }
            fn describe() -> MapInfo {
                MapInfo {
                    name: $name,
                    crate_name: $crate_name,
                    crate_version: $version,
                    hasher: $hasher_info,
                    description: $description,
                    notes: $notes,
                    max_threads: None,
                    reads: ReadVisibility::Immediate,
                    go_counterpart: $go,
                }
            }
        }
    };
}

type StdMutex<T> = std::sync::Mutex<T>;
type StdRwLock<T> = std::sync::RwLock<T>;
type PlMutex<T> = parking_lot::Mutex<T>;
type PlRwLock<T> = parking_lot::RwLock<T>;

const STD: &str = env!("CMAP_RUSTC_VERSION");
const PARKING_LOT: &str = env!("CMAP_VERSION_PARKING_LOT");

locked_map! {
    /// `std::sync::Mutex<HashMap>` with std's default hasher: what most code writes first.
    MutexStdSip = StdMutex, SipState;
    name: "mutex-std-sip",
    crate: "std",
    version: STD,
    hasher: hasher::SIP,
    description: "std::sync::Mutex<std HashMap>: one lock serialises every operation",
    notes: "Readers exclude each other too. Go's map + sync.Mutex (mutex-map) is paired with \
            mutex-std-foldhash, whose hasher is fast like Go's.",
    go_counterpart: None,
}

locked_map! {
    /// `std::sync::Mutex<HashMap>` with foldhash: the same lock, a fast hasher.
    MutexStdFoldhash = StdMutex, FoldState;
    name: "mutex-std-foldhash",
    crate: "std",
    version: STD,
    hasher: hasher::FOLDHASH,
    description: "std::sync::Mutex<std HashMap> with foldhash",
    notes: "Same design as mutex-std-sip; the difference between the two is the hasher's cost.",
    go_counterpart: Some("mutex-map"),
}

locked_map! {
    /// `std::sync::RwLock<HashMap>` with std's default hasher.
    RwLockStdSip = StdRwLock, SipState;
    name: "rwlock-std-sip",
    crate: "std",
    version: STD,
    hasher: hasher::SIP,
    description: "std::sync::RwLock<std HashMap>: gets share the lock, writes take it alone",
    notes: "Go's map + sync.RWMutex (rwmutex-map) is paired with rwlock-std-foldhash. Every get \
            still writes the lock's reader \
            count, so readers contend on one cache line.",
    go_counterpart: None,
}

locked_map! {
    /// `std::sync::RwLock<HashMap>` with foldhash.
    RwLockStdFoldhash = StdRwLock, FoldState;
    name: "rwlock-std-foldhash",
    crate: "std",
    version: STD,
    hasher: hasher::FOLDHASH,
    description: "std::sync::RwLock<std HashMap> with foldhash",
    notes: "Same design as rwlock-std-sip with a fast hasher.",
    go_counterpart: Some("rwmutex-map"),
}

locked_map! {
    /// `parking_lot::Mutex<HashMap>` with foldhash.
    MutexParkingLotFoldhash = PlMutex, FoldState;
    name: "mutex-parkinglot-foldhash",
    crate: "parking_lot",
    version: PARKING_LOT,
    hasher: hasher::FOLDHASH,
    description: "parking_lot::Mutex<std HashMap> with foldhash",
    notes: "Compare with mutex-std-foldhash: only the lock differs (parking_lot spins briefly, \
            then parks; it is eventually fair).",
    go_counterpart: None,
}

locked_map! {
    /// `parking_lot::RwLock<HashMap>` with foldhash.
    RwLockParkingLotFoldhash = PlRwLock, FoldState;
    name: "rwlock-parkinglot-foldhash",
    crate: "parking_lot",
    version: PARKING_LOT,
    hasher: hasher::FOLDHASH,
    description: "parking_lot::RwLock<std HashMap> with foldhash",
    notes: "Compare with rwlock-std-foldhash: only the lock differs (parking_lot's RwLock is \
            task-fair: a waiting writer blocks new readers).",
    go_counterpart: None,
}
