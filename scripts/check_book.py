#!/usr/bin/env python3
"""Strict checks for the mdBook build of the concurrent-maps book.

`mdbook build` (0.5) exits 0 on several real problems: a missing include file
(logged as ERROR, the directive is dropped), a missing anchor (renders empty),
unknown keys in a plugin's table of book.toml, a link to a draft chapter.  This
script finds them.  Python stdlib only.

Usage:
  check_book.py --log LOG --src book/src --html book/build/html [--config book/book.toml]
  check_book.py --self-test

Each problem is printed on its own line as `FILE[:LINE]: message`; the exit
status is 0 when there are none, 1 when there are, 2 on bad invocation.

Checks:
  log     ERROR lines, WARN lines (all but a short allowlist of known-benign
          ones), linkcheck2 diagnostics (`error:` / `warning:`), `Error:` lines.
  src     {{#include}} / {{#rustdoc_include}} / {{#playground}} of a missing
          file, a missing or unterminated or empty anchor, a line range past the
          end of the file or selecting only blank lines, an empty included file
          (nested includes are followed, as mdBook does); links from built
          chapters to draft chapters, to .md files not in SUMMARY.md, or empty
          link targets `[text]()`.
  html    `{{#` left in a built page; <img src>, <object data>, <link href>,
          <script src> (and iframe/embed/source/video/audio/srcset) pointing off
          site (http:, https:, //, other schemes except data:) or to a local file
          that does not exist; local <a href> to a missing file or to a
          #fragment with no such id on the target page; url()/@import
          in built CSS pointing off site or to a missing file.
  config  keys book.toml has that mdBook or the plugin would silently ignore,
          and a bad linkcheck2 warning-policy.
"""

from __future__ import annotations

import argparse
import html.parser
import os
import posixpath
import re
import shutil
import sys
import tempfile
import tomllib
import urllib.parse
from pathlib import Path

# --------------------------------------------------------------------------
# problems


class Problems:
    def __init__(self) -> None:
        self.items: list[str] = []

    def add(self, where: str | os.PathLike, msg: str, line: int | None = None) -> None:
        where = _display(where)
        item = f"{where}:{line}: {msg}" if line else f"{where}: {msg}"
        if item not in self.items:  # mdBook 0.5 writes each <img> twice (zoom)
            self.items.append(item)

    def extend(self, other: "Problems") -> None:
        self.items.extend(other.items)

    def __len__(self) -> int:
        return len(self.items)


def _display(p: str | os.PathLike) -> str:
    p = str(p)
    try:
        rel = os.path.relpath(p)
        return p if rel.startswith("../..") else rel
    except ValueError:
        return p


# --------------------------------------------------------------------------
# log

ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
LOG_ERROR = re.compile(r"\bERROR\b")
LOG_WARN = re.compile(r"\bWARN\b")
# codespan-reporting diagnostics printed by mdbook-linkcheck2, anyhow's `Error:`.
DIAG = re.compile(r"^\s*(error|warning|Error)(\[[^\]]*\])?:")
# WARN lines that are not problems with the book.  Keep this list short and
# specific: everything else is a failure.
BENIGN_WARN = [
    # mdbook-mermaid 0.17.0 is built against mdbook-preprocessor 0.5.0 and says
    # so on every run under mdBook 0.5.4 (same 0.5 protocol; harmless).
    re.compile(r"preprocessor was built against version 0\.5\.\d+ of mdbook, but we're being called from version 0\.5\.\d+"),
    re.compile(r"plugin was built against version 0\.5\.\d+ of mdbook, but we're being called from version 0\.5\.\d+"),
]


def check_log(log: Path) -> Problems:
    probs = Problems()
    text = log.read_text(encoding="utf-8", errors="replace")
    for n, raw in enumerate(text.splitlines(), 1):
        line = ANSI.sub("", raw).rstrip()
        if not line.strip():
            continue
        if LOG_ERROR.search(line) or DIAG.search(line):
            probs.add(log, f"mdbook log: {line.strip()}", n)
        elif LOG_WARN.search(line) or re.match(r"^\s*Warning:", line):
            if any(p.search(line) for p in BENIGN_WARN):
                continue
            probs.add(log, f"mdbook log: {line.strip()}", n)
    return probs


# --------------------------------------------------------------------------
# sources: SUMMARY, includes, draft links

