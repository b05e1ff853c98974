package workflows

import (
	"slices"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"egovpm/activities/wire"
)

// fanOutPageSize is the members SignalMembers reads and signals at a time.
const fanOutPageSize = 200

// fanOut schedules the decision in to be signalled to its projects by the SignalMembers
// activity (plan-fanout-activity, issue 20 item 1) and returns: the Update that decided
// answers once the decision is applied, not when the last project has heard it; the activity
// is scheduled once the fan-outs decided before it have ended (plan-fanout-in-turn), or it has
// waited fanOutTurnWait for them (plan-fanout-turn-bounded, awaitTurn). The
// activity reads the projects and what each is told from the read model (the decision's Apply
// wrote it), in pages, heartbeating its cursor, so the plan's history
// holds three events for the fan-out whatever its size (signalAll recorded two per project,
// woke the plan for each delivery, and could not send more than 2,000). sending counts it, so
// the run does not continue as new before it is done. A fan-out that gives up after a day is
// recorded for ops (record-activity-failures).
func (p *plan) fanOut(ctx workflow.Context, in wire.FanOut) {
	actx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout:    fanOutTurnWait,
		HeartbeatTimeout:       time.Minute,
		ScheduleToCloseTimeout: 24 * time.Hour,
		RetryPolicy:            &temporal.RetryPolicy{InitialInterval: time.Second, MaximumInterval: time.Minute},
	})
	in.WorkflowIDPrefix, in.PageSize = ProjectWorkflowID(""), fanOutPageSize
	// plan-fanout-in-turn: the run's fan-outs go one after another, in the order decided.
	// The plan's requests are served ahead of its projects (PlanPriority), so a large year's
	// convene and compile requests now all answer before the first fan-out has ended; run
	// side by side, their projects' workflow tasks would crowd one task queue together and
	// every request's projects would reach their next stage only at the end of all of them.
	inTurn := version(ctx, "plan-fanout-in-turn", 1) == 1
	bounded := inTurn && version(ctx, "plan-fanout-turn-bounded", 1) == 1
	ticket := p.fanOutTickets
	if inTurn {
		p.fanOutTickets++
		p.fanOutOpen = append(p.fanOutOpen, ticket)
	}
	p.sending++
	workflow.Go(ctx, func(ctx workflow.Context) {
		defer func() { p.sending-- }()
		if inTurn {
			defer p.endTurn(ticket, bounded)
			if !p.awaitTurn(ctx, in.ID, ticket, bounded) {
				return // the run is cancelled
			}
		}
		var res wire.FanOutResult
		if err := workflow.ExecuteActivity(actx, wire.SignalMembers, in).Get(ctx, &res); err != nil {
			workflow.GetLogger(ctx).Error("decision not signalled to every project", "fan_out", in.ID, "signal", in.Signal, "error", err)
			if !temporal.IsCanceledError(err) && version(ctx, "record-activity-failures", 1) == 1 {
				recordGaveUp(ctx, "", wire.SignalMembers, wire.SignalMembers+"/"+in.ID, err, &p.sending)
			}
			return
		}
		if res.Missing > 0 {
			workflow.GetLogger(ctx).Warn("projects not found open", "fan_out", in.ID, "signal", in.Signal, "missing", res.Missing)
		}
	})
}

// fanOutTurnWait is how long a fan-out waits for the ones decided before it to end
// (plan-fanout-turn-bounded) before it runs beside them: the time one attempt of
// SignalMembers may take, so that one still running after it is retrying.
const fanOutTurnWait = 30 * time.Minute

// awaitTurn waits until the fan-out holding ticket may run, and reports false if the run was
// cancelled meanwhile. Its turn comes when every fan-out decided before it has ended; since
// plan-fanout-turn-bounded, or after fanOutTurnWait, whichever is first. SignalMembers retries
// for up to a day, so one fan-out failing with a retryable error (a project's workflow task
// failing, the read model refusing one page) would otherwise hold back every later fan-out of
// the year, a bundle approval's included, for that day. Fan-outs that have waited their
// fanOutTurnWait run side by side, as before plan-fanout-in-turn.
func (p *plan) awaitTurn(ctx workflow.Context, id string, ticket int, bounded bool) bool {
	if !bounded {
		return workflow.Await(ctx, func() bool { return p.fanOutTurn == ticket }) == nil
	}
	inTurn := func() bool { return p.fanOutOpen[0] == ticket }
	if inTurn() {
		return true
	}
	ok, err := workflow.AwaitWithTimeout(ctx, fanOutTurnWait, inTurn)
	if err != nil {
		return false
	}
	if !ok {
		workflow.GetLogger(ctx).Warn("fan-out runs beside one decided before it, which has not ended",
			"fan_out", id, "waited", fanOutTurnWait, "ahead", p.fanOutOpen[0])
	}
	return true
}

// endTurn marks the fan-out holding ticket ended.
func (p *plan) endTurn(ticket int, bounded bool) {
	if !bounded {
		p.fanOutTurn++
	}
	p.fanOutOpen = slices.DeleteFunc(p.fanOutOpen, func(t int) bool { return t == ticket })
}

// fanOutByActivity reports whether this run fans decisions out through SignalMembers
// (plan-fanout-activity); runs started before signal each project from the plan (signalAll).
func (p *plan) fanOutByActivity(ctx workflow.Context) bool {
	return version(ctx, "plan-fanout-activity", 1) == 1
}
