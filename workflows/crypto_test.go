package workflows_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"egovpm/internal/domain"
	"egovpm/workflows"
)

// TestR17_SpecialRequestOfACryptoProjectWaitsForItsCryptoPlan: R8 is an approval route too. A
// special request of a project that uses cryptography, under a policy with the R17 gate, reaches
// the City Government only once its 密码应用方案 is uploaded; until then there is no task to
// decide.
func TestR17_SpecialRequestOfACryptoProjectWaitsForItsCryptoPlan(t *testing.T) {
	h := newLifecycle(t)
	h.missing = []string{"crypto_plan"}
	h.projectState(func(st workflows.ProjectState) {
		require.Equal(t, domain.StageSpecialRequest, st.Stage)
		require.Empty(t, st.OpenTasks, "no approval without the 密码应用方案")
	})
	early := h.decide(workflows.DecideUpdate{TaskID: special1, Actor: cityGovAppr, Decision: domain.DecisionApprove})
	h.signal(workflows.SignalDocuments, nil) // another document: still missing
	h.projectState(func(st workflows.ProjectState) { require.Empty(t, st.OpenTasks) })
	h.setMissing()
	h.signal(workflows.SignalDocuments, nil)
	h.projectState(func(st workflows.ProjectState) {
		require.Len(t, st.OpenTasks, 1)
		require.Equal(t, special1, st.OpenTasks[0].ID)
	})
	approve := h.decide(workflows.DecideUpdate{TaskID: special1, Actor: cityGovAppr, Decision: domain.DecisionApprove, Comment: "同意"})
	h.cancel()
	in := lifecycleInput(smallFen, policy2021())
	in.Special, in.UsesCrypto = true, true
	h.runLifecycle(in)
	h.requireCancelled()

	requireRejectedByValidator(t, early, domain.StatusConflict, "stale_task")
	requireOK(t, approve)
	submit := h.transitionTo(domain.StageSpecialRequest)
	require.Empty(t, submit.Open)
	require.Equal(t, []string{"crypto_plan"}, submit.Audit[0].Detail["waiting_documents"])
	require.Equal(t, []string{"project.submit", "approval.request", "task.decide"}, h.auditActions())
	for _, c := range h.docsCalls {
		require.Equal(t, []string{"crypto_plan"}, c.Kinds)
	}
}

// TestR17_SpecialRequestWithoutTheGateOpensAtOnce: a project that does not use cryptography,
// or whose pinned policy has no R17 approval gate, reaches the City Government at submission.
func TestR17_SpecialRequestWithoutTheGateOpensAtOnce(t *testing.T) {
	for _, c := range []struct {
		name       string
		usesCrypto bool
		gate       bool
	}{{"no cryptography", false, true}, {"no gate", true, false}} {
		t.Run(c.name, func(t *testing.T) {
			h := newLifecycle(t)
			h.missing = []string{"crypto_plan"}
			h.projectState(func(st workflows.ProjectState) { require.Len(t, st.OpenTasks, 1) })
			h.cancel()
			in := lifecycleInput(smallFen, policy2021())
			in.Special, in.UsesCrypto, in.Policy.CryptoPlanAtApproval = true, c.usesCrypto, c.gate
			h.runLifecycle(in)
			h.requireCancelled()
			require.Empty(t, h.docsCalls)
		})
	}
}

// TestR17_BundleHoldsNoProjectWithoutItsCryptoPlan: R6's bundle route is an approval route: a
// project whose 密码应用方案 is missing (the read model says so, by its pinned policy's gate) is
// refused in a bundle that names it (documents_missing, naming it) and left out of a bundle
// that names none; once the plan is uploaded it is bundled.
func TestR17_BundleHoldsNoProjectWithoutItsCryptoPlan(t *testing.T) {
	h := newPlan(t)
	h.setRow(domain.PlanProject{ProjectID: "p1", PlanYear: planYear, UnitID: unitA, EstimatedFen: smallFen,
		Stage: domain.StageAwaitingApproval, CryptoPlanMissing: true})
	h.status("p2", "unit-b", smallFen, domain.StageAwaitingApproval)
	named := h.update(workflows.UpdateCreateBundle, workflows.BundleUpdate{BundleID: "bx", Actor: drbReviewer, ProjectIDs: []string{"p1", "p2"}})
	byDefault := h.update(workflows.UpdateCreateBundle, workflows.BundleUpdate{BundleID: "b1", Actor: drbReviewer})
	onlyWaiting := h.update(workflows.UpdateCreateBundle, workflows.BundleUpdate{BundleID: "b2", Actor: drbReviewer})
	h.setRow(domain.PlanProject{ProjectID: "p1", PlanYear: planYear, UnitID: unitA, EstimatedFen: smallFen,
		Stage: domain.StageAwaitingApproval})
	later := h.update(workflows.UpdateCreateBundle, workflows.BundleUpdate{BundleID: "b3", Actor: drbReviewer, ProjectIDs: []string{"p1"}})
	h.cancel()
	h.runPlan(policy2021())
	h.requireCancelled()

	requireRefused(t, named, domain.StatusUnprocessable, "documents_missing")
	r, _ := domain.AsRefusal(named.err)
	require.Contains(t, r.Message, "p1")
	require.NotContains(t, r.Message, "p2")
	require.Contains(t, r.Message, "须先上传密码应用方案才能报批")
	require.NotContains(t, r.Message, "crypto_plan")
	requireOK(t, byDefault)
	require.Equal(t, 1, byDefault.result.(workflows.BundleResult).Count)
	require.Equal(t, "b1", h.rows["p2"].BundleID)
	requireRefused(t, onlyWaiting, domain.StatusUnprocessable, "documents_missing")
	requireOK(t, later)
	require.Equal(t, 1, later.result.(workflows.BundleResult).Count)
	require.Equal(t, "b3", h.rows["p1"].BundleID)
}

// TestR17_CheckPlanStagesRefusesABundleWithoutTheCryptoPlan: the gateway's precheck refuses
// the same bundles before asking the plan, so the Idempotency-Key stays usable once the
// document is in.
func TestR17_CheckPlanStagesRefusesABundleWithoutTheCryptoPlan(t *testing.T) {
	missing := domain.PlanProject{ProjectID: "p1", PlanYear: planYear, Stage: domain.StageAwaitingApproval, EstimatedFen: smallFen,
		CryptoPlanMissing: true}
	ok := domain.PlanProject{ProjectID: "p2", PlanYear: planYear, Stage: domain.StageAwaitingApproval, EstimatedFen: smallFen}
	for _, c := range []struct {
		ids  []string
		rows []domain.PlanProject
		code string
	}{
		{[]string{"p1"}, []domain.PlanProject{missing}, "documents_missing"},
		{[]string{"p1", "p2"}, []domain.PlanProject{missing, ok}, "documents_missing"},
		{nil, []domain.PlanProject{missing}, "documents_missing"},
		{nil, []domain.PlanProject{missing, ok}, ""},
		{[]string{"p2"}, []domain.PlanProject{ok}, ""},
	} {
		err := workflows.CheckPlanStages(workflows.UpdateCreateBundle, planYear, c.ids, c.rows, policy2021())
		if c.code == "" {
			require.NoError(t, err, "%v", c.ids)
			continue
		}
		r, isRefusal := domain.AsRefusal(err)
		require.True(t, isRefusal, "%v: %v", c.ids, err)
		require.Equal(t, c.code, r.Code, "%v", c.ids)
	}
}
