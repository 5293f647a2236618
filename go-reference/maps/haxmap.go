package maps

import "github.com/alphadose/haxmap"

const haxmapModule = "github.com/alphadose/haxmap"

// haxMap adapts alphadose/haxmap v1.4: a lock-free sorted linked list of
// entries (Harris-style, deletion by marking) with an index array over it
// that grows by doubling, hashed with xxHash.
type haxMap struct {
	m *haxmap.Map[uint64, uint64]
}

var haxMapInfo = Info{
	Name:           "haxmap",
	Description:    "alphadose/haxmap v1.4 Map[uint64, uint64] (lock-free linked list + index)",
	Implementation: haxmapModule,
	Version:        moduleVersion(haxmapModule),
	Hasher:         "haxmap default for 8-byte keys: xxHash64, unseeded",
	Notes: "Get, Update (Swap) and Remove (GetAndDel) are single lock-free steps. Insert is GetOrSet, " +
		"then Swap when the key was present, retried if a Remove came between; each stored value is " +
		"a new heap allocation. capacity presizes the index. Writes that race the map's own growth " +
		"can be lost or appear late (its docs: a Set during a resize may show up only after it; " +
		"this module's concurrent tests, not presized, saw inserts missing and removed keys back).",
	GrowthMayLoseWrites: true,
}

func newHaxMap(capacity int) Map {
	if capacity > 0 {
		return haxMap{haxmap.New[uint64, uint64](uintptr(capacity))}
	}
	return haxMap{haxmap.New[uint64, uint64]()}
}

// Get returns (0, false) for an absent key: haxmap's Get can report a
// deleted entry's old value beside ok = false.
func (h haxMap) Get(key uint64) (uint64, bool) {
	if v, ok := h.m.Get(key); ok {
		return v, true
	}
	return 0, false
}

// Insert stores value whether or not key is present and reports whether it
// was absent: GetOrSet inserts an absent key; a present one is swapped.
func (h haxMap) Insert(key, value uint64) bool {
	for {
		if _, loaded := h.m.GetOrSet(key, value); !loaded {
			return true
		}
		if _, swapped := h.m.Swap(key, value); swapped {
			return false
		}
	}
}

// Update is Swap, which stores only into a present entry.
func (h haxMap) Update(key, value uint64) bool {
	_, swapped := h.m.Swap(key, value)
	return swapped
}

// Remove is GetAndDel, which reports whether the key was present.
func (h haxMap) Remove(key uint64) bool {
	_, ok := h.m.GetAndDel(key)
	return ok
}
