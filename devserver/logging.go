package main

import (
	"io"
	"time"

	tlog "go.temporal.io/server/common/log"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// loggers bundles the zap loggers of one devserver run.
type loggers struct {
	// server receives the Temporal server's internal logs at the configured level.
	server *zap.Logger
	// serverLevel is the level of server; it can be raised while the server stops.
	serverLevel zap.AtomicLevel
	// app receives the devserver's own messages at info level (or lower, when the
	// configured level is debug).
	app *zap.Logger
}

// newLoggers builds console-encoded zap loggers that write to w.
func newLoggers(serverLevel zapcore.Level, w io.Writer) loggers {
	encCfg := zap.NewProductionEncoderConfig()
	encCfg.TimeKey = "ts"
	encCfg.EncodeTime = zapcore.TimeEncoderOfLayout(time.RFC3339Nano)
	encCfg.EncodeLevel = zapcore.CapitalLevelEncoder
	enc := zapcore.NewConsoleEncoder(encCfg)
	sink := zapcore.Lock(zapcore.AddSync(w))

	appLevel := min(serverLevel, zapcore.InfoLevel)
	atomicLevel := zap.NewAtomicLevelAt(serverLevel)
	return loggers{
		server:      zap.New(zapcore.NewCore(enc, sink, atomicLevel)).Named("temporal"),
		serverLevel: atomicLevel,
		app:         zap.New(zapcore.NewCore(enc.Clone(), sink, appLevel)).Named("devserver"),
	}
}

// temporalLogger adapts the server zap logger to the Temporal server's logger interface.
func (l loggers) temporalLogger() tlog.Logger {
	return tlog.NewZapLogger(l.server)
}

// quietServer raises the server log level to error. Stopping services log many expected
// connection warnings while their peers go away.
func (l loggers) quietServer() {
	if l.serverLevel.Level() < zapcore.ErrorLevel {
		l.serverLevel.SetLevel(zapcore.ErrorLevel)
	}
}

// sync flushes buffered log entries; errors are ignored because stderr may not support
// syncing.
func (l loggers) sync() {
	_ = l.server.Sync()
	_ = l.app.Sync()
}
