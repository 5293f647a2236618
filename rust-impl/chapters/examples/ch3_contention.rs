//! Chapter 3.2: what one counter update costs a thread, the same cases as
//! `go-reference/cmd/ch3-contention`: an atomic add or CAS on a private
//! counter, an atomic add on one shared counter, on counters adjacent in one
//! array (false sharing), on that array aligned to 128 bytes (the `alignas`
//! "fix", which fixes nothing), on counters each padded to 128 bytes
//! (`CachePadded`), and a `std::sync::Mutex` and a `parking_lot::Mutex`
//! lock + increment + unlock, private and shared; each at 1 and 2 threads.
//!
//! Every case runs `--duration-ms` per repeat, `--repeats` times,
//! interleaved (repeat 1 of every case, then repeat 2, ...). The table gives
//! the median and min–max of CPU nanoseconds per operation per thread, and
//! ratios taken within each repeat. With `--out DIR` it rewrites
//! `DIR/contention-rust.md` atomically after every finished repeat, so a run
//! stopped with Ctrl-C keeps the repeats it finished. Progress goes to
//! stderr; bad flags exit 2.
//!
//! Run: `cargo run --release -p chapters --example ch3_contention -- --out book/src/generated/ch03`

use cmap_formats::files::write_atomic;
use cmap_formats::stats::median;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::sync::{Barrier, Mutex};
use std::time::{Duration, Instant};

use crossbeam_utils::CachePadded;

const REGENERATE: &str = "cargo run --release --locked -q -p chapters --example ch3_contention -- --out book/src/generated/ch03";
const OUT_NAME: &str = "contention-rust.md";

/// The thread counts every case runs at: the book's machine has two vCPUs,
/// and more threads than CPUs would measure the scheduler, not the cache.
const THREAD_COUNTS: [usize; 2] = [1, 2];
const MAX_THREADS: usize = 2;

/// Operations between looks at the clock: one clock read per 1024
/// operations is well under 1% of the loop.
const BATCH: u64 = 1024;

// ANCHOR: layouts
/// Rust's spelling of C++'s `alignas(128) std::atomic<uint64_t> a[N]`: the
/// array starts on a 128-byte boundary, but its elements are still 8 bytes
/// apart, so neighbours share a cache line exactly as before.
#[repr(align(128))]
struct AlignedArray([AtomicU64; MAX_THREADS]);

/// Padding each element instead: `CachePadded` is 128 bytes on x86-64
/// (aligned and sized so), because Intel's L2 prefetcher pulls cache lines
/// in 128-byte pairs; so every counter has its own pair of lines.
type PaddedCounters = [CachePadded<AtomicU64>; MAX_THREADS];
// ANCHOR_END: layouts

/// The cases, in the order of the table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Case {
    CasPrivate,
    AddPrivate,
    AddShared,
    AddAdjacent,
    AddAlignedArray,
    AddPadded,
    StdMutexPrivate,
    StdMutexShared,
    ParkingLotPrivate,
    ParkingLotShared,
}

const CASES: [Case; 10] = [
    Case::CasPrivate,
    Case::AddPrivate,
    Case::AddShared,
    Case::AddAdjacent,
    Case::AddAlignedArray,
    Case::AddPadded,
    Case::StdMutexPrivate,
    Case::StdMutexShared,
    Case::ParkingLotPrivate,
    Case::ParkingLotShared,
];

impl Case {
    fn name(self) -> &'static str {
        match self {
            Case::CasPrivate => "cas-private",
            Case::AddPrivate => "add-private",
            Case::AddShared => "add-shared",
            Case::AddAdjacent => "add-adjacent",
            Case::AddAlignedArray => "add-aligned-array",
            Case::AddPadded => "add-padded",
            Case::StdMutexPrivate => "std-mutex-private",
            Case::StdMutexShared => "std-mutex-shared",
            Case::ParkingLotPrivate => "parking-lot-private",
            Case::ParkingLotShared => "parking-lot-shared",
        }
    }

    fn what(self) -> &'static str {
        match self {
            Case::CasPrivate => "`compare_exchange` loop on its own `CachePadded` counter",
            Case::AddPrivate => "`fetch_add` on its own `CachePadded` counter",
            Case::AddShared => "`fetch_add` on one counter shared by all threads",
            Case::AddAdjacent => {
                "`fetch_add` on element i of a plain `[AtomicU64; 2]` (false sharing)"
            }
            Case::AddAlignedArray => {
                "`fetch_add` on element i of a `#[repr(align(128))]` array, elements unpadded"
            }
            Case::AddPadded => "`fetch_add` on element i of a `[CachePadded<AtomicU64>; 2]`",
            Case::StdMutexPrivate => {
                "`std::sync::Mutex` lock, `+= 1`, unlock on its own padded mutex"
            }
            Case::StdMutexShared => {
                "`std::sync::Mutex` lock, `+= 1`, unlock on one mutex shared by all"
            }
            Case::ParkingLotPrivate => {
                "`parking_lot::Mutex` lock, `+= 1`, unlock on its own padded mutex"
            }
            Case::ParkingLotShared => {
                "`parking_lot::Mutex` lock, `+= 1`, unlock on one mutex shared by all"
            }
        }
    }
}

