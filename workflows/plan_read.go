package workflows

import (
	"slices"

	"go.temporal.io/sdk/workflow"

	"egovpm/activities/wire"
	"egovpm/internal/authz"
	"egovpm/internal/domain"
)

// load reads from the read model the projects a message names (or, for a bundle that names
// none, the year's candidates) and updates what the plan knows of them
// (plan-stages-from-read-model). The read is a local activity: its result is in history, so a
// replay validates against what the plan saw. A project of another year, or still a draft, is
// left unknown to the plan (project_not_in_plan_year).
func (p *plan) load(ctx workflow.Context, m *planMsg) error {
	in := wire.PlanProjectsInput{Year: p.in.Year}
	switch u := m.payload.(type) {
	case ConveneUpdate:
		in.IDs = u.ProjectIDs
	case CompileUpdate:
		in.IDs = u.ProjectIDs()
		if p.leanRead {
			return p.loadStages(ctx, in)
		}
	case BundleUpdate:
		in.IDs = u.ProjectIDs
		in.Bundleable = len(in.IDs) == 0
		if in.Bundleable && p.byRef {
			return p.summarize(ctx, m, u)
		}
	case AdjustUpdate:
		in.IDs = u.ProjectIDs()
	case DecideUpdate:
		if a := p.adjustmentByTask(u.TaskID); a != nil {
			return p.loadUnknown(ctx, a)
		}
		if b := p.bundleByTask(u.TaskID); b != nil && b.ByRef && len(u.ExcludedProjectIDs) > 0 {
			return p.loadMembers(ctx, m, b, u.ExcludedProjectIDs)
		}
		return nil
	default:
		return nil
	}
	// Retried as Apply is (localCtx): a read-model outage stalls the plan, the Update stays in
	// flight (the gateway answers 503 temporal_timeout; a resend with the same key waits for
	// the same Update), and the key is not spent on a refusal. Before, the read gave up after
	// 30 s and completed the Update with 503 read_model_unavailable, which answered every
	// later resend of that key too.
	var rows []domain.PlanProject
	if err := workflow.ExecuteLocalActivity(localCtx(ctx), wire.LoadPlanProjects, in).Get(ctx, &rows); err != nil {
		workflow.GetLogger(ctx).Error("plan could not read project stages", "error", err)
		return domain.Refuse(domain.StatusUnavailable, "read_model_unavailable", "项目库暂时无法读取，本次操作未执行，请稍后重试")
	}
	for _, r := range rows {
		if r.PlanYear != p.in.Year || r.Stage == domain.StageDraft {
			continue
		}
		pp, ok := p.idx[r.ProjectID]
		if !ok {
			pp = p.entry(r.ProjectID)
			p.recall(pp, wire.PlanStage{Version: r.Version, PlanAmountFen: r.PlanAmountFen, WrittenBy: r.WrittenBy,
				LatestSession: r.LatestSession, SessionVersion: r.SessionVersion})
		}
		pp.UnitID, pp.Name, pp.EstimatedFen, pp.Stage, pp.Version = r.UnitID, r.Name, r.EstimatedFen, r.Stage, r.Version
		// Only what the lifecycles write is read back: stages, panel tasks, and the plan
		// items of supplementary projects (R8). The plan's own decisions (compiled, bundled)
		// stay those of its state: a workflow task retried after a lost completion would
		// otherwise find the write of its own first attempt and refuse itself (found by the
		// fault test).
		if r.Supplementary {
			pp.Planned, pp.Supplementary, pp.PlanAmountFen = true, true, r.PlanAmountFen
		}
		// Paneled while its panel's tasks are open, or since this plan convened it and the
		// stage has not changed (the lifecycle may not have opened the tasks yet).
		pp.Paneled = r.ExpertTasksOpen || (pp.Paneled && pp.PaneledVersion != 0 && pp.PaneledVersion == r.Version)
		pp.CryptoPlanMissing = p.cryptoGate && r.CryptoPlanMissing
		if p.pinnedApprovers {
			pp.ApproverRole, pp.ApproverOrg = r.BundleApproverRole, r.BundleApproverOrg
		}
		if p.byRef && r.BundleID != "" && p.bundleByID(r.BundleID) != nil {
			pp.BundleID = r.BundleID // a member of one of its bundles made by reference
		}
		if in.Bundleable && p.in.Policy.Small(r.EstimatedFen) && pp.BundleID == "" {
			if pp.CryptoPlanMissing {
				m.waiting = append(m.waiting, r.ProjectID) // R17: not approvable until it is in
			} else {
				m.candidates = append(m.candidates, r.ProjectID)
			}
		}
	}
	return nil
}

