// Command ch2-map-fatal makes the Go 1.26 map runtime print each of its four
// concurrent-misuse messages, one per -op:
//
//	-op write    fatal error: concurrent map writes
//	-op read     fatal error: concurrent map read and map write
//	-op iterate  fatal error: concurrent map iteration and map write
//	-op clone    fatal error: concurrent map clone and map write
//
// In every case one goroutine overwrites keys that are already in the map (so
// the map never grows and nothing but the writing-flag check can stop the
// program) while a second goroutine does the operation -op names, with no
// lock. Both goroutines defer a recover(); neither ever runs, because the
// runtime's fatal error is not a panic.
//
// Usage:
//
//	go run ./cmd/ch2-map-fatal -op clone               # until the runtime stops it, or -timeout
//	go run ./cmd/ch2-map-fatal -op clone -rounds 200   # 200 rounds per goroutine, then exit 0 if unnoticed
package main

import (
	"flag"
	"fmt"
	"maps"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"concurrentmaps/internal/cmdline"
)

// minKeys keeps the map a full table: a map of at most 8 entries is a single
// group, and assigning to a full one converts it to a table even when the key
// exists (internal/runtime/maps/map.go, the TODO in Map.PutSlot).
const minKeys = 9

// recoveredLine is printed only if a deferred recover() catches something.
// The tests assert it never appears.
const recoveredLine = "RECOVERED:"

// An operation is what the second goroutine does to the map while the first
// one overwrites it, and the message the runtime prints when it notices.
type operation struct {
	message string
	round   func(m map[int]int, keys, round int) // one pass over keys 0..keys-1; adds or removes none
}

var operations = map[string]operation{
	"write":   {"concurrent map writes", overwriteAll},
	"read":    {"concurrent map read and map write", readAll},
	"iterate": {"concurrent map iteration and map write", iterateAll},
	"clone":   {"concurrent map clone and map write", cloneOnce},
}

func main() {
	opName := flag.String("op", "", "operation racing with the writer: "+strings.Join(cmdline.Names(operations), ", "))
	keys := flag.Int("keys", 1024, fmt.Sprintf("keys in the map, filled before the goroutines start (>= %d)", minKeys))
	rounds := flag.Int("rounds", 0, "passes per goroutine; 0 = until the runtime stops the program or -timeout elapses")
	timeout := flag.Duration("timeout", 10*time.Second, "with -rounds 0: stop after this long and report no detection")
	flag.Parse()
	op, err := cmdline.OneOf("op", operations, *opName)
	switch {
	case flag.NArg() > 0:
		usageError("unexpected argument %q: all options are flags", flag.Arg(0))
	case err != nil:
		usageError("%v", err)
	case *keys < minKeys:
		usageError("-keys must be >= %d, got %d", minKeys, *keys)
	case *rounds < 0:
		usageError("-rounds must be >= 0 (0 = until detected), got %d", *rounds)
	case *timeout <= 0:
		usageError("-timeout must be > 0, got %v", *timeout)
	}

	var stop atomic.Bool
	if *rounds == 0 {
		time.AfterFunc(*timeout, func() { stop.Store(true) })
	}
	done := raceWithWriter(*keys, *rounds, op, &stop)
	fmt.Printf("no concurrent map misuse detected: -op %s, %d keys, %d rounds per goroutine (want %q)\n",
		*opName, *keys, done, "fatal error: "+op.message)
}

// ANCHOR: race
// raceWithWriter fills a map, then runs two goroutines on it with no lock:
// one overwrites every key, round after round; the other runs op. It returns
// the rounds the writer finished, if the runtime did not stop the program.
func raceWithWriter(keys, rounds int, op operation, stop *atomic.Bool) int {
	m := make(map[int]int, keys)
	for k := range keys {
		m[k] = 0
	}
	more := func(r int) bool { return (rounds == 0 || r < rounds) && !stop.Load() }
	// The loops below never call len(m): that would be a plain load of the
	// map header in main's own code, and the race detector would report it
	// instead of the map functions' own accesses.
	finished := 0
	var wg sync.WaitGroup
	wg.Go(func() {
		defer recoverAndSay("writer")
		for ; more(finished); finished++ {
			overwriteAll(m, keys, finished)
		}
	})
	wg.Go(func() {
		defer recoverAndSay("other")
		for r := 0; more(r); r++ {
			op.round(m, keys, r)
		}
	})
	wg.Wait()
	return finished
}

// recoverAndSay would report a recovered panic. A fatal error runs no
// deferred calls, so it never gets the chance.
func recoverAndSay(who string) {
	if r := recover(); r != nil {
		fmt.Println(recoveredLine, who, r)
	}
}

// ANCHOR_END: race

// ANCHOR: ops
// overwriteAll assigns to keys that already exist: each assignment checks
// that m.writing is 0, toggles it, stores, checks it is still set, toggles
// it back (runtime_mapassign_fast64).
func overwriteAll(m map[int]int, keys, round int) {
	for k := range keys {
		m[k] = round
	}
}

// readAll looks every key up: each lookup checks m.writing
// (runtime_mapaccess1_fast64).
func readAll(m map[int]int, keys, _ int) {
	sum := 0
	for k := range keys {
		sum += m[k]
	}
	sink.Add(int64(sum))
}

// iterateAll ranges over the map: every step of the iterator checks
// m.writing (Iter.Next in table.go).
func iterateAll(m map[int]int, _, _ int) {
	sum := 0
	for _, v := range m {
		sum += v
	}
	sink.Add(int64(sum))
}

// cloneOnce copies the map with maps.Clone, which checks m.writing once,
// before it starts copying (Map.Clone in map.go).
func cloneOnce(m map[int]int, _, _ int) {
	sink.Add(int64(len(maps.Clone(m))))
}

// ANCHOR_END: ops

// sink keeps the reads from being optimised away.
var sink atomic.Int64

func usageError(format string, args ...any) {
	cmdline.UsageError("ch2-map-fatal", format, args...)
}
