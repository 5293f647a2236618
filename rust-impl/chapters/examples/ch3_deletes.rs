//! Chapter 3.3: what a map gives back when its entries are removed.
//!
//! Each map gets `n` keys whose values are 1 KiB `Payload`s, loses them all,
//! and is then shrunk (where it can be), given a later guard (where removal
//! is deferred) and dropped. At every stage the program records the live heap
//! (a counting global allocator, relative to just before the map was made),
//! how many payloads have been dropped (a counter in `Payload::drop`) and the
//! map's capacity where the crate reports one.
//!
//! The last experiment is the repository's port of Go's pre-1.24 `sync.Map`
//! (`cmap_maps::GoSyncMapFoldhash`, `u64` values): it shows which parts of a
//! deleted entry that design keeps, and what it takes to get them back.
//!
//! Run: `cargo run --release -p chapters --example ch3_deletes -- --out book/src/generated/ch03`
//! (without `--out` it prints the table; `--n N` and `--repeats R` change the size).

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::thread;

use cmap_maps::{ConcurrentMap, GoSyncMapFoldhash, MapHandle};

use chapters::deferred::Deferred;

#[global_allocator]
static ALLOC: alloc_count::CountingAlloc = alloc_count::CountingAlloc;

// ANCHOR: payload
/// Bytes of heap each value owns.
const PAYLOAD_BYTES: usize = 1024;

static DROPS: AtomicUsize = AtomicUsize::new(0);

/// A large value that counts its own drops.
struct Payload {
    _data: Box<[u8]>,
}

impl Payload {
    fn new() -> Self {
        Self {
            _data: vec![1; PAYLOAD_BYTES].into_boxed_slice(),
        }
    }
}

impl Drop for Payload {
    fn drop(&mut self) {
        DROPS.fetch_add(1, Ordering::Relaxed);
    }
}
// ANCHOR_END: payload

/// One measurement point.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Row {
    map: &'static str,
    stage: &'static str,
    /// Live heap above the baseline, in bytes (negative: below it).
    live: isize,
    /// Payloads dropped since the map was made; `None` for maps of `u64`.
    dropped: Option<usize>,
    capacity: Option<usize>,
}

/// Records stages against the counters' values when it was created.
struct Recorder {
    map: &'static str,
    base_live: usize,
    base_drops: usize,
    counts_drops: bool,
    rows: Vec<Row>,
}

impl Recorder {
    fn new(map: &'static str, counts_drops: bool) -> Self {
        // Allocated before the baseline is read, so not counted in it.
        let rows = Vec::with_capacity(16);
        Self {
            map,
            base_live: alloc_count::live_bytes(),
            base_drops: DROPS.load(Ordering::Relaxed),
            counts_drops,
            rows,
        }
    }
    fn at(&mut self, stage: &'static str, capacity: Option<usize>) {
        let live = alloc_count::live_bytes() as isize - self.base_live as isize;
        let dropped = self
            .counts_drops
            .then(|| DROPS.load(Ordering::Relaxed) - self.base_drops);
        self.rows.push(Row {
            map: self.map,
            stage,
            live,
            dropped,
            capacity,
        });
    }
}

// Stage names shared by the experiments and the tests.
const INSERTED: &str = "after inserting n keys";
const REMOVED: &str = "after removing them all";
const SHRUNK: &str = "after shrink_to_fit()";
const LATER_PIN: &str = "after any other guard is gone, and a later pin()";
const DROPPED: &str = "after dropping the map";

// ANCHOR: std
fn std_hashmap(n: u64) -> Vec<Row> {
    let mut rec = Recorder::new("std `HashMap`", true);
    let mut map = HashMap::new();
    for k in 0..n {
        map.insert(k, Payload::new());
    }
    rec.at(INSERTED, Some(map.capacity()));
    for k in 0..n {
        map.remove(&k); // the Payload is dropped here
    }
    rec.at(REMOVED, Some(map.capacity()));
    map.shrink_to_fit();
    rec.at(SHRUNK, Some(map.capacity()));
    drop(map);
    rec.at(DROPPED, None);
    rec.rows
}

