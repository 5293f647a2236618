// Command ch2-gc-stress writes pointer-holding values into a shared map from
// several goroutines while the garbage collector runs as often as it can,
// then checks that nothing was lost or corrupted: every key is present and
// every value still matches the checksum it was stored with.
//
// Two maps are exercised, each correctly synchronised (this is not a race
// experiment): the built-in map under a sync.Mutex, and sync.Map. The
// question is chapter 2.3's: can the collector miss, and free, an object
// whose only reference lives in a map? If it could, a freed value would be
// reused by a later allocation and its content would no longer match its
// checksum, or the map would lose the entry.
//
//	cd go-reference && go run ./cmd/ch2-gc-stress -map mutex -duration 5s
//
// It prints one JSON line (Result) and exits 0 when nothing was lost or
// corrupted, 1 when something was, 2 on bad flags.
package main

import (
	"encoding/json"
	"fmt"
	"hash/crc32"
	"math"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync"
	"sync/atomic"
	"time"

	"concurrentmaps/internal/cmdline"
	"concurrentmaps/internal/demoresult"
)

// ANCHOR: value
// payloadSize makes every value a separate heap object of 256 bytes
// (a size class of its own), so a freed value is soon reused by the
// allocation churn and shows up as a checksum mismatch.
const payloadSize = 256

// value is what the maps store: a pointer to it is the only reference to
// the payload, and next points at the value it replaced, so the map holds
// chains of pointers the collector must trace.
type value struct {
	key     uint64
	payload *[payloadSize]byte
	sum     uint32 // crc32 of *payload when it was stored
	next    *value
}

func newValue(key uint64, seq uint64, prev *value) *value {
	p := new([payloadSize]byte)
	for i := range p {
		p[i] = byte(key*31 + seq + uint64(i))
	}
	return &value{key: key, payload: p, sum: crc32.ChecksumIEEE(p[:]), next: prev}
}

// ok reports whether v and everything it points to still hold what was stored.
func (v *value) ok(key uint64) bool {
	for ; v != nil; v = v.next {
		if v.key != key || v.payload == nil || crc32.ChecksumIEEE(v.payload[:]) != v.sum {
			return false
		}
	}
	return true
}

// ANCHOR_END: value

// store is the narrow interface both maps are used through.
type store interface {
	load(k uint64) (*value, bool)
	put(k uint64, v *value)
	each(func(k uint64, v *value))
}

// ANCHOR: maps
type mutexMap struct {
	mu sync.Mutex
	m  map[uint64]*value
}

func (s *mutexMap) load(k uint64) (*value, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.m[k]
	return v, ok
}

func (s *mutexMap) put(k uint64, v *value) {
	s.mu.Lock()
	s.m[k] = v // a pointer store into the map's slot: compiled with a write barrier
	s.mu.Unlock()
}

// ANCHOR_END: maps

func (s *mutexMap) each(f func(uint64, *value)) {
	for k, v := range s.m {
		f(k, v)
	}
}

type syncMap struct{ m sync.Map }

func (s *syncMap) load(k uint64) (*value, bool) {
	v, ok := s.m.Load(k)
	if !ok {
		return nil, false
	}
	return v.(*value), true
}
func (s *syncMap) put(k uint64, v *value) { s.m.Store(k, v) }
func (s *syncMap) each(f func(uint64, *value)) {
	for k, v := range s.m.Range {
		f(k.(uint64), v.(*value))
	}
}

// Result is the JSON line the program prints.
// Its fields are defined in internal/demoresult, which the reader shares.
type Result = demoresult.GCStress

func main() {
	fs := cmdline.New("ch2-gc-stress", os.Stderr)
	mapName := fs.String("map", "mutex", "the map under test: mutex (map + sync.Mutex) or syncmap (sync.Map)")
	writers := fs.Int("writers", 4, "goroutines writing (>= 1)")
	keys := fs.Int("keys", 20_000, "distinct keys (>= 1)")
	duration := fs.Duration("duration", 3*time.Second, "how long the writers run (> 0)")
	chain := fs.Int("chain", 4, "each value keeps up to this many of the values it replaced (>= 0)")
	if err := fs.Parse(os.Args[1:]); err != nil {
		os.Exit(cmdline.Status(err)) // printed with the usage; -h exits 0
	}
	if *writers < 1 || *keys < 1 || *duration <= 0 || *chain < 0 {
		_ = fs.Bad("want -writers >= 1, -keys >= 1, -duration > 0, -chain >= 0")
		os.Exit(2)
	}
	var s store
	switch *mapName {
	case "mutex":
		s = &mutexMap{m: make(map[uint64]*value)}
	case "syncmap":
		s = &syncMap{}
	default:
		fmt.Fprintf(os.Stderr, "ch2-gc-stress: -map %q: want mutex or syncmap\n", *mapName)
		os.Exit(2)
	}
	res := stress(s, *writers, *keys, *duration, *chain)
	res.Map = *mapName
	out, _ := json.Marshal(res)
	fmt.Println(string(out))
	if res.Missing > 0 || res.Corrupt > 0 {
		os.Exit(1)
	}
}

