package workflows

import (
	"go.temporal.io/sdk/workflow"

	"egovpm/internal/domain"
)

// Refusal codes of a withdrawal (撤回, issue 19).
const (
	CodeWithdrawTooLate     = "withdraw_too_late"
	CodeWithdrawUnsupported = "withdraw_unsupported"
)

// validateWithdraw checks a withdrawal against the state: a run started before withdraw
// refuses it; only the project's own unit submitter may withdraw, and only while the project
// waits for its preliminary review (R3) and nobody has claimed, been given or decided that
// task. The gateway refuses a task claimed in the read model (claims are not the workflow's).
func (l *lifecycle) validateWithdraw(u WithdrawUpdate) error {
	if !l.withdrawable {
		return domain.Refuse(domain.StatusConflict, CodeWithdrawUnsupported, "该项目的流程版本不支持撤回")
	}
	if !u.Actor.Has(domain.RoleSubmitter) || u.Actor.OrgID != l.in.UnitID {
		return domain.Refuse(domain.StatusForbidden, "forbidden", "只有本单位申报人可以撤回项目")
	}
	if t, ok := l.withdrawTask(); !ok || t.AssigneeID != "" || l.deciding[t.ID] {
		return domain.Refuse(domain.StatusConflict, CodeWithdrawTooLate, "初审已开始或已作出决定，不能撤回")
	}
	return nil
}

// withdrawTask is the open preliminary review task a withdrawal cancels, when the project
// waits for it.
func (l *lifecycle) withdrawTask() (OpenTask, bool) {
	if l.st.Stage != domain.StagePrelimReview {
		return OpenTask{}, false
	}
	for _, t := range l.st.OpenTasks {
		if t.Kind == domain.TaskPrelimReview {
			return t, true
		}
	}
	return OpenTask{}, false
}

// withdraw checks a withdrawal again and applies it: the prelim task is cancelled (its timers
// end), the project goes back to draft with the next round (resubmit opens it, R3), and the
// audit row project.withdraw records who and why.
func (l *lifecycle) withdraw(ctx workflow.Context, u WithdrawUpdate) (DecideResult, error) {
	if err := l.validateWithdraw(u); err != nil {
		return DecideResult{}, err
	}
	t, _ := l.withdrawTask()
	l.st.Round++
	err := l.apply(ctx, transition{
		stage: domain.StageDraft,
		round: l.st.Round,
		close: []domain.TaskClose{{TaskID: t.ID, Cancelled: true, ActorID: u.Actor.ID, Comment: u.Reason}},
		audit: l.auditBy(u.Actor, "project.withdraw", map[string]any{"task_id": t.ID, "round": l.st.Round, "reason": u.Reason},
			u.RequestID),
	})
	if err != nil {
		return DecideResult{}, err
	}
	return DecideResult{TaskID: t.ID, Decision: "withdraw", Stage: l.st.Stage}, nil
}
