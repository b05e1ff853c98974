package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"time"
)

// ActivityFailure is a row of activity_failures: a regular activity of a workflow that gave up
// for good (O1), open until ops resolves it.
type ActivityFailure struct {
	ID           string         `db:"id" json:"id"`
	WorkflowID   string         `db:"workflow_id" json:"workflow_id"`
	RunID        string         `db:"run_id" json:"run_id"`
	ProjectID    sql.NullString `db:"project_id" json:"-"`
	ActivityType string         `db:"activity_type" json:"activity_type"`
	Error        string         `db:"error" json:"error"`
	FailedAt     time.Time      `db:"failed_at" json:"failed_at"`
	ResolvedAt   sql.NullTime   `db:"resolved_at" json:"-"`
	ResolvedBy   sql.NullString `db:"resolved_by" json:"-"`
	Resolution   string         `db:"resolution" json:"resolution"`
}

// FailureID is the id of the activity failure a transition records: URL-safe (it names the
// failure in the ops route) and derived from the transition's id, so a retried write adds
// nothing.
func FailureID(transitionID string) string {
	sum := sha256.Sum256([]byte(transitionID))
	return "af-" + hex.EncodeToString(sum[:12])
}

const failureCols = `id, workflow_id, run_id, project_id, activity_type, error, failed_at, resolved_at, resolved_by, resolution`

// ErrAlreadyResolved is returned when an activity failure was resolved before.
var ErrAlreadyResolved = errors.New("activity failure already resolved")

// OpenActivityFailures lists up to limit unresolved activity failures, oldest first.
func (s *Store) OpenActivityFailures(ctx context.Context, limit int) ([]ActivityFailure, error) {
	var out []ActivityFailure
	err := s.db.SelectContext(ctx, &out, `SELECT `+failureCols+` FROM activity_failures
		WHERE resolved_at IS NULL ORDER BY failed_at, id LIMIT $1`, limit)
	if err != nil {
		return nil, fmt.Errorf("open activity failures: %w", err)
	}
	return out, nil
}

// ResolveActivityFailure marks failure id resolved by actorID (a user id, or "cli") with a comment and returns the
// row; ErrNotFound when there is none, ErrAlreadyResolved when it was resolved before.
func (s *Store) ResolveActivityFailure(ctx context.Context, t *Tx, id, actorID, comment string) (ActivityFailure, error) {
	tx := t.tx
	var f ActivityFailure
	err := tx.GetContext(ctx, &f, `UPDATE activity_failures SET resolved_at = now(), resolved_by = $2, resolution = $3
		WHERE id = $1 AND resolved_at IS NULL RETURNING `+failureCols, id, actorID, comment)
	if errors.Is(err, sql.ErrNoRows) {
		var n int
		if err := tx.GetContext(ctx, &n, `SELECT count(*) FROM activity_failures WHERE id = $1`, id); err != nil {
			return f, fmt.Errorf("activity failure %s: %w", id, err)
		}
		if n == 0 {
			return f, ErrNotFound
		}
		return f, ErrAlreadyResolved
	}
	if err != nil {
		return f, fmt.Errorf("resolve activity failure %s: %w", id, err)
	}
	return f, nil
}
