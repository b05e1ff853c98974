package workflows

import (
	"fmt"
	"slices"

	"go.temporal.io/sdk/workflow"

	"egovpm/internal/domain"
)

// UpdateChange files a change request of an approved project (项目变更).
const UpdateChange = "change_request"

// Refusal codes of a change request (项目变更, issue 19).
const (
	CodeChangeUnsupported   = "change_unsupported"
	CodeChangePending       = "change_pending"
	CodeInvalidChange       = "invalid_change"
	CodeAmountBelowContract = "amount_below_contract"
)

// ChangeUpdate is a unit's change request after approval (项目变更): what it changes (Kind:
// scope, amount, vendor, schedule), a description, the reason, and for an amount change the
// new approved amount, for a vendor change the new vendor.
type ChangeUpdate struct {
	Actor        domain.Actor      `json:"actor"`
	Kind         domain.ChangeKind `json:"kind"`
	Description  string            `json:"description"`
	Reason       string            `json:"reason"`
	NewAmountFen int64             `json:"new_amount_fen,omitempty"`
	NewVendor    string            `json:"new_vendor,omitempty"`
	RequestID    string            `json:"request_id,omitempty"`
	RequestHash  string            `json:"request_hash,omitempty"`
}

func (u ChangeUpdate) requestHash() string { return u.RequestHash }

// validateChange checks a change request against the state: a run started before
// change-request refuses it; only the project's own unit submitter files one, while the
// project is between approval and its acceptance application (domain.ChangeStagesOpen), one
// at a time; an amount change names a new amount other than the approved one and not below
// the contract (R7, R9); a vendor change needs a contract to change.
func (l *lifecycle) validateChange(u ChangeUpdate) error {
	if !l.changeable {
		return domain.Refuse(domain.StatusConflict, CodeChangeUnsupported, "该项目的流程版本不支持项目变更")
	}
	if err := l.ownUnit(u.Actor); err != nil {
		return err
	}
	if !slices.Contains(domain.ChangeStagesOpen, l.st.Stage) {
		return l.wrongStage("只有已批复且尚未申请验收的项目可以申请变更")
	}
	if l.st.Change != nil {
		return domain.Refuse(domain.StatusConflict, CodeChangePending, "该项目已有待审批的变更申请，审批后方可再次申请")
	}
	bad := func(msg string) error { return domain.Refuse(domain.StatusBadRequest, CodeInvalidChange, msg) }
	switch {
	case !domain.Contains(domain.ChangeKinds, string(u.Kind)):
		return bad("变更类型须为 scope、amount、vendor 或 schedule")
	case l.missing(u.Description):
		return bad("须填写变更内容")
	case l.missing(u.Reason):
		return bad("须填写变更理由")
	case u.Kind != domain.ChangeAmount && u.NewAmountFen != 0:
		return bad("只有投资金额变更可以填写变更后金额")
	case u.Kind != domain.ChangeVendor && u.NewVendor != "":
		return bad("只有承建单位变更可以填写新承建单位")
	}
	switch u.Kind {
	case domain.ChangeAmount:
		if u.NewAmountFen <= 0 || u.NewAmountFen == l.st.ApprovedFen {
			return bad("投资金额变更须填写不同于批复金额的变更后金额")
		}
		if u.NewAmountFen < l.st.ContractFen {
			// R7, R9: the contract never exceeds the approved amount.
			return domain.RefuseWith(domain.StatusUnprocessable, CodeAmountBelowContract,
				"变更后金额低于合同金额 "+domain.Yuan(l.st.ContractFen)+" 元", map[string]any{"contract_amount_fen": l.st.ContractFen})
		}
	case domain.ChangeVendor:
		if l.missing(u.NewVendor) {
			return bad("承建单位变更须填写新承建单位")
		}
		if l.st.Stage == domain.StageProcurement {
			return l.wrongStage("尚未登记合同，不能变更承建单位")
		}
	}
	return nil
}

