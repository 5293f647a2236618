package main

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"concurrentmaps/internal/demo"
)

// The programs measured, by import path.
const (
	mapFatalPkg    = "concurrentmaps/cmd/ch2-map-fatal"
	tornReadsPkg   = "concurrentmaps/cmd/ch2-torn-reads"
	lostUpdatesPkg = "concurrentmaps/cmd/ch2-lost-updates"
)

// What is measured, in the order the tables list it. The messages are the
// Go 1.26 runtime's (internal/runtime/maps); ch2-map-fatal's tests pin them.
var (
	fatalOps = []struct{ op, message string }{
		{"write", "concurrent map writes"},
		{"read", "concurrent map read and map write"},
		{"iterate", "concurrent map iteration and map write"},
		{"clone", "concurrent map clone and map write"},
	}
	historyRounds = []int{1, 10, 30, 100, 1000}
	tornValues    = []string{"word", "pair", "string", "pair-mutex", "pair-atomic"}
	lostCounters  = []string{"plain", "atomic", "map-split", "map-locked"}
)

// binaries holds the built programs; race binaries are "" without -race.
type binaries struct {
	mapFatal, mapFatalRace       string
	tornReads                    string
	lostUpdates, lostUpdatesRace string
}

func buildAll(ctx context.Context, dir string, race bool, logf func(string, ...any)) (binaries, error) {
	var b binaries
	for _, t := range []struct {
		pkg  string
		race bool
		bin  *string
	}{
		{mapFatalPkg, false, &b.mapFatal},
		{tornReadsPkg, false, &b.tornReads},
		{lostUpdatesPkg, false, &b.lostUpdates},
		{mapFatalPkg, true, &b.mapFatalRace},
		{lostUpdatesPkg, true, &b.lostUpdatesRace},
	} {
		if t.race && !race {
			continue
		}
		logf("building %s (race=%v)", t.pkg, t.race)
		bin, err := demo.Build(ctx, dir, t.pkg, demo.BuildOptions{Race: t.race})
		if err != nil {
			return b, err
		}
		*t.bin = bin
	}
	return b, nil
}

func measureAll(ctx context.Context, rep *Report, bins binaries, opt options, logf func(string, ...any)) error {
	for _, o := range fatalOps {
		r, err := measureFatal(ctx, bins, o.op, o.message, opt, logf)
		if err != nil {
			return err
		}
		rep.Fatal = append(rep.Fatal, r)
	}
	if bins.mapFatalRace != "" {
		for _, rounds := range historyRounds {
			r, err := measureHistory(ctx, bins.mapFatalRace, rounds, opt, logf)
			if err != nil {
				return err
			}
			rep.RaceHistory = append(rep.RaceHistory, r)
		}
	}
	for _, v := range tornValues {
		logf("ch2-torn-reads -value %s for %v", v, opt.tornDuration)
		var r TornResult
		if err := runJSON(ctx, bins.tornReads, opt.runTimeout+opt.tornDuration, &r,
			"-value", v, "-tears", "0", "-duration", opt.tornDuration.String()); err != nil {
			return err
		}
		rep.Torn = append(rep.Torn, r)
	}
	for _, c := range lostCounters {
		logf("ch2-lost-updates -counter %s, %d rounds of 2 x %d", c, opt.lostRounds, opt.lostN)
		var r LostResult
		if err := runJSON(ctx, bins.lostUpdates, opt.runTimeout, &r,
			"-counter", c, "-rounds", strconv.Itoa(opt.lostRounds), "-n", strconv.Itoa(opt.lostN)); err != nil {
			return err
		}
		if bins.lostUpdatesRace != "" {
			o, err := demo.Run(ctx, demo.RunSpec{
				Bin: bins.lostUpdatesRace, Args: []string{"-counter", c, "-rounds", "1", "-n", "10000"},
				Env: []string{"GOMAXPROCS=2"}, Timeout: opt.runTimeout,
			})
			if err != nil {
				return err
			}
			r.RaceChecked, r.RaceReported, r.RaceExit = true, o.DataRaces > 0, o.Status()
		}
		rep.Lost = append(rep.Lost, r)
	}
	return nil
}

