package workflows_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/workflow"

	"egovpm/internal/authz"
	"egovpm/internal/domain"
	"egovpm/workflows"
)

// extReview1 is the task id of p1's first deadline extension request (taskID with suffix x1).
const extReview1 = "project:p1:extension_review:1:x1"

func (h *harness) requestExtension(actor domain.Actor, due time.Time, reason string) *outcome {
	return h.update(workflows.UpdateDeadlineExtension, workflows.ExtensionUpdate{Actor: actor, Step: workflows.StepOMFiling,
		NewDueAt: due, Reason: reason, RequestID: "req-x"})
}

// TestExtension_ApprovedMovesTheOMFilingDeadline (延期申请, issue 19 item 4, R13, T4): in the
// first O&M year (due 31 January 2027), another unit, DRB, another step, a blank reason, a date
// not after the deadline and one not before the next year's are refused; the unit's submitter
// asks for 31 March, a second request waits (deadline_extension_pending), the submitter may
// not decide it (separation of duties); DRB approves: the year's row gets the new due date, the
// unit is told; nothing is flagged at 31 January, the T4 reminder names the new date, and the
// year is flagged overdue at 31 March (the timer follows the new date).
func TestExtension_ApprovedMovesTheOMFilingDeadline(t *testing.T) {
	start := shanghaiTime(2027, 1, 10, 9, 0, 0)
	deadline1 := shanghaiTime(2027, 1, 31, 23, 59, 59)
	newDue := shanghaiTime(2027, 3, 31, 23, 59, 59)
	h := newDelivery(t, start)
	other := h.requestExtension(otherSubmit, newDue, "系统迁移")
	byDRB := h.requestExtension(drbReviewer, newDue, "系统迁移")
	step := h.update(workflows.UpdateDeadlineExtension, workflows.ExtensionUpdate{Actor: submitter, Step: "contract",
		NewDueAt: newDue, Reason: "系统迁移"})
	blank := h.requestExtension(submitter, newDue, " \u3000")
	early := h.requestExtension(submitter, deadline1, "系统迁移")
	tooLate := h.requestExtension(submitter, shanghaiTime(2028, 1, 31, 23, 59, 59), "系统迁移")
	filed := h.requestExtension(submitter, newDue, "运维单位更换，年度报告需重新编制")
	second := h.requestExtension(submitter, newDue, "再次申请")
	self := h.decide(workflows.DecideUpdate{TaskID: extReview1, Actor: submitter, Decision: domain.DecisionApprove})
	nonsense := h.decide(workflows.DecideUpdate{TaskID: extReview1, Actor: drbReviewer, Decision: domain.DecisionReturn, Comment: "x"})
	ok := h.decide(workflows.DecideUpdate{TaskID: extReview1, Actor: drbReviewer, Decision: domain.DecisionApprove, Comment: "同意延期"})
	h.projectState(func(st workflows.ProjectState) {
		require.True(t, newDue.Equal(st.OMDeadline), "the state's deadline is the new date")
		require.Nil(t, st.Extension)
	})
	h.skipTo(deadline1.Add(time.Hour).Sub(start))
	h.projectState(func(st workflows.ProjectState) {
		require.Equal(t, 1, st.OMYear, "not flagged at the old deadline")
		require.Empty(t, h.notices("om_overdue"))
	})
	h.runLifecycle(resumedInput(policy2021(), omState()))

	requireRejectedByValidator(t, other, domain.StatusForbidden, "forbidden")
	requireRejectedByValidator(t, byDRB, domain.StatusForbidden, "forbidden")
	requireRejectedByValidator(t, step, domain.StatusBadRequest, "invalid_step")
	requireRejectedByValidator(t, blank, domain.StatusBadRequest, "reason_required")
	requireRejectedByValidator(t, early, domain.StatusUnprocessable, workflows.CodeExtensionDate)
	require.Equal(t, map[string]any{"due_at": "2027-01-31T23:59:59+08:00", "latest": "2028-01-31T23:59:59+08:00"}, refusalExtra(t, early))
	requireRejectedByValidator(t, tooLate, domain.StatusUnprocessable, workflows.CodeExtensionDate)
	requireOK(t, filed)
	require.Equal(t, workflows.DecideResult{TaskID: extReview1, Decision: workflows.UpdateDeadlineExtension, Stage: domain.StageOM}, filed.result)
	requireRejectedByValidator(t, second, domain.StatusConflict, workflows.CodeExtensionPending)
	requireRejectedByValidator(t, self, domain.StatusForbidden, "wrong_role")
	requireRejectedByValidator(t, nonsense, domain.StatusBadRequest, "invalid_decision")
	requireOK(t, ok)

	opened := h.opened()
	require.Len(t, opened, 1)
	require.Equal(t, domain.NewTask{ID: extReview1, Kind: domain.TaskExtensionReview, ProjectID: "p1",
		CandidateRole: domain.RoleDRBReviewer, CandidateOrgID: "drb", DueWorkdays: 5}, withoutDetails(opened[0]))
	require.Equal(t, "运维单位更换，年度报告需重新编制", opened[0].Details["reason"], "DRB reads the request with the task")
	require.Equal(t, 1, opened[0].Details["year"])
	require.True(t, newDue.Equal(opened[0].Details["new_due_at"].(time.Time)))
	req := h.withAudit("extension.request")
	require.Len(t, req, 1)
	require.Equal(t, "运维单位更换，年度报告需重新编制", req[0].Audit[0].Detail["reason"])
	require.Equal(t, "req-x", req[0].Audit[0].RequestID)
	require.Equal(t, []*domain.OMFiling{
		{Year: 1, DueAt: newDue, Extend: true},
		{Year: 1, DueAt: newDue, Overdue: true},
		{Year: 2, DueAt: shanghaiTime(2028, 1, 31, 23, 59, 59)},
	}, filingPtrs(h.omFilings()))
	told := h.notices("deadline_extended")
	require.Len(t, told, 1)
	require.Equal(t, unitA, told[0].OrgID)
	require.Contains(t, told[0].Title, "2027年3月31日")
	reminders := h.notices("om_reminder")
	require.Len(t, reminders, 1, "reminded once")
	require.Contains(t, reminders[0].Title, "2027年3月31日")
	require.Len(t, h.notices("om_overdue"), 1)
	require.True(t, newDue.Equal(h.env.Now()), "the year closes at the new deadline, %s", h.env.Now())
	decided := h.withAudit("task.decide")
	require.Len(t, decided, 1)
	require.Equal(t, []domain.TaskClose{{TaskID: extReview1, Decision: domain.DecisionApprove, ActorID: drbReviewer.ID,
		Comment: "同意延期"}}, decided[0].Close)
	require.Equal(t, workflows.StepOMFiling, decided[0].Audit[0].Detail["step"])
	next := h.requireContinuedAsNew()
	require.Equal(t, 2, next.Resume.OMYear)
}

