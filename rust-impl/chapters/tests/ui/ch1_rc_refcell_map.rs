// Chapter 1: the single-threaded way to share a mutable map, sent to a thread.
// Expected: E0277, `Rc<RefCell<HashMap<..>>>` cannot be sent between threads safely.
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;
use std::thread;

// ANCHOR: program
fn main() {
    let counts = Rc::new(RefCell::new(HashMap::<u64, u64>::new()));
    let for_writer = Rc::clone(&counts);
    let writer = thread::spawn(move || {
        for key in 0..1000 {
            for_writer.borrow_mut().insert(key, key);
        }
    });
    writer.join().unwrap();
}
// ANCHOR_END: program
