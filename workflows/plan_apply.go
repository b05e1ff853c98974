package workflows

import (
	"fmt"
	"sort"

	"go.temporal.io/sdk/workflow"

	"egovpm/activities/wire"
	"egovpm/internal/domain"
)

func (p *plan) handle(ctx workflow.Context, m *planMsg) (any, error) {
	switch u := m.payload.(type) {
	case ProjectStatusSignal:
		p.onStatus(u)
		return nil, nil
	case ConveneUpdate:
		return p.convene(ctx, u)
	case CompileUpdate:
		return p.compile(ctx, u)
	case BundleUpdate:
		return p.createBundle(ctx, m, u)
	case DecideUpdate:
		if a := p.adjustmentByTask(u.TaskID); a != nil {
			return p.decideAdjustment(ctx, a, u)
		}
		return p.decideBundle(ctx, u)
	case AdjustUpdate:
		return p.proposeAdjustment(ctx, u)
	case ReassignUpdate:
		return p.reassignBundle(ctx, u)
	case bundleTimer:
		return nil, p.onBundleTimer(ctx, u)
	case yearEndClose:
		return nil, p.closeYear(ctx)
	}
	return nil, nil
}

// onStatus records a project's stage report (runs started before plan-stages-from-read-model).
func (p *plan) onStatus(s ProjectStatusSignal) {
	pp, ok := p.idx[s.ProjectID]
	if !ok {
		pp = &PlanProject{ProjectID: s.ProjectID}
		p.idx[s.ProjectID] = pp
		p.st.Projects = append(p.st.Projects, pp)
	}
	pp.UnitID, pp.EstimatedFen, pp.Stage = s.UnitID, s.EstimatedFen, s.Stage
	if s.Name != "" {
		pp.Name = s.Name
	}
	if s.Supplementary {
		pp.Planned, pp.Supplementary, pp.PlanAmountFen = true, true, s.PlanAmountFen
	}
	if s.Stage == domain.StageRevision || s.Stage == domain.StagePrelimReview {
		pp.Paneled = false
	}
}

func (p *plan) apply(ctx workflow.Context, t domain.Transition) error {
	_, _, err := p.applyT(ctx, t)
	return err
}

// applyID is apply returning the transition's id.
func (p *plan) applyID(ctx workflow.Context, t domain.Transition) (string, error) {
	id, _, err := p.applyT(ctx, t)
	return id, err
}

// applyResult is apply returning what the transition wrote (the due instants of the tasks it
// opened).
func (p *plan) applyResult(ctx workflow.Context, t domain.Transition) (domain.TransitionResult, error) {
	_, res, err := p.applyT(ctx, t)
	return res, err
}

// applyT names t, writes it (Apply) and sends its notifications; it returns t's id and what
// it wrote.
func (p *plan) applyT(ctx workflow.Context, t domain.Transition) (string, domain.TransitionResult, error) {
	p.st.Seq++
	t.ID = fmt.Sprintf("%s/%s/%d", p.id, p.runID, p.st.Seq)
	if p.cause != "" && version(ctx, "plan-transition-id-by-update", 1) == 1 {
		// The transition's id keys its audit rows and notifications (written once per id), so
		// it must name the same change in every attempt of a workflow task. A counter does not:
		// when a task's completion is lost (worker or server killed after Apply ran), the next
		// attempt may handle other Updates first, and a counter value already written would
		// silently drop a different change's audit row and write this one's twice (found by
		// the fault test, issue 7). The Update's id names it in every attempt and every run.
		t.ID = p.id + "/u/" + p.cause + "/1"
	}
	t.WorkflowID = p.id
	var res domain.TransitionResult
	if err := workflow.ExecuteLocalActivity(localCtx(ctx), wire.Apply, t).Get(ctx, &res); err != nil {
		return t.ID, res, err
	}
	if len(t.Notify) > 0 && version(ctx, "send-notifications", 1) == 1 {
		sendNotifications(ctx, t.ID, &p.sending)
	}
	return t.ID, res, nil
}

// projectSignal is one signal the plan sends a project's lifecycle.
type projectSignal struct {
	projectID, name string
	payload         any
}

