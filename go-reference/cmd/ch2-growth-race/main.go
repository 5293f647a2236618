// Command ch2-growth-race makes several goroutines insert new keys into one
// small, unsynchronised map at the same time, so that the map grows (a
// small map becomes a table, tables double, then split) while they race.
// This program is wrong on purpose: chapter 2.4 asks what actually happens.
//
// Each round starts a fresh empty map, releases all goroutines at once, and
// waits for them. If the runtime does not stop the program, the main
// goroutine (which now happens-after every write) checks the map: every key
// present with its value, len(m) equal to the number of keys found, and
// range visiting each key once. Rounds go on until -rounds is reached.
//
//	cd go-reference && go run ./cmd/ch2-growth-race
//
// Usually the runtime stops it first: "fatal error: concurrent map writes",
// exit status 2. Otherwise it prints one JSON line (Result) and exits 0,
// whatever the check found; 2 on bad flags.
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"sync"

	"concurrentmaps/internal/cmdline"
	"concurrentmaps/internal/demoresult"
)

// Result is what a run that was not stopped prints.
// Its fields are defined in internal/demoresult, which the reader shares.
type Result = demoresult.GrowthRace

func main() {
	fs := cmdline.New("ch2-growth-race", os.Stderr)
	goroutines := fs.Int("goroutines", 4, "goroutines inserting at once (>= 2)")
	perG := fs.Int("keys", 2000, "new keys each goroutine inserts per round (>= 1)")
	rounds := fs.Int("rounds", 1000, "rounds before giving up on being stopped (>= 1)")
	if err := fs.Parse(os.Args[1:]); err != nil {
		os.Exit(cmdline.Status(err)) // printed with the usage; -h exits 0
	}
	if *goroutines < 2 || *perG < 1 || *rounds < 1 {
		_ = fs.Bad("want -goroutines >= 2, -keys >= 1, -rounds >= 1")
		os.Exit(2)
	}
	var res Result
	for range *rounds {
		m := growConcurrently(*goroutines, *perG)
		res.Rounds++
		if check(m, *goroutines, *perG, &res) {
			res.RoundsBroken++
		}
	}
	out, _ := json.Marshal(res)
	fmt.Println(string(out))
}

// ANCHOR: grow
// growConcurrently has g goroutines insert disjoint keys into one map that
// starts empty (no size hint), so every insert can trigger growth.
func growConcurrently(g, perG int) map[uint64]uint64 {
	m := make(map[uint64]uint64)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for w := range g {
		wg.Go(func() {
			<-start
			for i := range perG {
				k := uint64(w*perG + i)
				m[k] = k*2 + 1 // racy: no lock
			}
		})
	}
	close(start)
	wg.Wait()
	return m
}

// ANCHOR_END: grow

// ANCHOR: check
// check looks for silent damage after a round that was not stopped and
// reports whether it found any.
func check(m map[uint64]uint64, g, perG int, res *Result) bool {
	total := uint64(g * perG)
	found := 0
	broken := false
	for k := range total {
		v, ok := m[k]
		switch {
		case !ok:
			res.MissingKeys++
			broken = true
		case v != k*2+1:
			res.WrongValues++
			broken = true
		default:
			found++
		}
	}
	if len(m) != found {
		res.LenMismatches++
		broken = true
	}
	seen := make(map[uint64]bool, found)
	ranged := 0
	rangeBad := false
	for k := range m {
		ranged++
		if k >= total || seen[k] {
			rangeBad = true
		}
		seen[k] = true
	}
	if rangeBad || ranged != len(m) {
		res.RangeMismatch++
		broken = true
	}
	return broken
}

// ANCHOR_END: check
