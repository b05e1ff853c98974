package main

// BenchmarkDecisionRoundTrip is one decision's work in the gateway and the worker, both in
// this process as newStack runs them, against the devserver subprocess and PostgreSQL: the
// HTTP request POST /api/v1/tasks/{id}/decision (a prelim approval) until its answer, and
// whatever the worker does meanwhile. Set-up (creating and submitting projects -bench-batch
// at a time, 25 by default, waiting for their prelim tasks) is outside the timer. Besides
// ns/op it reports allocs/op and B/op (this process only: the gateway and the worker, neither
// the devserver nor PostgreSQL) and cpu-µs/op, this process's CPU time per decision, and
// gc-cycles/op, the garbage collections completed during the counted decisions. Every timed
// stretch starts after a runtime.GC() (outside the timer and the count). By default each
// batch's decisions are one stretch, counted without any collection (stretches); with
// -bench-gc-window the count spans whole periods of the collector (gcWindow), which is how
// `make bench-overhead` counts.
//
// Metrics and tracing follow the environment as the two processes' mains do: tracing on
// unless OTEL_SDK_DISABLED=true (no exporter unless OTEL_TRACES_EXPORTER says so), the SDK's
// metrics and the registries unless EGOVPM_METRICS_ADDR=off (the gateway's own counters count
// either way, unregistered when off). One process holds one setting (the tracer provider is
// global): `make bench-overhead` runs the two alternately under valgrind --tool=callgrind, for
// an instruction count the machine's load hardly moves.

