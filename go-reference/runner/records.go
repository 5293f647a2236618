package runner

import (
	"fmt"
	"strings"
	"unicode"

	hdr "github.com/HdrHistogram/hdrhistogram-go"

	"concurrentmaps/trace"
)

// The JSONL records (RUNNER-SPEC.md, "Files", schema 2). Field order follows
// the spec; fields it does not list are additions (allowed without a schema
// bump) and are marked "extra".

// Schema 2 added the "reclaim" fields of run_start and interval; Go's
// collector is reported in "gc", so the Go runner writes them as null.
const schemaVersion = 2

type runStartRecord struct {
	Type         string   `json:"type"` // "run_start"
	Schema       int      `json:"schema"`
	RunID        string   `json:"run_id"`
	Lang         string   `json:"lang"` // "go"
	Impl         string   `json:"impl"`
	ImplInfo     implInfo `json:"impl_info"`
	Workload     string   `json:"workload"`
	TracePath    string   `json:"trace_path"`
	TraceSHA256  string   `json:"trace_sha256"`
	KeySpace     uint64   `json:"key_space"`
	Threads      int      `json:"threads"`
	OpsPerThread uint64   `json:"ops_per_thread"`
	Prefill      uint64   `json:"prefill"`
	Presize      bool     `json:"presize"`
	Capacity     uint64   `json:"capacity"`     // extra: what the map was created with
	KeyIDBound   uint64   `json:"key_id_bound"` // extra, as the Rust runner
	MixBP        mixJSON  `json:"mix_bp"`       // extra, as the Rust runner
	Distribution any      `json:"distribution"` // extra, as the Rust runner (mapbench's serde form)
	KeyType      string   `json:"key_type"`     // extra, as the Rust runner: "u64" or "string"
	ValueKind    string   `json:"value_kind"`   // extra, as the Rust runner: "u64" or "boxed"
	DurationMs   int64    `json:"duration_ms"`
	WarmupOps    int64    `json:"warmup_ops"`
	IntervalMs   int64    `json:"interval_ms"`
	OpDelayNs    int64    `json:"op_delay_ns"`
	// Extra, as the Rust runner: the calibrated busy-wait behind op_delay_ns.
	OpDelaySteps     uint64     `json:"op_delay_steps,omitempty"`
	OpDelayNsPerStep float64    `json:"op_delay_ns_per_step,omitempty"`
	Latency          latencyCfg `json:"latency"`
	Toolchain        string     `json:"toolchain"`
	Runtime          goRuntime  `json:"runtime"`
	Host             hostInfo   `json:"host"`
	GitCommit        *string    `json:"git_commit"`
	StartedAt        string     `json:"started_at"`
	Argv             []string   `json:"argv"`
	// Schema 2: the Rust runner's reclamation instrumentation; always null
	// here (Go's reclamation is the GC, reported in "gc").
	Reclaim *struct{} `json:"reclaim"`
}

// implInfo describes the map; --list-maps prints the same fields with a name.
type implInfo struct {
	CrateOrPackage string `json:"crate_or_package"`
	Version        string `json:"version"`
	Hasher         string `json:"hasher"`
	Notes          string `json:"notes"`
	Description    string `json:"description"` // extra
	MaxThreads     *int   `json:"max_threads"` // extra: null = any number
}

type latencyCfg struct {
	SampleEvery       int64          `json:"sample_every"`
	Sampling          samplingPolicy `json:"sampling"` // schema 2: which ops are timed
	Clock             string         `json:"clock"`
	TimerOverheadNs   int64          `json:"timer_overhead_ns"`
	TimerOverheadHow  string         `json:"timer_overhead_method"` // extra
	HdrLowestNs       int64          `json:"hdr_lowest_ns"`
	HdrHighestNs      int64          `json:"hdr_highest_ns"`
	HdrSigFigs        int            `json:"hdr_sigfigs"`
	TimedRegion       string         `json:"timed_region"`    // extra
	PercentileRanking string         `json:"percentile_rank"` // extra
}

type goRuntime struct {
	GOMAXPROCS       int               `json:"GOMAXPROCS"`
	GOMAXPROCSSource string            `json:"GOMAXPROCS_source"` // extra: "env" or "threads"
	GOGC             string            `json:"GOGC"`
	GOMEMLIMIT       string            `json:"GOMEMLIMIT"`
	Env              map[string]string `json:"env"` // extra: GOMAXPROCS, GOGC, GOMEMLIMIT, GODEBUG as set in the environment
}

type hostInfo struct {
	CPUModel string `json:"cpu_model"`
	VCPUs    int    `json:"vcpus"`
	Kernel   string `json:"kernel"`
	Hostname string `json:"hostname"`
	GOOS     string `json:"goos"`   // extra
	GOARCH   string `json:"goarch"` // extra
}

// mixJSON is the trace's op mix in basis points.
type mixJSON struct {
	Get    uint16 `json:"get"`
	Insert uint16 `json:"insert"`
	Update uint16 `json:"update"`
	Remove uint16 `json:"remove"`
}

// distributionJSON is the key distribution as mapbench serialises it
// (comparisons/formats/src/workload.rs, Distribution): tagged by "kind".
func distributionJSON(d trace.Distribution) any {
	switch d.Kind {
	case trace.Zipf, trace.ScrambledZipf:
		return map[string]any{"kind": "zipf", "theta": d.Theta, "scrambled": d.Kind == trace.ScrambledZipf}
	case trace.Hotspot:
		return map[string]any{"kind": "hotspot", "hot_op_fraction": d.HotOpFraction, "hot_key_fraction": d.HotKeyFraction}
	}
	return map[string]any{"kind": d.Kind.String()}
}

