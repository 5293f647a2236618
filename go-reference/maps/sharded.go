package maps

import "sync"

const (
	// shardBits sets shardCount = 64: with a few goroutines on uniform keys,
	// two given goroutines meet on a shard once in 64 operations, while the
	// empty map costs only 64 small maps (about 13 KiB with the pads).
	shardBits  = 6
	shardCount = 1 << shardBits

	// cacheLinePairSize is the pad between shards: x86-64's adjacent-line
	// prefetcher fetches 64-byte lines in aligned 128-byte pairs, so locks
	// 64 bytes apart still contend (the reason crossbeam's CachePadded is 128).
	cacheLinePairSize = 128

	// fibonacciMultiplier is 2^64 divided by the golden ratio, rounded to odd
	// (Knuth's multiplicative hashing); see shardIndex.
	fibonacciMultiplier = 0x9E3779B97F4A7C15
)

// ANCHOR: shard
// shard is one lock and the keys it guards.
type shard struct {
	mu sync.RWMutex
	m  unsyncMap // guarded by mu
	// A whole pair of padding, not "round up to 128": Go cannot align the
	// shard array to 128 bytes, and only a gap of at least 128 bytes between
	// one shard's mu/m and the next one's keeps them out of every shared
	// 128-byte pair whatever address the allocator picks.
	_ [cacheLinePairSize]byte
}

// shardedMap is our own stdlib-only concurrent map: shardCount built-in maps,
// each behind its own RWMutex. A key lives in exactly one shard and every
// operation holds that shard's lock for its whole duration, so each operation
// is atomic; operations on different shards do not contend on a lock or on
// our cache lines.
//
// One residual sharing we cannot pad: each shard's built-in map header is a
// separate 48-byte runtime allocation (internal/runtime/maps.Map), written on
// every Insert/Update/Remove (the concurrent-write check toggles its
// "writing" flag) and read by every Get. Made one after another, as here, the
// headers land 48 bytes apart in one span (go1.26 amd64: 47 of 63 adjacent
// pairs shared a 64-byte line), so writers on one shard still invalidate a
// line readers of its neighbour need. A Rust HashMap's header sits inside
// the padded shard and has no such residue.
type shardedMap struct {
	shards [shardCount]shard
}

// ANCHOR_END: shard

var shardedMapInfo = Info{
	Name:           "sharded-rwmutex-map",
	Description:    "64 built-in maps, each behind its own cache-line-pair-padded RWMutex",
	Implementation: "concurrentmaps/maps",
	Version:        goVersion,
	Hasher: "shard: key * 0x9E3779B97F4A7C15, top 6 bits (unseeded, same as the Rust " +
		"sharded map); within a shard: " + builtinHasher,
	Notes: "All operations atomic (one shard lock each). No allocation per operation once " +
		"the shards have grown; capacity presizes each shard to ceil(capacity/64). Map headers " +
		"are runtime allocations we cannot pad (see shardedMap).",
}

func newShardedMap(capacity int) Map {
	s := &shardedMap{}
	perShard := (capacity + shardCount - 1) / shardCount
	for i := range s.shards {
		s.shards[i].m = make(unsyncMap, perShard)
	}
	return s
}

// ANCHOR: ops
// shardIndex picks a key's shard from the top bits of a multiplicative mix.
// Not the raw key (key % 64): real keys are often structured in their low
// bits (sequential ids, multiples of 8 or 64, aligned addresses), and key % 64
// would put all multiples of 64 in one shard. A multiply carries every input
// bit upward, so the top bits depend on the whole key; we take those.
func shardIndex(key uint64) uint64 {
	return (key * fibonacciMultiplier) >> (64 - shardBits)
}

func (s *shardedMap) shardFor(key uint64) *shard { return &s.shards[shardIndex(key)] }

func (s *shardedMap) Get(key uint64) (uint64, bool) {
	sh := s.shardFor(key)
	sh.mu.RLock()
	v, ok := sh.m.Get(key)
	sh.mu.RUnlock()
	return v, ok
}

func (s *shardedMap) Insert(key, value uint64) bool {
	sh := s.shardFor(key)
	sh.mu.Lock()
	inserted := sh.m.Insert(key, value)
	sh.mu.Unlock()
	return inserted
}

func (s *shardedMap) Update(key, value uint64) bool {
	sh := s.shardFor(key)
	sh.mu.Lock()
	existed := sh.m.Update(key, value)
	sh.mu.Unlock()
	return existed
}

func (s *shardedMap) Remove(key uint64) bool {
	sh := s.shardFor(key)
	sh.mu.Lock()
	existed := sh.m.Remove(key)
	sh.mu.Unlock()
	return existed
}

// ANCHOR_END: ops
