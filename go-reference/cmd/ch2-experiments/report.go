package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"concurrentmaps/internal/demoresult"
	"concurrentmaps/internal/genfile"
)

// Report is everything one run measured; ch02.json is this, indented.
type Report struct {
	GoVersion string    `json:"go_version"`
	GOOS      string    `json:"goos"`
	GOARCH    string    `json:"goarch"`
	NumCPU    int       `json:"num_cpu"`
	CPUModel  string    `json:"cpu_model,omitempty"`
	Generated time.Time `json:"generated"`
	// LoadAvg is the 1-minute load average when the run started: torn
	// reads and lost updates need two threads running at the same instant,
	// which other work on the machine makes rarer.
	LoadAvg string `json:"load_avg_1m,omitempty"`
	Runs    int    `json:"runs_per_operation"`

	Fatal       []FatalResult   `json:"fatal"`
	RaceHistory []HistoryResult `json:"race_history"`
	Torn        []TornResult    `json:"torn_reads"`
	Lost        []LostResult    `json:"lost_updates"`
}

// FatalResult is one ch2-map-fatal operation.
type FatalResult struct {
	Op      string `json:"op"`
	Message string `json:"expected_message"`
	Runs    int    `json:"runs"`
	// ExpectedFatal counts runs that exited 2 with exactly Message.
	ExpectedFatal  int            `json:"expected_fatal"`
	OtherMessages  []string       `json:"other_messages,omitempty"`
	Recovered      int            `json:"recovered"`
	Statuses       map[string]int `json:"exit_statuses"`
	SecondsToFatal []float64      `json:"seconds_to_fatal"`

	RaceChecked bool     `json:"race_checked"`
	RaceReports int      `json:"race_reports"`
	RaceExit    string   `json:"race_exit,omitempty"`
	RaceFrames  []string `json:"race_frames,omitempty"`
}

// HistoryResult is one -race run of two writers with Rounds passes each.
type HistoryResult struct {
	Rounds  int    `json:"rounds"`
	Keys    int    `json:"keys"`
	Reports int    `json:"race_reports"`
	Exit    string `json:"exit"`
	// The same run with GORACE=history_size=7.
	ReportsHistory7 int    `json:"race_reports_history_size_7"`
	ExitHistory7    string `json:"exit_history_size_7"`
}

// TornResult is ch2-torn-reads' -json output.
type TornResult = demoresult.TornReads

// LostResult is ch2-lost-updates' -json output, plus the -race check.
type LostResult struct {
	demoresult.LostUpdates

	RaceChecked  bool   `json:"race_checked"`
	RaceReported bool   `json:"race_reported"`
	RaceExit     string `json:"race_exit,omitempty"`
}

func newReport(opt options, started time.Time) *Report {
	return &Report{
		GoVersion: runtime.Version(), GOOS: runtime.GOOS, GOARCH: runtime.GOARCH,
		NumCPU: runtime.NumCPU(), CPUModel: genfile.CPUModel(), Generated: started, Runs: opt.runs,
		LoadAvg: loadAverage(),
	}
}

// loadAverage returns the first field of /proc/loadavg, or "" off Linux.
func loadAverage() string {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	if f := strings.Fields(string(data)); len(f) > 0 {
		return f[0]
	}
	return ""
}

const jsonFile = "ch02.json"

// markdownFiles are the tables, in the order they are printed.
var markdownFiles = []struct {
	name   string
	render func(*Report) []byte
}{
	{"detection.md", detectionMarkdown},
	{"race-history.md", raceHistoryMarkdown},
	{"torn-reads.md", tornMarkdown},
	{"lost-updates.md", lostMarkdown},
}

// writeOutputs writes every file into dir, each atomically, or prints the
// tables to stdout when dir is "".
func writeOutputs(r *Report, dir string, stdout io.Writer) error {
	if dir == "" {
		for _, f := range markdownFiles {
			if _, err := fmt.Fprintf(stdout, "%s\n", f.render(r)); err != nil {
				return err
			}
		}
		return nil
	}
	js, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	if err := genfile.WriteAtomic(filepath.Join(dir, jsonFile), append(js, '\n')); err != nil {
		return err
	}
	for _, f := range markdownFiles {
		if err := genfile.WriteAtomic(filepath.Join(dir, f.name), f.render(r)); err != nil {
			return err
		}
	}
	return nil
}

// header starts every generated table.
func header(r *Report, what string) *bytes.Buffer {
	var b bytes.Buffer
	b.WriteString(genfile.Header("go-reference/cmd/ch2-experiments", regenerate))
	cpu := r.CPUModel
	if cpu == "" {
		cpu = "CPU model unknown"
	}
	load := ""
	if r.LoadAvg != "" {
		load = ", load average " + r.LoadAvg + " at the start"
	}
	fmt.Fprintf(&b, "%s Measured with %s %s/%s on %d CPUs (%s%s), %s.\n\n",
		what, r.GoVersion, r.GOOS, r.GOARCH, r.NumCPU, cpu, load, r.Generated.Format("2006-01-02"))
	return &b
}

