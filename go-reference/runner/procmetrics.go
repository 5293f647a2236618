package runner

import (
	"bytes"
	"math"
	"os"
	"runtime/metrics"
	"strconv"
)

// Process metrics sampled at each interval boundary (RUNNER-SPEC.md,
// "interval"): the Go runtime's own accounting from runtime/metrics, RSS
// from /proc/self/statm, and CPU steal from /proc/stat.
//
// The collector samples when it closes an interval: as soon as it runs after
// the last worker handed that interval over. The worker yields its P right
// after the hand-over (runtime.Gosched), so on an otherwise idle machine that
// is within microseconds of the worker's first clock check past the boundary
// (at most 1024 ops late); on a busy one, later. Each interval record says
// when its closing sample was taken (metrics_at_ns, extra). Intervals closed
// together share one sample: the first gets the deltas, the rest zero.

// The runtime/metrics names read, in the order of procSampler.samples.
const (
	mHeapObjects = iota
	mAllocBytes
	mAllocObjects
	mTinyAllocObjects
	mGCCycles
	mGCCPU
	mGCPauses
	mSchedLatencies
	numMetrics
)

var metricNames = [numMetrics]string{
	mHeapObjects:  "/memory/classes/heap/objects:bytes",
	mAllocBytes:   "/gc/heap/allocs:bytes",
	mAllocObjects: "/gc/heap/allocs:objects",
	// allocs:objects counts a tiny-allocator block once, not the small
	// pointer-free objects packed into it; those are counted here. Their sum
	// is what MemStats.Mallocs and testing.B's allocs/op count.
	mTinyAllocObjects: "/gc/heap/tiny/allocs:objects",
	mGCCycles:         "/gc/cycles/total:gc-cycles",
	mGCCPU:            "/cpu/classes/gc/total:cpu-seconds",
	mGCPauses:         "/sched/pauses/total/gc:seconds",
	mSchedLatencies:   "/sched/latencies:seconds",
}

// procSnapshot is one reading of everything, cumulative values as read.
type procSnapshot struct {
	atNs                                          int64 // measured-phase clock
	heapObjects, allocBytes, allocObjects, cycles uint64
	gcCPUSeconds                                  float64
	pauses, sched                                 []uint64 // histogram counts (buckets in procSampler)
	rss                                           uint64
	rssOK                                         bool
	steal                                         uint64
	stealOK                                       bool
}

// procSampler reads procSnapshots without allocating in the steady state
// (runtime/metrics reuses its histogram slices; the /proc reads use one
// buffer).
type procSampler struct {
	samples       []metrics.Sample
	pauseBuckets  []float64
	schedBuckets  []float64
	pageSize      uint64
	buf           []byte
	statmPath     string
	procStatPath  string
	pauseEstimate []int64 // per pause bucket: the ns one pause in it counts as
}

func newProcSampler() *procSampler {
	p := &procSampler{
		samples:      make([]metrics.Sample, numMetrics),
		pageSize:     uint64(os.Getpagesize()),
		buf:          make([]byte, 0, 8192),
		statmPath:    "/proc/self/statm",
		procStatPath: "/proc/stat",
	}
	for i, name := range metricNames {
		p.samples[i].Name = name
	}
	metrics.Read(p.samples)
	p.pauseBuckets = p.samples[mGCPauses].Value.Float64Histogram().Buckets
	p.schedBuckets = p.samples[mSchedLatencies].Value.Float64Histogram().Buckets
	p.pauseEstimate = make([]int64, len(p.pauseBuckets)-1)
	for i := range p.pauseEstimate {
		p.pauseEstimate[i] = bucketMidpointNs(p.pauseBuckets[i], p.pauseBuckets[i+1])
	}
	return p
}

// read fills s (reusing its slices).
func (p *procSampler) read(s *procSnapshot, atNs int64) {
	metrics.Read(p.samples)
	s.atNs = atNs
	s.heapObjects = p.samples[mHeapObjects].Value.Uint64()
	s.allocBytes = p.samples[mAllocBytes].Value.Uint64()
	s.allocObjects = p.samples[mAllocObjects].Value.Uint64() + p.samples[mTinyAllocObjects].Value.Uint64()
	s.cycles = p.samples[mGCCycles].Value.Uint64()
	s.gcCPUSeconds = p.samples[mGCCPU].Value.Float64()
	s.pauses = append(s.pauses[:0], p.samples[mGCPauses].Value.Float64Histogram().Counts...)
	s.sched = append(s.sched[:0], p.samples[mSchedLatencies].Value.Float64Histogram().Counts...)
	s.rss, s.rssOK = p.readRSS()
	s.steal, s.stealOK = p.readSteal()
}

// readProc reads a whole /proc file into p.buf (a /proc file's content is
// generated at read time, so each read is fresh).
func (p *procSampler) readProc(path string) ([]byte, bool) {
	f, err := os.Open(path)
	if err != nil {
		return nil, false
	}
	defer f.Close()
	p.buf = p.buf[:0]
	for {
		if len(p.buf) == cap(p.buf) {
			p.buf = append(p.buf, 0)[:len(p.buf)]
		}
		n, err := f.Read(p.buf[len(p.buf):cap(p.buf)])
		p.buf = p.buf[:len(p.buf)+n]
		if err != nil || n == 0 {
			break
		}
	}
	return p.buf, true
}

