package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// ReconcileWatermark returns how far the reconciliation of outside changes to workflows has
// looked in namespace (schema 0024), and false before its first run.
func (s *Store) ReconcileWatermark(ctx context.Context, namespace string) (time.Time, bool, error) {
	var w time.Time
	err := s.db.GetContext(ctx, &w, `SELECT watermark FROM temporal_reconcile WHERE namespace = $1`, namespace)
	if errors.Is(err, sql.ErrNoRows) {
		return time.Time{}, false, nil
	}
	if err != nil {
		return time.Time{}, false, fmt.Errorf("reconcile watermark: %w", err)
	}
	return w, true, nil
}

// SetReconcileWatermark records that the reconciliation has looked up to w in namespace. The
// watermark never moves back: a run that started before another finished leaves the later one.
func (s *Store) SetReconcileWatermark(ctx context.Context, namespace string, w time.Time) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO temporal_reconcile (namespace, watermark) VALUES ($1, $2)
		ON CONFLICT (namespace) DO UPDATE SET watermark = GREATEST(temporal_reconcile.watermark, EXCLUDED.watermark),
		updated_at = now()`, namespace, w)
	if err != nil {
		return fmt.Errorf("set reconcile watermark: %w", err)
	}
	return nil
}

// OpsResetAudited reports whether the audit log has the row of an ops reset (internal/ops,
// action ops.reset, outcome ok) of workflowID that made run newRunID: a reset egovpm made
// itself and recorded.
func (s *Store) OpsResetAudited(ctx context.Context, workflowID, newRunID string) (bool, error) {
	var ok bool
	err := s.db.GetContext(ctx, &ok, `SELECT EXISTS (SELECT 1 FROM audit_log WHERE object_type = 'workflow'
		AND object_id = $1 AND action = 'ops.reset' AND outcome = 'ok' AND detail->>'new_run_id' = $2)`, workflowID, newRunID)
	if err != nil {
		return false, fmt.Errorf("ops reset audited: %w", err)
	}
	return ok, nil
}

// AuditDedupKeyUsed reports whether an audit row with dedup key key exists.
func (s *Store) AuditDedupKeyUsed(ctx context.Context, key string) (bool, error) {
	var ok bool
	if err := s.db.GetContext(ctx, &ok, `SELECT EXISTS (SELECT 1 FROM audit_log WHERE dedup_key = $1)`, key); err != nil {
		return false, fmt.Errorf("audit dedup key: %w", err)
	}
	return ok, nil
}
