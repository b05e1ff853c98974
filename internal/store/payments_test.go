package store_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
	"github.com/stretchr/testify/require"

	"egovpm/internal/store"
	"egovpm/internal/testdb"
)

// payFixture is a database with two units, a submitter, a finance user and helpers to make
// projects in a stage that takes payments.
type payFixture struct {
	t  *testing.T
	st *store.Store
	n  int
}

func newPayFixture(t *testing.T) *payFixture {
	t.Helper()
	st := testdb.New(t)
	ctx := context.Background()
	mustCreateOrgs(t, st, store.Org{ID: "unit-a", Name: "市教育局", Kind: "unit"}, store.Org{ID: "unit-b", Name: "市卫健委", Kind: "unit"},
		store.Org{ID: "finance", Name: "市财政局", Kind: "finance"})
	mustTx(t, st, func(tx *store.Tx) error {
		for _, u := range []store.NewUser{
			{ID: "u-alice", Username: "alice", Name: "王丽", OrgID: "unit-a", PasswordHash: "x", Roles: []string{"submitter"}},
			{ID: "u-bob", Username: "bob", Name: "陈博", OrgID: "unit-b", PasswordHash: "x", Roles: []string{"submitter"}},
			{ID: "u-fin1", Username: "fin1", Name: "黄财", OrgID: "finance", PasswordHash: "x", Roles: []string{"finance"}},
		} {
			if err := st.CreateUser(ctx, tx, u); err != nil {
				return err
			}
		}
		return nil
	})
	return &payFixture{t: t, st: st}
}

// project creates a project of unit and year in stage with the approved amount (nil: none).
// The stage is set directly: the lifecycle tests cover how a project gets there.
func (f *payFixture) project(unit string, year int, stage string, approved *int64) string {
	f.t.Helper()
	f.n++
	ctx := context.Background()
	user := map[string]string{"unit-a": "u-alice", "unit-b": "u-bob"}[unit]
	if user == "" {
		user = "u-alice" // the other units' projects (TestFundsPagesEqualFullAggregate)
	}
	p := store.Project{ID: fmt.Sprintf("p-pay-%d", f.n), UnitID: unit, Name: fmt.Sprintf("资金测试项目%d", f.n), Type: "new",
		PlanYear: year, EstimatedInvestmentFen: 1_000_000_000, MLPSLevel: 2, CreatedBy: user}
	mustTx(f.t, f.st, func(tx *store.Tx) error {
		if err := f.st.CreateProject(ctx, tx, &p); err != nil {
			return err
		}
		_, err := store.SQLTx(tx).ExecContext(ctx, `UPDATE projects SET stage = $2, approved_amount_fen = $3 WHERE id = $1`, p.ID, stage, approved)
		return err
	})
	return p.ID
}

func payFen(v int64) *int64 { return &v }

// insert records a payment through the store in its own transaction.
func (f *payFixture) insert(projectID string, amount int64) (store.Payment, error) {
	f.n++
	p := store.Payment{ID: fmt.Sprintf("pay-%d", f.n), ProjectID: projectID, Milestone: "合同首付款", AmountFen: amount,
		PaidOn: "2024-03-01", RecordedBy: "u-alice"}
	err := f.st.WithTx(context.Background(), func(tx *store.Tx) error { return f.st.InsertPayment(context.Background(), tx, &p) })
	return p, err
}

// rawInsert writes a payment with plain SQL, bypassing every Go check.
func payRawInsert(db *sqlx.DB, id, projectID string, amount int64, status string) error {
	confirmedBy, confirmedAt := any(nil), any(nil)
	if status != store.PaymentRecorded {
		confirmedBy, confirmedAt = "u-fin1", time.Now()
	}
	_, err := db.Exec(`INSERT INTO payments (id, project_id, milestone, amount_fen, paid_on, status, recorded_by, confirmed_by, confirmed_at)
		VALUES ($1, $2, '里程碑', $3, '2024-01-15', $4, 'u-alice', $5, $6)`, id, projectID, amount, status, confirmedBy, confirmedAt)
	return err
}

func paySQLState(err error) string {
	var pqErr *pq.Error
	if errors.As(err, &pqErr) {
		return string(pqErr.Code)
	}
	return ""
}