// readRSS is resident pages (the second field of /proc/self/statm) times the
// page size.
func (p *procSampler) readRSS() (uint64, bool) {
	b, ok := p.readProc(p.statmPath)
	if !ok {
		return 0, false
	}
	f := bytes.Fields(b)
	if len(f) < 2 {
		return 0, false
	}
	pages, err := strconv.ParseUint(string(f[1]), 10, 64)
	if err != nil {
		return 0, false
	}
	return pages * p.pageSize, true
}

// readSteal is the steal column (the 8th number) of /proc/stat's aggregate
// "cpu" line, in USER_HZ ticks.
func (p *procSampler) readSteal() (uint64, bool) {
	b, ok := p.readProc(p.procStatPath)
	if !ok {
		return 0, false
	}
	if i := bytes.IndexByte(b, '\n'); i >= 0 {
		b = b[:i]
	}
	f := bytes.Fields(b)
	if len(f) < 9 || string(f[0]) != "cpu" {
		return 0, false
	}
	steal, err := strconv.ParseUint(string(f[8]), 10, 64)
	if err != nil {
		return 0, false
	}
	return steal, true
}

// intervalMetrics is the process part of one interval record.
type intervalMetrics struct {
	MetricsAtNs   int64       `json:"metrics_at_ns"`
	RSSBytes      *uint64     `json:"rss_bytes"`
	HeapLiveBytes uint64      `json:"heap_live_bytes"`
	AllocBytes    uint64      `json:"alloc_bytes"`
	AllocObjects  uint64      `json:"alloc_objects"`
	GC            *gcInterval `json:"gc"`
	StealTicks    *uint64     `json:"steal_ticks"`
}

// gcInterval is the Go runtime's GC activity in one interval.
type gcInterval struct {
	Cycles uint64 `json:"cycles"`
	// PausesNs lists the interval's stop-the-world GC pauses, estimated from
	// the runtime's pause histogram: each pause counts as the midpoint of its
	// bucket (the buckets are a quarter of a power of two wide, so the
	// estimate is within ±12.5 %); a pause in the open top bucket counts as
	// its lower bound. The histogram loses order: the list is ascending, not
	// in time order.
	PausesNs     []int64 `json:"pauses_ns"`
	PauseTotalNs int64   `json:"pause_total_ns"`
	CPUSeconds   float64 `json:"cpu_seconds"`
	// SchedLatencyP99Ns: the 99th percentile of the time goroutines waited
	// runnable before running, in this interval; the upper bound of the
	// bucket holding it (as HDR reports the highest equivalent value);
	// null when no goroutine was scheduled.
	SchedLatencyP99Ns *int64 `json:"sched_latency_p99_ns"`
}

// maxPausesListed bounds pauses_ns per interval (the total still counts all).
const maxPausesListed = 10_000

// delta is the interval between snapshots a and b (b later).
func (p *procSampler) delta(a, b *procSnapshot) intervalMetrics {
	m := intervalMetrics{
		MetricsAtNs:   b.atNs,
		HeapLiveBytes: b.heapObjects,
		AllocBytes:    b.allocBytes - a.allocBytes,
		AllocObjects:  b.allocObjects - a.allocObjects,
	}
	if b.rssOK {
		m.RSSBytes = &b.rss
	}
	if a.stealOK && b.stealOK {
		d := b.steal - a.steal
		m.StealTicks = &d
	}
	// ANCHOR: gc-pauses
	gc := &gcInterval{Cycles: b.cycles - a.cycles, CPUSeconds: b.gcCPUSeconds - a.gcCPUSeconds, PausesNs: []int64{}}
	for i := range b.pauses {
		d := b.pauses[i] - a.pauses[i]
		if d == 0 {
			continue
		}
		est := p.pauseEstimate[i]
		gc.PauseTotalNs += int64(d) * est
		for j := uint64(0); j < d && len(gc.PausesNs) < maxPausesListed; j++ {
			gc.PausesNs = append(gc.PausesNs, est)
		}
	}
	gc.SchedLatencyP99Ns = histDeltaQuantileUpperNs(a.sched, b.sched, p.schedBuckets, 0.99)
	// ANCHOR_END: gc-pauses
	m.GC = gc
	return m
}

// bucketMidpointNs is the midpoint of [lo, hi) seconds in ns; for a bucket
// open at the top, lo; open at the bottom (negative durations never occur),
// 0.
func bucketMidpointNs(lo, hi float64) int64 {
	switch {
	case math.IsInf(lo, -1):
		return 0
	case math.IsInf(hi, 1):
		return secondsToNs(lo)
	}
	return secondsToNs((lo + hi) / 2)
}

// histDeltaQuantileUpperNs is the q-quantile of the counts in b minus a: the
// upper bound of the bucket holding the ceil(q·n)-th smallest value (its lower
// bound if that bucket is open at the top); nil when the delta is empty.
func histDeltaQuantileUpperNs(a, b []uint64, buckets []float64, q float64) *int64 {
	var n uint64
	for i := range b {
		n += b[i] - a[i]
	}
	if n == 0 {
		return nil
	}
	rank := uint64(math.Ceil(q * float64(n)))
	rank = max(rank, 1)
	var seen uint64
	for i := range b {
		if seen += b[i] - a[i]; seen >= rank {
			v := secondsToNs(buckets[i+1])
			if math.IsInf(buckets[i+1], 1) {
				v = secondsToNs(buckets[i])
			}
			return &v
		}
	}
	return nil
}

func secondsToNs(s float64) int64 {
	if s <= 0 {
		return 0
	}
	return int64(math.Round(s * 1e9))
}
