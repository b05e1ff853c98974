package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/worker"
	"go.uber.org/zap"

	"egovpm/activities"
	"egovpm/internal/config"
	"egovpm/internal/platform"
	"egovpm/internal/testdb"
	"egovpm/internal/testenv"
	"egovpm/worker/setup"
)

// TestReadyzKnowsTheWorkerAndTheSearchAttributes runs the gateway on a Temporal that is not
// ours: a devserver started without egovpm's search attributes (a stock server) and with a 2 s
// long poll (issue 21 item 3). /readyz is 503 and names what is missing — the search
// attributes with the command that registers them, the task queue no worker polls, and its
// similarity queue when a worker polls the task queue only — and so
// is egovpm_ready; platform.SetupTemporal (`egovpm temporal-setup`) registers them, once; with
// a worker polling it is ready, and 503 again, naming the queue, once the stopped worker's last
// poll is older than twice the long poll.
func TestReadyzKnowsTheWorkerAndTheSearchAttributes(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	d, err := testenv.StartDevserver(ctx, t.TempDir(), "", "--search-attributes=false", "--long-poll-interval", "2s")
	require.NoError(t, err)
	t.Cleanup(d.Stop)
	queue, url := "egovpm-ready-"+newID(""), testdb.URL(t)
	cfg, err := config.Load(func(k string) string {
		return map[string]string{"DATABASE_URL": url, "TEMPORAL_ADDRESS": d.Addr, "TEMPORAL_TASK_QUEUE": queue,
			"TEMPORAL_LONG_POLL_INTERVAL": "2s", "DATA_DIR": t.TempDir(), "EGOVPM_AUDIT_KEY": testdb.AuditKey}[k]
	})
	require.NoError(t, err)
	deps, err := platform.Connect(ctx, cfg, zap.NewNop())
	require.NoError(t, err)
	t.Cleanup(deps.Close)
	srv, err := New(cfg, deps, zap.NewNop())
	require.NoError(t, err)
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(hs.Close)
	s := &stack{t: t, srv: srv, http: hs, unavailable: true, tokens: map[string]string{}}
	gauge := serveMetrics(t, deps.Metrics)

	r := s.do("", http.MethodGet, "/readyz", nil, nil)
	require.Equal(t, http.StatusServiceUnavailable, r.Status, "%s", r.Raw)
	fields, _ := r.Body["error"].(map[string]any)["fields"].(map[string]any)
	extra, _ := r.Body["error"].(map[string]any)["extra"].(map[string]any)
	require.Contains(t, fields["search_attributes"], "egovpm temporal-setup")
	require.Contains(t, fields["search_attributes"], "PlanYear")
	require.Contains(t, fields["worker"], queue)
	require.NotContains(t, fields, "temporal")
	require.Equal(t, []any{"PlanYear", "ProjectID", "Stage", "TaskKind", "UnitID"}, extra["missing_search_attributes"])
	require.Equal(t, queue, extra["task_queue"])
	m := scrape(t, gauge)
	require.Equal(t, 0.0, m.Sum("egovpm_ready", nil))
	require.Equal(t, 0.0, m.Sum("egovpm_ready_check", map[string]string{"check": "search_attributes"}))
	require.Equal(t, 1.0, m.Sum("egovpm_ready_check", map[string]string{"check": "postgres"}))

	err = platform.CheckSearchAttributes(ctx, deps.Temporal, cfg.TemporalNamespace)
	require.ErrorContains(t, err, "lacks the search attributes PlanYear, ProjectID, Stage, TaskKind, UnitID: run `egovpm temporal-setup`",
		"what the worker refuses to start with")
	added, err := platform.SetupTemporal(ctx, deps.Temporal, cfg.TemporalNamespace)
	require.NoError(t, err)
	require.Equal(t, []string{"PlanYear", "ProjectID", "Stage", "TaskKind", "UnitID"}, added)
	added, err = platform.SetupTemporal(ctx, deps.Temporal, cfg.TemporalNamespace)
	require.NoError(t, err)
	require.Empty(t, added, "temporal-setup is idempotent")
	require.NoError(t, platform.CheckSearchAttributes(ctx, deps.Temporal, cfg.TemporalNamespace))

	// A worker of a build before similarity-queue polls the task queue and not its similarity
	// queue: submissions would wait for their R16 check.
	old := worker.New(deps.Temporal, queue, setup.Options())
	setup.Register(old, &activities.Activities{Store: deps.Store, Log: zap.NewNop(), Temporal: deps.Temporal})
	require.NoError(t, old.Start())
	require.EventuallyWithT(t, func(c *assertT) {
		r := s.do("", http.MethodGet, "/readyz", nil, nil)
		assertEqual(c, http.StatusServiceUnavailable, r.Status)
		e, _ := r.Body["error"].(map[string]any)
		f, _ := e["fields"].(map[string]any)
		assertEqual(c, map[string]any{"similarity": "任务队列 " + queue + "-similarity 没有工作进程在轮询"}, f)
		x, _ := e["extra"].(map[string]any)
		assertEqual(c, queue+"-similarity", x["task_queue"])
	}, 10*time.Second, 100*time.Millisecond, "not ready while nothing polls the similarity queue")
	old.Stop()

	w := setup.NewWorker(deps.Temporal, queue, deps.Store, zap.NewNop())
	require.NoError(t, w.Start())
	require.EventuallyWithT(t, func(c *assertT) {
		r := s.do("", http.MethodGet, "/readyz", nil, nil)
		assertEqual(c, http.StatusOK, r.Status)
	}, 10*time.Second, 100*time.Millisecond, "ready with a worker polling")
	require.Equal(t, 1.0, scrape(t, gauge).Sum("egovpm_ready", nil))

	w.Stop()
	stopped := time.Now()
	require.EventuallyWithT(t, func(c *assertT) {
		r := s.do("", http.MethodGet, "/readyz", nil, nil)
		assertEqual(c, http.StatusServiceUnavailable, r.Status)
		e, _ := r.Body["error"].(map[string]any)
		f, _ := e["fields"].(map[string]any)
		assertEqual(c, 2, len(f))
		w, _ := f["worker"].(string)
		assertTrue(c, strings.Contains(w, queue), "names the queue")
		sim, _ := f["similarity"].(string)
		assertTrue(c, strings.Contains(sim, queue+"-similarity"), "and its similarity queue")
	}, 15*time.Second, 200*time.Millisecond, "not ready once the worker stopped polling")
	require.Greater(t, time.Since(stopped), 2*time.Second, "a live worker's poll renews within the window")
}
