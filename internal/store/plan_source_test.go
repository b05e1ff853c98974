package store_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"egovpm/internal/domain"
)

// TestPlanReadsWhatApplyWrote: an AnnualPlan that reads stages from the read model
// (plan-stages-from-read-model, R4–R6) sees exactly what the lifecycles' and the plan's own
// transitions wrote: stages and row versions, plan items (R5, R8 supplementary), bundles (R6)
// and open panel tasks (R4); bundle candidates are the year's projects awaiting approval, in
// submission order; the per-year switch that stops stage reports is idempotent.
func TestPlanReadsWhatApplyWrote(t *testing.T) {
	st, apply := planFixture(t, []planProject{{"pa", 2031, 500_000_000, domain.StageAwaitingApproval},
		{"pb", 2031, 500_000_000, domain.StageAwaitingApproval}, {"pc", 2031, 500_000_000, domain.StageExpertReview},
		{"pd", 2032, 500_000_000, domain.StageAwaitingApproval}, {"pe", 2031, 500_000_000, domain.StageAwaitingApproval},
		{"pf", 2031, 500_000_000, domain.StageDraft}})
	ctx := context.Background()
	// pa and pb planned (pb supplementary, R8), pb bundled; pc's panel opened; pe's stage
	// changed once more.
	apply(domain.Transition{ID: "plan:2031/r/1", WorkflowID: "plan:2031", PlanItems: []domain.PlanItem{
		{PlanYear: 2031, ProjectID: "pa", Included: true, ApprovedAmountFen: 400_000_000, DecidedBy: "u-drb1"},
		{PlanYear: 2031, ProjectID: "pb", Included: true, ApprovedAmountFen: 300_000_000, Supplementary: true, DecidedBy: "u-drb1"},
	}})
	apply(domain.Transition{ID: "plan:2031/r/2", WorkflowID: "plan:2031", Open: []domain.NewTask{{ID: "plan:2031:bundle_approval:b1",
		Kind: domain.TaskBundleApproval, BundleID: "b1", CandidateRole: domain.RoleNDRCApprover, DueWorkdays: 5}},
		Bundle: &domain.Bundle{ID: "b1", PlanYear: 2031, TaskID: "plan:2031:bundle_approval:b1", Status: "pending", CreatedBy: "u-drb1",
			ProjectIDs: []string{"pb"}}})
	apply(domain.Transition{ID: "project:pc/r/1", WorkflowID: "project:pc", ProjectID: "pc", Open: []domain.NewTask{
		{ID: "project:pc:expert_review:1:u-exp2", Kind: domain.TaskExpertReview, ProjectID: "pc", CandidateRole: domain.RoleExpert,
			AssigneeID: "u-exp2", DueWorkdays: 5}}})
	apply(domain.Transition{ID: "project:pe/r/1", WorkflowID: "project:pe", ProjectID: "pe", Stage: domain.StageAwaitingApproval})

	rows, err := st.PlanProjects(ctx, []string{"pe", "pc", "pa", "pb", "nope"})
	require.NoError(t, err)
	require.Equal(t, []domain.PlanProject{
		{ProjectID: "pa", PlanYear: 2031, UnitID: "unit-a", Name: "项目pa", EstimatedFen: 500_000_000, Stage: domain.StageAwaitingApproval,
			Version: 1, Planned: true, PlanAmountFen: 400_000_000, WrittenBy: "plan:2031/r/1"},
		{ProjectID: "pb", PlanYear: 2031, UnitID: "unit-a", Name: "项目pb", EstimatedFen: 500_000_000, Stage: domain.StageAwaitingApproval,
			Version: 1, Planned: true, PlanAmountFen: 300_000_000, Supplementary: true, BundleID: "b1"},
		{ProjectID: "pc", PlanYear: 2031, UnitID: "unit-a", Name: "项目pc", EstimatedFen: 500_000_000, Stage: domain.StageExpertReview,
			Version: 1, ExpertTasksOpen: true},
		{ProjectID: "pe", PlanYear: 2031, UnitID: "unit-a", Name: "项目pe", EstimatedFen: 500_000_000, Stage: domain.StageAwaitingApproval,
			Version: 2},
	}, rows)

	cands, err := st.BundleCandidates(ctx, 2031)
	require.NoError(t, err)
	var ids []string
	for _, c := range cands {
		ids = append(ids, c.ProjectID)
	}
	// Bundled or not (bundles are the plan's own state; it leaves out its bundled ones).
	require.Equal(t, []string{"pa", "pb", "pe"}, ids, "awaiting approval, of 2031, first submitted first")

	reads, err := st.PlanReadsStages(ctx, 2031)
	require.NoError(t, err)
	require.False(t, reads)
	require.NoError(t, st.MarkPlanReadsStages(ctx, 2031))
	require.NoError(t, st.MarkPlanReadsStages(ctx, 2031))
	reads, err = st.PlanReadsStages(ctx, 2031)
	require.NoError(t, err)
	require.True(t, reads)
	reads, err = st.PlanReadsStages(ctx, 2032)
	require.NoError(t, err)
	require.False(t, reads)
}
