// Command ch1-crash is chapter 1's program in full: two goroutines write
// their own keys into one map with no lock, and the runtime usually stops
// the process with "fatal error: concurrent map writes" (exit status 2).
// cmd/ch1-two-writers is the same race with flags for the experiments.
package main

// ANCHOR: program
import (
	"fmt"
	"sync"
)

func main() {
	m := make(map[int]int) // shared by both goroutines, no lock
	var wg sync.WaitGroup
	for w := range 2 {
		wg.Go(func() {
			for i := range 1_000_000 {
				m[2*i+w] = i // goroutine w writes keys w, w+2, w+4, ...
			}
		})
	}
	wg.Wait()
	fmt.Println("not caught this time; len(m) =", len(m))
}

// ANCHOR_END: program
