package runner

import "testing"

func TestSampleGapsStayInBoundsAndAverageK(t *testing.T) {
	for _, k := range []uint64{2, 3, 16, 1024} {
		lo, hi := gapBounds(k)
		g := newSampleGaps(1, k)
		const n = 20_000
		var sum uint64
		for range n {
			gap := g.next()
			if gap < lo || gap > hi {
				t.Fatalf("K=%d: gap %d outside [%d, %d]", k, gap, lo, hi)
			}
			sum += gap
		}
		// Within six standard errors of a uniform draw's mean.
		mean := float64(sum) / n
		sd := float64(hi-lo+1) / 3.4641016 / 141.42136
		if d := mean - float64(k); d > 6*sd+1e-9 || d < -6*sd-1e-9 {
			t.Errorf("K=%d: mean gap %.2f", k, mean)
		}
	}
}

// The same vector is asserted in rust-impl/runner/src/sampling.rs; it was
// computed from the spec's definition by an independent script.
func TestSampleGapsMatchTheRustRunner(t *testing.T) {
	g := newSampleGaps(0, 1024)
	for i, want := range []uint64{1376, 986, 1092, 1322} {
		if got := g.next(); got != want {
			t.Errorf("gap %d: %d, want %d", i, got, want)
		}
	}
}
