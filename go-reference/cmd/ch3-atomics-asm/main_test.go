package main

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"concurrentmaps/internal/demo"
)

const pkg = "concurrentmaps/cmd/ch3-atomics-asm"

// body returns the instructions of one function (no TEXT line, no source
// position).
func body(t *testing.T, listing map[string][]string, sym string) []string {
	t.Helper()
	var insns []string
	for _, l := range listing[sym] {
		if strings.HasPrefix(l, "TEXT ") {
			continue
		}
		f := strings.Fields(l)
		insns = append(insns, strings.Join(f[1:], " "))
	}
	if len(insns) == 0 {
		t.Fatalf("%s: no instructions in the disassembly", sym)
	}
	return insns
}

func TestPointerLoadIsAPlainMOVAndStoreIsXCHG(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and disassembles a program")
	}
	if runtime.GOARCH != "amd64" {
		t.Skipf("the claim is about x86-64; this is %s", runtime.GOARCH)
	}
	bin := demo.BuildForTest(t, pkg, demo.BuildOptions{})
	listing, err := Disassemble(bin, symbols)
	if err != nil {
		t.Fatal(err)
	}
	// A load is one MOVQ from the variable into the result register, then
	// RET: no fence, no lock. (objdump names the variable, main.raw(SB), or
	// gives its PC-relative address, depending on the build.)
	for _, sym := range []string{"main.loadRaw", "main.loadTyped"} {
		got := body(t, listing, sym)
		if len(got) != 2 || !strings.HasPrefix(got[0], "MOVQ ") || !strings.HasSuffix(got[0], ", AX") || got[1] != "RET" {
			t.Errorf("%s: want MOVQ <variable>, AX; RET, got %q", sym, got)
		}
	}
	// A word store is an XCHGQ compiled inline.
	if got := strings.Join(body(t, listing, "main.storeWord"), "; "); !strings.Contains(got, "XCHGQ AX, 0(CX)") {
		t.Errorf("main.storeWord: want an inline XCHGQ, got %s", got)
	}
	// A pointer store calls sync/atomic.StorePointer (the write barrier
	// lives there), which ends in sync/atomic.StoreUintptr's XCHGQ.
	for _, sym := range []string{"main.storeRaw", "main.storeTyped"} {
		if got := strings.Join(body(t, listing, sym), "; "); !strings.Contains(got, "CALL sync/atomic.StorePointer(SB)") {
			t.Errorf("%s: want a call to sync/atomic.StorePointer, got %s", sym, got)
		}
	}
	sp := strings.Join(body(t, listing, "sync/atomic.StorePointer"), "; ")
	if !strings.Contains(sp, "CALL runtime.atomicwb(SB)") || !strings.Contains(sp, "CALL sync/atomic.StoreUintptr(SB)") {
		t.Errorf("sync/atomic.StorePointer: want the write barrier call and the StoreUintptr call, got %s", sp)
	}
	if got := body(t, listing, "sync/atomic.StoreUintptr"); len(got) != 2 || !strings.HasPrefix(got[0], "XCHGQ ") || got[1] != "RET" {
		t.Errorf("sync/atomic.StoreUintptr: want XCHGQ; RET, got %q", got)
	}
	c := Count(listing)
	if c["LFENCE"]+c["SFENCE"]+c["MFENCE"] != 0 {
		t.Errorf("want no fence instruction, got %v", c)
	}
	if c["XCHG"] != 2 || c["LOCK"] != 0 {
		t.Errorf("want exactly the two XCHGQ and no LOCK prefix, got %v", c)
	}
}

func TestOutWritesTheExcerpt(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and disassembles a program")
	}
	bin := demo.BuildForTest(t, pkg, demo.BuildOptions{})
	out := filepath.Join(t.TempDir(), "go.md")
	o := demo.RunForTest(t, demo.RunSpec{Bin: bin, Args: []string{"-out", out}, Timeout: time.Minute})
	if !o.Exited || o.ExitStatus != 0 {
		t.Fatalf("want exit 0, got %s", o)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), "TEXT main.loadRaw(SB)") || !strings.Contains(string(data), "0 `LFENCE`") {
		t.Errorf("excerpt lacks the load or the fence count:\n%s", data)
	}
}

func TestBadFlagsExit2(t *testing.T) {
	bin := demo.BuildForTest(t, pkg, demo.BuildOptions{})
	for _, args := range [][]string{{"-out", "/nonexistent-dir/x.md"}, {"-disasm=maybe"}, {"-out"}, {"extra"}} {
		o := demo.RunForTest(t, demo.RunSpec{Bin: bin, Args: args, Timeout: time.Minute})
		want := strings.SplitN(args[0], "=", 2)[0]
		if !o.Exited || o.ExitStatus != 2 || !strings.Contains(o.Stderr, want) {
			t.Errorf("%v: want exit 2 and an error naming %s, got %s", args, want, o)
		}
	}
}
