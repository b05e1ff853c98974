package workflows_test

import (
	"testing"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/workflow"

	"egovpm/internal/authz"
	"egovpm/internal/domain"
	"egovpm/workflows"
)

// TestDelegate_TheColleagueDecidesTheDelegatorIsRecorded (委派, issue 19 item 6,
// task-delegate): the reviewer who holds the prelim review delegates it to a colleague of his
// role and org, who decides it; the delegator no longer can; the transition records the
// delegator, audits task.delegate and tells the colleague. Someone who could not decide the
// task himself cannot delegate it, and the colleague must be eligible (role, SoD).
func TestDelegate_TheColleagueDecidesTheDelegatorIsRecorded(t *testing.T) {
	h := newLifecycle(t)
	del := func(actor, to domain.Actor) workflows.ReassignUpdate {
		return workflows.ReassignUpdate{TaskID: prelim1, Actor: actor, Assignee: to, From: actor.ID, Reason: "出差，委派办理", Delegate: true, RequestID: "r-d"}
	}
	notMine := h.reassign(del(ndrcAppr, drbReviewer2))
	toSubmitter := h.reassign(del(drbReviewer, drbMixed))
	noReason := h.reassign(workflows.ReassignUpdate{TaskID: prelim1, Actor: drbReviewer, Assignee: drbReviewer2, Delegate: true})
	moved := h.reassign(del(drbReviewer, drbReviewer2))
	back := h.reassign(del(drbReviewer, drbReviewer))
	old := h.decide(workflows.DecideUpdate{TaskID: prelim1, Actor: drbReviewer, Decision: domain.DecisionApprove})
	decided := h.decide(workflows.DecideUpdate{TaskID: prelim1, Actor: drbReviewer2, Decision: domain.DecisionApprove})
	h.cancel()
	h.runLifecycle(drbProject(drbMixed))
	h.requireCancelled()

	requireRejectedByValidator(t, notMine, domain.StatusForbidden, authz.CodeWrongRole)
	requireRejectedByValidator(t, toSubmitter, domain.StatusUnprocessable, "assignee_not_eligible")
	requireRejectedByValidator(t, noReason, domain.StatusBadRequest, "invalid_input")
	requireOK(t, moved)
	requireRejectedByValidator(t, back, domain.StatusForbidden, "delegate_not_assignee")
	requireRejectedByValidator(t, old, domain.StatusForbidden, authz.CodeNotAssignee)
	requireOK(t, decided)

	var tr domain.Transition
	for _, x := range h.transitions {
		if len(x.Assign) > 0 {
			tr = x
		}
	}
	require.Equal(t, []domain.TaskAssign{{TaskID: prelim1, AssigneeID: drbReviewer2.ID, DelegatedBy: drbReviewer.ID}}, tr.Assign)
	require.Len(t, tr.Audit, 1)
	require.Equal(t, "task.delegate", tr.Audit[0].Action)
	require.Equal(t, drbReviewer.ID, tr.Audit[0].ActorID)
	require.Equal(t, []domain.Notice{{Kind: "task_delegated", Title: "委派待办：六安市政务数据共享平台",
		Body: drbReviewer.Name + " 委派您办理：出差，委派办理", UserID: drbReviewer2.ID, TaskID: prelim1}}, tr.Notify)
}

// TestDelegate_RunsStartedBeforeRefuse: a run started before task-delegate refuses a
// delegation (409 delegate_unsupported) and keeps its task where it was; its history replays.
func TestDelegate_RunsStartedBeforeRefuse(t *testing.T) {
	h := newLifecycle(t)
	startedBefore(t, h.env, "lifecycle-baseline-tasks")
	h.env.OnGetVersion("task-delegate", workflow.DefaultVersion, 1).Return(workflow.DefaultVersion)
	refused := h.reassign(workflows.ReassignUpdate{TaskID: prelim1, Actor: drbReviewer, Assignee: drbReviewer2, From: drbReviewer.ID,
		Reason: "委派", Delegate: true})
	decided := h.decide(workflows.DecideUpdate{TaskID: prelim1, Actor: drbReviewer, Decision: domain.DecisionApprove})
	h.cancel()
	h.runLifecycle(drbProject(drbMixed))
	h.requireCancelled()

	requireRefused(t, refused, domain.StatusConflict, "delegate_unsupported")
	requireOK(t, decided)
}
