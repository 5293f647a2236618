// Command ch2-experiments produces the measured results of chapter 2.1 and
// 2.2 of the book:
//
//   - detection.md: each of cmd/ch2-map-fatal's four operations raced
//     against a writer -runs times at GOMAXPROCS=2 until the runtime stops
//     it (message, exit status, whether recover() ran, time taken), and one
//     -race run of each at GOMAXPROCS=1;
//   - race-history.md: the -race build of the two-writer case with longer
//     and longer runs, showing when the race detector stops reporting;
//   - torn-reads.md: cmd/ch2-torn-reads for every value, -torn-duration each;
//   - lost-updates.md: cmd/ch2-lost-updates for every counter, -lost-rounds
//     rounds each, and whether the -race build reports it;
//   - ch02.json: all of the above, unrounded.
//
// With -out DIR it writes those files into DIR, each atomically, and only
// once everything has run: an interrupted run (SIGINT, SIGTERM) writes
// nothing and exits 130. Without -out it prints the tables. Progress goes to
// stderr; bad flags exit 2.
//
//	cd go-reference && go run ./cmd/ch2-experiments -out ../book/src/generated/ch02
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"concurrentmaps/internal/cmdline"
)

// regenerate is the exact command that rebuilds the generated files.
const regenerate = "cd go-reference && go run ./cmd/ch2-experiments -out ../book/src/generated/ch02"

// options are the validated command-line flags.
type options struct {
	runs         int
	tornDuration time.Duration
	lostRounds   int
	lostN        int
	race         bool
	runTimeout   time.Duration
	outDir       string
}

func main() {
	cmdline.Main(parseFlags, run)
}

// parseFlags parses and checks args; on error it has already printed the
// problem (naming the flag) and the usage to stderr.
func parseFlags(args []string, stderr io.Writer) (options, error) {
	fs := cmdline.New("ch2-experiments", stderr)
	var o options
	fs.IntAtLeastVar(&o.runs, "runs", 5, 1, "runs of each ch2-map-fatal operation until the runtime stops it (>= 1)")
	fs.PositiveDurationVar(&o.tornDuration, "torn-duration", time.Second, "how long each ch2-torn-reads value runs (> 0)")
	fs.IntAtLeastVar(&o.lostRounds, "lost-rounds", 20, 1, "rounds of each ch2-lost-updates counter (>= 1)")
	fs.IntAtLeastVar(&o.lostN, "lost-n", 1_000_000, 1, "increments per goroutine per round (>= 1)")
	fs.BoolVar(&o.race, "race", true, "also build and run the -race binaries (needs cgo and a C compiler)")
	fs.PositiveDurationVar(&o.runTimeout, "run-timeout", 60*time.Second, "kill a single run after this long (> 0)")
	fs.OutDirVar(&o.outDir, "directory for the generated files (empty: print the tables to stdout)")
	return o, fs.Parse(args)
}

// run does every experiment and returns the exit status.
func run(ctx context.Context, opt options, stdout, stderr io.Writer) int {
	logf := func(format string, a ...any) { fmt.Fprintf(stderr, "ch2-experiments: "+format+"\n", a...) }
	started := time.Now()
	tmp, err := os.MkdirTemp("", "ch2-experiments-")
	if err != nil {
		logf("%v", err)
		return 1
	}
	defer os.RemoveAll(tmp)

	rep := newReport(opt, started)
	bins, err := buildAll(ctx, tmp, opt.race, logf)
	if err == nil {
		err = measureAll(ctx, rep, bins, opt, logf)
	}
	if ctx.Err() != nil {
		logf("interrupted: nothing written")
		return 130
	}
	if err != nil {
		logf("%v", err)
		return 1
	}
	if err := writeOutputs(rep, opt.outDir, stdout); err != nil {
		logf("%v", err)
		return 1
	}
	if opt.outDir != "" {
		logf("wrote %s/{%s} in %v", opt.outDir, outputNames(), time.Since(started).Round(time.Second))
	}
	return 0
}

func outputNames() string {
	s := jsonFile
	for _, f := range markdownFiles {
		s += "," + f.name
	}
	return s
}
