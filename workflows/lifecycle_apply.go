package workflows

import (
	"fmt"
	"strings"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"egovpm/activities/wire"
	"egovpm/internal/domain"
)

// transition is a state change before it is written.
type transition struct {
	stage          domain.Stage
	through        domain.Stage
	amount         int64
	round          int
	open           []OpenTask
	close          []domain.TaskClose
	audit          []domain.AuditItem
	notify         []domain.Notice
	planItems      []domain.PlanItem
	contract       *domain.Contract
	trialRunEndsAt *time.Time
	omFiling       *domain.OMFiling
	evaluation     *domain.Evaluation
	evaluationDue  *time.Time
	change         *domain.ChangeRecord
	assign         []domain.TaskAssign
	closure        *domain.Closure
}

func (l *lifecycle) auditBy(actor domain.Actor, action string, detail map[string]any, requestID ...string) []domain.AuditItem {
	item := domain.AuditItem{ActorID: actor.ID, OrgID: actor.OrgID, Action: action, Outcome: "ok", Detail: detail}
	if len(requestID) > 0 {
		item.RequestID = requestID[0]
	}
	return []domain.AuditItem{item}
}

func localCtx(ctx workflow.Context) workflow.Context {
	// A database outage must stall the lifecycle, never fail it: retry for up to three days
	// (ops sees the failing task in O1 meanwhile). The SDK moves long backoffs to timers.
	return workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{
		StartToCloseTimeout:    15 * time.Second,
		ScheduleToCloseTimeout: 72 * time.Hour,
		// At most every 5 minutes: three days of retries stay a few thousand history events.
		RetryPolicy: &temporal.RetryPolicy{InitialInterval: 200 * time.Millisecond, MaximumInterval: 5 * time.Minute},
	})
}

// apply writes tr through the Apply local activity, then changes the in-memory state and tells
// the plan about a new stage.
func (l *lifecycle) apply(ctx workflow.Context, tr transition) error {
	l.endTermRequest(&tr)
	t := l.record(tr, l.transitionID(ctx))
	newStage := tr.stage != "" && tr.stage != l.st.Stage
	if newStage {
		// Tell the plan before the read model shows the new stage, so that a client who sees
		// the stage and then acts on the plan finds the plan already told.
		l.reportStage(ctx, tr.stage, len(tr.planItems) > 0)
	}
	// From notify-in-apply Apply mails the transition's notifications after its commit, the
	// mail sweep being the fallback: no SendNotifications activity (an activity task and one
	// more workflow task) per transition.
	t.MailNotify = len(tr.notify) > 0 && version(ctx, "notify-in-apply", 1) == 1
	var res domain.TransitionResult
	if err := workflow.ExecuteLocalActivity(localCtx(ctx), wire.Apply, t).Get(ctx, &res); err != nil {
		return err
	}
	for _, c := range tr.close {
		l.removeTask(c.TaskID)
		l.cancelTaskTimers(ctx, c.TaskID)
	}
	if len(tr.open) > 0 && version(ctx, "task-sla-timers", 1) == 1 {
		// T2: remind the working day before a task is due, escalate when it is overdue.
		for i := range tr.open {
			tr.open[i].DueAt, tr.open[i].RemindAt = res.Due[tr.open[i].ID], res.Remind[tr.open[i].ID]
			l.armTaskTimers(ctx, tr.open[i])
		}
	}
	l.st.OpenTasks = append(l.st.OpenTasks, tr.open...)
	if len(tr.notify) > 0 && !t.MailNotify && version(ctx, "send-notifications", 1) == 1 {
		sendNotifications(ctx, t.ID, &l.sending)
	}
	if newStage {
		l.st.Stage = tr.stage
		if tr.stage == domain.StageExpertReview {
			l.st.PanelWithdrawn = false // back in expert review: the next panel is its own
		}
		if tr.stage.Terminal() {
			l.st.OpenTasks = nil
		}
		l.upsertStage(ctx)
	}
	return nil
}

// saStage is the Stage search attribute (internal/platform.SearchAttributes registers it).
var saStage = temporal.NewSearchAttributeKeyKeyword("Stage")

// upsertStage keeps the run's Stage search attribute current (stage-search-attribute), so ops
// and the Temporal UI find runs by stage (`Stage = 'construction'`) without the read model. A
// failure (an attribute not registered) is logged, never fails the lifecycle: the read model
// is the source of truth.
func (l *lifecycle) upsertStage(ctx workflow.Context) {
	if version(ctx, "stage-search-attribute", 1) != 1 {
		return
	}
	if err := workflow.UpsertTypedSearchAttributes(ctx, saStage.ValueSet(string(l.st.Stage))); err != nil {
		workflow.GetLogger(ctx).Warn("stage search attribute not upserted", "stage", string(l.st.Stage), "error", err)
	}
}

