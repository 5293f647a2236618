#!/usr/bin/env python3
"""Sentences about measurements, checked against the generated data.

A hand-written sentence that describes a measured result carries an HTML
comment with an expression over the files under book/src/generated/:

    sync.Map's worst interval is several times longer with the collector on.
    <!-- assert: num(cell(table("ch04/tails.md", "collector on and off"), "map", "Go sync-map", "max, GC on")) > 3 * num(cell(table("ch04/tails.md", "collector on and off"), "map", "Go sync-map", "max, GC off")) -->

The expression is a small subset of Python (no attributes, no imports, calls
only to the functions in FUNCTIONS below); book/src/reference/asserting-results.md
documents it for contributors.  Python stdlib only.

Usage:
  book_assert.py --check [--src book/src] [--data book/src/generated]
      evaluate every assertion in the hand-written pages; each failure is
      printed as `PAGE:LINE: SENTENCE` plus why; exit 1 if any failed.
  book_assert.py --check-generated [--src book/src] [--list book/generated.toml]
      every file under generated/ is listed in generated.toml, every listed
      file exists, every listed page exists, no generated file holds an
      absolute machine path (/root/, /home/, /work/).
  book_assert.py --stale-since EPOCH_SECONDS
      print the repeated_by_run entries whose files were not rewritten since
      EPOCH_SECONDS (scripts/run calls it at its end); exit 0.
  book_assert.py preprocess           mdBook preprocessor ([context, book] on stdin)
  book_assert.py preprocess supports RENDERER
                                      mdBook's handshake (exit 0: every renderer)
  book_assert.py --self-test

Exit status: 0 ok, 1 problems found, 2 bad invocation or bad input.
"""

from __future__ import annotations

import ast
import csv as csv_mod
import fnmatch
import glob
import json as json_mod
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "book" / "src"
LIST = ROOT / "book" / "generated.toml"

# `<!-- assert: EXPR -->`; EXPR may span lines.
ASSERT_RE = re.compile(r"<!--\s*assert:\s*(.*?)\s*-->", re.S)
ABSOLUTE_RE = re.compile(r"(?<![\w.~-])/(?:root|home|work)/")


class CheckError(Exception):
    """An assertion that could not be evaluated (bad data, missing file)."""


# --------------------------------------------------------------------------
# data access


class Data:
    def __init__(self, base: Path) -> None:
        self.base = base
        self.cache: dict[tuple, object] = {}

    def _path(self, rel: str) -> Path:
        if not isinstance(rel, str) or rel.startswith("/") or ".." in Path(rel).parts:
            raise CheckError(f"data path {rel!r} must be relative to book/src/generated/")
        p = self.base / rel
        if not p.is_file():
            raise CheckError(f"data file generated/{rel} is missing")
        return p

    def text(self, rel: str) -> str:
        key = ("text", rel)
        if key not in self.cache:
            self.cache[key] = self._path(rel).read_text(encoding="utf-8")
        return self.cache[key]  # type: ignore[return-value]

    def json(self, rel: str):
        key = ("json", rel)
        if key not in self.cache:
            try:
                self.cache[key] = json_mod.loads(self.text(rel))
            except json_mod.JSONDecodeError as e:
                raise CheckError(f"generated/{rel} is not JSON: {e}") from None
        return self.cache[key]

    def csv(self, rel: str) -> list[dict]:
        key = ("csv", rel)
        if key not in self.cache:
            lines = [l for l in self.text(rel).splitlines() if l and not l.startswith("#")]
            rows = []
            for r in csv_mod.DictReader(lines):
                rows.append({k: _maybe_number(v) for k, v in r.items()})
            self.cache[key] = rows
        return self.cache[key]  # type: ignore[return-value]

    def table(self, rel: str, which=0) -> list[dict]:
        """The rows of a Markdown table in a generated page, as dicts of cell
        text.  `which` is the table's index (0 = first) or a case-insensitive
        substring of the heading (or of the text line) just above it."""
        key = ("table", rel, which)
        if key in self.cache:
            return self.cache[key]  # type: ignore[return-value]
        tables = _md_tables(self.text(rel))
        chosen = None
        if isinstance(which, int):
            if 0 <= which < len(tables):
                chosen = tables[which]
        else:
            for title, rows in tables:
                if str(which).lower() in title.lower():
                    chosen = (title, rows)
                    break
        if chosen is None:
            titles = "; ".join(t or "(untitled)" for t, _ in tables)
            raise CheckError(f"generated/{rel} has no table {which!r} (tables: {titles})")
        self.cache[key] = chosen[1]
        return chosen[1]


