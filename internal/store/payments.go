package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// Payment statuses (R15).
const (
	PaymentRecorded  = "recorded"
	PaymentConfirmed = "confirmed"
	PaymentRejected  = "rejected"
)

// SQLSTATEs raised by the payments triggers of schema/0006_funds.sql.
const (
	sqlstateOverApproved   = "EG015" // the payments would exceed the contract or approved amount (R15)
	sqlstatePaymentDecided = "EG016" // a decided payment is final; nothing is deleted (R18)
)

// Payment is a row of payments (R15).
type Payment struct {
	ID          string         `db:"id"`
	ProjectID   string         `db:"project_id"`
	Milestone   string         `db:"milestone"`
	AmountFen   int64          `db:"amount_fen"`
	PaidOn      string         `db:"paid_on"` // YYYY-MM-DD
	Status      string         `db:"status"`
	RecordedBy  string         `db:"recorded_by"`
	ConfirmedBy sql.NullString `db:"confirmed_by"`
	ConfirmedAt sql.NullTime   `db:"confirmed_at"`
	Comment     string         `db:"comment"`
	CreatedAt   time.Time      `db:"created_at"`
}

const paymentCols = `id, project_id, milestone, amount_fen, to_char(paid_on, 'YYYY-MM-DD') AS paid_on, status,
	recorded_by, confirmed_by, confirmed_at, comment, created_at`

// OverApprovedError is the database's refusal of a payment that would take the project's
// non-rejected payments past its cap (R7, R15): the contract amount once a contract exists,
// else the approved amount.
type OverApprovedError struct {
	// ApprovedFen is the project's approved amount; not Valid when the project has none.
	ApprovedFen sql.NullInt64
	// ContractFen is the amount of the project's contract (R9); not Valid before one exists.
	ContractFen sql.NullInt64
	// PaidFen is the sum of the project's other non-rejected payments.
	PaidFen int64
}

// Error implements error.
func (e *OverApprovedError) Error() string {
	switch {
	case !e.ApprovedFen.Valid:
		return "payment refused: the project has no approved amount"
	case e.ContractFen.Valid:
		return fmt.Sprintf("payment refused: %d fen already paid of a %d fen contract", e.PaidFen, e.ContractFen.Int64)
	}
	return fmt.Sprintf("payment refused: %d fen already paid of %d approved", e.PaidFen, e.ApprovedFen.Int64)
}

// ErrPaymentDecided is returned when a payment was already confirmed or rejected.
var ErrPaymentDecided = errors.New("payment already decided")

// ErrOwnPayment is returned when the person who recorded a payment tries to decide it: the
// database refuses it (constraint payments_decided_by_another, separation of duties).
var ErrOwnPayment = errors.New("payment decided by its recorder")

// paymentError turns the refusals of the payments triggers into their Go errors.
func paymentError(err error) error {
	var pqErr *pq.Error
	if !errors.As(err, &pqErr) {
		return err
	}
	switch pqErr.Code {
	case sqlstateOverApproved:
		var d struct {
			Approved *int64 `json:"approved_amount_fen"`
			Contract *int64 `json:"contract_amount_fen"`
			Paid     int64  `json:"paid_fen"`
		}
		if jerr := json.Unmarshal([]byte(pqErr.Detail), &d); jerr != nil {
			return fmt.Errorf("read refusal detail %q: %w", pqErr.Detail, err)
		}
		e := &OverApprovedError{PaidFen: d.Paid}
		if d.Approved != nil {
			e.ApprovedFen = sql.NullInt64{Int64: *d.Approved, Valid: true}
		}
		if d.Contract != nil {
			e.ContractFen = sql.NullInt64{Int64: *d.Contract, Valid: true}
		}
		return e
	case sqlstatePaymentDecided:
		return ErrPaymentDecided
	case "23514": // check_violation
		if pqErr.Constraint == "payments_decided_by_another" {
			return ErrOwnPayment
		}
	}
	return err
}

