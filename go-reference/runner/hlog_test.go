package runner

import (
	"bytes"
	"encoding/json"
	"flag"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
)

// testHistograms are histograms with our geometry that exercise the encoder:
// empty, a zero, one value, the top of the range, counts that need several
// LEB128 bytes, and a realistic spread.
func testHistograms() map[string]*hdr.Histogram {
	hs := map[string]*hdr.Histogram{
		"empty":        newLatencyHistogram(),
		"zero":         histOf(0),
		"one":          histOf(1),
		"top of range": histOf(1, hdrHighestNs),
		"adjacent":     histOf(2047, 2048, 2049, 4095, 4096),
	}
	big := newLatencyHistogram()
	_ = big.RecordValues(100, 1<<40)
	_ = big.RecordValues(1_000_000, 1<<62-1<<41)
	hs["huge counts"] = big
	spread := newLatencyHistogram()
	rng := rand.New(rand.NewPCG(1, 2))
	for range 100_000 {
		_ = spread.RecordValue(int64(20 + rng.ExpFloat64()*200 + float64(rng.IntN(1000)*rng.IntN(1000))))
	}
	hs["spread"] = spread
	return hs
}

// hlogWriter's interval lines are byte for byte what hdrhistogram-go's
// HistogramLogWriter writes for the same histogram and times.
func TestIntervalLineMatchesLibrary(t *testing.T) {
	for name, h := range testHistograms() {
		startMs, endMs := int64(1234), int64(1334)
		var want bytes.Buffer
		lib := h.Clone()
		lib.SetTag(hlogTag)
		lib.SetStartTimeMs(startMs)
		lib.SetEndTimeMs(endMs)
		if err := hdr.NewHistogramLogWriter(&want).OutputIntervalHistogram(lib); err != nil {
			t.Fatal(err)
		}
		// The library always divides the max column by 1e6 (ms); the
		// runner writes it in ns, as the Rust runner does: same line
		// otherwise.
		fields := strings.SplitN(want.String(), ",", 5)
		fields[3] = strconv.FormatFloat(float64(h.Max()), 'f', 6, 64)
		want.Reset()
		want.WriteString(strings.Join(fields, ","))
		var got bytes.Buffer
		w := newHlogWriter(&got)
		for range 2 { // and again, with the reused buffers
			got.Reset()
			start := float64(startMs) / 1000
			if err := w.writeInterval(start, float64(endMs)/1000-start, h); err != nil {
				t.Fatal(err)
			}
			if got.String() != want.String() {
				t.Errorf("%s:\n got  %q\n want %q", name, got.String(), want.String())
			}
		}
	}
}

func TestAppendZigZagMatchesLibraryDecoding(t *testing.T) {
	// Round-trips through the library's decoder are covered by the line
	// test; here the lengths: 7 bits a byte, 9 bytes at most.
	for _, c := range []struct {
		v    int64
		size int
	}{{0, 1}, {-1, 1}, {63, 1}, {64, 2}, {-65, 2}, {1 << 55, 9}, {-1 << 63, 9}, {1<<63 - 1, 9}} {
		if got := len(appendZigZag(nil, c.v)); got != c.size {
			t.Errorf("appendZigZag(%d): %d bytes, want %d", c.v, got, c.size)
		}
	}
}

func TestIntervalLineDoesNotAllocateMuch(t *testing.T) {
	h := testHistograms()["spread"]
	var buf bytes.Buffer
	w := newHlogWriter(&buf)
	_ = w.writeInterval(0, 0.1, h)
	allocs := testing.AllocsPerRun(10, func() {
		buf.Reset()
		_ = w.writeInterval(0, 0.1, h)
	})
	// The library writer makes thousands (and ~900 KB); the range-over-func
	// loop may cost a closure or two.
	if allocs > 4 {
		t.Errorf("%v allocations per interval line, want at most 4", allocs)
	}
}

// A log written by hlogWriter reads back with hdrhistogram-go's log reader:
// every histogram, its tag, and absolute times from StartTime/BaseTime.
func TestHlogReadsBackWithLibraryReader(t *testing.T) {
	var buf bytes.Buffer
	w := newHlogWriter(&buf)
	start := time.UnixMilli(1_767_225_600_123)
	if err := w.writeHeader(start); err != nil {
		t.Fatal(err)
	}
	hs := []*hdr.Histogram{histOf(5, 6, 7), newLatencyHistogram(), histOf(1, hdrHighestNs)}
	for i, h := range hs {
		if err := w.writeInterval(float64(i)*0.1, 0.1, h); err != nil {
			t.Fatal(err)
		}
	}
	r := hdr.NewHistogramLogReader(&buf)
	for i, want := range hs {
		got, err := r.NextIntervalHistogram()
		if err != nil || got == nil {
			t.Fatalf("histogram %d: %v, %v", i, got, err)
		}
		if !got.Equals(want) || got.Tag() != hlogTag {
			t.Errorf("histogram %d: decoded count %d tag %q, want %d %q", i, got.TotalCount(), got.Tag(), want.TotalCount(), hlogTag)
		}
		if wantMs := start.UnixMilli() + int64(i)*100; got.StartTimeMs() < wantMs-1 || got.StartTimeMs() > wantMs+1 {
			t.Errorf("histogram %d: start %d ms, want %d (StartTime + offset)", i, got.StartTimeMs(), wantMs)
		}
	}
	if h, err := r.NextIntervalHistogram(); h != nil || err != nil {
		t.Errorf("a histogram past the last: %v, %v", h, err)
	}
}

