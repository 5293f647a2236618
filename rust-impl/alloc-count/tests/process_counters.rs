//! The process-wide counters of the default `CountingAlloc` (the runner's and the
//! chapters' allocator). One test in this binary, so no other test allocates meanwhile;
//! the bounds leave room for the test harness's own few allocations.

use alloc_count::{CountingAlloc, live_bytes, snapshot, thread_allocated_bytes};

#[global_allocator]
static ALLOC: CountingAlloc = CountingAlloc;

const MIB: usize = 1 << 20;
/// More than the harness allocates while one test runs, far less than a MiB.
const SLACK: u64 = 64 << 10;

#[test]
fn counters_follow_alloc_realloc_and_dealloc() {
    assert!(alloc_count::is_counting());
    let before = snapshot();
    let mut v = Vec::<u8>::with_capacity(MIB);
    let grown = snapshot();
    let live = grown.live_bytes - before.live_bytes;
    assert!(
        (MIB as u64..MIB as u64 + SLACK).contains(&live),
        "live +{live}"
    );
    assert!(
        grown.alloc_bytes - before.alloc_bytes >= MIB as u64,
        "{before:?} {grown:?}"
    );
    assert!(
        grown.alloc_objects > before.alloc_objects,
        "{before:?} {grown:?}"
    );

    // A realloc is one object of the new size, and moves live bytes by the difference.
    v.reserve_exact(4 * MIB);
    let moved = snapshot();
    let live = moved.live_bytes - grown.live_bytes;
    assert!(
        (3 * MIB as u64..3 * MIB as u64 + SLACK).contains(&live),
        "live +{live}"
    );
    let bytes = moved.alloc_bytes - grown.alloc_bytes;
    assert!(
        (4 * MIB as u64..4 * MIB as u64 + SLACK).contains(&bytes),
        "bytes +{bytes}"
    );

    drop(v);
    let freed = live_bytes() as u64;
    assert!(
        freed < before.live_bytes + SLACK,
        "{before:?}, live {freed} after the free"
    );
    assert!(
        snapshot().alloc_bytes >= moved.alloc_bytes,
        "ever-allocated never falls"
    );
    // The default type keeps no per-thread count.
    assert_eq!(thread_allocated_bytes(), 0);
}
