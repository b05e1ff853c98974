// Package store is the PostgreSQL read model: sqlx repositories over the tables of schema/.
//
// Workflows own lifecycle state; the store is its projection plus reference data. Every write
// an activity makes is an idempotent upsert keyed by an id derived from the workflow.
package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/XSAM/otelsql"
	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
	"go.opentelemetry.io/otel/attribute"
	metricnoop "go.opentelemetry.io/otel/metric/noop"
	"go.opentelemetry.io/otel/trace"

	"egovpm/internal/audit"
)

// Store wraps the database handle and the audit chain. Only the store runs SQL: the gateway,
// the activities, the CLI and internal/ops call its methods, and hold a transaction only as
// the opaque *Tx that WithTx hands them.
type Store struct {
	db    *sqlx.DB
	Audit *audit.Chain
	stmts *stmtCache
	// inboxStmts, when set, caches the statements of the pool the inbox query runs on
	// (UseInboxPool).
	inboxStmts *stmtCache
	// similarSlots bounds the ComputeSimilar scans that run at once (SimilarScans).
	similarSlots chan struct{}
}

// Close closes the store's pools.
func (s *Store) Close() error {
	if s.inboxStmts != nil {
		_ = s.inboxStmts.db.Close()
	}
	return s.db.Close()
}

// OpenInbox opens a pool of n connections for the inbox query alone, whose sessions use the
// query's generic plan (plan_cache_mode = force_generic_plan, a startup parameter of these
// sessions only): otherwise PostgreSQL re-plans the inbox query on every call, its custom
// plans looking cheaper than the generic one, and planning costs more than running it. The
// setting is kept off the main pool, where it turns optional-filter lookups into worse plans.
func OpenInbox(ctx context.Context, databaseURL string, n int) (*sqlx.DB, error) {
	u, err := withSessionParam(databaseURL, "plan_cache_mode", "force_generic_plan")
	if err != nil {
		return nil, err
	}
	db, err := Open(ctx, u)
	if err != nil {
		return nil, err
	}
	SetPool(db, n)
	return db, nil
}

// withSessionParam adds a run-time parameter to a PostgreSQL connection string (URL or
// key=value form); lib/pq sends parameters it does not know itself at session start.
func withSessionParam(databaseURL, key, value string) (string, error) {
	if strings.HasPrefix(databaseURL, "postgres://") || strings.HasPrefix(databaseURL, "postgresql://") {
		u, err := url.Parse(databaseURL)
		if err != nil {
			return "", fmt.Errorf("database URL: %w", err)
		}
		q := u.Query()
		q.Set(key, value)
		u.RawQuery = q.Encode()
		return u.String(), nil
	}
	return strings.TrimSpace(databaseURL) + " " + key + "=" + value, nil
}

// UseInboxPool makes ListTasks run on db (OpenInbox); the store closes it with its own.
func (s *Store) UseInboxPool(db *sqlx.DB) {
	s.inboxStmts = newStmtCache(db)
}

// New returns a Store over db, auditing with chain.
func New(db *sqlx.DB, chain *audit.Chain) *Store {
	s := &Store{db: db, stmts: newStmtCache(db), similarSlots: make(chan struct{}, SimilarScans)}
	if chain != nil { // a store that only reads needs no chain
		s.Audit = chain.WithStmt(s.txStmt)
	}
	return s
}

// Open connects to databaseURL and checks the connection. Its statements are traced
// (sqlTraceOptions).
func Open(ctx context.Context, databaseURL string) (*sqlx.DB, error) {
	sdb, err := otelsql.Open("postgres", databaseURL, sqlTraceOptions...)
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	db := sqlx.NewDb(sdb, "postgres")
	SetPool(db, 16)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("connect to database %s: %w", redact(databaseURL), err)
	}
	return db, nil
}

// SetPool caps db at n connections and keeps up to n of them open while idle (for five
// minutes), so that a burst of requests reuses sessions instead of forking new PostgreSQL
// backends: with 16 idle of 32 open, 64 concurrent readers opened ~5 sessions a second.
func SetPool(db *sqlx.DB, n int) {
	db.SetMaxOpenConns(n)
	db.SetMaxIdleConns(n)
	db.SetConnMaxIdleTime(5 * time.Minute)
}

