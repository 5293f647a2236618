# shellcheck shell=bash
# Shared by scripts/run and scripts/test: where things are, how steps are run
# and reported, and how missing toolchains are installed. Source it; do not run it.

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export ROOT
# Tools we build ourselves (mdbook and plugins) live outside the clone so a
# fresh clone on the same machine reuses them.
export CMAP_TOOLS_DIR=${CMAP_TOOLS_DIR:-$HOME/.cache/concurrent-maps/tools}
export PATH="$CMAP_TOOLS_DIR/bin:$HOME/.cargo/bin:/usr/local/go/bin:$PATH"
export CARGO_TERM_COLOR=${CARGO_TERM_COLOR:-never}

say() { printf '\n==> %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 2; }

# require_toolchains: the compilers this project cannot install for you.
require_toolchains() {
  command -v cargo >/dev/null || die "cargo not found: install Rust 1.95+ (rustup) and put ~/.cargo/bin on PATH"
  command -v go >/dev/null || die "go not found: install Go 1.26+ and put it on PATH"
  local gov
  gov=$(go env GOVERSION)
  case "$gov" in
    go1.2[6-9]* | go1.[3-9][0-9]*) ;;
    *) die "go-reference/go.mod needs Go 1.26 or newer; found $gov" ;;
  esac
  cargo fmt --version >/dev/null 2>&1 || die "rustfmt missing: rustup component add rustfmt"
  cargo clippy --version >/dev/null 2>&1 || die "clippy missing: rustup component add clippy"
}

# go_modules: fetch the Go module's dependencies (a no-op when cached).
go_modules() {
  (cd "$ROOT/go-reference" && go mod download)
}

# Step bookkeeping: run_step NAME CMD... runs CMD, records pass/fail, goes on.
STEPS_PASSED=()
STEPS_FAILED=()
run_step() {
  local name=$1
  shift
  say "$name"
  local start=$SECONDS
  if "$@"; then
    STEPS_PASSED+=("$name")
    printf -- '--- ok   %s (%ss)\n' "$name" $((SECONDS - start)) >&2
  else
    STEPS_FAILED+=("$name")
    printf -- '--- FAIL %s (%ss)\n' "$name" $((SECONDS - start)) >&2
  fi
}

# steps_summary: print every failed step, then the closing count; status 1 if any failed.
steps_summary() {
  echo
  local s
  for s in "${STEPS_FAILED[@]}"; do echo "FAILED: $s"; done
  echo "${#STEPS_PASSED[@]} passed, ${#STEPS_FAILED[@]} failed"
  [ ${#STEPS_FAILED[@]} -eq 0 ]
}

# apt_install_if_missing CMD PACKAGE: installs the Debian PACKAGE when CMD is
# not on PATH (as root, with apt-get); otherwise says what to run. Status 0 if
# CMD is available afterwards.
apt_install_if_missing() {
  local cmd=$1 pkg=$2
  command -v "$cmd" >/dev/null && return 0
  if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
    echo "$cmd is missing; install the Debian package as root: apt-get install -y $pkg" >&2
    return 1
  fi
  echo "installing Debian $pkg (apt-get)" >&2
  { DEBIAN_FRONTEND=noninteractive apt-get update -q &&
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$pkg"; } >&2 || {
    echo "apt-get install $pkg failed" >&2
    return 1
  }
  command -v "$cmd" >/dev/null
}

# benchstat_check: installs benchstat (golang.org/x/perf, pinned) into
# $CMAP_TOOLS_DIR/bin with go install, then checks it reads the committed
# bench.txt files (scripts/check_benchstat.py, self-test first). If the install
# fails it fails under CI=true and skips with a message otherwise.
BENCHSTAT_VERSION=v0.0.0-20260908200009-22c9c6c9d4da
benchstat_check() {
  local bin="$CMAP_TOOLS_DIR/bin/benchstat"
  if ! go version -m "$bin" 2>/dev/null | grep -q "golang.org/x/perf[[:space:]]*$BENCHSTAT_VERSION"; then
    echo "installing benchstat $BENCHSTAT_VERSION into $CMAP_TOOLS_DIR/bin (go install)" >&2
    GOBIN="$CMAP_TOOLS_DIR/bin" go install "golang.org/x/perf/cmd/benchstat@$BENCHSTAT_VERSION" || {
      if [ "${CI:-}" = true ]; then
        echo "ERROR: go install golang.org/x/perf/cmd/benchstat@$BENCHSTAT_VERSION failed" >&2
        return 1
      fi
      echo "SKIP: benchstat could not be installed (no Go proxy?); CI=true makes this a failure" >&2
      return 0
    }
  fi
  (cd "$ROOT" && python3 scripts/check_benchstat.py "$bin" --self-test &&
    python3 scripts/check_benchstat.py "$bin" book/src/generated/results/bench.txt book/src/generated/long/bench.txt)
}