/// Ends all threads of one measurement together: the first thread past the
/// deadline sets `stop`, so no thread runs on alone, uncontended, after
/// another has finished. Padded: the threads read it between batches, and
/// no counter may share its line.
struct Stopper {
    stop: CachePadded<AtomicBool>,
    deadline: Instant,
}

impl Stopper {
    fn done(&self) -> bool {
        if self.stop.load(Relaxed) {
            return true;
        }
        if Instant::now() >= self.deadline {
            self.stop.store(true, Relaxed);
            return true;
        }
        false
    }
}

// ANCHOR: loop
/// Runs `op` in batches until `stop` says so; returns the operations done.
/// `op` is a generic closure, so it is inlined: no call per operation.
#[inline(always)]
fn repeat_until(stop: &Stopper, mut op: impl FnMut()) -> u64 {
    let mut ops = 0;
    while !stop.done() {
        for _ in 0..BATCH {
            op();
        }
        ops += BATCH;
    }
    ops
}
// ANCHOR_END: loop

/// One measurement of one case at one thread count.
#[derive(Clone, Copy, Debug)]
struct Sample {
    /// Each thread's CPU time divided by its operations, averaged over the
    /// threads. CPU time, not wall time: on a shared machine a thread that
    /// is descheduled half the time would otherwise seem twice as slow.
    ns_per_op: f64,
    /// Each thread's CPU time divided by its wall time, averaged: below 1
    /// at 2 threads means they did not always run at the same instant.
    on_cpu: f64,
    /// Each thread's wall time divided by its operations, averaged. A
    /// thread asleep waiting for a lock is off the CPU: CPU time leaves
    /// that out, wall time does not.
    wall_ns_per_op: f64,
}