// ANCHOR: stress
func stress(s store, writers, keys int, d time.Duration, chain int) Result {
	// GOGC=1: a collection starts whenever the heap grows by 1% over the
	// live heap, so the collector is running most of the time; a goroutine
	// also forces full collections in a loop.
	debug.SetGCPercent(1)
	for k := range uint64(keys) { // every key is present from the start
		s.put(k, newValue(k, 0, nil))
	}
	before := readGC()
	start := time.Now()
	var stop atomic.Bool
	var writes, garbage, forced atomic.Uint64
	var wg sync.WaitGroup
	wg.Go(func() {
		for !stop.Load() {
			runtime.GC()
			forced.Add(1)
		}
	})
	for w := range writers {
		wg.Go(func() {
			var seq uint64
			for !stop.Load() {
				k := uint64((seq*uint64(writers) + uint64(w)) % uint64(keys))
				seq++
				prev, _ := s.load(k)
				if prev != nil && !prev.ok(k) {
					panic(fmt.Sprintf("key %d: value corrupted while in the map", k))
				}
				prev = trim(prev, chain)
				s.put(k, newValue(k, seq, prev))
				writes.Add(1)
				// Garbage in the same size class as the payloads: if the
				// collector freed a live payload, this is what overwrites it.
				junk := make([]*[payloadSize]byte, 8)
				for i := range junk {
					junk[i] = new([payloadSize]byte)
					junk[i][0] = byte(seq)
				}
				garbage.Add(8 * payloadSize)
			}
		})
	}
	time.Sleep(d)
	stop.Store(true)
	wg.Wait()
	// ANCHOR_END: stress

	res := Result{Writers: writers, Keys: keys, Writes: writes.Load(), Garbage: garbage.Load(),
		ForcedGCs: forced.Load(), Seconds: time.Since(start).Seconds()}
	runtime.GC() // one more full cycle: anything wrongly freed is now reused
	// ANCHOR: check
	seen := make(map[uint64]bool, keys)
	s.each(func(k uint64, v *value) {
		seen[k] = true
		if !v.ok(k) {
			res.Corrupt++
		}
	})
	for k := range uint64(keys) {
		if _, ok := s.load(k); !ok || !seen[k] {
			res.Missing++
		}
	}
	// ANCHOR_END: check
	after := readGC()
	res.GCCycles = after.cycles - before.cycles
	res.PauseCount, res.PauseP50us, res.PauseMaxus = pauseStats(before.pauses, after.pauses)
	return res
}

// trim keeps at most n values in the chain starting at v (copying, so a
// value already in the map is never modified).
func trim(v *value, n int) *value {
	if v == nil || n == 0 {
		return nil
	}
	return &value{key: v.key, payload: v.payload, sum: v.sum, next: trim(v.next, n-1)}
}

type gcSample struct {
	cycles uint64
	pauses *metrics.Float64Histogram
}

// readGC reads the GC cycle count and the cumulative stop-the-world pause
// histogram of the GC (runtime/metrics, Go 1.22+ name).
func readGC() gcSample {
	s := []metrics.Sample{
		{Name: "/gc/cycles/total:gc-cycles"},
		{Name: "/sched/pauses/total/gc:seconds"},
	}
	metrics.Read(s)
	return gcSample{cycles: s[0].Value.Uint64(), pauses: s[1].Value.Float64Histogram()}
}

// pauseStats diffs two cumulative histograms and returns the number of
// pauses, the median and the largest (each as its bucket's upper bound, µs).
func pauseStats(before, after *metrics.Float64Histogram) (n uint64, p50, maxUs float64) {
	diff := make([]uint64, len(after.Counts))
	for i := range diff {
		diff[i] = after.Counts[i] - before.Counts[i]
		n += diff[i]
	}
	if n == 0 {
		return 0, 0, 0
	}
	var acc uint64
	for i, c := range diff {
		if c == 0 {
			continue
		}
		acc += c
		upper := after.Buckets[i+1] * 1e6
		if math.IsInf(upper, 1) {
			upper = after.Buckets[i] * 1e6
		}
		if p50 == 0 && acc*2 >= n {
			p50 = upper
		}
		maxUs = upper
	}
	return n, p50, maxUs
}
