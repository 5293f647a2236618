package main

import (
	"strings"
	"testing"
	"time"

	"concurrentmaps/internal/demo"
)

const pkg = "concurrentmaps/cmd/ch2-worker-pool"

func TestRacyPoolIsStopped(t *testing.T) {
	bin := demo.BuildForTest(t, pkg, demo.BuildOptions{})
	o := demo.RunForTest(t, demo.RunSpec{Bin: bin, Env: []string{"GOMAXPROCS=2"}, Timeout: 30 * time.Second})
	if o.Kind() != demo.MapFatal || !demo.IsWriteWriteFatal(o.FatalError()) {
		t.Fatalf("want fatal error: concurrent map writes (exit 2), got %s", o)
	}
}

func TestRaceDetectorReportsWorkers(t *testing.T) {
	bin := demo.BuildForTest(t, pkg, demo.BuildOptions{Race: true})
	// Three runs at most: the detector can drop a report (its state is
	// bounded; seen once in ch2-torn-reads under a loaded CI).
	var o demo.Outcome
	for range 3 {
		o = demo.RunForTest(t, demo.RunSpec{Bin: bin, Args: []string{"-jobs", "100"}, Env: []string{"GOMAXPROCS=2"}, Timeout: time.Minute})
		if o.DataRaces > 0 {
			break
		}
	}
	if o.DataRaces == 0 || !strings.Contains(o.Stderr, "main.racyPool.func1()") {
		t.Fatalf("want a DATA RACE report naming main.racyPool.func1, got %s", o)
	}
}

func TestOwnedPoolIsCompleteAndClean(t *testing.T) {
	for _, race := range []bool{false, true} {
		bin := demo.BuildForTest(t, pkg, demo.BuildOptions{Race: race})
		args, want := []string{"-fixed"}, "owned pool, 4 workers: 1000000 results for 1000000 jobs, 0 missing or wrong\n"
		if race {
			args, want = []string{"-fixed", "-jobs", "10000"}, "owned pool, 4 workers: 10000 results for 10000 jobs, 0 missing or wrong\n"
		}
		o := demo.RunForTest(t, demo.RunSpec{Bin: bin, Args: args, Env: []string{"GOMAXPROCS=2"}, Timeout: time.Minute})
		if o.Kind() != demo.Clean || o.Stdout != want {
			t.Errorf("race=%v: want exit 0 and %qgot %s", race, want, o)
		}
	}
}

// In this process, so that go test -race checks the owned pool too.
func TestOwnedPoolInProcess(t *testing.T) {
	got := ownedPool(5000, 3)
	if len(got) != 5000 || got[4999] != 4999*4999 {
		t.Errorf("ownedPool(5000, 3): %d results, [4999] = %d", len(got), got[4999])
	}
}
