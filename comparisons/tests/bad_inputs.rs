//! The bad-input corpus (`comparisons/testdata/bad-inputs/cases.toml`) against the three
//! tools: `mapbench`, `rust-runner` and the Go runner. Every case must exit with status 2,
//! print each expected fragment (and the input file's name), show no panic or stack trace,
//! never end on a bare `error:`, and leave its output directory byte for byte as it was.
//!
//! The runners are built here: `cargo build -p cmap-runner` (a no-op when `cargo test
//! --workspace` has just built it) and `go build ./cmd/runner` into this test's scratch
//! directory. Without `go`, the Go cases are skipped with a note, except under `CI`,
//! where a missing toolchain fails the test.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde::Deserialize;
use sha2::{Digest, Sha256};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Corpus {
    case: Vec<Case>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    name: String,
    kind: String,
    input: Option<String>,
    tool: Option<String>,
    #[serde(default)]
    args: Vec<String>,
    expect: Vec<String>,
    #[serde(default = "two")]
    status: i32,
}

fn two() -> i32 {
    2
}

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn cases_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/bad-inputs")
}

fn in_ci() -> bool {
    std::env::var_os("CI").is_some_and(|v| !v.is_empty() && v != "false" && v != "0")
}

/// The binaries the cases run.
struct Tools {
    mapbench: PathBuf,
    rust_runner: PathBuf,
    go_runner: Option<PathBuf>,
}

fn build_tools(scratch: &Path) -> Tools {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let o = Command::new(&cargo)
        .args(["build", "-q", "-p", "cmap-runner", "--bin", "rust-runner"])
        .current_dir(repo())
        .output()
        .expect("run cargo build -p cmap-runner");
    assert!(
        o.status.success(),
        "cargo build -p cmap-runner failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    // The workspace's debug target dir: beside this test's own mapbench binary.
    let mapbench = PathBuf::from(env!("CARGO_BIN_EXE_mapbench"));
    let rust_runner = mapbench.with_file_name("rust-runner");
    assert!(rust_runner.is_file(), "{} not built", rust_runner.display());

    let go_runner = scratch.join("go-runner");
    let go = Command::new("go")
        .args(["build", "-o"])
        .arg(&go_runner)
        .arg("./cmd/runner")
        .current_dir(repo().join("go-reference"))
        .output();
    let go_runner = match go {
        Ok(o) if o.status.success() => Some(go_runner),
        Ok(o) => panic!(
            "go build ./cmd/runner failed: {}",
            String::from_utf8_lossy(&o.stderr)
        ),
        Err(e) if in_ci() => {
            panic!("CI is set and `go` cannot be run ({e}): the Go cases must run")
        }
        Err(e) => {
            eprintln!("bad_inputs: `go` cannot be run ({e}); skipping the Go runner's cases");
            None
        }
    };
    Tools {
        mapbench,
        rust_runner,
        go_runner,
    }
}

/// Every file under `dir` with its SHA-256 (directories as entries too).
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, String> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            let rel = p.strip_prefix(dir).unwrap().to_path_buf();
            if p.is_dir() {
                out.insert(rel, "dir".into());
                stack.push(p);
            } else {
                let bytes = std::fs::read(&p).unwrap();
                out.insert(rel, format!("{:x}", Sha256::digest(&bytes)));
            }
        }
    }
    out
}

/// One invocation: which tool, the arguments.
struct Invocation {
    label: &'static str,
    program: PathBuf,
    args: Vec<String>,
}

fn invocations(c: &Case, tools: &Tools, out: &Path, scratch: &Path) -> Vec<Invocation> {
    let cases = cases_dir();
    let input = c
        .input
        .as_ref()
        .map(|i| cases.join(i).display().to_string());
    let out_s = out.display().to_string();
    let rust = tools.rust_runner.clone();
    let go = tools.go_runner.clone();
    let mapbench = tools.mapbench.clone();
    let runner_args = |trace: &str| -> Vec<String> {
        [
            "--trace",
            trace,
            "--map",
            "noop",
            "--out-dir",
            &out_s,
            "--run-id",
            "r",
        ]
        .map(String::from)
        .to_vec()
    };
    let mut v = Vec::new();
    let mut push = |label, program: Option<PathBuf>, args: Vec<String>| {
        if let Some(program) = program {
            v.push(Invocation {
                label,
                program,
                args,
            });
        }
    };
    let strs = |a: &[&str]| a.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    match c.kind.as_str() {
        "trace" => {
            let t = input.as_deref().expect("trace cases have an input");
            push("rust-runner", Some(rust), runner_args(t));
            push("go-runner", go, runner_args(t));
            push("mapbench", Some(mapbench), strs(&["trace-info", t]));
        }
        "workload" => {
            let w = input.as_deref().expect("workload cases have an input");
            let x = out.join("x.trace").display().to_string();
            push(
                "mapbench",
                Some(mapbench),
                strs(&["trace", "--workload", w, "--out", &x]),
            );
        }
        "suite" => {
            let s = input.as_deref().expect("suite cases have an input");
            let go = go.expect("suite cases need the Go runner (skipped above without it)");
            let cache = scratch.join("trace-cache").display().to_string();
            push(
                "mapbench",
                Some(mapbench),
                strs(&[
                    "run",
                    "--suite",
                    s,
                    "--out",
                    &out_s,
                    "--rust-runner",
                    &rust.display().to_string(),
                    "--go-runner",
                    &go.display().to_string(),
                    "--trace-cache",
                    &cache,
                ]),
            );
        }
        "results" => {
            let r = input.as_deref().expect("results cases have an input");
            push(
                "mapbench check",
                Some(mapbench.clone()),
                strs(&["check", r]),
            );
            push(
                "mapbench report",
                Some(mapbench),
                strs(&["report", r, "--out", &out_s]),
            );
        }
        "cli" => {
            let tool = c.tool.as_deref().expect("cli cases name a tool");
            let fill = |unsync: &str| -> Vec<String> {
                c.args
                    .iter()
                    .map(|a| {
                        a.replace("{cases}", &cases.display().to_string())
                            .replace("{out}", &out_s)
                            .replace(
                                "{golden}",
                                &cases.join("../golden.trace").display().to_string(),
                            )
                            .replace("{rust-runner}", &rust.display().to_string())
                            .replace(
                                "{go-runner}",
                                &go.as_ref()
                                    .map_or("go-runner".into(), |g| g.display().to_string()),
                            )
                            .replace("{unsync}", unsync)
                    })
                    .collect()
            };
            match tool {
                "mapbench" => push("mapbench", Some(mapbench), fill("")),
                "rust-runner" => push(
                    "rust-runner",
                    Some(rust.clone()),
                    fill("unsync-std-foldhash"),
                ),
                "go-runner" => push("go-runner", go.clone(), fill("unsync-map")),
                "runners" => {
                    push(
                        "rust-runner",
                        Some(rust.clone()),
                        fill("unsync-std-foldhash"),
                    );
                    push("go-runner", go.clone(), fill("unsync-map"));
                }
                other => panic!("{}: unknown tool {other:?}", c.name),
            }
        }
        other => panic!("{}: unknown kind {other:?}", c.name),
    }
    v
}

