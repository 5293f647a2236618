#!/usr/bin/env python3
"""The soak page's summary: a few sentences and one table, computed from the merged
results directory of scripts/soak.sh (DIR/all), so no number on the page is typed.

    python3 scripts/soak_summary.py results/soak/STAMP/all book/src/generated/soak/soak-summary.md

Per run: RSS and live heap at the first interval, half-way and at the end; Go's GC
cycles and pauses (gc.pauses_ns); the Rust map's reclamation backlog and the ops that
ran destructors (reclaim.stall_ops, every op; reclaim.stall_lat_ns, the timed ones).
If the soak directory has load.txt (scripts/soak.sh samples /proc/loadavg into it every
30 s as "epoch load1 load5 load15 ..."), one sentence says how loaded the machine was.
Percentiles are never averaged across intervals: only maxima and totals are combined.
"""
import json
import os
import sys
from pathlib import Path

NAMES = {"go": "Go", "rust": "Rust"}


def fail(msg):
    print(f"soak_summary: {msg}", file=sys.stderr)
    sys.exit(2)


def load(path):
    start, intervals = None, []
    for n, line in enumerate(path.read_text().splitlines(), 1):
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
        except json.JSONDecodeError as e:
            fail(f"{path}:{n}: not JSON: {e}")
        if rec.get("type") == "run_start":
            start = rec
        elif rec.get("type") == "interval":
            intervals.append(rec)
    if start is None or not intervals:
        fail(f"{path}: want a run_start record and at least one interval")
    return start, intervals


def mib(b):
    return f"{b / 1048576:.1f} MiB"


def dur(ns):
    if ns >= 1e6:
        return f"{ns / 1e6:.2f} ms"
    return f"{ns / 1e3:.1f} µs"


def change(a, b):
    return (b - a) / a * 100 if a else 0.0


