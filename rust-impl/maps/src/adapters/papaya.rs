//! papaya: a lock-free open-addressing table with two resize modes, memory
//! reclaimed by seize.

use ::papaya::{Guard as _, HashMap, LocalGuard, ResizeMode};

use crate::reclaim::{self, Counted, Reclamation};
use crate::{ConcurrentMap, MapHandle, MapInfo, ReadVisibility, RepinClock, hasher};

/// Chunk of entries each writer copies per step of an incremental resize:
/// papaya's own default (`ResizeMode::Incremental(64)`).
const INCREMENTAL_CHUNK: usize = 64;

/// `papaya::HashMap<u64, Counted>` in `ResizeMode::Blocking`: a resize stops
/// writers until all threads that join in have copied the table.
pub struct PapayaBlocking(HashMap<u64, Counted>);
/// `papaya::HashMap<u64, Counted>` in `ResizeMode::Incremental(64)`: each writer
/// copies 64 entries per operation while a resize is in progress.
pub struct PapayaIncremental(HashMap<u64, Counted>);

/// A thread's handle: one seize guard, pinned for [`GUARD_REPIN_OPS`]
/// operations at a time.
///
/// [`GUARD_REPIN_OPS`]: crate::GUARD_REPIN_OPS
pub struct PapayaHandle<'a> {
    map: &'a HashMap<u64, Counted>,
    guard: LocalGuard<'a>,
    clock: RepinClock,
}

impl PapayaHandle<'_> {
    fn new(map: &HashMap<u64, Counted>) -> PapayaHandle<'_> {
        PapayaHandle {
            map,
            guard: map.guard(),
            clock: RepinClock::default(),
        }
    }

    #[inline]
    fn tick(&mut self) {
        if self.clock.tick() {
            self.guard.refresh();
        }
    }
}

impl MapHandle for PapayaHandle<'_> {
    fn get(&mut self, key: u64) -> Option<u64> {
        let value = self.map.get(&key, &self.guard).map(Counted::get);
        self.tick();
        value
    }
    fn insert(&mut self, key: u64, value: u64) -> bool {
        let old = self.map.insert(key, Counted::new(value), &self.guard);
        old.inspect(|v| reclaim::retire(v));
        let new = old.is_none();
        self.tick();
        new
    }
    fn update(&mut self, key: u64, value: u64) -> bool {
        // The closure sees the value it replaces; a retry after a lost race
        // sees a value someone else replaced (so retired) too.
        let existed = self
            .map
            .update(
                key,
                |old| {
                    reclaim::retire(old);
                    Counted::new(value)
                },
                &self.guard,
            )
            .is_some();
        self.tick();
        existed
    }
    fn remove(&mut self, key: u64) -> bool {
        let old = self.map.remove(&key, &self.guard);
        old.inspect(|v| reclaim::retire(v));
        let existed = old.is_some();
        self.tick();
        existed
    }
    fn quiesce(&mut self) {
        self.guard.refresh();
        self.guard.flush();
    }
}

fn build(capacity: usize, mode: ResizeMode) -> HashMap<u64, Counted> {
    HashMap::builder()
        .capacity(capacity)
        .resize_mode(mode)
        .build()
}

const PAPAYA_NOTES: &str = concat!(
    "Every insert/update allocates a new entry and retires the old one to seize ",
    env!("CMAP_VERSION_PAPAYA_SEIZE"),
    "; a retired batch is freed once every guard active at its retirement has been dropped or \
     refreshed. Handles hold one guard and refresh it every 64 ops; a handle left idle without \
     quiesce() holds back reclamation."
);

/// An entry retires its key and value together.
const PAPAYA_RECLAMATION: Reclamation = Reclamation::Counted {
    bytes_per_value: std::mem::size_of::<(u64, Counted)>() as u64,
};

fn papaya_info() -> MapInfo {
    MapInfo {
        name: "",
        crate_name: "papaya",
        crate_version: env!("CMAP_VERSION_PAPAYA"),
        hasher: hasher::SIP,
        description: "",
        notes: PAPAYA_NOTES,
        max_threads: None,
        reads: ReadVisibility::Immediate,
        go_counterpart: None,
    }
}

impl ConcurrentMap for PapayaBlocking {
    type Handle<'a> = PapayaHandle<'a>;
    fn with_capacity(capacity: usize) -> Self {
        Self(build(capacity, ResizeMode::Blocking))
    }
    fn handle(&self) -> Self::Handle<'_> {
        PapayaHandle::new(&self.0)
    }
    fn reclamation() -> Reclamation {
        PAPAYA_RECLAMATION
    }
    fn describe() -> MapInfo {
        MapInfo {
            name: "papaya-blocking-sip",
            description: "papaya, lock-free reads and writes; ResizeMode::Blocking: writers wait \
                          for (and help) a resize",
            ..papaya_info()
        }
    }
}

impl ConcurrentMap for PapayaIncremental {
    type Handle<'a> = PapayaHandle<'a>;
    fn with_capacity(capacity: usize) -> Self {
        Self(build(capacity, ResizeMode::Incremental(INCREMENTAL_CHUNK)))
    }
    fn handle(&self) -> Self::Handle<'_> {
        PapayaHandle::new(&self.0)
    }
    fn reclamation() -> Reclamation {
        PAPAYA_RECLAMATION
    }
    fn describe() -> MapInfo {
        MapInfo {
            name: "papaya-incremental-sip",
            description: "papaya, lock-free reads and writes; ResizeMode::Incremental(64): each \
                          write copies 64 entries of an ongoing resize (papaya's default)",
            ..papaya_info()
        }
    }
}
