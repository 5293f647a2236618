package trace

import (
	"encoding/binary"
	"os"
	"testing"
)

// FuzzReadHeader feeds the reader arbitrary bytes: it must return a trace or an
// error naming the label, never panic. `go test` runs the seeds below (the
// golden trace, its header alone, every header field set to an edge value, and
// truncations) as ordinary cases; `go test -fuzz FuzzReadHeader ./trace`
// explores further.
func FuzzReadHeader(f *testing.F) {
	golden, err := os.ReadFile(goldenPath)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(golden)
	f.Add([]byte{})
	f.Add([]byte(Magic))
	headerLen := int(binary.LittleEndian.Uint32(golden[offHeaderLen:]))
	f.Add(golden[:headerLen])
	for _, n := range []int{7, 8, 11, 12, 16, 95, 96, headerLen - 1, headerLen + 1, len(golden) - 1} {
		f.Add(golden[:n])
	}
	edges := []uint64{0, 1, 2, 1023, 1024, 1025, 1 << 32, 1<<32 + 1, 1<<62 - 1, 1 << 62, 1<<62 + 1, 1<<64 - 1}
	for _, at := range []int{offKeySpace, offKeyIDBound, offOpsPerThread, offPrefillCount, offParam0, offParam1} {
		for _, v := range edges {
			b := append([]byte(nil), golden...)
			binary.LittleEndian.PutUint64(b[at:], v)
			f.Add(b)
		}
	}
	for _, at := range []int{offVersion, offHeaderLen, offThreads, offFlags, offNameLen} {
		for _, v := range edges {
			b := append([]byte(nil), golden...)
			binary.LittleEndian.PutUint32(b[at:], uint32(v))
			f.Add(b)
		}
	}
	for _, at := range []int{offMix, offMix + 2, offDistKind, offDistKind + 1} {
		for _, v := range []byte{0, 1, 5, 0xff} {
			b := append([]byte(nil), golden...)
			b[at] = v
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		tr, err := Parse(data, "fuzz.trace")
		if err != nil {
			if msg := err.Error(); len(msg) < len("fuzz.trace: x") || msg[:len("fuzz.trace: ")] != "fuzz.trace: " {
				t.Fatalf("error does not name the file: %q", msg)
			}
			return
		}
		// An accepted trace can be walked end to end.
		_ = tr.Summary()
	})
}
