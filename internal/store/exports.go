package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"egovpm/internal/audit"
	"egovpm/internal/authz"
)

// RegistryRow is a line of the 项目台账 export: a project with its stage, amounts and dates.
// The contract amount and the payments are filled only where the actor reads them (the
// contract's and the payments' own scopes, docs/AUTHZ.md).
type RegistryRow struct {
	ID                     string         `db:"id"`
	UnitID                 string         `db:"unit_id"`
	UnitName               string         `db:"unit_name"`
	Name                   string         `db:"name"`
	Type                   string         `db:"type"`
	PlanYear               int            `db:"plan_year"`
	Stage                  string         `db:"stage"`
	EstimatedInvestmentFen int64          `db:"estimated_investment_fen"`
	ApprovedAmountFen      sql.NullInt64  `db:"approved_amount_fen"`
	ContractFen            sql.NullInt64  `db:"contract_fen"`
	PaidFen                sql.NullInt64  `db:"paid_fen"`
	SubmittedAt            sql.NullTime   `db:"submitted_at"`
	TrialRunEndsAt         sql.NullTime   `db:"trial_run_ends_at"`
	UpdatedAt              time.Time      `db:"updated_at"`
	PolicyVersion          sql.NullString `db:"policy_version"`
	Deployment             sql.NullString `db:"deployment"` // 基础共用, NULL: 未填写
}

// RegistryFilter selects the projects of the 项目台账 export: those of Reach (the actor's, as
// GET /api/v1/projects lists them) with the list's filters.
type RegistryFilter struct {
	Reach authz.Reach
	// ContractReach and PaymentReach: the projects whose contract amount and payments the
	// actor reads.
	ContractReach, PaymentReach authz.Reach
	UnitID, Stage, Type, Q      string
	PlanYear                    int
	Deployment                  string // as ProjectFilter's
}

// EachRegistryRow calls fn for every project f selects, by plan year (latest first), unit and
// creation, one row at a time (a 10,000-row export never holds the table in memory).
func (s *Store) EachRegistryRow(ctx context.Context, f RegistryFilter, fn func(RegistryRow) error) error {
	var args []any
	arg := placeholders(&args)
	contract := reachSQL(f.ContractReach, arg)
	paid := reachSQL(f.PaymentReach, arg)
	where := []string{reachSQL(f.Reach, arg)}
	if f.UnitID != "" {
		where = append(where, "p.unit_id = "+arg(f.UnitID))
	}
	if f.Stage != "" {
		where = append(where, "p.stage = "+arg(f.Stage))
	}
	if f.Type != "" {
		where = append(where, "p.type = "+arg(f.Type))
	}
	if f.PlanYear != 0 {
		where = append(where, "p.plan_year = "+arg(f.PlanYear))
	}
	if f.Q != "" {
		where = append(where, "(p.name ILIKE "+arg("%"+escapeLike(f.Q)+"%")+" OR p.description ILIKE "+arg("%"+escapeLike(f.Q)+"%")+")")
	}
	if d := deploymentSQL(f.Deployment, arg); d != "" {
		where = append(where, d)
	}
	q := `SELECT p.id, p.unit_id, coalesce(o.name, p.unit_id) AS unit_name, p.name, p.type, p.plan_year, p.stage,
			p.estimated_investment_fen, p.approved_amount_fen,
			CASE WHEN ` + contract + ` THEN c.amount_fen END AS contract_fen,
			CASE WHEN ` + paid + ` THEN (SELECT coalesce(sum(amount_fen), 0) FROM payments pay
				WHERE pay.project_id = p.id AND pay.status <> 'rejected') END AS paid_fen,
			p.submitted_at, p.trial_run_ends_at, p.updated_at, p.policy_version, p.deployment
		FROM projects p LEFT JOIN orgs o ON o.id = p.unit_id LEFT JOIN contracts c ON c.project_id = p.id
		WHERE ` + strings.Join(where, " AND ") + `
		ORDER BY p.plan_year DESC, p.unit_id, p.created_at, p.id`
	return eachRow(ctx, s, q, args, fn)
}

// PlanTableRow is a line of the 年度计划表: an included plan item (R5) with its project.
type PlanTableRow struct {
	ProjectID              string        `db:"project_id"`
	Name                   string        `db:"name"`
	UnitName               string        `db:"unit_name"`
	Type                   string        `db:"type"`
	EstimatedInvestmentFen int64         `db:"estimated_investment_fen"`
	PlanAmountFen          int64         `db:"plan_amount_fen"`
	ApprovedAmountFen      sql.NullInt64 `db:"approved_amount_fen"`
	Supplementary          bool          `db:"supplementary"`
	Bundled                bool          `db:"bundled"`
	Stage                  string        `db:"stage"`
}

// PlanTable returns the included items of a plan year by unit and project, and their totals
// (estimated investment, plan amount).
func (s *Store) PlanTable(ctx context.Context, year int) ([]PlanTableRow, [2]int64, error) {
	const q = `SELECT i.project_id, p.name, coalesce(o.name, p.unit_id) AS unit_name, p.type, p.estimated_investment_fen,
			i.approved_amount_fen AS plan_amount_fen, p.approved_amount_fen, i.supplementary, i.bundle_id IS NOT NULL AS bundled, p.stage
		FROM plan_items i JOIN projects p ON p.id = i.project_id LEFT JOIN orgs o ON o.id = p.unit_id
		WHERE i.plan_year = $1 AND i.included
		ORDER BY p.unit_id, i.created_at, i.project_id`
	var rows []PlanTableRow
	if err := s.db.SelectContext(ctx, &rows, q, year); err != nil {
		return nil, [2]int64{}, fmt.Errorf("plan table: %w", err)
	}
	var totals [2]int64
	if err := s.db.QueryRowContext(ctx, `SELECT coalesce(sum(p.estimated_investment_fen), 0)::bigint, coalesce(sum(i.approved_amount_fen), 0)::bigint
		FROM plan_items i JOIN projects p ON p.id = i.project_id WHERE i.plan_year = $1 AND i.included`, year).Scan(&totals[0], &totals[1]); err != nil {
		return nil, totals, fmt.Errorf("plan table totals: %w", err)
	}
	return rows, totals, nil
}

// PaymentTotals sums the non-rejected payments f selects per plan year (the 合计 rows of the
// 资金拨付表).
func (s *Store) PaymentTotals(ctx context.Context, f PaymentFilter) (map[int]int64, error) {
	var args []any
	arg := placeholders(&args)
	where := append(f.where(arg), "pay.status <> 'rejected'")
	q := `SELECT p.plan_year, sum(pay.amount_fen)::bigint AS total FROM payments pay JOIN projects p ON p.id = pay.project_id
		WHERE ` + strings.Join(where, " AND ") + ` GROUP BY p.plan_year`
	var rows []struct {
		Year  int   `db:"plan_year"`
		Total int64 `db:"total"`
	}
	if err := s.db.SelectContext(ctx, &rows, q, args...); err != nil {
		return nil, fmt.Errorf("payment totals: %w", err)
	}
	out := map[int]int64{}
	for _, r := range rows {
		out[r.Year] = r.Total
	}
	return out, nil
}

// EachAuditRow calls fn for every audit row f selects (Limit and BeforeSeq aside), oldest
// first, one at a time (the audit log export for 审计局).
func (s *Store) EachAuditRow(ctx context.Context, f AuditFilter, fn func(audit.Row) error) error {
	q, args := auditQuery(f)
	q += " ORDER BY seq"
	return eachRow(ctx, s, q, args, fn)
}
