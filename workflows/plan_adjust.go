package workflows

import (
	"fmt"

	"go.temporal.io/sdk/workflow"

	"egovpm/activities/wire"
	"egovpm/internal/authz"
	"egovpm/internal/domain"
)

// UpdateProposeAdjustment proposes a mid-year adjustment (调整) of the plan (AnnualPlan, R5).
const UpdateProposeAdjustment = "propose_adjustment"

// The changes an adjustment makes to the plan.
const (
	// AdjustAdd puts a project awaiting the plan in it at AmountFen.
	AdjustAdd = "add"
	// AdjustRemove takes a project out of the plan (not included).
	AdjustRemove = "remove"
	// AdjustAmount changes a planned project's plan (and approved) amount to AmountFen.
	AdjustAmount = "amount"
)

// Refusal codes of an adjustment.
const (
	CodeAdjustUnsupported     = "adjust_unsupported"
	CodeAdjustWrongStage      = "adjust_wrong_stage"
	CodeAdjustPending         = "adjust_pending"
	CodeAdjustApproversDiffer = "adjust_approvers_differ"
)

// AdjustChange is one change of an adjustment (defined in wire, so that the SignalMembers
// activity reads it, plan-adjust-fanout).
type AdjustChange = wire.AdjustChange

// AdjustUpdate is DRB's proposal of a mid-year adjustment of the plan (R5, 调整): decided by the
// approver of its projects under their pinned policy (R6, R19) on a plan_adjustment task.
type AdjustUpdate struct {
	AdjustmentID string         `json:"adjustment_id"`
	Actor        domain.Actor   `json:"actor"`
	Reason       string         `json:"reason"`
	Changes      []AdjustChange `json:"changes"`
	RequestID    string         `json:"request_id,omitempty"`
	// RequestHash: see DecideUpdate.RequestHash.
	RequestHash string `json:"request_hash,omitempty"`
}

// ProjectIDs lists the projects u changes.
func (u AdjustUpdate) ProjectIDs() []string {
	ids := make([]string, 0, len(u.Changes))
	for _, c := range u.Changes {
		ids = append(ids, c.ProjectID)
	}
	return ids
}

// AdjustResult names the proposed adjustment and its approval task.
type AdjustResult struct {
	ID     string `json:"id"`
	TaskID string `json:"task_id"`
	// RequestHash: see DecideResult.RequestHash.
	RequestHash string `json:"request_hash,omitempty"`
}

// AnsweredHash is the hash of the request the result answers.
func (r AdjustResult) AnsweredHash() string { return r.RequestHash }

// PlanAdjustment is a proposed adjustment of the plan and its outcome.
type PlanAdjustment struct {
	ID           string         `json:"id"`
	TaskID       string         `json:"task_id"`
	Reason       string         `json:"reason"`
	Changes      []AdjustChange `json:"changes"`
	Status       string         `json:"status"`
	CreatedBy    string         `json:"created_by"`
	ApproverRole string         `json:"approver_role"`
	ApproverOrg  string         `json:"approver_org,omitempty"`
}

// PlanAdjustedSignal tells a planned project of an approved adjustment that changes its amount
// or takes it out of the plan (R5, plan-adjust); defined in wire, so that the SignalMembers
// activity sends it (plan-adjust-fanout).
type PlanAdjustedSignal = wire.PlanAdjustedSignal

// SignalPlanAdjusted carries a PlanAdjustedSignal.
const SignalPlanAdjusted = "plan_adjusted"

// adjustable lists the stages of a planned project an adjustment may change: before its
// contract (R7: the approved amount caps the contract).
var adjustable = []domain.Stage{domain.StageAwaitingApproval, domain.StageApproved, domain.StageProcurement}

func (p *plan) adjustmentByTask(taskID string) *PlanAdjustment {
	for _, a := range p.st.Adjustments {
		if a.TaskID == taskID {
			return a
		}
	}
	return nil
}

