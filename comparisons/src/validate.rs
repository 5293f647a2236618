//! `mapbench validate --out DIR`: does the harness measure what we think it measures?
//!
//! Three checks, run with both runners and written to `DIR/validation.json` and
//! `DIR/validation.md` (the runs themselves go to `DIR/runs/`, a results directory that
//! `mapbench check` reads):
//!
//! 1. **Harness overhead per op**: the `noop` map, one thread, `get-sweep-100`. What a
//!    run costs per op before any map is touched (trace decoding, counters, interval
//!    clock reads, one timed op in 1024, the default).
//! 2. **Runner vs micro-benchmark**, for one op (get on a prefilled map, one thread):
//!    the runner's ns/op against the same op timed by the language's own benchmark tool.
//!    Go: `go test -run '^$' -bench '^BenchmarkGet$/^mutex-map$' ./maps` in
//!    `go-reference` (`BenchmarkGet` gets from a `mutex-map` prefilled with 65,536 keys,
//!    every get a hit, keys cycled in order). Rust: the criterion estimate
//!    `target/criterion/get_prefilled_64k/mutex-std-foldhash/new/estimates.json`, from
//!    the criterion bench `rust-impl/maps/benches/get_prefilled.rs`. The runner side replays `get-prefilled-64k`, a workload built
//!    here to match: 65,536 keys, all prefilled, 100 % gets, uniform order. A ratio
//!    within 0.9–1.1 says the runner adds little beyond the op itself.
//! 3. **Scaling efficiency** per map: read-only (`get-sweep-100`) throughput at 2
//!    threads ÷ (2 × the unsynchronised map's single-thread throughput:
//!    `unsync-std-foldhash` in Rust, `unsync-map` in Go). 1.0 is perfect scaling from the
//!    best a single thread can do.
//!
//! Every figure is the median over `--repeats` runs.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context as _, anyhow};
use serde::Serialize;
use serde_json::{Value, json};

use crate::check::median;
use crate::host::{GitInfo, Host};
use crate::manifest::SuiteRef;
use crate::orchestrate::{self, ExecConfig, ExecOutcome, Failure, Plan};
use crate::results::{self, Lang, RunFile};
use crate::runners;
use crate::suite::{Cell, NOOP_MAP, RunnerSettings, order_runs};
use crate::workload::{Distribution, Mix, Overrides, Workload};

/// The map each side's micro-benchmark measures (they are each other's counterpart).
pub const MICRO_MAP_GO: &str = "mutex-map";
pub const MICRO_MAP_RUST: &str = "mutex-std-foldhash";
/// The single-thread ceiling scaling is measured against.
pub const BASELINE_GO: &str = "unsync-map";
pub const BASELINE_RUST: &str = "unsync-std-foldhash";
/// The read-only workload of checks 1 and 3.
pub const READ_ONLY_WORKLOAD: &str = "get-sweep-100";
/// Keys in the micro-benchmarks' maps (go-reference/maps/bench_test.go: benchKeys).
pub const MICRO_KEYS: u64 = 1 << 16;
/// The criterion benchmark id the Rust side reads.
pub const CRITERION_ID: &str = "get_prefilled_64k/mutex-std-foldhash";
/// The Go benchmark: `-bench` splits on `/` and matches each part unanchored, so the
/// anchors keep `BenchmarkGetParallel` out.
pub const GO_BENCH_PATTERN: &str = "^BenchmarkGet$/^mutex-map$";

/// `mapbench validate`'s options.
#[derive(Debug, Clone)]
pub struct ValidateOptions {
    pub out: PathBuf,
    pub only_lang: Option<Lang>,
    pub rust_runner: Option<PathBuf>,
    pub go_runner: Option<PathBuf>,
    pub repeats: u32,
    pub ops_per_thread: u64,
    /// Skip `go test -bench` and `cargo bench` (read an existing criterion estimate only).
    pub skip_micro: bool,
    pub criterion_dir: Option<PathBuf>,
    pub trace_cache: Option<PathBuf>,
    pub workloads_dir: PathBuf,
}