// TestR15PaymentCapEnforcedByDatabase: R7/R15, the database itself refuses payments past the
// approved amount, whoever writes them: here plain SQL that bypasses the gateway and the store.
func TestR15PaymentCapEnforcedByDatabase(t *testing.T) {
	t.Parallel()
	f := newPayFixture(t)
	db := f.st.DB()
	p := f.project("unit-a", 2024, "construction", payFen(100_00))

	require.NoError(t, payRawInsert(db, "raw-1", p, 60_00, store.PaymentRecorded))
	require.NoError(t, payRawInsert(db, "raw-2", p, 30_00, store.PaymentConfirmed))
	err := payRawInsert(db, "raw-3", p, 10_01, store.PaymentRecorded)
	require.Equal(t, "EG015", paySQLState(err), "one fen past the approved amount: %v", err)
	require.ErrorContains(t, err, "exceed the approved amount")
	require.NoError(t, payRawInsert(db, "raw-4", p, 10_00, store.PaymentRecorded), "exactly the approved amount is allowed")

	// A rejected payment does not count, so it is never refused...
	require.NoError(t, payRawInsert(db, "raw-5", p, 1_000_00, store.PaymentRejected))
	// ...and raising an amount with UPDATE is checked like an insert.
	_, err = db.Exec(`UPDATE payments SET amount_fen = amount_fen + 1 WHERE id = 'raw-1'`)
	require.Equal(t, "EG015", paySQLState(err), "%v", err)

	// A project without an approved amount takes no payment at all.
	unapproved := f.project("unit-a", 2024, "construction", nil)
	require.Equal(t, "EG015", paySQLState(payRawInsert(db, "raw-6", unapproved, 1, store.PaymentRecorded)))

	// Through the store the refusal is typed, with the numbers the gateway reports.
	_, err = f.insert(p, 1)
	var over *store.OverApprovedError
	require.ErrorAs(t, err, &over)
	require.Equal(t, int64(100_00), over.ApprovedFen.Int64)
	require.True(t, over.ApprovedFen.Valid)
	require.Equal(t, int64(100_00), over.PaidFen)
	_, err = f.insert(unapproved, 1)
	require.ErrorAs(t, err, &over)
	require.False(t, over.ApprovedFen.Valid)
	require.Equal(t, int64(0), over.PaidFen)

	paid, err := f.st.PaidFen(context.Background(), p)
	require.NoError(t, err)
	require.Equal(t, int64(100_00), paid)

	// Rejecting a payment frees its amount.
	mustTx(t, f.st, func(tx *store.Tx) error {
		_, err := f.st.DecidePayment(context.Background(), tx, "raw-4", store.PaymentRejected, "u-fin1", "金额有误")
		return err
	})
	got, err := f.insert(p, 10_00)
	require.NoError(t, err)
	require.Equal(t, store.PaymentRecorded, got.Status)
}

