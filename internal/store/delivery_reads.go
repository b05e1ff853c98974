package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"egovpm/internal/authz"
)

// ContractRow is a project's registered contract with its data three lists (R9).
type ContractRow struct {
	ProjectID      string          `db:"project_id" json:"project_id"`
	Vendor         string          `db:"vendor" json:"vendor"`
	AmountFen      int64           `db:"amount_fen" json:"amount_fen"`
	SignedOn       string          `db:"signed_on" json:"signed_on"`
	ProcurementRef string          `db:"procurement_ref" json:"procurement_ref"`
	DataLists      json.RawMessage `db:"data_lists" json:"data_lists"`
	RegisteredBy   string          `db:"registered_by" json:"registered_by"`
	RegisteredName string          `db:"registered_by_name" json:"registered_by_name"`
	CreatedAt      time.Time       `db:"created_at" json:"registered_at"`
}

// Contract returns the contract registered for a project, or ErrNotFound.
func (s *Store) Contract(ctx context.Context, projectID string) (ContractRow, error) {
	const q = `SELECT c.project_id, c.vendor, c.amount_fen, to_char(c.signed_on, 'YYYY-MM-DD') AS signed_on, c.procurement_ref,
		c.data_lists, c.registered_by, coalesce(u.name, c.registered_by) AS registered_by_name, c.created_at
		FROM contracts c LEFT JOIN users u ON u.id = c.registered_by WHERE c.project_id = $1`
	var out ContractRow
	err := s.db.GetContext(ctx, &out, q, projectID)
	return out, notFound(err)
}

// PaymentsSummary is what a project's payments add up to against its caps (R7, R15): the
// approved amount, the contract amount once a contract exists (the cap from then on), what is
// recorded (not rejected) and confirmed, and what may still be recorded.
type PaymentsSummary struct {
	ApprovedFen  *int64 `db:"approved_fen" json:"approved_amount_fen"`
	ContractFen  *int64 `db:"contract_fen" json:"contract_amount_fen"`
	CapFen       *int64 `db:"cap_fen" json:"cap_fen"`
	RecordedFen  int64  `db:"recorded_fen" json:"recorded_fen"`
	ConfirmedFen int64  `db:"confirmed_fen" json:"confirmed_fen"`
	RemainingFen *int64 `db:"remaining_fen" json:"remaining_fen"`
}

// ProjectPaymentsSummary returns the payments summary of a project.
func (s *Store) ProjectPaymentsSummary(ctx context.Context, projectID string) (PaymentsSummary, error) {
	const q = `SELECT p.approved_amount_fen AS approved_fen, c.amount_fen AS contract_fen,
			coalesce(c.amount_fen, p.approved_amount_fen) AS cap_fen,
			coalesce(pay.recorded, 0)::bigint AS recorded_fen, coalesce(pay.confirmed, 0)::bigint AS confirmed_fen,
			greatest(coalesce(c.amount_fen, p.approved_amount_fen) - coalesce(pay.recorded, 0), 0)::bigint AS remaining_fen
		FROM projects p LEFT JOIN contracts c ON c.project_id = p.id
		LEFT JOIN (SELECT project_id, sum(amount_fen) FILTER (WHERE status <> 'rejected') AS recorded,
			sum(amount_fen) FILTER (WHERE status = 'confirmed') AS confirmed FROM payments WHERE project_id = $1 GROUP BY project_id
		) pay ON pay.project_id = p.id
		WHERE p.id = $1`
	var out PaymentsSummary
	err := s.db.GetContext(ctx, &out, q, projectID)
	return out, notFound(err)
}

// PaymentListRow is a payment with its project and the names of who recorded and decided it.
type PaymentListRow struct {
	Payment
	ProjectName    string  `db:"project_name"`
	UnitID         string  `db:"unit_id"`
	PlanYear       int     `db:"plan_year"`
	RecordedByName string  `db:"recorded_by_name"`
	ConfirmedName  *string `db:"confirmed_by_name"`
}

