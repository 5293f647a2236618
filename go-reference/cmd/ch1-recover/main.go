// Command ch1-recover shows that recover() cannot catch the runtime's
// concurrent-map error (claim C1 calls it a "panic"). First it recovers from
// a real panic, to show the recover code works; then it runs two racing
// writers with deferred recovers in both writers and in main. The race ends
// the process with "fatal error: concurrent map writes" and exit status 2;
// no deferred function runs, so none of them can recover.
//
// Usage:
//
//	go run ./cmd/ch1-recover [-timeout 10s]
package main

import (
	"flag"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// Lines the tests look for. recoveredMapRace must never be printed.
const (
	recoveredRealPanic = "recovered a real panic:"
	recoveredMapRace   = "RECOVERED FROM THE MAP RACE"
	deferRan           = "deferred function ran"
)

func main() {
	timeout := flag.Duration("timeout", 10*time.Second, "stop the writers after this long and report no detection")
	flag.Parse()
	if *timeout <= 0 {
		fmt.Fprintf(os.Stderr, "ch1-recover: -timeout must be > 0, got %v\n", *timeout)
		flag.Usage()
		os.Exit(2)
	}

	assignToNilMap()

	defer recoverMapRace("main")
	var stop atomic.Bool
	time.AfterFunc(*timeout, func() { stop.Store(true) })
	racyWritesWithRecover(&stop)
	fmt.Printf("no concurrent map write detected within %v\n", *timeout)
}

// ANCHOR: real-panic
// assignToNilMap panics with "assignment to entry in nil map", a real
// runtime panic (runtime.plainError via gopanic), and recovers from it.
func assignToNilMap() {
	defer func() {
		if r := recover(); r != nil {
			fmt.Println(recoveredRealPanic, r)
		}
	}()
	var m map[int]int // nil
	m[1] = 1
}

// ANCHOR_END: real-panic

// ANCHOR: no-recover
// recoverMapRace is deferred by every goroutine that touches the racy map.
// If the map error were a panic, one of these would print recoveredMapRace.
func recoverMapRace(who string) {
	r := recover()
	fmt.Printf("%s: %s, recover() = %v\n", who, deferRan, r)
	if r != nil {
		fmt.Printf("%s in %s: %v\n", recoveredMapRace, who, r)
	}
}

// racyWritesWithRecover runs two unsynchronised writers, each with a
// deferred recover, until stop is set or the runtime kills the process.
func racyWritesWithRecover(stop *atomic.Bool) {
	m := make(map[int]int)
	var wg sync.WaitGroup
	for w := range 2 {
		wg.Go(func() {
			defer recoverMapRace(fmt.Sprintf("writer %d", w))
			for i := 0; !stop.Load(); i++ {
				m[w+2*(i%(1<<16))] = i // fatal error: concurrent map writes
			}
		})
	}
	wg.Wait()
}

// ANCHOR_END: no-recover
