package maps

import (
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"concurrentmaps/trace"
)

// BenchmarkTraceGets is the micro-benchmark `mapbench validate` holds the Go
// runner against: the gets of a trace (comparisons/TRACE-FORMAT.md) through
// the same adapters, timed by testing.B instead of the runner. It reads the
// traces named in CMAP_BENCH_TRACES (comma-separated paths; the benchmark is
// skipped without it) and runs the maps in CMAP_BENCH_MAPS (comma-separated
// names; every map without it). Per trace and map: the map is created as the
// runner creates it (presized to the trace's capacity) and prefilled from the
// trace; then b.RunParallel runs the trace's thread count of goroutines
// (GOMAXPROCS is set to it), goroutine i cycling through stream i's keys,
// decoded beforehand. The sub-benchmark is <workload>/t<threads>/<map>.
func BenchmarkTraceGets(b *testing.B) { benchTraceGets(b, false) }

// BenchmarkTraceGetsUsed is BenchmarkTraceGets with each get's result used as
// the runner must use it (comparisons/RUNNER-SPEC.md, "What a run does" 5): a
// hit is counted and the found value (or the miss marker) folded into an
// FNV-style checksum, both kept in locals and published once per goroutine.
// Set against BenchmarkTraceGets it shows what using the result costs on a
// map and shape, apart from the runner.
func BenchmarkTraceGetsUsed(b *testing.B) { benchTraceGets(b, true) }

// usedSink keeps BenchmarkTraceGetsUsed's hit counts and checksums live.
var usedSink atomic.Uint64

func benchTraceGets(b *testing.B, used bool) {
	paths := os.Getenv("CMAP_BENCH_TRACES")
	if paths == "" {
		b.Skip("CMAP_BENCH_TRACES is not set (mapbench validate sets it)")
	}
	var only []string
	if s := os.Getenv("CMAP_BENCH_MAPS"); s != "" {
		only = strings.Split(s, ",")
	}
	for _, path := range strings.Split(paths, ",") {
		t, err := trace.Open(path)
		if err != nil {
			b.Fatalf("CMAP_BENCH_TRACES: %v", err)
		}
		streams, err := getKeys(t)
		if err != nil {
			b.Fatalf("CMAP_BENCH_TRACES: %v", err)
		}
		h := t.Header()
		for _, e := range All() {
			if only != nil && !slices.Contains(only, e.Info.Name) {
				continue
			}
			name := h.Name + "/t" + strconv.Itoa(int(h.Threads)) + "/" + e.Info.Name
			var m Map // prefilled once, on the first call, for every b.N
			b.Run(name, func(b *testing.B) {
				threads := len(streams)
				if err := e.CheckGoroutines(threads); err != nil {
					b.Skip(err)
				}
				if m == nil {
					m = prefilledFromTrace(e, t)
				}
				defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(threads))
				var next atomic.Int64
				b.ResetTimer()
				b.RunParallel(func(pb *testing.PB) {
					keys := streams[int(next.Add(1)-1)%threads]
					i := 0
					if !used {
						for pb.Next() {
							m.Get(keys[i])
							if i++; i == len(keys) {
								i = 0
							}
						}
						return
					}
					hits, acc := uint64(0), uint64(trace.ChecksumInit)
					for pb.Next() {
						got, hit := m.Get(keys[i])
						if !hit {
							got = math.MaxUint64 // the runner's missMarker
						} else {
							hits++
						}
						acc = (acc ^ got) * trace.ChecksumPrime
						if i++; i == len(keys) {
							i = 0
						}
					}
					usedSink.Add(hits ^ acc)
				})
			})
			m = nil
		}
	}
}

// getKeys decodes every stream's keys; the trace must hold gets only.
func getKeys(t *trace.Trace) ([][]uint64, error) {
	h := t.Header()
	streams := make([][]uint64, h.Threads)
	for th := range streams {
		raw := t.Thread(th).Raw()
		keys := make([]uint64, len(raw)/8)
		for i := range keys {
			w := binary.LittleEndian.Uint64(raw[8*i:])
			if trace.OpKind(w>>62) != trace.Get {
				return nil, fmt.Errorf("%s: BenchmarkTraceGets expects a trace of gets only; op %d of thread %d is a %v", t.Label(), i, th, trace.OpKind(w>>62))
			}
			keys[i] = trace.KeyForID(w & trace.KeyIDMask)
		}
		streams[th] = keys
	}
	return streams, nil
}

// prefilledFromTrace creates a map as the runner does for t and inserts its
// prefill.
func prefilledFromTrace(e Entry, t *trace.Trace) Map {
	h := t.Header()
	capacity, _ := h.PresizeCapacity()
	m := e.New(int(capacity))
	for i := range t.PrefillLen() {
		p := t.Prefill(i)
		m.Insert(p.Key, p.Value)
	}
	return m
}
