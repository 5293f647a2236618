package main

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

func vmRSSKiB(t *testing.T) int {
	t.Helper()
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Skipf("no /proc/self/status: %v", err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if f := strings.Fields(l); len(f) >= 2 && f[0] == "VmRSS:" {
			n, _ := strconv.Atoi(f[1])
			return n
		}
	}
	t.Fatal("no VmRSS line")
	return 0
}

// The fixed counter, served as main serves it, under bad clients: an
// oversized body, a malformed request line, a client that never finishes its
// headers and 200 idle connections. Requests that follow are counted exactly
// and memory stays bounded. Loopback only, bounded bytes and connections.
func TestFixedCounterSurvivesBadClients(t *testing.T) {
	h := &lockedCounter{hits: map[string]int{}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := newHTTPServer(h)
	go srv.Serve(ln)
	defer srv.Close()
	base := "http://" + ln.Addr().String()
	client := &http.Client{Timeout: 30 * time.Second}
	sent := 0
	countedExactly := func() {
		t.Helper()
		for i := 0; i < 20; i++ {
			resp, err := client.Get(fmt.Sprintf("%s/k%d", base, i%4))
			if err != nil {
				t.Fatalf("request after bad clients: %v", err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			sent++
		}
		total := 0
		for p, n := range counts(h) {
			if strings.HasPrefix(p, "/k") {
				total += n
			}
		}
		if total != sent {
			t.Fatalf("counted %d requests to /k*, sent %d", total, sent)
		}
	}
	countedExactly()
	rssBefore := vmRSSKiB(t)

	if resp, err := client.Post(base+"/big", "text/plain", bytes.NewReader(bytes.Repeat([]byte("x"), 8<<20))); err == nil {
		resp.Body.Close()
	}
	countedExactly()

	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	c.SetDeadline(time.Now().Add(30 * time.Second))
	io.WriteString(c, "THIS IS NOT HTTP\r\n\r\n")
	got, _ := io.ReadAll(io.LimitReader(c, 4096))
	c.Close()
	if !strings.HasPrefix(string(got), "HTTP/1.1 400") {
		t.Errorf("malformed request line: got %q, want a 400", got)
	}
	countedExactly()

	var held []net.Conn
	defer func() {
		for _, c := range held {
			c.Close()
		}
	}()
	for i := 0; i <= 200; i++ {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatalf("connection %d: %v", i, err)
		}
		if i == 0 {
			io.WriteString(c, "GET /slow HTTP/1.1\r\nHost: x\r\nX-Slow: ")
		}
		held = append(held, c)
	}
	countedExactly()
	if counts(h)["/slow"] != 0 {
		t.Error("an unfinished request was counted")
	}
	if rss := vmRSSKiB(t); rss > rssBefore+256<<10 {
		t.Errorf("VmRSS grew from %d KiB to %d KiB under bad clients (bound: +256 MiB)", rssBefore, rss)
	}
}
