// Command devserver runs an embedded Temporal server for local development and tests.
//
// All Temporal services (frontend, history, matching and worker) run inside this one
// process. State is kept in a SQLite file (or, with --store postgres, in two PostgreSQL
// databases), so workflows survive a restart. At start the
// devserver creates the database schema when the file is new, registers the namespace and
// the custom search attributes the application relies on, and optionally serves the
// Temporal Web UI.
//
// Usage:
//
//	devserver [flags]
//
// Every flag can also be set through an environment variable. A flag given on the command
// line wins over the environment, and the environment wins over the built-in default.
//
//	--addr       TEMPORAL_DEVSERVER_ADDR  Frontend gRPC address, IP or localhost with a
//	                                      port (default 127.0.0.1:7233). The history,
//	                                      matching and worker services and the frontend
//	                                      HTTP API listen on free loopback ports chosen at
//	                                      start, so several devservers can run side by side
//	                                      on different --addr values.
//	--db-file    TEMPORAL_DB_FILE         SQLite database file (default
//	                                      .data/temporal/temporal.db, relative to the
//	                                      working directory). Parent directories are created.
//	--store      TEMPORAL_STORE           Persistence store: sqlite (default) or postgres.
//	--pg-url     TEMPORAL_PG_URL          PostgreSQL server of --store postgres (default
//	                                      postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable);
//	                                      its database part names the maintenance database
//	                                      used to create the two below.
//	--pg-database TEMPORAL_PG_DATABASE    Persistence database (default temporal).
//	--pg-visibility-database TEMPORAL_PG_VISIBILITY_DATABASE
//	                                      Visibility database (default temporal_visibility).
//	                                      Both are created when missing; their schemas are set
//	                                      up and upgraded by the server's own schema tool
//	                                      (go.temporal.io/server/tools/sql and the schemas
//	                                      embedded in go.temporal.io/server/schema), as
//	                                      temporal-sql-tool does. A database holding other
//	                                      tables is refused.
//	                                      When the server's autovacuum is off, the devserver
//	                                      vacuums and analyses the two databases' tables
//	                                      itself, at autovacuum's default thresholds
//	                                      (vacuum.go).
//	--pg-synchronous-commit TEMPORAL_PG_SYNCHRONOUS_COMMIT
//	                                      synchronous_commit of the server's sessions: off
//	                                      (default) or on. Off matches the SQLite store's
//	                                      synchronous=NORMAL: a crash of the devserver loses
//	                                      nothing, a crash of PostgreSQL or the machine may
//	                                      lose the last fraction of a second; on waits for
//	                                      a WAL flush at every commit.
//	--namespace  TEMPORAL_NAMESPACE       Namespace to register (default "default").
//	--retention  TEMPORAL_RETENTION       Retention of closed workflows, used when the
//	                                      namespace is created (default 168h, at least 24h).
//	--ui         TEMPORAL_UI              Serve the Temporal Web UI: true or false (default
//	                                      true).
//	--ui-addr    TEMPORAL_UI_ADDR         Web UI HTTP address (default 127.0.0.1:8233);
//	                                      --ui-addr= (empty) disables the UI.
//	--ui-write-actions TEMPORAL_UI_WRITE_ACTIONS
//	                                      Let the Web UI change workflows: terminate, reset,
//	                                      signal, cancel, Update, start and batch actions
//	                                      (default false: the UI only reads, and its server
//	                                      answers 405 to every write request). A change made
//	                                      there has no audit row until the worker's
//	                                      reconciliation finds it (docs/AUDIT.md).
//	--log-level  LOG_LEVEL                Level of the Temporal server's own logs: debug,
//	                                      info, warn or error (default warn). The
//	                                      devserver's messages are logged at info.
//	--pprof-addr TEMPORAL_PPROF_ADDR      Serve Go profiles (net/http/pprof) on this loopback
//	                                      host:port, to measure the server (default off).
//	--metrics-addr TEMPORAL_METRICS_ADDR  Serve the Temporal server's Prometheus metrics at
//	                                      /metrics on this host:port (default
//	                                      127.0.0.1:9466; empty is off). A busy default port
//	                                      turns metrics off with a warning; a port set here
//	                                      must be free.
//	--search-attributes TEMPORAL_SEARCH_ATTRIBUTES
//	                                      Register the custom search attributes below at
//	                                      start (default true). false starts the namespace
//	                                      as a stock Temporal server has it, for testing
//	                                      `egovpm temporal-setup`.
//	--long-poll-interval TEMPORAL_LONG_POLL_INTERVAL
//	                                      Long-poll time of the matching service
//	                                      (matching.longPollExpirationInterval; default 0:
//	                                      the server's 1m). Tests shorten it to see a stopped
//	                                      worker's polls age quickly.
//	--history-cache-entries TEMPORAL_HISTORY_CACHE_ENTRIES
//	                                      Workflows whose mutable state the history service
//	                                      keeps in memory (default 32768: a province's year
//	                                      of 10,000 projects fits).
//	--events-cache-mib TEMPORAL_EVENTS_CACHE_MIB
//	                                      History events kept in memory, in MiB (default 64).
//
// Go's GOGC defaults to 400 here and GOMEMLIMIT to 1 GiB plus 96 KiB for each workflow the
// mutable-state cache may keep (4 GiB by default; gc.go); set them to override.
//
// Logs go to stderr. When the server is ready to accept work, exactly one line is written
// to stdout:
//
//	devserver ready address=<addr> namespace=<ns> ui=<url or off>
//
// The custom search attributes ProjectID, UnitID, Stage, TaskKind (Keyword) and PlanYear
// (Int) are registered in the namespace and checked before the ready line is printed
// (unless --search-attributes=false).
//
// SIGINT and SIGTERM stop the server gracefully; so does the end of standard input with
// --stop-on-stdin-close (a flag of no environment variable: for a parent process, a test
// harness or the bench, that holds a pipe to the server's stdin, so that the server ends
// with it even when it is killed). On a start-up failure, such as an address already in use,
// the devserver prints the reason to stderr and exits with status 1.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"os/signal"
	"syscall"
	"time"

	"go.uber.org/zap"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		// After the first signal, restore the default handling so that a second one
		// ends the process at once if the graceful stop hangs.
		<-ctx.Done()
		stop()
	}()
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr)
	stop()
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "devserver: %v\n", err)
		os.Exit(1)
	}
}

