package workflows_test

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/workflow"

	"egovpm/activities/wire"
	"egovpm/internal/domain"
	"egovpm/workflows"
)

const adjustTask = "plan:2026:plan_adjustment:adj1"

// TestR5_PlanAdjustmentApprovedByTheProjectsApprover (issue 19 item 5, plan-adjust): DRB
// proposes adding a project awaiting the plan, cutting one planned amount and removing another
// planned project; the approval task goes to the approver of the projects' pinned policy (NDRC,
// 2021), which DRB may not decide; approved, the plan items are replaced and each lifecycle is
// told: the added one its plan result, the others SignalPlanAdjusted. A project of a pending
// adjustment cannot be proposed again; a planned amount above the estimate is refused.
//
// The lifecycles are told by one SignalMembers activity (plan-adjust-fanout, issue 20 item 1);
// a run started before plan-baseline-close-fanout signals each from the plan.
func TestR5_PlanAdjustmentApprovedByTheProjectsApprover(t *testing.T) {
	for _, old := range []bool{false, true} {
		t.Run(fmt.Sprintf("started before plan-adjust-fanout: %v", old), func(t *testing.T) { planAdjustment(t, old) })
	}
}

func planAdjustment(t *testing.T, old bool) {
	h := newPlan(t)
	if old {
		startedBefore(t, h.env, "plan-baseline-close-fanout")
		h.env.OnGetVersion("plan-adjust-fanout", workflow.DefaultVersion, 1).Return(workflow.DefaultVersion)
	}
	h.status("p-keep", unitA, smallFen, domain.StageAwaitingPlan)
	h.status("p-drop", unitA, smallFen, domain.StageAwaitingPlan)
	h.status("p-add", unitA, smallFen, domain.StageAwaitingPlan)
	compile := h.update(workflows.UpdateCompile, workflows.CompileUpdate{Actor: drbReviewer, Included: []workflows.PlanInclusion{
		{ProjectID: "p-keep", ApprovedAmountFen: smallFen}, {ProjectID: "p-drop", ApprovedAmountFen: smallFen}}})
	h.status("p-keep", unitA, smallFen, domain.StageAwaitingApproval)
	h.status("p-drop", unitA, smallFen, domain.StageAwaitingApproval)
	addPlanned := h.update(workflows.UpdateProposeAdjustment, workflows.AdjustUpdate{AdjustmentID: "adj00", Actor: drbReviewer,
		Reason: "增补", Changes: []workflows.AdjustChange{{ProjectID: "p-keep", Action: workflows.AdjustAdd, AmountFen: 1}}})
	over := h.update(workflows.UpdateProposeAdjustment, workflows.AdjustUpdate{AdjustmentID: "adj0", Actor: drbReviewer,
		Reason: "预算调整", Changes: []workflows.AdjustChange{{ProjectID: "p-keep", Action: workflows.AdjustAmount, AmountFen: smallFen + 1}}})
	propose := h.update(workflows.UpdateProposeAdjustment, workflows.AdjustUpdate{AdjustmentID: "adj1", Actor: drbReviewer,
		Reason: "年中预算调整", Changes: []workflows.AdjustChange{
			{ProjectID: "p-add", Action: workflows.AdjustAdd, AmountFen: 300_000_000},
			{ProjectID: "p-keep", Action: workflows.AdjustAmount, AmountFen: 400_000_000},
			{ProjectID: "p-drop", Action: workflows.AdjustRemove}}})
	twice := h.update(workflows.UpdateProposeAdjustment, workflows.AdjustUpdate{AdjustmentID: "adj2", Actor: drbReviewer,
		Reason: "再次调整", Changes: []workflows.AdjustChange{{ProjectID: "p-keep", Action: workflows.AdjustAmount, AmountFen: 1}}})
	byDRB := h.decide(workflows.DecideUpdate{TaskID: adjustTask, Actor: drbSuper, Decision: domain.DecisionApprove})
	approve := h.decide(workflows.DecideUpdate{TaskID: adjustTask, Actor: ndrcAppr, Decision: domain.DecisionApprove, Comment: "同意调整"})
	again := h.decide(workflows.DecideUpdate{TaskID: adjustTask, Actor: ndrcAppr, Decision: domain.DecisionApprove})
	h.cancel()
	h.runPlan(policy2021())
	h.requireCancelled()

	requireOK(t, compile)
	requireRefused(t, addPlanned, domain.StatusConflict, workflows.CodeAdjustWrongStage)
	require.Equal(t, "项目 p-keep 当前阶段为待批复，只能增补待编入计划的项目", refusalMessage(t, addPlanned), "the stage by its Chinese name")
	requireRefused(t, over, domain.StatusUnprocessable, "amount_over_limit")
	requireOK(t, propose)
	requireRefused(t, twice, domain.StatusConflict, workflows.CodeAdjustPending)
	requireRejectedByValidator(t, byDRB, domain.StatusForbidden, "wrong_role")
	requireOK(t, approve)
	requireRejectedByValidator(t, again, domain.StatusConflict, "stale_task")

	opened := h.opened()
	require.Equal(t, adjustTask, opened[len(opened)-1].ID)
	require.Equal(t, domain.TaskPlanAdjustment, opened[len(opened)-1].Kind)
	require.Equal(t, domain.RoleNDRCApprover, opened[len(opened)-1].CandidateRole)
	require.Equal(t, "ndrc", opened[len(opened)-1].CandidateOrgID)

	results := h.planResults()
	require.Equal(t, []workflows.PlanResultSignal{{Included: true, ApprovedAmountFen: 300_000_000, Actor: ndrcAppr}}, results["project:p-add"])
	adjusted := map[string]workflows.PlanAdjustedSignal{}
	for _, s := range h.sent(workflows.SignalPlanAdjusted) {
		adjusted[s.WorkflowID] = s.Arg.(workflows.PlanAdjustedSignal)
	}
	require.Len(t, adjusted, 2)
	require.Equal(t, int64(400_000_000), adjusted["project:p-keep"].AmountFen)
	require.Equal(t, workflows.AdjustRemove, adjusted["project:p-drop"].Action)
	var items []domain.PlanItem
	for _, tr := range h.transitions {
		for _, it := range tr.PlanItems {
			if it.Adjusted {
				items = append(items, it)
			}
		}
	}
	require.Len(t, items, 3)
	require.Contains(t, h.auditActions(), "plan.adjust")
	var fromPlan []string
	for _, s := range h.signals {
		if (s.Name == workflows.SignalPlanAdjusted || s.Name == workflows.SignalPlanResult && s.WorkflowID == "project:p-add") && !s.ByActivity {
			fromPlan = append(fromPlan, s.WorkflowID)
		}
	}
	var adjustFanOuts []wire.FanOut
	for _, f := range h.fanOuts {
		if f.Adjust != nil {
			adjustFanOuts = append(adjustFanOuts, f)
		}
	}
	if old {
		require.ElementsMatch(t, []string{"project:p-add", "project:p-keep", "project:p-drop"}, fromPlan, "each signalled by the plan")
		require.Empty(t, adjustFanOuts)
		return
	}
	require.Empty(t, fromPlan, "no project signalled by the plan itself")
	require.Len(t, adjustFanOuts, 1, "one SignalMembers for the adjustment")
	require.Equal(t, workflows.SignalPlanAdjusted, adjustFanOuts[0].Signal)
	require.Equal(t, &wire.AdjustFanOut{AdjustmentID: "adj1", Reason: "年中预算调整", Actor: ndrcAppr, AddSignal: workflows.SignalPlanResult,
		Changes: []workflows.AdjustChange{{ProjectID: "p-add", Action: workflows.AdjustAdd, AmountFen: 300_000_000},
			{ProjectID: "p-keep", Action: workflows.AdjustAmount, AmountFen: 400_000_000},
			{ProjectID: "p-drop", Action: workflows.AdjustRemove}}}, adjustFanOuts[0].Adjust)
}

