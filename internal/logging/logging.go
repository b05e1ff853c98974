// Package logging builds the zap logger every egovpm process uses and adapts it for the
// Temporal SDK.
package logging

import (
	"context"
	"fmt"

	"go.opentelemetry.io/otel/trace"
	"go.temporal.io/sdk/log"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// New returns a production JSON zap logger at level ("debug", "info", "warn", "error").
func New(level string) (*zap.Logger, error) {
	lvl, err := zapcore.ParseLevel(level)
	if err != nil {
		return nil, fmt.Errorf("parse log level: %w", err)
	}
	cfg := zap.NewProductionConfig()
	cfg.Level = zap.NewAtomicLevelAt(lvl)
	cfg.EncoderConfig.TimeKey = "ts"
	cfg.EncoderConfig.EncodeTime = zapcore.ISO8601TimeEncoder
	return cfg.Build()
}

// Temporal adapts a zap logger to the Temporal SDK's log.Logger so that SDK and workflow
// logs go through zap.
type Temporal struct{ z *zap.Logger }

var _ log.Logger = (*Temporal)(nil)
var _ log.WithLogger = (*Temporal)(nil)

// NewTemporal wraps z for the Temporal SDK.
func NewTemporal(z *zap.Logger) *Temporal {
	return &Temporal{z: z.WithOptions(zap.AddCallerSkip(1))}
}

func fields(keyvals []any) []zap.Field {
	fs := make([]zap.Field, 0, len(keyvals)/2+1)
	for i := 0; i < len(keyvals); i += 2 {
		if i+1 >= len(keyvals) {
			fs = append(fs, zap.Any("extra", keyvals[i]))
			break
		}
		k, ok := keyvals[i].(string)
		if !ok {
			k = fmt.Sprint(keyvals[i])
		}
		fs = append(fs, zap.Any(k, keyvals[i+1]))
	}
	return fs
}

// Debug logs at debug level.
func (l *Temporal) Debug(msg string, keyvals ...any) { l.z.Debug(msg, fields(keyvals)...) }

// Info logs at info level.
func (l *Temporal) Info(msg string, keyvals ...any) { l.z.Info(msg, fields(keyvals)...) }

// Warn logs at warn level.
func (l *Temporal) Warn(msg string, keyvals ...any) { l.z.Warn(msg, fields(keyvals)...) }

// Error logs at error level.
func (l *Temporal) Error(msg string, keyvals ...any) { l.z.Error(msg, fields(keyvals)...) }

// With returns a logger with the key/value pairs attached.
func (l *Temporal) With(keyvals ...any) log.Logger {
	return &Temporal{z: l.z.With(fields(keyvals)...)}
}

// Trace returns the trace_id and span_id fields of the span in ctx (none when ctx has no
// valid span): the fields that tie a log line to its trace and to the audit rows written under
// it (audit_log.trace_id).
func Trace(ctx context.Context) []zap.Field {
	sc := trace.SpanContextFromContext(ctx)
	if !sc.IsValid() {
		return nil
	}
	return []zap.Field{zap.String("trace_id", sc.TraceID().String()), zap.String("span_id", sc.SpanID().String())}
}

// Ctx returns log with the trace fields of ctx (Trace).
func Ctx(ctx context.Context, log *zap.Logger) *zap.Logger {
	f := Trace(ctx)
	if f == nil {
		return log
	}
	return log.With(f...)
}
