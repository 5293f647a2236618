package main

import (
	"testing"

	"concurrentmaps/internal/demo"
)

func TestEndingNamesHowARunEnded(t *testing.T) {
	for _, tc := range []struct {
		o    demo.Outcome
		want string
	}{
		{demo.Outcome{Exited: true}, "exit 0"},
		{demo.Outcome{Exited: true, ExitStatus: 2, FatalErrors: []string{"concurrent map writes"}}, "`fatal error: concurrent map writes` (exit 2)"},
		{demo.Outcome{Exited: true, ExitStatus: 66, DataRaces: 1}, "`WARNING: DATA RACE` (exit 66)"},
		{demo.Outcome{TimedOut: true, Signal: "killed"}, "other: timeout"},
	} {
		if got := ending(tc.o); got != tc.want {
			t.Errorf("ending(%+v) = %q, want %q", tc.o, got, tc.want)
		}
	}
}

func TestSummaryAndTimes(t *testing.T) {
	if got := summarize(map[string]int{"exit 0": 1, "`fatal error: x` (exit 2)": 4}); got != "1× exit 0, 4× `fatal error: x` (exit 2)" {
		t.Errorf("summarize = %q", got)
	}
	if got := medianMax([]float64{0.3, 0.1, 0.2}); got != "0.20 s, 0.30 s" {
		t.Errorf("medianMax = %q", got)
	}
}