// InsertPayment records p (status recorded). The database refuses it with an
// *OverApprovedError when the project's non-rejected payments would pass the approved amount;
// the transaction is then aborted.
func (s *Store) InsertPayment(ctx context.Context, t *Tx, p *Payment) error {
	tx := t.tx
	const q = `INSERT INTO payments (id, project_id, milestone, amount_fen, paid_on, recorded_by)
		VALUES ($1, $2, $3, $4, $5::date, $6)
		RETURNING status, created_at`
	err := tx.QueryRowxContext(ctx, q, p.ID, p.ProjectID, p.Milestone, p.AmountFen, p.PaidOn, p.RecordedBy).
		Scan(&p.Status, &p.CreatedAt)
	if err != nil {
		return fmt.Errorf("insert payment: %w", paymentError(err))
	}
	return nil
}

// PaidSince is what project's payments not rejected and recorded at or after since add up to
// (a closed project's final settlement, 终止结算), as transaction tx sees it.
func (s *Store) PaidSince(ctx context.Context, t *Tx, projectID string, since time.Time) (int64, error) {
	var n int64
	err := t.tx.GetContext(ctx, &n, `SELECT coalesce(sum(amount_fen), 0) FROM payments
		WHERE project_id = $1 AND status <> 'rejected' AND created_at >= $2`, projectID, since)
	if err != nil {
		return 0, fmt.Errorf("paid since: %w", err)
	}
	return n, nil
}

// Payment returns one payment.
func (s *Store) Payment(ctx context.Context, id string) (Payment, error) {
	return s.payment(ctx, s.db, id)
}

// PaymentTx returns one payment as transaction tx sees it.
func (s *Store) PaymentTx(ctx context.Context, tx *Tx, id string) (Payment, error) {
	return s.payment(ctx, tx.tx, id)
}

func (s *Store) payment(ctx context.Context, q sqlx.QueryerContext, id string) (Payment, error) {
	var p Payment
	err := sqlx.GetContext(ctx, q, &p, `SELECT `+paymentCols+` FROM payments WHERE id = $1`, id)
	return p, notFound(err)
}

// DecidePayment confirms or rejects (status) a recorded payment as userID and returns the
// updated row. It returns ErrPaymentDecided when the payment is no longer recorded, and
// ErrOwnPayment when userID recorded it.
func (s *Store) DecidePayment(ctx context.Context, t *Tx, id, status, userID, comment string) (Payment, error) {
	tx := t.tx
	if status != PaymentConfirmed && status != PaymentRejected {
		return Payment{}, fmt.Errorf("decide payment %s: bad status %q", id, status)
	}
	const q = `UPDATE payments SET status = $2, confirmed_by = $3, confirmed_at = now(), comment = $4
		WHERE id = $1 AND status = 'recorded'
		RETURNING ` + paymentCols
	var p Payment
	err := tx.GetContext(ctx, &p, q, id, status, userID, comment)
	if errors.Is(err, sql.ErrNoRows) {
		return p, ErrPaymentDecided
	}
	if err != nil {
		return p, fmt.Errorf("decide payment %s: %w", id, paymentError(err))
	}
	return p, nil
}

// PaidFen returns the sum of a project's non-rejected payments.
func (s *Store) PaidFen(ctx context.Context, projectID string) (int64, error) {
	var n int64
	err := s.db.GetContext(ctx, &n, `SELECT coalesce(sum(amount_fen), 0)::bigint FROM payments
		WHERE project_id = $1 AND status <> 'rejected'`, projectID)
	if err != nil {
		return 0, fmt.Errorf("paid amount of %s: %w", projectID, err)
	}
	return n, nil
}

// FundsRow is spent vs approved for one unit and plan year (R15).
type FundsRow struct {
	UnitID   string `db:"unit_id"`
	PlanYear int    `db:"plan_year"`
	// ApprovedFen sums the approved amounts of the unit's projects of the year.
	ApprovedFen int64 `db:"approved_fen"`
	// ContractedFen sums the amounts of their registered contracts (R9).
	ContractedFen int64 `db:"contracted_fen"`
	// RecordedFen sums their non-rejected payments (recorded or confirmed): what counts
	// against the approved amount.
	RecordedFen int64 `db:"recorded_fen"`
	// ConfirmedFen sums the payments Finance or DRB confirmed.
	ConfirmedFen int64 `db:"confirmed_fen"`
	// Projects counts the unit's projects of the year that have an approved amount.
	Projects int `db:"projects"`
}

