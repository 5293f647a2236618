package maps

import "github.com/puzpuzpuz/xsync/v4"

const xsyncModule = "github.com/puzpuzpuz/xsync/v4"

// xsyncMap adapts xsync v4's typed map (xsync.Map[K, V]; v3's MapOf is a
// deprecated alias in v4). It is a CLHT-style hash table: buckets of a few
// entries padded to cache lines, readers lock-free over atomic pointers to
// immutable key/value entries, writers holding the bucket's mutex, resizes
// done cooperatively by the writers that meet them.
type xsyncMap struct {
	m *xsync.Map[uint64, uint64]
}

var xsyncMapInfo = Info{
	Name:           "xsync-map",
	Description:    "xsync v4 Map[uint64, uint64] (CLHT-style, lock-free reads)",
	Implementation: xsyncModule,
	Version:        moduleVersion(xsyncModule),
	Hasher:         "xsync integer-key hash: two multiply-xorshift rounds (wyhash-style), maphash random seed per table",
	Notes: "All operations atomic (Update is one Compute under the bucket lock). Entries are " +
		"immutable: each Insert and each successful Update allocates a 16-byte entry; Get and " +
		"Remove need not allocate. capacity presizes (WithPresize) and is also the size the " +
		"table never shrinks below.",
}

func newXsyncMap(capacity int) Map {
	if capacity > 0 {
		return xsyncMap{xsync.NewMap[uint64, uint64](xsync.WithPresize(capacity))}
	}
	return xsyncMap{xsync.NewMap[uint64, uint64]()}
}

func (x xsyncMap) Get(key uint64) (uint64, bool) { return x.m.Load(key) }

// Insert is LoadAndStore: one atomic step under the bucket lock.
func (x xsyncMap) Insert(key, value uint64) bool {
	_, loaded := x.m.LoadAndStore(key, value)
	return !loaded
}

// Update is one Compute: the function runs under the bucket lock and cancels
// when the key is absent, so "present, then store" is a single atomic step.
// Compute's ok reports presence afterwards, which here is "existed before".
func (x xsyncMap) Update(key, value uint64) bool {
	_, existed := x.m.Compute(key, func(old uint64, loaded bool) (uint64, xsync.ComputeOp) {
		if !loaded {
			return old, xsync.CancelOp
		}
		return value, xsync.UpdateOp
	})
	return existed
}

// Remove is LoadAndDelete: one atomic step under the bucket lock.
func (x xsyncMap) Remove(key uint64) bool {
	_, loaded := x.m.LoadAndDelete(key)
	return loaded
}
