// Command ch3-deletes measures what a Go map gives back when its entries are
// deleted (chapter 3.3 of the book). For each map it stores -n keys, deletes
// them all, and reads the live heap after a full collection at every stage:
//
//   - sync.Map (a HashTrieMap since Go 1.24) with *payload values (1 KiB);
//   - the built-in map[int]*payload: delete every key, then clear(m), then
//     replace m by a new empty map;
//   - the built-in map[int][128]byte, whose values live inside the map's own
//     groups: delete every key, then drop the map.
//
// Each map runs -repeats times; the table shows the median and the range of
// the live heap above a baseline taken just before the map was made. A
// separate pass per map keeps a weak pointer to every value and counts how
// many values are still reachable at each stage, so the byte counts are not
// disturbed by the weak pointers' own handles.
//
// With -out DIR it writes DIR/deletes-go.md atomically; without it, it
// prints the table. Progress goes to stderr; bad flags exit 2.
//
//	cd go-reference && go run ./cmd/ch3-deletes -out ../book/src/generated/ch03
package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"slices"
	"strings"
	"sync"
	"weak"

	"concurrentmaps/internal/cmdline"
	"concurrentmaps/internal/genfile"
)

// regenerate is the exact command that rebuilds the generated file.
const regenerate = "cd go-reference && go run ./cmd/ch3-deletes -out ../book/src/generated/ch03"

// payloadBytes is the size of one value: exactly one 1024-byte size class
// (runtime/sizeclasses.go), so a value costs the heap what it says.
const payloadBytes = 1024

// ANCHOR: payload
// payload is a large value reachable only through the map.
type payload struct {
	data [payloadBytes]byte
}

// ANCHOR_END: payload

// options are the validated command-line flags.
type options struct {
	n       int
	repeats int
	outDir  string
}

func parseFlags(args []string, stderr io.Writer) (options, error) {
	fs := cmdline.New("ch3-deletes", stderr)
	var o options
	fs.IntVar(&o.n, "n", 20000, "keys stored then deleted per map (1..1000000)")
	fs.IntVar(&o.repeats, "repeats", 3, "runs per map for the byte counts (1..50)")
	fs.OutDirVar(&o.outDir, "directory for deletes-go.md (empty: print it)")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	switch {
	case o.n < 1 || o.n > 1_000_000:
		return o, usageError(stderr, "-n %d: want 1..1000000", o.n)
	case o.repeats < 1 || o.repeats > 50:
		return o, usageError(stderr, "-repeats %d: want 1..50", o.repeats)
	}
	return o, nil
}

func usageError(stderr io.Writer, format string, a ...any) error {
	err := fmt.Errorf(format, a...)
	fmt.Fprintf(stderr, "ch3-deletes: %v\n", err)
	return err
}

func main() {
	opt := cmdline.MustParse(parseFlags(os.Args[1:], os.Stderr))
	md := report(opt.n, opt.repeats, os.Stderr)
	if opt.outDir == "" {
		fmt.Print(md)
		return
	}
	path := filepath.Join(opt.outDir, "deletes-go.md")
	if err := genfile.WriteAtomic(path, []byte(md)); err != nil {
		fmt.Fprintf(os.Stderr, "ch3-deletes: %v\n", err)
		os.Exit(1)
	}
	fmt.Fprintf(os.Stderr, "ch3-deletes: wrote %s\n", path)
}

// ANCHOR: measure
// liveHeap runs a full collection and returns the bytes in live heap
// objects. runtime.GC returns only when marking and sweeping are complete,
// so the figure counts exactly the objects that survived it.
func liveHeap() int64 {
	runtime.GC()
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(s)
	return int64(s[0].Value.Uint64())
}

// heapNoGC is the same figure without collecting first: garbage not yet
// collected is still counted.
func heapNoGC() int64 {
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(s)
	return int64(s[0].Value.Uint64())
}

// ANCHOR_END: measure

// stage is one measurement point of one run.
type stage struct {
	name string
	// heap is the live heap above the baseline, in bytes.
	heap int64
	// reachable counts values whose weak pointer is still non-nil; -1 when
	// the run did not track values.
	reachable int
}

// tracker keeps a weak pointer to every value it is shown; a nil tracker
// tracks nothing.
type tracker struct{ ptrs []weak.Pointer[payload] }

func (t *tracker) track(p *payload) {
	if t != nil {
		t.ptrs = append(t.ptrs, weak.Make(p))
	}
}

// reachable counts the tracked values the last collection did not free.
func (t *tracker) reachable() int {
	if t == nil {
		return -1
	}
	n := 0
	for _, w := range t.ptrs {
		if w.Value() != nil {
			n++
		}
	}
	return n
}

// experiment is one map's run: it records its stages with at.
type experiment struct {
	name string
	run  func(n int, t *tracker, at func(name string, heap int64))
	// tracksValues is false when the values are not separate objects.
	tracksValues bool
}

