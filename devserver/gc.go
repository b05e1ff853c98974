package main

import "runtime/debug"

// Garbage collector defaults of the devserver, unless GOGC or GOMEMLIMIT are set. Under load
// Temporal's caches keep ~140 MB live, and every mark of them slows the requests it overlaps:
// at 400 the server marks a quarter as often as at Go's default of 100; the soft limit bounds
// the heap that lets grow.
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
