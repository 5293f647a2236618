// Command ch1-fixed is ch1-two-writers made safe three ways: a map guarded
// by sync.Mutex, a map guarded by sync.RWMutex, and sync.Map. Each version
// runs two writers with distinct keys and prints the final count, which must
// be 2*writes: no write is lost and the runtime has nothing to detect.
//
// Usage:
//
//	go run ./cmd/ch1-fixed [-writes 1000]
package main

import (
	"flag"
	"fmt"
	"os"
	"sync"
)

// writers is the number of goroutines writing the map, as in ch1-two-writers.
const writers = 2

func main() {
	writes := flag.Int("writes", 1000, "writes per goroutine (>= 0)")
	flag.Parse()
	if *writes < 0 {
		fmt.Fprintf(os.Stderr, "ch1-fixed: -writes must be >= 0, got %d\n", *writes)
		flag.Usage()
		os.Exit(2)
	}
	want := writers * *writes
	fmt.Printf("map+sync.Mutex: %d keys (want %d)\n", withMutex(*writes), want)
	fmt.Printf("map+sync.RWMutex: %d keys (want %d)\n", withRWMutex(*writes), want)
	fmt.Printf("sync.Map: %d keys (want %d)\n", withSyncMap(*writes), want)
}

// ANCHOR: mutex
// withMutex: every access to m, reads included, holds mu.
func withMutex(writes int) int {
	var mu sync.Mutex
	m := make(map[int]int)
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := range writes {
				mu.Lock()
				m[w+writers*i] = i
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	mu.Lock()
	defer mu.Unlock()
	return len(m)
}

// ANCHOR_END: mutex

// ANCHOR: rwmutex
// withRWMutex: writers hold the write lock; readers may share the read lock
// (RLock), which pays off only when reads dominate.
func withRWMutex(writes int) int {
	var mu sync.RWMutex
	m := make(map[int]int)
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := range writes {
				mu.Lock()
				m[w+writers*i] = i
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	mu.RLock()
	defer mu.RUnlock()
	return len(m)
}

// ANCHOR_END: rwmutex

// ANCHOR: syncmap
// withSyncMap: sync.Map needs no lock of ours. Keys and values are `any`,
// and there is no len: counting means ranging over the whole map.
func withSyncMap(writes int) int {
	var m sync.Map
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := range writes {
				m.Store(w+writers*i, i)
			}
		})
	}
	wg.Wait()
	n := 0
	for range m.Range {
		n++
	}
	return n
}

// ANCHOR_END: syncmap
