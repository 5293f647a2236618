package runner

// Which ops are timed: a jittered gap between two timed ops (RUNNER-SPEC.md,
// "Sampling policy"; the Rust runner's sampling.rs is the same generator).
//
// A fixed gap of K ops (K = 1024) is a multiple of the Rust maps' guard
// re-pin interval (64 ops), so a timed op would almost never be the one that
// re-pins and runs reclamation; the Go runner draws its gaps the same way so
// both sides time the same ops of the same trace. Op 0 of the measured phase
// is timed, and each gap to the next timed op is drawn uniformly from
// [K - K/2, K + K/2] (mean K) by a per-thread xorshift64 seeded from the
// trace thread.

// sampleSeedMultiplier is odd, so every thread's seed is non-zero.
const sampleSeedMultiplier = 0x9E3779B97F4A7C15

// samplingGenerator is what run_start.latency.sampling.generator says.
const samplingGenerator = "op 0 timed, then gaps min + x % (max - min + 1), " +
	"x = xorshift64 (<<13, >>7, <<17) per trace thread, seeded (thread + 1) * 0x9E3779B97F4A7C15"

// sampleGaps draws the gaps between timed ops of one thread.
type sampleGaps struct {
	state, min, span uint64
}

// newSampleGaps returns the gaps for trace thread thread at mean k (k >= 1).
func newSampleGaps(thread int, k uint64) sampleGaps {
	lo, hi := gapBounds(k)
	return sampleGaps{state: uint64(thread+1) * sampleSeedMultiplier, min: lo, span: hi - lo + 1}
}

// next returns the next gap, in [min, max].
func (g *sampleGaps) next() uint64 {
	x := g.state
	x ^= x << 13
	x ^= x >> 7
	x ^= x << 17
	g.state = x
	return g.min + x%g.span
}

// gapBounds is the smallest and largest gap at mean k: k - k/2 and k + k/2.
func gapBounds(k uint64) (lo, hi uint64) { return k - k/2, k + k/2 }

// samplingPolicy is run_start.latency.sampling.
type samplingPolicy struct {
	Policy    string `json:"policy"` // jittered, every_op (K = 1) or off (K = 0)
	MeanGap   uint64 `json:"mean_gap"`
	MinGap    uint64 `json:"min_gap"`
	MaxGap    uint64 `json:"max_gap"`
	Generator string `json:"generator"`
}

func samplingPolicyOf(k uint64) samplingPolicy {
	lo, hi := gapBounds(k)
	p := samplingPolicy{Policy: "jittered", MeanGap: k, MinGap: lo, MaxGap: hi, Generator: samplingGenerator}
	switch k {
	case 0:
		p.Policy = "off"
	case 1:
		p.Policy = "every_op"
	}
	return p
}
