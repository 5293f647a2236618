package main

import (
	"context"
	"flag"
	"fmt"
	"testing"

	"concurrentmaps/internal/storecost"
)

// AllocResult is one operation's allocation cost, from testing.Benchmark.
type AllocResult struct {
	Impl        string  `json:"impl"`
	Op          string  `json:"op"`
	N           int     `json:"iterations"`
	AllocsPerOp float64 `json:"allocs_per_op"` // MemAllocs / N, not truncated
	BytesPerOp  float64 `json:"bytes_per_op"`
	// NsPerOp is informational only: one run on a shared machine.
	NsPerOp float64 `json:"ns_per_op_informational"`
}

// measureStoreAllocs runs every storecost operation for exactly n
// iterations (-test.benchtime=Nx), so the counts do not depend on how fast
// the machine is: Store-new-key cost depends on the map's size, and a time
// budget would make the size, and so the numbers, vary between machines.
func measureStoreAllocs(ctx context.Context, n int, logf func(string, ...any)) []AllocResult {
	testing.Init() // registers test.benchtime on flag.CommandLine; our own flags live in a separate FlagSet
	if err := flag.Set("test.benchtime", fmt.Sprintf("%dx", n)); err != nil {
		logf("setting the benchmark iteration count: %v", err)
		return nil
	}
	ops := storecost.Ops()
	var out []AllocResult
	for i, op := range ops {
		if ctx.Err() != nil {
			return out
		}
		r := testing.Benchmark(op.Bench)
		if r.N == 0 {
			logf("benchmark %s %s failed", op.Impl, op.Name)
			continue
		}
		res := AllocResult{
			Impl:        op.Impl,
			Op:          op.Name,
			N:           r.N,
			AllocsPerOp: float64(r.MemAllocs) / float64(r.N),
			BytesPerOp:  float64(r.MemBytes) / float64(r.N),
			NsPerOp:     float64(r.T.Nanoseconds()) / float64(r.N),
		}
		out = append(out, res)
		logf("allocs %d/%d  %-15s %-19s %.2f allocs/op %.1f B/op", i+1, len(ops), op.Impl, op.Name, res.AllocsPerOp, res.BytesPerOp)
	}
	return out
}