// TestPaymentRowsAreFinal: R18, a decided payment stays as it is and no payment is deleted;
// the table's checks refuse malformed rows.
func TestPaymentRowsAreFinal(t *testing.T) {
	t.Parallel()
	f := newPayFixture(t)
	ctx := context.Background()
	db := f.st.DB()
	p := f.project("unit-a", 2024, "construction", payFen(100_00))
	pay, err := f.insert(p, 40_00)
	require.NoError(t, err)

	got, err := f.st.Payment(ctx, pay.ID)
	require.NoError(t, err)
	require.Equal(t, "2024-03-01", got.PaidOn)
	require.Equal(t, "合同首付款", got.Milestone)
	require.False(t, got.ConfirmedBy.Valid)

	mustTx(t, f.st, func(tx *store.Tx) error {
		d, err := f.st.DecidePayment(ctx, tx, pay.ID, store.PaymentConfirmed, "u-fin1", "")
		require.NoError(t, err)
		require.Equal(t, store.PaymentConfirmed, d.Status)
		require.Equal(t, "u-fin1", d.ConfirmedBy.String)
		require.True(t, d.ConfirmedAt.Valid)
		return nil
	})
	err = f.st.WithTx(ctx, func(tx *store.Tx) error {
		_, err := f.st.DecidePayment(ctx, tx, pay.ID, store.PaymentRejected, "u-fin1", "再次处理")
		return err
	})
	require.ErrorIs(t, err, store.ErrPaymentDecided)

	// Bypassing the store changes nothing either.
	_, err = db.Exec(`UPDATE payments SET status = 'rejected' WHERE id = $1`, pay.ID)
	require.Equal(t, "EG016", paySQLState(err), "%v", err)
	_, err = db.Exec(`DELETE FROM payments WHERE id = $1`, pay.ID)
	require.Equal(t, "EG016", paySQLState(err), "%v", err)
	_, err = f.st.Payment(ctx, "nope")
	require.ErrorIs(t, err, store.ErrNotFound)

	for name, q := range map[string]string{
		"zero amount":     `INSERT INTO payments (id, project_id, milestone, amount_fen, paid_on, recorded_by) VALUES ('c1', $1, 'm', 0, '2024-01-01', 'u-alice')`,
		"negative amount": `INSERT INTO payments (id, project_id, milestone, amount_fen, paid_on, recorded_by) VALUES ('c2', $1, 'm', -5, '2024-01-01', 'u-alice')`,
		"empty milestone": `INSERT INTO payments (id, project_id, milestone, amount_fen, paid_on, recorded_by) VALUES ('c3', $1, '', 5, '2024-01-01', 'u-alice')`,
		"before 2000":     `INSERT INTO payments (id, project_id, milestone, amount_fen, paid_on, recorded_by) VALUES ('c4', $1, 'm', 5, '1999-12-31', 'u-alice')`,
		"bad status":      `INSERT INTO payments (id, project_id, milestone, amount_fen, paid_on, recorded_by, status) VALUES ('c5', $1, 'm', 5, '2024-01-01', 'u-alice', 'paid')`,
		"confirmed by nobody": `INSERT INTO payments (id, project_id, milestone, amount_fen, paid_on, recorded_by, status)
			VALUES ('c6', $1, 'm', 5, '2024-01-01', 'u-alice', 'confirmed')`,
	} {
		_, err := db.Exec(q, p)
		require.True(t, store.IsCheckViolation(err), "%s: %v", name, err)
	}
}

// TestR15ConcurrentPaymentsNeverExceedApproved: R15, payments racing past the approved amount
// from many transactions at once: the database admits exactly as many as fit, and the total
// never passes the approved amount.
func TestR15ConcurrentPaymentsNeverExceedApproved(t *testing.T) {
	t.Parallel()
	f := newPayFixture(t)
	ctx := context.Background()

	cases := []struct {
		name     string
		approved int64
		racers   int
		amount   int64
		wantOK   int
	}{
		{name: "two racing for one slot", approved: 100_00, racers: 2, amount: 60_00, wantOK: 1},
		{name: "ten racing for three slots", approved: 1_000_00, racers: 10, amount: 300_00, wantOK: 3},
		{name: "ten racing, all fit", approved: 1_000_00, racers: 10, amount: 100_00, wantOK: 10},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := f.project("unit-a", 2024, "construction", payFen(tc.approved))
			start := make(chan struct{})
			errs := make([]error, tc.racers)
			var wg sync.WaitGroup
			for i := range tc.racers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start // release every racer at once
					errs[i] = f.st.WithTx(ctx, func(tx *store.Tx) error {
						pay := store.Payment{ID: fmt.Sprintf("race-%s-%d", p, i), ProjectID: p, Milestone: "并发付款",
							AmountFen: tc.amount, PaidOn: "2024-05-01", RecordedBy: "u-alice"}
						return f.st.InsertPayment(ctx, tx, &pay)
					})
				}()
			}
			close(start)
			wg.Wait()
			ok := 0
			for _, err := range errs {
				if err == nil {
					ok++
					continue
				}
				var over *store.OverApprovedError
				require.ErrorAs(t, err, &over, "a racer failed for another reason")
			}
			require.Equal(t, tc.wantOK, ok)
			paid, err := f.st.PaidFen(ctx, p)
			require.NoError(t, err)
			require.Equal(t, int64(tc.wantOK)*tc.amount, paid)
			require.LessOrEqual(t, paid, tc.approved)
		})
	}

	// The interleaving that breaks a check-then-insert without the lock: the second payment's
	// transaction starts while the first is uncommitted, waits on the project row, and then
	// sees the first payment and is refused.
	t.Run("second waits for the first and is refused", func(t *testing.T) {
		p := f.project("unit-a", 2024, "construction", payFen(100_00))
		tx1, err := f.st.DB().BeginTxx(ctx, nil)
		require.NoError(t, err)
		defer func() { _ = tx1.Rollback() }()
		first := store.Payment{ID: "first-" + p, ProjectID: p, Milestone: "进度款", AmountFen: 60_00, PaidOn: "2024-05-01", RecordedBy: "u-alice"}
		require.NoError(t, f.st.InsertPayment(ctx, store.WrapTx(tx1), &first))

		done := make(chan error, 1)
		go func() {
			done <- f.st.WithTx(ctx, func(tx *store.Tx) error {
				second := store.Payment{ID: "second-" + p, ProjectID: p, Milestone: "进度款", AmountFen: 60_00, PaidOn: "2024-05-01", RecordedBy: "u-alice"}
				return f.st.InsertPayment(ctx, tx, &second)
			})
		}()
		// Poll (not sleep) until the second insert is blocked on a lock held by tx1: only then
		// does committing tx1 test the recheck after the wait.
		require.Eventually(t, func() bool {
			var waiting int
			err := f.st.DB().Get(&waiting, `SELECT count(*) FROM pg_stat_activity
				WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE 'INSERT INTO payments%'`)
			return err == nil && waiting == 1
		}, 10*time.Second, 5*time.Millisecond, "the second payment never waited on the project row")
		require.NoError(t, tx1.Commit())

		err = <-done
		var over *store.OverApprovedError
		require.ErrorAs(t, err, &over)
		require.Equal(t, int64(60_00), over.PaidFen)
		paid, err := f.st.PaidFen(ctx, p)
		require.NoError(t, err)
		require.Equal(t, int64(60_00), paid)
	})
}

