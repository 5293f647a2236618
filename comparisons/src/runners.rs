//! The two runner binaries (`comparisons/RUNNER-SPEC.md`): where they are, how they are
//! built, what maps they offer, and the exact command line of one run.
//!
//! By default `mapbench` builds both in release mode:
//!
//! * Rust: `cargo build --release -p cmap-runner` in the workspace → `<target>/release/rust-runner`
//! * Go: `go build -o <target>/release/go-runner ./cmd/runner` in `go-reference/`
//!
//! `--rust-runner PATH` / `--go-runner PATH` (or `MAPBENCH_RUST_RUNNER` /
//! `MAPBENCH_GO_RUNNER`) use a given binary instead and build nothing for that side;
//! the tests point them at a fake runner.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use serde_json::Value;

use crate::manifest::RunnerRecord;
use crate::results::Lang;
use crate::suite::RunnerSettings;

/// The repository root (the parent of `comparisons/`).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("comparisons/ has a parent")
        .to_path_buf()
}

/// Cargo's target directory: `CARGO_TARGET_DIR`, else `<repo>/target`.
pub fn target_dir(repo: &Path) -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(d) if Path::new(&d).is_absolute() => PathBuf::from(d),
        Some(d) => repo.join(d),
        None => repo.join("target"),
    }
}

/// One map a runner offers: its `--list-maps` line.
#[derive(Debug, Clone, PartialEq)]
pub struct MapEntry {
    pub name: String,
    /// The most threads it may be driven by (`max_threads`, or Go's `max_goroutines`;
    /// absent, null or 0 = no limit).
    pub max_threads: Option<u32>,
    /// The key/value combinations it comes in (`kinds`: `"u64/u64"`, `"string/boxed"`...);
    /// `None` when the line has no `kinds` (an older runner): every combination is tried.
    pub kinds: Option<Vec<String>>,
    /// The whole line, as printed.
    pub info: Value,
}

/// Why a runner could not be provided. A missing toolchain is the user's to fix (exit 2);
/// a failed build or a broken `--list-maps` is a failure (exit 1).
#[derive(Debug, thiserror::Error)]
pub enum RunnerError {
    #[error(
        "{lang} runner: `{program}` not found on PATH ({what}); install it, pass --{lang}-runner PATH, or run one side with --only-lang {other}"
    )]
    MissingToolchain {
        lang: Lang,
        program: String,
        what: &'static str,
        other: Lang,
    },
    #[error("{}: no such runner binary (from --{lang}-runner or MAPBENCH_{}_RUNNER)", path.display(), lang.name().to_uppercase())]
    MissingBinary { lang: Lang, path: PathBuf },
    #[error("{lang} runner: build failed: `{command}` in {} exited with {status}{hint}", cwd.display())]
    BuildFailed {
        lang: Lang,
        command: String,
        cwd: PathBuf,
        status: String,
        hint: String,
    },
    #[error("{}: --list-maps: {message}", path.display())]
    ListMaps { path: PathBuf, message: String },
}

impl RunnerError {
    /// Exit status 2 (bad input or environment) rather than 1.
    pub fn is_bad_input(&self) -> bool {
        matches!(
            self,
            RunnerError::MissingToolchain { .. } | RunnerError::MissingBinary { .. }
        )
    }
}

/// A runner ready to use.
#[derive(Debug, Clone)]
pub struct Runner {
    pub lang: Lang,
    pub path: PathBuf,
    pub maps: Vec<MapEntry>,
    pub record: RunnerRecord,
}

/// How to get one side's runner.
#[derive(Debug, Clone)]
pub struct RunnerSource {
    pub lang: Lang,
    /// A given binary: nothing is built.
    pub given: Option<PathBuf>,
}

fn command_line(program: &str, args: &[&str]) -> Vec<String> {
    std::iter::once(program)
        .chain(args.iter().copied())
        .map(str::to_owned)
        .collect()
}

