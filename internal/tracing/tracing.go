// Package tracing is the OpenTelemetry side of every egovpm process: one tracer provider per
// process, configured by the standard OTEL_* variables, and the Temporal SDK's tracing
// interceptor. A decision is one trace: the gateway's request span (server/tracing.go), the
// Temporal client's Update span, the worker's workflow and activity spans (the interceptor
// carries the span in the Temporal headers), and the read model's SQL spans
// (store.Open wraps the driver).
//
// Spans are made whenever tracing is on (the default), exporter or not: their trace id is in
// every log line written for a request or an activity and in the audit rows they append, which
// needs no collector. Nothing leaves the process unless an exporter is configured, and without
// one the spans do not record (no attributes, events or timings are kept: nothing would read
// them), though each has its trace and span ids and passes them on.
package tracing

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"
	"go.uber.org/zap"
)

// The exporters Setup can make (Tracing.Exporter).
const (
	ExporterNone     = "none"
	ExporterOTLPHTTP = "otlp/http/protobuf"
	ExporterOTLPGRPC = "otlp/grpc"
)

// Vars lists the OTEL_* variables Setup reads itself, for the documentation. The OTLP
// exporter reads the rest of its OTEL_EXPORTER_OTLP_* settings (headers, timeout, TLS
// certificates, compression) and the SDK reads OTEL_TRACES_SAMPLER and OTEL_TRACES_SAMPLER_ARG,
// OTEL_RESOURCE_ATTRIBUTES and the OTEL_BSP_* batch settings, as the OpenTelemetry
// specification defines them.
var Vars = []string{"OTEL_SDK_DISABLED", "OTEL_TRACES_EXPORTER", "OTEL_EXPORTER_OTLP_ENDPOINT",
	"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_PROTOCOL", "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL",
	"OTEL_SERVICE_NAME"}

// Tracing is a process's tracer provider, set as OpenTelemetry's global one by Setup.
type Tracing struct {
	// Provider is the process's tracer provider: the SDK's, or a no-op one with
	// OTEL_SDK_DISABLED=true.
	Provider trace.TracerProvider
	// Exporter names the exporter the spans go to (ExporterNone: none was configured, no
	// exporter exists and nothing is sent).
	Exporter string
	shutdown func(context.Context) error
}

// Shutdown flushes the spans not yet exported and stops the exporter.
func (t *Tracing) Shutdown(ctx context.Context) error {
	if t.shutdown == nil {
		return nil
	}
	return t.shutdown(ctx)
}

// Setup makes the process's tracer provider from the OTEL_* variables (getenv is os.Getenv in
// main) and sets it, with the W3C trace-context and baggage propagators, as OpenTelemetry's
// global ones. service is the service.name unless OTEL_SERVICE_NAME (or
// OTEL_RESOURCE_ATTRIBUTES) names another.
//
// Tracing is on unless OTEL_SDK_DISABLED=true. The exporter is off unless
// OTEL_TRACES_EXPORTER=otlp, or OTEL_TRACES_EXPORTER is unset and an OTLP endpoint is
// (OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT): an operator who
// configured nothing sends nothing anywhere. The OTLP protocol is http/protobuf unless
// OTEL_EXPORTER_OTLP_(TRACES_)PROTOCOL is grpc. A value Setup does not know is an error that
// names the variable.
func Setup(ctx context.Context, getenv func(string) string, service string, log *zap.Logger) (*Tracing, error) {
	if disabled, _ := strconv.ParseBool(strings.TrimSpace(getenv("OTEL_SDK_DISABLED"))); disabled {
		tp := noop.NewTracerProvider()
		otel.SetTracerProvider(tp)
		log.Info("tracing off", zap.String("reason", "OTEL_SDK_DISABLED"))
		return &Tracing{Provider: tp, Exporter: ExporterNone}, nil
	}
	kind, err := exporterKind(getenv)
	if err != nil {
		return nil, err
	}
	res, err := resource.New(ctx,
		resource.WithAttributes(attribute.String("service.name", service)),
		resource.WithFromEnv(), // OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES
		resource.WithTelemetrySDK())
	if err != nil && !errors.Is(err, resource.ErrPartialResource) {
		return nil, fmt.Errorf("OTEL_RESOURCE_ATTRIBUTES: %w", err)
	}
	opts := []sdktrace.TracerProviderOption{sdktrace.WithResource(res)}
	var exp sdktrace.SpanExporter
	switch kind {
	case ExporterOTLPHTTP:
		exp, err = otlptracehttp.New(ctx)
	case ExporterOTLPGRPC:
		exp, err = otlptracegrpc.New(ctx)
	}
	if err != nil {
		return nil, fmt.Errorf("OTLP trace exporter: %w", err)
	}
	if exp != nil {
		opts = append(opts, sdktrace.WithBatcher(exp))
	} else {
		// No exporter: a recorded span would go nowhere. The SDK gives a span its trace and
		// span ids before the sampler decides, so a dropped span still carries them (to the
		// log lines, the audit rows and the W3C headers) and costs no attributes, events or
		// end-time bookkeeping. With an exporter, OTEL_TRACES_SAMPLER decides as before.
		opts = append(opts, sdktrace.WithSampler(sdktrace.NeverSample()))
	}
	tp := sdktrace.NewTracerProvider(opts...)
	otel.SetTracerProvider(tp)
	otel.SetTextMapPropagator(propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{}))
	otel.SetErrorHandler(otel.ErrorHandlerFunc(func(err error) { log.Warn("tracing", zap.Error(err)) }))
	log.Info("tracing on", zap.String("exporter", kind), zap.String("service", serviceName(res, service)))
	return &Tracing{Provider: tp, Exporter: kind, shutdown: tp.Shutdown}, nil
}

// exporterKind is the exporter the OTEL_* variables ask for.
func exporterKind(getenv func(string) string) (string, error) {
	exporter := strings.TrimSpace(getenv("OTEL_TRACES_EXPORTER"))
	if exporter == "" {
		if getenv("OTEL_EXPORTER_OTLP_ENDPOINT") == "" && getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") == "" {
			return ExporterNone, nil
		}
		exporter = "otlp"
	}
	switch exporter {
	case "none":
		return ExporterNone, nil
	case "otlp":
	default:
		return "", fmt.Errorf("OTEL_TRACES_EXPORTER=%q: egovpm exports traces with otlp or none", exporter)
	}
	proto := strings.TrimSpace(getenv("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL"))
	name := "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL"
	if proto == "" {
		proto, name = strings.TrimSpace(getenv("OTEL_EXPORTER_OTLP_PROTOCOL")), "OTEL_EXPORTER_OTLP_PROTOCOL"
	}
	switch proto {
	case "", "http/protobuf":
		return ExporterOTLPHTTP, nil
	case "grpc":
		return ExporterOTLPGRPC, nil
	}
	return "", fmt.Errorf("%s=%q: egovpm sends OTLP as http/protobuf or grpc", name, proto)
}

// serviceName is the service.name res carries (def when none).
func serviceName(res *resource.Resource, def string) string {
	if v, ok := res.Set().Value("service.name"); ok {
		return v.AsString()
	}
	return def
}
