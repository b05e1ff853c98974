package workflows_test

import (
	"testing"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/workflow"

	"egovpm/internal/authz"
	"egovpm/internal/domain"
	"egovpm/workflows"
)

// Issue 15 items 4 and 5: the workflows decide whether an actor may act on a task with the
// gateway's one function (authz.ActOnTask), separation of duties included, and hold the
// assignee a supervisor reassigns a task to.

// drbUnit is a project of the DRB itself (a unit that submits its own projects), submitted by
// a DRB person who also reviews: a role set held from before the role check.
var (
	drbSubmitter = domain.Actor{ID: "u-drbsub", OrgID: "drb", Roles: []string{domain.RoleSubmitter}}
	drbMixed     = domain.Actor{ID: "u-mixed", OrgID: "drb", Roles: []string{domain.RoleSubmitter, domain.RoleDRBReviewer}}
	drbReviewer2 = domain.Actor{ID: "u-drb2", OrgID: "drb", Roles: []string{domain.RoleDRBReviewer}}
)

func drbProject(by domain.Actor) workflows.ProjectLifecycleInput {
	in := lifecycleInput(smallFen, policy2021())
	in.UnitID, in.SubmittedBy = "drb", by
	return in
}

func TestSoD_WhoSubmittedMayNotDecide(t *testing.T) {
	h := newLifecycle(t)
	own := h.decide(workflows.DecideUpdate{TaskID: prelim1, Actor: drbMixed, Decision: domain.DecisionReturn, Comment: "自审退回"})
	ret := h.decide(workflows.DecideUpdate{TaskID: prelim1, Actor: drbReviewer, Decision: domain.DecisionReturn, Comment: "补充材料"})
	// drbMixed resubmits round 2: now a submitter of the project too.
	h.update(workflows.UpdateResubmit, workflows.ResubmitUpdate{Actor: drbMixed})
	own2 := h.decide(workflows.DecideUpdate{TaskID: prelim2, Actor: drbMixed, Decision: domain.DecisionApprove})
	ok := h.decide(workflows.DecideUpdate{TaskID: prelim2, Actor: drbReviewer, Decision: domain.DecisionApprove})
	h.projectState(func(st workflows.ProjectState) {
		require.Equal(t, domain.StageExpertReview, st.Stage)
		require.Equal(t, []string{drbSubmitter.ID, drbMixed.ID}, st.Submitters)
	})
	h.cancel()
	h.runLifecycle(drbProject(drbSubmitter))
	h.requireCancelled()

	// The first round's submitter was drbSubmitter: drbMixed may review round 1.
	requireOK(t, own)
	requireRejectedByValidator(t, ret, domain.StatusConflict, "stale_task")
	requireRejectedByValidator(t, own2, domain.StatusForbidden, authz.CodeSeparationOfDuties)
	requireOK(t, ok)
}

func TestSoD_SubmitterMayNotReviewOwnSubmission(t *testing.T) {
	h := newLifecycle(t)
	own := h.decide(workflows.DecideUpdate{TaskID: prelim1, Actor: drbMixed, Decision: domain.DecisionApprove})
	other := h.decide(workflows.DecideUpdate{TaskID: prelim1, Actor: drbReviewer, Decision: domain.DecisionApprove})
	h.cancel()
	h.runLifecycle(drbProject(drbMixed))
	h.requireCancelled()

	requireRejectedByValidator(t, own, domain.StatusForbidden, authz.CodeSeparationOfDuties)
	requireOK(t, other)
}

// TestStaleTaskIsTheGatewaysRefusal: the workflow and the gateway answer an act on a task they
// do not hold with the one refusal (authz.StaleTask), message and all.
func TestStaleTaskIsTheGatewaysRefusal(t *testing.T) {
	h := newLifecycle(t)
	unknown := h.decide(workflows.DecideUpdate{TaskID: "project:p1:prelim_review:9", Actor: drbReviewer, Decision: domain.DecisionApprove})
	h.cancel()
	h.runLifecycle(lifecycleInput(smallFen, policy2021()))
	h.requireCancelled()

	requireRejectedByValidator(t, unknown, domain.StatusConflict, authz.CodeStaleTask)
	got, _ := domain.AsRefusal(unknown.err)
	want, _ := domain.AsRefusal(authz.StaleTask())
	require.Equal(t, want.Message, got.Message)
}

