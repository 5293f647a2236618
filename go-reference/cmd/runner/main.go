// Command runner replays one operation trace against one map and writes
// DIR/<run_id>.jsonl and DIR/<run_id>.hlog, as comparisons/RUNNER-SPEC.md
// specifies (the Rust runner, rust-impl/runner, implements the same contract):
//
//	runner --trace PATH --map NAME --out-dir DIR --run-id ID
//	       [--interval-ms 100] [--latency-sample-every 1024] [--duration-ms 0]
//	       [--warmup-ops 0] [--op-delay-ns 0] [--list-maps]
//
// Exit status: 0 done, 1 the run failed, 2 bad input (nothing written),
// 130 interrupted (SIGINT). All the work is in package concurrentmaps/runner.
package main

import (
	"os"

	"concurrentmaps/runner"
)

func main() {
	os.Exit(runner.Main(os.Args[1:], os.Stdout, os.Stderr))
}