def _md_tables(text: str) -> list[tuple[str, list[dict]]]:
    out = []
    lines = text.splitlines()
    title = ""
    i = 0
    while i < len(lines):
        line = lines[i].strip()
        if line.startswith("|") and i + 1 < len(lines) and re.match(r"^\|?\s*:?-{3,}", lines[i + 1].strip()):
            head = []
            for n, h in enumerate(_cells(line), 1):
                head.append(h if h and h not in head else str(n))  # "| | |" -> "1", "2"
            rows = []
            i += 2
            while i < len(lines) and lines[i].strip().startswith("|"):
                cells = _cells(lines[i].strip())
                rows.append(dict(zip(head, cells)))
                i += 1
            out.append((title, rows))
            continue
        if line:
            title = line.lstrip("#").strip()
        i += 1
    return out


def _cells(line: str) -> list[str]:
    line = line.strip()
    if line.startswith("|"):
        line = line[1:]
    if line.endswith("|"):
        line = line[:-1]
    return [c.replace("`", "").strip().strip("*").strip() for c in re.split(r"(?<!\\)\|", line)]


def _maybe_number(v):
    if v is None:
        return v
    try:
        return int(v)
    except ValueError:
        pass
    try:
        return float(v)
    except ValueError:
        return v


UNITS = {
    "ns": 1.0, "µs": 1e3, "us": 1e3, "μs": 1e3, "ms": 1e6, "s": 1e9, "min": 60e9,
    "b": 1.0, "B": 1.0, "KiB": 1024.0, "MiB": 1024.0**2, "GiB": 1024.0**3,
    "kB": 1e3, "KB": 1e3, "MB": 1e6, "GB": 1e9,
    "%": 1.0, "x": 1.0, "×": 1.0,
    "k": 1e3, "M": 1e6, "G": 1e9,
}
NUM_RE = re.compile(r"^\s*([+\-−]?\d[\d,_]*(?:\.\d+)?(?:[eE][+-]?\d+)?)\s*([A-Za-zµμ%×/]*)")


def num(s):
    """A number from a cell: "20.2 ms" -> 20200000.0 (ns), "77.6 MiB" -> bytes,
    "18%" -> 18, "+23%" -> 23, "1,234" -> 1234, "33.5 ns" -> 33.5."""
    if isinstance(s, bool):
        raise CheckError(f"num({s!r}): not a number")
    if isinstance(s, (int, float)):
        return s
    if not isinstance(s, str):
        raise CheckError(f"num({s!r}): not a number")
    m = NUM_RE.match(s.replace("\u2212", "-").lstrip(" ≤≥<>~≈"))
    if not m:
        raise CheckError(f"num({s!r}): not a number")
    value = float(m.group(1).replace(",", "").replace("_", ""))
    unit = m.group(2)
    if unit and unit not in UNITS:
        unit = unit.split("/")[0]
        if unit and unit not in UNITS:
            raise CheckError(f"num({s!r}): unknown unit {unit!r}")
    return value * UNITS.get(unit, 1.0)


def nums(s) -> list:
    """Every number in a text cell, without units: "0 of 20" -> [0, 20]."""
    if not isinstance(s, str):
        raise CheckError(f"nums({s!r}): not text")
    return [float(x.replace(",", "")) for x in re.findall(r"[+-]?\d[\d,]*(?:\.\d+)?", s)]


def rows(table, **filters) -> list[dict]:
    """The rows of `table` (list of dicts) whose columns equal the filters;
    a filter value ending in '*' matches as a prefix."""
    out = []
    for r in table:
        ok = True
        for k, v in filters.items():
            k = k.replace("__", " ")
            got = r.get(k)
            if isinstance(v, str) and v.endswith("*"):
                ok = isinstance(got, str) and got.startswith(v[:-1])
            else:
                ok = got == v
            if not ok:
                break
        if ok:
            out.append(r)
    return out


