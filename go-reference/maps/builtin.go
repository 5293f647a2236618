package maps

import "sync"

// builtinHasher describes how Go's built-in map hashes a uint64 key; the
// sharded map reuses it inside each shard.
const builtinHasher = "runtime memhash64 (AES-based on amd64/arm64 with AES support, " +
	"else a multiply-mix fallback), random seed per map"

// unsyncMap is the built-in map with the Map semantics and no
// synchronisation. It is a map under test in its own right (unsync-map, the
// single-goroutine limit) and the one home of the built-in-map semantics: the
// locked adapters below call it with their lock held.
//
// Insert and Remove compare len before and after instead of probing first, so
// each costs one hash lookup; Update must probe, then assign (two lookups),
// because the built-in map has no "assign only if present".
type unsyncMap map[uint64]uint64

var unsyncMapInfo = Info{
	Name:           "unsync-map",
	Description:    "built-in map, no synchronisation: the single-goroutine limit",
	Implementation: "concurrentmaps/maps",
	Version:        goVersion,
	Hasher:         builtinHasher,
	Notes: "MaxGoroutines = 1: not safe for concurrent use; two goroutines writing it is a " +
		"data race the runtime may end with an unrecoverable fatal error. The runner must refuse " +
		"n > 1 (Entry.CheckGoroutines). No allocation per operation once the map has grown; " +
		"capacity presizes.",
	MaxGoroutines: 1,
}

func newUnsyncMap(capacity int) Map { return make(unsyncMap, capacity) }

func (m unsyncMap) Get(key uint64) (uint64, bool) {
	v, ok := m[key]
	return v, ok
}

func (m unsyncMap) Insert(key, value uint64) bool {
	n := len(m)
	m[key] = value
	return len(m) > n
}

func (m unsyncMap) Update(key, value uint64) bool {
	if _, ok := m[key]; !ok {
		return false
	}
	m[key] = value
	return true
}

func (m unsyncMap) Remove(key uint64) bool {
	n := len(m)
	delete(m, key)
	return len(m) < n
}

// mutexMap is the built-in map behind one sync.Mutex. Every operation,
// reads included, holds the lock for its whole duration, so each is atomic;
// readers serialise with each other.
type mutexMap struct {
	mu sync.Mutex
	m  unsyncMap // guarded by mu
}

var mutexMapInfo = Info{
	Name:           "mutex-map",
	Description:    "built-in map guarded by one sync.Mutex",
	Implementation: "concurrentmaps/maps",
	Version:        goVersion,
	Hasher:         builtinHasher,
	Notes: "Every operation takes the one exclusive lock, so all are atomic and readers " +
		"serialise. No allocation per operation once the map has grown; capacity presizes.",
}

func newMutexMap(capacity int) Map { return &mutexMap{m: make(unsyncMap, capacity)} }

func (s *mutexMap) Get(key uint64) (uint64, bool) {
	s.mu.Lock()
	v, ok := s.m.Get(key)
	s.mu.Unlock()
	return v, ok
}

func (s *mutexMap) Insert(key, value uint64) bool {
	s.mu.Lock()
	inserted := s.m.Insert(key, value)
	s.mu.Unlock()
	return inserted
}

func (s *mutexMap) Update(key, value uint64) bool {
	s.mu.Lock()
	existed := s.m.Update(key, value)
	s.mu.Unlock()
	return existed
}

func (s *mutexMap) Remove(key uint64) bool {
	s.mu.Lock()
	existed := s.m.Remove(key)
	s.mu.Unlock()
	return existed
}

// rwmutexMap is the built-in map behind one sync.RWMutex: Get holds the read
// lock, the writers the write lock, each for the whole operation, so each is
// atomic (Update's probe and assign happen under one write lock).
type rwmutexMap struct {
	mu sync.RWMutex
	m  unsyncMap // guarded by mu
}

var rwmutexMapInfo = Info{
	Name:           "rwmutex-map",
	Description:    "built-in map guarded by one sync.RWMutex (Get takes the read lock)",
	Implementation: "concurrentmaps/maps",
	Version:        goVersion,
	Hasher:         builtinHasher,
	Notes: "All operations atomic. Get's RLock is an atomic add on the shared readerCount, so " +
		"every reader writes the same cache line: reads run in parallel but that line bounces " +
		"between cores. A waiting writer blocks new readers. No allocation per operation once " +
		"the map has grown; capacity presizes.",
}

func newRWMutexMap(capacity int) Map { return &rwmutexMap{m: make(unsyncMap, capacity)} }

func (s *rwmutexMap) Get(key uint64) (uint64, bool) {
	s.mu.RLock()
	v, ok := s.m.Get(key)
	s.mu.RUnlock()
	return v, ok
}

func (s *rwmutexMap) Insert(key, value uint64) bool {
	s.mu.Lock()
	inserted := s.m.Insert(key, value)
	s.mu.Unlock()
	return inserted
}

func (s *rwmutexMap) Update(key, value uint64) bool {
	s.mu.Lock()
	existed := s.m.Update(key, value)
	s.mu.Unlock()
	return existed
}

func (s *rwmutexMap) Remove(key uint64) bool {
	s.mu.Lock()
	existed := s.m.Remove(key)
	s.mu.Unlock()
	return existed
}