// signalAll delivers sigs to their projects and waits until all are delivered. From version
// plan-signals-parallel every SignalExternalWorkflow command goes out in one workflow task and
// the deliveries overlap: a decision on a plan of N projects waits about one delivery
// (~100 ms on the devserver), not N of them, which made compiling a 300-project plan outlast
// the gateway's 30 s reply. Before it, each signal was sent and awaited in turn.
func (p *plan) signalAll(ctx workflow.Context, sigs []projectSignal) {
	logErr := func(s projectSignal, err error) {
		workflow.GetLogger(ctx).Error("project not signalled", "project_id", s.projectID, "signal", s.name, "error", err)
	}
	if version(ctx, "plan-signals-parallel", 1) == workflow.DefaultVersion {
		for _, s := range sigs {
			if err := workflow.SignalExternalWorkflow(ctx, ProjectWorkflowID(s.projectID), "", s.name, s.payload).Get(ctx, nil); err != nil {
				logErr(s, err)
			}
		}
		return
	}
	fs := make([]workflow.Future, len(sigs))
	for i, s := range sigs {
		fs[i] = workflow.SignalExternalWorkflow(ctx, ProjectWorkflowID(s.projectID), "", s.name, s.payload)
	}
	for i, f := range fs {
		if err := f.Get(ctx, nil); err != nil {
			logErr(sigs[i], err)
		}
	}
}

func (p *plan) convene(ctx workflow.Context, u ConveneUpdate) (ConveneResult, error) {
	res := ConveneResult{SessionID: u.SessionID}
	ids := make([]string, 0, len(u.Experts))
	for _, e := range u.Experts {
		ids = append(ids, e.ID)
	}
	var audits []domain.AuditItem
	for _, pid := range u.ProjectIDs {
		pp := p.idx[pid]
		panel := effectivePanel(u.Experts, pp.UnitID)
		one := PanelOfOne{ProjectID: pid}
		for _, e := range panel {
			one.ExpertIDs = append(one.ExpertIDs, e.ID)
		}
		for _, e := range u.Experts {
			if e.OrgID == pp.UnitID {
				one.Recused = append(one.Recused, e.ID)
			}
		}
		res.Panels = append(res.Panels, one)
		audits = append(audits, domain.AuditItem{ActorID: u.Actor.ID, OrgID: u.Actor.OrgID, Action: "expert_review.convene",
			ObjectType: "project", ObjectID: pid, Outcome: "ok", RequestID: u.RequestID,
			Detail: map[string]any{"session_id": u.SessionID, "experts": one.ExpertIDs, "recused": one.Recused}})
	}
	se := &domain.Session{ID: u.SessionID, PlanYear: p.in.Year, ExpertIDs: ids, CreatedBy: u.Actor.ID,
		ProjectIDs: u.ProjectIDs, CoOrgIDs: u.CoOrgIDs}
	if p.leanResume { // the versions a run continued as new tells a current panel by (recall)
		for _, pid := range u.ProjectIDs {
			se.ProjectVersions = append(se.ProjectVersions, p.idx[pid].Version)
		}
	}
	tid, err := p.applyID(ctx, domain.Transition{Audit: audits, Session: se})
	if err != nil {
		return res, err
	}
	p.st.Sessions = append(p.st.Sessions, u.SessionID)
	byActivity := p.fanOutByActivity(ctx)
	sigs := make([]projectSignal, 0, len(u.ProjectIDs))
	for _, pid := range u.ProjectIDs {
		pp := p.idx[pid]
		pp.Paneled, pp.PaneledVersion = true, pp.Version
		if !byActivity {
			sigs = append(sigs, projectSignal{pid, SignalPanel, PanelSignal{SessionID: u.SessionID, Experts: effectivePanel(u.Experts, pp.UnitID)}})
		}
	}
	if byActivity {
		p.fanOut(ctx, wire.FanOut{ID: tid, Signal: SignalPanel, Session: &PanelSignal{SessionID: u.SessionID, Experts: u.Experts}})
		return res, nil
	}
	p.signalAll(ctx, sigs)
	return res, nil
}