def cell(table, key_col: str, key, col: str):
    """The `col` cell of the one row whose `key_col` equals `key` (a value
    ending in '*' matches as a prefix)."""
    found = rows(table, **{key_col.replace(" ", "__"): key})
    if len(found) != 1:
        raise CheckError(f"cell: {len(found)} rows with {key_col} = {key!r} (expected 1)")
    if col not in found[0]:
        raise CheckError(f"cell: no column {col!r} (columns: {', '.join(found[0])})")
    return found[0][col]


def col(table, name: str) -> list:
    try:
        return [r[name] for r in table]
    except KeyError:
        raise CheckError(f"col: no column {name!r}") from None


def iso_minutes(s) -> float:
    """Minutes between the first two ISO-8601 UTC times in a text cell
    ("2026-11-26T12:51:26Z → 2026-11-26T13:36:30Z" -> 45.07)."""
    import datetime
    found = re.findall(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z", str(s))
    if len(found) < 2:
        raise CheckError(f"iso_minutes({s!r}): expected two ISO-8601 UTC times")
    a, b = (datetime.datetime.fromisoformat(x.replace("Z", "+00:00")) for x in found[:2])
    return (b - a).total_seconds() / 60


def ratio(a, b):
    if b == 0:
        raise CheckError("ratio: division by zero")
    return a / b


def between(x, lo, hi) -> bool:
    return lo <= x <= hi


def _median(xs):
    xs = list(xs)
    if not xs:
        raise CheckError("median of nothing")
    return statistics.median(xs)


def functions(data: Data) -> dict:
    return {
        "json": data.json, "csv": data.csv, "table": data.table, "text": data.text,
        "contains": lambda rel, s: s in data.text(rel),
        "rows": rows, "cell": cell, "col": col, "num": num, "nums": nums,
        "median": _median, "min": min, "max": max, "sum": sum, "len": len, "abs": abs,
        "all": all, "any": any, "ratio": ratio, "between": between, "iso_minutes": iso_minutes, "round": round,
        "sorted": sorted, "set": set, "list": list,
        "True": True, "False": False, "None": None,
    }


# --------------------------------------------------------------------------
# the safe evaluator

ALLOWED = (
    ast.Expression, ast.BoolOp, ast.And, ast.Or, ast.UnaryOp, ast.Not, ast.USub, ast.UAdd,
    ast.BinOp, ast.Add, ast.Sub, ast.Mult, ast.Div, ast.FloorDiv, ast.Mod,
    ast.Compare, ast.Eq, ast.NotEq, ast.Lt, ast.LtE, ast.Gt, ast.GtE, ast.In, ast.NotIn,
    ast.Call, ast.keyword, ast.Constant, ast.Name, ast.Load, ast.Store, ast.Subscript,
    ast.Slice, ast.List, ast.Tuple, ast.IfExp, ast.GeneratorExp, ast.ListComp,
    ast.comprehension,
)


def compile_expr(src: str, names: set[str]):
    try:
        tree = ast.parse(src, mode="eval")
    except SyntaxError as e:
        raise CheckError(f"syntax error in assertion: {e.msg}") from None
    bound = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.comprehension):
            for n in ast.walk(node.target):
                if isinstance(n, ast.Name):
                    bound.add(n.id)
    for node in ast.walk(tree):
        if not isinstance(node, ALLOWED):
            raise CheckError(f"not allowed in an assertion: {type(node).__name__}")
        if isinstance(node, ast.Name):
            if node.id.startswith("_") or (node.id not in names and node.id not in bound):
                raise CheckError(f"unknown name in assertion: {node.id}")
        if isinstance(node, ast.Call) and not (isinstance(node.func, ast.Name) and node.func.id in names):
            raise CheckError("only the listed functions may be called")
        if isinstance(node, ast.Constant) and isinstance(node.value, (bytes, complex)):
            raise CheckError("only numbers and strings as literals")
    return compile(tree, "<assert>", "eval")


def evaluate(src: str, data: Data):
    env = functions(data)
    code = compile_expr(src, set(env))
    try:
        return eval(code, {"__builtins__": {}, **env})  # noqa: S307 - whitelisted AST
    except CheckError:
        raise
    except (KeyError, IndexError) as e:
        raise CheckError(f"no such key or index in the data: {e}") from None
    except (TypeError, ValueError, ZeroDivisionError, NameError, AttributeError) as e:
        raise CheckError(f"{type(e).__name__}: {e}") from None