def load_sentence(path):
    """The machine's 1-minute load average over the soak, from DIR/load.txt, or None."""
    if not path.is_file():
        return None
    loads = []
    for n, line in enumerate(path.read_text().splitlines(), 1):
        parts = line.split()
        if not parts:
            continue
        try:
            loads.append(float(parts[1]))
        except (IndexError, ValueError):
            fail(f"{path}:{n}: want 'epoch load1 load5 load15 ...', got {line!r}")
    if not loads:
        return None
    loads.sort()
    med = loads[len(loads) // 2]
    cpus = os.cpu_count() or 0
    busy = "other work shared the machine" if med > 2.5 else "little else ran on the machine"
    return (f"The soak itself keeps two CPUs busy; the 1-minute load average, sampled {len(loads)} times "
            f"over the run, had a median of {med:.1f} and a maximum of {loads[-1]:.1f}, so {busy} "
            f"(this machine: {cpus} CPUs).")


def self_test():
    """Synthetic soak directories: the sentences follow the data, a bad load line exits 2."""
    import subprocess
    import tempfile

    def write_run(d, lang, impl, heaps):
        recs = [{"type": "run_start", "lang": lang, "impl": impl}]
        for k, h in enumerate(heaps, 1):
            rec = {"type": "interval", "t_end_ns": k * 60_000_000_000, "rss_bytes": 2 * h, "heap_live_bytes": h}
            if lang == "go":
                rec["gc"] = {"cycles": 1, "pauses_ns": [100_000 * k]}
            else:
                rec["reclaim"] = {"stall_ops": 3, "stall_lat_ns": {"count": 1, "max": 50_000},
                                  "backlog_values": 10 * k, "backlog_bytes": 80 * k}
            recs.append(rec)
        (d / f"{lang}-{impl}.jsonl").write_text("\n".join(json.dumps(r) for r in recs) + "\n")

    failures = []
    with tempfile.TemporaryDirectory() as tmp:
        top = Path(tmp)
        (top / "all").mkdir()
        write_run(top / "all", "go", "sync-map", [100 << 20, 150 << 20, 200 << 20, 260 << 20, 300 << 20, 340 << 20, 380 << 20, 420 << 20])
        write_run(top / "all", "rust", "papaya", [60 << 20, 64 << 20, 64 << 20, 64 << 20, 64 << 20, 64 << 20, 64 << 20, 64 << 20])
        (top / "load.txt").write_text("1 4.0 3.0 2.0 1/1 1\n2 5.0 3.0 2.0 1/1 1\n3 6.5 3.0 2.0 1/1 1\n")
        out = top / "summary.md"
        r = subprocess.run([sys.executable, __file__, str(top / "all"), str(out)], capture_output=True, text=True)
        text = out.read_text() if out.exists() else ""
        if r.returncode != 0:
            failures.append(f"good input exited {r.returncode}: {r.stderr}")
        for want in ("Go's sync-map: the live heap kept growing", "Rust's papaya: the live heap settled",
                     "median of 5.0 and a maximum of 6.5, so other work shared the machine"):
            if want not in text:
                failures.append(f"missing {want!r} in:\n{text}")
        (top / "load.txt").write_text("1 4.0 3.0\n2 busy 3.0\n")
        before = out.read_text()
        r = subprocess.run([sys.executable, __file__, str(top / "all"), str(out)], capture_output=True, text=True)
        if r.returncode != 2 or "load.txt:2" not in r.stderr:
            failures.append(f"bad load line: want exit 2 naming load.txt:2, got {r.returncode}: {r.stderr}")
        if out.read_text() != before:
            failures.append("a failed run changed the summary already written")
    for f in failures:
        print(f"soak_summary self-test: {f}", file=sys.stderr)
    print(f"soak_summary self-test: {'FAILED' if failures else 'ok'}", file=sys.stderr)
    sys.exit(1 if failures else 0)


def main():
    if sys.argv[1:] == ["--self-test"]:
        self_test()
    if len(sys.argv) != 3:
        fail("usage: scripts/soak_summary.py RESULTS_DIR OUT.md")
    src, out = Path(sys.argv[1]), Path(sys.argv[2])
    files = sorted(src.glob("*.jsonl"))
    if not files:
        fail(f"{src}: no *.jsonl run files")
    rows, sentences = [], []
    for f in files:
        start, iv = load(f)
        lang, impl = start["lang"], start["impl"]
        half = iv[len(iv) // 2]
        last = iv[-1]
        minutes = last["t_end_ns"] / 60e9
        rss = [i.get("rss_bytes") for i in (iv[0], half, last)]
        heap = [i.get("heap_live_bytes") for i in (iv[0], half, last)]
        # Medians of the third and the last quarter of the intervals: a single sample
        # lands anywhere on a collector's sawtooth.
        q3 = sorted(i["heap_live_bytes"] for i in iv[len(iv) // 2:3 * len(iv) // 4] if i.get("heap_live_bytes"))
        q4 = sorted(i["heap_live_bytes"] for i in iv[3 * len(iv) // 4:] if i.get("heap_live_bytes"))
        second_half = change(q3[len(q3) // 2], q4[len(q4) // 2]) if heap[1] and q3 and q4 else None
        row = {
            "run": f"{NAMES[lang]} {impl}",
            "minutes": f"{minutes:.1f}",
            "intervals": str(len(iv)),
            "RSS first / half / end": " / ".join(mib(x) for x in rss if x is not None),
            "live heap first / half / end": " / ".join(mib(x) for x in heap if x is not None),
            "live heap, third to last quarter (medians)": f"{second_half:+.1f}%" if second_half is not None else "–",
        }
        if lang == "go":
            pauses = [p for i in iv if i.get("gc") for p in i["gc"]["pauses_ns"]]
            cycles = sum(i["gc"]["cycles"] for i in iv if i.get("gc"))
            row["pauses or stalls"] = (
                f"{cycles} GC cycles, {len(pauses)} pauses, longest {dur(max(pauses))}" if pauses else f"{cycles} GC cycles, no pause recorded")
            row["backlog peak"] = "– (traced, not counted)"
        else:
            rc = [i["reclaim"] for i in iv if i.get("reclaim")]
            if rc:
                stall_ops = sum(r.get("stall_ops") or 0 for r in rc)
                timed = sum(r["stall_lat_ns"]["count"] for r in rc)
                longest = max((r["stall_lat_ns"]["max"] or 0) for r in rc)
                row["pauses or stalls"] = (
                    f"{stall_ops} ops ran destructors, {timed} of them timed, longest timed {dur(longest)}")
                peak = max(r["backlog_values"] for r in rc)
                row["backlog peak"] = f"{peak} values ({rc[0].get('backlog_bytes', 0) and mib(max(r['backlog_bytes'] for r in rc)) or '0 B'})"
            else:
                row["pauses or stalls"] = "no reclamation recorded"
                row["backlog peak"] = "–"
        rows.append(row)
        if second_half is not None:
            verdict = "settled" if abs(second_half) < 5 else ("kept growing" if second_half > 0 else "kept shrinking")
            sentences.append(
                f"{NAMES[lang]}'s {impl}: the live heap {verdict} over the second half of the run "
                f"({second_half:+.1f}% from the median of the third quarter of the run to that of the last).")
    cols = list(rows[0].keys())
    for r in rows:
        for c in r:
            if c not in cols:
                cols.append(c)
    md = ["<!-- Generated by scripts/soak_summary.py from a scripts/soak.sh results directory; do not edit. Regenerate with:",
          f"     python3 scripts/soak_summary.py {src} {out} -->", ""]
    ls = load_sentence(src.parent / "load.txt")
    if ls:
        sentences.append(ls)
    md += [" ".join(sentences), "", "| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for r in rows:
        md.append("| " + " | ".join(r.get(c, "–") for c in cols) + " |")
    md.append("")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_text("\n".join(md))
    tmp.replace(out)
    print(f"soak_summary: wrote {out}", file=sys.stderr)


if __name__ == "__main__":
    main()
