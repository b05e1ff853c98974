package store_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"egovpm/bench"
	"egovpm/internal/audit"
	"egovpm/internal/domain"
	"egovpm/internal/seed"
	"egovpm/internal/store"
	"egovpm/internal/testdb"
)

// TestInboxPoolPlansGenerically: the inbox query on its own pool (store.OpenInbox) runs on
// its generic plan from the first call, and returns the same pages as on the main pool,
// whose sessions keep PostgreSQL's default plan choice (docs/PERFORMANCE.md, reads).
func TestInboxPoolPlansGenerically(t *testing.T) {
	ctx := context.Background()
	u := testdb.URL(t)
	st := testdb.Open(t, u, 0)
	require.NoError(t, seed.Demo(ctx, st, "demo-Passw0rd"))
	require.NoError(t, bench.SeedInbox(ctx, st.DB(), bench.InboxSeed{Tasks: 5_000, Open: 1_000, Experts: 10, Projects: 300}, nil))

	filters := []store.TaskFilter{
		{UserID: "u-drb1", OrgID: "drb", Roles: []string{domain.RoleDRBReviewer}, Limit: 20},
		{UserID: "u-drbsup", OrgID: "drb", Roles: []string{domain.RoleDRBSupervisor, domain.RoleDRBReviewer}, Limit: 20},
		{UserID: "u-exp1", OrgID: "unit-a", Roles: []string{domain.RoleExpert}, Limit: 20},
		{UserID: "u-bexp3", OrgID: "experts", Roles: []string{domain.RoleExpert}, Limit: 20},
	}
	var want [][]string
	for _, f := range filters {
		want = append(want, pages(t, st, f))
	}

	inbox, err := store.OpenInbox(ctx, u, 1) // one session, so its statistics are the pool's
	require.NoError(t, err)
	st2 := store.New(st.DB(), audit.New(testdb.AuditKey))
	st2.UseInboxPool(inbox)
	for i, f := range filters {
		require.Equal(t, want[i], pages(t, st2, f), "roles %v", f.Roles)
	}

	var mode string
	require.NoError(t, inbox.Get(&mode, `SHOW plan_cache_mode`))
	require.Equal(t, "force_generic_plan", mode)
	var generic, custom int64
	require.NoError(t, inbox.QueryRowx(`SELECT coalesce(sum(generic_plans), 0), coalesce(sum(custom_plans), 0)
		FROM pg_prepared_statements`).Scan(&generic, &custom))
	require.Positive(t, generic)
	require.Zero(t, custom, "the inbox pool never plans per call")

	require.NoError(t, st.DB().Get(&mode, `SHOW plan_cache_mode`))
	require.Equal(t, "auto", mode, "the main pool keeps the default")
	require.NoError(t, st2.Close())
}

// pages lists every task id of f's inbox, page after page.
func pages(t *testing.T, st *store.Store, f store.TaskFilter) []string {
	t.Helper()
	var ids []string
	for {
		ts, next, err := st.ListTasks(context.Background(), f)
		require.NoError(t, err)
		for _, x := range ts {
			ids = append(ids, x.ID)
		}
		if next == "" {
			return ids
		}
		f.Cursor = next
	}
}
