package workflows_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"egovpm/internal/domain"
	"egovpm/workflows"
)

func TestR6_PlanBundleDefaultsToSmallProjectsAwaitingApproval(t *testing.T) {
	h := newPlan(t)
	h.status("p3", "unit-c", smallFen, domain.StageAwaitingApproval)
	h.status("p1", unitA, smallFen, domain.StageAwaitingApproval)
	h.status("pL", "unit-b", largeFen, domain.StageAwaitingApproval)
	h.status("p4", "unit-d", smallFen, domain.StageAwaitingPlan)
	// R8: a supplementary project joins the plan and follows R6.
	h.setRow(domain.PlanProject{ProjectID: "p5", PlanYear: planYear, UnitID: "unit-e", EstimatedFen: smallFen,
		Stage: domain.StageAwaitingApproval, Planned: true, PlanAmountFen: 300_000_000, Supplementary: true})
	large := h.update(workflows.UpdateCreateBundle, workflows.BundleUpdate{BundleID: "bx", Actor: drbReviewer, ProjectIDs: []string{"p1", "pL"}})
	notReady := h.update(workflows.UpdateCreateBundle, workflows.BundleUpdate{BundleID: "bx", Actor: drbReviewer, ProjectIDs: []string{"p4"}})
	create := h.update(workflows.UpdateCreateBundle, workflows.BundleUpdate{BundleID: "b1", Actor: drbReviewer, RequestID: "req-3"})
	rebundle := h.update(workflows.UpdateCreateBundle, workflows.BundleUpdate{BundleID: "b2", Actor: drbReviewer, ProjectIDs: []string{"p1"}})
	nothing := h.update(workflows.UpdateCreateBundle, workflows.BundleUpdate{BundleID: "b2", Actor: drbReviewer})
	h.planState(func(st workflows.PlanState) {
		require.Equal(t, []*workflows.PlanBundle{{ID: "b1", TaskID: bundle1Task, ProjectIDs: []string{"p1", "p3", "p5"}, Status: "pending",
			CreatedBy: drbReviewer.ID, ApproverRole: domain.RoleNDRCApprover, ApproverOrg: "ndrc"}}, st.Bundles)
		for _, pp := range st.Projects {
			if pp.ProjectID == "p5" {
				require.True(t, pp.Supplementary)
				require.True(t, pp.Planned)
				require.Equal(t, int64(300_000_000), pp.PlanAmountFen)
			}
		}
	})
	h.cancel()
	h.runPlan(policy2021())
	h.requireCancelled()

	requireRefused(t, large, domain.StatusUnprocessable, "not_small_project")
	requireRefused(t, notReady, domain.StatusConflict, "project_not_ready")
	requireOK(t, create)
	require.Equal(t, workflows.BundleResult{ID: "b1", ProjectIDs: []string{"p1", "p3", "p5"}, TaskID: bundle1Task}, create.result)
	requireRefused(t, rebundle, domain.StatusConflict, "project_not_ready")
	requireRefused(t, nothing, domain.StatusUnprocessable, "nothing_to_bundle")

	require.Len(t, h.transitions, 1)
	tr := h.transitions[0]
	require.Len(t, tr.Open, 1)
	task := tr.Open[0]
	require.Equal(t, bundle1Task, task.ID)
	require.Equal(t, domain.TaskBundleApproval, task.Kind)
	require.Equal(t, "b1", task.BundleID)
	require.Equal(t, domain.RoleNDRCApprover, task.CandidateRole)
	require.Equal(t, "ndrc", task.CandidateOrgID)
	require.Equal(t, 5, task.DueWorkdays)
	require.Equal(t, &domain.Bundle{ID: "b1", PlanYear: planYear, TaskID: bundle1Task, Status: "pending", CreatedBy: drbReviewer.ID,
		ProjectIDs: []string{"p1", "p3", "p5"}}, tr.Bundle)
	require.Len(t, tr.Audit, 3, "one bundle.create row per project")
	require.Empty(t, h.signals, "creating a bundle decides nothing yet")
}

// bundleOf2 plays a plan with bundle b1 of p1 and p2 awaiting its decision.
func bundleOf2(h *harness) {
	h.status("p1", unitA, smallFen, domain.StageAwaitingApproval)
	h.status("p2", "unit-b", smallFen, domain.StageAwaitingApproval)
	h.update(workflows.UpdateCreateBundle, workflows.BundleUpdate{BundleID: "b1", Actor: drbReviewer})
}