// TestFundsReport: R15, spent vs approved by unit and plan year, filtered and paginated.
func TestFundsReport(t *testing.T) {
	t.Parallel()
	f := newPayFixture(t)
	ctx := context.Background()
	a1 := f.project("unit-a", 2024, "construction", payFen(100_00))
	a2 := f.project("unit-a", 2024, "om", payFen(50_00))
	f.project("unit-a", 2024, "draft", nil) // no approved amount: not in the report
	b1 := f.project("unit-b", 2024, "trial_run", payFen(300_00))
	a3 := f.project("unit-a", 2025, "construction", payFen(70_00))

	confirmed, err := f.insert(a1, 40_00)
	require.NoError(t, err)
	_, err = f.insert(a1, 10_00)
	require.NoError(t, err)
	rejected, err := f.insert(a2, 20_00)
	require.NoError(t, err)
	_, err = f.insert(b1, 300_00)
	require.NoError(t, err)
	_, err = f.insert(a3, 5_00)
	require.NoError(t, err)
	mustTx(t, f.st, func(tx *store.Tx) error {
		if _, err := f.st.DecidePayment(ctx, tx, confirmed.ID, store.PaymentConfirmed, "u-fin1", ""); err != nil {
			return err
		}
		_, err := f.st.DecidePayment(ctx, tx, rejected.ID, store.PaymentRejected, "u-fin1", "重复登记")
		return err
	})

	all := []store.FundsRow{
		{UnitID: "unit-a", PlanYear: 2025, ApprovedFen: 70_00, RecordedFen: 5_00, ConfirmedFen: 0, Projects: 1},
		{UnitID: "unit-a", PlanYear: 2024, ApprovedFen: 150_00, RecordedFen: 50_00, ConfirmedFen: 40_00, Projects: 2},
		{UnitID: "unit-b", PlanYear: 2024, ApprovedFen: 300_00, RecordedFen: 300_00, ConfirmedFen: 0, Projects: 1},
	}
	rows, next, err := f.st.Funds(ctx, store.FundsFilter{Limit: 50})
	require.NoError(t, err)
	require.Equal(t, all, rows)
	require.Empty(t, next)

	rows, _, err = f.st.Funds(ctx, store.FundsFilter{Year: 2024, Limit: 50})
	require.NoError(t, err)
	require.Equal(t, all[1:], rows)
	rows, _, err = f.st.Funds(ctx, store.FundsFilter{UnitID: "unit-a", Limit: 50})
	require.NoError(t, err)
	require.Equal(t, all[:2], rows)
	rows, _, err = f.st.Funds(ctx, store.FundsFilter{Year: 2030, Limit: 50})
	require.NoError(t, err)
	require.Empty(t, rows)

	// Keyset pages: one row at a time, in the same order.
	var paged []store.FundsRow
	cursor := ""
	for range 4 {
		rows, next, err := f.st.Funds(ctx, store.FundsFilter{Limit: 1, Cursor: cursor})
		require.NoError(t, err)
		paged = append(paged, rows...)
		if next == "" {
			break
		}
		cursor = next
	}
	require.Equal(t, all, paged)
	_, _, err = f.st.Funds(ctx, store.FundsFilter{Cursor: "%%%"})
	require.Error(t, err)
}

