// Command ch2-loopvar registers one HTTP handler per route in a
// `for _, route := range routes` loop, each a closure that uses route, and
// then calls every handler once. What each closure sees depends on the
// language version in the go.mod of the module that compiles this file:
// up to go 1.21 the loop has one variable, shared by every closure, so all
// of them see the last route; from go 1.22 each iteration has its own.
//
// The same file is built twice: here, in the main module (go 1.26), and in
// the nested module ./go121, whose go.mod says go 1.21 and whose main.go is
// a symbolic link to this file.
//
//	go run ./cmd/ch2-loopvar                                # each handler names its own route
//	GOTOOLCHAIN=local go run -C cmd/ch2-loopvar/go121 .     # every handler names /c
package main

import (
	"flag"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sort"
	"sync"
)

func main() {
	flag.Parse() // no flags: -h prints the usage, anything else is an error
	routes := []string{"/a", "/b", "/c"}

	// ANCHOR: handlers
	mux := http.NewServeMux()
	for _, route := range routes {
		mux.HandleFunc(route, func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprintf(w, "handler for %s", route)
		})
	}
	// ANCHOR_END: handlers
	for _, path := range routes {
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
		fmt.Printf("GET %s -> %s\n", path, rec.Body.String())
	}

	// ANCHOR: goroutines
	var wg sync.WaitGroup
	start := make(chan struct{})
	seen := make(chan string, len(routes))
	for _, route := range routes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start // read route only after the loop has finished
			seen <- route
		}()
	}
	close(start)
	wg.Wait()
	// ANCHOR_END: goroutines
	close(seen)
	var got []string
	for r := range seen {
		got = append(got, r)
	}
	sort.Strings(got)
	fmt.Printf("goroutines saw %v\n", got)
}
