package main

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"egovpm/internal/testdb"
	"egovpm/internal/tracing"
)

// traceSpans are the spans of one trace, by span id.
type traceSpans map[trace.SpanID]tracetest.SpanStub

func spansOf(exp *tracetest.InMemoryExporter, id trace.TraceID) traceSpans {
	out := traceSpans{}
	for _, s := range exp.GetSpans() {
		if s.SpanContext.TraceID() == id {
			out[s.SpanContext.SpanID()] = s
		}
	}
	return out
}

func (ts traceSpans) String() string {
	var b strings.Builder
	for id, s := range ts {
		b.WriteString(id.String() + " " + s.Name + " <- " + s.Parent.SpanID().String() + "\n")
	}
	return b.String()
}

// named returns the spans whose name starts with prefix.
func (ts traceSpans) named(prefix string) []tracetest.SpanStub {
	var out []tracetest.SpanStub
	for _, s := range ts {
		if strings.HasPrefix(s.Name, prefix) {
			out = append(out, s)
		}
	}
	return out
}

// under reports whether s descends from the span anc (through spans of the trace).
func (ts traceSpans) under(s tracetest.SpanStub, anc trace.SpanID) bool {
	for p := s.Parent.SpanID(); p.IsValid(); {
		if p == anc {
			return true
		}
		ps, ok := ts[p]
		if !ok {
			return false
		}
		p = ps.Parent.SpanID()
	}
	return false
}

// anyUnder reports whether one of ss descends from anc.
func (ts traceSpans) anyUnder(ss []tracetest.SpanStub, anc trace.SpanID) bool {
	for _, s := range ss {
		if ts.under(s, anc) {
			return true
		}
	}
	return false
}

// Issue 21 item 2: one decision through the real gateway, devserver, worker and PostgreSQL is
// one trace: the gateway's request span; under it the gateway's SQL (the session and task
// read) and the Temporal client's Update span; under that, in the worker, the workflow's
// Update handler span and the activity span of the decision's writes, with the worker's SQL
// under the activity. The decision's audit row carries that trace id (and the chain still
// verifies), and so does the gateway's access log line.
func TestTraceOfADecision(t *testing.T) {
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	prevTP, prevProp := otel.GetTracerProvider(), otel.GetTextMapPropagator()
	otel.SetTracerProvider(tp)
	otel.SetTextMapPropagator(propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{}))
	t.Cleanup(func() {
		otel.SetTracerProvider(prevTP)
		otel.SetTextMapPropagator(prevProp)
		_ = tp.Shutdown(context.Background())
	})
	core, logs := observer.New(zap.DebugLevel)
	s := newStackLogged(t, "2021", testdb.URL(t), "egovpm-test-"+newID(""), zap.New(core))

	reqID := tracedPrelimApproval(t, s, "链路追踪项目")

	var gw tracetest.SpanStub
	for _, sp := range exp.GetSpans() {
		for _, a := range sp.Attributes {
			if a.Key == "egovpm.request_id" && a.Value.AsString() == reqID {
				gw = sp
			}
		}
	}
	require.Equal(t, "POST "+decisionRoute, gw.Name, "the gateway's span of the decision")
	require.Equal(t, trace.SpanKindServer, gw.SpanKind)
	require.False(t, gw.Parent.IsValid(), "the request starts the trace")
	id, root := gw.SpanContext.TraceID(), gw.SpanContext.SpanID()

	var ts traceSpans
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("spans of the trace:\n%s", spansOf(exp, id))
		}
	})
	require.EventuallyWithT(t, func(c *assertT) {
		ts = spansOf(exp, id)
		update := ts.named("UpdateWorkflow:")
		if !assertLen(c, update, 1) {
			return
		}
		assertTrue(c, ts.under(update[0], root), "the Temporal client's Update span is under the request")
		handlers := ts.named("HandleUpdate:")
		assertTrue(c, ts.anyUnder(handlers, update[0].SpanContext.SpanID()), "the worker's Update handler span is under the client's (through the Temporal header)")
		acts := ts.named("RunActivity:Apply")
		assertTrue(c, ts.anyUnder(acts, update[0].SpanContext.SpanID()),
			"the activity that writes the decision, run by the workflow's main loop, is under the Update (temporalTracer)")
		var workerSQL bool
		for _, a := range acts {
			workerSQL = workerSQL || ts.anyUnder(ts.named("sql."), a.SpanContext.SpanID())
		}
		assertTrue(c, workerSQL, "the worker's SQL under its activity span")
	}, 10*time.Second, 50*time.Millisecond, "%s", ts)
	var gwSQL bool
	for _, sp := range ts.named("sql.") {
		gwSQL = gwSQL || sp.Parent.SpanID() == root
	}
	require.True(t, gwSQL, "the gateway's SQL (session and task) under the request span")

	// The decision's audit row, written by the worker's activity, carries the trace id.
	var rows []struct {
		Action  string  `db:"action"`
		TraceID *string `db:"trace_id"`
		Format  int16   `db:"format"`
	}
	require.NoError(t, s.store.DB().Select(&rows, `SELECT action, trace_id, format FROM audit_log WHERE request_id = $1`, reqID))
	require.NotEmpty(t, rows)
	for _, row := range rows {
		require.NotNil(t, row.TraceID, "audit row %s", row.Action)
		require.Equal(t, id.String(), *row.TraceID, "audit row %s", row.Action)
		require.EqualValues(t, 3, row.Format)
	}
	res, err := s.store.Audit.Verify(context.Background(), s.store.DB())
	require.NoError(t, err)
	require.True(t, res.OK, res.Reason)
	// The audit log read and its export show the trace id of those rows.
	r := s.do("audit1", http.MethodGet, "/api/v1/audit?limit=100", nil, nil)
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Raw)
	read := map[string]bool{}
	for _, it := range r.Body["items"].([]any) {
		row := it.(map[string]any)
		if row["request_id"] == reqID {
			read[row["action"].(string)] = row["trace_id"] == id.String()
		}
	}
	exported := map[string]bool{}
	a := readCSV(t, s.export("audit1", "/api/v1/exports/audit-log?format=csv").Raw)
	require.Equal(t, "追踪编号", a.header[9])
	for _, row := range a.rows {
		if row[8] == reqID {
			exported[row[4]] = row[9] == id.String()
		}
	}
	for _, row := range rows {
		require.True(t, read[row.Action], "GET /audit row %s carries its trace id: %s", row.Action, r.Raw)
		require.True(t, exported[row.Action], "exported row %s carries its trace id", row.Action)
	}

	// The gateway's access log line of the decision carries its trace id (the worker's SDK
	// loggers: TestTemporalLoggerFields).
	access := logs.FilterMessage("request").FilterField(zap.String("request_id", reqID)).FilterField(zap.String("trace_id", id.String()))
	require.Equal(t, 1, access.Len(), "the decision's access log line carries its trace id")
}

