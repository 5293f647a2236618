package runner

import (
	"bufio"
	"cmp"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"sync/atomic"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"

	"concurrentmaps/maps"
	"concurrentmaps/trace"
)

// Exit statuses.
const (
	ExitOK          = 0
	ExitFailed      = 1   // the run failed after it started (I/O error, a panic in the map): run_end status "error"
	ExitBadInput    = 2   // bad flags, trace, map, out dir or run id; nothing written
	ExitInterrupted = 130 // SIGINT: run_end status "interrupted"
)

// Main runs the runner with args (without the program name), writing the
// bench line to stdout and messages to stderr, and returns the exit status.
func Main(args []string, stdout, stderr io.Writer) int {
	cfg, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return ExitOK
	}
	if err != nil {
		fmt.Fprintf(stderr, "runner: %v\n", err)
		return ExitBadInput
	}
	if cfg.ListMaps {
		if err := listMaps(stdout); err != nil {
			fmt.Fprintf(stderr, "runner: --list-maps: %v\n", err)
			return ExitFailed
		}
		return ExitOK
	}
	r, err := prepare(cfg)
	if err != nil {
		fmt.Fprintf(stderr, "runner: %v\n", err)
		return ExitBadInput
	}
	defer r.close()
	if !r.traceVerified {
		fmt.Fprintf(stderr, "runner: warning: %s: not found, so %s was checked against its format only, not against its SHA-256 (`mapbench trace` writes both)\n",
			trace.SidecarPath(cfg.TracePath), cfg.TracePath)
	}
	return r.run(stdout, stderr)
}

// listMaps prints one JSON line per registry map (noop is not in it).
func listMaps(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	for _, e := range maps.All() {
		if err := enc.Encode(listEntry{Name: e.Info.Name, Kinds: e.Kinds(), implInfo: implInfoOf(e.Info)}); err != nil {
			return err
		}
	}
	return nil
}

func implInfoOf(i maps.Info) implInfo {
	ii := implInfo{CrateOrPackage: i.Implementation, Version: i.Version, Hasher: i.Hasher, Notes: i.Notes, Description: i.Description}
	if i.MaxGoroutines > 0 {
		n := i.MaxGoroutines
		ii.MaxThreads = &n
	}
	return ii
}

// run is one prepared run: validated input, open output files.
type run struct {
	cfg  Config
	argv []string
	tr   *trace.Trace
	// traceVerified: PATH.sha256 existed and matched (false: there was none).
	traceVerified bool
	header        trace.Header
	entry         maps.Entry
	kv            kvSetup // the map, for string keys or boxed values; nil: entry.New
	threads       int
	delay         spinDelay // --op-delay-ns, calibrated before the workers start

	jsonl *recordWriter
	hlogF *os.File
	hlogB *bufio.Writer
	hlog  *hlogWriter
}

// prepare validates everything that can be bad input and creates the two
// results files (O_EXCL: an existing file is never overwritten).
func prepare(cfg Config) (*run, error) {
	// Checked against PATH.sha256 here, before anything is created or timed.
	tr, verified, err := trace.OpenVerified(cfg.TracePath)
	if err != nil {
		return nil, fmt.Errorf("--trace: %w", err)
	}
	entry, err := lookupMap(cfg.MapName)
	if err != nil {
		return nil, fmt.Errorf("--map: %v, or %s (the harness alone)", err, NoopName)
	}
	h := tr.Header()
	threads := int(h.Threads)
	if err := entry.CheckGoroutines(threads); err != nil {
		return nil, fmt.Errorf("--map: %v (the trace %s has %d op streams, one goroutine each)", err, cfg.TracePath, threads)
	}
	if err := entry.CheckKinds(h.KeyType != trace.KeyU64, h.ValueKind != trace.ValueU64); err != nil {
		return nil, fmt.Errorf("%v, but --trace %s has %s keys and %s values; expected a map that comes in those types", err, cfg.TracePath, h.KeyType, h.ValueKind)
	}
	if err := os.MkdirAll(cfg.OutDir, 0o755); err != nil {
		return nil, fmt.Errorf("--out-dir: cannot create the results directory: %w", err)
	}
	jsonlPath := filepath.Join(cfg.OutDir, cfg.RunID+".jsonl")
	hlogPath := filepath.Join(cfg.OutDir, cfg.RunID+".hlog")
	for _, p := range []string{jsonlPath, hlogPath} {
		if _, err := os.Lstat(p); err == nil {
			return nil, fmt.Errorf("--run-id %s: %s already exists; expected a new run id (nothing was overwritten)", cfg.RunID, p)
		}
	}
	jf, err := createNew(jsonlPath, cfg.RunID)
	if err != nil {
		return nil, err
	}
	hf, err := createNew(hlogPath, cfg.RunID)
	if err != nil {
		jf.Close()
		os.Remove(jsonlPath) // ours, and empty
		return nil, err
	}
	hb := bufio.NewWriterSize(hf, 64<<10)
	return &run{
		cfg: cfg, argv: os.Args, tr: tr, traceVerified: verified, header: h, entry: entry, threads: threads,
		jsonl: newRecordWriter(jf),
		hlogF: hf, hlogB: hb, hlog: newHlogWriter(hb),
	}, nil
}

