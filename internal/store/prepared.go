package store

import (
	"context"
	"database/sql"
	"sync"
	"sync/atomic"

	"github.com/jmoiron/sqlx"
)

// stmtCache holds the prepared statements of the hot read queries, by query text. database/sql
// prepares each on a connection the first time it runs there, so PostgreSQL plans a query once
// per session (a generic plan once it has seen five executions) instead of on every request:
// planning the inbox query costs more than running it.
//
// It also queues the reads it runs on its pool in arrival order (gate): database/sql hands a
// freed connection to a random waiter, so under load a few requests would wait many turns.
// The gate admits as many reads
// as the pool has connections and queues the rest first come, first served (a channel's
// blocked senders are woken in order). Transactions do not pass it: they hold a connection.
type stmtCache struct {
	db      *sqlx.DB
	m       sync.Map      // string → *sqlx.Stmt
	gate    chan struct{} // nil: the pool is unbounded
	waiting atomic.Int64  // reads at the gate, not yet admitted
}

func newStmtCache(db *sqlx.DB) *stmtCache {
	c := &stmtCache{db: db}
	if n := db.Stats().MaxOpenConnections; n > 0 {
		c.gate = make(chan struct{}, n)
	}
	return c
}

// enter waits for the gate, in arrival order; leave when the read is done with its connection.
func (c *stmtCache) enter(ctx context.Context) error {
	if c.gate == nil {
		return nil
	}
	c.waiting.Add(1)
	defer c.waiting.Add(-1)
	select {
	case c.gate <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// QueuedReads is how many reads wait for the gate of the main pool and of the inbox pool (0
// without one): reads beyond the pool's connections, in arrival order.
func (s *Store) QueuedReads() (main, inbox int) {
	main = int(s.stmts.waiting.Load())
	if s.inboxStmts != nil {
		inbox = int(s.inboxStmts.waiting.Load())
	}
	return main, inbox
}

func (c *stmtCache) leave() {
	if c.gate != nil {
		<-c.gate
	}
}

// prepare returns the statement of q on the cache's pool, preparing it on first use.
func (c *stmtCache) prepare(ctx context.Context, q string) (*sqlx.Stmt, error) {
	if v, ok := c.m.Load(q); ok {
		return v.(*sqlx.Stmt), nil
	}
	st, err := c.db.PreparexContext(ctx, q)
	if err != nil {
		return nil, err
	}
	if v, loaded := c.m.LoadOrStore(q, st); loaded {
		_ = st.Close()
		return v.(*sqlx.Stmt), nil
	}
	return st, nil
}

// read runs fn on q's statement once the gate admits it.
func (c *stmtCache) read(ctx context.Context, q string, fn func(*sqlx.Stmt) error) error {
	if err := c.enter(ctx); err != nil {
		return err
	}
	defer c.leave()
	st, err := c.prepare(ctx, q)
	if err != nil {
		return err
	}
	return fn(st)
}

// inboxCache is the statement cache of the inbox pool when there is one (UseInboxPool), else
// the main pool's.
func (s *Store) inboxCache() *stmtCache {
	if s.inboxStmts != nil {
		return s.inboxStmts
	}
	return s.stmts
}

// selectInbox is selectP on the inbox pool when there is one.
func (s *Store) selectInbox(ctx context.Context, dest any, q string, args ...any) error {
	return s.inboxCache().read(ctx, q, func(st *sqlx.Stmt) error { return st.SelectContext(ctx, dest, args...) })
}

// queryInbox is QueryContext through the statement cache, on the inbox pool when there is one;
// call done once the rows are closed (it holds the gate until then).
func (s *Store) queryInbox(ctx context.Context, q string, args ...any) (rows *sql.Rows, done func(), err error) {
	c := s.inboxCache()
	if err := c.enter(ctx); err != nil {
		return nil, nil, err
	}
	st, err := c.prepare(ctx, q)
	if err == nil {
		rows, err = st.QueryContext(ctx, args...)
	}
	if err != nil {
		c.leave()
		return nil, nil, err
	}
	return rows, c.leave, nil
}

// getP is DB.GetContext through the statement cache.
func (s *Store) getP(ctx context.Context, dest any, q string, args ...any) error {
	return s.stmts.read(ctx, q, func(st *sqlx.Stmt) error { return st.GetContext(ctx, dest, args...) })
}

// selectP is DB.SelectContext through the statement cache.
func (s *Store) selectP(ctx context.Context, dest any, q string, args ...any) error {
	return s.stmts.read(ctx, q, func(st *sqlx.Stmt) error { return st.SelectContext(ctx, dest, args...) })
}

// txStmt returns q from the statement cache, bound to tx: it is prepared once per connection,
// so the writes of a transition (one per decision) and its audit append are neither parsed nor
// planned again on every call.
func (s *Store) txStmt(ctx context.Context, tx *sqlx.Tx, q string) (*sqlx.Stmt, error) {
	st, err := s.stmts.prepare(ctx, q)
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