# --------------------------------------------------------------------------
# pages


class Assertion:
    def __init__(self, page: str, line: int, expr: str, sentence: str, raw: str) -> None:
        self.page, self.line, self.expr, self.sentence, self.raw = page, line, expr, sentence, raw
        self.ok: bool | None = None
        self.why = ""


def _sentence_before(text: str, start: int) -> str:
    """The sentence the assertion follows: the text before it on its line, or,
    when the comment starts a line, the last sentence of the lines above it in
    the same paragraph."""
    before = text[:start]
    line_start = before.rfind("\n") + 1
    on_line = before[line_start:].strip()
    if not on_line:
        para = []
        for l in reversed(before[:line_start].rstrip("\n").split("\n")):
            if not l.strip() or ASSERT_RE.fullmatch(l.strip()):
                if para:
                    break
                continue
            para.insert(0, l.strip())
        on_line = " ".join(para)
    on_line = ASSERT_RE.sub("", on_line).strip()
    parts = re.split(r"(?<=[.!?;:])\s+(?=[A-Z`*(\[\"“])", on_line)
    s = parts[-1] if parts else on_line
    if len(s) < 30 and len(parts) > 1:
        s = parts[-2] + " " + s
    return s[:300]


def _in_code(text: str) -> list[tuple[int, int]]:
    spans = []
    for m in re.finditer(r"^(```|~~~).*?^\1", text, re.S | re.M):
        spans.append(m.span())
    for m in re.finditer(r"`[^`\n]*`", text):
        spans.append(m.span())
    return spans


def find_assertions(page: str, text: str) -> list[Assertion]:
    out = []
    code = _in_code(text)
    for m in ASSERT_RE.finditer(text):
        if any(a <= m.start() < b for a, b in code):
            continue  # an example in a code block or code span
        line = text.count("\n", 0, m.start()) + 1
        expr = " ".join(m.group(1).split())
        out.append(Assertion(page, line, expr, _sentence_before(text, m.start()), m.group(0)))
    return out


def hand_written_pages(src: Path):
    for p in sorted(src.rglob("*.md")):
        rel = p.relative_to(src).as_posix()
        if rel.startswith("generated/"):
            continue
        yield rel, p


def check_page(rel: str, text: str, data: Data) -> list[Assertion]:
    found = find_assertions(rel, text)
    for a in found:
        try:
            v = evaluate(a.expr, data)
            if isinstance(v, bool):
                a.ok = v
                a.why = "" if v else "the expression is false on this data"
            else:
                a.ok = False
                a.why = f"the expression gave {v!r}, not True/False"
        except CheckError as e:
            a.ok = False
            a.why = f"could not be checked: {e}"
    return found


def check(src: Path, data_dir: Path, out=sys.stdout) -> int:
    data = Data(data_dir)
    total = failed = 0
    for rel, p in hand_written_pages(src):
        for a in check_page(rel, p.read_text(encoding="utf-8"), data):
            total += 1
            if not a.ok:
                failed += 1
                print(f"{rel}:{a.line}: {a.sentence}", file=out)
                print(f"    {a.why}", file=out)
                print(f"    assert: {a.expr}", file=out)
    print(f"assertions: {total - failed} of {total} hold"
          + (f"; {failed} did not (listed above)" if failed else ""), file=out)
    return 1 if failed else 0


# --------------------------------------------------------------------------
# the list of generated files


def load_list(path: Path) -> list[dict]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as e:
        raise SystemExit(_bad(f"{path}: cannot read the list of generated files: {e}"))
    entries = data.get("file")
    if not isinstance(entries, list):
        raise SystemExit(_bad(f"{path}: expected [[file]] entries"))
    for i, e in enumerate(entries, 1):
        for key, typ in (("path", str), ("command", str), ("repeated_by_run", bool), ("pages", list)):
            if not isinstance(e.get(key), typ):
                raise SystemExit(_bad(f"{path}: entry {i} ({e.get('path', '?')}): field '{key}' "
                                      f"must be a {typ.__name__}"))
    return entries


def _bad(msg: str) -> int:
    print(msg, file=sys.stderr)
    return 2