/// The matched workload of check 2: every key prefilled, gets only, uniform.
pub fn get_prefilled_workload(ops_per_thread: u64) -> Workload {
    Workload {
        name: "get-prefilled-64k".into(),
        description: "Gets on a map prefilled with 65,536 keys, every get a hit, uniform: the op of the get micro-benchmarks, for mapbench validate.".into(),
        key_space: MICRO_KEYS,
        prefill_count: MICRO_KEYS,
        presize: true,
        mix: Mix {
            get: 10_000,
            insert: 0,
            update: 0,
            remove: 0,
        },
        distribution: Distribution::Uniform {},
        threads: 1,
        ops_per_thread,
        seed: 1,
        key_type: Default::default(),
        value_kind: Default::default(),
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Overhead {
    pub lang: Lang,
    pub workload: String,
    pub threads: u32,
    pub runs: usize,
    pub ns_per_op: Option<f64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Micro {
    pub tool: String,
    pub command: String,
    pub benchmark: String,
    pub ns_per_op: Option<f64>,
    pub samples: Vec<f64>,
    /// Why there is no number, or what to know about it.
    pub note: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct RunnerVsMicro {
    pub lang: Lang,
    pub map: String,
    pub workload: String,
    pub runner_ns_per_op: Option<f64>,
    pub noop_ns_per_op: Option<f64>,
    /// The runner's ns/op on `get-sweep-100` (1M keys, half present): for reference.
    pub get_sweep_100_ns_per_op: Option<f64>,
    pub micro: Micro,
    pub ratio: Option<f64>,
    pub ratio_minus_noop: Option<f64>,
    pub expected: [f64; 2],
    pub within: Option<bool>,
    pub note: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Scaling {
    pub lang: Lang,
    pub map: String,
    pub ops_per_s_t2: Option<f64>,
    pub baseline_map: String,
    pub baseline_ops_per_s_t1: Option<f64>,
    pub efficiency: Option<f64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Validation {
    pub generated_by: String,
    pub command: String,
    pub runs_dir: String,
    pub repeats: u32,
    pub ops_per_thread: u64,
    pub host: Host,
    pub git: GitInfo,
    pub harness_overhead: Vec<Overhead>,
    pub runner_vs_micro: Vec<RunnerVsMicro>,
    pub scaling: Vec<Scaling>,
    pub failed_runs: Vec<String>,
}

/// What `validate` did.
pub struct ValidateOutcome {
    pub exec: ExecOutcome,
    pub validation: Option<Validation>,
}

/// The command that regenerates the outputs, as a person would type it.
pub fn regenerate_command() -> String {
    let args: Vec<String> = std::env::args().skip(1).map(|a| shell_quote(&a)).collect();
    format!("cargo run --release -p mapbench -- {}", args.join(" "))
}

fn shell_quote(s: &str) -> String {
    if !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_./=:,+@".contains(&b))
    {
        s.to_owned()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

pub fn validate(opts: &ValidateOptions) -> Result<ValidateOutcome, Failure> {
    let bad = |e: anyhow::Error| Failure::BadInput(e);
    if opts.repeats == 0 {
        return Err(bad(anyhow!("--repeats: expected at least 1, found 0")));
    }
    let langs: Vec<Lang> = Lang::ALL
        .into_iter()
        .filter(|l| opts.only_lang.is_none_or(|o| o == *l))
        .collect();
    orchestrate::install_interrupt_handler().map_err(Failure::Failed)?;
    let repo = runners::repo_root();
    let runners = orchestrate::prepare_runners(
        &langs,
        opts.rust_runner.as_deref(),
        opts.go_runner.as_deref(),
        &repo,
    )?;
    let ov = |threads| Overrides {
        threads: Some(threads),
        ops_per_thread: Some(opts.ops_per_thread),
        seed: None,
    };
    let (spec, read_t1) =
        orchestrate::load_workload(READ_ONLY_WORKLOAD, &opts.workloads_dir, ov(1))?;
    let (_, read_t2) = orchestrate::load_workload(READ_ONLY_WORKLOAD, &opts.workloads_dir, ov(2))?;
    let matched = get_prefilled_workload(opts.ops_per_thread);

    let mut cells = Vec::new();
    let mut push = |lang: Lang, map: &str, w: &Workload, from_spec: bool| {
        cells.push(Cell {
            lang,
            map: map.to_owned(),
            workload: w.clone(),
            spec: from_spec.then(|| spec.clone()),
            repeats: opts.repeats,
            runner: RunnerSettings::default(),
        });
    };
    for (&lang, runner) in &runners {
        let (micro_map, baseline) = match lang {
            Lang::Rust => (MICRO_MAP_RUST, BASELINE_RUST),
            Lang::Go => (MICRO_MAP_GO, BASELINE_GO),
        };
        let listed = |m: &str| runner.maps.iter().any(|e| e.name == m);
        push(lang, NOOP_MAP, &read_t1, true);
        push(lang, NOOP_MAP, &matched, false);
        if listed(micro_map) {
            push(lang, micro_map, &matched, false);
            push(lang, micro_map, &read_t1, true);
        }
        if listed(baseline) {
            push(lang, baseline, &read_t1, true);
        }
        for m in &runner.maps {
            if m.max_threads.is_none_or(|n| n >= 2) {
                push(lang, &m.name, &read_t2, true);
            }
        }
    }
    let order = order_runs(&cells);
    let plan = Plan {
        suite: SuiteRef {
            name: "validate".into(),
            description:
                "mapbench validate: harness overhead, runner vs micro-benchmark, scaling efficiency"
                    .into(),
            file: None,
            sha256: None,
        },
        cells,
        order,
        skipped: Vec::new(),
    };
    let runs_dir = opts.out.join("runs");
    let trace_cache = opts
        .trace_cache
        .clone()
        .unwrap_or_else(|| runners::target_dir(&repo).join("traces"));
    let mut options = BTreeMap::new();
    options.insert("repeats".into(), json!(opts.repeats));
    options.insert("ops_per_thread".into(), json!(opts.ops_per_thread));
    options.insert("only_lang".into(), json!(opts.only_lang.map(Lang::name)));
    let cfg = ExecConfig {
        out_dir: &runs_dir,
        runners: &runners,
        trace_cache: &trace_cache,
        run_timeout: Some(std::time::Duration::from_secs(600)),
        command: std::env::args().collect(),
        options,
        repo: &repo,
    };
    eprintln!(
        "mapbench: validate: {} runs into {}",
        plan.order.len(),
        runs_dir.display()
    );
    let exec = orchestrate::execute(&plan, &cfg)?;
    orchestrate::report(&exec, &runs_dir);
    if exec.interrupted {
        return Ok(ValidateOutcome {
            exec,
            validation: None,
        });
    }

    let loaded = results::load_dir(&runs_dir).map_err(|e| Failure::BadInput(e.into()))?;
    let runs = &loaded.runs;
    let ns_per_op = |lang: Lang, map: &str, w: &str, threads: u32| -> (usize, Option<f64>) {
        let mut v: Vec<f64> = select(runs, lang, map, w, threads)
            .filter_map(RunFile::ns_per_op)
            .collect();
        v.sort_by(f64::total_cmp);
        (v.len(), median(&v))
    };
    let ops_per_s = |lang: Lang, map: &str, w: &str, threads: u32| -> Option<f64> {
        let mut v: Vec<f64> = select(runs, lang, map, w, threads)
            .filter_map(RunFile::throughput)
            .collect();
        v.sort_by(f64::total_cmp);
        median(&v)
    };

    let mut harness_overhead = Vec::new();
    let mut runner_vs_micro = Vec::new();
    let mut scaling = Vec::new();
    let criterion_dir = opts
        .criterion_dir
        .clone()
        .unwrap_or_else(|| runners::target_dir(&repo).join("criterion"));
    for &lang in runners.keys() {
        let (n, noop) = ns_per_op(lang, NOOP_MAP, READ_ONLY_WORKLOAD, 1);
        harness_overhead.push(Overhead {
            lang,
            workload: READ_ONLY_WORKLOAD.into(),
            threads: 1,
            runs: n,
            ns_per_op: noop,
        });

        let (micro_map, baseline) = match lang {
            Lang::Rust => (MICRO_MAP_RUST, BASELINE_RUST),
            Lang::Go => (MICRO_MAP_GO, BASELINE_GO),
        };
        let (_, runner_ns) = ns_per_op(lang, micro_map, &matched.name, 1);
        let (_, noop_matched) = ns_per_op(lang, NOOP_MAP, &matched.name, 1);
        let (_, sweep_ns) = ns_per_op(lang, micro_map, READ_ONLY_WORKLOAD, 1);
        let micro = match lang {
            Lang::Go => go_micro(&repo, opts.repeats, opts.skip_micro),
            Lang::Rust => rust_micro(&repo, &criterion_dir, opts.skip_micro),
        };
        let ratio = runner_ns.zip(micro.ns_per_op).map(|(r, m)| r / m);
        let ratio_minus_noop = runner_ns
            .zip(noop_matched)
            .zip(micro.ns_per_op)
            .map(|((r, n), m)| (r - n) / m);
        let note = match lang {
            Lang::Go => format!(
                "BenchmarkGet/{MICRO_MAP_GO} (go-reference/maps/bench_test.go) gets from a map prefilled with {MICRO_KEYS} keys, every get a hit, keys cycled in order; the runner replays {}: the same key count, all present, uniform random order, with latency sampling on (1 op in 1024 timed, the default), so the raw ratio includes the harness. get-sweep-100 does not match the benchmark (1M-key space, half the keys present, so half the gets miss, and a table 16x larger): its ns/op is shown for reference only.",
                matched.name
            ),
            Lang::Rust => format!(
                "criterion bench {CRITERION_ID} (rust-impl/maps/benches/get_prefilled.rs: gets from a map prefilled with {MICRO_KEYS} keys, every get a hit, keys cycled in order, as Go's BenchmarkGet); the runner replays {}, as for Go.",
                matched.name
            ),
        };
        runner_vs_micro.push(RunnerVsMicro {
            lang,
            map: micro_map.into(),
            workload: matched.name.clone(),
            runner_ns_per_op: runner_ns,
            noop_ns_per_op: noop_matched,
            get_sweep_100_ns_per_op: sweep_ns,
            micro,
            ratio,
            ratio_minus_noop,
            expected: [0.9, 1.1],
            within: ratio.map(|r| (0.9..=1.1).contains(&r)),
            note,
        });

        let base = ops_per_s(lang, baseline, READ_ONLY_WORKLOAD, 1);
        for m in &runners[&lang].maps {
            if m.max_threads.is_some_and(|n| n < 2) {
                continue;
            }
            let t2 = ops_per_s(lang, &m.name, READ_ONLY_WORKLOAD, 2);
            scaling.push(Scaling {
                lang,
                map: m.name.clone(),
                ops_per_s_t2: t2,
                baseline_map: baseline.into(),
                baseline_ops_per_s_t1: base,
                efficiency: t2.zip(base).map(|(t, b)| t / (2.0 * b)),
            });
        }
    }
    let validation = Validation {
        generated_by: format!("mapbench {}", env!("CARGO_PKG_VERSION")),
        command: regenerate_command(),
        runs_dir: runs_dir.display().to_string(),
        repeats: opts.repeats,
        ops_per_thread: opts.ops_per_thread,
        host: Host::current(),
        git: GitInfo::of(&repo),
        harness_overhead,
        runner_vs_micro,
        scaling,
        failed_runs: exec
            .manifest
            .runs
            .iter()
            .filter(|r| r.status != crate::manifest::RunState::Ok)
            .map(|r| format!("{}: {}", r.run_id, r.status.label()))
            .collect(),
    };
    write_outputs(&validation, &opts.out).map_err(Failure::Failed)?;
    Ok(ValidateOutcome {
        exec,
        validation: Some(validation),
    })
}

fn select<'a>(
    runs: &'a [RunFile],
    lang: Lang,
    map: &'a str,
    workload: &'a str,
    threads: u32,
) -> impl Iterator<Item = &'a RunFile> + 'a {
    runs.iter().filter(move |r| {
        r.start.lang == lang
            && r.start.map == map
            && r.start.workload == workload
            && r.start.threads == threads
    })
}

/// Runs Go's `BenchmarkGet/mutex-map` `count` times and takes the median.
fn go_micro(repo: &Path, count: u32, skip: bool) -> Micro {
    let args = [
        "test".to_owned(),
        "-run".into(),
        "^$".into(),
        "-bench".into(),
        GO_BENCH_PATTERN.into(),
        "-benchtime".into(),
        "1s".into(),
        "-count".into(),
        count.to_string(),
        "./maps".into(),
    ];
    let command = format!(
        "(cd go-reference && go {})",
        args.iter()
            .map(|a| shell_quote(a))
            .collect::<Vec<_>>()
            .join(" ")
    );
    let mut micro = Micro {
        tool: "go test -bench".into(),
        command,
        benchmark: format!("BenchmarkGet/{MICRO_MAP_GO}"),
        ns_per_op: None,
        samples: Vec::new(),
        note: None,
    };
    if skip {
        micro.note = Some("skipped (--skip-micro)".into());
        return micro;
    }
    eprintln!("mapbench: {}", micro.command);
    match Command::new("go")
        .args(&args)
        .current_dir(repo.join("go-reference"))
        .output()
    {
        Err(e) => micro.note = Some(format!("cannot run go: {e}")),
        Ok(o) if !o.status.success() => {
            micro.note = Some(format!(
                "go test failed ({}): {}",
                o.status,
                String::from_utf8_lossy(&o.stdout)
                    .lines()
                    .chain(String::from_utf8_lossy(&o.stderr).lines())
                    .last()
                    .unwrap_or("")
            ))
        }
        Ok(o) => {
            let mut samples = parse_go_bench(&String::from_utf8_lossy(&o.stdout), &micro.benchmark);
            micro.samples = samples.clone();
            samples.sort_by(f64::total_cmp);
            micro.ns_per_op = median(&samples);
            if samples.is_empty() {
                micro.note = Some(format!("no {} line in go test's output", micro.benchmark));
            }
        }
    }
    micro
}

/// The ns/op of every `name` line (`name` or `name-<GOMAXPROCS>`) in `go test -bench`
/// output.
pub fn parse_go_bench(text: &str, name: &str) -> Vec<f64> {
    text.lines()
        .filter_map(|line| {
            let mut fields = line.split_whitespace();
            let bench = fields.next()?;
            let suffix = bench.strip_prefix(name)?;
            if !(suffix.is_empty()
                || suffix
                    .strip_prefix('-')
                    .is_some_and(|n| n.parse::<u32>().is_ok()))
            {
                return None;
            }
            let rest: Vec<&str> = fields.collect();
            let i = rest.iter().position(|&f| f == "ns/op")?;
            rest.get(i.checked_sub(1)?)?.parse().ok()
        })
        .collect()
}

/// Reads the criterion estimate; runs the bench first if its source exists.
fn rust_micro(repo: &Path, criterion_dir: &Path, skip: bool) -> Micro {
    let bench_src = repo.join("rust-impl/maps/benches/get_prefilled.rs");
    let args = [
        "bench",
        "-p",
        "cmap-maps",
        "--bench",
        "get_prefilled",
        "--",
        "--exact",
        CRITERION_ID,
    ];
    let mut micro = Micro {
        tool: "criterion 0.8".into(),
        command: format!("cargo {}", args.join(" ")),
        benchmark: CRITERION_ID.into(),
        ns_per_op: None,
        samples: Vec::new(),
        note: None,
    };
    if !skip && bench_src.is_file() {
        eprintln!("mapbench: {}", micro.command);
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        match Command::new(cargo).args(args).current_dir(repo).status() {
            Ok(s) if s.success() => {}
            Ok(s) => micro.note = Some(format!("cargo bench failed ({s})")),
            Err(e) => micro.note = Some(format!("cannot run cargo: {e}")),
        }
    }
    let estimates = criterion_estimates_path(criterion_dir, CRITERION_ID);
    match read_criterion_estimate(&estimates) {
        Ok((ns, which)) => {
            micro.ns_per_op = Some(ns);
            micro.samples = vec![ns];
            micro.note = Some(format!(
                "criterion's {which} point estimate, {}",
                estimates.strip_prefix(repo).unwrap_or(&estimates).display()
            ));
        }
        Err(e) => {
            let missing = if bench_src.is_file() {
                String::new()
            } else {
                format!(
                    "; {} is missing: the criterion bench rust-impl/maps/benches/get_prefilled.rs writes it",
                    bench_src.display()
                )
            };
            micro.note = Some(format!(
                "{}{e:#}{missing}",
                micro
                    .note
                    .as_deref()
                    .map(|n| format!("{n}; "))
                    .unwrap_or_default()
            ));
        }
    }
    micro
}

/// `<criterion dir>/<group>/<function>/new/estimates.json`.
pub fn criterion_estimates_path(criterion_dir: &Path, id: &str) -> PathBuf {
    criterion_dir.join(id).join("new").join("estimates.json")
}

/// Nanoseconds per iteration from criterion's `estimates.json`: the `slope` point
/// estimate (linear sampling, what criterion prints as the time) when present, else
/// the `mean`. Returns the value and which estimate it is.
pub fn read_criterion_estimate(path: &Path) -> anyhow::Result<(f64, &'static str)> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("{}: no criterion estimate", path.display()))?;
    let v: Value =
        serde_json::from_str(&text).with_context(|| format!("{}: not JSON", path.display()))?;
    for key in ["slope", "mean"] {
        if let Some(x) = v
            .get(key)
            .and_then(|e| e.get("point_estimate"))
            .and_then(Value::as_f64)
        {
            return Ok((x, if key == "slope" { "slope" } else { "mean" }));
        }
    }
    Err(anyhow!(
        "{}: expected `slope.point_estimate` or `mean.point_estimate` (nanoseconds)",
        path.display()
    ))
}

fn write_outputs(v: &Validation, out: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(out).with_context(|| format!("{}: cannot create", out.display()))?;
    let mut json_text = serde_json::to_string_pretty(v)?;
    json_text.push('\n');
    let json_path = out.join("validation.json");
    std::fs::write(&json_path, json_text)
        .with_context(|| format!("{}: cannot write", json_path.display()))?;
    let md_path = out.join("validation.md");
    std::fs::write(&md_path, render_markdown(v))
        .with_context(|| format!("{}: cannot write", md_path.display()))?;
    eprintln!(
        "mapbench: wrote {} and {}",
        json_path.display(),
        md_path.display()
    );
    Ok(())
}

fn fmt_opt(x: Option<f64>, digits: usize) -> String {
    x.map_or_else(|| "n/a".to_owned(), |v| format!("{v:.digits$}"))
}

/// `validation.md`.
pub fn render_markdown(v: &Validation) -> String {
    let mut md = format!(
        "<!-- Generated by mapbench validate ({}); regenerate with: {} -->\n\n# Harness validation\n\n",
        v.generated_by, v.command
    );
    md.push_str(&format!(
        "Host: {} ({} vCPUs, kernel {}), commit {}. Each figure is the median of {} runs of {} ops per thread; the runs are in `{}`.\n\n",
        v.host.cpu_model.as_deref().unwrap_or("unknown CPU"),
        v.host.vcpus.map_or("?".into(), |n| n.to_string()),
        v.host.kernel.as_deref().unwrap_or("?"),
        v.git.describe(),
        v.repeats,
        v.ops_per_thread,
        v.runs_dir
    ));
    md.push_str("## Harness overhead per op\n\nThe `noop` map (every op returns a constant), one thread, `get-sweep-100`: the runner's own cost per op.\n\n| lang | ns/op | runs |\n|---|---:|---:|\n");
    for o in &v.harness_overhead {
        md.push_str(&format!(
            "| {} | {} | {} |\n",
            o.lang,
            fmt_opt(o.ns_per_op, 2),
            o.runs
        ));
    }
    md.push_str("\n## Runner vs micro-benchmark\n\nOne get on a prefilled map, one thread: the runner's ns/op over the language's own benchmark tool. Expected: 0.9–1.1.\n\n| lang | map | runner ns/op | noop ns/op | micro ns/op | ratio | ratio without noop | within 0.9–1.1 | micro-benchmark |\n|---|---|---:|---:|---:|---:|---:|---|---|\n");
    for r in &v.runner_vs_micro {
        md.push_str(&format!(
            "| {} | `{}` | {} | {} | {} | {} | {} | {} | {} (`{}`) |\n",
            r.lang,
            r.map,
            fmt_opt(r.runner_ns_per_op, 2),
            fmt_opt(r.noop_ns_per_op, 2),
            fmt_opt(r.micro.ns_per_op, 2),
            fmt_opt(r.ratio, 3),
            fmt_opt(r.ratio_minus_noop, 3),
            r.within.map_or("n/a", |w| if w { "yes" } else { "no" }),
            r.micro.benchmark,
            r.micro.command
        ));
    }
    md.push('\n');
    for r in &v.runner_vs_micro {
        md.push_str(&format!("- **{}**: {}", r.lang, r.note));
        if let Some(n) = &r.micro.note {
            md.push_str(&format!(" Micro-benchmark: {n}."));
        }
        md.push_str(&format!(
            " For reference, `{}` on `get-sweep-100`: {} ns/op.\n",
            r.map,
            fmt_opt(r.get_sweep_100_ns_per_op, 2)
        ));
    }
    md.push_str("\n## Scaling efficiency, read-only\n\n`get-sweep-100` throughput at 2 threads ÷ (2 × the unsynchronised map's throughput at 1 thread). 1.0 = perfect scaling from the single-thread ceiling.\n\n| lang | map | Mops/s at 2 threads | baseline | baseline Mops/s at 1 thread | efficiency |\n|---|---|---:|---|---:|---:|\n");
    for s in &v.scaling {
        md.push_str(&format!(
            "| {} | `{}` | {} | `{}` | {} | {} |\n",
            s.lang,
            s.map,
            fmt_opt(s.ops_per_s_t2.map(|x| x / 1e6), 2),
            s.baseline_map,
            fmt_opt(s.baseline_ops_per_s_t1.map(|x| x / 1e6), 2),
            fmt_opt(s.efficiency, 3)
        ));
    }
    if !v.failed_runs.is_empty() {
        md.push_str("\n## Runs that did not finish ok\n\n");
        for f in &v.failed_runs {
            md.push_str(&format!("- {f}\n"));
        }
    }
    md
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_bench_lines_parse_with_or_without_the_procs_suffix() {
        let out = "goos: linux\ngoarch: amd64\npkg: concurrentmaps/maps\n\
BenchmarkGet/mutex-map-2         \t50000000\t        21.50 ns/op\t       0 B/op\t       0 allocs/op\n\
BenchmarkGet/mutex-map-2         \t50000000\t        22.50 ns/op\t       0 B/op\t       0 allocs/op\n\
BenchmarkGet/mutex-map-extra-2   \t50000000\t        99.00 ns/op\n\
BenchmarkGetParallel/mutex-map-2 \t50000000\t        99.00 ns/op\n\
BenchmarkGet/mutex-map  3 4.5 ns/op\nPASS\n";
        assert_eq!(
            parse_go_bench(out, "BenchmarkGet/mutex-map"),
            [21.5, 22.5, 4.5]
        );
    }

    #[test]
    fn criterion_estimates_prefer_the_slope() {
        let dir = std::env::temp_dir().join(format!("mapbench-crit-{}", std::process::id()));
        let path = criterion_estimates_path(&dir, CRITERION_ID);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(
            &path,
            r#"{"mean":{"confidence_interval":{"confidence_level":0.95,"lower_bound":20.0,"upper_bound":22.0},"point_estimate":21.0,"standard_error":0.5},"median":{"point_estimate":20.5},"slope":{"point_estimate":20.8},"std_dev":{"point_estimate":1.0}}"#,
        )
        .unwrap();
        assert_eq!(read_criterion_estimate(&path).unwrap(), (20.8, "slope"));
        std::fs::write(&path, r#"{"mean":{"point_estimate":21.0},"slope":null}"#).unwrap();
        assert_eq!(read_criterion_estimate(&path).unwrap(), (21.0, "mean"));
        std::fs::write(&path, r#"{"median":{"point_estimate":21.0}}"#).unwrap();
        assert!(
            read_criterion_estimate(&path)
                .unwrap_err()
                .to_string()
                .contains("slope.point_estimate")
        );
        std::fs::remove_dir_all(&dir).unwrap();
        assert!(
            read_criterion_estimate(&path)
                .unwrap_err()
                .to_string()
                .contains("no criterion estimate")
        );
    }

    #[test]
    fn the_matched_workload_is_valid_and_traceable() {
        let w = get_prefilled_workload(100);
        let bytes = crate::trace::generate(&w);
        let t = crate::trace::Trace::from_bytes(&bytes, "matched").unwrap();
        assert_eq!(t.header().prefill_count, MICRO_KEYS);
        assert_eq!(t.summary().sequential_replay.get_hits, 100);
    }

    #[test]
    fn quoting_is_minimal() {
        assert_eq!(shell_quote("--out"), "--out");
        assert_eq!(shell_quote("a b"), "'a b'");
        assert_eq!(shell_quote("^$"), "'^$'");
    }
}