func (h *harness) reassign(u workflows.ReassignUpdate) *outcome {
	return h.update(workflows.UpdateReassign, u)
}

func TestReassign_TheNewAssigneeDecidesTheOldIsRefused(t *testing.T) {
	h := newLifecycle(t)
	move := workflows.ReassignUpdate{TaskID: prelim1, Actor: drbSuper, Assignee: drbReviewer2, From: drbReviewer.ID, Reason: "逾期未办", RequestID: "r1"}
	refusals := []struct {
		name   string
		u      workflows.ReassignUpdate
		status domain.Kind
		code   string
	}{
		{"not a supervisor", workflows.ReassignUpdate{TaskID: prelim1, Actor: drbReviewer, Assignee: drbReviewer2, Reason: "转"},
			domain.StatusForbidden, "forbidden"},
		{"no reason", workflows.ReassignUpdate{TaskID: prelim1, Actor: drbSuper, Assignee: drbReviewer2}, domain.StatusBadRequest, "invalid_input"},
		{"unknown task", workflows.ReassignUpdate{TaskID: "project:p1:prelim_review:9", Actor: drbSuper, Assignee: drbReviewer2, Reason: "转"},
			domain.StatusConflict, authz.CodeStaleTask},
		{"wrong role", workflows.ReassignUpdate{TaskID: prelim1, Actor: drbSuper, Assignee: ndrcAppr, Reason: "转"},
			domain.StatusUnprocessable, "assignee_not_eligible"},
		{"who submitted it", workflows.ReassignUpdate{TaskID: prelim1, Actor: drbSuper, Assignee: drbMixed, Reason: "转"},
			domain.StatusUnprocessable, "assignee_not_eligible"},
	}
	outs := make([]*outcome, len(refusals))
	for i, r := range refusals {
		outs[i] = h.reassign(r.u)
	}
	moved := h.reassign(move)
	again := h.reassign(move)
	old := h.decide(workflows.DecideUpdate{TaskID: prelim1, Actor: drbReviewer, Decision: domain.DecisionApprove})
	decided := h.decide(workflows.DecideUpdate{TaskID: prelim1, Actor: drbReviewer2, Decision: domain.DecisionApprove})
	late := h.reassign(workflows.ReassignUpdate{TaskID: prelim1, Actor: drbSuper, Assignee: drbReviewer, Reason: "再转"})
	h.cancel()
	h.runLifecycle(drbProject(drbMixed))
	h.requireCancelled()

	for i, r := range refusals {
		t.Run(r.name, func(t *testing.T) { requireRejectedByValidator(t, outs[i], r.status, r.code) })
	}
	requireOK(t, moved)
	requireRejectedByValidator(t, again, domain.StatusConflict, "already_assigned")
	requireRejectedByValidator(t, old, domain.StatusForbidden, authz.CodeNotAssignee)
	requireOK(t, decided)
	requireRejectedByValidator(t, late, domain.StatusConflict, authz.CodeStaleTask)

	var tr domain.Transition
	for _, x := range h.transitions {
		if len(x.Assign) > 0 {
			tr = x
		}
	}
	require.Equal(t, []domain.TaskAssign{{TaskID: prelim1, AssigneeID: drbReviewer2.ID}}, tr.Assign)
	require.Len(t, tr.Audit, 1)
	require.Equal(t, "task.reassign", tr.Audit[0].Action)
	require.Equal(t, drbSuper.ID, tr.Audit[0].ActorID)
	require.Equal(t, "r1", tr.Audit[0].RequestID)
	require.Equal(t, map[string]any{"task_id": prelim1, "kind": "prelim_review", "from": drbReviewer.ID, "to": drbReviewer2.ID,
		"reason": "逾期未办"}, tr.Audit[0].Detail)
	require.Len(t, tr.Notify, 2)
	require.Equal(t, domain.Notice{Kind: "task_reassigned", Title: "转办待办：六安市政务数据共享平台", Body: "逾期未办",
		UserID: drbReviewer2.ID, TaskID: prelim1}, tr.Notify[0])
	require.Equal(t, drbReviewer.ID, tr.Notify[1].UserID)
	require.Empty(t, tr.Stage)
}

