//! The two epoch-style maps, papaya and flurry, behind one trait: the programs of
//! chapters 2.3 (`ch2_reclamation`) and 3.3 (`ch3_deletes`) watch what happens to the
//! values these maps replace or remove.
//!
//! Neither map frees such a value at once: another thread may still be reading it. Both
//! *retire* it to their collector (the `seize` crate), which frees it once every thread
//! that was inside a critical section (holding a guard) when it was retired has left.

use std::sync::mpsc;

/// What the reclamation experiments need from a map that defers freeing: insert or
/// replace and remove (each in a critical section of its own), a short pin, and a guard
/// held on another thread until told to let go.
pub trait Deferred<V>: Sync + Sized {
    /// The crate's name, as the tables print it.
    const NAME: &'static str;
    /// The name of a run in which another thread holds a guard.
    const HELD_NAME: &'static str;
    /// An empty map.
    fn new_map() -> Self;
    /// Inserts `value`, or replaces the key's value: the one replaced is retired.
    fn insert(&self, key: u64, value: V);
    /// Removes the key: its entry is unlinked and retired.
    fn remove(&self, key: u64);
    /// Enters a critical section and leaves it at once, which lets the collector run.
    fn pin_once(&self);
    /// Takes a guard on the calling thread, says so on `held`, and keeps the guard until
    /// `release` receives a message or hangs up.
    fn hold_guard_until(&self, held: mpsc::Sender<()>, release: mpsc::Receiver<()>);
}

// ANCHOR: impl
/// papaya and flurry have the same guard API: `pin()` is a critical section for one
/// call, `guard()` one that lasts until the guard is dropped.
macro_rules! impl_deferred {
    ($krate:ident) => {
        impl<V: Send + Sync + 'static> Deferred<V> for $krate::HashMap<u64, V> {
            const NAME: &'static str = stringify!($krate);
            const HELD_NAME: &'static str = concat!(stringify!($krate), ", guard held elsewhere");
            fn new_map() -> Self {
                $krate::HashMap::new()
            }
            fn insert(&self, key: u64, value: V) {
                // The value replaced, if any, is retired, not freed.
                self.pin().insert(key, value);
            }
            fn remove(&self, key: u64) {
                // The value is dropped when no guard that could still see it is left.
                self.pin().remove(&key);
            }
            fn pin_once(&self) {
                drop(self.guard());
            }
            fn hold_guard_until(&self, held: mpsc::Sender<()>, release: mpsc::Receiver<()>) {
                let guard = self.guard();
                held.send(()).unwrap();
                let _ = release.recv(); // a message or a hang-up: either ends the wait
                drop(guard); // retired values can now be freed
            }
        }
    };
}

impl_deferred!(papaya);
impl_deferred!(flurry);
// ANCHOR_END: impl

#[cfg(test)]
mod tests {
    use super::Deferred;

    #[test]
    fn names_are_the_crates() {
        assert_eq!(<papaya::HashMap<u64, u8> as Deferred<u8>>::NAME, "papaya");
        assert_eq!(
            <flurry::HashMap<u64, u8> as Deferred<u8>>::HELD_NAME,
            "flurry, guard held elsewhere"
        );
    }
}
