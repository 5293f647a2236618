package demo

import (
	"strings"
	"testing"
)

// A fatal map error as the Go 1.26 runtime prints it (trimmed).
const fatalStderr = `fatal error: concurrent map writes

goroutine 19 [running]:
internal/runtime/maps.fatal({0x4d7d55?, 0x0?})
	/usr/local/go/src/runtime/panic.go:1181 +0x18
`

func TestKind(t *testing.T) {
	for _, tc := range []struct {
		name string
		o    Outcome
		want Kind
	}{
		{"exit 0", Outcome{Exited: true}, Clean},
		{"map fatal", Outcome{Exited: true, ExitStatus: 2, Stderr: fatalStderr}, MapFatal},
		{"other fatal", Outcome{Exited: true, ExitStatus: 2, Stderr: "fatal error: all goroutines are asleep - deadlock!\n"}, OtherCrash},
		{"panic", Outcome{Exited: true, ExitStatus: 2, Stderr: "panic: boom\n\ngoroutine 1 [running]:\n"}, OtherCrash},
		{"race exit", Outcome{Exited: true, ExitStatus: 66, Stderr: "WARNING: DATA RACE\n"}, RaceReported},
		{"exit 66 without report", Outcome{Exited: true, ExitStatus: 66}, OtherCrash},
		{"small map out of slots", Outcome{Exited: true, ExitStatus: 2, Stderr: "fatal error: " + SmallMapSlotsFatal + "\n"}, MapFatal},
		{"race report then map fatal", Outcome{Exited: true, ExitStatus: 2, Stderr: "WARNING: DATA RACE\n" + fatalStderr}, MapFatal},
		{"signal", Outcome{Signal: "killed"}, OtherCrash},
		{"timeout", Outcome{TimedOut: true, Signal: "killed"}, OtherCrash},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.o.classifyStderr()
			if got := tc.o.Kind(); got != tc.want {
				t.Errorf("Kind() = %s, want %s", got, tc.want)
			}
		})
	}
}

func TestClassifyStderr(t *testing.T) {
	o := Outcome{Exited: true, ExitStatus: 2, Stderr: "==================\nWARNING: DATA RACE\n...\n" + fatalStderr}
	o.classifyStderr()
	if o.FatalError() != "concurrent map writes" || o.DataRaces != 1 || !o.GoroutineTrace {
		t.Errorf("got fatal=%q races=%d trace=%v", o.FatalError(), o.DataRaces, o.GoroutineTrace)
	}
}

func TestIsWriteWriteFatal(t *testing.T) {
	for msg, want := range map[string]bool{
		WriteWriteFatal:                      true,
		SmallMapSlotsFatal:                   true,
		"concurrent map read and map write":  false,
		"concurrent map clone and map write": false,
		"":                                   false,
	} {
		if got := IsWriteWriteFatal(msg); got != want {
			t.Errorf("IsWriteWriteFatal(%q) = %v, want %v", msg, got, want)
		}
	}
}

func TestCappedKeepsPrefix(t *testing.T) {
	c := &capped{max: 4}
	c.Write([]byte("abc"))
	c.Write([]byte("defg"))
	if got := c.String(); !strings.HasPrefix(got, "abcd\n") || !strings.Contains(got, "3 more bytes dropped") {
		t.Errorf("capped.String() = %q", got)
	}
}

func TestExcerpt(t *testing.T) {
	if got := Excerpt("a\nb\nfatal error: x\nc\nd", "fatal error", 2); got != "fatal error: x\nc" {
		t.Errorf("Excerpt = %q", got)
	}
}
