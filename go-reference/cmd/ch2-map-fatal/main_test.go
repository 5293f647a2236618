package main

import (
	"strings"
	"testing"
	"time"

	"concurrentmaps/internal/cmdline"
	"concurrentmaps/internal/demo"
)

const pkg = "concurrentmaps/cmd/ch2-map-fatal"

const runTimeout = 60 * time.Second

// Each operation, raced against a writer at GOMAXPROCS=2 until the runtime
// notices, ends the process with its own fatal message and exit status 2;
// the deferred recover() in both goroutines never runs. Detection takes
// milliseconds here; -timeout only bounds a broken run, which then fails
// (exit 0 with "no concurrent map misuse detected").
func TestEachOperationIsFatal(t *testing.T) {
	bin := demo.BuildForTest(t, pkg, demo.BuildOptions{})
	for _, name := range cmdline.Names(operations) {
		t.Run(name, func(t *testing.T) {
			o := demo.RunForTest(t, demo.RunSpec{
				Bin: bin, Args: []string{"-op", name, "-timeout", "30s"},
				Env: []string{"GOMAXPROCS=2"}, Timeout: runTimeout,
			})
			if !o.Exited || o.ExitStatus != 2 {
				t.Fatalf("want exit status 2 from the runtime's fatal error, got %s", o)
			}
			if want := operations[name].message; o.FatalError() != want {
				t.Errorf("want %q, got %s", "fatal error: "+want, o)
			}
			if strings.Contains(o.Stdout, recoveredLine) || o.Panic != "" {
				t.Errorf("a fatal error is not a panic: recover() must not run, got %s", o)
			}
			if !o.GoroutineTrace || !strings.Contains(o.Stderr, "main.raceWithWriter") {
				t.Errorf("want a goroutine trace naming main.raceWithWriter, got %s", o)
			}
		})
	}
}

// The race detector, at GOMAXPROCS=1 (no overlap in time, so the flag check
// stays silent), with one pass per goroutine: a short run, because a long
// one can push the earlier access out of the detector's history and the
// report is then lost (see the book, chapter 2.1).
//
// Writes, reads and iteration call race.WritePC/ReadPC on the map header and
// are reported, naming the map function. maps.Clone is not: runtime.mapclone
// (runtime/map.go) reports no access, so the race goes unreported and the
// program exits 0.
func TestRaceDetectorSeesAllButClone(t *testing.T) {
	bin := demo.BuildForTest(t, pkg, demo.BuildOptions{Race: true})
	reportNames := map[string]string{
		"write":   "runtime.mapassign_fast64()",
		"read":    "runtime.mapaccess1_fast64()",
		"iterate": "runtime.mapIterStart()",
	}
	for _, name := range cmdline.Names(operations) {
		t.Run(name, func(t *testing.T) {
			o := demo.RunForTest(t, demo.RunSpec{
				Bin: bin, Args: []string{"-op", name, "-rounds", "1"},
				Env: []string{"GOMAXPROCS=1"}, Timeout: runTimeout,
			})
			if o.FatalError() != "" {
				t.Fatalf("want no runtime fatal error at GOMAXPROCS=1, got %s", o)
			}
			fn, reported := reportNames[name]
			if !reported {
				if o.DataRaces != 0 || !o.Exited || o.ExitStatus != 0 {
					t.Errorf("want maps.Clone's race to go unreported (exit 0, no %q), got %s", demo.DataRaceBanner, o)
				}
				return
			}
			if o.DataRaces == 0 || !o.Exited || o.ExitStatus != demo.RaceExitStatus {
				t.Fatalf("want a %q report and exit status %d, got %s", demo.DataRaceBanner, demo.RaceExitStatus, o)
			}
			if !strings.Contains(o.Stderr, fn) || !strings.Contains(o.Stderr, "runtime.mapassign_fast64()") {
				t.Errorf("want the report to name %s and runtime.mapassign_fast64(), got %s", fn, o)
			}
		})
	}
}

// The same two-writer race, 1000 passes per goroutine instead of 1: the
// race detector no longer reports it (the book's chapter 2.1 shows where
// the cut-off lies, measured by cmd/ch2-experiments). If a future Go keeps
// reporting it, this test fails and the book's text needs updating.
func TestRaceDetectorLosesLongRuns(t *testing.T) {
	// A preemption early in a pass (a loaded machine) can still interleave
	// the writers inside the detector's window, so one clean run of three
	// is required: a Go that always reports the long race fails all three.
	bin := demo.BuildForTest(t, pkg, demo.BuildOptions{Race: true})
	var outcomes []string
	for range 3 {
		o := demo.RunForTest(t, demo.RunSpec{
			Bin: bin, Args: []string{"-op", "write", "-rounds", "1000"},
			Env: []string{"GOMAXPROCS=1"}, Timeout: runTimeout,
		})
		if o.DataRaces == 0 && o.Exited && o.ExitStatus == 0 {
			return
		}
		outcomes = append(outcomes, o.String())
	}
	t.Errorf("want no race report after 1000 passes (exit 0) in at least one of 3 runs, got %s", strings.Join(outcomes, "; "))
}

func TestBadFlagsExit2(t *testing.T) {
	bin := demo.BuildForTest(t, pkg, demo.BuildOptions{})
	for _, args := range [][]string{
		{"-op", "delete"}, {"-keys", "8", "-op", "read"}, {"-rounds", "-1", "-op", "read"},
		{"-timeout", "0s", "-op", "read"}, {"-rounds", "x"},
	} {
		o := demo.RunForTest(t, demo.RunSpec{Bin: bin, Args: args, Timeout: runTimeout})
		if !o.Exited || o.ExitStatus != 2 || !strings.Contains(o.Stderr, args[0]) {
			t.Errorf("%v: want exit 2 and an error naming %s, got %s", args, args[0], o)
		}
	}
}
