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
//! in `book/src/generated/ch03/atomics-asm.md`. The tests compile the same
//! functions (the `functions` anchor) with `rustc -O` and check the
//! instructions, so they do not depend on the (unoptimised) test profile.

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

/// Calls each function once, or disassembles them.
#[derive(clap::Parser, Debug)]
#[command(name = "ch3_atomics_asm")]
struct Cli {
    /// Disassemble this executable and print a Markdown excerpt of the
    /// functions, with a count of fence and `xchg` instructions.
    #[arg(long)]
    disasm: bool,
}

fn main() {
    let cli = <Cli as clap::Parser>::parse();
    if !cli.disasm {
        let mut value = 7u64;
        let p = AtomicPtr::new(std::ptr::null_mut());
        store_release(black_box(&p), &mut value);
        store_seqcst(black_box(&p), &mut value);
        let (a, b) = (load_acquire(black_box(&p)), load_seqcst(black_box(&p)));
        // SAFETY: both loads return &mut value, stored just above.
        println!("loaded {} and {}", unsafe { *a }, unsafe { *b });
        return;
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    // ANCHOR: tests
    /// Compiles the functions of this file (the `functions` anchor, the
    /// book's listing) with `rustc -C opt-level=3` (the release profile's
    /// level) and disassembles the result.
    fn optimised_listing() -> BTreeMap<String, Vec<String>> {
        let this = include_str!("ch3_atomics_asm.rs");
        // The markers are spelt in two halves, so that this line is no anchor.
        let (start, end) = (
            concat!("// ANCHOR", ": functions\n"),
            concat!("// ANCHOR", "_END: functions"),
        );
        let from = this.find(start).expect("the functions anchor") + start.len();
        let functions = &this[from..this.find(end).expect("its end")];
        let dir = std::env::temp_dir().join(format!("ch3_atomics_asm-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let src = dir.join("functions.rs");
        let main = "fn main() {\n    let mut v = 7u64;\n    let p = AtomicPtr::new(std::ptr::null_mut());\n    store_release(black_box(&p), &mut v);\n    store_seqcst(black_box(&p), &mut v);\n    black_box((load_acquire(black_box(&p)), load_seqcst(black_box(&p))));\n}\n";
        std::fs::write(
            &src,
            format!("use std::hint::black_box;\nuse std::sync::atomic::AtomicPtr;\nuse std::sync::atomic::Ordering::{{Acquire, Release, SeqCst}};\n{functions}{main}"),
        )
        .unwrap();
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

    #[test]
    fn the_command_line_takes_only_disasm() {
        use clap::Parser as _;
        assert!(!Cli::try_parse_from(["ch3_atomics_asm"]).unwrap().disasm);
        assert!(
            Cli::try_parse_from(["ch3_atomics_asm", "--disasm"])
                .unwrap()
                .disasm
        );
        let err = Cli::try_parse_from(["ch3_atomics_asm", "--bogus"]).unwrap_err();
        assert_eq!(err.exit_code(), 2);
        assert!(err.to_string().contains("--bogus"), "{err}");
    }

    #[test]
    fn help_exits_0_and_an_unknown_flag_exits_2() {
        chapters::cli::assert_cli::<Cli>();
    }
}
