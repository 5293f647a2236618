#!/usr/bin/env python3
"""Checks that the book's shell blocks work when pasted from the repository root.

Every ```sh / ```bash / ```console / ```shell block in book/src (generated pages
excepted) is read as a reader would paste it into a shell at the repository
root:

  parse     `bash -n` accepts it; no line starts with a prompt (`$ `, `dir$ `).
  cd        each `cd DIR` names a directory that exists from where the shell is
            by then (a `cd` inside `( ... )` ends with the parentheses).
  go        every package of `go run|build|test|vet|list` that starts with `./`
            exists from the current directory (checked with `go list`).
  cargo     every `-p NAME`, `--example NAME`, `--test NAME`, `--bin NAME` of a
            cargo command names a workspace package / target (`cargo metadata`).
  paths     every script or input file the block runs or reads (a relative path
            whose first component exists, other than after --out/-out/-o/>) exists.
  run       with --run: `go vet` of every Go package the blocks name, and every
            command line marked `# check: run` is run from the block's directory.

Python stdlib only.  Usage:
  check_shell_blocks.py [--root .] [--run]
  check_shell_blocks.py --self-test

Problems are printed as `FILE:LINE: message`; exit status 0 when there are
none, 1 when there are, 2 on bad invocation.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shlex
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

FENCE = re.compile(r"^(\s*)(`{3,}|~{3,})\s*(sh|bash|console|shell)\b")
PROMPT = re.compile(r"^\s*[\w./~-]*\$ ")
OUT_FLAGS = {"--out", "-out", "-o", "--out-dir", ">", "2>", ">>", "--output"}
GO_VERBS = {"run", "build", "test", "vet", "list", "install"}


@dataclass
class Block:
    page: Path
    line: int  # line of the first command (after the fence)
    text: str


@dataclass
class Cargo:
    packages: dict[str, dict[str, set[str]]] = field(default_factory=dict)  # name -> kind -> targets


def blocks(src: Path) -> list[Block]:
    out: list[Block] = []
    for page in sorted(src.rglob("*.md")):
        if "generated" in page.relative_to(src).parts:
            continue
        lines = page.read_text(encoding="utf-8").split("\n")
        i = 0
        while i < len(lines):
            m = FENCE.match(lines[i])
            if m:
                fence = m.group(2)
                j = i + 1
                while j < len(lines) and not lines[j].strip().startswith(fence):
                    j += 1
                out.append(Block(page, i + 2, "\n".join(lines[i + 1 : j]) + "\n"))
                i = j
            i += 1
    return out


def logical_lines(block: Block) -> list[tuple[int, str]]:
    """Joins backslash continuations; returns (page line, text) pairs."""
    out: list[tuple[int, str]] = []
    cur, start = "", 0
    for n, raw in enumerate(block.text.split("\n")):
        if not cur:
            start = block.line + n
        if raw.rstrip().endswith("\\"):
            cur += raw.rstrip()[:-1] + " "
            continue
        cur += raw
        if cur.strip():
            out.append((start, cur))
        cur = ""
    return out


def split_commands(line: str) -> list[tuple[bool, list[str], str]]:
    """(in a subshell?, words, the raw text) of each simple command on a line."""
    lex = shlex.shlex(line, posix=True, punctuation_chars=";&|()<>")
    lex.whitespace_split = True
    lex.commenters = "#"
    try:
        toks = list(lex)
    except ValueError:
        return []
    out, cur, depth, sub = [], [], 0, False
    for t in toks:
        if t in ("(",):
            depth += 1
            sub = True
            continue
        if t in (")",):
            depth -= 1
        if t in (";", "&&", "||", "|", "&", ")", "|&", ";;"):
            if cur:
                out.append((sub, cur, line))
            cur = []
            if depth == 0:
                sub = False
            continue
        cur.append(t)
    if cur:
        out.append((sub, cur, line))
    return out


def strip_env(words: list[str]) -> list[str]:
    i = 0
    while i < len(words) and re.match(r"^[A-Za-z_][A-Za-z0-9_]*=", words[i]):
        i += 1
    words = words[i:]
    if words[:1] in (["nice"], ["time"], ["env"]):
        words = words[1:]
        while words and (words[0].startswith("-") or re.match(r"^\d+$", words[0])):
            words = words[1:]
    return words


def cargo_metadata(root: Path) -> Cargo | None:
    try:
        out = subprocess.run(
            ["cargo", "metadata", "--offline", "--no-deps", "--format-version", "1"],
            cwd=root, capture_output=True, text=True, check=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    c = Cargo()
    for p in json.loads(out)["packages"]:
        kinds: dict[str, set[str]] = {}
        for t in p["targets"]:
            for k in t["kind"]:
                kinds.setdefault(k, set()).add(t["name"])
        c.packages[p["name"]] = kinds
    return c


def check(root: Path, run: bool = False) -> list[str]:
    src = root / "book" / "src"
    probs: list[str] = []
    cargo = cargo_metadata(root)
    if cargo is None:
        probs.append(f"{root}: `cargo metadata` failed: cannot check cargo package names")
    go_pkgs: dict[tuple[Path, str], tuple[Path, int]] = {}
    to_run: list[tuple[Path, int, Path, str]] = []

    for b in blocks(src):
        where = os.path.relpath(b.page, root)
        r = subprocess.run(["bash", "-n"], input=b.text, capture_output=True, text=True)
        if r.returncode != 0:
            msg = r.stderr.strip().replace("bash: ", "").replace("\n", "; ")
            probs.append(f"{where}:{b.line}: does not parse (bash -n): {msg}")
            continue
        cwd = root
        for ln, text in logical_lines(b):
            if PROMPT.match(text):
                probs.append(f"{where}:{ln}: starts with a prompt; write the command alone")
                continue
            line_cwd = cwd
            for sub, words, _ in split_commands(text):
                words = strip_env(words)
                if not words:
                    continue
                here = line_cwd
                if words[0] == "cd":
                    target = (here / words[1]).resolve() if len(words) > 1 else root
                    if len(words) > 1 and not target.is_dir():
                        rel = os.path.relpath(here, root)
                        probs.append(
                            f"{where}:{ln}: `cd {words[1]}` from {rel}/: no such directory"
                            " (each block starts at the repository root)")
                    else:
                        line_cwd = target
                        if not sub:
                            cwd = target
                    continue
                check_words(words, here, root, where, ln, cargo, go_pkgs, probs)
                if run and "# check: run" in text:
                    to_run.append((b.page, ln, here, text))
            # a subshell's cd ends with the line; a plain cd carries on
    if go_pkgs:
        by_dir: dict[Path, list[str]] = {}
        for (d, pkg), _ in go_pkgs.items():
            by_dir.setdefault(d, []).append(pkg)
        for d, pkgs in by_dir.items():
            for pkg in sorted(pkgs):
                page, ln = go_pkgs[(d, pkg)]
                where = os.path.relpath(page, root)
                r = subprocess.run(["go", "list", "-e", "-f", "{{if .Error}}{{.Error}}{{end}}", pkg],
                                   cwd=d, capture_output=True, text=True)
                err = (r.stdout + r.stderr).strip()
                if r.returncode != 0 or err:
                    probs.append(f"{where}:{ln}: Go package {pkg} (from {os.path.relpath(d, root)}/): {err.splitlines()[0] if err else 'go list failed'}")
            if run:
                r = subprocess.run(["go", "vet", *sorted(pkgs)], cwd=d, capture_output=True, text=True)
                if r.returncode != 0:
                    probs.append(f"{os.path.relpath(d, root)}: go vet {' '.join(sorted(pkgs))}: {r.stderr.strip()[:400]}")
    for page, ln, here, text in to_run:
        where = os.path.relpath(page, root)
        r = subprocess.run(["bash", "-c", text], cwd=here, capture_output=True, text=True, timeout=300)
        if r.returncode != 0:
            probs.append(f"{where}:{ln}: `{text.split('#')[0].strip()}` exited {r.returncode}: {r.stderr.strip()[:300]}")
    return probs


def check_words(words, here, root, where, ln, cargo, go_pkgs, probs):
    cmd = words[0]
    rel_here = os.path.relpath(here, root)
    if cmd == "go" and len(words) > 1 and words[1] in GO_VERBS:
        args = words[2:]
        skip_next = False
        for i, a in enumerate(args):
            if skip_next:
                skip_next = False
                continue
            if a.startswith("-"):
                if a in ("-o", "-gcflags", "-ldflags", "-run", "-count", "-tags", "-bench", "-timeout", "-exec"):
                    skip_next = True
                continue
            if a.startswith("./") or a.startswith("../"):
                base = a[:-4] if a.endswith("/...") else a
                if not (here / base).exists():
                    probs.append(f"{where}:{ln}: Go package {a}: no such directory from {rel_here}/"
                                 " (each block starts at the repository root)")
                else:
                    go_pkgs.setdefault((here, a), (Path(where), ln))
            if words[1] == "run":
                break  # the rest are the program's arguments
        return
    if cmd == "cargo" and cargo is not None:
        kind_of = {"--example": "example", "--test": "test", "--bin": "bin", "--bench": "bench"}
        pkgs = [words[i + 1] for i, w in enumerate(words[:-1]) if w in ("-p", "--package")]
        if "--" in words:
            words = words[: words.index("--")]
        for p in pkgs:
            if p not in cargo.packages:
                probs.append(f"{where}:{ln}: cargo package {p}: not in the workspace")
        for i, w in enumerate(words[:-1]):
            if w in kind_of:
                name, kind = words[i + 1], kind_of[w]
                owners = pkgs or list(cargo.packages)
                if not any(name in cargo.packages.get(p, {}).get(kind, set()) for p in owners):
                    probs.append(f"{where}:{ln}: cargo {w} {name}: no such {kind} in "
                                 f"{', '.join(pkgs) if pkgs else 'the workspace'}")
        return
    # a script run by path, or the file an interpreter reads
    cands = []
    if "/" in cmd and not cmd.startswith("/") and not cmd.startswith("target/"):
        cands.append(cmd)
    if cmd in ("python3", "python", "bash", "sh") and len(words) > 1 and not words[1].startswith("-"):
        cands.append(words[1])
    prev = None
    for w in words[1:]:
        if (prev not in OUT_FLAGS and "/" in w and not w.startswith(("/", "-", "~", "$", "http"))
                and "=" not in w and (here / w.split("/")[0]).exists()
                and not w.split("/")[0] in ("target", "results")):
            cands.append(w)
        prev = w
    for c in cands:
        if not (here / c).exists():
            probs.append(f"{where}:{ln}: {c}: no such file from {rel_here}/")


# --------------------------------------------------------------------------
# self-test


def self_test() -> int:
    failures = 0
    with tempfile.TemporaryDirectory() as d:
        root = Path(d)
        (root / "go-reference" / "cmd" / "demo").mkdir(parents=True)
        (root / "go-reference" / "go.mod").write_text("module example.com/x\n\ngo 1.22\n")
        (root / "go-reference" / "cmd" / "demo" / "main.go").write_text("package main\n\nfunc main() {}\n")
        (root / "scripts").mkdir()
        (root / "scripts" / "tool.py").write_text("")
        (root / "Cargo.toml").write_text('[package]\nname = "demo"\nversion = "0.1.0"\nedition = "2021"\n')
        (root / "src").mkdir()
        (root / "src" / "lib.rs").write_text("")
        (root / "examples").mkdir()
        (root / "examples" / "ex1.rs").write_text("fn main() {}\n")
        src = root / "book" / "src"
        src.mkdir(parents=True)

        def case(name, block, expect):
            nonlocal failures
            (src / "page.md").write_text(f"# P\n\n```sh\n{block}\n```\n")
            probs = check(root)
            got = "\n".join(probs)
            ok = (not probs) if expect is None else (expect in got)
            if not ok:
                failures += 1
                print(f"self-test FAIL {name}: want {expect!r}, got {got!r}")

        case("good go", "cd go-reference && go run ./cmd/demo -x 1", None)
        case("good subshell", "(cd go-reference && go test ./cmd/...)\npython3 scripts/tool.py --out x/y", None)
        case("good cargo", "cargo run --release -p demo --example ex1 -- --out book/src", None)
        case("go from the root", "go run ./cmd/demo", "no such directory from ./")
        case("double cd", "cd go-reference && go vet ./cmd/demo\ncd go-reference && go test ./cmd/demo",
             "`cd go-reference` from go-reference/")
        case("prompt", "go-reference$ go test ./cmd/demo", "starts with a prompt")
        case("parse", "for i in 1 2; do echo $i", "does not parse")
        case("missing package", "cargo test -p nope", "cargo package nope")
        case("missing example", "cargo run -p demo --example ex2", "--example ex2")
        case("missing script", "python3 scripts/gone.py", "scripts/gone.py: no such file")
        case("missing go pkg", "cd go-reference && go test ./cmd/gone", "Go package ./cmd/gone")
    print("self-test: " + ("ok" if failures == 0 else f"{failures} failed"))
    return 0 if failures == 0 else 1


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--root", default=".", help="repository root (default: .)")
    ap.add_argument("--run", action="store_true", help="also go vet named packages and run `# check: run` lines")
    ap.add_argument("--self-test", action="store_true")
    try:
        a = ap.parse_args(argv)
    except SystemExit as e:
        return 2 if e.code else 0
    if a.self_test:
        return self_test()
    root = Path(a.root).resolve()
    if not (root / "book" / "src").is_dir():
        print(f"{root}: no book/src here (--root must be the repository root)", file=sys.stderr)
        return 2
    probs = check(root, a.run)
    for p in probs:
        print(p)
    n = len(blocks(root / "book" / "src"))
    print(f"{n} shell blocks checked, {len(probs)} problem(s)", file=sys.stderr)
    return 1 if probs else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
