package maps

import (
	"sync"

	"github.com/alphadose/haxmap"
	cmap "github.com/orcaman/concurrent-map/v2"
	"github.com/puzpuzpuz/xsync/v4"
)

// Boxed is the boxed value kind: a 32-byte heap object per stored value, so
// every write allocates (every word holds the trace's value). The Rust side
// stores Box<[u64; 4]>.
type Boxed = *[4]uint64

// NewBoxed is the boxed value carrying v.
func NewBoxed(v uint64) Boxed { return &[4]uint64{v, v, v, v} }

// MapOf is [Map] with other key and value types: string keys (the trace's key
// strings, built before the timed phase and shared, never copied, by the map)
// and [Boxed] values. Same four operations, same invariants; Get returns the
// stored value itself (for Boxed, the pointer the last write stored).
type MapOf[K comparable, V any] interface {
	Get(key K) (value V, ok bool)
	Insert(key K, value V) (inserted bool)
	Update(key K, value V) (existed bool)
	Remove(key K) (existed bool)
}

// The key and value kinds a map comes in besides uint64 -> uint64
// ([Entry.NewString], [Entry.NewBoxed], [Entry.NewStringBoxed]). Each is the
// generic version of the uint64 adapter of the same name: same design, same
// library calls; Go's runtime hash for strings wherever the uint64 adapter
// uses the runtime's hash.

// keyWord is the word a sharded design picks a shard from: the key itself for
// uint64, FNV-1a-64 of the bytes for a string (unseeded, as the Rust sharded
// map's MapKey::shard_word).
func keyWord[K comparable](key K) uint64 {
	switch k := any(key).(type) {
	case uint64:
		return k
	case string:
		h := uint64(0xCBF29CE484222325)
		for i := 0; i < len(k); i++ {
			h = (h ^ uint64(k[i])) * 0x100000001B3
		}
		return h
	}
	panic("maps: keys are uint64 or string")
}

type unsyncMapOf[K comparable, V any] map[K]V

func newUnsyncMapOf[K comparable, V any](capacity int) MapOf[K, V] {
	return make(unsyncMapOf[K, V], capacity)
}

func (m unsyncMapOf[K, V]) Get(key K) (V, bool) {
	v, ok := m[key]
	return v, ok
}

func (m unsyncMapOf[K, V]) Insert(key K, value V) bool {
	n := len(m)
	m[key] = value
	return len(m) > n
}

func (m unsyncMapOf[K, V]) Update(key K, value V) bool {
	if _, ok := m[key]; !ok {
		return false
	}
	m[key] = value
	return true
}

func (m unsyncMapOf[K, V]) Remove(key K) bool {
	n := len(m)
	delete(m, key)
	return len(m) < n
}

type mutexMapOf[K comparable, V any] struct {
	mu sync.Mutex
	m  unsyncMapOf[K, V]
}

func newMutexMapOf[K comparable, V any](capacity int) MapOf[K, V] {
	return &mutexMapOf[K, V]{m: make(unsyncMapOf[K, V], capacity)}
}

func (s *mutexMapOf[K, V]) Get(key K) (V, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.m.Get(key)
}

func (s *mutexMapOf[K, V]) Insert(key K, value V) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.m.Insert(key, value)
}

func (s *mutexMapOf[K, V]) Update(key K, value V) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.m.Update(key, value)
}

func (s *mutexMapOf[K, V]) Remove(key K) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.m.Remove(key)
}

type rwmutexMapOf[K comparable, V any] struct {
	mu sync.RWMutex
	m  unsyncMapOf[K, V]
}

func newRWMutexMapOf[K comparable, V any](capacity int) MapOf[K, V] {
	return &rwmutexMapOf[K, V]{m: make(unsyncMapOf[K, V], capacity)}
}

func (s *rwmutexMapOf[K, V]) Get(key K) (V, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.m.Get(key)
}

func (s *rwmutexMapOf[K, V]) Insert(key K, value V) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.m.Insert(key, value)
}

func (s *rwmutexMapOf[K, V]) Update(key K, value V) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.m.Update(key, value)
}

func (s *rwmutexMapOf[K, V]) Remove(key K) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.m.Remove(key)
}

type shardKV[K comparable, V any] struct {
	mu sync.RWMutex
	m  unsyncMapOf[K, V]
	_  [cacheLinePairSize]byte
}

type shardedMapOf[K comparable, V any] struct {
	shards [shardCount]shardKV[K, V]
}

func newShardedMapOf[K comparable, V any](capacity int) MapOf[K, V] {
	s := &shardedMapOf[K, V]{}
	perShard := (capacity + shardCount - 1) / shardCount
	for i := range s.shards {
		s.shards[i].m = make(unsyncMapOf[K, V], perShard)
	}
	return s
}

func (s *shardedMapOf[K, V]) shardFor(key K) *shardKV[K, V] {
	return &s.shards[shardIndex(keyWord(key))]
}

