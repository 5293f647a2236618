//! Chapter 3.1: the cost that Go's old `sync.Map` design (Go 1.9 to 1.23,
//! and 1.24-1.25 with `GOEXPERIMENT=nosynchashtriemap`) paid for its
//! lock-free reads, measured on the port in `cmap-maps` (`GoSyncMap`).
//!
//! New keys go into the mutex-guarded dirty map. Loads of such a key miss
//! the read map and take the lock; after `len(dirty)` such misses the dirty
//! map becomes the read map and the dirty map is dropped. The next store of
//! a new key then rebuilds the dirty map by copying every entry of the read
//! map, under the lock: one store that costs O(n).
//!
//! This program repeats one cycle on maps of several sizes: store a new
//! key (timed, bytes allocated counted), store another (the same), then
//! load the first key `len(dirty)` times, which promotes the dirty map. The
//! Go program `go-reference/cmd/ch3-sync-map` runs the same cycle on Go
//! 1.26's `sync.Map`.
//!
//! Run: `cargo run --release -p chapters --example ch3_sync_map_design -- --out book/src/generated/ch03`
//! (without `--out` it prints the table; `--sizes 1000,10000 --repeats 5`
//! change the shape).

use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::Instant;

use cmap_maps::{ConcurrentMap, GoSyncMapFoldhash, MapHandle};

/// The system allocator, also counting the bytes each thread allocates (per
/// thread, so that tests running in parallel do not see each other).
#[global_allocator]
static ALLOC: alloc_count::CountingAlloc<true> = alloc_count::CountingAlloc;

/// The least a copy of `n` entries allocates: the new hash table holds a
/// `(u64, Arc<Entry>)`, 16 bytes, per entry (plus control bytes and slack).
/// A store that allocates this much has copied the map.
const fn copy_floor(n: usize) -> u64 {
    16 * n as u64
}

/// One store: how long it took and how many bytes it allocated.
#[derive(Debug, Clone, Copy)]
struct StoreCost {
    nanos: u64,
    bytes: u64,
}

fn timed_store(h: &mut impl MapHandle, key: u64) -> StoreCost {
    let before = alloc_count::thread_allocated_bytes();
    let start = Instant::now();
    let added = h.insert(key, key);
    let nanos = start.elapsed().as_nanos() as u64;
    let bytes = alloc_count::thread_allocated_bytes() - before;
    assert!(added, "key {key} was meant to be new");
    StoreCost { nanos, bytes }
}

// ANCHOR: cycle
/// A `GoSyncMap` of `n` keys whose dirty map has just been promoted.
struct Promoted {
    map: GoSyncMapFoldhash,
    /// Keys in the map; also the number of misses the next promotion needs.
    len: u64,
}

impl Promoted {
    fn new(n: u64) -> Self {
        let map = GoSyncMapFoldhash::with_capacity(0);
        {
            let mut h = map.handle();
            for key in 0..n {
                h.insert(key, key); // all but the first go straight to dirty
            }
            for _ in 0..n {
                h.get(0); // n misses = len(dirty): promote
            }
        }
        Self { map, len: n }
    }

    /// Store two new keys, then load the first until the dirty map is
    /// promoted again. Returns the cost of each store.
    fn cycle(&mut self) -> (StoreCost, StoreCost) {
        let mut h = self.map.handle();
        let (first, second) = (self.len, self.len + 1);
        // read is complete, dirty is nil: this store copies read into a
        // new dirty map (dirtyLocked), then adds the key.
        let copying = timed_store(&mut h, first);
        // dirty exists: this store only adds to it.
        let plain = timed_store(&mut h, second);
        self.len += 2;
        // `first` is only in dirty: every load misses and takes the lock;
        // the len(dirty)-th miss promotes dirty to read (missLocked).
        for _ in 0..self.len {
            h.get(first);
        }
        (copying, plain)
    }
}
// ANCHOR_END: cycle

/// The measurements for one map size.
struct SizeResult {
    n: u64,
    copying: Vec<StoreCost>,
    plain: Vec<StoreCost>,
}

fn measure(n: u64, repeats: usize) -> SizeResult {
    let mut m = Promoted::new(n);
    let (mut copying, mut plain) = (Vec::new(), Vec::new());
    for _ in 0..repeats {
        let (c, p) = m.cycle();
        copying.push(c);
        plain.push(p);
    }
    SizeResult { n, copying, plain }
}

