// Command ch4-allocs settles claim C21 of chapter 4.2: can allocations per
// operation be computed as MemStats.TotalAlloc / MemStats.NumGC?
//
// For a few map operations it measures allocations per operation three ways
// that agree (testing.Benchmark's allocs/op, the MemStats.Mallocs counter,
// runtime/metrics /gc/heap/allocs:objects), then computes the article's
// ratio TotalAlloc/NumGC over the same runs at several GOGC settings. The
// ratio is bytes allocated per GC cycle: it moves with GOGC and the live
// heap while allocs/op stays put.
//
// With -out DIR it writes DIR/allocs.md atomically; progress goes to stderr.
//
//	cd go-reference && go run ./cmd/ch4-allocs -out ../book/src/generated/ch04
package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"strings"
	"sync"
	"testing"

	"concurrentmaps/internal/cmdline"
	"concurrentmaps/internal/genfile"
)

const regenerate = "cd go-reference && go run ./cmd/ch4-allocs -out ../book/src/generated/ch04"

// GOGC settings at which the article's ratio is computed.
var gogcs = []int{50, 100, 400}

// An operation under measurement: setup returns the function that performs
// op number i, on state prepared outside the measured region.
type operation struct {
	name  string
	setup func(n int) func(i int)
}

var sink any

// ANCHOR: operations
var operations = []operation{
	{"map+Mutex: store a new key", func(n int) func(int) {
		var mu sync.Mutex
		m := map[uint64]uint64{}
		return func(i int) {
			mu.Lock()
			m[uint64(i)] = uint64(i)
			mu.Unlock()
		}
	}},
	{"map+Mutex: load", func(n int) func(int) {
		var mu sync.Mutex
		m := make(map[uint64]uint64, 1024)
		for k := range uint64(1024) {
			m[k] = k
		}
		return func(i int) {
			mu.Lock()
			v := m[uint64(i&1023)]
			mu.Unlock()
			_ = v
		}
	}},
	{"sync.Map: store a new key", func(n int) func(int) {
		var m sync.Map
		return func(i int) { m.Store(uint64(i), uint64(i)) }
	}},
	{"sync.Map: store an existing key", func(n int) func(int) {
		var m sync.Map
		for k := range uint64(1024) {
			m.Store(k, k)
		}
		return func(i int) { m.Store(uint64(i&1023), uint64(i)) }
	}},
	{"sync.Map: load", func(n int) func(int) {
		var m sync.Map
		for k := range uint64(1024) {
			m.Store(k, k)
		}
		return func(i int) { v, _ := m.Load(uint64(i & 1023)); sink = v }
	}},
}

// ANCHOR_END: operations

// counters is one reading of every allocation counter.
type counters struct {
	mallocs, totalAlloc uint64 // MemStats
	numGC               uint32 // MemStats
	objects             uint64 // runtime/metrics /gc/heap/allocs:objects + /gc/heap/tiny/allocs:objects
}

func read() counters {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	// The first metric leaves out objects from the tiny allocator (under 16
	// bytes, no pointers, packed into shared blocks); MemStats.Mallocs counts
	// them, so the sum is what matches it.
	s := []metrics.Sample{{Name: "/gc/heap/allocs:objects"}, {Name: "/gc/heap/tiny/allocs:objects"}}
	metrics.Read(s)
	return counters{mallocs: ms.Mallocs, totalAlloc: ms.TotalAlloc, numGC: ms.NumGC, objects: s[0].Value.Uint64() + s[1].Value.Uint64()}
}

// ANCHOR: measure
// measured is what one operation's run gave.
type measured struct {
	benchAllocs, benchBytes float64 // testing.Benchmark
	mallocsPerOp            float64 // ΔMallocs / n
	objectsPerOp            float64 // Δ(/gc/heap/allocs:objects + /gc/heap/tiny/allocs:objects) / n
	bytesPerOp              float64 // ΔTotalAlloc / n
	gcs                     uint32  // ΔNumGC
	ratio                   float64 // ΔTotalAlloc / ΔNumGC: the article's formula, over this run
	ratioSinceStart         float64 // TotalAlloc / NumGC as the process's MemStats show it after the run
}

func measure(op operation, n, gogc int) measured {
	old := debug.SetGCPercent(gogc)
	defer debug.SetGCPercent(old)
	var m measured
	if withBenchmark {
		b := testing.Benchmark(func(b *testing.B) {
			f := op.setup(b.N)
			b.ReportAllocs()
			b.ResetTimer()
			for i := range b.N {
				f(i)
			}
		})
		m.benchAllocs = float64(b.MemAllocs) / float64(b.N)
		m.benchBytes = float64(b.MemBytes) / float64(b.N)
	}

	f := op.setup(n)
	runtime.GC()
	before := read()
	for i := range n {
		f(i)
	}
	after := read()
	m.mallocsPerOp = float64(after.mallocs-before.mallocs) / float64(n)
	m.objectsPerOp = float64(after.objects-before.objects) / float64(n)
	m.bytesPerOp = float64(after.totalAlloc-before.totalAlloc) / float64(n)
	m.gcs = after.numGC - before.numGC
	m.ratio = ratio(after.totalAlloc-before.totalAlloc, m.gcs)
	m.ratioSinceStart = ratio(after.totalAlloc, after.numGC)
	return m
}

