package runner

import (
	"math"
	"testing"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
)

func gets(n uint64) opCounts {
	var c opCounts
	c.ops[kindGet] = n
	return c
}

func histOf(values ...int64) *hdr.Histogram {
	h := newLatencyHistogram()
	for _, v := range values {
		_ = h.RecordValue(v)
	}
	return h
}

// Contributions arrive out of step; intervals close in order, once every
// worker is past them; a stall leaves an interval with fewer ops; the last
// interval ends when the last worker does.
func TestCollectorClosesIntervalsInOrder(t *testing.T) {
	const I = 10
	free := []chan *hdr.Histogram{make(chan *hdr.Histogram, 4), make(chan *hdr.Histogram, 4)}
	c := newCollector(2, I, true, free)
	type want struct {
		index, start, end int64
		gets              uint64
		samples           int64
		last              bool
	}
	step := func(x contribution, expect ...want) {
		t.Helper()
		c.add(x)
		got := c.closable()
		if len(got) != len(expect) {
			t.Fatalf("after %+v: closed %d intervals, want %d", x, len(got), len(expect))
		}
		for i, g := range got {
			w := expect[i]
			if g.index != w.index || g.startNs != w.start || g.endNs != w.end || g.counts.ops[kindGet] != w.gets ||
				g.hist.TotalCount() != w.samples || g.last != w.last {
				t.Errorf("closed %+v (gets %d, samples %d), want %+v", g, g.counts.ops[kindGet], g.hist.TotalCount(), w)
			}
			c.recycle(g.intervalAcc)
		}
	}
	// Worker 0 passes boundary 10; worker 1 has not: nothing closes.
	step(contribution{worker: 0, interval: 0, next: 1, counts: gets(5), hist: histOf(1, 2)})
	if len(free[0]) != 1 {
		t.Errorf("the merged histogram was not given back to worker 0")
	}
	// Worker 1 slept through interval 1 and 2: interval 0 closes.
	step(contribution{worker: 1, interval: 0, next: 3, counts: gets(7), hist: histOf(3)},
		want{index: 0, start: 0, end: 10, gets: 12, samples: 3})
	step(contribution{worker: 0, interval: 1, next: 2, counts: gets(4), hist: histOf(4)},
		want{index: 1, start: 10, end: 20, gets: 4, samples: 1})
	// Worker 0 is done in interval 2; worker 1 is still at 3.
	step(contribution{worker: 0, interval: 2, next: math.MaxInt64, counts: gets(2), hist: histOf(5), done: true, endNs: 25, checksum: 0xf0},
		want{index: 2, start: 20, end: 30, gets: 2, samples: 1})
	if len(free[0]) != 2 { // from intervals 0 and 1, not from the last
		t.Errorf("worker 0 got %d histograms back, want 2: none from its last contribution", len(free[0]))
	}
	// Worker 1 ends in interval 3: the last interval ends at its end.
	step(contribution{worker: 1, interval: 3, next: math.MaxInt64, counts: gets(9), hist: histOf(6, 7), done: true, endNs: 37, checksum: 0x0f},
		want{index: 3, start: 30, end: 37, gets: 9, samples: 2, last: true})
	if !c.allDone() || c.checksum != 0xff || c.endNs != 37 {
		t.Errorf("allDone %v checksum %#x endNs %d; want true, 0xff, 37", c.allDone(), c.checksum, c.endNs)
	}
	if got := c.closable(); len(got) != 0 {
		t.Errorf("closed %d more intervals after the last", len(got))
	}
}

// Every worker slept through intervals 1 and 2: they close empty.
func TestCollectorClosesStalledIntervalsEmpty(t *testing.T) {
	c := newCollector(1, 10, false, nil)
	c.add(contribution{worker: 0, interval: 0, next: 3, counts: gets(1)})
	got := c.closable()
	if len(got) != 3 || got[0].counts.total() != 1 || got[1].counts.total() != 0 || got[2].counts.total() != 0 || got[2].index != 2 {
		t.Fatalf("closed %+v; want intervals 0 (1 op), 1 and 2 (none)", got)
	}
	c.add(contribution{worker: 0, interval: 3, next: math.MaxInt64, done: true, endNs: 31})
	got = c.closable()
	if len(got) != 1 || got[0].index != 3 || !got[0].last || got[0].endNs != 31 {
		t.Fatalf("closed %+v; want the last interval 3 ending at 31", got)
	}
}
