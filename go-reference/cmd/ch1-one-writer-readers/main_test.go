package main

import (
	"strings"
	"testing"
	"time"

	"concurrentmaps/internal/demo"
)

const pkg = "concurrentmaps/cmd/ch1-one-writer-readers"

// C5: a map that never grows still fails with one writer and readers.
func TestReadersSeeWriterOnNonGrowingMap(t *testing.T) {
	bin := demo.BuildForTest(t, pkg, demo.BuildOptions{})
	o := demo.RunForTest(t, demo.RunSpec{
		Bin: bin, Args: []string{"-timeout", "30s"}, Env: []string{"GOMAXPROCS=2"}, Timeout: 60 * time.Second,
	})
	if !o.Exited || o.ExitStatus != 2 {
		t.Fatalf("want exit status 2 from the runtime's fatal error, got %s", o)
	}
	if o.FatalError() != "concurrent map read and map write" {
		t.Errorf("want %q, got %s", "fatal error: concurrent map read and map write", o)
	}
}

// The premise of the demo: overwriting existing keys never grows the map.
// Growth allocates new groups (newTable -> newarray), so zero allocations
// over many full overwrite rounds means the map was never grown or rebuilt.
func TestOverwriteDoesNotAllocate(t *testing.T) {
	for _, keys := range []int{minKeys, 1000, 100_000} {
		m := prefilled(keys)
		round := 0
		allocs := testing.AllocsPerRun(20, func() {
			round++
			overwriteAll(m, round)
		})
		if allocs != 0 {
			t.Errorf("keys=%d: overwriting existing keys allocated %.1f times per round, want 0", keys, allocs)
		}
		if len(m) != keys {
			t.Errorf("keys=%d: len(m) = %d after overwrites", keys, len(m))
		}
	}
}

// sink keeps test maps on the heap, as in the demo, so allocation counts
// are not hidden by stack allocation.
var sink map[int]int

// fullSmallMap returns a map holding 8 keys (abi.MapGroupSlots): one full
// group, the largest "small" map.
func fullSmallMap() map[int]int {
	m := make(map[int]int)
	for k := range 8 {
		m[k] = 0
	}
	return m
}

// The reason for minKeys: a full small map is converted to a table on the
// next assignment even when the key exists (the TODO in Map.PutSlot,
// internal/runtime/maps/map.go), so the overwrite allocates.
func TestFullSmallMapGrowsOnOverwrite(t *testing.T) {
	fill := testing.AllocsPerRun(50, func() { sink = fullSmallMap() })
	fillAndOverwrite := testing.AllocsPerRun(50, func() {
		m := fullSmallMap()
		m[0] = 1 // key 0 exists: no new entry
		sink = m
	})
	if len(sink) != 8 {
		t.Fatalf("len = %d, want 8: the overwrite must not add a key", len(sink))
	}
	if fillAndOverwrite <= fill {
		t.Errorf("overwriting a key of a full 8-entry map: %.0f allocs, filling alone: %.0f; want more (growth to a table)",
			fillAndOverwrite, fill)
	}
	t.Logf("fill: %.0f allocs; fill + overwrite one existing key: %.0f allocs", fill, fillAndOverwrite)
}

func TestBadFlagsExit2(t *testing.T) {
	bin := demo.BuildForTest(t, pkg, demo.BuildOptions{})
	for _, args := range [][]string{{"-keys", "8"}, {"-readers", "0"}, {"-timeout", "-1s"}} {
		o := demo.RunForTest(t, demo.RunSpec{Bin: bin, Args: args, Timeout: time.Minute})
		if o.ExitStatus != 2 || !strings.Contains(o.Stderr, args[0]) {
			t.Errorf("%v: want exit 2 and an error naming %s, got %s", args, args[0], o)
		}
	}
}
