package workflows

import (
	"fmt"
	"slices"

	"go.temporal.io/sdk/workflow"

	"egovpm/internal/domain"
)

// beforeApproval orders the stages a project passes through up to its approval (R3–R6).
var beforeApproval = []domain.Stage{domain.StageSpecialRequest, domain.StageRevision, domain.StagePrelimReview,
	domain.StageExpertReview, domain.StageAwaitingPlan, domain.StageAwaitingApproval}

// before reports whether a project in stage s has yet to reach stage want on its way to approval.
func before(s, want domain.Stage) bool {
	i, j := slices.Index(beforeApproval, s), slices.Index(beforeApproval, want)
	return i >= 0 && i < j
}

// hold keeps a plan signal that arrived in a stage before the one it was sent for until
// the stage next changes (hold-early-plan-signals). The lifecycle writes its stage to the read
// model in a local activity, before its workflow task completes; when that completion is lost
// (worker killed), the read model is ahead of the history until the retried task lands, and a
// signal the plan sends meanwhile arrives in the stage before. Ignored, it would be lost: the
// plan has answered 2xx and counted the project compiled, and the project would stay in
// awaiting_plan for ever. Held, it is handled at the next stage change if that is the stage it
// was sent for, and dropped (logged) otherwise.
func (l *lifecycle) hold(ctx workflow.Context, m *message) bool {
	want := sentFor(m)
	if want == "" || !before(l.st.Stage, want) {
		return false // not a plan signal, or sent for this stage, or stale (handled and refused)
	}
	if version(ctx, "hold-early-plan-signals", 1) == workflow.DefaultVersion {
		return false
	}
	l.st.Held = append(l.st.Held, heldSignal(m, l.st.Stage))
	workflow.GetLogger(ctx).Info("plan signal held until the stage changes", "signal", m.kind.String(), "stage", l.st.Stage, "sent_for", want)
	return true
}

// release hands the held signals back to the main loop, first in line and in arrival order,
// once the stage has changed since they arrived; a signal not sent for the new stage is stale.
func (l *lifecycle) release(ctx workflow.Context) {
	if len(l.st.Held) == 0 {
		return
	}
	var keep []HeldSignal
	var back []*message
	for _, h := range l.st.Held {
		if h.ArrivedIn == l.st.Stage && !l.st.Stage.Terminal() {
			keep = append(keep, h)
			continue
		}
		m := h.message()
		if want := sentFor(m); want != l.st.Stage {
			workflow.GetLogger(ctx).Warn("held plan signal dropped: the stage moved elsewhere", "signal", m.kind.String(),
				"arrived_in", h.ArrivedIn, "stage", l.st.Stage, "sent_for", want)
			continue
		}
		back = append(back, m)
	}
	l.st.Held = keep
	l.inbox = append(back, l.inbox...)
}

// onPanel opens one review task per expert of the effective panel (R4). A panel the fan-out
// found stale (the project's stage changed since its session convened it: a prelim approval
// withdrawn and given again while the fan-out waited or retried) is dropped instead
// (panel-stale-dropped): the project, back in expert review, waits for a panel of its own.
func (l *lifecycle) onPanel(ctx workflow.Context, s PanelSignal) error {
	if l.st.Stage != domain.StageExpertReview || len(l.st.Panel) > 0 {
		return fmt.Errorf("panel %s ignored in stage %s", s.SessionID, l.st.Stage)
	}
	if s.Stale && version(ctx, "panel-stale-dropped", 1) == 1 {
		return l.dropPanel(ctx, s, "项目自该专家评审会召集后已重新进入专家评审，不参加该评审会")
	}
	var open []OpenTask
	var panel []ExpertRef
	for _, e := range s.Experts {
		if e.OrgID == l.in.UnitID {
			continue // R4 recusal, also enforced by AnnualPlan
		}
		panel = append(panel, e)
		open = append(open, OpenTask{ID: l.taskID(domain.TaskExpertReview, e.ID), Kind: domain.TaskExpertReview,
			CandidateRole: domain.RoleExpert, AssigneeID: e.ID})
	}
	l.st.Panel = panel
	l.st.Reviews = nil
	return l.apply(ctx, transition{open: open,
		audit: l.auditBy(domain.Actor{ID: "system"}, "expert_review.panel", map[string]any{"session_id": s.SessionID, "experts": len(panel)})})
}

