package workflows_test

import (
	"testing"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/workflow"

	"egovpm/internal/domain"
	"egovpm/workflows"
)

// Task ids of p1's termination requests (taskID with suffix t<n>).
const (
	termReview1 = "project:p1:termination_review:1:t1"
	termReview2 = "project:p1:termination_review:1:t2"
)

func (h *harness) requestTermination(u workflows.TerminationRequestUpdate) *outcome {
	return h.update(workflows.UpdateTerminationRequest, u)
}

// TestTermRequest_ApprovedClosesAsTerminated (终止申请, issue 19 item 4, R3): while preliminary
// review is open, another unit, DRB and a blank reason are refused; the unit's own submitter
// asks, a second request waits (termination_request_pending); the submitter may not decide it;
// DRB's approval closes the project as DRB's terminate does: the review task closed approved,
// the prelim task cancelled and its holders told, the closure's reason the unit's reason and
// DRB's comment, the unit told, audited task.decide then project.terminate; the run ends.
func TestTermRequest_ApprovedClosesAsTerminated(t *testing.T) {
	h := newDelivery(t, shanghaiTime(2026, 3, 2, 9, 0, 0))
	other := h.requestTermination(workflows.TerminationRequestUpdate{Actor: otherSubmit, Reason: "不再建设"})
	byDRB := h.requestTermination(workflows.TerminationRequestUpdate{Actor: drbReviewer, Reason: "不再建设"})
	blank := h.requestTermination(workflows.TerminationRequestUpdate{Actor: submitter, Reason: " \u3000"})
	filed := h.requestTermination(workflows.TerminationRequestUpdate{Actor: submitter, Reason: "需求已由省平台覆盖", RequestID: "req-tr"})
	second := h.requestTermination(workflows.TerminationRequestUpdate{Actor: submitter, Reason: "再次申请"})
	self := h.decide(workflows.DecideUpdate{TaskID: termReview1, Actor: submitter, Decision: domain.DecisionApprove})
	nonsense := h.decide(workflows.DecideUpdate{TaskID: termReview1, Actor: drbReviewer, Decision: domain.DecisionReturn, Comment: "x"})
	ok := h.decide(workflows.DecideUpdate{TaskID: termReview1, Actor: drbReviewer, Decision: domain.DecisionApprove, Comment: "同意终止",
		RequestID: "req-d"})
	h.runLifecycle(lifecycleInput(smallFen, policy2021()))
	h.requireResult(domain.StageClosed)

	requireRejectedByValidator(t, other, domain.StatusForbidden, "forbidden")
	requireRejectedByValidator(t, byDRB, domain.StatusForbidden, "forbidden")
	requireRejectedByValidator(t, blank, domain.StatusBadRequest, "reason_required")
	requireOK(t, filed)
	require.Equal(t, workflows.DecideResult{TaskID: termReview1, Decision: workflows.UpdateTerminationRequest,
		Stage: domain.StagePrelimReview}, filed.result)
	requireRejectedByValidator(t, second, domain.StatusConflict, workflows.CodeTermRequestPending)
	requireRejectedByValidator(t, self, domain.StatusForbidden, "wrong_role")
	requireRejectedByValidator(t, nonsense, domain.StatusBadRequest, "invalid_decision")
	requireOK(t, ok)
	require.Equal(t, workflows.DecideResult{TaskID: termReview1, Decision: domain.DecisionApprove, Stage: domain.StageClosed}, ok.result)

	require.Contains(t, h.opened(), domain.NewTask{ID: termReview1, Kind: domain.TaskTerminationReview, ProjectID: "p1",
		CandidateRole: domain.RoleDRBReviewer, CandidateOrgID: "drb", DueWorkdays: 5})
	tr := h.transitionTo(domain.StageClosed)
	require.Equal(t, []domain.TaskClose{
		{TaskID: termReview1, Decision: domain.DecisionApprove, ActorID: drbReviewer.ID, Comment: "同意终止"},
		{TaskID: prelim1, Cancelled: true, ActorID: drbReviewer.ID, Comment: "单位申请终止：需求已由省平台覆盖；市数管局意见：同意终止"},
	}, tr.Close)
	require.Equal(t, &domain.Closure{As: domain.ClosedTerminated, Reason: "单位申请终止：需求已由省平台覆盖；市数管局意见：同意终止",
		By: drbReviewer.ID}, tr.Closure)
	require.Len(t, tr.Audit, 2)
	require.Equal(t, "task.decide", tr.Audit[0].Action)
	require.Equal(t, "req-d", tr.Audit[0].RequestID)
	require.Equal(t, "需求已由省平台覆盖", tr.Audit[0].Detail["request_reason"])
	require.Equal(t, "project.terminate", tr.Audit[1].Action)
	require.Equal(t, []string{prelim1}, tr.Audit[1].Detail["cancelled_tasks"])
	require.Len(t, h.notices("task_cancelled"), 1)
	unitTold := h.notices("project_terminated")
	require.Len(t, unitTold, 1)
	require.Equal(t, unitA, unitTold[0].OrgID)
	require.Contains(t, unitTold[0].Body, "需求已由省平台覆盖")
}

