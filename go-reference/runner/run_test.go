package runner

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"concurrentmaps/maps"
)

// mainInProcess runs Main in this process (under go test -race, the runner's
// own goroutines are race-checked) and returns its exit status and output.
func mainInProcess(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	keepGOMAXPROCS(t)
	var stdout, stderr bytes.Buffer
	code := Main(args, &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

var benchLineRE = regexp.MustCompile(`^BenchmarkReplay/workload=(\S+)/map=(\S+)/lang=go/threads=(\d+) \t(\d+) \t[0-9.]+ ns/op \t[0-9]+ ops/s( \t\d+ p99-ns)? \t[0-9.]+ B/op \t[0-9.]+ allocs/op\n$`)

// Every map (noop too) replays the 2-thread golden trace; unsync-map, limited
// to one goroutine, is refused as bad input. The results files parse, hold
// the right records in the right order, and agree with each other, the trace
// and the bench line.
func TestRunEveryMapOnGoldenTrace(t *testing.T) {
	sum := goldenSummaryOf(t)
	var wantOps opsJSON
	for _, th := range sum.Threads {
		wantOps.Get += th.Get
		wantOps.Insert += th.Insert
		wantOps.Update += th.Update
		wantOps.Remove += th.Remove
	}
	wantOps.Total = wantOps.Get + wantOps.Insert + wantOps.Update + wantOps.Remove
	const K = 4
	// Each of the two workers times op 0, then one op per jittered gap
	// (sampling.go) over its 1000 ops.
	var wantSamples uint64
	for thread := range 2 {
		g := newSampleGaps(thread, K)
		for at := uint64(0); at < 1000; at += g.next() {
			wantSamples++
		}
	}

	names := append(maps.Names(), NoopName)
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			e, _ := lookupMap(name)
			dir := t.TempDir()
			code, stdout, stderr := mainInProcess(t, "--trace", goldenPath, "--map", name, "--out-dir", dir,
				"--run-id", "r1", "--interval-ms", "1", "--latency-sample-every", strconv.Itoa(K))
			if e.Info.MaxGoroutines == 1 {
				if code != ExitBadInput || !containsAll(stderr, "--map", name, "at most 1") {
					t.Fatalf("exit %d, stderr %q; want 2 and a message naming --map and the limit", code, stderr)
				}
				if entries, _ := os.ReadDir(dir); len(entries) != 0 {
					t.Errorf("bad input left files: %v", entries)
				}
				return
			}
			if code != ExitOK {
				t.Fatalf("exit %d, stderr:\n%s", code, stderr)
			}
			res := readJSONL(t, filepath.Join(dir, "r1.jsonl"))
			checkSpecKeys(t, res.lines)
			if !res.hasEnd || res.end.Status != "ok" || res.end.Error != nil {
				t.Fatalf("run_end %+v", res.end)
			}
			if res.start.Impl != name || res.start.Threads != 2 || res.start.Workload != "golden" ||
				res.start.Runtime.GOMAXPROCS != 2 || res.start.Latency.SampleEvery != K {
				t.Errorf("run_start %+v", res.start)
			}
			var ops opsJSON
			var samples uint64
			for _, iv := range res.intervals {
				ops.Get += iv.Ops.Get
				ops.Insert += iv.Ops.Insert
				ops.Update += iv.Ops.Update
				ops.Remove += iv.Ops.Remove
				ops.Total += iv.Ops.Total
				samples += iv.LatNs.Count
				if iv.GC == nil || iv.TEndNs < iv.TStartNs {
					t.Errorf("interval %d: %+v", iv.Index, iv)
				}
			}
			if ops != wantOps || res.end.Ops != wantOps {
				t.Errorf("ops: intervals %+v, run_end %+v; want %+v", ops, res.end.Ops, wantOps)
			}
			if samples != wantSamples || res.end.LatNs.Count != wantSamples {
				t.Errorf("latency samples: intervals %d, run_end %d; want %d", samples, res.end.LatNs.Count, wantSamples)
			}
			if last := res.intervals[len(res.intervals)-1]; last.TEndNs != res.end.ElapsedNs {
				t.Errorf("last interval ends at %d, run at %d", last.TEndNs, res.end.ElapsedNs)
			}
			wantLen := 500 + res.end.Hits.InsertNew - res.end.Hits.Remove
			if name == NoopName {
				wantLen = 0
			}
			if res.end.FinalLen != wantLen {
				t.Errorf("final_len %d, want %d", res.end.FinalLen, wantLen)
			}

			// The .hlog: one histogram per interval, the same counts.
			hs := readHlog(t, filepath.Join(dir, "r1.hlog"))
			if len(hs) != len(res.intervals) {
				t.Fatalf(".hlog has %d histograms, .jsonl %d intervals", len(hs), len(res.intervals))
			}
			var hlogTotal int64
			for i, h := range hs {
				hlogTotal += h.TotalCount()
				if uint64(h.TotalCount()) != res.intervals[i].LatNs.Count || h.Tag() != hlogTag {
					t.Errorf("interval %d: .hlog count %d tag %q, .jsonl count %d", i, h.TotalCount(), h.Tag(), res.intervals[i].LatNs.Count)
				}
			}
			if uint64(hlogTotal) != res.end.LatNs.Count {
				t.Errorf(".hlog total %d, run_end lat count %d", hlogTotal, res.end.LatNs.Count)
			}

			m := benchLineRE.FindStringSubmatch(stdout)
			if m == nil || m[1] != "golden" || m[2] != name || m[3] != "2" || m[4] != "2000" {
				t.Errorf("bench line %q", stdout)
			}
		})
	}
}

