//! Exposes the resolved version of every dependency whose name ends up in a
//! `MapInfo`, read from the workspace `Cargo.lock`, as compile-time env vars:
//!
//! - `CMAP_VERSION_<DEP>` for each direct dependency of `cmap-maps`
//!   (`<DEP>` upper-cased, `-` → `_`), e.g. `CMAP_VERSION_DASHMAP=6.2.1`;
//! - `CMAP_VERSION_<PARENT>_<DEP>` for the indirect dependencies that the
//!   notes name (flurry's ahash and seize, papaya's seize, scc's sdd, evmap's
//!   left-right), e.g. `CMAP_VERSION_FLURRY_AHASH=0.8.12`;
//! - `CMAP_RUSTC_VERSION`: the compiler's version (the "version" of `std`).
//!
//! The lock file is parsed by hand (its format is line-oriented and stable) to
//! keep this build script free of dependencies.

use std::env;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

/// One `[[package]]` table of Cargo.lock.
struct LockedPackage {
    name: String,
    version: String,
    /// Entries as written: `"name"` or `"name version"` (or with a source).
    dependencies: Vec<String>,
}

fn main() {
    let manifest_dir = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let lock_path = manifest_dir.join("../../Cargo.lock");
    println!("cargo::rerun-if-changed={}", lock_path.display());
    println!("cargo::rerun-if-changed=build.rs");

    let text = fs::read_to_string(&lock_path).unwrap_or_else(|e| {
        panic!(
            "cmap-maps build.rs: cannot read the workspace lock file {}: {e}",
            lock_path.display()
        )
    });
    let packages = parse_lock(&text);
    let me = env::var("CARGO_PKG_NAME").expect("set by cargo");

    let this = find_unique(&packages, &me, &lock_path);
    for entry in &this.dependencies {
        let dep = entry.split_whitespace().next().unwrap_or_default();
        let version = resolve(&packages, &me, dep, &lock_path);
        println!("cargo::rustc-env=CMAP_VERSION_{}={version}", env_key(dep));
    }
    // Indirect dependencies that a MapInfo names: the hasher flurry uses by
    // default, and the reclamation crates under the epoch-based maps.
    for (parent, dep) in [
        ("flurry", "ahash"),
        ("flurry", "seize"),
        ("papaya", "seize"),
        ("scc", "sdd"),
        ("evmap", "left-right"),
    ] {
        let version = resolve(&packages, parent, dep, &lock_path);
        println!(
            "cargo::rustc-env=CMAP_VERSION_{}_{}={version}",
            env_key(parent),
            env_key(dep)
        );
    }

    let rustc = env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    let output = Command::new(&rustc)
        .arg("--version")
        .output()
        .expect("cmap-maps build.rs: cannot run `rustc --version`");
    // "rustc 1.95.0 (59807616e 2026-04-14)" -> "1.95.0"
    let stdout = String::from_utf8_lossy(&output.stdout);
    let rustc_version = stdout
        .split_whitespace()
        .nth(1)
        .unwrap_or_else(|| panic!("cmap-maps build.rs: unexpected `rustc --version`: {stdout}"));
    println!("cargo::rustc-env=CMAP_RUSTC_VERSION={rustc_version}");
}

fn env_key(crate_name: &str) -> String {
    crate_name.to_ascii_uppercase().replace('-', "_")
}

/// The version of `dep` as depended on by `parent`.
fn resolve(packages: &[LockedPackage], parent: &str, dep: &str, lock: &Path) -> String {
    let parent_pkg = find_unique(packages, parent, lock);
    let entry = parent_pkg
        .dependencies
        .iter()
        .find(|e| e.split_whitespace().next() == Some(dep))
        .unwrap_or_else(|| {
            panic!(
                "cmap-maps build.rs: {}: package `{parent}` has no dependency `{dep}`",
                lock.display()
            )
        });
    // Cargo writes the version only when several versions of `dep` are locked.
    match entry.split_whitespace().nth(1) {
        Some(version) => version.to_owned(),
        None => find_unique(packages, dep, lock).version.clone(),
    }
}

fn find_unique<'p>(packages: &'p [LockedPackage], name: &str, lock: &Path) -> &'p LockedPackage {
    let mut matches = packages.iter().filter(|p| p.name == name);
    let first = matches.next().unwrap_or_else(|| {
        panic!(
            "cmap-maps build.rs: {}: no package `{name}`",
            lock.display()
        )
    });
    assert!(
        matches.next().is_none(),
        "cmap-maps build.rs: {}: several versions of `{name}` and no version to choose by",
        lock.display()
    );
    first
}

fn parse_lock(text: &str) -> Vec<LockedPackage> {
    let mut packages = Vec::new();
    for table in text.split("[[package]]").skip(1) {
        let mut package = LockedPackage {
            name: String::new(),
            version: String::new(),
            dependencies: Vec::new(),
        };
        let mut in_deps = false;
        for line in table.lines().map(str::trim) {
            if in_deps {
                if line.starts_with(']') {
                    in_deps = false;
                } else {
                    package
                        .dependencies
                        .push(unquote(line.trim_end_matches(',')));
                }
            } else if let Some(rest) = line.strip_prefix("name = ") {
                package.name = unquote(rest);
            } else if let Some(rest) = line.strip_prefix("version = ") {
                package.version = unquote(rest);
            } else if let Some(rest) = line.strip_prefix("dependencies = [") {
                // Cargo writes one entry per line; accept an inline list too.
                if let Some(inline) = rest.strip_suffix(']') {
                    package.dependencies.extend(
                        inline
                            .split(',')
                            .map(str::trim)
                            .filter(|s| !s.is_empty())
                            .map(unquote),
                    );
                } else {
                    in_deps = true;
                }
            } else if line.starts_with('[') {
                break; // a following non-package table, e.g. [metadata]
            }
        }
        packages.push(package);
    }
    packages
}

fn unquote(s: &str) -> String {
    s.trim().trim_matches('"').to_owned()
}
