// Command ch1-one-writer-readers answers claim C5 ("with one writer and many
// readers the map only fails while it is growing"). The map here never grows:
// it is filled before any goroutine starts, and the single writer only
// overwrites keys that are already present. Readers still run into
//
//	fatal error: concurrent map read and map write
//
// because every read checks the map's "writing" flag, which the writer sets
// for the duration of every assignment, growing or not.
//
// Usage:
//
//	go run ./cmd/ch1-one-writer-readers [-keys 1000] [-readers 3] [-timeout 10s]
package main

import (
	"flag"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"concurrentmaps/internal/cmdline"
)

// minKeys is the smallest -keys we accept. A map of at most 8 entries
// (abi.MapGroupSlots) is a single "small" group; assigning to a full small
// map converts it to a table even when the key already exists (see the TODO
// in internal/runtime/maps/map.go, Map.PutSlot). Above 8 keys the map is a
// table from the start and an overwrite never grows it.
const minKeys = 9

func main() {
	keys := flag.Int("keys", 1000, fmt.Sprintf("keys in the map, filled before the goroutines start (>= %d)", minKeys))
	readers := flag.Int("readers", 3, "reader goroutines (>= 1)")
	timeout := flag.Duration("timeout", 10*time.Second, "stop after this long and report no detection")
	flag.Parse()
	if *keys < minKeys {
		usageError("-keys must be >= %d so the map is a full table that overwrites never grow, got %d", minKeys, *keys)
	}
	if *readers < 1 {
		usageError("-readers must be >= 1, got %d", *readers)
	}
	if *timeout <= 0 {
		usageError("-timeout must be > 0, got %v", *timeout)
	}

	var stop atomic.Bool
	time.AfterFunc(*timeout, func() { stop.Store(true) })
	rounds := readWhileOverwriting(*keys, *readers, &stop)
	fmt.Printf("no concurrent map read and write detected: 1 writer overwrote %d keys %d times, %d readers, %v\n",
		*keys, rounds, *readers, *timeout)
}

// ANCHOR: prefill
// prefilled returns a map holding the keys 0..keys-1. The map is filled here,
// before any other goroutine exists; from now on its key set never changes.
func prefilled(keys int) map[int]int {
	m := make(map[int]int, keys)
	for k := range keys {
		m[k] = 0
	}
	return m
}

// ANCHOR_END: prefill

// ANCHOR: overwrite
// overwriteAll assigns to every key of m, all of which already exist.
//
// Why this never grows the map (internal/runtime/maps, Go 1.26): an
// assignment first probes for the key (table.PutSlot, runtime_mapassign_fast64);
// when it finds it, it returns that slot at once. Growth (table.rehash, which
// grows or splits the table) is reached only on the insert path, after the
// probe has ended at an empty slot and growthLeft is 0. No key is new, so
// that path never runs, nothing is allocated, and the table is never
// replaced. TestOverwriteDoesNotAllocate checks this: zero allocations.
func overwriteAll(m map[int]int, round int) {
	for k := range len(m) {
		m[k] = round // sets and clears m.writing around the store
	}
}

// ANCHOR_END: overwrite

// ANCHOR: readers
// readWhileOverwriting runs one writer that overwrites existing keys and
// several readers, with no lock, until stop is set or the runtime stops the
// program. It returns how many rounds the writer completed.
func readWhileOverwriting(keys, readers int, stop *atomic.Bool) int {
	m := prefilled(keys)
	rounds := 0
	var wg sync.WaitGroup
	wg.Go(func() { // the only writer
		for ; !stop.Load(); rounds++ {
			overwriteAll(m, rounds)
		}
	})
	for r := range readers {
		wg.Go(func() {
			sum := 0
			for i := r; !stop.Load(); i++ {
				sum += m[i%keys] // checks m.writing: "concurrent map read and map write"
			}
			_ = sum
		})
	}
	wg.Wait()
	return rounds
}

// ANCHOR_END: readers

func usageError(format string, args ...any) {
	cmdline.UsageError("ch1-one-writer-readers", format, args...)
}