// TestR5_PlanAdjustedAmountAndRemovalInTheLifecycle (plan-adjust): a planned project awaiting
// approval takes the adjusted amount; removed, its open approval task is cancelled and it is
// not included. A run started before plan-adjust ignores the signal.
func TestR5_PlanAdjustedAmountAndRemovalInTheLifecycle(t *testing.T) {
	h := newLifecycle(t)
	h.toAwaitingApproval(largeFen)
	h.signal(workflows.SignalPlanAdjusted, workflows.PlanAdjustedSignal{AdjustmentID: "a1", Action: workflows.AdjustAmount,
		AmountFen: 1_000_000_000, Reason: "调减", Actor: ndrcAppr})
	h.projectState(func(st workflows.ProjectState) {
		require.Equal(t, domain.StageAwaitingApproval, st.Stage)
		require.Equal(t, int64(1_000_000_000), st.PlanAmountFen)
		require.Len(t, st.OpenTasks, 1, "the large project's approval task")
	})
	h.signal(workflows.SignalPlanAdjusted, workflows.PlanAdjustedSignal{AdjustmentID: "a2", Action: workflows.AdjustRemove,
		Reason: "移出计划", Actor: ndrcAppr})
	h.runLifecycle(lifecycleInput(largeFen, policy2021()))
	h.requireResult(domain.StageNotIncluded)
	tr := h.transitionTo(domain.StageNotIncluded)
	require.Len(t, tr.Close, 1)
	require.True(t, tr.Close[0].Cancelled)
	require.Equal(t, "plan.adjust_remove", tr.Audit[0].Action)
	require.Contains(t, h.auditActions(), "plan.adjust_amount")

	old := newLifecycle(t)
	startedBefore(t, old.env, "lifecycle-baseline-close")
	old.env.OnGetVersion("plan-adjust", workflow.DefaultVersion, 1).Return(workflow.DefaultVersion)
	old.toAwaitingApproval(smallFen)
	old.signal(workflows.SignalPlanAdjusted, workflows.PlanAdjustedSignal{AdjustmentID: "a1", Action: workflows.AdjustRemove, Reason: "移出"})
	old.projectState(func(st workflows.ProjectState) { require.Equal(t, domain.StageAwaitingApproval, st.Stage) })
	old.cancel()
	old.runLifecycle(lifecycleInput(smallFen, policy2021()))
	old.requireCancelled()
}

