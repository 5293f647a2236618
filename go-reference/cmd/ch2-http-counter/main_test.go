package main

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"concurrentmaps/internal/demo"
)

const pkg = "concurrentmaps/cmd/ch2-http-counter"

// Under a bounded load the racy server is stopped by the runtime's map
// check, well within the 10 s the load may last.
func TestRacyServerDiesUnderLoad(t *testing.T) {
	bin := demo.BuildForTest(t, pkg, demo.BuildOptions{})
	o := demo.RunForTest(t, demo.RunSpec{Bin: bin, Args: []string{"-selftest"}, Env: []string{"GOMAXPROCS=2"}, Timeout: 30 * time.Second})
	if o.Kind() != demo.MapFatal || !demo.IsWriteWriteFatal(o.FatalError()) {
		t.Fatalf("want fatal error: concurrent map writes (exit 2), got %s", o)
	}
	if !strings.Contains(o.Stderr, "main.(*racyCounter).ServeHTTP") {
		t.Errorf("the goroutine trace does not name the handler:\n%s", o)
	}
}

// Over one keep-alive connection the racy server is never caught, and
// counts right: net/http runs one connection's requests one after another,
// on that connection's goroutine. A single-client test does not notice.
func TestRacyServerPassesOneConnection(t *testing.T) {
	for _, race := range []bool{false, true} {
		bin := demo.BuildForTest(t, pkg, demo.BuildOptions{Race: race})
		o := demo.RunForTest(t, demo.RunSpec{Bin: bin, Args: []string{"-selftest", "-conns", "1", "-requests", "2000", "-paths", "100"}, Env: []string{"GOMAXPROCS=2"}, Timeout: time.Minute})
		want := "sent 2000 requests over 1 connections to 100 paths; counted 2000; paths with a wrong count: 0\n"
		if o.Kind() != demo.Clean || !strings.HasSuffix(o.Stdout, want) {
			t.Errorf("race=%v: want exit 0 and %qgot %s", race, want, o)
		}
	}
}

// The -race build reports the race within a few thousand requests, naming the
// handler and the net/http goroutine that ran it.
func TestRaceDetectorReportsHandler(t *testing.T) {
	bin := demo.BuildForTest(t, pkg, demo.BuildOptions{Race: true})
	var o demo.Outcome
	// The built-in map check can stop a -race build too, occasionally before
	// the detector has printed its report: then run it again (at most 3 times).
	for range 3 {
		o = demo.RunForTest(t, demo.RunSpec{Bin: bin, Args: []string{"-selftest", "-requests", "2000", "-conns", "16"}, Env: []string{"GOMAXPROCS=2"}, Timeout: time.Minute})
		if o.DataRaces > 0 {
			break
		}
	}
	if o.DataRaces == 0 || (o.Kind() != demo.RaceReported && o.Kind() != demo.MapFatal) {
		t.Fatalf("want a DATA RACE report, got %s", o)
	}
	for _, want := range []string{"main.(*racyCounter).ServeHTTP()", "net/http.(*conn).serve()"} {
		if !strings.Contains(o.Stderr, want) {
			t.Errorf("race report does not name %s:\n%s", want, o)
		}
	}
}

// The Mutex version counts every request once, with and without -race.
func TestFixedServerCountsExactly(t *testing.T) {
	for _, race := range []bool{false, true} {
		bin := demo.BuildForTest(t, pkg, demo.BuildOptions{Race: race})
		args := []string{"-selftest", "-fixed", "-requests", "20000", "-conns", "32", "-paths", "100"}
		if race {
			args = []string{"-selftest", "-fixed", "-requests", "2000", "-conns", "8", "-paths", "100"}
		}
		o := demo.RunForTest(t, demo.RunSpec{Bin: bin, Args: args, Env: []string{"GOMAXPROCS=2"}, Timeout: time.Minute})
		want := fmt.Sprintf("sent %s requests over %s connections to 100 paths; counted %s; paths with a wrong count: 0\n", args[3], args[5], args[3])
		if o.Kind() != demo.Clean || !strings.HasSuffix(o.Stdout, want) {
			t.Errorf("race=%v: want exit 0 and %qgot %s", race, want, o)
		}
	}
}

// In this process: many concurrent requests to the locked handler; under
// go test -race this also checks that the detector finds nothing.
func TestLockedCounterInProcess(t *testing.T) {
	c := &lockedCounter{hits: map[string]int{}}
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range 100 {
				c.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, fmt.Sprintf("/k%d", (i+j)%10), nil))
			}
		}()
	}
	wg.Wait()
	got := counts(c)
	for k := range 10 {
		if n := got[fmt.Sprintf("/k%d", k)]; n != 80 {
			t.Errorf("/k%d counted %d times, want 80", k, n)
		}
	}
}
