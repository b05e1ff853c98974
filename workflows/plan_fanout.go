package workflows

import (
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"egovpm/activities/wire"
)

// fanOutPageSize is the members SignalMembers reads and signals at a time.
const fanOutPageSize = 200

// fanOutBundle schedules the decision on bundle sig.BundleID to be signalled to its members by
// the SignalMembers activity (plan-fanout-activity, issue 20 item 1) and returns: the Update
// that decided answers once the decision is applied and the activity scheduled, not when the
// last member has heard it. The activity reads the members and their outcomes from the read
// model (the decision's Apply wrote them), in pages, heartbeating its cursor, so the plan's
// history holds three events for the fan-out whatever the bundle's size (signalAll recorded
// two per member, woke the plan for the deliveries, and could not send more than 2,000).
// sending counts it, so the run does not continue as new before it is done. A fan-out that
// gives up after a day is recorded for ops (record-activity-failures).
func (p *plan) fanOutBundle(ctx workflow.Context, transitionID string, sig BundleResultSignal) {
	actx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout:    30 * time.Minute,
		HeartbeatTimeout:       time.Minute,
		ScheduleToCloseTimeout: 24 * time.Hour,
		RetryPolicy:            &temporal.RetryPolicy{InitialInterval: time.Second, MaximumInterval: time.Minute},
	})
	in := wire.FanOut{ID: transitionID, Signal: SignalBundleResult, WorkflowIDPrefix: ProjectWorkflowID(""),
		Bundle: sig, PageSize: fanOutPageSize}
	p.sending++
	workflow.Go(ctx, func(ctx workflow.Context) {
		defer func() { p.sending-- }()
		var res wire.FanOutResult
		if err := workflow.ExecuteActivity(actx, wire.SignalMembers, in).Get(ctx, &res); err != nil {
			workflow.GetLogger(ctx).Error("bundle decision not signalled to every member", "bundle_id", sig.BundleID, "error", err)
			if !temporal.IsCanceledError(err) {
				recordGaveUp(ctx, "", wire.SignalMembers, wire.SignalMembers+"/"+transitionID, err, &p.sending)
			}
			return
		}
		if res.Missing > 0 {
			workflow.GetLogger(ctx).Warn("bundle members not found open", "bundle_id", sig.BundleID, "missing", res.Missing)
		}
	})
}
