package main

// The open-loop, constant-arrival-rate mode (-rates): each request has an
// intended start time on a fixed schedule, and its latency is measured from
// that time, not from when a busy connection got round to sending it. A
// closed loop waits for each answer before sending the next request, so when
// the server stalls it also stops offering load, and the requests that would
// have arrived during the stall are never timed (coordinated omission); its
// latencies are service times. Here a late request is sent as soon as its
// connection is free, and its latency includes the time it spent waiting.

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"

	"concurrentmaps/trace"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// openCSVHeader is the columns of -out in open-loop mode;
// comparisons/src/chapters/httpopen.rs reads them. Latency columns are from the intended start (corrected); service_p50_us
// and service_p99_us from the actual send.
const openCSVHeader = "lang,map,distribution,offered_rps,conns,repeat,requests,errors,misses,unsent,seconds,achieved_rps,p50_us,p90_us,p99_us,p999_us,max_us,service_p50_us,service_p99_us,hlog"

// ANCHOR: schedule
// schedule is one connection's share of a constant arrival rate: conns
// connections together offer rate requests per second, connection i's
// request j is intended at start + (j*conns + i) / rate seconds, so the
// connections interleave evenly.
type schedule struct {
	start       time.Time
	rate        float64 // requests per second, all connections together
	conns, conn int
}

// intended is the intended start time of this connection's request j.
func (s schedule) intended(j int64) time.Time {
	slot := float64(j*int64(s.conns) + int64(s.conn))
	return s.start.Add(time.Duration(slot * 1e9 / s.rate))
}

// lateness is how long after its intended time a request was sent (zero if on time).
func lateness(intended, sent time.Time) time.Duration {
	return max(sent.Sub(intended), 0)
}

// corrected is a request's latency from its intended start: the service time
// (done - sent) plus its lateness.
func corrected(intended, sent, done time.Time) time.Duration {
	return done.Sub(sent) + lateness(intended, sent)
}

// ANCHOR_END: schedule

// drainLimit is how long after the window closes a connection may keep
// sending the requests it was scheduled to send inside the window. Those it
// cannot send by then are counted as unsent and recorded at the latency they
// had reached (a lower bound), so an overloaded step is not made to look
// better by leaving its slowest requests out.
func drainLimit(duration time.Duration) time.Duration { return max(duration, time.Second) }

// openResult is one open-loop step.
type openResult struct {
	counts
	unsent        int64
	hist, service *hdrhistogram.Histogram
}

func newLatHist() *hdrhistogram.Histogram { return hdrhistogram.New(1, int64(60*time.Second), 3) }

// runOpenStep offers rate requests per second over conns connections for
// warmup + duration. A request counts if its intended start is inside the
// measured window [start+warmup, start+warmup+duration).
func runOpenStep(ctx context.Context, base string, t *trace.Trace, rate float64, conns int, cursors []int,
	warmup, duration time.Duration) (openResult, error) {
	client, transport := newClient(conns)
	defer transport.CloseIdleConnections()
	begin := time.Now().Add(10 * time.Millisecond)
	from, to := begin.Add(warmup), begin.Add(warmup+duration)
	giveUp := to.Add(drainLimit(duration))
	parts := make([]openResult, conns)
	var wg sync.WaitGroup
	for i := range conns {
		wg.Go(func() {
			ops := t.Thread(i)
			p := &parts[i]
			p.hist, p.service = newLatHist(), newLatHist()
			s := schedule{start: begin, rate: rate, conns: conns, conn: i}
			for j := int64(0); ; j++ {
				at := s.intended(j)
				if !at.Before(to) || ctx.Err() != nil {
					return
				}
				measured := !at.Before(from)
				if now := time.Now(); now.After(giveUp) {
					// Out of time: the rest of this connection's window is unsent.
					for ; at.Before(to); at = s.intended(j) {
						if !at.Before(from) {
							p.unsent++
							_ = p.hist.RecordValue(int64(now.Sub(at)))
						}
						j++
					}
					return
				} else if d := at.Sub(now); d > 0 {
					time.Sleep(d)
				}
				op := ops.At(cursors[i])
				cursors[i] = (cursors[i] + 1) % ops.Len()
				sent := time.Now()
				miss, err := send(ctx, client, base, op)
				done := time.Now()
				if !measured {
					continue
				}
				p.record(miss, err)
				_ = p.hist.RecordValue(int64(corrected(at, sent, done)))
				_ = p.service.RecordValue(int64(done.Sub(sent)))
			}
		})
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return openResult{}, fmt.Errorf("interrupted; the finished rows are kept: %w", err)
	}
	total := openResult{hist: newLatHist(), service: newLatHist()}
	for _, p := range parts {
		total.add(p.counts)
		total.unsent += p.unsent
		total.hist.Merge(p.hist)
		total.service.Merge(p.service)
	}
	return total, nil
}

