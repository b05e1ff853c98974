package store_test

import (
	"context"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/embedded"

	"egovpm/internal/store"
	"egovpm/internal/testdb"
)

// countingProvider counts the spans its tracers start.
type countingProvider struct {
	embedded.TracerProvider
	tp      trace.TracerProvider
	started atomic.Int64
}

func (p *countingProvider) Tracer(name string, opts ...trace.TracerOption) trace.Tracer {
	return &countingTracer{t: p.tp.Tracer(name, opts...), p: p}
}

type countingTracer struct {
	embedded.Tracer
	t trace.Tracer
	p *countingProvider
}

func (t *countingTracer) Start(ctx context.Context, name string, opts ...trace.SpanStartOption) (context.Context, trace.Span) {
	t.p.started.Add(1)
	return t.t.Start(ctx, name, opts...)
}

// Issue 21 (docs/PERFORMANCE.md §10.3): a statement under a span that does not record (no
// exporter: tracing.Setup samples nothing) starts no SQL span — its ids would go nowhere, and
// the trace id of log lines and audit rows is the caller's — while one under a recording span
// still gets its sql.conn.exec child, and one with no span none.
func TestSQLSpansOnlyUnderRecordingSpans(t *testing.T) {
	exp := tracetest.NewInMemoryExporter()
	sdk := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp), sdktrace.WithSampler(sdktrace.ParentBased(sdktrace.NeverSample())))
	cp := &countingProvider{tp: sdk}
	prev := otel.GetTracerProvider()
	otel.SetTracerProvider(cp)
	t.Cleanup(func() {
		otel.SetTracerProvider(prev)
		_ = sdk.Shutdown(context.Background())
	})
	ctx := context.Background()
	db, err := store.Open(ctx, testdb.ServerURL())
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })

	exec := func(ctx context.Context) int64 {
		before := cp.started.Load()
		_, err := db.ExecContext(ctx, "SELECT 1")
		require.NoError(t, err)
		return cp.started.Load() - before
	}
	require.Zero(t, exec(ctx), "no span in the context: no SQL span")

	quiet, parent := otel.Tracer("test").Start(ctx, "request")
	require.False(t, parent.IsRecording())
	require.True(t, parent.SpanContext().IsValid(), "a non-recording span still carries a trace id")
	require.Zero(t, exec(quiet), "under a span that does not record: no SQL span started")
	parent.End()

	rec := sdktrace.NewTracerProvider(sdktrace.WithSampler(sdktrace.AlwaysSample()))
	t.Cleanup(func() { _ = rec.Shutdown(context.Background()) })
	loud, rparent := rec.Tracer("test").Start(ctx, "request")
	require.EqualValues(t, 1, exec(loud), "under a recording span: its SQL span")
	rparent.End()
	spans := exp.GetSpans()
	require.Len(t, spans, 1)
	require.Equal(t, "sql.conn.exec", spans[0].Name)
	require.Equal(t, rparent.SpanContext().SpanID(), spans[0].Parent.SpanID())
	require.Equal(t, rparent.SpanContext().TraceID(), spans[0].SpanContext.TraceID())
}
