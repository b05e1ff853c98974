package main

import (
	"runtime/debug"
	"testing"

	"github.com/stretchr/testify/require"
)

// The gateway collects at GOGC=400 unless the operator set GOGC (docs/PERFORMANCE.md §4).
func TestTuneGC(t *testing.T) {
	prev := debug.SetGCPercent(100)
	t.Cleanup(func() { debug.SetGCPercent(prev) })

	_, set := tuneGC(func(k string) (string, bool) { return "50", k == "GOGC" })
	require.False(t, set, "GOGC set by the operator is left alone")
	require.Equal(t, 100, debug.SetGCPercent(100))

	pct, set := tuneGC(func(string) (string, bool) { return "", false })
	require.True(t, set)
	require.Equal(t, gatewayGOGC, pct)
	require.Equal(t, gatewayGOGC, debug.SetGCPercent(100), "without GOGC the gateway's target applies")
}
