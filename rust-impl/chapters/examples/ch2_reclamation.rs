//! Chapter 2.3: Rust has no garbage collector; the epoch-style maps defer
//! freeing instead, and a guard held for a long time holds the memory.
//!
//! flurry and papaya never free a replaced value at once: another thread may
//! still be reading it. They *retire* it to their collector (the `seize`
//! crate), which frees it once every thread that was inside a critical
//! section (holding a guard) when it was retired has left. This program
//! replaces every value of a map, round after round, and records the live
//! heap (a counting global allocator) after each round: first with no
//! long-lived guard, then while another thread holds one, then after that
//! thread drops it.
//!
//! Run: `cargo run --release -p chapters --example ch2_reclamation -- --out book/src/generated/ch02`
//! (without `--out` it prints the table).

use std::fmt::Write as _;
use std::sync::mpsc;
use std::thread;

use chapters::deferred::Deferred;

#[global_allocator]
static ALLOC: alloc_count::CountingAlloc = alloc_count::CountingAlloc;

/// The shape of one experiment: `keys` values of `value_bytes` each,
/// replaced `rounds` times in each phase.
#[derive(Clone, Copy)]
struct Params {
    keys: u64,
    value_bytes: usize,
    rounds: usize,
}

/// One sample of the curve: the live heap after a round of replacements,
/// minus what was live before the map was created.
#[derive(Debug, Clone, Copy)]
struct Sample {
    phase: Phase,
    round: usize,
    live_bytes: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// No guard outlives one operation.
    Steady,
    /// Another thread holds a guard the whole phase.
    GuardHeld,
    /// That guard has been dropped.
    Released,
}

impl Phase {
    fn name(self) -> &'static str {
        match self {
            Phase::Steady => "steady",
            Phase::GuardHeld => "guard held",
            Phase::Released => "released",
        }
    }
}

// ANCHOR: experiment
fn measure(map: &impl Deferred<Vec<u8>>, p: Params, base: usize) -> Vec<Sample> {
    let mut samples = Vec::new();
    let replace_all = |phase, round, samples: &mut Vec<Sample>| {
        for k in 0..p.keys {
            map.insert(k, vec![round as u8; p.value_bytes]);
        }
        let live = alloc_count::live_bytes().saturating_sub(base);
        samples.push(Sample {
            phase,
            round,
            live_bytes: live,
        });
    };
    for round in 0..p.rounds {
        replace_all(Phase::Steady, round, &mut samples);
    }
    thread::scope(|s| {
        let (held_tx, held_rx) = mpsc::channel();
        let (release_tx, release_rx) = mpsc::channel();
        s.spawn(move || map.hold_guard_until(held_tx, release_rx));
        held_rx.recv().unwrap(); // the reader's guard is now active
        for round in 0..p.rounds {
            replace_all(Phase::GuardHeld, round, &mut samples);
        }
        release_tx.send(()).unwrap();
    }); // the reader thread has dropped its guard and exited
    for round in 0..p.rounds {
        replace_all(Phase::Released, round, &mut samples);
    }
    samples
}
// ANCHOR_END: experiment

/// Runs the experiment on both maps; returns (map name, samples).
fn run_all(p: Params) -> Vec<(&'static str, Vec<Sample>)> {
    vec![
        run_one::<papaya::HashMap<u64, Vec<u8>>>(p),
        run_one::<flurry::HashMap<u64, Vec<u8>>>(p),
    ]
}

/// The experiment on a new map of type `M`, against the live heap just before it was made.
fn run_one<M: Deferred<Vec<u8>>>(p: Params) -> (&'static str, Vec<Sample>) {
    let base = alloc_count::live_bytes();
    let map = M::new_map();
    (M::NAME, measure(&map, p, base))
}

/// The three numbers the book and the test compare, per map.
#[derive(Debug)]
struct Summary {
    steady_max: usize,
    held_max: usize,
    released_last: usize,
}

fn summarise(samples: &[Sample]) -> Summary {
    let max_of = |ph| {
        samples
            .iter()
            .filter(|s| s.phase == ph)
            .map(|s| s.live_bytes)
            .max()
            .unwrap_or(0)
    };
    Summary {
        steady_max: max_of(Phase::Steady),
        held_max: max_of(Phase::GuardHeld),
        released_last: samples
            .iter()
            .rev()
            .find(|s| s.phase == Phase::Released)
            .map_or(0, |s| s.live_bytes),
    }
}

