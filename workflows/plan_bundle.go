package workflows

import (
	"fmt"
	"sort"

	"go.temporal.io/sdk/workflow"

	"egovpm/activities/wire"
	"egovpm/internal/domain"
)

// createBundleByRef creates bundle u (bundle-by-reference, R6): naming no projects, Apply
// writes its members from the candidates the read model holds (domain.BundleSelect: those m's
// summary counted, of the one approver it found), so no member id enters the plan's history;
// naming some, Apply writes those. Either way the plan keeps the bundle's count and digest,
// not its members, and answers their count (the gateway lists them from the read model).
func (p *plan) createBundleByRef(ctx workflow.Context, m *planMsg, u BundleUpdate) (BundleResult, error) {
	ids := append([]string(nil), u.ProjectIDs...)
	sort.Strings(ids)
	pol := p.in.Policy
	taskID := fmt.Sprintf("%s:%s:%s", p.id, domain.TaskBundleApproval, u.BundleID)
	b := &PlanBundle{ID: u.BundleID, TaskID: taskID, Status: "pending", CreatedBy: u.Actor.ID, ByRef: true}
	bundle := &domain.Bundle{ID: u.BundleID, PlanYear: p.in.Year, TaskID: taskID, Status: "pending", CreatedBy: u.Actor.ID,
		ProjectIDs: ids, MemberAudit: &domain.AuditItem{ActorID: u.Actor.ID, OrgID: u.Actor.OrgID, Action: "bundle.create",
			ObjectType: "project", Outcome: "ok", RequestID: u.RequestID, Detail: map[string]any{"bundle_id": u.BundleID, "task_id": taskID}}}
	details := map[string]any{"plan_year": p.in.Year}
	if len(ids) > 0 {
		b.ApproverRole, b.ApproverOrg = p.approverOf(p.idx[ids[0]]) // one for them all: validated
		details["project_ids"] = ids
	} else {
		a := m.summary.Approvers[0] // one, with at least one candidate: validated
		b.ApproverRole, b.ApproverOrg = a.Role, a.Org
		bundle.Select = &domain.BundleSelect{SmallBelowFen: pol.SmallThresholdFen, ApproverRole: a.Role, ApproverOrg: a.Org,
			DefaultRole: pol.BundleApproverRole, DefaultOrg: pol.BundleApproverOrg}
	}
	role, org := p.bundleApprover(b)
	t := domain.Transition{
		Open: []domain.NewTask{{ID: taskID, Kind: domain.TaskBundleApproval, BundleID: u.BundleID,
			CandidateRole: role, CandidateOrgID: org, DueWorkdays: pol.ReviewDueWorkdays, Details: details}},
		Bundle: bundle,
		Notify: []domain.Notice{{Kind: "task", Title: fmt.Sprintf("%d 年度打捆项目建议书待审批", p.in.Year), Role: role,
			OrgID: org, TaskID: taskID}},
	}
	res, err := p.applyResult(ctx, t)
	if err != nil {
		return BundleResult{}, err
	}
	b.Count, b.Digest = res.Bundled, res.BundleDigest
	for _, id := range ids {
		p.idx[id].BundleID = u.BundleID
	}
	p.st.Bundles = append(p.st.Bundles, b)
	if p.bundleTimers {
		b.DueAt, b.RemindAt = res.Due[taskID], res.Remind[taskID]
		p.armBundleTimers(ctx, b)
	}
	return BundleResult{ID: u.BundleID, TaskID: taskID, Count: b.Count}, nil
}

// decideBundleByRef applies the one decision on bundle b, made by reference, to its members
// (R6): one outcome for all but the excluded (domain.Bundle.Outcome), written by Apply, and
// told to each member by SignalMembers, which reads them from the read model.
func (p *plan) decideBundleByRef(ctx workflow.Context, b *PlanBundle, u DecideUpdate) (DecideResult, error) {
	status, outcome := "approved", "approved"
	var outcomes map[string]string
	switch {
	case u.Decision == domain.DecisionReject:
		status, outcome = "rejected", "rejected"
	case len(u.ExcludedProjectIDs) > 0:
		status, outcomes = "partially_approved", map[string]string{}
		for _, id := range u.ExcludedProjectIDs {
			outcomes[id] = "excluded"
		}
	}
	tid, err := p.applyBundleDecision(ctx, b, u, &domain.Bundle{ID: b.ID, PlanYear: p.in.Year, TaskID: b.TaskID, Status: status,
		CreatedBy: u.Actor.ID, Outcomes: outcomes, Outcome: outcome})
	if err != nil {
		return DecideResult{}, err
	}
	p.fanOut(ctx, wire.FanOut{ID: tid, Signal: SignalBundleResult,
		Bundle: &BundleResultSignal{BundleID: b.ID, TaskID: b.TaskID, Comment: u.Comment, Actor: u.Actor}})
	return DecideResult{TaskID: b.TaskID, Decision: u.Decision}, nil
}