// requestChange checks a change request again and files it: the change is recorded (pending)
// and a change_review task opens for DRB, or for the authority that approved the project when
// the amount rises or falls past the pinned policy's threshold (R6, R7, R19).
func (l *lifecycle) requestChange(ctx workflow.Context, u ChangeUpdate) (DecideResult, error) {
	if err := l.validateChange(u); err != nil {
		return DecideResult{}, err
	}
	l.submitted(u.Actor)
	n := l.st.Changes + 1
	c := domain.ChangeRecord{ID: fmt.Sprintf("%s:change:%d", l.id, n), Seq: n, Kind: u.Kind, Description: u.Description,
		Reason: u.Reason, NewVendor: u.NewVendor, Status: domain.ChangePending, RequestedBy: u.Actor.ID,
		TaskID: l.taskID(domain.TaskChangeReview, fmt.Sprintf("c%d", n))}
	if u.Kind == domain.ChangeAmount {
		c.OldAmountFen, c.NewAmountFen = l.st.ApprovedFen, u.NewAmountFen
		c.Reapproval = l.in.Policy.ChangeNeedsReapproval(l.st.ApprovedFen, u.NewAmountFen)
	}
	c.DeciderRole, c.DeciderOrg = l.in.Policy.ChangeDecider(l.in.EstimatedFen, c.Reapproval)
	err := l.apply(ctx, transition{
		open:   []OpenTask{{ID: c.TaskID, Kind: domain.TaskChangeReview, CandidateRole: c.DeciderRole, CandidateOrgID: c.DeciderOrg}},
		change: &c,
		audit: l.auditBy(u.Actor, "change.request", map[string]any{"change_id": c.ID, "kind": string(c.Kind),
			"new_amount_fen": c.NewAmountFen, "reapproval": c.Reapproval, "decider_role": c.DeciderRole}, u.RequestID),
	})
	if err != nil {
		return DecideResult{}, err
	}
	l.st.Changes, l.st.Change = n, &c
	return DecideResult{TaskID: c.TaskID, Decision: "change_request", Stage: l.st.Stage}, nil
}

// decideChange applies the decision on the pending change (TaskChangeReview): approve applies
// its new amount (the contract's and the payments' cap from now on, R7, R15) or vendor;
// reject keeps what was approved. Either way the unit is told.
func (l *lifecycle) decideChange(u DecideUpdate, tr *transition, auditD map[string]any) {
	c := *l.st.Change
	c.DecidedBy, c.Comment = u.Actor.ID, u.Comment
	title := "项目变更未获批准："
	c.Status = domain.ChangeRejected
	if u.Decision == domain.DecisionApprove {
		c.Status, title = domain.ChangeApproved, "项目变更已批准："
		if c.Kind == domain.ChangeAmount {
			l.st.ApprovedFen = c.NewAmountFen
			auditD["approved_amount_fen"] = c.NewAmountFen
		}
	}
	auditD["change_id"] = c.ID
	tr.change = &c
	tr.notify = []domain.Notice{{Kind: "change_decided", Title: title + l.in.Name, Body: u.Comment,
		Role: domain.RoleSubmitter, OrgID: l.in.UnitID}}
	l.st.Change = nil
}

// validateChangeDecision checks a decision on a change request: approve, or reject with the
// reason.
func validateChangeDecision(u DecideUpdate, missing func(string) bool) error {
	bad := func(msg string) error { return domain.Refuse(domain.StatusBadRequest, "invalid_decision", msg) }
	switch u.Decision {
	case domain.DecisionApprove:
	case domain.DecisionReject:
		if missing(u.Comment) {
			return bad("不批准变更须填写理由")
		}
	default:
		return bad("变更审批决定须为 approve 或 reject")
	}
	return nil
}

// validateChangeApproval refuses the approval of an amount change (task t, decision u) whose
// new amount is below the contract registered while it waited (R7, R9: the contract never
// exceeds the approved amount; R15: the payments, never above the contract, stay within the
// new amount): 422 amount_below_contract, nothing changes, the decider may reject it. The
// request was checked against the contract when it was filed (validateChange), but a change
// filed in procurement waits while the unit registers the contract and records payments.
func (l *lifecycle) validateChangeApproval(t OpenTask, u DecideUpdate) error {
	c := l.st.Change
	if !l.changeCapped || t.Kind != domain.TaskChangeReview || u.Decision != domain.DecisionApprove || c == nil ||
		c.Kind != domain.ChangeAmount || c.NewAmountFen >= l.st.ContractFen {
		return nil
	}
	return domain.RefuseWith(domain.StatusUnprocessable, CodeAmountBelowContract,
		"变更后金额 "+domain.Yuan(c.NewAmountFen)+" 元低于变更申请后登记的合同金额 "+domain.Yuan(l.st.ContractFen)+
			" 元，批准将使合同及已登记的付款超过批复金额，不能批准；请作出不予批准的决定",
		map[string]any{"contract_amount_fen": l.st.ContractFen, "new_amount_fen": c.NewAmountFen})
}

// changePending refuses what must wait for the pending change request's decision.
func (l *lifecycle) changePending() error {
	if l.st.Change != nil {
		return domain.Refuse(domain.StatusConflict, CodeChangePending, "该项目有待审批的变更申请，审批后方可办理")
	}
	return nil
}
