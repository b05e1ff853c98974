package workflows_test

import (
	"encoding/json"
	"fmt"
	"maps"
	"testing"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/workflow"

	"egovpm/internal/domain"
	"egovpm/workflows"
)

// continueAsNew makes the plan run continue as new at the next step (the server suggests it).
func (h *harness) continueAsNew() { h.step(func() { h.env.SetContinueAsNewSuggested(true) }) }

// requirePlanContinued checks that the plan run ended in continue-as-new and returns the next
// run's input.
func (h *harness) requirePlanContinued() workflows.AnnualPlanInput {
	h.t.Helper()
	var can *workflow.ContinueAsNewError
	require.ErrorAs(h.t, h.env.GetWorkflowError(), &can, "the run must end in continue-as-new")
	require.Equal(h.t, "AnnualPlan", can.WorkflowType.Name)
	var next workflows.AnnualPlanInput
	require.NoError(h.t, converter.GetDefaultDataConverter().FromPayloads(can.Input, &next))
	require.NotNil(h.t, next.Resume, "a continued run resumes the state")
	return next
}

// resumed is a harness for the plan's next run, resumed from resume, over the read model h
// left (its Update ids going on from h's, as the gateway's keys would).
func (h *harness) resumed(t *testing.T) *harness {
	t.Helper()
	next := newPlan(t)
	h.mu.Lock()
	defer h.mu.Unlock()
	for id, r := range h.rows {
		c := *r
		next.rows[id] = &c
	}
	next.rowOrder = append([]string(nil), h.rowOrder...)
	maps.Copy(next.items, h.items)
	next.updates = h.updates
	return next
}

// runResumed runs the plan resumed from resume until the test cancels it.
func (h *harness) runResumed(resume workflows.PlanState) {
	h.t.Helper()
	h.env.ExecuteWorkflow(workflows.AnnualPlan, workflows.AnnualPlanInput{Year: planYear, Policy: policy2021(), Resume: &resume})
	require.True(h.t, h.env.IsWorkflowCompleted(), "workflow did not complete")
	h.requireCancelled()
}

// Issue 20, PERFORMANCE §11.2 item 3 (plan-lean-resume): the state the plan carries across
// continue-as-new is the same size for a compile of 10 projects and of 1,000: it carries the
// compile's id, not the projects (~296 B each before, 296 KB at 1,000).
func TestPlanResumeCarriesNoProjects(t *testing.T) {
	sizes := map[int]int{}
	for _, n := range []int{10, 1000} {
		h := newPlan(t)
		var inc []workflows.PlanInclusion
		h.step(func() {
			h.mu.Lock()
			defer h.mu.Unlock()
			for i := range n {
				id := fmt.Sprintf("p%04d", i)
				h.rows[id] = &domain.PlanProject{ProjectID: id, PlanYear: planYear, UnitID: unitA, Name: "项目" + id,
					EstimatedFen: smallFen, Stage: domain.StageAwaitingPlan, Version: 1}
				h.rowOrder = append(h.rowOrder, id)
			}
		})
		for i := range n {
			inc = append(inc, workflows.PlanInclusion{ProjectID: fmt.Sprintf("p%04d", i), ApprovedAmountFen: smallFen})
		}
		compile := h.update(workflows.UpdateCompile, workflows.CompileUpdate{Actor: drbReviewer, Included: inc})
		h.continueAsNew()
		h.runPlan(policy2021())
		requireOK(t, compile)
		next := h.requirePlanContinued()
		require.Empty(t, next.Resume.Projects, "no project carried")
		require.Len(t, next.Resume.Compiles, 1, "the compile's id carried")
		b, err := json.Marshal(next.Resume)
		require.NoError(t, err)
		sizes[n] = len(b)
	}
	t.Logf("Resume: %v bytes", sizes)
	require.Equal(t, sizes[10], sizes[1000], "the state carried grows with the projects: %v", sizes)
}

