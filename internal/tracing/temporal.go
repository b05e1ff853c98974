package tracing

import (
	"fmt"

	"go.opentelemetry.io/otel/trace"
	"go.temporal.io/sdk/contrib/opentelemetry"
	"go.temporal.io/sdk/interceptor"
	"go.temporal.io/sdk/log"
)

// TemporalInterceptor is the Temporal SDK's OpenTelemetry interceptor over the global tracer
// provider, for the client options (a worker made from that client uses it too): the client's
// calls (start, Update, signal, query) make client spans and write them into the Temporal
// headers; the worker continues the trace in workflow spans (made when the workflow is not
// replaying) and activity spans, whose context the activity's context carries (the SQL spans
// and the audit rows an activity writes find it there). It adds headers, never commands: the
// recorded histories replay unchanged.
//
// The loggers the SDK gives a workflow or an activity carry trace_id and span_id, the field
// names the gateway's log lines use (logging.Trace).
func TemporalInterceptor() (interceptor.Interceptor, error) {
	t, err := opentelemetry.NewTracer(opentelemetry.TracerOptions{})
	if err != nil {
		return nil, fmt.Errorf("temporal tracer: %w", err)
	}
	return interceptor.NewTracingInterceptor(temporalTracer{t}), nil
}

// temporalTracer is the SDK's OpenTelemetry tracer with egovpm's log fields.
type temporalTracer struct{ interceptor.Tracer }

// GetLogger adds the span's trace_id and span_id to l.
func (t temporalTracer) GetLogger(l log.Logger, ref interceptor.TracerSpanRef) log.Logger {
	s, ok := ref.(interface{ SpanContext() trace.SpanContext })
	if !ok || !s.SpanContext().IsValid() {
		return l
	}
	sc := s.SpanContext()
	return log.With(l, "trace_id", sc.TraceID().String(), "span_id", sc.SpanID().String())
}
