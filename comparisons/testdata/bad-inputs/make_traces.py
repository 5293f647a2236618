#!/usr/bin/env python3
"""Writes traces/*.trace: each a copy of tiny.trace (a valid trace of tiny.toml) with
one thing wrong. cases.toml says what each must produce. Regenerate after tiny.trace
changes:

    cargo run -p mapbench -- trace --workload comparisons/testdata/bad-inputs/tiny.toml \\
        --out comparisons/testdata/bad-inputs/tiny.trace
    python3 comparisons/testdata/bad-inputs/make_traces.py
"""
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
BASE = open(os.path.join(HERE, "tiny.trace"), "rb").read()
DIGEST = open(os.path.join(HERE, "tiny.trace.sha256")).read().split()[0]
HEADER_LEN = struct.unpack_from("<I", BASE, 12)[0]
PREFILL = struct.unpack_from("<Q", BASE, 48)[0]
OPS_AT = HEADER_LEN + 8 * PREFILL
OPS_PER_THREAD = struct.unpack_from("<Q", BASE, 40)[0]


def patch(fmt, at, value):
    b = bytearray(BASE)
    struct.pack_into(fmt, b, at, value)
    return bytes(b)


def op(kind, key_id):
    return struct.pack("<Q", (kind << 62) | key_id)


def replace_op(thread, index, word):
    b = bytearray(BASE)
    at = OPS_AT + 8 * (thread * OPS_PER_THREAD + index)
    b[at:at + 8] = word
    return bytes(b)


def swapped_ops():
    """Thread 0's first op replaced by a different op of the same stream: still a
    well-formed trace, but not the bytes tiny.trace.sha256 records."""
    b = bytearray(BASE)
    first = b[OPS_AT:OPS_AT + 8]
    for i in range(1, OPS_PER_THREAD):
        other = b[OPS_AT + 8 * i:OPS_AT + 8 * i + 8]
        if other != first:
            b[OPS_AT:OPS_AT + 8] = other
            return bytes(b)
    sys.exit("tiny.trace: thread 0's ops are all equal")


name_bad_utf8 = bytearray(BASE)
name_bad_utf8[96:100] = b"ti\xffy"

CASES = {
    "empty": b"",
    "magic": b"NOTATRAC" + BASE[8:],
    "version-3": patch("<I", 8, 3),
    "key-type-9": patch("<B", 73, 9)[:8] + struct.pack("<I", 2) + patch("<B", 73, 9)[12:],
    "value-kind-7": patch("<B", 74, 7)[:8] + struct.pack("<I", 2) + patch("<B", 74, 7)[12:],
    "version-2-u64-kinds": patch("<I", 8, 2),
    "cut-in-fixed-header": BASE[:50],
    "cut-in-name": BASE[:100],
    "cut-in-prefill": BASE[:HEADER_LEN + 16],
    "cut-in-ops": BASE[:-8],
    "cut-mid-word": BASE[:-3],
    "trailing-bytes": BASE + bytes(8),
    "header-len-97": patch("<I", 12, 97),
    "key-space-0": patch("<Q", 16, 0),
    "key-space-too-big": patch("<Q", 16, (1 << 62) + 1),
    "key-id-bound-below-key-space": patch("<Q", 24, 3),
    "threads-0": patch("<I", 32, 0),
    "threads-1025": patch("<I", 32, 1025),
    "flags-bit-1": patch("<I", 36, 2),
    "ops-per-thread-0": patch("<Q", 40, 0),
    "ops-per-thread-too-big": patch("<Q", 40, (1 << 32) + 1),
    "prefill-count-above-key-space": patch("<Q", 48, 17),
    "mix-sums-to-9999": patch("<H", 64, 4999),
    "distribution-9": patch("<B", 72, 9),
    "reserved-nonzero": patch("<B", 73, 1),
    "name-len-0": patch("<I", 76, 0),
    "name-len-65": patch("<I", 76, 65),
    "theta-1.5": patch("<d", 80, 1.5),
    "theta-nan": patch("<d", 80, float("nan")),
    "hotspot-fraction-2": patch("<d", 80, 2.0)[:72] + b"\x03" + patch("<d", 80, 2.0)[73:],
    "name-not-utf8": bytes(name_bad_utf8),
    "prefill-key-out-of-range": patch("<Q", HEADER_LEN + 8, 16),
    "op-kind-not-in-mix": replace_op(0, 1, op(2, 3)),
    "op-key-out-of-range": replace_op(1, 0, op(0, 16)),
    "body-changed": swapped_ops(),
    "bad-sidecar": BASE,
}
# Traces whose .sha256 sidecar is part of the case.
SIDECARS = {
    "body-changed": f"{DIGEST}  body-changed.trace\n",
    "bad-sidecar": "this is not a sha256sum line\n",
}

out = os.path.join(HERE, "traces")
os.makedirs(out, exist_ok=True)
for name in os.listdir(out):
    os.remove(os.path.join(out, name))
for name, data in CASES.items():
    with open(os.path.join(out, name + ".trace"), "wb") as f:
        f.write(data)
for name, text in SIDECARS.items():
    with open(os.path.join(out, name + ".trace.sha256"), "w") as f:
        f.write(text)
print(f"wrote {len(CASES)} traces and {len(SIDECARS)} sidecars into {out}")