// adjustFacts is the approval task of adjustment a as authz.ActOnTask takes it; its proposer
// may not decide it (separation of duties).
func adjustFacts(a *PlanAdjustment) authz.TaskFacts {
	return authz.TaskFacts{Kind: domain.TaskPlanAdjustment, CandidateRole: a.ApproverRole, CandidateOrgID: a.ApproverOrg,
		Open: a.Status == "pending", SubmittedBy: []string{a.CreatedBy}}
}

// validateAdjust checks a proposal: what it says alone, and with state each project's stage
// for its change, no other pending adjustment of it, one approver for them all.
func (p *plan) validateAdjust(u AdjustUpdate, state bool) error {
	if !p.adjust {
		return domain.Refuse(domain.StatusConflict, CodeAdjustUnsupported, "该年度计划的流程版本不支持计划调整")
	}
	if u.AdjustmentID == "" || p.adjustmentByID(u.AdjustmentID) != nil {
		return domain.Refuse(domain.StatusConflict, "duplicate_adjustment", "计划调整编号为空或已存在："+u.AdjustmentID)
	}
	if p.missing(u.Reason) || len(u.Changes) == 0 {
		return domain.Refuse(domain.StatusBadRequest, "invalid_input", "计划调整须说明理由并至少包含一项调整")
	}
	seen := map[string]bool{}
	for _, c := range u.Changes {
		if seen[c.ProjectID] {
			return domain.Refuse(domain.StatusBadRequest, "invalid_input", "同一项目只能调整一次："+c.ProjectID)
		}
		seen[c.ProjectID] = true
		if c.Action != AdjustAdd && c.Action != AdjustRemove && c.Action != AdjustAmount {
			return domain.Refuse(domain.StatusBadRequest, "invalid_input", "调整类型须为 add、remove 或 amount")
		}
	}
	if !state {
		return nil
	}
	var role, org string
	for i, c := range u.Changes {
		pp, err := p.project(c.ProjectID)
		if err != nil {
			return err
		}
		if err := p.checkChange(pp, c); err != nil {
			return err
		}
		r, o := p.approverOf(pp)
		if i > 0 && (r != role || o != org) {
			return domain.Refuse(domain.StatusUnprocessable, CodeAdjustApproversDiffer, "一次计划调整的项目须由同一审批机关审批（按各项目适用的政策）")
		}
		role, org = r, o
	}
	return nil
}

// checkChange checks one change against its project's stage and amounts (R5, R7).
func (p *plan) checkChange(pp *PlanProject, c AdjustChange) error {
	for _, a := range p.st.Adjustments {
		if a.Status == "pending" && domain.Contains(adjustIDs(a.Changes), pp.ProjectID) {
			return domain.Refuse(domain.StatusConflict, CodeAdjustPending, "项目已在待审批的计划调整中："+pp.ProjectID)
		}
	}
	if c.Action != AdjustRemove && (c.AmountFen <= 0 || c.AmountFen > pp.EstimatedFen) {
		return domain.Refuse(domain.StatusUnprocessable, "amount_over_limit",
			fmt.Sprintf("项目 %s 的计划金额须大于 0 且不超过申报金额", pp.ProjectID))
	}
	if c.Action == AdjustAdd {
		if pp.Stage != domain.StageAwaitingPlan || pp.Planned {
			return domain.Refuse(domain.StatusConflict, CodeAdjustWrongStage, fmt.Sprintf("项目 %s 当前阶段为%s，只能增补待编入计划的项目", pp.ProjectID, domain.StageName(pp.Stage)))
		}
		return nil
	}
	inPendingBundle := false
	if b := p.bundleByID(pp.BundleID); b != nil && b.Status == "pending" {
		inPendingBundle = true
	}
	if !pp.Planned || pp.PlanAmountFen <= 0 || !domain.Contains(stageNames(adjustable), string(pp.Stage)) || inPendingBundle {
		return domain.Refuse(domain.StatusConflict, CodeAdjustWrongStage,
			fmt.Sprintf("项目 %s 当前阶段为%s，只能调整已列入计划、未签订合同且不在待审批打捆建议书中的项目", pp.ProjectID, domain.StageName(pp.Stage)))
	}
	return nil
}

