package main

import (
	"testing"
	"time"

	"concurrentmaps/internal/demo"
)

// Racing inserts that grow the map end in the runtime's fatal error, with
// exit status 2, well before the round bound: at two threads every run we
// have made was stopped in its first rounds.
func TestGrowthRaceIsAFatalMapError(t *testing.T) {
	bin := demo.BuildForTest(t, "concurrentmaps/cmd/ch2-growth-race", demo.BuildOptions{})
	// Now and then the racing growers corrupt the table before the flag is
	// checked, and the runtime stops the program with another fatal error
	// (`fatal error: fault` has been seen): every run must end in a runtime
	// fatal error, and at least one in the flag's.
	flagged := 0
	for i := range 3 {
		o := demo.RunForTest(t, demo.RunSpec{
			Bin: bin, Args: []string{"-rounds", "100000"},
			Env: []string{"GOMAXPROCS=2"}, Timeout: time.Minute,
		})
		if o.ExitStatus != 2 || o.FatalError() == "" {
			t.Fatalf("run %d: want a runtime fatal error, exit 2, got %s", i, o)
		}
		if o.Kind() == demo.MapFatal && demo.IsWriteWriteFatal(o.FatalError()) {
			flagged++
		}
	}
	if flagged < 1 {
		t.Errorf("%d of 3 runs stopped by fatal error: concurrent map writes; want at least 1", flagged)
	}
}

// The post-check must be able to see damage: a map with a key missing, a
// wrong value or a foreign key is reported broken, an intact one is not.
func TestCheckSeesDamage(t *testing.T) {
	intact := func() map[uint64]uint64 {
		m := map[uint64]uint64{}
		for k := range uint64(6) {
			m[k] = k*2 + 1
		}
		return m
	}
	var res Result
	if check(intact(), 2, 3, &res) {
		t.Fatalf("an intact map was reported broken: %+v", res)
	}
	m := intact()
	delete(m, 4)
	m[1] = 0
	m[99] = 199
	res = Result{}
	if !check(m, 2, 3, &res) || res.MissingKeys != 1 || res.WrongValues != 1 || res.LenMismatches != 1 || res.RangeMismatch != 1 {
		t.Errorf("want 1 missing key, 1 wrong value, a len and a range mismatch, got %+v", res)
	}
}
