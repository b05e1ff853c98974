package workflows_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/workflow"

	"egovpm/internal/domain"
	"egovpm/workflows"
)

func (h *harness) withdrawDecision(taskID string, actor domain.Actor, reason string) *outcome {
	return h.update(workflows.UpdateWithdrawDecision, workflows.WithdrawDecisionUpdate{TaskID: taskID, Actor: actor, Reason: reason,
		RequestID: "req-wd"})
}

const prelim1W1 = prelim1 + ":w1"

// TestWithdrawDecision_PrelimReturnUndone (撤回决定, issue 19 item 2, R3, R18): the reviewer who
// returned the project withdraws his return before the unit resubmitted: another reviewer may
// not, a blank reason is refused; the project is back in prelim review with the task reopened
// under a new id assigned to him, the unit told, audited task.withdraw_decision. Deciding
// again works on the reopened task; the old one is stale.
func TestWithdrawDecision_PrelimReturnUndone(t *testing.T) {
	h := newDelivery(t, shanghaiTime(2026, 3, 2, 9, 0, 0))
	ret := h.decide(workflows.DecideUpdate{TaskID: prelim1, Actor: drbReviewer, Decision: domain.DecisionReturn, Comment: "补充预算明细"})
	other := h.withdrawDecision(prelim1, drbReviewer2, "误操作")
	blank := h.withdrawDecision(prelim1, drbReviewer, "  ")
	ok := h.withdrawDecision(prelim1, drbReviewer, "退回意见有误")
	h.projectState(func(st workflows.ProjectState) {
		require.Equal(t, domain.StagePrelimReview, st.Stage)
		require.Nil(t, st.LastDecision)
		require.Equal(t, []workflows.OpenTask{{ID: prelim1W1, Kind: domain.TaskPrelimReview, CandidateRole: domain.RoleDRBReviewer,
			CandidateOrgID: "drb", AssigneeID: drbReviewer.ID}}, st.OpenTasks)
	})
	again := h.withdrawDecision(prelim1, drbReviewer, "再次撤回")
	stale := h.decide(workflows.DecideUpdate{TaskID: prelim1, Actor: drbReviewer, Decision: domain.DecisionApprove})
	redo := h.decide(workflows.DecideUpdate{TaskID: prelim1W1, Actor: drbReviewer, Decision: domain.DecisionApprove})
	h.cancel()
	h.runLifecycle(lifecycleInput(smallFen, policy2021()))
	h.requireCancelled()

	requireOK(t, ret)
	requireRejectedByValidator(t, other, domain.StatusForbidden, workflows.CodeDecisionNotOwn)
	requireRejectedByValidator(t, blank, domain.StatusBadRequest, "invalid_input")
	requireOK(t, ok)
	require.Equal(t, workflows.DecideResult{TaskID: prelim1W1, Decision: "withdraw_decision", Stage: domain.StagePrelimReview}, ok.result)
	requireRejectedByValidator(t, again, domain.StatusConflict, workflows.CodeWithdrawTooLate)
	requireRejectedByValidator(t, stale, domain.StatusConflict, "stale_task")
	requireOK(t, redo)

	require.Equal(t, []domain.Stage{domain.StagePrelimReview, domain.StageRevision, domain.StagePrelimReview, domain.StageExpertReview}, h.stages())
	w := h.withAudit("task.withdraw_decision")
	require.Len(t, w, 1)
	require.Equal(t, domain.StagePrelimReview, w[0].Stage)
	require.Equal(t, []domain.NewTask{{ID: prelim1W1, Kind: domain.TaskPrelimReview, ProjectID: "p1", CandidateRole: domain.RoleDRBReviewer,
		CandidateOrgID: "drb", AssigneeID: drbReviewer.ID, DueWorkdays: 5}}, w[0].Open)
	au := w[0].Audit[0]
	require.Equal(t, drbReviewer.ID, au.ActorID)
	require.Equal(t, "req-wd", au.RequestID)
	require.Equal(t, prelim1, au.Detail["task_id"])
	require.Equal(t, domain.DecisionReturn, au.Detail["decision"])
	require.Equal(t, "退回意见有误", au.Detail["reason"])
	told := h.notices("decision_withdrawn")
	require.Len(t, told, 1)
	require.Equal(t, unitA, told[0].OrgID)
	require.Contains(t, told[0].Body, "退回意见有误")
}

