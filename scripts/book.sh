# shellcheck shell=bash
# Book build helpers. Source this file (scripts/run and scripts/test do):
#
#   source scripts/book.sh
#   book_tools_install     # cargo-install mdbook + plugins at pinned versions; PATH
#   book_assets_install    # mermaid.min.js, theme/tabs.{css,js} (also run by the build)
#   book_build_strict      # build book/ and fail on any problem check_book.py finds
#   book_browser_test      # headless Chromium test of book/build/html
#   book_chromium_install  # Debian chromium at /usr/bin/chromium (apt-get, as root)
#
# Environment:
#   CMAP_TOOLS_DIR  cargo install root (default ~/.cache/concurrent-maps/tools)
#   CMAP_BOOK_LOG   where book_build_strict keeps mdbook's log
#                   (default book/build/mdbook-build.log)
# Functions return non-zero on failure (they never `exit`), so callers with
# `set -e` stop and callers without can collect results.

CMAP_ROOT="${CMAP_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
CMAP_BOOK_DIR="$CMAP_ROOT/book"

# crate@version of every tool the book needs; binary name = crate name.
CMAP_BOOK_TOOLS=(mdbook@0.5.4 mdbook-mermaid@0.17.0 mdbook-tabs@1.0.0 mdbook-linkcheck2@0.13.0)

_book_log() { printf 'book: %s\n' "$*" >&2; }

_book_tools_root() { printf '%s\n' "${CMAP_TOOLS_DIR:-$HOME/.cache/concurrent-maps/tools}"; }

_book_path() {
    local bin
    bin="$(_book_tools_root)/bin"
    case ":$PATH:" in
        *":$bin:"*) ;;
        *) export PATH="$bin:$PATH" ;;
    esac
}

