package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

const (
	// go 1.22 and later: one variable per iteration.
	perIteration = "GET /a -> handler for /a\nGET /b -> handler for /b\nGET /c -> handler for /c\ngoroutines saw [/a /b /c]\n"
	// go 1.21: one variable for the whole loop, seen by every closure.
	perLoop = "GET /a -> handler for /c\nGET /b -> handler for /c\nGET /c -> handler for /c\ngoroutines saw [/c /c /c]\n"
)

// goRun runs `go run .` in dir with GOTOOLCHAIN=local, so that the go line
// can never make the go command download a toolchain.
func goRun(t *testing.T, dir string) string {
	t.Helper()
	cmd := exec.Command("go", "run", ".")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOTOOLCHAIN=local")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go run . in %s: %v", dir, err)
	}
	return string(out)
}

func TestMainModuleGivesEachClosureItsOwnValue(t *testing.T) {
	if got := goRun(t, "."); got != perIteration {
		t.Errorf("main module (go 1.26):\n got %q\nwant %q", got, perIteration)
	}
}

func TestGo121ModuleSharesOneVariable(t *testing.T) {
	if got := goRun(t, "go121"); got != perLoop {
		t.Errorf("nested module (go 1.21):\n got %q\nwant %q", got, perLoop)
	}
}

// Both modules build the same file: the nested one's main.go is a link.
func TestNestedModuleBuildsThisFile(t *testing.T) {
	target, err := os.Readlink(filepath.Join("go121", "main.go"))
	if err != nil || target != "../main.go" {
		t.Errorf("go121/main.go should be a symbolic link to ../main.go, got %q (%v)", target, err)
	}
}
