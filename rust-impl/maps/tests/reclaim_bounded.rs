//! A handle that churns and never quiesces keeps its reclamation backlog
//! bounded: the maps free retired values as they run, not only when a
//! handle is dropped. (Its own test binary: the counters are process-wide.)
//!
//! `gosyncmap` holds one crossbeam-epoch guard per handle and re-pins it
//! every `GUARD_REPIN_OPS`. A re-pin alone never advances the global epoch
//! nor collects (crossbeam does both in `pin()` every 128 pins, and in
//! `flush()`), so without a flush at each re-pin nothing retired during a
//! run was ever freed and the backlog grew with every replaced value.

use cmap_maps::reclaim::{self, Reclamation};
use cmap_maps::{ConcurrentMap, MapHandle, MapVisitor};

const KEYS: u64 = 1024;
const OPS: u64 = 200_000;
/// Far above what a few epochs of garbage amount to (a few hundred values),
/// far below what a run that frees nothing leaves (about `OPS` * 2 / 3).
const BOUND: u64 = 10_000;

struct Churn;

impl MapVisitor for Churn {
    type Output = Option<(String, u64, u64)>;
    fn visit<M: ConcurrentMap>(self) -> Self::Output {
        let Reclamation::Counted { .. } = M::reclamation() else {
            return None;
        };
        let map = M::with_capacity(0);
        let before = reclaim::totals();
        let worst = std::thread::scope(|s| {
            // One thread: with two, a thread preempted while pinned holds
            // the epoch back for as long as the scheduler likes, and the
            // backlog's bound is the scheduler's, not the map's.
            let workers: Vec<_> = (0..1u64)
                .map(|t| {
                    let map = &map;
                    s.spawn(move || {
                        let mut h = map.handle();
                        let mut worst = 0;
                        for i in 0..OPS {
                            let k = (i.wrapping_mul(0x9E37_79B9) + t) % KEYS;
                            match i % 3 {
                                0 => {
                                    h.insert(k, i);
                                }
                                1 => {
                                    h.update(k, i);
                                }
                                _ => {
                                    h.remove(k);
                                }
                            }
                            if i % 4096 == 4095 {
                                worst = worst.max(reclaim::totals().backlog());
                            }
                        }
                        worst
                    })
                })
                .collect();
            workers
                .into_iter()
                .map(|w| w.join().unwrap())
                .max()
                .unwrap()
        });
        let retired = reclaim::totals().retired - before.retired;
        Some((M::describe().name.to_owned(), worst, retired))
    }
}

#[test]
fn a_churning_handle_keeps_its_backlog_bounded() {
    let mut seen = Vec::new();
    for info in cmap_maps::all() {
        if let Some((name, worst, retired)) = cmap_maps::visit_by_name(info.name, Churn).unwrap() {
            assert!(
                retired > 5 * BOUND,
                "{name}: the churn retires values ({retired})"
            );
            assert!(
                worst < BOUND,
                "{name}: backlog reached {worst} values during the run ({retired} retired)"
            );
            seen.push(name);
        }
    }
    assert!(seen.iter().any(|n| n == "gosyncmap-foldhash"), "{seen:?}");
}
