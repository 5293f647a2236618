package runner

import (
	"encoding/binary"
	"fmt"
	"math"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"

	"concurrentmaps/maps"
	"concurrentmaps/trace"
)

// Latency histogram geometry, the same on both sides (RUNNER-SPEC.md, .hlog).
const (
	hdrLowestNs  = 1
	hdrHighestNs = 60_000_000_000 // 60 s
	hdrSigFigs   = 3
)

func newLatencyHistogram() *hdr.Histogram { return hdr.New(hdrLowestNs, hdrHighestNs, hdrSigFigs) }

// clockCheckEvery is how many ops a worker replays between two clock reads
// (interval boundaries, --duration-ms, SIGINT). 1024 keeps the read's cost
// (~25 ns) below 0.1 ns per op while bounding how late a boundary is seen to
// 1024 ops (tens of microseconds for the maps here).
const clockCheckEvery = 1024

// The result checksum (RUNNER-SPEC.md, "What a run does" 5): an FNV-style fold
// of every get's result, the found value or missMarker.
const (
	checksumInit  = 0xcbf29ce484222325
	checksumPrime = 0x100000001b3
	missMarker    = math.MaxUint64
)

// Op kind codes as stored in the top two bits of an op word.
const (
	kindGet    = uint64(trace.Get)
	kindInsert = uint64(trace.Insert)
	kindUpdate = uint64(trace.Update)
	kindRemove = uint64(trace.Remove)
)

// opCounts are ops completed and ops that hit, per kind code: a get that
// found its key, an insert that created it, an update or remove that found it.
type opCounts struct {
	ops, hits [4]uint64
}

func (c *opCounts) add(o *opCounts) {
	for k := range c.ops {
		c.ops[k] += o.ops[k]
		c.hits[k] += o.hits[k]
	}
}

func (c *opCounts) total() uint64 { return c.ops[0] + c.ops[1] + c.ops[2] + c.ops[3] }

// neverSample is untilSample when latency is off: counting down from it
// would take centuries.
const neverSample = math.MaxUint64

// worker replays one op stream. The hot fields are copied into locals by
// replay and written back once per call, so a worker's struct is written
// once per 1024 ops; the padding keeps two workers' structs off a shared
// cache line anyway (128 bytes: adjacent-line prefetch on x86-64).
type worker struct {
	m         maps.Map
	kv        kvReplayer // string keys or boxed values (replay_kv.go); nil: m
	raw       []byte     // the stream's op words, little-endian (kind<<62 | key id)
	keys      []uint64   // op i's u64 key, decoded from raw before the run (unused by kv)
	kinds     []uint8    // op i's kind code
	n         uint64     // ops in the stream
	valueHigh uint64     // (thread+1) << 48: the high half of trace.OpValue
	pos       uint64     // stream index of the next op; wraps to 0 at n

	sampleEvery uint64         // K, the mean gap between timed ops
	gaps        sampleGaps     // the jittered gaps (sampling.go)
	thread      int            // the trace thread (seeds gaps)
	untilSample uint64         // ops to go before the next timed op
	hist        *hdr.Histogram // this interval's latency samples (nil: latency off)
	delaySteps  uint64         // spin steps per op: --op-delay-ns calibrated, or --op-work-steps; 0: none
	spinSink    uint64         // keeps the spin chain's result live

	checksum uint64
	counts   opCounts

	_ [128]byte
}

func newWorker(m maps.Map, ops trace.ThreadOps, sampleEvery uint64, delaySteps uint64) *worker {
	w := &worker{
		m:           m,
		raw:         ops.Raw(),
		n:           uint64(ops.Len()),
		valueHigh:   uint64(ops.Thread()+1) << 48,
		sampleEvery: sampleEvery,
		thread:      int(ops.Thread()),
		delaySteps:  delaySteps,
		checksum:    checksumInit,
	}
	w.decode()
	w.startMeasuring()
	if sampleEvery > 0 {
		w.hist = newLatencyHistogram()
	}
	return w
}

// startMeasuring rewinds the stream and clears what warm-up left behind:
// measured-phase op i is stream op i (value index restarts with the stream),
// op 0 is the first timed one and the gaps after it restart.
func (w *worker) startMeasuring() {
	w.pos = 0
	w.counts = opCounts{}
	w.checksum = checksumInit
	w.untilSample = 0
	w.gaps = newSampleGaps(w.thread, max(w.sampleEvery, 1))
	if w.sampleEvery == 0 {
		w.untilSample = neverSample
	}
}

