package workflows

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.temporal.io/sdk/workflow"

	"egovpm/internal/domain"
)

// UpdateWithdrawDecision withdraws a reviewer's own decision while its next step has not
// started (撤回决定, issue 19 item 2).
const UpdateWithdrawDecision = "withdraw_decision"

// Refusal codes of a decision's withdrawal (撤回决定) besides CodeWithdrawTooLate.
const (
	// CodeDecisionNotOwn: only who made the decision may withdraw it (403).
	CodeDecisionNotOwn = "decision_not_own"
	// CodeDecisionNotWithdrawable: the kind of decision cannot be withdrawn (409).
	CodeDecisionNotWithdrawable = "decision_not_withdrawable"
)

// WithdrawDecisionUpdate withdraws the decision Actor made on task TaskID (撤回决定), with a
// reason.
type WithdrawDecisionUpdate struct {
	TaskID      string       `json:"task_id"`
	Actor       domain.Actor `json:"actor"`
	Reason      string       `json:"reason"`
	RequestID   string       `json:"request_id,omitempty"`
	RequestHash string       `json:"request_hash,omitempty"`
}

// DecidedStep is the last decision a person made on one of the project's tasks while it may
// still be withdrawn (decision-withdraw): what it changed, so that a withdrawal undoes it. Any
// later act on the project (a message handled other than a task's T2 timer or a document
// change) clears it: the next step has started.
type DecidedStep struct {
	TaskID   string          `json:"task_id"`
	Kind     domain.TaskKind `json:"kind"`
	Decision string          `json:"decision"`
	ActorID  string          `json:"actor_id"`
	// From is the stage before the decision.
	From domain.Stage `json:"from"`
	// Reopen are the tasks the decision closed, as they were (the decided one assigned to its
	// decider); Opened the ids of the tasks it opened.
	Reopen []OpenTask `json:"reopen"`
	Opened []string   `json:"opened,omitempty"`
	// Told: the decision was told to the unit (a return, a failed acceptance).
	Told bool `json:"told,omitempty"`
}

// WithdrawableDecision reports whether a decision of kind may be withdrawn while its next step
// has not started: preliminary review's approval or return (R3), and the acceptance chain's
// decisions (R12) but the one that completes acceptance (that one opens O&M).
func WithdrawableDecision(kind domain.TaskKind, decision string) bool {
	switch kind {
	case domain.TaskPrelimReview, domain.TaskAcceptanceCheck:
		return decision == domain.DecisionApprove || decision == domain.DecisionReturn
	case domain.TaskAcceptanceSignoff, domain.TaskAcceptanceWitness:
		return decision == domain.DecisionPass || decision == domain.DecisionFail
	}
	return false
}

// noteDecision records decision u on task t (before: the open tasks before it, from: the
// stage) as the one a withdrawal may undo, or clears the record when it may not be withdrawn.
func (l *lifecycle) noteDecision(t OpenTask, u DecideUpdate, from domain.Stage, before []OpenTask, tr transition) {
	if !l.decisionWithdrawable {
		return
	}
	l.st.LastDecision = nil
	if !WithdrawableDecision(t.Kind, u.Decision) || l.st.Stage == domain.StageOM || l.st.Stage.Terminal() {
		return
	}
	d := &DecidedStep{TaskID: t.ID, Kind: t.Kind, Decision: u.Decision, ActorID: u.Actor.ID, From: from}
	for _, c := range tr.close {
		i := slices.IndexFunc(before, func(o OpenTask) bool { return o.ID == c.TaskID })
		if i < 0 {
			continue
		}
		o := before[i]
		if o.ID == t.ID {
			o.AssigneeID = u.Actor.ID
		}
		o.DueAt, o.RemindAt, o.Reminded, o.Escalated = time.Time{}, time.Time{}, false, false
		d.Reopen = append(d.Reopen, o)
	}
	for _, o := range tr.open {
		d.Opened = append(d.Opened, o.ID)
	}
	d.Told = slices.ContainsFunc(tr.notify, func(n domain.Notice) bool { return n.OrgID == l.in.UnitID })
	l.st.LastDecision = d
}

// afterMessage clears the decision a withdrawal may undo once another message changed the
// project (last: the record before m was handled): its next step has started. A task's T2
// timer and a document change start nothing.
func (l *lifecycle) afterMessage(m *message, last *DecidedStep) {
	if last == nil || l.st.LastDecision != last || m.err != nil {
		return
	}
	switch m.kind {
	case msgTaskReminder, msgTaskEscalation, msgDocuments:
		return
	}
	l.st.LastDecision = nil
}

