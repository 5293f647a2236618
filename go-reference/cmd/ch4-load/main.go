// Command ch4-load is chapter 4.1's load generator: one closed-loop HTTP
// client that drives either cache server (go-reference/cmd/ch4-cache-server
// or the Rust example ch4_cache_server) with the keys of mapbench traces, so
// both servers receive the same requests in the same order per connection.
//
//	go run ./cmd/ch4-load -url http://127.0.0.1:PORT -lang go -map rwmutex-map \
//	    -trace http-uniform.trace,http-hotkey.trace -out sweep.csv
//
// First it PUTs every trace's prefill keys (a warm cache), then for each
// trace, for each repeat, for each step of -conns: it opens exactly that many
// keep-alive connections, and connection i sends trace thread i's ops one
// after another, each as soon as the previous answer arrived (get: GET
// /k/{key}; insert and update: PUT /k/{key}). After -warmup it counts
// requests and records their latency for -duration, then closes the
// connections. Each step appends one row to -out as soon as it is measured,
// so a sweep stopped by Ctrl-C keeps the finished rows (exit status 130).
//
// With -rates R1,R2,... the client is open-loop instead (openloop.go): for
// each offered rate, -conns connections (one value) send requests on a fixed
// schedule of R requests per second, and latency is measured from each
// request's intended start, so queueing behind a slow answer is counted
// (coordinated-omission corrected). Each step appends a row to -out (its own
// header, openCSVHeader) and, with -hlog-dir, writes its histograms as an .hlog.
//
// Exit status: 0 for -h, 2 for a bad flag or trace (the message names it
// and the usage follows), 130 when SIGINT or SIGTERM stopped it, 1 if a
// request failed, 0 otherwise.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"concurrentmaps/internal/cmdline"
	"concurrentmaps/trace"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// csvHeader is the columns of -out; comparisons/src/chapters/httpknee.rs reads them.
const csvHeader = "lang,map,distribution,conns,repeat,requests,errors,misses,seconds,rps,p50_us,p90_us,p99_us,p999_us,max_us"

// prefillConns is how many connections PUT the prefill: enough to keep both
// CPUs busy, so it takes about a second for the chapter's 20,000 keys.
const prefillConns = 8

type config struct {
	base             string
	lang, mapName    string
	traces           []*trace.Trace
	conns            []int
	warmup, duration time.Duration
	repeats          int
	prefill          bool
	out              string
	rates            []float64 // open-loop offered rates (req/s); empty: closed loop
	hlogDir          string
}

func main() {
	cmdline.Main(parseFlags, runSweep)
}