// opsJSON is the "ops" object of interval and run_end.
type opsJSON struct {
	Get    uint64 `json:"get"`
	Insert uint64 `json:"insert"`
	Update uint64 `json:"update"`
	Remove uint64 `json:"remove"`
	Total  uint64 `json:"total"`
}

type hitsJSON struct {
	Get       uint64 `json:"get"`
	InsertNew uint64 `json:"insert_new"`
	Update    uint64 `json:"update"`
	Remove    uint64 `json:"remove"`
}

func opsOf(c *opCounts) opsJSON {
	return opsJSON{Get: c.ops[kindGet], Insert: c.ops[kindInsert], Update: c.ops[kindUpdate], Remove: c.ops[kindRemove], Total: c.total()}
}

func hitsOf(c *opCounts) hitsJSON {
	return hitsJSON{Get: c.hits[kindGet], InsertNew: c.hits[kindInsert], Update: c.hits[kindUpdate], Remove: c.hits[kindRemove]}
}

// latJSON summarises a latency histogram. Percentiles are hdrhistogram-go's
// ValueAtQuantile (the highest value equivalent to the sample at rank
// round(q·count), at least 1); max is the highest equivalent value of the
// largest sample. All zero when count is 0.
type latJSON struct {
	Count uint64 `json:"count"`
	P50   int64  `json:"p50"`
	P90   int64  `json:"p90"`
	P99   int64  `json:"p99"`
	P999  int64  `json:"p999"`
	Max   int64  `json:"max"`
}

func latOf(h *hdr.Histogram) latJSON {
	if h == nil || h.TotalCount() == 0 {
		return latJSON{}
	}
	return latJSON{
		Count: uint64(h.TotalCount()),
		P50:   h.ValueAtQuantile(50),
		P90:   h.ValueAtQuantile(90),
		P99:   h.ValueAtQuantile(99),
		P999:  h.ValueAtQuantile(99.9),
		Max:   h.Max(),
	}
}

type intervalRecord struct {
	Type     string   `json:"type"` // "interval"
	Index    int64    `json:"index"`
	TStartNs int64    `json:"t_start_ns"`
	TEndNs   int64    `json:"t_end_ns"`
	Ops      opsJSON  `json:"ops"`
	Hits     hitsJSON `json:"hits"`
	LatNs    latJSON  `json:"lat_ns"`
	intervalMetrics
	// Schema 2: null on the Go side (see runStartRecord.Reclaim).
	Reclaim *struct{} `json:"reclaim"`
}

type runEndRecord struct {
	Type              string     `json:"type"` // "run_end"
	Status            string     `json:"status"`
	Error             *string    `json:"error"`
	ElapsedNs         int64      `json:"elapsed_ns"`
	PrefillNs         int64      `json:"prefill_ns"`
	Ops               opsJSON    `json:"ops"`
	ThroughputOpsPerS float64    `json:"throughput_ops_per_s"`
	LatNs             latJSON    `json:"lat_ns"`
	Checksum          string     `json:"checksum"`
	FinalLen          uint64     `json:"final_len"`
	GC                *gcRunJSON `json:"gc"`
	Hits              hitsJSON   `json:"hits"`          // extra
	WarmupNs          int64      `json:"warmup_ns"`     // extra: warm-up and barrier, untimed
	Intervals         int64      `json:"intervals"`     // extra: interval records written
	AllocBytes        uint64     `json:"alloc_bytes"`   // extra: over the measured phase
	AllocObjects      uint64     `json:"alloc_objects"` // extra
}

type gcRunJSON struct {
	Cycles       uint64 `json:"cycles"`
	PauseTotalNs int64  `json:"pause_total_ns"`
	PauseMaxNs   int64  `json:"pause_max_ns"`
}

// listEntry is one --list-maps line.
type listEntry struct {
	Name  string   `json:"name"`
	Kinds []string `json:"kinds"` // "KEY/VALUE" combinations the map comes in
	implInfo
}

// benchLine is the run's line in Go benchmark format (RUNNER-SPEC.md,
// "bench.txt line"). The p99 field is left out when latency was off.
func benchLine(workload, mapName string, threads int, total uint64, elapsedNs int64, lat latJSON, allocBytes, allocObjects uint64) string {
	var b strings.Builder
	fmt.Fprintf(&b, "BenchmarkReplay/workload=%s/map=%s/lang=go/threads=%d \t%d", benchName(workload), benchName(mapName), threads, total)
	if total > 0 {
		n := float64(total)
		fmt.Fprintf(&b, " \t%.2f ns/op \t%.0f ops/s", float64(elapsedNs)/n, n/(float64(elapsedNs)/1e9))
		if lat.Count > 0 {
			fmt.Fprintf(&b, " \t%d p99-ns", lat.P99)
		}
		fmt.Fprintf(&b, " \t%.2f B/op \t%.3f allocs/op", float64(allocBytes)/n, float64(allocObjects)/n)
	}
	return b.String()
}

// benchName keeps a name segment parseable: benchmark names are split on
// white space.
func benchName(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return '_'
		}
		return r
	}, s)
}
