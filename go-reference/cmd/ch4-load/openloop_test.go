package main

import (
	"bytes"
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// The schedule's arithmetic, on fixed times (no clock, no sleeping).
func TestScheduleInterleavesConnectionsAtTheOfferedRate(t *testing.T) {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	const rate, conns = 4000.0, 4 // one request every 250 µs, all connections together
	var all []time.Duration
	for c := range conns {
		s := schedule{start: start, rate: rate, conns: conns, conn: c}
		for j := range int64(50) {
			all = append(all, s.intended(j).Sub(start))
		}
	}
	// Together: exactly the slots 0, 250 µs, 500 µs, ... once each.
	seen := make(map[time.Duration]bool)
	for _, d := range all {
		if d%(250*time.Microsecond) != 0 || seen[d] {
			t.Fatalf("intended offset %v: not a fresh 250 µs slot", d)
		}
		seen[d] = true
	}
	for k := range int64(conns * 50) {
		if !seen[time.Duration(k)*250*time.Microsecond] {
			t.Fatalf("slot %d missing", k)
		}
	}
	// Connection 1's request 2 is slot 2*4+1 = 9.
	if got := (schedule{start: start, rate: rate, conns: conns, conn: 1}).intended(2).Sub(start); got != 2250*time.Microsecond {
		t.Errorf("conn 1, request 2: %v, want 2.25ms", got)
	}
}

func TestLatencyIsCountedFromTheIntendedStart(t *testing.T) {
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	ms := time.Millisecond
	// On time: the latency is the service time.
	if l, c := lateness(at, at), corrected(at, at, at.Add(3*ms)); l != 0 || c != 3*ms {
		t.Errorf("on time: lateness %v, latency %v; want 0, 3ms", l, c)
	}
	// Sent early (a connection never sends before its slot, but the
	// arithmetic must not reward it): no negative lateness.
	if l, c := lateness(at, at.Add(-ms)), corrected(at, at.Add(-ms), at.Add(2*ms)); l != 0 || c != 3*ms {
		t.Errorf("early: lateness %v, latency %v; want 0, 3ms", l, c)
	}
	// Sent 40 ms late behind a stalled answer: the 40 ms count.
	sent := at.Add(40 * ms)
	if l, c := lateness(at, sent), corrected(at, sent, sent.Add(3*ms)); l != 40*ms || c != 43*ms {
		t.Errorf("late: lateness %v, latency %v; want 40ms, 43ms", l, c)
	}
}

func TestOpenLoopSweepWritesRowsAndHlogs(t *testing.T) {
	srv := httptest.NewServer(fakeCache())
	defer srv.Close()
	tr := noRemovesTrace(t)
	dir := t.TempDir()
	out := filepath.Join(dir, "open.csv")
	var stderr bytes.Buffer
	args := []string{"-url", srv.URL, "-lang", "go", "-map", "fake", "-trace", tr,
		"-conns", "2", "-rates", "200,400", "-warmup", "20ms", "-duration", "200ms", "-repeats", "1",
		"-hlog-dir", dir, "-out", out}
	if got := run(context.Background(), args, &stderr); got != 0 {
		t.Fatalf("exit %d, stderr:\n%s", got, stderr.String())
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if lines[0] != openCSVHeader {
		t.Fatalf("header %q", lines[0])
	}
	cols := strings.Split(openCSVHeader, ",")
	col := func(f []string, name string) string {
		for i, c := range cols {
			if c == name {
				return f[i]
			}
		}
		t.Fatalf("no column %s", name)
		return ""
	}
	rows := lines[2:] // header, server line
	if len(rows) != 2 {
		t.Fatalf("want 2 rows, got %d:\n%s", len(rows), b)
	}
	for i, row := range rows {
		f := strings.Split(row, ",")
		if len(f) != len(cols) {
			t.Fatalf("row %q: %d fields", row, len(f))
		}
		// The window holds rate * 0.2 s intended starts; all were sent (the
		// fake server is fast) and each is counted once.
		want := []int{40, 80}[i]
		n, _ := strconv.Atoi(col(f, "requests"))
		unsent, _ := strconv.Atoi(col(f, "unsent"))
		if n+unsent != want {
			t.Errorf("row %q: %d requests + %d unsent, want %d intended", row, n, unsent, want)
		}
		h, err := os.Open(filepath.Join(dir, col(f, "hlog")))
		if err != nil {
			t.Fatal(err)
		}
		r := hdrhistogram.NewHistogramLogReader(h)
		var tags []string
		for {
			hist, err := r.NextIntervalHistogram()
			if err != nil {
				t.Fatal(err)
			}
			if hist == nil {
				break
			}
			tags = append(tags, hist.Tag())
			if hist.Tag() == "lat" && int(hist.TotalCount()) != n+unsent {
				t.Errorf("%s: lat count %d, want %d", col(f, "hlog"), hist.TotalCount(), n+unsent)
			}
		}
		h.Close()
		if strings.Join(tags, ",") != "lat,service" {
			t.Errorf("%s: tags %v, want lat, service", col(f, "hlog"), tags)
		}
	}
}

func TestOpenLoopBadFlagsExit2(t *testing.T) {
	tr := noRemovesTrace(t)
	base := []string{"-url", "http://127.0.0.1:1", "-lang", "go", "-map", "m", "-trace", tr, "-out", filepath.Join(t.TempDir(), "x.csv")}
	for _, extra := range [][]string{
		{"-rates", "100,abc", "-conns", "2"},
		{"-rates", "100", "-conns", "1,2"},
		{"-rates", "-5", "-conns", "2"},
		{"-hlog-dir", t.TempDir(), "-conns", "2"},
		{"-rates", "100", "-conns", "2", "-hlog-dir", "/nonexistent/dir"},
	} {
		var stderr bytes.Buffer
		if got := run(context.Background(), append(append([]string{}, base...), extra...), &stderr); got != 2 {
			t.Errorf("%v: exit %d, want 2\n%s", extra, got, stderr.String())
		}
	}
}