/// Runs `body(thread index, stopper)` on `threads` threads for `d`; returns
/// the sample and the total operations the threads reported.
fn run_threads(
    threads: usize,
    d: Duration,
    body: impl Fn(usize, &Stopper) -> u64 + Sync,
) -> (Sample, u64) {
    let barrier = Barrier::new(threads);
    let stopper = Stopper {
        stop: CachePadded::new(AtomicBool::new(false)),
        deadline: Instant::now() + d,
    };
    let results: Vec<(u64, Duration, Duration)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|i| {
                let (barrier, stopper, body) = (&barrier, &stopper, &body);
                s.spawn(move || {
                    barrier.wait();
                    let cpu0 = thread_cpu_time();
                    let t0 = Instant::now();
                    let ops = body(i, stopper);
                    let wall = t0.elapsed();
                    let cpu = match (cpu0, thread_cpu_time()) {
                        (Some(a), Some(b)) => b - a,
                        _ => wall,
                    };
                    (ops, cpu, wall)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let n = threads as f64;
    let mut sample = Sample {
        ns_per_op: 0.0,
        on_cpu: 0.0,
        wall_ns_per_op: 0.0,
    };
    let mut total = 0;
    for (ops, cpu, wall) in results {
        total += ops;
        sample.ns_per_op += cpu.as_nanos() as f64 / ops as f64 / n;
        sample.on_cpu += cpu.as_secs_f64() / wall.as_secs_f64() / n;
        sample.wall_ns_per_op += wall.as_nanos() as f64 / ops as f64 / n;
    }
    (sample, total)
}

// ANCHOR: cases
/// Measures `case` at `threads` threads for `d`, on fresh counters, and
/// checks that the counters hold exactly the operations done.
fn measure(case: Case, threads: usize, d: Duration) -> Result<Sample, String> {
    let padded = || -> PaddedCounters { Default::default() };
    let (sample, ops, counted) = match case {
        Case::CasPrivate => {
            let c = padded();
            let (s, ops) = run_threads(threads, d, |i, stop| {
                repeat_until(stop, || {
                    let mut old = c[i].load(Relaxed);
                    while let Err(now) = c[i].compare_exchange(old, old + 1, Relaxed, Relaxed) {
                        old = now;
                    }
                })
            });
            (s, ops, c.iter().map(|x| x.load(Relaxed)).sum())
        }
        Case::AddPrivate | Case::AddPadded => {
            let c = padded();
            let (s, ops) = run_threads(threads, d, |i, stop| {
                repeat_until(stop, || {
                    c[i].fetch_add(1, Relaxed);
                })
            });
            (s, ops, c.iter().map(|x| x.load(Relaxed)).sum())
        }
        Case::AddShared => {
            let c = padded();
            let (s, ops) = run_threads(threads, d, |_, stop| {
                repeat_until(stop, || {
                    c[0].fetch_add(1, Relaxed);
                })
            });
            (s, ops, c[0].load(Relaxed))
        }
        Case::AddAdjacent => {
            let c: Box<[AtomicU64; MAX_THREADS]> = Box::default();
            let (s, ops) = run_threads(threads, d, |i, stop| {
                repeat_until(stop, || {
                    c[i].fetch_add(1, Relaxed);
                })
            });
            (s, ops, c.iter().map(|x| x.load(Relaxed)).sum())
        }
        Case::AddAlignedArray => {
            let c = Box::new(AlignedArray(Default::default()));
            let (s, ops) = run_threads(threads, d, |i, stop| {
                repeat_until(stop, || {
                    c.0[i].fetch_add(1, Relaxed);
                })
            });
            (s, ops, c.0.iter().map(|x| x.load(Relaxed)).sum())
        }
        Case::StdMutexPrivate | Case::StdMutexShared => {
            let m: [CachePadded<Mutex<u64>>; MAX_THREADS] = Default::default();
            let shared = case == Case::StdMutexShared;
            let (s, ops) = run_threads(threads, d, |i, stop| {
                let m = &m[if shared { 0 } else { i }];
                repeat_until(stop, || *m.lock().unwrap() += 1)
            });
            (s, ops, m.iter().map(|x| *x.lock().unwrap()).sum())
        }
        Case::ParkingLotPrivate | Case::ParkingLotShared => {
            let m: [CachePadded<parking_lot::Mutex<u64>>; MAX_THREADS] = Default::default();
            let shared = case == Case::ParkingLotShared;
            let (s, ops) = run_threads(threads, d, |i, stop| {
                let m = &m[if shared { 0 } else { i }];
                repeat_until(stop, || *m.lock() += 1)
            });
            (s, ops, m.iter().map(|x| *x.lock()).sum())
        }
    };
    if counted != ops {
        return Err(format!(
            "{} at {threads} threads: counters hold {counted}, threads did {ops} operations",
            case.name()
        ));
    }
    Ok(sample)
}
// ANCHOR_END: cases

/// The calling thread's CPU time (`clock_gettime(CLOCK_THREAD_CPUTIME_ID)`), which the
/// standard library does not expose; `None` where the clock is missing, and the
/// measurement falls back to wall time.
#[cfg(unix)]
fn thread_cpu_time() -> Option<Duration> {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes one timespec through the pointer, which points at `ts`.
    let ret = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    (ret == 0).then(|| Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32))
}

#[cfg(not(unix))]
fn thread_cpu_time() -> Option<Duration> {
    None
}

/// Every finished measurement: `samples[case][thread count index][repeat]`.
struct Report {
    duration: Duration,
    want_repeats: usize,
    repeats: usize,
    samples: Vec<[Vec<Sample>; THREAD_COUNTS.len()]>,
    env: String,
}

/// Ratios of two cases at the same thread count, taken within each repeat.
const RATIOS: [(Case, Case, &str); 8] = [
    (
        Case::AddAdjacent,
        Case::AddPadded,
        "false sharing: neighbours in one line vs one 128-byte block each",
    ),
    (
        Case::AddAlignedArray,
        Case::AddPadded,
        "the aligned but unpadded array vs padding each element",
    ),
    (
        Case::AddAlignedArray,
        Case::AddAdjacent,
        "aligning the array vs not aligning it",
    ),
    (
        Case::AddShared,
        Case::AddPadded,
        "one shared counter vs a private one each",
    ),
    (
        Case::CasPrivate,
        Case::AddPrivate,
        "a compare_exchange loop vs one fetch_add",
    ),
    (
        Case::StdMutexPrivate,
        Case::AddPrivate,
        "an uncontended std lock + unlock vs one fetch_add",
    ),
    (
        Case::StdMutexShared,
        Case::StdMutexPrivate,
        "one contended std Mutex vs a private one each",
    ),
    (
        Case::ParkingLotShared,
        Case::ParkingLotPrivate,
        "one contended parking_lot Mutex vs a private one each",
    ),
];

impl Report {
    fn new(duration: Duration, want_repeats: usize) -> Report {
        Report {
            duration,
            want_repeats,
            repeats: 0,
            samples: CASES.iter().map(|_| Default::default()).collect(),
            env: environment(),
        }
    }

    fn values(&self, case: Case, t: usize, f: impl Fn(&Sample) -> f64) -> Vec<f64> {
        let ci = CASES.iter().position(|&c| c == case).unwrap();
        self.samples[ci][t]
            .iter()
            .take(self.repeats)
            .map(f)
            .collect()
    }

    fn markdown(&self) -> String {
        let mut out = format!(
            "<!-- Generated by rust-impl/chapters/examples/ch3_contention.rs; do not edit. Regenerate with:\n     {REGENERATE} -->\n\n"
        );
        let partial = if self.repeats < self.want_repeats {
            format!(
                " (interrupted: {} of {} repeats)",
                self.repeats, self.want_repeats
            )
        } else {
            String::new()
        };
        writeln!(
            out,
            "{} {} interleaved repeats{partial} of {} ms per case and thread count; threads are not pinned to CPUs.\n",
            self.env,
            self.repeats,
            self.duration.as_millis()
        )
        .unwrap();
        out.push_str(
            "Nanoseconds of CPU time per operation per thread, median of the repeats (min–max); then the share of its wall \
             time each thread was on a CPU, median (at 2 threads, below 100% means the threads did not always run at the \
             same instant, so they contended less than the case intends); then, at 2 threads, wall time per operation, \
             median, which also counts time a thread spent asleep waiting for a lock:\n\n| case | what each thread does |",
        );
        for n in THREAD_COUNTS {
            write!(
                out,
                " {n} {}: ns/op |",
                if n == 1 { "thread" } else { "threads" }
            )
            .unwrap();
        }
        for n in THREAD_COUNTS {
            write!(out, " {n}: on CPU |").unwrap();
        }
        out.push_str(" 2 threads: wall ns/op |\n|---|---|");
        out.push_str(&"---:|".repeat(2 * THREAD_COUNTS.len() + 1));
        out.push('\n');
        let mut on_cpu_2 = Vec::new();
        for case in CASES {
            write!(out, "| `{}` | {} |", case.name(), case.what()).unwrap();
            for t in 0..THREAD_COUNTS.len() {
                write!(
                    out,
                    " {} |",
                    spread(&self.values(case, t, |s| s.ns_per_op), 1, "")
                )
                .unwrap();
            }
            for (t, threads) in THREAD_COUNTS.into_iter().enumerate() {
                let on = self.values(case, t, |s| 100.0 * s.on_cpu);
                match median(&on) {
                    Some(m) => write!(out, " {m:.0}% |").unwrap(),
                    None => out.push_str(" n/a |"),
                }
                if threads == 2 {
                    on_cpu_2.extend(on);
                }
            }
            let two = THREAD_COUNTS.iter().position(|&n| n == 2).unwrap();
            match median(&self.values(case, two, |s| s.wall_ns_per_op)) {
                Some(m) => writeln!(out, " {m:.1} |").unwrap(),
                None => out.push_str(" n/a |\n"),
            }
        }
        if let Some(m) = median(&on_cpu_2).filter(|&m| m < 90.0) {
            writeln!(
                out,
                "\n**Warning:** at 2 threads the threads were on a CPU only {m:.0}% of the time (median over all cases): \
                 other work was running, so the 2-thread rows measure less contention than they would on an idle machine."
            )
            .unwrap();
        }
        out.push_str(
            "\nRatios within each repeat, median (min–max):\n\n| ratio | what it compares |",
        );
        for n in THREAD_COUNTS {
            write!(out, " {n} {} |", if n == 1 { "thread" } else { "threads" }).unwrap();
        }
        out.push_str("\n|---|---|");
        out.push_str(&"---:|".repeat(THREAD_COUNTS.len()));
        out.push('\n');
        for (num, den, meaning) in RATIOS {
            write!(out, "| `{}` ÷ `{}` | {meaning} |", num.name(), den.name()).unwrap();
            for t in 0..THREAD_COUNTS.len() {
                let (a, b) = (
                    self.values(num, t, |s| s.ns_per_op),
                    self.values(den, t, |s| s.ns_per_op),
                );
                let q: Vec<f64> = a.iter().zip(&b).map(|(x, y)| x / y).collect();
                write!(out, " {} |", spread(&q, 2, "×")).unwrap();
            }
            out.push('\n');
        }
        out.push_str(
            "\nLayout of the counters, from `size_of` and the addresses of two neighbouring elements in this run:\n\n\
             | case | element type | element size (bytes) | distance between elements 0 and 1 (bytes) | first element's address mod 128 |\n\
             |---|---|---:|---:|---:|\n",
        );
        for l in layouts() {
            writeln!(
                out,
                "| `{}` | `{}` | {} | {} | {} |",
                l.case.name(),
                l.elem,
                l.size,
                l.stride,
                l.mod128
            )
            .unwrap();
        }
        out
    }
}

/// What one case's memory layout looks like.
#[derive(Debug)]
struct LayoutFact {
    case: Case,
    elem: &'static str,
    size: usize,
    stride: usize,
    mod128: usize,
}

// ANCHOR: layout-facts
/// Allocates each kind of counter array the way the cases do and reports
/// the facts that decide false sharing: how far apart two threads'
/// counters are, and where the array starts.
fn layouts() -> Vec<LayoutFact> {
    fn fact<T>(case: Case, elem: &'static str, a: &T, b: &T) -> LayoutFact {
        let (a, b) = (a as *const T as usize, b as *const T as usize);
        LayoutFact {
            case,
            elem,
            size: size_of::<T>(),
            stride: b - a,
            mod128: a % 128,
        }
    }
    let plain: Box<[AtomicU64; MAX_THREADS]> = Box::default();
    let aligned = Box::new(AlignedArray(Default::default()));
    let padded: Box<PaddedCounters> = Box::default();
    vec![
        fact(Case::AddAdjacent, "AtomicU64", &plain[0], &plain[1]),
        fact(
            Case::AddAlignedArray,
            "AtomicU64",
            &aligned.0[0],
            &aligned.0[1],
        ),
        fact(
            Case::AddPadded,
            "CachePadded<AtomicU64>",
            &padded[0],
            &padded[1],
        ),
    ]
}
// ANCHOR_END: layout-facts

/// Compiler, CPU and topology, for the line above the tables.
fn environment() -> String {
    let rustc = cmap_maps::find("mutex-std-sip").map_or("?", |m| m.crate_version);
    let parking_lot = cmap_maps::find("mutex-parkinglot-foldhash").map_or("?", |m| m.crate_version);
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines().find_map(|l| {
                l.split_once(':')
                    .filter(|(k, _)| k.trim() == "model name")
                    .map(|(_, v)| v.trim().to_owned())
            })
        })
        .unwrap_or_else(|| "CPU model unknown".to_owned());
    let vcpus = std::thread::available_parallelism().map_or(0, |n| n.get());
    let load = std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|s| s.split_whitespace().next().map(str::to_owned))
        .unwrap_or_else(|| "unknown".to_owned());
    format!(
        "Measured with rustc {rustc} (release build), parking_lot {parking_lot}, {}/{}, on {vcpus} vCPUs ({cpu}). \
         Topology as the OS sees it: {}. Load average {load} at the start.",
        std::env::consts::OS,
        std::env::consts::ARCH,
        cpu_topology()
    )
}

