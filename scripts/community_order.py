#!/usr/bin/env python3
"""The Go maps' ordering here beside the one go-concurrent-map-bench publishes.

    python3 scripts/community_order.py results/matrix-go-community/STAMP book/src/generated/matrix-community

Reads RESULTS_DIR/bench.txt and RESULTS_DIR/manifest.json (a `mapbench run --suite
matrix-go-community` directory) and the upstream `go test -bench` output vendored in
comparisons/reference-data/go-concurrent-map-bench/ (SOURCE.md says which commit).
For every cell both suites measure (key type x map size x read share), it orders the four
maps by throughput: here by the median over the repeats at 2 threads, there by the one
run at GOMAXPROCS=1 and at GOMAXPROCS=4 (the upstream results have no 2). It writes
OUT_DIR/community-order.md (sentences computed from the comparison, then one table) and
OUT_DIR/community-order.json (every cell's orders and the counts the sentences use, for
the page's assertions). Both are written atomically; bad input exits 2 naming the file.

    python3 scripts/community_order.py --self-test
"""
import json
import os
import re
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
UPSTREAM = ROOT / "comparisons/reference-data/go-concurrent-map-bench"

# Our map name -> the upstream benchmark's map name.
MAPS = {
    "sync-map": "SyncMap",
    "xsync-map": "XsyncMapOf",
    "haxmap": "Haxmap",
    "orcaman-concurrent-map": "OrcamanCmap",
}
KEYS = {"u64": "IntKeys", "string": "StringKeys"}
SIZES = {"1k": 1000, "100k": 100000, "1m": 1000000}
UPSTREAM_PROCS = (1, 4)

OURS_RE = re.compile(
    r"^BenchmarkReplay/workload=(?P<wl>[^/\s]+)/map=(?P<map>[^/\s]+)/lang=go/threads=(?P<t>\d+)\s.*?\s(?P<ops>[0-9.]+) ops/s"
)
CELL_RE = re.compile(r"^matrix-(?P<size>1k|100k|1m)-r(?P<reads>100|99|90|75)-uniform-(?P<key>u64|string)-u64$")
THEIRS_RE = re.compile(
    r"^Benchmark(?P<map>[A-Za-z]+)_WarmUp_(?P<key>IntKeys|StringKeys)/size=(?P<size>\d+)/reads=(?P<reads>\d+)%(?:-(?P<procs>\d+))?\s.*?\s(?P<ops>[0-9.]+) ops/s"
)


class BadInput(Exception):
    pass


def fail(msg):
    print(f"community_order: {msg}", file=sys.stderr)
    sys.exit(2)


def read_ours(path):
    """{(key, size, reads): {map: [ops/s per repeat]}} from our bench.txt."""
    if not path.is_file():
        raise BadInput(f"{path}: missing; want the bench.txt of a `mapbench run --suite matrix-go-community` directory")
    cells = {}
    for n, line in enumerate(path.read_text().splitlines(), 1):
        if not line.startswith("BenchmarkReplay/"):
            continue
        m = OURS_RE.match(line)
        if not m:
            raise BadInput(f"{path}:{n}: want 'BenchmarkReplay/workload=W/map=M/lang=go/threads=T ... X ops/s', got {line[:80]!r}")
        c = CELL_RE.match(m["wl"])
        if not c or m["map"] not in MAPS or m["t"] != "2":
            continue
        key = (c["key"], c["size"], int(c["reads"]))
        cells.setdefault(key, {}).setdefault(m["map"], []).append(float(m["ops"]))
    if not cells:
        raise BadInput(f"{path}: no line for a matrix cell (uniform, u64 values) of {', '.join(MAPS)} at 2 threads")
    return cells


def read_theirs(path, procs):
    """{(key, size, reads): {our map name: ops/s}} from one upstream bench file."""
    if not path.is_file():
        raise BadInput(f"{path}: missing; want the upstream go-concurrent-map-bench output (see {UPSTREAM.relative_to(ROOT)}/SOURCE.md)")
    back = {v: k for k, v in MAPS.items()}
    kback = {v: k for k, v in KEYS.items()}
    sback = {v: k for k, v in SIZES.items()}
    cells = {}
    for line in path.read_text().splitlines():
        m = THEIRS_RE.match(line)
        if not m or m["map"] not in back or int(m["size"]) not in sback:
            continue
        if int(m["procs"] or 1) != procs:
            raise BadInput(f"{path}: a benchmark line with GOMAXPROCS {m['procs'] or 1}, want {procs}: {line[:80]!r}")
        key = (kback[m["key"]], sback[int(m["size"])], int(m["reads"]))
        cells.setdefault(key, {})[back[m["map"]]] = float(m["ops"])
    if not cells:
        raise BadInput(f"{path}: no WarmUp benchmark line of {', '.join(MAPS.values())}")
    return cells


