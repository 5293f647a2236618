package maps

import "sync"

// syncMap adapts sync.Map. Since Go 1.24, sync.Map is a thin wrapper over
// internal/sync.HashTrieMap[any, any]: a concurrent hash trie of 16-way
// indirect nodes, each with its own mutex for writers, read lock-free through
// atomic pointers, whose leaf entries are immutable.
//
// Two costs follow, both visible in allocation counts:
//   - Keys and values are boxed as `any`. Boxing a uint64 allocates 8 bytes
//     unless the value is below 256 (the runtime's staticuint64s table), or
//     the compiler can prove the box does not escape (Load's key does not).
//   - Entries are immutable, so every write that stores a value (Insert, or a
//     successful Update) allocates a new entry node and the boxes it holds;
//     a new key may also allocate indirect nodes as the trie deepens.
type syncMap struct {
	m sync.Map // keys and values are uint64, boxed as any
}

var syncMapInfo = Info{
	Name:           "sync-map",
	Description:    "sync.Map (Go 1.24+: a concurrent hash trie, HashTrieMap[any, any])",
	Implementation: "sync",
	Version:        goVersion,
	Hasher:         "runtime hash of the boxed key (nilinterhash -> memhash64), random seed per map",
	Notes: "Keys and values boxed as any: each Insert and each successful Update allocates a " +
		"new immutable 48-byte entry plus 8-byte boxes for key and value (each >= 256): 3 " +
		"allocations, 64 B, more when a new key deepens the trie; Get and Remove do not allocate. Update is Load then CompareAndSwap, retried: two operations, " +
		"still linearizable (see Update). capacity is ignored: sync.Map cannot be presized.",
}

func newSyncMap(capacity int) Map { return &syncMap{} }

func (s *syncMap) Get(key uint64) (uint64, bool) {
	v, ok := s.m.Load(key)
	if !ok {
		return 0, false
	}
	return v.(uint64), true
}

// Insert is Swap: one atomic step under the trie node's lock.
func (s *syncMap) Insert(key, value uint64) bool {
	_, loaded := s.m.Swap(key, value)
	return !loaded
}

// Update has no single sync.Map call ("store only if present" is missing), so
// it loads the current value and then swaps it only if it is still that value.
// The result is still linearizable:
//   - if CompareAndSwap succeeds, the key was present at that instant (CAS
//     never creates a key) and now holds value: that CAS is the
//     linearization point, even if the key was removed and re-inserted with
//     the same old value in between (ABA is harmless: only presence matters);
//   - if CAS fails, another writer changed or removed the key, so we retry;
//     a retry happens only when some other write succeeded (lock-free);
//   - if Load reports the key absent, that Load is the linearization point of
//     an Update that returns false.
func (s *syncMap) Update(key, value uint64) bool {
	boxed := any(value) // box once, not once per retry
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

// Remove is LoadAndDelete: one atomic step.
func (s *syncMap) Remove(key uint64) bool {
	_, loaded := s.m.LoadAndDelete(key)
	return loaded
}
