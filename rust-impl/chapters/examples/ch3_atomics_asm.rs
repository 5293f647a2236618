//! Chapter 3.1, claim C17: what atomic pointer loads and stores compile to
//! on x86-64, the Rust side. Each operation sits in its own
//! `#[inline(never)]` function so that the disassembler finds it by name.
//!
//! Run without arguments it calls each function once. With `--disasm` it
//! disassembles its own executable with `objdump -d -C --no-show-raw-insn`
//! and prints a Markdown excerpt of those functions, with a count of fence
//! and `xchg` instructions. Build it in release mode, as the book's excerpt
//! is:
//!
//! `cargo run --release -p chapters --example ch3_atomics_asm -- --disasm`
//!
//! `scripts/ch3_atomics_asm.sh` puts this excerpt and the Go one together
//! in `book/src/generated/ch03/atomics-asm.md`. The tests compile this same
//! file with `rustc -O` and check the instructions, so they do not depend on
//! the (unoptimised) test profile.

use std::collections::BTreeMap;
use std::hint::black_box;
use std::path::Path;
use std::process::Command;
use std::sync::atomic::AtomicPtr;
use std::sync::atomic::Ordering::{Acquire, Release, SeqCst};

// ANCHOR: functions
#[inline(never)]
fn load_acquire(p: &AtomicPtr<u64>) -> *mut u64 {
    p.load(Acquire)
}

#[inline(never)]
fn load_seqcst(p: &AtomicPtr<u64>) -> *mut u64 {
    p.load(SeqCst)
}

#[inline(never)]
fn store_release(p: &AtomicPtr<u64>, v: *mut u64) {
    p.store(v, Release)
}

#[inline(never)]
fn store_seqcst(p: &AtomicPtr<u64>, v: *mut u64) {
    p.store(v, SeqCst)
}
// ANCHOR_END: functions

/// The functions the excerpt shows, in order.
const FUNCTIONS: [&str; 4] = [
    "load_acquire",
    "load_seqcst",
    "store_release",
    "store_seqcst",
];

