package maps

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"testing"
	"unsafe"
)

// TestConformance replays a seeded sequence of operations against every
// registered map and a model (the built-in map, single goroutine), comparing
// every result. A new registry entry is covered without editing this test.
func TestConformance(t *testing.T) {
	const ops = 10_000
	for _, e := range All() {
		for _, capacity := range []int{0, 1024} {
			t.Run(fmt.Sprintf("%s/capacity=%d", e.Info.Name, capacity), func(t *testing.T) {
				replayAgainstModel(t, e.New(capacity), ops, 1)
			})
		}
	}
}

// conformanceKeys is the key pool the replay draws from: the edges (0, 1,
// MaxUint64, the 255/256 boundary where boxing starts to allocate), a run of
// multiples of 64 (all one shard if sharding used the raw key), and random
// keys. Small enough (512) that operations hit present and absent keys alike.
func conformanceKeys(rng *rand.Rand) []uint64 {
	keys := []uint64{0, 1, 255, 256, math.MaxUint64, math.MaxUint64 - 1, 1 << 63}
	for i := uint64(1); i <= 64; i++ {
		keys = append(keys, i*64)
	}
	for len(keys) < 512 {
		keys = append(keys, rng.Uint64())
	}
	return keys
}

func replayAgainstModel(t *testing.T, m Map, ops int, seed uint64) {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 0x6d617073)) // "maps"
	keys := conformanceKeys(rng)
	model := map[uint64]uint64{}
	for i := range ops {
		key := keys[rng.IntN(len(keys))]
		value := rng.Uint64()
		if rng.IntN(8) == 0 {
			value = 0 // a stored zero must still be reported present
		}
		want, wantOK := model[key]
		switch op := rng.IntN(4); op {
		case 0:
			got, ok := m.Get(key)
			if ok != wantOK || got != want {
				t.Fatalf("op %d: Get(%#x) = (%d, %v), want (%d, %v)", i, key, got, ok, want, wantOK)
			}
		case 1:
			if got := m.Insert(key, value); got != !wantOK {
				t.Fatalf("op %d: Insert(%#x, %d) = %v, want %v (key was present: %v)", i, key, value, got, !wantOK, wantOK)
			}
			model[key] = value
		case 2:
			if got := m.Update(key, value); got != wantOK {
				t.Fatalf("op %d: Update(%#x, %d) = %v, want %v", i, key, value, got, wantOK)
			}
			if wantOK {
				model[key] = value
			}
		case 3:
			if got := m.Remove(key); got != wantOK {
				t.Fatalf("op %d: Remove(%#x) = %v, want %v", i, key, got, wantOK)
			}
			delete(model, key)
		}
	}
	// Final state: every key in the pool agrees with the model.
	for _, key := range keys {
		want, wantOK := model[key]
		if got, ok := m.Get(key); ok != wantOK || got != want {
			t.Fatalf("after %d ops: Get(%#x) = (%d, %v), want (%d, %v)", ops, key, got, ok, want, wantOK)
		}
	}
}

// TestConcurrentNoLostWrites drives each map that allows it from 4 goroutines
// at once, each owning a disjoint key range, so every result is predictable:
// any lost or misapplied write shows up as a wrong return value or a wrong
// final value. Each goroutine also reads the other ranges, so readers and
// writers really overlap. Run it under -race too.
func TestConcurrentNoLostWrites(t *testing.T) {
	const goroutines = 4
	const keysPer = 5000
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(max(2, runtime.GOMAXPROCS(0))))

	for _, e := range All() {
		t.Run(e.Info.Name, func(t *testing.T) {
			if err := e.CheckGoroutines(goroutines); err != nil {
				t.Skip(err)
			}
			capacity := 0 // not presized: growth happens under contention
			if e.Info.GrowthMayLoseWrites {
				capacity = 2 * goroutines * keysPer // known to lose writes racing growth: no growth here
			}
			m := e.New(capacity)
			errs := make(chan error, goroutines)
			start := make(chan struct{}) // released together, so they overlap
			var wg sync.WaitGroup
			for g := range goroutines {
				wg.Go(func() {
					<-start
					errs <- ownRange(m, g, goroutines, keysPer)
				})
			}
			close(start)
			wg.Wait()
			close(errs)
			for err := range errs {
				if err != nil {
					t.Error(err)
				}
			}
			// Final state, checked from this goroutine after all writers ended.
			for g := range goroutines {
				for i := range keysPer {
					key := rangeKey(g, i)
					want, wantOK := finalValue(key, i)
					if got, ok := m.Get(key); ok != wantOK || got != want {
						t.Fatalf("after all goroutines: Get(%#x) = (%d, %v), want (%d, %v)", key, got, ok, want, wantOK)
					}
				}
			}
		})
	}
}