/// Which vCPUs share a physical core, from
/// `/sys/devices/system/cpu/cpu*/topology`; on a VM that is the topology the
/// hypervisor presents, which need not match the host's.
fn cpu_topology() -> String {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir("/sys/devices/system/cpu")
        .map(|rd| {
            rd.filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| {
                    p.file_name()
                        .and_then(|n| n.to_str())
                        .and_then(|n| n.strip_prefix("cpu"))
                        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
                })
                .collect()
        })
        .unwrap_or_default();
    if dirs.is_empty() {
        return "unknown (no /sys/devices/system/cpu)".to_owned();
    }
    dirs.sort();
    let read = |d: &Path, f: &str| {
        std::fs::read_to_string(d.join("topology").join(f))
            .map_or_else(|_| "?".to_owned(), |s| s.trim().to_owned())
    };
    let mut shared = false;
    let parts: Vec<String> = dirs
        .iter()
        .map(|d| {
            let sib = read(d, "thread_siblings_list");
            shared |= sib.contains([',', '-']);
            format!(
                "{} core {} package {} siblings {sib}",
                d.file_name().unwrap().to_string_lossy(),
                read(d, "core_id"),
                read(d, "physical_package_id")
            )
        })
        .collect();
    let mut verdict = if shared {
        "some vCPUs are hyperthreads of one core (they share its L1 and L2)".to_owned()
    } else {
        "each vCPU is its own core (no hyperthread siblings)".to_owned()
    };
    if std::fs::read_to_string("/proc/cpuinfo").is_ok_and(|s| s.contains(" hypervisor")) {
        verdict.push_str("; this is a virtual machine, so the host may still map vCPUs onto hyperthreads of one physical core");
    }
    format!("{}: {verdict}", parts.join("; "))
}

