//! Property tests of the two parsers a user feeds by hand: the trace reader (header and
//! body) and the workload spec. Whatever the bytes, each returns a value or an error that
//! names the file; neither panics. The runs are bounded (256 cases per property) and
//! deterministic (a fixed ChaCha seed, no regression files), so `cargo test` always runs
//! the same cases; set `PROPTEST_CASES` for a longer search.

use std::path::Path;

use mapbench::trace::Trace;
use mapbench::workload::{self, Overrides};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};

fn runner() -> TestRunner {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(256);
    let config = Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    };
    TestRunner::new_with_rng(config, TestRng::deterministic_rng(RngAlgorithm::ChaCha))
}

fn tiny_trace() -> Vec<u8> {
    std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/bad-inputs/tiny.trace"))
        .unwrap()
}

/// Opens `bytes` as a trace: an accepted trace must be walkable end to end, a rejected one
/// must say which file.
fn open_never_panics(bytes: &[u8]) -> Result<(), TestCaseError> {
    match Trace::from_bytes(bytes, "fuzz.trace") {
        Ok(t) => {
            let _ = t.summary();
        }
        Err(e) => {
            let msg = e.to_string();
            prop_assert!(msg.starts_with("fuzz.trace: "), "{msg}");
        }
    }
    Ok(())
}

/// Values that sit on or beside the header's range limits, and anything else.
fn edge_u64() -> impl Strategy<Value = u64> {
    prop_oneof![
        prop::sample::select(vec![
            0u64,
            1,
            2,
            7,
            8,
            96,
            1023,
            1024,
            1025,
            u64::from(u32::MAX),
            1 << 32,
            (1 << 32) + 1,
            (1 << 62) - 1,
            1 << 62,
            (1 << 62) + 1,
            u64::MAX,
        ]),
        any::<u64>(),
    ]
}

#[test]
fn the_trace_reader_never_panics_on_arbitrary_bytes() {
    runner()
        .run(&prop::collection::vec(any::<u8>(), 0..400), |b| {
            open_never_panics(&b)
        })
        .unwrap();
}

#[test]
fn the_trace_reader_never_panics_on_a_damaged_trace() {
    let base = tiny_trace();
    let len = base.len();
    let patches = prop::collection::vec((0..len, any::<u8>()), 0..6);
    runner()
        .run(&(patches, 0..=len + 16), |(patches, cut)| {
            let mut b = base.clone();
            for (at, v) in patches {
                b[at] = v;
            }
            b.resize(cut, 0);
            open_never_panics(&b)
        })
        .unwrap();
}

#[test]
fn the_trace_header_parser_never_panics_on_any_field_values() {
    let base = tiny_trace();
    // (offset, width) of every numeric header field; the magic stays, so each case gets
    // past the first check and exercises the field checks.
    const FIELDS: [(usize, usize); 14] = [
        (8, 4),
        (12, 4),
        (16, 8),
        (24, 8),
        (32, 4),
        (36, 4),
        (40, 8),
        (48, 8),
        (64, 8),
        (72, 1),
        (73, 3),
        (76, 4),
        (80, 8),
        (88, 8),
    ];
    let values = prop::collection::vec((0..FIELDS.len(), edge_u64()), 1..5);
    runner()
        .run(&(values, any::<bool>()), |(values, fix_len)| {
            let mut b = base.clone();
            for (field, v) in values {
                let (at, width) = FIELDS[field];
                b[at..at + width].copy_from_slice(&v.to_le_bytes()[..width]);
            }
            if fix_len {
                // Make the size agree with the header where it can, so the body checks
                // run on the new counts too.
                let word = |at: usize, w: usize| {
                    let mut x = [0u8; 8];
                    x[..w].copy_from_slice(&b[at..at + w]);
                    u64::from_le_bytes(x)
                };
                let want = word(12, 4)
                    .checked_add(word(48, 8).saturating_mul(8))
                    .and_then(|n| {
                        n.checked_add(word(32, 4).saturating_mul(word(40, 8)).saturating_mul(8))
                    });
                if let Some(want) = want.filter(|&n| n <= 1 << 16) {
                    b.resize(want as usize, 0);
                }
            }
            open_never_panics(&b)
        })
        .unwrap();
}

