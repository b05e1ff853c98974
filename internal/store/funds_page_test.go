package store_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"egovpm/internal/store"
)

// fundsFullAggregate is the funds report as one aggregate over every approved project and
// every payment (the statement Funds used before issue 20 item 3): the reference the pages
// must add up to.
const fundsFullAggregate = `SELECT p.unit_id, p.plan_year,
		sum(p.approved_amount_fen)::bigint AS approved_fen,
		coalesce(sum(ct.amount_fen), 0)::bigint AS contracted_fen,
		coalesce(sum(pay.recorded), 0)::bigint AS recorded_fen,
		coalesce(sum(pay.confirmed), 0)::bigint AS confirmed_fen,
		count(*)::int AS projects
	FROM projects p
	LEFT JOIN (
		SELECT project_id,
			sum(amount_fen) FILTER (WHERE status <> 'rejected') AS recorded,
			sum(amount_fen) FILTER (WHERE status = 'confirmed') AS confirmed
		FROM payments GROUP BY project_id
	) pay ON pay.project_id = p.id
	LEFT JOIN contracts ct ON ct.project_id = p.id
	WHERE p.approved_amount_fen IS NOT NULL
	GROUP BY p.unit_id, p.plan_year
	ORDER BY p.plan_year DESC, p.unit_id`

// fundsSpread makes projects of four units over five plan years — some groups empty, some
// with only unapproved projects — with contracts on some and recorded, confirmed and rejected
// payments, deterministically.
func fundsSpread(t *testing.T) *payFixture {
	f := newPayFixture(t)
	mustCreateOrgs(t, f.st, store.Org{ID: "unit-c", Name: "市公安局", Kind: "unit"}, store.Org{ID: "unit-d", Name: "市民政局", Kind: "unit"})
	db := f.st.DB()
	statuses := []string{store.PaymentRecorded, store.PaymentConfirmed, store.PaymentRejected}
	k := 0
	for year := 2021; year <= 2025; year++ {
		for u, unit := range []string{"unit-a", "unit-b", "unit-c", "unit-d"} {
			n := (year*7 + u*3) % 4 // 0–3 projects in the group
			for i := range n {
				k++
				if k%5 == 0 {
					f.project(unit, year, "draft", nil) // no approved amount: in no group's sums
					continue
				}
				approved := int64(1_000_00 * (1 + k%7))
				p := f.project(unit, year, "construction", payFen(approved))
				if k%3 != 0 {
					f.contract(p, approved-int64(k))
				}
				for j := range (k + i) % 4 {
					require.NoError(t, payRawInsert(db, fmt.Sprintf("fp-%d-%d", k, j), p, int64(10_00+k*3+j), statuses[(k+j)%3]))
				}
			}
		}
	}
	return f
}

// TestFundsPagesEqualFullAggregate: R15, the funds report read page by page (keyset on the
// group's key, issue 20 item 3) is the one aggregate over every approved project and payment,
// for every page size and with ?year=, ?unit_id= and both.
func TestFundsPagesEqualFullAggregate(t *testing.T) {
	t.Parallel()
	f := fundsSpread(t)
	ctx := context.Background()
	var full []store.FundsRow
	require.NoError(t, f.st.DB().SelectContext(ctx, &full, fundsFullAggregate))
	require.Greater(t, len(full), 10)

	for _, filter := range []store.FundsFilter{{}, {Year: 2024}, {UnitID: "unit-c"}, {Year: 2023, UnitID: "unit-b"}, {Year: 2019}, {UnitID: "unit-z"}} {
		var want []store.FundsRow
		for _, r := range full {
			if (filter.Year == 0 || r.PlanYear == filter.Year) && (filter.UnitID == "" || r.UnitID == filter.UnitID) {
				want = append(want, r)
			}
		}
		for _, limit := range []int{1, 2, 3, 7, 50} {
			var got []store.FundsRow
			filter.Limit, filter.Cursor = limit, ""
			for pages := 0; ; pages++ {
				require.Less(t, pages, 100, "the pages never end")
				rows, next, err := f.st.Funds(ctx, filter)
				require.NoError(t, err)
				require.LessOrEqual(t, len(rows), limit)
				got = append(got, rows...)
				if next == "" {
					break
				}
				filter.Cursor = next
			}
			require.Equal(t, want, got, "year %d, unit %q, %d a page", filter.Year, filter.UnitID, limit)
		}
	}
}

// TestFundsPageReadsItsOwnPayments: issue 20 item 3, a page of the funds report reads the
// payments of its own groups' projects only, not every payment (the full aggregate did: 882
// ms on a decade's read model, docs/PERFORMANCE.md §11.3). Counted in EXPLAIN ANALYZE's rows
// out of every scan of payments, which no plan choice changes (a
// scan inside the per-project lateral puts out that project's payments whatever it reads).
func TestFundsPageReadsItsOwnPayments(t *testing.T) {
	t.Parallel()
	f := fundsSpread(t)
	ctx := context.Background()
	db := f.st.DB()
	for _, filter := range []store.FundsFilter{{Limit: 2}, {Limit: 1, Year: 2022}, {Limit: 1, UnitID: "unit-d"}} {
		rows, _, err := f.st.Funds(ctx, filter)
		require.NoError(t, err)
		require.Len(t, rows, filter.Limit)
		q, args, err := store.FundsQuery(filter)
		require.NoError(t, err)
		root, plan := explain(t, db, q, args...)
		read := root.rowsOut("payments")

		// The query reads Limit+1 groups (the next page's first tells whether there is one).
		var pageGroups []struct {
			Year int    `db:"plan_year"`
			Unit string `db:"unit_id"`
		}
		require.NoError(t, db.SelectContext(ctx, &pageGroups, `SELECT plan_year, unit_id FROM (`+fundsFullAggregate+`) r
			WHERE ($1 = 0 OR plan_year = $1) AND ($2 = '' OR unit_id = $2) ORDER BY plan_year DESC, unit_id LIMIT $3`,
			filter.Year, filter.UnitID, filter.Limit+1))
		var own, all int
		for _, g := range pageGroups {
			var n int
			require.NoError(t, db.GetContext(ctx, &n, `SELECT count(*) FROM payments pay JOIN projects p ON p.id = pay.project_id
				WHERE p.plan_year = $1 AND p.unit_id = $2 AND p.approved_amount_fen IS NOT NULL`, g.Year, g.Unit))
			own += n
		}
		require.NoError(t, db.GetContext(ctx, &all, `SELECT count(*) FROM payments`))
		require.Greater(t, all, 2*own, "the test needs payments outside the page")
		require.LessOrEqual(t, read, float64(own), "payments read for a page of %+v (its own %d of %d):\n%s", filter, own, all, plan)
	}
}
