package workflows

import (
	"fmt"
	"time"

	"go.temporal.io/sdk/workflow"

	"egovpm/internal/calendar"
	"egovpm/internal/domain"
)

// UpdateDeadlineExtension is the unit's request to extend a deadline of its own steps (延期申请,
// issue 19 item 4), decided by DRB.
const UpdateDeadlineExtension = "deadline_extension"

// StepOMFiling is the step whose deadline an extension moves: the current O&M year's filing
// (R13, T4).
const StepOMFiling = "om_filing"

// Refusal codes of a deadline extension request (延期申请).
const (
	CodeExtensionUnsupported = "deadline_extension_unsupported"
	CodeExtensionPending     = "deadline_extension_pending"
	CodeExtensionDate        = "invalid_extension_date"
)

// ExtensionUpdate is the project's own unit (its submitter) asking DRB to move the deadline of
// step to NewDueAt, with the reason.
type ExtensionUpdate struct {
	Actor       domain.Actor `json:"actor"`
	Step        string       `json:"step"`
	NewDueAt    time.Time    `json:"new_due_at"`
	Reason      string       `json:"reason"`
	RequestID   string       `json:"request_id,omitempty"`
	RequestHash string       `json:"request_hash,omitempty"`
}

func (u ExtensionUpdate) requestHash() string { return u.RequestHash }

// ExtensionRequest is a pending deadline extension: the step and its O&M year, the due date it
// had and the one asked for, who asked, why, and the extension_review task DRB decides it on.
type ExtensionRequest struct {
	Step        string    `json:"step"`
	Year        int       `json:"year"`
	DueAt       time.Time `json:"due_at"`
	NewDueAt    time.Time `json:"new_due_at"`
	Reason      string    `json:"reason"`
	RequestedBy string    `json:"requested_by"`
	TaskID      string    `json:"task_id"`
}

// validateExtension checks an extension request against the state: a run started before
// deadline-extension refuses it; only the project's own unit submitter asks, for the current
// O&M year's filing while it is not filed, one request at a time, with a reason and a new due
// date after the current one and before the next year's.
func (l *lifecycle) validateExtension(u ExtensionUpdate) error {
	if !l.extensible {
		return domain.Refuse(domain.StatusConflict, CodeExtensionUnsupported, "该项目的流程版本不支持延期申请")
	}
	if err := l.ownUnit(u.Actor); err != nil {
		return err
	}
	if u.Step != StepOMFiling {
		return domain.Refuse(domain.StatusBadRequest, "invalid_step", "延期事项须为 om_filing（运维年度备案）")
	}
	if l.st.Stage != domain.StageOM {
		return l.wrongStage("只有运维中的项目可以申请运维备案延期")
	}
	if l.st.OMFiled {
		return domain.Refuse(domain.StatusConflict, "already_filed", "本运维年度已备案，无需延期")
	}
	if l.st.Extension != nil {
		return domain.Refuse(domain.StatusConflict, CodeExtensionPending, "该项目已有待审核的延期申请，审核后方可再次申请")
	}
	if l.missing(u.Reason) {
		return domain.Refuse(domain.StatusBadRequest, "reason_required", "请填写延期理由")
	}
	latest := l.nextOMDeadline()
	if !u.NewDueAt.After(l.st.OMDeadline) || !u.NewDueAt.Before(latest) {
		day := func(t time.Time) string { return t.In(calendar.Shanghai).Format("2006年1月2日 15:04") }
		return domain.RefuseWith(domain.StatusUnprocessable, CodeExtensionDate,
			fmt.Sprintf("新的截止时间须晚于当前截止时间 %s，且早于下一运维年度的截止时间 %s", day(l.st.OMDeadline), day(latest)),
			map[string]any{"due_at": l.st.OMDeadline.In(calendar.Shanghai).Format(time.RFC3339),
				"latest": latest.In(calendar.Shanghai).Format(time.RFC3339)})
	}
	return nil
}

// nextOMDeadline is the deadline of the O&M year after the current one: an extension stays
// before it, so that two years' filings never fall due in the wrong order.
func (l *lifecycle) nextOMDeadline() time.Time {
	return l.in.Policy.OMDeadline(l.st.OMStart, l.st.OMCalendarYear+1, l.st.OMYear+1, calendar.Shanghai)
}

// requestExtension checks an extension request again and files it: an extension_review task
// opens for the DRB reviewers, the request is audited (extension.request). The unit's
// submitter counts as a submitter of the project, so he may not decide it (separation of
// duties).
func (l *lifecycle) requestExtension(ctx workflow.Context, u ExtensionUpdate) (DecideResult, error) {
	if err := l.validateExtension(u); err != nil {
		return DecideResult{}, err
	}
	l.submitted(u.Actor)
	l.st.Extensions++
	r := ExtensionRequest{Step: u.Step, Year: l.st.OMYear, DueAt: l.st.OMDeadline, NewDueAt: u.NewDueAt, Reason: u.Reason,
		RequestedBy: u.Actor.ID, TaskID: l.taskID(domain.TaskExtensionReview, fmt.Sprintf("x%d", l.st.Extensions))}
	err := l.apply(ctx, transition{
		open: []OpenTask{{ID: r.TaskID, Kind: domain.TaskExtensionReview, CandidateRole: domain.RoleDRBReviewer, CandidateOrgID: "drb",
			Details: map[string]any{"step": r.Step, "year": r.Year, "due_at": r.DueAt, "new_due_at": r.NewDueAt, "reason": r.Reason}}},
		audit: l.auditBy(u.Actor, "extension.request", map[string]any{"task_id": r.TaskID, "step": r.Step, "year": r.Year,
			"due_at": r.DueAt, "new_due_at": r.NewDueAt, "reason": r.Reason}, u.RequestID),
	})
	if err != nil {
		return DecideResult{}, err
	}
	l.st.Extension = &r
	return DecideResult{TaskID: r.TaskID, Decision: UpdateDeadlineExtension, Stage: l.st.Stage}, nil
}

