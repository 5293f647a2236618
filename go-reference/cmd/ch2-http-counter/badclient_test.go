package main

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"concurrentmaps/internal/badclient"
)

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
	rssBefore := badclient.VmRSSKiB(t)

	if resp, err := client.Post(base+"/big", "text/plain", bytes.NewReader(bytes.Repeat([]byte("x"), 8<<20))); err == nil {
		resp.Body.Close()
	}
	countedExactly()

	badclient.MalformedRequestLine(t, ln.Addr().String())
	countedExactly()

	badclient.Hold(t, ln.Addr().String(), "/slow", 200)
	countedExactly()
	if counts(h)["/slow"] != 0 {
		t.Error("an unfinished request was counted")
	}
	badclient.CheckRSS(t, rssBefore)
}
