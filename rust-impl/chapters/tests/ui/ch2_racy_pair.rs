// Chapter 2.2: Go's racy pair (one goroutine writes `shared = pair{i, i}`,
// another reads it) in safe Rust. The writer needs `&mut pair` while the
// reader holds `&pair`: the borrow checker refuses.
// Expected: E0502, `pair` borrowed as immutable while borrowed as mutable.
use std::thread;

// ANCHOR: program
fn main() {
    let mut pair: (u64, u64) = (0, 0);
    thread::scope(|s| {
        s.spawn(|| {
            for i in 1..1_000_000 {
                pair = (i, i);
            }
        });
        s.spawn(|| {
            let seen = pair;
            assert_eq!(seen.0, seen.1);
        });
    });
}
// ANCHOR_END: program