# True when $1 (crate@version) is installed under the tools root at that version.
_book_tool_ok() {
    local crate=${1%@*} version=${1#*@} out
    local bin
    bin="$(_book_tools_root)/bin/$crate"
    [[ -x $bin ]] || return 1
    out=$("$bin" --version 2>/dev/null) || return 1
    # "mdbook v0.5.4", "mdbook-mermaid 0.17.0", ...
    [[ $out =~ (^|[[:space:]v])${version//./\\.}($|[[:space:]]) ]]
}

book_tools_install() {
    local root missing=() t
    root="$(_book_tools_root)"
    for t in "${CMAP_BOOK_TOOLS[@]}"; do
        _book_tool_ok "$t" || missing+=("$t")
    done
    if ((${#missing[@]})); then
        _book_log "installing ${missing[*]} into $root (cargo install --locked; a few minutes)"
        # --force: replace a binary that is present at another version.
        # One shared target dir: the four tools share most of their
        # dependencies (mdbook's crates, pulldown-cmark, serde, ...), which
        # then compile once instead of four times. Removed once installed.
        CARGO_TARGET_DIR="$root/build-cache" \
            cargo install --locked --force --root "$root" "${missing[@]}" || {
            _book_log "ERROR: cargo install ${missing[*]} failed"
            return 1
        }
        rm -rf "$root/build-cache"
        for t in "${missing[@]}"; do
            _book_tool_ok "$t" || { _book_log "ERROR: $t still not installed after cargo install"; return 1; }
        done
    fi
    _book_path
}

# Copy $1 to $2 only when the content differs (keeps mtimes stable).
_book_sync_file() {
    if ! cmp -s "$1" "$2"; then
        mkdir -p "$(dirname "$2")"
        cp "$1" "$2"
        _book_log "updated ${2#"$CMAP_ROOT"/}"
    fi
}

# Writes the plugins' assets that book.toml lists, from the installed plugin
# binaries, so they always match the plugin version:
#   book/mermaid.min.js          (generated; gitignored)
#   book/theme/tabs.css, tabs.js (generated; gitignored)
# book/theme/mermaid-init.js is committed (the plugin's own is broken under
# mdBook 0.5). The install subcommands run in a scratch book, so book.toml is
# never rewritten (`mdbook-mermaid install` edits book.toml and never replaces
# an existing mermaid.min.js; `mdbook-tabs install` writes to ./theme of the
# current directory).
book_assets_install() {
    _book_path
    local tmp rc=0
    tmp=$(mktemp -d "${TMPDIR:-/tmp}/cmap-book-assets.XXXXXX") || return 1
    mkdir -p "$tmp/src"
    printf '[book]\ntitle = "assets"\n\n[output.html]\nadditional-js = ["mermaid.min.js", "mermaid-init.js"]\n' >"$tmp/book.toml"
    printf '# Summary\n\n[x](x.md)\n' >"$tmp/src/SUMMARY.md"
    printf '# x\n' >"$tmp/src/x.md"
    if ! mdbook-mermaid install "$tmp" >"$tmp/mermaid.log" 2>&1 || [[ ! -s $tmp/mermaid.min.js ]]; then
        cat "$tmp/mermaid.log" >&2
        _book_log "ERROR: mdbook-mermaid install failed"
        rc=1
    else
        _book_sync_file "$tmp/mermaid.min.js" "$CMAP_BOOK_DIR/mermaid.min.js"
    fi
    if ! (cd "$tmp" && mdbook-tabs install) >"$tmp/tabs.log" 2>&1 || [[ ! -s $tmp/theme/tabs.js ]]; then
        cat "$tmp/tabs.log" >&2
        _book_log "ERROR: mdbook-tabs install failed"
        rc=1
    else
        _book_sync_file "$tmp/theme/tabs.css" "$CMAP_BOOK_DIR/theme/tabs.css"
        _book_sync_file "$tmp/theme/tabs.js" "$CMAP_BOOK_DIR/theme/tabs.js"
    fi
    if [[ ! -s $CMAP_BOOK_DIR/theme/mermaid-init.js ]]; then
        _book_log "ERROR: book/theme/mermaid-init.js (committed) is missing"
        rc=1
    fi
    rm -rf "$tmp"
    return $rc
}

book_build_strict() {
    book_tools_install || return 1
    book_assets_install || return 1
    local log="${CMAP_BOOK_LOG:-$CMAP_BOOK_DIR/build/mdbook-build.log}" tmplog rc=0 check=0
    tmplog=$(mktemp "${TMPDIR:-/tmp}/cmap-mdbook-build.XXXXXX") || return 1
    _book_log "mdbook build book"
    # mdBook leaves the old site in place when a preprocessor fails: never
    # check (or browser-test) a stale one.
    rm -rf "$CMAP_BOOK_DIR/build/html"
    # NO_COLOR: plain log lines for the checker; mdBook logs to stderr.
    (cd "$CMAP_ROOT" && NO_COLOR=1 mdbook build book) >"$tmplog" 2>&1 || rc=$?
    mkdir -p "$(dirname "$log")"
    mv "$tmplog" "$log"
    local args=(--log "$log" --src "$CMAP_BOOK_DIR/src" --config "$CMAP_BOOK_DIR/book.toml")
    if ((rc != 0)); then
        _book_log "ERROR: mdbook build exited $rc; its log (${log#"$CMAP_ROOT"/}):"
        sed 's/^/    | /' "$log" >&2
    fi
    if [[ -d $CMAP_BOOK_DIR/build/html ]]; then
        args+=(--html "$CMAP_BOOK_DIR/build/html")
    else
        _book_log "ERROR: no book/build/html: mdbook rendered nothing"
        ((rc)) || rc=1
    fi
    python3 "$CMAP_ROOT/scripts/check_book.py" "${args[@]}" || check=$?
    ((rc == 0 && check == 0)) || return 1
    _book_log "book built and checked: book/build/html"
}

book_chromium_install() {
    local chromium="${CHROMIUM:-/usr/bin/chromium}"
    [[ -x $chromium ]] && return 0
    if [[ $chromium != /usr/bin/chromium ]]; then
        _book_log "ERROR: CHROMIUM=$chromium is not an executable"
        return 1
    fi
    if [[ $(id -u) -ne 0 ]]; then
        _book_log "ERROR: /usr/bin/chromium is missing and this is not root; as root run:"
        _book_log "         apt-get update && apt-get install -y chromium"
        return 1
    fi
    _book_log "installing Debian chromium (apt-get)"
    { DEBIAN_FRONTEND=noninteractive apt-get update -q &&
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium; } >&2 || {
        _book_log "ERROR: apt-get install chromium failed"
        return 1
    }
    [[ -x /usr/bin/chromium ]] || { _book_log "ERROR: chromium installed but /usr/bin/chromium missing"; return 1; }
}

# npm ci only when node_modules is missing or was installed from another lock.
_book_npm_ci() {
    local dir="$CMAP_BOOK_DIR/tests/browser" stamp want
    stamp="$dir/node_modules/.cmap-lock.sha256"
    want=$(sha256sum "$dir/package-lock.json" | cut -d' ' -f1) || return 1
    if [[ -d $dir/node_modules/playwright-core && -f $stamp && $(cat "$stamp") == "$want" ]]; then
        return 0
    fi
    _book_log "npm ci in book/tests/browser"
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error) >&2 || {
        _book_log "ERROR: npm ci failed in book/tests/browser"
        return 1
    }
    printf '%s\n' "$want" >"$stamp"
}

book_browser_test() {
    local html="${1:-$CMAP_BOOK_DIR/build/html}"
    [[ -f $html/index.html ]] || {
        _book_log "ERROR: $html/index.html missing: run book_build_strict first"
        return 1
    }
    book_chromium_install || return 1
    _book_npm_ci || return 1
    _book_log "browser test of ${html#"$CMAP_ROOT"/}"
    BOOK_HTML="$html" CHROMIUM="${CHROMIUM:-/usr/bin/chromium}" \
        node --test --test-reporter=spec "$CMAP_BOOK_DIR/tests/browser/book.test.mjs"
}
