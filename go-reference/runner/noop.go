package runner

import (
	"runtime"

	"concurrentmaps/maps"
)

// NoopName is the special map name (not in the registry) whose runs measure
// the harness's own cost per op: trace decoding, counters, checksum, timing.
const NoopName = "noop"

// noopMap answers every operation with a constant and touches no memory: Get
// reports a miss, the writers report "absent". A zero-size value, so the
// maps.Map interface holding it allocates nothing, and each call goes
// through the same interface dispatch as a real map's.
type noopMap struct{}

func (noopMap) Get(uint64) (uint64, bool)  { return 0, false }
func (noopMap) Insert(uint64, uint64) bool { return false }
func (noopMap) Update(uint64, uint64) bool { return false }
func (noopMap) Remove(uint64) bool         { return false }

var noopEntry = maps.Entry{
	Info: maps.Info{
		Name:           NoopName,
		Description:    "no map: every operation returns a constant without touching memory (the harness's own cost)",
		Implementation: "concurrentmaps/runner",
		Version:        runtime.Version(),
		Hasher:         "none",
		Notes: "Get returns (0, false), Insert/Update/Remove return false: every get is a miss, " +
			"no hit is counted and final_len is 0. Calls go through the maps.Map interface like any map's.",
	},
	New:            func(int) maps.Map { return noopMap{} },
	NewString:      func(int) maps.MapOf[string, uint64] { return noopMapOf[string, uint64]{} },
	NewBoxed:       func(int) maps.MapOf[uint64, maps.Boxed] { return noopMapOf[uint64, maps.Boxed]{} },
	NewStringBoxed: func(int) maps.MapOf[string, maps.Boxed] { return noopMapOf[string, maps.Boxed]{} },
}

// noopMapOf is noopMap for string keys and boxed values.
type noopMapOf[K comparable, V any] struct{}

func (noopMapOf[K, V]) Get(K) (v V, ok bool) { return v, false }
func (noopMapOf[K, V]) Insert(K, V) bool     { return false }
func (noopMapOf[K, V]) Update(K, V) bool     { return false }
func (noopMapOf[K, V]) Remove(K) bool        { return false }

// extraMaps are maps only tests can name (a map that panics, say).
var extraMaps []maps.Entry

// lookupMap returns the registry entry named name, or the noop entry.
func lookupMap(name string) (maps.Entry, error) {
	if name == NoopName {
		return noopEntry, nil
	}
	for _, e := range extraMaps {
		if e.Info.Name == name {
			return e, nil
		}
	}
	return maps.Lookup(name)
}
