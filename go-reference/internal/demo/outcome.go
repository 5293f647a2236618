package demo

import (
	"fmt"
	"regexp"
	"strings"
	"time"
)

// Outcome is how one run of a program ended, with the evidence.
type Outcome struct {
	// Exited is true when the process called exit; ExitStatus is then its
	// status. The runtime's fatal errors exit with 2 (runtime/panic.go,
	// fatalthrow); the race detector exits with 66 when it reported races.
	Exited     bool
	ExitStatus int
	// Signal names the signal that killed the process, if one did.
	Signal string
	// TimedOut means RunSpec.Timeout elapsed and we killed the process.
	TimedOut bool

	// FatalErrors lists the text after every "fatal error: " line, in order.
	// Normally there is one; printlock in runtime.fatal keeps two racing
	// fatal reports from interleaving (see issue 69447).
	FatalErrors []string
	// Panic is the text after the first "panic: " line (an unrecovered panic).
	Panic string
	// DataRaces counts "WARNING: DATA RACE" reports from the race detector.
	DataRaces int
	// GoroutineTrace reports whether stderr holds a goroutine stack dump.
	GoroutineTrace bool

	Stdout, Stderr string
	Duration       time.Duration
}

// Kind is the class of an Outcome that the experiment counts.
type Kind string

const (
	// Clean: the program exited 0.
	Clean Kind = "clean"
	// MapFatal: the runtime stopped the program with a concurrent-map fatal
	// error ("concurrent map writes", "concurrent map read and map write", ...).
	MapFatal Kind = "map-fatal"
	// RaceReported: a -race binary printed "WARNING: DATA RACE" and exited
	// with the race detector's exit status (GORACE exitcode, default 66).
	RaceReported Kind = "race-reported"
	// OtherCrash: any other ending: another fatal error, a panic, a signal,
	// a non-zero exit without a map message, or a timeout.
	OtherCrash Kind = "other-crash"
)

// RaceExitStatus is the race detector's default exit status when it
// reported a race (GORACE option exitcode).
const RaceExitStatus = 66

var (
	fatalLine = regexp.MustCompile(`(?m)^fatal error: (.*)$`)
	panicLine = regexp.MustCompile(`(?m)^panic: (.*)$`)
	goroutine = regexp.MustCompile(`(?m)^goroutine \d+ \[`)
)

// DataRaceBanner is the line the race detector prints before each report.
const DataRaceBanner = "WARNING: DATA RACE"

func (o *Outcome) classifyStderr() {
	for _, m := range fatalLine.FindAllStringSubmatch(o.Stderr, -1) {
		o.FatalErrors = append(o.FatalErrors, m[1])
	}
	if m := panicLine.FindStringSubmatch(o.Stderr); m != nil {
		o.Panic = m[1]
	}
	o.DataRaces = strings.Count(o.Stderr, DataRaceBanner)
	o.GoroutineTrace = goroutine.MatchString(o.Stderr)
}

// FatalError returns the first runtime fatal message, or "".
func (o Outcome) FatalError() string {
	if len(o.FatalErrors) == 0 {
		return ""
	}
	return o.FatalErrors[0]
}

// IsMapFatal reports whether msg is one of the map's concurrent-use fatal
// messages from internal/runtime/maps. All of them mention "concurrent map".
func IsMapFatal(msg string) bool {
	return strings.Contains(msg, "concurrent map")
}

// The runtime's messages for two goroutines writing one map. The second
// comes from a small map (at most 8 entries, one group) whose only group
// filled up between the writers' checks: the insert found no empty slot,
// which can only happen if another writer raced it. Which one a run prints
// depends on where the writers collide, so tests accept both.
const (
	WriteWriteFatal    = "concurrent map writes"
	SmallMapSlotsFatal = "small map with no empty slot (concurrent map writes?)"
)

// IsWriteWriteFatal reports whether msg is one of the runtime's messages
// for concurrent writers.
func IsWriteWriteFatal(msg string) bool {
	return msg == WriteWriteFatal || msg == SmallMapSlotsFatal
}

// Kind classifies the outcome. A map fatal error counts as MapFatal only
// when the process really ended with the runtime's exit status 2.
func (o Outcome) Kind() Kind {
	switch {
	case o.TimedOut || !o.Exited:
		return OtherCrash
	case o.ExitStatus == 0:
		return Clean
	case o.ExitStatus == 2 && IsMapFatal(o.FatalError()):
		return MapFatal
	case o.ExitStatus == RaceExitStatus && o.DataRaces > 0:
		return RaceReported
	default:
		return OtherCrash
	}
}

// Status is a short label for how the process ended: "exit 2",
// "signal killed", "timeout".
func (o Outcome) Status() string {
	switch {
	case o.TimedOut:
		return "timeout"
	case o.Signal != "":
		return "signal " + o.Signal
	default:
		return fmt.Sprintf("exit %d", o.ExitStatus)
	}
}

// Excerpt returns at most n lines of s starting at the first line that
// contains marker (or at the top when marker is "" or absent), for error
// messages and reports.
func Excerpt(s, marker string, n int) string {
	lines := strings.Split(s, "\n")
	start := 0
	if marker != "" {
		for i, l := range lines {
			if strings.Contains(l, marker) {
				start = i
				break
			}
		}
	}
	end := min(start+n, len(lines))
	return strings.Join(lines[start:end], "\n")
}

// String summarises the outcome for test failure messages.
func (o Outcome) String() string {
	return fmt.Sprintf("%s (%s) after %v; fatal=%q races=%d\n--- stdout:\n%s\n--- stderr (excerpt):\n%s",
		o.Kind(), o.Status(), o.Duration.Round(time.Millisecond), o.FatalError(), o.DataRaces,
		Excerpt(o.Stdout, "", 20), Excerpt(o.Stderr, "", 40))
}