// rangeKey is goroutine g's i-th key: spread over the key space (so ranges
// share shards, trie nodes and buckets) but never equal across goroutines.
func rangeKey(g, i int) uint64 { return uint64(i)*0x10001 + uint64(g)<<56 }

func insertedValue(key uint64) uint64 { return key ^ 0xA5A5A5A5A5A5A5A5 }
func updatedValue(key uint64) uint64  { return key + 1 }

// finalValue is what ownRange leaves at key, its i-th key: removed when i%3
// == 0, else updated.
func finalValue(key uint64, i int) (uint64, bool) {
	if i%3 == 0 {
		return 0, false
	}
	return updatedValue(key), true
}

// ownRange runs goroutine g's script over its own keys, checking each result,
// and reads one key of the next goroutine's range per step.
func ownRange(m Map, g, goroutines, keysPer int) error {
	other := (g + 1) % goroutines
	peek := func(i int) error {
		key := rangeKey(other, i)
		if v, ok := m.Get(key); ok && v != insertedValue(key) && v != updatedValue(key) {
			return fmt.Errorf("goroutine %d: Get(%#x) = %d, a value nobody wrote", g, key, v)
		}
		return nil
	}
	for i := range keysPer {
		key := rangeKey(g, i)
		if !m.Insert(key, insertedValue(key)) {
			return fmt.Errorf("goroutine %d: Insert(%#x) of a new key returned false", g, key)
		}
		if err := peek(i); err != nil {
			return err
		}
	}
	for i := range keysPer {
		key := rangeKey(g, i)
		if v, ok := m.Get(key); !ok || v != insertedValue(key) {
			return fmt.Errorf("goroutine %d: Get(%#x) = (%d, %v) after Insert, want (%d, true)", g, key, v, ok, insertedValue(key))
		}
		if !m.Update(key, updatedValue(key)) {
			return fmt.Errorf("goroutine %d: Update(%#x) of a present key returned false", g, key)
		}
		if err := peek(i); err != nil {
			return err
		}
	}
	for i := 0; i < keysPer; i += 3 {
		key := rangeKey(g, i)
		if !m.Remove(key) {
			return fmt.Errorf("goroutine %d: Remove(%#x) of a present key returned false", g, key)
		}
		if m.Update(key, 7) {
			return fmt.Errorf("goroutine %d: Update(%#x) of a removed key returned true", g, key)
		}
		if m.Remove(key) {
			return fmt.Errorf("goroutine %d: second Remove(%#x) returned true", g, key)
		}
	}
	return nil
}

func TestLookupUnknownNameListsValidNames(t *testing.T) {
	_, err := Lookup("no-such-map")
	if err == nil {
		t.Fatal("Lookup(no-such-map): no error")
	}
	for _, name := range Names() {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("Lookup error %q does not list %q", err, name)
		}
	}
	if !strings.Contains(err.Error(), `"no-such-map"`) {
		t.Errorf("Lookup error %q does not quote the name asked for", err)
	}
}

func TestRegistry(t *testing.T) {
	kebab := regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)
	seen := map[string]bool{}
	for _, e := range All() {
		in := e.Info
		if !kebab.MatchString(in.Name) {
			t.Errorf("name %q is not kebab-case", in.Name)
		}
		if seen[in.Name] {
			t.Errorf("name %q registered twice", in.Name)
		}
		seen[in.Name] = true
		if in.Description == "" || in.Implementation == "" || in.Version == "" || in.Hasher == "" || in.Notes == "" {
			t.Errorf("%s: every Info field must be filled: %+v", in.Name, in)
		}
		got, err := Lookup(in.Name)
		if err != nil || got.Info != in {
			t.Errorf("Lookup(%q) = %+v, %v; want the registered entry", in.Name, got.Info, err)
		}
	}
	// The order is the registry's, stable from call to call: reports list
	// the maps in it.
	var want []string
	for _, e := range All() {
		want = append(want, e.Info.Name)
	}
	if got := Names(); strings.Join(got, ",") != strings.Join(want, ",") || strings.Join(Names(), ",") != strings.Join(got, ",") {
		t.Errorf("Names() = %v, want %v (All()'s order, every call)", got, want)
	}
}