// replay applies the next count ops of the stream (wrapping at its end).
// This is the hot path: no allocation, no lock, no shared write. Ops run in
// plain un-timed stretches (replayUntimed) around the timed ops (one per
// jittered gap of mean sampleEvery), so an un-timed op pays no per-op sampling test and
// consecutive ops keep their cache misses overlapped (a clock read orders the
// op against its neighbours).
func (w *worker) replay(count uint64) {
	if w.kv != nil {
		w.kv.replay(w, count)
		return
	}
	for count > 0 {
		stretch := min(count, w.untilSample)
		if stretch > 0 {
			w.replayUntimed(stretch)
			count -= stretch
			if w.untilSample != neverSample {
				w.untilSample -= stretch
			}
			continue
		}
		w.replayTimed()
		count--
		w.untilSample = w.gaps.next() - 1
	}
}

// decode turns the stream's op words into keys and kinds before the run, so
// the hot loop does no key mixing: the micro-benchmarks hold their keys the
// same way (maps/trace_bench_test.go), and a harness cost that a noop map
// would not show (decoding overlapping a real map's misses) stays out.
func (w *worker) decode() {
	w.keys = make([]uint64, w.n)
	w.kinds = make([]uint8, w.n)
	for i := range w.keys {
		word := binary.LittleEndian.Uint64(w.raw[i*8:])
		w.kinds[i] = uint8(word >> 62 & 3)
		w.keys[i] = trace.KeyForID(word & trace.KeyIDMask)
	}
}

// replayUntimed applies the next count ops, none of them timed. The loop is
// kept small: per op one key load, one kind load, the call, its tally (gets
// fold their result into the checksum) and the spin of --op-delay-ns or
// --op-work-steps. The spin is in this one loop with or without a delay
// (zero steps: one test of the step count per op), so a delay adds exactly
// its steps to every op: a separate delayed loop would compile differently
// around each map's call and add a different cost per map besides the steps.
func (w *worker) replayUntimed(count uint64) {
	m, keys, kinds, pos := w.m, w.keys, w.kinds, w.pos
	n := uint64(len(keys))
	kinds = kinds[:n]
	valueHigh, acc, c := w.valueHigh, w.checksum, w.counts
	steps := w.delaySteps
	for ; count > 0; count-- {
		key := keys[pos]
		switch uint64(kinds[pos]) {
		case kindGet:
			got, hit := m.Get(key)
			if !hit {
				got = missMarker
			} else {
				c.hits[kindGet]++
			}
			acc = (acc ^ got) * checksumPrime
			c.ops[kindGet]++
		case kindInsert:
			if m.Insert(key, valueHigh|(pos+1)) { // trace.OpValue(thread, pos)
				c.hits[kindInsert]++
			}
			c.ops[kindInsert]++
		case kindUpdate:
			if m.Update(key, valueHigh|(pos+1)) {
				c.hits[kindUpdate]++
			}
			c.ops[kindUpdate]++
		default:
			if m.Remove(key) {
				c.hits[kindRemove]++
			}
			c.ops[kindRemove]++
		}
		if steps != 0 { // the same loop either way; the chain lives in w, not in a register every op carries
			w.spinSink = spinSteps(steps, w.spinSink)
		}
		if pos++; pos == n {
			pos = 0
		}
	}
	w.pos, w.checksum, w.counts = pos, acc, c
}

// apply runs the op at w.pos (its kind and key, loaded by the caller) through
// the map: the timed region of a timed op.
func (w *worker) apply(kind, key uint64) (got uint64, hit bool) {
	pos := w.pos
	switch kind {
	case kindGet:
		got, hit = w.m.Get(key)
	case kindInsert:
		hit = w.m.Insert(key, w.valueHigh|(pos+1)) // trace.OpValue(thread, pos)
	case kindUpdate:
		hit = w.m.Update(key, w.valueHigh|(pos+1))
	default:
		hit = w.m.Remove(key)
	}
	return got, hit
}