// TestR5_RepeatedPlanAdjustmentAppliedOnce (plan-adjust-once): an amount change delivered
// again (SignalMembers retried in its page, plan-adjust-fanout), in the same workflow task,
// later, or after the next adjustment, is applied once: one plan.adjust_amount each, the next
// adjustment's amount stands. A run
// started before lifecycle-baseline-adjust-once applies each delivery (its histories replay).
func TestR5_RepeatedPlanAdjustmentAppliedOnce(t *testing.T) {
	for _, old := range []bool{false, true} {
		t.Run(fmt.Sprintf("started before plan-adjust-once: %v", old), func(t *testing.T) {
			h := newLifecycle(t)
			if old {
				startedBefore(t, h.env, "lifecycle-baseline-adjust-once")
				h.env.OnGetVersion("plan-adjust-once", workflow.DefaultVersion, 1).Return(workflow.DefaultVersion)
			}
			h.toAwaitingApproval(largeFen)
			a1 := workflows.PlanAdjustedSignal{AdjustmentID: "a1", Action: workflows.AdjustAmount, AmountFen: 1_000_000_000,
				Reason: "调减", Actor: ndrcAppr}
			h.step(func() {
				h.env.SignalWorkflow(workflows.SignalPlanAdjusted, a1)
				h.env.SignalWorkflow(workflows.SignalPlanAdjusted, a1)
			})
			h.signal(workflows.SignalPlanAdjusted, a1)
			h.signal(workflows.SignalPlanAdjusted, workflows.PlanAdjustedSignal{AdjustmentID: "a2", Action: workflows.AdjustAmount,
				AmountFen: 900_000_000, Reason: "再调减", Actor: ndrcAppr})
			h.projectState(func(st workflows.ProjectState) { require.Equal(t, int64(900_000_000), st.PlanAmountFen) })
			h.signal(workflows.SignalPlanAdjusted, a1) // a retry of a1's page that outlived a2
			h.projectState(func(st workflows.ProjectState) {
				if old {
					require.Equal(t, int64(1_000_000_000), st.PlanAmountFen, "a1 applied again over a2")
					return
				}
				require.Equal(t, int64(900_000_000), st.PlanAmountFen, "a2's amount stands")
			})
			h.cancel()
			h.runLifecycle(lifecycleInput(largeFen, policy2021()))
			h.requireCancelled()
			n := 0
			for _, a := range h.auditActions() {
				if a == "plan.adjust_amount" {
					n++
				}
			}
			if old {
				require.Equal(t, 5, n, "each delivery applied")
				return
			}
			require.Equal(t, 2, n, "a1 once, a2 once")
		})
	}
}
