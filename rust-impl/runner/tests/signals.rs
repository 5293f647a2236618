//! A killed run keeps what it wrote; SIGINT stops the workers and ends the run cleanly.

mod common;

use std::path::Path;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use common::*;

/// Starts a long duration-mode run and waits until two interval records are on disk.
fn start_long_run(dir: &Path, run_id: &str) -> Child {
    let mut child = runner()
        .arg("--trace")
        .arg(testdata("golden.trace"))
        .args([
            "--map",
            "dashmap-foldhash",
            "--run-id",
            run_id,
            "--duration-ms",
            "600000",
            "--interval-ms",
            "10",
        ])
        .arg("--out-dir")
        .arg(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let jsonl = dir.join(format!("{run_id}.jsonl"));
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let text = std::fs::read_to_string(&jsonl).unwrap_or_default();
        // Two interval records: the first interval's .hlog line is written before the
        // second's JSON line, so both files have something complete to keep.
        if text
            .lines()
            .filter(|l| l.contains("\"type\":\"interval\""))
            .count()
            >= 2
        {
            return child;
        }
        if let Some(status) = child.try_wait().unwrap() {
            panic!("the run ended early: {status}");
        }
        assert!(
            Instant::now() < deadline,
            "no two interval records within 60 s"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn signal(child: &Child, sig: libc::c_int) {
    // SAFETY: kill(2) on our own child's pid.
    assert_eq!(unsafe { libc::kill(child.id() as libc::pid_t, sig) }, 0);
}

#[test]
fn sigint_stops_the_run_and_records_it_as_interrupted() {
    let dir = fresh_dir("sigint");
    let child = start_long_run(&dir, "i");
    signal(&child, libc::SIGINT);
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(130),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let records = read_jsonl(&dir.join("i.jsonl"));
    let (_, end) = check_sequence(&records, 10);
    assert_eq!(end["status"], "interrupted");
    assert!(num(&end["ops"], "total") > 0);
}

#[test]
fn a_killed_run_keeps_its_complete_records() {
    let dir = fresh_dir("sigkill");
    let mut child = start_long_run(&dir, "k");
    signal(&child, libc::SIGKILL);
    child.wait().unwrap();
    let records = read_jsonl(&dir.join("k.jsonl")); // every line parses
    assert_eq!(records[0]["type"], "run_start");
    assert!(records.len() >= 2);
    assert!(
        records[1..].iter().all(|r| r["type"] == "interval"),
        "no run_end after a kill"
    );
    let log = cmap_runner::hlog::read_log(&std::fs::read(dir.join("k.hlog")).unwrap()).unwrap();
    assert!(!log.intervals.is_empty());
}
