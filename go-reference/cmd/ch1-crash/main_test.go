package main

import (
	"strings"
	"testing"
	"time"

	"concurrentmaps/internal/demo"
)

// The program of chapter 1 ends in the runtime's fatal error on two threads.
// The check is best-effort, so a run may also finish (printing how many keys
// survived) or, rarely, hang in a corrupted table; the test allows up to five
// runs and fails unless one ends with exit status 2, "concurrent map writes"
// and no panic, and every other run ends with the program's own message.
func TestTwoWritersEndInFatalError(t *testing.T) {
	bin := demo.BuildForTest(t, "concurrentmaps/cmd/ch1-crash", demo.BuildOptions{})
	for run := 1; run <= 5; run++ {
		o := demo.RunForTest(t, demo.RunSpec{
			Bin: bin, Env: []string{"GOMAXPROCS=2"}, Timeout: 30 * time.Second,
		})
		if o.Exited && o.ExitStatus == 2 {
			if !demo.IsWriteWriteFatal(o.FatalError()) {
				t.Fatalf("run %d: exit 2 without %q: %s", run, demo.WriteWriteFatal, o)
			}
			if o.Panic != "" || !strings.Contains(o.Stderr, "main.main.func1") {
				t.Fatalf("run %d: want a fatal error (not a panic) naming the writer, got %s", run, o)
			}
			return
		}
		if o.Exited && o.ExitStatus == 0 && !strings.Contains(o.Stdout, "not caught this time") {
			t.Fatalf("run %d: a clean exit must print the program's message, got %s", run, o)
		}
		t.Logf("run %d not caught (%s); running again", run, o.Status())
	}
	t.Fatal("five runs on two threads and the runtime never reported the race")
}