def order(values):
    """Map names, fastest first."""
    return sorted(values, key=lambda m: (-values[m], m))


def kendall(a, b):
    """Kendall's tau between two orders of the same items (+1 same order, -1 reversed)."""
    pos = {m: i for i, m in enumerate(b)}
    conc = disc = 0
    for i in range(len(a)):
        for j in range(i + 1, len(a)):
            if pos[a[i]] < pos[a[j]]:
                conc += 1
            else:
                disc += 1
    total = conc + disc
    return (conc - disc) / total if total else 1.0


def settled(cell, ours_order):
    """True when every adjacent pair in our order has disjoint min-max ranges."""
    for a, b in zip(ours_order, ours_order[1:]):
        if min(cell[a]) <= max(cell[b]):
            return False
    return True


def compare(ours, theirs_by_procs):
    rows = []
    for key in sorted(ours, key=lambda k: (list(KEYS).index(k[0]), list(SIZES).index(k[1]), -k[2])):
        cell = ours[key]
        if set(cell) != set(MAPS):
            continue
        med = {m: statistics.median(v) for m, v in cell.items()}
        o = order(med)
        row = {
            "keys": key[0], "size": key[1], "reads": key[2],
            "ours": o, "ours_mops": {m: round(med[m] / 1e6, 3) for m in o},
            "repeats": min(len(v) for v in cell.values()),
            "settled": settled(cell, o),
        }
        complete = True
        for procs, theirs in theirs_by_procs.items():
            t = theirs.get(key)
            if not t or set(t) != set(MAPS):
                complete = False
                break
            to = order(t)
            row[f"theirs_p{procs}"] = to
            row[f"same_top_p{procs}"] = to[0] == o[0]
            row[f"same_order_p{procs}"] = to == o
            row[f"tau_p{procs}"] = round(kendall(o, to), 3)
        if complete:
            rows.append(row)
    if not rows:
        raise BadInput("no cell is measured by both suites with all four maps")
    summary = {"cells": len(rows), "settled": sum(r["settled"] for r in rows)}
    for p in theirs_by_procs:
        summary[f"same_top_p{p}"] = sum(r[f"same_top_p{p}"] for r in rows)
        summary[f"same_order_p{p}"] = sum(r[f"same_order_p{p}"] for r in rows)
        summary[f"median_tau_p{p}"] = round(statistics.median(r[f"tau_p{p}"] for r in rows), 3)
        summary[f"top_p{p}"] = {m: sum(r[f"theirs_p{p}"][0] == m for r in rows) for m in MAPS}
        summary[f"last_p{p}"] = {m: sum(r[f"theirs_p{p}"][-1] == m for r in rows) for m in MAPS}
    summary["top_ours"] = {m: sum(r["ours"][0] == m for r in rows) for m in MAPS}
    summary["last_ours"] = {m: sum(r["ours"][-1] == m for r in rows) for m in MAPS}
    # Per map: how its place here differs from its place there (GOMAXPROCS=4), on average.
    p = max(theirs_by_procs)
    summary[f"mean_place_shift_p{p}"] = {
        m: round(statistics.mean(r["ours"].index(m) - r[f"theirs_p{p}"].index(m) for r in rows), 2) for m in MAPS
    }
    return rows, summary


def most(counts):
    """'`m` (k)' for the map(s) with the highest count."""
    best = max(counts.values())
    names = [m for m, k in counts.items() if k == best]
    return " and ".join(f"`{m}`" for m in names), best


