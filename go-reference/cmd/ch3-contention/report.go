package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync/atomic"
	"time"
	"unsafe"

	"concurrentmaps/internal/genfile"
)

// report holds every measurement so far: ns per operation per thread, one
// value per finished repeat, by case and thread count.
type report struct {
	goVersion, cpuModel, topology, loadAvg string
	numCPU, gomaxprocs                     int
	duration                               time.Duration
	wantRepeats, repeats                   int
	generated                              time.Time
	samples                                map[string]map[int][]sample
}

func newReport(opt options) *report {
	return &report{
		goVersion: runtime.Version(), cpuModel: genfile.CPUModel(), topology: cpuTopology(),
		loadAvg: loadAverage(), numCPU: runtime.NumCPU(), gomaxprocs: goMaxProcs(),
		duration: opt.duration, wantRepeats: opt.repeats, generated: time.Now(),
		samples: map[string]map[int][]sample{},
	}
}

func (r *report) add(name string, threads int, s sample) {
	if r.samples[name] == nil {
		r.samples[name] = map[int][]sample{}
	}
	r.samples[name][threads] = append(r.samples[name][threads], s)
}

// finished returns ns per operation of the finished repeats only: a repeat
// in progress has measured some cases and not others.
func (r *report) finished(name string, threads int) []float64 {
	return r.field(name, threads, func(s sample) float64 { return s.nsPerOp })
}

func (r *report) field(name string, threads int, f func(sample) float64) []float64 {
	v := r.samples[name][threads]
	out := make([]float64, min(len(v), r.repeats))
	for i := range out {
		out[i] = f(v[i])
	}
	return out
}

// ratios are quotients of two cases at the same thread count, taken within
// each repeat, so a slow spell that hits both cases cancels out.
var ratios = []struct{ num, den, meaning string }{
	{"add-adjacent", "add-padded", "false sharing: neighbours in one line vs one 128-byte block each"},
	{"add-aligned-array", "add-padded", "the aligned but unpadded array vs padding each element"},
	{"add-aligned-array", "add-adjacent", "aligning the array vs not aligning it"},
	{"add-shared", "add-padded", "one shared counter vs a private one each"},
	{"cas-private", "add-private", "a CompareAndSwap loop vs one atomic Add"},
	{"mutex-private", "add-private", "an uncontended lock + unlock vs one atomic Add"},
	{"mutex-shared", "mutex-private", "one contended mutex vs a private one each"},
}

// allOnCPU is the on-CPU share of every finished sample at threads, sorted.
func (r *report) allOnCPU(threads int) []float64 {
	var on []float64
	for _, c := range cases {
		on = append(on, r.field(c.name, threads, func(s sample) float64 { return s.onCPU })...)
	}
	slices.Sort(on)
	return on
}

func (r *report) ratio(num, den string, threads int) []float64 {
	a, b := r.finished(num, threads), r.finished(den, threads)
	q := make([]float64, min(len(a), len(b)))
	for i := range q {
		q[i] = a[i] / b[i]
	}
	return q
}

func (r *report) markdown() []byte {
	var b bytes.Buffer
	b.WriteString(genfile.Header("go-reference/cmd/ch3-contention", regenerate))
	cpu := r.cpuModel
	if cpu == "" {
		cpu = "CPU model unknown"
	}
	partial := ""
	if r.repeats < r.wantRepeats {
		partial = fmt.Sprintf(" (interrupted: %d of %d repeats)", r.repeats, r.wantRepeats)
	}
	fmt.Fprintf(&b, "Measured with %s %s/%s, `GOMAXPROCS=%d`, on %d vCPUs (%s), %s. "+
		"Topology as the OS sees it: %s. Load average %s at the start. "+
		"%d interleaved repeats%s of %v per case and thread count; threads are not pinned to CPUs.\n\n",
		r.goVersion, runtime.GOOS, runtime.GOARCH, r.gomaxprocs, r.numCPU, cpu, r.generated.Format("2006-01-02"),
		r.topology, orUnknown(r.loadAvg), r.repeats, partial, r.duration)

	b.WriteString("Nanoseconds of CPU time per operation per thread, median of the repeats (min–max); " +
		"then the share of its wall time each thread was on a CPU, median (at 2 threads, below 100% means the " +
		"threads did not always run at the same instant, so they contended less than the case intends); then, at 2 threads, " +
		"wall time per operation, median, which also counts time a thread spent asleep waiting for a lock:\n\n")
	b.WriteString("| case | what each thread does |")
	for _, n := range threadCounts {
		fmt.Fprintf(&b, " %d %s: ns/op |", n, plural(n, "thread"))
	}
	for _, n := range threadCounts {
		fmt.Fprintf(&b, " %d: on CPU |", n)
	}
	b.WriteString(" 2 threads: wall ns/op |")
	b.WriteString("\n|---|---|" + strings.Repeat("---:|", 2*len(threadCounts)+1) + "\n")
	for _, c := range cases {
		fmt.Fprintf(&b, "| `%s` | %s |", c.name, c.what)
		for _, n := range threadCounts {
			fmt.Fprintf(&b, " %s |", spread(r.finished(c.name, n), "%.1f"))
		}
		for _, n := range threadCounts {
			on := r.field(c.name, n, func(s sample) float64 { return 100 * s.onCPU })
			fmt.Fprintf(&b, " %s |", medianOnly(on, "%.0f%%"))
		}
		wall := r.field(c.name, 2, func(s sample) float64 { return s.wallNsPerOp })
		fmt.Fprintf(&b, " %s |\n", medianOnly(wall, "%.1f"))
	}

	if on := r.allOnCPU(2); len(on) > 0 && median(on) < 0.9 {
		fmt.Fprintf(&b, "\n**Warning:** at 2 threads the threads were on a CPU only %.0f%% of the time (median over all cases): "+
			"other work was running, so the 2-thread rows measure less contention than they would on an idle machine.\n", 100*median(on))
	}

	b.WriteString("\nRatios within each repeat, median (min–max):\n\n| ratio | what it compares |")
	for _, n := range threadCounts {
		fmt.Fprintf(&b, " %d %s |", n, plural(n, "thread"))
	}
	b.WriteString("\n|---|---|" + strings.Repeat("---:|", len(threadCounts)) + "\n")
	for _, q := range ratios {
		fmt.Fprintf(&b, "| `%s` ÷ `%s` | %s |", q.num, q.den, q.meaning)
		for _, n := range threadCounts {
			fmt.Fprintf(&b, " %s |", spread(r.ratio(q.num, q.den, n), "%.2f×"))
		}
		b.WriteString("\n")
	}

	b.WriteString("\nLayout of the counters, from `unsafe.Sizeof` and the addresses of two neighbouring elements in this run:\n\n")
	b.WriteString("| case | element type | element size (bytes) | distance between elements 0 and 1 (bytes) | first element's address mod 128 |\n|---|---|---:|---:|---:|\n")
	for _, l := range layouts() {
		fmt.Fprintf(&b, "| `%s` | `%s` | %d | %d | %d |\n", l.name, l.elem, l.size, l.stride, l.mod128)
	}
	return b.Bytes()
}

