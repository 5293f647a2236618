// Package badclient holds the misbehaving clients that the HTTP servers'
// tests (cmd/ch2-http-counter, cmd/ch4-cache-server) send before checking
// that well-formed requests are still answered and memory stays bounded.
// Loopback only; every client is bounded in bytes, connections and time.
package badclient

import (
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

// RSSBoundKiB is how much the resident set may grow under the bad clients.
const RSSBoundKiB = 256 << 10

// VmRSSKiB reads this process's resident set size from /proc/self/status;
// the test is skipped where there is none.
func VmRSSKiB(t testing.TB) int {
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

// CheckRSS fails the test if the resident set grew by more than RSSBoundKiB
// since before (a VmRSSKiB reading).
func CheckRSS(t testing.TB, before int) {
	t.Helper()
	if rss := VmRSSKiB(t); rss > before+RSSBoundKiB {
		t.Errorf("VmRSS grew from %d KiB to %d KiB under bad clients (bound: +%d MiB)", before, rss, RSSBoundKiB>>10)
	}
}

// Raw sends text on a new connection to addr and returns the first 4 KiB of
// the answer (read until the server closes, 30 s at most).
func Raw(t testing.TB, addr, text string) string {
	t.Helper()
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

// MalformedRequestLine sends a request line that is not HTTP and fails the
// test unless the server answers 400.
func MalformedRequestLine(t testing.TB, addr string) {
	t.Helper()
	if got := Raw(t, addr, "THIS IS NOT HTTP\r\n\r\n"); !strings.HasPrefix(got, "HTTP/1.1 400") {
		t.Errorf("malformed request line: got %q, want a 400", got)
	}
}

// Hold opens a connection that sends the start of a GET of path and never
// finishes its headers, then idle more connections that send nothing. It
// returns a function that closes them all (also run when the test ends).
func Hold(t testing.TB, addr, path string, idle int) (release func()) {
	t.Helper()
	var held []net.Conn
	release = func() {
		for _, c := range held {
			c.Close()
		}
		held = nil
	}
	t.Cleanup(release)
	for i := 0; i <= idle; i++ {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatalf("connection %d: %v", i, err)
		}
		held = append(held, c)
		if i == 0 {
			io.WriteString(c, "GET "+path+" HTTP/1.1\r\nHost: x\r\nX-Slow: ")
		}
	}
	return release
}
