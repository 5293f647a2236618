package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

const goldenPath = "../../../comparisons/testdata/golden.trace"

// noRemovesTrace writes a copy of the golden trace (2 threads, removes in
// its mix) with every remove turned into a get, header mix included, and
// returns its path.
func noRemovesTrace(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(goldenPath)
	if err != nil {
		t.Fatal(err)
	}
	const offMix = 64 // header: mix as 4 x u16 (get, insert, update, remove)
	get, remove := binary.LittleEndian.Uint16(b[offMix:]), binary.LittleEndian.Uint16(b[offMix+6:])
	binary.LittleEndian.PutUint16(b[offMix:], get+remove)
	binary.LittleEndian.PutUint16(b[offMix+6:], 0)
	headerLen := int(binary.LittleEndian.Uint32(b[12:]))
	prefill := int(binary.LittleEndian.Uint64(b[48:]))
	for i := headerLen + 8*prefill; i+8 <= len(b); i += 8 {
		w := binary.LittleEndian.Uint64(b[i:])
		if w>>62 == 3 {
			binary.LittleEndian.PutUint64(b[i:], w&(1<<62-1))
		}
	}
	path := filepath.Join(t.TempDir(), "golden-noremove.trace")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// fakeCache is a minimal cache server with ch4-cache-server's contract.
func fakeCache() http.Handler {
	var m sync.Map
	mux := http.NewServeMux()
	mux.HandleFunc("GET /k/{key}", func(w http.ResponseWriter, r *http.Request) {
		if v, ok := m.Load(r.PathValue("key")); ok {
			io.WriteString(w, v.(string))
			return
		}
		m.Store(r.PathValue("key"), "0")
		w.WriteHeader(404)
	})
	mux.HandleFunc("PUT /k/{key}", func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		if _, err := strconv.ParseUint(string(b), 10, 64); err != nil {
			w.WriteHeader(400)
			return
		}
		m.Store(r.PathValue("key"), string(b))
		w.WriteHeader(204)
	})
	mux.HandleFunc("GET /about", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "fake cache\n") })
	return mux
}

func TestBadInputExit2(t *testing.T) {
	good := noRemovesTrace(t)
	out := filepath.Join(t.TempDir(), "out.csv")
	base := []string{"-url", "http://127.0.0.1:1", "-lang", "go", "-map", "m", "-out", out}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"-lang", "go", "-map", "m", "-trace", good, "-out", out}, "-url"},
		{append(base[2:], "-trace", good, "-url", "localhost:1"), "-url"},
		{append(base, "-trace", good, "-lang", "java"), "-lang"},
		{append(base, "-trace", good, "-map", "a,b"), "-map"},
		{base, "-trace"},
		{append(base, "-trace", "/no/such/file.trace"), "/no/such/file.trace"},
		{append(base, "-trace", goldenPath), "removes"},
		{append(base, "-trace", good, "-conns", "1,x"), "-conns"},
		{append(base, "-trace", good, "-conns", "0"), "-conns"},
		{append(base, "-trace", good, "-conns", "1,4"), "2 threads"},
		{append(base, "-trace", good, "-repeats", "0"), "-repeats"},
		{append(base, "-trace", good, "-duration", "soon"), "-duration"},
		{append(base, "-trace", good, "-bogus"), "-bogus"},
	} {
		var stderr bytes.Buffer
		if got := run(context.Background(), c.args, &stderr); got != 2 || !strings.Contains(stderr.String(), c.want) {
			t.Errorf("run(%q) = %d, stderr %q; want 2 and a message naming %q", c.args, got, stderr.String(), c.want)
		}
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("bad input must not create -out: %v", err)
	}
	var stderr bytes.Buffer
	if got := run(context.Background(), []string{"-h"}, &stderr); got != 0 || !strings.Contains(stderr.String(), "-rates string") {
		t.Errorf("-h: exit %d, want 0 and the usage; stderr %q", got, stderr.String())
	}
}

