package storecost

import (
	"reflect"
	"slices"
	"sync"
	"testing"
)

// Allocation counts are asserted with testing.AllocsPerRun: it counts heap
// allocations (runtime.MemStats.Mallocs) per call with GOMAXPROCS=1, so the
// result is deterministic. It truncates the average to an integer, so a
// cost that occurs on only some calls (map growth, a new trie level) rounds
// away; the assertions below are about costs paid on every call.
const runs = 1000

// C6 "no GC pressure": Store of a new key into sync.Map allocates on every
// call: the trie entry node (internal/sync.newEntryNode), plus boxing the
// key and value into `any`. A presized map under a Mutex allocates nothing.
func TestStoreNewKeyAllocs(t *testing.T) {
	var m sync.Map
	next := KeyBase
	withBoxing := testing.AllocsPerRun(runs, func() { m.Store(next, next); next++ })
	if withBoxing < 3 {
		t.Errorf("sync.Map Store(new int key, int value): %.0f allocs, want >= 3 (key box, value box, entry)", withBoxing)
	}

	boxed := boxedKeys(KeyBase+runs+1, runs+1) // boxed before measuring
	i := 0
	ownOnly := testing.AllocsPerRun(runs, func() { m.Store(boxed[i], boxed[i]); i++ })
	if ownOnly < 1 {
		t.Errorf("sync.Map Store(new pre-boxed key): %.0f allocs, want >= 1 (the entry node)", ownOnly)
	}

	mm := NewMutexMap(2 * runs)
	k := KeyBase
	if got := testing.AllocsPerRun(runs, func() { mm.Store(k, k); k++ }); got != 0 {
		t.Errorf("presized map+Mutex insert: %.0f allocs, want 0", got)
	}
}

// Overwriting an existing key in sync.Map still allocates: HashTrieMap.Swap
// replaces the entry node with a new one (entry.swap -> newEntryNode) so
// that lock-free readers never see a half-updated entry. The plain map
// writes the value in place.
func TestStoreExistingKeyAllocs(t *testing.T) {
	m := PrefilledSyncMap()
	i := 0
	withBoxing := testing.AllocsPerRun(runs, func() { m.Store(KeyBase+i%ExistingKeys, KeyBase+i); i++ })
	if withBoxing < 3 {
		t.Errorf("sync.Map Store(existing int key): %.0f allocs, want >= 3 (key box, value box, new entry)", withBoxing)
	}
	key, value := any(KeyBase), any(KeyBase+1)
	if got := testing.AllocsPerRun(runs, func() { m.Store(key, value) }); got != 1 {
		t.Errorf("sync.Map Store(existing pre-boxed key): %.0f allocs, want exactly 1 (the replacement entry)", got)
	}

	mm := PrefilledMutexMap()
	if got := testing.AllocsPerRun(runs, func() { mm.Store(KeyBase+i%ExistingKeys, KeyBase+i); i++ }); got != 0 {
		t.Errorf("map+Mutex overwrite: %.0f allocs, want 0", got)
	}
}

// Loads allocate on neither side: the `any` key passed to sync.Map.Load
// does not escape, so the compiler keeps its box on the stack.
func TestLoadAllocs(t *testing.T) {
	m, mm := PrefilledSyncMap(), PrefilledMutexMap()
	i := 0
	if got := testing.AllocsPerRun(runs, func() { m.Load(KeyBase + i%ExistingKeys); i++ }); got != 0 {
		t.Errorf("sync.Map Load: %.0f allocs, want 0", got)
	}
	if got := testing.AllocsPerRun(runs, func() { mm.Load(KeyBase + i%ExistingKeys); i++ }); got != 0 {
		t.Errorf("map+Mutex Load: %.0f allocs, want 0", got)
	}
}

// C6 "API-compatible": sync.Map is a struct with methods over `any`, not a
// map type. It has no indexing, no len, no delete builtin, no typed keys;
// code written for map[K]V does not compile against it. This pins the
// method set of Go 1.26.
func TestSyncMapIsNotAMap(t *testing.T) {
	typ := reflect.TypeFor[*sync.Map]()
	if typ.Elem().Kind() == reflect.Map {
		t.Fatal("sync.Map is a map type")
	}
	var methods []string
	for i := range typ.NumMethod() {
		methods = append(methods, typ.Method(i).Name)
	}
	want := []string{"Clear", "CompareAndDelete", "CompareAndSwap", "Delete", "Load",
		"LoadAndDelete", "LoadOrStore", "Range", "Store", "Swap"}
	if !slices.Equal(methods, want) {
		t.Errorf("(*sync.Map) methods = %v, want %v", methods, want)
	}
	if m, ok := typ.MethodByName("Load"); !ok || m.Type.In(1) != reflect.TypeFor[any]() {
		t.Errorf("want Load to take the key as any, got %v", m.Type)
	}
}

func boxedKeys(from, n int) []any {
	keys := make([]any, n)
	for i := range keys {
		keys[i] = from + i
	}
	return keys
}

// Benchmarks over the same bodies the experiment measures, e.g.
//
//	go test -run '^$' -bench . -benchtime 200000x ./internal/storecost
func BenchmarkSyncMapStoreNewKey(b *testing.B)      { benchOp(b, "sync.Map", "Store new key") }
func BenchmarkMutexMapStoreNewKey(b *testing.B)     { benchOp(b, "map+sync.Mutex", "Store new key") }
func BenchmarkSyncMapStoreExistingKey(b *testing.B) { benchOp(b, "sync.Map", "Store existing key") }
func BenchmarkMutexMapStoreExistingKey(b *testing.B) {
	benchOp(b, "map+sync.Mutex", "Store existing key")
}
func BenchmarkSyncMapLoad(b *testing.B)  { benchOp(b, "sync.Map", "Load") }
func BenchmarkMutexMapLoad(b *testing.B) { benchOp(b, "map+sync.Mutex", "Load") }

func benchOp(b *testing.B, impl, name string) {
	for _, op := range Ops() {
		if op.Impl == impl && op.Name == name {
			op.Bench(b)
			return
		}
	}
	b.Fatalf("no op %s %s in Ops()", impl, name)
}
