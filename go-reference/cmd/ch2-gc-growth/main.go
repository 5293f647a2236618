// Command ch2-gc-growth produces the measured results of chapters 2.3 and
// 2.4 of the book:
//
//   - gc-stress.md: cmd/ch2-gc-stress for each map (map + Mutex, sync.Map),
//     -gc-duration each: writes, GC cycles, GC pauses, values lost or corrupt;
//   - growth-race.md: cmd/ch2-growth-race -runs times at GOMAXPROCS=2 and at
//     GOMAXPROCS=1, each run classified by how it ended, with the post-check's
//     findings for runs the runtime did not stop.
//
// With -out DIR it writes both files into DIR, atomically, once everything
// has run; without -out it prints them. Bad flags exit 2.
//
//	cd go-reference && go run ./cmd/ch2-gc-growth -out ../book/src/generated/ch02
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"concurrentmaps/internal/cmdline"
	"concurrentmaps/internal/demo"
	"concurrentmaps/internal/demoresult"
	"concurrentmaps/internal/genfile"
)

const regenerate = "cd go-reference && go run ./cmd/ch2-gc-growth -out ../book/src/generated/ch02"

// options are the validated command-line flags.
type options struct {
	runs, rounds int
	gcDuration   time.Duration
	outDir       string
}

func main() {
	cmdline.Main(parseFlags, func(ctx context.Context, o options, _, stderr io.Writer) int {
		if err := run(ctx, o.runs, o.rounds, o.gcDuration, o.outDir); err != nil {
			fmt.Fprintf(stderr, "ch2-gc-growth: %v\n", err)
			if ctx.Err() != nil {
				return 130
			}
			return 1
		}
		return 0
	})
}

// parseFlags parses and checks args; on error it has already printed the
// problem (naming the flag) and the usage to stderr.
func parseFlags(args []string, stderr io.Writer) (options, error) {
	fs := cmdline.New("ch2-gc-growth", stderr)
	var o options
	fs.IntAtLeastVar(&o.runs, "runs", 20, 1, "runs of ch2-growth-race per GOMAXPROCS setting (>= 1)")
	fs.IntAtLeastVar(&o.rounds, "rounds", 500, 1, "round bound of each ch2-growth-race run (>= 1)")
	fs.PositiveDurationVar(&o.gcDuration, "gc-duration", 3*time.Second, "how long each ch2-gc-stress map runs (> 0)")
	fs.OutDirVar(&o.outDir, "directory for the generated files (empty: print them)")
	return o, fs.Parse(args)
}

func run(ctx context.Context, runs, rounds int, gcDuration time.Duration, outDir string) error {
	tmp, err := os.MkdirTemp("", "ch2-gc-growth-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	gcBin, err := demo.Build(ctx, tmp, "concurrentmaps/cmd/ch2-gc-stress", demo.BuildOptions{})
	if err != nil {
		return err
	}
	growBin, err := demo.Build(ctx, tmp, "concurrentmaps/cmd/ch2-growth-race", demo.BuildOptions{})
	if err != nil {
		return err
	}
	env := fmt.Sprintf("Go %s, %s/%s, %d vCPUs (%s)", strings.TrimPrefix(runtime.Version(), "go"),
		runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), genfile.CPUModel())

	gcMD, err := gcStress(ctx, gcBin, gcDuration, env)
	if err != nil {
		return err
	}
	growMD, err := growthRace(ctx, growBin, runs, rounds, env)
	if err != nil {
		return err
	}
	files := map[string]string{"gc-stress.md": gcMD, "growth-race.md": growMD}
	for _, name := range []string{"gc-stress.md", "growth-race.md"} {
		body := genfile.Header("go-reference/cmd/ch2-gc-growth", regenerate) + files[name]
		if outDir == "" {
			fmt.Print(body)
			continue
		}
		if err := genfile.WriteAtomic(filepath.Join(outDir, name), []byte(body)); err != nil {
			return err
		}
	}
	return nil
}