// PaymentFilter selects payments (R15).
type PaymentFilter struct {
	// Reach: the projects whose payments the actor reads (authz.ReachFor PaymentScopes).
	Reach     authz.Reach
	ProjectID string
	UnitID    string
	Status    string
	PlanYear  int
	Limit     int
	Cursor    string
}

type paymentCursor struct {
	CreatedAt time.Time `json:"t"`
	ID        string    `json:"i"`
}

func (f PaymentFilter) where(arg func(any) string) []string {
	var where []string
	if r := reachSQL(f.Reach, arg); r != "true" {
		where = append(where, r)
	}
	if f.ProjectID != "" {
		where = append(where, "p.id = "+arg(f.ProjectID))
	}
	if f.UnitID != "" {
		where = append(where, "p.unit_id = "+arg(f.UnitID))
	}
	if f.Status != "" {
		where = append(where, "pay.status = "+arg(f.Status))
	}
	if f.PlanYear != 0 {
		where = append(where, "p.plan_year = "+arg(f.PlanYear))
	}
	return where
}

const paymentListCols = `pay.id, pay.project_id, pay.milestone, pay.amount_fen, to_char(pay.paid_on, 'YYYY-MM-DD') AS paid_on,
	pay.status, pay.recorded_by, pay.confirmed_by, pay.confirmed_at, pay.comment, pay.created_at,
	p.name AS project_name, p.unit_id, p.plan_year, coalesce(ru.name, pay.recorded_by) AS recorded_by_name,
	cu.name AS confirmed_by_name
	FROM payments pay JOIN projects p ON p.id = pay.project_id
	LEFT JOIN users ru ON ru.id = pay.recorded_by LEFT JOIN users cu ON cu.id = pay.confirmed_by`

// ListPayments returns a page of payments, newest first.
func (s *Store) ListPayments(ctx context.Context, f PaymentFilter) ([]PaymentListRow, string, error) {
	var args []any
	arg := placeholders(&args)
	where := f.where(arg)
	if f.Cursor != "" {
		var c paymentCursor
		if err := DecodeCursor(f.Cursor, &c); err != nil {
			return nil, "", err
		}
		where = append(where, "(pay.created_at, pay.id) < ("+arg(c.CreatedAt)+", "+arg(c.ID)+")")
	}
	q := `SELECT ` + paymentListCols
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY pay.created_at DESC, pay.id DESC LIMIT " + arg(f.Limit+1)
	var rows []PaymentListRow
	if err := s.db.SelectContext(ctx, &rows, q, args...); err != nil {
		return nil, "", fmt.Errorf("list payments: %w", err)
	}
	rows, next := keysetPage(rows, f.Limit, func(l PaymentListRow) any { return paymentCursor{CreatedAt: l.CreatedAt, ID: l.ID} })
	return rows, next, nil
}

// EachPayment calls fn for every payment f selects (Limit and Cursor aside), by plan year
// (latest first), then as recorded, without holding them all in memory (the 资金拨付表 export).
func (s *Store) EachPayment(ctx context.Context, f PaymentFilter, fn func(PaymentListRow) error) error {
	var args []any
	arg := placeholders(&args)
	where := f.where(arg)
	q := `SELECT ` + paymentListCols
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY p.plan_year DESC, pay.created_at, pay.id"
	return eachRow(ctx, s, q, args, fn)
}

