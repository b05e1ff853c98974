package workflows

import (
	"fmt"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"egovpm/activities/wire"
	"egovpm/internal/calendar"
	"egovpm/internal/domain"
)

// armReminders sets the T1 timers of the year: reminders to units with unsubmitted drafts on
// the policy's days before the R2 deadline (1, 20, 27 June), and the "window closed" notice on
// the days after it (1 July), at 09:00 Asia/Shanghai of year-1. Days sent, or more than a day
// past, are skipped (a plan started late sends no old reminders; one interrupted by
// continue-as-new still sends today's).
func (p *plan) armReminders(ctx workflow.Context) {
	deadline := p.in.Policy.SubmissionDeadline(p.in.Year, calendar.Shanghai)
	actx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 2 * time.Minute,
		// Give up after a day (recorded for ops, record-activity-failures): a reminder retried
		// for ever would hold the plan's run open (sending > 0 blocks continue-as-new).
		ScheduleToCloseTimeout: 24 * time.Hour,
		RetryPolicy:            &temporal.RetryPolicy{InitialInterval: time.Second, MaximumInterval: 10 * time.Minute},
	})
	now := workflow.Now(ctx)
	for _, r := range p.in.Policy.Reminders {
		at := time.Date(p.in.Year-1, time.Month(r.Month), r.Day, 9, 0, 0, 0, calendar.Shanghai)
		key := at.Format("01-02")
		if at.Before(now.Add(-24*time.Hour)) || domain.Contains(p.st.Reminded, key) {
			continue
		}
		workflow.Go(ctx, func(ctx workflow.Context) {
			if d := at.Sub(workflow.Now(ctx)); d > 0 {
				if err := workflow.Sleep(ctx, d); err != nil {
					return
				}
			}
			// Counted only while sending: a run may continue as new while reminders sleep
			// (the next run re-arms them), not while one is going out.
			p.sending++
			defer func() { p.sending-- }()
			in := wire.DraftReminderInput{ID: fmt.Sprintf("%s/t1/%s", p.id, key), PlanYear: p.in.Year, Deadline: deadline,
				Closed: at.After(deadline)}
			if err := workflow.ExecuteActivity(actx, wire.RemindDrafts, in).Get(ctx, nil); err != nil {
				workflow.GetLogger(ctx).Error("T1 reminder not sent", "day", key, "error", err)
				if !temporal.IsCanceledError(err) && version(ctx, "record-activity-failures", 1) == 1 {
					recordGaveUp(ctx, "", wire.RemindDrafts, wire.RemindDrafts+"/"+key, err, &p.sending)
				}
				return
			}
			p.st.Reminded = append(p.st.Reminded, key)
		})
	}
}

// bundleTimer is the T2 timer of a bundle approval task that fired: kind timerTaskReminder or
// timerTaskEscalation.
type bundleTimer struct {
	kind, taskID string
}

// armBundleTimers sets the T2 timers of an open bundle approval task (bundle-task-timers): the
// reminder the working day before it is due, then the escalation when it is overdue, those not
// sent yet, one at a time, under a context the decision cancels. Each timer that fires queues
// a message the main loop handles (onBundleTimer). The plan is one workflow a year with a few
// bundles, so a coroutine per open bundle task costs nothing worth saving.
func (p *plan) armBundleTimers(ctx workflow.Context, b *PlanBundle) {
	if b.DueAt.IsZero() {
		return
	}
	ctx, cancel := workflow.WithCancel(ctx)
	p.cancelBundle[b.TaskID] = cancel
	remind := !b.Reminded && !b.RemindAt.IsZero() && b.RemindAt.Before(b.DueAt)
	escalate := !b.Escalated
	taskID, remindAt, dueAt := b.TaskID, b.RemindAt, b.DueAt
	workflow.Go(ctx, func(gctx workflow.Context) {
		wait := func(at time.Time) bool {
			if d := at.Sub(workflow.Now(gctx)); d > 0 {
				return workflow.Sleep(gctx, d) == nil
			}
			return gctx.Err() == nil
		}
		if remind {
			if !wait(remindAt) {
				return
			}
			p.inbox = append(p.inbox, &planMsg{kind: planTimer, payload: bundleTimer{kind: timerTaskReminder, taskID: taskID}})
		}
		if escalate && wait(dueAt) {
			p.inbox = append(p.inbox, &planMsg{kind: planTimer, payload: bundleTimer{kind: timerTaskEscalation, taskID: taskID}})
		}
	})
}

// onBundleTimer reminds the bundle approvers of their task, or escalates it to the DRB
// supervisor once overdue (T2), unless it was decided meanwhile or the notice already sent.
func (p *plan) onBundleTimer(ctx workflow.Context, bt bundleTimer) error {
	b := p.bundleByTask(bt.taskID)
	if b == nil || b.Status != "pending" || (bt.kind == timerTaskReminder && b.Reminded) || (bt.kind == timerTaskEscalation && b.Escalated) {
		return nil
	}
	role, org := p.bundleApprover(b)
	to := domain.Notice{Role: role, OrgID: org}
	if b.AssigneeID != "" {
		to = domain.Notice{UserID: b.AssigneeID}
	}
	n, action, detail := t2Notice(bt.kind, b.TaskID, b.DueAt, fmt.Sprintf("%d 年度打捆项目建议书审批", p.in.Year), to)
	t := domain.Transition{Notify: []domain.Notice{n}, Audit: []domain.AuditItem{{ActorID: "system", Action: action,
		ObjectType: "bundle", ObjectID: b.ID, Outcome: "ok", Detail: detail}}}
	if err := p.apply(ctx, t); err != nil {
		return err
	}
	if bt.kind == timerTaskReminder {
		b.Reminded = true
	} else {
		b.Escalated = true
	}
	return nil
}
