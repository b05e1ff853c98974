package main

import "runtime/debug"

// Garbage collector defaults of the devserver, unless GOGC or GOMEMLIMIT are set. Under load
// Temporal's caches keep ~140 MB live; at Go's default GOGC of 100 the server marked that
// every ~3 s, each mark ~200 ms of a core, and the requests it overlapped were the slowest 1 %
// of a benchmark's Updates (docs/PERFORMANCE.md §1, "the devserver's GC"). At 400 it marks a
// quarter as often; the soft limit bounds the heap that lets grow.
const (
	gcPercent     = 400
	gcMemoryLimit = 1 << 30
)

// tuneGC applies the defaults where the environment has not set the runtime's own; it returns
// what it set (0 for a setting left alone).
func tuneGC(getenv func(string) string) (percent int, limit int64) {
	if getenv("GOGC") == "" {
		debug.SetGCPercent(gcPercent)
		percent = gcPercent
	}
	if getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(gcMemoryLimit)
		limit = gcMemoryLimit
	}
	return percent, limit
}