// --op-work-steps spins exactly the steps asked, with no calibration (no ns
// per step), and cannot be combined with --op-delay-ns (exit 2).
func TestRunOpWorkStepsIsAFixedCount(t *testing.T) {
	dir := t.TempDir()
	code, _, stderr := mainInProcess(t, "--trace", goldenPath, "--map", "noop", "--out-dir", dir,
		"--run-id", "w", "--latency-sample-every", "0", "--op-work-steps", "37")
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	res := readJSONL(t, filepath.Join(dir, "w.jsonl"))
	if res.start.OpDelaySteps != 37 || res.start.OpDelayNsPerStep != 0 || res.start.OpDelayNs != 0 {
		t.Errorf("run_start: steps %d, ns/step %v, delay %d ns; want 37, 0 (absent), 0",
			res.start.OpDelaySteps, res.start.OpDelayNsPerStep, res.start.OpDelayNs)
	}
	code, _, stderr = mainInProcess(t, "--trace", goldenPath, "--map", "noop", "--out-dir", dir,
		"--run-id", "w2", "--op-work-steps", "37", "--op-delay-ns", "5")
	if code != ExitBadInput || !strings.Contains(stderr, "op-work-steps") {
		t.Errorf("both delays: exit %d, stderr %q; want 2 naming --op-work-steps", code, stderr)
	}
}

// --duration-ms loops the streams: every worker stops at its first clock
// check (every 1024 ops) at or past the duration, so the run covers at
// least the duration and each worker did whole chunks.
func TestRunDurationModeWraps(t *testing.T) {
	dir := t.TempDir()
	code, _, stderr := mainInProcess(t, "--trace", goldenPath, "--map", "xsync-map", "--out-dir", dir,
		"--run-id", "d", "--interval-ms", "10", "--duration-ms", "50", "--latency-sample-every", "0", "--warmup-ops", "1500",
		"--op-delay-ns", "100")
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	res := readJSONL(t, filepath.Join(dir, "d.jsonl"))
	if res.end.ElapsedNs < 50e6 || len(res.intervals) < 5 {
		t.Errorf("elapsed %d ns over %d intervals; want >= 50 ms, >= 5 intervals", res.end.ElapsedNs, len(res.intervals))
	}
	if res.end.Ops.Total%clockCheckEvery != 0 || res.end.Ops.Total < 2000 {
		t.Errorf("%d ops: want whole 1024-op chunks, more than one pass", res.end.Ops.Total)
	}
	if res.end.LatNs.Count != 0 {
		t.Errorf("latency off, but %d samples", res.end.LatNs.Count)
	}
	if hs := readHlog(t, filepath.Join(dir, "d.hlog")); len(hs) != len(res.intervals) {
		t.Errorf(".hlog has %d histograms, want one (empty) per interval: %d", len(hs), len(res.intervals))
	}
}

