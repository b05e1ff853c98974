package tracing

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.uber.org/zap"
)

// collector is an OTLP/HTTP endpoint that counts the trace exports it receives.
type collector struct {
	mu    sync.Mutex
	posts int
	bytes int
}

func newCollector(t *testing.T) (*collector, string) {
	c := &collector{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		if r.URL.Path == "/v1/traces" {
			c.mu.Lock()
			c.posts++
			c.bytes += len(b)
			c.mu.Unlock()
		}
		w.Header().Set("Content-Type", "application/x-protobuf")
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(srv.Close)
	return c, srv.URL
}

func (c *collector) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.posts
}

// clearEnv unsets every OTEL_* variable of the test process for the test.
func clearEnv(t *testing.T) {
	for _, k := range append(Vars, "OTEL_RESOURCE_ATTRIBUTES", "OTEL_TRACES_SAMPLER", "OTEL_TRACES_SAMPLER_ARG") {
		t.Setenv(k, "")
		require.NoError(t, os.Unsetenv(k))
	}
}

// span starts and ends one span through the global provider, as the gateway's and worker's
// instrumentation does, and returns whether it was valid (had a trace id).
func span() bool {
	valid, _ := spanRecording()
	return valid
}

// spanRecording is span's, and whether the span recorded.
func spanRecording() (valid, recording bool) {
	_, s := otel.Tracer("test").Start(context.Background(), "decision")
	recording = s.IsRecording()
	s.End()
	return s.SpanContext().IsValid(), recording
}

// Issue 21 item 2: with no OTEL_* variable set, tracing is on (spans have trace ids for the log
// lines and audit rows) and no exporter exists: nothing is sent, not even to the OTLP default
// endpoint. The same spans with an endpoint configured do reach it, so the collector below
// would see them.
func TestSetupExportsNothingByDefault(t *testing.T) {
	clearEnv(t)
	tr, err := Setup(context.Background(), os.Getenv, "egovpm-test", zap.NewNop())
	require.NoError(t, err)
	require.Equal(t, ExporterNone, tr.Exporter)
	tp, ok := tr.Provider.(*sdktrace.TracerProvider)
	require.True(t, ok, "the SDK's provider: spans are made, with trace ids")
	valid, recording := spanRecording()
	require.True(t, valid)
	require.False(t, recording, "no exporter: the span has ids but records nothing (issue 21: the overhead)")
	require.NoError(t, tr.Shutdown(context.Background()))
	require.Same(t, tp, otel.GetTracerProvider())

	// An endpoint, but OTEL_TRACES_EXPORTER=none: still nothing.
	c, url := newCollector(t)
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", url)
	t.Setenv("OTEL_TRACES_EXPORTER", "none")
	tr, err = Setup(context.Background(), os.Getenv, "egovpm-test", zap.NewNop())
	require.NoError(t, err)
	require.Equal(t, ExporterNone, tr.Exporter)
	require.True(t, span())
	require.NoError(t, tr.Shutdown(context.Background()))
	require.Zero(t, c.count())

	// The endpoint alone turns the OTLP exporter on (http/protobuf).
	t.Setenv("OTEL_TRACES_EXPORTER", "")
	t.Setenv("OTEL_SERVICE_NAME", "egovpm-gateway-2")
	tr, err = Setup(context.Background(), os.Getenv, "egovpm-test", zap.NewNop())
	require.NoError(t, err)
	require.Equal(t, ExporterOTLPHTTP, tr.Exporter)
	valid, recording = spanRecording()
	require.True(t, valid)
	require.True(t, recording, "an exporter: the SDK's default sampler records")
	require.NoError(t, tr.Shutdown(context.Background()), "flushes the batch")
	require.Equal(t, 1, c.count())

	// With an exporter OTEL_TRACES_SAMPLER is the SDK's, as the specification says.
	t.Setenv("OTEL_TRACES_SAMPLER", "always_off")
	tr, err = Setup(context.Background(), os.Getenv, "egovpm-test", zap.NewNop())
	require.NoError(t, err)
	valid, recording = spanRecording()
	require.True(t, valid)
	require.False(t, recording)
	require.NoError(t, tr.Shutdown(context.Background()))
}

// OTEL_SDK_DISABLED=true turns tracing off: no-op spans, no trace ids.
func TestSetupDisabled(t *testing.T) {
	clearEnv(t)
	t.Setenv("OTEL_SDK_DISABLED", "true")
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:1")
	tr, err := Setup(context.Background(), os.Getenv, "egovpm-test", zap.NewNop())
	require.NoError(t, err)
	require.Equal(t, ExporterNone, tr.Exporter)
	require.False(t, span())
	require.NoError(t, tr.Shutdown(context.Background()))
}

// A value Setup does not know fails the start, naming the variable.
func TestSetupRefusesUnknownValues(t *testing.T) {
	for _, tc := range []struct{ k, v string }{
		{"OTEL_TRACES_EXPORTER", "zipkin"},
		{"OTEL_EXPORTER_OTLP_PROTOCOL", "http/json"},
		{"OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "udp"},
	} {
		t.Run(tc.k, func(t *testing.T) {
			clearEnv(t)
			t.Setenv("OTEL_TRACES_EXPORTER", "otlp")
			t.Setenv(tc.k, tc.v)
			_, err := Setup(context.Background(), os.Getenv, "egovpm-test", zap.NewNop())
			require.ErrorContains(t, err, tc.k)
		})
	}
	clearEnv(t)
	t.Setenv("OTEL_TRACES_EXPORTER", "otlp")
	t.Setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc")
	tr, err := Setup(context.Background(), os.Getenv, "egovpm-test", zap.NewNop())
	require.NoError(t, err)
	require.Equal(t, ExporterOTLPGRPC, tr.Exporter)
	require.NoError(t, tr.Shutdown(context.Background()))
}
