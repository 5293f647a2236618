package trace

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// stillValidButDifferent returns a copy of a valid trace with thread 0's first
// op replaced by another op of the same stream: it passes every format check,
// but it is not the file its checksum records.
func stillValidButDifferent(t *testing.T, b []byte) []byte {
	t.Helper()
	tr, err := Parse(b, "x")
	if err != nil {
		t.Fatal(err)
	}
	h := tr.Header()
	at := int(h.HeaderLen) + 8*int(h.PrefillCount)
	c := bytes.Clone(b)
	for i := 1; i < int(h.OpsPerThread); i++ {
		o := at + 8*i
		if !bytes.Equal(b[o:o+8], b[at:at+8]) {
			copy(c[at:at+8], b[o:o+8])
			if _, err := Parse(c, "x"); err != nil {
				t.Fatalf("the changed copy should stay well formed: %v", err)
			}
			return c
		}
	}
	t.Fatal("no two different ops")
	return nil
}

func TestOpenVerifiedChecksTheSidecar(t *testing.T) {
	good, err := os.ReadFile(goldenPath)
	if err != nil {
		t.Fatal(err)
	}
	sidecar, err := os.ReadFile(goldenPath + ".sha256")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "v.trace")
	write := func(p string, b []byte) {
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(path, good)
	write(SidecarPath(path), sidecar)
	tr, verified, err := OpenVerified(path)
	if err != nil || !verified {
		t.Fatalf("golden copy: verified %v, err %v", verified, err)
	}
	if !strings.HasPrefix(string(sidecar), tr.SHA256()+"  ") {
		t.Errorf("SHA256() = %s, sidecar %q", tr.SHA256(), sidecar)
	}

	write(path, stillValidButDifferent(t, good))
	_, _, err = OpenVerified(path)
	if !errors.Is(err, ErrChecksum) || !strings.Contains(err.Error(), path+": sha256 does not match "+SidecarPath(path)+": expected ") {
		t.Errorf("changed op: want ErrChecksum naming both files, got %v", err)
	}

	write(path, good)
	write(SidecarPath(path), []byte("not a digest\n"))
	_, _, err = OpenVerified(path)
	if !errors.Is(err, ErrBadSidecar) || !strings.Contains(err.Error(), "64 hex digits") {
		t.Errorf("malformed sidecar: got %v", err)
	}

	os.Remove(SidecarPath(path))
	if _, verified, err := OpenVerified(path); err != nil || verified {
		t.Errorf("no sidecar: want opened, not verified; got verified %v, err %v", verified, err)
	}
}
