#!/usr/bin/env python3
"""At most three file:line citations per section of prose in the book (issue 10: the
rest belong in the page's "In the source" list or in the claims ledger).

A section is the text between two markdown headings. Not counted: fenced code blocks,
`{{#include ...}}` lines, the "In the source" section itself, the claims ledger page
and the generated pages (book/src/generated/). A citation is a `path.ext:LINE` token
(`runtime/panic.go:1241-1255`, `mgc.go:835`, `a.go:1,5`) or a bare `:LINE` in
backticks continuing one (`:1660`): each counts once.

    python3 scripts/check_citations.py [BOOK_SRC]      # default book/src
    python3 scripts/check_citations.py --self-test

Fails (exit 1) naming page:line of the section's heading, the section and its count.
"""
import re
import sys
import tempfile
from pathlib import Path

MAX_PER_SECTION = 3
EXT = r"(?:go|rs|py|sh|toml|s|S|c|h|md|txt|json|jsonl|yaml|yml|mod)"
LINES = r":\d+(?:[-–]\d+)?(?:,\d+(?:[-–]\d+)?)*"
CITATION = re.compile(
    rf"(?<![\w/.-])[\w.-][\w./-]*\.{EXT}{LINES}(?!\w)"  # path.ext:LINE
    rf"|`{LINES}`"  # `:LINE` continuing the previous citation
)
HEADING = re.compile(r"(#{1,6})\s+(.*?)\s*#*\s*$")
FENCE = re.compile(r"\s*(`{3,}|~{3,})")
# Pages whose whole point is citations.
SKIP_PAGES = {"claims-ledger.md"}


def sections(text):
    """(heading line number, heading text, citations) per section of prose."""
    out = []
    title, start, count = None, 1, 0
    fence = None
    for n, line in enumerate(text.splitlines(), 1):
        m = FENCE.match(line)
        if m:
            mark = m.group(1)
            if fence is None:
                fence = mark[0] * len(mark)
            elif line.strip().startswith(fence):
                fence = None
            continue
        if fence is not None:
            continue
        h = HEADING.match(line)
        if h:
            out.append((start, title, count))
            title, start, count = h.group(2), n, 0
            continue
        if title is not None and title.lower().startswith("in the source"):
            continue
        if "{{#" in line:
            continue
        count += len(CITATION.findall(line))
    out.append((start, title, count))
    return out


def check(src):
    problems = []
    for page in sorted(src.rglob("*.md")):
        rel = page.relative_to(src)
        if rel.parts[0] == "generated" or page.name in SKIP_PAGES:
            continue
        for line, title, count in sections(page.read_text(encoding="utf-8")):
            if count > MAX_PER_SECTION:
                problems.append(
                    f"{src / rel}:{line}: section {title or '(before the first heading)'!r} has "
                    f"{count} file:line citations, more than {MAX_PER_SECTION}: keep the ones "
                    f"the prose needs, move the rest to the page's \"In the source\" list")
    return problems


def self_test():
    failures = []
    page = """# Title

Prose citing `a.go:1`, `b.rs:2-3` and `:7`.

## Busy

One `runtime/mgc.go:835`, two `mgc.go:948`, three `proc.go:1474-1476`,
four `:1660`.

```go
x := y // not.go:1 not.go:2 not.go:3 not.go:4
```

{{#include ../../x.go:anchor}}

## In the source

- `a.go:1`, `a.go:2`, `a.go:3`, `a.go:4`, `a.go:5`.

## After

Version 1.26, a ratio 3:1, `x86-64`, https://example.com/a.go and
[link](a.md#x) are no citations; `c.go:10,12` is one.
"""
    got = [(t, c) for _, t, c in sections(page)]
    want = [(None, 0), ("Title", 3), ("Busy", 4), ("In the source", 0), ("After", 1)]
    if got != want:
        failures.append(f"sections: want {want}, got {got}")
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp)
        (src / "ch").mkdir()
        (src / "ch" / "p.md").write_text(page)
        (src / "generated").mkdir()
        (src / "generated" / "g.md").write_text("# G\n\n" + "`a.go:1` " * 9 + "\n")
        (src / "claims-ledger.md").write_text("# L\n\n" + "`a.go:1` " * 9 + "\n")
        probs = check(src)
        if len(probs) != 1 or f"{src}/ch/p.md:5:" not in probs[0] or "'Busy' has 4" not in probs[0]:
            failures.append(f"check: want one problem at ch/p.md:5 ('Busy' has 4), got {probs}")
    for f in failures:
        print(f"check_citations self-test: {f}", file=sys.stderr)
    print(f"check_citations self-test: {'FAILED' if failures else 'ok'}", file=sys.stderr)
    return 1 if failures else 0


def main(argv):
    if argv == ["--self-test"]:
        return self_test()
    if len(argv) > 1 or (argv and argv[0].startswith("-")):
        print("usage: scripts/check_citations.py [BOOK_SRC] | --self-test", file=sys.stderr)
        return 2
    src = Path(argv[0] if argv else "book/src")
    if not src.is_dir():
        print(f"check_citations: {src}: not a directory (expected the book's src)", file=sys.stderr)
        return 2
    problems = check(src)
    for p in problems:
        print(p, file=sys.stderr)
    print(f"check_citations: {len(problems)} section(s) over {MAX_PER_SECTION} citations",
          file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
