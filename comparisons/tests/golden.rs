//! The golden trace in `comparisons/testdata/`: the generator must reproduce it byte for
//! byte, and it must decode to the committed summary (which the Go reader's tests check
//! too). After an intended change to the generator or the format, regenerate with
//! `MAPBENCH_BLESS=1 cargo test -p mapbench --test golden` and say why in the commit.

use std::path::{Path, PathBuf};

use mapbench::trace::{self, Trace};
use mapbench::workload::{self, Overrides};

fn testdata() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata")
}

fn summary_json(t: &Trace) -> String {
    serde_json::to_string_pretty(&t.info()).unwrap() + "\n"
}

#[test]
fn golden_trace_is_reproduced_and_decodes_to_its_summary() {
    check_golden("golden");
}

/// The same ops with string keys and boxed values (a version-2 header). Its summary
/// carries `key_strings_sha256`, which the Go reader's tests recompute from their own
/// key strings: the keys are byte-identical across the two languages.
#[test]
fn golden_string_trace_is_reproduced_and_pins_the_key_bytes() {
    check_golden("golden-string");
    let t = Trace::open(&testdata().join("golden-string.trace")).unwrap();
    let h = t.header();
    assert_eq!(h.version, 2);
    assert_eq!(h.key_type, mapbench::workload::KeyType::String);
    assert_eq!(h.value_kind, mapbench::workload::ValueKind::Boxed);
    let keys = trace::KeyStrings::build(h.key_id_bound);
    assert_eq!(
        t.summary().key_strings_sha256.as_deref(),
        Some(keys.sha256().as_str())
    );
    // Same ops as the u64 golden trace.
    let plain = Trace::open(&testdata().join("golden.trace")).unwrap();
    assert_eq!(t.summary().checksum, plain.summary().checksum);
}

fn check_golden(stem: &str) {
    let dir = testdata();
    let spec = workload::load(&dir.join(format!("{stem}.toml")), Overrides::default()).unwrap();
    let trace_path = dir.join(format!("{stem}.trace"));
    let summary_path = dir.join(format!("{stem}.summary.json"));

    if std::env::var_os("MAPBENCH_BLESS").is_some() {
        trace::write_trace_file(&spec, &trace_path).unwrap();
        let t = Trace::open(&trace_path).unwrap();
        std::fs::write(&summary_path, summary_json(&t)).unwrap();
        eprintln!("blessed {}", trace_path.display());
    }

    // 1. Deterministic generator: regenerating gives the committed bytes.
    let regenerated = trace::generate(&spec);
    let committed = std::fs::read(&trace_path).unwrap();
    assert!(
        regenerated == committed,
        "the generator no longer reproduces {} ({} vs {} bytes); if intended, re-bless",
        trace_path.display(),
        regenerated.len(),
        committed.len()
    );

    // 2. The checksum file matches, in sha256sum format.
    let sha = trace::sha256_hex(&committed);
    let sidecar = std::fs::read_to_string(trace::sha256_path(&trace_path)).unwrap();
    assert_eq!(sidecar, format!("{sha}  {stem}.trace\n"));

    // 3. It decodes to the committed header, counts and checksums.
    let t = Trace::open(&trace_path).unwrap();
    let expected = std::fs::read_to_string(&summary_path).unwrap();
    assert_eq!(summary_json(&t), expected);

    // 4. And it is the small mixed trace the Go tests rely on.
    let s = t.summary();
    assert_eq!(s.threads.len(), 2);
    for th in &s.threads {
        assert_eq!(th.get + th.insert + th.update + th.remove, 1000);
        assert!(th.get > 0 && th.insert > 0 && th.update > 0 && th.remove > 0);
    }
}