// resumedScenario plays a plan run that convenes p2's panel (session s1), compiles p1 and p6,
// proposes an adjustment of p6 and continues as new; then the next run, resumed from the
// state it carried (Projects emptied, as a run before plan-lean-resume would not have), over
// a read model in which p3's plan item was written by a compile the plans never carried (a
// lost attempt's) and p4's latest session is one they never carried. In the next run it
// compiles p1 and p3, convenes p2 and p4, and decides the adjustment.
func resumedScenario(t *testing.T) (first workflows.AnnualPlanInput, h *harness, again, p3, panelAgain, p4, decide *outcome) {
	h1 := newPlan(t)
	for _, id := range []string{"p1", "p3", "p6"} {
		h1.status(id, unitA, smallFen, domain.StageAwaitingPlan)
	}
	for _, id := range []string{"p2", "p4"} {
		h1.status(id, "unit-b", smallFen, domain.StageExpertReview)
	}
	requireOKLater := []*outcome{
		h1.update(workflows.UpdateConvene, workflows.ConveneUpdate{SessionID: "s1", Actor: drbReviewer, Experts: fiveExperts,
			ProjectIDs: []string{"p2"}}),
		h1.update(workflows.UpdateCompile, workflows.CompileUpdate{Actor: drbReviewer, Included: []workflows.PlanInclusion{
			{ProjectID: "p1", ApprovedAmountFen: smallFen}, {ProjectID: "p6", ApprovedAmountFen: smallFen}}}),
	}
	h1.status("p6", unitA, smallFen, domain.StageAwaitingApproval)
	requireOKLater = append(requireOKLater, h1.update(workflows.UpdateProposeAdjustment, workflows.AdjustUpdate{AdjustmentID: "adj1",
		Actor: drbReviewer, Reason: "年中预算调整", Changes: []workflows.AdjustChange{{ProjectID: "p6", Action: workflows.AdjustAmount,
			AmountFen: 400_000_000}}}))
	h1.continueAsNew()
	h1.runPlan(policy2021())
	for _, o := range requireOKLater {
		requireOK(t, o)
	}
	first = h1.requirePlanContinued()

	h = h1.resumed(t)
	h.rows["p3"].Planned, h.rows["p3"].PlanAmountFen, h.rows["p3"].WrittenBy = true, smallFen, planWorkflowID+"/u/lost/1"
	h.rows["p4"].LatestSession, h.rows["p4"].SessionVersion = "s-lost", h.rows["p4"].Version
	compile := func(id string) *outcome {
		return h.update(workflows.UpdateCompile, workflows.CompileUpdate{Actor: drbReviewer,
			Included: []workflows.PlanInclusion{{ProjectID: id, ApprovedAmountFen: smallFen}}})
	}
	convene := func(session, id string) *outcome {
		return h.update(workflows.UpdateConvene, workflows.ConveneUpdate{SessionID: session, Actor: drbReviewer,
			Experts: fiveExperts, ProjectIDs: []string{id}})
	}
	again, p3 = compile("p1"), compile("p3")
	panelAgain, p4 = convene("s2", "p2"), convene("s3", "p4")
	decide = h.decide(workflows.DecideUpdate{TaskID: adjustTask, Actor: ndrcAppr, Decision: domain.DecisionApprove, Comment: "同意"})
	h.cancel()
	resume := *first.Resume
	resume.Projects = nil
	h.runResumed(resume)
	return first, h, again, p3, panelAgain, p4, decide
}

