#!/usr/bin/env bash
# Checks that book/src/reference/adding-a-map.md is true: in a copy of the
# working tree it adds a throw-away map on each side exactly as the guide says
# (one adapter file, one registry line, on the Rust side the adapter's `mod`
# line too), then runs the maps' tests and the smoke suite through both real
# runners, `mapbench check` and `mapbench report`, and requires the new maps to
# appear. No test is edited: they must derive their expectations from the
# registries. Prints the adapters' line counts. A scripts/test step.
#
#   scripts/check_adding_a_map.sh
#
# The copy lives in target/guide-check/ (a fixed path, so the next run builds
# incrementally); its cargo target dir starts as a copy of target/debug.
set -uo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "$0")/lib.sh"
cd "$ROOT" || exit 2

RUST_NAME=guide-check-sip
GO_NAME=guide-check-map
work="$ROOT/target/guide-check"
copy="$work/src"
export CARGO_TARGET_DIR="$work/target"

fail() { echo "check_adding_a_map: $*" >&2; exit 1; }

# The working tree (tracked and untracked, not ignored files), with mtimes, so
# unchanged files stay fresh for cargo.
rm -rf "$copy" && mkdir -p "$copy" || exit 2
git ls-files -z --cached --others --exclude-standard |
  (while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done) |
  tar -c --null -T - | tar -x -C "$copy" || fail "copying the working tree"
# Seed the copy's target dir from the main one with real copies, never hard links:
# workspace artifacts get the same names in both (cargo hashes workspace paths
# relative to the root), so a shared inode written by one build would leave the
# other's fingerprints lying about what is fresh. incremental/ is left out (big,
# and only a speed-up).
if [ ! -d "$CARGO_TARGET_DIR/debug" ] && [ -d "$ROOT/target/debug" ]; then
  mkdir -p "$CARGO_TARGET_DIR/debug" &&
    for d in deps build .fingerprint; do
      [ -d "$ROOT/target/debug/$d" ] && cp -r --reflink=auto "$ROOT/target/debug/$d" "$CARGO_TARGET_DIR/debug/"
    done
fi

# Rust, step 1: the adapter file (the guide's template, filled in).
cat >"$copy/rust-impl/maps/src/adapters/guide_check.rs" <<'EOF'
use crate::{ConcurrentMap, MapHandle, MapInfo, hasher};
use std::{collections::HashMap, sync::Mutex};

pub struct GuideCheck(Mutex<HashMap<u64, u64>>);

impl ConcurrentMap for GuideCheck {
    type Handle<'a> = &'a GuideCheck;
    fn with_capacity(capacity: usize) -> Self {
        GuideCheck(Mutex::new(HashMap::with_capacity(capacity)))
    }
    fn handle(&self) -> &GuideCheck {
        self
    }
    fn describe() -> MapInfo {
        MapInfo {
            name: "guide-check-sip",
            crate_name: "std",
            crate_version: env!("CMAP_RUSTC_VERSION"),
            hasher: hasher::SIP,
            description: "std HashMap behind one Mutex (the adding-a-map guide's check)",
            notes: "One lock for every operation.",
            ..MapInfo::BASE
        }
    }
}

impl MapHandle for &GuideCheck {
    fn get(&mut self, k: u64) -> Option<u64> {
        self.0.lock().unwrap().get(&k).copied()
    }
    fn insert(&mut self, k: u64, v: u64) -> bool {
        self.0.lock().unwrap().insert(k, v).is_none()
    }
    fn update(&mut self, k: u64, v: u64) -> bool {
        self.0.lock().unwrap().get_mut(&k).map(|x| *x = v).is_some()
    }
    fn remove(&mut self, k: u64) -> bool {
        self.0.lock().unwrap().remove(&k).is_some()
    }
}
EOF
# Rust, step 2: the module line and the registry line.
sed -i 's/^pub(crate) mod flurry;$/&\npub(crate) mod guide_check;/' "$copy/rust-impl/maps/src/adapters/mod.rs"
grep -q '^pub(crate) mod guide_check;$' "$copy/rust-impl/maps/src/adapters/mod.rs" || fail "no place for the mod line in adapters/mod.rs"
python3 - "$copy/rust-impl/maps/src/registry.rs" <<'EOF' || fail "no registry! list in rust-impl/maps/src/registry.rs"
import re, sys
p = sys.argv[1]
s = open(p).read()
s2 = re.sub(r"(\nregistry! \{\n(?:    [^\n]*\n)*)\}", r"\1    adapters::guide_check::GuideCheck: u64,\n}", s, count=1)
assert s2 != s
open(p, "w").write(s2)
EOF