// TestWithdrawDecision_PrelimApproveRefusedOncePanelFormed: an approval is withdrawn while
// expert review waits for its panel (no unit notice: it was not told); once the panel formed
// (the project joined a session), it is too late.
func TestWithdrawDecision_PrelimApproveRefusedOncePanelFormed(t *testing.T) {
	h := newDelivery(t, shanghaiTime(2026, 3, 2, 9, 0, 0))
	h.decide(workflows.DecideUpdate{TaskID: prelim1, Actor: drbReviewer, Decision: domain.DecisionApprove})
	ok := h.withdrawDecision(prelim1, drbReviewer, "需补充材料后再审")
	h.decide(workflows.DecideUpdate{TaskID: prelim1W1, Actor: drbReviewer, Decision: domain.DecisionApprove})
	h.signal(workflows.SignalPanel, workflows.PanelSignal{SessionID: "s1", Experts: []workflows.ExpertRef{{ID: "e1", OrgID: "x"},
		{ID: "e2", OrgID: "y"}, {ID: "e3", OrgID: "z"}}})
	late := h.withdrawDecision(prelim1W1, drbReviewer, "太晚")
	h.cancel()
	h.runLifecycle(lifecycleInput(smallFen, policy2021()))
	h.requireCancelled()

	requireOK(t, ok)
	requireRejectedByValidator(t, late, domain.StatusConflict, workflows.CodeWithdrawTooLate)
	require.Empty(t, h.notices("decision_withdrawn"), "the unit was not told of an approval")
	require.Equal(t, []domain.Stage{domain.StagePrelimReview, domain.StageExpertReview, domain.StagePrelimReview, domain.StageExpertReview}, h.stages())
	// Tasks opened after a withdrawal never take the id of a closed one.
	require.Contains(t, h.openedIDs(), expertTask("e1")+":w1")
}

