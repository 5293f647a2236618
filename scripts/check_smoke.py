#!/usr/bin/env python3
"""Checks the smoke suite's output against the runners' registries (a scripts/test step).

    check_smoke.py RESULTS_DIR REPORT_DIR RUST_LIST_MAPS GO_LIST_MAPS

RUST_LIST_MAPS / GO_LIST_MAPS are the `--list-maps` output (one JSON object per line) of
the runners that made RESULTS_DIR. Fails (exit 1), naming the map, when a registered map
has no finished run at every thread count it supports, when a run did not end `ok` or
did no operations, or when the report or bench.txt leaves a run out. The registries are
the expectation: adding a map needs no edit here.
"""
import json
import sys
from pathlib import Path

SMOKE_THREADS = (1, 2)


def listed(path):
    maps = {}
    for n, line in enumerate(Path(path).read_text().splitlines(), 1):
        if line.strip():
            try:
                m = json.loads(line)
            except json.JSONDecodeError as e:
                sys.exit(f"{path}:{n}: --list-maps printed a line that is not JSON: {e}")
            maps[m["name"]] = m.get("max_threads")
    maps.setdefault("noop", None)  # the harness-cost map: accepted, never listed
    return maps


def runs(results):
    found = {}
    for f in sorted(Path(results).glob("*.jsonl")):
        start = end = None
        for line in f.read_text().splitlines():
            rec = json.loads(line)
            if rec["type"] == "run_start":
                start = rec
            elif rec["type"] == "run_end":
                end = rec
        if start is None:
            yield f"{f.name}: no run_start record"
            continue
        key = (start["lang"], start["impl"], start["threads"])
        found[key] = (f.name, end)
    yield found


def main(argv):
    if len(argv) != 5:
        print(__doc__, file=sys.stderr)
        return 2
    results, report, rust_list, go_list = argv[1:]
    problems = []
    found = {}
    for item in runs(results):
        if isinstance(item, str):
            problems.append(item)
        else:
            found = item
    report_text = (Path(report) / "report.md").read_text()
    bench = (Path(results) / "bench.txt").read_text()
    expected = 0
    for lang, path in (("rust", rust_list), ("go", go_list)):
        for name, max_threads in sorted(listed(path).items()):
            for t in SMOKE_THREADS:
                if max_threads is not None and t > max_threads:
                    continue
                expected += 1
                got = found.get((lang, name, t))
                if got is None:
                    problems.append(f"{lang} {name} at {t} thread(s): registered but no run in {results}")
                    continue
                fname, end = got
                if end is None or end.get("status") != "ok":
                    problems.append(f"{lang} {name} t{t} ({fname}): run did not end ok: {end and end.get('status')}")
                elif not end.get("ops", {}).get("total"):
                    problems.append(f"{lang} {name} t{t} ({fname}): no operations recorded")
            if name not in report_text:
                problems.append(f"{lang} {name}: missing from {report}/report.md")
    bench_lines = [l for l in bench.splitlines() if l.startswith("Benchmark")]
    if len(bench_lines) != len(found):
        problems.append(f"{results}/bench.txt: {len(bench_lines)} benchmark lines for {len(found)} runs")
    if len(found) != expected:
        problems.append(f"{results}: {len(found)} runs, the registries imply {expected}")
    for p in problems:
        print(f"smoke: {p}", file=sys.stderr)
    if not problems:
        print(f"smoke: {len(found)} runs, every registered map on both sides, check and report passed")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