def render(rows, summary, manifest, results_rel):
    n = summary["cells"]
    p_lo, p_hi = UPSTREAM_PROCS
    top_here, k_here = most(summary["top_ours"])
    top_there, k_there = most(summary[f"top_p{p_hi}"])
    last_here, l_here = most(summary["last_ours"])
    last_there, l_there = most(summary[f"last_p{p_hi}"])
    shift = summary[f"mean_place_shift_p{p_hi}"]
    up = max(shift, key=lambda m: (-shift[m], m))
    down = max(shift, key=lambda m: (shift[m], m))
    lines = [
        "<!-- Generated by scripts/community_order.py; do not edit. Regenerate with:",
        f"     python3 scripts/community_order.py {results_rel} book/src/generated/matrix-community -->",
        "",
        f"Over the {n} cells both suites measure (u64 and string keys, 1k to 1M keys, gets 100/99/90/75 %), "
        f"the fastest of the four maps here at 2 threads is the one go-concurrent-map-bench puts first "
        f"in {summary[f'same_top_p{p_hi}']} of {n} cells at GOMAXPROCS={p_hi} and in "
        f"{summary[f'same_top_p{p_lo}']} of {n} at GOMAXPROCS={p_lo}; the whole order of the four agrees in "
        f"{summary[f'same_order_p{p_hi}']} and {summary[f'same_order_p{p_lo}']} cells "
        f"(median Kendall rank correlation {summary[f'median_tau_p{p_hi}']:+.2f} and {summary[f'median_tau_p{p_lo}']:+.2f}, where +1 is the same order).",
        "",
        f"Most often fastest: {top_here} here ({k_here} of {n}), {top_there} there at GOMAXPROCS={p_hi} ({k_there} of {n}). "
        f"Most often slowest: {last_here} here ({l_here} of {n}), {last_there} there ({l_there} of {n}).",
    ]
    if shift[up] > 0:
        lines.append("")
        lines.append(
            f"The largest differences by map: `{down}` places {abs(shift[down]):.2f} places higher here on average than there at "
            f"GOMAXPROCS={p_hi}, `{up}` {shift[up]:.2f} places lower."
            if shift[down] < 0 else
            f"`{up}` places {shift[up]:.2f} places lower here on average than there at GOMAXPROCS={p_hi}."
        )
    lines += [
        "",
        f"Our order is settled (the min–max ranges of neighbours in it do not overlap) in {summary['settled']} of {n} cells; "
        "the upstream files hold one run per benchmark, so theirs has no spread to judge.",
        "",
        f"| keys | size | gets | here, 2 threads (fastest first) | there, GOMAXPROCS={p_hi} | there, GOMAXPROCS={p_lo} |",
        "|---|---|--:|---|---|---|",
    ]
    for r in rows:
        mark = lambda p: " (same)" if r[f"same_order_p{p}"] else (" (same fastest)" if r[f"same_top_p{p}"] else "")
        ours = " > ".join(r["ours"]) + ("" if r["settled"] else " ≈")
        lines.append(
            f"| {r['keys']} | {r['size']} | {r['reads']}% | {ours} | "
            f"{' > '.join(r[f'theirs_p{p_hi}'])}{mark(p_hi)} | {' > '.join(r[f'theirs_p{p_lo}'])}{mark(p_lo)} |"
        )
    status = manifest.get("status", "unknown")
    lines += [
        "",
        f"Here: the `matrix-go-community` suite, {summary_runs(rows)} runs, status {status}, "
        f"started {manifest['started']}, commit `{str(manifest['commit'])[:12]}`. "
        "≈ marks an order whose neighbours' ranges overlap. There: "
        "`comparisons/reference-data/go-concurrent-map-bench/` (SOURCE.md names the commit and module versions).",
        "",
    ]
    return "\n".join(lines)


def summary_runs(rows):
    return sum(r["repeats"] for r in rows) * len(MAPS)


