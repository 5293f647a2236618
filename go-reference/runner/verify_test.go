package runner

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"concurrentmaps/trace"
)

// The built binary refuses a trace whose bytes differ from its .sha256 (exit
// 2, nothing written) and warns when there is no .sha256 to check.
func TestBinaryRefusesATraceThatDoesNotMatchItsSidecar(t *testing.T) {
	bin := buildRunner(t)
	good, err := os.ReadFile(goldenPath)
	if err != nil {
		t.Fatal(err)
	}
	sidecar, err := os.ReadFile(goldenPath + ".sha256")
	if err != nil {
		t.Fatal(err)
	}
	tr, err := trace.Parse(good, "golden")
	if err != nil {
		t.Fatal(err)
	}
	h := tr.Header()
	at := int(h.HeaderLen) + 8*int(h.PrefillCount)
	bad := bytes.Clone(good)
	for i := 1; ; i++ {
		if o := at + 8*i; !bytes.Equal(good[o:o+8], good[at:at+8]) {
			copy(bad[at:at+8], good[o:o+8])
			break
		}
	}
	if _, err := trace.Parse(bad, "bad"); err != nil {
		t.Fatalf("the changed copy should stay well formed: %v", err)
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "flipped.trace")
	if err := os.WriteFile(path, bad, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(trace.SidecarPath(path), sidecar, 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out")
	o := runBinary(t, bin, "--trace", path, "--map", "noop", "--out-dir", out, "--run-id", "v")
	if o.ExitStatus != ExitBadInput || !containsAll(o.Stderr, "--trace", path+": sha256 does not match", path+".sha256: expected") {
		t.Errorf("want exit 2 naming the trace and its sidecar; got %s", o)
	}
	if entries, _ := os.ReadDir(out); len(entries) != 0 {
		t.Errorf("refused trace left files: %v", entries)
	}

	bare := filepath.Join(dir, "bare.trace")
	if err := os.WriteFile(bare, good, 0o644); err != nil {
		t.Fatal(err)
	}
	o = runBinary(t, bin, "--trace", bare, "--map", "noop", "--out-dir", out, "--run-id", "bare", "--interval-ms", "1")
	if o.ExitStatus != ExitOK || !containsAll(o.Stderr, bare+".sha256: not found", "not against its SHA-256") {
		t.Errorf("no sidecar: want exit 0 and a warning; got %s", o)
	}
}