SUMMARY_LINK = re.compile(r"\[((?:[^\[\]]|\[[^\]]*\])*)\]\(\s*([^)]*?)\s*\)")
# mdBook's own pattern (mdbook-driver links.rs), escaped form first.
DIRECTIVE = re.compile(
    r"\\\{\{\#.*\}\}|\{\{\s*\#([a-zA-Z0-9_]+)\s+([^}]+)\}\}"
)
ANCHOR_START = re.compile(r"ANCHOR:\s*(?P<name>[\w_-]+)")
ANCHOR_END = re.compile(r"ANCHOR_END:\s*(?P<name>[\w_-]+)")
MAX_DEPTH = 10


class Chapter:
    def __init__(self, title: str, path: str | None, line: int) -> None:
        self.title, self.path, self.line = title, path, line


def parse_summary(summary: Path) -> list[Chapter]:
    chapters = []
    in_fence = False
    for n, line in enumerate(summary.read_text(encoding="utf-8").splitlines(), 1):
        if line.lstrip().startswith(("```", "~~~")):
            in_fence = not in_fence
        if in_fence:
            continue
        for m in SUMMARY_LINK.finditer(line):
            target = m.group(2).strip()
            if target.startswith("<") and target.endswith(">"):
                target = target[1:-1]
            target = urllib.parse.unquote(target)
            chapters.append(Chapter(m.group(1), target or None, n))
    return chapters


def _parse_range_or_anchor(spec: str | None):
    """mdBook's parse_range_or_anchor: ('anchor', name) or ('range', start, end)
    with 0-based start and exclusive end (None = unbounded)."""
    parts = (spec or "").split(":", 2)
    first = parts[0] if parts else ""
    if first.isdigit():
        start = max(int(first) - 1, 0)
    elif first == "":
        start = None
    else:
        return ("anchor", first)
    if len(parts) < 2:
        end_raw = None
    else:
        end_raw = parts[1]
    if start is not None:
        if end_raw is None:
            return ("range", start, start + 1)
        if end_raw.isdigit():
            return ("range", start, int(end_raw))
        return ("range", start, None)
    if end_raw is not None and end_raw.isdigit():
        return ("range", None, int(end_raw))
    return ("range", None, None)


def _anchored(lines: list[str], name: str):
    """Returns (found, terminated, content_lines)."""
    found = terminated = False
    kept: list[str] = []
    for l in lines:
        if found:
            m = ANCHOR_END.search(l)
            if m:
                if m.group("name") == name:
                    terminated = True
                    break
            elif not ANCHOR_START.search(l):
                kept.append(l)
        else:
            m = ANCHOR_START.search(l)
            if m and m.group("name") == name:
                found = True
    return found, terminated, kept


def expand(text: str, base: Path, origin: Path, probs: Problems, depth: int = 0,
           via: str = "") -> str:
    """Expand mdBook directives in `text` (a file in directory `base`) roughly
    as mdBook does, recording problems against `origin`."""
    out: list[str] = []
    pos = 0
    for m in DIRECTIVE.finditer(text):
        out.append(text[pos:m.start()])
        pos = m.end()
        whole = m.group(0)
        line = text.count("\n", 0, m.start()) + 1 if depth == 0 else None
        if whole.startswith("\\"):
            out.append(whole[1:])
            continue
        kind, rest = m.group(1), m.group(2)
        if kind not in ("include", "rustdoc_include", "playground", "playpen"):
            out.append(whole)  # e.g. {{#title}}, {{#tab name=..}}: not ours
            continue
        args = rest.split()
        if not args:
            out.append(whole)
            continue
        file_part, _, spec = args[0].partition(":")
        target = base / file_part
        label = f"{whole}{via}"
        if not target.is_file():
            probs.add(origin, f"{label}: file not found ({_display(target)})", line)
            continue
        if kind in ("playground", "playpen"):
            out.append("")
            continue
        content = target.read_text(encoding="utf-8", errors="replace")
        lines = content.splitlines()
        sel = _parse_range_or_anchor(spec if _ else None)
        if sel[0] == "anchor":
            found, terminated, kept = _anchored(lines, sel[1])
            if not found:
                probs.add(origin, f"{label}: anchor '{sel[1]}' not found in {_display(target)}", line)
                continue
            if not terminated:
                probs.add(origin, f"{label}: anchor '{sel[1]}' has no ANCHOR_END in {_display(target)}", line)
            if not any(l.strip() for l in kept):
                probs.add(origin, f"{label}: anchor '{sel[1]}' in {_display(target)} is empty", line)
            piece = "\n".join(kept)
        else:
            _, start, end = sel
            n = len(lines)
            if start is None and end is None:
                if not content.strip():
                    probs.add(origin, f"{label}: included file {_display(target)} is empty", line)
                piece = content
            else:
                s = start or 0
                if s >= n:
                    probs.add(origin, f"{label}: range starts at line {s + 1} but {_display(target)} has {n} lines", line)
                    continue
                if end is not None and end > n:
                    probs.add(origin, f"{label}: range ends at line {end} but {_display(target)} has {n} lines", line)
                sel_lines = lines[s:end]
                if not any(l.strip() for l in sel_lines):
                    probs.add(origin, f"{label}: range selects only blank lines of {_display(target)}", line)
                piece = "\n".join(sel_lines)
        if depth + 1 < MAX_DEPTH:
            piece = expand(piece, target.parent, origin, probs, depth + 1,
                           via=f" (inside {_display(target)})")
        else:
            probs.add(origin, f"{label}: includes nested more than {MAX_DEPTH} deep (cycle?)", line)
        out.append(piece)
    out.append(text[pos:])
    return "".join(out)