/// Builds (unless given) and lists one runner's maps. Build output goes to stderr.
pub fn prepare(source: &RunnerSource, repo: &Path) -> Result<Runner, RunnerError> {
    let lang = source.lang;
    let toolchain = match lang {
        Lang::Rust => crate::host::tool_version("rustc", &["-V"]),
        Lang::Go => crate::host::tool_version("go", &["version"]),
    };
    let (path, build_command, build_cwd, build_seconds) = match &source.given {
        Some(p) => {
            if !p.is_file() {
                return Err(RunnerError::MissingBinary {
                    lang,
                    path: p.clone(),
                });
            }
            (p.clone(), None, None, None)
        }
        None => {
            let target = target_dir(repo).join("release");
            let (program, args, cwd, out, what, hint): (
                String,
                Vec<String>,
                PathBuf,
                PathBuf,
                _,
                _,
            ) = match lang {
                Lang::Rust => (
                    std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()),
                    ["build", "--release", "-p", "cmap-runner"]
                        .map(str::to_owned)
                        .to_vec(),
                    repo.to_path_buf(),
                    target.join("rust-runner"),
                    "Rust toolchain, to build rust-impl/runner",
                    " (is rust-impl/runner a member of the workspace's Cargo.toml?)",
                ),
                Lang::Go => {
                    let out = target.join("go-runner");
                    (
                        "go".to_owned(),
                        vec![
                            "build".into(),
                            "-o".into(),
                            out.display().to_string(),
                            "./cmd/runner".into(),
                        ],
                        repo.join("go-reference"),
                        out,
                        "Go toolchain, to build go-reference/cmd/runner",
                        " (does go-reference/cmd/runner exist?)",
                    )
                }
            };
            let started = Instant::now();
            let status = Command::new(&program)
                .args(&args)
                .current_dir(&cwd)
                .stdin(Stdio::null())
                .stdout(Stdio::inherit())
                .stderr(Stdio::inherit())
                .status();
            let arg_refs: Vec<&str> = args.iter().map(String::as_str).collect();
            let cmd = command_line(&program, &arg_refs);
            match status {
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    return Err(RunnerError::MissingToolchain {
                        lang,
                        program,
                        what,
                        other: lang.other(),
                    });
                }
                Err(e) => {
                    return Err(RunnerError::BuildFailed {
                        lang,
                        command: cmd.join(" "),
                        cwd,
                        status: e.to_string(),
                        hint: String::new(),
                    });
                }
                Ok(s) if !s.success() => {
                    return Err(RunnerError::BuildFailed {
                        lang,
                        command: cmd.join(" "),
                        cwd,
                        status: s.to_string(),
                        hint: hint.to_owned(),
                    });
                }
                Ok(_) => {}
            }
            (
                out,
                Some(cmd),
                Some(cwd.display().to_string()),
                Some(started.elapsed().as_secs_f64()),
            )
        }
    };
    let maps = list_maps(&path)?;
    Ok(Runner {
        lang,
        record: RunnerRecord {
            path: path.display().to_string(),
            build_command,
            build_cwd,
            build_seconds,
            toolchain,
            maps: maps.iter().map(|m| m.info.clone()).collect(),
        },
        path,
        maps,
    })
}

