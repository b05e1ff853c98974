package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap"

	"egovpm/internal/auth"
	"egovpm/internal/config"
	"egovpm/internal/metrics"
	"egovpm/internal/platform"
	"egovpm/internal/seed"
	"egovpm/internal/testdb"
	"egovpm/worker/setup"
)

// serveMetrics serves reg's /metrics on a free loopback port, as the gateway's and the worker's
// mains do (metrics.Serve), and returns its URL.
func serveMetrics(t *testing.T, reg *prometheus.Registry) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	addr, err := metrics.Serve(ctx, "127.0.0.1:0", reg, zap.NewNop())
	require.NoError(t, err)
	return "http://" + addr + "/metrics"
}

func assertTrue(c *assertT, ok bool, msg string) bool { return assert.True(c, ok, msg) }

func scrape(t *testing.T, url string) metrics.Samples {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ss, err := metrics.Scrape(ctx, url)
	require.NoError(t, err)
	return ss
}

// TestMetricsMoveWithADecision scrapes the gateway's, the worker's and the devserver's /metrics
// before and after one decision (issue 21 item 1): the gateway counts the request by its route
// template, the decision by kind and outcome and a rate-limit refusal; the worker's Temporal SDK
// metrics count the workflow tasks it ran; both show their read-model pools; the Temporal
// server counts the Update.
func TestMetricsMoveWithADecision(t *testing.T) {
	s := newStack(t, "2021")
	gw, wk, dev := serveMetrics(t, s.metrics), serveMetrics(t, s.workerMetrics), "http://"+devMetricsAddr+"/metrics"

	p := s.createProject("alice", "指标测试项目", futureYear(), 100_000_000)
	s.submit("alice", p)
	task := s.openTask("drb1", p, "prelim_review")
	r := s.do("drb1", http.MethodPost, "/api/v1/tasks/"+task+"/claim", nil, nil)
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Raw)

	decision := map[string]string{"route": decisionRoute, "method": "POST"}
	applied := map[string]string{"kind": "prelim_review", "outcome": "applied"}
	update := map[string]string{"operation": "UpdateWorkflowExecution"}
	wfTasks := "temporal_workflow_task_execution_latency_seconds_count"
	gw0, dev0 := scrape(t, gw), scrape(t, dev)
	var wk0 metrics.Samples
	require.EventuallyWithT(t, func(c *assertT) {
		// The SDK's metrics reach the registry every metrics.TemporalReportEvery.
		wk0 = scrape(t, wk)
		assertTrue(c, wk0.Sum(wfTasks, nil) > 0, "the worker ran the submission's workflow tasks")
	}, 10*time.Second, 100*time.Millisecond)

	r = s.decide("drb1", task, map[string]any{"decision": "approve", "comment": "同意"}, nil)
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Raw)
	s.srv.decisions = auth.NewLimiter(time.Hour, 1, nil)
	limited := 0
	for range 2 {
		if s.do("drbsup", http.MethodPost, "/api/v1/tasks/"+task+"/claim", nil, nil).Status == http.StatusTooManyRequests {
			limited++
		}
	}
	require.Equal(t, 1, limited)

	gw1 := scrape(t, gw)
	require.Equal(t, 1.0, gw1.Sum("egovpm_http_requests_total", map[string]string{"route": decisionRoute, "method": "POST", "status": "200"})-
		gw0.Sum("egovpm_http_requests_total", map[string]string{"route": decisionRoute, "method": "POST", "status": "200"}))
	require.Equal(t, 1.0, gw1.Sum("egovpm_http_request_duration_seconds_count", decision)-gw0.Sum("egovpm_http_request_duration_seconds_count", decision))
	require.Equal(t, 1.0, gw1.Sum("egovpm_decisions_total", applied)-gw0.Sum("egovpm_decisions_total", applied))
	require.Equal(t, 1.0, gw1.Sum("egovpm_rate_limited_total", map[string]string{"route": taskRoute + "/claim", "code": "rate_limited"}))
	require.True(t, gw1.Has("egovpm_db_connections_idle", map[string]string{"pool": "main"}))
	require.True(t, gw1.Has("egovpm_db_wait_duration_seconds_total", map[string]string{"pool": "inbox"}), "the inbox pool is reported")
	require.Equal(t, 1.0, gw1.Sum("egovpm_ready", nil), "worker polling, search attributes registered")

	require.EventuallyWithT(t, func(c *assertT) {
		wk1 := scrape(t, wk)
		assertTrue(c, wk1.Sum(wfTasks, nil) > wk0.Sum(wfTasks, nil), "the decision's workflow task is counted")
		assertTrue(c, wk1.Has("temporal_sticky_cache_size", nil), "sticky cache size")
		assertTrue(c, wk1.Has("egovpm_db_connections_in_use", map[string]string{"pool": "main"}), "the worker's pool")
	}, 10*time.Second, 100*time.Millisecond)
	require.EventuallyWithT(t, func(c *assertT) {
		dev1 := scrape(t, dev)
		assertTrue(c, dev1.Sum("service_requests", update) > dev0.Sum("service_requests", update), "the Temporal server counted the Update")
	}, 10*time.Second, 100*time.Millisecond)
}

// TestMetricsOffCountsNothing: with EGOVPM_METRICS_ADDR=off nothing serves /metrics, so the
// process keeps no registry and gives the Temporal SDK no metrics handler (the metrics+tracing
// overhead of docs/PERFORMANCE.md §10 is measured against this); the gateway still answers and
// the worker still runs a decision.
func TestMetricsOffCountsNothing(t *testing.T) {
	ctx := context.Background()
	queue := "egovpm-test-" + newID("")
	fixed := map[string]string{
		"DATABASE_URL": testdb.URL(t), "TEMPORAL_ADDRESS": devAddr, "TEMPORAL_TASK_QUEUE": queue,
		"DATA_DIR": t.TempDir(), "EGOVPM_POLICY": "2021", "EGOVPM_AUDIT_KEY": testdb.AuditKey, "LOG_LEVEL": "error",
		"EGOVPM_METRICS_ADDR": "off",
	}
	cfg, err := config.Load(func(k string) string { return fixed[k] })
	require.NoError(t, err)
	deps, err := platform.Connect(ctx, cfg, zap.NewNop())
	require.NoError(t, err)
	t.Cleanup(deps.Close)
	require.Nil(t, deps.Metrics, "no registry when metrics are off")
	require.NoError(t, seed.Demo(ctx, deps.Store, cfg.DemoPassword))
	require.NoError(t, useInboxPool(ctx, cfg, deps.Store))
	w := setup.NewWorker(deps.Temporal, queue, deps.Store, zap.NewNop())
	require.NoError(t, w.Start())
	t.Cleanup(w.Stop)
	srv, err := New(cfg, deps, zap.NewNop())
	require.NoError(t, err)
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(hs.Close)
	s := &stack{t: t, http: hs, store: deps.Store, temporal: deps.Temporal, tokens: map[string]string{}}
	p := s.createProject("alice", "指标关闭时的项目", futureYear(), 200_000_000)
	s.submit("alice", p)
	s.prelimApprove(p)
}