// onPlanResult applies R5: included projects await approval (R6), the others close.
func (l *lifecycle) onPlanResult(ctx workflow.Context, s PlanResultSignal) error {
	if l.st.Stage != domain.StageAwaitingPlan {
		return fmt.Errorf("plan result ignored in stage %s", l.st.Stage)
	}
	if !s.Included {
		return l.apply(ctx, transition{stage: domain.StageNotIncluded,
			audit: l.auditBy(s.Actor, "plan.exclude", map[string]any{"reason": s.Reason})})
	}
	l.st.PlanAmountFen = s.ApprovedAmountFen
	if err := l.apply(ctx, transition{stage: domain.StageAwaitingApproval, amount: s.ApprovedAmountFen,
		audit: l.auditBy(s.Actor, "plan.include", map[string]any{"plan_amount_fen": s.ApprovedAmountFen})}); err != nil {
		return err
	}
	return l.advance(ctx)
}

// onYearEndClose applies the plan's year-end close (R5, year-end-close) to a project still
// before the plan's decision: its open tasks are cancelled (their timers end), it is not
// included (its unit told, the not_included notice), audited by system. In another stage (the plan's decision came
// first) it is ignored; a run started before year-end-close ignores it.
func (l *lifecycle) onYearEndClose(ctx workflow.Context, s YearEndCloseSignal) error {
	if version(ctx, "year-end-close", 1) == workflow.DefaultVersion {
		return fmt.Errorf("year-end close of %d ignored: the run started before year-end-close", s.PlanYear)
	}
	if s.PlanYear != l.in.PlanYear || !l.st.Stage.PrePlan() {
		return fmt.Errorf("year-end close of %d ignored in stage %s", s.PlanYear, l.st.Stage)
	}
	var closes []domain.TaskClose
	for _, t := range l.st.OpenTasks {
		closes = append(closes, domain.TaskClose{TaskID: t.ID, Cancelled: true, Comment: s.Reason})
	}
	// The unit is told by the not_included notice the stage derives (store.NoticeRules),
	// with the reason the audit row records.
	return l.apply(ctx, transition{stage: domain.StageNotIncluded, close: closes,
		audit: l.auditBy(domain.Actor{ID: "system"}, "plan.year_end_close",
			map[string]any{"plan_year": s.PlanYear, "stage": l.st.Stage, "reason": s.Reason, "cancelled_tasks": len(closes)})})
}

// onPlanAdjusted applies an approved mid-year adjustment of the plan (R5, plan-adjust) to a
// planned project before its contract: a new amount becomes its plan amount, and once
// approved its approved amount (R7: it caps the contract and payments); a removal cancels its
// open tasks and leaves it not included (its unit told, the not_included notice). A run
// started before plan-adjust ignores it. From plan-adjust-once an adjustment delivered again
// (SignalMembers retried in its page, plan-adjust-fanout) is ignored, even after a later one
// (a retry that outlived the next adjustment would otherwise bring its amount back).
func (l *lifecycle) onPlanAdjusted(ctx workflow.Context, s PlanAdjustedSignal) error {
	if version(ctx, "plan-adjust", 1) == workflow.DefaultVersion {
		return fmt.Errorf("plan adjustment %s ignored: the run started before plan-adjust", s.AdjustmentID)
	}
	st := l.st.Stage
	if st != domain.StageAwaitingApproval && st != domain.StageApproved && st != domain.StageProcurement {
		return fmt.Errorf("plan adjustment %s ignored in stage %s", s.AdjustmentID, st)
	}
	if version(ctx, "plan-adjust-once", 1) == 1 {
		if slices.Contains(l.st.Adjustments, s.AdjustmentID) {
			return fmt.Errorf("plan adjustment %s ignored: applied already", s.AdjustmentID)
		}
		l.st.Adjustments = append(l.st.Adjustments, s.AdjustmentID)
	}
	d := map[string]any{"adjustment_id": s.AdjustmentID, "action": s.Action, "reason": s.Reason}
	if s.Action == AdjustRemove {
		var closes []domain.TaskClose
		for _, t := range l.st.OpenTasks {
			closes = append(closes, domain.TaskClose{TaskID: t.ID, Cancelled: true, Comment: s.Reason})
		}
		return l.apply(ctx, transition{stage: domain.StageNotIncluded, close: closes, audit: l.auditBy(s.Actor, "plan.adjust_remove", d)})
	}
	l.st.PlanAmountFen = s.AmountFen
	if st != domain.StageAwaitingApproval {
		l.st.ApprovedFen = s.AmountFen
	}
	d["amount_fen"] = s.AmountFen
	return l.apply(ctx, transition{stage: st, amount: s.AmountFen, audit: l.auditBy(s.Actor, "plan.adjust_amount", d)})
}

