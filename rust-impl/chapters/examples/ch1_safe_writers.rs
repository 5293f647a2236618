//! Chapter 1: the two-writer program made safe, three ways.
//!
//! Each version starts two threads that insert disjoint keys into one shared
//! map, like the Go program `go-reference/cmd/ch1-two-writers`, and returns the
//! map's final length. Run: `cargo run --release -p chapters --example ch1_safe_writers`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};
use std::thread;

use dashmap::DashMap;

/// Writes per thread, as in the Go program's default.
const WRITES_PER_THREAD: u64 = 1000;
const WRITERS: u64 = 2;

// ANCHOR: mutex
/// Every access takes the one lock: simplest, and correct by construction,
/// because the only way to reach the map is through the guard.
fn two_writers_mutex(writes: u64) -> usize {
    let counts = Arc::new(Mutex::new(HashMap::new()));
    let writers: Vec<_> = (0..WRITERS)
        .map(|writer| {
            let counts = Arc::clone(&counts);
            thread::spawn(move || {
                for i in 0..writes {
                    counts.lock().unwrap().insert(writer * writes + i, i);
                }
            })
        })
        .collect();
    for w in writers {
        w.join().unwrap();
    }
    counts.lock().unwrap().len()
}
// ANCHOR_END: mutex

// ANCHOR: rwlock
/// Writers take the lock exclusively; readers (here, the final `len`) share it.
/// Worth it only when reads dominate: a write still excludes everyone.
fn two_writers_rwlock(writes: u64) -> usize {
    let counts = RwLock::new(HashMap::new());
    // Scoped threads may borrow `counts`: the scope joins them before it ends.
    thread::scope(|s| {
        for writer in 0..WRITERS {
            let counts = &counts;
            s.spawn(move || {
                for i in 0..writes {
                    counts.write().unwrap().insert(writer * writes + i, i);
                }
            });
        }
    });
    counts.read().unwrap().len()
}
// ANCHOR_END: rwlock

// ANCHOR: dashmap
/// DashMap locks one shard (an `RwLock<HashMap>`) per operation, chosen by the
/// key's hash, and its methods take `&self`: no wrapper, no `mut`.
fn two_writers_dashmap(writes: u64) -> usize {
    let counts: DashMap<u64, u64> = DashMap::new();
    thread::scope(|s| {
        for writer in 0..WRITERS {
            let counts = &counts;
            s.spawn(move || {
                for i in 0..writes {
                    counts.insert(writer * writes + i, i);
                }
            });
        }
    });
    counts.len()
}
// ANCHOR_END: dashmap

/// Runs the three writers' tests once; it takes no options.
#[derive(clap::Parser)]
#[command(name = "ch1_safe_writers")]
struct Cli {}

fn main() {
    <Cli as clap::Parser>::parse();
    let expected = (WRITERS * WRITES_PER_THREAD) as usize;
    for (name, run) in [
        ("Mutex<HashMap>", two_writers_mutex as fn(u64) -> usize),
        ("RwLock<HashMap>", two_writers_rwlock),
        ("DashMap", two_writers_dashmap),
    ] {
        let len = run(WRITES_PER_THREAD);
        println!("{name}: {len} keys (expected {expected})");
        assert_eq!(len, expected, "{name} lost writes");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // A lost or duplicated write would show up as a wrong length: the keys are
    // disjoint, so the length must be exactly writers x writes.
    const WRITES: u64 = 20_000;
    const EXPECTED: usize = (WRITERS * WRITES) as usize;

    #[test]
    fn mutex_keeps_every_write() {
        assert_eq!(two_writers_mutex(WRITES), EXPECTED);
    }

    #[test]
    fn rwlock_keeps_every_write() {
        assert_eq!(two_writers_rwlock(WRITES), EXPECTED);
    }

    #[test]
    fn dashmap_keeps_every_write() {
        assert_eq!(two_writers_dashmap(WRITES), EXPECTED);
    }

    #[test]
    fn help_exits_0_and_an_unknown_flag_exits_2() {
        chapters::cli::assert_cli::<Cli>();
    }
}
