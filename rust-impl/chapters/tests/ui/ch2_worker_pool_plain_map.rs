// Chapter 2.5: Go's racy worker pool (every worker writes one results map) in
// safe Rust. Each worker's closure captures `results` by unique borrow, so a
// second worker cannot capture it too.
// Expected: E0499, `results` borrowed as mutable more than once.
use std::collections::HashMap;
use std::sync::{Mutex, mpsc};
use std::thread;

// ANCHOR: program
fn main() {
    let mut results: HashMap<u64, u64> = HashMap::new();
    let (send, recv) = mpsc::channel::<u64>();
    let queue = Mutex::new(recv); // the job queue is safe to share
    thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(|| {
                while let Ok(n) = queue.lock().unwrap().recv() {
                    results.insert(n, n * n); // every worker writes the one map
                }
            });
        }
        for n in 0..1000 {
            send.send(n).unwrap();
        }
        drop(send);
    });
}
// ANCHOR_END: program
