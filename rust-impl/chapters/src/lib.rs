//! The Rust programs of *Concurrent maps in Go and Rust*.
//!
//! Each experiment is one file under `examples/` named after its chapter
//! (`ch1_safe_writers.rs`), runnable with
//! `cargo run --release -p chapters --example NAME` and tested by `cargo test`.
//! Programs that must *not* compile live under `tests/ui/`; the trybuild test
//! `tests/compile_errors.rs` pins the exact compiler error each one shows, and
//! the doctests below make `cargo test --doc` fail if any of them ever compiles.

/// Chapter 1: the Go two-writer program, translated to Rust, is rejected at compile time.
///
/// Spawning a thread that borrows a local map (E0373, the closure may outlive the map):
///
/// ```compile_fail,E0373
#[doc = include_str!("../tests/ui/ch1_spawn_borrows_map.rs")]
/// ```
///
/// Two scoped threads that both take `&mut` to the map (E0499):
///
/// ```compile_fail,E0499
#[doc = include_str!("../tests/ui/ch1_scoped_two_writers.rs")]
/// ```
///
/// Sharing the map through `Arc` gives shared access only (E0596):
///
/// ```compile_fail,E0596
#[doc = include_str!("../tests/ui/ch1_arc_map_is_read_only.rs")]
/// ```
///
/// `Rc<RefCell<HashMap>>` cannot cross a thread boundary at all (E0277, not `Send`):
///
/// ```compile_fail,E0277
#[doc = include_str!("../tests/ui/ch1_rc_refcell_map.rs")]
/// ```
///
/// `Arc<RefCell<HashMap>>` is rejected too: `RefCell` is not `Sync` (E0277):
///
/// ```compile_fail,E0277
#[doc = include_str!("../tests/ui/ch1_arc_refcell_map.rs")]
/// ```
pub mod ch1 {}

/// Chapter 2.2: Go's racy two-word value, translated to Rust, is rejected at
/// compile time: a writer thread needs `&mut` while a reader holds `&` (E0502).
///
/// ```compile_fail,E0502
#[doc = include_str!("../tests/ui/ch2_racy_pair.rs")]
/// ```
///
/// Chapter 2.5: Go's racy worker pool, every worker writing one plain map (E0499).
///
/// ```compile_fail,E0499
#[doc = include_str!("../tests/ui/ch2_worker_pool_plain_map.rs")]
/// ```
pub mod ch2 {}

pub mod deferred;

// The examples that watch memory come and go (chapters 2.3, 3.1 and 3.3) install
// `alloc_count::CountingAlloc` as their global allocator: one counting allocator for
// them and the runner.

/// The command lines of the chapter examples: each declares a clap `Cli`, so
/// `--help` prints the usage and exits 0, and a bad flag exits 2 naming it.
/// These are the value checks they share.
pub mod cli {
    use std::path::PathBuf;

    /// `--out DIR`: the directory must exist (the examples write into it).
    pub fn existing_dir(s: &str) -> Result<PathBuf, String> {
        let dir = PathBuf::from(s);
        if dir.is_dir() {
            Ok(dir)
        } else {
            Err("want an existing directory".into())
        }
    }

    /// Asserts what every example's command line does: `--help` prints the
    /// usage (exit 0) and an unknown flag is an error naming it (exit 2).
    /// Each example's tests call it with its `Cli`.
    pub fn assert_cli<C: clap::CommandFactory + clap::Parser>() {
        C::command().debug_assert();
        let name = C::command().get_name().to_owned();
        let help = C::try_parse_from([name.as_str(), "--help"]).err();
        let help = help.expect("--help must not parse as a run");
        assert_eq!(
            help.kind(),
            clap::error::ErrorKind::DisplayHelp,
            "{name} --help"
        );
        assert_eq!(help.exit_code(), 0, "{name} --help");
        assert!(help.to_string().contains("Usage:"), "{name} --help: {help}");
        let bad = C::try_parse_from([name.as_str(), "--no-such-flag"]).err();
        let bad = bad.expect("an unknown flag must be an error");
        assert_eq!(bad.exit_code(), 2, "{name} --no-such-flag");
        assert!(bad.to_string().contains("--no-such-flag"), "{name}: {bad}");
    }

    /// A whole number >= 1 (repeats, key counts).
    pub fn at_least_one(s: &str) -> Result<usize, String> {
        s.parse::<usize>()
            .ok()
            .filter(|&n| n >= 1)
            .ok_or_else(|| "want a whole number >= 1".into())
    }
}

/// The `--out DIR` convention of the chapter examples that write generated files.
pub mod out {
    use std::path::{Path, PathBuf};

    use clap::Parser;

    /// The command line of an example whose only option is `--out`.
    #[derive(Parser, Debug)]
    pub struct OutOnly {
        /// Write the generated files into DIR (an existing directory) instead
        /// of printing the table.
        #[arg(long, value_name = "DIR", value_parser = crate::cli::existing_dir)]
        pub out: Option<PathBuf>,
    }

    /// `None` with no arguments, `Some(DIR)` with `--out DIR`; `--help` prints
    /// the usage and exits 0, anything else prints the error and exits 2.
    pub fn dir_from_args(prog: &'static str) -> Option<PathBuf> {
        use clap::{CommandFactory as _, FromArgMatches as _};
        let matches = OutOnly::command().name(prog).bin_name(prog).get_matches();
        OutOnly::from_arg_matches(&matches)
            .unwrap_or_else(|e| e.exit())
            .out
    }

    /// Writes each `(name, contents)` into `dir` (a temporary file, then a rename, so
    /// an interrupted run leaves the previous file whole); exits with status 1 naming
    /// the file on failure.
    pub fn write_all(prog: &str, dir: &Path, files: &[(&str, String)]) {
        for (name, body) in files {
            let path = dir.join(name);
            if let Err(e) = cmap_formats::files::write_atomic(&path, body) {
                eprintln!("{prog}: writing {}: {e}", path.display());
                std::process::exit(1);
            }
            eprintln!("{prog}: wrote {}", path.display());
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_out_only_command_line_answers_help_and_rejects_a_missing_dir() {
        use clap::Parser as _;
        crate::cli::assert_cli::<crate::out::OutOnly>();
        let e =
            crate::out::OutOnly::try_parse_from(["x", "--out", "/nonexistent-dir"]).unwrap_err();
        assert_eq!(e.exit_code(), 2);
        assert!(
            e.to_string().contains("--out") && e.to_string().contains("want an existing directory"),
            "{e}"
        );
        let dir = std::env::temp_dir();
        let o = crate::out::OutOnly::try_parse_from(["x", "--out", dir.to_str().unwrap()]).unwrap();
        assert_eq!(o.out, Some(dir));
    }
}