func parseFlags(args []string, stderr io.Writer) (config, error) {
	fs := cmdline.New("ch4-load", stderr)
	url := fs.String("url", "", "the server's base URL, e.g. http://127.0.0.1:8080 (required)")
	lang := fs.String("lang", "", "the server's language, go or rust (a label for the rows; required)")
	mapName := fs.String("map", "", "the server's map (a label for the rows; required)")
	traces := fs.String("trace", "", "comma-separated mapbench trace files, one per key distribution (required)")
	conns := fs.String("conns", "1,2,4,8,16,32", "comma-separated connection counts, one step each")
	warmup := fs.Duration("warmup", 250*time.Millisecond, "per step: load sent before measuring")
	duration := fs.Duration("duration", time.Second, "per step: how long to measure")
	repeats := fs.Int("repeats", 2, "sweeps per trace (each repeat runs every step)")
	prefill := fs.Bool("prefill", true, "PUT every trace's prefill keys before the first step")
	out := fs.String("out", "", "CSV file to append the rows to (the header is added if it has none; required)")
	rates := fs.String("rates", "", "open loop: comma-separated offered rates in requests/s, one step each (-conns: one value)")
	hlogDir := fs.String("hlog-dir", "", "open loop: directory for one .hlog per step (corrected and service-time histograms)")
	var c config
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	for _, r := range []struct{ name, v string }{{"-url", *url}, {"-lang", *lang}, {"-map", *mapName}, {"-trace", *traces}, {"-out", *out}} {
		if r.v == "" {
			return c, fs.Bad("flag %s is required", r.name)
		}
	}
	if !strings.HasPrefix(*url, "http://") {
		return c, fs.Bad("flag -url: want http://HOST:PORT, got %q", *url)
	}
	if *lang != "go" && *lang != "rust" {
		return c, fs.Bad("flag -lang: want go or rust, got %q", *lang)
	}
	if strings.ContainsAny(*mapName, ",\n\"") {
		return c, fs.Bad("flag -map: a CSV label cannot contain a comma, quote or newline: %q", *mapName)
	}
	if *warmup < 0 || *duration <= 0 || *repeats < 1 {
		return c, fs.Bad("flags -warmup, -duration, -repeats: want warmup >= 0, duration > 0, repeats >= 1")
	}
	c = config{base: strings.TrimSuffix(*url, "/"), lang: *lang, mapName: *mapName, warmup: *warmup,
		duration: *duration, repeats: *repeats, prefill: *prefill, out: *out}
	for _, s := range strings.Split(*conns, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 {
			return c, fs.Bad("flag -conns: want positive integers separated by commas, got %q", s)
		}
		c.conns = append(c.conns, n)
	}
	c.hlogDir = *hlogDir
	if *rates != "" {
		if len(c.conns) != 1 {
			return c, fs.Bad("flag -conns: with -rates, want one connection count, got %q", *conns)
		}
		for _, s := range strings.Split(*rates, ",") {
			r, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
			if err != nil || r <= 0 || r > 1e7 {
				return c, fs.Bad("flag -rates: want positive requests/s (at most 1e7) separated by commas, got %q", s)
			}
			c.rates = append(c.rates, r)
		}
		if c.hlogDir != "" {
			if st, err := os.Stat(c.hlogDir); err != nil || !st.IsDir() {
				return c, fs.Bad("flag -hlog-dir: want an existing directory, got %q", c.hlogDir)
			}
		}
	} else if c.hlogDir != "" {
		return c, fs.Bad("flag -hlog-dir: only with -rates (open loop)")
	}
	for _, path := range strings.Split(*traces, ",") {
		t, err := trace.Open(path)
		if err != nil {
			return c, fs.Bad("flag -trace: %v", err)
		}
		h := t.Header()
		if h.Mix.Remove > 0 {
			return c, fs.Bad("flag -trace: %s: the mix has removes, which the cache servers do not serve (want get, insert, update only)", path)
		}
		for _, n := range c.conns {
			if n > int(h.Threads) {
				return c, fs.Bad("flag -conns: step %d needs %d op streams but %s has %d threads", n, n, path, h.Threads)
			}
		}
		c.traces = append(c.traces, t)
	}
	return c, nil
}

// run parses args and runs the sweep; it returns the exit status (0 for -h,
// 2 for a bad flag or trace, 130 when ctx was cancelled).
func run(ctx context.Context, args []string, stderr io.Writer) int {
	c, err := parseFlags(args, stderr)
	if err != nil {
		return cmdline.Status(err)
	}
	return runSweep(ctx, c, io.Discard, stderr)
}

// runSweep runs the parsed sweep and returns the exit status.
func runSweep(ctx context.Context, c config, _ io.Writer, stderr io.Writer) int {
	if err := sweep(ctx, c, stderr); err != nil {
		fmt.Fprintf(stderr, "ch4-load: %v\n", err)
		if ctx.Err() != nil {
			return 130
		}
		return 1
	}
	return 0
}

// counts are a step's (or one connection's) measured requests by outcome.
type counts struct {
	requests, errors, misses int64
	firstErr                 error
}

// record counts one measured request: failed (err), a miss, or a hit.
func (c *counts) record(miss bool, err error) {
	c.requests++
	switch {
	case err != nil:
		c.errors++
		if c.firstErr == nil {
			c.firstErr = err
		}
	case miss:
		c.misses++
	}
}

// add adds o's counts (keeping the first error).
func (c *counts) add(o counts) {
	c.requests += o.requests
	c.errors += o.errors
	c.misses += o.misses
	if c.firstErr == nil {
		c.firstErr = o.firstErr
	}
}

