package runner

import (
	"math"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
)

// Worker-driven intervals (RUNNER-SPEC.md, "Intervals").
//
// Interval k covers [k·I, (k+1)·I) of the measured phase, except the last,
// which ends when the last worker finishes. A worker attributes its ops to
// the interval it was in at its previous clock check, so the ops between a
// boundary and the worker's first check after it (at most 1024) count in the
// earlier interval. A worker that slept through several boundaries hands its
// ops to the interval it started in, and nothing to the ones it slept
// through: those show as intervals with few or no ops, which is what happened.
//
// The collector closes interval k once every worker has promised nothing more
// for it (its watermark `next` is above k) or is done. The last interval is the
// highest index any worker contributed to.

// intervalAcc accumulates one interval's contributions.
type intervalAcc struct {
	index  int64
	counts opCounts
	hist   *hdr.Histogram // merged samples; nil when latency is off
}

// closedInterval is an interval ready to be written: its merged counters and
// histogram, and its bounds on the measured-phase clock.
type closedInterval struct {
	*intervalAcc
	startNs, endNs int64
	last           bool // the run's final interval
}

// collector merges contributions and hands out closed intervals in order.
// It is used by one goroutine; contributions arrive over a channel.
type collector struct {
	intervalNs int64
	latency    bool
	histFree   []chan *hdr.Histogram // per worker, to give emptied histograms back

	watermark []int64 // per worker: it contributes nothing more below this
	pending   []*intervalAcc
	nextClose int64 // index of pending[0]
	maxIndex  int64 // highest interval index contributed to
	done      int   // workers done
	endNs     int64 // max endNs of the finished workers
	spare     []*intervalAcc

	// From the workers' last contributions.
	checksum                          uint64
	warmupInsertNew, warmupRemoveHits uint64
	err                               error
}

func newCollector(workers int, intervalNs int64, latency bool, histFree []chan *hdr.Histogram) *collector {
	return &collector{
		intervalNs: intervalNs,
		latency:    latency,
		histFree:   histFree,
		watermark:  make([]int64, workers),
	}
}

// add merges one contribution. It returns the emptied histogram to its worker.
func (c *collector) add(x contribution) {
	acc := c.acc(x.interval)
	acc.counts.add(&x.counts)
	if x.hist != nil {
		if acc.hist != nil {
			acc.hist.Merge(x.hist)
		}
		x.hist.Reset()
		if !x.done && x.worker < len(c.histFree) {
			select {
			case c.histFree[x.worker] <- x.hist:
			default:
			}
		}
	}
	c.maxIndex = max(c.maxIndex, x.interval)
	c.watermark[x.worker] = x.next
	if x.done {
		c.done++
		c.endNs = max(c.endNs, x.endNs)
		c.checksum ^= x.checksum
		c.warmupInsertNew += x.warmupInsertNew
		c.warmupRemoveHits += x.warmupRemoveHit
		if x.err != nil && c.err == nil {
			c.err = x.err
		}
	}
}

// allDone reports whether every worker has sent its last contribution.
func (c *collector) allDone() bool { return c.done == len(c.watermark) }

// acc returns the accumulator for interval k (k >= nextClose: a worker never
// contributes below its own watermark, and nothing closes above the lowest).
func (c *collector) acc(k int64) *intervalAcc {
	for int64(len(c.pending)) <= k-c.nextClose {
		c.pending = append(c.pending, c.newAcc(c.nextClose+int64(len(c.pending))))
	}
	return c.pending[k-c.nextClose]
}

func (c *collector) newAcc(k int64) *intervalAcc {
	if n := len(c.spare); n > 0 {
		a := c.spare[n-1]
		c.spare = c.spare[:n-1]
		a.index = k
		return a
	}
	a := &intervalAcc{index: k}
	if c.latency {
		a.hist = newLatencyHistogram()
	}
	return a
}

// reserve allocates n accumulators ahead of need.
func (c *collector) reserve(n int) {
	for range n {
		c.recycle(c.newAcc(0))
	}
}

// recycle takes back a written interval's accumulator.
func (c *collector) recycle(a *intervalAcc) {
	a.counts = opCounts{}
	if a.hist != nil {
		a.hist.Reset()
	}
	c.spare = append(c.spare, a)
}

// closable returns the intervals that can be written now, in order, and
// forgets them (the caller recycles each after writing it). After the last
// worker is done it returns everything up to the last interval.
func (c *collector) closable() []closedInterval {
	limit := int64(math.MaxInt64) // close every k < limit
	for _, w := range c.watermark {
		limit = min(limit, w)
	}
	if c.allDone() {
		limit = c.maxIndex + 1
	}
	var out []closedInterval
	for ; c.nextClose < limit; c.nextClose++ {
		var a *intervalAcc
		if len(c.pending) > 0 {
			a, c.pending = c.pending[0], c.pending[1:]
		} else {
			a = c.newAcc(c.nextClose) // nobody contributed: a stall
		}
		k := c.nextClose
		ci := closedInterval{intervalAcc: a, startNs: k * c.intervalNs, endNs: (k + 1) * c.intervalNs}
		if c.allDone() && k == c.maxIndex {
			ci.last = true
			ci.endNs = max(c.endNs, ci.startNs)
		}
		out = append(out, ci)
	}
	return out
}