fn dashmap(n: u64) -> Vec<Row> {
    let mut rec = Recorder::new("dashmap", true);
    let map = dashmap::DashMap::new();
    for k in 0..n {
        map.insert(k, Payload::new());
    }
    rec.at(INSERTED, Some(map.capacity()));
    for k in 0..n {
        map.remove(&k);
    }
    rec.at(REMOVED, Some(map.capacity()));
    map.shrink_to_fit(); // every shard's table, one write lock at a time
    rec.at(SHRUNK, Some(map.capacity()));
    drop(map);
    rec.at(DROPPED, None);
    rec.rows
}
// ANCHOR_END: std

fn scc_hashmap(n: u64) -> Vec<Row> {
    let mut rec = Recorder::new("scc `HashMap`", true);
    let map = scc::HashMap::new();
    for k in 0..n {
        let _ = map.insert_sync(k, Payload::new());
    }
    rec.at(INSERTED, Some(map.capacity()));
    for k in 0..n {
        map.remove_sync(&k); // returns (key, value): dropped here
    }
    rec.at(REMOVED, Some(map.capacity()));
    drop(map);
    rec.at(DROPPED, None);
    rec.rows
}

// ANCHOR: deferred
/// Inserts n values and removes them all, one pin per call. With `held`,
/// another thread holds a guard, taken before the first remove, until the
/// removes are done.
fn deferred<M: Deferred<Payload>>(n: u64, held: bool) -> Vec<Row> {
    let name = if held { M::HELD_NAME } else { M::NAME };
    let mut rec = Recorder::new(name, true);
    let map = M::new_map();
    for k in 0..n {
        map.insert(k, Payload::new());
    }
    rec.at(INSERTED, None);
    thread::scope(|s| {
        let (held_tx, held_rx) = mpsc::channel();
        let (release_tx, release_rx) = mpsc::channel();
        if held {
            s.spawn(|| map.hold_guard_until(held_tx, release_rx));
            held_rx.recv().unwrap(); // the other thread's guard is active
        }
        for k in 0..n {
            map.remove(k);
        }
        rec.at(REMOVED, None);
        drop(release_tx); // the other thread drops its guard and exits
    });
    map.pin_once();
    rec.at(LATER_PIN, None);
    drop(map);
    rec.at(DROPPED, None);
    rec.rows
}
// ANCHOR_END: deferred

// Stages of the old sync.Map design.
const GO_PROMOTED: &str = "after storing n keys and n loads (all in read)";
const GO_DELETED: &str = "after deleting them all";
const GO_RECLAIMED: &str = "after epoch reclamation";
const GO_NEW_KEY: &str = "after storing 1 new key (dirty built, n expunged)";
const GO_PROMOTE_1: &str = "after 1 load promotes dirty (read: 1 key, room for n)";
const GO_PROMOTE_2: &str = "after a 2nd new key and promotion";
const GO_DROPPED: &str = "after dropping the map";

/// Runs crossbeam-epoch's collector until the live heap stops falling:
/// each `quiesce` re-pins and flushes, which frees a few expired bags.
fn reclaim(h: &mut impl MapHandle) {
    let mut last = alloc_count::live_bytes();
    let mut unchanged = 0;
    for _ in 0..100_000 {
        h.quiesce();
        let now = alloc_count::live_bytes();
        unchanged = if now == last { unchanged + 1 } else { 0 };
        last = now;
        if unchanged == 8 {
            return;
        }
    }
}

