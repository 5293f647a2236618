// Package cmdline is the scaffolding the experiment commands share: flag
// errors that name the flag, print the usage and exit with status 2, and a
// run that SIGINT or SIGTERM cancels through its context, so that the
// command can write what finished before it exits.
package cmdline

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
	"time"
)

// Flags is a flag set whose errors are usage errors: each is printed as
// "name: problem", followed by the usage.
type Flags struct {
	*flag.FlagSet
	name   string
	stderr io.Writer
	// checks run after a successful parse, in the order their flags were
	// defined; the first that fails is the error.
	checks []func() error
}

// New returns an empty flag set for the command called name, writing its
// errors and usage to stderr.
func New(name string, stderr io.Writer) *Flags {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return &Flags{FlagSet: fs, name: name, stderr: stderr}
}

// Parse parses args; the commands take flags only, so a positional
// argument is an error too.
func (f *Flags) Parse(args []string) error {
	if err := f.FlagSet.Parse(args); err != nil {
		return err // the flag package has printed it with the usage
	}
	if f.NArg() > 0 {
		return f.Bad("unexpected argument %q: all options are flags", f.Arg(0))
	}
	for _, check := range f.checks {
		if err := check(); err != nil {
			return err
		}
	}
	return nil
}

// check adds a condition that Parse tests after parsing: when ok() is
// false, Parse prints the problem and the usage and returns it.
func (f *Flags) check(ok func() bool, format string, a func() []any) {
	f.checks = append(f.checks, func() error {
		if ok() {
			return nil
		}
		return f.Bad(format, a()...)
	})
}

// IntAtLeastVar defines an int flag whose value Parse requires to be >= min
// ("-name must be >= min, got N").
func (f *Flags) IntAtLeastVar(p *int, name string, value, min int, usage string) {
	f.IntVar(p, name, value, usage)
	f.check(func() bool { return *p >= min }, "-%s must be >= %d, got %d", func() []any { return []any{name, min, *p} })
}

// PositiveDurationVar defines a duration flag whose value Parse requires to
// be > 0 ("-name must be > 0, got D").
func (f *Flags) PositiveDurationVar(p *time.Duration, name string, value time.Duration, usage string) {
	f.DurationVar(p, name, value, usage)
	f.check(func() bool { return *p > 0 }, "-%s must be > 0, got %v", func() []any { return []any{name, *p} })
}

// OutDirVar defines -out DIR, the directory a command writes its generated
// files into (empty, the default: it prints them instead). Parse rejects a
// DIR that is not an existing directory: the command never creates it.
func (f *Flags) OutDirVar(p *string, usage string) {
	f.StringVar(p, "out", "", usage)
	f.check(func() bool {
		fi, err := os.Stat(*p)
		return *p == "" || err == nil && fi.IsDir()
	}, "-out %s: want an existing directory", func() []any { return []any{*p} })
}

// Bad prints the problem and the usage, and returns the problem as an error.
func (f *Flags) Bad(format string, a ...any) error {
	err := fmt.Errorf(format, a...)
	fmt.Fprintf(f.stderr, "%s: %v\n", f.name, err)
	f.Usage()
	return err
}

// Status is the exit status for the error a flag parser returned: 0 when
// the user asked for -h (the usage is the answer), 2 otherwise.
func Status(err error) int {
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	return 2
}

// MustParse returns the options, or exits with Status(err) when parsing
// failed (the parser has printed why).
func MustParse[O any](o O, err error) O {
	if err != nil {
		os.Exit(Status(err))
	}
	return o
}

// Main parses the process's arguments with parse and runs run with a
// context that SIGINT and SIGTERM cancel; it exits with run's status.
func Main[O any](parse func(args []string, stderr io.Writer) (O, error), run func(ctx context.Context, o O, stdout, stderr io.Writer) int) {
	o := MustParse(parse(os.Args[1:], os.Stderr))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	status := run(ctx, o, os.Stdout, os.Stderr)
	stop()
	os.Exit(status)
}

// UsageError is for the small demo programs that use the global flag set:
// it prints "name: problem" and the usage to stderr, and exits with status 2.
func UsageError(name, format string, a ...any) {
	fmt.Fprintf(os.Stderr, "%s: %s\n", name, fmt.Sprintf(format, a...))
	flag.Usage()
	os.Exit(2)
}

// Names returns the keys of choices, sorted: what a flag that picks one of
// them accepts, for its usage line and its error.
func Names[V any](choices map[string]V) []string {
	return slices.Sorted(maps.Keys(choices))
}

// OneOf returns choices[name], or an error `-flag must be one of a, b, got
// "name"` when name is not a key (the flag left empty included).
func OneOf[V any](flagName string, choices map[string]V, name string) (V, error) {
	v, ok := choices[name]
	if !ok {
		return v, fmt.Errorf("-%s must be one of %s, got %q", flagName, strings.Join(Names(choices), ", "), name)
	}
	return v, nil
}
