//! The programs in `tests/ui/` are the Go examples of chapters 1 and 2 written in Rust.
//! Each must fail to compile with the error its `.stderr` file records; the book
//! shows both files. Regenerate the expected output after a toolchain change with
//! `TRYBUILD=overwrite cargo test -p chapters --test compile_errors` and review the diff.

#[test]
fn chapter1_shared_map_programs_do_not_compile() {
    let cases = trybuild::TestCases::new();
    cases.compile_fail("tests/ui/ch1_*.rs");
}

// ch2_racy_pair.rs (chapter 2.2) and ch2_http_rc_refcell.rs (chapter 2.5, an
// axum server, which is why axum and tokio are dev-dependencies).
#[test]
fn chapter2_racy_pair_does_not_compile() {
    let cases = trybuild::TestCases::new();
    cases.compile_fail("tests/ui/ch2_*.rs");
}