// plan-lean-resume: a run continued as new without its projects still refuses a second
// compile of a project the run before compiled, and a panel for a project the run before
// convened whose stage has not changed since (its panel tasks not open yet); it decides an
// adjustment the run before proposed, of a project it did not know.
func TestPlanResumedRefusesWhatItsEarlierRunDecided(t *testing.T) {
	first, h, again, _, panelAgain, _, decide := resumedScenario(t)
	require.Empty(t, first.Resume.Projects, "the run continued as new without its projects")
	require.Len(t, first.Resume.Compiles, 1)
	requireRefused(t, again, domain.StatusConflict, "project_not_ready")
	requireRefused(t, panelAgain, domain.StatusConflict, "project_not_ready")
	requireOK(t, decide)
	require.Equal(t, int64(400_000_000), h.items["p6"].ApprovedAmountFen, "the adjustment replaced p6's item")
	require.Equal(t, int64(400_000_000), h.rows["p6"].PlanAmountFen)
}

// plan-lean-resume: a plan item written under a transition id the run does not carry (a lost
// attempt's compile, whose Update comes again) and a session it does not carry are ignored:
// the compile and the panel go through, where the run's own earlier decisions are refused.
func TestPlanResumedIgnoresWritesItDoesNotCarry(t *testing.T) {
	_, h, again, p3, _, p4, _ := resumedScenario(t)
	requireRefused(t, again, domain.StatusConflict, "project_not_ready")
	requireOK(t, p3)
	requireOK(t, p4)
	require.Equal(t, []string{"p4"}, h.sessions["s3"], "p4's panel convened")
	require.Equal(t, int64(smallFen), h.items["p3"].ApprovedAmountFen, "p3 compiled")
}

// plan-lean-resume: a run resumed from a run before the change (its Projects carried, their
// plan items without written_by) keeps carrying the projects that run decided on or paneled,
// which the read model cannot vouch for, and drops the others; it still refuses their second
// compile and convene.
func TestPlanResumedFromBeforeTheChangeKeepsItsDecidedProjects(t *testing.T) {
	h := newPlan(t)
	h.status("p1", unitA, smallFen, domain.StageAwaitingPlan)
	h.status("p2", "unit-b", smallFen, domain.StageExpertReview)
	h.status("p3", unitA, smallFen, domain.StageAwaitingPlan)
	h.step(func() {
		h.mu.Lock()
		defer h.mu.Unlock()
		h.rows["p1"].Planned, h.rows["p1"].PlanAmountFen = true, smallFen // written before: no written_by
	})
	again := h.update(workflows.UpdateCompile, workflows.CompileUpdate{Actor: drbReviewer,
		Included: []workflows.PlanInclusion{{ProjectID: "p1", ApprovedAmountFen: smallFen}}})
	panel := h.update(workflows.UpdateConvene, workflows.ConveneUpdate{SessionID: "s2", Actor: drbReviewer, Experts: fiveExperts,
		ProjectIDs: []string{"p2"}})
	h.continueAsNew()
	resume := workflows.PlanState{Year: planYear, Sessions: []string{"s1"}, Seq: 3, Projects: []*workflows.PlanProject{
		{ProjectID: "p1", UnitID: unitA, EstimatedFen: smallFen, Stage: domain.StageAwaitingPlan, Version: 1, Planned: true,
			PlanAmountFen: smallFen},
		{ProjectID: "p2", UnitID: "unit-b", EstimatedFen: smallFen, Stage: domain.StageExpertReview, Version: 1, Paneled: true,
			PaneledVersion: 1},
		{ProjectID: "p3", UnitID: unitA, EstimatedFen: smallFen, Stage: domain.StageAwaitingPlan, Version: 1},
	}}
	h.env.ExecuteWorkflow(workflows.AnnualPlan, workflows.AnnualPlanInput{Year: planYear, Policy: policy2021(), Resume: &resume})
	requireRefused(t, again, domain.StatusConflict, "project_not_ready")
	requireRefused(t, panel, domain.StatusConflict, "project_not_ready")
	next := h.requirePlanContinued()
	var ids []string
	for _, pp := range next.Resume.Projects {
		ids = append(ids, pp.ProjectID)
	}
	require.Equal(t, []string{"p1", "p2"}, ids, "the legacy projects decided on are carried, p3 is not")
}