// Issue 21 item 2 at the default settings (tracing on, no exporter: tracing.Setup with no
// OTEL_* variable): the spans record nothing, yet a decision's access log line and its audit
// rows, written by the worker's activity under the decision's Update, carry the trace id of the
// request — the same one.
func TestTraceIDWithoutExporter(t *testing.T) {
	prevTP, prevProp := otel.GetTracerProvider(), otel.GetTextMapPropagator()
	tr, err := tracing.Setup(context.Background(), func(string) string { return "" }, "egovpm-test", zap.NewNop())
	require.NoError(t, err)
	t.Cleanup(func() {
		otel.SetTracerProvider(prevTP)
		otel.SetTextMapPropagator(prevProp)
		_ = tr.Shutdown(context.Background())
	})
	_, probe := otel.Tracer("test").Start(context.Background(), "probe")
	require.False(t, probe.IsRecording(), "no exporter: spans do not record")
	probe.End()
	core, logs := observer.New(zap.DebugLevel)
	s := newStackLogged(t, "2021", testdb.URL(t), "egovpm-test-"+newID(""), zap.New(core))

	reqID := tracedPrelimApproval(t, s, "无导出器追踪项目")

	access := logs.FilterMessage("request").FilterField(zap.String("request_id", reqID))
	require.Equal(t, 1, access.Len())
	id, _ := access.All()[0].ContextMap()["trace_id"].(string)
	traceID, err := trace.TraceIDFromHex(id)
	require.NoError(t, err, "the access log line carries a trace id: %q", id)
	require.True(t, traceID.IsValid())

	var rows []struct {
		Action  string  `db:"action"`
		TraceID *string `db:"trace_id"`
	}
	require.NoError(t, s.store.DB().Select(&rows, `SELECT action, trace_id FROM audit_log WHERE request_id = $1`, reqID))
	require.NotEmpty(t, rows)
	for _, row := range rows {
		require.NotNil(t, row.TraceID, "audit row %s", row.Action)
		require.Equal(t, id, *row.TraceID, "audit row %s: the request's trace", row.Action)
	}
}

// tracedPrelimApproval submits a project named name, and drb1 claims and approves its
// preliminary review with a request id of its own, which it returns.
func tracedPrelimApproval(t *testing.T, s *stack, name string) string {
	t.Helper()
	p := s.createProject("alice", name, futureYear(), 100_000_000)
	s.submit("alice", p)
	task := s.openTask("drb1", p, "prelim_review")
	r := s.do("drb1", http.MethodPost, "/api/v1/tasks/"+task+"/claim", nil, nil)
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Raw)
	reqID := "trace-" + newID("")
	r = s.decide("drb1", task, map[string]any{"decision": "approve", "comment": "同意"}, map[string]string{"X-Request-ID": reqID})
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Raw)
	return reqID
}