func withoutDetails(t domain.NewTask) domain.NewTask {
	t.Details = nil
	return t
}

// TestExtension_RejectedKeepsTheDeadline: DRB's rejection needs a reason; rejected, the unit is
// told why and the year is flagged overdue at its own deadline.
func TestExtension_RejectedKeepsTheDeadline(t *testing.T) {
	start := shanghaiTime(2027, 1, 10, 9, 0, 0)
	deadline1 := shanghaiTime(2027, 1, 31, 23, 59, 59)
	h := newDelivery(t, start)
	filed := h.requestExtension(submitter, shanghaiTime(2027, 2, 28, 23, 59, 59), "人员调整")
	noReason := h.decide(workflows.DecideUpdate{TaskID: extReview1, Actor: drbReviewer, Decision: domain.DecisionReject, Comment: " "})
	rejected := h.decide(workflows.DecideUpdate{TaskID: extReview1, Actor: drbReviewer, Decision: domain.DecisionReject,
		Comment: "理由不充分，请按期备案"})
	h.runLifecycle(resumedInput(policy2021(), omState()))

	requireOK(t, filed)
	requireRejectedByValidator(t, noReason, domain.StatusBadRequest, "invalid_decision")
	requireOK(t, rejected)
	told := h.notices("extension_rejected")
	require.Len(t, told, 1)
	require.Equal(t, "理由不充分，请按期备案", told[0].Body)
	require.Empty(t, h.notices("deadline_extended"))
	require.True(t, deadline1.Equal(h.env.Now()), "flagged at the old deadline, %s", h.env.Now())
	require.Equal(t, []*domain.OMFiling{
		{Year: 1, DueAt: deadline1, Overdue: true},
		{Year: 2, DueAt: shanghaiTime(2028, 1, 31, 23, 59, 59)},
	}, filingPtrs(h.omFilings()))
}

