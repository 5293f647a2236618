package runner

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
)

// Config is one run's command line (RUNNER-SPEC.md, "Command line").
type Config struct {
	TracePath string // --trace
	MapName   string // --map: a registry name, or "noop"
	OutDir    string // --out-dir: created if missing
	RunID     string // --run-id: names DIR/<run_id>.jsonl and .hlog

	IntervalMs  int64 // --interval-ms, >= 1
	SampleEvery int64 // --latency-sample-every: time op i iff i%K == 0; 0 = no latency
	DurationMs  int64 // --duration-ms: 0 = replay each stream once; > 0 = loop until elapsed
	WarmupOps   int64 // --warmup-ops: per worker, untimed, before the barrier
	OpDelayNs   int64 // --op-delay-ns: spin this long after every op
	OpWorkSteps int64 // --op-work-steps: spin exactly this many chain steps after every op (uncalibrated)

	ListMaps bool // --list-maps: print the registry as JSON lines and exit 0
}

// usageError is bad input on the command line: exit status 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func badFlag(name, format string, args ...any) error {
	return &usageError{msg: "--" + name + ": " + fmt.Sprintf(format, args...)}
}

// parseFlags parses args (without the program name). Go's flag package
// accepts both -flag and --flag, and "--flag value" as well as "--flag=value".
// It returns flag.ErrHelp for -h/--help, after printing the usage to out.
func parseFlags(args []string, out io.Writer) (Config, error) {
	var c Config
	fs := flag.NewFlagSet("runner", flag.ContinueOnError)
	fs.SetOutput(out)
	fs.StringVar(&c.TracePath, "trace", "", "trace file written by `mapbench trace` (comparisons/TRACE-FORMAT.md)")
	fs.StringVar(&c.MapName, "map", "", "map to replay against: a name from --list-maps, or noop (the harness's own cost)")
	fs.StringVar(&c.OutDir, "out-dir", "", "directory for <run-id>.jsonl and <run-id>.hlog (created if missing)")
	fs.StringVar(&c.RunID, "run-id", "", "run identifier; the results files must not exist yet")
	fs.Int64Var(&c.IntervalMs, "interval-ms", 100, "length of one results interval in milliseconds")
	fs.Int64Var(&c.SampleEvery, "latency-sample-every", 1024, "time every K-th op of each worker (0: no latency)")
	fs.Int64Var(&c.DurationMs, "duration-ms", 0, "0: replay each stream once; > 0: replay in a loop for this long")
	fs.Int64Var(&c.WarmupOps, "warmup-ops", 0, "ops each worker replays untimed before the measured phase")
	fs.Int64Var(&c.OpDelayNs, "op-delay-ns", 0, "spin this many ns after every op")
	fs.Int64Var(&c.OpWorkSteps, "op-work-steps", 0, "spin exactly this many steps of the delay's chain after every op, uncalibrated (for instruction counts)")
	fs.BoolVar(&c.ListMaps, "list-maps", false, "print the maps as JSON lines and exit")
	fs.Usage = func() {
		fmt.Fprintf(out, "usage: runner --trace PATH --map NAME --out-dir DIR --run-id ID [options]\n       runner --list-maps\n\nOptions (either -flag or --flag):\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return c, err
		}
		return c, &usageError{msg: err.Error()}
	}
	if fs.NArg() > 0 {
		return c, &usageError{msg: fmt.Sprintf("unexpected argument %q: every option is a flag (see --help)", fs.Arg(0))}
	}
	if c.ListMaps {
		return c, nil
	}
	for _, f := range []struct{ name, value string }{
		{"trace", c.TracePath}, {"map", c.MapName}, {"out-dir", c.OutDir}, {"run-id", c.RunID},
	} {
		if f.value == "" {
			return c, badFlag(f.name, "required, expected a value, found none")
		}
	}
	if err := checkRunID(c.RunID); err != nil {
		return c, err
	}
	if c.IntervalMs < 1 {
		return c, badFlag("interval-ms", "expected a whole number of milliseconds >= 1, found %d", c.IntervalMs)
	}
	if c.IntervalMs > 3_600_000 {
		return c, badFlag("interval-ms", "expected at most 3600000 (one hour), found %d", c.IntervalMs)
	}
	for _, f := range []struct {
		name  string
		value int64
		what  string
	}{
		{"latency-sample-every", c.SampleEvery, "a sampling period >= 0 (0 disables latency)"},
		{"duration-ms", c.DurationMs, "a duration in milliseconds >= 0 (0: replay each stream once)"},
		{"warmup-ops", c.WarmupOps, "an op count >= 0"},
		{"op-delay-ns", c.OpDelayNs, "a delay in nanoseconds >= 0"},
		{"op-work-steps", c.OpWorkSteps, "a step count >= 0"},
	} {
		if f.value < 0 {
			return c, badFlag(f.name, "expected %s, found %d", f.what, f.value)
		}
	}
	if c.OpDelayNs > 0 && c.OpWorkSteps > 0 {
		return c, badFlag("op-work-steps", "expected 0 when --op-delay-ns is set (one delay per op), found %d", c.OpWorkSteps)
	}
	return c, nil
}

// checkRunID accepts any run id that names a file in the out dir: not empty,
// not "." or "..", no path separator, control character or space.
func checkRunID(id string) error {
	if id == "." || id == ".." {
		return badFlag("run-id", "expected a file name stem, found %q", id)
	}
	if i := strings.IndexFunc(id, func(r rune) bool { return r == '/' || r == '\\' || r <= ' ' || r == 0x7f }); i >= 0 {
		return badFlag("run-id", "expected a file name stem without path separators, spaces or control characters, found %q", id)
	}
	return nil
}
