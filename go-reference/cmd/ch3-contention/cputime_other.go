//go:build !linux

package main

import "time"

// threadCPUTime is not implemented off Linux: the measurement falls back to
// wall time.
func threadCPUTime() (time.Duration, bool) { return 0, false }
