// Command ch1-two-writers is the classic "two goroutines write one map"
// example: each goroutine writes its own keys into a plain map[int]int with
// no lock. Even though no key is written twice, the map's internals (its
// groups, counters and the directory of tables) are shared, so this is a
// data race, and the runtime may stop the program with
//
//	fatal error: concurrent map writes
//
// The runtime's check is best-effort (a plain, non-atomic flag in the map
// header), so a run can also end cleanly; cmd/ch1-detection measures how often.
//
// Usage:
//
//	go run ./cmd/ch1-two-writers                    # 1000 writes per goroutine
//	go run ./cmd/ch1-two-writers -writes 0          # write until stopped or -timeout
package main

import (
	"flag"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"concurrentmaps/internal/cmdline"
)

// writers is the number of goroutines writing the map.
const writers = 2

// untilDetectedKeys bounds the keys each writer uses in -writes 0 mode, so
// that an undetected run cannot fill memory: after the first cycle the
// writers overwrite their own keys (still a race on the map's internals).
const untilDetectedKeys = 1 << 16

func main() {
	writes := flag.Int("writes", 1000, "writes per goroutine; 0 = keep writing until the runtime stops us or -timeout elapses")
	timeout := flag.Duration("timeout", 10*time.Second, "with -writes 0: stop writing after this long and report no detection")
	flag.Parse()
	if *writes < 0 {
		usageError("-writes must be >= 0 (0 = until detected), got %d", *writes)
	}
	if *timeout <= 0 {
		usageError("-timeout must be > 0, got %v", *timeout)
	}

	var stop atomic.Bool
	if *writes == 0 {
		time.AfterFunc(*timeout, func() { stop.Store(true) })
	}
	m := writeConcurrently(*writes, &stop)

	// Reaching this line means the runtime did not notice the race. It does
	// not mean the map is intact: compare len(m) with what was written.
	if *writes == 0 {
		fmt.Printf("no concurrent map write detected: %d writers wrote for %v, len(m)=%d\n",
			writers, *timeout, len(m))
		return
	}
	want := writers * *writes
	fmt.Printf("no concurrent map write detected: %d writers x %d writes, len(m)=%d, want %d\n",
		writers, *writes, len(m), want)
}

// ANCHOR: racy-writers
// writeConcurrently starts two goroutines that write distinct keys into one
// unsynchronised map: writer w writes the keys w, w+2, w+4, ...
// There is no start barrier, as in the usual blog example: with few writes
// the first goroutine may finish before the second one starts.
func writeConcurrently(writes int, stop *atomic.Bool) map[int]int {
	keysPerWriter := writes
	if writes == 0 {
		keysPerWriter = untilDetectedKeys
	}
	m := make(map[int]int) // shared by both goroutines, no lock: a data race
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := 0; writes == 0 || i < writes; i++ {
				if writes == 0 && stop.Load() {
					return
				}
				m[w+writers*(i%keysPerWriter)] = i // runtime.mapassign_fast64
			}
		})
	}
	wg.Wait()
	return m
}

// ANCHOR_END: racy-writers

func usageError(format string, args ...any) {
	cmdline.UsageError("ch1-two-writers", format, args...)
}