FENCE = re.compile(r"^( {0,3})(`{3,}|~{3,})[^\n]*\n.*?(^\1?\2[`~]*[ \t]*$|\Z)", re.S | re.M)
INLINE_CODE = re.compile(r"(`+)(?:(?!\1).)+?\1", re.S)
MD_LINK = re.compile(r"(!?)\[((?:[^\[\]]|\[[^\]]*\])*)\]\(\s*(<[^>]*>|[^)\s]*)(?:\s+(?:\"[^\"]*\"|'[^']*'|\([^)]*\)))?\s*\)")
REF_DEF = re.compile(r"^ {0,3}\[[^\]]+\]:\s*(<[^>]*>|\S+)", re.M)
HTML_HREF = re.compile(r"<a\s[^>]*?href\s*=\s*[\"']([^\"']*)[\"']", re.I)
SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")


def _links(text: str):
    text = FENCE.sub("", text)
    text = INLINE_CODE.sub("", text)
    for m in MD_LINK.finditer(text):
        if m.group(1):
            continue  # images are checked in the built HTML
        yield m.group(2), m.group(3).strip("<>")
    for m in REF_DEF.finditer(text):
        yield None, m.group(1).strip("<>")
    for m in HTML_HREF.finditer(text):
        yield None, m.group(1)


TAB_NAME = re.compile(r"\{\{#tab\s+name=\"([^\"]*)\"")


def _check_tabs(page: Path, text: str, probs: Problems) -> None:
    """mdbook-tabs reads `{{#tab name="..."}}` from one markdown text event, so
    a name with `<`, `&`, `\\`, a backtick, `*`, `[` or an emphasis `_` (the
    markdown parser splits the text there) makes the preprocessor fail with only "expected a string at
    position 5" and no file name."""
    for m in TAB_NAME.finditer(text):
        name = m.group(1)
        bad = sorted(set(name) & set("<&\\`*["))
        if re.search(r"(^|\W)_|_(\W|$)", name):
            bad.append("_")
        if bad:
            n = text.count("\n", 0, m.start()) + 1
            probs.add(page, f"tab name \"{m.group(1)}\" contains {' '.join(bad)}: mdbook-tabs "
                            "cannot parse it (use plain text, e.g. \u2039 \u203a for < >)", n)


def check_sources(src: Path) -> Problems:
    probs = Problems()
    summary = src / "SUMMARY.md"
    if not summary.is_file():
        probs.add(summary, "missing")
        return probs
    chapters = parse_summary(summary)
    built = {}
    drafts = [c for c in chapters if c.path is None]
    for c in chapters:
        if c.path is None:
            continue
        p = posixpath.normpath(c.path.split("#")[0])
        if not (src / p).is_file():
            probs.add(summary, f"chapter '{c.title}' -> {c.path}: file not found", c.line)
            continue
        built[p] = c
    draft_titles = {_norm_title(c.title): c.title for c in drafts}
    for rel, c in built.items():
        page = src / rel
        _check_tabs(page, page.read_text(encoding="utf-8", errors="replace"), probs)
        text = expand(page.read_text(encoding="utf-8", errors="replace"), page.parent, page, probs)
        for link_text, target in _links(text):
            if target == "":
                what = f" (draft chapter '{draft_titles[_norm_title(link_text)]}')" \
                    if link_text is not None and _norm_title(link_text) in draft_titles else ""
                probs.add(page, f"link [{link_text}]() has an empty target{what}")
                continue
            if SCHEME.match(target) or target.startswith(("#", "//", "/")):
                continue
            path = urllib.parse.unquote(target.split("#")[0].split("?")[0])
            if not path.endswith((".md", ".html")):
                continue
            resolved = posixpath.normpath(posixpath.join(posixpath.dirname(rel), path))
            if resolved.endswith(".html"):
                resolved = resolved[:-5] + ".md"
            if resolved in built:
                continue
            if link_text is not None and _norm_title(link_text) in draft_titles:
                why = f"the draft chapter '{draft_titles[_norm_title(link_text)]}' (no page is built for it)"
            elif (src / resolved).is_file():
                why = f"{resolved}, which is not a chapter in SUMMARY.md (draft or unlisted; not built)"
            else:
                why = f"{resolved}, which does not exist (a draft chapter?)"
            probs.add(page, f"links to {target}: {why}")
    return probs