// contract registers a contract of amount on project p (R9), as the lifecycle's Apply does.
func (f *payFixture) contract(p string, amount int64) {
	f.t.Helper()
	_, err := f.st.DB().Exec(`INSERT INTO contracts (project_id, vendor, amount_fen, signed_on, procurement_ref, data_lists, registered_by)
		VALUES ($1, '某信息技术有限公司', $2, '2024-02-01', 'LA-2024-001', '{}', 'u-alice')`, p, amount)
	require.NoError(f.t, err)
}

// TestR15PaymentsCappedByTheContract: R7/R15, once a project has a contract its payments never
// add up to more than the contract amount (which R9 keeps at or below the approved amount),
// whoever writes them; without a contract the approved amount caps them.
func TestR15PaymentsCappedByTheContract(t *testing.T) {
	t.Parallel()
	f := newPayFixture(t)
	db := f.st.DB()
	p := f.project("unit-a", 2024, "construction", payFen(5_000_000_00))
	f.contract(p, 10_00)

	err := payRawInsert(db, "ct-1", p, 5_000_000_00, store.PaymentRecorded)
	require.Equal(t, "EG015", paySQLState(err), "a payment of the approved amount on a contract of 10 yuan: %v", err)
	require.ErrorContains(t, err, "contract")
	require.NoError(t, payRawInsert(db, "ct-2", p, 6_00, store.PaymentRecorded))
	_, err = f.insert(p, 4_01)
	var over *store.OverApprovedError
	require.ErrorAs(t, err, &over)
	require.True(t, over.ContractFen.Valid)
	require.Equal(t, int64(10_00), over.ContractFen.Int64)
	require.Equal(t, int64(5_000_000_00), over.ApprovedFen.Int64)
	require.Equal(t, int64(6_00), over.PaidFen)
	_, err = f.insert(p, 4_00)
	require.NoError(t, err, "exactly the contract amount is allowed")

	// Raising an amount with UPDATE is checked against the contract too.
	_, err = db.Exec(`UPDATE payments SET amount_fen = 700 WHERE id = 'ct-2'`)
	require.Equal(t, "EG015", paySQLState(err), "%v", err)

	// Racing payments: exactly as many as the contract takes.
	q := f.project("unit-a", 2024, "construction", payFen(1_000_00))
	f.contract(q, 250_00)
	ctx := context.Background()
	errs := make([]error, 10)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			errs[i] = f.st.WithTx(ctx, func(tx *store.Tx) error {
				pay := store.Payment{ID: fmt.Sprintf("ct-race-%d", i), ProjectID: q, Milestone: "并发付款", AmountFen: 100_00,
					PaidOn: "2024-05-01", RecordedBy: "u-alice"}
				return f.st.InsertPayment(ctx, tx, &pay)
			})
		}()
	}
	close(start)
	wg.Wait()
	ok := 0
	for _, err := range errs {
		if err == nil {
			ok++
			continue
		}
		require.ErrorAs(t, err, &over, "a racer failed for another reason")
	}
	require.Equal(t, 2, ok)
	paid, err := f.st.PaidFen(ctx, q)
	require.NoError(t, err)
	require.Equal(t, int64(200_00), paid)
}
