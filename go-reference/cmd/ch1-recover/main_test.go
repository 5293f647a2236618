package main

import (
	"strings"
	"testing"
	"time"

	"concurrentmaps/internal/demo"
)

// C1: the concurrent-map error is runtime.fatal, not a panic: no deferred
// function runs, so no recover() can see it, and the exit status is 2.
func TestRecoverDoesNotCatchMapRace(t *testing.T) {
	bin := demo.BuildForTest(t, "concurrentmaps/cmd/ch1-recover", demo.BuildOptions{})
	o := demo.RunForTest(t, demo.RunSpec{
		Bin: bin, Args: []string{"-timeout", "30s"}, Env: []string{"GOMAXPROCS=2"}, Timeout: 60 * time.Second,
	})
	if !strings.Contains(o.Stdout, recoveredRealPanic+" assignment to entry in nil map") {
		t.Errorf("want the real panic recovered first (%q), got %s", recoveredRealPanic, o)
	}
	if !o.Exited || o.ExitStatus != 2 || !demo.IsWriteWriteFatal(o.FatalError()) {
		t.Fatalf("want exit 2 with fatal error: concurrent map writes, got %s", o)
	}
	if strings.Contains(o.Stdout, recoveredMapRace) {
		t.Errorf("recover() caught the map race, which runtime.fatal should make impossible: %s", o)
	}
	// Stronger: the deferred functions did not run at all.
	if strings.Contains(o.Stdout, deferRan) {
		t.Errorf("a deferred function ran after the fatal error: %s", o)
	}
}
