package tracing

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	"go.temporal.io/sdk/contrib/opentelemetry"
	"go.temporal.io/sdk/interceptor"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"egovpm/internal/logging"
)

func newTemporalTracer(t *testing.T, opts ...sdktrace.TracerProviderOption) *temporalTracer {
	tp := sdktrace.NewTracerProvider(opts...)
	tr, err := opentelemetry.NewTracer(opentelemetry.TracerOptions{Tracer: tp.Tracer("test")})
	require.NoError(t, err)
	return &temporalTracer{Tracer: tr, updates: map[string][]*updateSpan{}}
}

func traceOf(s interceptor.TracerSpan) trace.SpanContext {
	return s.(interface{ SpanContext() trace.SpanContext }).SpanContext()
}

func start(t *testing.T, tt *temporalTracer, op, run string, parent interceptor.TracerSpanRef) interceptor.TracerSpan {
	s, err := tt.StartSpan(&interceptor.TracerStartSpanOptions{Operation: op, Name: "x", Parent: parent,
		Tags: map[string]string{tagRunID: run}, Time: time.Now()})
	require.NoError(t, err)
	return s
}

// Issue 21 item 2: the loggers the Temporal SDK gives workflows and activities (through the
// zap adapter) carry trace_id and span_id, as the gateway's lines do.
func TestTemporalLoggerFields(t *testing.T) {
	tt := newTemporalTracer(t)
	s := start(t, tt, opHandleUpdate, "run-1", nil)
	core, logs := observer.New(zap.InfoLevel)
	tt.GetLogger(logging.NewTemporal(zap.New(core)), s).Info("activity line")
	sc := traceOf(s)
	require.Equal(t, 1, logs.FilterField(zap.String("trace_id", sc.TraceID().String())).FilterField(zap.String("span_id", sc.SpanID().String())).Len())
}

// An activity started while one Update handler of its run is in flight is traced under that
// handler (the lifecycle's main loop applies the decision the handler queued); with none, or
// two, in flight it keeps the parent the SDK gave it.
func TestActivityUnderTheUpdateInFlight(t *testing.T) {
	t.Run("recording", func(t *testing.T) { activityUnderTheUpdateInFlight(t, newTemporalTracer(t)) })
	// Without an exporter (Setup) no span records; the ids, and so the trace of a decision's
	// activity and audit row, are the same.
	t.Run("not_recording", func(t *testing.T) {
		activityUnderTheUpdateInFlight(t, newTemporalTracer(t, sdktrace.WithSampler(sdktrace.NeverSample())))
	})
}

func activityUnderTheUpdateInFlight(t *testing.T, tt *temporalTracer) {
	run := start(t, tt, "RunWorkflow", "run-1", nil) // the workflow's span: another trace
	upd := start(t, tt, opHandleUpdate, "run-1", nil)
	other := start(t, tt, opHandleUpdate, "run-2", nil)

	act := start(t, tt, opStartActivity, "run-1", run)
	require.Equal(t, traceOf(upd).TraceID(), traceOf(act).TraceID(), "under the run's Update in flight")
	act = start(t, tt, opStartActivity, "run-3", run)
	require.Equal(t, traceOf(run).TraceID(), traceOf(act).TraceID(), "another run's Update is not this run's")

	upd2 := start(t, tt, opHandleUpdate, "run-1", nil)
	act = start(t, tt, opStartActivity, "run-1", run)
	require.Equal(t, traceOf(run).TraceID(), traceOf(act).TraceID(), "two in flight: which one is not known")

	upd.Finish(&interceptor.TracerFinishSpanOptions{})
	act = start(t, tt, opStartActivity, "run-1", run)
	require.Equal(t, traceOf(upd2).TraceID(), traceOf(act).TraceID(), "the one left in flight")
	upd2.Finish(&interceptor.TracerFinishSpanOptions{})
	other.Finish(&interceptor.TracerFinishSpanOptions{})
	act = start(t, tt, opStartActivity, "run-1", run)
	require.Equal(t, traceOf(run).TraceID(), traceOf(act).TraceID(), "none in flight")
	start(t, tt, opHandleUpdate, "run-4", nil) // sweeps the ended ones
	require.NotContains(t, tt.updates, "run-1")
	require.NotContains(t, tt.updates, "run-2")
}