// loadStages reads what a compile checks of the projects in.IDs names (plan-compile-lean-read)
// and updates what the plan knows of them as load does, keeping their names, units and
// approvers from its earlier reads: the read of the 1,000 projects a compile may name is
// ~85 KB in its marker, not the 264 KB of whole rows (over the 256 KB a payload may have).
func (p *plan) loadStages(ctx workflow.Context, in wire.PlanProjectsInput) error {
	var rows []wire.PlanStage
	if err := workflow.ExecuteLocalActivity(localCtx(ctx), wire.LoadPlanStages, in).Get(ctx, &rows); err != nil {
		workflow.GetLogger(ctx).Error("plan could not read project stages", "error", err)
		return domain.Refuse(domain.StatusUnavailable, "read_model_unavailable", "项目库暂时无法读取，本次操作未执行，请稍后重试")
	}
	for _, r := range rows { // of the plan's year and not drafts: the read leaves the others out
		pp, ok := p.idx[r.ProjectID]
		if !ok {
			pp = p.entry(r.ProjectID)
			p.recall(pp, r)
		}
		pp.EstimatedFen, pp.Stage, pp.Version = r.EstimatedFen, r.Stage, r.Version
		if r.Supplementary { // as load: only what the lifecycles write is read back
			pp.Planned, pp.Supplementary, pp.PlanAmountFen = true, true, r.PlanAmountFen
		}
		pp.Paneled = r.ExpertTasksOpen || (pp.Paneled && pp.PaneledVersion != 0 && pp.PaneledVersion == r.Version)
		pp.CryptoPlanMissing = p.cryptoGate && r.CryptoPlanMissing
		if p.byRef && r.BundleID != "" && p.bundleByID(r.BundleID) != nil {
			pp.BundleID = r.BundleID
		}
	}
	return nil
}

// entry is what the plan knows of project id, a new entry when it knows nothing yet.
func (p *plan) entry(id string) *PlanProject {
	if pp, ok := p.idx[id]; ok {
		return pp
	}
	pp := &PlanProject{ProjectID: id}
	p.idx[id] = pp
	p.st.Projects = append(p.st.Projects, pp)
	return pp
}

// recall fills pp, a project the run did not know, with what the plan's earlier runs decided of
// it, as the read model holds it in r (plan-lean-resume: the run continued as new without its
// projects). It takes a fact back only when it can tell that a run of this plan wrote it: a
// plan item (Planned, its amount) when the transition that wrote it is among the compiles and
// approved adjustments the run carries, a panel when the project's latest session is among its
// sessions and convened it at the project's current version (the stage has not changed
// since). A write by an id the run does not carry — a lost attempt's, whose Update may come
// again — is ignored, as the run before ignored its own (TestPlanIgnoresItsOwnLostWrites).
// Bundles are taken by reference among the run's bundles, as for every project (load).
func (p *plan) recall(pp *PlanProject, r wire.PlanStage) {
	if !p.leanResume {
		return
	}
	if r.WrittenBy != "" && slices.Contains(p.st.Compiles, r.WrittenBy) {
		pp.Planned, pp.PlanAmountFen = true, r.PlanAmountFen
	}
	if r.LatestSession != "" && r.SessionVersion != 0 && r.SessionVersion == r.Version && slices.Contains(p.st.Sessions, r.LatestSession) {
		pp.Paneled, pp.PaneledVersion = true, r.SessionVersion
	}
}

// carried are the projects a run continued as new carries (plan-lean-resume): of the legacy
// ones (carried by a run before the change) those the plan decided on; the read model holds
// the rest (recall).
func (p *plan) carried() []*PlanProject {
	var out []*PlanProject
	for _, pp := range p.st.Projects {
		if p.legacy[pp.ProjectID] && ((pp.Planned && !pp.Supplementary) || pp.Paneled) {
			out = append(out, pp)
		}
	}
	return out
}

