package main

import (
	"strings"
	"testing"
	"time"

	"concurrentmaps/internal/demo"
)

const pkg = "concurrentmaps/cmd/ch1-two-writers"

// untilDetected runs the writers until the runtime stops them. At
// GOMAXPROCS=2 detection takes milliseconds; the timeouts only bound a
// broken run, and a run that hits them fails the test (exit 0 or timeout).
var untilDetected = []string{"-writes", "0", "-timeout", "30s"}

const runTimeout = 60 * time.Second

// C1/C4: the runtime's check fires and ends the process with a fatal error,
// exit status 2 and a goroutine trace; it is not a panic.
func TestConcurrentWritesAreFatal(t *testing.T) {
	bin := demo.BuildForTest(t, pkg, demo.BuildOptions{})
	o := demo.RunForTest(t, demo.RunSpec{
		Bin: bin, Args: untilDetected, Env: []string{"GOMAXPROCS=2"}, Timeout: runTimeout,
	})
	if !o.Exited || o.ExitStatus != 2 {
		t.Fatalf("want exit status 2 from the runtime's fatal error, got %s", o)
	}
	if !demo.IsWriteWriteFatal(o.FatalError()) {
		t.Errorf("want %q, got %s", "fatal error: concurrent map writes", o)
	}
	if o.Panic != "" {
		t.Errorf("a fatal error is not a panic, but stderr has \"panic: %s\"", o.Panic)
	}
	if !o.GoroutineTrace || !strings.Contains(o.Stderr, "main.writeConcurrently") {
		t.Errorf("want a goroutine trace naming main.writeConcurrently, got %s", o)
	}
}

// C4 with -race: ThreadSanitizer reports the race from happens-before,
// not from timing, so it finds it even at GOMAXPROCS=1, where the two
// goroutines run one after the other and the runtime's flag check (almost)
// never fires. The race detector's default GORACE has halt_on_error=0: it
// reports, lets the program finish, then exits with exitcode=66.
//
// At GOMAXPROCS=2 the writers can also overlap in time, and then the
// runtime's own check may end the run with exit 2 after the report; that
// mix is measured by cmd/ch1-detection rather than asserted here.
func TestRaceDetectorReportsMapWrite(t *testing.T) {
	bin := demo.BuildForTest(t, pkg, demo.BuildOptions{Race: true})
	o := demo.RunForTest(t, demo.RunSpec{
		Bin: bin, Args: []string{"-writes", "1000"}, Env: []string{"GOMAXPROCS=1"}, Timeout: runTimeout,
	})
	if o.DataRaces == 0 {
		t.Fatalf("want a %q report, got %s", demo.DataRaceBanner, o)
	}
	report := demo.Excerpt(o.Stderr, demo.DataRaceBanner, 12)
	for _, want := range []string{"Write at", "Previous write at", "runtime.mapassign_fast64()", "main.writeConcurrently"} {
		if !strings.Contains(report, want) {
			t.Errorf("race report lacks %q:\n%s", want, report)
		}
	}
	if !o.Exited || o.ExitStatus != 66 {
		t.Errorf("want exit status 66 (race detector's exitcode), got %s", o)
	}
	if o.FatalError() != "" {
		t.Errorf("want no runtime fatal error at GOMAXPROCS=1, got %s", o)
	}
	if !strings.Contains(o.Stdout, "no concurrent map write detected") {
		t.Errorf("want the program to run to its end, got %s", o)
	}
}

func TestBadFlagsExit2(t *testing.T) {
	bin := demo.BuildForTest(t, pkg, demo.BuildOptions{})
	for _, args := range [][]string{{"-writes", "-1"}, {"-timeout", "0s"}, {"-writes", "x"}} {
		o := demo.RunForTest(t, demo.RunSpec{Bin: bin, Args: args, Timeout: runTimeout})
		if o.ExitStatus != 2 || !strings.Contains(o.Stderr, args[0]) {
			t.Errorf("%v: want exit 2 and an error naming %s, got %s", args, args[0], o)
		}
	}
}
