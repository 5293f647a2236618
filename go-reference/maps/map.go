// Package maps holds the Go maps under test and the one interface the runner,
// the chapter programs and the tests use to drive them.
//
// The contract is [Map] plus [Info]: the harness knows nothing else about a
// map (the bustle model). The Rust side (rust-impl/maps) implements the same
// four operations with the same return values and uses the same kebab-case
// names, so a result for "sharded-rwmutex-map" means the same work in both
// languages.
//
// To add a map: write an adapter (a few lines over [Map]) in its own file, add
// an [Entry] to the registry in registry.go, and run `go test ./maps`: the
// conformance and concurrency tests iterate [All], so the new map is tested
// without touching them.
package maps

// Map is a map from uint64 keys to uint64 values.
//
// Invariants every implementation keeps:
//
//   - Every key and value is legal, including 0 and math.MaxUint64; a stored
//     0 is distinguishable from an absent key (Get reports ok).
//   - Get(key) returns (value, true) iff key is present, and (0, false) if not.
//   - Insert(key, value) stores value whether or not key is present (an
//     upsert, like Rust's HashMap::insert), and returns true iff key was
//     absent immediately before.
//   - Update(key, value) stores value only if key is present; it never creates
//     a key. It returns true iff key was present (and so now holds value).
//   - Remove(key) deletes key and returns true iff it was present.
//   - Concurrency: an implementation whose Info.MaxGoroutines is 0 is safe for
//     any number of goroutines, and each call is linearizable: it takes effect
//     at one instant between its call and its return, and its result is the
//     one that instant implies. A Get that observes a value synchronizes after
//     (in the Go memory model's sense) the Insert or Update that stored it.
//     An implementation with MaxGoroutines = n > 0 may be used by at most n
//     goroutines; see [Entry.CheckGoroutines].
//   - No method calls back into the caller, retains a reference to caller
//     memory, or blocks other than on the map's own synchronisation.
type Map interface {
	Get(key uint64) (value uint64, ok bool)
	Insert(key, value uint64) (inserted bool) // true if key was new
	Update(key, value uint64) (existed bool)  // true if key existed (and was updated)
	Remove(key uint64) (existed bool)         // true if key existed (and was removed)
}

// Info describes a map for people and for result files (the runner copies it
// into the run_start record).
type Info struct {
	// Name is the kebab-case name shared with the Rust side, e.g. "sync-map".
	Name string
	// Description is one line: what the map is.
	Description string
	// Implementation is the import path of the package whose code is under
	// test: "sync", "github.com/puzpuzpuz/xsync/v4", or "concurrentmaps/maps"
	// for our own adapters over the built-in map.
	Implementation string
	// Version is the module version for third-party code (from the binary's
	// build info) and the Go version (runtime.Version) for anything built only
	// on the standard library, whose behaviour is the toolchain's.
	Version string
	// Hasher says how keys are hashed (to a shard, bucket or trie slot).
	Hasher string
	// Notes lists the caveats a reader of results needs: allocations per
	// operation, which operations are not single atomic steps, what capacity
	// does.
	Notes string
	// MaxGoroutines is how many goroutines may use one map at once;
	// 0 means unlimited.
	MaxGoroutines int
	// GrowthMayLoseWrites marks a map whose writes can be lost, or show up
	// late, when they race the map's own growth (haxmap: its documentation
	// says a Set during a resize may appear only after it; this module's
	// concurrent tests also saw removed keys come back). The concurrent
	// conformance tests presize such a map, so that no growth happens inside
	// them; Notes says it to readers of results.
	GrowthMayLoseWrites bool
}
