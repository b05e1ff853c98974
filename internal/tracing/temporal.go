package tracing

import (
	"fmt"
	"slices"
	"sync"

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
// An Update handler of ProjectLifecycle queues its message and waits; the workflow's main loop
// runs the activities that apply it, in the workflow's own context. An activity started
// while exactly one Update handler of its run is in flight is therefore traced under that
// handler (temporalTracer.StartSpan), so a decision's writes and their audit row are in the
// decision's trace rather than the trace that started the workflow. With two or more in
// flight the activity stays under the workflow's span.
//
// The loggers the SDK gives a workflow or an activity carry trace_id and span_id, the field
// names the gateway's log lines use (logging.Trace).
func TemporalInterceptor() (interceptor.Interceptor, error) {
	t, err := opentelemetry.NewTracer(opentelemetry.TracerOptions{})
	if err != nil {
		return nil, fmt.Errorf("temporal tracer: %w", err)
	}
	return interceptor.NewTracingInterceptor(&temporalTracer{Tracer: t, updates: map[string][]interceptor.TracerSpan{}}), nil
}

// The SDK's span operations and tags temporalTracer reads (go.temporal.io/sdk/interceptor).
const (
	opHandleUpdate  = "HandleUpdate"
	opStartActivity = "StartActivity"
	tagRunID        = "temporalRunID"
)

// temporalTracer is the SDK's OpenTelemetry tracer with egovpm's log fields and Update
// handlers as the parents of the activities their run starts meanwhile.
type temporalTracer struct {
	interceptor.Tracer
	mu sync.Mutex // guards updates
	// updates holds, by run id, the Update handler spans started and maybe not yet ended
	// (an ended span no longer records).
	updates map[string][]interceptor.TracerSpan
}

// StartSpan starts the span opts describe. An activity's span gets the run's one Update
// handler in flight as its parent; an Update handler's span is remembered until it ends.
func (t *temporalTracer) StartSpan(opts *interceptor.TracerStartSpanOptions) (interceptor.TracerSpan, error) {
	run := opts.Tags[tagRunID]
	if opts.Operation == opStartActivity && run != "" {
		if u := t.inFlight(run); u != nil {
			o := *opts
			o.Parent = u
			opts = &o
		}
	}
	s, err := t.Tracer.StartSpan(opts)
	if err == nil && opts.Operation == opHandleUpdate && run != "" {
		t.mu.Lock()
		t.sweep()
		t.updates[run] = append(t.updates[run], s)
		t.mu.Unlock()
	}
	return s, err
}

// inFlight is run's only Update handler span still recording, or nil.
func (t *temporalTracer) inFlight(run string) interceptor.TracerSpan {
	t.mu.Lock()
	defer t.mu.Unlock()
	var live interceptor.TracerSpan
	for _, s := range t.updates[run] {
		if recording(s) {
			if live != nil {
				return nil
			}
			live = s
		}
	}
	return live
}

// sweep forgets the spans that ended. t.mu is held.
func (t *temporalTracer) sweep() {
	for run, ss := range t.updates {
		ss = slices.DeleteFunc(ss, func(s interceptor.TracerSpan) bool { return !recording(s) })
		if len(ss) == 0 {
			delete(t.updates, run)
		} else {
			t.updates[run] = ss
		}
	}
}

// recording reports whether s has not ended (an OpenTelemetry span records until End; one
// not sampled never records, and is not taken as a parent here).
func recording(s interceptor.TracerSpan) bool {
	r, ok := s.(interface{ IsRecording() bool })
	return ok && r.IsRecording()
}

// GetLogger adds the span's trace_id and span_id to l.
func (t *temporalTracer) GetLogger(l log.Logger, ref interceptor.TracerSpanRef) log.Logger {
	s, ok := ref.(interface{ SpanContext() trace.SpanContext })
	if !ok || !s.SpanContext().IsValid() {
		return l
	}
	sc := s.SpanContext()
	return log.With(l, "trace_id", sc.TraceID().String(), "span_id", sc.SpanID().String())
}
