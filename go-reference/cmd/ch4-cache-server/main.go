// Command ch4-cache-server is chapter 4.1's key-value cache over HTTP: one
// map from uint64 keys to uint64 values, chosen by name from the maps under
// test (go-reference/maps), behind net/http.
//
//	go run ./cmd/ch4-cache-server -map rwmutex-map   # prints "listening on http://127.0.0.1:PORT"
//
//	GET /k/{key}  200 and the value in decimal; on a miss 404, and the cache
//	              fills the key with its origin value (^key), so the next GET hits
//	PUT /k/{key}  body: the value in decimal; 204
//	GET /about    one line: Go version, map, its implementation and version
//
// It listens on 127.0.0.1 only, prints its address as the first line of
// standard output, and serves until SIGINT or SIGTERM. Exit status 2 for a
// bad flag or an unknown map name (the message lists the valid ones).
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"runtime"
	"strconv"
	"time"

	"concurrentmaps/internal/cmdline"
	"concurrentmaps/maps"
)

func main() {
	cmdline.Main(parseFlags, serve)
}

// options are the validated command-line flags.
type options struct {
	entry maps.Entry
	addr  string
}

// parseFlags parses and checks args; on error it has already printed the
// problem (naming the flag) and the usage to stderr.
func parseFlags(args []string, stderr io.Writer) (options, error) {
	fs := cmdline.New("ch4-cache-server", stderr)
	mapName := fs.String("map", "rwmutex-map", "the map to serve from (go-reference/maps names)")
	addr := fs.String("addr", "127.0.0.1:0", "listen address (port 0: any free port)")
	if err := fs.Parse(args); err != nil {
		return options{}, err
	}
	entry, err := lookupMap(*mapName)
	if err != nil {
		return options{}, fs.Bad("-map: %v", err)
	}
	return options{entry: entry, addr: *addr}, nil
}

// run parses args, serves until ctx is done, and returns the exit status.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	o, err := parseFlags(args, stderr)
	if err != nil {
		return cmdline.Status(err)
	}
	return serve(ctx, o, stdout, stderr)
}

// serve listens on o.addr and serves o.entry's map until ctx is done; it
// returns the exit status.
func serve(ctx context.Context, o options, stdout, stderr io.Writer) int {
	entry := o.entry
	ln, err := net.Listen("tcp", o.addr)
	if err != nil {
		fmt.Fprintf(stderr, "ch4-cache-server: -addr: %v\n", err)
		return 2
	}
	srv := &http.Server{Handler: newServer(entry), ReadHeaderTimeout: 10 * time.Second}
	fmt.Fprintf(stdout, "listening on http://%s\n", ln.Addr())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	select {
	case err := <-done:
		fmt.Fprintf(stderr, "ch4-cache-server: %v\n", err)
		return 1
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		fmt.Fprintf(stderr, "ch4-cache-server: shutdown: %v\n", err)
		return 1
	}
	return 0
}

// lookupMap returns the named map, refusing the ones a server cannot use:
// net/http runs each connection's requests on its own goroutine, so the map
// must allow any number of goroutines (unsync-map allows one).
func lookupMap(name string) (maps.Entry, error) {
	e, err := maps.Lookup(name)
	if err != nil {
		return e, err
	}
	if e.Info.MaxGoroutines > 0 {
		return e, fmt.Errorf("map %q allows only %d goroutine(s); a server needs one per connection",
			name, e.Info.MaxGoroutines)
	}
	return e, nil
}

// ANCHOR: handlers
// cacheServer is the whole service: one shared map, and handlers that each
// make one or two calls on it. Every request runs on its connection's
// goroutine, so the map is used concurrently from the first two connections.
type cacheServer struct {
	m     maps.Map
	about string
}

// originValue is what the slow backend a cache fronts would return for key;
// here it costs nothing, so the map and HTTP are all that is measured.
func originValue(key uint64) uint64 { return ^key }

func (c *cacheServer) get(w http.ResponseWriter, r *http.Request) {
	key, ok := parseKey(w, r)
	if !ok {
		return
	}
	if v, hit := c.m.Get(key); hit {
		w.Write(strconv.AppendUint(nil, v, 10))
		return
	}
	// A miss fills the cache; two racing fills store the same value.
	c.m.Insert(key, originValue(key))
	w.WriteHeader(http.StatusNotFound)
}

func (c *cacheServer) put(w http.ResponseWriter, r *http.Request) {
	key, ok := parseKey(w, r)
	if !ok {
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 32))
	v, perr := strconv.ParseUint(string(body), 10, 64)
	if err != nil || perr != nil {
		http.Error(w, "body: want a decimal uint64", http.StatusBadRequest)
		return
	}
	c.m.Insert(key, v)
	w.WriteHeader(http.StatusNoContent)
}

// ANCHOR_END: handlers

func parseKey(w http.ResponseWriter, r *http.Request) (uint64, bool) {
	key, err := strconv.ParseUint(r.PathValue("key"), 10, 64)
	if err != nil {
		http.Error(w, "key: want a decimal uint64", http.StatusBadRequest)
		return 0, false
	}
	return key, true
}

// newServer returns the routes over a new, empty map of entry's kind.
func newServer(entry maps.Entry) http.Handler {
	c := &cacheServer{
		m: entry.New(0),
		about: fmt.Sprintf("go %s %s: %s %s", runtime.Version(), entry.Info.Name,
			entry.Info.Implementation, entry.Info.Version),
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /k/{key}", c.get)
	mux.HandleFunc("PUT /k/{key}", c.put)
	mux.HandleFunc("GET /about", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, c.about+"\n")
	})
	return mux
}
