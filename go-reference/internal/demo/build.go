// Package demo builds a chapter program into its own binary, runs it under a
// chosen environment, and classifies how it ended. It is the one home for
// this logic: the chapter tests and the ch1-detection experiment both use it.
//
// Racy programs are always built and run as separate processes, because a
// concurrent-map fatal error kills the whole process: it cannot be contained
// inside a test binary (see runtime.fatal in runtime/panic.go).
package demo

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// BuildOptions says how to build a chapter program.
type BuildOptions struct {
	// Race builds with -race (ThreadSanitizer). The go command refuses
	// -race without cgo ("-race requires cgo", Go 1.26 on linux/amd64), so
	// Build sets CGO_ENABLED=1, which needs a C compiler (gcc) to link.
	Race bool
}

// Build compiles the package pkg (an import path inside this module, e.g.
// "concurrentmaps/cmd/ch1-two-writers") into dir and returns the binary's
// path. The go command runs in the current directory, which must be inside
// the module: tests run in their package directory, and the experiment is
// run from go-reference/.
func Build(ctx context.Context, dir, pkg string, opt BuildOptions) (string, error) {
	goCmd, err := goTool()
	if err != nil {
		return "", err
	}
	name := filepath.Base(pkg)
	if opt.Race {
		name += "-race"
	}
	out := filepath.Join(dir, name)
	args := []string{"build", "-o", out}
	if opt.Race {
		args = append(args, "-race")
	}
	args = append(args, pkg)
	cmd := exec.CommandContext(ctx, goCmd, args...)
	cmd.Env = os.Environ()
	if opt.Race {
		cmd.Env = append(cmd.Env, "CGO_ENABLED=1")
	}
	var combined bytes.Buffer
	cmd.Stdout = &combined
	cmd.Stderr = &combined
	if err := cmd.Run(); err != nil {
		err = fmt.Errorf("go %s: %v\n%s", strings.Join(args, " "), err, combined.String())
		if opt.Race && raceUnsupported(combined.String()) {
			err = fmt.Errorf("%w: %v", ErrRaceUnsupported, err)
		}
		return "", err
	}
	return out, nil
}

// ErrRaceUnsupported marks a -race build that failed because this machine
// cannot build race binaries (no cgo/C compiler, or an unsupported
// GOOS/GOARCH). Tests skip on it; any other build error is a failure.
var ErrRaceUnsupported = errors.New("the race detector cannot be built here")

func raceUnsupported(goOutput string) bool {
	for _, s := range []string{
		"-race requires cgo",
		"-race is not supported on",
		`exec: "gcc": executable file not found`,
		"C compiler",
	} {
		if strings.Contains(goOutput, s) {
			return true
		}
	}
	return false
}

// goTool finds the go command: "go" on PATH (where it is for anyone who
// typed go test or go run), else $GOROOT/bin/go.
func goTool() (string, error) {
	p, pathErr := exec.LookPath("go")
	if pathErr == nil {
		return p, nil
	}
	if root := os.Getenv("GOROOT"); root != "" {
		p := filepath.Join(root, "bin", "go")
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("cannot find the go command: want it on PATH (%v) or at $GOROOT/bin/go", pathErr)
}