func createNew(path, runID string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	switch {
	case errors.Is(err, fs.ErrExist):
		return nil, fmt.Errorf("--run-id %s: %s already exists; expected a new run id (nothing was overwritten)", runID, path)
	case err != nil:
		return nil, fmt.Errorf("--out-dir: cannot create a results file: %w", err)
	}
	return f, nil
}

func (r *run) close() {
	r.jsonl.f.Close()
	r.hlogF.Close()
}

// recordWriter writes JSON lines, each flushed to the file as it is written.
// The first error sticks.
type recordWriter struct {
	f   *os.File
	b   *bufio.Writer
	enc *json.Encoder
	err error
}

func newRecordWriter(f *os.File) *recordWriter {
	b := bufio.NewWriterSize(f, 64<<10)
	enc := json.NewEncoder(b)
	enc.SetEscapeHTML(false)
	return &recordWriter{f: f, b: b, enc: enc}
}

func (w *recordWriter) write(v any) error {
	if w.err == nil {
		w.err = w.enc.Encode(v)
	}
	if w.err == nil {
		w.err = w.b.Flush()
	}
	return w.err
}

// The run proper. Everything after prepare is a run: failures from here on
// are reported in run_end (status "error", exit 1), not as bad input.
func (r *run) run(stdout, stderr io.Writer) int {
	var stop, interrupted atomic.Bool
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt)
	quit := make(chan struct{})
	defer func() { signal.Stop(sigs); close(quit) }()
	go func() {
		for {
			select {
			case <-sigs:
				interrupted.Store(true)
				stop.Store(true)
			case <-quit:
				return
			}
		}
	}()

	gomaxprocs, source := setGOMAXPROCS(r.threads)
	capacity, _ := r.header.PresizeCapacity()
	r.delay = calibrateSpin(r.cfg.OpDelayNs)
	if r.cfg.OpWorkSteps > 0 {
		// Uncalibrated: the same instructions per op on any machine and under valgrind.
		r.delay = spinDelay{steps: uint64(r.cfg.OpWorkSteps)}
	}
	if err := r.jsonl.write(r.runStart(capacity, runtimeSettings(gomaxprocs, source))); err != nil {
		fmt.Fprintf(stderr, "runner: writing %s: %v\n", r.jsonl.f.Name(), err)
		return ExitFailed
	}

	// Prefill, untimed, on this goroutine. String keys are built first.
	var m maps.Map
	var prefillCreated uint64
	kv, err := newKV(r.entry, r.header, int(min(capacity, math.MaxInt)))
	if err != nil { // checked in prepare
		fmt.Fprintf(stderr, "runner: %v\n", err)
		return ExitFailed
	}
	r.kv = kv
	if kv == nil {
		m = r.entry.New(int(min(capacity, math.MaxInt)))
	}
	prefillStart := time.Now()
	if kv != nil {
		prefillCreated = kv.prefill(r.tr, &stop)
	} else {
		prefillCreated, _ = prefillMap(m, r.tr, &stop)
	}
	prefillNs := int64(time.Since(prefillStart))

	res := r.measure(m, &stop)

	end := runEndRecord{
		Type: "run_end", Status: "ok", ElapsedNs: res.coll.endNs, PrefillNs: prefillNs,
		Ops: opsOf(&res.total), Hits: hitsOf(&res.total), LatNs: latOf(res.totalHist),
		Checksum: fmt.Sprintf("0x%016x", res.coll.checksum),
		GC: &gcRunJSON{
			Cycles:       res.last.cycles - res.base.cycles,
			PauseTotalNs: res.pauseSum,
			PauseMaxNs:   res.pauseMax,
		},
		WarmupNs: res.warmupNs, Intervals: res.intervals,
		AllocBytes:   res.last.allocBytes - res.base.allocBytes,
		AllocObjects: res.last.allocObjects - res.base.allocObjects,
	}
	if res.coll.endNs > 0 {
		end.ThroughputOpsPerS = float64(res.total.total()) / (float64(res.coll.endNs) / 1e9)
	}
	// Each insert that created a key adds one, each remove that found one
	// takes one away (exact for a linearizable map).
	created := prefillCreated + res.coll.warmupInsertNew + res.total.hits[kindInsert]
	removed := res.coll.warmupRemoveHits + res.total.hits[kindRemove]
	if created >= removed {
		end.FinalLen = created - removed
	}
	status := ExitOK
	switch err := cmp.Or(res.coll.err, res.writeErr); {
	case err != nil:
		msg := err.Error()
		end.Status, end.Error, status = "error", &msg, ExitFailed
		fmt.Fprintf(stderr, "runner: %s\n", msg)
	case interrupted.Load():
		end.Status, status = "interrupted", ExitInterrupted
		fmt.Fprintf(stderr, "runner: interrupted: stopped after %d intervals\n", res.intervals)
	}
	if err := r.jsonl.write(end); err != nil {
		fmt.Fprintf(stderr, "runner: writing %s: %v\n", r.jsonl.f.Name(), err)
		return ExitFailed
	}
	if status == ExitOK {
		fmt.Fprintln(stdout, benchLine(r.header.Name, r.entry.Info.Name, r.threads, res.total.total(), res.coll.endNs,
			end.LatNs, end.AllocBytes, end.AllocObjects))
	}
	return status
}