func detectionMarkdown(r *Report) []byte {
	b := header(r, fmt.Sprintf("Each operation of `cmd/ch2-map-fatal` raced against a goroutine overwriting existing keys, "+
		"%d runs at `GOMAXPROCS=2` until the runtime stopped the program; then one run of the `-race` build at "+
		"`GOMAXPROCS=1` with one pass (1024 map operations) per goroutine.", r.Runs))
	b.WriteString("| `-op` | the runtime's message | runs ending with it, exit 2 | `recover()` ran | time to the fatal error, median (max) | `-race`: reports | `-race`: exit | `-race`: accesses reported in |\n")
	b.WriteString("|---|---|---:|---:|---|---:|---|---|\n")
	for _, f := range r.Fatal {
		ended := fmt.Sprintf("%d of %d", f.ExpectedFatal, f.Runs)
		if len(f.OtherMessages) > 0 {
			ended += fmt.Sprintf(" (others: %s)", strings.Join(f.OtherMessages, "; "))
		}
		raceReports, raceExit, frames := "not run", "", ""
		if f.RaceChecked {
			raceReports, raceExit = fmt.Sprint(f.RaceReports), f.RaceExit
			frames = codeList(f.RaceFrames)
			if f.RaceReports == 0 {
				frames = "nothing"
			}
		}
		fmt.Fprintf(b, "| `%s` | `fatal error: %s` | %s | %d | %s | %s | %s | %s |\n",
			f.Op, f.Message, ended, f.Recovered, medianMax(f.SecondsToFatal), raceReports, raceExit, frames)
	}
	b.WriteString("\nTimes are wall time from starting the process to its exit, so they include start-up and the goroutine dump.\n")
	return b.Bytes()
}

func raceHistoryMarkdown(r *Report) []byte {
	b := header(r, "The `-race` build of `cmd/ch2-map-fatal -op write` (two goroutines overwriting the same 1024 keys, no lock) at "+
		"`GOMAXPROCS=1`, with more and more passes per goroutine. The race is the same in every row.")
	if len(r.RaceHistory) == 0 {
		b.WriteString("Not measured: the run used `-race=false`.\n")
		return b.Bytes()
	}
	b.WriteString("| passes per goroutine | map writes in all | `DATA RACE` reports, default `GORACE` | exit | reports with `GORACE=history_size=7` | exit |\n")
	b.WriteString("|---:|---:|---:|---|---:|---|\n")
	for _, h := range r.RaceHistory {
		fmt.Fprintf(b, "| %d | %d | %d | %s | %d | %s |\n",
			h.Rounds, 2*h.Rounds*h.Keys, h.Reports, h.Exit, h.ReportsHistory7, h.ExitHistory7)
	}
	return b.Bytes()
}

func tornMarkdown(r *Report) []byte {
	b := header(r, "`cmd/ch2-torn-reads`: one goroutine overwriting a shared value, one reading it with no synchronisation, "+
		"at `GOMAXPROCS=2`, for a fixed time per value.")
	b.WriteString("| `-value` | reads | torn reads | torn per million reads | writes | seconds | first torn value seen |\n")
	b.WriteString("|---|---:|---:|---:|---:|---:|---|\n")
	for _, t := range r.Torn {
		example := "none"
		if len(t.Examples) > 0 {
			example = "`" + t.Examples[0] + "`"
		}
		fmt.Fprintf(b, "| `%s` | %d | %d | %.1f | %d | %.2f | %s |\n",
			t.Value, t.Reads, t.Torn, perMillion(t.Torn, t.Reads), t.Writes, t.Seconds, example)
	}
	return b.Bytes()
}

func lostMarkdown(r *Report) []byte {
	b := header(r, "`cmd/ch2-lost-updates`: two goroutines incrementing one shared count, at `GOMAXPROCS=2`; "+
		"the `-race` column is one run of the `-race` build with 2 × 10 000 increments.")
	b.WriteString("| `-counter` | increments | lost | lost (%) | rounds that lost some | `-race` reports it |\n")
	b.WriteString("|---|---:|---:|---:|---:|---|\n")
	for _, l := range r.Lost {
		race := "not run"
		if l.RaceChecked {
			race = "no"
			if l.RaceReported {
				race = "yes"
			}
			race += " (" + l.RaceExit + ")"
		}
		fmt.Fprintf(b, "| `%s` | %d | %d | %.2f | %d of %d | %s |\n",
			l.Counter, l.Attempted, l.Lost, 100*float64(l.Lost)/float64(max(l.Attempted, 1)), l.RoundsWithLoss, l.Rounds, race)
	}
	return b.Bytes()
}

func medianMax(secs []float64) string {
	if len(secs) == 0 {
		return "n/a"
	}
	s := slices.Clone(secs)
	slices.Sort(s)
	ms := func(x float64) string { return fmt.Sprintf("%.0f ms", x*1000) }
	return fmt.Sprintf("%s (%s)", ms(s[len(s)/2]), ms(s[len(s)-1]))
}

func perMillion(n, of int64) float64 {
	if of == 0 {
		return 0
	}
	return 1e6 * float64(n) / float64(of)
}

func codeList(names []string) string {
	quoted := make([]string, len(names))
	for i, n := range names {
		quoted[i] = "`" + n + "`"
	}
	return strings.Join(quoted, ", ")
}
