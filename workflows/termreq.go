package workflows

import (
	"fmt"

	"go.temporal.io/sdk/workflow"

	"egovpm/internal/domain"
)

// UpdateTerminationRequest is the unit's own termination request (终止申请, issue 19 item 4).
const UpdateTerminationRequest = "termination_request"

// Refusal codes of a termination request (终止申请).
const (
	CodeTermRequestUnsupported = "termination_request_unsupported"
	CodeTermRequestPending     = "termination_request_pending"
)

// TerminationRequestUpdate is the project's own unit (its submitter) asking DRB to terminate
// the project, with the reason.
type TerminationRequestUpdate struct {
	Actor       domain.Actor `json:"actor"`
	Reason      string       `json:"reason"`
	RequestID   string       `json:"request_id,omitempty"`
	RequestHash string       `json:"request_hash,omitempty"`
}

func (u TerminationRequestUpdate) requestHash() string { return u.RequestHash }

// TermRequest is a pending termination request: who asked, why, and the termination_review
// task DRB decides it on.
type TermRequest struct {
	Reason      string `json:"reason"`
	RequestedBy string `json:"requested_by"`
	TaskID      string `json:"task_id"`
}

// validateTermRequest checks a termination request against the state: a run started before
// termination-request refuses it; only the project's own unit submitter asks, while the
// project is open (not closed, rejected or not included), one request at a time, with a reason.
func (l *lifecycle) validateTermRequest(u TerminationRequestUpdate) error {
	if !l.termRequestable {
		return domain.Refuse(domain.StatusConflict, CodeTermRequestUnsupported, "该项目的流程版本不支持终止申请")
	}
	if err := l.ownUnit(u.Actor); err != nil {
		return err
	}
	if l.st.Stage.Terminal() {
		return domain.Refuse(domain.StatusConflict, CodeProjectClosed, "项目已关闭，不能再申请终止")
	}
	if l.st.TermRequest != nil {
		return domain.Refuse(domain.StatusConflict, CodeTermRequestPending, "该项目已有待审核的终止申请，审核后方可再次申请")
	}
	if l.missing(u.Reason) {
		return domain.Refuse(domain.StatusBadRequest, "reason_required", "请填写终止理由")
	}
	return nil
}

// requestTermination checks a termination request again and files it: a termination_review
// task opens for the DRB reviewers, the request is audited (termination.request). The unit's
// submitter counts as a submitter of the project, so he may not decide it (separation of
// duties).
func (l *lifecycle) requestTermination(ctx workflow.Context, u TerminationRequestUpdate) (DecideResult, error) {
	if err := l.validateTermRequest(u); err != nil {
		return DecideResult{}, err
	}
	l.submitted(u.Actor)
	l.st.TermRequests++
	r := TermRequest{Reason: u.Reason, RequestedBy: u.Actor.ID,
		TaskID: l.taskID(domain.TaskTerminationReview, fmt.Sprintf("t%d", l.st.TermRequests))}
	err := l.apply(ctx, transition{
		open: []OpenTask{{ID: r.TaskID, Kind: domain.TaskTerminationReview, CandidateRole: domain.RoleDRBReviewer, CandidateOrgID: "drb"}},
		audit: l.auditBy(u.Actor, "termination.request", map[string]any{"task_id": r.TaskID, "reason": u.Reason,
			"stage": string(l.st.Stage)}, u.RequestID),
	})
	if err != nil {
		return DecideResult{}, err
	}
	l.st.TermRequest = &r
	return DecideResult{TaskID: r.TaskID, Decision: UpdateTerminationRequest, Stage: l.st.Stage}, nil
}

// validateTermDecision checks a decision on a termination request: approve (with an optional
// comment), or reject with the reason.
func validateTermDecision(u DecideUpdate, missing func(string) bool) error {
	bad := func(msg string) error { return domain.Refuse(domain.StatusBadRequest, "invalid_decision", msg) }
	switch u.Decision {
	case domain.DecisionApprove:
	case domain.DecisionReject:
		if missing(u.Comment) {
			return bad("不同意终止须填写理由")
		}
	default:
		return bad("终止申请审核决定须为 approve 或 reject")
	}
	return nil
}

// decideTermination applies DRB's decision on the unit's termination request (task t):
// approve closes the project exactly as DRB's terminate does (closure terminated, its reason
// the unit's reason and DRB's comment, open tasks cancelled, holders and unit told); reject
// keeps it going and tells the unit why. Both are audited task.decide.
func (l *lifecycle) decideTermination(ctx workflow.Context, u DecideUpdate, t OpenTask) (DecideResult, error) {
	r := l.st.TermRequest
	reason := ""
	if r != nil {
		reason = r.Reason
	}
	auditD := map[string]any{"task_id": t.ID, "kind": string(t.Kind), "decision": u.Decision, "comment": u.Comment,
		"request_reason": reason}
	decided := domain.TaskClose{TaskID: t.ID, Decision: u.Decision, ActorID: u.Actor.ID, Comment: u.Comment}
	audit := []domain.AuditItem{{ActorID: u.Actor.ID, OrgID: u.Actor.OrgID, Action: "task.decide", Outcome: u.Decision,
		RequestID: u.RequestID, Detail: auditD}}
	if u.Decision == domain.DecisionApprove {
		full := "单位申请终止：" + reason
		if !l.missing(u.Comment) {
			full += "；市数管局意见：" + u.Comment
		}
		res, err := l.closeProject(ctx, TerminateUpdate{Actor: u.Actor, Reason: full, RequestID: u.RequestID}, &decided, audit)
		if err != nil {
			return DecideResult{}, err
		}
		res.TaskID, res.Decision = t.ID, u.Decision
		return res, nil
	}
	err := l.apply(ctx, transition{
		close: []domain.TaskClose{decided},
		notify: []domain.Notice{{Kind: "termination_rejected", Title: "终止申请未获同意：" + l.in.Name, Body: u.Comment,
			Role: domain.RoleSubmitter, OrgID: l.in.UnitID}},
		audit: audit,
	})
	if err != nil {
		return DecideResult{}, err
	}
	l.st.TermRequest = nil
	return DecideResult{TaskID: t.ID, Decision: u.Decision, Stage: l.st.Stage}, nil
}

// endTermRequest cancels the pending termination request's review task when tr ends the project
// otherwise (rejected in review, not included): its read-model task must not stay open. A
// closure by 终止 (closeProject) cleared the request and closes the task itself.
func (l *lifecycle) endTermRequest(tr *transition) {
	r := l.st.TermRequest
	if r == nil || !tr.stage.Terminal() {
		return
	}
	l.st.TermRequest = nil
	for _, c := range tr.close {
		if c.TaskID == r.TaskID {
			return
		}
	}
	tr.close = append(tr.close, domain.TaskClose{TaskID: r.TaskID, Cancelled: true, Comment: "项目已结束，终止申请不再审核"})
}