// onBundleResult applies the bundle decision to this project (R6).
func (l *lifecycle) onBundleResult(ctx workflow.Context, s BundleResultSignal) error {
	if l.st.Stage != domain.StageAwaitingApproval || !l.in.Policy.Small(l.in.EstimatedFen) {
		return fmt.Errorf("bundle result ignored in stage %s", l.st.Stage)
	}
	l.st.BundleID = s.BundleID
	d := map[string]any{"bundle_id": s.BundleID, "task_id": s.TaskID, "comment": s.Comment}
	if s.Approved {
		l.st.ApprovedFen = l.st.PlanAmountFen
		d["approved_amount_fen"] = l.st.ApprovedFen
		if version(ctx, "bundle-approve-once", 1) == 1 {
			// One write takes the member through approved to procurement (issue 20 item 1: a
			// bundle decision's fan-out is its members' writes; each is one transaction on the
			// audit chain's head, one local activity and one Stage upsert instead of two):
			// both audit rows, the unit's notice, and the notices derived for approved.
			tr := l.procurement()
			tr.through, tr.amount = domain.StageApproved, l.st.ApprovedFen
			tr.audit = append(l.auditBy(s.Actor, "bundle.approve", d), tr.audit...)
			return l.apply(ctx, tr)
		}
		if err := l.apply(ctx, transition{stage: domain.StageApproved, amount: l.st.ApprovedFen,
			audit: l.auditBy(s.Actor, "bundle.approve", d)}); err != nil {
			return err
		}
		return l.advance(ctx)
	}
	action := "bundle.reject"
	if s.Excluded {
		action = "bundle.exclude"
	}
	return l.apply(ctx, transition{stage: domain.StageRejected, audit: l.auditBy(s.Actor, action, d)})
}

// advance takes the steps that need no person: report to the plan, open the approval task of a
// large project once its documents are in (R6, R17), open the City Government's task of a
// special request waiting for its 密码应用方案 (R8, R17), move an approved project to
// procurement.
func (l *lifecycle) advance(ctx workflow.Context) error {
	switch l.st.Stage {
	case domain.StageSpecialRequest:
		// Only a special request opened without its task waits (crypto-plan-every-route); in
		// runs started before, the task is open from submission on.
		if l.hasOpen(domain.TaskSpecialRequestApproval) || !l.needsCryptoPlan() {
			return nil
		}
		missing, err := l.missingDocs(ctx, []string{"crypto_plan"})
		if err != nil || len(missing) > 0 {
			return err // SignalDocuments wakes us when the unit uploads it
		}
		return l.apply(ctx, transition{open: []OpenTask{l.specialTask()},
			audit: l.auditBy(domain.Actor{ID: "system"}, "approval.request", map[string]any{"documents": []string{"crypto_plan"}})})
	case domain.StageAwaitingApproval:
		// Routing (R6) follows the estimated total investment; a cut plan amount does not move a
		// project between routes.
		if l.in.Policy.Small(l.in.EstimatedFen) || l.hasOpen(domain.TaskProjectApproval) {
			return nil
		}
		kinds := l.in.Policy.ApprovalDocuments(domain.RouteProject, l.in.UsesCrypto) // R6, R17
		missing, err := l.missingDocs(ctx, kinds)
		if err != nil || len(missing) > 0 {
			return err // SignalDocuments wakes us when the unit uploads them
		}
		return l.apply(ctx, transition{open: []OpenTask{{ID: l.taskID(domain.TaskProjectApproval, ""),
			Kind: domain.TaskProjectApproval, CandidateRole: l.in.Policy.ProjectApproverRole, CandidateOrgID: l.in.Policy.ProjectApproverOrg}},
			audit: l.auditBy(domain.Actor{ID: "system"}, "approval.request", map[string]any{"documents": kinds})})
	case domain.StageApproved:
		return l.apply(ctx, l.procurement())
	}
	return nil
}

// procurement is an approved project's move to procurement, the unit told of the approval.
func (l *lifecycle) procurement() transition {
	return transition{stage: domain.StageProcurement,
		notify: []domain.Notice{{Kind: "approved", Title: "项目已批复：" + l.in.Name, Role: domain.RoleSubmitter, OrgID: l.in.UnitID}},
		audit:  l.auditBy(domain.Actor{ID: "system"}, "project.procurement", nil)}
}
