package runner

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"concurrentmaps/internal/demo"
	"concurrentmaps/maps"
	"concurrentmaps/trace"
)

// The built binary, as the orchestrator runs it: exit statuses, messages,
// signals.

const runnerPkg = "concurrentmaps/cmd/runner"

func buildRunner(t *testing.T) string {
	t.Helper()
	return demo.BuildForTest(t, runnerPkg, demo.BuildOptions{})
}

func runBinary(t *testing.T, bin string, args ...string) demo.Outcome {
	t.Helper()
	return demo.RunForTest(t, demo.RunSpec{Bin: bin, Args: args, Timeout: 2 * time.Minute})
}

// Bad input: exit status 2, a message naming the flag or file and what was
// expected, and no results file written.
func TestBinaryBadInputExits2(t *testing.T) {
	bin := buildRunner(t)
	tmp := t.TempDir()
	golden, err := os.ReadFile(goldenPath)
	if err != nil {
		t.Fatal(err)
	}
	write := func(name string, b []byte) string {
		p := filepath.Join(tmp, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	garbled := write("garbled.trace", append([]byte("NOTATRAC"), golden[8:]...))
	truncated := write("truncated.trace", golden[:len(golden)-8])
	empty := write("empty.trace", nil)
	aFile := write("a-file", []byte("x"))
	missing := filepath.Join(tmp, "missing.trace")

	for _, c := range []struct {
		name string
		args []string // after the defaults below, which later flags override
		want []string // substrings of stderr
	}{
		{"no flags", []string{}, []string{"--trace", "required"}},
		{"missing trace", []string{"--trace", missing}, []string{"--trace", missing, "cannot read trace"}},
		{"garbled trace", []string{"--trace", garbled}, []string{"--trace", garbled, `expected magic "MAPTRACE"`}},
		{"truncated trace", []string{"--trace", truncated}, []string{"--trace", truncated, "truncated op stream", "expected"}},
		{"empty trace", []string{"--trace", empty}, []string{"--trace", empty, "truncated header"}},
		{"unknown map", []string{"--map", "no-such-map"}, []string{"--map", `"no-such-map"`, "mutex-map", "noop"}},
		{"unsync-map on 2 threads", []string{"--map", "unsync-map"}, []string{"--map", "unsync-map", "at most 1", "2 op streams"}},
		{"out-dir is a file", []string{"--out-dir", filepath.Join(aFile, "sub")}, []string{"--out-dir", aFile}},
		{"interval 0", []string{"--interval-ms", "0"}, []string{"--interval-ms", ">= 1", "found 0"}},
		{"negative sampling", []string{"--latency-sample-every", "-1"}, []string{"--latency-sample-every", "found -1"}},
		{"not a number", []string{"--duration-ms", "soon"}, []string{"duration-ms", "soon"}},
		{"unknown flag", []string{"--threads", "4"}, []string{"threads"}},
		{"stray argument", []string{"extra"}, []string{`unexpected argument "extra"`}},
		{"run id with a slash", []string{"--run-id", "a/b"}, []string{"--run-id", `"a/b"`}},
	} {
		t.Run(c.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "out")
			args := []string{"--trace", goldenPath, "--map", "mutex-map", "--out-dir", out, "--run-id", "r"}
			if c.name == "no flags" {
				args = nil
			}
			o := runBinary(t, bin, append(args, c.args...)...)
			if !o.Exited || o.ExitStatus != ExitBadInput || !containsAll(o.Stderr, c.want...) {
				t.Errorf("want exit 2 and stderr containing %q; got %s", c.want, o)
			}
			if entries, _ := os.ReadDir(out); len(entries) != 0 {
				t.Errorf("bad input left files in the out dir: %v", entries)
			}
		})
	}

	t.Run("existing run id", func(t *testing.T) {
		out := t.TempDir()
		args := []string{"--trace", goldenPath, "--map", "noop", "--out-dir", out, "--run-id", "r", "--interval-ms", "1"}
		if o := runBinary(t, bin, args...); o.ExitStatus != ExitOK {
			t.Fatalf("first run: %s", o)
		}
		before, _ := os.ReadFile(filepath.Join(out, "r.jsonl"))
		o := runBinary(t, bin, args...)
		if o.ExitStatus != ExitBadInput || !containsAll(o.Stderr, "--run-id", "r.jsonl", "already exists") {
			t.Errorf("second run: want exit 2 naming r.jsonl; got %s", o)
		}
		if after, _ := os.ReadFile(filepath.Join(out, "r.jsonl")); !bytes.Equal(before, after) {
			t.Errorf("r.jsonl was overwritten")
		}
	})
}

