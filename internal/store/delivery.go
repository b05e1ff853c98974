package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"egovpm/internal/domain"
)

// applyDeliveryWrites writes the contract, trial-run end, O&M filing and evaluation of a
// transition (idempotent: keyed by project, and project + year).
func (s *Store) applyDeliveryWrites(ctx context.Context, tx *sqlx.Tx, t domain.Transition) error {
	if c := t.Contract; c != nil {
		lists, err := json.Marshal(c.DataLists)
		if err != nil {
			return fmt.Errorf("data lists: %w", err)
		}
		const q = `INSERT INTO contracts (project_id, vendor, amount_fen, signed_on, procurement_ref, data_lists, registered_by)
			VALUES ($1,$2,$3,$4,$5,$6,$7) ON CONFLICT (project_id) DO NOTHING`
		if _, err := tx.ExecContext(ctx, q, t.ProjectID, c.Vendor, c.AmountFen, c.SignedOn, c.ProcurementRef, string(lists), c.RegisteredBy); err != nil {
			return fmt.Errorf("contract: %w", err)
		}
	}
	if t.TrialRunEndsAt != nil {
		if _, err := tx.ExecContext(ctx, `UPDATE projects SET trial_run_ends_at = $2 WHERE id = $1`, t.ProjectID, *t.TrialRunEndsAt); err != nil {
			return fmt.Errorf("trial run end: %w", err)
		}
	}
	if c := t.Closure; c != nil {
		// 终止 or 系统下线 (issue 19 item 4): a retry keeps the first closure.
		const q = `UPDATE projects SET closed_as = $2, closed_reason = $3, closed_at = now(),
			closed_settlement_fen = NULLIF($4::bigint, 0) WHERE id = $1 AND closed_as IS NULL`
		if _, err := tx.ExecContext(ctx, q, t.ProjectID, c.As, c.Reason, c.SettlementFen); err != nil {
			return fmt.Errorf("closure: %w", err)
		}
	}
	if f := t.OMFiling; f != nil {
		const q = `INSERT INTO om_filings (project_id, year, due_at, filed_at, document_id, filed_by, overdue, late)
			VALUES ($1, $2, $3, CASE WHEN $4 THEN now() END, NULLIF($5,''), NULLIF($6,''), $7, $8)
			ON CONFLICT (project_id, year) DO UPDATE SET
				filed_at = coalesce(om_filings.filed_at, EXCLUDED.filed_at),
				document_id = coalesce(om_filings.document_id, EXCLUDED.document_id),
				filed_by = coalesce(om_filings.filed_by, EXCLUDED.filed_by),
				overdue = om_filings.overdue OR EXCLUDED.overdue,
				late = om_filings.late OR EXCLUDED.late,
				due_at = CASE WHEN $9 THEN EXCLUDED.due_at ELSE om_filings.due_at END`
		if _, err := tx.ExecContext(ctx, q, t.ProjectID, f.Year, f.DueAt, f.Filed, f.DocumentID, f.FiledBy, f.Overdue, f.Late, f.Extend); err != nil {
			return fmt.Errorf("om filing: %w", err)
		}
	}
	if e := t.Evaluation; e != nil {
		const q = `INSERT INTO evaluations (project_id, round, score, grade, findings, evaluated_by) VALUES ($1,$2,$3,$4,$5,$6)
			ON CONFLICT (project_id, round) DO NOTHING`
		if _, err := tx.ExecContext(ctx, q, t.ProjectID, max(e.Round, 1), e.Score, e.Grade, e.Findings, e.EvaluatedBy); err != nil {
			return fmt.Errorf("evaluation: %w", err)
		}
	}
	if d := t.EvaluationDue; d != nil {
		var due *time.Time
		if !d.IsZero() {
			due = d
		}
		if _, err := tx.ExecContext(ctx, `UPDATE projects SET evaluation_due_at = $2 WHERE id = $1`, t.ProjectID, due); err != nil {
			return fmt.Errorf("evaluation due: %w", err)
		}
	}
	return nil
}

// OMFilingRow is one O&M year of a project.
type OMFilingRow struct {
	Year       int        `db:"year" json:"year"`
	DueAt      time.Time  `db:"due_at" json:"due_at"`
	FiledAt    *time.Time `db:"filed_at" json:"filed_at"`
	DocumentID *string    `db:"document_id" json:"document_id"`
	Overdue    bool       `db:"overdue" json:"overdue"`
	// Late: filed after the year was flagged overdue (R13).
	Late bool `db:"late" json:"late"`
}

// OMFilings lists a project's O&M years.
func (s *Store) OMFilings(ctx context.Context, projectID string) ([]OMFilingRow, error) {
	var out []OMFilingRow
	err := s.selectP(ctx, &out, `SELECT year, due_at, filed_at, document_id, overdue, late FROM om_filings
		WHERE project_id = $1 ORDER BY year`, projectID)
	return out, err
}

// EvaluationRow is an evaluation shown with a unit's later projects (R14).
type EvaluationRow struct {
	ProjectID string `db:"project_id" json:"project_id"`
	Name      string `db:"name" json:"name"`
	// Round is the evaluation's round (R14): 1, 2… one per evaluation period.
	Round    int       `db:"round" json:"round"`
	Score    int       `db:"score" json:"score"`
	Grade    string    `db:"grade" json:"grade"`
	Findings string    `db:"findings" json:"findings"`
	At       time.Time `db:"created_at" json:"evaluated_at"`
}

// UnitEvaluations returns the evaluations of a unit's other projects, newest first (R14).
func (s *Store) UnitEvaluations(ctx context.Context, unitID, exceptProjectID string) ([]EvaluationRow, error) {
	var out []EvaluationRow
	err := s.selectP(ctx, &out, `SELECT e.project_id, p.name, e.round, e.score, e.grade, e.findings, e.created_at
		FROM evaluations e JOIN projects p ON p.id = e.project_id
		WHERE p.unit_id = $1 AND p.id <> $2 ORDER BY e.created_at DESC, e.round DESC LIMIT 20`, unitID, exceptProjectID)
	return out, err
}

// HasSupervisionChild reports whether a project has a supervision sub-project (R1, R10).
func (s *Store) HasSupervisionChild(ctx context.Context, projectID string) (bool, error) {
	var ok bool
	err := s.db.GetContext(ctx, &ok, `SELECT EXISTS (SELECT 1 FROM projects WHERE parent_project_id = $1 AND type = 'supervision')`, projectID)
	return ok, err
}
