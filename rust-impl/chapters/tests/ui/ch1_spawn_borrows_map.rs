// Chapter 1: a thread that writes a map owned by the spawning function.
// Expected: E0373, the closure may outlive the function that owns `counts`,
// and E0499, the main thread's own writes are a second mutable borrow.
use std::collections::HashMap;
use std::thread;

// ANCHOR: program
fn main() {
    let mut counts: HashMap<u64, u64> = HashMap::new();
    let writer = thread::spawn(|| {
        for key in 0..1000 {
            counts.insert(key, key);
        }
    });
    for key in 1000..2000 {
        counts.insert(key, key);
    }
    writer.join().unwrap();
}
// ANCHOR_END: program
