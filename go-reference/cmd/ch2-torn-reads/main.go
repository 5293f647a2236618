// Command ch2-torn-reads shows what the Go memory model allows a racy read
// to return. One goroutine keeps overwriting a shared value with values that
// are each internally consistent; another keeps reading it, with no
// synchronisation, and counts the reads that match no value ever written.
//
//	-value word         one uint64, 0 or all ones: a word never tears
//	-value pair         struct{ a, b uint64 } written as {i, i}: a != b is torn
//	-value string       a string that is one of two slices of one array
//	-value pair-mutex   the pair behind a sync.Mutex: never torn
//	-value pair-atomic  an atomic.Pointer to an immutable pair: never torn
//
// It stops after -tears torn reads or after -duration, whichever comes
// first, and prints what it saw (one JSON object with -json). The torn
// reads are a data race: `go run -race` reports them.
//
// Usage:
//
//	go run ./cmd/ch2-torn-reads -value pair
//	go run ./cmd/ch2-torn-reads -value string -tears 0 -duration 1s -json
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
type Result = demoresult.TornReads

// maxExamples torn values are kept for the report.
const maxExamples = 3

// A race is a writer and a reader sharing one value. read returns a
// description of the value if it is torn, "" if it is one that was written.
type race struct {
	write func(i uint64)
	read  func() (torn string)
}

var values = map[string]func() race{
	"word":        racyWord,
	"pair":        racyPair,
	"string":      racyString,
	"pair-mutex":  mutexPair,
	"pair-atomic": atomicPair,
}

func main() {
	value := flag.String("value", "", "shared value: "+strings.Join(cmdline.Names(values), ", "))
	tears := flag.Int64("tears", 1, "stop after this many torn reads (>= 0; 0 = run for -duration)")
	duration := flag.Duration("duration", 10*time.Second, "stop after this long (> 0)")
	asJSON := flag.Bool("json", false, "print the result as one JSON object")
	flag.Parse()
	newRace, err := cmdline.OneOf("value", values, *value)
	switch {
	case flag.NArg() > 0:
		usageError("unexpected argument %q: all options are flags", flag.Arg(0))
	case err != nil:
		usageError("%v", err)
	case *tears < 0:
		usageError("-tears must be >= 0, got %d", *tears)
	case *duration <= 0:
		usageError("-duration must be > 0, got %v", *duration)
	}

	res := run(*value, newRace(), *tears, *duration)
	if *asJSON {
		json.NewEncoder(os.Stdout).Encode(res)
		return
	}
	fmt.Printf("%s: %d torn reads out of %d (%d writes) in %.2fs\n", res.Value, res.Torn, res.Reads, res.Writes, res.Seconds)
	for _, e := range res.Examples {
		fmt.Println("  torn:", e)
	}
}

// run starts the writer and the reader together and stops both after
// stopAfter torn reads (0: never) or when d has elapsed.
func run(name string, r race, stopAfter int64, d time.Duration) Result {
	res := Result{Value: name}
	var stop atomic.Bool
	timer := time.AfterFunc(d, func() { stop.Store(true) })
	defer timer.Stop()
	start := make(chan struct{})
	began := time.Now()
	var wg sync.WaitGroup
	wg.Go(func() {
		<-start
		for i := uint64(1); !stop.Load(); i++ {
			r.write(i)
			res.Writes++
		}
	})
	wg.Go(func() {
		<-start
		for !stop.Load() {
			res.Reads++
			if torn := r.read(); torn != "" {
				res.Torn++
				if len(res.Examples) < maxExamples {
					res.Examples = append(res.Examples, torn)
				}
				if res.Torn == stopAfter {
					stop.Store(true)
				}
			}
		}
	})
	close(start)
	wg.Wait()
	res.Seconds = time.Since(began).Seconds()
	return res
}

// ANCHOR: word
// racyWord: a single machine word, written as all zeros or all ones. The
// memory model requires a racy read of a word to see a value that was
// written, so this never reports a tear (on amd64 it is one MOVQ each way).
func racyWord() race {
	var shared uint64
	return race{
		write: func(i uint64) { shared = -(i & 1) }, // 0 or 0xffff_ffff_ffff_ffff
		read: func() string {
			if v := shared; v != 0 && v != ^uint64(0) {
				return fmt.Sprintf("%#x", v)
			}
			return ""
		},
	}
}

// ANCHOR_END: word

// ANCHOR: pair
// pair is two machine words. Every value written has a == b.
type pair struct{ a, b uint64 }

// racyPair: the writer stores {i, i}, the reader copies the struct with no
// lock. The copy is two loads and the store two stores (two MOVQs each on
// amd64), so the reader can get a from one write and b from another.
func racyPair() race {
	var shared pair
	return race{
		write: func(i uint64) { shared = pair{i, i} },
		read: func() string {
			if p := shared; p.a != p.b {
				return fmt.Sprintf("{a: %d, b: %d}", p.a, p.b)
			}
			return ""
		},
	}
}

// ANCHOR_END: pair

// ANCHOR: string
// racyString: a string is a (pointer, length) pair. Both values the writer
// stores are slices of one array, so that a torn read, the pointer of one
// and the length of the other, still points inside that array: it can be
// printed safely. With unrelated strings, a torn read could run past the
// end of the shorter one's memory.
func racyString() race {
	backing := strings.Repeat("x", 8) + strings.Repeat("y", 16)
	short, long := backing[:8], backing[8:] // "xxxxxxxx", "yyyyyyyyyyyyyyyy"
	shared := short
	return race{
		write: func(i uint64) {
			if i&1 == 0 {
				shared = short
			} else {
				shared = long
			}
		},
		read: func() string {
			if s := shared; s != short && s != long {
				return fmt.Sprintf("%q (len %d)", s, len(s))
			}
			return ""
		},
	}
}

// ANCHOR_END: string

// ANCHOR: fixes
// mutexPair: the same pair, read and written only with the lock held.
func mutexPair() race {
	var mu sync.Mutex
	var shared pair
	return race{
		write: func(i uint64) {
			mu.Lock()
			shared = pair{i, i}
			mu.Unlock()
		},
		read: func() string {
			mu.Lock()
			p := shared
			mu.Unlock()
			if p.a != p.b {
				return fmt.Sprintf("{a: %d, b: %d}", p.a, p.b)
			}
			return ""
		},
	}
}

// atomicPair: each write publishes a new, never-modified pair through one
// atomic pointer, a single word. A reader gets one whole pair or another.
func atomicPair() race {
	var shared atomic.Pointer[pair]
	shared.Store(&pair{})
	return race{
		write: func(i uint64) { shared.Store(&pair{i, i}) },
		read: func() string {
			if p := shared.Load(); p.a != p.b {
				return fmt.Sprintf("{a: %d, b: %d}", p.a, p.b)
			}
			return ""
		},
	}
}

// ANCHOR_END: fixes

func usageError(format string, args ...any) {
	cmdline.UsageError("ch2-torn-reads", format, args...)
}
