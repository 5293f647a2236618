//! The Rust programs of *Concurrent maps in Go and Rust*.
//!
//! Each experiment is one file under `examples/` named after its chapter
//! (`ch1_safe_writers.rs`), runnable with
//! `cargo run --release -p chapters --example NAME` and tested by `cargo test`.
//! Programs that must *not* compile live under `tests/ui/`; the trybuild test
//! `tests/compile_errors.rs` pins the exact compiler error each one shows, and
//! the doctests below make `cargo test --doc` fail if any of them ever compiles.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

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

// ANCHOR: allocator
/// The system allocator, counting the bytes currently allocated: the examples that
/// watch memory come and go (chapters 2.3 and 3.3) install it with
/// `#[global_allocator] static ALLOC: chapters::LiveBytesAlloc = chapters::LiveBytesAlloc;`
/// and read [`live_bytes`].
pub struct LiveBytesAlloc;

static LIVE_BYTES: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every method forwards to `System` with the same arguments; the counter is
// only bookkeeping. The default `realloc` goes through `alloc` and `dealloc` here, so
// it is counted too.
unsafe impl GlobalAlloc for LiveBytesAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded contract.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            LIVE_BYTES.fetch_add(layout.size(), Ordering::Relaxed);
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded contract.
        unsafe { System.dealloc(ptr, layout) };
        LIVE_BYTES.fetch_sub(layout.size(), Ordering::Relaxed);
    }
}

/// Bytes allocated and not yet freed, if [`LiveBytesAlloc`] is the global allocator
/// (0 otherwise).
pub fn live_bytes() -> usize {
    LIVE_BYTES.load(Ordering::Relaxed)
}
// ANCHOR_END: allocator

/// The `--out DIR` convention of the chapter examples that write generated files.
pub mod out {
    use std::path::{Path, PathBuf};

    /// `None` with no arguments, `Some(DIR)` with `--out DIR`; anything else prints
    /// the usage and exits with status 2.
    pub fn dir_from_args(prog: &str) -> Option<PathBuf> {
        let args: Vec<String> = std::env::args().skip(1).collect();
        match args.as_slice() {
            [] => None,
            [flag, dir] if flag == "--out" => Some(PathBuf::from(dir)),
            _ => {
                eprintln!("usage: {prog} [--out DIR]  (got: {})", args.join(" "));
                std::process::exit(2);
            }
        }
    }

    /// Writes each `(name, contents)` into `dir` (a temporary file, then a rename, so
    /// an interrupted run leaves the previous file whole); exits with status 1 naming
    /// the file on failure.
    pub fn write_all(prog: &str, dir: &Path, files: &[(&str, String)]) {
        for (name, body) in files {
            let path = dir.join(name);
            let tmp = dir.join(format!(".{name}.tmp"));
            if let Err(e) = std::fs::write(&tmp, body).and_then(|()| std::fs::rename(&tmp, &path)) {
                eprintln!("{prog}: writing {}: {e}", path.display());
                std::process::exit(1);
            }
            eprintln!("{prog}: wrote {}", path.display());
        }
    }
}