// EnsureDatabase creates the database named in databaseURL if it does not exist, connecting
// to the server's "postgres" database to do so.
func EnsureDatabase(ctx context.Context, databaseURL string) error {
	u, err := url.Parse(databaseURL)
	if err != nil {
		return fmt.Errorf("parse DATABASE_URL: %w", err)
	}
	name := strings.TrimPrefix(u.Path, "/")
	if name == "" {
		return errors.New("DATABASE_URL names no database")
	}
	admin := *u
	admin.Path = "/postgres"
	db, err := Open(ctx, admin.String())
	if err != nil {
		return err
	}
	defer db.Close()
	var exists bool
	if err := db.GetContext(ctx, &exists, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, name); err != nil {
		return fmt.Errorf("look up database %s: %w", name, err)
	}
	if exists {
		return nil
	}
	_, err = db.ExecContext(ctx, `CREATE DATABASE `+pq.QuoteIdentifier(name))
	var pqErr *pq.Error
	if errors.As(err, &pqErr) && pqErr.Code == "42P04" { // created concurrently
		return nil
	}
	if err != nil {
		return fmt.Errorf("create database %s: %w", name, err)
	}
	return nil
}

func redact(databaseURL string) string {
	u, err := url.Parse(databaseURL)
	if err != nil {
		return "(unparseable URL)"
	}
	return u.Redacted()
}

// DB is the store's main pool, for tests, benchmarks and the fault test, which set up and
// inspect rows directly. The processes' packages do not call it (docs/ARCHITECTURE.md,
// internal/archtest).
func (s *Store) DB() *sqlx.DB { return s.db }

// Tx is a transaction of the store. WithTx hands it to a closure, which passes it back to the
// store's methods (and AppendAudit) so that their writes commit or roll back together; only
// the store runs SQL on it.
type Tx struct{ tx *sqlx.Tx }

// WithTx runs fn in a transaction, committing when it returns nil.
func (s *Store) WithTx(ctx context.Context, fn func(tx *Tx) error) error {
	return s.inTx(ctx, func(tx *sqlx.Tx) error { return fn(&Tx{tx: tx}) })
}

// inTx runs fn in a transaction, committing when it returns nil.
func (s *Store) inTx(ctx context.Context, fn func(tx *sqlx.Tx) error) error {
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// ErrNotFound is returned when a row does not exist.
var ErrNotFound = errors.New("not found")

func notFound(err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return ErrNotFound
	}
	return err
}

// placeholders returns the one argument builder of the store's composed queries: each call
// appends v to *args and returns its placeholder ($1, $2, …).
func placeholders(args *[]any) func(v any) string {
	return func(v any) string {
		*args = append(*args, v)
		return "$" + strconv.Itoa(len(*args))
	}
}

// sqlTraceOptions make a span of each statement, prepare and transaction the store runs for a
// traced caller (a request, an activity): named by operation (sql.conn.exec, sql.stmt.query,
// sql.conn.begin_tx…) with the statement's text, never its arguments. A statement whose
// context holds no recording span makes none: not the monitor's scans or pool upkeep (no
// span), and not a caller's under a span that does not record (no exporter: tracing.Setup
// samples nothing), whose child's ids would go nowhere — the trace id that log lines and
// audit rows carry is the caller's, in ctx either way (issue 21, docs/PERFORMANCE.md §10.3).
// Neither do the per-row and session-reset steps; the driver's metrics go nowhere (the pool
// metrics are internal/metrics').
var sqlTraceOptions = []otelsql.Option{
	otelsql.WithAttributes(attribute.String("db.system.name", "postgresql")),
	otelsql.WithMeterProvider(metricnoop.NewMeterProvider()),
	otelsql.WithSpanOptions(otelsql.SpanOptions{
		OmitConnResetSession: true,
		OmitRows:             true,
		OmitConnectorConnect: true,
		DisableErrSkip:       true,
		SpanFilter: func(ctx context.Context, _ otelsql.Method, _ string, _ []driver.NamedValue) bool {
			return trace.SpanFromContext(ctx).IsRecording()
		},
	}),
}
