//! The counting wrapper of `cmap_maps::reclaim`: for every map that defers
//! frees, each replaced or removed value is counted as retired exactly once,
//! and once the map is dropped and its collector flushed, nothing is left:
//! no live value, no backlog.
//!
//! The counters are process-wide, so everything runs in one test, one map at
//! a time.

use cmap_maps::reclaim::{self, Reclamation};
use cmap_maps::{ConcurrentMap, MapHandle, MapVisitor};

const KEYS: u64 = 512;
const ROUNDS: u64 = 4;

struct Churn;

impl MapVisitor for Churn {
    type Output = Option<String>;
    fn visit<M: ConcurrentMap>(self) -> Option<String> {
        let Reclamation::Counted { bytes_per_value } = M::reclamation() else {
            return None;
        };
        let name = M::describe().name;
        assert!(bytes_per_value >= 8, "{name}: a value is at least a u64");
        let before = reclaim::totals();
        let map = M::with_capacity(0);
        let unlinked: u64 = std::thread::scope(|s| {
            let workers: Vec<_> = (0..2u64)
                .map(|t| {
                    let map = &map;
                    s.spawn(move || {
                        let mut h = map.handle();
                        let mut unlinked = 0;
                        // Each thread owns the keys of its parity, so the
                        // count of replaced and removed values is exact.
                        for round in 0..ROUNDS {
                            for k in (t..KEYS).step_by(2) {
                                if !h.insert(k, round) {
                                    unlinked += 1;
                                }
                                if h.update(k, round + 100) {
                                    unlinked += 1;
                                }
                                if k % 3 == 0 && h.remove(k) {
                                    unlinked += 1;
                                }
                            }
                        }
                        h.quiesce();
                        unlinked
                    })
                })
                .collect();
            workers.into_iter().map(|w| w.join().unwrap()).sum()
        });
        let during = reclaim::totals();
        assert_eq!(
            during.retired - before.retired,
            unlinked,
            "{name}: every replaced or removed value is retired exactly once"
        );
        assert!(
            during.freed - before.freed <= unlinked,
            "{name}: frees never outrun retirements"
        );
        drop(map);
        // crossbeam-epoch's collector is global: pin and flush until the
        // garbage of the dropped map has gone (seize's is per map and went
        // with it).
        for _ in 0..1000 {
            if reclaim::totals().backlog() == before.backlog()
                && reclaim::totals().live() == before.live()
            {
                break;
            }
            crossbeam_epoch::pin().flush();
            std::thread::yield_now();
        }
        let after = reclaim::totals();
        assert_eq!(
            after.backlog(),
            before.backlog(),
            "{name}: backlog back to zero"
        );
        assert_eq!(
            after.live(),
            before.live(),
            "{name}: no value outlives its map"
        );
        assert_eq!(
            after.freed - before.freed,
            unlinked,
            "{name}: every retired value was freed"
        );
        Some(name.to_owned())
    }
}

struct Kind;

impl MapVisitor for Kind {
    type Output = Reclamation;
    fn visit<M: ConcurrentMap>(self) -> Reclamation {
        M::reclamation()
    }
}

#[test]
fn backlog_returns_to_zero_after_the_map_is_dropped() {
    let mut checked = Vec::new();
    for info in cmap_maps::all() {
        if let Some(name) = cmap_maps::visit_by_name(info.name, Churn).unwrap() {
            checked.push(name);
        }
    }
    for expected in [
        "papaya-blocking-sip",
        "papaya-incremental-sip",
        "flurry-ahash",
        "gosyncmap-foldhash",
    ] {
        assert!(
            checked.iter().any(|n| n == expected),
            "{expected} is counted: {checked:?}"
        );
    }
    assert_eq!(reclaim::totals().backlog(), 0);
}

#[test]
fn maps_that_do_not_count_say_why() {
    for info in cmap_maps::all() {
        match cmap_maps::visit_by_name(info.name, Kind).unwrap() {
            Reclamation::Counted { .. } => {}
            Reclamation::Immediate(why) | Reclamation::NotObserved(why) => {
                assert!(
                    why.len() > 40,
                    "{}: a reason, not a placeholder: {why}",
                    info.name
                )
            }
        }
    }
}
