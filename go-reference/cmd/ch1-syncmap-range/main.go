// Command ch1-syncmap-range answers claim C7 ("sync.Map cannot be ranged
// over"). sync.Map has had a Range method since it was added in Go 1.9, and
// because Range has the shape func(yield func(K, V) bool), it is also an
// iterator that a for-range statement accepts since Go 1.23
// (range-over-func). Both are shown; iteration order is unspecified, so the
// program sorts what it collected before printing.
//
// Usage:
//
//	go run ./cmd/ch1-syncmap-range
package main

import (
	"flag"
	"fmt"
	"slices"
	"sync"
)

func main() {
	flag.Parse() // no flags: -h prints the usage, anything else is an error
	var m sync.Map
	for _, name := range []string{"go", "rust", "zig", "c"} {
		m.Store(name, len(name))
	}

	fmt.Println("Range callback:", withRangeCallback(&m))
	fmt.Println("for-range over m.Range:", withForRange(&m))
}

// ANCHOR: range-callback
// withRangeCallback collects m's entries with the Range method (Go 1.9+).
// Returning false from the callback would stop the iteration early.
func withRangeCallback(m *sync.Map) []string {
	var out []string
	m.Range(func(k, v any) bool {
		out = append(out, fmt.Sprintf("%v=%v", k, v))
		return true
	})
	slices.Sort(out)
	return out
}

// ANCHOR_END: range-callback

// ANCHOR: range-over-func
// withForRange ranges over the method value m.Range itself (Go 1.23+):
// m.Range is a func(yield func(any, any) bool), i.e. an iter.Seq2[any, any].
// A break in the loop body makes yield return false, which stops Range.
func withForRange(m *sync.Map) []string {
	var out []string
	for k, v := range m.Range {
		out = append(out, fmt.Sprintf("%v=%v", k, v))
	}
	slices.Sort(out)
	return out
}

// ANCHOR_END: range-over-func
