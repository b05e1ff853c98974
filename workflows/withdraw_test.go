package workflows_test

import (
	"testing"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/workflow"

	"egovpm/internal/domain"
	"egovpm/workflows"
)

func (h *harness) withdraw(u workflows.WithdrawUpdate) *outcome {
	return h.update(workflows.UpdateWithdraw, u)
}

// TestR3_WithdrawBeforeClaimThenResubmit (issue 19, 撤回): the unit's submitter withdraws while
// the prelim task is untouched: the task is cancelled, the project is back in draft at round 2
// with an audit row project.withdraw; resubmitting opens round 2's prelim task.
func TestR3_WithdrawBeforeClaimThenResubmit(t *testing.T) {
	h := newLifecycle(t)
	otherUnit := h.withdraw(workflows.WithdrawUpdate{Actor: otherSubmit})
	reviewer := h.withdraw(workflows.WithdrawUpdate{Actor: drbReviewer})
	ok := h.withdraw(workflows.WithdrawUpdate{Actor: submitter, Reason: "预算需重新测算", RequestID: "req-w"})
	h.projectState(func(st workflows.ProjectState) {
		require.Equal(t, domain.StageDraft, st.Stage)
		require.Equal(t, 2, st.Round)
		require.Empty(t, st.OpenTasks)
	})
	again := h.withdraw(workflows.WithdrawUpdate{Actor: submitter})
	oldTask := h.decide(workflows.DecideUpdate{TaskID: prelim1, Actor: drbReviewer, Decision: domain.DecisionApprove})
	resubmit := h.update(workflows.UpdateResubmit, workflows.ResubmitUpdate{Actor: submitter})
	h.projectState(func(st workflows.ProjectState) {
		require.Equal(t, domain.StagePrelimReview, st.Stage)
		require.Equal(t, 2, st.Round, "the withdrawal counted the round; the resubmission does not count it again")
		require.Len(t, st.OpenTasks, 1)
		require.Equal(t, prelim2, st.OpenTasks[0].ID)
	})
	h.cancel()
	h.runLifecycle(lifecycleInput(smallFen, policy2021()))
	h.requireCancelled()

	requireRejectedByValidator(t, otherUnit, domain.StatusForbidden, "forbidden")
	requireRejectedByValidator(t, reviewer, domain.StatusForbidden, "forbidden")
	requireOK(t, ok)
	requireRejectedByValidator(t, again, domain.StatusConflict, workflows.CodeWithdrawTooLate)
	requireRejectedByValidator(t, oldTask, domain.StatusConflict, "stale_task")
	requireOK(t, resubmit)

	require.Equal(t, []domain.Stage{domain.StagePrelimReview, domain.StageDraft, domain.StagePrelimReview}, h.stages())
	w := h.transitionTo(domain.StageDraft)
	require.Equal(t, 2, w.Round)
	require.Len(t, w.Close, 1)
	require.Equal(t, prelim1, w.Close[0].TaskID)
	require.True(t, w.Close[0].Cancelled)
	require.Equal(t, "project.withdraw", w.Audit[0].Action)
	require.Equal(t, "预算需重新测算", w.Audit[0].Detail["reason"])
	require.Equal(t, "req-w", w.Audit[0].RequestID)
	require.Equal(t, 2, h.transitionTo(domain.StagePrelimReview).Round)
}

// TestR3_WithdrawRefusedOnceClaimed: a prelim task given to a reviewer (转办 holds its assignee
// in the workflow) can no longer be withdrawn from.
func TestR3_WithdrawRefusedOnceClaimed(t *testing.T) {
	h := newLifecycle(t)
	moved := h.reassign(workflows.ReassignUpdate{TaskID: prelim1, Actor: drbSuper, Assignee: drbReviewer, Reason: "指定办理"})
	late := h.withdraw(workflows.WithdrawUpdate{Actor: submitter})
	h.cancel()
	h.runLifecycle(lifecycleInput(smallFen, policy2021()))
	h.requireCancelled()
	requireOK(t, moved)
	requireRejectedByValidator(t, late, domain.StatusConflict, workflows.CodeWithdrawTooLate)
	require.NotContains(t, h.stages(), domain.StageDraft)
}

// TestR3_WithdrawRefusedAfterDecision: once preliminary review decided, it is too late.
func TestR3_WithdrawRefusedAfterDecision(t *testing.T) {
	for _, d := range []string{domain.DecisionApprove, domain.DecisionReturn} {
		t.Run(d, func(t *testing.T) {
			h := newLifecycle(t)
			decided := h.decide(workflows.DecideUpdate{TaskID: prelim1, Actor: drbReviewer, Decision: d, Comment: "意见"})
			late := h.withdraw(workflows.WithdrawUpdate{Actor: submitter})
			h.cancel()
			h.runLifecycle(lifecycleInput(smallFen, policy2021()))
			h.requireCancelled()
			requireOK(t, decided)
			requireRejectedByValidator(t, late, domain.StatusConflict, workflows.CodeWithdrawTooLate)
		})
	}
}

// TestR3_WithdrawUnsupportedInRunsStartedBefore: a run started before the withdraw change
// refuses the Update in its validator with a code, never an error without one.
func TestR3_WithdrawUnsupportedInRunsStartedBefore(t *testing.T) {
	h := newLifecycle(t)
	startedBefore(t, h.env, "lifecycle-baseline-om-late")
	h.env.OnGetVersion("withdraw", workflow.DefaultVersion, 1).Return(workflow.DefaultVersion)
	old := h.withdraw(workflows.WithdrawUpdate{Actor: submitter})
	h.cancel()
	h.runLifecycle(lifecycleInput(smallFen, policy2021()))
	h.requireCancelled()
	requireRejectedByValidator(t, old, domain.StatusConflict, workflows.CodeWithdrawUnsupported)
}

// TestR8_WithdrawnPastDeadlineResubmitsAsSpecialRequest: a withdrawn project the gateway sends
// back past the R2 deadline (Special) goes to the City Government (R8), not to prelim review;
// a returned project may not (R3 keeps it in prelim review).
func TestR8_WithdrawnPastDeadlineResubmitsAsSpecialRequest(t *testing.T) {
	h := newLifecycle(t)
	w := h.withdraw(workflows.WithdrawUpdate{Actor: submitter})
	special := h.update(workflows.UpdateResubmit, workflows.ResubmitUpdate{Actor: submitter, Special: true})
	h.projectState(func(st workflows.ProjectState) {
		require.Equal(t, domain.StageSpecialRequest, st.Stage)
		require.Len(t, st.OpenTasks, 1)
		require.Equal(t, "project:p1:special_request_approval:2", st.OpenTasks[0].ID)
	})
	h.cancel()
	h.runLifecycle(lifecycleInput(smallFen, policy2021()))
	h.requireCancelled()
	requireOK(t, w)
	requireOK(t, special)
	require.Equal(t, 2, h.transitionTo(domain.StageSpecialRequest).Round)

	h2 := newLifecycle(t)
	ret := h2.decide(workflows.DecideUpdate{TaskID: prelim1, Actor: drbReviewer, Decision: domain.DecisionReturn, Comment: "补充"})
	returned := h2.update(workflows.UpdateResubmit, workflows.ResubmitUpdate{Actor: submitter, Special: true})
	h2.cancel()
	h2.runLifecycle(lifecycleInput(smallFen, policy2021()))
	h2.requireCancelled()
	requireOK(t, ret)
	requireRejectedByValidator(t, returned, domain.StatusConflict, "wrong_stage")
}