// TestWithdrawDecision_AcceptanceCheckRefusedOnceNextClaimed (R12): DRB's approval of the
// acceptance check opened the sign-off and the witness; once one of them is given to someone
// (转办), withdrawing is too late. Before it, the withdrawal cancels both and reopens the
// check assigned to its decider; the check decided again opens them under new ids.
func TestWithdrawDecision_AcceptanceCheckRefusedOnceNextClaimed(t *testing.T) {
	start := shanghaiTime(2026, 6, 15, 10, 0, 0)
	h := newDelivery(t, start)
	h.applyAcceptance(submitter)
	h.decide(workflows.DecideUpdate{TaskID: acceptCheck1, Actor: drbReviewer, Decision: domain.DecisionApprove})
	ok := h.withdrawDecision(acceptCheck1, drbReviewer, "材料审查有遗漏")
	h.projectState(func(st workflows.ProjectState) {
		require.Equal(t, domain.StageAcceptance, st.Stage)
		require.Len(t, st.OpenTasks, 1)
		require.Equal(t, acceptCheck1+":w1", st.OpenTasks[0].ID)
		require.Equal(t, drbReviewer.ID, st.OpenTasks[0].AssigneeID)
	})
	h.decide(workflows.DecideUpdate{TaskID: acceptCheck1 + ":w1", Actor: drbReviewer, Decision: domain.DecisionApprove})
	moved := h.reassign(workflows.ReassignUpdate{TaskID: witness1 + ":w1", Actor: drbSuper, Assignee: prtaWitness, Reason: "指定办理"})
	late := h.withdrawDecision(acceptCheck1+":w1", drbReviewer, "太晚")
	h.projectState(func(st workflows.ProjectState) {
		require.Equal(t, []string{signoff1 + ":w1", witness1 + ":w1"}, []string{st.OpenTasks[0].ID, st.OpenTasks[1].ID})
	})
	h.cancel()
	h.runLifecycle(resumedInput(policy2021(), trialRunOver(start)))
	h.requireCancelled()

	requireOK(t, ok)
	requireOK(t, moved)
	requireRejectedByValidator(t, late, domain.StatusConflict, workflows.CodeWithdrawTooLate)
	w := h.withAudit("task.withdraw_decision")
	require.Len(t, w, 1)
	require.Empty(t, w[0].Stage, "the stage did not change")
	require.Equal(t, []domain.TaskClose{{TaskID: signoff1, Cancelled: true, ActorID: drbReviewer.ID, Comment: "材料审查有遗漏"},
		{TaskID: witness1, Cancelled: true, ActorID: drbReviewer.ID, Comment: "材料审查有遗漏"}}, w[0].Close)
	require.Equal(t, []string{acceptCheck1, signoff1, witness1, acceptCheck1 + ":w1", signoff1 + ":w1", witness1 + ":w1"}, h.openedIDs())
	cancelled := h.notices("task_cancelled")
	require.Len(t, cancelled, 2, "the candidates of the tasks the decision opened are told")
	require.Equal(t, []string{signoff1, witness1}, []string{cancelled[0].TaskID, cancelled[1].TaskID})
	require.Equal(t, domain.RolePRTAWitness, cancelled[1].Role)
	require.Empty(t, h.notices("decision_withdrawn"), "the unit was not told of the check's approval")
}

// TestWithdrawDecision_WitnessFailUndone (R12): PRTA's failed witness sent the project to
// rectification and cancelled DRB's sign-off; withdrawn before the unit applied again, both
// reopen (the witness assigned to its decider), the project is back in acceptance and the unit
// told. Once the unit applied again, a withdrawal is too late.
func TestWithdrawDecision_WitnessFailUndone(t *testing.T) {
	start := shanghaiTime(2026, 6, 15, 10, 0, 0)
	h := newDelivery(t, start)
	h.applyAcceptance(submitter)
	h.decide(workflows.DecideUpdate{TaskID: acceptCheck1, Actor: drbReviewer, Decision: domain.DecisionApprove})
	h.decide(workflows.DecideUpdate{TaskID: witness1, Actor: prtaWitness, Decision: domain.DecisionFail, Comment: "接口未联调"})
	ok := h.withdrawDecision(witness1, prtaWitness, "现场复核已联调")
	h.projectState(func(st workflows.ProjectState) {
		require.Equal(t, domain.StageAcceptance, st.Stage)
		require.Equal(t, []workflows.OpenTask{
			{ID: witness1 + ":w1", Kind: domain.TaskAcceptanceWitness, CandidateRole: domain.RolePRTAWitness, CandidateOrgID: "prta", AssigneeID: prtaWitness.ID},
			{ID: signoff1 + ":w1", Kind: domain.TaskAcceptanceSignoff, CandidateRole: domain.RoleDRBReviewer, CandidateOrgID: "drb"},
		}, st.OpenTasks)
	})
	h.decide(workflows.DecideUpdate{TaskID: witness1 + ":w1", Actor: prtaWitness, Decision: domain.DecisionFail, Comment: "仍未联调"})
	h.applyAcceptance(submitter)
	late := h.withdrawDecision(witness1+":w1", prtaWitness, "太晚")
	h.cancel()
	h.runLifecycle(resumedInput(policy2021(), trialRunOver(start)))
	h.requireCancelled()

	requireOK(t, ok)
	requireRejectedByValidator(t, late, domain.StatusConflict, workflows.CodeWithdrawTooLate)
	require.Equal(t, []domain.Stage{domain.StageAcceptance, domain.StageRectification, domain.StageAcceptance,
		domain.StageRectification, domain.StageAcceptance}, h.stages())
	require.Len(t, h.notices("decision_withdrawn"), 1)
}

