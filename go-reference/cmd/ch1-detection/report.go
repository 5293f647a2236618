package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"concurrentmaps/internal/genfile"
)

// Output file names inside -out.
const (
	jsonFile    = "detection.json"
	detectionMD = "detection.md"
	allocsMD    = "store-allocs.md"
)

// schemaVersion is bumped when a field of Report is renamed or removed.
const schemaVersion = 1

// Report is detection.json.
type Report struct {
	Schema      int       `json:"schema"`
	Generated   time.Time `json:"generated"`
	Partial     bool      `json:"partial"` // interrupted: fewer runs than requested
	Regenerate  string    `json:"regenerate"`
	CommandLine []string  `json:"command_line"` // this run's flags
	Program     string    `json:"program"`

	GoVersion string `json:"go_version"`
	GOOS      string `json:"goos"`
	GOARCH    string `json:"goarch"`
	NumCPU    int    `json:"num_cpu"`
	CPUModel  string `json:"cpu_model,omitempty"`

	Detection   []ConfigResult `json:"detection"`
	StoreAllocs []AllocResult  `json:"store_allocs"`
}

func newReport(opt options, started time.Time) *Report {
	return &Report{
		Schema:      schemaVersion,
		Generated:   started.UTC().Truncate(time.Second),
		Regenerate:  regenerate,
		CommandLine: append([]string{"go", "run", "./cmd/ch1-detection"}, os.Args[1:]...),
		Program:     program,
		GoVersion:   runtime.Version(),
		GOOS:        runtime.GOOS,
		GOARCH:      runtime.GOARCH,
		NumCPU:      runtime.NumCPU(),
		CPUModel:    genfile.CPUModel(),
	}
}

func (r *Report) runsDone() int {
	n := 0
	for _, c := range r.Detection {
		n += c.Runs
	}
	return n
}

// writeOutputs writes the three files into dir, each atomically, or prints
// the two tables to stdout when dir is "".
func writeOutputs(r *Report, dir string, stdout io.Writer) error {
	det, allocs := detectionMarkdown(r), allocsMarkdown(r)
	if dir == "" {
		_, err := fmt.Fprintf(stdout, "%s\n%s", det, allocs)
		return err
	}
	js, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	files := []struct {
		name string
		data []byte
		skip bool
	}{
		{detectionMD, det, len(r.Detection) == 0},
		// An interrupted run may have measured no allocations: keep the
		// previous table rather than replace it with an empty one.
		{allocsMD, allocs, len(r.StoreAllocs) == 0},
		{jsonFile, append(js, '\n'), false},
	}
	for _, f := range files {
		if f.skip {
			fmt.Fprintf(os.Stderr, "ch1-detection: no results for %s; left it as it was\n", f.name)
			continue
		}
		if err := genfile.WriteAtomic(filepath.Join(dir, f.name), f.data); err != nil {
			return err
		}
	}
	return nil
}

// header starts every generated markdown file.
func header(r *Report, what string) string {
	var b strings.Builder
	b.WriteString(genfile.Header("go-reference/cmd/ch1-detection", regenerate))
	if r.Partial {
		b.WriteString("**Partial results: the run was interrupted before every configuration finished.**\n\n")
	}
	cpu := r.CPUModel
	if cpu == "" {
		cpu = "CPU model unknown"
	}
	fmt.Fprintf(&b, "%s Measured with %s %s/%s on %d CPUs (%s), %s.\n\n",
		what, r.GoVersion, r.GOOS, r.GOARCH, r.NumCPU, cpu, r.Generated.Format("2006-01-02"))
	return b.String()
}