// The cross-language HDR fixture: comparisons/testdata/hdr/go-interval.hlog
// and go-interval.expected.json, written by this package's hlog writer with
// known values. The Rust runner's test decodes it with the hdrhistogram crate;
// TestDecodesRustHDRFixture decodes the Rust side's.
//
// Regenerate (after an intended change to the log format):
//
//	cd go-reference && go test ./runner -run TestGoHDRFixture -update
var update = flag.Bool("update", false, "rewrite comparisons/testdata/hdr/go-interval.* from the fixture's values")

const hdrFixtureDir = "../../comparisons/testdata/hdr"

// fixtureExpected is the *.expected.json shape both sides write: per
// interval, the values hdrhistogram (Go here) reports after decoding.
type fixtureExpected struct {
	GeneratedBy string            `json:"generated_by"`
	Library     string            `json:"library"`
	Notes       string            `json:"notes,omitempty"`
	StartTimeS  float64           `json:"start_time_unix_s"`
	BaseTimeS   float64           `json:"base_time_unix_s"`
	LowestNs    int64             `json:"lowest_ns"`
	HighestNs   int64             `json:"highest_ns"`
	SigFigs     int               `json:"sigfigs"`
	Intervals   []fixtureInterval `json:"intervals"`
}

type fixtureInterval struct {
	Tag     string  `json:"tag"`
	StartS  float64 `json:"start_s"`
	LengthS float64 `json:"length_s"`
	Count   int64   `json:"count"`
	Min     int64   `json:"min"`
	Max     int64   `json:"max"`
	P50     int64   `json:"p50"`
	P90     int64   `json:"p90"`
	P99     int64   `json:"p99"`
	P999    int64   `json:"p999"`
}

// fixtureHistograms: three 1-second intervals. The sample counts put every
// reported percentile's rank (p50, p90, p99, p99.9) inside a run of equal values, so the rank rules
// of the implementations (hdrhistogram-go rounds q·n half up, the Rust crate
// takes its ceiling) give the same value.
func fixtureHistograms() []*hdr.Histogram {
	h0 := newLatencyHistogram()             // 1000 samples, 100 ns to 20 µs
	_ = h0.RecordValues(100, 400)           // ranks 1-400
	_ = h0.RecordValues(250, 200)           // 401-600: p50 (500)
	_ = h0.RecordValues(1000, 380)          // 601-980
	_ = h0.RecordValues(5000, 15)           // 981-995: p99 (990)
	_ = h0.RecordValues(20000, 5)           // 996-1000: p99.9 (999), max
	h1 := newLatencyHistogram()             // 2000 samples, 1.5 µs to 59 s
	_ = h1.RecordValues(1500, 900)          // 1-900
	_ = h1.RecordValues(3000, 300)          // 901-1200: p50 (1000)
	_ = h1.RecordValues(40_000, 770)        // 1201-1970
	_ = h1.RecordValues(1_000_000, 20)      // 1971-1990: p99 (1980)
	_ = h1.RecordValues(59_000_000_000, 10) // 1991-2000: p99.9 (1998), max
	h2 := newLatencyHistogram()             // empty: an interval without samples
	return []*hdr.Histogram{h0, h1, h2}
}

const fixtureStartMs = 1_767_225_600_000 // 2026-01-01T00:00:00Z

func expectedOf(h *hdr.Histogram, startS, lengthS float64) fixtureInterval {
	return fixtureInterval{
		Tag: h.Tag(), StartS: startS, LengthS: lengthS, Count: h.TotalCount(), Min: h.Min(), Max: h.Max(),
		P50: h.ValueAtQuantile(50), P90: h.ValueAtQuantile(90), P99: h.ValueAtQuantile(99), P999: h.ValueAtQuantile(99.9),
	}
}

