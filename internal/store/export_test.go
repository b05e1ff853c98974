package store

import (
	"context"

	"github.com/jmoiron/sqlx"
)

// SQLTx is tx's transaction, for the tests that set rows up inside one.
func SQLTx(tx *Tx) *sqlx.Tx { return tx.tx }

// WrapTx is tx as a *Tx, for the tests that hold a transaction open across goroutines.
func WrapTx(tx *sqlx.Tx) *Tx { return &Tx{tx: tx} }

// FundsQuery is Funds' statement and arguments for f, for the tests that EXPLAIN it.
func FundsQuery(f FundsFilter) (string, []any, error) { return fundsQuery(f) }

// ListProjectsQuery is ListProjects' statement and arguments for f, for the tests that EXPLAIN it.
func ListProjectsQuery(f ProjectFilter) (string, []any, error) { return listProjectsQuery(f) }

// NextUnsentSQL is SendNotifications' read of the next unsent row of a prefix, for the tests
// that EXPLAIN it.
const NextUnsentSQL = nextUnsentSQL

// UnsentByIDSQL is the mail sweep's read of one stale row by its id, for the tests that
// EXPLAIN it.
const UnsentByIDSQL = unsentByIDSQL

// SendUnsentByID sends notification id if unsent, as the mail sweep does
// (SendStaleNotifications).
func SendUnsentByID(ctx context.Context, s *Store, id string, send func(PendingNotification) error) (int, error) {
	return s.sendUnsent(ctx, unsentByIDSQL, id, send)
}

// RecordUnsentMailBatch is the most records one transaction of RecordUnsentMail adds, for the
// test that races a full batch with another sweep.
const RecordUnsentMailBatch = recordUnsentMailBatch

// InsertNoticesSQL is the statement that writes a transition's derived notices, for the test
// that EXPLAINs it.
var InsertNoticesSQL = insertNoticesSQL

// TaskListQuery is ListTasks' statement and arguments for f, for the tests that EXPLAIN it.
func TaskListQuery(f TaskFilter) (string, []any, error) { return taskListQuery(f, taskCols) }

// HeldForDigestSQL is the condition under which a notification's mail waits for its user's
// daily digest, for the test that keeps it in step with InstantKinds.
const HeldForDigestSQL = heldForDigest
