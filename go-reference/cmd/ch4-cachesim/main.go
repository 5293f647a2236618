// Command ch4-cachesim is the Go half of chapter 4.4's cache experiment: one
// goroutine, GOMAXPROCS=1, doing -gets lookups of uniformly random keys on a
// prefilled map, for each map and key-space size. It is built to be run
// under valgrind's cachegrind, which simulates the caches of one thread:
// rust-impl/chapters/examples/ch4_cachesim.rs runs it twice per
// configuration (-gets N and -gets 0) and subtracts, so that building the
// map is not counted.
//
// It prints one tab-separated row per configuration: the language, the map,
// the key space, the gets done, how many found their key (always all of
// them: every key in the key space is inserted) and the sum of the values
// read, which keeps the compiler from dropping the loop.
//
// Usage:
//
//	go run ./cmd/ch4-cachesim                     # every map and key space, 200,000 gets each
//	go run ./cmd/ch4-cachesim -map sync.Map -keys 16384 -gets 1000
//
// Bad flags exit 2.
package main

import (
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
	"sync"

	"concurrentmaps/internal/cmdline"
)

// keySpaces are the sizes the chapter compares, chosen against the cache
// geometry the generator pins for cachegrind (D1 48 KiB, LL 2 MiB): 256
// keys fit in D1 for every map here, 16,384 keys overflow D1 but fit in LL,
// and 1,048,576 keys need at least 16 MiB of entries alone, 8 times LL.
var keySpaces = []int{256, 16_384, 524_288}

// mapNames are the maps, in the order the rows are printed.
var mapNames = []string{"map", "sync.Map", "map+RWMutex"}

// defaultSeed fixes the key sequence; the Rust program uses the same one.
const defaultSeed = 0x5eed_c0ffee

type options struct {
	maps  []string
	keys  []int
	gets  int
	seed  uint64
	procs int
}

func main() {
	opt := cmdline.MustParse(parseFlags(os.Args[1:], os.Stderr))
	// One P: the experiment is about one thread's caches, and cachegrind
	// runs every thread on one simulated cache anyway.
	runtime.GOMAXPROCS(1)
	// No garbage collection: a collection lands at a different point in a
	// run with -gets N than in one with -gets 0, and its work would not
	// cancel in the subtraction. Allocation is still counted; only the
	// collector's work on the garbage (sync.Map's boxed keys) is not.
	debug.SetGCPercent(-1)
	run(opt, os.Stdout)
}

// parseFlags parses and checks args; on error it has already printed the
// problem (naming the flag) and the usage to stderr.
func parseFlags(args []string, stderr io.Writer) (options, error) {
	fs := cmdline.New("ch4-cachesim", stderr)
	var mapName string
	var keys int
	var o options
	fs.StringVar(&mapName, "map", "all", "the map: "+strings.Join(mapNames, ", ")+", or all")
	fs.IntVar(&keys, "keys", 0, "key-space size (>= 1); 0 runs every size the chapter uses")
	fs.IntVar(&o.gets, "gets", 200_000, "lookups per configuration (>= 0)")
	fs.Uint64Var(&o.seed, "seed", defaultSeed, "seed of the key sequence")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	bad := func(format string, a ...any) (options, error) { return o, fs.Bad(format, a...) }
	switch {
	case mapName != "all" && !slices.Contains(mapNames, mapName):
		return bad("-map %q: want one of %s, or all", mapName, strings.Join(mapNames, ", "))
	case keys < 0:
		return bad("-keys must be >= 0, got %d", keys)
	case o.gets < 0:
		return bad("-gets must be >= 0, got %d", o.gets)
	}
	o.maps = mapNames
	if mapName != "all" {
		o.maps = []string{mapName}
	}
	o.keys = keySpaces
	if keys > 0 {
		o.keys = []int{keys}
	}
	return o, nil
}

// run measures every configuration in o and prints its row.
func run(o options, w io.Writer) {
	fmt.Fprintln(w, "lang\tmap\tkeys\tgets\tfound\tvalue_sum")
	for _, name := range o.maps {
		for _, keys := range o.keys {
			found, sum := measure(name, keys, o.gets, o.seed)
			fmt.Fprintf(w, "go\t%s\t%d\t%d\t%d\t%d\n", name, keys, o.gets, found, sum)
		}
	}
}

// measure builds the map named name with keys entries and does gets
// lookups on it.
func measure(name string, keys, gets int, seed uint64) (found int, sum uint64) {
	switch name {
	case "map":
		return getsBuiltin(prefillBuiltin(keys), uint64(keys), gets, seed)
	case "sync.Map":
		return getsSyncMap(prefillSyncMap(keys), uint64(keys), gets, seed)
	case "map+RWMutex":
		return getsRWMutex(&lockedMap{m: prefillBuiltin(keys)}, uint64(keys), gets, seed)
	}
	panic("unknown map " + name) // parseFlags rejected it
}

// valueOf is the value stored under k: never 0, so a miss cannot pass for
// a hit in the sum.
func valueOf(k uint64) uint64 { return 2*k + 1 }

// ANCHOR: keys
// splitMix64 is the key generator (Steele, Lea and Flood's SplitMix64): a
// few multiplies and no memory, so the loop's cache traffic is the map's.
// The Rust program has the same one, so both draw the same keys.
type splitMix64 struct{ state uint64 }

func (s *splitMix64) next() uint64 {
	s.state += 0x9e3779b97f4a7c15
	z := s.state
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// ANCHOR_END: keys

func prefillBuiltin(keys int) map[uint64]uint64 {
	m := make(map[uint64]uint64)
	for k := range uint64(keys) {
		m[k] = valueOf(k)
	}
	return m
}

func prefillSyncMap(keys int) *sync.Map {
	var m sync.Map
	for k := range uint64(keys) {
		m.Store(k, valueOf(k))
	}
	return &m
}

// ANCHOR: gets
func getsBuiltin(m map[uint64]uint64, keys uint64, gets int, seed uint64) (found int, sum uint64) {
	rng := splitMix64{seed}
	for range gets {
		if v, ok := m[rng.next()%keys]; ok {
			found++
			sum += v
		}
	}
	return found, sum
}

// getsSyncMap converts each key to an interface value to call Load, as any
// caller with uint64 keys must; that conversion allocates for keys of 256
// and up, so this loop also makes garbage, which is part of its cost.
func getsSyncMap(m *sync.Map, keys uint64, gets int, seed uint64) (found int, sum uint64) {
	rng := splitMix64{seed}
	for range gets {
		if v, ok := m.Load(rng.next() % keys); ok {
			found++
			sum += v.(uint64)
		}
	}
	return found, sum
}

type lockedMap struct {
	mu sync.RWMutex
	m  map[uint64]uint64
}

func getsRWMutex(lm *lockedMap, keys uint64, gets int, seed uint64) (found int, sum uint64) {
	rng := splitMix64{seed}
	for range gets {
		lm.mu.RLock()
		v, ok := lm.m[rng.next()%keys]
		lm.mu.RUnlock()
		if ok {
			found++
			sum += v
		}
	}
	return found, sum
}

// ANCHOR_END: gets