func TestListMaps(t *testing.T) {
	code, stdout, stderr := mainInProcess(t, "--list-maps")
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var names []string
	s := bufio.NewScanner(strings.NewReader(stdout))
	for s.Scan() {
		var e map[string]any
		if err := json.Unmarshal(s.Bytes(), &e); err != nil {
			t.Fatalf("%q: %v", s.Text(), err)
		}
		for _, k := range []string{"name", "crate_or_package", "version", "hasher", "notes"} {
			if _, ok := e[k]; !ok {
				t.Errorf("%q lacks %q", s.Text(), k)
			}
		}
		name := e["name"].(string)
		names = append(names, name)
		// kinds must agree with what CheckKinds accepts, so mapbench skips exactly
		// the cells the runner would refuse.
		listed := map[string]bool{}
		kinds, _ := e["kinds"].([]any)
		for _, k := range kinds {
			listed[k.(string)] = true
		}
		entry, _ := maps.Lookup(name)
		for _, c := range []struct {
			kind           string
			strings, boxed bool
		}{{"u64/u64", false, false}, {"string/u64", true, false}, {"u64/boxed", false, true}, {"string/boxed", true, true}} {
			if accepted := entry.CheckKinds(c.strings, c.boxed) == nil; accepted != listed[c.kind] {
				t.Errorf("%s: kinds %v lists %s = %v, but CheckKinds accepts it = %v", name, kinds, c.kind, listed[c.kind], accepted)
			}
		}
	}
	if strings.Join(names, ",") != strings.Join(maps.Names(), ",") {
		t.Errorf("listed %v, want the registry %v", names, maps.Names())
	}
}

// An existing results file for the run id is bad input, and stays as it was.
func TestRefusesToOverwriteResults(t *testing.T) {
	for _, existing := range []string{"r.jsonl", "r.hlog"} {
		dir := t.TempDir()
		path := filepath.Join(dir, existing)
		if err := os.WriteFile(path, []byte("keep me\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		code, _, stderr := mainInProcess(t, "--trace", goldenPath, "--map", "noop", "--out-dir", dir, "--run-id", "r")
		if code != ExitBadInput || !containsAll(stderr, "--run-id", path, "already exists") {
			t.Errorf("%s exists: exit %d, stderr %q; want 2 naming it", existing, code, stderr)
		}
		if b, _ := os.ReadFile(path); string(b) != "keep me\n" {
			t.Errorf("%s was changed: %q", existing, b)
		}
		if entries, _ := os.ReadDir(dir); len(entries) != 1 {
			t.Errorf("files left: %v", entries)
		}
	}
}

// panicMap panics on its n-th Get (counted across goroutines).
type panicMap struct {
	noopMap
	gets, at atomic.Int64
}

func (m *panicMap) Get(uint64) (uint64, bool) {
	if m.gets.Add(1) == m.at.Load() {
		panic("injected failure")
	}
	return 0, false
}

// A map that panics: the workers stop, run_end has status "error" and the
// message, the exit status is 1, and the records written so far stay valid.
func TestRunEndsWithErrorWhenTheMapPanics(t *testing.T) {
	for _, at := range []int64{1, 3000} { // during warm-up, during the measured phase
		pm := &panicMap{}
		pm.at.Store(at)
		extraMaps = []maps.Entry{{Info: maps.Info{Name: "panic-map"}, New: func(int) maps.Map { return pm }}}
		t.Cleanup(func() { extraMaps = nil })
		dir := t.TempDir()
		code, stdout, stderr := mainInProcess(t, "--trace", goldenPath, "--map", "panic-map", "--out-dir", dir,
			"--run-id", "p", "--warmup-ops", "500", "--duration-ms", "60000", "--interval-ms", "1")
		res := readJSONL(t, filepath.Join(dir, "p.jsonl"))
		if code != ExitFailed || res.end.Status != "error" || res.end.Error == nil ||
			!strings.Contains(*res.end.Error, "injected failure") || !strings.Contains(stderr, "injected failure") || stdout != "" {
			t.Errorf("panic at get %d: exit %d, run_end %+v, stderr %q, stdout %q", at, code, res.end, stderr, stdout)
		}
	}
}
