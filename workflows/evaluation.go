package workflows

import (
	"fmt"
	"time"

	"go.temporal.io/sdk/workflow"

	"egovpm/internal/calendar"
	"egovpm/internal/domain"
)

// R14 (evaluation-period): the performance evaluation opens after the policy's period of
// operation, counted from acceptance, and recurs by policy; each round is a task of its own
// and an evaluation row of its own. Runs started before open one evaluation at acceptance.

// evaluationTask is the task of evaluation round n: round 1 keeps the id the single
// evaluation always had.
func (l *lifecycle) evaluationTask(n int) OpenTask {
	suffix := ""
	if n > 1 {
		suffix = fmt.Sprintf("e%d", n)
	}
	return OpenTask{ID: l.taskID(domain.TaskEvaluation, suffix), Kind: domain.TaskEvaluation,
		CandidateRole: domain.RoleDRBReviewer, CandidateOrgID: "drb"}
}

// evaluationAtAcceptance opens round 1 with the acceptance at now (a policy without a period,
// and every run started before evaluation-period), or schedules it: armTimers sets its timer
// once the project is in O&M.
func (l *lifecycle) evaluationAtAcceptance(ctx workflow.Context, now time.Time, tr *transition) {
	if version(ctx, "evaluation-period", 1) == workflow.DefaultVersion {
		tr.open = []OpenTask{l.evaluationTask(1)}
		return
	}
	at, _ := l.in.Policy.EvaluationAt(now, 1, calendar.Shanghai)
	if !at.After(now) {
		l.st.EvaluationRound = 1
		tr.open = []OpenTask{l.evaluationTask(1)}
		return
	}
	l.st.EvaluationDueAt = at
	tr.evaluationDue = &at
}

// nextEvaluation schedules the round after the one being decided when the policy recurs
// (evaluation-period runs only: EvaluationRound is 0 in runs started before), counted from
// acceptance so that the rounds keep their period however late one is decided.
func (l *lifecycle) nextEvaluation(ctx workflow.Context, tr *transition) {
	if l.st.EvaluationRound == 0 || l.st.Stage != domain.StageOM {
		return
	}
	at, ok := l.in.Policy.EvaluationAt(l.st.OMStart, l.st.EvaluationRound+1, calendar.Shanghai)
	if !ok {
		return
	}
	l.st.EvaluationDueAt = at
	tr.evaluationDue = &at
	l.armEvaluation(ctx)
}

// armEvaluation sets the timer of the next evaluation round, if one is scheduled.
func (l *lifecycle) armEvaluation(ctx workflow.Context) {
	if l.st.EvaluationDueAt.IsZero() {
		return
	}
	l.sleepThen(ctx, l.st.EvaluationDueAt, &message{kind: msgEvaluationDue, payload: l.st.EvaluationRound + 1})
}

// onEvaluationDue opens evaluation round n for DRB (R14) when it is the one scheduled.
func (l *lifecycle) onEvaluationDue(ctx workflow.Context, n int) error {
	if l.st.Stage != domain.StageOM || l.st.EvaluationDueAt.IsZero() || n != l.st.EvaluationRound+1 {
		return nil
	}
	var cleared time.Time
	err := l.apply(ctx, transition{open: []OpenTask{l.evaluationTask(n)}, evaluationDue: &cleared,
		audit: l.auditBy(domain.Actor{ID: "system"}, "evaluation.open", map[string]any{"round": n})})
	if err == nil {
		l.st.EvaluationRound, l.st.EvaluationDueAt = n, time.Time{}
	}
	return err
}