// TestWithdrawDecision_UnsupportedInRunsStartedBefore: a run started before decision-withdraw
// refuses the Update in its validator with a code.
func TestWithdrawDecision_UnsupportedInRunsStartedBefore(t *testing.T) {
	h := newLifecycle(t)
	startedBefore(t, h.env, "lifecycle-baseline-wdecide")
	h.env.OnGetVersion("decision-withdraw", workflow.DefaultVersion, 1).Return(workflow.DefaultVersion)
	h.decide(workflows.DecideUpdate{TaskID: prelim1, Actor: drbReviewer, Decision: domain.DecisionApprove})
	old := h.withdrawDecision(prelim1, drbReviewer, "撤回")
	h.cancel()
	h.runLifecycle(lifecycleInput(smallFen, policy2021()))
	h.requireCancelled()
	requireRejectedByValidator(t, old, domain.StatusConflict, workflows.CodeWithdrawUnsupported)
}

// TestWithdrawDecision_SignoffPassUndoneWhileWitnessOpen (R12): DRB's sign-off passed while
// PRTA's witness is open; withdrawn, the sign-off reopens for its decider and the witness stays
// as it is; the witness's pass then does not complete acceptance, the sign-off passed again
// does (O&M). The pass that completed acceptance cannot be withdrawn.
func TestWithdrawDecision_SignoffPassUndoneWhileWitnessOpen(t *testing.T) {
	start := shanghaiTime(2026, 6, 15, 10, 0, 0)
	h := newDelivery(t, start)
	h.applyAcceptance(submitter)
	h.decide(workflows.DecideUpdate{TaskID: acceptCheck1, Actor: drbReviewer, Decision: domain.DecisionApprove})
	h.pass(signoff1, drbReviewer)
	ok := h.withdrawDecision(signoff1, drbReviewer, "签署前需复核")
	h.projectState(func(st workflows.ProjectState) {
		require.Equal(t, domain.StageAcceptance, st.Stage)
		require.Equal(t, []string{witness1, signoff1 + ":w1"}, []string{st.OpenTasks[0].ID, st.OpenTasks[1].ID})
	})
	witness := h.pass(witness1, prtaWitness)
	h.projectState(func(st workflows.ProjectState) { require.Equal(t, domain.StageAcceptance, st.Stage) })
	last := h.pass(signoff1+":w1", drbReviewer)
	final := h.withdrawDecision(signoff1+":w1", drbReviewer, "太晚")
	h.cancel()
	h.runLifecycle(resumedInput(policy2021(), trialRunOver(start)))
	h.requireCancelled()

	requireOK(t, ok)
	requireOK(t, witness)
	requireOK(t, last)
	require.Equal(t, domain.StageOM, last.result.(workflows.DecideResult).Stage)
	requireRejectedByValidator(t, final, domain.StatusConflict, workflows.CodeWithdrawTooLate)
	w := h.withAudit("task.withdraw_decision")
	require.Len(t, w, 1)
	require.Empty(t, w[0].Close, "the sign-off opened nothing")
	require.Empty(t, w[0].Stage)
}