/// "median (min–max)" with `digits` decimals and `unit` after each number.
fn spread(v: &[f64], digits: usize, unit: &str) -> String {
    let Some(m) = median(v) else {
        return "n/a".to_owned();
    };
    let lo = v.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    format!("{m:.digits$}{unit} ({lo:.digits$}{unit}–{hi:.digits$}{unit})")
}

/// The command line.
#[derive(clap::Parser, Debug, PartialEq)]
#[command(name = "ch3_contention")]
struct Options {
    /// How long each case runs per repeat, in milliseconds (> 0).
    #[arg(long = "duration-ms", value_name = "MS", default_value = "100", value_parser = millis)]
    duration: Duration,
    /// How many times every case runs (>= 1).
    #[arg(long, value_name = "N", default_value_t = 7, value_parser = chapters::cli::at_least_one)]
    repeats: usize,
    /// Rewrite DIR/contention-rust.md after every finished repeat (DIR must exist).
    #[arg(long, value_name = "DIR", value_parser = chapters::cli::existing_dir)]
    out: Option<PathBuf>,
}

/// `--duration-ms`: a whole number of milliseconds > 0.
fn millis(v: &str) -> Result<Duration, String> {
    match v.parse::<u64>() {
        Ok(ms) if ms > 0 => Ok(Duration::from_millis(ms)),
        _ => Err("must be a whole number of milliseconds > 0".into()),
    }
}

