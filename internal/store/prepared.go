package store

import (
	"context"
	"database/sql"
	"sync"

	"github.com/jmoiron/sqlx"
)

// stmtCache holds the prepared statements of the hot read queries, by query text. database/sql
// prepares each on a connection the first time it runs there, so PostgreSQL plans a query once
// per session (a generic plan once it has seen five executions) instead of on every request:
// the inbox query took 0.4–0.6 ms to plan and 0.3 ms to run (docs/PERFORMANCE.md, reads).
type stmtCache struct {
	m sync.Map // string → *sqlx.Stmt
}

// prepared returns the prepared statement of q, preparing it on first use.
func (s *Store) prepared(ctx context.Context, q string) (*sqlx.Stmt, error) {
	return s.stmts.prepare(ctx, s.DB, q)
}

// prepare returns the statement of q on db from the cache, preparing it on first use.
func (c *stmtCache) prepare(ctx context.Context, db *sqlx.DB, q string) (*sqlx.Stmt, error) {
	if v, ok := c.m.Load(q); ok {
		return v.(*sqlx.Stmt), nil
	}
	st, err := db.PreparexContext(ctx, q)
	if err != nil {
		return nil, err
	}
	if v, loaded := c.m.LoadOrStore(q, st); loaded {
		_ = st.Close()
		return v.(*sqlx.Stmt), nil
	}
	return st, nil
}

// selectInbox is selectP on the inbox pool when there is one (UseInboxPool).
func (s *Store) selectInbox(ctx context.Context, dest any, q string, args ...any) error {
	if s.inbox == nil {
		return s.selectP(ctx, dest, q, args...)
	}
	return s.inboxStmts.selectOn(ctx, s.inbox, dest, q, args...)
}

// getP is DB.GetContext through the statement cache.
func (s *Store) getP(ctx context.Context, dest any, q string, args ...any) error {
	st, err := s.prepared(ctx, q)
	if err != nil {
		return err
	}
	return st.GetContext(ctx, dest, args...)
}

// selectP is DB.SelectContext through the statement cache.
func (s *Store) selectP(ctx context.Context, dest any, q string, args ...any) error {
	return s.stmts.selectOn(ctx, s.DB, dest, q, args...)
}

// selectOn runs q on db through c.
func (c *stmtCache) selectOn(ctx context.Context, db *sqlx.DB, dest any, q string, args ...any) error {
	st, err := c.prepare(ctx, db, q)
	if err != nil {
		return err
	}
	return st.SelectContext(ctx, dest, args...)
}

// txStmt returns q from the statement cache, bound to tx: it is prepared once per connection,
// so the writes of a transition (one per decision) and its audit append are neither parsed nor
// planned again on every call.
func (s *Store) txStmt(ctx context.Context, tx *sqlx.Tx, q string) (*sqlx.Stmt, error) {
	st, err := s.prepared(ctx, q)
	if err != nil {
		return nil, err
	}
	return tx.StmtxContext(ctx, st), nil
}

// txExec is tx.ExecContext through the statement cache.
func (s *Store) txExec(ctx context.Context, tx *sqlx.Tx, q string, args ...any) (sql.Result, error) {
	st, err := s.txStmt(ctx, tx, q)
	if err != nil {
		return nil, err
	}
	return st.ExecContext(ctx, args...)
}

// txGet is tx.GetContext through the statement cache.
func (s *Store) txGet(ctx context.Context, tx *sqlx.Tx, dest any, q string, args ...any) error {
	st, err := s.txStmt(ctx, tx, q)
	if err != nil {
		return err
	}
	return st.GetContext(ctx, dest, args...)
}
