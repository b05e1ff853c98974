// Package platform connects a process to its dependencies (PostgreSQL with a current schema
// and Temporal) the same way in the worker, the server, the CLI and the tests.
package platform

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.temporal.io/sdk/client"
	"go.uber.org/zap"

	"egovpm/internal/audit"
	"egovpm/internal/config"
	"egovpm/internal/logging"
	"egovpm/internal/metrics"
	"egovpm/internal/store"
	"egovpm/internal/tracing"
	"egovpm/schema"
)

// Deps are the live connections of a process.
type Deps struct {
	Store    *store.Store
	Temporal client.Client
	// Metrics is the process's registry: the Temporal SDK's metrics, the read model's pools
	// and what the process adds (the gateway's requests); metrics.Serve serves it.
	Metrics *prometheus.Registry
	// closeMetrics stops the SDK metrics' reporting.
	closeMetrics io.Closer
}

// Close releases the connections.
func (d *Deps) Close() {
	if d.Temporal != nil {
		d.Temporal.Close()
	}
	if d.closeMetrics != nil {
		_ = d.closeMetrics.Close()
	}
	if d.Store != nil {
		_ = d.Store.Close()
	}
}

// OpenStore connects to Postgres and refuses a schema older than this build.
func OpenStore(ctx context.Context, cfg config.Config) (*store.Store, error) {
	db, err := store.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return nil, fmt.Errorf("%w (is PostgreSQL running? `make dev` expects it on 127.0.0.1:5432; see README)", err)
	}
	store.SetPool(db, cfg.DBMaxConns)
	if err := schema.Check(ctx, db.DB); err != nil {
		_ = db.Close()
		return nil, err
	}
	return store.New(db, audit.New(cfg.AuditKey)), nil
}

// DialTemporal connects a Temporal client with zap logging and tracing.
func DialTemporal(ctx context.Context, cfg config.Config, log *zap.Logger) (client.Client, error) {
	return dialTemporal(ctx, cfg, log, nil)
}

// dialTemporal is DialTemporal reporting the SDK's metrics to mh (nil: none).
func dialTemporal(ctx context.Context, cfg config.Config, log *zap.Logger, mh client.MetricsHandler) (client.Client, error) {
	opts, err := ClientOptions(cfg)
	if err != nil {
		return nil, err
	}
	opts.Logger = logging.NewTemporal(log.Named("temporal"))
	opts.MetricsHandler = mh
	// Tracing: the client's calls and, through the worker made from this client, the
	// workflows and activities (internal/tracing).
	ti, err := tracing.TemporalInterceptor()
	if err != nil {
		return nil, err
	}
	opts.Interceptors = append(opts.Interceptors, ti)
	dialCtx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	c, err := client.DialContext(dialCtx, opts)
	if err != nil {
		return nil, fmt.Errorf("connect to Temporal at %s (namespace %s): %w", cfg.TemporalAddress, cfg.TemporalNamespace, err)
	}
	return c, nil
}

// Compression is the SDK's setting for TEMPORAL_GRPC_COMPRESSION ("gzip" or "none").
func Compression(name string) client.GrpcCompression {
	if name == "gzip" {
		return &client.GrpcCompressionGzip{}
	}
	return &client.GrpcCompressionNone{}
}

// Connect opens the store and the Temporal client, both reporting to a new metrics registry
// (Deps.Metrics). With EGOVPM_METRICS_ADDR=off nothing could read that registry: there is
// none (Deps.Metrics nil), and the SDK counts nothing.
func Connect(ctx context.Context, cfg config.Config, log *zap.Logger) (*Deps, error) {
	st, err := OpenStore(ctx, cfg)
	if err != nil {
		return nil, err
	}
	if cfg.MetricsAddr == config.MetricsOff {
		tc, err := dialTemporal(ctx, cfg, log, nil)
		if err != nil {
			_ = st.Close()
			return nil, err
		}
		return &Deps{Store: st, Temporal: tc}, nil
	}
	reg := metrics.NewRegistry()
	reg.MustRegister(metrics.NewDBCollector(st.Pools, func() map[string]int {
		main, inbox := st.QueuedReads()
		return map[string]int{"main": main, "inbox": inbox}
	}))
	mh, closeMetrics := metrics.NewTemporalHandler(reg, log)
	tc, err := dialTemporal(ctx, cfg, log, mh)
	if err != nil {
		_ = closeMetrics.Close()
		_ = st.Close()
		return nil, err
	}
	return &Deps{Store: st, Temporal: tc, Metrics: reg, closeMetrics: closeMetrics}, nil
}
