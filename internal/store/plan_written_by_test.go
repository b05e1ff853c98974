package store_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"egovpm/internal/domain"
)

// TestPlanProjectsTellWhoWroteThem (plan-lean-resume, PERFORMANCE §11.2 item 3): the plan's
// read of its projects says which plan transition wrote each one's plan item — a compile's,
// kept by a retry (ON CONFLICT DO NOTHING), replaced by an approved adjustment's (ON CONFLICT
// DO UPDATE) — none for a lifecycle's supplementary item, and the project's latest expert
// session with the project's version when that session convened it (none for a session that
// names no versions).
func TestPlanProjectsTellWhoWroteThem(t *testing.T) {
	st, apply := planFixture(t, []planProject{{"pa", 2033, 500_000_000, domain.StageAwaitingPlan},
		{"pb", 2033, 500_000_000, domain.StageAwaitingPlan}, {"pc", 2033, 500_000_000, domain.StageExpertReview},
		{"pd", 2033, 500_000_000, domain.StageExpertReview}, {"pe", 2033, 500_000_000, domain.StageAwaitingPlan}})
	ctx := context.Background()
	compile := func(id string, items ...domain.PlanItem) {
		apply(domain.Transition{ID: id, WorkflowID: "plan:2033", PlanItems: items})
	}
	item := func(pid string, fen int64) domain.PlanItem {
		return domain.PlanItem{PlanYear: 2033, ProjectID: pid, Included: true, ApprovedAmountFen: fen, DecidedBy: "u-drb1"}
	}
	compile("plan:2033/u/c1/1", item("pa", 400_000_000), item("pb", 300_000_000))
	compile("plan:2033/u/c2/1", item("pa", 200_000_000)) // a lost attempt's retry under another id: kept
	adj := item("pb", 100_000_000)
	adj.Adjusted = true
	compile("plan:2033/u/a1/1", adj)
	supp := item("pe", 100_000_000)
	supp.Supplementary = true
	apply(domain.Transition{ID: "project:pe/r/1", WorkflowID: "project:pe", ProjectID: "pe", PlanItems: []domain.PlanItem{supp}})
	apply(domain.Transition{ID: "plan:2033/u/s1/1", WorkflowID: "plan:2033", Session: &domain.Session{ID: "s1", PlanYear: 2033,
		ExpertIDs: []string{"u-exp1"}, CreatedBy: "u-drb1", ProjectIDs: []string{"pc", "pd"}, ProjectVersions: []int{1, 1}}})
	_, err := st.DB().Exec(`UPDATE expert_sessions SET created_at = created_at - interval '1 hour' WHERE id = 's1'`)
	require.NoError(t, err)
	apply(domain.Transition{ID: "plan:2033/u/s2/1", WorkflowID: "plan:2033", Session: &domain.Session{ID: "s2", PlanYear: 2033,
		ExpertIDs: []string{"u-exp1"}, CreatedBy: "u-drb1", ProjectIDs: []string{"pc"}, ProjectVersions: []int{7}}})
	apply(domain.Transition{ID: "plan:2033/u/s3/1", WorkflowID: "plan:2033", Session: &domain.Session{ID: "s3", PlanYear: 2033,
		ExpertIDs: []string{"u-exp1"}, CreatedBy: "u-drb1", ProjectIDs: []string{"pd"}}}) // before the change: no versions
	_, err = st.DB().Exec(`UPDATE expert_sessions SET created_at = created_at + interval '1 hour' WHERE id = 's3'`)
	require.NoError(t, err)

	rows, err := st.PlanProjects(ctx, []string{"pa", "pb", "pc", "pd", "pe"})
	require.NoError(t, err)
	type fact struct {
		writtenBy, session string
		version            int
		amount             int64
	}
	got := map[string]fact{}
	for _, r := range rows {
		got[r.ProjectID] = fact{r.WrittenBy, r.LatestSession, r.SessionVersion, r.PlanAmountFen}
	}
	require.Equal(t, map[string]fact{
		"pa": {"plan:2033/u/c1/1", "", 0, 400_000_000},
		"pb": {"plan:2033/u/a1/1", "", 0, 100_000_000},
		"pc": {"", "s2", 7, 0},
		"pd": {"", "s3", 0, 0},
		"pe": {"", "", 0, 100_000_000},
	}, got)
}
