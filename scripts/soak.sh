#!/usr/bin/env bash
# The soak suite (comparisons/suites/soak.toml) with its Go and Rust runs at the same
# time, each pinned to one CPU (taskset): a soak is about memory and stalls over time,
# not throughput, and on a 2-core machine the two hours fit in one.
#
#   scripts/soak.sh [--minutes N] [--out DIR]
#
# --minutes N overrides the suite's duration_ms (the suite's 60 minutes by default);
# the suite actually run is written to DIR/suite.toml. Results: DIR/go and DIR/rust
# (one mapbench results directory each, streamed interval by interval, so a killed
# run keeps its data), DIR/all (both merged by scripts/soak_merge.py, for mapbench
# report), DIR/placement.txt (which CPU each side ran on), DIR/load.txt (/proc/loadavg
# every 30 s: "epoch load1 load5 load15 running/total lastpid"; the soak page's summary
# says from it how busy the machine was), DIR/*.log.
# Needs the release runners: cargo build --release -p cmap-runner, and
# (cd go-reference && go build -o ../target/release/go-runner ./cmd/runner).
set -euo pipefail
cd "$(dirname "$0")/.."
minutes=""
out="results/soak/$(date -u +%Y%m%dT%H%M%SZ)"
while [ $# -gt 0 ]; do
  case "$1" in
    --minutes) minutes="${2:?--minutes needs a number}"; shift 2 ;;
    --out) out="${2:?--out needs a directory}"; shift 2 ;;
    *) echo "scripts/soak.sh: unknown argument $1 (expected --minutes N, --out DIR)" >&2; exit 2 ;;
  esac
done
if [ -n "$minutes" ] && ! [[ "$minutes" =~ ^[1-9][0-9]*$ ]]; then
  echo "scripts/soak.sh: --minutes: expected a positive whole number, got '$minutes'" >&2; exit 2
fi
target="${CARGO_TARGET_DIR:-target}"
rust_runner="$target/release/rust-runner"
go_runner="$target/release/go-runner"
mapbench="$target/release/mapbench"
for b in "$rust_runner" "$go_runner" "$mapbench"; do
  [ -x "$b" ] || { echo "scripts/soak.sh: $b: no such binary (build it first, see the header)" >&2; exit 2; }
done
if [ -e "$out" ]; then echo "scripts/soak.sh: $out exists; choose another --out" >&2; exit 2; fi
mkdir -p "$out/bin"
# The binaries the soak runs, copied: a rebuild during the soak does not change them.
cp "$rust_runner" "$go_runner" "$mapbench" "$out/bin/"
rust_runner="$out/bin/rust-runner"; go_runner="$out/bin/go-runner"; mapbench="$out/bin/mapbench"
suite="$out/suite.toml"
if [ -n "$minutes" ]; then
  sed -E "s/^duration_ms = [0-9_]+/duration_ms = $((minutes * 60000))/" comparisons/suites/soak.toml > "$suite"
else
  cp comparisons/suites/soak.toml "$suite"
fi
cpus=$(nproc)
go_cpu=0; rust_cpu=$(( cpus > 1 ? 1 : 0 ))
{
  echo "go: taskset -c $go_cpu (mapbench and go-runner, GOMAXPROCS as the runner sets it)"
  echo "rust: taskset -c $rust_cpu (mapbench and rust-runner)"
  echo "cpus: $cpus"
  echo "started: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
} > "$out/placement.txt"
taskset -c "$go_cpu" "$mapbench" run --suite "$suite" --only-lang go --out "$out/go" \
  --go-runner "$go_runner" --trace-cache "$out/traces-go" --run-timeout 0 > "$out/go.log" 2>&1 &
go_pid=$!
taskset -c "$rust_cpu" "$mapbench" run --suite "$suite" --only-lang rust --out "$out/rust" \
  --rust-runner "$rust_runner" --trace-cache "$out/traces-rust" --run-timeout 0 > "$out/rust.log" 2>&1 &
rust_pid=$!
# The machine's load while the soak runs, for the page: a busy machine stretches stalls.
( while kill -0 "$go_pid" 2>/dev/null || kill -0 "$rust_pid" 2>/dev/null; do
    echo "$(date +%s) $(cat /proc/loadavg)" >> "$out/load.txt"; sleep 30
  done ) &
load_pid=$!
trap 'kill "$load_pid" 2>/dev/null' EXIT
status=0
wait "$go_pid" || status=$?
wait "$rust_pid" || status=$?
echo "ended: $(date -u +%Y-%m-%dT%H:%M:%SZ) status $status" >> "$out/placement.txt"
# One results directory for `mapbench report`: DIR/all.
python3 scripts/soak_merge.py "$out" || status=$?
exit "$status"
