package runner

import (
	"fmt"
	"sync/atomic"
	"testing"

	"concurrentmaps/maps"
	"concurrentmaps/trace"
)

// The reference replay itself agrees with the summary the Rust tool wrote.
func TestReferenceReplayMatchesGoldenSummary(t *testing.T) {
	want := goldenSummaryOf(t).SequentialReplay
	got := referenceReplay(openGolden(t))
	gotSummary := trace.ReplaySummary{
		GetHits: got.getHits, InsertNew: got.insertNew, UpdateHits: got.updateHits, RemoveHits: got.removeHits,
		FinalLen: got.finalLen, GetValueSum: fmt.Sprintf("%016x", got.getValueSum), StateChecksum: fmt.Sprintf("%016x", got.stateChecksum),
	}
	if gotSummary != want {
		t.Fatalf("reference replay:\n got  %+v\n want %+v", gotSummary, want)
	}
}

// The golden trace replayed by the runner's own code (prefillMap, then
// worker.replay over thread 0's stream, then thread 1's, on this goroutine
// and one map) against every registry map gives the sequential replay in
// golden.summary.json: hit counts, final length, state checksum, and the
// result checksum of the reference replay.
func TestSequentialReplayOfGoldenTraceOnEveryMap(t *testing.T) {
	tr := openGolden(t)
	h := tr.Header()
	want := goldenSummaryOf(t).SequentialReplay
	ref := referenceReplay(tr)
	capacity, _ := h.PresizeCapacity()
	for _, e := range maps.All() {
		t.Run(e.Info.Name, func(t *testing.T) {
			m := e.New(int(capacity))
			var stop atomic.Bool
			created, _ := prefillMap(m, tr, &stop)
			if created != h.PrefillCount {
				t.Errorf("prefill created %d keys, want %d", created, h.PrefillCount)
			}
			var total opCounts
			var checksum uint64
			for th := 0; th < int(h.Threads); th++ {
				w := newWorker(m, tr.Thread(th), 1, 0)
				w.replay(w.n)
				total.add(&w.counts)
				checksum ^= w.checksum
				if got := uint64(w.hist.TotalCount()); got != w.n {
					t.Errorf("thread %d: %d latency samples with K=1, want %d", th, got, w.n)
				}
				if w.pos != 0 {
					t.Errorf("thread %d: stream position %d after one pass, want 0 (wrapped)", th, w.pos)
				}
			}
			for _, c := range []struct {
				what      string
				got, want uint64
			}{
				{"get hits", total.hits[kindGet], want.GetHits},
				{"inserts that created", total.hits[kindInsert], want.InsertNew},
				{"update hits", total.hits[kindUpdate], want.UpdateHits},
				{"remove hits", total.hits[kindRemove], want.RemoveHits},
				{"final length from the counters", created + total.hits[kindInsert] - total.hits[kindRemove], want.FinalLen},
				{"ops", total.total(), 2 * h.OpsPerThread},
			} {
				if c.got != c.want {
					t.Errorf("%s: %d, want %d", c.what, c.got, c.want)
				}
			}
			if checksum != ref.checksum {
				t.Errorf("result checksum %#016x, want %#016x", checksum, ref.checksum)
			}
			// The map's contents: probe every key id the trace can name.
			var n, state uint64
			for id := uint64(0); id < h.KeyIDBound; id++ {
				key := trace.KeyForID(id)
				if v, ok := m.Get(key); ok {
					n++
					state += trace.StateEntry(key, v)
				}
			}
			if n != want.FinalLen || fmt.Sprintf("%016x", state) != want.StateChecksum {
				t.Errorf("final contents: %d keys, state checksum %016x; want %d, %s", n, state, want.FinalLen, want.StateChecksum)
			}
		})
	}
}

// noop: every get misses, nothing hits, and the checksum is the fold of
// miss markers.
func TestNoopMap(t *testing.T) {
	tr := openGolden(t)
	var stop atomic.Bool
	m := noopEntry.New(0)
	if created, _ := prefillMap(m, tr, &stop); created != 0 {
		t.Errorf("noop prefill created %d keys, want 0", created)
	}
	w := newWorker(m, tr.Thread(0), 0, 0)
	w.replay(w.n)
	want := uint64(checksumInit)
	for range w.counts.ops[kindGet] {
		want = (want ^ missMarker) * checksumPrime
	}
	if w.counts.hits != [4]uint64{} || w.checksum != want || w.hist != nil {
		t.Errorf("noop: hits %v checksum %#x hist %v; want no hits, %#x, no histogram", w.counts.hits, w.checksum, w.hist, want)
	}
}

