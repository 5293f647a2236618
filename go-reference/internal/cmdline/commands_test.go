package cmdline_test

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"concurrentmaps/internal/demo"
)

// TestEveryCommandAnswersHelpAndRejectsAnUnknownFlag builds every command
// under cmd/ and runs it twice: -h must print the usage and exit 0, and an
// unknown flag must exit 2 with a message naming the flag. A command that
// ignores its arguments would run its experiment instead (and fail here).
func TestEveryCommandAnswersHelpAndRejectsAnUnknownFlag(t *testing.T) {
	if testing.Short() {
		t.Skip("builds every command")
	}
	dirs, err := filepath.Glob("../../cmd/*/main.go")
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no commands under cmd/: %v", err)
	}
	for _, mainGo := range dirs {
		name := filepath.Base(filepath.Dir(mainGo))
		t.Run(name, func(t *testing.T) {
			bin := demo.BuildForTest(t, "concurrentmaps/cmd/"+name, demo.BuildOptions{})
			help := demo.RunForTest(t, demo.RunSpec{Bin: bin, Args: []string{"-h"}, Timeout: time.Minute})
			if !help.Exited || help.ExitStatus != 0 || !strings.Contains(strings.ToLower(help.Stderr+help.Stdout), "usage") {
				t.Errorf("-h: want exit 0 and the usage, got %s", help)
			}
			bad := demo.RunForTest(t, demo.RunSpec{Bin: bin, Args: []string{"-no-such-flag"}, Timeout: time.Minute})
			if !bad.Exited || bad.ExitStatus != 2 || !strings.Contains(bad.Stderr, "no-such-flag") {
				t.Errorf("-no-such-flag: want exit 2 naming the flag, got %s", bad)
			}
		})
	}
}