// transitionID names the next transition.
func (l *lifecycle) transitionID(ctx workflow.Context) string {
	if l.cur != nil && l.cur.updateID != "" && version(ctx, "transition-id-by-update", 1) == 1 {
		// The id keys the transition's audit rows and notifications (written once per id), so
		// it must name the same change in every attempt of a workflow task. A counter does not
		// for Updates: when a task's completion is lost (worker or server killed after Apply
		// ran), the next attempt may take its Updates in another order, and a counter value
		// already written would drop another change's audit row and write this one's twice
		// (R18). Signals and timers are history events, replayed in the same order, so they
		// keep the counter, which Update transitions do not advance.
		l.cur.applies++
		return fmt.Sprintf("%s/%s/u/%s/%d", l.id, l.runID, l.cur.updateID, l.cur.applies)
	}
	l.st.Seq++
	return fmt.Sprintf("%s/%s/%d", l.id, l.runID, l.st.Seq)
}

// record is tr as the Apply activity writes it, under id.
func (l *lifecycle) record(tr transition, id string) domain.Transition {
	t := domain.Transition{
		ID:                id,
		WorkflowID:        l.id,
		ProjectID:         l.in.ProjectID,
		Stage:             tr.stage,
		Through:           tr.through,
		ApprovedAmountFen: tr.amount,
		Round:             tr.round,
		Close:             tr.close,
		Audit:             tr.audit,
		Notify:            tr.notify,
		PlanItems:         tr.planItems,
		Contract:          tr.contract,
		TrialRunEndsAt:    tr.trialRunEndsAt,
		OMFiling:          tr.omFiling,
		Evaluation:        tr.evaluation,
		EvaluationDue:     tr.evaluationDue,
		Change:            tr.change,
		Assign:            tr.assign,
		Closure:           tr.closure,
	}
	for _, o := range tr.open {
		t.Open = append(t.Open, domain.NewTask{ID: o.ID, Kind: o.Kind, ProjectID: l.in.ProjectID, CandidateRole: o.CandidateRole,
			CandidateOrgID: o.CandidateOrgID, AssigneeID: o.AssigneeID, DueWorkdays: l.in.Policy.ReviewDueWorkdays, Details: o.Details})
	}
	return t
}

// reportStage tells the plan the project's new stage (TellPlan, or before plan-report-local a
// signal), unless the plan reads stages from the read model.
func (l *lifecycle) reportStage(ctx workflow.Context, stage domain.Stage, supplementary bool) {
	prev := l.st.Stage
	l.st.Stage = stage
	if version(ctx, "plan-report-local", 1) == 1 {
		if !l.st.PlanReadsStages {
			l.tellPlan(ctx, supplementary)
		}
	} else {
		l.reportToPlan(ctx, supplementary)
	}
	l.st.Stage = prev
}

func (l *lifecycle) removeTask(id string) {
	out := l.st.OpenTasks[:0]
	for _, t := range l.st.OpenTasks {
		if t.ID != id {
			out = append(out, t)
		}
	}
	l.st.OpenTasks = out
}

// statusSignal is the project's report of its current stage to its plan.
func (l *lifecycle) statusSignal(supplementary bool) ProjectStatusSignal {
	return ProjectStatusSignal{ProjectID: l.in.ProjectID, UnitID: l.in.UnitID, Name: l.in.Name, EstimatedFen: l.in.EstimatedFen,
		Stage: l.st.Stage, PlanAmountFen: l.st.PlanAmountFen, Supplementary: supplementary}
}

// tellPlan tells AnnualPlan the project's new stage through the TellPlan local activity (one
// SignalWorkflow RPC) before Apply writes it: the plan validates its own decisions against
// what it has heard, and hears a stage before any client can see it. A plan that cannot be
// told within a minute is logged, never blocks the decision (as with reportToPlan). A plan
// that reads stages from the read model (plan-stages-from-read-model) is not signalled: the
// activity returns at once (activities.Activities.TellPlan).
func (l *lifecycle) tellPlan(ctx workflow.Context, supplementary bool) {
	lctx := workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{
		StartToCloseTimeout:    10 * time.Second,
		ScheduleToCloseTimeout: time.Minute,
		RetryPolicy:            &temporal.RetryPolicy{InitialInterval: 200 * time.Millisecond, MaximumInterval: 5 * time.Second},
	})
	// From plan-report-once the answer is read: once the plan year is known to read stages
	// from the read model, the lifecycle stops asking (one local activity, a marker event in
	// history and its round of the workflow task, saved on every later stage change).
	once := version(ctx, "plan-report-once", 1) == 1
	var res wire.PlanReportResult
	var out any
	if once {
		out = &res
	}
	err := workflow.ExecuteLocalActivity(lctx, wire.TellPlan, wire.PlanReport{WorkflowID: PlanWorkflowID(l.in.PlanYear), PlanYear: l.in.PlanYear,
		Signal: SignalProjectStatus, Status: l.statusSignal(supplementary)}).Get(ctx, out)
	if err != nil {
		workflow.GetLogger(ctx).Warn("plan not told of stage", "plan_year", l.in.PlanYear, "error", err)
		return
	}
	l.st.PlanReadsStages = once && res.PlanReadsStages
}

