package main

import (
	"bufio"
	"bytes"
	"context"
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

// vmRSSKiB reads this process's resident set size from /proc/self/status.
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

// The server under bad clients: an oversized body, a malformed request line, a
// client that never finishes its headers, and far more connections than it
// has requests for. It must keep answering well-formed requests correctly and
// keep its memory bounded. Loopback only; every step is bounded in bytes and
// connections, and the server stops when the test ends.
func TestServerSurvivesBadClients(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	exit := make(chan int, 1)
	go func() { exit <- run(ctx, []string{"-map", "rwmutex-map"}, pw, io.Discard) }()
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	go io.Copy(io.Discard, pr)
	base := strings.TrimSpace(strings.TrimPrefix(line, "listening on "))
	addr := strings.TrimPrefix(base, "http://")
	client := &http.Client{Timeout: 30 * time.Second}

	wellFormed := func(key int) {
		t.Helper()
		req, _ := http.NewRequest("PUT", fmt.Sprintf("%s/k/%d", base, key), strings.NewReader(strconv.Itoa(key*3)))
		resp, err := client.Do(req)
		if err != nil {
			t.Fatalf("PUT after bad clients: %v", err)
		}
		resp.Body.Close()
		resp, err = client.Get(fmt.Sprintf("%s/k/%d", base, key))
		if err != nil {
			t.Fatalf("GET after bad clients: %v", err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || string(body) != strconv.Itoa(key*3) {
			t.Fatalf("GET /k/%d = %d %q, want 200 %q", key, resp.StatusCode, body, strconv.Itoa(key*3))
		}
	}
	wellFormed(1)
	rssBefore := vmRSSKiB(t)

	// An oversized body: 8 MiB where a decimal uint64 is expected.
	resp, err := client.Do(mustRequest(t, "PUT", base+"/k/2", bytes.NewReader(bytes.Repeat([]byte("9"), 8<<20))))
	if err == nil {
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("oversized body: status %d, want 400", resp.StatusCode)
		}
	} // a reset connection is an acceptable answer too
	wellFormed(2)

	// A malformed request line.
	raw := func(text string) string {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(30 * time.Second))
		io.WriteString(c, text)
		b, _ := io.ReadAll(io.LimitReader(c, 4096))
		return string(b)
	}
	if got := raw("THIS IS NOT HTTP\r\n\r\n"); !strings.HasPrefix(got, "HTTP/1.1 400") {
		t.Errorf("malformed request line: got %q, want a 400", got)
	}
	wellFormed(3)

	// A client that never finishes its headers, and 200 idle connections.
	var held []net.Conn
	defer func() {
		for _, c := range held {
			c.Close()
		}
	}()
	slow, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	held = append(held, slow)
	io.WriteString(slow, "GET /about HTTP/1.1\r\nHost: x\r\nX-Slow: ")
	for i := 0; i < 200; i++ {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatalf("connection %d: %v", i, err)
		}
		held = append(held, c)
	}
	wellFormed(4)

	if rss := vmRSSKiB(t); rss > rssBefore+256<<10 {
		t.Errorf("VmRSS grew from %d KiB to %d KiB under bad clients (bound: +256 MiB)", rssBefore, rss)
	}
	for _, c := range held {
		c.Close()
	}
	held = nil
	cancel()
	if code := <-exit; code != 0 {
		t.Errorf("run exited %d after shutdown", code)
	}
}

func mustRequest(t *testing.T, method, url string, body io.Reader) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	return req
}
