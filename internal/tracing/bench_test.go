package tracing

import (
	"context"
	"testing"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"
)

// decisionSpans makes the spans one decision makes in TestTraceOfADecision: the request, the
// gateway's read, the client's Update, the validator and the handler, two activities started
// and run, and nine SQL spans.
func decisionSpans(tp trace.TracerProvider) {
	tr := tp.Tracer("bench")
	ctx, req := tr.Start(context.Background(), "POST /api/v1/tasks/:id/decision", trace.WithSpanKind(trace.SpanKindServer))
	_, s := tr.Start(ctx, "sql.stmt.query")
	s.End()
	uctx, upd := tr.Start(ctx, "UpdateWorkflow:decide", trace.WithSpanKind(trace.SpanKindClient))
	_, v := tr.Start(uctx, "ValidateUpdate:decide")
	v.End()
	hctx, h := tr.Start(uctx, "HandleUpdate:decide")
	for range 2 {
		sctx, st := tr.Start(hctx, "StartActivity:Apply", trace.WithSpanKind(trace.SpanKindClient))
		actx, run := tr.Start(sctx, "RunActivity:Apply")
		for range 4 {
			_, q := tr.Start(actx, "sql.stmt.exec")
			q.End()
		}
		run.End()
		st.End()
	}
	h.End()
	upd.End()
	req.End()
}

// BenchmarkDecisionSpans is the CPU the spans of one decision cost with tracing on and no
// exporter (the default), with spans recorded (as with an exporter, which is not counted
// here), and with tracing off (docs/PERFORMANCE.md §10).
func BenchmarkDecisionSpans(b *testing.B) {
	for _, tc := range []struct {
		name string
		tp   trace.TracerProvider
	}{
		// Setup's provider without an exporter: ids, no recording.
		{"on_no_exporter", sdktrace.NewTracerProvider(sdktrace.WithSampler(sdktrace.NeverSample()))},
		// The SDK's default sampler (Setup's without an exporter until 2026-12-04, and with one).
		{"on_recording", sdktrace.NewTracerProvider()},
		{"off", noop.NewTracerProvider()},
	} {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				decisionSpans(tc.tp)
			}
		})
	}
}
