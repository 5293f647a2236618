#!/usr/bin/env python3
"""Writes results/*/: each a results directory with one run file (copied from
../results-sample) that has one thing wrong. cases.toml says what each must produce.
Regenerate: python3 comparisons/testdata/bad-inputs/make_results.py"""
import json
import os
import shutil

HERE = os.path.dirname(os.path.abspath(__file__))
SAMPLE = os.path.join(HERE, "..", "results-sample")
ONE = "quick-rust-mutex-std-foldhash-read-heavy-t1-r1"  # one interval
MANY = "quick-go-sync-map-read-heavy-t2-r1"  # several intervals


def lines(run):
    with open(os.path.join(SAMPLE, run + ".jsonl"), "rb") as f:
        return f.read().split(b"\n")[:-1]


def hlog(run):
    with open(os.path.join(SAMPLE, run + ".hlog"), "rb") as f:
        return f.read()


def manifest_of(run):
    with open(os.path.join(SAMPLE, "manifest.json")) as f:
        m = json.load(f)
    m["runs"] = [r for r in m["runs"] if r["run_id"] == run]
    m["runs"][0]["seq"] = 1
    return json.dumps(m, indent=2) + "\n"


def case(name, run, jsonl, log=None, manifest=None, extra=None):
    d = os.path.join(HERE, "results", name)
    os.makedirs(d)
    if jsonl is not None:
        with open(os.path.join(d, run + ".jsonl"), "wb") as f:
            f.write(jsonl)
    with open(os.path.join(d, run + ".hlog"), "wb") as f:
        f.write(hlog(run) if log is None else log)
    if manifest is not None:
        with open(os.path.join(d, "manifest.json"), "w") as f:
            f.write(manifest)
    for fname, text in (extra or {}).items():
        with open(os.path.join(d, fname), "w") as f:
            f.write(text)


def joined(ls, cut_last=0):
    text = b"\n".join(ls) + b"\n"
    return text[: len(text) - cut_last] if cut_last else text


shutil.rmtree(os.path.join(HERE, "results"), ignore_errors=True)
one, many = lines(ONE), lines(MANY)

case("wrong-schema", ONE, joined([one[0].replace(b'"schema":1,', b'"schema":999,')] + one[1:]))
case("cut-in-first-line", ONE, one[0][:200])
# The run_end line cut short while the manifest says the run ended ok.
case("truncated-last-line", ONE, joined(one, cut_last=40), manifest=manifest_of(ONE))
case("intervals-out-of-order", MANY, joined([many[0], many[2], many[1]] + many[3:]))
case("interval-before-run-start", MANY, joined([many[1], many[0]] + many[2:]))
case("record-after-run-end", MANY, joined(many + [many[1]]))
case("not-utf8", ONE, joined([one[0].replace(b'"impl":"mutex-std-foldhash"', b'"impl":"mutex-\xff"')] + one[1:]))
case("not-json", ONE, joined([one[0], b"{this is not json}", one[2]]))
case("threads-not-a-number", ONE, joined([one[0].replace(b'"threads":1,', b'"threads":"one",')] + one[1:]))
case("run-id-not-the-file-name", ONE, joined([one[0].replace(b'"run_id":"' + ONE.encode(), b'"run_id":"another-run')] + one[1:]))
case("hlog-garbage", ONE, joined(one), log=b"0.1,0.1,1.0,@@@ not base64\n")
case("no-run-files", ONE, None, extra={"notes.txt": "a directory without *.jsonl\n"})
os.remove(os.path.join(HERE, "results", "no-run-files", ONE + ".hlog"))
print("wrote", len(os.listdir(os.path.join(HERE, "results"))), "results directories")
