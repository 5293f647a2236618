package demo

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

// RunSpec says how to run a built binary once.
type RunSpec struct {
	Bin  string
	Args []string
	// Env holds KEY=VALUE pairs added to the parent's environment after
	// GOMAXPROCS, GORACE and GOTRACEBACK are removed from it, so a run's
	// scheduler and race settings are exactly the ones the caller chose.
	Env []string
	// Timeout kills the process (SIGKILL) when it elapses; 0 means none.
	Timeout time.Duration
}

// Output beyond this many bytes per stream is dropped. A fatal error's
// goroutine dump for these small programs is a few KiB; the cap only guards
// against a runaway child filling memory.
const maxCapture = 1 << 20

// Run starts spec.Bin and waits for it to end. The error is non-nil only
// when the process could not be started or ctx was cancelled; a program
// that crashes is a normal Outcome, not an error.
func Run(ctx context.Context, spec RunSpec) (Outcome, error) {
	if spec.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, spec.Timeout)
		defer cancel()
	}
	cmd := exec.CommandContext(ctx, spec.Bin, spec.Args...)
	cmd.Env = append(environWithout("GOMAXPROCS", "GORACE", "GOTRACEBACK"), spec.Env...)
	stdout, stderr := &capped{max: maxCapture}, &capped{max: maxCapture}
	cmd.Stdout, cmd.Stderr = stdout, stderr
	cmd.WaitDelay = 2 * time.Second // do not hang on a grandchild holding the pipes

	start := time.Now()
	err := cmd.Run()
	o := Outcome{
		Stdout:   stdout.String(),
		Stderr:   stderr.String(),
		Duration: time.Since(start),
	}
	var exitErr *exec.ExitError
	switch {
	case err == nil:
		o.Exited = true
	case errors.As(err, &exitErr):
		ws, _ := exitErr.Sys().(syscall.WaitStatus)
		if ws.Signaled() {
			o.Signal = ws.Signal().String()
		} else {
			o.Exited = true
			o.ExitStatus = ws.ExitStatus()
		}
	default:
		return o, fmt.Errorf("run %s: %w", spec.Bin, err)
	}
	if ctxErr := ctx.Err(); ctxErr != nil {
		if errors.Is(ctxErr, context.DeadlineExceeded) && spec.Timeout > 0 {
			o.TimedOut = true
		} else {
			return o, fmt.Errorf("run %s: %w", spec.Bin, ctxErr)
		}
	}
	o.classifyStderr()
	return o, nil
}

func environWithout(names ...string) []string {
	var env []string
next:
	for _, kv := range os.Environ() {
		for _, n := range names {
			if strings.HasPrefix(kv, n+"=") {
				continue next
			}
		}
		env = append(env, kv)
	}
	return env
}

// capped is an io.Writer that keeps the first max bytes and counts the rest.
type capped struct {
	buf     []byte
	max     int
	dropped int
}

func (c *capped) Write(p []byte) (int, error) {
	room := c.max - len(c.buf)
	if room > len(p) {
		room = len(p)
	}
	c.buf = append(c.buf, p[:room]...)
	c.dropped += len(p) - room
	return len(p), nil
}

func (c *capped) String() string {
	if c.dropped > 0 {
		return string(c.buf) + fmt.Sprintf("\n[demo: %d more bytes dropped]\n", c.dropped)
	}
	return string(c.buf)
}