// tally counts the op at w.pos, folds a get's result into the checksum and
// moves to the next op.
func (w *worker) tally(kind uint64, got uint64, hit bool) {
	if kind == kindGet {
		x := uint64(missMarker)
		if hit {
			x = got
		}
		w.checksum = (w.checksum ^ x) * checksumPrime
	}
	w.counts.ops[kind]++
	if hit {
		w.counts.hits[kind]++
	}
	if w.pos++; w.pos == w.n {
		w.pos = 0
	}
}

// replayTimed applies the next op with its latency recorded.
func (w *worker) replayTimed() {
	// ANCHOR: timed-op
	// The timed region is the map call alone (with the spin of --op-delay-ns
	// or --op-work-steps, zero steps without): loading the key before it,
	// counting after it.
	kind, key := uint64(w.kinds[w.pos]), w.keys[w.pos]
	start := time.Now()
	got, hit := w.apply(kind, key)
	w.spinSink = spinSteps(w.delaySteps, w.spinSink)
	w.record(time.Since(start))
	// ANCHOR_END: timed-op
	// (A per-op counter read, e.g. a drop count, goes next to the clock
	// reads above: only sampled ops pay for it.)
	w.tally(kind, got, hit)
}

// record adds one latency sample; values beyond the histogram's 60 s are
// recorded as 60 s.
func (w *worker) record(d time.Duration) {
	v := int64(d)
	if v > hdrHighestNs {
		v = hdrHighestNs
	}
	_ = w.hist.RecordValue(v) // cannot fail: 0 <= v <= highest
}

// spinDelay is --op-delay-ns as a busy-wait of a fixed number of steps of a
// dependent multiply-add chain, calibrated once at start-up. Reading the clock
// inside the loop instead costs a clock read per pass (tens of ns), so a short
// delay would come out several times longer than asked. The Rust runner spins
// the same chain, calibrated the same way.
type spinDelay struct {
	steps     uint64
	nsPerStep float64
}

// Steps per calibration trial, and trials: the fastest trial is kept, being
// the one least disturbed by other work on the machine.
const (
	calibrationSteps  = 2_000_000
	calibrationTrials = 5
)

// calibrateSpin sizes the chain for ns nanoseconds (zero: no delay).
func calibrateSpin(ns int64) spinDelay {
	if ns <= 0 {
		return spinDelay{}
	}
	best := math.Inf(1)
	var sink uint64
	for range calibrationTrials {
		start := time.Now()
		sink = spinSteps(calibrationSteps, sink)
		best = min(best, float64(time.Since(start))/calibrationSteps)
	}
	spinCalibrationSink = sink
	best = max(best, math.SmallestNonzeroFloat64)
	return spinDelay{steps: uint64(math.Round(float64(ns) / best)), nsPerStep: best}
}

// spinCalibrationSink keeps the calibration's chain live.
var spinCalibrationSink uint64

// spinSteps runs n steps of x = x*6364136223846793005 + 1442695040888963407
// from x and returns the result, which the caller stores so the loop is kept.
func spinSteps(n, x uint64) uint64 {
	for range n {
		x = x*6364136223846793005 + 1442695040888963407
	}
	return x
}

// prefillMap inserts the trace's prefill keys in order on this goroutine and
// returns how many inserts created their key (the prefill keys are distinct,
// so all of them, for a correct map).
func prefillMap(m maps.Map, t *trace.Trace, stop *atomic.Bool) (created uint64, interrupted bool) {
	for i := 0; i < t.PrefillLen(); i++ {
		if i%clockCheckEvery == 0 && stop.Load() {
			return created, true
		}
		p := t.Prefill(i)
		if m.Insert(p.Key, p.Value) {
			created++
		}
	}
	return created, false
}

// timerReads is how many clock read pairs measureTimerOverhead takes.
const timerReads = 1_000_000

// measureTimerOverhead is the median of reads empty timed regions,
// time.Since(time.Now()): the value a latency sample of an op that takes no
// time would record. It is the bias every sample carries (not subtracted).
func measureTimerOverhead(reads int) int64 {
	var counts [4096]uint32 // counts[ns]; the last bucket holds everything >= 4095 ns
	for i := 0; i < reads; i++ {
		start := time.Now()
		d := time.Since(start)
		if d >= time.Duration(len(counts)-1) {
			d = time.Duration(len(counts) - 1)
		}
		counts[d]++
	}
	half := uint64(reads+1) / 2
	var seen uint64
	for ns, c := range counts {
		if seen += uint64(c); seen >= half {
			return int64(ns)
		}
	}
	return 0
}