// runStart is the run_start record; it measures the timer's overhead.
func (r *run) runStart(capacity uint64, rt goRuntime) runStartRecord {
	cfg, h := r.cfg, r.header
	return runStartRecord{
		Type: "run_start", Schema: schemaVersion, RunID: cfg.RunID, Lang: "go",
		Impl: r.entry.Info.Name, ImplInfo: implInfoOf(r.entry.Info),
		Workload: h.Name, TracePath: cfg.TracePath, TraceSHA256: r.tr.SHA256(),
		KeySpace: h.KeySpace, Threads: r.threads, OpsPerThread: h.OpsPerThread, Prefill: h.PrefillCount,
		Presize: h.Presize, Capacity: capacity, KeyIDBound: h.KeyIDBound,
		MixBP:        mixJSON{Get: h.Mix.Get, Insert: h.Mix.Insert, Update: h.Mix.Update, Remove: h.Mix.Remove},
		Distribution: distributionJSON(h.Distribution),
		KeyType:      h.KeyType.String(), ValueKind: h.ValueKind.String(),
		DurationMs: cfg.DurationMs, WarmupOps: cfg.WarmupOps, IntervalMs: cfg.IntervalMs, OpDelayNs: cfg.OpDelayNs,
		OpDelaySteps: r.delay.steps, OpDelayNsPerStep: r.delay.nsPerStep,
		Latency: latencyCfg{
			SampleEvery:       cfg.SampleEvery,
			Sampling:          samplingPolicyOf(uint64(cfg.SampleEvery)),
			Clock:             "CLOCK_MONOTONIC (vDSO)",
			TimerOverheadNs:   measureTimerOverhead(timerReads),
			TimerOverheadHow:  fmt.Sprintf("median of %d empty timed regions, time.Since(time.Now())", timerReads),
			HdrLowestNs:       hdrLowestNs,
			HdrHighestNs:      hdrHighestNs,
			HdrSigFigs:        hdrSigFigs,
			TimedRegion:       "the map call only: time.Now() after decoding the op, time.Since() before counting its result",
			PercentileRanking: "hdrhistogram-go ValueAtQuantile: highest equivalent value at rank round-half-up(q*count), min 1",
		},
		Toolchain: runtime.Version(),
		Runtime:   rt,
		Host:      hostInfoNow(),
		GitCommit: gitCommit(),
		StartedAt: time.Now().UTC().Format("2006-01-02T15:04:05.000Z07:00"),
		Argv:      r.argv,
	}
}

