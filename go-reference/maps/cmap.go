package maps

import cmap "github.com/orcaman/concurrent-map/v2"

const cmapModule = "github.com/orcaman/concurrent-map/v2"

// concurrentMap adapts orcaman/concurrent-map v2: a fixed array of
// cmap.SHARD_COUNT (32) shards, each a built-in map behind its own
// sync.RWMutex. The library shards string keys with FNV-32; for uint64 keys
// the adapter passes a Fibonacci multiply-shift hash, so the high bits of the
// product pick the shard.
type concurrentMap struct {
	m cmap.ConcurrentMap[uint64, uint64]
}

var concurrentMapInfo = Info{
	Name:           "orcaman-concurrent-map",
	Description:    "orcaman/concurrent-map v2 ConcurrentMap[uint64, uint64] (32 RWMutex shards)",
	Implementation: cmapModule,
	Version:        moduleVersion(cmapModule),
	Hasher:         "shard: Fibonacci multiply-shift of the key (adapter); within a shard: the built-in map's hash",
	Notes: "Get, Insert (Upsert) and Remove (RemoveCb) are one step under the shard lock. Update is " +
		"two steps, Has then Upsert: the library has no update-if-present, so a Remove between them " +
		"lets Update re-create the key. capacity is ignored (the library cannot presize).",
}

func shardOf(key uint64) uint32 { return uint32((key * 0x9E3779B97F4A7C15) >> 32) }

func newConcurrentMap(int) Map {
	return concurrentMap{cmap.NewWithCustomShardingFunction[uint64, uint64](shardOf)}
}

func (c concurrentMap) Get(key uint64) (uint64, bool) { return c.m.Get(key) }

// Insert is one Upsert: the callback runs under the shard lock and records
// whether the key was there.
func (c concurrentMap) Insert(key, value uint64) bool {
	existed := false
	c.m.Upsert(key, value, func(exist bool, _ uint64, v uint64) uint64 {
		existed = exist
		return v
	})
	return !existed
}

// Update is Has then Upsert (see Info.Notes: not one atomic step).
func (c concurrentMap) Update(key, value uint64) bool {
	if !c.m.Has(key) {
		return false
	}
	c.m.Set(key, value)
	return true
}

// Remove is one RemoveCb: it deletes when present and reports presence.
func (c concurrentMap) Remove(key uint64) bool {
	return c.m.RemoveCb(key, func(_ uint64, _ uint64, exists bool) bool { return exists })
}