# Go, step 1: the adapter file.
cat >"$copy/go-reference/maps/guidecheck.go" <<'EOF'
package maps

import "sync"

// guideCheckMap is the built-in map behind one sync.Mutex.
type guideCheckMap struct {
	sync.Mutex
	m unsyncMap // guarded by the mutex; unsyncMap has the Map semantics
}

var guideCheckMapInfo = Info{
	Name:           "guide-check-map",
	Description:    "built-in map behind one sync.Mutex (the adding-a-map guide's check)",
	Implementation: "concurrentmaps/maps",
	Version:        goVersion,
	Hasher:         builtinHasher,
	Notes:          "One lock for every operation.",
}

func newGuideCheckMap(capacity int) Map { return &guideCheckMap{m: make(unsyncMap, capacity)} }

func (g *guideCheckMap) Get(k uint64) (uint64, bool) { g.Lock(); defer g.Unlock(); return g.m.Get(k) }
func (g *guideCheckMap) Insert(k, v uint64) bool     { g.Lock(); defer g.Unlock(); return g.m.Insert(k, v) }
func (g *guideCheckMap) Update(k, v uint64) bool     { g.Lock(); defer g.Unlock(); return g.m.Update(k, v) }
func (g *guideCheckMap) Remove(k uint64) bool        { g.Lock(); defer g.Unlock(); return g.m.Remove(k) }
EOF
# Go, step 2: the registry line.
python3 - "$copy/go-reference/maps/registry.go" <<'EOF' || fail "no registry list in go-reference/maps/registry.go"
import re, sys
p = sys.argv[1]
s = open(p).read()
s2 = re.sub(r"(\nvar registry = \[\]Entry\{\n(?:\t[^\n]*\n)*)\}", r"\1\t{Info: guideCheckMapInfo, New: newGuideCheckMap},\n}", s, count=1)
assert s2 != s
open(p, "w").write(s2)
EOF

echo "check_adding_a_map: adapter lines: rust $(wc -l <"$copy/rust-impl/maps/src/adapters/guide_check.rs"), go $(wc -l <"$copy/go-reference/maps/guidecheck.go")"
cd "$copy" || exit 2
log="$work/log"
mkdir -p "$log"
step() { # step NAME CMD...: runs CMD, its output in $log/NAME.log; fails naming it
  local name=$1
  shift
  "$@" >"$log/$name.log" 2>&1 || { tail -n 30 "$log/$name.log"; fail "$name failed (log: ${log#"$ROOT"/}/$name.log)"; }
}
step rust-fmt cargo fmt --all --check
step rust-tests cargo test --locked -q -p cmap-maps -p cmap-runner
step go-tests bash -c 'cd go-reference && gofmt -l maps | (! grep .) && go vet ./maps/ && go test -count=1 ./maps/ ./runner/'
step build bash -c "cargo build --locked -q -p cmap-runner -p mapbench && (cd go-reference && go build -o '$CARGO_TARGET_DIR/debug/go-runner' ./cmd/runner)"
bin="$CARGO_TARGET_DIR/debug"
"$bin/rust-runner" --list-maps >"$work/rust-maps.jsonl" && "$bin/go-runner" --list-maps >"$work/go-maps.jsonl" ||
  fail "--list-maps failed"
grep -q "\"$RUST_NAME\"" "$work/rust-maps.jsonl" || fail "rust-runner --list-maps does not list $RUST_NAME"
grep -q "\"$GO_NAME\"" "$work/go-maps.jsonl" || fail "go-runner --list-maps does not list $GO_NAME"
rm -rf "$work/results" "$work/report"
step smoke "$bin/mapbench" run --suite smoke --out "$work/results" \
  --rust-runner "$bin/rust-runner" --go-runner "$bin/go-runner"
step check "$bin/mapbench" check "$work/results"
step report "$bin/mapbench" report "$work/results" --out "$work/report"
step check-smoke python3 scripts/check_smoke.py "$work/results" "$work/report" "$work/rust-maps.jsonl" "$work/go-maps.jsonl"
for name in "$RUST_NAME" "$GO_NAME"; do
  grep -rlq -- "$name" "$work/report" || fail "the report does not show $name"
done
echo "check_adding_a_map: the guide holds: $RUST_NAME and $GO_NAME pass their tests and appear in the smoke suite's results and report"