def _norm_title(t: str) -> str:
    t = re.sub(r"^[\d.]+\s+", "", t.strip())
    return re.sub(r"\s+", " ", t).lower()


# --------------------------------------------------------------------------
# built HTML

RESOURCE_ATTRS = {
    "img": ("src",), "script": ("src",), "link": ("href",), "object": ("data",),
    "iframe": ("src",), "embed": ("src",), "source": ("src",), "video": ("src", "poster"),
    "audio": ("src",), "track": ("src",), "input": ("src",),
}


class _Collector(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.refs: list[tuple[str, str, str, int]] = []  # tag, attr, url, line
        self.base: str | None = None
        self.ids: set[str] = set()

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        line = self.getpos()[0]
        for key in ("id", "name") if tag == "a" else ("id",):
            if a.get(key):
                self.ids.add(a[key])
        if tag == "base" and a.get("href") is not None and self.base is None:
            self.base = a["href"]
        for attr in RESOURCE_ATTRS.get(tag, ()):
            if a.get(attr):
                self.refs.append((tag, attr, a[attr].strip(), line))
        if tag in ("img", "source") and a.get("srcset"):
            for part in a["srcset"].split(","):
                if part.strip():
                    self.refs.append((tag, "srcset", part.strip().split()[0], line))
        if tag == "a" and a.get("href"):
            self.refs.append((tag, "href", a["href"].strip(), line))

    handle_startendtag = handle_starttag


def _is_remote(url: str) -> bool:
    return url.startswith("//") or (bool(SCHEME.match(url)) and not url.lower().startswith("data:"))


def _local_target(root: Path, page: Path, base: str | None, url: str) -> Path | None:
    path = urllib.parse.unquote(url.split("#")[0].split("?")[0])
    if path == "":
        return None
    if base and not _is_remote(base):
        if base.startswith("/"):
            basedir = root / base.lstrip("/")
        else:
            basedir = page.parent / base
        if not base.endswith("/"):
            basedir = basedir.parent
    else:
        basedir = page.parent
    if path.startswith("/"):
        return root / path.lstrip("/")
    return basedir / path


CSS_URL = re.compile(r"url\(\s*(['\"]?)([^'\")]+)\1\s*\)|@import\s+(['\"])([^'\"]+)\3", re.I)


def check_html(root: Path) -> Problems:
    probs = Problems()
    rroot = root.resolve()
    pages = sorted(root.rglob("*.html"))
    if not pages:
        probs.add(root, "no .html files in the built book")
    parsed: dict[Path, _Collector] = {}
    for page in pages:
        text = page.read_text(encoding="utf-8", errors="replace")
        for m in re.finditer(r"\{\{#", text):
            n = text.count("\n", 0, m.start()) + 1
            snippet = text[m.start():m.start() + 60].split("\n")[0]
            probs.add(page, f"unprocessed mdBook directive left in the page: {snippet}", n)
        c = _Collector()
        c.feed(text)
        c.close()
        parsed[page.resolve()] = c
    for page in pages:
        c = parsed[page.resolve()]
        for tag, attr, url, n in c.refs:
            if tag == "a":
                if _is_remote(url):
                    continue
                frag = urllib.parse.unquote(url.partition("#")[2])
                if url.startswith("#"):
                    # same page (mdBook's base-less pages only)
                    if frag and c.base is None and frag not in c.ids:
                        probs.add(page, f"<a href=\"{url}\">: no element with id \"{frag}\" on this page", n)
                    continue
                target = _local_target(root, page, c.base, url)
                if frag and target is not None and target.suffix == ".html" and target.is_file():
                    other = parsed.get(target.resolve())
                    if other is not None and frag not in other.ids:
                        probs.add(page, f"<a href=\"{url}\">: {_display(target)} has no element with id \"{frag}\"", n)
            elif _is_remote(url):
                probs.add(page, f"<{tag} {attr}=\"{url}\"> loads from another host (the book must work offline)", n)
                continue
            if url.lower().startswith("data:"):
                continue
            target = _local_target(root, page, c.base, url)
            if target is None:
                continue
            if target.is_dir():
                target = target / "index.html"
            try:
                inside = target.resolve().is_relative_to(rroot)
            except OSError:
                inside = False
            if not inside:
                probs.add(page, f"<{tag} {attr}=\"{url}\"> points outside the built book", n)
            elif not target.exists():
                probs.add(page, f"<{tag} {attr}=\"{url}\">: no such file {_display(target)}", n)
    for css in sorted(root.rglob("*.css")):
        text = css.read_text(encoding="utf-8", errors="replace")
        for m in CSS_URL.finditer(text):
            url = (m.group(2) or m.group(4) or "").strip()
            n = text.count("\n", 0, m.start()) + 1
            if url.lower().startswith("data:") or url.startswith("#") or not url:
                continue
            if _is_remote(url):
                probs.add(css, f"url({url}) loads from another host (the book must work offline)", n)
                continue
            target = css.parent / urllib.parse.unquote(url.split("#")[0].split("?")[0])
            if not target.exists():
                probs.add(css, f"url({url}): no such file {_display(target)}", n)
    return probs


# --------------------------------------------------------------------------
# book.toml keys that mdBook or a plugin would silently ignore

PREPROCESSOR_KEYS = {"command", "before", "after", "renderers", "optional"}
PLUGIN_KEYS = {
    ("preprocessor", "mermaid"): set(),
    ("preprocessor", "tabs"): set(),
    ("output", "linkcheck2"): {
        "follow-web-links", "traverse-parent-directories", "latex-support",
        "require-md-extension", "exclude", "user-agent", "cache-timeout",
        "warning-policy", "http-headers"},
}
RENDERER_KEYS = {"command", "optional"}


def check_config(cfg: Path) -> Problems:
    probs = Problems()
    try:
        data = tomllib.loads(cfg.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as e:
        probs.add(cfg, f"cannot parse: {e}")
        return probs
    for name, table in (data.get("preprocessor") or {}).items():
        allowed = PREPROCESSOR_KEYS | PLUGIN_KEYS.get(("preprocessor", name), set())
        for key in table:
            if key not in allowed:
                probs.add(cfg, f"[preprocessor.{name}] unknown key '{key}' (ignored silently)")
    for name, table in (data.get("output") or {}).items():
        if ("output", name) not in PLUGIN_KEYS:
            continue  # html: mdBook itself rejects unknown keys
        allowed = RENDERER_KEYS | PLUGIN_KEYS[("output", name)]
        for key in table:
            if key not in allowed:
                probs.add(cfg, f"[output.{name}] unknown key '{key}' (ignored silently)")
    lc = (data.get("output") or {}).get("linkcheck2")
    if lc is not None:
        if lc.get("warning-policy", "warn") not in ("warn", "error", "ignore"):
            probs.add(cfg, f"[output.linkcheck2] warning-policy must be warn, error or ignore")
        if lc.get("follow-web-links"):
            probs.add(cfg, "[output.linkcheck2] follow-web-links = true: the build must not need the web")
    return probs


# --------------------------------------------------------------------------
# driver


def run_checks(log: Path | None, src: Path | None, html_dir: Path | None,
               config: Path | None) -> Problems:
    probs = Problems()
    if config is not None:
        probs.extend(check_config(config))
    if log is not None:
        probs.extend(check_log(log))
    if src is not None:
        probs.extend(check_sources(src))
    if html_dir is not None:
        probs.extend(check_html(html_dir))
    return probs


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--log", type=Path, help="captured output of `mdbook build`")
    ap.add_argument("--src", type=Path, help="the book's src directory")
    ap.add_argument("--html", type=Path, help="the built HTML directory (book/build/html)")
    ap.add_argument("--config", type=Path,
                    help="book.toml (default: SRC/../book.toml when it exists)")
    ap.add_argument("--self-test", action="store_true", help="test the checks themselves")
    try:
        args = ap.parse_args(argv)
    except SystemExit as e:
        return 2 if e.code else 0
    if args.self_test:
        return self_test()
    if not (args.log or args.src or args.html):
        print("check_book.py: give at least one of --log, --src, --html (or --self-test)", file=sys.stderr)
        return 2
    bad = []
    if args.log and not args.log.is_file():
        bad.append(f"--log {args.log}: no such file")
    for flag, d in (("--src", args.src), ("--html", args.html)):
        if d and not d.is_dir():
            bad.append(f"{flag} {d}: no such directory")
    config = args.config
    if config is None and args.src is not None and (args.src.parent / "book.toml").is_file():
        config = args.src.parent / "book.toml"
    if config is not None and not config.is_file():
        bad.append(f"--config {config}: no such file")
    if bad:
        for b in bad:
            print(f"check_book.py: {b}", file=sys.stderr)
        return 2
    probs = run_checks(args.log, args.src, args.html, config)
    for p in probs.items:
        print(p)
    if probs:
        print(f"check_book.py: {len(probs)} problem(s)", file=sys.stderr)
        return 1
    print("check_book.py: no problems")
    return 0


# --------------------------------------------------------------------------
# self-test


def _write(root: Path, files: dict[str, str]) -> None:
    for name, content in files.items():
        p = root / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(content, encoding="utf-8")


GOOD_SRC = {
    "SUMMARY.md": "# Summary\n\n[Intro](intro.md)\n\n- [One](ch01/one.md)\n- [Two]()\n  - [Two point one]()\n",
    "intro.md": "# Intro\n\nSee [one](ch01/one.md) and [web](https://example.org/x.md).\n\n"
                "```md\n[not a link](ch02/two.md) \\{{#include nowhere.md}}\n```\n",
    "ch01/one.md": "# One\n\n{{#include ../code/a.rs:main}}\n\n{{#rustdoc_include ../code/a.rs:2:3}}\n\n"
                   "{{#include ../code/a.rs:4}}\n\n{{#include ../frag.md}}\n\n\\{{#include escaped.md}}\n\n"
                   "[back](../intro.md#top)\n",
    "code/a.rs": "// ANCHOR: main\nfn main() {}\n// ANCHOR_END: main\nfn x() {}\n",
    "frag.md": "Some text {{#include code/a.rs:main}}\n",
}

GOOD_HTML = {
    "index.html": '<html><head><link rel="stylesheet" href="css/a.css"><script src="js/b.js"></script></head>'
                  '<body><img src="img/p.png"><a href="https://example.org/">web</a>'
                  '<a href="ch01/one.html#x">one</a><img src="data:image/png;base64,AAAA"></body></html>',
    "ch01/one.html": '<html><body><h1 id="x">One</h1><img src="../img/p.png"><object data="../img/p.png"></object>'
                     '<a href="../index.html">home</a></body></html>',
    "404.html": '<html><head><base href="/"><link rel="stylesheet" href="css/a.css"></head></html>',
    "css/a.css": "@font-face { src: url('../fonts/f.woff2') } body { background: url(data:image/png;base64,AA) }",
    "fonts/f.woff2": "x", "js/b.js": "x", "img/p.png": "x",
}

GOOD_LOG = (" INFO Book building has started\n INFO Running the html backend\n"
            "Warning: The mdbook-mermaid preprocessor was built against version 0.5.0 of mdbook, "
            "but we're being called from version 0.5.4\n INFO No broken links found\n")

GOOD_CONFIG = ('[book]\ntitle = "x"\n[preprocessor.mermaid]\ncommand = "mdbook-mermaid"\n'
               '[preprocessor.tabs]\nbefore = ["links"]\n[output.html]\n'
               '[output.linkcheck2]\nfollow-web-links = false\nwarning-policy = "error"\n')


def self_test() -> int:
    passed = failed = 0

    def case(name: str, expect: str | None, *, src=None, html=None, log=None, config=None):
        """expect=None: no problems; else a substring one problem must contain."""
        nonlocal passed, failed
        tmp = Path(tempfile.mkdtemp(prefix="check_book_selftest_"))
        try:
            s = h = l = c = None
            if src is not None:
                s = tmp / "src"
                _write(s, src)
            if html is not None:
                h = tmp / "html"
                _write(h, html)
            if log is not None:
                l = tmp / "build.log"
                l.write_text(log, encoding="utf-8")
            if config is not None:
                c = tmp / "book.toml"
                c.write_text(config, encoding="utf-8")
            probs = run_checks(l, s, h, c).items
            ok = (not probs) if expect is None else any(expect in p for p in probs)
        except Exception as e:  # a crash is a failure of the checker
            probs, ok = [f"exception: {e!r}"], False
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        if ok:
            passed += 1
            print(f"ok   {name}")
        else:
            failed += 1
            print(f"FAIL {name}: expected {'no problems' if expect is None else repr(expect)}, got:")
            for p in probs or ["(no problems)"]:
                print(f"       {p}")

    def src_with(**changes):
        d = dict(GOOD_SRC)
        d.update(changes)
        return d

    def html_with(**changes):
        d = dict(GOOD_HTML)
        d.update({k.replace("__", "/").replace("_dot_", "."): v for k, v in changes.items()})
        return d

    # clean trees pass
    case("clean book passes", None, src=GOOD_SRC, html=GOOD_HTML, log=GOOD_LOG, config=GOOD_CONFIG)

    # log
    case("log ERROR line", "ERROR", log=GOOD_LOG + ' ERROR Error updating "{{#include x.md}}", Could not read file\n')
    case("log WARN line", "unclosed HTML tag", log=GOOD_LOG + " WARN unclosed HTML tag `<div>` found in `a.md`\n")
    case("log linkcheck2 error diagnostic", "File not found", log=GOOD_LOG + "error: File not found: ch02/x.md\n")
    case("log linkcheck2 warning diagnostic", "warning:", log=GOOD_LOG + "warning: Potential incomplete link\n")
    case("log anyhow Error:", "Error:", log=GOOD_LOG + "Error: Unable to run the preprocessor `tabs`\n")
    case("log coloured ERROR", "ERROR", log="\x1b[31mERROR\x1b[0m boom\n")
    case("log benign mermaid version warning ignored", None, log=GOOD_LOG)

    # includes
    case("include: missing file", "file not found",
         src=src_with(**{"ch01/one.md": "# One\n{{#include ../code/missing.rs}}\n"}))
    case("include: missing anchor", "anchor 'nope' not found",
         src=src_with(**{"ch01/one.md": "# One\n{{#include ../code/a.rs:nope}}\n"}))
    case("rustdoc_include: missing anchor", "anchor 'nope' not found",
         src=src_with(**{"ch01/one.md": "# One\n{{#rustdoc_include ../code/a.rs:nope}}\n"}))
    case("include: empty anchor", "is empty",
         src=src_with(**{"code/a.rs": "// ANCHOR: main\n\n// ANCHOR_END: main\n// ANCHOR: x\nx\n// ANCHOR_END: x\n"}))
    case("include: unterminated anchor", "no ANCHOR_END",
         src=src_with(**{"code/a.rs": "// ANCHOR: main\nfn main() {}\nfn x() {}\n"}))
    case("include: range past end of file", "range starts at line 10",
         src=src_with(**{"ch01/one.md": "# One\n{{#include ../code/a.rs:10:20}}\n"}))
    case("include: range end past end of file", "range ends at line 20",
         src=src_with(**{"ch01/one.md": "# One\n{{#include ../code/a.rs:2:20}}\n"}))
    case("include: single line past end", "range starts at line 9",
         src=src_with(**{"ch01/one.md": "# One\n{{#include ../code/a.rs:9}}\n"}))
    case("include: empty file", "is empty",
         src=src_with(**{"ch01/one.md": "# One\n{{#include ../empty.md}}\n", "empty.md": ""}))
    case("include: nested missing anchor", "inside",
         src=src_with(**{"frag.md": "{{#include code/a.rs:gone}}\n"}))
    case("include: line number reported", "one.md:3:",
         src=src_with(**{"ch01/one.md": "# One\n\n{{#include ../code/missing.rs}}\n"}))
    case("include: cycle detected", "nested more than",
         src=src_with(**{"ch01/one.md": "# One\n{{#include ../loop.md}}\n", "loop.md": "x {{#include loop.md}}\n"}))
    case("playground: missing file", "file not found",
         src=src_with(**{"ch01/one.md": "# One\n{{#playground ../code/gone.rs editable}}\n"}))

    # draft / unlisted links
    case("link to a draft chapter by title", "draft chapter 'Two'",
         src=src_with(**{"intro.md": "# Intro\n[Two](ch02/two.md)\n"}))
    case("link to a missing chapter file", "does not exist",
         src=src_with(**{"intro.md": "# Intro\nsee [anatomy](ch02/anatomy.md#x)\n"}))
    case("link to an unlisted file", "not a chapter in SUMMARY.md",
         src=src_with(**{"intro.md": "# Intro\n[x](stray.md)\n", "stray.md": "# Stray\n"}))
    case("empty link target (draft)", "empty target (draft chapter 'Two point one')",
         src=src_with(**{"intro.md": "# Intro\nsee [2.1 Two point one]()\n"}))
    case("reference-style link to draft", "does not exist",
         src=src_with(**{"intro.md": "# Intro\n[x][d]\n\n[d]: ch02/two.md\n"}))
    case("html link to draft .html", "does not exist",
         src=src_with(**{"intro.md": '# Intro\n<a href="ch02/two.html">two</a>\n'}))
    case("SUMMARY entry with missing file", "file not found",
         src=src_with(**{"SUMMARY.md": "[Intro](intro.md)\n- [Gone](gone.md)\n"}))

    case("tabs: name mdbook-tabs cannot parse", "tab name \"Rust: Rc<RefCell>\"",
         src=src_with(**{"ch01/one.md": '# One\n{{#tabs }}\n{{#tab name="Rust: Rc<RefCell>" }}\nx\n{{#endtab }}\n{{#endtabs }}\n'}))
    case("tabs: plain names with _ inside a word pass", None,
         src=src_with(**{"ch01/one.md": '# One\n{{#tabs }}\n{{#tab name="Rust: a_b (x/y)" }}\nx\n{{#endtab }}\n{{#endtabs }}\n'}))
    case("include inside a code fence is still expanded", "file not found",
         src=src_with(**{"ch01/one.md": "# One\n```rust\n{{#include ../code/gone.rs}}\n```\n"}))

    # built HTML
    case("html: directive left", "unprocessed mdBook directive",
         html=html_with(ch01__one_dot_html="<p>{{#include x.rs}}</p>"))
    case("html: tabs directive left", "{{#tabs",
         html=html_with(ch01__one_dot_html="<p>{{#tabs }}</p>"))
    case("html: missing image", "no such file",
         html=html_with(ch01__one_dot_html='<img src="../img/gone.png">'))
    case("html: remote image", "loads from another host",
         html=html_with(ch01__one_dot_html='<img src="https://example.org/a.png">'))
    case("html: protocol-relative script", "loads from another host",
         html=html_with(ch01__one_dot_html='<script src="//cdn.example.org/m.js"></script>'))
    case("html: remote stylesheet", "loads from another host",
         html=html_with(ch01__one_dot_html='<link rel="stylesheet" href="http://fonts.example.org/css">'))
    case("html: missing local script", "no such file",
         html=html_with(ch01__one_dot_html='<script src="../mermaid.min.js"></script>'))
    case("html: missing object data", "no such file",
         html=html_with(ch01__one_dot_html='<object data="../img/gone.svg"></object>'))
    case("html: remote srcset", "loads from another host",
         html=html_with(ch01__one_dot_html='<img src="../img/p.png" srcset="https://x.org/a.png 2x">'))
    case("html: local link to missing page", "no such file",
         html=html_with(ch01__one_dot_html='<a href="../ch02/two.html">two</a>'))
    case("html: link to a missing heading on another page", 'has no element with id "gone"',
         html=html_with(ch01__one_dot_html='<h2 id="here">x</h2><a href="../index.html#gone">x</a>'))
    case("html: link to a missing heading on the same page", 'no element with id "gone"',
         html=html_with(ch01__one_dot_html='<h2 id="here">x</h2><a href="#gone">x</a>'))
    case("html: links to existing headings pass", None,
         html=html_with(ch01__one_dot_html='<h2 id="x">x</h2><a href="#x">x</a><a href="one.html#x">y</a>'))
    case("html: base href respected", "no such file",
         html=html_with(**{"404_dot_html": '<base href="/"><link rel="stylesheet" href="css/gone.css">'}))
    case("html: path escaping the book", "outside the built book",
         html=html_with(ch01__one_dot_html='<img src="../../../etc/passwd">'))
    case("css: remote font", "loads from another host",
         html=html_with(css__a_dot_css="@import url(https://fonts.example.org/css2?family=Open+Sans);"))
    case("css: missing font file", "no such file",
         html=html_with(css__a_dot_css="@font-face { src: url('../fonts/gone.woff2') }"))
    case("html: no pages", "no .html files", html={"css/a.css": ""})

    # config
    case("config: unknown preprocessor key", "unknown key 'befor'",
         config=GOOD_CONFIG + '[preprocessor.mermaid2]\nbefor = ["links"]\n')
    case("config: linkcheck2 typo", "unknown key 'warning_policy'",
         config=GOOD_CONFIG.replace("warning-policy", "warning_policy"))
    case("config: bad warning policy", "warning-policy must be",
         config=GOOD_CONFIG.replace('"error"', '"fatal"'))
    case("config: web links followed", "follow-web-links = true",
         config=GOOD_CONFIG.replace("follow-web-links = false", "follow-web-links = true"))

    # invocation
    def invocation(name, argv, code):
        nonlocal passed, failed
        import contextlib, io
        with contextlib.redirect_stderr(io.StringIO()), contextlib.redirect_stdout(io.StringIO()):
            got = main(argv)
        if got == code:
            passed += 1
            print(f"ok   {name}")
        else:
            failed += 1
            print(f"FAIL {name}: exit {got}, expected {code}")

    invocation("exit 2 on missing --html dir", ["--html", "/nonexistent/html"], 2)
    invocation("exit 2 on missing --log file", ["--log", "/nonexistent/log"], 2)
    invocation("exit 2 with no arguments", [], 2)
    invocation("exit 2 on unknown option", ["--bogus"], 2)

    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