// ANCHOR: gosyncmap
fn go_sync_map_port(n: u64) -> Vec<Row> {
    let mut rec = Recorder::new("Go ≤ 1.23 `sync.Map` (port, `u64` values)", false);
    let map = GoSyncMapFoldhash::with_capacity(0);
    let mut h = map.handle();
    for k in 0..n {
        h.insert(k, k);
    }
    for _ in 0..n {
        h.get(0); // misses: after len(dirty) of them, dirty becomes read
    }
    reclaim(&mut h);
    rec.at(GO_PROMOTED, None);
    for k in 0..n {
        h.remove(k); // read entry's pointer -> nil; key and entry stay
    }
    rec.at(GO_DELETED, None);
    reclaim(&mut h);
    rec.at(GO_RECLAIMED, None);
    h.insert(n, n); // dirtyLocked: copies read, expunging the deleted entries
    reclaim(&mut h);
    rec.at(GO_NEW_KEY, None);
    h.get(n + 1); // one miss = len(dirty): promote
    reclaim(&mut h);
    rec.at(GO_PROMOTE_1, None);
    h.insert(n + 1, n); // a new dirty, sized by len(read) = 1
    h.get(n + 2);
    h.get(n + 2);
    reclaim(&mut h);
    rec.at(GO_PROMOTE_2, None);
    drop(h);
    drop(map);
    // The old read maps retired above are freed by the same global epoch
    // collector; any pin of it can finish the job.
    let other = GoSyncMapFoldhash::with_capacity(0);
    reclaim(&mut other.handle());
    drop(other);
    rec.at(GO_DROPPED, None);
    rec.rows
}
// ANCHOR_END: gosyncmap

/// Every experiment once, in the table's order.
fn run_once(n: u64) -> Vec<Row> {
    let mut rows = Vec::new();
    rows.extend(std_hashmap(n));
    rows.extend(dashmap(n));
    rows.extend(scc_hashmap(n));
    for held in [false, true] {
        rows.extend(deferred::<papaya::HashMap<u64, Payload>>(n, held));
        rows.extend(deferred::<flurry::HashMap<u64, Payload>>(n, held));
    }
    rows.extend(go_sync_map_port(n));
    rows
}

const REGENERATE: &str =
    "cargo run --release -p chapters --example ch3_deletes -- --out book/src/generated/ch03";

fn kib(b: isize) -> String {
    if b.abs() < 10 * 1024 {
        format!("{b} B")
    } else {
        format!("{:.0} KiB", b as f64 / 1024.0)
    }
}

/// "x" when every run agrees, "min – max" when they do not.
fn spread<T: Ord + Copy>(values: &[T], show: impl Fn(T) -> String) -> String {
    let (lo, hi) = (values.iter().min().unwrap(), values.iter().max().unwrap());
    if lo == hi {
        show(*lo)
    } else {
        format!("{} – {}", show(*lo), show(*hi))
    }
}

fn render_markdown(runs: &[Vec<Row>], n: u64) -> String {
    let mut out = format!(
        "<!-- Generated by rust-impl/chapters/examples/ch3_deletes.rs; do not edit. Regenerate with:\n     {REGENERATE} -->\n\n"
    );
    out.push_str("| map | stage | live heap above baseline | values dropped | capacity |\n|---|---|---:|---:|---:|\n");
    for (i, row) in runs[0].iter().enumerate() {
        let lives: Vec<isize> = runs.iter().map(|r| r[i].live).collect();
        let dropped = match row.dropped {
            Some(_) => {
                let d: Vec<usize> = runs.iter().map(|r| r[i].dropped.unwrap_or(0)).collect();
                format!("{} of {n}", spread(&d, |d| d.to_string()))
            }
            None => "–".to_string(),
        };
        let capacity = match row.capacity {
            Some(_) => {
                let c: Vec<usize> = runs.iter().map(|r| r[i].capacity.unwrap_or(0)).collect();
                spread(&c, |c| c.to_string())
            }
            None => "–".to_string(),
        };
        writeln!(
            out,
            "| {} | {} | {} | {dropped} | {capacity} |",
            row.map,
            row.stage,
            spread(&lives, kib)
        )
        .unwrap();
    }
    write!(
        out,
        "\nn = {n} keys (`u64`), values a `Payload` owning {PAYLOAD_BYTES} bytes (the port stores `u64`s, boxed); \
         live heap from a counting global allocator, relative to just before each map was made; \
         {} runs (a range where they differ). Release build, {} vCPUs.\n",
        runs.len(),
        thread::available_parallelism().map_or(0, |p| p.get())
    )
    .unwrap();
    out
}

