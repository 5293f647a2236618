package main

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"concurrentmaps/internal/demo"
)

const pkg = "concurrentmaps/cmd/ch4-cachesim"

// A tiny run prints the header and one row per map and key space, in
// order, and every get finds its key.
func TestTinyRunPrintsEveryConfiguration(t *testing.T) {
	bin := demo.BuildForTest(t, pkg, demo.BuildOptions{})
	const gets = 1000
	o := demo.RunForTest(t, demo.RunSpec{Bin: bin, Args: []string{"-gets", fmt.Sprint(gets)}, Timeout: 2 * time.Minute})
	if !o.Exited || o.ExitStatus != 0 {
		t.Fatalf("want exit 0, got %s", o)
	}
	lines := strings.Split(strings.TrimSuffix(o.Stdout, "\n"), "\n")
	if len(lines) != 1+len(mapNames)*len(keySpaces) || lines[0] != "lang\tmap\tkeys\tgets\tfound\tvalue_sum" {
		t.Fatalf("want a header and %d rows, got:\n%s", len(mapNames)*len(keySpaces), o.Stdout)
	}
	i := 1
	for _, name := range mapNames {
		for _, keys := range keySpaces {
			f := strings.Split(lines[i], "\t")
			want := []string{"go", name, fmt.Sprint(keys), fmt.Sprint(gets), fmt.Sprint(gets)}
			if len(f) != 6 || strings.Join(f[:5], "\t") != strings.Join(want, "\t") {
				t.Errorf("row %d = %q, want %q followed by the value sum", i, lines[i], strings.Join(want, "\t"))
			}
			i++
		}
	}
}

// The three maps read the same values for the same keys, and those are
// the values SplitMix64's keys should give.
func TestMapsAgreeOnTheSum(t *testing.T) {
	const keys, gets = 300, 5000
	rng := splitMix64{defaultSeed}
	var want uint64
	for range gets {
		want += valueOf(rng.next() % keys)
	}
	for _, name := range mapNames {
		found, sum := measure(name, keys, gets, defaultSeed)
		if found != gets || sum != want {
			t.Errorf("%s: found %d, sum %d; want %d, %d", name, found, sum, gets, want)
		}
	}
}

// The first outputs of SplitMix64 from seed 0 in Vigna's splitmix64.c; the
// Rust program checks the same values, so both draw the same keys.
func TestSplitMix64MatchesTheReference(t *testing.T) {
	rng := splitMix64{0}
	for _, want := range []uint64{0xe220a8397b1dcdaf, 0x6e789e6aa1b965f4} {
		if got := rng.next(); got != want {
			t.Fatalf("next() = %#x, want %#x", got, want)
		}
	}
}

func TestBadFlagsExit2(t *testing.T) {
	bin := demo.BuildForTest(t, pkg, demo.BuildOptions{})
	for _, args := range [][]string{
		{"-map", "BTreeMap"}, {"-keys", "-1"}, {"-gets", "-5"}, {"-gets", "many"}, {"-seed", "-1"}, {"-keys"},
	} {
		o := demo.RunForTest(t, demo.RunSpec{Bin: bin, Args: args, Timeout: time.Minute})
		if !o.Exited || o.ExitStatus != 2 || !strings.Contains(o.Stderr, args[0]) {
			t.Errorf("%v: want exit 2 and an error naming %s, got %s", args, args[0], o)
		}
	}
	o := demo.RunForTest(t, demo.RunSpec{Bin: bin, Args: []string{"extra"}, Timeout: time.Minute})
	if !o.Exited || o.ExitStatus != 2 || !strings.Contains(o.Stderr, `"extra"`) {
		t.Errorf("a positional argument: want exit 2 naming it, got %s", o)
	}
}