// measured is what the measured phase leaves for run_end.
type measured struct {
	coll               *collector
	total              opCounts
	totalHist          *hdr.Histogram // nil when latency is off
	base, last         procSnapshot   // process metrics at t0 and at the last interval's close
	intervals          int64
	pauseSum, pauseMax int64
	warmupNs           int64
	writeErr           error
}

// measure runs the workers (warm-up, barrier, measured phase) and, on this
// goroutine, the collector, which writes the interval records and the .hlog.
func (r *run) measure(m maps.Map, stop *atomic.Bool) *measured {
	cfg := r.cfg
	K := uint64(cfg.SampleEvery)
	p := &phase{
		intervalNs: cfg.IntervalMs * int64(time.Millisecond),
		durationNs: cfg.DurationMs * int64(time.Millisecond),
		warmupOps:  uint64(cfg.WarmupOps),
		stop:       stop,
		start:      make(chan struct{}),
		contribs:   make(chan contribution, 4*r.threads),
		histFree:   make([]chan *hdr.Histogram, r.threads),
	}
	workers := make([]*worker, r.threads)
	for i := range workers {
		workers[i] = newWorker(m, r.tr.Thread(i), K, r.delay.steps)
		if r.kv != nil {
			workers[i].kv = r.kv
		}
		p.histFree[i] = make(chan *hdr.Histogram, 2)
		if K > 0 {
			p.histFree[i] <- newLatencyHistogram()
		}
	}
	// Everything the collector needs is allocated now, not on the measured clock.
	res := &measured{coll: newCollector(r.threads, p.intervalNs, K > 0, p.histFree)}
	res.coll.reserve(2)
	if K > 0 {
		res.totalHist = newLatencyHistogram()
	}
	emptyHist := newLatencyHistogram() // the .hlog's histogram for intervals when latency is off
	sampler := newProcSampler()
	var prev, cur procSnapshot

	p.ready.Add(r.threads)
	warmStart := time.Now()
	for i, w := range workers {
		go runWorker(p, i, w)
	}
	p.ready.Wait()
	res.warmupNs = int64(time.Since(warmStart))
	runtime.GC() // the prefill's garbage is not the measured phase's (as testing.B does)
	sampler.read(&prev, 0)
	res.base = prev
	res.base.pauses, res.base.sched = nil, nil
	t0 := time.Now()
	p.t0 = t0
	close(p.start)

	fail := func(err error) {
		if err != nil && res.writeErr == nil {
			res.writeErr = err
			stop.Store(true) // no point replaying what cannot be written
		}
	}
	if err := r.hlog.writeHeader(t0); err != nil {
		fail(err)
	}
	writeClosed := func(closed []closedInterval) {
		if len(closed) == 0 {
			return
		}
		sampler.read(&cur, int64(time.Since(t0)))
		first := sampler.delta(&prev, &cur)
		prev, cur = cur, prev
		for i, ci := range closed {
			met := first
			if i > 0 { // closed together: the deltas went to the first
				met = sampler.delta(&prev, &prev)
			}
			hist := cmp.Or(ci.hist, emptyHist)
			if res.writeErr == nil {
				// The .hlog line first: every interval record has its histogram.
				err := r.hlog.writeInterval(float64(ci.startNs)/1e9, float64(ci.endNs-ci.startNs)/1e9, hist)
				fail(cmp.Or(err, r.hlogB.Flush()))
			}
			if res.writeErr == nil {
				fail(r.jsonl.write(intervalRecord{
					Type: "interval", Index: ci.index, TStartNs: ci.startNs, TEndNs: ci.endNs,
					Ops: opsOf(&ci.counts), Hits: hitsOf(&ci.counts), LatNs: latOf(ci.hist),
					intervalMetrics: met,
				}))
			}
			res.total.add(&ci.counts)
			if res.totalHist != nil {
				res.totalHist.Merge(ci.hist)
			}
			res.pauseSum += met.GC.PauseTotalNs
			for _, ns := range met.GC.PausesNs {
				res.pauseMax = max(res.pauseMax, ns)
			}
			res.intervals++
			res.coll.recycle(ci.intervalAcc)
		}
	}
	for !res.coll.allDone() {
		res.coll.add(<-p.contribs)
	drain:
		for {
			select {
			case x := <-p.contribs:
				res.coll.add(x)
			default:
				break drain
			}
		}
		writeClosed(res.coll.closable())
	}
	writeClosed(res.coll.closable())
	res.last = prev
	return res
}
