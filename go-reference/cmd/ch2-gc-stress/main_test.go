package main

import (
	"encoding/json"
	"os/exec"
	"regexp"
	"testing"
	"time"

	"concurrentmaps/internal/demo"
)

// minGCCycles is what a one-second run must reach for the check to mean
// anything: with GOGC=1 and a goroutine forcing collections, a 2-core
// machine completes well over a hundred; 20 leaves room for a loaded one.
const minGCCycles = 20

// Every key written under GC pressure is still there, and every value (and
// every value it points to) still matches its checksum, for both maps.
func TestNothingLostUnderGCPressure(t *testing.T) {
	bin := demo.BuildForTest(t, "concurrentmaps/cmd/ch2-gc-stress", demo.BuildOptions{})
	for _, name := range []string{"mutex", "syncmap"} {
		t.Run(name, func(t *testing.T) {
			o := demo.RunForTest(t, demo.RunSpec{
				Bin: bin, Args: []string{"-map", name, "-duration", "1s", "-keys", "5000"},
				Env: []string{"GOMAXPROCS=2"}, Timeout: time.Minute,
			})
			var res Result
			if o.Kind() != demo.Clean || json.Unmarshal([]byte(o.Stdout), &res) != nil {
				t.Fatalf("want a clean exit with a JSON result, got %s", o)
			}
			if res.Missing != 0 || res.Corrupt != 0 {
				t.Errorf("lost or corrupted values: %+v", res)
			}
			if res.GCCycles < minGCCycles || res.PauseCount == 0 || res.Writes == 0 {
				t.Errorf("want >= %d GC cycles, some GC pauses and some writes, got %+v", minGCCycles, res)
			}
		})
	}
}

// The check itself must be able to fail: a value whose payload changed
// after it was stored is reported.
func TestCheckSeesCorruption(t *testing.T) {
	v := newValue(7, 1, newValue(7, 0, nil))
	if !v.ok(7) {
		t.Fatal("a fresh value fails its own check")
	}
	v.next.payload[3]++
	if v.ok(7) {
		t.Error("a corrupted payload in the chain passed the check")
	}
	if newValue(7, 1, nil).ok(8) {
		t.Error("a value under the wrong key passed the check")
	}
}

// The pointer store s.m[k] = v in mutexMap.put is compiled as
// mapassign_fast64 (which returns the slot's address), then a check of
// runtime.writeBarrier and a call to runtime.gcWriteBarrier before the
// store: the collector is told about every pointer written into the map.
func TestMapPointerStoreHasWriteBarrier(t *testing.T) {
	out, err := exec.Command("go", "build", "-gcflags=-S", "-o", "/dev/null", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build -gcflags=-S: %v\n%s", err, out)
	}
	fn := regexp.MustCompile(`(?s)main\.\(\*mutexMap\)\.put STEXT.*?\n(main\.|""\.)`).Find(out)
	if fn == nil {
		t.Fatalf("no main.(*mutexMap).put in the assembly listing")
	}
	want := regexp.MustCompile(`(?s)CALL\truntime\.mapassign_fast64\(SB\).*CMPL\truntime\.writeBarrier\(SB\).*CALL\truntime\.gcWriteBarrier\d\(SB\).*MOVQ\t\w+, \(AX\)`)
	if !want.Match(fn) {
		t.Errorf("want mapassign_fast64, a writeBarrier check, a gcWriteBarrier call and the store through AX, got:\n%s", fn)
	}
}
