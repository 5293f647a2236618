package runner

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"concurrentmaps/maps"
	"concurrentmaps/trace"
)

const goldenStringPath = "../../comparisons/testdata/golden-string.trace"

// The string golden trace (string keys, boxed values) cut to its thread 0, as
// singleThreadGolden: every map, in process, reports the reference replay's
// hits, final length and checksum (string keys are a bijection of the u64
// keys, so the reference is the same), and run_start records the kinds.
func TestSingleThreadStringKeysAndBoxedValues(t *testing.T) {
	dir := t.TempDir()
	tr, err := trace.Open(goldenStringPath)
	if err != nil {
		t.Fatal(err)
	}
	h := tr.Header()
	data := bytes.Clone(tr.Bytes())
	binary.LittleEndian.PutUint32(data[32:], 1) // threads
	path := filepath.Join(dir, "golden-string-thread0.trace")
	if err := os.WriteFile(path, data[:int(h.HeaderLen)+8*int(h.PrefillCount)+8*int(h.OpsPerThread)], 0o644); err != nil {
		t.Fatal(err)
	}
	cut, err := trace.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	ref := referenceReplay(cut)
	uint64Only := map[string]bool{}
	for _, e := range maps.All() {
		uint64Only[e.Info.Name] = e.CheckKinds(true, true) != nil
	}
	for _, name := range append(maps.Names(), NoopName) {
		t.Run(name, func(t *testing.T) {
			out := t.TempDir()
			code, _, stderr := mainInProcess(t, "--trace", path, "--map", name, "--out-dir", out, "--run-id", "s",
				"--interval-ms", "1")
			if uint64Only[name] {
				// A map registered without its string/boxed form is refused as bad input.
				if code != ExitBadInput || !strings.Contains(stderr, name) {
					t.Fatalf("uint64-only map: exit %d (want %d naming it): %s", code, ExitBadInput, stderr)
				}
				return
			}
			if code != ExitOK {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			res := readJSONL(t, filepath.Join(out, "s.jsonl"))
			if res.start.KeyType != "string" || res.start.ValueKind != "boxed" {
				t.Errorf("run_start key_type %q value_kind %q", res.start.KeyType, res.start.ValueKind)
			}
			want := ref
			if name == NoopName {
				want = referenceResult{checksum: noopChecksum(cut)}
			}
			got := res.end
			if got.Status != "ok" || got.Checksum != fmt.Sprintf("0x%016x", want.checksum) || got.FinalLen != want.finalLen ||
				got.Hits.Get != want.getHits || got.Hits.InsertNew != want.insertNew ||
				got.Hits.Update != want.updateHits || got.Hits.Remove != want.removeHits {
				t.Errorf("run_end %+v; want checksum 0x%016x, final_len %d, hits %d/%d/%d/%d", got,
					want.checksum, want.finalLen, want.getHits, want.insertNew, want.updateHits, want.removeHits)
			}
		})
	}
}

// A map without the string/boxed form is refused as bad input, naming it.
func TestMapWithoutKindsIsRefused(t *testing.T) {
	extraMaps = append(extraMaps, maps.Entry{Info: maps.Info{Name: "u64-only"}, New: noopEntry.New})
	defer func() { extraMaps = extraMaps[:len(extraMaps)-1] }()
	dir := t.TempDir()
	code, _, stderr := mainInProcess(t, "--trace", goldenStringPath, "--map", "u64-only", "--out-dir", dir, "--run-id", "r")
	if code != ExitBadInput || !containsAll(stderr, "--map u64-only: comes only with u64 keys and u64 values",
		"string keys and boxed values") {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
}
