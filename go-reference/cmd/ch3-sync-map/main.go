// Command ch3-sync-map runs, on this Go's sync.Map, the access pattern that
// made the old read/dirty design (Go 1.9 to 1.23) pause: on a map of n
// keys, store a new key, store another, then load the first one n times.
// In the old design those loads miss the read map until the dirty map is
// promoted, and the next new key then copies the whole map. Go 1.24+'s
// sync.Map is a hash trie (internal/sync.HashTrieMap) with no such step,
// so neither the time nor the bytes allocated by a store should grow
// with n. The Rust example rust-impl/chapters/examples/ch3_sync_map_design.rs
// runs the same cycle on a port of the old design.
//
// For each -sizes entry it runs -repeats cycles and reports, per store,
// the median and range of the time and the median bytes allocated. With
// -out DIR it writes DIR/sync-map-go.md atomically once every size has
// run (an interrupted run writes nothing and exits 130); without, it
// prints the table. Progress goes to stderr; bad flags exit 2.
//
//	cd go-reference && go run ./cmd/ch3-sync-map -out ../book/src/generated/ch03
package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"concurrentmaps/internal/cmdline"
	"concurrentmaps/internal/genfile"
)

const regenerate = "cd go-reference && go run ./cmd/ch3-sync-map -out ../book/src/generated/ch03"

type options struct {
	sizes   []int
	repeats int
	outDir  string
}

func main() {
	cmdline.Main(parseFlags, run)
}

func parseFlags(args []string, stderr io.Writer) (options, error) {
	fs := cmdline.New("ch3-sync-map", stderr)
	var o options
	sizes := fs.String("sizes", "1000,10000,100000,1000000", "comma-separated map sizes (keys, each >= 1)")
	fs.IntVar(&o.repeats, "repeats", 7, "cycles per size (>= 1)")
	fs.OutDirVar(&o.outDir, "directory for sync-map-go.md (empty: print the table)")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	bad := func(format string, a ...any) (options, error) { return o, fs.Bad(format, a...) }
	if fs.NArg() > 0 {
		return bad("unexpected argument %q: all options are flags", fs.Arg(0))
	}
	for _, s := range strings.Split(*sizes, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 {
			return bad("-sizes %q: want comma-separated key counts >= 1, e.g. 1000,10000", *sizes)
		}
		o.sizes = append(o.sizes, n)
	}
	if o.repeats < 1 {
		return bad("-repeats must be >= 1, got %d", o.repeats)
	}
	return o, nil
}

// storeCost is one Store: how long it took and the bytes it allocated.
type storeCost struct {
	nanos int64
	bytes uint64
}

// allocated returns the bytes allocated so far by the whole program. It
// stops the world; the measured store is timed between two calls, not
// across one.
func allocated() uint64 {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.TotalAlloc
}

func timedStore(m *sync.Map, key int) storeCost {
	before := allocated()
	start := time.Now()
	m.Store(key, key)
	nanos := time.Since(start).Nanoseconds()
	return storeCost{nanos: nanos, bytes: allocated() - before}
}

// ANCHOR: cycle
// filled returns a sync.Map holding keys 0..n-1, after the loads that
// would have promoted the old design's dirty map.
func filled(n int) *sync.Map {
	m := new(sync.Map)
	for k := range n {
		m.Store(k, k)
	}
	for range n {
		m.Load(0)
	}
	return m
}

// cycle stores two new keys, timing each, then loads the first as many
// times as the map has keys: in the old design, the first store copied
// the read map into a new dirty map and the loads promoted it again.
func cycle(m *sync.Map, size *int) (first, next storeCost) {
	k := *size
	first = timedStore(m, k)
	next = timedStore(m, k+1)
	*size += 2
	for range *size {
		m.Load(k)
	}
	return first, next
}

// ANCHOR_END: cycle

type sizeResult struct {
	n           int
	first, next []storeCost
}

func measure(n, repeats int) sizeResult {
	m, size := filled(n), n
	r := sizeResult{n: n}
	for range repeats {
		f, x := cycle(m, &size)
		r.first = append(r.first, f)
		r.next = append(r.next, x)
	}
	return r
}

func run(ctx context.Context, opt options, stdout, stderr io.Writer) int {
	var results []sizeResult
	for _, n := range opt.sizes {
		if ctx.Err() != nil {
			break
		}
		start := time.Now()
		results = append(results, measure(n, opt.repeats))
		runtime.GC() // do not let one size's garbage land in the next
		fmt.Fprintf(stderr, "ch3-sync-map: %d keys: %d cycles in %v\n", n, opt.repeats, time.Since(start).Round(time.Millisecond))
	}
	if ctx.Err() != nil {
		fmt.Fprintln(stderr, "ch3-sync-map: interrupted: nothing written")
		return 130
	}
	md := render(results, opt.repeats)
	if opt.outDir == "" {
		stdout.Write(md)
		return 0
	}
	path := filepath.Join(opt.outDir, "sync-map-go.md")
	if err := genfile.WriteAtomic(path, md); err != nil {
		fmt.Fprintf(stderr, "ch3-sync-map: %v\n", err)
		return 1
	}
	fmt.Fprintf(stderr, "ch3-sync-map: wrote %s\n", path)
	return 0
}

func median[T int64 | uint64](v []T) T {
	s := slices.Clone(v)
	slices.Sort(s)
	return s[len(s)/2]
}

func nanos(c []storeCost) []int64 {
	v := make([]int64, len(c))
	for i, x := range c {
		v[i] = x.nanos
	}
	return v
}

func bytesOf(c []storeCost) []uint64 {
	v := make([]uint64, len(c))
	for i, x := range c {
		v[i] = x.bytes
	}
	return v
}

func fmtNanos(ns int64) string {
	switch {
	case ns < 10_000:
		return fmt.Sprintf("%d ns", ns)
	case ns < 10_000_000:
		return fmt.Sprintf("%.0f µs", float64(ns)/1e3)
	default:
		return fmt.Sprintf("%.1f ms", float64(ns)/1e6)
	}
}

func summary(c []storeCost) (int64, string) {
	v := nanos(c)
	med := median(v)
	return med, fmt.Sprintf("%s (%s–%s)", fmtNanos(med), fmtNanos(slices.Min(v)), fmtNanos(slices.Max(v)))
}

func render(results []sizeResult, repeats int) []byte {
	var b bytes.Buffer
	b.WriteString(genfile.Header("go-reference/cmd/ch3-sync-map", regenerate))
	fmt.Fprintf(&b, "Go's `sync.Map` in %s %s/%s (a hash trie). Each row: %d cycles; time is the median (min–max) of one `Store`, measured with `time.Now` (its own cost included); bytes are `runtime.MemStats.TotalAlloc` before and after it.\n\n",
		runtime.Version(), runtime.GOOS, runtime.GOARCH, repeats)
	b.WriteString("| keys | first new key after n loads | next new key | ratio of medians | bytes allocated (first / next, median) |\n")
	b.WriteString("|---:|---:|---:|---:|---:|\n")
	for _, r := range results {
		fm, fs := summary(r.first)
		nm, ns := summary(r.next)
		fmt.Fprintf(&b, "| %d | %s | %s | %.1f× | %d B / %d B |\n",
			r.n, fs, ns, float64(fm)/float64(max(nm, 1)), median(bytesOf(r.first)), median(bytesOf(r.next)))
	}
	return b.Bytes()
}
