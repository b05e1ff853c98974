package workflows_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"egovpm/activities/wire"
	"egovpm/internal/domain"
	"egovpm/workflows"
)

// summarizeBundle is SummarizeBundle on the harness's read model (bundle-by-reference).
func (h *harness) summarizeBundle(_ context.Context, in wire.BundleSummaryInput) (domain.BundleSummary, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	var sum domain.BundleSummary
	var ready []string
	for _, r := range h.bundleCandidates(in.Year, in.BundleID, in.SmallBelowFen, in.DefaultRole, in.DefaultOrg) {
		if r.CryptoPlanMissing {
			sum.Waiting++
			sum.WaitingIDs = append(sum.WaitingIDs, r.ProjectID)
			continue
		}
		ready = append(ready, r.ProjectID)
		i := slices.IndexFunc(sum.Approvers, func(a domain.BundleApprover) bool {
			return a.Role == r.BundleApproverRole && a.Org == r.BundleApproverOrg
		})
		if i < 0 {
			sum.Approvers = append(sum.Approvers, domain.BundleApprover{Role: r.BundleApproverRole, Org: r.BundleApproverOrg})
			i = len(sum.Approvers) - 1
		}
		sum.Approvers[i].Count++
		sum.Approvers[i].SampleIDs = append(sum.Approvers[i].SampleIDs, r.ProjectID)
	}
	sum.Count, sum.Digest = len(ready), domain.BundleDigest(ready)
	return sum, nil
}

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
		// bundle-by-reference: the plan keeps the bundle's count and digest, not its members.
		require.Equal(t, []*workflows.PlanBundle{{ID: "b1", TaskID: bundle1Task, ByRef: true, Count: 3,
			Digest: domain.BundleDigest([]string{"p5", "p3", "p1"}), Status: "pending",
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
	require.Equal(t, workflows.BundleResult{ID: "b1", TaskID: bundle1Task, Count: 3}, create.result)
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
	require.Equal(t, map[string]any{"plan_year": planYear}, task.Details, "Apply adds the members it wrote")
	pol := policy2021()
	require.Equal(t, &domain.Bundle{ID: "b1", PlanYear: planYear, TaskID: bundle1Task, Status: "pending", CreatedBy: drbReviewer.ID,
		Select: &domain.BundleSelect{SmallBelowFen: pol.SmallThresholdFen, ApproverRole: domain.RoleNDRCApprover, ApproverOrg: "ndrc",
			DefaultRole: pol.BundleApproverRole, DefaultOrg: pol.BundleApproverOrg},
		MemberAudit: &domain.AuditItem{ActorID: drbReviewer.ID, OrgID: drbReviewer.OrgID, Action: "bundle.create", ObjectType: "project",
			Outcome: "ok", RequestID: "req-3", Detail: map[string]any{"bundle_id": "b1", "task_id": bundle1Task}}}, tr.Bundle,
		"Apply takes the members by reference and audits each")
	require.Empty(t, tr.Audit)
	for _, id := range []string{"p1", "p3", "p5"} {
		require.Equal(t, "b1", h.rows[id].BundleID, id)
	}
	require.Empty(t, h.rows["pL"].BundleID)
	require.Empty(t, h.rows["p4"].BundleID)
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
		{"unknown decision", workflows.DecideUpdate{TaskID: bundle1Task, Actor: ndrcAppr, Decision: domain.DecisionReturn, Comment: "补充"},
			domain.StatusBadRequest, "invalid_decision"},
		{"unknown task", workflows.DecideUpdate{TaskID: "plan:2026:bundle_approval:b9", Actor: ndrcAppr, Decision: domain.DecisionApprove},
			domain.StatusConflict, "stale_task"},
	}
	outs := make([]*outcome, len(refusals))
	for i, c := range refusals {
		outs[i] = h.decide(c.u)
	}
	// Whether an excluded project is in a bundle made by reference is the read model's to say:
	// refused once the plan has read it (the Update completes with the refusal).
	stranger := h.decide(workflows.DecideUpdate{TaskID: bundle1Task, Actor: ndrcAppr, Decision: domain.DecisionApprove,
		ExcludedProjectIDs: []string{"p9"}})
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
	requireRefused(t, stranger, domain.StatusBadRequest, "invalid_decision")
	require.Contains(t, stranger.err.Error(), "p9")
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
	require.Equal(t, map[string]string{"p2": "excluded"}, tr.Bundle.Outcomes, "all but the excluded: one outcome")
	require.Equal(t, "approved", tr.Bundle.Outcome)
	require.Empty(t, tr.Bundle.ProjectIDs)
	require.Equal(t, map[string]string{"p1": "approved", "p2": "excluded"}, h.outcomes["b1"])
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
	require.Equal(t, "rejected", tr.Bundle.Outcome)
	require.Empty(t, tr.Bundle.Outcomes)
	require.Equal(t, map[string]string{"p1": "rejected", "p2": "rejected"}, h.outcomes["b1"])
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
	require.Equal(t, workflows.BundleResult{ID: "b1", TaskID: bundle1Task, Count: 1}, bundle.result)
	require.Len(t, h.planResults()["project:p1"], 1, "p1 hears it was compiled")
}

// Issue 20 item 1 (bundle-by-reference): a bundle of every candidate keeps no member in the
// plan. What the plan records of it (the Update's answer, the state it carries across
// continue-as-new) is the same size for 10 members and for 1,000, where it held ~40 B of ids a
// member before (and its read of the candidates ~310 B a member, PERFORMANCE §11.1); the
// decision writes one outcome for all but the excluded.
func TestPlanBundleOfEveryCandidateKeepsNoMember(t *testing.T) {
	sizes := map[int][2]int{}
	for _, n := range []int{10, 1000} {
		h := newPlan(t)
		h.step(func() {
			h.mu.Lock()
			defer h.mu.Unlock()
			for i := range n {
				id := fmt.Sprintf("p%04d", i)
				h.rows[id] = &domain.PlanProject{ProjectID: id, PlanYear: planYear, UnitID: unitA, Name: "项目" + id,
					EstimatedFen: smallFen, Stage: domain.StageAwaitingApproval, Version: 1}
				h.rowOrder = append(h.rowOrder, id)
			}
		})
		create := h.update(workflows.UpdateCreateBundle, workflows.BundleUpdate{BundleID: "b1", Actor: drbReviewer})
		approve := h.decide(workflows.DecideUpdate{TaskID: bundle1Task, Actor: ndrcAppr, Decision: domain.DecisionApprove,
			ExcludedProjectIDs: []string{"p0003"}, Comment: "p0003 另行安排"})
		var state []byte
		h.planState(func(st workflows.PlanState) {
			var err error
			state, err = json.Marshal(st)
			require.NoError(t, err)
		})
		h.cancel()
		h.runPlan(policy2021())
		h.requireCancelled()

		requireOK(t, create)
		requireOK(t, approve)
		res, err := json.Marshal(create.result)
		require.NoError(t, err)
		require.Equal(t, n, create.result.(workflows.BundleResult).Count)
		sizes[n] = [2]int{len(res), len(state)}
		require.Len(t, h.outcomes["b1"], n)
		require.Equal(t, "excluded", h.outcomes["b1"]["p0003"])
		require.Equal(t, map[string]string{"p0003": "excluded"}, h.transitions[1].Bundle.Outcomes, "one outcome for all but the excluded")
	}
	require.InDelta(t, sizes[10][0], sizes[1000][0], 2, "the bundle's answer grows with its members: %v", sizes)
	require.InDelta(t, sizes[10][1], sizes[1000][1], 2, "the plan's state grows with the bundle's members: %v", sizes)
}
