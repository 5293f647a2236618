// Chapter 1: `Arc` makes the owner thread-safe, but `RefCell`'s borrow flag is not.
// Expected: E0277, `RefCell<HashMap<..>>` cannot be shared between threads safely.
use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::Arc;
use std::thread;

// ANCHOR: program
fn main() {
    let counts = Arc::new(RefCell::new(HashMap::<u64, u64>::new()));
    let for_writer = Arc::clone(&counts);
    let writer = thread::spawn(move || {
        for key in 0..1000 {
            for_writer.borrow_mut().insert(key, key);
        }
    });
    writer.join().unwrap();
}
// ANCHOR_END: program
