// Command ch2-lost-updates shows increments that vanish. Two goroutines each
// add 1 to a shared count -n times per round; at the end of a round the
// count should have grown by 2n. Rounds repeat until some increments were
// lost or -duration has elapsed.
//
//	-counter plain        an int incremented with c++: a data race
//	-counter atomic       atomic.Int64.Add: nothing lost
//	-counter map-split    a map[string]int behind a mutex, read under the lock
//	                      and written back under it again: no data race at
//	                      all, and still increments are lost
//	-counter map-locked   the whole read-modify-write under one lock: nothing lost
//
// Usage:
//
//	go run ./cmd/ch2-lost-updates -counter plain
//	go run ./cmd/ch2-lost-updates -counter map-split -rounds 20 -json
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"concurrentmaps/internal/cmdline"
	"concurrentmaps/internal/demoresult"
)

// A Result is what one run saw. ch2-experiments reads it with -json.
// Its fields are defined in internal/demoresult, which the reader shares.
type Result = demoresult.LostUpdates

// goroutines is the number of goroutines incrementing at once.
const goroutines = 2

// A counter starts at zero; add is called concurrently, get after.
type counter struct {
	add func()
	get func() int64
}

var counters = map[string]func() counter{
	"plain":      plainCounter,
	"atomic":     atomicCounter,
	"map-split":  mapSplitCounter,
	"map-locked": mapLockedCounter,
}

func main() {
	name := flag.String("counter", "", "shared counter: "+strings.Join(cmdline.Names(counters), ", "))
	n := flag.Int("n", 1_000_000, "increments per goroutine per round (>= 1)")
	rounds := flag.Int("rounds", 0, "rounds to run (>= 0); 0 = until a round loses increments or -duration elapses")
	duration := flag.Duration("duration", 10*time.Second, "with -rounds 0: stop after this long (> 0)")
	asJSON := flag.Bool("json", false, "print the result as one JSON object")
	flag.Parse()
	newCounter, err := cmdline.OneOf("counter", counters, *name)
	switch {
	case flag.NArg() > 0:
		usageError("unexpected argument %q: all options are flags", flag.Arg(0))
	case err != nil:
		usageError("%v", err)
	case *n < 1:
		usageError("-n must be >= 1, got %d", *n)
	case *rounds < 0:
		usageError("-rounds must be >= 0, got %d", *rounds)
	case *duration <= 0:
		usageError("-duration must be > 0, got %v", *duration)
	}

	res := Result{Counter: *name, PerRound: *n}
	began := time.Now()
	deadline := began.Add(*duration)
	for *rounds > 0 && res.Rounds < *rounds || *rounds == 0 && res.Lost == 0 && time.Now().Before(deadline) {
		lost := lostInOneRound(newCounter(), *n)
		res.Rounds++
		res.Attempted += int64(goroutines * *n)
		res.Lost += lost
		if lost > 0 {
			res.RoundsWithLoss++
		}
	}
	res.Seconds = time.Since(began).Seconds()
	if *asJSON {
		json.NewEncoder(os.Stdout).Encode(res)
		return
	}
	fmt.Printf("%s: %d of %d increments lost (%.4f%%), %d of %d rounds short, %.2fs\n",
		res.Counter, res.Lost, res.Attempted, 100*float64(res.Lost)/float64(res.Attempted),
		res.RoundsWithLoss, res.Rounds, res.Seconds)
}

// ANCHOR: round
// lostInOneRound lets the goroutines loose on a fresh counter at the same
// moment and returns how many of their increments are missing at the end.
func lostInOneRound(c counter, n int) int64 {
	// A spinning start line rather than a closed channel: each goroutine
	// waits, running, until all are running, so that they really overlap
	// instead of the first one finishing while the second is being woken.
	var ready atomic.Int32
	var wg sync.WaitGroup
	for range goroutines {
		wg.Go(func() {
			ready.Add(1)
			for ready.Load() < goroutines {
			}
			for range n {
				c.add()
			}
		})
	}
	wg.Wait() // happens-before: every add above is visible to get below
	return int64(goroutines*n) - c.get()
}

// ANCHOR_END: round

// ANCHOR: plain
// plainCounter: c++ is a load, an add and a store (one INCQ on amd64,
// without a LOCK prefix). Two goroutines can load the same value and both
// store value+1: one increment is lost. This is a data race; -race reports it.
func plainCounter() counter {
	var c int64
	return counter{add: func() { c++ }, get: func() int64 { return c }}
}

// ANCHOR_END: plain

// atomicCounter: the read-modify-write is one atomic instruction (LOCK XADDQ).
func atomicCounter() counter {
	var c atomic.Int64
	return counter{add: func() { c.Add(1) }, get: c.Load}
}

// ANCHOR: map-split
// mapSplitCounter: every map access holds the lock, so there is no data
// race and -race stays silent. But the increment takes the lock twice, and
// between the read and the write-back the other goroutine can do its own:
// both write back the same count + 1.
func mapSplitCounter() counter {
	var mu sync.Mutex
	counts := map[string]int64{}
	get := func(k string) int64 { mu.Lock(); defer mu.Unlock(); return counts[k] }
	put := func(k string, v int64) { mu.Lock(); defer mu.Unlock(); counts[k] = v }
	return counter{
		add: func() { put("hits", get("hits")+1) },
		get: func() int64 { return get("hits") },
	}
}

// mapLockedCounter: the whole read-modify-write under one lock.
func mapLockedCounter() counter {
	var mu sync.Mutex
	counts := map[string]int64{}
	return counter{
		add: func() { mu.Lock(); counts["hits"]++; mu.Unlock() },
		get: func() int64 { mu.Lock(); defer mu.Unlock(); return counts["hits"] },
	}
}

// ANCHOR_END: map-split

func usageError(format string, args ...any) {
	cmdline.UsageError("ch2-lost-updates", format, args...)
}
