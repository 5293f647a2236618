//! loom's types under `--cfg loom`, std's otherwise, so the same code is both run and
//! model-checked; `UnsafeCell` (loom's API over std's cell) comes from `loom-cell`.

#[cfg(loom)]
pub(crate) use loom::sync::{
    Mutex,
    atomic::{AtomicBool, Ordering},
};

#[cfg(not(loom))]
pub(crate) use std::sync::{
    Mutex,
    atomic::{AtomicBool, Ordering},
};

pub(crate) use loom_cell::UnsafeCell;