func adjustIDs(cs []AdjustChange) []string {
	ids := make([]string, len(cs))
	for i, c := range cs {
		ids[i] = c.ProjectID
	}
	return ids
}

func stageNames(ss []domain.Stage) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = string(s)
	}
	return out
}

func (p *plan) adjustmentByID(id string) *PlanAdjustment {
	for _, a := range p.st.Adjustments {
		if a.ID == id {
			return a
		}
	}
	return nil
}

func (p *plan) bundleByID(id string) *PlanBundle {
	for _, b := range p.st.Bundles {
		if id != "" && b.ID == id {
			return b
		}
	}
	return nil
}

// proposeAdjustment opens the adjustment's approval task for the approver of its projects
// under their pinned policy (R6, R19), audited on each project and told to the approvers.
func (p *plan) proposeAdjustment(ctx workflow.Context, u AdjustUpdate) (AdjustResult, error) {
	taskID := fmt.Sprintf("%s:%s:%s", p.id, domain.TaskPlanAdjustment, u.AdjustmentID)
	role, org := p.approverOf(p.idx[u.Changes[0].ProjectID])
	a := &PlanAdjustment{ID: u.AdjustmentID, TaskID: taskID, Reason: u.Reason, Changes: u.Changes, Status: "pending",
		CreatedBy: u.Actor.ID, ApproverRole: role, ApproverOrg: org}
	names := map[string]string{}
	for _, c := range u.Changes {
		names[c.ProjectID] = p.idx[c.ProjectID].Name
	}
	t := domain.Transition{
		Open: []domain.NewTask{{ID: taskID, Kind: domain.TaskPlanAdjustment, CandidateRole: role, CandidateOrgID: org,
			DueWorkdays: p.in.Policy.ReviewDueWorkdays, Details: map[string]any{"plan_year": p.in.Year,
				"adjustment_id": u.AdjustmentID, "reason": u.Reason, "changes": u.Changes, "names": names, "proposed_by": u.Actor.ID}}},
		Notify: []domain.Notice{{Kind: "task", Title: fmt.Sprintf("%d 年度计划调整待审批", p.in.Year), Role: role, OrgID: org,
			TaskID: taskID}},
	}
	for _, c := range u.Changes {
		t.Audit = append(t.Audit, domain.AuditItem{ActorID: u.Actor.ID, OrgID: u.Actor.OrgID, Action: "plan.adjust_propose",
			ObjectType: "project", ObjectID: c.ProjectID, Outcome: "ok", RequestID: u.RequestID,
			Detail: map[string]any{"adjustment_id": u.AdjustmentID, "action": c.Action, "amount_fen": c.AmountFen,
				"reason": u.Reason, "task_id": taskID, "plan_year": p.in.Year}})
	}
	if err := p.apply(ctx, t); err != nil {
		return AdjustResult{}, err
	}
	p.st.Adjustments = append(p.st.Adjustments, a)
	return AdjustResult{ID: a.ID, TaskID: taskID}, nil
}

// validateAdjustDecision checks a decision on an adjustment's task.
func (p *plan) validateAdjustDecision(a *PlanAdjustment, u DecideUpdate) error {
	if a.Status != "pending" {
		return errStale()
	}
	if err := authz.ActOnTask(u.Actor, adjustFacts(a)); err != nil {
		return refusal(err)
	}
	switch u.Decision {
	case domain.DecisionApprove:
	case domain.DecisionReject:
		if p.missing(u.Comment) {
			return domain.Refuse(domain.StatusBadRequest, "invalid_decision", "不予批准须说明理由")
		}
	default:
		return domain.Refuse(domain.StatusBadRequest, "invalid_decision", "计划调整审批决定须为 approve 或 reject")
	}
	return nil
}

