// Command ch3-contention measures what one counter update costs a thread in
// chapter 3.2 of the book: an atomic add or CAS on a private counter, an
// atomic add on one shared counter, on counters adjacent in one array (false
// sharing), on that array aligned to 128 bytes (the "alignas" fix, which
// fixes nothing), on counters each padded to 128 bytes, and a sync.Mutex
// lock + increment + unlock, private and shared; each at 1 and 2 threads.
//
// Every case runs -duration per repeat, -repeats times, interleaved (repeat
// 1 of every case, then repeat 2, ...), so slow spells on a shared machine
// hit all cases alike. It reports the median and the min-max of CPU ns
// per operation per thread (each thread's CLOCK_THREAD_CPUTIME_ID), how
// much of the run each thread was on a CPU, wall ns per operation, and
// ratios taken within each repeat.
//
// With -out DIR it writes DIR/contention-go.md atomically after every
// finished repeat, so an interrupted run (SIGINT, SIGTERM; exit 130) keeps
// the repeats it finished. Without -out it prints the tables. Progress goes
// to stderr; bad flags exit 2.
//
//	cd go-reference && go run ./cmd/ch3-contention -out ../book/src/generated/ch03
package main

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"concurrentmaps/internal/cmdline"
	"concurrentmaps/internal/genfile"
)

// regenerate is the exact command that rebuilds the generated file.
const regenerate = "cd go-reference && go run ./cmd/ch3-contention -out ../book/src/generated/ch03"

const outName = "contention-go.md"

// threadCounts are the thread counts every case runs at: the machine this
// book is built on has two vCPUs, and more threads than CPUs would measure
// the scheduler, not the cache.
var threadCounts = []int{1, 2}

// cacheBlock is the padding unit. x86-64 cache lines are 64 bytes, but
// Intel's L2 spatial ("adjacent cache line") prefetcher fetches lines in
// aligned 128-byte pairs, so a write to one line can still disturb its
// pair; crossbeam's CachePadded is 128 bytes on x86-64 for that reason
// (cache_padded.rs), and the Rust side uses it. Go's runtime pads its own
// structures to 64 (internal/cpu/cpu_x86.go, CacheLinePadSize); we pad to
// 128 so both languages measure the same layout. golang.org/x/sys/cpu's
// CacheLinePad is not used: this module is standard library only.
const cacheBlock = 128

// ANCHOR: layouts
// paddedCounter occupies a whole 128-byte block, so counters in a
// []paddedCounter are 128 bytes apart and never share a line or a pair.
type paddedCounter struct {
	n atomic.Uint64
	_ [cacheBlock - 8]byte
}

// alignedCounters is Go's nearest thing to C++'s
// `alignas(64) std::atomic<uint64_t> a[n]`: a slice of n counters whose
// first element starts a 128-byte block. Go has no alignment directive, so
// it over-allocates and starts the slice at the first aligned element.
// Only the start moves: the elements are still 8 bytes apart.
func alignedCounters(n int) []atomic.Uint64 {
	buf := make([]atomic.Uint64, n+cacheBlock/8)
	for i := range buf {
		if uintptr(unsafe.Pointer(&buf[i]))%cacheBlock == 0 {
			return buf[i : i+n : i+n]
		}
	}
	panic("unreachable: 16 consecutive 8-byte-aligned words contain a 128-byte boundary")
}

// paddedMutex is a mutex and the count it guards, alone in its block.
type paddedMutex struct {
	mu sync.Mutex
	n  uint64
	_  [cacheBlock - 16]byte
}

// ANCHOR_END: layouts

// A loop is one thread's work: it repeats its operation until stop says so
// and returns how many operations it did.
type loop func(s *stopper) uint64

// A contentionCase builds fresh state for a number of threads: one loop per
// thread, and the counters' total afterwards, which must equal the sum of
// the operations the loops report (a check that no update was lost).
type contentionCase struct {
	name, what string
	setup      func(threads int) ([]loop, func() uint64)
}

