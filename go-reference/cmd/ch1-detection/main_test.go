package main

import (
	"bufio"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"concurrentmaps/internal/demo"
)

func TestBadFlagsExit2(t *testing.T) {
	bin := demo.BuildForTest(t, "concurrentmaps/cmd/ch1-detection", demo.BuildOptions{})
	for _, args := range [][]string{
		{"-runs", "0"}, {"-runs", "-3"}, {"-race-runs", "-1"}, {"-bench-n", "0"},
		{"-run-timeout", "0s"}, {"-out", "/nonexistent-dir"}, {"-runs"},
	} {
		o := demo.RunForTest(t, demo.RunSpec{Bin: bin, Args: args, Timeout: time.Minute})
		if !o.Exited || o.ExitStatus != 2 || !strings.Contains(o.Stderr, args[0]) {
			t.Errorf("%v: want exit 2 and an error naming %s, got %s", args, args[0], o)
		}
	}
}

func TestAddClassifiesRuns(t *testing.T) {
	r := newConfigResult(config{gomaxprocs: 2, writes: 1000, runs: 4})
	r.add(demo.Outcome{Exited: true, Stdout: "no concurrent map write detected: 2 writers x 1000 writes, len(m)=2000, want 2000\n"})
	r.add(demo.Outcome{Exited: true, Stdout: "no concurrent map write detected: 2 writers x 1000 writes, len(m)=1999, want 2000\n"})
	fatal := demo.Outcome{Exited: true, ExitStatus: 2, FatalErrors: []string{"concurrent map writes"}}
	r.add(fatal)
	r.add(demo.Outcome{Signal: "segmentation fault", Stderr: "SIGSEGV"})
	if r.Runs != 4 || r.Clean != 2 || r.CleanWrongLen != 1 || r.MapFatal != 1 || r.OtherCrash != 1 {
		t.Errorf("got %+v", r)
	}
	if r.ExitStatuses["exit 0"] != 2 || r.ExitStatuses["exit 2"] != 1 || r.FatalMessages["concurrent map writes"] != 1 {
		t.Errorf("got statuses %v, messages %v", r.ExitStatuses, r.FatalMessages)
	}
}

func TestMarkdownStartsWithGeneratedComment(t *testing.T) {
	r := &Report{GoVersion: "go1.x", Partial: true,
		Detection:   []ConfigResult{newConfigResult(config{gomaxprocs: 1, writes: 1000, runs: 3})},
		StoreAllocs: []AllocResult{{Impl: "sync.Map", Op: "Load", N: 10}}}
	for name, md := range map[string][]byte{detectionMD: detectionMarkdown(r), allocsMD: allocsMarkdown(r)} {
		s := string(md)
		if !strings.HasPrefix(s, "<!-- Generated") || !strings.Contains(s, regenerate) {
			t.Errorf("%s does not start with the generated-by comment and command:\n%s", name, s)
		}
		if !strings.Contains(s, "Partial results") {
			t.Errorf("%s of a partial report does not say so:\n%s", name, s)
		}
	}
}

// SIGINT stops the experiment, which then writes the finished runs marked
// partial and exits 130. The signal is sent after the first runs are
// reported, so the test does not depend on how fast the machine is.
func TestInterruptWritesPartialResults(t *testing.T) {
	bin := demo.BuildForTest(t, "concurrentmaps/cmd/ch1-detection", demo.BuildOptions{})
	out := t.TempDir()
	cmd := exec.Command(bin, "-runs", "1000", "-race-runs", "0", "-out", out)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	sc := bufio.NewScanner(stderr)
	for sc.Scan() {
		if strings.Contains(sc.Text(), "run 5/") {
			break
		}
	}
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, stderr)
	err = cmd.Wait()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 130 {
		t.Fatalf("want exit status 130 after SIGINT, got %v", err)
	}
	data, err := os.ReadFile(filepath.Join(out, jsonFile))
	if err != nil {
		t.Fatal(err)
	}
	var r Report
	if err := json.Unmarshal(data, &r); err != nil {
		t.Fatalf("%s: %v", jsonFile, err)
	}
	if !r.Partial || r.runsDone() < 5 || r.runsDone() >= 4000 {
		t.Errorf("want a partial report with at least 5 runs, got partial=%v runs=%d", r.Partial, r.runsDone())
	}
	if _, err := os.Stat(filepath.Join(out, allocsMD)); err == nil {
		t.Errorf("%s was written although no allocation was measured", allocsMD)
	}
}
