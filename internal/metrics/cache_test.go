package metrics

import (
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"
	"go.uber.org/zap"
)

// TestCachedHandler: the same tags (in whatever map order) and name give the same metric, other
// tags or names another, and the values still reach the Prometheus registry with their tags.
func TestCachedHandler(t *testing.T) {
	reg := prometheus.NewRegistry()
	h, closer := NewTemporalHandler(reg, zap.NewNop())
	tags := func() map[string]string { // a new map each time: a new iteration order
		m := map[string]string{}
		for _, k := range []string{"namespace", "task_queue", "workflow_type", "a", "b", "c", "d", "e", "f"} {
			m[k] = k + "_v"
		}
		return m
	}
	w := h.WithTags(tags())
	for i := 0; i < 20; i++ {
		require.Same(t, w, h.WithTags(tags()))
	}
	op := w.WithTags(map[string]string{"operation": "Poll"})
	require.Same(t, op, h.WithTags(tags()).WithTags(map[string]string{"operation": "Poll"}))
	require.NotSame(t, op, w.WithTags(map[string]string{"operation": "Respond"}))
	require.NotSame(t, op, w.WithTags(map[string]string{"operation": "Poll", "x": ""}))
	require.True(t, op.Counter("temporal_request") == op.Counter("temporal_request"))
	require.True(t, op.Counter("temporal_request") != op.Counter("temporal_request_failure"))
	require.True(t, op.Counter("temporal_request") != w.Counter("temporal_request"))
	require.True(t, op.Gauge("temporal_g") == op.Gauge("temporal_g"))
	require.True(t, op.Timer("temporal_request_latency") == op.Timer("temporal_request_latency"))

	for i := 0; i < 3; i++ {
		h.WithTags(tags()).WithTags(map[string]string{"operation": "Poll"}).Counter("temporal_request").Inc(1)
	}
	op.Timer("temporal_request_latency").Record(3 * time.Millisecond)
	op.Gauge("temporal_g").Update(7)
	// a later tag of the same key wins, as in tally
	op.WithTags(map[string]string{"operation": "Start"}).Counter("temporal_request").Inc(5)
	require.NoError(t, closer.Close()) // reports once more
	got := map[string]float64{}
	mfs, err := reg.Gather()
	require.NoError(t, err)
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			l := ""
			for _, p := range m.GetLabel() {
				if p.GetName() == "operation" {
					l = p.GetValue()
				}
			}
			key := mf.GetName() + "{" + l + "}"
			switch {
			case m.Counter != nil:
				got[key] += m.GetCounter().GetValue()
			case m.Gauge != nil:
				got[key] = m.GetGauge().GetValue()
			case m.Histogram != nil:
				got[key] = float64(m.GetHistogram().GetSampleCount())
			}
		}
	}
	require.Equal(t, 3.0, got["temporal_request_total{Poll}"], "%v", got)
	require.Equal(t, 5.0, got["temporal_request_total{Start}"], "%v", got)
	require.Equal(t, 1.0, got["temporal_request_latency_seconds{Poll}"], "%v", got)
	require.Equal(t, 7.0, got["temporal_g{Poll}"], "%v", got)
}

// BenchmarkTemporalHandler is one SDK request's metrics as the SDK asks for them (a tagged
// handler per call, then its counter and latency timer), with and without the cache.
func BenchmarkTemporalHandler(b *testing.B) {
	for _, c := range []struct {
		name   string
		handle func(*prometheus.Registry) (interface{ Close() error }, func())
	}{
		{"tally", func(reg *prometheus.Registry) (interface{ Close() error }, func()) {
			h, closer := tallyHandler(reg, zap.NewNop())
			return closer, func() { request(h) }
		}},
		{"cached", func(reg *prometheus.Registry) (interface{ Close() error }, func()) {
			h, closer := NewTemporalHandler(reg, zap.NewNop())
			return closer, func() { request(h) }
		}},
	} {
		b.Run(c.name, func(b *testing.B) {
			closer, do := c.handle(prometheus.NewRegistry())
			defer closer.Close()
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				do()
			}
		})
	}
}

var (
	benchWorkerTags = map[string]string{"namespace": "default", "task_queue": "egovpm", "worker_type": "WorkflowWorker"}
	benchOpTags     = map[string]string{"operation": "RespondWorkflowTaskCompleted"}
)

func request(h client.MetricsHandler) {
	o := h.WithTags(benchWorkerTags).WithTags(benchOpTags)
	o.Counter("temporal_request").Inc(1)
	o.Timer("temporal_request_latency").Record(time.Millisecond)
}