func TestR6_PlanBundleApprovedWithExclusions(t *testing.T) {
	h := newPlan(t)
	bundleOf2(h)
	refusals := []struct {
		name   string
		u      workflows.DecideUpdate
		status domain.Kind
		code   string
	}{
		{"wrong role", workflows.DecideUpdate{TaskID: bundle1Task, Actor: drbReviewer, Decision: domain.DecisionApprove}, domain.StatusForbidden, "wrong_role"},
		{"wrong org", workflows.DecideUpdate{TaskID: bundle1Task, Actor: domain.Actor{ID: "u-x", OrgID: "drb", Roles: []string{domain.RoleNDRCApprover}},
			Decision: domain.DecisionApprove}, domain.StatusForbidden, "wrong_org"},
		{"reject without comment", workflows.DecideUpdate{TaskID: bundle1Task, Actor: ndrcAppr, Decision: domain.DecisionReject}, domain.StatusBadRequest, "invalid_decision"},
		{"exclude all", workflows.DecideUpdate{TaskID: bundle1Task, Actor: ndrcAppr, Decision: domain.DecisionApprove, ExcludedProjectIDs: []string{"p1", "p2"}},
			domain.StatusBadRequest, "invalid_decision"},
		{"exclude a stranger", workflows.DecideUpdate{TaskID: bundle1Task, Actor: ndrcAppr, Decision: domain.DecisionApprove, ExcludedProjectIDs: []string{"p9"}},
			domain.StatusBadRequest, "invalid_decision"},
		{"unknown decision", workflows.DecideUpdate{TaskID: bundle1Task, Actor: ndrcAppr, Decision: domain.DecisionReturn, Comment: "补充"},
			domain.StatusBadRequest, "invalid_decision"},
		{"unknown task", workflows.DecideUpdate{TaskID: "plan:2026:bundle_approval:b9", Actor: ndrcAppr, Decision: domain.DecisionApprove},
			domain.StatusConflict, "stale_task"},
	}
	outs := make([]*outcome, len(refusals))
	for i, c := range refusals {
		outs[i] = h.decide(c.u)
	}
	approve := h.decide(workflows.DecideUpdate{TaskID: bundle1Task, Actor: ndrcAppr, Decision: domain.DecisionApprove,
		ExcludedProjectIDs: []string{"p2"}, Comment: "p2 另行安排", RequestID: "req-4"})
	twice := h.decide(workflows.DecideUpdate{TaskID: bundle1Task, Actor: ndrcAppr, Decision: domain.DecisionApprove})
	h.planState(func(st workflows.PlanState) {
		require.Len(t, st.Bundles, 1)
		require.Equal(t, "partially_approved", st.Bundles[0].Status)
	})
	h.cancel()
	h.runPlan(policy2021())
	h.requireCancelled()

	for i, c := range refusals {
		t.Run(c.name, func(t *testing.T) { requireRejectedByValidator(t, outs[i], c.status, c.code) })
	}
	requireOK(t, approve)
	require.Equal(t, workflows.DecideResult{TaskID: bundle1Task, Decision: domain.DecisionApprove}, approve.result)
	requireRejectedByValidator(t, twice, domain.StatusConflict, "stale_task")

	require.Equal(t, map[string][]workflows.BundleResultSignal{
		"project:p1": {{BundleID: "b1", TaskID: bundle1Task, Approved: true, Comment: "p2 另行安排", Actor: ndrcAppr}},
		"project:p2": {{BundleID: "b1", TaskID: bundle1Task, Excluded: true, Comment: "p2 另行安排", Actor: ndrcAppr}},
	}, h.bundleResults())
	require.Len(t, h.transitions, 2)
	tr := h.transitions[1]
	require.Equal(t, []domain.TaskClose{{TaskID: bundle1Task, Decision: domain.DecisionApprove, ActorID: ndrcAppr.ID, Comment: "p2 另行安排",
		Details: map[string]any{"excluded_project_ids": []string{"p2"}}}}, tr.Close)
	require.Equal(t, map[string]string{"p1": "approved", "p2": "excluded"}, tr.Bundle.Outcomes)
	require.Equal(t, "partially_approved", tr.Bundle.Status)
	require.Equal(t, "req-4", tr.Audit[0].RequestID)
}

