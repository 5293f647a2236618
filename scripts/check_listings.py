#!/usr/bin/env python3
"""Checks the code listings of the book's chapter pages (book/src/chNN/*.md).

A listing is a fenced code block (go, rust, toml, python, c) whose body is one
{{#include FILE[:ANCHOR]}} of a source file.  Each listing must

  caption   be preceded by its caption line, `*Listing C.K — `FILE`*`, where C is
            the chapter and K counts the chapter's listings in SUMMARY.md order
            (--fix writes or renumbers the captions);
  once      not be included twice on one page (the same file and anchor);
  minimal   not show harness plumbing: argument parsing (flag.Parse, flag.Int…,
            clap, std::env::args), report writing (os.WriteFile, fs::write,
            writeReport), or test scaffolding (func Test…, #[test], #[cfg(test)])
            outside the compile-fail programs (tests/ui) and loom models.

Python stdlib only.  Usage:
  check_listings.py [--src book/src] [--fix]
  check_listings.py --self-test
Problems are printed as `FILE:LINE: message`; exit 0 when none, 1 when some,
2 on bad invocation.
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
from pathlib import Path

LANGS = ("go", "rust", "toml", "python", "c")
FENCE = re.compile(r"^\s*```(\w+)")
INCLUDE = re.compile(r"^\s*\{\{#(?:rustdoc_)?include\s+([^\s}:]+)(?::([^\s}]+))?\s*\}\}\s*$")
CAPTION = re.compile(r"^\*Listing (\d+)\.(\d+) — `([^`]+)`\*\s*$")
PLUMBING = [
    (re.compile(r"\bflag\.(Parse|Int|String|Bool|Duration|Float64|Uint64|Int64)\("), "argument parsing"),
    (re.compile(r"\bclap::|#\[derive\([^)]*Parser|#\[arg\("), "argument parsing"),
    (re.compile(r"std::env::args|\benv::args\("), "argument parsing"),
    (re.compile(r"\bos\.WriteFile\(|\bfs::write\(|\bwriteReport\(|\bwrite_report\("), "report writing"),
    (re.compile(r"^\s*func Test\w*\(t \*testing\.T\)", re.M), "test scaffolding"),
    (re.compile(r"#\[test\]|#\[cfg\(test\)\]"), "test scaffolding"),
]
EXEMPT = ("/tests/ui/", "/tests/loom_")


def chapter_pages(src: Path) -> list[Path]:
    pages = []
    for m in re.finditer(r"\]\((ch\d\d/[^)]+\.md)\)", (src / "SUMMARY.md").read_text(encoding="utf-8")):
        pages.append(src / m.group(1))
    return pages


def anchored(text: str, anchor: str | None) -> str:
    if not anchor:
        return text
    if re.fullmatch(r"\d*(:\d*)?", anchor):
        lines = text.split("\n")
        a, _, b = anchor.partition(":")
        lo = int(a) - 1 if a else 0
        hi = int(b) if b else (lo + 1 if ":" not in anchor else len(lines))
        return "\n".join(lines[lo:hi])
    out, on = [], False
    for ln in text.split("\n"):
        if re.search(rf"ANCHOR:\s*{re.escape(anchor)}\b", ln):
            on = True
            continue
        if re.search(rf"ANCHOR_END:\s*{re.escape(anchor)}\b", ln):
            on = False
            continue
        if on and "ANCHOR" not in ln:
            out.append(ln)
    return "\n".join(out)


def listings(page: Path):
    """(index of the fence line, language, file, anchor) of each listing."""
    lines = page.read_text(encoding="utf-8").split("\n")
    out = []
    for i in range(len(lines) - 2):
        m = FENCE.match(lines[i])
        if not m or m.group(1) not in LANGS:
            continue
        inc = INCLUDE.match(lines[i + 1])
        if inc and lines[i + 2].strip().startswith("```"):
            out.append((i, m.group(1), inc.group(1), inc.group(2)))
    return lines, out


def repo_path(page: Path, src: Path, file: str) -> str:
    p = (page.parent / file).resolve()
    try:
        return str(p.relative_to(src.resolve().parent.parent))
    except ValueError:
        return str(p)


def run(src: Path, fix: bool) -> list[str]:
    probs: list[str] = []
    counters: dict[int, int] = {}
    for page in chapter_pages(src):
        chapter = int(re.match(r"ch(\d\d)", page.parent.name).group(1))
        lines, found = listings(page)
        seen: dict[tuple[str, str | None], int] = {}
        # caption line index for each listing: the nearest non-blank line above
        edits: list[tuple[int, str, bool]] = []  # (index, text, replace?)
        for i, _lang, file, anchor in found:
            counters[chapter] = counters.get(chapter, 0) + 1
            k = counters[chapter]
            rel = repo_path(page, src, file)
            where = f"{page}:{i + 2}"
            key = (rel, anchor)
            if key in seen:
                probs.append(f"{where}: {rel}:{anchor} is already included at line {seen[key]}; "
                             "show a listing once per page and refer to it by its number")
            seen.setdefault(key, i + 2)
            target = page.parent / file
            if target.is_file() and not any(e in "/" + rel for e in EXEMPT):
                body = anchored(target.read_text(encoding="utf-8"), anchor)
                for pat, what in PLUMBING:
                    if pat.search(body):
                        probs.append(f"{where}: {rel}:{anchor} shows {what} ({pat.pattern!r}); "
                                     "narrow the anchor and link the rest")
                        break
            want = f"*Listing {chapter}.{k} — `{rel}`*"
            j = i - 1
            while j >= 0 and not lines[j].strip():
                j -= 1
            has = j >= 0 and CAPTION.match(lines[j])
            if has and lines[j].strip() == want:
                continue
            if fix:
                edits.append((j if has else i, want, bool(has)))
            else:
                probs.append(f"{where}: listing without its caption; want the line {want!r} above it"
                             + (" (found a stale one)" if has else "") + " (--fix writes it)")
        if fix and edits:
            for idx, text, replace in sorted(edits, reverse=True):
                if replace:
                    lines[idx] = text
                else:
                    lines[idx:idx] = [text, ""]
            page.write_text("\n".join(lines), encoding="utf-8")
    return probs


def self_test() -> int:
    fails = 0
    with tempfile.TemporaryDirectory() as d:
        root = Path(d)
        src = root / "book" / "src"
        (src / "ch01").mkdir(parents=True)
        (root / "code").mkdir()
        (root / "code" / "a.go").write_text(
            "// ANCHOR: good\nm := map[int]int{}\n// ANCHOR_END: good\n"
            "// ANCHOR: flags\nn := flag.Int(\"n\", 1, \"\")\n// ANCHOR_END: flags\n"
            "// ANCHOR: test\nfunc TestX(t *testing.T) {}\n// ANCHOR_END: test\n")
        (src / "SUMMARY.md").write_text("- [One](ch01/one.md)\n")
        inc = lambda a: f"```go\n{{{{#include ../../../code/a.go:{a}}}}}\n```\n"  # noqa: E731

        def case(name, body, expect, fix=False):
            nonlocal fails
            (src / "ch01" / "one.md").write_text("# One\n\n" + body)
            got = "\n".join(run(src, fix))
            ok = (not got) if expect is None else (expect in got)
            if not ok:
                fails += 1
                print(f"self-test FAIL {name}: want {expect!r}, got {got!r}")

        cap = "*Listing 1.1 — `code/a.go`*\n\n"
        case("captioned", cap + inc("good"), None)
        case("no caption", inc("good"), "without its caption")
        case("stale number", "*Listing 1.7 — `code/a.go`*\n\n" + inc("good"), "stale")
        case("fix writes it", inc("good"), None, fix=True)
        case("fixed stays fixed", (src / "ch01" / "one.md").read_text()[len("# One\n\n"):], None)
        case("twice", cap + inc("good") + "\n*Listing 1.2 — `code/a.go`*\n\n" + inc("good"), "already included")
        case("flag parsing", cap + inc("flags"), "argument parsing")
        case("test", cap + inc("test"), "test scaffolding")
    print("self-test: " + ("ok" if not fails else f"{fails} failed"))
    return 1 if fails else 0


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--src", default="book/src")
    ap.add_argument("--fix", action="store_true", help="write or renumber the captions")
    ap.add_argument("--self-test", action="store_true")
    try:
        a = ap.parse_args(argv)
    except SystemExit as e:
        return 2 if e.code else 0
    if a.self_test:
        return self_test()
    src = Path(a.src)
    if not (src / "SUMMARY.md").is_file():
        print(f"{src}/SUMMARY.md: not found (--src must be the book's src directory)", file=sys.stderr)
        return 2
    probs = run(src, a.fix)
    for p in probs:
        print(p)
    return 1 if probs else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