// reportToPlan is tellPlan before version plan-report-local: a SignalExternalWorkflow command
// whose delivery the decision waited for (kept for the histories recorded before it).
func (l *lifecycle) reportToPlan(ctx workflow.Context, supplementary bool) {
	s := l.statusSignal(supplementary)
	f := workflow.SignalExternalWorkflow(ctx, PlanWorkflowID(l.in.PlanYear), "", SignalProjectStatus, s)
	if err := f.Get(ctx, nil); err != nil {
		workflow.GetLogger(ctx).Warn("plan not told of stage", "plan_year", l.in.PlanYear, "error", err)
	}
}

// sendNotifications delivers a transition's notifications through a regular activity, in the
// background: the reply never waits for mail. pending counts sends in flight, so a run does not
// close (complete or continue as new) before they finish. A send that gives up after a day is
// recorded for ops (record-activity-failures; the rows stay unsent in the read model).
func sendNotifications(ctx workflow.Context, transitionID string, pending *int) {
	*pending++
	actx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: time.Minute,
		// Give up after a day: pending counts this send, and a send retried for ever would
		// hold the run open for ever (no yearly continue-as-new). Activity options are not
		// part of replay.
		ScheduleToCloseTimeout: 24 * time.Hour,
		RetryPolicy:            &temporal.RetryPolicy{InitialInterval: time.Second, MaximumInterval: 10 * time.Minute},
	})
	workflow.Go(ctx, func(ctx workflow.Context) {
		defer func() { *pending-- }()
		if err := workflow.ExecuteActivity(actx, wire.SendNotifications, transitionID).Get(ctx, nil); err != nil {
			workflow.GetLogger(ctx).Error("notifications not sent", "transition", transitionID, "error", err)
			if !temporal.IsCanceledError(err) && version(ctx, "record-activity-failures", 1) == 1 {
				recordGaveUp(ctx, "", wire.SendNotifications, wire.SendNotifications+"/"+transitionID, err, pending)
			}
		}
	})
}

// maxFailureText bounds the error text an activity failure records.
const maxFailureText = 2000

// recordGaveUp records, through the Apply local activity, that regular activity typ of this
// run gave up for good (record-activity-failures): a row the O1 stuck list shows until ops
// resolves it, an audit row (R18) and a notification to the ops role, which SendNotifications
// delivers unless the failed activity is that send itself. key names the failure within the
// run, so the write is idempotent. pending counts it while in flight, so the run does not close
// before it is recorded.
func recordGaveUp(ctx workflow.Context, projectID, typ, key string, cause error, pending *int) {
	*pending++
	defer func() { *pending-- }()
	info := workflow.GetInfo(ctx)
	wfID, runID := info.WorkflowExecution.ID, info.WorkflowExecution.RunID
	msg := cause.Error()
	if len(msg) > maxFailureText {
		msg = strings.ToValidUTF8(msg[:maxFailureText], "")
	}
	t := domain.Transition{
		ID: fmt.Sprintf("%s/%s/gave-up/%s", wfID, runID, key), WorkflowID: wfID, ProjectID: projectID,
		ActivityFailure: &domain.ActivityFailure{RunID: runID, ActivityType: typ, Error: msg},
		Audit: []domain.AuditItem{{ActorID: "system", Action: "activity.gave_up", ObjectType: "workflow", ObjectID: wfID,
			Outcome: "failed", Detail: map[string]any{"activity_type": typ, "run_id": runID, "error": msg}}},
		Notify: []domain.Notice{{Kind: "activity_failed", Role: domain.RoleOps, Body: msg,
			Title: fmt.Sprintf("流程 %s 的活动 %s 重试已用尽，需要运维处理", wfID, typ)}},
	}
	if err := workflow.ExecuteLocalActivity(localCtx(ctx), wire.Apply, t).Get(ctx, nil); err != nil {
		workflow.GetLogger(ctx).Error("activity failure not recorded", "activity_type", typ, "error", err)
		return
	}
	if typ != wire.SendNotifications {
		sendNotifications(ctx, t.ID, pending)
	}
}