// TestVersionInBuiltBinary builds a real program over the registry and checks
// the versions it reports: a go test binary carries no dependency versions in
// its build info, so xsync-map's Version is only right in a built binary,
// which is what the runner is.
func TestVersionInBuiltBinary(t *testing.T) {
	goCmd, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command to build with:", err)
	}
	bin := filepath.Join(t.TempDir(), "printinfo")
	build := exec.Command(goCmd, "build", "-o", bin, "./testdata/printinfo")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("%v: %v\n%s", build, err, out)
	}
	out, err := exec.Command(bin).Output()
	if err != nil {
		t.Fatalf("%s: %v", bin, err)
	}
	versions := map[string]string{}
	for line := range strings.Lines(string(out)) {
		name, version, _ := strings.Cut(strings.TrimSpace(line), "\t")
		versions[name] = version
	}
	for _, e := range All() {
		got := versions[e.Info.Name]
		switch {
		case e.Info.Implementation == xsyncModule:
			if !strings.HasPrefix(got, "v4.") {
				t.Errorf("%s: version %q in a built binary, want a v4 module version", e.Info.Name, got)
			}
		case e.Info.Implementation == cmapModule:
			if !strings.HasPrefix(got, "v2.") {
				t.Errorf("%s: version %q in a built binary, want a v2 module version", e.Info.Name, got)
			}
		case e.Info.Implementation == haxmapModule:
			if !strings.HasPrefix(got, "v1.4") {
				t.Errorf("%s: version %q in a built binary, want a v1.4 module version", e.Info.Name, got)
			}
		case got != runtime.Version():
			t.Errorf("%s: version %q in a built binary, want the Go version %q", e.Info.Name, got, runtime.Version())
		}
	}
}

func TestCheckGoroutines(t *testing.T) {
	unsync, err := Lookup("unsync-map")
	if err != nil {
		t.Fatal(err)
	}
	if err := unsync.CheckGoroutines(1); err != nil {
		t.Errorf("unsync-map with 1 goroutine: %v", err)
	}
	if err := unsync.CheckGoroutines(2); err == nil {
		t.Error("unsync-map with 2 goroutines: no error")
	}
	for _, e := range All() {
		if err := e.CheckGoroutines(0); err == nil {
			t.Errorf("%s with 0 goroutines: no error", e.Info.Name)
		}
		if e.Info.MaxGoroutines == 0 {
			if err := e.CheckGoroutines(64); err != nil {
				t.Errorf("%s with 64 goroutines: %v", e.Info.Name, err)
			}
		}
	}
}

// TestShardPadding checks, on the real addresses of one map, that no two
// shards' lock-and-map fields share an aligned 128-byte block.
func TestShardPadding(t *testing.T) {
	s := newShardedMap(0).(*shardedMap)
	hot := unsafe.Offsetof(shard{}.m) + unsafe.Sizeof(shard{}.m) // bytes of mu and m
	for i := 0; i+1 < shardCount; i++ {
		lastHot := uintptr(unsafe.Pointer(&s.shards[i])) + hot - 1
		nextHot := uintptr(unsafe.Pointer(&s.shards[i+1]))
		if lastHot/cacheLinePairSize == nextHot/cacheLinePairSize {
			t.Fatalf("shards %d and %d share the 128-byte block at %#x", i, i+1, lastHot&^(cacheLinePairSize-1))
		}
	}
}

// TestShardIndexSpreadsStridedKeys checks the reason shardIndex mixes the key:
// keys that are all multiples of 64 must still reach every shard.
func TestShardIndexSpreadsStridedKeys(t *testing.T) {
	var hits [shardCount]int
	for i := range uint64(64 * shardCount) {
		hits[shardIndex(i*64)]++
	}
	for i, n := range hits {
		if n == 0 {
			t.Errorf("shard %d got none of %d keys that are multiples of 64", i, 64*shardCount)
		}
	}
}
