package main

import "runtime/debug"

// Garbage collector defaults of the devserver, unless GOGC or GOMEMLIMIT are set. At 400 the
// server marks its live heap a quarter as often as at Go's default of 100, and every mark
// slows the requests it overlaps. The soft limit bounds the heap that lets grow; it follows
// the mutable-state cache, which holds most of what stays live under load: gcBaseMemory for
// the rest of the server, and gcBytesPerCachedWorkflow for each workflow the cache may keep
// (a 10,000-member year kept ~480 MB live with all 10,000 cached, about 48 KB each;
// docs/PERFORMANCE.md §11.1.7). With the limit at 1 GiB and that cache full, the collector
// took half the server's CPU (marking 25 %, allocations' assists 26 %) and the year's bundle
// fan-out 211 s, against 93 s and 6 % at 4 GiB.
const (
	gcPercent                = 400
	gcBaseMemory             = 1 << 30
	gcBytesPerCachedWorkflow = 96 << 10
)

// gcMemoryLimit is the soft memory limit the devserver sets for a mutable-state cache of
// historyCache workflows (0: the default cache).
func gcMemoryLimit(historyCache int) int64 {
	if historyCache <= 0 {
		historyCache = defaultHistoryCache
	}
	return gcBaseMemory + int64(historyCache)*gcBytesPerCachedWorkflow
}

// tuneGC applies the defaults where the environment has not set the runtime's own, for a
// mutable-state cache of historyCache workflows; it returns what it set (0 for a setting left
// alone).
func tuneGC(getenv func(string) string, historyCache int) (percent int, limit int64) {
	if getenv("GOGC") == "" {
		debug.SetGCPercent(gcPercent)
		percent = gcPercent
	}
	if getenv("GOMEMLIMIT") == "" {
		limit = gcMemoryLimit(historyCache)
		debug.SetMemoryLimit(limit)
	}
	return percent, limit
}