// ratio is TotalAlloc/NumGC; +Inf when no GC ran (the formula divides by zero).
func ratio(bytes uint64, gcs uint32) float64 {
	if gcs == 0 {
		return inf
	}
	return float64(bytes) / float64(gcs)
}

// ANCHOR_END: measure

// withBenchmark: also run testing.Benchmark (about a second per call).
// Tests that only check the page's shape turn it off.
var withBenchmark = true

var inf = func() float64 { var z float64; return 1 / z }()

type options struct {
	n   int
	out string
}

func parseFlags(args []string, stderr io.Writer) (options, error) {
	fs := cmdline.New("ch4-allocs", stderr)
	var o options
	fs.IntVar(&o.n, "n", 1_000_000, "operations per measured run (>= 1000)")
	fs.StringVar(&o.out, "out", "", "directory for allocs.md (empty: print to stdout)")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	bad := func(format string, a ...any) (options, error) { return o, fs.Bad(format, a...) }
	switch {
	case o.n < 1000:
		return bad("-n must be >= 1000, got %d", o.n)
	}
	return o, nil
}

func main() {
	o := cmdline.MustParse(parseFlags(os.Args[1:], os.Stderr))
	page := render(o.n, run(o.n, os.Stderr))
	if o.out == "" {
		fmt.Print(page)
		return
	}
	if err := os.MkdirAll(o.out, 0o755); err != nil {
		fmt.Fprintf(os.Stderr, "ch4-allocs: %v\n", err)
		os.Exit(1)
	}
	path := filepath.Join(o.out, "allocs.md")
	if err := genfile.WriteAtomic(path, []byte(genfile.Header("go-reference/cmd/ch4-allocs", regenerate)+page)); err != nil {
		fmt.Fprintf(os.Stderr, "ch4-allocs: %v\n", err)
		os.Exit(1)
	}
	fmt.Fprintf(os.Stderr, "ch4-allocs: wrote %s\n", path)
}

// results[op][gogc index]
func run(n int, progress io.Writer) [][]measured {
	out := make([][]measured, len(operations))
	step, steps := 0, len(operations)*len(gogcs)
	for i, op := range operations {
		for _, g := range gogcs {
			step++
			m := measure(op, n, g)
			fmt.Fprintf(progress, "ch4-allocs: %d/%d  %-32s GOGC=%-3d %.2f allocs/op, %d GCs\n", step, steps, op.name, g, m.mallocsPerOp, m.gcs)
			out[i] = append(out[i], m)
		}
	}
	return out
}

func fmtRatio(v float64) string {
	if v == inf {
		return "∞ (no GC ran)"
	}
	return fmt.Sprintf("%.0f", v)
}

func render(n int, res [][]measured) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Measured with %s %s/%s, %d operations per run (`-n`), each run after `runtime.GC()`.\n\n", runtime.Version(), runtime.GOOS, runtime.GOARCH, n)
	b.WriteString("Allocations per operation, three ways, at GOGC=100:\n\n")
	b.WriteString("| operation | `testing.Benchmark` allocs/op | ΔMallocs / n | Δ(`/gc/heap/allocs:objects` + `/gc/heap/tiny/allocs:objects`) / n | `testing.Benchmark` B/op | ΔTotalAlloc / n (B) |\n")
	b.WriteString("|---|---:|---:|---:|---:|---:|\n")
	mid := 1 // gogcs[1] == 100
	for i, op := range operations {
		m := res[i][mid]
		fmt.Fprintf(&b, "| %s | %.2f | %.2f | %.2f | %.1f | %.1f |\n", op.name, m.benchAllocs, m.mallocsPerOp, m.objectsPerOp, m.benchBytes, m.bytesPerOp)
	}
	b.WriteString("\nThe article's formula, TotalAlloc / NumGC, over the same runs (Δ over the run, and the process's cumulative MemStats after it), at three GOGC settings:\n\n")
	b.WriteString("| operation | GOGC | allocs/op (ΔMallocs / n) | GC cycles in the run | ΔTotalAlloc / ΔNumGC (B per cycle) | TotalAlloc / NumGC since start |\n")
	b.WriteString("|---|---:|---:|---:|---:|---:|\n")
	for i, op := range operations {
		for j, g := range gogcs {
			m := res[i][j]
			fmt.Fprintf(&b, "| %s | %d | %.2f | %d | %s | %s |\n", op.name, g, m.mallocsPerOp, m.gcs, fmtRatio(m.ratio), fmtRatio(m.ratioSinceStart))
		}
	}
	return b.String()
}