/// What is wrong with one invocation's outcome, if anything.
fn judge(
    c: &Case,
    inv: &Invocation,
    out_dir: &Path,
    before: &BTreeMap<PathBuf, String>,
) -> Vec<String> {
    let o = Command::new(&inv.program)
        .args(&inv.args)
        .current_dir(cases_dir())
        .env_remove("RUST_BACKTRACE")
        .output()
        .unwrap_or_else(|e| panic!("{}: cannot run {}: {e}", c.name, inv.program.display()));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    let mut wrong = Vec::new();
    if o.status.code() != Some(c.status) {
        wrong.push(format!(
            "exit status {:?}, expected {}",
            o.status.code(),
            c.status
        ));
    }
    let mut want: Vec<String> = c.expect.clone();
    if let Some(input) = &c.input {
        let name = Path::new(input).file_name().unwrap().to_string_lossy();
        want.push(name.into_owned());
    }
    for f in &want {
        if !text.contains(f.as_str()) {
            wrong.push(format!("output lacks {f:?}"));
        }
    }
    for banned in ["panicked", "stack backtrace", "RUST_BACKTRACE"] {
        if text.contains(banned) {
            wrong.push(format!("output contains {banned:?}"));
        }
    }
    // A Go panic's trace: `panic: ...` then `goroutine 1 [running]:` (a message may
    // mention goroutines; a trace line starts with one and its number).
    if text.lines().any(|l| {
        l.starts_with("panic: ")
            || l.strip_prefix("goroutine ")
                .is_some_and(|r| r.starts_with(|c: char| c.is_ascii_digit()))
    }) {
        wrong.push("output contains a Go panic trace".into());
    }
    if text.lines().any(|l| l.trim_end().ends_with("error:")) {
        wrong.push("a line ends with a bare `error:`".into());
    }
    let after = snapshot(out_dir);
    if &after != before {
        wrong.push(format!(
            "the output directory changed: before {before:?}, after {after:?}"
        ));
    }
    wrong
        .into_iter()
        .map(|w| {
            format!(
                "{} [{} {}]: {w}\n--- output ---\n{text}",
                c.name,
                inv.label,
                inv.args.join(" ")
            )
        })
        .collect()
}

#[test]
fn every_bad_input_exits_2_with_a_message_and_writes_nothing() {
    let text = std::fs::read_to_string(cases_dir().join("cases.toml")).unwrap();
    let corpus: Corpus = toml::from_str(&text).expect("cases.toml");
    assert!(
        corpus.case.len() >= 30,
        "the corpus has {} cases",
        corpus.case.len()
    );
    let scratch =
        Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("bad-inputs-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&scratch);
    std::fs::create_dir_all(&scratch).unwrap();
    let tools = build_tools(&scratch);

    let mut names = std::collections::BTreeSet::new();
    let mut failures = Vec::new();
    let mut ran = 0;
    for (i, c) in corpus.case.iter().enumerate() {
        assert!(names.insert(c.name.clone()), "duplicate case {}", c.name);
        assert!(
            c.expect.iter().all(|f| !f.trim().is_empty()) && !c.expect.is_empty(),
            "{}: needs message fragments",
            c.name
        );
        if let Some(input) = &c.input {
            assert!(
                cases_dir().join(input).exists(),
                "{}: no input {input}",
                c.name
            );
        }
        if c.kind == "suite" && tools.go_runner.is_none() {
            continue;
        }
        let out = scratch.join(format!("out-{i}"));
        std::fs::create_dir_all(&out).unwrap();
        std::fs::write(
            out.join("keep.txt"),
            format!("written before case {}\n", c.name),
        )
        .unwrap();
        let before = snapshot(&out);
        for inv in invocations(c, &tools, &out, &scratch) {
            failures.extend(judge(c, &inv, &out, &before));
            ran += 1;
        }
    }
    eprintln!("bad_inputs: {} cases, {ran} invocations", corpus.case.len());
    assert!(
        failures.is_empty(),
        "{} of {ran} invocations misbehaved:\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
    std::fs::remove_dir_all(&scratch).unwrap();
}