func (p *plan) compile(ctx workflow.Context, u CompileUpdate) (CompileResult, error) {
	var items []domain.PlanItem
	var audits []domain.AuditItem
	for _, in := range u.Included {
		items = append(items, domain.PlanItem{PlanYear: p.in.Year, ProjectID: in.ProjectID, Included: true,
			ApprovedAmountFen: in.ApprovedAmountFen, DecidedBy: u.Actor.ID})
		audits = append(audits, domain.AuditItem{ActorID: u.Actor.ID, OrgID: u.Actor.OrgID, Action: "plan.compile",
			ObjectType: "project", ObjectID: in.ProjectID, Outcome: "included", RequestID: u.RequestID,
			Detail: map[string]any{"plan_amount_fen": in.ApprovedAmountFen, "plan_year": p.in.Year}})
	}
	for _, ex := range u.Excluded {
		items = append(items, domain.PlanItem{PlanYear: p.in.Year, ProjectID: ex.ProjectID, Reason: ex.Reason, DecidedBy: u.Actor.ID})
		audits = append(audits, domain.AuditItem{ActorID: u.Actor.ID, OrgID: u.Actor.OrgID, Action: "plan.compile",
			ObjectType: "project", ObjectID: ex.ProjectID, Outcome: "excluded", RequestID: u.RequestID,
			Detail: map[string]any{"reason": ex.Reason, "plan_year": p.in.Year}})
	}
	tid, err := p.applyID(ctx, domain.Transition{PlanItems: items, Audit: audits})
	if err != nil {
		return CompileResult{}, err
	}
	res := CompileResult{Included: len(u.Included), Excluded: len(u.Excluded)}
	if p.leanResume {
		p.st.Compiles = append(p.st.Compiles, tid)
	}
	if p.fanOutByActivity(ctx) {
		for _, in := range u.Included {
			pp := p.idx[in.ProjectID]
			pp.Planned, pp.PlanAmountFen = true, in.ApprovedAmountFen
		}
		for _, ex := range u.Excluded {
			p.idx[ex.ProjectID].Planned = true
		}
		p.fanOut(ctx, wire.FanOut{ID: tid, Signal: SignalPlanResult, Plan: &wire.PlanFanOut{ProjectIDs: u.ProjectIDs(), Actor: u.Actor}})
		return res, nil
	}
	sigs := make([]projectSignal, 0, len(u.Included)+len(u.Excluded))
	for _, in := range u.Included {
		pp := p.idx[in.ProjectID]
		pp.Planned, pp.PlanAmountFen = true, in.ApprovedAmountFen
		sigs = append(sigs, projectSignal{in.ProjectID, SignalPlanResult, PlanResultSignal{Included: true, ApprovedAmountFen: in.ApprovedAmountFen, Actor: u.Actor}})
	}
	for _, ex := range u.Excluded {
		p.idx[ex.ProjectID].Planned = true
		sigs = append(sigs, projectSignal{ex.ProjectID, SignalPlanResult, PlanResultSignal{Reason: ex.Reason, Actor: u.Actor}})
	}
	p.signalAll(ctx, sigs)
	return res, nil
}

func (p *plan) createBundle(ctx workflow.Context, m *planMsg, u BundleUpdate) (BundleResult, error) {
	if p.byRef {
		return p.createBundleByRef(ctx, m, u)
	}
	ids := u.ProjectIDs
	if len(ids) == 0 {
		ids = p.bundleable(m)
	}
	ids = append([]string(nil), ids...)
	sort.Strings(ids)
	taskID := fmt.Sprintf("%s:%s:%s", p.id, domain.TaskBundleApproval, u.BundleID)
	pol := p.in.Policy
	b := &PlanBundle{ID: u.BundleID, TaskID: taskID, ProjectIDs: ids, Status: "pending", CreatedBy: u.Actor.ID}
	if p.pinnedApprovers && len(ids) > 0 {
		// R6, R19: the bundle approver of its projects' pinned policy (one for them all: validate).
		b.ApproverRole, b.ApproverOrg = p.approverOf(p.idx[ids[0]])
	}
	role, org := p.bundleApprover(b)
	t := domain.Transition{
		Open: []domain.NewTask{{ID: taskID, Kind: domain.TaskBundleApproval, BundleID: u.BundleID,
			CandidateRole: role, CandidateOrgID: org, DueWorkdays: pol.ReviewDueWorkdays,
			Details: map[string]any{"project_ids": ids, "plan_year": p.in.Year}}},
		Bundle: &domain.Bundle{ID: u.BundleID, PlanYear: p.in.Year, TaskID: taskID, Status: "pending", CreatedBy: u.Actor.ID, ProjectIDs: ids},
		Notify: []domain.Notice{{Kind: "task", Title: fmt.Sprintf("%d 年度打捆项目建议书待审批", p.in.Year), Role: role,
			OrgID: org, TaskID: taskID}},
	}
	for _, id := range ids {
		t.Audit = append(t.Audit, domain.AuditItem{ActorID: u.Actor.ID, OrgID: u.Actor.OrgID, Action: "bundle.create",
			ObjectType: "project", ObjectID: id, Outcome: "ok", RequestID: u.RequestID,
			Detail: map[string]any{"bundle_id": u.BundleID, "task_id": taskID}})
	}
	res, err := p.applyResult(ctx, t)
	if err != nil {
		return BundleResult{}, err
	}
	for _, id := range ids {
		p.idx[id].BundleID = u.BundleID
	}
	p.st.Bundles = append(p.st.Bundles, b)
	if p.bundleTimers {
		b.DueAt, b.RemindAt = res.Due[taskID], res.Remind[taskID]
		p.armBundleTimers(ctx, b)
	}
	return BundleResult{ID: u.BundleID, ProjectIDs: ids, TaskID: taskID}, nil
}

