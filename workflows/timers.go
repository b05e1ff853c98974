package workflows

import (
	"fmt"
	"time"

	"go.temporal.io/sdk/workflow"

	"egovpm/internal/calendar"
	"egovpm/internal/domain"
)

// The names of the timers the lifecycle sets itself (their messages' names, msgNames); the
// AnnualPlan's bundle tasks share the T2 ones.
const (
	timerTaskReminder   = "task_reminder"
	timerTaskEscalation = "task_escalation"
	timerTrialRunOver   = "trial_run_over"
	timerFollowUp       = "acceptance_follow_up"
	timerOMDeadline     = "om_deadline"
	timerOMReminder     = "om_reminder"
	timerEvaluationDue  = "evaluation_due"
)

// taskTimer cancels an open task's T2 timers; next is the context its next timer is set under
// (chained-task-timers), nil in runs started before it, which set both timers at once.
type taskTimer struct {
	cancel workflow.CancelFunc
	next   workflow.Context
}

// signalSource is a signal channel the main loop reads (lean).
type signalSource struct {
	ch   workflow.ReceiveChannel
	read func(ctx workflow.Context, c workflow.ReceiveChannel) *message
}

// pendingTimer is a timer whose firing puts m in the inbox (lean).
type pendingTimer struct {
	f workflow.Future
	m *message
}

// pending reports input the main loop has not collected yet: a signal, or a timer that has
// fired (or was cancelled).
func (l *lifecycle) pending() bool {
	for _, s := range l.signals {
		if s.ch.Len() > 0 {
			return true
		}
	}
	for _, t := range l.timers {
		if t.f.IsReady() {
			return true
		}
	}
	return false
}

// collect moves the signals received and the timers fired into the inbox, in a fixed order
// (signals by channel as set up, then timers in the order they were set); a cancelled timer
// is dropped.
func (l *lifecycle) collect(ctx workflow.Context) {
	for _, s := range l.signals {
		for s.ch.Len() > 0 {
			l.inbox = append(l.inbox, s.read(ctx, s.ch))
		}
	}
	keep := l.timers[:0]
	for _, t := range l.timers {
		if !t.f.IsReady() {
			keep = append(keep, t)
			continue
		}
		if err := t.f.Get(ctx, nil); err == nil {
			l.inbox = append(l.inbox, t.m)
		}
	}
	l.timers = keep
}

// onTimer handles a timer the lifecycle set itself: the end of the trial run (R11), the
// acceptance follow-up (T3), the O&M deadline and its reminder (R13, T4), a task's reminder or
// escalation (T2).
func (l *lifecycle) onTimer(ctx workflow.Context, m *message) error {
	switch m.kind {
	case msgTrialRunOver:
		return l.onTrialRunOver(ctx)
	case msgFollowUp:
		return l.onFollowUp(ctx)
	case msgOMDeadline:
		return l.onOMDeadline(ctx, m.payload.(int))
	case msgOMReminder:
		return l.onOMReminder(ctx, m.payload.(int))
	case msgTaskReminder, msgTaskEscalation:
		return l.onTaskTimer(ctx, m.kind.String(), m.payload.(string))
	case msgEvaluationDue:
		return l.onEvaluationDue(ctx, m.payload.(int))
	}
	return nil
}

// armTimers starts the timers the current state needs. Each fires once into the inbox.
func (l *lifecycle) armTimers(ctx workflow.Context) {
	at := func(when time.Time, m *message) { l.sleepThen(ctx, when, m) }
	switch l.st.Stage {
	case domain.StageTrialRun:
		if !l.st.TrialRunNotified {
			at(l.st.TrialRunEndsAt, &message{kind: msgTrialRunOver})
		} else if !l.st.FollowUpSent {
			at(l.st.TrialRunEndsAt.Add(l.in.Policy.FollowUp()), &message{kind: msgFollowUp})
		}
	case domain.StageOM:
		if !l.st.OMReminded && version(ctx, "om-reminder", 1) == 1 {
			at(l.in.Policy.OMReminderAt(l.st.OMDeadline), &message{kind: msgOMReminder, payload: l.st.OMYear})
		}
		at(l.st.OMDeadline, &message{kind: msgOMDeadline, payload: l.st.OMYear})
		l.armEvaluation(ctx) // R14: set only by evaluation-period runs
	}
}

// sleepThen pushes m into the inbox at when (at once if when has passed). Lean, the timer is a
// future the main loop collects; before, a coroutine slept until then.
func (l *lifecycle) sleepThen(ctx workflow.Context, when time.Time, m *message) {
	if l.lean {
		d := when.Sub(workflow.Now(ctx))
		if d <= 0 {
			l.inbox = append(l.inbox, m)
			return
		}
		l.timers = append(l.timers, pendingTimer{f: workflow.NewTimer(ctx, d), m: m})
		return
	}
	workflow.Go(ctx, func(gctx workflow.Context) {
		if d := when.Sub(workflow.Now(gctx)); d > 0 {
			if err := workflow.Sleep(gctx, d); err != nil {
				return
			}
		}
		l.inbox = append(l.inbox, m)
	})
}

