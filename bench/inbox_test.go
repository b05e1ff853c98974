package bench

import (
	"context"
	"testing"

	"egovpm/internal/domain"
	"egovpm/internal/seed"
	"egovpm/internal/store"
	"egovpm/internal/testdb"
)

// The rewrite of the inbox query proposed in docs/PERFORMANCE.md returns exactly the pages of
// store.ListTasks, page after page, for single- and multi-role users, experts (recusal) and
// assignees.
func TestProposedListTasksMatchesStore(t *testing.T) {
	st := testdb.New(t)
	ctx := context.Background()
	if err := seed.Demo(ctx, st, "demo-Passw0rd"); err != nil {
		t.Fatal(err)
	}
	if err := SeedInbox(ctx, st.DB, InboxSeed{Tasks: 20_000, Open: 4_000, Experts: 20}, nil); err != nil {
		t.Fatal(err)
	}
	// An expert of unit-a, whose unit's projects are recused (R4).
	if _, err := st.DB.ExecContext(ctx, `UPDATE tasks SET assignee_id = NULL WHERE kind = 'expert_review' AND id IN
		(SELECT id FROM tasks WHERE kind = 'expert_review' AND status = 'open' ORDER BY id LIMIT 300)`); err != nil {
		t.Fatal(err)
	}
	for _, f := range []store.TaskFilter{
		{UserID: "u-drb1", OrgID: "drb", Roles: []string{domain.RoleDRBReviewer}},
		{UserID: "u-drbsup", OrgID: "drb", Roles: []string{domain.RoleDRBSupervisor, domain.RoleDRBReviewer}},
		{UserID: "u-exp1", OrgID: "unit-a", Roles: []string{domain.RoleExpert}},
		{UserID: "u-bexp3", OrgID: "experts", Roles: []string{domain.RoleExpert}},
		{UserID: "u-ndrc1", OrgID: "ndrc", Roles: []string{domain.RoleNDRCApprover}},
		{UserID: "u-fin1", OrgID: "finance", Roles: []string{domain.RoleFinance, domain.RoleCrypto}},
	} {
		f.Status, f.Limit = "open", 37
		pages, total := 0, 0
		for {
			want, next, err := st.ListTasks(ctx, f)
			if err != nil {
				t.Fatal(err)
			}
			got, err := ProposedListTasks(ctx, st.DB, f)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(want) {
				t.Fatalf("%s page %d: %d tasks, store has %d", f.UserID, pages, len(got), len(want))
			}
			for i := range got {
				if got[i] != want[i].ID {
					t.Fatalf("%s page %d row %d: %s, store has %s", f.UserID, pages, i, got[i], want[i].ID)
				}
			}
			pages++
			total += len(want)
			if next == "" || pages > 200 {
				break
			}
			f.Cursor = next
		}
		if total == 0 {
			t.Errorf("%s: empty inbox, the comparison proves nothing", f.UserID)
		}
	}
}