// result is one measured step.
type result struct {
	counts
	seconds float64
	hist    *hdrhistogram.Histogram
}

func sweep(ctx context.Context, c config, stderr io.Writer) error {
	f, err := os.OpenFile(c.out, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return fmt.Errorf("-out: %w", err)
	}
	defer f.Close()
	// The header goes in once, before the first row; comment lines a driver
	// wrote first (the machine, the command) may precede it.
	existing, err := os.ReadFile(c.out)
	if err != nil {
		return fmt.Errorf("-out: %w", err)
	}
	header := csvHeader
	if len(c.rates) > 0 {
		header = openCSVHeader
	}
	if !slices.Contains(strings.Split(string(existing), "\n"), header) {
		fmt.Fprintln(f, header)
	}
	about, err := fetchAbout(ctx, c.base)
	if err != nil {
		return err
	}
	fmt.Fprintf(f, "# server: %s\n", about)
	if c.prefill {
		start := time.Now()
		n, err := prefill(ctx, c.base, c.traces)
		if err != nil {
			return err
		}
		fmt.Fprintf(stderr, "ch4-load: %s %s: prefilled %d keys in %.1f s\n", c.lang, c.mapName, n, time.Since(start).Seconds())
	}
	if len(c.rates) > 0 {
		return openSweep(ctx, c, f, stderr)
	}
	return eachStep(c, len(c.conns), stderr, func(t *trace.Trace, rep, i int, cursors []int) (failures, error) {
		n := c.conns[i]
		r, err := runStep(ctx, c.base, t, n, cursors, c.warmup, c.duration)
		if err != nil {
			return failures{}, err
		}
		rps := float64(r.requests) / r.seconds
		q := func(p float64) float64 { return float64(r.hist.ValueAtQuantile(p)) / 1e3 }
		fmt.Fprintf(f, "%s,%s,%s,%d,%d,%d,%d,%d,%.3f,%.1f,%.1f,%.1f,%.1f,%.1f,%.1f\n",
			c.lang, c.mapName, t.Header().Name, n, rep, r.requests, r.errors, r.misses, r.seconds, rps,
			q(50), q(90), q(99), q(99.9), float64(r.hist.Max())/1e3)
		fmt.Fprintf(stderr, "ch4-load: %s %s %s repeat %d/%d, %2d conns: %8.0f req/s, p99 %7.1f µs\n",
			c.lang, c.mapName, t.Header().Name, rep, c.repeats, n, rps, q(99))
		return failures{r.errors, r.firstErr}, nil
	})
}

// failures is how many of a step's requests failed, and the first error.
type failures struct {
	n     int64
	first error
}

// eachStep calls step for every trace, repeat and step index in that order,
// with the trace's op cursors (kept across steps, so each step goes on where
// the last one stopped), and sums the failed requests the steps report.
func eachStep(c config, steps int, stderr io.Writer,
	step func(t *trace.Trace, rep, i int, cursors []int) (failures, error)) error {
	total := int64(0)
	for _, t := range c.traces {
		cursors := make([]int, t.Header().Threads)
		for rep := 1; rep <= c.repeats; rep++ {
			for i := range steps {
				failed, err := step(t, rep, i, cursors)
				if err != nil {
					return err
				}
				if failed.n > 0 {
					total += failed.n
					fmt.Fprintf(stderr, "ch4-load: %d failed requests, the first: %v\n", failed.n, failed.first)
				}
			}
		}
	}
	if total > 0 {
		return fmt.Errorf("%d requests failed (the rows count them in `errors`)", total)
	}
	return nil
}

func fetchAbout(ctx context.Context, base string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, "GET", base+"/about", nil)
	if err != nil {
		return "", fmt.Errorf("-url: %w", err)
	}
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		return "", fmt.Errorf("-url: the server does not answer: %w", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	if resp.StatusCode != 200 {
		return "", fmt.Errorf("-url: GET /about: status %d", resp.StatusCode)
	}
	return strings.Join(strings.Fields(string(body)), " "), nil
}