// armTaskTimers sets a task's T2 reminder and escalation timers (those not yet sent), under a
// context the task's closing cancels (cancelTaskTimers).
func (l *lifecycle) armTaskTimers(ctx workflow.Context, t OpenTask) {
	if t.DueAt.IsZero() {
		return
	}
	ctx, cancel := workflow.WithCancel(ctx)
	if version(ctx, "chained-task-timers", 1) == 1 {
		l.taskTimers[t.ID] = taskTimer{cancel: cancel, next: ctx}
		l.armNextTaskTimer(t)
		return
	}
	l.taskTimers[t.ID] = taskTimer{cancel: cancel}
	if !t.Reminded && !t.RemindAt.IsZero() {
		l.sleepThen(ctx, t.RemindAt, &message{kind: msgTaskReminder, payload: t.ID})
	}
	if !t.Escalated {
		l.sleepThen(ctx, t.DueAt, &message{kind: msgTaskEscalation, payload: t.ID})
	}
}

// armNextTaskTimer sets the earlier of t's T2 timers not sent yet, the reminder first on a tie
// (chained-task-timers): the other is set when it has fired (onTaskTimer). Before, both were
// set when the task opened, and a decision before the reminder cancelled two timers: each
// start and cancel an event in history and a timer task on the server, on every decision.
func (l *lifecycle) armNextTaskTimer(t OpenTask) {
	ctx := l.taskTimers[t.ID].next
	if ctx == nil {
		return // closed, or set both at once (before chained-task-timers)
	}
	remind := !t.Reminded && !t.RemindAt.IsZero()
	switch {
	case remind && (t.Escalated || !t.RemindAt.After(t.DueAt)):
		l.sleepThen(ctx, t.RemindAt, &message{kind: msgTaskReminder, payload: t.ID})
	case !t.Escalated:
		l.sleepThen(ctx, t.DueAt, &message{kind: msgTaskEscalation, payload: t.ID})
	case remind:
		l.sleepThen(ctx, t.RemindAt, &message{kind: msgTaskReminder, payload: t.ID})
	}
}

// cancelTaskTimers stops the T2 timers of a task that has closed. Before version
// cancel-task-timers they ran on: each woke the workflow (a workflow task) at its instant only
// to find the task gone, and held a coroutine in the worker's cache until then.
func (l *lifecycle) cancelTaskTimers(ctx workflow.Context, taskID string) {
	tt, ok := l.taskTimers[taskID]
	if !ok {
		return
	}
	delete(l.taskTimers, taskID)
	if version(ctx, "cancel-task-timers", 1) == 1 {
		tt.cancel()
	}
}

// t2Notice is the T2 notice of task taskID, due at due, about subject: the reminder, sent to
// (its assignee or candidates), or the escalation to the DRB supervisor once overdue; with the
// audit action and detail that record it. Lifecycle tasks and the plan's bundle tasks share it.
func t2Notice(kind, taskID string, due time.Time, subject string, to domain.Notice) (domain.Notice, string, map[string]any) {
	day := due.In(calendar.Shanghai).Format("2006年1月2日")
	if kind == timerTaskReminder {
		to.Kind, to.Title, to.TaskID = "task_reminder", fmt.Sprintf("待办将于 %s 到期：%s", day, subject), taskID
		return to, "task.remind", map[string]any{"task_id": taskID}
	}
	return domain.Notice{Kind: "task_escalation", Title: fmt.Sprintf("待办已逾期（%s 到期）：%s", day, subject),
			Role: domain.RoleDRBSupervisor, OrgID: "drb", TaskID: taskID},
		"task.escalate", map[string]any{"task_id": taskID, "due_at": due}
}

// onTaskTimer sends a task's reminder to whoever may act on it, or escalates an overdue task to
// the DRB supervisor (T2). Each is sent once: the task records it, and the notification id
// derives from the transition.
func (l *lifecycle) onTaskTimer(ctx workflow.Context, kind, taskID string) error {
	var t *OpenTask
	for i := range l.st.OpenTasks {
		if l.st.OpenTasks[i].ID == taskID {
			t = &l.st.OpenTasks[i]
		}
	}
	if t == nil {
		return nil // decided meanwhile
	}
	if (kind == timerTaskReminder && t.Reminded) || (kind == timerTaskEscalation && t.Escalated) {
		l.armNextTaskTimer(*t)
		return nil // already sent
	}
	to := domain.Notice{Role: t.CandidateRole, OrgID: t.CandidateOrgID}
	if t.AssigneeID != "" {
		to = domain.Notice{UserID: t.AssigneeID}
	}
	n, action, detail := t2Notice(kind, t.ID, t.DueAt, l.in.Name, to)
	tr := transition{notify: []domain.Notice{n}, audit: l.auditBy(domain.Actor{ID: "system"}, action, detail)}
	if err := l.apply(ctx, tr); err != nil {
		return err
	}
	if kind == timerTaskReminder {
		t.Reminded = true
	} else {
		t.Escalated = true
	}
	l.armNextTaskTimer(*t)
	return nil
}