// A single-thread run is deterministic, so its result checksum is comparable
// across languages: the golden trace cut to thread 0, through the binary,
// against every map (unsync-map too: one goroutine is its limit) gives the
// reference replay's checksum, hits and final length. The Rust runner must
// report the same checksum for the same trace.
func TestBinarySingleThreadChecksum(t *testing.T) {
	bin := buildRunner(t)
	path := singleThreadGolden(t, t.TempDir())
	tr, err := trace.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	ref := referenceReplay(tr)
	t.Logf("single-thread golden (thread 0): checksum 0x%016x, final_len %d", ref.checksum, ref.finalLen)
	for _, name := range append(maps.Names(), NoopName) {
		out := t.TempDir()
		o := runBinary(t, bin, "--trace", path, "--map", name, "--out-dir", out, "--run-id", "one", "--latency-sample-every", "1")
		if o.ExitStatus != ExitOK {
			t.Errorf("%s: %s", name, o)
			continue
		}
		res := readJSONL(t, filepath.Join(out, "one.jsonl"))
		want := ref
		if name == NoopName { // every get a miss, nothing stored
			want = referenceResult{checksum: noopChecksum(tr)}
		}
		got := res.end
		if got.Checksum != fmt.Sprintf("0x%016x", want.checksum) || got.FinalLen != want.finalLen ||
			got.Hits.Get != want.getHits || got.Hits.InsertNew != want.insertNew ||
			got.Hits.Update != want.updateHits || got.Hits.Remove != want.removeHits {
			t.Errorf("%s: run_end %+v; want checksum 0x%016x, final_len %d, hits %d/%d/%d/%d", name, got,
				want.checksum, want.finalLen, want.getHits, want.insertNew, want.updateHits, want.removeHits)
		}
		if res.start.Runtime.GOMAXPROCS != 1 || got.LatNs.Count != 1000 {
			t.Errorf("%s: GOMAXPROCS %d, %d samples; want 1 and 1000", name, res.start.Runtime.GOMAXPROCS, got.LatNs.Count)
		}
	}
}

func noopChecksum(t *trace.Trace) uint64 {
	acc := uint64(checksumInit)
	ops := t.Thread(0)
	for i := 0; i < ops.Len(); i++ {
		if ops.At(i).Kind == trace.Get {
			acc = (acc ^ missMarker) * checksumPrime
		}
	}
	return acc
}

// GOMAXPROCS from the environment wins, and is recorded as such.
func TestBinaryRespectsGOMAXPROCSFromEnv(t *testing.T) {
	bin := buildRunner(t)
	out := t.TempDir()
	o := demo.RunForTest(t, demo.RunSpec{Bin: bin, Env: []string{"GOMAXPROCS=1", "GOGC=50"}, Timeout: time.Minute,
		Args: []string{"--trace", goldenPath, "--map", "noop", "--out-dir", out, "--run-id", "env"}})
	if o.ExitStatus != ExitOK {
		t.Fatal(o)
	}
	rt := readJSONL(t, filepath.Join(out, "env.jsonl")).start.Runtime
	if rt.GOMAXPROCS != 1 || rt.GOMAXPROCSSource != "env" || rt.GOGC != "50" || rt.Env["GOGC"] != "50" {
		t.Errorf("runtime %+v; want GOMAXPROCS 1 from env, GOGC 50", rt)
	}
}

// SIGINT: the workers stop at their next clock check, run_end says
// "interrupted", the exit status is 130, and no bench line is printed.
func TestBinarySIGINTWritesInterruptedRunEnd(t *testing.T) {
	bin := buildRunner(t)
	out := t.TempDir()
	jsonlPath := filepath.Join(out, "int.jsonl")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "--trace", goldenPath, "--map", "mutex-map", "--out-dir", out,
		"--run-id", "int", "--duration-ms", "600000", "--interval-ms", "5")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Wait for the measured phase: an interval record on disk.
	for {
		b, _ := os.ReadFile(jsonlPath)
		if bytes.Contains(b, []byte(`"type":"interval"`)) {
			break
		}
		if ctx.Err() != nil {
			t.Fatalf("no interval record before the deadline; stderr %s", stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	err := cmd.Wait()
	var exitErr *exec.ExitError
	if !errors.As(err, &exitErr) || exitErr.ExitCode() != ExitInterrupted {
		t.Fatalf("want exit status 130, got %v; stderr %s", err, stderr.String())
	}
	res := readJSONL(t, jsonlPath)
	if !res.hasEnd || res.end.Status != "interrupted" || res.end.Ops.Total == 0 {
		t.Errorf("run_end %+v; want status interrupted after some ops", res.end)
	}
	if strings.Contains(stdout.String(), "BenchmarkReplay") {
		t.Errorf("an interrupted run printed a bench line: %q", stdout.String())
	}
	if hs := readHlog(t, filepath.Join(out, "int.hlog")); len(hs) != len(res.intervals) {
		t.Errorf(".hlog has %d histograms, .jsonl %d intervals", len(hs), len(res.intervals))
	}
}

// SIGKILL: what was written stays: run_start and whole interval records, and
// an .hlog holding each of them (one more if the kill fell between the two
// writes of an interval).
func TestBinaryKilledRunKeepsItsRecords(t *testing.T) {
	bin := buildRunner(t)
	out := t.TempDir()
	jsonlPath := filepath.Join(out, "k.jsonl")
	cmd := exec.Command(bin, "--trace", goldenPath, "--map", "xsync-map", "--out-dir", out,
		"--run-id", "k", "--duration-ms", "600000", "--interval-ms", "5")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		b, _ := os.ReadFile(jsonlPath)
		if bytes.Count(b, []byte(`"type":"interval"`)) >= 3 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("fewer than 3 interval records before the deadline")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	res := readJSONL(t, jsonlPath)
	if res.hasEnd || len(res.intervals) < 3 {
		t.Errorf("killed run: run_end present %v, %d intervals; want no run_end, >= 3 intervals", res.hasEnd, len(res.intervals))
	}
	if hs := readHlog(t, filepath.Join(out, "k.hlog")); len(hs) != len(res.intervals) && len(hs) != len(res.intervals)+1 {
		t.Errorf(".hlog has %d histograms for %d interval records", len(hs), len(res.intervals))
	}
}
