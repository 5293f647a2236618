package maps

import (
	"runtime"
	"sync/atomic"
	"testing"
)

// These benchmarks are a quick sanity look (allocations per operation above
// all); the measurements the book reports come from the runner replaying a
// trace. Keys are spread (benchKey) so most are >= 256 and boxing shows up.

const benchKeys = 1 << 16 // power of two: i&(benchKeys-1) cycles through them

func benchKey(i int) uint64 { return uint64(i&(benchKeys-1))*0x9E3779B97F4A7C15 | 1<<40 }

func prefilled(e Entry) Map {
	m := e.New(benchKeys)
	for i := range benchKeys {
		m.Insert(benchKey(i), uint64(i))
	}
	return m
}

// forEachMap runs body as a sub-benchmark per registered map, with allocation
// reporting on.
func forEachMap(b *testing.B, body func(b *testing.B, e Entry)) {
	for _, e := range All() {
		b.Run(e.Info.Name, func(b *testing.B) {
			b.ReportAllocs()
			body(b, e)
		})
	}
}

func BenchmarkGet(b *testing.B) {
	forEachMap(b, func(b *testing.B, e Entry) {
		m := prefilled(e)
		i := 0
		for b.Loop() {
			m.Get(benchKey(i))
			i++
		}
	})
}

func BenchmarkInsert(b *testing.B) {
	forEachMap(b, func(b *testing.B, e Entry) {
		m := e.New(0)
		i := 0
		for b.Loop() {
			if i == benchKeys { // bound memory: start again from an empty map
				b.StopTimer()
				m, i = e.New(0), 0
				b.StartTimer()
			}
			m.Insert(benchKey(i), uint64(i))
			i++
		}
	})
}

func BenchmarkUpdate(b *testing.B) {
	forEachMap(b, func(b *testing.B, e Entry) {
		m := prefilled(e)
		i := 0
		for b.Loop() {
			m.Update(benchKey(i), uint64(i)+1000)
			i++
		}
	})
}

// BenchmarkRemoveInsert measures a Remove and the Insert that puts the key
// back, so the map's size stays put however long the benchmark runs.
func BenchmarkRemoveInsert(b *testing.B) {
	forEachMap(b, func(b *testing.B, e Entry) {
		m := prefilled(e)
		i := 0
		for b.Loop() {
			m.Remove(benchKey(i))
			m.Insert(benchKey(i), uint64(i))
			i++
		}
	})
}

// BenchmarkGetParallel and BenchmarkUpdateParallel run from GOMAXPROCS
// goroutines on one map; a map limited to fewer goroutines is skipped.
func BenchmarkGetParallel(b *testing.B) {
	forEachMap(b, func(b *testing.B, e Entry) {
		runParallel(b, e, func(m Map, key uint64, i int) { m.Get(key) })
	})
}

func BenchmarkUpdateParallel(b *testing.B) {
	forEachMap(b, func(b *testing.B, e Entry) {
		runParallel(b, e, func(m Map, key uint64, i int) { m.Update(key, uint64(i)) })
	})
}

func runParallel(b *testing.B, e Entry, op func(m Map, key uint64, i int)) {
	if err := e.CheckGoroutines(runtime.GOMAXPROCS(0)); err != nil {
		b.Skip(err)
	}
	m := prefilled(e)
	var next atomic.Int64
	b.RunParallel(func(pb *testing.PB) {
		i := int(next.Add(benchKeys / 8)) // each goroutine starts elsewhere
		for pb.Next() {
			op(m, benchKey(i), i)
			i++
		}
	})
}