// TestTermRequest_RejectedContinues (终止申请, R9): in construction, DRB's rejection needs a
// reason; rejected, the project stays in construction, the unit is told why, and it may ask
// again (a new task); the run goes on (cancelled here).
func TestTermRequest_RejectedContinues(t *testing.T) {
	h := newDelivery(t, shanghaiTime(2026, 7, 1, 9, 0, 0))
	filed := h.requestTermination(workflows.TerminationRequestUpdate{Actor: submitter, Reason: "资金未落实"})
	noReason := h.decide(workflows.DecideUpdate{TaskID: termReview1, Actor: drbReviewer, Decision: domain.DecisionReject, Comment: " "})
	rejected := h.decide(workflows.DecideUpdate{TaskID: termReview1, Actor: drbReviewer, Decision: domain.DecisionReject,
		Comment: "资金已列入预算，请继续建设"})
	h.projectState(func(st workflows.ProjectState) {
		require.Equal(t, domain.StageConstruction, st.Stage)
		require.Nil(t, st.TermRequest)
		require.Empty(t, st.OpenTasks)
	})
	again := h.requestTermination(workflows.TerminationRequestUpdate{Actor: submitter, Reason: "资金仍未落实"})
	h.cancel()
	h.runLifecycle(resumedInput(policy2021(), workflows.ProjectState{Stage: domain.StageConstruction}))
	h.requireCancelled()

	requireOK(t, filed)
	requireRejectedByValidator(t, noReason, domain.StatusBadRequest, "invalid_decision")
	requireOK(t, rejected)
	require.Equal(t, domain.StageConstruction, rejected.result.(workflows.DecideResult).Stage)
	requireOK(t, again)
	require.Equal(t, termReview2, again.result.(workflows.DecideResult).TaskID)
	require.NotContains(t, h.stages(), domain.StageClosed)
	told := h.notices("termination_rejected")
	require.Len(t, told, 1)
	require.Equal(t, unitA, told[0].OrgID)
	require.Equal(t, "资金已列入预算，请继续建设", told[0].Body)
}

// TestTermRequest_RunsStartedBeforeRefuseInTheValidator: a run started before
// termination-request (lifecycle-baseline-tasks) refuses the request with
// termination_request_unsupported and goes on.
func TestTermRequest_RunsStartedBeforeRefuseInTheValidator(t *testing.T) {
	h := newLifecycle(t)
	startedBefore(t, h.env, "lifecycle-baseline-tasks")
	h.env.OnGetVersion("termination-request", workflow.DefaultVersion, 1).Return(workflow.DefaultVersion)
	req := h.requestTermination(workflows.TerminationRequestUpdate{Actor: submitter, Reason: "不再建设"})
	h.projectState(func(st workflows.ProjectState) { require.Equal(t, domain.StagePrelimReview, st.Stage) })
	h.cancel()
	h.runLifecycle(lifecycleInput(smallFen, policy2021()))
	h.requireCancelled()
	requireRejectedByValidator(t, req, domain.StatusConflict, workflows.CodeTermRequestUnsupported)
	require.Empty(t, h.notices("termination_rejected"))
}

// TestTermRequest_EndedOtherwiseCancelsTheReview (R3): a request waits while preliminary review
// rejects the project; the rejection cancels the termination_review task in the same write, so
// no open task is left on the ended project.
func TestTermRequest_EndedOtherwiseCancelsTheReview(t *testing.T) {
	h := newLifecycle(t)
	filed := h.requestTermination(workflows.TerminationRequestUpdate{Actor: submitter, Reason: "资金未落实"})
	rejected := h.decide(workflows.DecideUpdate{TaskID: prelim1, Actor: drbReviewer, Decision: domain.DecisionReject, Comment: "不符合规划"})
	h.runLifecycle(lifecycleInput(smallFen, policy2021()))
	h.requireResult(domain.StageRejected)
	requireOK(t, filed)
	requireOK(t, rejected)
	tr := h.transitionTo(domain.StageRejected)
	require.Equal(t, []domain.TaskClose{
		{TaskID: prelim1, Decision: domain.DecisionReject, ActorID: drbReviewer.ID, Comment: "不符合规划"},
		{TaskID: termReview1, Cancelled: true, Comment: "项目已结束，终止申请不再审核"},
	}, tr.Close)
}