// ANCHOR: cases
var cases = []contentionCase{
	{"cas-private", "`CompareAndSwap` loop on its own padded counter", func(n int) ([]loop, func() uint64) {
		c := make([]paddedCounter, n)
		return eachThread(n, func(i int) loop {
			p := &c[i].n
			return func(s *stopper) (ops uint64) {
				for !s.done() {
					for range batch {
						for old := p.Load(); !p.CompareAndSwap(old, old+1); old = p.Load() {
						}
					}
					ops += batch
				}
				return ops
			}
		}), sumPadded(c)
	}},
	{"add-private", "`atomic.Uint64.Add` on its own padded counter", func(n int) ([]loop, func() uint64) {
		c := make([]paddedCounter, n)
		return eachThread(n, func(i int) loop { return addLoop(&c[i].n) }), sumPadded(c)
	}},
	{"add-shared", "`Add` on one counter shared by all threads", func(n int) ([]loop, func() uint64) {
		c := make([]paddedCounter, 1)
		return eachThread(n, func(int) loop { return addLoop(&c[0].n) }), sumPadded(c)
	}},
	{"add-adjacent", "`Add` on element i of a plain `[]atomic.Uint64` (false sharing)", func(n int) ([]loop, func() uint64) {
		c := make([]atomic.Uint64, n)
		return eachThread(n, func(i int) loop { return addLoop(&c[i]) }), sumPlain(c)
	}},
	{"add-aligned-array", "`Add` on element i of an array aligned to 128 bytes, elements unpadded", func(n int) ([]loop, func() uint64) {
		c := alignedCounters(n)
		return eachThread(n, func(i int) loop { return addLoop(&c[i]) }), sumPlain(c)
	}},
	{"add-padded", "`Add` on element i of a `[]paddedCounter`, 128 bytes each", func(n int) ([]loop, func() uint64) {
		c := make([]paddedCounter, n)
		return eachThread(n, func(i int) loop { return addLoop(&c[i].n) }), sumPadded(c)
	}},
	{"mutex-private", "`sync.Mutex` `Lock`, `n++`, `Unlock` on its own padded mutex", func(n int) ([]loop, func() uint64) {
		m := make([]paddedMutex, n)
		return eachThread(n, func(i int) loop { return mutexLoop(&m[i]) }), sumMutex(m)
	}},
	{"mutex-shared", "`sync.Mutex` `Lock`, `n++`, `Unlock` on one mutex shared by all threads", func(n int) ([]loop, func() uint64) {
		m := make([]paddedMutex, 1)
		return eachThread(n, func(int) loop { return mutexLoop(&m[0]) }), sumMutex(m)
	}},
}

// addLoop adds 1 to p in batches until the stopper says stop. The
// operation is written out in each loop, not passed in as a func value,
// so that an indirect call does not add to the few nanoseconds measured.
// go:noinline keeps it so: when the Go 1.26 compiler inlines addLoop into
// a case, the closure it copies there calls (*atomic.Uint64).Add instead
// of inlining it to one LOCK XADDQ (checked with go tool objdump).
//
//go:noinline
func addLoop(p *atomic.Uint64) loop {
	return func(s *stopper) (ops uint64) {
		for !s.done() {
			for range batch {
				p.Add(1)
			}
			ops += batch
		}
		return ops
	}
}

// mutexLoop is addLoop for a lock, increment and unlock.
//
//go:noinline
func mutexLoop(m *paddedMutex) loop {
	return func(s *stopper) (ops uint64) {
		for !s.done() {
			for range batch {
				m.mu.Lock()
				m.n++
				m.mu.Unlock()
			}
			ops += batch
		}
		return ops
	}
}

// ANCHOR_END: cases

// batch is how many operations a loop does between looks at the clock;
// a clock read per 1024 operations costs well under 1% of the loop.
const batch = 1024

func eachThread(n int, makeLoop func(i int) loop) []loop {
	loops := make([]loop, n)
	for i := range loops {
		loops[i] = makeLoop(i)
	}
	return loops
}

func sumPadded(c []paddedCounter) func() uint64 {
	return func() (s uint64) {
		for i := range c {
			s += c[i].n.Load()
		}
		return s
	}
}

func sumPlain(c []atomic.Uint64) func() uint64 {
	return func() (s uint64) {
		for i := range c {
			s += c[i].Load()
		}
		return s
	}
}

func sumMutex(m []paddedMutex) func() uint64 {
	return func() (s uint64) {
		for i := range m {
			m[i].mu.Lock()
			s += m[i].n
			m[i].mu.Unlock()
		}
		return s
	}
}

// stopper ends all loops of one measurement together: the first loop past
// the deadline sets stop, so no thread runs on alone, uncontended, while
// another has finished. It sits in its own block: the loops read it
// between batches and nothing else may share its line.
type stopper struct {
	_        [cacheBlock]byte
	stop     atomic.Bool
	deadline time.Time
	_        [cacheBlock]byte
}

func (s *stopper) done() bool {
	if s.stop.Load() {
		return true
	}
	if time.Now().After(s.deadline) {
		s.stop.Store(true)
		return true
	}
	return false
}