def check_generated(src: Path, list_path: Path, out=sys.stdout) -> int:
    gen = src / "generated"
    entries = load_list(list_path)
    problems = []
    on_disk = sorted(p.relative_to(gen).as_posix() for p in gen.rglob("*") if p.is_file())
    covered = set()
    for e in entries:
        matched = [f for f in on_disk if fnmatch.fnmatchcase(f, e["path"])]
        if not matched:
            problems.append(f"{list_path.name}: {e['path']} is listed but book/src/generated/{e['path']} is missing")
        covered.update(matched)
        for page in e["pages"]:
            if not (src / page).is_file():
                problems.append(f"{list_path.name}: {e['path']}: page {page} does not exist")
    for f in on_disk:
        if f not in covered:
            problems.append(f"book/src/generated/{f}: not listed in {list_path.name} "
                            "(add a [[file]] entry: path, command, repeated_by_run, pages)")
    for f in on_disk:
        try:
            text = (gen / f).read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        for n, line in enumerate(text.splitlines(), 1):
            m = ABSOLUTE_RE.search(line)
            if m:
                problems.append(f"book/src/generated/{f}:{n}: absolute machine path "
                                f"{line[m.start():m.start() + 40]!r} (use a repository-relative path)")
                break
    for p in problems:
        print(p, file=out)
    print(f"generated files: {len(on_disk)} on disk, {len(entries)} entries, {len(problems)} problems", file=out)
    return 1 if problems else 0


def stale_since(src: Path, list_path: Path, since: float, out=sys.stdout) -> int:
    gen = src / "generated"
    stale, skipped = [], []
    for e in load_list(list_path):
        files = [Path(p) for p in glob.glob(str(gen / e["path"]))]
        if not e["repeated_by_run"]:
            skipped.append(e["path"])
            continue
        old = [f for f in files if f.stat().st_mtime < since] or ([] if files else [gen / e["path"]])
        if old:
            stale.append(e["path"])
    if stale:
        print("generated files scripts/run did not rewrite this time (listed as repeated_by_run):", file=out)
        for s in stale:
            print(f"  book/src/generated/{s}", file=out)
    else:
        print("every repeated_by_run file in book/generated.toml was rewritten by this run", file=out)
    if skipped:
        print("not repeated by scripts/run (their pages name the command and date): "
              + ", ".join(skipped), file=out)
    return 0


# --------------------------------------------------------------------------
# mdBook preprocessor

NOTE = ('<span class="assert-failed" style="border:1px solid #c60;background:#fff3e0;'
        'color:#7a3a00;padding:0 .3em;border-radius:3px" title="{expr}">'
        '⚠ the statement before this mark did not hold on the data this site was built from '
        '({why}; check: <code>{page}:{line}</code>)</span>')


def _html_escape(s: str) -> str:
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def rewrite(content: str, page_text: str, rel: str, data: Data) -> str:
    for a in check_page(rel, page_text, data):
        if a.ok:
            repl = ""
        else:
            repl = NOTE.format(expr=_html_escape(a.expr), why=_html_escape(a.why),
                               page=_html_escape(rel), line=a.line)
        content = content.replace(a.raw, repl, 1)
    return content


def _chapters(node):
    if isinstance(node, dict):
        ch = node.get("Chapter")
        if isinstance(ch, dict):
            yield ch
        for v in node.values():
            yield from _chapters(v)
    elif isinstance(node, list):
        for v in node:
            yield from _chapters(v)


def preprocess(stdin=sys.stdin, stdout=sys.stdout) -> int:
    try:
        context, book = json_mod.load(stdin)
    except (ValueError, TypeError) as e:
        print(f"book_assert preprocess: expected [context, book] JSON on stdin: {e}", file=sys.stderr)
        return 2
    root = Path(context.get("root", "."))
    src_name = ((context.get("config") or {}).get("book") or {}).get("src", "src")
    src = root / src_name
    data = Data(src / "generated")
    for ch in _chapters(book):
        rel = ch.get("source_path") or ch.get("path")
        content = ch.get("content")
        if not rel or not isinstance(content, str) or "<!--" not in content:
            continue
        page = src / rel
        page_text = page.read_text(encoding="utf-8") if page.is_file() else content
        ch["content"] = rewrite(content, page_text, rel, data)
    json_mod.dump(book, stdout)
    return 0


# --------------------------------------------------------------------------
# self-test