func TestReassign_AnExpertSeatMovesToAnExpertNotOnThePanel(t *testing.T) {
	h := newLifecycle(t)
	h.prelimApprove()
	h.signal(workflows.SignalPanel, workflows.PanelSignal{SessionID: "s1", Experts: panel3})
	e4 := workflows.ExpertRef{ID: "e4", OrgID: "univ-4"}
	onPanel := h.reassign(workflows.ReassignUpdate{TaskID: expertTask("e1"), Actor: drbSuper, Assignee: expert("e2", "univ-2"), Reason: "e1 失联"})
	ownUnit := h.reassign(workflows.ReassignUpdate{TaskID: expertTask("e1"), Actor: drbSuper, Assignee: expert("eA", unitA), Reason: "e1 失联"})
	moved := h.reassign(workflows.ReassignUpdate{TaskID: expertTask("e1"), Actor: drbSuper, Assignee: expert(e4.ID, e4.OrgID), Reason: "e1 失联"})
	silent := h.decide(workflows.DecideUpdate{TaskID: expertTask("e1"), Actor: expert("e1", "univ-1"), Decision: domain.DecisionPass,
		Score: score(80), Comment: "意见"})
	h.decide(workflows.DecideUpdate{TaskID: expertTask("e1"), Actor: expert(e4.ID, e4.OrgID), Decision: domain.DecisionPass,
		Score: score(80), Comment: "意见"})
	h.review(panel3[1], true)
	h.review(panel3[2], true)
	h.projectState(func(st workflows.ProjectState) {
		require.Equal(t, domain.StageAwaitingPlan, st.Stage)
		require.Equal(t, []workflows.ExpertRef{e4, panel3[1], panel3[2]}, st.Panel)
		require.Equal(t, "e4", st.Reviews[0].ExpertID)
	})
	h.cancel()
	h.runLifecycle(lifecycleInput(smallFen, policy2021()))
	h.requireCancelled()

	requireRejectedByValidator(t, onPanel, domain.StatusUnprocessable, "assignee_not_eligible")
	requireRejectedByValidator(t, ownUnit, domain.StatusUnprocessable, "assignee_not_eligible")
	r, _ := domain.AsRefusal(ownUnit.err)
	require.Equal(t, authz.CodeRecused, r.Extra["reason"])
	requireOK(t, moved)
	requireRejectedByValidator(t, silent, domain.StatusForbidden, authz.CodeNotAssignee)
}

// TestSoD_BundleCreatorMayNotDecideIt: under the 2023 policy DRB both bundles the small
// projects and approves the bundle; the person who made the bundle may not approve it.
func TestSoD_BundleCreatorMayNotDecideIt(t *testing.T) {
	h := newPlan(t)
	bundleSuper := domain.Actor{ID: "u-drbs2", OrgID: "drb", Roles: []string{domain.RoleDRBSupervisor}}
	h.status("p1", unitA, smallFen, domain.StageAwaitingApproval)
	h.status("p2", "unit-b", smallFen, domain.StageAwaitingApproval)
	h.update(workflows.UpdateCreateBundle, workflows.BundleUpdate{BundleID: "b1", Actor: bundleSuper})
	own := h.decide(workflows.DecideUpdate{TaskID: bundle1Task, Actor: bundleSuper, Decision: domain.DecisionApprove})
	other := h.decide(workflows.DecideUpdate{TaskID: bundle1Task, Actor: drbSuper, Decision: domain.DecisionApprove})
	h.cancel()
	h.runPlan(policy2023())
	h.requireCancelled()

	requireRejectedByValidator(t, own, domain.StatusForbidden, authz.CodeSeparationOfDuties)
	requireOK(t, other)
}