// TestExtension_UndecidedAtTheDeadlineExpires (R13): a request DRB has not decided when the
// year's deadline passes is cancelled in the overdue write, the unit told; one pending while the
// unit files the year is cancelled in the filing's write (no extension needed).
func TestExtension_UndecidedAtTheDeadlineExpires(t *testing.T) {
	h := newDelivery(t, shanghaiTime(2027, 1, 10, 9, 0, 0))
	filed := h.requestExtension(submitter, shanghaiTime(2027, 2, 28, 23, 59, 59), "人员调整")
	h.runLifecycle(resumedInput(policy2021(), omState()))
	requireOK(t, filed)
	overdue := h.withAudit("om.overdue")
	require.Len(t, overdue, 1)
	require.Equal(t, []domain.TaskClose{{TaskID: extReview1, Cancelled: true, Comment: "原截止时间已过，延期申请不再审核"}}, overdue[0].Close)
	require.Len(t, h.notices("extension_expired"), 1)
	require.Nil(t, h.requireContinuedAsNew().Resume.Extension)

	h = newDelivery(t, shanghaiTime(2027, 1, 10, 9, 0, 0))
	filed = h.requestExtension(submitter, shanghaiTime(2027, 2, 28, 23, 59, 59), "人员调整")
	report := h.omReport(submitter, 1)
	late := h.decide(workflows.DecideUpdate{TaskID: extReview1, Actor: drbReviewer, Decision: domain.DecisionApprove})
	h.cancel()
	h.runLifecycle(resumedInput(policy2021(), omState()))
	requireOK(t, filed)
	requireOK(t, report)
	requireRejectedByValidator(t, late, domain.StatusConflict, authz.CodeStaleTask)
	files := h.withAudit("om.file")
	require.Len(t, files, 1)
	require.Equal(t, []domain.TaskClose{{TaskID: extReview1, Cancelled: true, Comment: "本运维年度已备案，延期申请不再审核"}}, files[0].Close)
	require.Empty(t, h.notices("extension_expired"))
}

// TestExtension_RunsStartedBeforeRefuseInTheValidator: a run started before deadline-extension
// (lifecycle-baseline-wdecide) refuses the request with deadline_extension_unsupported.
func TestExtension_RunsStartedBeforeRefuseInTheValidator(t *testing.T) {
	h := newDelivery(t, shanghaiTime(2027, 1, 10, 9, 0, 0))
	startedBefore(t, h.env, "lifecycle-baseline-extend")
	h.env.OnGetVersion("lifecycle-baseline-wdecide", workflow.DefaultVersion, 1).Return(workflow.Version(1))
	h.env.OnGetVersion("deadline-extension", workflow.DefaultVersion, 1).Return(workflow.DefaultVersion)
	req := h.requestExtension(submitter, shanghaiTime(2027, 2, 28, 23, 59, 59), "人员调整")
	h.cancel()
	h.runLifecycle(resumedInput(policy2021(), omState()))
	requireRejectedByValidator(t, req, domain.StatusConflict, workflows.CodeExtensionUnsupported)
	require.Empty(t, h.opened())
}