// phase is what the workers share: the barrier, t0, the stop flag and the
// channel to the collector.
type phase struct {
	intervalNs int64
	durationNs int64 // 0: replay each stream once
	warmupOps  uint64
	stop       *atomic.Bool
	ready      sync.WaitGroup // each worker is Done after its warm-up
	start      chan struct{}  // closed when the measured phase starts
	t0         time.Time      // written before start is closed
	contribs   chan contribution
	histFree   []chan *hdr.Histogram // per worker: emptied histograms coming back from the collector
}

// contribution is one worker's counters and histogram for one interval.
type contribution struct {
	worker   int
	interval int64
	// next: this worker contributes nothing more to intervals below next
	// (math.MaxInt64 once it is done).
	next   int64
	counts opCounts
	hist   *hdr.Histogram // nil when latency is off

	// Set on the worker's last contribution only.
	done            bool
	endNs           int64 // measured-phase clock at the worker's last op
	checksum        uint64
	warmupInsertNew uint64
	warmupRemoveHit uint64
	err             error // a panic in the map
}

// runWorker is one worker goroutine: warm-up, barrier, measured phase, and a
// contribution per interval it passes through.
func runWorker(p *phase, id int, w *worker) {
	readyDone, measuring := false, false
	var cur int64 // the interval this worker's counters belong to
	last := contribution{worker: id, next: math.MaxInt64, done: true}
	defer func() {
		// A panic in the map: stop everyone, and end this worker's part with
		// the error (the run ends with status "error"). The ops of the
		// chunk that panicked are lost.
		if r := recover(); r != nil {
			p.stop.Store(true)
			last.err = fmt.Errorf("worker %d: panic in map: %v", id, r)
			if measuring {
				last.interval, last.counts, last.hist, last.checksum = cur, w.counts, w.hist, w.checksum
			}
			if !readyDone {
				p.ready.Done()
			}
			p.contribs <- last
		}
	}()

	// Warm-up: the first warmupOps ops (wrapping), untimed, not in any interval.
	w.untilSample = neverSample
	for left := p.warmupOps; left > 0 && !p.stop.Load(); {
		n := min(left, clockCheckEvery)
		w.replay(n)
		left -= n
	}
	last.warmupInsertNew = w.counts.hits[kindInsert]
	last.warmupRemoveHit = w.counts.hits[kindRemove]
	w.startMeasuring()
	if w.hist != nil {
		w.hist.Reset()
	}
	readyDone = true
	p.ready.Done()
	<-p.start
	t0 := p.t0
	measuring = true

	nextBoundary := p.intervalNs
	var measured uint64
	for {
		var elapsed int64
		finished := p.stop.Load()
		if !finished {
			n := uint64(clockCheckEvery)
			if p.durationNs == 0 {
				n = min(n, w.n-measured)
			}
			w.replay(n)
			measured += n
			elapsed = int64(time.Since(t0))
			finished = p.stop.Load() ||
				(p.durationNs > 0 && elapsed >= p.durationNs) ||
				(p.durationNs == 0 && measured == w.n)
		} else {
			elapsed = int64(time.Since(t0))
		}
		if finished {
			// The last partial interval, with any ops past a boundary
			// since the last check (as at every boundary).
			last.interval, last.counts, last.hist = cur, w.counts, w.hist
			last.endNs, last.checksum = elapsed, w.checksum
			p.contribs <- last
			return
		}
		if elapsed >= nextBoundary {
			k := elapsed / p.intervalNs
			p.contribs <- contribution{worker: id, interval: cur, next: k, counts: w.counts, hist: w.hist}
			// Let the collector run now, on this P, between two ops: with
			// GOMAXPROCS = workers it would otherwise wait for the scheduler
			// to preempt a worker (~10 ms), wherever that worker is,
			// inside a timed op included, and sample the interval's metrics late.
			runtime.Gosched()
			w.counts = opCounts{}
			if w.hist != nil {
				select {
				case w.hist = <-p.histFree[id]:
				default: // the collector is behind: a new one (rare)
					w.hist = newLatencyHistogram()
				}
			}
			cur, nextBoundary = k, (k+1)*p.intervalNs
		}
	}
}
