//! Writes the cross-language HDR fixture (see `cmap_runner::fixture`):
//!
//! ```sh
//! cargo run -p cmap-runner --example write_hdr_fixture
//! ```
//!
//! → `comparisons/testdata/hdr/rust-interval.hlog` and `rust-interval.expected.json`.

use std::fs;
use std::path::PathBuf;

use cmap_runner::fixture::{fixture_expected, fixture_log};

fn main() -> std::io::Result<()> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../comparisons/testdata/hdr");
    fs::create_dir_all(&dir)?;
    let dir = dir.canonicalize()?;
    let log = dir.join("rust-interval.hlog");
    let expected = dir.join("rust-interval.expected.json");
    fs::write(&log, fixture_log())?;
    let mut json = serde_json::to_string_pretty(&fixture_expected()).expect("serializable");
    json.push('\n');
    fs::write(&expected, json)?;
    println!("wrote {} and {}", log.display(), expected.display());
    Ok(())
}
