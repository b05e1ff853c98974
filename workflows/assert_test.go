package workflows_test

import (
	"cmp"
	"maps"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"egovpm/internal/domain"
	"egovpm/workflows"
)

// runLifecycle executes ProjectLifecycle with in and checks the mocks afterwards.
func (h *harness) runLifecycle(in workflows.ProjectLifecycleInput) {
	h.t.Helper()
	h.env.ExecuteWorkflow(workflows.ProjectLifecycle, in)
	require.True(h.t, h.env.IsWorkflowCompleted(), "workflow did not complete")
	h.env.AssertExpectations(h.t)
}

// runPlan executes AnnualPlan for planYear with pol.
func (h *harness) runPlan(pol domain.Policy) {
	h.t.Helper()
	h.env.ExecuteWorkflow(workflows.AnnualPlan, workflows.AnnualPlanInput{Year: planYear, Policy: pol})
	require.True(h.t, h.env.IsWorkflowCompleted(), "workflow did not complete")
	h.env.AssertExpectations(h.t)
}

// requireCancelled checks that the workflow ended only because the test cancelled it.
func (h *harness) requireCancelled() {
	h.t.Helper()
	err := h.env.GetWorkflowError()
	require.Error(h.t, err)
	require.Contains(h.t, err.Error(), "canceled")
}

// requireResult checks that the lifecycle completed by itself in stage want.
func (h *harness) requireResult(want domain.Stage) {
	h.t.Helper()
	require.NoError(h.t, h.env.GetWorkflowError())
	var res workflows.ProjectLifecycleResult
	require.NoError(h.t, h.env.GetWorkflowResult(&res))
	require.Equal(h.t, want, res.Stage)
}

// stages lists the stages the transitions wrote, skipping transitions that leave the stage.
func (h *harness) stages() []domain.Stage {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []domain.Stage
	for _, tr := range h.transitions {
		if tr.Stage != "" {
			out = append(out, tr.Stage)
		}
	}
	return out
}

// transitionTo returns the (last) transition that moved the project to stage s.
func (h *harness) transitionTo(s domain.Stage) domain.Transition {
	h.t.Helper()
	h.mu.Lock()
	defer h.mu.Unlock()
	for i := len(h.transitions) - 1; i >= 0; i-- {
		if h.transitions[i].Stage == s {
			return h.transitions[i]
		}
	}
	require.Failf(h.t, "no transition", "no transition to stage %s", s)
	return domain.Transition{}
}

// opened lists every task opened by a transition.
func (h *harness) opened() []domain.NewTask {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []domain.NewTask
	for _, tr := range h.transitions {
		out = append(out, tr.Open...)
	}
	return out
}

// auditActions lists the audit actions in the order written.
func (h *harness) auditActions() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []string
	for _, tr := range h.transitions {
		for _, au := range tr.Audit {
			out = append(out, au.Action)
		}
	}
	return out
}

// sent lists the signals named name that went out.
func (h *harness) sent(name string) []sentSignal {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []sentSignal
	for _, s := range h.signals {
		if s.Name == name {
			out = append(out, s)
		}
	}
	return out
}

// reportedStages lists the stages the lifecycle reported to its plan.
func (h *harness) reportedStages() []domain.Stage {
	h.t.Helper()
	var out []domain.Stage
	for _, s := range h.sent(workflows.SignalProjectStatus) {
		require.Equal(h.t, workflows.PlanWorkflowID(planYear), s.WorkflowID)
		st, ok := s.Arg.(workflows.ProjectStatusSignal)
		require.True(h.t, ok, "project_status payload is %T", s.Arg)
		out = append(out, st.Stage)
	}
	return out
}

// requireOK checks that an Update was accepted and completed without error.
func requireOK(t *testing.T, o *outcome) {
	t.Helper()
	require.True(t, o.accepted, "%s not accepted (err %v)", o.name, o.err)
	require.True(t, o.completed, "%s not completed", o.name)
	require.NoError(t, o.err)
}

// requireRefused checks that an Update was refused (by its validator or its handler) with an
// HTTP status and one of the codes.
func requireRefused(t *testing.T, o *outcome, status domain.Kind, codes ...string) {
	t.Helper()
	require.True(t, o.rejected || o.completed, "%s got no answer", o.name)
	require.Error(t, o.err, "%s was not refused", o.name)
	r, ok := domain.AsRefusal(o.err)
	require.True(t, ok, "%s: not a refusal: %v", o.name, o.err)
	require.Equal(t, status, r.Kind, "%s: %v", o.name, o.err)
	require.Contains(t, codes, r.Code, "%s: %v", o.name, o.err)
}

