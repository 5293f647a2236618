package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"concurrentmaps/maps"
)

// do sends one request to h and returns the status and body.
func do(t *testing.T, h http.Handler, method, path, body string) (int, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(method, path, strings.NewReader(body)))
	return rec.Code, rec.Body.String()
}

func TestGetPutEveryMap(t *testing.T) {
	for _, e := range maps.All() {
		t.Run(e.Info.Name, func(t *testing.T) {
			if e.Info.MaxGoroutines > 0 {
				if _, err := lookupMap(e.Info.Name); err == nil {
					t.Fatalf("lookupMap(%q) accepted a map limited to %d goroutine(s)", e.Info.Name, e.Info.MaxGoroutines)
				}
				return
			}
			h := newServer(e)
			if code, _ := do(t, h, "GET", "/k/7", ""); code != http.StatusNotFound {
				t.Fatalf("first GET /k/7: status %d, want 404", code)
			}
			want := strconv.FormatUint(originValue(7), 10)
			if code, body := do(t, h, "GET", "/k/7", ""); code != 200 || body != want {
				t.Fatalf("GET after a miss: %d %q, want 200 %q (the fill)", code, body, want)
			}
			if code, _ := do(t, h, "PUT", "/k/7", "42"); code != http.StatusNoContent {
				t.Fatalf("PUT /k/7: status %d, want 204", code)
			}
			if code, body := do(t, h, "GET", "/k/7", ""); code != 200 || body != "42" {
				t.Fatalf("GET after PUT: %d %q, want 200 \"42\"", code, body)
			}
			if code, body := do(t, h, "GET", "/k/18446744073709551615", ""); code != 404 || body != "" {
				t.Fatalf("GET of the largest key: %d %q, want 404 and no body", code, body)
			}
			for _, bad := range []struct{ method, path, body string }{
				{"GET", "/k/-1", ""}, {"GET", "/k/x", ""}, {"PUT", "/k/1", "4x"}, {"PUT", "/k/1", ""},
			} {
				if code, _ := do(t, h, bad.method, bad.path, bad.body); code != http.StatusBadRequest {
					t.Errorf("%s %s %q: status %d, want 400", bad.method, bad.path, bad.body, code)
				}
			}
			if code, body := do(t, h, "GET", "/about", ""); code != 200 || !strings.Contains(body, e.Info.Name) {
				t.Errorf("GET /about: %d %q, want 200 naming %s", code, body, e.Info.Name)
			}
		})
	}
}

// TestConcurrentPutsOverHTTP runs the real server loop and checks that PUTs
// from several connections at once are all stored.
func TestConcurrentPutsOverHTTP(t *testing.T) {
	for _, name := range []string{"rwmutex-map", "sync-map", "xsync-map"} {
		t.Run(name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			pr, pw := io.Pipe()
			var stderr bytes.Buffer
			status := make(chan int, 1)
			go func() { status <- run(ctx, []string{"-map", name}, pw, &stderr); pw.Close() }()
			line, err := bufio.NewReader(pr).ReadString('\n')
			if err != nil {
				t.Fatalf("no address line: %v; stderr: %s", err, stderr.String())
			}
			base := strings.TrimSpace(strings.TrimPrefix(line, "listening on "))
			go io.Copy(io.Discard, pr)
			client := &http.Client{Timeout: 10 * time.Second}
			var wg sync.WaitGroup
			for g := range 4 {
				wg.Go(func() {
					for i := range 50 {
						key := g*1000 + i
						req, _ := http.NewRequest("PUT", base+"/k/"+strconv.Itoa(key), strings.NewReader(strconv.Itoa(key*3)))
						resp, err := client.Do(req)
						if err != nil {
							t.Error(err)
							return
						}
						io.Copy(io.Discard, resp.Body)
						resp.Body.Close()
					}
				})
			}
			wg.Wait()
			for g := range 4 {
				key := g*1000 + 49
				resp, err := client.Get(base + "/k/" + strconv.Itoa(key))
				if err != nil {
					t.Fatal(err)
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 || string(body) != strconv.Itoa(key*3) {
					t.Errorf("GET /k/%d: %d %q, want 200 %d", key, resp.StatusCode, body, key*3)
				}
			}
			cancel()
			if got := <-status; got != 0 {
				t.Errorf("exit status %d after shutdown, want 0; stderr: %s", got, stderr.String())
			}
		})
	}
}

func TestBadFlagsExit2(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"-map", "no-such-map"}, "no-such-map"},
		{[]string{"-map", "unsync-map"}, "unsync-map"},
		{[]string{"-nope"}, "-nope"},
		{[]string{"-addr", "256.0.0.1:0"}, "-addr"},
		{[]string{"extra"}, "extra"},
	} {
		var stdout, stderr bytes.Buffer
		got := run(context.Background(), c.args, &stdout, &stderr)
		if got != 2 || !strings.Contains(stderr.String(), c.want) {
			t.Errorf("run(%q) = %d, stderr %q; want 2 and a message naming %q", c.args, got, stderr.String(), c.want)
		}
		if c.want == "no-such-map" && !strings.Contains(stderr.String(), "rwmutex-map") {
			t.Errorf("unknown map: the message should list the valid names: %q", stderr.String())
		}
	}
}