// loadUnknown reads the projects of pending adjustment a that the run does not know
// (plan-lean-resume: proposed by the run before), for its decision to update them.
func (p *plan) loadUnknown(ctx workflow.Context, a *PlanAdjustment) error {
	if !p.leanResume || a.Status != "pending" {
		return nil
	}
	var ids []string
	for _, c := range a.Changes {
		if _, ok := p.idx[c.ProjectID]; !ok {
			ids = append(ids, c.ProjectID)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	return p.loadStages(ctx, wire.PlanProjectsInput{Year: p.in.Year, IDs: ids})
}

// summarize reads, for bundle u that names no projects (bundle-by-reference), how many
// candidates the read model holds for it and of which approvers, not the candidates
// themselves: Apply writes them into the bundle (domain.BundleSelect).
func (p *plan) summarize(ctx workflow.Context, m *planMsg, u BundleUpdate) error {
	pol := p.in.Policy
	in := wire.BundleSummaryInput{Year: p.in.Year, BundleID: u.BundleID, SmallBelowFen: pol.SmallThresholdFen,
		DefaultRole: pol.BundleApproverRole, DefaultOrg: pol.BundleApproverOrg}
	var sum domain.BundleSummary
	if err := workflow.ExecuteLocalActivity(localCtx(ctx), wire.SummarizeBundle, in).Get(ctx, &sum); err != nil {
		workflow.GetLogger(ctx).Error("plan could not read bundle candidates", "error", err)
		return domain.Refuse(domain.StatusUnavailable, "read_model_unavailable", "项目库暂时无法读取，本次操作未执行，请稍后重试")
	}
	m.summary = &sum
	return nil
}

// loadMembers reads which of the projects ids (a decision's exclusions) are members of bundle
// b, made by reference, into m.members.
func (p *plan) loadMembers(ctx workflow.Context, m *planMsg, b *PlanBundle, ids []string) error {
	var rows []domain.PlanProject
	in := wire.PlanProjectsInput{Year: p.in.Year, IDs: ids}
	if err := workflow.ExecuteLocalActivity(localCtx(ctx), wire.LoadPlanProjects, in).Get(ctx, &rows); err != nil {
		workflow.GetLogger(ctx).Error("plan could not read bundle members", "error", err)
		return domain.Refuse(domain.StatusUnavailable, "read_model_unavailable", "项目库暂时无法读取，本次操作未执行，请稍后重试")
	}
	for _, r := range rows {
		if r.BundleID == b.ID {
			m.members = append(m.members, r.ProjectID)
		}
	}
	return nil
}

// bundleable lists the included small projects awaiting approval and not yet bundled: read
// for m from the read model (plan-stages-from-read-model), else those the plan has heard of,
// in arrival order.
func (p *plan) bundleable(m *planMsg) []string {
	if p.fromReadModel {
		return m.candidates
	}
	var ids []string
	for _, pp := range p.st.Projects {
		if pp.Stage == domain.StageAwaitingApproval && pp.BundleID == "" && p.in.Policy.Small(pp.EstimatedFen) {
			ids = append(ids, pp.ProjectID)
		}
	}
	return ids
}

// bundleFacts is the approval task of pending bundle b as authz.ActOnTask takes it; with sod,
// the bundle's creator submitted what it decides on.
func (p *plan) bundleFacts(b *PlanBundle, sod bool) authz.TaskFacts {
	role, org := p.bundleApprover(b)
	f := authz.TaskFacts{Kind: domain.TaskBundleApproval, CandidateRole: role, CandidateOrgID: org,
		AssigneeID: b.AssigneeID, Open: true}
	if sod && b.CreatedBy != "" {
		f.SubmittedBy = []string{b.CreatedBy}
	}
	return f
}

// approverOf is who decides a bundle of pp: its pinned policy's bundle approver, or the plan's
// policy's when the plan does not know it (runs before bundle-by-pinned-approver).
func (p *plan) approverOf(pp *PlanProject) (role, org string) {
	if pp != nil && pp.ApproverRole != "" {
		return pp.ApproverRole, pp.ApproverOrg
	}
	return p.in.Policy.BundleApproverRole, p.in.Policy.BundleApproverOrg
}

// bundleApprover is who decides bundle b: its projects' approver, or the plan's policy's for a
// bundle made before bundle-by-pinned-approver.
func (p *plan) bundleApprover(b *PlanBundle) (role, org string) {
	if b.ApproverRole != "" {
		return b.ApproverRole, b.ApproverOrg
	}
	return p.in.Policy.BundleApproverRole, p.in.Policy.BundleApproverOrg
}

func (p *plan) bundleByTask(taskID string) *PlanBundle {
	for _, b := range p.st.Bundles {
		if b.TaskID == taskID {
			return b
		}
	}
	return nil
}