// run starts the devserver, prints the ready line to stdout and blocks until ctx is done (or,
// with --stop-on-stdin-close, stdin has ended), then stops the server. Logs are written to
// stderr.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	opts, err := parseOptions(args, getenv, stderr)
	if err != nil {
		return err
	}

	logs := newLoggers(opts.LogLevel, stderr)
	defer logs.sync()
	if opts.StopOnStdinClose {
		var cancel context.CancelFunc
		ctx, cancel = context.WithCancel(ctx)
		defer cancel()
		go func() {
			// Whatever arrives is ignored; the end (EOF, or a read error) is the parent gone.
			_, _ = io.Copy(io.Discard, stdin)
			logs.app.Info("standard input closed: stopping")
			cancel()
		}()
	}
	if percent, limit := tuneGC(getenv, opts.HistoryCacheEntries); percent != 0 || limit != 0 {
		logs.app.Info("garbage collector tuned", zap.Int("gogc", percent), zap.Int64("memory_limit_bytes", limit))
	}

	if opts.PprofAddr != "" {
		ln, err := net.Listen("tcp", opts.PprofAddr)
		if err != nil {
			return fmt.Errorf("pprof listen %s: %w", opts.PprofAddr, err)
		}
		mux := http.NewServeMux()
		mux.HandleFunc("/debug/pprof/", pprof.Index)
		mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
		mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
		mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
		ps := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
		go func() { _ = ps.Serve(ln) }()
		defer ps.Close()
		logs.app.Info("pprof", zap.String("addr", ln.Addr().String()))
	}

	srv, err := startDevServer(ctx, opts, logs)
	if err != nil {
		if ctx.Err() != nil {
			logs.app.Info("interrupted before ready", zap.Error(err))
			return nil
		}
		return err
	}

	uiState := "off"
	if srv.uiURL != "" {
		uiState = srv.uiURL
	}
	if _, err := fmt.Fprintf(stdout, "devserver ready address=%s namespace=%s ui=%s\n",
		srv.frontendAddr, opts.Namespace, uiState); err != nil {
		_ = srv.stop()
		return fmt.Errorf("write ready line: %w", err)
	}

	<-ctx.Done()
	logs.app.Info("shutting down")
	if err := srv.stop(); err != nil {
		return fmt.Errorf("stop: %w", err)
	}
	logs.app.Info("stopped")
	return nil
}