// refusalMessage is the Chinese message of a refused outcome.
func refusalMessage(t *testing.T, o *outcome) string {
	t.Helper()
	r, ok := domain.AsRefusal(o.err)
	require.True(t, ok, "%s: not a refusal: %v", o.name, o.err)
	return r.Message
}

// requireRejectedByValidator is requireRefused for a refusal the validator gives, before
// anything is written to history.
func requireRejectedByValidator(t *testing.T, o *outcome, status domain.Kind, codes ...string) {
	t.Helper()
	require.True(t, o.rejected, "%s was not rejected by the validator (accepted %v, err %v)", o.name, o.accepted, o.err)
	require.False(t, o.accepted)
	requireRefused(t, o, status, codes...)
}

// applyToRows writes a plan transition's plan items and bundle into the harness's read model,
// as store.ApplyTransition does. Caller holds h.mu.
func (h *harness) applyToRows(tr domain.Transition) (members []string) {
	if h.rows == nil {
		return nil
	}
	for _, it := range tr.PlanItems {
		r, ok := h.rows[it.ProjectID]
		if !ok || (r.Planned && !it.Adjusted) { // ON CONFLICT DO NOTHING, an adjustment's DO UPDATE
			continue
		}
		r.Planned, r.PlanAmountFen, r.Supplementary, r.WrittenBy = true, it.ApprovedAmountFen, it.Supplementary, ""
		if !it.Supplementary {
			r.WrittenBy = tr.ID // plan_items.written_by (plan-lean-resume)
		}
	}
	if se := tr.Session; se != nil {
		h.sessions[se.ID] = se.ProjectIDs
		for i, id := range se.ProjectIDs { // the latest session of each (plan-lean-resume)
			if r, ok := h.rows[id]; ok {
				r.LatestSession, r.SessionVersion = se.ID, 0
				if i < len(se.ProjectVersions) {
					r.SessionVersion = se.ProjectVersions[i]
				}
			}
		}
	}
	for _, it := range tr.PlanItems {
		if _, ok := h.items[it.ProjectID]; !ok || it.Adjusted {
			h.items[it.ProjectID] = it
		}
	}
	b := tr.Bundle
	if b == nil {
		return nil
	}
	if b.Outcomes != nil || b.Outcome != "" {
		h.outcomes[b.ID] = b.Outcomes
	}
	if b.Outcome != "" { // bundle-by-reference: one outcome for all but those named
		out := map[string]string{}
		for _, id := range h.rowOrder {
			if h.rows[id].BundleID == b.ID {
				out[id] = cmp.Or(b.Outcomes[id], b.Outcome)
			}
		}
		h.outcomes[b.ID] = out
	}
	for _, id := range b.ProjectIDs {
		if r, ok := h.rows[id]; ok {
			r.BundleID = b.ID
		}
	}
	if sel := b.Select; sel != nil { // Apply's INSERT … SELECT (bundle-by-reference)
		for _, r := range h.bundleCandidates(b.PlanYear, b.ID, sel.SmallBelowFen, sel.DefaultRole, sel.DefaultOrg) {
			if !r.CryptoPlanMissing && r.BundleApproverRole == sel.ApproverRole && r.BundleApproverOrg == sel.ApproverOrg {
				h.rows[r.ProjectID].BundleID = b.ID
				members = append(members, r.ProjectID)
			}
		}
		return members
	}
	if b.MemberAudit != nil {
		return b.ProjectIDs
	}
	return nil
}

// bundleCandidates are the rows a bundle made by reference may take, in id order: of year,
// awaiting approval, below smallBelow, in no bundle but bundleID; with the bundle approver
// resolved (defRole at defOrg for a row that names none).
func (h *harness) bundleCandidates(year int, bundleID string, smallBelow int64, defRole, defOrg string) []domain.PlanProject {
	var out []domain.PlanProject
	for _, id := range slices.Sorted(maps.Keys(h.rows)) {
		r := *h.rows[id]
		if r.PlanYear != year || r.Stage != domain.StageAwaitingApproval || r.EstimatedFen >= smallBelow ||
			(r.BundleID != "" && r.BundleID != bundleID) {
			continue
		}
		if r.BundleApproverRole == "" {
			r.BundleApproverRole, r.BundleApproverOrg = defRole, defOrg
		}
		out = append(out, r)
	}
	return out
}