/// The median of whole numbers (nanoseconds, bytes; far below 2^53, so exact in f64),
/// rounded down when it falls between two.
fn median(v: Vec<u64>) -> u64 {
    let v: Vec<f64> = v.into_iter().map(|x| x as f64).collect();
    cmap_formats::stats::median(&v).expect("at least one repeat") as u64
}

fn nanos_summary(costs: &[StoreCost]) -> (u64, String) {
    let v: Vec<u64> = costs.iter().map(|c| c.nanos).collect();
    let (min, max) = (*v.iter().min().unwrap(), *v.iter().max().unwrap());
    let med = median(v);
    (
        med,
        format!("{} ({}–{})", fmt_ns(med), fmt_ns(min), fmt_ns(max)),
    )
}

fn fmt_ns(ns: u64) -> String {
    match ns {
        0..10_000 => format!("{ns} ns"),
        10_000..10_000_000 => format!("{:.0} µs", ns as f64 / 1e3),
        _ => format!("{:.1} ms", ns as f64 / 1e6),
    }
}

fn fmt_bytes(b: u64) -> String {
    match b {
        0..10_240 => format!("{b} B"),
        10_240..10_485_760 => format!("{:.0} KiB", b as f64 / 1024.0),
        _ => format!("{:.1} MiB", b as f64 / 1_048_576.0),
    }
}

const REGENERATE: &str = "cargo run --release -p chapters --example ch3_sync_map_design -- --out book/src/generated/ch03";

fn render(results: &[SizeResult], repeats: usize) -> String {
    let mut out = format!(
        "<!-- Generated by rust-impl/chapters/examples/ch3_sync_map_design.rs; do not edit. Regenerate with:\n     {REGENERATE} -->\n\n"
    );
    writeln!(
        out,
        "Rust port of the old design (`cmap_maps::GoSyncMap`), {} build. Each row: {repeats} cycles; \
         time is the median (min–max) of one store, measured with `Instant` (its own cost included); \
         bytes are those the storing thread allocated.\n",
        if cfg!(debug_assertions) { "debug" } else { "release" }
    )
    .unwrap();
    out.push_str("| keys | first new key after a promotion | next new key | ratio of medians | bytes allocated (first / next, median) | stores that copied the map (first / next) |\n");
    out.push_str("|---:|---:|---:|---:|---:|---:|\n");
    for r in results {
        let (cm, cs) = nanos_summary(&r.copying);
        let (pm, ps) = nanos_summary(&r.plain);
        let copied = |v: &[StoreCost]| {
            v.iter()
                .filter(|c| c.bytes >= copy_floor(r.n as usize))
                .count()
        };
        writeln!(
            out,
            "| {} | {cs} | {ps} | {:.0}× | {} / {} | {} of {} / {} of {} |",
            r.n,
            cm as f64 / pm.max(1) as f64,
            fmt_bytes(median(r.copying.iter().map(|c| c.bytes).collect())),
            fmt_bytes(median(r.plain.iter().map(|c| c.bytes).collect())),
            copied(&r.copying),
            r.copying.len(),
            copied(&r.plain),
            r.plain.len(),
        )
        .unwrap();
    }
    out
}

/// The command line.
#[derive(clap::Parser, Debug)]
#[command(name = "ch3_sync_map_design")]
struct Options {
    /// Comma-separated key counts (each >= 1).
    #[arg(long, value_name = "N,N,...", default_value = "1000,10000,100000,1000000", value_parser = sizes)]
    sizes: Sizes,
    /// Promotion cycles per size (>= 1).
    #[arg(long, value_name = "N", default_value_t = 7, value_parser = chapters::cli::at_least_one)]
    repeats: usize,
    /// Write DIR/sync-map-rust.md (DIR must exist) instead of printing it.
    #[arg(long, value_name = "DIR", value_parser = chapters::cli::existing_dir)]
    out: Option<PathBuf>,
}

/// The key counts of `--sizes` (a newtype: clap would read a `Vec` as a
/// repeatable flag).
#[derive(Clone, Debug)]
struct Sizes(Vec<u64>);