// writeHlog writes one step's corrected histogram (tag "lat") and service-time
// histogram (tag "service") as an HdrHistogram interval log, so repeats can be
// merged as histograms.
func writeHlog(path string, r openResult, start time.Time, duration time.Duration) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := hdrhistogram.NewHistogramLogWriter(f)
	ms := start.UnixMilli()
	err = w.OutputLogFormatVersion()
	if err == nil {
		err = w.OutputStartTime(ms)
	}
	if err == nil {
		err = w.OutputLegend()
	}
	for _, h := range []struct {
		tag  string
		hist *hdrhistogram.Histogram
	}{{"lat", r.hist}, {"service", r.service}} {
		if err != nil {
			break
		}
		h.hist.SetTag(h.tag)
		h.hist.SetStartTimeMs(ms)
		h.hist.SetEndTimeMs(ms + duration.Milliseconds())
		err = w.OutputIntervalHistogram(h.hist)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// openSweep is -rates: for each trace, repeat and offered rate, one open-loop
// step, one CSV row and (with -hlog-dir) one .hlog.
func openSweep(ctx context.Context, c config, f io.Writer, stderr io.Writer) error {
	conns := c.conns[0]
	return eachStep(c, len(c.rates), stderr, func(t *trace.Trace, rep, i int, cursors []int) (failures, error) {
		rate, dist := c.rates[i], t.Header().Name
		stepStart := time.Now()
		r, err := runOpenStep(ctx, c.base, t, rate, conns, cursors, c.warmup, c.duration)
		if err != nil {
			return failures{}, err
		}
		hlog := ""
		if c.hlogDir != "" {
			hlog = fmt.Sprintf("%s-%s-%s-rate%.0f-r%d.hlog", c.lang, c.mapName, dist, rate, rep)
			if err := writeHlog(filepath.Join(c.hlogDir, hlog), r, stepStart, c.duration); err != nil {
				return failures{}, fmt.Errorf("-hlog-dir: %w", err)
			}
		}
		q := func(h *hdrhistogram.Histogram, p float64) float64 { return float64(h.ValueAtQuantile(p)) / 1e3 }
		secs := c.duration.Seconds()
		fmt.Fprintf(f, "%s,%s,%s,%.0f,%d,%d,%d,%d,%d,%d,%.3f,%.1f,%.1f,%.1f,%.1f,%.1f,%.1f,%.1f,%.1f,%s\n",
			c.lang, c.mapName, dist, rate, conns, rep, r.requests, r.errors, r.misses, r.unsent, secs,
			float64(r.requests)/secs, q(r.hist, 50), q(r.hist, 90), q(r.hist, 99), q(r.hist, 99.9),
			float64(r.hist.Max())/1e3, q(r.service, 50), q(r.service, 99), hlog)
		fmt.Fprintf(stderr, "ch4-load: %s %s %s repeat %d/%d, offered %8.0f req/s: achieved %8.0f, p99 %9.1f µs (service %7.1f), unsent %d\n",
			c.lang, c.mapName, dist, rep, c.repeats, rate, float64(r.requests)/secs, q(r.hist, 99), q(r.service, 99), r.unsent)
		return failures{r.errors, r.firstErr}, nil
	})
}
