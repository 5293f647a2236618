//! Records, as compile-time env vars, what `run_start` reports about the build:
//!
//! - `RUNNER_RUSTC_VERSION`: the output of `rustc --version` (the compiler cargo uses, `$RUSTC`),
//!   e.g. `rustc 1.95.0 (59807616e 2026-04-14)`;
//! - `RUNNER_PROFILE`: cargo's profile family, `release` or `debug`;
//! - `RUNNER_OPT_LEVEL`: the optimisation level (`0`..`3`, `s`, `z`).

use std::env;
use std::process::Command;

fn main() {
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rerun-if-env-changed=RUSTC");
    let rustc = env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    let out = Command::new(&rustc)
        .arg("--version")
        .output()
        .unwrap_or_else(|e| panic!("cmap-runner build.rs: cannot run `{rustc:?} --version`: {e}"));
    assert!(
        out.status.success(),
        "cmap-runner build.rs: `{rustc:?} --version` failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let version = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    println!("cargo::rustc-env=RUNNER_RUSTC_VERSION={version}");
    let profile = env::var("PROFILE").expect("set by cargo");
    println!("cargo::rustc-env=RUNNER_PROFILE={profile}");
    let opt_level = env::var("OPT_LEVEL").expect("set by cargo");
    println!("cargo::rustc-env=RUNNER_OPT_LEVEL={opt_level}");
}
