#!/usr/bin/env python3
"""Checks that benchstat (golang.org/x/perf/cmd/benchstat) reads the bench.txt files
the pipeline writes.

Usage:
  check_benchstat.py BENCHSTAT FILE [FILE...]   one benchstat run per FILE, then one
                                                 two-file comparison of the first two
                                                 (or of FILE with itself when only one)
  check_benchstat.py BENCHSTAT --self-test       a copy of a good file with one broken
                                                 line must be flagged

A run passes when benchstat exits 0, reports no parse problem on stdout or stderr,
prints every benchmark name the files carry, and prints every unit they carry (benchstat
shows a unit with an "ns" component as "sec", e.g. ns/op as sec/op, p99-ns as p99-sec).
Expected names and units come from the files themselves.
Exit status: 0 all passed, 1 a check failed, 2 bad usage or unreadable file.
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

# benchstat reports a line it cannot read as "FILE:LINE: message" (on stderr).
PROBLEM = re.compile(r"parse error|malformed|parsing|^\S+:\d+: ", re.IGNORECASE)
SELF_TEST_FILE = "book/src/generated/results/bench.txt"


def expected(paths):
    """Benchmark names (without the "Benchmark" prefix, as benchstat prints them) and units."""
    names, units = set(), set()
    for path in paths:
        with open(path, encoding="utf-8") as f:
            for line in f:
                fields = line.split()
                if not fields or not fields[0].startswith("Benchmark"):
                    continue
                names.add(fields[0][len("Benchmark"):])
                # name, iterations, then (value, unit) pairs
                units.update(fields[3::2])
    return names, units


def shown_units(unit):
    """The spellings benchstat may use for a unit: as written, or with ns scaled to sec."""
    return {unit, re.sub(r"(^|[-/])ns($|[-/])", r"\1sec\2", unit)}


def check(benchstat, paths, label):
    """Runs benchstat on paths; returns a list of problems (empty when the parse is clean)."""
    names, units = expected(paths)
    problems = []
    if not names:
        problems.append(f"{label}: no Benchmark lines in {', '.join(paths)}")
    proc = subprocess.run([benchstat, *paths], capture_output=True, text=True)
    if proc.returncode != 0:
        problems.append(f"{label}: benchstat exited {proc.returncode}")
    for stream in (proc.stdout, proc.stderr):
        for line in stream.splitlines():
            if PROBLEM.search(line):
                problems.append(f"{label}: benchstat reported: {line.strip()}")
    out_names = {line.split()[0] for line in proc.stdout.splitlines() if line.split()}
    missing = sorted(names - out_names)
    if missing:
        problems.append(f"{label}: {len(missing)} benchmark name(s) missing from benchstat's output, e.g. {missing[0]}")
    for unit in sorted(units):
        if not any(re.search(r"│\s*" + re.escape(u) + r"\s*│", proc.stdout) for u in shown_units(unit)):
            problems.append(f"{label}: unit {unit} not in benchstat's output")
    if not problems:
        print(f"ok   {label}: exit 0, {len(names)} names, units {' '.join(sorted(units))}")
    return problems


def self_test(benchstat):
    """A broken measurement in a copy of a good file must be flagged; the good file must pass."""
    good_problems = check(benchstat, [SELF_TEST_FILE], "self-test good file")
    tmp = tempfile.mkdtemp()
    try:
        broken = os.path.join(tmp, "bench.txt")
        with open(SELF_TEST_FILE, encoding="utf-8") as f:
            lines = f.readlines()
        i = next(n for n, line in enumerate(lines) if line.startswith("Benchmark"))
        fields = lines[i].split()
        fields[2] = "12,5x"  # not a number
        lines[i] = " ".join(fields) + "\n"
        with open(broken, "w", encoding="utf-8") as f:
            f.writelines(lines)
        bad_problems = check(benchstat, [broken], "self-test broken line")
    finally:
        shutil.rmtree(tmp)
    if good_problems:
        print("self-test FAILED: the good file was flagged:", *good_problems, sep="\n  ")
        return 1
    if not any("benchstat reported" in p for p in bad_problems):
        print("self-test FAILED: a broken measurement was not flagged")
        return 1
    print("self-test ok: the broken line was flagged:", *bad_problems, sep="\n  ")
    return 0


def main(argv):
    if len(argv) < 2:
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    benchstat, rest = argv[0], argv[1:]
    if rest == ["--self-test"]:
        return self_test(benchstat)
    for path in rest:
        if not os.path.isfile(path):
            print(f"error: {path}: no such file (expected a bench.txt the pipeline wrote)", file=sys.stderr)
            return 2
    problems = []
    for path in rest:
        problems += check(benchstat, [path], path)
    pair = rest[:2] if len(rest) > 1 else [rest[0], rest[0]]
    problems += check(benchstat, pair, f"compare {pair[0]} vs {pair[1]}")
    for p in problems:
        print(f"FAIL {p}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