func TestGoHDRFixture(t *testing.T) {
	var log bytes.Buffer
	w := newHlogWriter(&log)
	if err := w.writeHeader(time.UnixMilli(fixtureStartMs)); err != nil {
		t.Fatal(err)
	}
	want := fixtureExpected{
		GeneratedBy: "cd go-reference && go test ./runner -run TestGoHDRFixture -update",
		Library:     "hdrhistogram-go v1.4.0 (interval lines byte-identical to its HistogramLogWriter), V2 + DEFLATE",
		LowestNs:    hdrLowestNs, HighestNs: hdrHighestNs, SigFigs: hdrSigFigs,
		Notes: "Written by the Go runner's interval log writer (byte-identical to hdrhistogram-go v1.4.0 HistogramLogWriter): " +
			"V2 compressed, values in ns, lowest 1, highest 60 s, 3 significant digits, tag lat; interval start times " +
			"relative to StartTime/BaseTime; max column in ms. Values below are what hdrhistogram-go reports after decoding " +
			"(min: lowest equivalent value; max and percentiles: highest equivalent value).",
		StartTimeS: float64(fixtureStartMs) / 1000,
		BaseTimeS:  float64(fixtureStartMs) / 1000,
	}
	for i, h := range fixtureHistograms() {
		if err := w.writeInterval(float64(i), 1, h); err != nil {
			t.Fatal(err)
		}
		h.SetTag(hlogTag)
		want.Intervals = append(want.Intervals, expectedOf(h, float64(i), 1))
	}
	var jb bytes.Buffer
	enc := json.NewEncoder(&jb)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(want); err != nil {
		t.Fatal(err)
	}
	wantJSON := jb.Bytes()
	logPath := filepath.Join(hdrFixtureDir, "go-interval.hlog")
	jsonPath := filepath.Join(hdrFixtureDir, "go-interval.expected.json")
	if *update {
		if err := os.MkdirAll(hdrFixtureDir, 0o755); err != nil {
			t.Fatal(err)
		}
		for path, b := range map[string][]byte{logPath: log.Bytes(), jsonPath: wantJSON} {
			if err := os.WriteFile(path, b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	// The checked-in files are what this code writes ...
	for path, b := range map[string][]byte{logPath: log.Bytes(), jsonPath: wantJSON} {
		got, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (generate it: go test ./runner -run TestGoHDRFixture -update)", err)
		}
		if !bytes.Equal(got, b) {
			t.Errorf("%s differs from what the writer produces now; regenerate with -update if intended", path)
		}
	}
	// ... and the log decodes to the expected values.
	checkFixture(t, logPath, want)
}

// checkFixture decodes an interval log with hdrhistogram-go and compares it
// with the expected values: exactly for tag, count, min and max; within the
// histogram's resolution (ValuesAreEquivalent) for percentiles, whose rank
// rule differs between implementations.
func checkFixture(t *testing.T, logPath string, want fixtureExpected) {
	t.Helper()
	hs := readHlog(t, logPath)
	if len(hs) != len(want.Intervals) {
		t.Fatalf("%s: %d histograms, want %d", logPath, len(hs), len(want.Intervals))
	}
	for i, h := range hs {
		w := want.Intervals[i]
		got := expectedOf(h, 0, 0)
		if got.Tag != w.Tag || got.Count != w.Count || got.Min != w.Min || got.Max != w.Max {
			t.Errorf("%s interval %d: tag %q count %d min %d max %d; want %q %d %d %d",
				logPath, i, got.Tag, got.Count, got.Min, got.Max, w.Tag, w.Count, w.Min, w.Max)
		}
		for _, p := range []struct {
			name      string
			got, want int64
		}{{"p50", got.P50, w.P50}, {"p90", got.P90, w.P90}, {"p99", got.P99, w.P99}, {"p99.9", got.P999, w.P999}} {
			if !h.ValuesAreEquivalent(p.got, p.want) {
				t.Errorf("%s interval %d: %s %d, want %d (within resolution)", logPath, i, p.name, p.got, p.want)
			}
		}
		wantStartMs := int64((want.StartTimeS + w.StartS) * 1000)
		if d := h.StartTimeMs() - wantStartMs; d < -1 || d > 1 {
			t.Errorf("%s interval %d: starts at %d ms, want %d", logPath, i, h.StartTimeMs(), wantStartMs)
		}
	}
}

// The Rust runner's fixture, when present (rust-impl/runner writes it).
func TestDecodesRustHDRFixture(t *testing.T) {
	logPath := filepath.Join(hdrFixtureDir, "rust-interval.hlog")
	jsonPath := filepath.Join(hdrFixtureDir, "rust-interval.expected.json")
	b, err := os.ReadFile(jsonPath)
	if os.IsNotExist(err) {
		t.Skipf("%s not present yet (the Rust runner's test writes it)", jsonPath)
	}
	if err != nil {
		t.Fatal(err)
	}
	var want fixtureExpected
	dec := json.NewDecoder(strings.NewReader(string(b)))
	if err := dec.Decode(&want); err != nil {
		t.Fatalf("%s: %v", jsonPath, err)
	}
	if len(want.Intervals) == 0 {
		t.Fatalf("%s: no intervals", jsonPath)
	}
	checkFixture(t, logPath, want)
}