/// Measures every case `opt.repeats` times, interleaved, calling
/// `after_repeat` after each finished repeat.
fn run(
    opt: &Options,
    mut after_repeat: impl FnMut(&Report) -> Result<(), String>,
) -> Result<Report, String> {
    let mut report = Report::new(opt.duration, opt.repeats);
    for r in 0..opt.repeats {
        for (ci, case) in CASES.into_iter().enumerate() {
            for (t, threads) in THREAD_COUNTS.into_iter().enumerate() {
                report.samples[ci][t].push(measure(case, threads, opt.duration)?);
            }
        }
        report.repeats = r + 1;
        eprintln!("ch3_contention: repeat {} of {} done", r + 1, opt.repeats);
        after_repeat(&report)?;
    }
    Ok(report)
}

fn main() {
    let opt = <Options as clap::Parser>::parse();
    // Ctrl-C ends the process at once; the file holds every finished repeat,
    // because it is rewritten (atomically) after each one.
    let result = run(&opt, |report| match &opt.out {
        Some(dir) => {
            let path = dir.join(OUT_NAME);
            write_atomic(&path, report.markdown())
                .map_err(|e| format!("writing {}: {e}", path.display()))
        }
        None => Ok(()),
    });
    match result {
        Ok(report) => match &opt.out {
            Some(dir) => eprintln!("ch3_contention: wrote {}", dir.join(OUT_NAME).display()),
            None => print!("{}", report.markdown()),
        },
        Err(e) => {
            eprintln!("ch3_contention: {e}");
            std::process::exit(1);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // ANCHOR: layout-test
    /// The layout facts chapter 3.2 rests on, checked without any timing:
    /// aligning an array moves only its start, padding moves every element.
    #[test]
    fn aligning_the_array_keeps_elements_8_bytes_apart_padding_does_not() {
        assert_eq!(align_of::<AlignedArray>(), 128);
        assert_eq!(
            size_of::<AlignedArray>(),
            128,
            "two 8-byte counters, then padding to the alignment"
        );
        assert!(size_of::<CachePadded<AtomicU64>>() >= 128);
        let a = Box::new(AlignedArray(Default::default()));
        let (p0, p1) = (
            &a.0[0] as *const AtomicU64 as usize,
            &a.0[1] as *const AtomicU64 as usize,
        );
        assert_eq!(p0 % 128, 0, "the array starts on a 128-byte boundary");
        assert_eq!(p1 - p0, 8, "but its elements are 8 bytes apart");
        assert_eq!(
            p0 / 64,
            p1 / 64,
            "so counters 0 and 1 share one 64-byte cache line"
        );
        for l in layouts() {
            let want = if l.case == Case::AddPadded { 128 } else { 8 };
            assert_eq!(l.stride, want, "{l:?}");
        }
    }
    // ANCHOR_END: layout-test

    /// A tiny run measures every case at every thread count (each
    /// measurement checks that the counters hold exactly the operations
    /// done) and the table has a number in every cell.
    #[test]
    fn a_short_run_reports_every_case() {
        let opt = Options {
            duration: Duration::from_millis(3),
            repeats: 2,
            out: None,
        };
        let mut calls = 0;
        let report = run(&opt, |_| {
            calls += 1;
            Ok(())
        })
        .unwrap();
        assert_eq!(calls, 2);
        let md = report.markdown();
        assert!(md.starts_with("<!-- Generated by rust-impl/chapters/examples/ch3_contention.rs"));
        assert!(!md.contains("n/a"), "a missing value:\n{md}");
        for case in CASES {
            let row = md
                .lines()
                .find(|l| l.starts_with(&format!("| `{}` | {} |", case.name(), case.what())))
                .unwrap_or_else(|| panic!("no row for {}:\n{md}", case.name()));
            assert_eq!(
                row.matches('|').count(),
                4 + 2 * THREAD_COUNTS.len(),
                "{row}"
            );
        }
        for (num, den, _) in RATIOS {
            assert!(
                md.contains(&format!("| `{}` ÷ `{}` |", num.name(), den.name())),
                "{md}"
            );
        }
    }

    #[test]
    fn bad_flags_name_the_flag() {
        use clap::Parser as _;
        let parse = |a: &[&str]| Options::try_parse_from(["ch3_contention"].iter().chain(a));
        for (bad, flag) in [
            (&["--duration-ms", "0"][..], "--duration-ms"),
            (&["--duration-ms", "fast"], "--duration-ms"),
            (&["--repeats", "0"], "--repeats"),
            (&["--repeats"], "--repeats"),
            (&["--out", "/nonexistent-dir"], "--out"),
            (&["--threads", "4"], "--threads"),
        ] {
            let err = parse(bad).unwrap_err();
            assert_eq!(err.exit_code(), 2, "{bad:?}: {err}");
            assert!(err.to_string().contains(flag), "{bad:?}: {err}");
        }
        assert_eq!(
            parse(&["--repeats", "3", "--duration-ms", "20"]).unwrap(),
            Options {
                duration: Duration::from_millis(20),
                repeats: 3,
                out: None
            }
        );
        let defaults = parse(&[]).unwrap();
        assert_eq!(
            (defaults.duration, defaults.repeats),
            (Duration::from_millis(100), 7)
        );
    }

    #[test]
    fn thread_cpu_time_advances() {
        if let Some(a) = thread_cpu_time() {
            let mut x = 0u64;
            let t0 = Instant::now();
            while t0.elapsed() < Duration::from_millis(20) {
                x = std::hint::black_box(x.wrapping_add(1));
            }
            let b = thread_cpu_time().unwrap();
            assert!(b > a, "CPU time did not advance: {a:?} then {b:?}");
        }
    }

    #[test]
    fn help_exits_0_and_an_unknown_flag_exits_2() {
        chapters::cli::assert_cli::<Options>();
    }
}
