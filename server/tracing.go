package main

import (
	"net/http"

	"github.com/gin-gonic/gin"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

// tracerName names the gateway's own spans (the Temporal client's are the SDK's, the SQL
// statements' otelsql's).
const tracerName = "egovpm/server"

// traced makes a server span of every request, named by its method and route template (never
// the raw path: ids would make a name each), continuing the trace of a W3C traceparent header
// when the client or a proxy in front sends one. The span is in the request's context from
// here on: the access log and the error log lines carry its trace_id, the Temporal client's
// spans and the SQL spans are its children, and so is every audit row the request appends.
func (s *Server) traced() gin.HandlerFunc {
	tracer := otel.GetTracerProvider().Tracer(tracerName)
	prop := otel.GetTextMapPropagator()
	return func(c *gin.Context) {
		route := c.FullPath()
		if route == "" {
			route = "unmatched"
		}
		method := c.Request.Method
		if !knownMethods[method] {
			method = "OTHER"
		}
		ctx := prop.Extract(c.Request.Context(), propagation.HeaderCarrier(c.Request.Header))
		ctx, span := tracer.Start(ctx, method+" "+route, trace.WithSpanKind(trace.SpanKindServer),
			trace.WithAttributes(attribute.String("http.request.method", method), attribute.String("http.route", route)))
		defer span.End()
		c.Request = c.Request.WithContext(ctx)
		c.Next()
		status := c.Writer.Status()
		if !span.IsRecording() { // no exporter (tracing.Setup): the ids were all it needed
			return
		}
		span.SetAttributes(attribute.Int("http.response.status_code", status), attribute.String("egovpm.request_id", c.GetString(ctxRequestID)))
		if code := c.GetString(ctxErrorCode); code != "" {
			span.SetAttributes(attribute.String("error.type", code))
		}
		if status >= http.StatusInternalServerError {
			span.SetStatus(codes.Error, http.StatusText(status))
		}
	}
}