// TestSoD_RunsStartedBeforeRefuseInTheValidator: a run started before separation-of-duties
// keeps its handlers as they were (its history replays), and its Update validator, which is
// never replayed, refuses the submitter's decision all the same.
func TestSoD_RunsStartedBeforeRefuseInTheValidator(t *testing.T) {
	h := newLifecycle(t)
	startedBefore(t, h.env, "lifecycle-baseline-sod")
	h.env.OnGetVersion("separation-of-duties", workflow.DefaultVersion, 1).Return(workflow.DefaultVersion)
	own := h.decide(workflows.DecideUpdate{TaskID: prelim1, Actor: drbMixed, Decision: domain.DecisionApprove})
	other := h.decide(workflows.DecideUpdate{TaskID: prelim1, Actor: drbReviewer, Decision: domain.DecisionApprove})
	h.cancel()
	h.runLifecycle(drbProject(drbMixed))
	h.requireCancelled()

	requireRejectedByValidator(t, own, domain.StatusForbidden, authz.CodeSeparationOfDuties)
	requireOK(t, other)
}

// TestReassign_BundleApprovalMovesToAnotherApprover: a bundle's approval task escalates to the
// supervisor too (T2); the plan holds its assignee once reassigned.
func TestReassign_BundleApprovalMovesToAnotherApprover(t *testing.T) {
	h := newPlan(t)
	ndrc2 := domain.Actor{ID: "u-ndrc2", OrgID: "ndrc", Roles: []string{domain.RoleNDRCApprover}}
	bundleOf2(h)
	wrong := h.reassign(workflows.ReassignUpdate{TaskID: bundle1Task, Actor: drbSuper, Assignee: drbReviewer2, Reason: "转"})
	creator := h.reassign(workflows.ReassignUpdate{TaskID: bundle1Task, Actor: drbSuper,
		Assignee: domain.Actor{ID: drbReviewer.ID, OrgID: "ndrc", Roles: []string{domain.RoleNDRCApprover}}, Reason: "转"})
	notSuper := h.reassign(workflows.ReassignUpdate{TaskID: bundle1Task, Actor: ndrcAppr, Assignee: ndrc2, Reason: "转"})
	moved := h.reassign(workflows.ReassignUpdate{TaskID: bundle1Task, Actor: drbSuper, Assignee: ndrc2, Reason: "钱改出差", RequestID: "r9"})
	old := h.decide(workflows.DecideUpdate{TaskID: bundle1Task, Actor: ndrcAppr, Decision: domain.DecisionApprove})
	decided := h.decide(workflows.DecideUpdate{TaskID: bundle1Task, Actor: ndrc2, Decision: domain.DecisionApprove})
	late := h.reassign(workflows.ReassignUpdate{TaskID: bundle1Task, Actor: drbSuper, Assignee: ndrcAppr, Reason: "再转"})
	h.cancel()
	h.runPlan(policy2021())
	h.requireCancelled()

	requireRejectedByValidator(t, wrong, domain.StatusUnprocessable, "assignee_not_eligible")
	r, _ := domain.AsRefusal(creator.err)
	requireRejectedByValidator(t, creator, domain.StatusUnprocessable, "assignee_not_eligible")
	require.Equal(t, authz.CodeSeparationOfDuties, r.Extra["reason"], "who made the bundle may not take its approval")
	requireRejectedByValidator(t, notSuper, domain.StatusForbidden, "forbidden")
	requireOK(t, moved)
	requireRejectedByValidator(t, old, domain.StatusForbidden, authz.CodeNotAssignee)
	requireOK(t, decided)
	requireRejectedByValidator(t, late, domain.StatusConflict, authz.CodeStaleTask)

	var tr domain.Transition
	for _, x := range h.transitions {
		if len(x.Assign) > 0 {
			tr = x
		}
	}
	require.Equal(t, []domain.TaskAssign{{TaskID: bundle1Task, AssigneeID: ndrc2.ID}}, tr.Assign)
	require.Equal(t, "task.reassign", tr.Audit[0].Action)
	require.Equal(t, "bundle", tr.Audit[0].ObjectType)
	require.Equal(t, "b1", tr.Audit[0].ObjectID)
	require.Equal(t, ndrc2.ID, tr.Audit[0].Detail["to"])
	require.Equal(t, ndrc2.ID, tr.Notify[0].UserID)
	require.Len(t, h.bundleResults(), 2)
}
