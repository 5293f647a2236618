//! Every chapter example takes its command line from clap: its own `Cli`
//! (whose tests call `chapters::cli::assert_cli`, so `--help` exits 0 and an
//! unknown flag exits 2 naming it) or `chapters::out::dir_from_args` (the
//! `--out DIR` convention, tested in the library). This test fails when an
//! example goes back to reading `std::env::args` by hand, or declares a `Cli`
//! without the test.

use std::path::Path;

#[test]
fn every_example_parses_its_command_line_with_clap() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "rs") {
            continue;
        }
        seen += 1;
        let src = std::fs::read_to_string(&path).unwrap();
        let name = path.file_name().unwrap().to_string_lossy();
        assert!(
            !src.contains("std::env::args()"),
            "{name}: parses std::env::args by hand; declare a clap Cli"
        );
        let own = src.contains("clap::Parser") && src.contains("chapters::cli::assert_cli::<");
        let out_only = src.contains("chapters::out::dir_from_args(");
        assert!(
            own || out_only,
            "{name}: want a clap Cli tested with chapters::cli::assert_cli, or chapters::out::dir_from_args"
        );
    }
    assert!(
        seen >= 12,
        "found only {seen} examples in {}",
        dir.display()
    );
}