fn sizes(v: &str) -> Result<Sizes, String> {
    v.split(',')
        .map(|s| s.trim().parse::<u64>().ok().filter(|&n| n >= 1))
        .collect::<Option<Vec<_>>>()
        .map(Sizes)
        .ok_or_else(|| "want comma-separated key counts >= 1, e.g. 1000,10000".into())
}

fn main() {
    let opt = <Options as clap::Parser>::parse();
    let mut results = Vec::new();
    for &n in &opt.sizes.0 {
        let start = Instant::now();
        results.push(measure(n, opt.repeats));
        eprintln!(
            "ch3_sync_map_design: {n} keys: {} cycles in {:.1?}",
            opt.repeats,
            start.elapsed()
        );
    }
    let md = render(&results, opt.repeats);
    match opt.out {
        None => print!("{md}"),
        Some(dir) => {
            chapters::out::write_all("ch3_sync_map_design", &dir, &[("sync-map-rust.md", md)])
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // ANCHOR: tests
    /// The first new key after a promotion copies the whole read map; the
    /// next new key does not. Counted in bytes allocated, not in time.
    #[test]
    fn first_store_after_promotion_copies_the_map() {
        for n in [1_000, 20_000] {
            let r = measure(n, 3);
            for (c, p) in r.copying.iter().zip(&r.plain) {
                assert!(
                    c.bytes >= copy_floor(n as usize),
                    "{n} keys: the first store allocated {} bytes, want a copy (>= {})",
                    c.bytes,
                    copy_floor(n as usize)
                );
                assert!(
                    p.bytes < 4096,
                    "{n} keys: the next store allocated {} bytes, want no copy",
                    p.bytes
                );
            }
        }
    }

    /// Promotion waits for exactly len(dirty) misses: one miss short, the
    /// dirty map is still there and a new key is cheap; one more miss
    /// promotes it, and the next new key copies again.
    #[test]
    fn promotion_needs_len_dirty_misses() {
        let n = 5_000;
        let m = Promoted::new(n);
        let mut h = m.map.handle();
        let copied = |c: StoreCost, len: u64| c.bytes >= copy_floor(len as usize);

        let first = timed_store(&mut h, n); // dirty: n + 1 keys
        assert!(copied(first, n));
        for _ in 0..n {
            h.get(n); // n misses < n + 1: no promotion
        }
        let second = timed_store(&mut h, n + 1); // dirty: n + 2 keys
        assert!(!copied(second, n), "dirty still existed: no copy expected");
        h.get(n); // miss n + 1 < n + 2
        let third = timed_store(&mut h, n + 2); // dirty: n + 3 keys
        assert!(
            !copied(third, n),
            "one miss short of promotion: no copy expected"
        );
        for _ in 0..2 {
            h.get(n); // misses n + 2, n + 3 = len(dirty): promoted
        }
        let fourth = timed_store(&mut h, n + 3);
        assert!(
            copied(fourth, n + 3),
            "after promotion the next new key copies"
        );
        assert_eq!(h.get(n + 3), Some(n + 3));
    }

    // ANCHOR_END: tests

    #[test]
    fn bad_arguments_name_the_flag() {
        use clap::Parser as _;
        let parse = |a: &[&str]| Options::try_parse_from(["ch3_sync_map_design"].iter().chain(a));
        for (a, flag) in [
            (&["--sizes", "10,x"][..], "--sizes"),
            (&["--sizes", "0"], "--sizes"),
            (&["--repeats", "0"], "--repeats"),
            (&["--out", "/nonexistent-dir"], "--out"),
            (&["--repeats"], "--repeats"),
            (&["--bogus"], "--bogus"),
        ] {
            let err = parse(a).expect_err("want an error");
            assert_eq!(err.exit_code(), 2, "{a:?}: {err}");
            assert!(err.to_string().contains(flag), "{a:?}: {err}");
        }
        assert_eq!(parse(&["--sizes", "5, 7"]).unwrap().sizes.0, [5, 7]);
        assert_eq!(
            parse(&[]).unwrap().sizes.0,
            [1_000, 10_000, 100_000, 1_000_000]
        );
    }

    #[test]
    fn help_exits_0_and_an_unknown_flag_exits_2() {
        chapters::cli::assert_cli::<Options>();
    }
}
