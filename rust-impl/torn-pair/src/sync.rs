//! loom's types under `--cfg loom`, std's otherwise, so the same code is both run and
//! model-checked; `UnsafeCell` (loom's API over std's cell) comes from `loom-cell`.

#[cfg(loom)]
pub(crate) use loom::{
    hint::spin_loop,
    sync::{
        Mutex,
        atomic::{AtomicU64, Ordering, fence},
    },
};

#[cfg(not(loom))]
pub(crate) use std::{
    hint::spin_loop,
    sync::{
        Mutex,
        atomic::{AtomicU64, Ordering, fence},
    },
};

pub(crate) use loom_cell::UnsafeCell;
