package platform

import (
	"runtime/debug"

	"go.uber.org/zap"
)

// GC is a process's garbage collector setting: the target (GOGC) and, when above zero, a soft
// memory limit in bytes (GOMEMLIMIT).
type GC struct {
	Percent int
	Limit   int64
}

// TuneGC applies gc where the operator has not: GOGC and GOMEMLIMIT, when set, are the
// runtime's already and are left alone. It logs and returns what it set.
func TuneGC(lookup func(string) (string, bool), gc GC, log *zap.Logger) GC {
	var set GC
	if _, ok := lookup("GOGC"); !ok && gc.Percent > 0 {
		debug.SetGCPercent(gc.Percent)
		set.Percent = gc.Percent
	}
	if _, ok := lookup("GOMEMLIMIT"); !ok && gc.Limit > 0 {
		debug.SetMemoryLimit(gc.Limit)
		set.Limit = gc.Limit
	}
	if set != (GC{}) {
		log.Info("garbage collector tuned", zap.Int("gogc", set.Percent), zap.Int64("memory_limit_bytes", set.Limit))
	}
	return set
}

// WorkerGC is the worker's setting for a sticky cache of cache workflows: at 400 it collects
// a quarter as often as at Go's default target. The soft limit keeps the heap that target
// lets grow to what the cache needs: 128 KiB a cached lifecycle and never under 256 MiB; the
// runtime collects harder near it.
func WorkerGC(cache int) GC {
	return GC{Percent: 400, Limit: max(256<<20, int64(cache)*128<<10)}
}

// GatewayGC is the gateway's setting. Its live heap is a few MB, which Go's default of 100
// collects every few hundred requests; at 400 it collects a quarter as often for a heap a few
// MB larger.
var GatewayGC = GC{Percent: 400}