// newClient returns a client that keeps exactly conns connections open.
func newClient(conns int) (*http.Client, *http.Transport) {
	tr := &http.Transport{
		MaxConnsPerHost:     conns,
		MaxIdleConnsPerHost: conns,
		MaxIdleConns:        conns,
		DisableCompression:  true,
		IdleConnTimeout:     time.Minute,
	}
	return &http.Client{Transport: tr, Timeout: 10 * time.Second}, tr
}

// ANCHOR: request
// send makes op's request and reads the whole answer, so the connection goes
// back to the pool for the next one. A GET may hit (200) or miss (404, and the
// server fills the key); a PUT must answer 204.
func send(ctx context.Context, client *http.Client, base string, op trace.Op) (miss bool, err error) {
	url := base + "/k/" + strconv.FormatUint(op.Key, 10)
	var req *http.Request
	if op.Kind == trace.Get {
		req, err = http.NewRequestWithContext(ctx, "GET", url, nil)
	} else {
		req, err = http.NewRequestWithContext(ctx, "PUT", url, strings.NewReader(strconv.FormatUint(op.Value, 10)))
	}
	if err != nil {
		return false, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return false, err
	}
	_, err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	switch {
	case err != nil:
		return false, err
	case op.Kind == trace.Get && resp.StatusCode == http.StatusNotFound:
		return true, nil
	case op.Kind == trace.Get && resp.StatusCode == http.StatusOK,
		op.Kind != trace.Get && resp.StatusCode == http.StatusNoContent:
		return false, nil
	}
	return false, fmt.Errorf("%s %s: status %d", req.Method, url, resp.StatusCode)
}

// ANCHOR_END: request

// ANCHOR: step
// runStep drives conns connections in a closed loop: connection i sends trace
// thread i's ops from cursors[i] on, wrapping around. Only requests that start
// after the warm-up and end before the window closes are counted, so the
// rate is requests completed per second of the window.
func runStep(ctx context.Context, base string, t *trace.Trace, conns int, cursors []int,
	warmup, duration time.Duration) (result, error) {
	client, transport := newClient(conns)
	defer transport.CloseIdleConnections()
	start := time.Now().Add(warmup)
	end := start.Add(duration)
	parts := make([]result, conns)
	var wg sync.WaitGroup
	for i := range conns {
		wg.Go(func() {
			ops := t.Thread(i)
			p := &parts[i]
			p.hist = hdrhistogram.New(1, int64(10*time.Second), 3)
			for {
				t0 := time.Now()
				if !t0.Before(end) || ctx.Err() != nil {
					return
				}
				op := ops.At(cursors[i])
				cursors[i] = (cursors[i] + 1) % ops.Len()
				miss, err := send(ctx, client, base, op)
				t1 := time.Now()
				if t0.Before(start) || t1.After(end) {
					continue // warm-up, or straddles the end of the window
				}
				p.record(miss, err)
				p.hist.RecordValue(t1.Sub(t0).Nanoseconds())
			}
		})
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return result{}, fmt.Errorf("interrupted; the finished rows are kept: %w", err)
	}
	total := result{seconds: duration.Seconds(), hist: hdrhistogram.New(1, int64(10*time.Second), 3)}
	for _, p := range parts {
		total.add(p.counts)
		total.hist.Merge(p.hist)
	}
	return total, nil
}

// ANCHOR_END: step

// prefill PUTs each trace's prefill keys (once per key) over prefillConns
// connections and returns how many it sent.
func prefill(ctx context.Context, base string, traces []*trace.Trace) (int, error) {
	seen := make(map[uint64]bool)
	var ops []trace.Op
	for _, t := range traces {
		for i := range t.PrefillLen() {
			if op := t.Prefill(i); !seen[op.Key] {
				seen[op.Key] = true
				ops = append(ops, op)
			}
		}
	}
	client, transport := newClient(prefillConns)
	defer transport.CloseIdleConnections()
	errs := make([]error, prefillConns)
	var wg sync.WaitGroup
	for w := range prefillConns {
		wg.Go(func() {
			for i := w; i < len(ops) && errs[w] == nil; i += prefillConns {
				_, errs[w] = send(ctx, client, base, ops[i])
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return 0, fmt.Errorf("prefill: %w", err)
	}
	return len(ops), nil
}
