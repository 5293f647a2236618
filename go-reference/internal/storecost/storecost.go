// Package storecost defines the map operations whose allocation cost settles
// claim C6 ("sync.Map causes no GC pressure"): Store of a new key, Store of
// an existing key, and Load, on sync.Map and on a map guarded by a
// sync.Mutex. The benchmarks in this package's tests and the
// ch1-detection experiment both run these bodies, so the book's table and
// `go test -bench` measure the same code.
//
// Allocation counts (allocs/op, B/op) are deterministic properties of the
// code and the Go version; ns/op depends on the machine and is informational.
package storecost

import (
	"sync"
	"testing"
)

// KeyBase offsets every key, and every value is its key. Converting an
// integer to `any` does not allocate for values 0..255 (the runtime keeps a
// static table for them), so small numbers would hide the boxing cost that
// real sync.Map users pay.
const KeyBase = 1 << 20

// ExistingKeys is how many keys the "existing key" and Load benchmarks
// prefill; operations cycle through them.
const ExistingKeys = 1 << 10

// Op is one measured operation on one implementation.
type Op struct {
	Impl  string // "sync.Map" or "map+sync.Mutex"
	Name  string // "Store new key", "Store existing key", "Load"
	Bench func(b *testing.B)
}

// Ops lists the operations in the order the book's table shows them.
func Ops() []Op {
	return []Op{
		{"sync.Map", "Store new key", syncMapStoreNew},
		{"map+sync.Mutex", "Store new key", mutexMapStoreNew},
		{"sync.Map", "Store existing key", syncMapStoreExisting},
		{"map+sync.Mutex", "Store existing key", mutexMapStoreExisting},
		{"sync.Map", "Load", syncMapLoad},
		{"map+sync.Mutex", "Load", mutexMapLoad},
	}
}

// MutexMap is the plain alternative to sync.Map: a map and the lock that
// guards every access to it.
type MutexMap struct {
	mu sync.Mutex
	m  map[int]int
}

// NewMutexMap returns a MutexMap presized for capacity keys, so inserting up
// to capacity new keys never grows the map.
func NewMutexMap(capacity int) *MutexMap {
	return &MutexMap{m: make(map[int]int, capacity)}
}

func (mm *MutexMap) Store(k, v int) {
	mm.mu.Lock()
	mm.m[k] = v
	mm.mu.Unlock()
}

func (mm *MutexMap) Load(k int) (int, bool) {
	mm.mu.Lock()
	v, ok := mm.m[k]
	mm.mu.Unlock()
	return v, ok
}

func syncMapStoreNew(b *testing.B) {
	var m sync.Map
	b.ReportAllocs()
	for i := range b.N {
		m.Store(KeyBase+i, KeyBase+i)
	}
}

func mutexMapStoreNew(b *testing.B) {
	mm := NewMutexMap(b.N) // presized: the best case for the plain map
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		mm.Store(KeyBase+i, KeyBase+i)
	}
}

func syncMapStoreExisting(b *testing.B) {
	m := PrefilledSyncMap()
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		m.Store(KeyBase+i%ExistingKeys, KeyBase+i)
	}
}

func mutexMapStoreExisting(b *testing.B) {
	mm := PrefilledMutexMap()
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		mm.Store(KeyBase+i%ExistingKeys, KeyBase+i)
	}
}

func syncMapLoad(b *testing.B) {
	m := PrefilledSyncMap()
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		m.Load(KeyBase + i%ExistingKeys)
	}
}

func mutexMapLoad(b *testing.B) {
	mm := PrefilledMutexMap()
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		mm.Load(KeyBase + i%ExistingKeys)
	}
}

// PrefilledSyncMap holds the keys KeyBase .. KeyBase+ExistingKeys-1.
func PrefilledSyncMap() *sync.Map {
	m := new(sync.Map)
	for i := range ExistingKeys {
		m.Store(KeyBase+i, KeyBase+i)
	}
	return m
}

// PrefilledMutexMap holds the keys KeyBase .. KeyBase+ExistingKeys-1.
func PrefilledMutexMap() *MutexMap {
	mm := NewMutexMap(ExistingKeys)
	for i := range ExistingKeys {
		mm.Store(KeyBase+i, KeyBase+i)
	}
	return mm
}
