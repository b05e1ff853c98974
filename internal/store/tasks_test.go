package store_test

import (
	"context"
	"testing"

	"github.com/lib/pq"
	"github.com/stretchr/testify/require"

	"egovpm/bench"
	"egovpm/internal/domain"
	"egovpm/internal/seed"
	"egovpm/internal/store"
	"egovpm/internal/testdb"
)

// referenceInbox is the inbox written the obvious way, one flat WHERE over all tasks: what
// ListTasks must return, page for page, however its SQL is shaped for the indexes.
func referenceInbox(t *testing.T, st *store.Store, f store.TaskFilter, afterDue any, afterID string) []string {
	t.Helper()
	q := `SELECT t.id FROM tasks t LEFT JOIN projects p ON p.id = t.project_id
		WHERE ($5 = '' OR t.kind = $5) AND ($6 = '' OR t.project_id = $6)
		  AND ($7::timestamptz IS NULL OR (t.due_at, t.id) > ($7, $8))
		  AND CASE WHEN $9 = 'done' THEN t.decided_by = $1 AND t.status <> 'open'
		      ELSE t.status = 'open' AND (t.assignee_id = $1 OR (t.assignee_id IS NULL
		           AND t.candidate_role = ANY($3) AND (t.candidate_org_id IS NULL OR t.candidate_org_id = $2)
		           AND NOT (t.candidate_role = 'expert' AND p.unit_id IS NOT DISTINCT FROM $2))) END
		ORDER BY t.due_at, t.id LIMIT $4`
	if f.Status == "done" { // 已办: the latest decided first
		q = `SELECT t.id FROM tasks t
			WHERE ($5 = '' OR t.kind = $5) AND ($6 = '' OR t.project_id = $6) AND $9 = 'done'
			  AND ($7::timestamptz IS NULL OR (coalesce(t.decided_at, t.created_at), t.id) < ($7, $8))
			  AND t.decided_by = $1 AND t.status <> 'open' AND ($2::text IS NULL OR TRUE) AND ($3::text[] IS NULL OR TRUE) -- (unused here)
			ORDER BY coalesce(t.decided_at, t.created_at) DESC, t.id DESC LIMIT $4`
	}
	ids := []string{}
	require.NoError(t, st.DB().Select(&ids, q, f.UserID, f.OrgID, pq.Array(f.Roles), f.Limit, f.Kind, f.ProjectID, afterDue, afterID, f.Status))
	return ids
}

// The inbox query (shaped per role for tasks_open_role_idx, docs/PERFORMANCE.md) returns
// exactly the reference pages, page after page: single- and multi-role users, assignees,
// experts of a submitting unit (R4 recusal), org-bound offers, kind and project filters, and
// the done list (已办: the latest decided first).
func TestListTasksMatchesReference(t *testing.T) {
	st := testdb.New(t)
	ctx := context.Background()
	require.NoError(t, seed.Demo(ctx, st, "demo-Passw0rd"))
	require.NoError(t, bench.SeedInbox(ctx, st.DB(), bench.InboxSeed{Tasks: 20_000, Open: 4_000, Experts: 20, Projects: 900}, nil))
	// Offer 300 open expert reviews to every expert (unassigned) and move some of their
	// projects to unit-a, whose expert exp1 must never see them (R4).
	_, err := st.DB().Exec(`UPDATE tasks SET assignee_id = NULL WHERE id IN
		(SELECT id FROM tasks WHERE kind = 'expert_review' AND status = 'open' ORDER BY id LIMIT 300)`)
	require.NoError(t, err)
	_, err = st.DB().Exec(`UPDATE projects SET unit_id = 'unit-a' WHERE id IN (SELECT DISTINCT project_id FROM tasks
		WHERE kind = 'expert_review' AND status = 'open' AND assignee_id IS NULL ORDER BY project_id LIMIT 40)`)
	require.NoError(t, err)
	var recused int
	require.NoError(t, st.DB().Get(&recused, `SELECT count(*) FROM tasks t JOIN projects p ON p.id = t.project_id
		WHERE t.kind = 'expert_review' AND t.status = 'open' AND t.assignee_id IS NULL AND p.unit_id = 'unit-a'`))
	require.Positive(t, recused, "the seed must offer unit-a projects to experts, or recusal is untested")
	var someProject string
	require.NoError(t, st.DB().Get(&someProject, `SELECT project_id FROM tasks WHERE status = 'open' AND candidate_role = 'drb_reviewer'
		GROUP BY project_id ORDER BY count(*) DESC, project_id LIMIT 1`))

	for _, f := range []store.TaskFilter{
		{UserID: "u-drb1", OrgID: "drb", Roles: []string{domain.RoleDRBReviewer}},
		{UserID: "u-drbsup", OrgID: "drb", Roles: []string{domain.RoleDRBSupervisor, domain.RoleDRBReviewer}},
		{UserID: "u-drbsup", OrgID: "drb", Roles: []string{domain.RoleDRBReviewer, domain.RoleDRBReviewer}},
		{UserID: "u-exp1", OrgID: "unit-a", Roles: []string{domain.RoleExpert}},
		{UserID: "u-bexp3", OrgID: "experts", Roles: []string{domain.RoleExpert}},
		{UserID: "u-ndrc1", OrgID: "ndrc", Roles: []string{domain.RoleNDRCApprover}},
		{UserID: "u-fin1", OrgID: "finance", Roles: []string{domain.RoleFinance, domain.RoleCrypto}},
		{UserID: "u-x", OrgID: "unit-b", Roles: []string{domain.RoleNDRCApprover}}, // org-bound offers of another org
		{UserID: "u-drb1", OrgID: "drb", Roles: []string{domain.RoleDRBReviewer}, Kind: "om_review"},
		{UserID: "u-drb1", OrgID: "drb", Roles: []string{domain.RoleDRBReviewer}, ProjectID: someProject},
		{UserID: "u-bexp3", OrgID: "experts", Roles: []string{domain.RoleExpert}, Status: "done"},
		{UserID: "u-drb1", OrgID: "drb", Roles: nil},
	} {
		f.Limit = 37
		var afterDue any
		afterID, pages, total := "", 0, 0
		for {
			got, next, err := st.ListTasks(ctx, f)
			require.NoError(t, err)
			want := referenceInbox(t, st, f, afterDue, afterID)
			gotIDs := make([]string, len(got))
			for i, x := range got {
				gotIDs[i] = x.ID
			}
			require.Equal(t, want, gotIDs, "%+v page %d", f, pages)
			pages++
			total += len(got)
			if next == "" {
				require.Less(t, len(got), f.Limit+1)
				break
			}
			require.Len(t, got, f.Limit)
			last := got[len(got)-1]
			afterDue, afterID, f.Cursor = last.DueAt, last.ID, next
			if f.Status == "done" {
				afterDue = last.DecidedAt.Time // every seeded decided task has decided_at
			}
			require.Less(t, pages, 500)
		}
		if f.UserID != "u-x" && f.Roles != nil {
			require.Positive(t, total, "%+v: empty inbox, the comparison proves nothing", f)
		}
	}
}