def self_test() -> int:
    failures = []

    def expect(name, cond, detail=""):
        print(("ok   " if cond else "FAIL ") + name + ("" if cond else f": {detail}"))
        if not cond:
            failures.append(name)

    def run_check(src, data):
        import io
        buf = io.StringIO()
        code = check(src, data, out=buf)
        return code, buf.getvalue()

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        src = tmp / "src"
        gen = src / "generated"
        (gen / "x").mkdir(parents=True)
        (gen / "x" / "d.json").write_text('{"go": {"max_ns": 20200000}, "rust": {"max_ns": 1890000}}')
        (gen / "x" / "t.md").write_text(
            "<!-- header -->\n\n### The runs\n\n| run | max | share |\n|---|---:|---:|\n"
            "| Go sync-map | 20.2 ms | 100% |\n| Rust dashmap | 1.89 ms | 10% |\n")
        (gen / "x" / "k.csv").write_text("lang,map,conns,rps\ngo,sync-map,16,1000\ngo,sync-map,32,900\n")
        page = ("# A page\n\nSome text.\n\n"
                "Go's worst interval is ten times Rust's.\n"
                '<!-- assert: json("x/d.json")["go"]["max_ns"] > 10 * json("x/d.json")["rust"]["max_ns"] -->\n\n'
                'The table agrees. <!-- assert: num(cell(table("x/t.md", "runs"), "run", "Go sync-map", "max")) '
                '> 10 * num(cell(table("x/t.md", 0), "run", "Rust*", "max")) -->\n\n'
                'Throughput falls from 16 to 32 connections. <!-- assert: '
                'col(rows(csv("x/k.csv"), conns=16), "rps")[0] > col(rows(csv("x/k.csv"), conns=32), "rps")[0] -->\n\n'
                "In code: `<!-- assert: False -->` is not an assertion.\n")
        (src / "p.md").write_text(page)
        code, out = run_check(src, gen)
        expect("assertions hold on consistent data", code == 0, out)
        expect("three assertions counted", "3 of 3 hold" in out, out)

        # contradict the data: Go's maximum shrinks below Rust's
        (gen / "x" / "d.json").write_text('{"go": {"max_ns": 1000000}, "rust": {"max_ns": 1890000}}')
        code, out = run_check(src, gen)
        expect("a contradicted assertion fails", code == 1, out)
        expect("failure names page and line", "p.md:6: Go's worst interval is ten times Rust's." in out, out)

        # a missing data file
        (gen / "x" / "d.json").unlink()
        code, out = run_check(src, gen)
        expect("a missing data file fails", code == 1 and "generated/x/d.json is missing" in out, out)

        # the markdown table mutated
        (gen / "x" / "t.md").write_text((gen / "x" / "t.md").read_text().replace("20.2 ms", "2.02 ms"))
        code, out = run_check(src, gen)
        expect("a mutated table fails at its line", "p.md:8: The table agrees." in out, out)

        # unsafe expressions are rejected, not run
        d = Data(gen)
        for bad in ('__import__("os").system("true")', 'json.__class__', '(lambda: 1)()',
                    'open("/etc/passwd")', '[].__class__', 'x'):
            try:
                evaluate(bad, d)
                expect(f"rejects {bad}", False, "evaluated")
            except CheckError:
                expect(f"rejects {bad}", True)
        expect("num parses units", num("20.2 ms") == 20.2e6 and num("77.6 MiB") == 77.6 * 2**20
               and num("+23%") == 23 and num("33.5 ns") == 33.5 and num("1,234") == 1234)

        # the preprocessor: a failing assertion becomes a note, a passing one disappears
        (gen / "x" / "d.json").write_text('{"go": {"max_ns": 20200000}, "rust": {"max_ns": 1890000}}')
        book = {"items": [{"Chapter": {"name": "A", "content": page, "path": "p.md",
                                        "source_path": "p.md", "sub_items": []}}]}
        import io
        stdout = io.StringIO()
        rc = preprocess(io.StringIO(json_mod.dumps([{"root": str(tmp), "config": {"book": {"src": "src"}}}, book])),
                        stdout)
        content = json_mod.loads(stdout.getvalue())["items"][0]["Chapter"]["content"]
        expect("preprocessor exits 0", rc == 0)
        expect("preprocessor removes passing assertions",
               "Rust's.\n\n" in content and content.count("<!-- assert:") == 1, content)  # the one in code
        expect("preprocessor marks the failing one", "assert-failed" in content and "p.md:8" in content, content)

        # the list of generated files
        lst = tmp / "generated.toml"
        entry = '[[file]]\npath = "{}"\ncommand = "c"\nrepeated_by_run = true\npages = ["p.md"]\n'
        lst.write_text(entry.format("x/d.json") + entry.format("x/t.md"))
        buf = io.StringIO()
        code = check_generated(src, lst, out=buf)
        expect("unlisted generated file fails", code == 1 and "generated/x/k.csv: not listed" in buf.getvalue(),
               buf.getvalue())
        lst.write_text(entry.format("x/*") + entry.format("x/gone.json"))
        buf = io.StringIO()
        code = check_generated(src, lst, out=buf)
        expect("listed missing file fails", code == 1 and "x/gone.json is listed" in buf.getvalue(), buf.getvalue())
        lst.write_text(entry.format("x/*"))
        (gen / "x" / "k.csv").write_text("cmd\n/root/repo/target/release/mapbench\n")
        buf = io.StringIO()
        code = check_generated(src, lst, out=buf)
        expect("absolute path in a generated file fails",
               code == 1 and "x/k.csv:2: absolute machine path" in buf.getvalue(), buf.getvalue())
        (gen / "x" / "k.csv").write_text("cmd\ntarget/release/mapbench run\n")
        buf = io.StringIO()
        expect("a clean list passes", check_generated(src, lst, out=buf) == 0, buf.getvalue())

        # the real book: copy its data, contradict the tails table, and the
        # tails page's assertion fails naming its page and line.
        real_gen = SRC / "generated"
        tails = real_gen / "ch04" / "tails.md"
        if tails.is_file() and "<!-- assert:" in (SRC / "ch04" / "tails.md").read_text(encoding="utf-8"):
            copy = tmp / "real-generated"
            shutil.copytree(real_gen, copy)
            code, out = run_check(SRC, copy)
            expect("the committed book's assertions hold on a copy of its data", code == 0, out)
            t = (copy / "ch04" / "tails.md").read_text(encoding="utf-8")
            # sync.Map with GC on: its max drops to the GOGC=off value
            t = t.replace("20.2 ms", "2.40 ms")
            (copy / "ch04" / "tails.md").write_text(t, encoding="utf-8")
            code, out = run_check(SRC, copy)
            expect("mutated real data fails an assertion on ch04/tails.md",
                   code == 1 and re.search(r"^ch04/tails\.md:\d+: ", out, re.M) is not None, out)
    print(f"self-test: {'FAILED ' + str(len(failures)) if failures else 'all passed'}")
    return 1 if failures else 0


