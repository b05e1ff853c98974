package platform

import (
	"math"
	"runtime/debug"
	"testing"

	"github.com/stretchr/testify/require"
	"go.uber.org/zap"
)

// The gateway and the worker collect at their own GOGC and memory limit unless the operator
// set GOGC or GOMEMLIMIT (docs/PERFORMANCE.md §1, §4).
func TestTuneGC(t *testing.T) {
	prevPct, prevLimit := debug.SetGCPercent(100), debug.SetMemoryLimit(math.MaxInt64)
	t.Cleanup(func() { debug.SetGCPercent(prevPct); debug.SetMemoryLimit(prevLimit) })
	env := func(vars ...string) func(string) (string, bool) {
		return func(k string) (string, bool) {
			for _, v := range vars {
				if v == k {
					return "1", true
				}
			}
			return "", false
		}
	}
	log := zap.NewNop()

	require.Equal(t, GC{}, TuneGC(env("GOGC", "GOMEMLIMIT"), WorkerGC(2000), log), "the operator's settings are left alone")
	require.Equal(t, 100, debug.SetGCPercent(100))
	require.Equal(t, int64(math.MaxInt64), debug.SetMemoryLimit(-1))

	require.Equal(t, GC{Limit: 256 << 20}, TuneGC(env("GOGC"), WorkerGC(2000), log))
	require.Equal(t, 100, debug.SetGCPercent(100))
	require.Equal(t, int64(256<<20), debug.SetMemoryLimit(math.MaxInt64))

	require.Equal(t, GC{Percent: 400, Limit: 10000 * 128 << 10}, TuneGC(env(), WorkerGC(10000), log), "the limit grows with the cache")
	require.Equal(t, 400, debug.SetGCPercent(100))
	require.Equal(t, int64(10000*128<<10), debug.SetMemoryLimit(math.MaxInt64))

	require.Equal(t, GC{Percent: 400}, TuneGC(env(), GatewayGC, log), "the gateway sets no limit")
	require.Equal(t, 400, debug.SetGCPercent(100))
	require.Equal(t, int64(math.MaxInt64), debug.SetMemoryLimit(-1))
}