/// Disassembles `exe` and returns the instructions of each of `FUNCTIONS`
/// (mnemonic and operands, no addresses), keyed by function name.
fn disassemble(exe: &Path) -> Result<BTreeMap<String, Vec<String>>, String> {
    let out = Command::new("objdump")
        .args(["-d", "-C", "--no-show-raw-insn", "-M", "att"])
        .arg(exe)
        .output()
        .map_err(|e| format!("running objdump (binutils) on {}: {e}", exe.display()))?;
    if !out.status.success() {
        return Err(format!(
            "objdump -d {}: {}\n{}",
            exe.display(),
            out.status,
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let mut found = BTreeMap::new();
    let mut current: Option<String> = None;
    for line in text.lines() {
        // "0000000000012340 <ch3_atomics_asm::load_acquire>:" (the legacy
        // mangling's hash may follow the name).
        if let Some((_, label)) = line.split_once(" <")
            && line.ends_with(">:")
        {
            let name = label.trim_end_matches(">:");
            current = FUNCTIONS
                .iter()
                .find(|f| {
                    name == format!("ch3_atomics_asm::{f}")
                        || name.starts_with(&format!("ch3_atomics_asm::{f}::h"))
                })
                .map(|f| f.to_string());
            continue;
        }
        let Some(f) = &current else { continue };
        // "   12345:\tmov    (%rdi),%rax"
        let Some((_, insn)) = line.split_once(":\t") else {
            if line.trim().is_empty() {
                current = None;
            }
            continue;
        };
        let insn = insn.split_whitespace().collect::<Vec<_>>().join(" ");
        if insn.starts_with("nop") || insn.starts_with("int3") || insn.starts_with("cs nop") {
            continue; // padding
        }
        found.entry(f.clone()).or_insert_with(Vec::new).push(insn);
    }
    for f in FUNCTIONS {
        if !found.contains_key(f) {
            return Err(format!(
                "{f}: not found in the disassembly of {}",
                exe.display()
            ));
        }
    }
    Ok(found)
}

/// Counts the instructions that start with `prefix` (a mnemonic).
fn count(listing: &BTreeMap<String, Vec<String>>, prefix: &str) -> usize {
    listing
        .values()
        .flatten()
        .filter(|i| i.starts_with(prefix))
        .count()
}

fn excerpt(listing: &BTreeMap<String, Vec<String>>) -> String {
    let mut md = format!(
        "Rust: {} build, `objdump -d -C --no-show-raw-insn` on the example's own binary (AT&T syntax: source, destination).\n\n```text\n",
        if cfg!(debug_assertions) {
            "debug"
        } else {
            "release"
        }
    );
    for f in FUNCTIONS {
        md.push_str(&format!("{f}:\n"));
        for insn in &listing[f] {
            md.push_str(&format!("  {insn}\n"));
        }
        md.push('\n');
    }
    md.pop();
    md.push_str("```\n\n");
    md.push_str(&format!(
        "In those {} functions: {} `lfence`, {} `sfence`, {} `mfence`, {} `xchg`, {} `lock`-prefixed instructions.\n",
        FUNCTIONS.len(),
        count(listing, "lfence"),
        count(listing, "sfence"),
        count(listing, "mfence"),
        count(listing, "xchg"),
        count(listing, "lock"),
    ));
    md
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.as_slice() {
        [] => {
            let mut value = 7u64;
            let p = AtomicPtr::new(std::ptr::null_mut());
            store_release(black_box(&p), &mut value);
            store_seqcst(black_box(&p), &mut value);
            let (a, b) = (load_acquire(black_box(&p)), load_seqcst(black_box(&p)));
            // SAFETY: both loads return &mut value, stored just above.
            println!("loaded {} and {}", unsafe { *a }, unsafe { *b });
        }
        [flag] if flag == "--disasm" => {
            let exe = std::env::current_exe().unwrap_or_else(|e| {
                eprintln!("ch3_atomics_asm: cannot find my own executable: {e}");
                std::process::exit(1);
            });
            match disassemble(&exe) {
                Ok(listing) => print!("{}", excerpt(&listing)),
                Err(e) => {
                    eprintln!("ch3_atomics_asm: {e}");
                    std::process::exit(1);
                }
            }
        }
        _ => {
            eprintln!("ch3_atomics_asm: unknown arguments {args:?}: want none, or --disasm");
            std::process::exit(2);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // ANCHOR: tests
    /// Compiles this file with `rustc -C opt-level=3` (the release
    /// profile's level) and disassembles the result.
    fn optimised_listing() -> BTreeMap<String, Vec<String>> {
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/ch3_atomics_asm.rs");
        let dir = std::env::temp_dir().join(format!("ch3_atomics_asm-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let exe = dir.join("ch3_atomics_asm");
        let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
        let status = Command::new(&rustc)
            .args([
                "--edition",
                "2024",
                "-C",
                "opt-level=3",
                "--crate-name",
                "ch3_atomics_asm",
                "-o",
            ])
            .arg(&exe)
            .arg(&src)
            .status()
            .unwrap_or_else(|e| panic!("running {rustc}: {e}"));
        assert!(status.success(), "{rustc} {} failed", src.display());
        let listing = disassemble(&exe).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        listing
    }

    #[test]
    #[cfg(target_arch = "x86_64")]
    fn loads_and_release_stores_are_mov_seqcst_store_is_xchg() {
        let l = optimised_listing();
        // Both loads, Acquire and SeqCst: one mov from memory, then ret.
        for f in ["load_acquire", "load_seqcst"] {
            assert_eq!(l[f], ["mov (%rdi),%rax", "ret"], "{f}");
        }
        // A Release store is a plain mov to memory.
        assert_eq!(l["store_release"], ["mov %rsi,(%rdi)", "ret"]);
        // A SeqCst store is an xchg (implicitly locked).
        assert_eq!(l["store_seqcst"], ["xchg %rsi,(%rdi)", "ret"]);
        for fence in ["lfence", "sfence", "mfence"] {
            assert_eq!(count(&l, fence), 0, "{fence}");
        }
    }

    #[test]
    fn the_program_runs() {
        let mut value = 1u64;
        let p = AtomicPtr::new(std::ptr::null_mut());
        store_seqcst(&p, &mut value);
        assert_eq!(load_acquire(&p), &mut value as *mut u64);
    }
    // ANCHOR_END: tests
}
