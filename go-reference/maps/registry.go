package maps

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
)

// Entry is one map under test: what it is, and how to make one.
type Entry struct {
	Info Info
	// New returns an empty map. capacity > 0 presizes it for that many keys
	// where the implementation supports it (Info.Notes says when it does
	// not); capacity 0 means not presized.
	New func(capacity int) Map
	// NewString, NewBoxed and NewStringBoxed make the same map with string
	// keys, Boxed values, or both (traces with key_type = "string" or
	// value_kind = "boxed"): the generic version of the adapter (kv.go).
	NewString      func(capacity int) MapOf[string, uint64]
	NewBoxed       func(capacity int) MapOf[uint64, Boxed]
	NewStringBoxed func(capacity int) MapOf[string, Boxed]
}

// CheckGoroutines reports whether one map of this entry may be driven by n
// goroutines at once. The runner must call it and refuse to run (exit status
// 2) on error: unsync-map has MaxGoroutines = 1, and two goroutines writing it
// is a data race that the Go runtime may end with an unrecoverable
// "fatal error: concurrent map writes".
func (e Entry) CheckGoroutines(n int) error {
	if n < 1 {
		return fmt.Errorf("map %q: goroutines must be at least 1, got %d", e.Info.Name, n)
	}
	if e.Info.MaxGoroutines > 0 && n > e.Info.MaxGoroutines {
		return fmt.Errorf("map %q allows at most %d goroutine(s), got %d: %s",
			e.Info.Name, e.Info.MaxGoroutines, n, e.Info.Description)
	}
	return nil
}

// CheckKinds reports whether the entry comes with string keys (strings) and/or
// Boxed values (boxed); the runner must refuse (exit status 2) a trace whose
// kinds the entry lacks.
func (e Entry) CheckKinds(strings, boxed bool) error {
	ok := true
	switch {
	case strings && boxed:
		ok = e.NewStringBoxed != nil
	case strings:
		ok = e.NewString != nil
	case boxed:
		ok = e.NewBoxed != nil
	}
	if !ok {
		return fmt.Errorf("--map %s: comes only with u64 keys and u64 values", e.Info.Name)
	}
	return nil
}

// Kinds lists the key/value combinations the entry comes in, as
// "KEY/VALUE" with the trace's names (u64 or string keys, u64 or boxed
// values); --list-maps prints it so that mapbench can skip a cell the map
// cannot run instead of failing it.
func (e Entry) Kinds() []string {
	kinds := []string{"u64/u64"}
	if e.NewString != nil {
		kinds = append(kinds, "string/u64")
	}
	if e.NewBoxed != nil {
		kinds = append(kinds, "u64/boxed")
	}
	if e.NewStringBoxed != nil {
		kinds = append(kinds, "string/boxed")
	}
	return kinds
}

// registry is the list [All] returns, in the order reports show the maps:
// the two single-lock baselines, the standard library's concurrent map, our
// sharded map, the third-party map, and last the single-goroutine limit.
var registry = []Entry{
	{Info: mutexMapInfo, New: newMutexMap,
		NewString: newMutexMapOf[string, uint64], NewBoxed: newMutexMapOf[uint64, Boxed], NewStringBoxed: newMutexMapOf[string, Boxed]},
	{Info: rwmutexMapInfo, New: newRWMutexMap,
		NewString: newRWMutexMapOf[string, uint64], NewBoxed: newRWMutexMapOf[uint64, Boxed], NewStringBoxed: newRWMutexMapOf[string, Boxed]},
	{Info: syncMapInfo, New: newSyncMap,
		NewString: newSyncMapOf[string, uint64], NewBoxed: newSyncMapOf[uint64, Boxed], NewStringBoxed: newSyncMapOf[string, Boxed]},
	{Info: shardedMapInfo, New: newShardedMap,
		NewString: newShardedMapOf[string, uint64], NewBoxed: newShardedMapOf[uint64, Boxed], NewStringBoxed: newShardedMapOf[string, Boxed]},
	{Info: xsyncMapInfo, New: newXsyncMap,
		NewString: newXsyncMapOf[string, uint64], NewBoxed: newXsyncMapOf[uint64, Boxed], NewStringBoxed: newXsyncMapOf[string, Boxed]},
	{Info: concurrentMapInfo, New: newConcurrentMap,
		NewString: newConcurrentMapOf[string, uint64], NewBoxed: newConcurrentMapOf[uint64, Boxed], NewStringBoxed: newConcurrentMapOf[string, Boxed]},
	{Info: haxMapInfo, New: newHaxMap,
		NewString: newHaxMapOf[string, uint64], NewBoxed: newHaxMapOf[uint64, Boxed], NewStringBoxed: newHaxMapOf[string, Boxed]},
	{Info: unsyncMapInfo, New: newUnsyncMap,
		NewString: newUnsyncMapOf[string, uint64], NewBoxed: newUnsyncMapOf[uint64, Boxed], NewStringBoxed: newUnsyncMapOf[string, Boxed]},
}

// All returns every map under test, in a stable order. The slice is a copy.
//
// Entries with Info.MaxGoroutines > 0 (today: unsync-map, limit 1) must not be
// run with more goroutines than that; check with [Entry.CheckGoroutines].
func All() []Entry { return slices.Clone(registry) }

// Names returns the names of [All], in the same order.
func Names() []string {
	names := make([]string, len(registry))
	for i, e := range registry {
		names[i] = e.Info.Name
	}
	return names
}

// Lookup returns the entry named name. The error for an unknown name lists
// the valid ones.
func Lookup(name string) (Entry, error) {
	for _, e := range registry {
		if e.Info.Name == name {
			return e, nil
		}
	}
	return Entry{}, fmt.Errorf("unknown map %q; valid names: %s", name, strings.Join(Names(), ", "))
}

// goVersion is Info.Version for maps built only on the standard library.
var goVersion = runtime.Version()

// moduleVersion returns the version of module path linked into this binary,
// from its build info, e.g. "v4.5.0". A replaced module reports the
// replacement ("v4.5.0 => ../xsync (devel)") so a local fork is never
// mistaken for the release. Only a built program (go build, go run) records
// its dependencies; a go test binary does not, and gets "unknown (...)".
func moduleVersion(path string) string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown (binary has no build info)"
	}
	for _, dep := range bi.Deps {
		if dep.Path != path {
			continue
		}
		if r := dep.Replace; r != nil {
			v := r.Version
			if v == "" {
				v = "(devel)"
			}
			return dep.Version + " => " + r.Path + " " + v
		}
		return dep.Version
	}
	// Reached in go test binaries, whose build info lists no dependencies.
	return "unknown (" + path + " not in this binary's build info)"
}