// measureFatal runs one operation opt.runs times until the runtime stops
// it, then once under -race at GOMAXPROCS=1 with one pass per goroutine.
func measureFatal(ctx context.Context, bins binaries, op, message string, opt options, logf func(string, ...any)) (FatalResult, error) {
	r := FatalResult{Op: op, Message: message, Statuses: map[string]int{}}
	for i := range opt.runs {
		o, err := demo.Run(ctx, demo.RunSpec{
			Bin: bins.mapFatal, Args: []string{"-op", op, "-timeout", "20s"},
			Env: []string{"GOMAXPROCS=2"}, Timeout: opt.runTimeout,
		})
		if err != nil {
			return r, err
		}
		r.Runs++
		r.Statuses[o.Status()]++
		switch {
		case o.Exited && o.ExitStatus == 2 && o.FatalError() == message:
			r.ExpectedFatal++
			r.SecondsToFatal = append(r.SecondsToFatal, o.Duration.Seconds())
		case o.FatalError() != "":
			r.OtherMessages = append(r.OtherMessages, o.FatalError())
		}
		if strings.Contains(o.Stdout, "RECOVERED:") {
			r.Recovered++
		}
		logf("ch2-map-fatal -op %s run %d/%d: %s %q after %v", op, i+1, opt.runs, o.Status(), o.FatalError(), o.Duration.Round(time.Millisecond))
	}
	if bins.mapFatalRace == "" {
		return r, nil
	}
	o, err := demo.Run(ctx, demo.RunSpec{
		Bin: bins.mapFatalRace, Args: []string{"-op", op, "-rounds", "1"},
		Env: []string{"GOMAXPROCS=1"}, Timeout: opt.runTimeout,
	})
	if err != nil {
		return r, err
	}
	r.RaceChecked, r.RaceReports, r.RaceExit = true, o.DataRaces, o.Status()
	r.RaceFrames = accessFrames(o.Stderr)
	logf("ch2-map-fatal -race -op %s: %d reports, %s", op, o.DataRaces, o.Status())
	return r, nil
}

// measureHistory runs the -race two-writer case with rounds passes per
// goroutine, once with the default GORACE and once with the largest
// history_size the race detector accepts (7).
func measureHistory(ctx context.Context, bin string, rounds int, opt options, logf func(string, ...any)) (HistoryResult, error) {
	r := HistoryResult{Rounds: rounds, Keys: mapFatalKeys}
	for _, env := range []string{"", "GORACE=history_size=7"} {
		spec := demo.RunSpec{
			Bin: bin, Args: []string{"-op", "write", "-rounds", strconv.Itoa(rounds)},
			Env: []string{"GOMAXPROCS=1"}, Timeout: opt.runTimeout,
		}
		if env != "" {
			spec.Env = append(spec.Env, env)
		}
		o, err := demo.Run(ctx, spec)
		if err != nil {
			return r, err
		}
		logf("ch2-map-fatal -race -op write -rounds %d %s: %d reports, %s", rounds, env, o.DataRaces, o.Status())
		if env == "" {
			r.Reports, r.Exit = o.DataRaces, o.Status()
		} else {
			r.ReportsHistory7, r.ExitHistory7 = o.DataRaces, o.Status()
		}
	}
	return r, nil
}

// mapFatalKeys is ch2-map-fatal's default -keys: each pass writes them all.
const mapFatalKeys = 1024

// accessFrame matches the first frame under a race report's access line.
var accessFrame = regexp.MustCompile(`(?m)^(?:Previous )?(?:[Rr]ead|[Ww]rite) at 0x[0-9a-f]+ by [^\n]*:\n\s+(\S+)\(\)`)

// accessFrames lists, sorted and without repeats, the function that made
// each access in a race report.
func accessFrames(stderr string) []string {
	var fns []string
	for _, m := range accessFrame.FindAllStringSubmatch(stderr, -1) {
		fns = append(fns, m[1])
	}
	slices.Sort(fns)
	return slices.Compact(fns)
}

// runJSON runs bin at GOMAXPROCS=2 with args plus -json and decodes its
// stdout into v. Any other ending is an error.
func runJSON(ctx context.Context, bin string, timeout time.Duration, v any, args ...string) error {
	o, err := demo.Run(ctx, demo.RunSpec{
		Bin: bin, Args: append(args, "-json"), Env: []string{"GOMAXPROCS=2"}, Timeout: timeout,
	})
	if err != nil {
		return err
	}
	if !o.Exited || o.ExitStatus != 0 {
		return fmt.Errorf("%s %v: %s", bin, args, o)
	}
	if err := json.Unmarshal([]byte(o.Stdout), v); err != nil {
		return fmt.Errorf("%s %v: stdout is not one JSON result: %v\n%s", bin, args, err, o.Stdout)
	}
	return nil
}