// validateExtensionDecision checks a decision on an extension request: approve (with an
// optional comment), or reject with the reason.
func validateExtensionDecision(u DecideUpdate, missing func(string) bool) error {
	bad := func(msg string) error { return domain.Refuse(domain.StatusBadRequest, "invalid_decision", msg) }
	switch u.Decision {
	case domain.DecisionApprove:
	case domain.DecisionReject:
		if missing(u.Comment) {
			return bad("不同意延期须填写理由")
		}
	default:
		return bad("延期申请审核决定须为 approve 或 reject")
	}
	return nil
}

// decideExtension applies DRB's decision on the unit's extension request (task t): approve
// moves the year's filing deadline to the date asked for (the read model's due date, the
// overdue timer and the T4 reminder follow it), reject keeps it; the unit is told either way;
// audited task.decide.
func (l *lifecycle) decideExtension(ctx workflow.Context, u DecideUpdate, t OpenTask) (DecideResult, error) {
	r := l.st.Extension
	tr := transition{close: []domain.TaskClose{{TaskID: t.ID, Decision: u.Decision, ActorID: u.Actor.ID, Comment: u.Comment}}}
	detail := map[string]any{"task_id": t.ID, "kind": string(t.Kind), "decision": u.Decision, "comment": u.Comment}
	day := func(t time.Time) string { return t.In(calendar.Shanghai).Format("2006年1月2日 15:04") }
	approved := u.Decision == domain.DecisionApprove && r != nil
	if approved {
		detail["step"], detail["year"], detail["due_at"], detail["new_due_at"] = r.Step, r.Year, r.DueAt, r.NewDueAt
		tr.omFiling = &domain.OMFiling{Year: r.Year, DueAt: r.NewDueAt, Extend: true}
		tr.notify = []domain.Notice{{Kind: "deadline_extended", Title: fmt.Sprintf("第 %d 个运维年度备案已延期至 %s：%s", r.Year,
			day(r.NewDueAt), l.in.Name), Body: u.Comment, Role: domain.RoleSubmitter, OrgID: l.in.UnitID}}
	} else {
		tr.notify = []domain.Notice{{Kind: "extension_rejected", Title: "延期申请未获同意：" + l.in.Name, Body: u.Comment,
			Role: domain.RoleSubmitter, OrgID: l.in.UnitID}}
	}
	tr.audit = []domain.AuditItem{{ActorID: u.Actor.ID, OrgID: u.Actor.OrgID, Action: "task.decide", Outcome: u.Decision,
		RequestID: u.RequestID, Detail: detail}}
	if err := l.apply(ctx, tr); err != nil {
		return DecideResult{}, err
	}
	l.st.Extension = nil
	if approved {
		l.extendOMDeadline(ctx, r.NewDueAt)
	}
	return DecideResult{TaskID: t.ID, Decision: u.Decision, Stage: l.st.Stage}, nil
}

// extendOMDeadline moves the current O&M year's deadline to due and sets its timers: the
// deadline (the old one's timer finds the deadline ahead and does nothing, omDeadlineAhead),
// and the T4 reminder again when its instant is still ahead.
func (l *lifecycle) extendOMDeadline(ctx workflow.Context, due time.Time) {
	l.st.OMDeadline = due
	if at := l.in.Policy.OMReminderAt(due); at.After(workflow.Now(ctx)) && !l.st.OMFiled {
		l.st.OMReminded = false
		l.sleepThen(ctx, at, &message{kind: msgOMReminder, payload: l.st.OMYear})
	}
	l.sleepThen(ctx, due, &message{kind: msgOMDeadline, payload: l.st.OMYear})
}

// omDeadlineAhead reports a deadline timer set for a deadline since extended: in runs with
// deadline-extension, the year's deadline is still ahead when it fires.
func (l *lifecycle) omDeadlineAhead(ctx workflow.Context) bool {
	return l.extensible && workflow.Now(ctx).Before(l.st.OMDeadline)
}

// dropExtension cancels, in tr, the pending extension request of O&M year: its year has been
// filed (no extension needed), or its deadline passed undecided (expired: the year is flagged
// overdue as any other, the unit is told and may still file it late, R13 om-late-filing).
func (l *lifecycle) dropExtension(tr *transition, year int, expired bool) {
	r := l.st.Extension
	if r == nil || r.Year != year {
		return
	}
	l.st.Extension = nil
	why := "本运维年度已备案，延期申请不再审核"
	if expired {
		why = "原截止时间已过，延期申请不再审核"
		tr.notify = append(tr.notify, domain.Notice{Kind: "extension_expired", Title: "延期申请未在截止前审核，已失效：" + l.in.Name,
			Body: fmt.Sprintf("第 %d 个运维年度已按原截止时间标记逾期，仍可补报备案。", year), Role: domain.RoleSubmitter, OrgID: l.in.UnitID})
	}
	tr.close = append(tr.close, domain.TaskClose{TaskID: r.TaskID, Cancelled: true, Comment: why})
}
