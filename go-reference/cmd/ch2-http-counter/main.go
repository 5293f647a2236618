// Command ch2-http-counter is chapter 2.5's HTTP hit counter: a net/http
// server whose handler increments hits[path] in one map. net/http serves
// each connection on its own goroutine, so two requests on two connections
// run the handler at the same time.
//
//	go run ./cmd/ch2-http-counter -selftest            # racy: fatal error: concurrent map writes, exit 2
//	go run ./cmd/ch2-http-counter -selftest -fixed     # map+Mutex: every request counted once, exit 0
//	go run ./cmd/ch2-http-counter -for 30s             # serve on 127.0.0.1 for 30 s; curl it
//
// -selftest starts the server on 127.0.0.1 and sends it a bounded load
// (-requests over -conns keep-alive connections, at most -limit long) from
// the same process, then compares the counts with what it sent.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"sync"
	"time"
)

// ANCHOR: racy
// racyCounter is the bug: one plain map, written by every request's goroutine.
type racyCounter struct {
	hits map[string]int
}

func (c *racyCounter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c.hits[r.URL.Path]++
	io.WriteString(w, "ok\n")
}

// ANCHOR_END: racy

// ANCHOR: fixed
// lockedCounter is the fix: the same map, written only while holding mu.
type lockedCounter struct {
	mu   sync.Mutex
	hits map[string]int
}

func (c *lockedCounter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c.mu.Lock()
	c.hits[r.URL.Path]++
	c.mu.Unlock()
	io.WriteString(w, "ok\n")
}

// ANCHOR_END: fixed

// counts returns a copy of the counter's map. Called after the server has
// shut down (racy) or under the lock (fixed).
func counts(h http.Handler) map[string]int {
	out := map[string]int{}
	switch c := h.(type) {
	case *racyCounter:
		for k, v := range c.hits {
			out[k] = v
		}
	case *lockedCounter:
		c.mu.Lock()
		defer c.mu.Unlock()
		for k, v := range c.hits {
			out[k] = v
		}
	}
	return out
}

func main() {
	fixed := flag.Bool("fixed", false, "use the Mutex-guarded counter instead of the racy one")
	selftest := flag.Bool("selftest", false, "send a bounded load from this process, check the counts, exit")
	conns := flag.Int("conns", 64, "selftest: concurrent keep-alive connections")
	requests := flag.Int("requests", 100000, "selftest: requests in all")
	paths := flag.Int("paths", 1000, "selftest: distinct paths (map keys)")
	limit := flag.Duration("limit", 10*time.Second, "selftest: stop sending after this long")
	serveFor := flag.Duration("for", 30*time.Second, "without -selftest: serve this long, then exit")
	flag.Parse()
	if *conns < 1 || *requests < 1 || *paths < 1 {
		fmt.Fprintln(os.Stderr, "ch2-http-counter: -conns, -requests and -paths must be at least 1")
		os.Exit(2)
	}

	var h http.Handler = &racyCounter{hits: map[string]int{}}
	if *fixed {
		h = &lockedCounter{hits: map[string]int{}}
	}
	// Only the loopback address: this server is never reachable from outside.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	srv := newHTTPServer(h)
	fmt.Printf("listening on http://%s\n", ln.Addr())
	go srv.Serve(ln)

	if !*selftest {
		time.Sleep(*serveFor)
		shutdown(srv)
		printCounts(counts(h))
		return
	}
	sent, err := load("http://"+ln.Addr().String(), *conns, *requests, *paths, *limit)
	shutdown(srv) // waits for every handler to return
	if err != nil {
		fmt.Fprintln(os.Stderr, "load:", err)
		os.Exit(1)
	}
	got := counts(h)
	total, wrong := 0, 0
	for p, n := range sent {
		total += n
		if got[p] != n {
			wrong++
		}
	}
	counted := 0
	for _, n := range got {
		counted += n
	}
	fmt.Printf("sent %d requests over %d connections to %d paths; counted %d; paths with a wrong count: %d\n",
		total, *conns, len(sent), counted, wrong)
	if wrong > 0 || counted != total {
		os.Exit(1)
	}
}

// newHTTPServer serves h; a client that never finishes its headers is dropped
// after 10 s instead of holding its connection forever.
func newHTTPServer(h http.Handler) *http.Server {
	return &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
}

func shutdown(srv *http.Server) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	srv.Shutdown(ctx)
}

func printCounts(c map[string]int) {
	for p, n := range c {
		fmt.Printf("%s %d\n", p, n)
	}
}

// load sends up to requests GETs over conns keep-alive connections, request i
// to /k<i mod paths>, and stops early after limit. It returns how many
// requests each path was sent and answered.
func load(base string, conns, requests, paths int, limit time.Duration) (map[string]int, error) {
	client := &http.Client{
		Timeout: 5 * time.Second,
		Transport: &http.Transport{
			MaxConnsPerHost:     conns,
			MaxIdleConnsPerHost: conns,
			DisableCompression:  true,
		},
	}
	defer client.CloseIdleConnections()
	deadline := time.Now().Add(limit)
	results := make(chan map[string]int, conns)
	errs := make(chan error, conns)
	for c := range conns {
		go func() {
			sent := map[string]int{} // this goroutine's own map
			for i := c; i < requests && time.Now().Before(deadline); i += conns {
				path := "/k" + strconv.Itoa(i%paths)
				resp, err := client.Get(base + path)
				if err != nil {
					errs <- err
					results <- sent
					return
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				sent[path]++
			}
			errs <- nil
			results <- sent
		}()
	}
	all := map[string]int{}
	var errList []error
	for range conns {
		errList = append(errList, <-errs)
		for p, n := range <-results {
			all[p] += n
		}
	}
	return all, errors.Join(errList...)
}
