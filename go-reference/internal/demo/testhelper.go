package demo

import (
	"context"
	"errors"
	"testing"
	"time"
)

// buildTimeout bounds one go build in tests. A first -race build compiles
// the race runtime and can take tens of seconds on a busy 2-core machine.
const buildTimeout = 5 * time.Minute

// BuildForTest builds pkg into t.TempDir(). It skips t, saying why, when a
// -race build is impossible on this machine, and fails t on any other error.
func BuildForTest(t testing.TB, pkg string, opt BuildOptions) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), buildTimeout)
	defer cancel()
	bin, err := Build(ctx, t.TempDir(), pkg, opt)
	if errors.Is(err, ErrRaceUnsupported) {
		t.Skipf("skipping -race check: %v", err)
	}
	if err != nil {
		t.Fatalf("building %s: %v", pkg, err)
	}
	return bin
}

// RunForTest runs spec and fails t if the process could not be run.
func RunForTest(t testing.TB, spec RunSpec) Outcome {
	t.Helper()
	o, err := Run(context.Background(), spec)
	if err != nil {
		t.Fatalf("%v\n%s", err, o)
	}
	return o
}