// ANCHOR: gc-stress-run
func gcStress(ctx context.Context, bin string, d time.Duration, env string) (string, error) {
	var b strings.Builder
	fmt.Fprintf(&b, "| map | writers | writes | GC cycles | of them forced | GC pauses | median pause | longest pause | keys missing | values corrupt |\n")
	fmt.Fprintf(&b, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, name := range []string{"mutex", "syncmap"} {
		o, err := demo.Run(ctx, demo.RunSpec{Bin: bin, Args: []string{"-map", name, "-duration", d.String()},
			Env: []string{"GOMAXPROCS=2"}, Timeout: d + time.Minute})
		if err != nil {
			return "", err
		}
		var r demoresult.GCStress
		if jerr := json.Unmarshal([]byte(o.Stdout), &r); jerr != nil || o.Kind() == demo.OtherCrash {
			return "", fmt.Errorf("ch2-gc-stress -map %s: want a JSON result, got %s", name, o)
		}
		label := map[string]string{"mutex": "`map` + `sync.Mutex`", "syncmap": "`sync.Map`"}[name]
		fmt.Fprintf(&b, "| %s | %d | %d | %d | %d | %d | ≤ %.0f µs | ≤ %.1f ms | %d of %d | %d |\n",
			label, r.Writers, r.Writes, r.GCCycles, r.ForcedGCs, r.PauseCount, r.PauseP50us, r.PauseMaxus/1000,
			r.Missing, r.Keys, r.Corrupt)
	}
	fmt.Fprintf(&b, "\n%s each, `GOMAXPROCS=2`, `debug.SetGCPercent(1)` plus a goroutine calling `runtime.GC()` in a loop; "+
		"pauses from `/sched/pauses/total/gc:seconds` (histogram bucket upper bounds). %s.\n", d, env)
	return b.String(), nil
}

// ANCHOR_END: gc-stress-run

// ANCHOR: growth-run
func growthRace(ctx context.Context, bin string, runs, rounds int, env string) (string, error) {
	var b strings.Builder
	fmt.Fprintf(&b, "| GOMAXPROCS | runs | stopped: `concurrent map writes` (exit 2) | stopped by another fatal error | other crash (signal, panic, timeout) | not stopped: map intact | not stopped: damage found | median time to the fatal error |\n")
	fmt.Fprintf(&b, "|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	var notes []string
	for _, procs := range []int{2, 1} {
		var mapWrites, otherFatal, otherCrash, intact, damaged int
		var toFatal []time.Duration
		for range runs {
			o, err := demo.Run(ctx, demo.RunSpec{Bin: bin, Args: []string{"-rounds", fmt.Sprint(rounds)},
				Env: []string{fmt.Sprintf("GOMAXPROCS=%d", procs)}, Timeout: time.Minute})
			if err != nil {
				return "", err
			}
			var r demoresult.GrowthRace
			switch {
			case o.ExitStatus == 2 && o.Exited && o.FatalError() == demo.WriteWriteFatal:
				mapWrites++
				toFatal = append(toFatal, o.Duration)
			case o.Exited && o.ExitStatus == 2 && o.FatalError() != "":
				otherFatal++
				notes = append(notes, fmt.Sprintf("GOMAXPROCS=%d: `fatal error: %s`", procs, o.FatalError()))
			case o.Kind() == demo.Clean && json.Unmarshal([]byte(o.Stdout), &r) == nil:
				if r.RoundsBroken == 0 {
					intact++
				} else {
					damaged++
					notes = append(notes, fmt.Sprintf("GOMAXPROCS=%d: %d of %d rounds damaged (%d keys missing, %d wrong values, %d len mismatches, %d range mismatches)",
						procs, r.RoundsBroken, r.Rounds, r.MissingKeys, r.WrongValues, r.LenMismatches, r.RangeMismatch))
				}
			default:
				otherCrash++
				notes = append(notes, fmt.Sprintf("GOMAXPROCS=%d: %s, `%s`", procs, o.Status(),
					strings.TrimSpace(demo.Excerpt(o.Stderr, "", 1))))
			}
		}
		median := "–"
		if len(toFatal) > 0 {
			slices.Sort(toFatal)
			median = toFatal[len(toFatal)/2].Round(time.Millisecond).String()
		}
		fmt.Fprintf(&b, "| %d | %d | %d | %d | %d | %d | %d | %s |\n",
			procs, runs, mapWrites, otherFatal, otherCrash, intact, damaged, median)
	}
	fmt.Fprintf(&b, "\nEach run: 4 goroutines insert 2,000 new keys each into one empty map, "+
		"up to %d rounds (a fresh map per round), until the runtime stops the program. "+
		"Time to the fatal error includes process start-up. %s.\n", rounds, env)
	if len(notes) > 0 {
		b.WriteString("\nEndings other than `concurrent map writes` and intact maps:\n\n")
		for _, n := range notes {
			fmt.Fprintf(&b, "- %s\n", n)
		}
	}
	return b.String(), nil
}

// ANCHOR_END: growth-run
