package workflows_test

import (
	"testing"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/workflow"

	"egovpm/internal/authz"
	"egovpm/internal/domain"
	"egovpm/workflows"
)

// deputize is drbReviewer2 (or actor) taking prelim1 over as the standing deputy of from.
func deputize(actor domain.Actor, from string) workflows.ReassignUpdate {
	return workflows.ReassignUpdate{TaskID: prelim1, Actor: actor, Assignee: actor, From: from, Reason: "代理：李审休假",
		Deputy: true, RequestID: "r-dep"}
}

// TestDeputy_TakesOverTheAbsentAssigneesTask (代理, issue 19 item 6, task-deputy): the DRB
// supervisor's 转办 gives prelim1 to drbReviewer; his deputy drbReviewer2 takes it over: the
// task moves to the deputy, audited task.deputize (from, to, reason), the absent reviewer told;
// he no longer decides it, the deputy does. A takeover for someone who does not hold the task,
// by someone for another, or by a deputy who may not act on it (separation of duties) is
// refused.
func TestDeputy_TakesOverTheAbsentAssigneesTask(t *testing.T) {
	h := newLifecycle(t)
	moved := h.reassign(workflows.ReassignUpdate{TaskID: prelim1, Actor: drbSuper, Assignee: drbReviewer, Reason: "指定办理"})
	notHis := h.reassign(deputize(drbReviewer2, drbSuper.ID))
	forOther := h.reassign(workflows.ReassignUpdate{TaskID: prelim1, Actor: drbReviewer2, Assignee: drbMixed, From: drbReviewer.ID,
		Reason: "代理", Deputy: true})
	submitted := h.reassign(deputize(drbMixed, drbReviewer.ID))
	ok := h.reassign(deputize(drbReviewer2, drbReviewer.ID))
	absent := h.decide(workflows.DecideUpdate{TaskID: prelim1, Actor: drbReviewer, Decision: domain.DecisionApprove})
	decided := h.decide(workflows.DecideUpdate{TaskID: prelim1, Actor: drbReviewer2, Decision: domain.DecisionApprove})
	h.cancel()
	h.runLifecycle(drbProject(drbMixed))
	h.requireCancelled()

	requireOK(t, moved)
	requireRejectedByValidator(t, notHis, domain.StatusConflict, "deputy_not_assignee")
	requireRejectedByValidator(t, forOther, domain.StatusConflict, "deputy_not_assignee")
	requireRejectedByValidator(t, submitted, domain.StatusUnprocessable, "assignee_not_eligible")
	requireOK(t, ok)
	requireRejectedByValidator(t, absent, domain.StatusForbidden, authz.CodeNotAssignee)
	requireOK(t, decided)

	var tr domain.Transition
	for _, x := range h.withAudit("task.deputize") {
		tr = x
	}
	require.Equal(t, []domain.TaskAssign{{TaskID: prelim1, AssigneeID: drbReviewer2.ID}}, tr.Assign)
	require.Equal(t, drbReviewer2.ID, tr.Audit[0].ActorID)
	require.Equal(t, drbReviewer.ID, tr.Audit[0].Detail["from"])
	require.Equal(t, drbReviewer2.ID, tr.Audit[0].Detail["to"])
	require.Equal(t, "r-dep", tr.Audit[0].RequestID)
	require.Equal(t, []domain.Notice{{Kind: "task_deputized", Title: "待办已由代理人办理：六安市政务数据共享平台",
		Body: drbReviewer2.Name + " 代理：代理：李审休假", UserID: drbReviewer.ID, TaskID: prelim1}}, tr.Notify)
}

// TestDeputy_UnclaimedInTheWorkflow: a task claimed in the read model only (the workflow holds
// no assignee) is taken over as well; the gateway checked the claim.
func TestDeputy_UnclaimedInTheWorkflow(t *testing.T) {
	h := newLifecycle(t)
	ok := h.reassign(deputize(drbReviewer2, drbReviewer.ID))
	h.cancel()
	h.runLifecycle(drbProject(drbMixed))
	h.requireCancelled()
	requireOK(t, ok)
	require.Len(t, h.withAudit("task.deputize"), 1)
}

// TestDeputy_RunsStartedBeforeRefuseInTheValidator: a run started before task-deputy
// (lifecycle-baseline-wdecide) refuses a takeover with deputy_unsupported.
func TestDeputy_RunsStartedBeforeRefuseInTheValidator(t *testing.T) {
	h := newLifecycle(t)
	startedBefore(t, h.env, "lifecycle-baseline-extend")
	h.env.OnGetVersion("lifecycle-baseline-wdecide", workflow.DefaultVersion, 1).Return(workflow.Version(1))
	h.env.OnGetVersion("deadline-extension", workflow.DefaultVersion, 1).Return(workflow.DefaultVersion)
	h.env.OnGetVersion("task-deputy", workflow.DefaultVersion, 1).Return(workflow.DefaultVersion)
	refused := h.reassign(deputize(drbReviewer2, drbReviewer.ID))
	h.cancel()
	h.runLifecycle(drbProject(drbMixed))
	h.requireCancelled()
	requireRejectedByValidator(t, refused, domain.StatusConflict, "deputy_unsupported")
	require.Empty(t, h.withAudit("task.deputize"))
}