// eachRow runs q and scans each row into a T for fn, one at a time.
func eachRow[T any](ctx context.Context, s *Store, q string, args []any, fn func(T) error) error {
	rows, err := s.db.QueryxContext(ctx, q, args...)
	if err != nil {
		return fmt.Errorf("query: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var r T
		if err := rows.StructScan(&r); err != nil {
			return fmt.Errorf("scan: %w", err)
		}
		if err := fn(r); err != nil {
			return err
		}
	}
	return rows.Err()
}

// O&M filing states a list selects (R13, T4).
const (
	// OMDue: the current O&M year's filing, not yet filed (its deadline ahead).
	OMDue = "due"
	// OMOverdue: a year whose deadline passed without a filing (flagged overdue) and not
	// filed late since.
	OMOverdue = "overdue"
	// OMFiled: a filed year.
	OMFiled = "filed"
)

// OMFilingListRow is an O&M year of a project, with the project.
type OMFilingListRow struct {
	ProjectID   string     `db:"project_id" json:"project_id"`
	ProjectName string     `db:"project_name" json:"project_name"`
	UnitID      string     `db:"unit_id" json:"unit_id"`
	Year        int        `db:"year" json:"year"`
	DueAt       time.Time  `db:"due_at" json:"due_at"`
	FiledAt     *time.Time `db:"filed_at" json:"filed_at"`
	DocumentID  *string    `db:"document_id" json:"document_id"`
	Overdue     bool       `db:"overdue" json:"overdue"`
	// Late: filed after the year was flagged overdue (R13).
	Late bool `db:"late" json:"late"`
}

// OMFilingFilter selects O&M filings.
type OMFilingFilter struct {
	// Reach: the projects whose filings the actor reads (authz.ReachFor OMFilingScopes).
	Reach     authz.Reach
	Status    string // OMDue, OMOverdue, OMFiled; "" for every year
	UnitID    string
	ProjectID string
	Limit     int
	Cursor    string
}

type omCursor struct {
	DueAt     time.Time `json:"d"`
	ProjectID string    `json:"p"`
	Year      int       `json:"y"`
}

// ListOMFilings returns a page of O&M years, the earliest deadline first.
func (s *Store) ListOMFilings(ctx context.Context, f OMFilingFilter) ([]OMFilingListRow, string, error) {
	var args []any
	arg := placeholders(&args)
	var where []string
	if r := reachSQL(f.Reach, arg); r != "true" {
		where = append(where, r)
	}
	switch f.Status {
	case OMDue:
		where = append(where, "o.filed_at IS NULL AND NOT o.overdue AND p.stage = 'om'")
	case OMOverdue:
		where = append(where, "o.overdue AND o.filed_at IS NULL")
	case OMFiled:
		where = append(where, "o.filed_at IS NOT NULL")
	}
	if f.UnitID != "" {
		where = append(where, "p.unit_id = "+arg(f.UnitID))
	}
	if f.ProjectID != "" {
		where = append(where, "p.id = "+arg(f.ProjectID))
	}
	if f.Cursor != "" {
		var c omCursor
		if err := DecodeCursor(f.Cursor, &c); err != nil {
			return nil, "", err
		}
		where = append(where, "(o.due_at, o.project_id, o.year) > ("+arg(c.DueAt)+", "+arg(c.ProjectID)+", "+arg(c.Year)+")")
	}
	q := `SELECT o.project_id, p.name AS project_name, p.unit_id, o.year, o.due_at, o.filed_at, o.document_id, o.overdue, o.late
		FROM om_filings o JOIN projects p ON p.id = o.project_id`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY o.due_at, o.project_id, o.year LIMIT " + arg(f.Limit+1)
	var rows []OMFilingListRow
	if err := s.db.SelectContext(ctx, &rows, q, args...); err != nil {
		return nil, "", fmt.Errorf("list om filings: %w", err)
	}
	rows, next := keysetPage(rows, f.Limit, func(l OMFilingListRow) any {
		return omCursor{DueAt: l.DueAt, ProjectID: l.ProjectID, Year: l.Year}
	})
	return rows, next, nil
}

// FundsFigures are the amounts of one group of projects (R15): approved, contracted,
// recorded (not rejected) and confirmed payments.
type FundsFigures struct {
	ApprovedFen   int64 `db:"approved_fen" json:"approved_fen"`
	ContractedFen int64 `db:"contracted_fen" json:"contracted_fen"`
	RecordedFen   int64 `db:"recorded_fen" json:"recorded_fen"`
	ConfirmedFen  int64 `db:"confirmed_fen" json:"confirmed_fen"`
	Projects      int   `db:"projects" json:"projects"`
}

// FundsByYear is FundsFigures of one plan year.
type FundsByYear struct {
	PlanYear int `db:"plan_year" json:"plan_year"`
	FundsFigures
}

// FundsByUnit is FundsFigures of one unit.
type FundsByUnit struct {
	UnitID   string `db:"unit_id" json:"unit_id"`
	UnitName string `db:"unit_name" json:"unit_name"`
	FundsFigures
}

// FundsSummary is the funds report as a whole (R15): per plan year, per unit and the total,
// over the projects with an approved amount.
type FundsSummary struct {
	ByYear []FundsByYear `json:"by_year"`
	ByUnit []FundsByUnit `json:"by_unit"`
	Total  FundsFigures  `json:"total"`
}

// fundsBase is one row per project with an approved amount: its figures.
const fundsBase = `SELECT p.id, p.unit_id, p.plan_year, p.approved_amount_fen AS approved,
		coalesce(c.amount_fen, 0) AS contracted, coalesce(pay.recorded, 0) AS recorded, coalesce(pay.confirmed, 0) AS confirmed
	FROM projects p LEFT JOIN contracts c ON c.project_id = p.id
	LEFT JOIN (SELECT project_id, sum(amount_fen) FILTER (WHERE status <> 'rejected') AS recorded,
		sum(amount_fen) FILTER (WHERE status = 'confirmed') AS confirmed FROM payments GROUP BY project_id) pay ON pay.project_id = p.id
	WHERE p.approved_amount_fen IS NOT NULL`

const fundsSums = `coalesce(sum(f.approved), 0)::bigint AS approved_fen, coalesce(sum(f.contracted), 0)::bigint AS contracted_fen,
	coalesce(sum(f.recorded), 0)::bigint AS recorded_fen, coalesce(sum(f.confirmed), 0)::bigint AS confirmed_fen,
	count(*)::int AS projects`

// FundsSummary reports approved vs contracted vs paid per plan year, per unit and in total,
// optionally for one year (year ≠ 0) and one unit (unitID ≠ "").
func (s *Store) FundsSummary(ctx context.Context, year int, unitID string) (FundsSummary, error) {
	var args []any
	arg := placeholders(&args)
	base := fundsBase
	if year != 0 {
		base += " AND p.plan_year = " + arg(year)
	}
	if unitID != "" {
		base += " AND p.unit_id = " + arg(unitID)
	}
	out := FundsSummary{ByYear: []FundsByYear{}, ByUnit: []FundsByUnit{}}
	if err := s.db.SelectContext(ctx, &out.ByYear, `WITH f AS (`+base+`) SELECT f.plan_year, `+fundsSums+
		` FROM f GROUP BY f.plan_year ORDER BY f.plan_year`, args...); err != nil {
		return out, fmt.Errorf("funds by year: %w", err)
	}
	if err := s.db.SelectContext(ctx, &out.ByUnit, `WITH f AS (`+base+`) SELECT f.unit_id, coalesce(o.name, f.unit_id) AS unit_name, `+
		fundsSums+` FROM f LEFT JOIN orgs o ON o.id = f.unit_id GROUP BY f.unit_id, o.name ORDER BY f.unit_id`, args...); err != nil {
		return out, fmt.Errorf("funds by unit: %w", err)
	}
	if err := s.db.GetContext(ctx, &out.Total, `WITH f AS (`+base+`) SELECT `+fundsSums+` FROM f`, args...); err != nil {
		return out, fmt.Errorf("funds total: %w", err)
	}
	return out, nil
}

// ProjectEvaluations returns a project's performance evaluations (R14), one per round, newest
// first, and when its next round opens (nil: none is scheduled).
func (s *Store) ProjectEvaluations(ctx context.Context, projectID string) ([]EvaluationRow, *time.Time, error) {
	var out []EvaluationRow
	if err := s.selectP(ctx, &out, `SELECT e.project_id, p.name, e.round, e.score, e.grade, e.findings, e.created_at
		FROM evaluations e JOIN projects p ON p.id = e.project_id WHERE e.project_id = $1 ORDER BY e.round DESC`, projectID); err != nil {
		return nil, nil, err
	}
	var due sql.NullTime
	if err := s.db.GetContext(ctx, &due, `SELECT evaluation_due_at FROM projects WHERE id = $1`, projectID); err != nil {
		return nil, nil, notFound(err)
	}
	if !due.Valid {
		return out, nil, nil
	}
	return out, &due.Time, nil
}
