package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"

	"concurrentmaps/internal/demo"
)

// program is the experiment's subject.
const program = "concurrentmaps/cmd/ch1-two-writers"

// Writes per goroutine: the blog-sized default of ch1-two-writers, and one
// large enough that both goroutines are still writing when the second starts.
var writesPerGoroutine = []int{1000, 100_000}

var gomaxprocsValues = []int{1, 2}

// raceWrites is the -race binary's writes per goroutine (the default): the
// race detector reports from happens-before, so few writes are enough.
const raceWrites = 1000

// binaries are the built programs.
type binaries struct {
	normal, race string // race is "" when -race-runs is 0
}

func buildBinaries(ctx context.Context, dir string, withRace bool, logf func(string, ...any)) (binaries, error) {
	var b binaries
	var err error
	logf("building %s", program)
	if b.normal, err = demo.Build(ctx, dir, program, demo.BuildOptions{}); err != nil {
		return b, err
	}
	if withRace {
		logf("building %s with -race", program)
		if b.race, err = demo.Build(ctx, dir, program, demo.BuildOptions{Race: true}); err != nil {
			return b, err
		}
	}
	return b, nil
}

// config is one row of the table: a binary, GOMAXPROCS and writes.
type config struct {
	race       bool
	gomaxprocs int
	writes     int
	runs       int // requested
}

func (c config) String() string {
	build := "normal"
	if c.race {
		build = "-race"
	}
	return fmt.Sprintf("%s GOMAXPROCS=%d writes=%d", build, c.gomaxprocs, c.writes)
}

func configs(opt options, bins binaries) []config {
	var cs []config
	for _, p := range gomaxprocsValues {
		for _, w := range writesPerGoroutine {
			cs = append(cs, config{gomaxprocs: p, writes: w, runs: opt.runs})
		}
	}
	if bins.race != "" {
		for _, p := range gomaxprocsValues {
			cs = append(cs, config{race: true, gomaxprocs: p, writes: raceWrites, runs: opt.raceRuns})
		}
	}
	return cs
}

// runDetection runs every configuration, interleaved run by run (round i
// does run i of every configuration), so a change in machine load while
// the experiment runs spreads over all configurations instead of skewing
// one. It stops at the first sign of ctx being cancelled and returns the
// results of the runs that finished.
func runDetection(ctx context.Context, bins binaries, opt options, logf func(string, ...any)) []ConfigResult {
	cs := configs(opt, bins)
	results := make([]ConfigResult, len(cs))
	total, rounds := 0, 0
	for i, c := range cs {
		results[i] = newConfigResult(c)
		total += c.runs
		rounds = max(rounds, c.runs)
	}
	done := 0
	for round := range rounds {
		for i, c := range cs {
			if round >= c.runs {
				continue
			}
			bin := bins.normal
			if c.race {
				bin = bins.race
			}
			o, err := demo.Run(ctx, demo.RunSpec{
				Bin:     bin,
				Args:    []string{"-writes", strconv.Itoa(c.writes)},
				Env:     []string{fmt.Sprintf("GOMAXPROCS=%d", c.gomaxprocs)},
				Timeout: opt.runTimeout,
			})
			// A run cut short by our own interrupt says nothing about the
			// map: drop it. The terminal's Ctrl-C also reaches the child.
			if ctx.Err() != nil || o.Signal == "interrupt" {
				logf("interrupted during run %d/%d; keeping the %d finished runs", done+1, total, done)
				return results
			}
			if err != nil {
				o = demo.Outcome{Stderr: err.Error()} // counted as other-crash
			}
			results[i].add(o)
			done++
			logf("run %d/%d  config %d/%d  %-32s -> %s (%s)", done, total, i+1, len(cs), c, o.Kind(), o.Status())
		}
	}
	return results
}

// ConfigResult is what one configuration's runs showed.
type ConfigResult struct {
	Build         string `json:"build"` // "normal" or "race"
	GOMAXPROCS    int    `json:"gomaxprocs"`
	Writes        int    `json:"writes_per_goroutine"`
	RequestedRuns int    `json:"requested_runs"`
	Runs          int    `json:"runs"`

	MapFatal     int `json:"map_fatal"`     // ended by a "concurrent map ..." fatal error, exit 2
	RaceReported int `json:"race_reported"` // race build: reported, ran to the end, exit 66
	OtherCrash   int `json:"other_crash"`   // any other non-clean ending
	Clean        int `json:"clean"`         // exit 0
	// CleanWrongLen counts clean runs whose map ended with fewer (or more)
	// keys than were written: a race the runtime did not detect but that
	// still corrupted the map. Only the normal build's clean runs report len.
	CleanWrongLen int `json:"clean_wrong_len"`

	ExitStatuses  map[string]int `json:"exit_statuses"`  // "exit 2" -> count
	FatalMessages map[string]int `json:"fatal_messages"` // text after "fatal error: " -> count

	// Race build only.
	DataRaceRuns           int    `json:"data_race_runs,omitempty"`                // runs with >= 1 "WARNING: DATA RACE"
	MapFatalWithoutReport  int    `json:"map_fatal_without_race_report,omitempty"` // fatal exit with no race report printed
	FirstRaceReport        string `json:"first_race_report,omitempty"`
	OtherCrashStderrSample string `json:"other_crash_stderr_sample,omitempty"`
}

func newConfigResult(c config) ConfigResult {
	build := "normal"
	if c.race {
		build = "race"
	}
	return ConfigResult{
		Build: build, GOMAXPROCS: c.gomaxprocs, Writes: c.writes, RequestedRuns: c.runs,
		ExitStatuses: map[string]int{}, FatalMessages: map[string]int{},
	}
}

// lenLine matches ch1-two-writers' final line, e.g.
// "no concurrent map write detected: 2 writers x 1000 writes, len(m)=2000, want 2000".
var lenLine = regexp.MustCompile(`len\(m\)=(\d+), want (\d+)`)

func (r *ConfigResult) add(o demo.Outcome) {
	r.Runs++
	r.ExitStatuses[o.Status()]++
	for _, msg := range o.FatalErrors {
		r.FatalMessages[msg]++
	}
	switch o.Kind() {
	case demo.MapFatal:
		r.MapFatal++
	case demo.RaceReported:
		r.RaceReported++
	case demo.Clean:
		r.Clean++
		if m := lenLine.FindStringSubmatch(o.Stdout); m == nil || m[1] != m[2] {
			r.CleanWrongLen++
		}
	default:
		r.OtherCrash++
		if r.OtherCrashStderrSample == "" {
			r.OtherCrashStderrSample = portablePaths(demo.Excerpt(o.Stderr, "", 30))
		}
	}
	if r.Build == "race" {
		if o.DataRaces > 0 {
			r.DataRaceRuns++
			if r.FirstRaceReport == "" {
				r.FirstRaceReport = portablePaths(demo.Excerpt(o.Stderr, demo.DataRaceBanner, 12))
			}
		} else if o.Kind() == demo.MapFatal {
			r.MapFatalWithoutReport++
		}
	}
}

// portablePaths rewrites the machine-specific directories in a stack trace
// so the committed report does not change with the clone's location:
// the Go installation becomes $GOROOT, this module's directory go-reference.
func portablePaths(trace string) string {
	if root := runtime.GOROOT(); root != "" {
		trace = strings.ReplaceAll(trace, root+"/", "$GOROOT/")
	}
	if dir, err := os.Getwd(); err == nil {
		for d := dir; d != filepath.Dir(d); d = filepath.Dir(d) {
			if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
				trace = strings.ReplaceAll(trace, d+"/", "go-reference/")
				break
			}
		}
	}
	return trace
}
