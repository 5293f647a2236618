package main

import (
	"sync"
	"testing"
	"time"

	"concurrentmaps/internal/demo"
)

// C7: sync.Map can be iterated both ways; the sorted output is fixed.
func TestSyncMapRangeOutput(t *testing.T) {
	bin := demo.BuildForTest(t, "concurrentmaps/cmd/ch1-syncmap-range", demo.BuildOptions{})
	o := demo.RunForTest(t, demo.RunSpec{Bin: bin, Timeout: time.Minute})
	const want = "Range callback: [c=1 go=2 rust=4 zig=3]\n" +
		"for-range over m.Range: [c=1 go=2 rust=4 zig=3]\n"
	if o.Kind() != demo.Clean || o.Stdout != want || o.Stderr != "" {
		t.Errorf("want exit 0 and stdout\n%s\ngot %s", want, o)
	}
}

// A break in a range-over-func loop stops sync.Map.Range early.
func TestForRangeBreakStopsRange(t *testing.T) {
	var m sync.Map
	for i := range 100 {
		m.Store(i, i)
	}
	visited := 0
	for range m.Range {
		visited++
		if visited == 3 {
			break
		}
	}
	if visited != 3 {
		t.Errorf("visited %d entries, want 3", visited)
	}
}
