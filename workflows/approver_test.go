package workflows_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"egovpm/internal/domain"
	"egovpm/workflows"
)

// TestR19_BundleDecidedByItsProjectsPinnedApprover: R6 and R19. A plan year started under the
// 2021 policy holds a project pinned to 2021 (NDRC approves) and one pinned to 2023 (DRB
// approves, submitted after the policy changed). A bundle holds one approver's projects: a list
// naming both, or a default bundle over both, is refused (bundle_approvers_differ, naming each
// approver's projects); each alone goes to its own approver, who alone decides it.
func TestR19_BundleDecidedByItsProjectsPinnedApprover(t *testing.T) {
	h := newPlan(t)
	h.setRow(domain.PlanProject{ProjectID: "p1", PlanYear: planYear, UnitID: unitA, EstimatedFen: smallFen,
		Stage: domain.StageAwaitingApproval, BundleApproverRole: domain.RoleNDRCApprover, BundleApproverOrg: "ndrc"})
	h.setRow(domain.PlanProject{ProjectID: "p2", PlanYear: planYear, UnitID: "unit-b", EstimatedFen: smallFen,
		Stage: domain.StageAwaitingApproval, BundleApproverRole: domain.RoleDRBSupervisor, BundleApproverOrg: "drb"})
	mixed := h.update(workflows.UpdateCreateBundle, workflows.BundleUpdate{BundleID: "bx", Actor: drbReviewer, ProjectIDs: []string{"p1", "p2"}})
	mixedDefault := h.update(workflows.UpdateCreateBundle, workflows.BundleUpdate{BundleID: "by", Actor: drbReviewer})
	drb := h.update(workflows.UpdateCreateBundle, workflows.BundleUpdate{BundleID: "b1", Actor: drbReviewer, ProjectIDs: []string{"p2"}})
	ndrc := h.update(workflows.UpdateCreateBundle, workflows.BundleUpdate{BundleID: "b2", Actor: drbReviewer, ProjectIDs: []string{"p1"}})
	byNDRC := h.decide(workflows.DecideUpdate{TaskID: bundle1Task, Actor: ndrcAppr, Decision: domain.DecisionApprove})
	byDRB := h.decide(workflows.DecideUpdate{TaskID: bundle1Task, Actor: drbSuper, Decision: domain.DecisionApprove, Comment: "同意"})
	h.cancel()
	h.runPlan(policy2021())
	h.requireCancelled()

	for _, o := range []*outcome{mixed, mixedDefault} {
		requireRefused(t, o, domain.StatusUnprocessable, "bundle_approvers_differ")
		r, _ := domain.AsRefusal(o.err)
		require.Contains(t, r.Message, "项目 p1 由市发改委审批")
		require.Contains(t, r.Message, "项目 p2 由市数管局审批")
		require.NotContains(t, r.Message, "approver")
	}
	requireOK(t, drb)
	requireOK(t, ndrc)
	requireRejectedByValidator(t, byNDRC, domain.StatusForbidden, "wrong_role")
	requireOK(t, byDRB)

	opened := h.opened()
	require.Len(t, opened, 2)
	require.Equal(t, domain.RoleDRBSupervisor, opened[0].CandidateRole)
	require.Equal(t, "drb", opened[0].CandidateOrgID)
	require.Equal(t, domain.RoleNDRCApprover, opened[1].CandidateRole)
	require.Equal(t, "ndrc", opened[1].CandidateOrgID)
	require.Equal(t, domain.RoleDRBSupervisor, h.transitions[0].Notify[0].Role, "the approver is told of its task")
	require.Len(t, h.bundleResults()["project:p2"], 1)
	require.Empty(t, h.bundleResults()["project:p1"])
}

// TestR19_CheckPlanStagesRefusesABundleOfTwoApprovers: the gateway's precheck refuses the same
// before asking the plan.
func TestR19_CheckPlanStagesRefusesABundleOfTwoApprovers(t *testing.T) {
	a := domain.PlanProject{ProjectID: "p1", PlanYear: planYear, Stage: domain.StageAwaitingApproval, EstimatedFen: smallFen,
		BundleApproverRole: domain.RoleNDRCApprover, BundleApproverOrg: "ndrc"}
	b := domain.PlanProject{ProjectID: "p2", PlanYear: planYear, Stage: domain.StageAwaitingApproval, EstimatedFen: smallFen,
		BundleApproverRole: domain.RoleDRBSupervisor, BundleApproverOrg: "drb"}
	bundled := b
	bundled.ProjectID, bundled.BundleID = "p3", "b0"
	for _, c := range []struct {
		ids  []string
		rows []domain.PlanProject
		code string
	}{
		{[]string{"p1", "p2"}, []domain.PlanProject{a, b}, "bundle_approvers_differ"},
		{nil, []domain.PlanProject{a, b}, "bundle_approvers_differ"},
		{nil, []domain.PlanProject{a, bundled}, ""},
		{[]string{"p2"}, []domain.PlanProject{b}, ""},
	} {
		err := workflows.CheckPlanStages(workflows.UpdateCreateBundle, planYear, c.ids, c.rows, policy2021())
		if c.code == "" {
			require.NoError(t, err, "%v", c.ids)
			continue
		}
		r, ok := domain.AsRefusal(err)
		require.True(t, ok, "%v: %v", c.ids, err)
		require.Equal(t, c.code, r.Code)
	}
}
