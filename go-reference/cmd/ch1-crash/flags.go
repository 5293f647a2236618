package main

import (
	"flag"
	"testing"
)

// The program takes no flags, but -h prints the usage (exit 0) and any other
// flag is an error (exit 2), as for every command, instead of running the
// crash. It lives here because main.go is the book's listing in full; a test
// binary parses its own flags.
func init() {
	if !testing.Testing() {
		flag.Parse()
	}
}
