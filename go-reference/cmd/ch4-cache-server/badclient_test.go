package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"concurrentmaps/internal/badclient"
)

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
	rssBefore := badclient.VmRSSKiB(t)

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
	badclient.MalformedRequestLine(t, addr)
	wellFormed(3)

	// A client that never finishes its headers, and 200 idle connections.
	release := badclient.Hold(t, addr, "/about", 200)
	wellFormed(4)

	badclient.CheckRSS(t, rssBefore)
	release()
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
