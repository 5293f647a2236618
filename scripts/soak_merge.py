#!/usr/bin/env python3
"""Merge the two results directories of scripts/soak.sh (DIR/go, DIR/rust: one
`mapbench run --only-lang` each, run at the same time on separate CPUs) into DIR/all,
one results directory that `mapbench report` reads: both sides' run files, logs and
bench lines, and one manifest listing both runs. Its options say both languages ran
(`only_lang` null) and that they ran at the same time: `concurrent_sides` lists the
sides' placement lines of DIR/placement.txt ("go: taskset -c 0 ..."), so the report
compares no speed across sides.

    python3 scripts/soak_merge.py DIR
    python3 scripts/soak_merge.py --self-test
"""
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path


def fail(msg):
    print(f"soak_merge: {msg}", file=sys.stderr)
    sys.exit(2)


def placement_lines(top):
    """The sides' lines of DIR/placement.txt ("go: ...", "rust: ..."), or, without the
    file, one line saying the sides ran at the same time."""
    p = top / "placement.txt"
    if not p.is_file():
        return ["go and rust: at the same time (no placement.txt)"]
    lines = [l.strip() for l in p.read_text().splitlines() if l.startswith(("go:", "rust:"))]
    return lines or [f"go and rust: at the same time ({p.name} names no side)"]


def self_test():
    failures = []
    with tempfile.TemporaryDirectory() as tmp:
        top = Path(tmp)
        for lang, t in (("go", "2026-01-01T00:00:00Z"), ("rust", "2026-01-01T00:00:01Z")):
            d = top / lang
            d.mkdir()
            (d / f"soak-{lang}-m-exchange-t2-r1.jsonl").write_text("{}\n")
            (d / "bench.txt").write_text(f"Benchmark{lang}\n")
            (d / "manifest.json").write_text(json.dumps({
                "status": "complete", "started_at": t, "ended_at": "2026-01-01T01:00:00Z",
                "options": {"only_lang": lang, "out": str(d)}, "runners": {lang: {}},
                "traces": [], "runs": [{"run_id": f"soak-{lang}", "seq": 1, "lang": lang}]}))
        (top / "placement.txt").write_text(
            "go: taskset -c 0 (mapbench and go-runner)\nrust: taskset -c 1 (mapbench and rust-runner)\n"
            "cpus: 2\nstarted: 2026-01-01T00:00:00Z\n")
        r = subprocess.run([sys.executable, __file__, str(top)], capture_output=True, text=True)
        if r.returncode != 0:
            failures.append(f"good input exited {r.returncode}: {r.stderr}")
        else:
            m = json.loads((top / "all" / "manifest.json").read_text())
            want = ["go: taskset -c 0 (mapbench and go-runner)", "rust: taskset -c 1 (mapbench and rust-runner)"]
            if m["options"].get("concurrent_sides") != want:
                failures.append(f"options.concurrent_sides: want {want}, got {m['options'].get('concurrent_sides')}")
            if m["options"].get("only_lang") is not None:
                failures.append(f"options.only_lang: want null, got {m['options'].get('only_lang')}")
            if [(x["lang"], x["seq"]) for x in m["runs"]] != [("go", 1), ("rust", 2)]:
                failures.append(f"runs not both, renumbered: {m['runs']}")
            if m["started_at"] != "2026-01-01T00:00:00Z":
                failures.append(f"started_at: want the earlier, got {m['started_at']}")
            if not (top / "all" / "soak-rust-m-exchange-t2-r1.jsonl").is_file():
                failures.append("the rust run file was not copied")
        (top / "rust" / "manifest.json").write_text("{not json")
        r = subprocess.run([sys.executable, __file__, str(top)], capture_output=True, text=True)
        if r.returncode != 2 or "rust/manifest.json" not in r.stderr:
            failures.append(f"bad manifest: want exit 2 naming rust/manifest.json, got {r.returncode}: {r.stderr}")
    for f in failures:
        print(f"soak_merge self-test: {f}", file=sys.stderr)
    print(f"soak_merge self-test: {'FAILED' if failures else 'ok'}", file=sys.stderr)
    sys.exit(1 if failures else 0)


def main():
    if sys.argv[1:] == ["--self-test"]:
        self_test()
    if len(sys.argv) != 2:
        fail("usage: scripts/soak_merge.py DIR (the --out of scripts/soak.sh)")
    top = Path(sys.argv[1])
    sides = [top / "go", top / "rust"]
    manifests = []
    for d in sides:
        m = d / "manifest.json"
        if not m.is_file():
            fail(f"{m}: missing (expected a results directory of mapbench run)")
        try:
            manifests.append(json.loads(m.read_text()))
        except json.JSONDecodeError as e:
            fail(f"{m}: not JSON: {e}")
    out = top / "all"
    if out.exists():
        shutil.rmtree(out)
    (out / "logs").mkdir(parents=True)
    bench = []
    for d in sides:
        for f in sorted(d.iterdir()):
            if f.suffix in (".jsonl", ".hlog"):
                shutil.copy2(f, out / f.name)
        for f in sorted((d / "logs").iterdir()) if (d / "logs").is_dir() else []:
            shutil.copy2(f, out / "logs" / f.name)
        b = d / "bench.txt"
        if b.is_file():
            bench.append(b.read_text())
    (out / "bench.txt").write_text("".join(bench))
    go, rust = manifests
    merged = dict(go)
    merged["status"] = "complete" if all(m.get("status") == "complete" for m in manifests) else next(
        m.get("status") for m in manifests if m.get("status") != "complete")
    merged["started_at"] = min(m["started_at"] for m in manifests)
    ends = [m.get("ended_at") for m in manifests]
    merged["ended_at"] = None if None in ends else max(ends)
    merged["options"] = dict(go["options"], only_lang=None, out=str(out),
                             concurrent_sides=placement_lines(top))
    merged["runners"] = {**rust.get("runners", {}), **go.get("runners", {})}
    merged["traces"] = go.get("traces", []) + rust.get("traces", [])
    runs = go.get("runs", []) + rust.get("runs", [])
    for i, r in enumerate(runs, 1):
        r["seq"] = i
    merged["runs"] = runs
    merged["orchestrator_pid"] = None
    (out / "manifest.json").write_text(json.dumps(merged, indent=2) + "\n")
    print(f"soak_merge: {len(runs)} runs into {out}", file=sys.stderr)


if __name__ == "__main__":
    main()
