// Command ch2-worker-pool is a channel-fed worker pool that stores its
// results in a map. The racy version lets every worker write the map; the
// fixed one sends each result back on a channel to the one goroutine that
// owns the map.
//
//	go run ./cmd/ch2-worker-pool                  # racy: fatal error: concurrent map writes, exit 2
//	go run ./cmd/ch2-worker-pool -fixed           # exit 0, every job's result present and right
package main

import (
	"flag"
	"fmt"
	"os"
	"sync"
)

// square is the work: cheap, so that the workers spend their time on the map.
func square(n int) int { return n * n }

// ANCHOR: racy
// racyPool: the jobs channel is safe to share, the results map is not.
func racyPool(jobs, workers int) map[int]int {
	results := map[int]int{}
	queue := make(chan int)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := range queue {
				results[n] = square(n) // every worker writes the one map
			}
		}()
	}
	for n := range jobs {
		queue <- n
	}
	close(queue)
	wg.Wait()
	return results
}

// ANCHOR_END: racy

// ANCHOR: fixed
// ownedPool: workers send results on a channel; only this function's
// goroutine touches the map.
func ownedPool(jobs, workers int) map[int]int {
	type result struct{ n, value int }
	queue := make(chan int)
	out := make(chan result, workers)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := range queue {
				out <- result{n, square(n)}
			}
		}()
	}
	go func() {
		for n := range jobs {
			queue <- n
		}
		close(queue)
		wg.Wait()
		close(out) // after the last worker's last send
	}()
	results := map[int]int{}
	for r := range out {
		results[r.n] = r.value
	}
	return results
}

// ANCHOR_END: fixed

func main() {
	fixed := flag.Bool("fixed", false, "workers send results to the map's single owner")
	jobs := flag.Int("jobs", 1_000_000, "number of jobs")
	workers := flag.Int("workers", 4, "number of workers")
	flag.Parse()
	if *jobs < 1 || *workers < 1 {
		fmt.Fprintln(os.Stderr, "ch2-worker-pool: -jobs and -workers must be at least 1")
		os.Exit(2)
	}
	pool, name := racyPool, "racy"
	if *fixed {
		pool, name = ownedPool, "owned"
	}
	results := pool(*jobs, *workers)
	wrong := 0
	for n := range *jobs {
		if v, ok := results[n]; !ok || v != square(n) {
			wrong++
		}
	}
	fmt.Printf("%s pool, %d workers: %d results for %d jobs, %d missing or wrong\n", name, *workers, len(results), *jobs, wrong)
	if wrong > 0 {
		os.Exit(1)
	}
}
