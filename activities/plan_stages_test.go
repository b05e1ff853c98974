package activities_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"egovpm/activities"
	"egovpm/activities/wire"
	"egovpm/internal/domain"
	"egovpm/internal/seed"
	"egovpm/internal/testdb"
)

// TestLoadPlanStagesAnswersWhatACompileChecks (plan-compile-lean-read, R5, R7, R8): on the read
// model, a compile's read answers of each project it names the stage, version and estimate and
// the flags the plan keeps (a supplementary item, open panel tasks), the same facts as the
// whole rows of LoadPlanProjects, and leaves out a project of another year, a draft and an
// unknown id, which the plan then refuses as project_not_in_plan_year.
func TestLoadPlanStagesAnswersWhatACompileChecks(t *testing.T) {
	st := testdb.New(t)
	ctx := context.Background()
	require.NoError(t, seed.Demo(ctx, st, "demo-Passw0rd"))
	for _, p := range []struct {
		id    string
		year  int
		stage domain.Stage
	}{{"pa", 2031, domain.StageAwaitingPlan}, {"pb", 2031, domain.StageAwaitingPlan}, {"pc", 2031, domain.StageExpertReview},
		{"pd", 2032, domain.StageAwaitingPlan}, {"pf", 2031, domain.StageDraft}} {
		_, err := st.DB().Exec(`INSERT INTO projects (id, unit_id, name, type, plan_year, estimated_investment_fen, mlps_level, stage,
			created_by) VALUES ($1, 'unit-a', '项目' || $1, 'new', $2, 500000000, 2, $3, 'u-alice')`, p.id, p.year, p.stage)
		require.NoError(t, err)
	}
	due := func(now time.Time, workdays int) time.Time { return now.AddDate(0, 0, workdays) }
	for _, tr := range []domain.Transition{
		{ID: "project:pb/r/1", WorkflowID: "project:pb", PlanItems: []domain.PlanItem{{PlanYear: 2031, ProjectID: "pb", Included: true,
			ApprovedAmountFen: 300_000_000, Supplementary: true, DecidedBy: "u-drb1"}}},
		{ID: "project:pc/r/1", WorkflowID: "project:pc", ProjectID: "pc", Open: []domain.NewTask{{ID: "project:pc:expert_review:1:u-exp2",
			Kind: domain.TaskExpertReview, ProjectID: "pc", CandidateRole: domain.RoleExpert, AssigneeID: "u-exp2", DueWorkdays: 5}}},
	} {
		_, err := st.ApplyTransition(ctx, tr, due)
		require.NoError(t, err)
	}
	a := &activities.Activities{Store: st}
	in := wire.PlanProjectsInput{Year: 2031, IDs: []string{"pf", "pd", "pc", "pb", "pa", "nope"}}
	got, err := a.LoadPlanStages(ctx, in)
	require.NoError(t, err)
	require.Equal(t, []wire.PlanStage{
		{ProjectID: "pa", Stage: domain.StageAwaitingPlan, Version: 1, EstimatedFen: 500_000_000},
		{ProjectID: "pb", Stage: domain.StageAwaitingPlan, Version: 1, EstimatedFen: 500_000_000, Supplementary: true, PlanAmountFen: 300_000_000},
		{ProjectID: "pc", Stage: domain.StageExpertReview, Version: 1, EstimatedFen: 500_000_000, ExpertTasksOpen: true},
	}, got)

	whole, err := a.LoadPlanProjects(ctx, in)
	require.NoError(t, err)
	var same []wire.PlanStage
	for _, r := range whole {
		if s, ok := wire.PlanStageOf(r, in.Year); ok {
			same = append(same, s)
		}
	}
	require.Equal(t, same, got, "the facts of the whole rows of the year, not drafts")
}