import (
	"context"
	"flag"
	"net/http/httptest"
	"os"
	"runtime"
	"runtime/metrics"
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
var benchBatch = flag.Int("bench-batch", 25, "BenchmarkDecisionRoundTrip: projects set up (outside the timer) before each timed stretch")

// benchGCWindow, when above zero, makes BenchmarkDecisionRoundTrip count (callgrind) whole
// periods of the garbage collector: see gcWindow.
var benchGCWindow = flag.Int("bench-gc-window", 0, "BenchmarkDecisionRoundTrip: count the decisions until this many natural GC cycles have ended (0: every stretch, after a runtime.GC)")

// benchGCWarmup starts gcWindow's count at the end of a natural cycle rather than after the
// runtime.GC().
var benchGCWarmup = flag.Bool("bench-gc-warmup", false, "BenchmarkDecisionRoundTrip with -bench-gc-window: start counting when the first natural cycle ends (uncounted decisions before)")

func BenchmarkDecisionRoundTrip(b *testing.B) {
	s := newBenchStack(b)
	ctx := context.Background()
	year := futureYear()
	decision := map[string]any{"decision": "approve", "comment": "符合申报条件"}
	var tasks []string
	var st stretches
	w := gcWindow{cycles: *benchGCWindow, warmup: *benchGCWarmup}
	b.ReportAllocs()
	for b.Loop() {
		if len(tasks) == 0 {
			b.StopTimer()
			tasks = s.prelimTasks(b, *benchBatch, year)
			// Each stretch starts on a heap just collected, so no collection of the set-up's
			// garbage falls in it (that left the cycle anywhere: ≈ 13–16 % of the count, run to
			// run).
			runtime.GC()
			if w.cycles > 0 {
				w.begin(b)
			} else {
				st.begin()
			}
			b.StartTimer()
		}
		require.NoError(b, s.cl.Decide(ctx, s.tokens["drb1"], tasks[0], decision))
		tasks = tasks[1:]
		if w.cycles > 0 {
			w.after()
		} else if len(tasks) == 0 {
			b.StopTimer()
			st.end()
			b.StartTimer()
		}
	}
	if w.cycles > 0 {
		w.report(b)
		return
	}
	if len(tasks) > 0 {
		st.end()
	}
	b.ReportMetric(float64(st.cpu.Microseconds())/float64(b.N), "cpu-µs/op")
	b.ReportMetric(float64(st.gcs)/float64(b.N), "gc-cycles/op")
}

// stretches counts the default mode's timed stretches: each a batch's decisions, started on
// a heap just collected. A stretch's 25 decisions (≈ 4 MB) bring on no collection
// (gc-cycles/op = 0): what is counted is the decisions' work without the collector's.
type stretches struct {
	cpu time.Duration
	gcs int
}

func (st *stretches) begin() {
	st.gcs -= int(gcCycles())
	st.cpu -= bench.CPUTime(os.Getpid())
	callgrind.Zero()
}

func (st *stretches) end() {
	callgrind.Dump()
	st.cpu += bench.CPUTime(os.Getpid())
	st.gcs += int(gcCycles())
}

// gcWindow counts the decisions' work with the collector's in its natural proportion. The
// batch is set up and collected (runtime.GC(), which also sweeps the whole heap); then the
// decisions are counted from there until `cycles` natural cycles have ended, then dumped; the
// batch's remaining decisions run uncounted. So the count spans whole periods of the pacer —
// each the allocation of GOGC % of the live heap and the one cycle that marks it — as a
// process making decisions all day has them, at the process's GOGC. The sweeping is one
// period short: the forced collection swept eagerly, outside the count, and the last cycle's
// sweeping falls after it. With warmup, decisions run uncounted until the first natural
// cycle ends and the count starts there, with that cycle's sweeping (every period whole; it
// needs a batch of two periods). It reports counted-decisions (the script divides by them),
// gc-cycles/op per counted decision (natural ones; forced-gc the forced ones among them,
// which should be 0) and cpu-µs/op over the counted decisions.
type gcWindow struct {
	cycles          int
	warmup          bool
	phase           int // 0 warm-up, 1 counting, 2 done
	gc0, forced0    uint64
	counted, gcs    int
	forced          uint64
	cpu             time.Duration
	warm, leftAfter int
}

func (w *gcWindow) begin(b *testing.B) {
	if w.phase != 0 || w.gc0 != 0 {
		b.Fatalf("-bench-gc-window needs one batch: -bench-batch as large as -benchtime")
	}
	w.gc0 = gcCycles()
	if !w.warmup {
		w.count()
	}
}

// count starts counting.
func (w *gcWindow) count() {
	w.phase = 1
	w.gc0, w.forced0 = gcCycles(), forcedCycles()
	w.cpu = -bench.CPUTime(os.Getpid())
	callgrind.Zero()
}

func (w *gcWindow) after() {
	switch w.phase {
	case 0:
		w.warm++
		if gcCycles() > w.gc0 {
			w.count()
		}
	case 1:
		w.counted++
		if n := gcCycles(); n >= w.gc0+uint64(w.cycles) {
			callgrind.Dump()
			w.cpu += bench.CPUTime(os.Getpid())
			w.gcs, w.forced, w.phase = int(n-w.gc0), forcedCycles()-w.forced0, 2
		}
	default:
		w.leftAfter++
	}
}

func (w *gcWindow) report(b *testing.B) {
	if w.phase != 2 {
		b.Fatalf("the GC window did not close: %d decisions of warm-up, %d counted; raise -benchtime and -bench-batch", w.warm, w.counted)
	}
	b.Logf("gc window: %d decisions of warm-up, %d counted over %d natural cycles (%d forced), %d after", w.warm, w.counted, w.gcs, w.forced, w.leftAfter)
	b.ReportMetric(float64(w.cpu.Microseconds())/float64(w.counted), "cpu-µs/op")
	b.ReportMetric(float64(w.gcs)/float64(w.counted), "gc-cycles/op")
	b.ReportMetric(float64(w.forced), "forced-gc")
	b.ReportMetric(float64(w.counted), "counted-decisions")
}

// gcSamples are read by gcCycles and forcedCycles without stopping the world.
var gcSamples = []metrics.Sample{{Name: "/gc/cycles/total:gc-cycles"}, {Name: "/gc/cycles/forced:gc-cycles"}}

// gcCycles is how many garbage collection cycles this process has completed.
func gcCycles() uint64 {
	metrics.Read(gcSamples[:1])
	return gcSamples[0].Value.Uint64()
}

// forcedCycles is how many of them were forced (runtime.GC, or the runtime's two-minute one).
func forcedCycles() uint64 {
	metrics.Read(gcSamples[1:])
	return gcSamples[1].Value.Uint64()
}