func TestR6_PlanBundleRejectedReachesEveryProject(t *testing.T) {
	h := newPlan(t)
	bundleOf2(h)
	reject := h.decide(workflows.DecideUpdate{TaskID: bundle1Task, Actor: ndrcAppr, Decision: domain.DecisionReject, Comment: "资金不足"})
	h.cancel()
	h.runPlan(policy2021())
	h.requireCancelled()

	requireOK(t, reject)
	require.Equal(t, map[string][]workflows.BundleResultSignal{
		"project:p1": {{BundleID: "b1", TaskID: bundle1Task, Comment: "资金不足", Actor: ndrcAppr}},
		"project:p2": {{BundleID: "b1", TaskID: bundle1Task, Comment: "资金不足", Actor: ndrcAppr}},
	}, h.bundleResults())
	tr := h.transitions[len(h.transitions)-1]
	require.Equal(t, "rejected", tr.Bundle.Status)
	require.Equal(t, map[string]string{"p1": "rejected", "p2": "rejected"}, tr.Bundle.Outcomes)
}

func TestR19_Policy2023BundleDecidedByDRB(t *testing.T) {
	h := newPlan(t)
	bundleOf2(h)
	ndrc := h.decide(workflows.DecideUpdate{TaskID: bundle1Task, Actor: ndrcAppr, Decision: domain.DecisionApprove})
	approve := h.decide(workflows.DecideUpdate{TaskID: bundle1Task, Actor: drbSuper, Decision: domain.DecisionApprove})
	h.cancel()
	h.runPlan(policy2023())
	h.requireCancelled()

	requireRejectedByValidator(t, ndrc, domain.StatusForbidden, "wrong_role")
	requireOK(t, approve)
	require.Equal(t, domain.RoleDRBSupervisor, h.transitions[0].Open[0].CandidateRole)
	require.Equal(t, "drb", h.transitions[0].Open[0].CandidateOrgID)
	require.Len(t, h.bundleResults(), 2)
}

func TestR6_PlanSameBundleDecidedTwiceTogether(t *testing.T) {
	h := newPlan(t)
	bundleOf2(h)
	both := h.updatesTogether(workflows.UpdateDecide,
		workflows.DecideUpdate{TaskID: bundle1Task, Actor: ndrcAppr, Decision: domain.DecisionApprove},
		workflows.DecideUpdate{TaskID: bundle1Task, Actor: ndrcAppr, Decision: domain.DecisionReject, Comment: "重复"})
	h.cancel()
	h.runPlan(policy2021())
	h.requireCancelled()

	requireOK(t, both[0])
	requireRefused(t, both[1], domain.StatusConflict, "stale_task", "duplicate_decision")
	require.Len(t, h.sent(workflows.SignalBundleResult), 2, "one outcome per project, once")
	for _, s := range h.sent(workflows.SignalBundleResult) {
		require.True(t, s.Arg.(workflows.BundleResultSignal).Approved)
	}
}

// TestPlanIgnoresItsOwnLostWrites: a plan decision whose workflow task is retried after a lost
// completion finds its first attempt's writes in the read model (plan items, bundle rows). The
// plan reads back only what lifecycles write, so the retried compile and bundle go through
// instead of refusing themselves (found by the fault test: a project stuck in awaiting_plan).
func TestPlanIgnoresItsOwnLostWrites(t *testing.T) {
	h := newPlan(t)
	h.setRow(domain.PlanProject{ProjectID: "p1", PlanYear: planYear, UnitID: unitA, EstimatedFen: smallFen,
		Stage: domain.StageAwaitingPlan, Planned: true, PlanAmountFen: 400_000_000})
	h.setRow(domain.PlanProject{ProjectID: "p2", PlanYear: planYear, UnitID: "unit-b", EstimatedFen: smallFen,
		Stage: domain.StageAwaitingApproval, BundleID: "b1"})
	compile := h.update(workflows.UpdateCompile, workflows.CompileUpdate{Actor: drbReviewer,
		Included: []workflows.PlanInclusion{{ProjectID: "p1", ApprovedAmountFen: 400_000_000}}})
	bundle := h.update(workflows.UpdateCreateBundle, workflows.BundleUpdate{BundleID: "b1", Actor: drbReviewer})
	h.cancel()
	h.runPlan(policy2021())
	h.requireCancelled()
	requireOK(t, compile)
	requireOK(t, bundle)
	require.Equal(t, workflows.BundleResult{ID: "b1", ProjectIDs: []string{"p2"}, TaskID: bundle1Task}, bundle.result)
	require.Len(t, h.planResults()["project:p1"], 1, "p1 hears it was compiled")
}
