package tracing

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"

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
	return interceptor.NewTracingInterceptor(&temporalTracer{Tracer: t, updates: map[string][]*updateSpan{}}), nil
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
	// updates holds, by run id, the Update handler spans started and maybe not yet ended.
	updates map[string][]*updateSpan
}

// updateSpan is an Update handler's span, which knows when it ended: a span that records
// stops recording at its end, but without an exporter no span records (Setup), so recording
// cannot tell an Update in flight from one done. The SDK's tracer takes only its own spans
// (as a parent, to marshal, in a context): temporalTracer gives it span, never this.
type updateSpan struct {
	span interceptor.TracerSpan
	done atomic.Bool
}

// Finish ends the span.
func (u *updateSpan) Finish(opts *interceptor.TracerFinishSpanOptions) {
	u.done.Store(true)
	u.span.Finish(opts)
}

// SpanContext is the span's ids (GetLogger and the tests read them).
func (u *updateSpan) SpanContext() trace.SpanContext {
	if s, ok := u.span.(interface{ SpanContext() trace.SpanContext }); ok {
		return s.SpanContext()
	}
	return trace.SpanContext{}
}

// sdkSpan is the SDK tracer's own span of s (s itself unless it is an updateSpan).
func sdkSpan(s interceptor.TracerSpan) interceptor.TracerSpan {
	if u, ok := s.(*updateSpan); ok {
		return u.span
	}
	return s
}

// StartSpan starts the span opts describe. An activity's span gets the run's one Update
// handler in flight as its parent; an Update handler's span is remembered until it ends.
func (t *temporalTracer) StartSpan(opts *interceptor.TracerStartSpanOptions) (interceptor.TracerSpan, error) {
	run := opts.Tags[tagRunID]
	if u, ok := opts.Parent.(*updateSpan); ok {
		o := *opts
		o.Parent = u.span
		opts = &o
	}
	if opts.Operation == opStartActivity && run != "" {
		if u := t.inFlight(run); u != nil {
			o := *opts
			o.Parent = u.span
			opts = &o
		}
	}
	s, err := t.Tracer.StartSpan(opts)
	if err == nil && opts.Operation == opHandleUpdate && run != "" {
		u := &updateSpan{span: s}
		t.mu.Lock()
		t.sweep()
		t.updates[run] = append(t.updates[run], u)
		t.mu.Unlock()
		return u, nil
	}
	return s, err
}

// MarshalSpan is the SDK tracer's, of its own span.
func (t *temporalTracer) MarshalSpan(s interceptor.TracerSpan) (map[string]string, error) {
	return t.Tracer.MarshalSpan(sdkSpan(s))
}

// ContextWithSpan is the SDK tracer's, with its own span.
func (t *temporalTracer) ContextWithSpan(ctx context.Context, s interceptor.TracerSpan) context.Context {
	return t.Tracer.ContextWithSpan(ctx, sdkSpan(s))
}

// inFlight is run's only Update handler span not yet ended, or nil.
func (t *temporalTracer) inFlight(run string) *updateSpan {
	t.mu.Lock()
	defer t.mu.Unlock()
	var live *updateSpan
	for _, s := range t.updates[run] {
		if !s.done.Load() {
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
		ss = slices.DeleteFunc(ss, func(s *updateSpan) bool { return s.done.Load() })
		if len(ss) == 0 {
			delete(t.updates, run)
		} else {
			t.updates[run] = ss
		}
	}
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