// validateWithdrawDecision checks a withdrawal of a decision against the state: a run started
// before decision-withdraw refuses it; the decision must be the project's last, still
// withdrawable, and the actor's own; no task it opened may be given to anyone or be being
// decided. The gateway refuses a task claimed in the read model, or a project in a session.
func (l *lifecycle) validateWithdrawDecision(u WithdrawDecisionUpdate) error {
	if !l.decisionWithdrawable {
		return domain.Refuse(domain.StatusConflict, CodeWithdrawUnsupported, "该项目的流程版本不支持撤回决定")
	}
	tooLate := domain.Refuse(domain.StatusConflict, CodeWithdrawTooLate, "后续环节已开始，不能撤回该决定")
	d := l.st.LastDecision
	if d == nil || d.TaskID != u.TaskID {
		return tooLate
	}
	if d.ActorID != u.Actor.ID {
		return domain.Refuse(domain.StatusForbidden, CodeDecisionNotOwn, "只有作出该决定的人可以撤回")
	}
	if l.missing(u.Reason) {
		return domain.Refuse(domain.StatusBadRequest, "invalid_input", "撤回决定须填写理由")
	}
	for _, id := range d.Opened {
		if t, ok := l.findTask(id); !ok || t.AssigneeID != "" || l.deciding[id] {
			return tooLate
		}
	}
	return nil
}

// withdrawDecision checks a withdrawal again and undoes the decision: the tasks it opened are
// cancelled (their timers end), the tasks it closed reopen under new ids (the decided one
// assigned to its decider), the stage goes back, the unit is told when it had been told of
// the decision, and the audit row task.withdraw_decision records who, what and why (R18).
func (l *lifecycle) withdrawDecision(ctx workflow.Context, u WithdrawDecisionUpdate) (DecideResult, error) {
	if err := l.validateWithdrawDecision(u); err != nil {
		return DecideResult{}, err
	}
	d := l.st.LastDecision
	l.st.LastDecision = nil
	l.st.DecisionWithdrawals++
	tr := transition{}
	if d.From != l.st.Stage {
		tr.stage = d.From
	}
	// A panel the plan convened on the approval may be on its way (the gateway saw no session,
	// the plan had written one): it arrives back in prelim review and is dropped (dropPanel).
	panelWithdrawn := l.panelDrop && l.st.Stage == domain.StageExpertReview && len(l.st.Panel) == 0
	for _, id := range d.Opened {
		o, _ := l.findTask(id)
		tr.close = append(tr.close, domain.TaskClose{TaskID: id, Cancelled: true, ActorID: u.Actor.ID, Comment: u.Reason})
		tr.notify = append(tr.notify, domain.Notice{Kind: "task_cancelled", Title: "待办已取消：" + l.in.Name, TaskID: id,
			Body: "前一环节的决定已撤回，该待办不再办理。理由：" + u.Reason, Role: o.CandidateRole, OrgID: o.CandidateOrgID})
	}
	reopened := ""
	for _, o := range d.Reopen {
		o.ID = l.reopenID(o.ID)
		if reopened == "" {
			reopened = o.ID
		}
		tr.open = append(tr.open, o)
	}
	if d.Told {
		tr.notify = append(tr.notify, domain.Notice{Kind: "decision_withdrawn", Title: "审查决定已撤回：" + l.in.Name,
			Body: fmt.Sprintf("%s的决定已由决定人撤回，项目回到原环节重新办理。理由：%s", domain.TaskKindNames[string(d.Kind)], u.Reason),
			Role: domain.RoleSubmitter, OrgID: l.in.UnitID})
	}
	tr.audit = l.auditBy(u.Actor, "task.withdraw_decision", map[string]any{"task_id": d.TaskID, "kind": string(d.Kind),
		"decision": d.Decision, "reason": u.Reason, "reopened": reopened, "cancelled": d.Opened, "stage": string(d.From)}, u.RequestID)
	if err := l.apply(ctx, tr); err != nil {
		return DecideResult{}, err
	}
	l.st.PanelWithdrawn = panelWithdrawn
	return DecideResult{TaskID: reopened, Decision: "withdraw_decision", Stage: l.st.Stage}, nil
}

// panelWithdrawn reports whether m is a panel convened on a prelim approval withdrawn before
// it arrived: the project is not back in expert review (PanelWithdrawn).
func (l *lifecycle) panelWithdrawn(m *message) bool {
	return m.kind == msgPanel && l.st.PanelWithdrawn && before(l.st.Stage, domain.StageExpertReview)
}

// dropPanel drops panel s, convened on a prelim approval withdrawn before it arrived (R4, 撤回决定),
// for reason: the project leaves the session (no expert task opens, now or when it is approved
// again: it waits for a panel of its own), audited expert_review.panel_dropped (R18) with the
// session, which keeps the project's row at the version it was convened at.
func (l *lifecycle) dropPanel(ctx workflow.Context, s PanelSignal, reason string) error {
	workflow.GetLogger(ctx).Info("panel of a withdrawn approval dropped", "session_id", s.SessionID, "stage", l.st.Stage)
	return l.apply(ctx, transition{audit: l.auditBy(domain.Actor{ID: "system"}, "expert_review.panel_dropped",
		map[string]any{"session_id": s.SessionID, "stage": string(l.st.Stage), "reason": reason})})
}

// reopenID is the id a task closed by a withdrawn decision reopens under: its id without an
// earlier reopening's suffix, and the count of withdrawals (a closed task's id is never
// reused: the read model keeps its row).
func (l *lifecycle) reopenID(id string) string {
	if i := strings.LastIndex(id, ":w"); i >= 0 {
		if _, err := strconv.Atoi(id[i+2:]); err == nil {
			id = id[:i]
		}
	}
	return fmt.Sprintf("%s:w%d", id, l.st.DecisionWithdrawals)
}