// decideAdjustment applies the approver's decision: approved, each change is written to the
// plan (its item replaced) and told to the project's lifecycle — an added project gets the
// plan result (awaiting approval, R6), a changed or removed one SignalPlanAdjusted — by one
// SignalMembers activity from plan-adjust-fanout (issue 20 item 1: no per-project signal in
// the plan's history, no 2,000 pending-signal ceiling), by the plan itself in runs started
// before.
func (p *plan) decideAdjustment(ctx workflow.Context, a *PlanAdjustment, u DecideUpdate) (DecideResult, error) {
	status := "rejected"
	if u.Decision == domain.DecisionApprove {
		status = "approved"
	}
	t := domain.Transition{Close: []domain.TaskClose{{TaskID: a.TaskID, Decision: u.Decision, ActorID: u.Actor.ID, Comment: u.Comment}}}
	for _, c := range a.Changes {
		if status == "approved" {
			it := domain.PlanItem{PlanYear: p.in.Year, ProjectID: c.ProjectID, Included: c.Action != AdjustRemove,
				ApprovedAmountFen: c.AmountFen, DecidedBy: u.Actor.ID, Adjusted: true}
			if c.Action == AdjustRemove {
				it.ApprovedAmountFen, it.Reason = 0, "计划调整移出："+a.Reason
			}
			t.PlanItems = append(t.PlanItems, it)
		}
		t.Audit = append(t.Audit, domain.AuditItem{ActorID: u.Actor.ID, OrgID: u.Actor.OrgID, Action: "plan.adjust",
			ObjectType: "project", ObjectID: c.ProjectID, Outcome: status, RequestID: u.RequestID,
			Detail: map[string]any{"adjustment_id": a.ID, "action": c.Action, "amount_fen": c.AmountFen, "reason": a.Reason,
				"comment": u.Comment, "task_id": a.TaskID, "plan_year": p.in.Year}})
	}
	id, err := p.applyID(ctx, t)
	if err != nil {
		return DecideResult{}, err
	}
	a.Status = status
	if status == "approved" && p.leanResume {
		p.st.Compiles = append(p.st.Compiles, id)
	}
	if status == "approved" {
		sigs := p.adjustSignals(a, u.Actor)
		if version(ctx, "plan-adjust-fanout", 1) == 1 {
			p.fanOut(ctx, wire.FanOut{ID: id, Signal: SignalPlanAdjusted, Adjust: &wire.AdjustFanOut{AdjustmentID: a.ID,
				Reason: a.Reason, Actor: u.Actor, Changes: a.Changes, AddSignal: SignalPlanResult}})
		} else {
			p.signalAll(ctx, sigs)
		}
	}
	return DecideResult{TaskID: a.TaskID, Decision: u.Decision}, nil
}

// adjustSignals updates the plan's projects for approved adjustment a and lists what each
// project's lifecycle is told.
func (p *plan) adjustSignals(a *PlanAdjustment, actor domain.Actor) []projectSignal {
	sigs := make([]projectSignal, 0, len(a.Changes))
	for _, c := range a.Changes {
		pp := p.entry(c.ProjectID) // read by load when the run did not know it (plan-lean-resume)
		switch c.Action {
		case AdjustAdd:
			pp.Planned, pp.PlanAmountFen = true, c.AmountFen
			sigs = append(sigs, projectSignal{c.ProjectID, SignalPlanResult, PlanResultSignal{Included: true,
				ApprovedAmountFen: c.AmountFen, Actor: actor}})
			continue
		case AdjustRemove:
			pp.PlanAmountFen = 0
		default:
			pp.PlanAmountFen = c.AmountFen
		}
		sigs = append(sigs, projectSignal{c.ProjectID, SignalPlanAdjusted, PlanAdjustedSignal{AdjustmentID: a.ID,
			Action: c.Action, AmountFen: c.AmountFen, Reason: a.Reason, Actor: actor}})
	}
	return sigs
}

func (u AdjustUpdate) requestHash() string            { return u.RequestHash }
func (r AdjustResult) withHash(h string) AdjustResult { r.RequestHash = h; return r }
