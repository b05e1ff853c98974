package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"egovpm/internal/domain"
)

// applyChangeWrites writes a transition's change request (项目变更): the row when it is filed,
// its decision when decided (once: a decided row keeps its first decision), and what an
// approved change applies: the new approved amount (R7: the contract's and the payments' cap,
// R15) or the contract's new vendor (R9). Idempotent: a retry writes the same values.
func (s *Store) applyChangeWrites(ctx context.Context, tx *sqlx.Tx, t domain.Transition) error {
	c := t.Change
	if c == nil {
		return nil
	}
	const q = `INSERT INTO project_changes (id, project_id, seq, kind, description, reason, old_amount_fen, new_amount_fen,
			new_vendor, task_id, decider_role, decider_org, reapproval, status, requested_by, decided_by, decided_at, comment)
		VALUES ($1, $2, $3, $4, $5, $6, NULLIF($7, 0), NULLIF($8, 0), NULLIF($9, ''), $10, $11, NULLIF($12, ''), $13, $14, $15,
			NULLIF($16, ''), CASE WHEN $14 <> 'pending' THEN now() END, NULLIF($17, ''))
		ON CONFLICT (id) DO UPDATE SET status = EXCLUDED.status, decided_by = EXCLUDED.decided_by,
			decided_at = EXCLUDED.decided_at, comment = EXCLUDED.comment
		WHERE project_changes.status = 'pending' AND EXCLUDED.status <> 'pending'`
	if _, err := s.txExec(ctx, tx, q, c.ID, t.ProjectID, c.Seq, string(c.Kind), c.Description, c.Reason, c.OldAmountFen,
		c.NewAmountFen, c.NewVendor, c.TaskID, c.DeciderRole, c.DeciderOrg, c.Reapproval, c.Status, c.RequestedBy,
		c.DecidedBy, c.Comment); err != nil {
		return fmt.Errorf("change %s: %w", c.ID, err)
	}
	if c.Status != domain.ChangeApproved {
		return nil
	}
	switch c.Kind {
	case domain.ChangeAmount:
		if _, err := s.txExec(ctx, tx, `UPDATE projects SET approved_amount_fen = $2, updated_at = now(), version = version + 1
			WHERE id = $1 AND approved_amount_fen IS DISTINCT FROM $2`, t.ProjectID, c.NewAmountFen); err != nil {
			return fmt.Errorf("change %s: approved amount: %w", c.ID, err)
		}
	case domain.ChangeVendor:
		if _, err := s.txExec(ctx, tx, `UPDATE contracts SET vendor = $2 WHERE project_id = $1`, t.ProjectID, c.NewVendor); err != nil {
			return fmt.Errorf("change %s: vendor: %w", c.ID, err)
		}
	}
	return nil
}

// ChangeRow is one change request of a project as GET /projects/{id}/changes shows it.
type ChangeRow struct {
	ID           string     `db:"id" json:"id"`
	Seq          int        `db:"seq" json:"seq"`
	Kind         string     `db:"kind" json:"kind"`
	Description  string     `db:"description" json:"description"`
	Reason       string     `db:"reason" json:"reason"`
	OldAmountFen *int64     `db:"old_amount_fen" json:"old_amount_fen"`
	NewAmountFen *int64     `db:"new_amount_fen" json:"new_amount_fen"`
	NewVendor    *string    `db:"new_vendor" json:"new_vendor"`
	TaskID       string     `db:"task_id" json:"task_id"`
	DeciderRole  string     `db:"decider_role" json:"decider_role"`
	DeciderOrg   *string    `db:"decider_org" json:"decider_org"`
	Reapproval   bool       `db:"reapproval" json:"reapproval"`
	Status       string     `db:"status" json:"status"`
	RequestedBy  string     `db:"requested_by" json:"requested_by"`
	RequestedAt  time.Time  `db:"requested_at" json:"requested_at"`
	DecidedBy    *string    `db:"decided_by" json:"decided_by"`
	DecidedAt    *time.Time `db:"decided_at" json:"decided_at"`
	Comment      *string    `db:"comment" json:"comment"`
}

// ProjectChanges lists a project's change requests, the first filed first.
func (s *Store) ProjectChanges(ctx context.Context, projectID string) ([]ChangeRow, error) {
	out := []ChangeRow{}
	err := s.selectP(ctx, &out, `SELECT id, seq, kind, description, reason, old_amount_fen, new_amount_fen, new_vendor, task_id,
		decider_role, decider_org, reapproval, status, requested_by, requested_at, decided_by, decided_at, comment
		FROM project_changes WHERE project_id = $1 ORDER BY seq`, projectID)
	if err != nil {
		return nil, fmt.Errorf("project changes: %w", err)
	}
	return out, nil
}
