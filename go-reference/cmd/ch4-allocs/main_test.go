package main

import (
	"strings"
	"testing"
	"time"

	"concurrentmaps/internal/demo"
)

func op(t *testing.T, name string) operation {
	for _, o := range operations {
		if o.name == name {
			return o
		}
	}
	t.Fatalf("no operation %q", name)
	return operation{}
}

// The three honest counters agree: MemStats.Mallocs and runtime/metrics
// (with tiny objects) count the same allocations, and testing.Benchmark
// reports the same per-op figure.
func TestAllocationCountersAgree(t *testing.T) {
	m := measure(op(t, "sync.Map: store a new key"), 50_000, 100)
	if m.mallocsPerOp < 1 {
		t.Errorf("sync.Map.Store of a new key: %.2f allocs/op, want >= 1", m.mallocsPerOp)
	}
	if d := m.mallocsPerOp - m.objectsPerOp; d > 0.01 || d < -0.01 {
		t.Errorf("ΔMallocs/n = %.3f but runtime/metrics gives %.3f", m.mallocsPerOp, m.objectsPerOp)
	}
	if d := m.mallocsPerOp - m.benchAllocs; d > 0.2 || d < -0.2 {
		t.Errorf("ΔMallocs/n = %.3f but testing.Benchmark gives %.3f", m.mallocsPerOp, m.benchAllocs)
	}
	// Not exactly 0: the runtime and the test framework allocate a little
	// in the background while the loop runs.
	if l := measure(op(t, "map+Mutex: load"), 50_000, 100); l.mallocsPerOp > 0.01 {
		t.Errorf("a locked map load allocated: %.4f allocs/op", l.mallocsPerOp)
	}
}

// C21: TotalAlloc/NumGC is bytes per GC cycle. The same operation, whose
// allocations per op do not change, gives a ratio that moves with GOGC.
func TestArticleRatioIsNotAllocsPerOp(t *testing.T) {
	o := op(t, "sync.Map: store an existing key")
	low, high := measure(o, 200_000, 50), measure(o, 200_000, 400)
	if low.gcs == 0 {
		t.Fatalf("no GC ran at GOGC=50 in 200000 stores; the test needs at least one")
	}
	if d := low.mallocsPerOp - high.mallocsPerOp; d > 0.05 || d < -0.05 {
		t.Errorf("allocs/op changed with GOGC: %.3f at 50, %.3f at 400", low.mallocsPerOp, high.mallocsPerOp)
	}
	if !(high.ratio >= 2*low.ratio) {
		t.Errorf("TotalAlloc/NumGC: %.0f at GOGC=50, %.0f at GOGC=400; want it to grow with GOGC", low.ratio, high.ratio)
	}
	if low.ratio < 1000*low.mallocsPerOp {
		t.Errorf("the ratio (%.0f B per cycle) is within 1000× of allocs/op (%.2f): not the point the chapter makes", low.ratio, low.mallocsPerOp)
	}
}

func TestPageHasEveryOperationAndSetting(t *testing.T) {
	withBenchmark = false
	defer func() { withBenchmark = true }()
	page := render(1000, run(2000, &strings.Builder{}))
	for _, o := range operations {
		if got := strings.Count(page, "| "+o.name+" |"); got != 1+len(gogcs) {
			t.Errorf("%q appears in %d rows, want %d", o.name, got, 1+len(gogcs))
		}
	}
}

func TestBadFlagsExit2(t *testing.T) {
	bin := demo.BuildForTest(t, "concurrentmaps/cmd/ch4-allocs", demo.BuildOptions{})
	for _, args := range [][]string{{"-n", "5"}, {"stray"}, {"-n", "x"}} {
		o := demo.RunForTest(t, demo.RunSpec{Bin: bin, Args: args, Timeout: 30 * time.Second})
		if !o.Exited || o.ExitStatus != 2 || !strings.Contains(o.Stderr, "-n") {
			t.Errorf("%q: want exit 2 and a message naming the flag, got %s", args, o)
		}
	}
}
