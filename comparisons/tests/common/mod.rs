//! Shared by the end-to-end tests (`orchestrate.rs`, `compare.rs`): a scratch
//! directory with the fake runner (`src/bin/mapbench-fake-runner.rs`) linked as
//! both `rust-runner` and `go-runner`, 1,000-key copies of the workloads a test
//! needs (the traces are built by a debug binary), and `mapbench` invocations
//! pointed at them.
#![allow(dead_code)] // each test binary uses a different part

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub struct FakeEnv {
    pub dir: PathBuf,
    pub rust: PathBuf,
    pub go: PathBuf,
    pub workloads: PathBuf,
}

impl FakeEnv {
    /// `prefix` and `test` name the scratch directory; `workloads` are copied
    /// from comparisons/workloads with their key space cut to 1,000.
    pub fn new(prefix: &str, test: &str, workloads: &[&str]) -> FakeEnv {
        let dir = std::env::temp_dir().join(format!("{prefix}-{}-{test}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let fake = Path::new(env!("CARGO_BIN_EXE_mapbench-fake-runner"));
        let (rust, go) = (dir.join("rust-runner"), dir.join("go-runner"));
        std::os::unix::fs::symlink(fake, &rust).unwrap();
        std::os::unix::fs::symlink(fake, &go).unwrap();
        let workload_dir = dir.join("workloads");
        std::fs::create_dir_all(&workload_dir).unwrap();
        for name in workloads {
            let file = format!("{name}.toml");
            let spec =
                std::fs::read_to_string(mapbench::workload::workloads_dir().join(&file)).unwrap();
            assert!(spec.contains("key_space = 1_000_000"), "{file}");
            std::fs::write(
                workload_dir.join(&file),
                spec.replace("key_space = 1_000_000", "key_space = 1_000"),
            )
            .unwrap();
        }
        FakeEnv {
            dir,
            rust,
            go,
            workloads: workload_dir,
        }
    }

    /// `mapbench ARGS` with the copied workloads and no runner from the environment.
    pub fn mapbench(&self, args: &[&str], envs: &[(&str, &str)]) -> Output {
        let mut c = Command::new(env!("CARGO_BIN_EXE_mapbench"));
        c.args(args)
            .env_remove("MAPBENCH_RUST_RUNNER")
            .env_remove("MAPBENCH_GO_RUNNER")
            .env("MAPBENCH_WORKLOADS_DIR", &self.workloads);
        for (k, v) in envs {
            c.env(k, v);
        }
        c.output().expect("run mapbench")
    }

    /// `mapbench run` of `suite` with both fake runners and a private trace cache.
    pub fn run(&self, suite: &str, out: &Path, extra: &[&str], envs: &[(&str, &str)]) -> Output {
        let cache = self.dir.join("traces");
        let mut args = vec![
            "run",
            "--suite",
            suite,
            "--out",
            out.to_str().unwrap(),
            "--rust-runner",
            self.rust.to_str().unwrap(),
            "--go-runner",
            self.go.to_str().unwrap(),
            "--trace-cache",
            cache.to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        self.mapbench(&args, envs)
    }
}

/// The scratch directory goes when a test passes, and stays for a look when it fails.
impl Drop for FakeEnv {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}