// layoutFact is what one case's memory layout looks like.
type layoutFact struct {
	name, elem           string
	size, stride, mod128 uintptr
}

// ANCHOR: layout-facts
// layouts allocates each kind of counter array the way the cases do and
// reports the facts that decide false sharing: how far apart two threads'
// counters are, and where the array starts.
func layouts() []layoutFact {
	addr := func(p unsafe.Pointer) uintptr { return uintptr(p) }
	plain := make([]atomic.Uint64, 2)
	aligned := alignedCounters(2)
	padded := make([]paddedCounter, 2)
	return []layoutFact{
		{"add-adjacent", "atomic.Uint64", unsafe.Sizeof(plain[0]),
			addr(unsafe.Pointer(&plain[1])) - addr(unsafe.Pointer(&plain[0])), addr(unsafe.Pointer(&plain[0])) % 128},
		{"add-aligned-array", "atomic.Uint64", unsafe.Sizeof(aligned[0]),
			addr(unsafe.Pointer(&aligned[1])) - addr(unsafe.Pointer(&aligned[0])), addr(unsafe.Pointer(&aligned[0])) % 128},
		{"add-padded", "paddedCounter", unsafe.Sizeof(padded[0]),
			addr(unsafe.Pointer(&padded[1])) - addr(unsafe.Pointer(&padded[0])), addr(unsafe.Pointer(&padded[0])) % 128},
	}
}

// ANCHOR_END: layout-facts

// cpuTopology describes which vCPUs share a physical core, from
// /sys/devices/system/cpu/cpu*/topology; on a VM that is the topology the
// hypervisor presents, which need not match the host's.
func cpuTopology() string {
	dirs, _ := filepath.Glob("/sys/devices/system/cpu/cpu[0-9]*/topology")
	if len(dirs) == 0 {
		return "unknown (no /sys/devices/system/cpu)"
	}
	slices.Sort(dirs)
	read := func(dir, f string) string {
		data, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			return "?"
		}
		return strings.TrimSpace(string(data))
	}
	var parts []string
	shared := false
	for _, d := range dirs {
		cpu := filepath.Base(filepath.Dir(d))
		sib := read(d, "thread_siblings_list")
		if strings.ContainsAny(sib, ",-") {
			shared = true
		}
		parts = append(parts, fmt.Sprintf("%s core %s package %s siblings %s",
			cpu, read(d, "core_id"), read(d, "physical_package_id"), sib))
	}
	verdict := "each vCPU is its own core (no hyperthread siblings)"
	if shared {
		verdict = "some vCPUs are hyperthreads of one core (they share its L1 and L2)"
	}
	if hypervisor() {
		verdict += "; this is a virtual machine, so the host may still map vCPUs onto hyperthreads of one physical core"
	}
	return strings.Join(parts, "; ") + ": " + verdict
}

// hypervisor reports whether /proc/cpuinfo has the "hypervisor" flag.
func hypervisor() bool {
	data, err := os.ReadFile("/proc/cpuinfo")
	return err == nil && strings.Contains(string(data), " hypervisor")
}

// loadAverage returns the first field of /proc/loadavg, or "".
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

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

func plural(n int, word string) string {
	if n == 1 {
		return word
	}
	return word + "s"
}

// spread formats the median and the min–max of v, or "n/a" when empty.
func spread(v []float64, format string) string {
	if len(v) == 0 {
		return "n/a"
	}
	s := slices.Clone(v)
	slices.Sort(s)
	f := func(x float64) string { return fmt.Sprintf(format, x) }
	return fmt.Sprintf("%s (%s–%s)", f(median(s)), f(s[0]), f(s[len(s)-1]))
}

// medianOnly formats the median of v, or "n/a" when empty.
func medianOnly(v []float64, format string) string {
	if len(v) == 0 {
		return "n/a"
	}
	s := slices.Clone(v)
	slices.Sort(s)
	return fmt.Sprintf(format, median(s))
}

// median of sorted values; the mean of the middle two for an even count.
func median(sorted []float64) float64 {
	n := len(sorted)
	if n%2 == 1 {
		return sorted[n/2]
	}
	return (sorted[n/2-1] + sorted[n/2]) / 2
}