// sample is one measurement of one case at one thread count.
type sample struct {
	// nsPerOp is each thread's CPU time divided by its operations,
	// averaged over the threads. CPU time, not wall time: on a shared
	// machine a thread that is descheduled half the time would otherwise
	// seem to take twice as long per operation.
	nsPerOp float64
	// onCPU is each thread's CPU time divided by its wall time, averaged:
	// near 1 when every thread ran the whole time. At 2 threads, less
	// than 1 means the threads were not always running at the same
	// instant, so contention was rarer than the case intends.
	onCPU float64
	// wallNsPerOp is each thread's wall time divided by its operations,
	// averaged. A thread that sleeps waiting for a lock spends that time
	// off the CPU: CPU time leaves it out, wall time does not.
	wallNsPerOp float64
}

// measure runs c at threads threads for d.
func measure(c contentionCase, threads int, d time.Duration) (sample, error) {
	loops, total := c.setup(threads)
	s := &stopper{}
	type result struct {
		ops       uint64
		cpu, wall time.Duration
		cpuOK     bool
	}
	results := make([]result, threads)
	var ready, finished sync.WaitGroup
	start := make(chan struct{})
	for i, l := range loops {
		ready.Add(1)
		finished.Add(1)
		go func() {
			defer finished.Done()
			runtime.LockOSThread() // for threadCPUTime
			defer runtime.UnlockOSThread()
			ready.Done()
			<-start
			c0, ok0 := threadCPUTime()
			t0 := time.Now()
			ops := l(s)
			wall := time.Since(t0)
			c1, ok1 := threadCPUTime()
			results[i] = result{ops, c1 - c0, wall, ok0 && ok1}
		}()
	}
	ready.Wait()
	s.deadline = time.Now().Add(d)
	close(start)
	finished.Wait()

	var ops uint64
	var out sample
	for _, r := range results {
		ops += r.ops
		cpu := r.cpu
		if !r.cpuOK {
			cpu = r.wall
		}
		out.nsPerOp += float64(cpu.Nanoseconds()) / float64(r.ops) / float64(threads)
		out.onCPU += cpu.Seconds() / r.wall.Seconds() / float64(threads)
		out.wallNsPerOp += float64(r.wall.Nanoseconds()) / float64(r.ops) / float64(threads)
	}
	if got := total(); got != ops {
		return out, fmt.Errorf("%s at %d threads: counters hold %d, loops did %d operations", c.name, threads, got, ops)
	}
	return out, nil
}

// options are the validated command-line flags.
type options struct {
	duration time.Duration
	repeats  int
	outDir   string
}

func main() {
	cmdline.Main(parseFlags, run)
}

// parseFlags parses and checks args; on error it has already printed the
// problem (naming the flag) and the usage to stderr.
func parseFlags(args []string, stderr io.Writer) (options, error) {
	fs := cmdline.New("ch3-contention", stderr)
	var o options
	fs.PositiveDurationVar(&o.duration, "duration", 100*time.Millisecond, "time per case, thread count and repeat (> 0)")
	fs.IntAtLeastVar(&o.repeats, "repeats", 7, 1, "interleaved repeats of every case (>= 1)")
	fs.OutDirVar(&o.outDir, "directory for "+outName+" (empty: print the tables to stdout)")
	return o, fs.Parse(args)
}

// run measures every case -repeats times and returns the exit status.
func run(ctx context.Context, opt options, stdout, stderr io.Writer) int {
	logf := func(format string, a ...any) { fmt.Fprintf(stderr, "ch3-contention: "+format+"\n", a...) }
	rep := newReport(opt)
	for r := range opt.repeats {
		for _, c := range cases {
			for _, n := range threadCounts {
				if ctx.Err() != nil {
					logf("interrupted: kept %d finished repeats", rep.repeats)
					return 130
				}
				smp, err := measure(c, n, opt.duration)
				if err != nil {
					logf("%v", err)
					return 1
				}
				rep.add(c.name, n, smp)
			}
		}
		rep.repeats = r + 1
		logf("repeat %d of %d done", r+1, opt.repeats)
		if opt.outDir != "" {
			if err := genfile.WriteAtomic(filepath.Join(opt.outDir, outName), rep.markdown()); err != nil {
				logf("%v", err)
				return 1
			}
		}
	}
	if opt.outDir == "" {
		if _, err := stdout.Write(rep.markdown()); err != nil {
			logf("%v", err)
			return 1
		}
	} else {
		logf("wrote %s", filepath.Join(opt.outDir, outName))
	}
	return 0
}

// goMaxProcs is reported beside the results: the loops need one P each.
func goMaxProcs() int { return runtime.GOMAXPROCS(0) }
