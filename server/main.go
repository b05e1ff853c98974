// Command server is the egovpm HTTP gateway: it authenticates people, authorises them
// against the read model, starts workflows and delivers their decisions as Temporal Updates.
package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"go.uber.org/zap"

	"egovpm/internal/config"
	"egovpm/internal/logging"
	"egovpm/internal/metrics"
	"egovpm/internal/platform"
	"egovpm/internal/store"
	"egovpm/internal/tracing"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "server:", err)
		os.Exit(1)
	}
}

// useInboxPool gives the gateway's inbox query a pool of its own, whose sessions plan it
// generically (store.OpenInbox): DATABASE_MAX_CONNS/2 connections, at least 2.
func useInboxPool(ctx context.Context, cfg config.Config, st *store.Store) error {
	inbox, err := store.OpenInbox(ctx, cfg.DatabaseURL, max(2, cfg.DBMaxConns/2))
	if err != nil {
		return err
	}
	st.UseInboxPool(inbox)
	return nil
}

func run() error {
	cfg, err := config.Load(os.Getenv)
	if err != nil {
		return err
	}
	cfg.Component = "gateway"
	log, err := logging.New(cfg.LogLevel)
	if err != nil {
		return err
	}
	defer func() { _ = log.Sync() }()
	platform.TuneGC(os.LookupEnv, platform.GatewayGC, log)

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	tr, err := tracing.Setup(ctx, os.Getenv, "egovpm-gateway", log)
	if err != nil {
		return err
	}
	defer shutdownTracing(tr, log)

	deps, err := platform.Connect(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer deps.Close()
	if err := useInboxPool(ctx, cfg, deps.Store); err != nil {
		return err
	}
	platform.ServePprof(ctx, cfg.PprofAddr, log)

	srv, err := New(cfg, deps, log)
	if err != nil {
		return err
	}
	// The gateway starts without the search attributes (/readyz names them), but says so now.
	if err := platform.CheckSearchAttributes(ctx, deps.Temporal, cfg.TemporalNamespace); err != nil {
		log.Error("not ready: Temporal search attributes", zap.Error(err))
	}
	if addr := cfg.MetricsListen(config.DefaultGatewayMetricsAddr); addr != "" {
		if _, err := metrics.Serve(ctx, addr, deps.Metrics, log); err != nil {
			log.Error("metrics not served", zap.String("addr", addr), zap.Error(err))
		}
	}
	httpSrv := &http.Server{
		Addr:              cfg.HTTPAddr,
		Handler:           srv.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       5 * time.Minute, // uploads up to the size limit on slow links
		WriteTimeout:      5 * time.Minute,
		IdleTimeout:       2 * time.Minute,
	}
	checkpointsDone := make(chan struct{})
	go func() {
		defer close(checkpointsDone)
		srv.RunCheckpoints(ctx, cfg.AuditCheckpointEvery) // R18: the audit head anchored outside the database
	}()
	defer func() { stop(); <-checkpointsDone }() // the last checkpoint is written before the process exits
	errc := make(chan error, 1)
	go func() { errc <- httpSrv.ListenAndServe() }()
	log.Info("server listening", zap.String("addr", cfg.HTTPAddr))

	select {
	case err := <-errc:
		if !errors.Is(err, http.ErrServerClosed) {
			return fmt.Errorf("listen on %s: %w", cfg.HTTPAddr, err)
		}
		return nil
	case <-ctx.Done():
	}
	log.Info("server stopping")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	return httpSrv.Shutdown(shutdownCtx)
}

// shutdownTracing exports the spans not yet sent (an exporter configured) before the process
// exits.
func shutdownTracing(tr *tracing.Tracing, log *zap.Logger) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := tr.Shutdown(ctx); err != nil {
		log.Warn("tracing shutdown", zap.Error(err))
	}
}