func TestTinySweepAgainstLiveServer(t *testing.T) {
	srv := httptest.NewServer(fakeCache())
	defer srv.Close()
	tr := noRemovesTrace(t)
	out := filepath.Join(t.TempDir(), "sweep.csv")
	if err := os.WriteFile(out, []byte("# written by the driver\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	args := []string{"-url", srv.URL, "-lang", "rust", "-map", "fake", "-trace", tr + "," + tr,
		"-conns", "1,2", "-warmup", "20ms", "-duration", "100ms", "-repeats", "2", "-out", out}
	if got := run(context.Background(), args, &stderr); got != 0 {
		t.Fatalf("exit %d, stderr:\n%s", got, stderr.String())
	}
	if !strings.Contains(stderr.String(), "prefilled 500 keys") {
		t.Errorf("stderr does not report the prefill (500 distinct keys, once for both traces):\n%s", stderr.String())
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if lines[0] != "# written by the driver" || lines[1] != csvHeader || lines[2] != "# server: fake cache" {
		t.Fatalf("want the driver's comment, the header and the server line first, got %q", lines[:3])
	}
	rows := lines[3:]
	if len(rows) != 2*2*2 { // traces × repeats × steps
		t.Fatalf("want 8 rows, got %d:\n%s", len(rows), b)
	}
	i := 0
	for range 2 {
		for rep := 1; rep <= 2; rep++ {
			for _, conns := range []int{1, 2} {
				f := strings.Split(rows[i], ",")
				i++
				if len(f) != len(strings.Split(csvHeader, ",")) {
					t.Fatalf("row %q: want %d fields", rows[i-1], len(strings.Split(csvHeader, ",")))
				}
				if f[0] != "rust" || f[1] != "fake" || f[2] != "golden" || f[3] != strconv.Itoa(conns) || f[4] != strconv.Itoa(rep) {
					t.Errorf("row %q: want rust,fake,golden,%d,%d,...", rows[i-1], conns, rep)
				}
				if n, _ := strconv.Atoi(f[5]); n < 1 {
					t.Errorf("row %q: no requests measured", rows[i-1])
				}
				if f[6] != "0" {
					t.Errorf("row %q: errors %s, want 0", rows[i-1], f[6])
				}
			}
		}
	}
	// A second run appends rows under the same header.
	if got := run(context.Background(), append(args[:len(args)-8], "-conns", "1", "-repeats", "1", "-prefill=false", "-duration", "50ms", "-out", out), &stderr); got != 0 {
		t.Fatalf("second run: exit %d\n%s", got, stderr.String())
	}
	b, _ = os.ReadFile(out)
	if n := strings.Count(string(b), csvHeader); n != 1 {
		t.Errorf("header written %d times, want once", n)
	}
}

func TestFailedRequestsExit1(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/about" {
			io.WriteString(w, "broken\n")
			return
		}
		w.WriteHeader(500)
	}))
	defer srv.Close()
	out := filepath.Join(t.TempDir(), "sweep.csv")
	var stderr bytes.Buffer
	args := []string{"-url", srv.URL, "-lang", "go", "-map", "broken", "-trace", noRemovesTrace(t),
		"-conns", "1", "-warmup", "0s", "-duration", "50ms", "-repeats", "1", "-prefill=false", "-out", out}
	if got := run(context.Background(), args, &stderr); got != 1 || !strings.Contains(stderr.String(), "status 500") {
		t.Fatalf("exit %d, want 1 and the failed request named; stderr:\n%s", got, stderr.String())
	}
	b, _ := os.ReadFile(out)
	if !strings.Contains(string(b), "go,broken,golden,1,1,") {
		t.Errorf("the failed step's row is still written:\n%s", b)
	}
}

func TestInterruptKeepsFinishedRows(t *testing.T) {
	srv := httptest.NewServer(fakeCache())
	defer srv.Close()
	out := filepath.Join(t.TempDir(), "sweep.csv")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// The first step (1 conn) finishes; the second is stopped inside its window.
	time.AfterFunc(400*time.Millisecond, cancel)
	var stderr bytes.Buffer
	args := []string{"-url", srv.URL, "-lang", "go", "-map", "fake", "-trace", noRemovesTrace(t),
		"-conns", "1,2", "-warmup", "0s", "-duration", "200ms", "-repeats", "1", "-out", out}
	if got := run(ctx, args, &stderr); got != 130 {
		t.Fatalf("exit %d, want 130; stderr:\n%s", got, stderr.String())
	}
	b, _ := os.ReadFile(out)
	if !strings.Contains(string(b), "go,fake,golden,1,1,") || strings.Contains(string(b), "go,fake,golden,2,1,") {
		t.Errorf("want the finished 1-connection row and no 2-connection row:\n%s", b)
	}
}
