package maps

import (
	"fmt"
	"runtime"
	"sync"
	"testing"

	"concurrentmaps/trace"
)

// kvAsMap drives a MapOf through the uint64 Map interface, so the conformance
// and lost-write tests run unchanged for string keys (the trace's key strings
// of the uint64 as an id) and boxed values.
type kvAsMap[K comparable, V any] struct {
	m     MapOf[K, V]
	key   func(uint64) K
	val   func(uint64) V
	unval func(V) uint64
}

func (a kvAsMap[K, V]) Get(key uint64) (uint64, bool) {
	v, ok := a.m.Get(a.key(key))
	if !ok {
		return 0, false
	}
	return a.unval(v), true
}
func (a kvAsMap[K, V]) Insert(key, value uint64) bool { return a.m.Insert(a.key(key), a.val(value)) }
func (a kvAsMap[K, V]) Update(key, value uint64) bool { return a.m.Update(a.key(key), a.val(value)) }
func (a kvAsMap[K, V]) Remove(key uint64) bool        { return a.m.Remove(a.key(key)) }

func u64Key(k uint64) uint64    { return k }
func u64Val(v uint64) uint64    { return v }
func unboxed(v Boxed) uint64    { return v[0] }
func identity(v uint64) uint64  { return v }
func stringKey(k uint64) string { return trace.KeyStringForID(k) }

// kvVariants are every registered map's string, boxed and string+boxed forms.
func kvVariants(e Entry, capacity int) map[string]Map {
	return map[string]Map{
		"string-keys":       kvAsMap[string, uint64]{e.NewString(capacity), stringKey, u64Val, identity},
		"boxed-values":      kvAsMap[uint64, Boxed]{e.NewBoxed(capacity), u64Key, NewBoxed, unboxed},
		"string-keys-boxed": kvAsMap[string, Boxed]{e.NewStringBoxed(capacity), stringKey, NewBoxed, unboxed},
	}
}

// hasKV reports whether an entry comes with string keys and boxed values: all
// three constructors, or none (a uint64-only map, which the runner refuses for
// other traces). One or two of them is a registry mistake.
func hasKV(t *testing.T, e Entry) bool {
	n := 0
	for _, ok := range []bool{e.NewString != nil, e.NewBoxed != nil, e.NewStringBoxed != nil} {
		if ok {
			n++
		}
	}
	if n != 0 && n != 3 {
		t.Errorf("%s: %d of the 3 string/boxed constructors; want all or none", e.Info.Name, n)
	}
	return n == 3
}

func TestConformanceOfStringKeysAndBoxedValues(t *testing.T) {
	kvMaps := 0
	for _, e := range All() {
		if !hasKV(t, e) {
			continue
		}
		kvMaps++
		for _, capacity := range []int{0, 1024} {
			for kind, m := range kvVariants(e, capacity) {
				t.Run(fmt.Sprintf("%s/%s/capacity=%d", e.Info.Name, kind, capacity), func(t *testing.T) {
					replayAgainstModel(t, m, 10_000, 2)
				})
			}
		}
	}
	if kvMaps == 0 {
		t.Error("no registered map comes with string keys and boxed values")
	}
}

func TestConcurrentNoLostWritesStringKeysAndBoxedValues(t *testing.T) {
	const goroutines = 4
	const keysPer = 2000
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(max(2, runtime.GOMAXPROCS(0))))
	for _, e := range All() {
		if err := e.CheckGoroutines(goroutines); err != nil || !hasKV(t, e) {
			continue
		}
		capacity := 0
		if e.Info.GrowthMayLoseWrites {
			capacity = 2 * goroutines * keysPer // see TestConcurrentNoLostWrites
		}
		for kind, m := range kvVariants(e, capacity) {
			t.Run(e.Info.Name+"/"+kind, func(t *testing.T) {
				errs := make(chan error, goroutines)
				var wg sync.WaitGroup
				for g := range goroutines {
					wg.Go(func() { errs <- ownRange(m, g, goroutines, keysPer) })
				}
				wg.Wait()
				close(errs)
				for err := range errs {
					if err != nil {
						t.Error(err)
					}
				}
				for g := range goroutines {
					for i := range keysPer {
						key := rangeKey(g, i)
						want, wantOK := finalValue(key, i)
						if got, ok := m.Get(key); ok != wantOK || got != want {
							t.Fatalf("Get(%#x) = (%d, %v), want (%d, %v)", key, got, ok, want, wantOK)
						}
					}
				}
			})
		}
	}
}

// A boxed write stores the caller's pointer: Get returns that very object.
func TestBoxedValuesAreStoredByPointer(t *testing.T) {
	for _, e := range All() {
		if !hasKV(t, e) {
			continue
		}
		m := e.NewStringBoxed(0)
		v := NewBoxed(42)
		m.Insert(KeyForTest, v)
		if got, ok := m.Get(KeyForTest); !ok || got != v {
			t.Errorf("%s: Get = (%p, %v), want the stored pointer %p", e.Info.Name, got, ok, v)
		}
	}
}

// KeyForTest is a string key like the trace's.
var KeyForTest = trace.KeyStringForID(7)