// FundsFilter selects a page of the funds report.
type FundsFilter struct {
	Year   int    // plan year; 0 for every year
	UnitID string // "" for every unit
	Limit  int
	Cursor string
}

type fundsCursor struct {
	Year   int    `json:"y"`
	UnitID string `json:"u"`
}

// DecodeFundsCursor decodes a cursor of Funds and refuses a plan year outside 2000..2200 (one
// beyond PostgreSQL's integer would otherwise fail in the query) with the "bad cursor" error.
func DecodeFundsCursor(s string) (year int, unitID string, err error) {
	var c fundsCursor
	if err := DecodeCursor(s, &c); err != nil {
		return 0, "", err
	}
	if c.Year < 2000 || c.Year > 2200 {
		return 0, "", fmt.Errorf("bad cursor")
	}
	return c.Year, c.UnitID, nil
}

// Funds reports spent vs approved by unit and plan year over the projects with an approved
// amount, latest year first, keyset-paginated on (plan_year DESC, unit_id).
//
// A page costs a page (issue 20 item 3): every filter and the cursor are conditions on the
// group's key, so the query first takes the page's keys from projects_funds_idx (a streaming
// GROUP BY that stops after Limit+1 groups) and aggregates only those groups' projects, each
// project's payments read through payments_project_idx. The sums are those of the one
// aggregate over every approved project and payment (TestFundsPagesEqualFullAggregate).
func (s *Store) Funds(ctx context.Context, f FundsFilter) ([]FundsRow, string, error) {
	if f.Limit <= 0 {
		f.Limit = 50
	}
	q, args, err := fundsQuery(f)
	if err != nil {
		return nil, "", err
	}
	var rows []FundsRow
	if err := s.db.SelectContext(ctx, &rows, q, args...); err != nil {
		return nil, "", fmt.Errorf("funds report: %w", err)
	}
	rows, next := keysetPage(rows, f.Limit, func(l FundsRow) any { return fundsCursor{Year: l.PlanYear, UnitID: l.UnitID} })
	return rows, next, nil
}

// fundsQuery is Funds' statement for f (Limit set), reading Limit+1 groups.
func fundsQuery(f FundsFilter) (string, []any, error) {
	var args []any
	arg := placeholders(&args)
	where := []string{"approved_amount_fen IS NOT NULL"}
	if f.Year != 0 {
		where = append(where, "plan_year = "+arg(f.Year))
	}
	if f.UnitID != "" {
		where = append(where, "unit_id = "+arg(f.UnitID))
	}
	if f.Cursor != "" {
		year, unit, err := DecodeFundsCursor(f.Cursor)
		if err != nil {
			return "", nil, err
		}
		y := arg(year)
		where = append(where, "(plan_year < "+y+" OR (plan_year = "+y+" AND unit_id > "+arg(unit)+"))")
	}
	q := `WITH page AS (
			SELECT plan_year, unit_id FROM projects
			WHERE ` + strings.Join(where, " AND ") + `
			GROUP BY plan_year, unit_id
			ORDER BY plan_year DESC, unit_id
			LIMIT ` + arg(f.Limit+1) + `
		)
		SELECT p.unit_id, p.plan_year,
			sum(p.approved_amount_fen)::bigint AS approved_fen,
			coalesce(sum(ct.amount_fen), 0)::bigint AS contracted_fen,
			coalesce(sum(pay.recorded), 0)::bigint AS recorded_fen,
			coalesce(sum(pay.confirmed), 0)::bigint AS confirmed_fen,
			count(*)::int AS projects
		FROM page k
		JOIN projects p ON p.plan_year = k.plan_year AND p.unit_id = k.unit_id AND p.approved_amount_fen IS NOT NULL
		LEFT JOIN LATERAL (
			SELECT sum(amount_fen) FILTER (WHERE status <> 'rejected') AS recorded,
				sum(amount_fen) FILTER (WHERE status = 'confirmed') AS confirmed
			FROM payments WHERE project_id = p.id
		) pay ON true
		LEFT JOIN contracts ct ON ct.project_id = p.id
		GROUP BY p.unit_id, p.plan_year
		ORDER BY p.plan_year DESC, p.unit_id`
	return q, args, nil
}
