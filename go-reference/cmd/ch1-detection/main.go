// Command ch1-detection measures claims C1, C4 and C6 of chapter 1.
//
// It builds cmd/ch1-two-writers twice (normally and with -race), runs the
// normal binary -runs times for each GOMAXPROCS in {1, 2} and each
// writes-per-goroutine in {1000, 100000}, runs the -race binary -race-runs
// times, and counts how each run ended. It then measures allocations per
// operation of sync.Map and a mutex-guarded map with testing.Benchmark.
//
// With -out DIR it writes DIR/detection.json, DIR/detection.md and
// DIR/store-allocs.md, each atomically. Progress goes to stderr. On SIGINT
// or SIGTERM it stops, discards the run in flight, and writes what finished,
// marked partial (exit status 130).
//
//	cd go-reference && go run ./cmd/ch1-detection -out ../book/src/generated/ch01
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"concurrentmaps/internal/cmdline"
)

// regenerate is the exact command that rebuilds the generated files; the
// files quote it so a reader knows how to refresh them.
const regenerate = "cd go-reference && go run ./cmd/ch1-detection -out ../book/src/generated/ch01"

// options are the validated command-line flags.
type options struct {
	runs       int
	raceRuns   int
	benchN     int
	runTimeout time.Duration
	outDir     string
}

func main() {
	cmdline.Main(parseFlags, run)
}

// parseFlags parses and checks args; on error it has already printed the
// problem (naming the flag) and the usage to stderr.
func parseFlags(args []string, stderr io.Writer) (options, error) {
	fs := cmdline.New("ch1-detection", stderr)
	var o options
	fs.IntAtLeastVar(&o.runs, "runs", 50, 1, "runs of the normal binary per configuration (>= 1)")
	fs.IntAtLeastVar(&o.raceRuns, "race-runs", 3, 0, "runs of the -race binary per GOMAXPROCS value (>= 0; 0 skips the -race build)")
	fs.IntAtLeastVar(&o.benchN, "bench-n", 200_000, 1, "iterations of each allocation benchmark (>= 1)")
	fs.PositiveDurationVar(&o.runTimeout, "run-timeout", 30*time.Second, "kill a single run after this long (> 0)")
	fs.OutDirVar(&o.outDir, "directory for detection.json, detection.md, store-allocs.md (empty: print the tables to stdout)")
	return o, fs.Parse(args)
}

// run does the whole experiment and returns the exit status.
func run(ctx context.Context, opt options, stdout, stderr io.Writer) int {
	logf := func(format string, a ...any) { fmt.Fprintf(stderr, "ch1-detection: "+format+"\n", a...) }
	started := time.Now()

	tmp, err := os.MkdirTemp("", "ch1-detection-")
	if err != nil {
		logf("%v", err)
		return 1
	}
	defer os.RemoveAll(tmp)

	rep := newReport(opt, started)
	bins, err := buildBinaries(ctx, tmp, opt.raceRuns > 0, logf)
	if err != nil {
		if ctx.Err() != nil {
			logf("interrupted while building; nothing measured, no file written")
			return 130
		}
		logf("%v", err)
		return 1
	}
	rep.Detection = runDetection(ctx, bins, opt, logf)
	if ctx.Err() == nil {
		rep.StoreAllocs = measureStoreAllocs(ctx, opt.benchN, logf)
	}
	rep.Partial = ctx.Err() != nil
	if rep.Partial && rep.runsDone() == 0 {
		logf("interrupted before any run finished; no file written")
		return 130
	}

	if err := writeOutputs(rep, opt.outDir, stdout); err != nil {
		logf("%v", err)
		return 1
	}
	if opt.outDir != "" {
		logf("wrote %s in %v", filepath.Join(opt.outDir, "{"+jsonFile+","+detectionMD+","+allocsMD+"}"),
			time.Since(started).Round(time.Second))
	}
	if rep.Partial {
		logf("interrupted: the files hold the finished runs and say partial")
		return 130
	}
	return 0
}
