package runner

import (
	"math"
	"runtime"
	"testing"
)

func TestBucketMidpoint(t *testing.T) {
	for _, c := range []struct {
		lo, hi float64
		want   int64
	}{
		{math.Inf(-1), 0, 0},
		{0, 64e-9, 32},
		{6.144e-06, 7.168e-06, 6656},
		{140737.488355328, math.Inf(1), 140737488355328},
	} {
		if got := bucketMidpointNs(c.lo, c.hi); got != c.want {
			t.Errorf("midpoint [%g, %g) = %d, want %d", c.lo, c.hi, got, c.want)
		}
	}
}

func TestHistDeltaQuantile(t *testing.T) {
	buckets := []float64{math.Inf(-1), 0, 1e-6, 2e-6, 4e-6, math.Inf(1)}
	a := []uint64{0, 5, 5, 0, 0}
	if got := histDeltaQuantileUpperNs(a, a, buckets, 0.99); got != nil {
		t.Errorf("empty delta: %d, want nil", *got)
	}
	// Delta: 98 in [0,1µs), 1 in [1,2µs), 1 in [4µs, inf): rank ceil(99) = 99 → [1,2µs) → 2000.
	b := []uint64{0, 5 + 98, 5 + 1, 0, 1}
	if got := histDeltaQuantileUpperNs(a, b, buckets, 0.99); got == nil || *got != 2000 {
		t.Errorf("p99 = %v, want 2000", got)
	}
	// Rank 100 falls in the open top bucket: its lower bound.
	if got := histDeltaQuantileUpperNs(a, b, buckets, 1); got == nil || *got != 4000 {
		t.Errorf("p100 = %v, want 4000", got)
	}
}

func TestPauseDeltaListsEachPause(t *testing.T) {
	p := newProcSampler()
	var a, b procSnapshot
	p.read(&a, 0)
	b = a
	b.pauses = append([]uint64(nil), a.pauses...)
	b.sched = append([]uint64(nil), a.sched...)
	i := 10 // some finite bucket
	b.pauses[i] += 3
	b.cycles = a.cycles + 2
	m := p.delta(&a, &b)
	est := bucketMidpointNs(p.pauseBuckets[i], p.pauseBuckets[i+1])
	if m.GC.Cycles != 2 || len(m.GC.PausesNs) != 3 || m.GC.PausesNs[0] != est || m.GC.PauseTotalNs != 3*est {
		t.Errorf("gc = %+v; want 2 cycles, 3 pauses of %d ns", *m.GC, est)
	}
}

// Real readings: a GC between two samples shows as a cycle and pauses;
// /proc gives RSS and steal on Linux.
func TestProcSamplerReadsTheRuntime(t *testing.T) {
	p := newProcSampler()
	var a, b procSnapshot
	p.read(&a, 0)
	sink = make([]byte, 1<<20)
	runtime.GC()
	p.read(&b, 1)
	m := p.delta(&a, &b)
	if m.GC.Cycles < 1 || len(m.GC.PausesNs) < 1 || m.AllocBytes < 1<<20 || m.HeapLiveBytes == 0 {
		t.Errorf("after a 1 MiB allocation and runtime.GC(): %+v, gc %+v", m, *m.GC)
	}
	if runtime.GOOS == "linux" && (m.RSSBytes == nil || *m.RSSBytes == 0 || m.StealTicks == nil) {
		t.Errorf("rss %v steal %v: want both read from /proc", m.RSSBytes, m.StealTicks)
	}
}

var sink []byte