# --------------------------------------------------------------------------


def main(argv: list[str]) -> int:
    if argv[:1] == ["preprocess"]:
        argv = argv[1:]  # the command in book.toml; mdBook appends its own arguments
        if argv[:1] == ["supports"]:
            return 0  # every renderer: the notes are plain inline HTML
        return preprocess()
    if argv[:1] == ["supports"]:
        return 0
    import argparse
    ap = argparse.ArgumentParser(prog="book_assert.py", description=__doc__.split("\n\n")[0])
    ap.add_argument("--check", action="store_true")
    ap.add_argument("--check-generated", action="store_true")
    ap.add_argument("--stale-since", type=float)
    ap.add_argument("--self-test", action="store_true")
    ap.add_argument("--src", type=Path, default=SRC)
    ap.add_argument("--data", type=Path)
    ap.add_argument("--list", type=Path, default=LIST)
    try:
        args = ap.parse_args(argv)
    except SystemExit:
        return 2
    if args.self_test:
        return self_test()
    if not args.src.is_dir():
        print(f"book_assert: --src {args.src}: not a directory", file=sys.stderr)
        return 2
    status = 0
    did = False
    if args.check_generated:
        did = True
        status |= check_generated(args.src, args.list)
    if args.check:
        did = True
        status |= check(args.src, args.data or args.src / "generated")
    if args.stale_since is not None:
        did = True
        stale_since(args.src, args.list, args.stale_since)
    if not did:
        ap.print_usage(sys.stderr)
        return 2
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