func (s *shardedMapOf[K, V]) Get(key K) (V, bool) {
	sh := s.shardFor(key)
	sh.mu.RLock()
	defer sh.mu.RUnlock()
	return sh.m.Get(key)
}

func (s *shardedMapOf[K, V]) Insert(key K, value V) bool {
	sh := s.shardFor(key)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	return sh.m.Insert(key, value)
}

func (s *shardedMapOf[K, V]) Update(key K, value V) bool {
	sh := s.shardFor(key)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	return sh.m.Update(key, value)
}

func (s *shardedMapOf[K, V]) Remove(key K) bool {
	sh := s.shardFor(key)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	return sh.m.Remove(key)
}

type syncMapOf[K comparable, V comparable] struct{ m sync.Map }

func newSyncMapOf[K comparable, V comparable](int) MapOf[K, V] { return &syncMapOf[K, V]{} }

func (s *syncMapOf[K, V]) Get(key K) (V, bool) {
	v, ok := s.m.Load(key)
	if !ok {
		var zero V
		return zero, false
	}
	return v.(V), true
}

func (s *syncMapOf[K, V]) Insert(key K, value V) bool {
	_, loaded := s.m.Swap(key, value)
	return !loaded
}

func (s *syncMapOf[K, V]) Update(key K, value V) bool {
	boxed := any(value)
	for {
		old, ok := s.m.Load(key)
		if !ok {
			return false
		}
		if s.m.CompareAndSwap(key, old, boxed) {
			return true
		}
	}
}

func (s *syncMapOf[K, V]) Remove(key K) bool {
	_, loaded := s.m.LoadAndDelete(key)
	return loaded
}

type xsyncMapOf[K comparable, V any] struct{ m *xsync.Map[K, V] }

func newXsyncMapOf[K comparable, V any](capacity int) MapOf[K, V] {
	if capacity > 0 {
		return xsyncMapOf[K, V]{xsync.NewMap[K, V](xsync.WithPresize(capacity))}
	}
	return xsyncMapOf[K, V]{xsync.NewMap[K, V]()}
}

func (x xsyncMapOf[K, V]) Get(key K) (V, bool) { return x.m.Load(key) }

func (x xsyncMapOf[K, V]) Insert(key K, value V) bool {
	_, loaded := x.m.LoadAndStore(key, value)
	return !loaded
}

func (x xsyncMapOf[K, V]) Update(key K, value V) bool {
	_, existed := x.m.Compute(key, func(old V, loaded bool) (V, xsync.ComputeOp) {
		if !loaded {
			return old, xsync.CancelOp
		}
		return value, xsync.UpdateOp
	})
	return existed
}

func (x xsyncMapOf[K, V]) Remove(key K) bool {
	_, loaded := x.m.LoadAndDelete(key)
	return loaded
}

type concurrentMapOf[K comparable, V any] struct{ m cmap.ConcurrentMap[K, V] }

func newConcurrentMapOf[K comparable, V any](int) MapOf[K, V] {
	return concurrentMapOf[K, V]{cmap.NewWithCustomShardingFunction[K, V](func(key K) uint32 {
		return shardOf32(keyWord(key))
	})}
}

func shardOf32(word uint64) uint32 { return shardOf(word) }

func (c concurrentMapOf[K, V]) Get(key K) (V, bool) { return c.m.Get(key) }

func (c concurrentMapOf[K, V]) Insert(key K, value V) bool {
	existed := false
	c.m.Upsert(key, value, func(exist bool, _ V, v V) V {
		existed = exist
		return v
	})
	return !existed
}

func (c concurrentMapOf[K, V]) Update(key K, value V) bool {
	if !c.m.Has(key) {
		return false
	}
	c.m.Set(key, value)
	return true
}

func (c concurrentMapOf[K, V]) Remove(key K) bool {
	return c.m.RemoveCb(key, func(_ K, _ V, exists bool) bool { return exists })
}

// haxKey is the key types haxmap hashes (a subset of its own constraint).
type haxKey interface{ ~uint64 | ~string }

type haxMapOf[K haxKey, V comparable] struct{ m *haxmap.Map[K, V] }

func newHaxMapOf[K haxKey, V comparable](capacity int) MapOf[K, V] {
	if capacity > 0 {
		return haxMapOf[K, V]{haxmap.New[K, V](uintptr(capacity))}
	}
	return haxMapOf[K, V]{haxmap.New[K, V]()}
}

func (h haxMapOf[K, V]) Get(key K) (V, bool) { return h.m.Get(key) }

func (h haxMapOf[K, V]) Insert(key K, value V) bool {
	for {
		if _, loaded := h.m.GetOrSet(key, value); !loaded {
			return true
		}
		if _, swapped := h.m.Swap(key, value); swapped {
			return false
		}
	}
}

func (h haxMapOf[K, V]) Update(key K, value V) bool {
	_, swapped := h.m.Swap(key, value)
	return swapped
}

func (h haxMapOf[K, V]) Remove(key K) bool {
	_, ok := h.m.GetAndDel(key)
	return ok
}