// decideBundle applies the one decision on a bundle to every project in it (R6).
func (p *plan) decideBundle(ctx workflow.Context, u DecideUpdate) (DecideResult, error) {
	b := p.bundleByTask(u.TaskID)
	if b.ByRef {
		return p.decideBundleByRef(ctx, b, u)
	}
	status := "approved"
	outcomes := map[string]string{}
	for _, id := range b.ProjectIDs {
		switch {
		case u.Decision == domain.DecisionReject:
			outcomes[id], status = "rejected", "rejected"
		case domain.Contains(u.ExcludedProjectIDs, id):
			outcomes[id], status = "excluded", "partially_approved"
		default:
			outcomes[id] = "approved"
		}
	}
	tid, err := p.applyBundleDecision(ctx, b, u, &domain.Bundle{ID: b.ID, PlanYear: p.in.Year, TaskID: b.TaskID, Status: status,
		CreatedBy: u.Actor.ID, ProjectIDs: b.ProjectIDs, Outcomes: outcomes})
	if err != nil {
		return DecideResult{}, err
	}
	if p.fanOutByActivity(ctx) {
		p.fanOut(ctx, wire.FanOut{ID: tid, Signal: SignalBundleResult,
			Bundle: &BundleResultSignal{BundleID: b.ID, TaskID: b.TaskID, Comment: u.Comment, Actor: u.Actor}})
		return DecideResult{TaskID: b.TaskID, Decision: u.Decision}, nil
	}
	sigs := make([]projectSignal, 0, len(b.ProjectIDs))
	for _, id := range b.ProjectIDs {
		sigs = append(sigs, projectSignal{id, SignalBundleResult, BundleResultSignal{BundleID: b.ID, TaskID: b.TaskID,
			Approved: outcomes[id] == "approved", Excluded: outcomes[id] == "excluded", Comment: u.Comment, Actor: u.Actor}})
	}
	p.signalAll(ctx, sigs)
	return DecideResult{TaskID: b.TaskID, Decision: u.Decision}, nil
}

// applyBundleDecision writes the decision u on bundle b (its task closed, bundle's new
// status and outcomes, the audit row), then stops b's reminder timers: both ways of holding
// members (bundle-by-reference or not) decide through it.
func (p *plan) applyBundleDecision(ctx workflow.Context, b *PlanBundle, u DecideUpdate, bundle *domain.Bundle) (string, error) {
	t := domain.Transition{
		Close: []domain.TaskClose{{TaskID: b.TaskID, Decision: u.Decision, ActorID: u.Actor.ID, Comment: u.Comment,
			Details: map[string]any{"excluded_project_ids": u.ExcludedProjectIDs}}},
		Bundle: bundle,
		Audit: []domain.AuditItem{{ActorID: u.Actor.ID, OrgID: u.Actor.OrgID, Action: "task.decide", ObjectType: "bundle",
			ObjectID: b.ID, Outcome: u.Decision, RequestID: u.RequestID,
			Detail: map[string]any{"task_id": b.TaskID, "excluded_project_ids": u.ExcludedProjectIDs, "comment": u.Comment}}},
	}
	tid, err := p.applyID(ctx, t)
	if err != nil {
		return "", err
	}
	b.Status = bundle.Status
	if cancel, ok := p.cancelBundle[b.TaskID]; ok {
		cancel()
		delete(p.cancelBundle, b.TaskID)
	}
	return tid, nil
}

// reassignBundle moves the approval task of a pending bundle to the new assignee
// (plan-task-reassign): the plan holds the assignee, so from now on only they decide the
// bundle; one transition writes the task's assignee, the audit row and the notifications.
func (p *plan) reassignBundle(ctx workflow.Context, u ReassignUpdate) (DecideResult, error) {
	if version(ctx, "plan-task-reassign", 1) == workflow.DefaultVersion {
		return DecideResult{}, domain.Refuse(domain.StatusConflict, "reassign_unsupported", "该流程版本不支持转办")
	}
	b := p.bundleByTask(u.TaskID)
	from := b.AssigneeID
	if from == "" {
		from = u.From
	}
	t := domain.Transition{
		Assign: []domain.TaskAssign{{TaskID: b.TaskID, AssigneeID: u.Assignee.ID}},
		Notify: reassignNotices(u, b.TaskID, from, fmt.Sprintf("%d 年度打捆项目建议书审批", p.in.Year)),
		Audit: []domain.AuditItem{{ActorID: u.Actor.ID, OrgID: u.Actor.OrgID, Action: "task.reassign", ObjectType: "bundle",
			ObjectID: b.ID, Outcome: "ok", RequestID: u.RequestID, Detail: map[string]any{"task_id": b.TaskID,
				"kind": string(domain.TaskBundleApproval), "from": from, "to": u.Assignee.ID, "reason": u.Reason}}},
	}
	if err := p.apply(ctx, t); err != nil {
		return DecideResult{}, err
	}
	b.AssigneeID = u.Assignee.ID
	return DecideResult{TaskID: b.TaskID, Decision: "reassign"}, nil
}