/// The command line.
#[derive(clap::Parser, Debug)]
#[command(name = "ch3_deletes")]
struct Options {
    /// Keys per map (1..=1000000).
    #[arg(long, value_name = "N", default_value_t = 20_000, value_parser = key_count)]
    n: u64,
    /// Runs to take the median of (1..=20).
    #[arg(long, value_name = "R", default_value_t = 3, value_parser = repeats)]
    repeats: usize,
    /// Write DIR/deletes-rust.md (DIR must exist) instead of printing it.
    #[arg(long, value_name = "DIR", value_parser = chapters::cli::existing_dir)]
    out: Option<std::path::PathBuf>,
}

fn key_count(v: &str) -> Result<u64, String> {
    v.parse()
        .ok()
        .filter(|n| (1..=1_000_000).contains(n))
        .ok_or_else(|| "want an integer in 1..=1000000".into())
}

fn repeats(v: &str) -> Result<usize, String> {
    v.parse()
        .ok()
        .filter(|r| (1..=20).contains(r))
        .ok_or_else(|| "want an integer in 1..=20".into())
}

fn main() {
    let o = <Options as clap::Parser>::parse();
    let runs: Vec<Vec<Row>> = (0..o.repeats)
        .map(|i| {
            eprintln!("ch3_deletes: run {} of {}", i + 1, o.repeats);
            run_once(o.n)
        })
        .collect();
    let md = render_markdown(&runs, o.n);
    match o.out {
        None => print!("{md}"),
        Some(dir) => chapters::out::write_all("ch3_deletes", &dir, &[("deletes-rust.md", md)]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    /// The counters are process-wide and tests run on parallel threads:
    /// every test that reads them holds this lock.
    static COUNTERS: Mutex<()> = Mutex::new(());

    const N: u64 = 2_000;

    fn row<'a>(rows: &'a [Row], stage: &str) -> &'a Row {
        rows.iter()
            .find(|r| r.stage == stage)
            .unwrap_or_else(|| panic!("no stage {stage:?} in {rows:?}"))
    }

    // ANCHOR: test
    /// std and dashmap drop each value at `remove` but keep their tables:
    /// after removing every key the heap still holds at least 90% of the
    /// table at the peak (the peak minus the payloads' own buffers) and
    /// `capacity()` still admits n keys; only `shrink_to_fit` gives it back.
    #[test]
    fn locked_maps_keep_their_table_until_shrink_to_fit() {
        let _lock = COUNTERS.lock().unwrap_or_else(|e| e.into_inner());
        for rows in [std_hashmap(N), dashmap(N)] {
            let (inserted, removed, shrunk) = (
                row(&rows, INSERTED),
                row(&rows, REMOVED),
                row(&rows, SHRUNK),
            );
            let table = inserted.live - (N as usize * PAYLOAD_BYTES) as isize;
            assert_eq!(removed.dropped, Some(N as usize), "{rows:?}");
            assert!(removed.live >= table * 9 / 10, "table kept: {rows:?}");
            assert!(removed.capacity.unwrap() >= N as usize, "{rows:?}");
            assert_eq!(shrunk.capacity, Some(0), "{rows:?}");
            assert!(shrunk.live < table / 10, "table freed: {rows:?}");
        }
    }

    /// papaya and flurry retire a removed value instead of dropping it.
    /// While another thread holds a guard taken before the removes, not one
    /// of the n values may be dropped; once the map is dropped, all are.
    #[test]
    fn epoch_maps_drop_removed_values_only_when_no_guard_can_see_them() {
        let _lock = COUNTERS.lock().unwrap_or_else(|e| e.into_inner());
        for rows in [
            deferred::<papaya::HashMap<u64, Payload>>(N, true),
            deferred::<flurry::HashMap<u64, Payload>>(N, true),
            deferred::<papaya::HashMap<u64, Payload>>(N, false),
            deferred::<flurry::HashMap<u64, Payload>>(N, false),
        ] {
            if rows[0].map.ends_with("held elsewhere") {
                assert_eq!(row(&rows, REMOVED).dropped, Some(0), "{rows:?}");
                let values = (N as usize * PAYLOAD_BYTES) as isize;
                assert!(row(&rows, REMOVED).live >= values, "{rows:?}");
            }
            assert_eq!(row(&rows, DROPPED).dropped, Some(N as usize), "{rows:?}");
        }
    }

    /// scc hands the removed value back to the caller, so it is dropped at
    /// once, and the table shrinks by itself as it empties.
    #[test]
    fn scc_drops_at_once_and_shrinks_by_itself() {
        let _lock = COUNTERS.lock().unwrap_or_else(|e| e.into_inner());
        let rows = scc_hashmap(N);
        let (inserted, removed) = (row(&rows, INSERTED), row(&rows, REMOVED));
        assert_eq!(removed.dropped, Some(N as usize), "{rows:?}");
        assert!(
            removed.capacity.unwrap() < inserted.capacity.unwrap(),
            "{rows:?}"
        );
    }

    /// The old sync.Map design frees a deleted value but keeps its key and
    /// entry in the read map; the first promotion after that installs a
    /// table sized for n, and only a second one brings the memory down.
    #[test]
    fn old_sync_map_keeps_deleted_keys_until_two_promotions() {
        let _lock = COUNTERS.lock().unwrap_or_else(|e| e.into_inner());
        let n: u64 = 8_000;
        let rows = go_sync_map_port(n);
        let n = n as isize;
        let peak = row(&rows, GO_PROMOTED).live;
        let reclaimed = row(&rows, GO_RECLAIMED).live;
        // Each value is an 8-byte box; the Arc'd entry (24 bytes) and the
        // read map's slot (16 bytes) stay.
        assert!(peak - reclaimed >= 7 * n, "values freed: {rows:?}");
        assert!(reclaimed >= 40 * n, "keys and entries kept: {rows:?}");
        let promoted_once = row(&rows, GO_PROMOTE_1).live;
        assert!(promoted_once >= 16 * n, "a table for n kept: {rows:?}");
        assert!(
            row(&rows, GO_PROMOTE_2).live < promoted_once / 4,
            "{rows:?}"
        );
    }
    // ANCHOR_END: test

    #[test]
    fn bad_flags_are_rejected() {
        use clap::Parser as _;
        let parse = |a: &[&str]| Options::try_parse_from(["ch3_deletes"].iter().chain(a));
        for (bad, flag) in [
            (&["--n", "0"][..], "--n"),
            (&["--n", "x"], "--n"),
            (&["--repeats", "0"], "--repeats"),
            (&["--out", "/nonexistent/dir"], "--out"),
            (&["--bogus", "1"], "--bogus"),
            (&["--n"], "--n"),
        ] {
            let err = parse(bad).unwrap_err();
            assert_eq!(err.exit_code(), 2, "{bad:?}: {err}");
            assert!(err.to_string().contains(flag), "{bad:?}: {err}");
        }
        assert_eq!(parse(&["--n", "5"]).unwrap().n, 5);
        assert_eq!(parse(&[]).unwrap().repeats, 3);
    }

    #[test]
    fn help_exits_0_and_an_unknown_flag_exits_2() {
        chapters::cli::assert_cli::<Options>();
    }
}