// TestWithdrawDecision_PanelConvenedOnTheWithdrawnApprovalIsDropped (R4, 撤回决定, withdrawn-panel-dropped):
// the race of a prelim approval's withdrawal with the plan's convene. The gateway saw no session
// and the lifecycle accepted the withdrawal; the panel the plan convened meanwhile arrives back
// in prelim review. It is dropped (audited expert_review.panel_dropped), not held: when the
// reviewer approves again, no expert task of that session opens; the project waits for a
// panel of its own, which opens its tasks.
func TestWithdrawDecision_PanelConvenedOnTheWithdrawnApprovalIsDropped(t *testing.T) {
	h := newDelivery(t, shanghaiTime(2026, 3, 2, 9, 0, 0))
	h.decide(workflows.DecideUpdate{TaskID: prelim1, Actor: drbReviewer, Decision: domain.DecisionApprove})
	ok := h.withdrawDecision(prelim1, drbReviewer, "需补充材料后再审")
	h.signal(workflows.SignalPanel, workflows.PanelSignal{SessionID: "s1", Experts: []workflows.ExpertRef{{ID: "e1", OrgID: "x"},
		{ID: "e2", OrgID: "y"}, {ID: "e3", OrgID: "z"}}})
	h.projectState(func(st workflows.ProjectState) {
		require.Equal(t, domain.StagePrelimReview, st.Stage)
		require.Empty(t, st.Held, "the panel of the withdrawn approval is not kept for later")
		require.Empty(t, st.Panel)
		require.True(t, st.PanelWithdrawn)
	})
	again := h.decide(workflows.DecideUpdate{TaskID: prelim1W1, Actor: drbReviewer, Decision: domain.DecisionApprove})
	h.projectState(func(st workflows.ProjectState) {
		require.Equal(t, domain.StageExpertReview, st.Stage)
		require.Empty(t, st.Panel, "approved again, the project waits for a panel of its own")
		require.False(t, st.PanelWithdrawn)
		for _, o := range st.OpenTasks {
			require.NotEqual(t, domain.TaskExpertReview, o.Kind, "no expert task of the dropped session: %+v", o)
		}
	})
	h.signal(workflows.SignalPanel, workflows.PanelSignal{SessionID: "s2", Experts: []workflows.ExpertRef{{ID: "e4", OrgID: "x"},
		{ID: "e5", OrgID: "y"}, {ID: "e6", OrgID: "z"}}})
	h.cancel()
	h.runLifecycle(lifecycleInput(smallFen, policy2021()))
	h.requireCancelled()

	requireOK(t, ok)
	requireOK(t, again)
	dropped := h.withAudit("expert_review.panel_dropped")
	require.Len(t, dropped, 1)
	require.Equal(t, "s1", dropped[0].Audit[0].Detail["session_id"])
	require.Equal(t, string(domain.StagePrelimReview), dropped[0].Audit[0].Detail["stage"])
	require.Empty(t, dropped[0].Open)
	var experts []string
	for _, id := range h.openedIDs() {
		if strings.Contains(id, ":expert_review:") {
			experts = append(experts, id)
		}
	}
	require.Equal(t, []string{expertTask("e4") + ":w1", expertTask("e5") + ":w1", expertTask("e6") + ":w1"}, experts,
		"only the panel convened after the approval opens tasks")
	require.Len(t, h.withAudit("expert_review.panel"), 1)
}

// TestWithdrawDecision_PanelAfterWithdrawalHeldInRunsStartedBefore: a run started before
// withdrawn-panel-dropped holds the panel until the project is back in expert review, as it did.
func TestWithdrawDecision_PanelAfterWithdrawalHeldInRunsStartedBefore(t *testing.T) {
	h := newDelivery(t, shanghaiTime(2026, 3, 2, 9, 0, 0))
	startedBefore(t, h.env, "lifecycle-baseline-turn-races")
	h.env.OnGetVersion("lifecycle-baseline-notify-in-apply", workflow.DefaultVersion, 1).Return(workflow.Version(1))
	h.env.OnGetVersion("change-below-contract-at-decision", workflow.DefaultVersion, 1).Return(workflow.DefaultVersion)
	h.env.OnGetVersion("withdrawn-panel-dropped", workflow.DefaultVersion, 1).Return(workflow.DefaultVersion)
	h.decide(workflows.DecideUpdate{TaskID: prelim1, Actor: drbReviewer, Decision: domain.DecisionApprove})
	h.withdrawDecision(prelim1, drbReviewer, "需补充材料后再审")
	h.signal(workflows.SignalPanel, workflows.PanelSignal{SessionID: "s1", Experts: []workflows.ExpertRef{{ID: "e1", OrgID: "x"},
		{ID: "e2", OrgID: "y"}, {ID: "e3", OrgID: "z"}}})
	h.projectState(func(st workflows.ProjectState) {
		require.Len(t, st.Held, 1)
		require.False(t, st.PanelWithdrawn)
	})
	h.cancel()
	h.runLifecycle(lifecycleInput(smallFen, policy2021()))
	h.requireCancelled()
	require.Empty(t, h.withAudit("expert_review.panel_dropped"))
}