def write_atomic(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(fd, "w") as f:
        f.write(text)
    os.replace(tmp, path)


def manifest_facts(results):
    path = results / "manifest.json"
    if not path.is_file():
        raise BadInput(f"{path}: missing; want the manifest.json of a `mapbench run` directory")
    try:
        m = json.loads(path.read_text())
    except json.JSONDecodeError as e:
        raise BadInput(f"{path}: not JSON: {e}")
    if not isinstance(m, dict):
        raise BadInput(f"{path}: want a JSON object")
    return {
        "status": m.get("status") or m.get("state") or "unknown",
        "started": m.get("started") or m.get("started_at") or m.get("start") or "?",
        "commit": (g.get("commit", "?") + ("-dirty" if g.get("dirty") else "")) if isinstance(g := m.get("git"), dict) else "?",
    }


def run(results, out, upstream=UPSTREAM):
    ours = read_ours(results / "bench.txt")
    theirs = {p: read_theirs(upstream / f"bench-cpu{p}.txt", p) for p in UPSTREAM_PROCS}
    rows, summary = compare(ours, theirs)
    manifest = manifest_facts(results)
    try:
        rel = results.resolve().relative_to(ROOT)
    except ValueError:
        rel = results
    md = render(rows, summary, {"status": manifest["status"], "started": manifest["started"], "commit": manifest["commit"]}, rel)
    data = {"summary": summary, "cells": rows, "results": str(rel), "upstream": str(upstream.relative_to(ROOT)) if upstream.is_relative_to(ROOT) else str(upstream)}
    write_atomic(out / "community-order.json", json.dumps(data, indent=1, sort_keys=True) + "\n")
    write_atomic(out / "community-order.md", md)
    return rows, summary


def self_test():
    failures = []
    with tempfile.TemporaryDirectory() as d:
        d = Path(d)
        res, up, out = d / "res", d / "up", d / "out"
        res.mkdir(); up.mkdir()
        (res / "manifest.json").write_text(json.dumps({"status": "complete", "started": "2026-01-01T00:00:00Z"}))
        speeds = {"xsync-map": 40, "sync-map": 30, "haxmap": 20, "orcaman-concurrent-map": 10}
        lines = []
        for k in KEYS:
            for s in SIZES:
                for r in (100, 99, 90, 75):
                    for m, v in speeds.items():
                        for rep in range(3):
                            lines.append(f"BenchmarkReplay/workload=matrix-{s}-r{r}-uniform-{k}-u64/map={m}/lang=go/threads=2 \t1000 \t1 ns/op \t{(v + rep) * 1e6} ops/s")
        (res / "bench.txt").write_text("\n".join(lines) + "\n")
        for p in UPSTREAM_PROCS:
            ul = []
            for k, uk in KEYS.items():
                for s, us in SIZES.items():
                    for r in (100, 99, 90, 75):
                        for m, um in MAPS.items():
                            v = speeds[m]
                            if p == 4 and k == "string" and m == "haxmap":
                                v = 50  # first there, third here
                            suffix = f"-{p}" if p > 1 else ""
                            ul.append(f"Benchmark{um}_WarmUp_{uk}/size={us}/reads={r}%{suffix} \t 10 \t 1 ns/op \t {v * 1e6} ops/s \t 0 B/op")
            (up / f"bench-cpu{p}.txt").write_text("\n".join(ul) + "\n")
        rows, summary = run(res, out, up)
        if summary["cells"] != 24:
            failures.append(f"want 24 cells, got {summary['cells']}")
        if summary["same_top_p1"] != 24 or summary["same_top_p4"] != 12:
            failures.append(f"same_top: want 24 at p1 and 12 at p4, got {summary['same_top_p1']} and {summary['same_top_p4']}")
        if summary["settled"] != 24:
            failures.append(f"want every cell settled (ranges 3 apart, spread 2), got {summary['settled']}")
        if summary["mean_place_shift_p4"]["haxmap"] != 1.0:
            failures.append(f"haxmap: want +1 place on average, got {summary['mean_place_shift_p4']['haxmap']}")
        md = (out / "community-order.md").read_text()
        if "in 12 of 24 cells at GOMAXPROCS=4" not in md:
            failures.append("summary sentence lacks 'in 12 of 24 cells at GOMAXPROCS=4'")
        first = md
        run(res, out, up)
        if (out / "community-order.md").read_text() != first:
            failures.append("two runs on the same input differ")
        # Bad input: exit 2 naming the file, nothing written over.
        (res / "bench.txt").write_text("BenchmarkReplay/garbage\n")
        try:
            run(res, out, up)
            failures.append("a malformed bench.txt line was accepted")
        except BadInput as e:
            if "bench.txt:1" not in str(e):
                failures.append(f"the error does not name bench.txt:1: {e}")
        if (out / "community-order.md").read_text() != first:
            failures.append("a failed run changed the output")
    for f in failures:
        print(f"community_order self-test: {f}", file=sys.stderr)
    print(f"community_order self-test: {'FAILED' if failures else 'ok'}", file=sys.stderr)
    sys.exit(1 if failures else 0)


def main():
    args = sys.argv[1:]
    if args == ["--self-test"]:
        self_test()
    if len(args) != 2 or args[0].startswith("-"):
        fail("usage: community_order.py RESULTS_DIR OUT_DIR  (or --self-test)")
    try:
        rows, summary = run(Path(args[0]), Path(args[1]))
    except BadInput as e:
        fail(str(e))
    print(f"community_order: {summary['cells']} cells, wrote {args[1]}/community-order.md and .json", file=sys.stderr)


if __name__ == "__main__":
    main()