/// Runs `PATH --list-maps` and parses its JSON lines.
pub fn list_maps(path: &Path) -> Result<Vec<MapEntry>, RunnerError> {
    let err = |message: String| RunnerError::ListMaps {
        path: path.to_path_buf(),
        message,
    };
    let out = Command::new(path)
        .arg("--list-maps")
        .stdin(Stdio::null())
        .output()
        .map_err(|e| err(format!("cannot run: {e}")))?;
    if !out.status.success() {
        return Err(err(format!(
            "exited with {}: {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    parse_list_maps(&String::from_utf8_lossy(&out.stdout)).map_err(err)
}

/// Parses `--list-maps` output: one JSON object per line with at least `name`.
pub fn parse_list_maps(text: &str) -> Result<Vec<MapEntry>, String> {
    let mut maps = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let info: Value = serde_json::from_str(line)
            .map_err(|e| format!("line {}: not a JSON object: {e}", i + 1))?;
        let name = info
            .get("name")
            .and_then(Value::as_str)
            .ok_or_else(|| format!("line {}: expected a string field `name`", i + 1))?
            .to_owned();
        let limit = ["max_threads", "max_goroutines", "MaxGoroutines"]
            .iter()
            .find_map(|k| info.get(*k))
            .and_then(Value::as_u64)
            .filter(|&n| n > 0)
            .map(|n| u32::try_from(n).unwrap_or(u32::MAX));
        let kinds = match info.get("kinds") {
            None | Some(Value::Null) => None,
            Some(Value::Array(items)) => Some(
                items
                    .iter()
                    .map(|k| {
                        k.as_str().map(str::to_owned).ok_or_else(|| {
                            format!(
                                "line {}: map {name:?}: expected `kinds` to be a list of \"KEY/VALUE\" strings, found {k}",
                                i + 1
                            )
                        })
                    })
                    .collect::<Result<Vec<_>, _>>()?,
            ),
            Some(other) => {
                return Err(format!(
                    "line {}: map {name:?}: expected `kinds` to be a list of \"KEY/VALUE\" strings, found {other}",
                    i + 1
                ));
            }
        };
        if maps.iter().any(|m: &MapEntry| m.name == name) {
            return Err(format!("line {}: map {name:?} listed twice", i + 1));
        }
        maps.push(MapEntry {
            name,
            max_threads: limit,
            kinds,
            info,
        });
    }
    if maps.is_empty() {
        return Err("no maps listed".into());
    }
    Ok(maps)
}

/// The spec's flags for one run, every one spelled out so the command line in the
/// manifest is the whole story.
pub fn run_args(
    trace: &Path,
    map: &str,
    out_dir: &Path,
    run_id: &str,
    settings: &RunnerSettings,
) -> Vec<String> {
    vec![
        "--trace".into(),
        trace.display().to_string(),
        "--map".into(),
        map.into(),
        "--out-dir".into(),
        out_dir.display().to_string(),
        "--run-id".into(),
        run_id.into(),
        "--interval-ms".into(),
        settings.interval_ms.to_string(),
        "--latency-sample-every".into(),
        settings.latency_sample_every.to_string(),
        "--duration-ms".into(),
        settings.duration_ms.to_string(),
        "--warmup-ops".into(),
        settings.warmup_ops.to_string(),
        "--op-delay-ns".into(),
        settings.op_delay_ns.to_string(),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_maps_lines_parse_with_thread_limits() {
        let text = r#"{"name":"unsync-map","package":"builtin","version":"go1.26.8","max_goroutines":1}
{"name":"mutex-map","package":"builtin","max_goroutines":0}

{"name":"dashmap-foldhash","crate":"dashmap","max_threads":null}
"#;
        let maps = parse_list_maps(text).unwrap();
        assert_eq!(maps.len(), 3);
        assert_eq!(maps[0].max_threads, Some(1));
        assert_eq!(maps[1].max_threads, None);
        assert_eq!(maps[2].max_threads, None);
        assert_eq!(maps[2].info["crate"], "dashmap");
        assert_eq!(
            maps[0].kinds, None,
            "no `kinds`: every combination is tried"
        );
        let with_kinds = parse_list_maps(
            r#"{"name":"g","kinds":["u64/u64"]}
{"name":"h","kinds":["u64/u64","string/boxed"]}"#,
        )
        .unwrap();
        assert_eq!(
            with_kinds[0].kinds.as_deref(),
            Some(&["u64/u64".to_owned()][..])
        );
        assert_eq!(with_kinds[1].kinds.as_ref().map(Vec::len), Some(2));
        assert!(
            parse_list_maps(r#"{"name":"g","kinds":"u64/u64"}"#)
                .unwrap_err()
                .contains("line 1: map \"g\": expected `kinds` to be a list")
        );
        assert!(
            parse_list_maps("{\"crate\":\"x\"}")
                .unwrap_err()
                .contains("line 1: expected a string field `name`")
        );
        assert!(parse_list_maps("").unwrap_err().contains("no maps"));
        assert!(
            parse_list_maps("nope")
                .unwrap_err()
                .contains("line 1: not a JSON object")
        );
    }

    #[test]
    fn run_args_spell_out_every_flag() {
        let a = run_args(
            Path::new("/t/x.trace"),
            "sync-map",
            Path::new("/out"),
            "q-go-sync-map-x-t2-r1",
            &RunnerSettings::default(),
        );
        assert_eq!(
            a.join(" "),
            "--trace /t/x.trace --map sync-map --out-dir /out --run-id q-go-sync-map-x-t2-r1 \
             --interval-ms 100 --latency-sample-every 1024 --duration-ms 0 --warmup-ops 0 --op-delay-ns 0"
        );
    }
}
