package runner

import (
	"encoding/binary"
	"fmt"
	"sync/atomic"
	"time"

	"concurrentmaps/maps"
	"concurrentmaps/trace"
)

// String keys and boxed values (traces with key_type = "string" or
// value_kind = "boxed"). The worker's state, stretch logic and counters are
// replay.go's; only the op loops differ: the key is the id's string from one
// table built before the prefill (no op builds a string), and a write makes
// its value (for Boxed, the 32-byte allocation a write costs). The uint64
// path (worker.kv == nil) is untouched.

// kvReplayer replays count ops of w's stream through a MapOf.
type kvReplayer interface {
	replay(w *worker, count uint64)
}

// kvReplay drives a MapOf[K, V]: key makes an id's key, mk a write's value,
// get the uint64 a found value carries.
type kvReplay[K comparable, V any] struct {
	m   maps.MapOf[K, V]
	key func(id uint64) K
	mk  func(uint64) V
	get func(V) uint64
}

func (r *kvReplay[K, V]) replay(w *worker, count uint64) {
	for count > 0 {
		stretch := min(count, w.untilSample)
		if stretch > 0 {
			r.untimed(w, stretch)
			count -= stretch
			if w.untilSample != neverSample {
				w.untilSample -= stretch
			}
			continue
		}
		r.timed(w)
		count--
		w.untilSample = w.gaps.next() - 1 // the same jittered gaps as replay.go
	}
}

// call is the map call alone (what a timed op times).
func (r *kvReplay[K, V]) call(kind uint64, key K, value uint64) (got uint64, hit bool) {
	switch kind {
	case kindGet:
		var v V
		if v, hit = r.m.Get(key); hit {
			got = r.get(v)
		}
	case kindInsert:
		hit = r.m.Insert(key, r.mk(value))
	case kindUpdate:
		hit = r.m.Update(key, r.mk(value))
	default:
		hit = r.m.Remove(key)
	}
	return got, hit
}

func (r *kvReplay[K, V]) untimed(w *worker, count uint64) {
	raw, n, pos := w.raw, w.n, w.pos
	valueHigh, acc, c, delaySteps := w.valueHigh, w.checksum, w.counts, w.delaySteps
	for ; count > 0; count-- {
		word := binary.LittleEndian.Uint64(raw[pos*8:])
		kind := word >> 62 & 3
		got, hit := r.call(kind, r.key(word&trace.KeyIDMask), valueHigh|(pos+1))
		if delaySteps != 0 { // see replayUntimed
			w.spinSink = spinSteps(delaySteps, w.spinSink)
		}
		if kind == kindGet {
			x := uint64(missMarker)
			if hit {
				x = got
			}
			acc = (acc ^ x) * checksumPrime
		}
		c.ops[kind]++
		if hit {
			c.hits[kind]++
		}
		if pos++; pos == n {
			pos = 0
		}
	}
	w.pos, w.checksum, w.counts = pos, acc, c
}

func (r *kvReplay[K, V]) timed(w *worker) {
	pos := w.pos
	word := binary.LittleEndian.Uint64(w.raw[pos*8:])
	kind := word >> 62 & 3
	key := r.key(word & trace.KeyIDMask)
	value := w.valueHigh | (pos + 1)
	start := time.Now()
	got, hit := r.call(kind, key, value)
	w.spinSink = spinSteps(w.delaySteps, w.spinSink)
	w.record(time.Since(start))
	if kind == kindGet {
		x := uint64(missMarker)
		if hit {
			x = got
		}
		w.checksum = (w.checksum ^ x) * checksumPrime
	}
	w.counts.ops[kind]++
	if hit {
		w.counts.hits[kind]++
	}
	if pos++; pos == w.n {
		pos = 0
	}
	w.pos = pos
}

// prefill inserts the trace's prefill on this goroutine, as prefillMap.
func (r *kvReplay[K, V]) prefill(t *trace.Trace, stop *atomic.Bool) (created uint64) {
	for i := 0; i < t.PrefillLen(); i++ {
		if i%clockCheckEvery == 0 && stop.Load() {
			return created
		}
		p := t.Prefill(i)
		if r.m.Insert(r.key(p.KeyID), r.mk(p.Value)) {
			created++
		}
	}
	return created
}

func unboxed(v maps.Boxed) uint64 { return v[0] }
func sameValue(v uint64) uint64   { return v }

// kvSetup is a run's MapOf with its key table, or nil for uint64 -> uint64.
type kvSetup interface {
	kvReplayer
	prefill(t *trace.Trace, stop *atomic.Bool) uint64
}

// newKV builds, before the prefill, the string keys (when the trace has them)
// and the map in the trace's key and value types; nil for u64 keys and values.
// An entry without that form is bad input.
func newKV(e maps.Entry, h trace.Header, capacity int) (kvSetup, error) {
	var keys []string
	strKey := func(id uint64) string { return keys[id] }
	if h.KeyType == trace.KeyString {
		keys = trace.KeyStrings(h.KeyIDBound)
	}
	missing := func() error {
		return fmt.Errorf("--map %s: comes only with u64 keys and u64 values, but the trace has %s keys and %s values",
			e.Info.Name, h.KeyType, h.ValueKind)
	}
	switch {
	case h.KeyType == trace.KeyU64 && h.ValueKind == trace.ValueU64:
		return nil, nil
	case h.KeyType == trace.KeyString && h.ValueKind == trace.ValueU64:
		if e.NewString == nil {
			return nil, missing()
		}
		return &kvReplay[string, uint64]{e.NewString(capacity), strKey, sameValue, sameValue}, nil
	case h.KeyType == trace.KeyU64:
		if e.NewBoxed == nil {
			return nil, missing()
		}
		return &kvReplay[uint64, maps.Boxed]{e.NewBoxed(capacity), trace.KeyForID, maps.NewBoxed, unboxed}, nil
	default:
		if e.NewStringBoxed == nil {
			return nil, missing()
		}
		return &kvReplay[string, maps.Boxed]{e.NewStringBoxed(capacity), strKey, maps.NewBoxed, unboxed}, nil
	}
}
