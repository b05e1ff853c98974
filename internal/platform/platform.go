// Package platform connects a process to its dependencies (PostgreSQL with a current schema
// and Temporal) the same way in the worker, the server, the CLI and the tests.
package platform

import (
	"context"
	"fmt"
	"time"

	"go.temporal.io/sdk/client"
	"go.uber.org/zap"

	"egovpm/internal/audit"
	"egovpm/internal/config"
	"egovpm/internal/logging"
	"egovpm/internal/store"
	"egovpm/schema"
)

// Deps are the live connections of a process.
type Deps struct {
	Store    *store.Store
	Temporal client.Client
}

// Close releases the connections.
func (d *Deps) Close() {
	if d.Temporal != nil {
		d.Temporal.Close()
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

// DialTemporal connects a Temporal client with zap logging.
func DialTemporal(ctx context.Context, cfg config.Config, log *zap.Logger) (client.Client, error) {
	dialCtx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	c, err := client.DialContext(dialCtx, client.Options{
		HostPort:          cfg.TemporalAddress,
		Namespace:         cfg.TemporalNamespace,
		Logger:            logging.NewTemporal(log.Named("temporal")),
		ConnectionOptions: client.ConnectionOptions{GrpcCompression: Compression(cfg.TemporalCompression)},
	})
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

// Connect opens the store and the Temporal client.
func Connect(ctx context.Context, cfg config.Config, log *zap.Logger) (*Deps, error) {
	st, err := OpenStore(ctx, cfg)
	if err != nil {
		return nil, err
	}
	tc, err := DialTemporal(ctx, cfg, log)
	if err != nil {
		_ = st.DB.Close()
		return nil, err
	}
	return &Deps{Store: st, Temporal: tc}, nil
}
