// Chapter 1: scoped threads may borrow the map, but only one of them mutably.
// Expected: E0499, `counts` borrowed as mutable more than once at a time.
use std::collections::HashMap;
use std::thread;

// ANCHOR: program
fn main() {
    let mut counts: HashMap<u64, u64> = HashMap::new();
    thread::scope(|s| {
        s.spawn(|| {
            for key in 0..1000 {
                counts.insert(key, key);
            }
        });
        s.spawn(|| {
            for key in 1000..2000 {
                counts.insert(key, key);
            }
        });
    });
}
// ANCHOR_END: program