/// A field of a workload spec: a name (real or not) and a TOML value of any type.
fn spec_line() -> impl Strategy<Value = String> {
    let names = prop::sample::select(vec![
        "name",
        "description",
        "key_space",
        "prefill_fraction",
        "prefill_count",
        "presize",
        "threads",
        "ops_per_thread",
        "seed",
        "get",
        "insert",
        "update",
        "remove",
        "kind",
        "theta",
        "scrambled",
        "hot_op_fraction",
        "hot_key_fraction",
        "extra",
    ]);
    let values = prop_oneof![
        edge_u64().prop_map(|v| v.to_string()),
        any::<i64>().prop_map(|v| v.to_string()),
        prop::sample::select(vec![
            "0.0", "0.5", "0.99", "1.0", "1.5", "-0.1", "nan", "inf", "-inf", "1e308", "33.333",
            "100", "-1", "true", "false", "[]", "[1, 2]", "{}",
        ])
        .prop_map(String::from),
        prop::sample::select(vec![
            "\"uniform\"",
            "\"zipf\"",
            "\"hotspot\"",
            "\"latest\"",
            "\"x\"",
            "\"\"",
            "\"read-heavy\"",
            "\"a b/c\"",
        ])
        .prop_map(String::from),
    ];
    (names, values).prop_map(|(n, v)| format!("{n} = {v}"))
}

fn spec_text() -> impl Strategy<Value = String> {
    let section = prop::sample::select(vec!["", "[mix]", "[distribution]", "[other]"]);
    prop::collection::vec((section, prop::collection::vec(spec_line(), 0..6)), 1..4).prop_map(
        |parts| {
            let mut text = String::new();
            for (header, lines) in parts {
                text.push_str(header);
                text.push('\n');
                for l in lines {
                    text.push_str(&l);
                    text.push('\n');
                }
            }
            text
        },
    )
}

fn parse_never_panics(text: &str, overrides: Overrides) -> Result<(), TestCaseError> {
    if let Err(e) = workload::parse(text, Path::new("fuzz.toml"), overrides) {
        let msg = e.to_string();
        prop_assert!(msg.contains("fuzz.toml"), "{msg}");
    }
    Ok(())
}

#[test]
fn the_workload_parser_never_panics_on_any_fields() {
    let overrides = (
        prop::option::of(any::<u32>()),
        prop::option::of(edge_u64()),
        prop::option::of(any::<u64>()),
    );
    runner()
        .run(&(spec_text(), overrides), |(text, (threads, ops, seed))| {
            parse_never_panics(
                &text,
                Overrides {
                    threads,
                    ops_per_thread: ops,
                    seed,
                },
            )
        })
        .unwrap();
}

#[test]
fn the_workload_parser_never_panics_on_a_damaged_spec() {
    let base = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/bad-inputs/tiny.toml"),
    )
    .unwrap();
    let lines: Vec<String> = base.lines().map(String::from).collect();
    let n = lines.len();
    // Drop, duplicate or replace lines of a valid spec, and cut it anywhere.
    let edits = prop::collection::vec((0..n, 0..3u8, spec_line()), 0..5);
    runner()
        .run(&(edits, 0..=base.len()), |(edits, cut)| {
            let mut ls = lines.clone();
            for (at, op, line) in edits {
                let at = at.min(ls.len().saturating_sub(1));
                match op {
                    0 if !ls.is_empty() => {
                        ls.remove(at);
                    }
                    1 if !ls.is_empty() => {
                        let l = ls[at].clone();
                        ls.insert(at, l);
                    }
                    _ if !ls.is_empty() => ls[at] = line,
                    _ => ls.push(line),
                }
            }
            let mut text = ls.join("\n");
            let cut = (0..=cut.min(text.len()))
                .rev()
                .find(|&c| text.is_char_boundary(c))
                .unwrap_or(0);
            text.truncate(cut);
            parse_never_panics(&text, Overrides::default())
        })
        .unwrap();
}

#[test]
fn the_workload_parser_never_panics_on_arbitrary_text() {
    runner()
        .run(&".{0,300}", |text| {
            parse_never_panics(&text, Overrides::default())
        })
        .unwrap();
}
