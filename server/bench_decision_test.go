package main

// BenchmarkDecisionRoundTrip is one decision's work in the gateway and the worker, both in
// this process as newStack runs them, against the devserver subprocess and PostgreSQL: the
// HTTP request POST /api/v1/tasks/{id}/decision (a prelim approval) until its answer, and
// whatever the worker does meanwhile. Set-up (creating and submitting projects 25 at a time,
// waiting for their prelim tasks) is outside the timer. Besides ns/op it reports allocs/op and B/op
// (this process only: the gateway and the worker, neither the devserver nor PostgreSQL) and
// cpu-µs/op, this process's CPU time per decision, and gc-cycles/op, the garbage collections
// completed during the timed stretches. Every timed stretch starts after a runtime.GC()
// (outside the timer and the count).
//
// Metrics and tracing follow the environment as the two processes' mains do: tracing on
// unless OTEL_SDK_DISABLED=true (no exporter unless OTEL_TRACES_EXPORTER says so), the SDK's
// metrics and the registries unless EGOVPM_METRICS_ADDR=off (the gateway's own counters count
// either way, unregistered when off). One process holds one setting (the tracer provider is
// global): `make bench-overhead` runs the two alternately under valgrind --tool=callgrind, for
// an instruction count the machine's load hardly moves.

import (
	"context"
	"net/http/httptest"
	"os"
	"runtime"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap"

	"egovpm/bench"
	"egovpm/internal/callgrind"
	"egovpm/internal/config"
	"egovpm/internal/domain"
	"egovpm/internal/platform"
	"egovpm/internal/seed"
	"egovpm/internal/testdb"
	"egovpm/internal/tracing"
	"egovpm/worker/setup"
	"egovpm/workflows"
)

// tracingOnce sets the process's tracer provider once (it is global).
var tracingOnce sync.Once

// benchStack is the gateway (at url) and the worker of BenchmarkDecisionRoundTrip, with the
// demo users' tokens and the read model.
type benchStack struct {
	url    string
	tokens map[string]string
	db     *sqlx.DB
	cl     *bench.Client
}

// newBenchStack starts the gateway and the worker on a fresh database and task queue, as
// newStack does, with tracing and metrics as the environment says; b's end stops them.
func newBenchStack(b *testing.B) *benchStack {
	ctx := context.Background()
	log := zap.NewNop()
	var err error
	tracingOnce.Do(func() { _, err = tracing.Setup(ctx, os.Getenv, "egovpm-bench", log) })
	require.NoError(b, err)
	queue := "egovpm-bench-" + newID("")
	fixed := map[string]string{
		"DATABASE_URL": testdb.URL(b), "TEMPORAL_ADDRESS": devAddr, "TEMPORAL_TASK_QUEUE": queue,
		"DATA_DIR": b.TempDir(), "EGOVPM_POLICY": "2021", "EGOVPM_AUDIT_KEY": testdb.AuditKey, "LOG_LEVEL": "error",
		"EGOVPM_DECISION_BURST": "100000",
	}
	cfg, err := config.Load(func(k string) string {
		if v, ok := fixed[k]; ok {
			return v
		}
		return os.Getenv(k) // EGOVPM_METRICS_ADDR
	})
	require.NoError(b, err)
	deps, err := platform.Connect(ctx, cfg, log)
	require.NoError(b, err)
	b.Cleanup(deps.Close)
	require.NoError(b, useInboxPool(ctx, cfg, deps.Store))
	require.NoError(b, seed.Demo(ctx, deps.Store, cfg.DemoPassword))
	wdeps, err := platform.Connect(ctx, cfg, log)
	require.NoError(b, err)
	b.Cleanup(wdeps.Close)
	w := setup.NewWorker(wdeps.Temporal, queue, wdeps.Store, log)
	require.NoError(b, w.Start())
	b.Cleanup(w.Stop)
	srv, err := New(cfg, deps, log)
	require.NoError(b, err)
	hs := httptest.NewServer(srv.Handler())
	b.Cleanup(hs.Close)
	s := &benchStack{url: hs.URL, tokens: map[string]string{}, db: deps.Store.DB(), cl: bench.NewClient(hs.URL, 4)}
	for _, u := range []string{"alice", "drb1"} {
		s.tokens[u], err = s.cl.Login(ctx, u, config.DefaultDemoPassword)
		require.NoError(b, err)
	}
	return s
}

// prelimTasks creates and submits n projects of year and returns their prelim review tasks
// once all are open (and the submits' own work has settled).
func (s *benchStack) prelimTasks(b *testing.B, n, year int) []string {
	ctx := context.Background()
	tasks := make([]string, n)
	for i := range tasks {
		id, err := s.cl.CreateProject(ctx, s.tokens["alice"], "基准项目"+strconv.Itoa(i), year, 200_000_000)
		require.NoError(b, err)
		require.NoError(b, s.cl.Submit(ctx, s.tokens["alice"], id))
		tasks[i] = workflows.ProjectWorkflowID(id) + ":" + string(domain.TaskPrelimReview) + ":1"
	}
	deadline := time.Now().Add(time.Minute + time.Duration(n)*time.Second)
	for {
		var open int
		require.NoError(b, s.db.Get(&open, `SELECT count(*) FROM tasks WHERE id = ANY($1) AND status = 'open'`, pq.Array(tasks)))
		if open == n {
			break
		}
		require.Falsef(b, time.Now().After(deadline), "%d of %d prelim tasks open", open, n)
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(time.Second) // the submits' stage reports and notifications
	return tasks
}

// benchBatch is how many projects are set up (outside the timer) between timed stretches.
const benchBatch = 25

func BenchmarkDecisionRoundTrip(b *testing.B) {
	s := newBenchStack(b)
	ctx := context.Background()
	year := futureYear()
	decision := map[string]any{"decision": "approve", "comment": "符合申报条件"}
	var tasks []string
	var cpu time.Duration
	var gcs int
	pid := os.Getpid()
	b.ReportAllocs()
	for b.Loop() {
		if len(tasks) == 0 {
			b.StopTimer()
			tasks = s.prelimTasks(b, benchBatch, year)
			// Each stretch starts on a heap just collected, so no collection of the set-up's
			// garbage falls in it (that left the cycle anywhere: ≈ 13–16 % of the count, run to
			// run). A stretch's 25 decisions (≈ 4 MB) then bring on none either
			// (gc-cycles/op = 0): what is counted is the decisions' work without the
			// collector's, whose share follows B/op.
			runtime.GC()
			gcs -= numGC()
			cpu -= bench.CPUTime(pid)
			callgrind.Zero()
			b.StartTimer()
		}
		require.NoError(b, s.cl.Decide(ctx, s.tokens["drb1"], tasks[0], decision))
		tasks = tasks[1:]
		if len(tasks) == 0 {
			b.StopTimer()
			callgrind.Dump()
			cpu += bench.CPUTime(pid)
			gcs += numGC()
			b.StartTimer()
		}
	}
	if len(tasks) > 0 {
		callgrind.Dump()
		cpu += bench.CPUTime(pid)
		gcs += numGC()
	}
	b.ReportMetric(float64(cpu.Microseconds())/float64(b.N), "cpu-µs/op")
	b.ReportMetric(float64(gcs)/float64(b.N), "gc-cycles/op")
}

// numGC is how many garbage collection cycles this process has completed.
func numGC() int {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int(m.NumGC)
}