const REGENERATE: &str =
    "cargo run --release -p chapters --example ch2_reclamation -- --out book/src/generated/ch02";

fn render_csv(results: &[(&str, Vec<Sample>)]) -> String {
    let mut out = String::from("map,phase,round,live_bytes\n");
    for (name, samples) in results {
        for s in samples {
            writeln!(
                out,
                "{name},{},{},{}",
                s.phase.name(),
                s.round,
                s.live_bytes
            )
            .unwrap();
        }
    }
    out
}

fn render_markdown(results: &[(&str, Vec<Sample>)], p: Params) -> String {
    let kib = |b: usize| format!("{:.0} KiB", b as f64 / 1024.0);
    let mut out = format!(
        "<!-- Generated by rust-impl/chapters/examples/ch2_reclamation.rs; do not edit. Regenerate with:\n     {REGENERATE} -->\n\n"
    );
    out.push_str("Live heap after each round of replacing every value (bytes allocated minus bytes freed, from a counting global allocator, relative to before the map was created):\n\n");
    out.push_str("| map | phase |");
    for r in 0..p.rounds {
        write!(out, " round {} |", r + 1).unwrap();
    }
    out.push_str("\n|---|---|");
    out.push_str(&"---:|".repeat(p.rounds));
    out.push('\n');
    for (name, samples) in results {
        for phase in [Phase::Steady, Phase::GuardHeld, Phase::Released] {
            write!(out, "| {name} | {} |", phase.name()).unwrap();
            for s in samples.iter().filter(|s| s.phase == phase) {
                write!(out, " {} |", kib(s.live_bytes)).unwrap();
            }
            out.push('\n');
        }
    }
    out.push_str("\n| map | steady (max) | guard held (max) | held ÷ steady | after release (last) |\n|---|---:|---:|---:|---:|\n");
    for (name, samples) in results {
        let s = summarise(samples);
        writeln!(
            out,
            "| {name} | {} | {} | {:.1}× | {} |",
            kib(s.steady_max),
            kib(s.held_max),
            s.held_max as f64 / s.steady_max.max(1) as f64,
            kib(s.released_last)
        )
        .unwrap();
    }
    write!(
        out,
        "\n{} keys, values of {} bytes (a `Vec<u8>`), {} rounds per phase; the raw curve is in `reclamation.csv`.\n",
        p.keys, p.value_bytes, p.rounds
    )
    .unwrap();
    out
}

fn main() {
    let out_dir = chapters::out::dir_from_args("ch2_reclamation");
    let p = Params {
        keys: 2_000,
        value_bytes: 1024,
        rounds: 6,
    };
    let results = run_all(p);
    let md = render_markdown(&results, p);
    match out_dir {
        None => print!("{md}"),
        Some(dir) => {
            let csv = format!(
                "# Generated by rust-impl/chapters/examples/ch2_reclamation.rs; do not edit. Regenerate with: {REGENERATE}\n{}",
                render_csv(&results)
            );
            chapters::out::write_all(
                "ch2_reclamation",
                &dir,
                &[("reclamation.md", md), ("reclamation.csv", csv)],
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // ANCHOR: test
    /// One test only: the live-byte counter is process-wide, and tests in
    /// one binary run on parallel threads.
    ///
    /// No timing is involved: each phase does the same replacements, and
    /// reclamation is driven by guards entering and leaving, not by a clock.
    /// While a guard is held nothing retired can be freed, so after 6 rounds
    /// at least 6 × keys × value_bytes are live (≈ 7× the steady state);
    /// the test asks for 3×. After release the backlog is freed, so the
    /// last sample is back below 2× the steady maximum.
    #[test]
    fn a_held_guard_holds_the_memory_and_release_frees_it() {
        let p = Params {
            keys: 500,
            value_bytes: 1024,
            rounds: 6,
        };
        for (name, samples) in run_all(p) {
            let s = summarise(&samples);
            assert!(
                s.held_max >= 3 * s.steady_max,
                "{name}: want the held guard to keep >= 3x the steady heap, got {s:?}"
            );
            assert!(
                s.released_last <= 2 * s.steady_max,
                "{name}: want the heap back under 2x steady after release, got {s:?}"
            );
        }
    }
    // ANCHOR_END: test
}
