// Chapter 1: `Arc` shares ownership, but only gives out shared (`&`) access.
// Expected: E0596, cannot borrow data in an `Arc` as mutable.
use std::collections::HashMap;
use std::sync::Arc;
use std::thread;

// ANCHOR: program
fn main() {
    let counts: Arc<HashMap<u64, u64>> = Arc::new(HashMap::new());
    let handles: Vec<_> = (0..2u64)
        .map(|writer| {
            let counts = Arc::clone(&counts);
            thread::spawn(move || {
                for i in 0..1000 {
                    counts.insert(writer * 1000 + i, i);
                }
            })
        })
        .collect();
    for handle in handles {
        handle.join().unwrap();
    }
}
// ANCHOR_END: program