// Op i of the measured phase is timed iff i % K == 0, across stream wraps.
func TestLatencySamplingEveryKthOp(t *testing.T) {
	tr := openGolden(t)
	for _, k := range []uint64{1, 3, 16, 1000, 5000} {
		const ops = 2500 // the stream has 1000: wraps twice
		run := func() *worker {
			w := newWorker(noopMap{}, tr.Thread(1), k, 0)
			w.replay(700)
			w.replay(ops - 700)
			return w
		}
		w := run()
		got := uint64(w.hist.TotalCount())
		// Op 0 is timed, then one op per gap: the count the same generator
		// gives, within what the smallest and largest gaps allow.
		g := newSampleGaps(1, k)
		var want uint64
		for at := uint64(0); at < ops; at += g.next() {
			want++
		}
		lo, hi := gapBounds(k)
		if got != want || got < 1+(ops-1)/hi || got > 1+(ops-1)/lo {
			t.Errorf("K=%d: %d samples over %d ops, want %d (gaps %d..%d)", k, got, ops, want, lo, hi)
		}
		if again := uint64(run().hist.TotalCount()); again != got {
			t.Errorf("K=%d: %d samples, then %d on the same stream", k, got, again)
		}
		if w.pos != ops%w.n {
			t.Errorf("K=%d: position %d, want %d", k, w.pos, ops%w.n)
		}
	}
}

// The per-op path allocates nothing: the harness (noop map, every op timed,
// a delay) and the harness with a presized built-in map under a mutex.
func TestReplayDoesNotAllocate(t *testing.T) {
	tr := openGolden(t)
	h := tr.Header()
	capacity, _ := h.PresizeCapacity()
	mutexMap, err := maps.Lookup("mutex-map")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name  string
		m     maps.Map
		k     uint64
		delay uint64 // spin steps
	}{
		{"noop, every op timed", noopMap{}, 1, 0},
		{"noop, latency off, op delay", noopMap{}, 0, 10},
		{"mutex-map, K=16", mutexMap.New(int(capacity)), 16, 0},
	} {
		w := newWorker(c.m, tr.Thread(0), c.k, c.delay)
		w.replay(w.n) // let the map grow to its size
		if allocs := testing.AllocsPerRun(20, func() { w.replay(clockCheckEvery) }); allocs != 0 {
			t.Errorf("%s: %v allocations per 1024 ops, want 0", c.name, allocs)
		}
	}
}

func TestTimerOverheadIsPlausible(t *testing.T) {
	// Not a timing assertion: the median of 10,000 clock-read pairs is
	// within the counting range (4 µs) on any machine that runs the suite.
	if ns := measureTimerOverhead(10_000); ns < 0 || ns >= 4095 {
		t.Errorf("timer overhead %d ns", ns)
	}
}

// The harness's cost per op on one goroutine (what a noop run measures, minus
// the scheduling and the collector): go test ./runner -run - -bench Replay
func BenchmarkReplayNoop(b *testing.B) {
	tr := openGolden(b)
	for _, k := range []uint64{0, 16, 1} {
		b.Run(fmt.Sprintf("K=%d", k), func(b *testing.B) {
			w := newWorker(noopMap{}, tr.Thread(0), k, 0)
			for b.Loop() {
				w.replay(clockCheckEvery)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*clockCheckEvery), "ns/replayed-op")
		})
	}
}

// --op-delay-ns and --op-work-steps spin exactly their steps in every op, in
// the un-timed and the timed path alike, and zero steps spin nothing: the
// spin's chain runs on across ops in spinSink, so after n ops of s steps it is
// the chain of n·s steps from its start. A path that skipped the spin, or ran
// it twice, would leave another value. (u64 keys on the golden trace, and the
// string-key/boxed-value replayer on golden-string.)
func TestSpinRunsItsStepsInEveryOp(t *testing.T) {
	tr := openGolden(t)
	mutexMap, err := maps.Lookup("mutex-map")
	if err != nil {
		t.Fatal(err)
	}
	strTr, err := trace.Open(goldenStringPath)
	if err != nil {
		t.Fatal(err)
	}
	const ops = 2500 // the stream has 1000: wraps twice
	for _, steps := range []uint64{0, 1, 7} {
		for _, k := range []uint64{0, 1, 5} { // latency off, every op timed, both paths
			for _, kind := range []string{"noop", "mutex-map", "mutex-map string/boxed"} {
				var w *worker
				switch kind {
				case "noop":
					w = newWorker(noopMap{}, tr.Thread(0), k, steps)
				case "mutex-map":
					w = newWorker(mutexMap.New(1000), tr.Thread(0), k, steps)
				default:
					kv, err := newKV(mutexMap, strTr.Header(), 1000)
					if err != nil {
						t.Fatal(err)
					}
					w = newWorker(nil, strTr.Thread(0), k, steps)
					w.kv = kv
				}
				w.replay(700)
				w.replay(ops - 700)
				if want := spinSteps(ops*steps, 0); w.spinSink != want || w.counts.total() != ops {
					t.Errorf("%s, %d steps, K=%d: chain %#x after %d ops, want %#x after %d (%d·%d steps)",
						kind, steps, k, w.spinSink, w.counts.total(), want, ops, ops, steps)
				}
			}
		}
	}
}
