// Command ch2-sharing produces the measured results of chapter 2.5 of the
// book, "Sharing a map without noticing":
//
//   - loopvar.md: cmd/ch2-loopvar run in the main module (go 1.26) and in
//     its nested go 1.21 module, and go vet on the nested one, each with the
//     exact command and its output;
//   - sharing.md: cmd/ch2-http-counter and cmd/ch2-worker-pool, racy and
//     fixed, normal and -race builds, at GOMAXPROCS=2: how each run ended.
//
// Run it from go-reference/. With -out DIR it writes both files into DIR
// (each atomically) after everything has run; without, it prints them.
//
//	cd go-reference && go run ./cmd/ch2-sharing -out ../book/src/generated/ch02
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"concurrentmaps/internal/demo"
	"concurrentmaps/internal/genfile"
)

const (
	generator  = "go-reference/cmd/ch2-sharing"
	regenerate = "cd go-reference && go run ./cmd/ch2-sharing -out ../book/src/generated/ch02"
)

func main() {
	out := flag.String("out", "", "directory for loopvar.md and sharing.md (empty: print them)")
	runs := flag.Int("runs", 5, "runs of each racy program (>= 1)")
	flag.Parse()
	if *runs < 1 {
		fmt.Fprintln(os.Stderr, "ch2-sharing: -runs must be at least 1")
		os.Exit(2)
	}
	if data, err := os.ReadFile("go.mod"); err != nil || !bytes.HasPrefix(data, []byte("module concurrentmaps\n")) {
		fmt.Fprintln(os.Stderr, "ch2-sharing: run me from go-reference/ (want ./go.mod for module concurrentmaps)")
		os.Exit(2)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	loopvar, err := loopvarMarkdown(ctx)
	if err != nil {
		fmt.Fprintln(os.Stderr, "ch2-sharing:", err)
		os.Exit(1)
	}
	sharing, err := sharingMarkdown(ctx, *runs)
	if err != nil {
		fmt.Fprintln(os.Stderr, "ch2-sharing:", err)
		os.Exit(1)
	}
	files := map[string][]byte{"loopvar.md": loopvar, "sharing.md": sharing}
	for _, name := range []string{"loopvar.md", "sharing.md"} {
		if *out == "" {
			os.Stdout.Write(files[name])
			continue
		}
		if err := genfile.WriteAtomic(filepath.Join(*out, name), files[name]); err != nil {
			fmt.Fprintln(os.Stderr, "ch2-sharing:", err)
			os.Exit(1)
		}
	}
}

// loopvarMarkdown runs each command exactly as the page prints it, with
// GOTOOLCHAIN=local so that no go line can make the go command download a
// toolchain.
func loopvarMarkdown(ctx context.Context) ([]byte, error) {
	var b bytes.Buffer
	b.WriteString(genfile.Header(generator, regenerate))
	fmt.Fprintf(&b, "The same file, `cmd/ch2-loopvar/main.go`, compiled by %s in two modules; run from `go-reference/` with `GOTOOLCHAIN=local`.\n\n", runtime.Version())
	for _, c := range []struct{ what, cmd string }{
		{"Main module, `go 1.26` in `go-reference/go.mod`:", "go run ./cmd/ch2-loopvar"},
		{"Nested module, `go 1.21` in `cmd/ch2-loopvar/go121/go.mod`:", "go run -C cmd/ch2-loopvar/go121 ."},
		{"`go vet` on the nested module (exit status 1):", "cd cmd/ch2-loopvar/go121 && go vet ."},
	} {
		cmd := exec.CommandContext(ctx, "sh", "-c", c.cmd+" 2>&1")
		cmd.Env = append(os.Environ(), "GOTOOLCHAIN=local")
		output, err := cmd.Output()
		var exitErr *exec.ExitError
		if err != nil && !(strings.Contains(c.cmd, "vet") && errors.As(err, &exitErr)) {
			return nil, fmt.Errorf("%s: %v\n%s", c.cmd, err, output)
		}
		fmt.Fprintf(&b, "%s\n\n```console\n$ %s\n%s```\n\n", c.what, c.cmd, output)
	}
	return b.Bytes(), nil
}

type experiment struct {
	program string
	race    bool
	args    []string
	runs    int // 0: the -runs flag
}

func sharingMarkdown(ctx context.Context, runs int) ([]byte, error) {
	exps := []experiment{
		{program: "ch2-http-counter", args: []string{"-selftest"}},
		{program: "ch2-http-counter", args: []string{"-selftest", "-conns", "1", "-requests", "20000"}, runs: 1},
		{program: "ch2-http-counter", race: true, args: []string{"-selftest", "-requests", "2000", "-conns", "16"}},
		{program: "ch2-http-counter", args: []string{"-selftest", "-fixed"}, runs: 1},
		{program: "ch2-http-counter", race: true, args: []string{"-selftest", "-fixed", "-requests", "2000", "-conns", "16"}, runs: 1},
		{program: "ch2-worker-pool"},
		{program: "ch2-worker-pool", race: true, args: []string{"-jobs", "100"}, runs: 1},
		{program: "ch2-worker-pool", args: []string{"-fixed"}, runs: 1},
	}
	dir, err := os.MkdirTemp("", "ch2-sharing-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	var b bytes.Buffer
	b.WriteString(genfile.Header(generator, regenerate))
	fmt.Fprintf(&b, "Each program run at `GOMAXPROCS=2`, built by %s on %s; `-selftest` sends the load from the same process over 127.0.0.1. Measured %s.\n\n",
		runtime.Version(), cpus(), time.Now().UTC().Format("2006-01-02"))
	b.WriteString("| command (in `go-reference/`) | runs | how they ended | time per run (median, max) | last line of output |\n|---|---|---|---|---|\n")
	for _, e := range exps {
		bin, err := demo.Build(ctx, dir, "concurrentmaps/cmd/"+e.program, demo.BuildOptions{Race: e.race})
		if err != nil {
			return nil, err
		}
		n := e.runs
		if n == 0 {
			n = runs
		}
		endings := map[string]int{}
		var secs []float64
		last := ""
		for range n {
			o, err := demo.Run(ctx, demo.RunSpec{Bin: bin, Args: e.args, Env: []string{"GOMAXPROCS=2"}, Timeout: time.Minute})
			if err != nil {
				return nil, err
			}
			endings[ending(o)]++
			secs = append(secs, o.Duration.Seconds())
			if lines := strings.Split(strings.TrimSpace(o.Stdout), "\n"); lines[len(lines)-1] != "" {
				last = lines[len(lines)-1]
			}
			fmt.Fprintf(os.Stderr, "%s %v: %s\n", e.program, e.args, ending(o))
		}
		cmd := "go run"
		if e.race {
			cmd = "CGO_ENABLED=1 go run -race"
		}
		cmd = strings.TrimSpace(fmt.Sprintf("GOMAXPROCS=2 %s ./cmd/%s %s", cmd, e.program, strings.Join(e.args, " ")))
		switch {
		case last == "":
			last = "(none)"
		case strings.HasPrefix(last, "listening on "):
			last = "(none after `listening on …`)" // the port differs each run
		}
		fmt.Fprintf(&b, "| `%s` | %d | %s | %s | %s |\n", cmd, n, summarize(endings), medianMax(secs), last)
	}
	return b.Bytes(), nil
}

// ending names how one run ended, the way the page talks about it.
func ending(o demo.Outcome) string {
	switch o.Kind() {
	case demo.MapFatal:
		return "`fatal error: " + o.FatalError() + "` (exit 2)"
	case demo.RaceReported:
		return fmt.Sprintf("`WARNING: DATA RACE` (exit %d)", o.ExitStatus)
	case demo.Clean:
		return "exit 0"
	default:
		return "other: " + o.Status()
	}
}

func summarize(endings map[string]int) string {
	var parts []string
	for e, n := range endings {
		parts = append(parts, fmt.Sprintf("%d× %s", n, e))
	}
	slices.Sort(parts)
	return strings.Join(parts, ", ")
}

func medianMax(secs []float64) string {
	s := slices.Clone(secs)
	slices.Sort(s)
	return fmt.Sprintf("%.2f s, %.2f s", s[len(s)/2], s[len(s)-1])
}

func cpus() string {
	if m := genfile.CPUModel(); m != "" {
		return fmt.Sprintf("%d CPUs (%s)", runtime.NumCPU(), m)
	}
	return fmt.Sprintf("%d CPUs", runtime.NumCPU())
}