// ANCHOR: syncmap
func syncMapRun(n int, t *tracker, at func(string, int64)) {
	var m sync.Map
	for k := range n {
		p := new(payload)
		t.track(p)
		m.Store(k, p)
	}
	at("after storing n keys", liveHeap())
	for k := range n {
		m.Delete(k)
	}
	at("after deleting them, before GC", heapNoGC())
	at("after deleting them, after GC", liveHeap())
	runtime.KeepAlive(&m)
	at("after dropping the map", liveHeap())
}

// ANCHOR_END: syncmap

// ANCHOR: builtin
func builtinPointerRun(n int, t *tracker, at func(string, int64)) {
	m := make(map[int]*payload)
	for k := range n {
		p := new(payload)
		t.track(p)
		m[k] = p
	}
	at("after storing n keys", liveHeap())
	for k := range n {
		delete(m, k)
	}
	at("after deleting them, before GC", heapNoGC())
	at("after deleting them, after GC", liveHeap())
	clear(m)
	at("after clear(m)", liveHeap())
	// Without KeepAlive the old map would be dead from clear(m) on, and the
	// collection in the line above would already have freed it.
	runtime.KeepAlive(m)
	m = make(map[int]*payload) // the old groups are now unreachable
	at("after m = a new empty map", liveHeap())
	runtime.KeepAlive(m)
}

func builtinInlineRun(n int, _ *tracker, at func(string, int64)) {
	m := make(map[int][128]byte)
	for k := range n {
		m[k] = [128]byte{1}
	}
	at("after storing n keys", liveHeap())
	for k := range n {
		delete(m, k)
	}
	at("after deleting them, after GC", liveHeap())
	runtime.KeepAlive(m)
	m = nil
	at("after m = nil", liveHeap())
}

// ANCHOR_END: builtin

var experiments = []experiment{
	{"`sync.Map`, `*payload` values", syncMapRun, true},
	{"`map[int]*payload`", builtinPointerRun, true},
	{"`map[int][128]byte` (values inside the map)", builtinInlineRun, false},
}

// measure runs e once; with track it also counts reachable values.
func measure(e experiment, n int, track bool) []stage {
	var t *tracker
	if track && e.tracksValues {
		t = &tracker{ptrs: make([]weak.Pointer[payload], 0, n)}
	}
	var stages []stage
	base := liveHeap()
	e.run(n, t, func(name string, heap int64) {
		stages = append(stages, stage{name: name, heap: heap - base, reachable: t.reachable()})
	})
	return stages
}

// result is every run of one experiment: repeats untracked runs for the
// bytes, and one tracked run for the reachable counts.
type result struct {
	name    string
	runs    [][]stage
	tracked []stage
}

func runAll(n, repeats int, progress io.Writer) []result {
	var out []result
	for _, e := range experiments {
		r := result{name: e.name}
		for i := range repeats {
			fmt.Fprintf(progress, "ch3-deletes: %s, run %d of %d\n", e.name, i+1, repeats)
			r.runs = append(r.runs, measure(e, n, false))
		}
		r.tracked = measure(e, n, true)
		out = append(out, r)
	}
	return out
}

// median, minimum and maximum of stage i over the runs.
func (r result) spread(i int) (med, lo, hi int64) {
	var v []int64
	for _, run := range r.runs {
		v = append(v, run[i].heap)
	}
	slices.Sort(v)
	return v[len(v)/2], v[0], v[len(v)-1]
}

// kib prints a byte count; small ones (a few objects of runtime noise
// either side of the baseline) in bytes.
func kib(b int64) string {
	if b > -10*1024 && b < 10*1024 {
		return fmt.Sprintf("%d B", b)
	}
	return fmt.Sprintf("%.0f KiB", float64(b)/1024)
}

func render(results []result, n, repeats int) string {
	var b strings.Builder
	b.WriteString(genfile.Header("go-reference/cmd/ch3-deletes", regenerate))
	fmt.Fprintf(&b, "| map | stage | live heap above baseline (median) | min – max | values still reachable |\n")
	fmt.Fprintf(&b, "|---|---|---:|---:|---:|\n")
	for _, r := range results {
		for i, s := range r.runs[0] {
			med, lo, hi := r.spread(i)
			reach := "–"
			if c := r.tracked[i].reachable; c >= 0 && r.tracked[i].name == s.name {
				reach = fmt.Sprintf("%d of %d", c, n)
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %s – %s | %s |\n", r.name, s.name, kib(med), kib(lo), kib(hi), reach)
		}
	}
	fmt.Fprintf(&b, "\nn = %d keys, %d-byte `payload` values; %d runs per map; live heap from "+
		"`/memory/classes/heap/objects:bytes` after `runtime.GC()` (except the \"before GC\" rows), "+
		"minus the same figure just before the map was made. Reachable values from one more run per map "+
		"holding a `weak.Pointer` to each value. Go %s, %s/%s, %d vCPUs (%s).\n",
		n, payloadBytes, repeats, strings.TrimPrefix(runtime.Version(), "go"), runtime.GOOS, runtime.GOARCH,
		runtime.NumCPU(), genfile.CPUModel())
	return b.String()
}

func report(n, repeats int, progress io.Writer) string {
	return render(runAll(n, repeats, progress), n, repeats)
}