func detectionMarkdown(r *Report) []byte {
	var b bytes.Buffer
	b.WriteString(header(r, "How runs of `cmd/ch1-two-writers` (two goroutines, one `map[int]int`, distinct keys) ended."))
	b.WriteString("| build | GOMAXPROCS | writes per goroutine | runs | fatal map error (exit 2) | race report, exit 66 | other crash | clean exit 0 | of which len(m) wrong | runs printing DATA RACE | exit statuses | fatal messages |\n")
	b.WriteString("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|\n")
	for _, c := range r.Detection {
		build := "normal"
		if c.Build == "race" {
			build = "`-race`"
		}
		runs := fmt.Sprint(c.Runs)
		if c.Runs != c.RequestedRuns {
			runs = fmt.Sprintf("%d of %d", c.Runs, c.RequestedRuns)
		}
		raceReported, raceRuns := "n/a", "n/a" // the normal build has no race detector
		if c.Build == "race" {
			raceReported, raceRuns = percent(c.RaceReported, c.Runs), fmt.Sprint(c.DataRaceRuns)
		}
		fmt.Fprintf(&b, "| %s | %d | %d | %s | %s | %s | %d | %d | %d | %s | %s | %s |\n",
			build, c.GOMAXPROCS, c.Writes, runs, percent(c.MapFatal, c.Runs), raceReported,
			c.OtherCrash, c.Clean, c.CleanWrongLen, raceRuns, counts(c.ExitStatuses, ""), counts(c.FatalMessages, "`"))
	}
	for _, c := range r.Detection {
		if c.Build != "race" || c.Runs == 0 {
			continue
		}
		fmt.Fprintf(&b, "\n`-race`, GOMAXPROCS=%d: %d of %d runs printed `WARNING: DATA RACE`", c.GOMAXPROCS, c.DataRaceRuns, c.Runs)
		if c.MapFatalWithoutReport > 0 {
			fmt.Fprintf(&b, "; %d ended with the runtime's fatal error before any race report was printed", c.MapFatalWithoutReport)
		}
		b.WriteString(".\n")
	}
	for _, c := range r.Detection {
		if c.FirstRaceReport != "" {
			fmt.Fprintf(&b, "\nThe start of the first race report (`-race`, GOMAXPROCS=%d):\n\n```text\n%s\n```\n", c.GOMAXPROCS, c.FirstRaceReport)
			break
		}
	}
	return b.Bytes()
}

func allocsMarkdown(r *Report) []byte {
	var b bytes.Buffer
	b.WriteString(header(r, "Heap allocations per operation, from `testing.Benchmark` over the bodies in `go-reference/internal/storecost` (int keys and values above 255, so boxing them into `any` allocates)."))
	b.WriteString("| operation | sync.Map allocs/op | sync.Map B/op | map+sync.Mutex allocs/op | map+sync.Mutex B/op | sync.Map ns/op (info) | map+sync.Mutex ns/op (info) |\n")
	b.WriteString("|---|---:|---:|---:|---:|---:|---:|\n")
	byOp := map[string]map[string]AllocResult{}
	var order []string
	for _, a := range r.StoreAllocs {
		if byOp[a.Op] == nil {
			byOp[a.Op] = map[string]AllocResult{}
			order = append(order, a.Op)
		}
		byOp[a.Op][a.Impl] = a
	}
	cell := func(a AllocResult, ok bool, f func(AllocResult) string) string {
		if !ok {
			return "n/a"
		}
		return f(a)
	}
	allocs := func(a AllocResult) string { return fmt.Sprintf("%.2f", a.AllocsPerOp) }
	bytesPer := func(a AllocResult) string { return fmt.Sprintf("%.1f", a.BytesPerOp) }
	ns := func(a AllocResult) string { return fmt.Sprintf("%.0f", a.NsPerOp) }
	n := 0
	for _, op := range order {
		s, sok := byOp[op]["sync.Map"]
		m, mok := byOp[op]["map+sync.Mutex"]
		n = max(n, s.N, m.N)
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s |\n", op,
			cell(s, sok, allocs), cell(s, sok, bytesPer), cell(m, mok, allocs), cell(m, mok, bytesPer),
			cell(s, sok, ns), cell(m, mok, ns))
	}
	fmt.Fprintf(&b, "\nEach operation ran %d times in one goroutine; the mutex map for \"Store new key\" was presized for all of them. "+
		"allocs/op and B/op are properties of the code and this Go version; ns/op is informational only (one run on a shared machine).\n", n)
	return b.Bytes()
}

func percent(n, of int) string {
	if of == 0 {
		return "0"
	}
	return fmt.Sprintf("%d (%.0f%%)", n, 100*float64(n)/float64(of))
}

// counts renders {"exit 2": 3, "exit 0": 1} as "exit 0 ×1, exit 2 ×3".
func counts(m map[string]int, quote string) string {
	if len(m) == 0 {
		return "none"
	}
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, fmt.Sprintf("%s%s%s ×%d", quote, k, quote, m[k]))
	}
	return strings.Join(parts, ", ")
}
