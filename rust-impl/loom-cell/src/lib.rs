//! `UnsafeCell` behind loom's API (`with`/`with_mut` take a closure over the raw
//! pointer): loom's own under `--cfg loom`, a thin wrapper of std's otherwise, so the
//! same code is both run and model-checked. The crates with loom models (go-like-map,
//! torn-pair) take their other types from loom or std directly.

#[cfg(loom)]
pub use loom::cell::UnsafeCell;

/// std's `UnsafeCell` with loom's access methods.
#[cfg(not(loom))]
#[derive(Debug)]
pub struct UnsafeCell<T>(std::cell::UnsafeCell<T>);

#[cfg(not(loom))]
impl<T> UnsafeCell<T> {
    /// A cell holding `value`.
    pub const fn new(value: T) -> Self {
        UnsafeCell(std::cell::UnsafeCell::new(value))
    }

    /// Calls `f` with a pointer for reading the value.
    pub fn with<R>(&self, f: impl FnOnce(*const T) -> R) -> R {
        f(self.0.get())
    }

    /// Calls `f` with a pointer for writing the value.
    pub fn with_mut<R>(&self, f: impl FnOnce(*mut T) -> R) -> R {
        f(self.0.get())
    }
}
