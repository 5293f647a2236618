// Package runner replays a pre-generated operation trace against one map and
// writes the results: the Go side of the runner contract in
// comparisons/RUNNER-SPEC.md (the Rust side is rust-impl/runner). The binary
// is go-reference/cmd/runner, a thin wrapper over [Main].
//
// A run, in order:
//
//  1. parse the flags, read and validate the trace, look the map up once,
//     check it may be driven by the trace's thread count, set GOMAXPROCS to
//     that count (unless the environment sets it), create DIR/<run_id>.jsonl
//     and DIR/<run_id>.hlog (refusing to overwrite either). Any problem so
//     far is bad input: a message naming the flag or file, exit status 2.
//  2. measure the timer's own cost, write the run_start record;
//  3. create the map (presized if the trace says so), prefill it on this
//     goroutine, untimed;
//  4. start one worker goroutine per op stream; each replays its first
//     --warmup-ops ops untimed, then waits at a barrier; the measured phase
//     starts (t = 0) when all have arrived, after a runtime.GC() so the
//     prefill's garbage is not collected on the measured clock (as
//     testing.B does before a benchmark);
//  5. workers replay their streams with no shared state on the hot path: each
//     keeps its own counters and latency histogram and, every 1024 ops, reads
//     the clock; past an interval boundary it hands that interval's counters
//     and histogram to the collector over a channel (intervals.go);
//  6. the collector (this goroutine) merges contributions per interval, samples
//     the process metrics (procmetrics.go) and writes and flushes one
//     interval record and one .hlog histogram per interval, in order;
//  7. at the end, the run_end record and one bench.txt line on stdout.
//
// SIGINT stops the workers at their next clock check; the run ends normally
// with status "interrupted" and exit status 130. Output is flushed per
// interval, never written to a temporary file and renamed: a killed run keeps
// every interval it finished. Exit status 1 is a run that failed after it
// started (a panic in the map, a write error): run_end status "error".
//
// # Choices where the spec is silent
//
//   - Timed region: the map call alone. The op is decoded (key mixed, value
//     built) before time.Now() and its result counted after time.Since().
//     timer_overhead_ns is the median of 1,000,000 empty timed regions,
//     time.Since(time.Now()): the bias every sample carries.
//   - Sampling index i counts measured ops per worker from 0 and does not
//     restart when a stream wraps; warm-up ops are never timed.
//   - Warm-up replays the stream's first N ops (wrapping past its end); they
//     change the map (final_len counts them) but not the counters, histogram
//     or checksum; the measured phase then starts again at stream index 0.
//   - Clock checks every 1024 measured ops, across stream wraps. A worker
//     stops at its first check at or past --duration-ms, so a run overshoots
//     by up to 1024 ops per worker; elapsed_ns is the last worker's finish.
//   - final_len = prefill inserts that created a key + inserts that created
//     one − removes that found one (warm-up included): maps.Map has no Len,
//     and for a linearizable map this is exact.
//   - noop: Get reports a miss, the writers report false.
//   - Process metrics are sampled when the collector closes an interval
//     (procmetrics.go; metrics_at_ns says when); GC pauses count as their
//     bucket's midpoint, the scheduling-latency p99 as its bucket's upper bound.
//   - The .hlog has a line for every interval, empty histograms included
//     (latency off), written before the interval's JSON record (hlog.go).
//   - Percentiles are hdrhistogram-go's (rank round(q·n), half up; the Rust
//     crate takes ceil(q·n), so the two may differ by one rank).
//   - bench line: "%d" ops, "%.2f ns/op", "%.0f ops/s", "%d p99-ns" (left out
//     when latency is off), "%.2f B/op", "%.3f allocs/op", fields separated by
//     " \t"; printed only for status "ok".
package runner