// TestWithdrawDecision_StalePanelAfterApprovalAgainIsDropped (R4, 撤回决定, panel-stale-dropped):
// the panel of a session convened on the first approval reaches the project only after the
// approval was withdrawn and given again (its fan-out waited its turn or retried), so the
// project is back in expert review with no panel. The fan-out found the project's version
// moved since the convene and marked the panel stale: it is dropped (audited
// expert_review.panel_dropped), and the panel convened after the new approval opens the tasks.
// A run started before the change applies the stale panel, as it did.
func TestWithdrawDecision_StalePanelAfterApprovalAgainIsDropped(t *testing.T) {
	for _, before := range []bool{false, true} {
		t.Run(fmt.Sprintf("started before: %v", before), func(t *testing.T) {
			h := newDelivery(t, shanghaiTime(2026, 3, 2, 9, 0, 0))
			if before {
				startedBefore(t, h.env, "lifecycle-baseline-stale-panel")
				h.env.OnGetVersion("lifecycle-baseline-similarity-queue", workflow.DefaultVersion, 1).Return(workflow.Version(1))
				h.env.OnGetVersion("panel-stale-dropped", workflow.DefaultVersion, 1).Return(workflow.DefaultVersion)
			}
			h.decide(workflows.DecideUpdate{TaskID: prelim1, Actor: drbReviewer, Decision: domain.DecisionApprove})
			h.withdrawDecision(prelim1, drbReviewer, "需补充材料后再审")
			h.decide(workflows.DecideUpdate{TaskID: prelim1W1, Actor: drbReviewer, Decision: domain.DecisionApprove})
			h.signal(workflows.SignalPanel, workflows.PanelSignal{SessionID: "s1", Stale: true, Experts: []workflows.ExpertRef{
				{ID: "e1", OrgID: "x"}, {ID: "e2", OrgID: "y"}, {ID: "e3", OrgID: "z"}}})
			h.signal(workflows.SignalPanel, workflows.PanelSignal{SessionID: "s2", Experts: []workflows.ExpertRef{
				{ID: "e4", OrgID: "x"}, {ID: "e5", OrgID: "y"}, {ID: "e6", OrgID: "z"}}})
			h.cancel()
			h.runLifecycle(lifecycleInput(smallFen, policy2021()))
			h.requireCancelled()

			var experts []string
			for _, id := range h.openedIDs() {
				if strings.Contains(id, ":expert_review:") {
					experts = append(experts, id)
				}
			}
			dropped := h.withAudit("expert_review.panel_dropped")
			if before {
				require.Empty(t, dropped)
				require.Equal(t, []string{expertTask("e1") + ":w1", expertTask("e2") + ":w1", expertTask("e3") + ":w1"}, experts,
					"the stale panel is applied, the next ignored")
				return
			}
			require.Len(t, dropped, 1)
			require.Equal(t, "s1", dropped[0].Audit[0].Detail["session_id"])
			require.Equal(t, string(domain.StageExpertReview), dropped[0].Audit[0].Detail["stage"])
			require.Contains(t, dropped[0].Audit[0].Detail["reason"], "重新进入专家评审")
			require.Equal(t, []string{expertTask("e4") + ":w1", expertTask("e5") + ":w1", expertTask("e6") + ":w1"}, experts,
				"only the panel convened after the approval given again opens tasks")
		})
	}
}
