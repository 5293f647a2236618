#!/usr/bin/env python3
"""Merge the two results directories of scripts/soak.sh (DIR/go, DIR/rust: one
`mapbench run --only-lang` each, run at the same time on separate CPUs) into DIR/all,
one results directory that `mapbench report` reads: both sides' run files, logs and
bench lines, and one manifest listing both runs (its options say both languages ran,
pinned as DIR/placement.txt records).

    python3 scripts/soak_merge.py DIR
"""
import json
import shutil
import sys
from pathlib import Path


def fail(msg):
    print(f"soak_merge: {msg}", file=sys.stderr)
    sys.exit(2)


def main():
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
    merged["options"] = dict(go["options"], only_lang=None, out=str(out))
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
