//! `CountingAlloc<true>`: the per-thread byte count sees this thread's allocations and
//! none of another thread's, while the process-wide counters see both.

use alloc_count::{CountingAlloc, snapshot, thread_allocated_bytes};
use std::thread;

#[global_allocator]
static ALLOC: CountingAlloc<true> = CountingAlloc;

#[test]
fn the_thread_counter_counts_only_this_threads_bytes() {
    let before = thread_allocated_bytes();
    let mine = vec![0u8; 4096];
    assert_eq!(
        thread_allocated_bytes() - before,
        4096,
        "one zeroed allocation"
    );

    let mid = thread_allocated_bytes();
    let process_mid = snapshot().alloc_bytes;
    thread::spawn(|| drop(vec![7u8; 1 << 20])).join().unwrap();
    let here = thread_allocated_bytes() - mid; // spawning: a handle, a name, a packet
    assert!(here < 1 << 16, "another thread's MiB counted here: +{here}");
    let process = snapshot().alloc_bytes - process_mid;
    assert!(
        process >= 1 << 20,
        "the process counters see it: +{process}"
    );
    drop(mine);
}

#[test]
fn a_realloc_counts_its_new_size_on_this_thread() {
    let mut v = Vec::<u8>::with_capacity(1000);
    let before = thread_allocated_bytes();
    v.reserve_exact(5000);
    assert_eq!(thread_allocated_bytes() - before, 5000);
}
