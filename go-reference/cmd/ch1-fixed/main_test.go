package main

import (
	"testing"
	"time"

	"concurrentmaps/internal/demo"
)

// The three safe versions lose no write: each count is 2*writes.
func TestFixedVersionsCountEveryWrite(t *testing.T) {
	bin := demo.BuildForTest(t, "concurrentmaps/cmd/ch1-fixed", demo.BuildOptions{})
	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, "map+sync.Mutex: 2000 keys (want 2000)\nmap+sync.RWMutex: 2000 keys (want 2000)\nsync.Map: 2000 keys (want 2000)\n"},
		{[]string{"-writes", "50000"}, "map+sync.Mutex: 100000 keys (want 100000)\nmap+sync.RWMutex: 100000 keys (want 100000)\nsync.Map: 100000 keys (want 100000)\n"},
	} {
		o := demo.RunForTest(t, demo.RunSpec{Bin: bin, Args: tc.args, Env: []string{"GOMAXPROCS=2"}, Timeout: time.Minute})
		if o.Kind() != demo.Clean || o.Stdout != tc.want {
			t.Errorf("%v: want exit 0 and\n%sgot %s", tc.args, tc.want, o)
		}
	}
}

// The same functions, in this test process: under go test -race this also
// checks that the race detector finds nothing in them.
func TestFixedVersionsInProcess(t *testing.T) {
	for name, count := range map[string]func(int) int{
		"mutex": withMutex, "rwmutex": withRWMutex, "syncmap": withSyncMap,
	} {
		if got := count(1000); got != 2000 {
			t.Errorf("%s: count = %d, want 2000", name, got)
		}
	}
}
