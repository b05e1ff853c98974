package workflows

import (
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.uber.org/zap"

	"egovpm/activities"
	"egovpm/internal/notify"
	"egovpm/internal/store"
)

// Register adds every workflow and activity of egovpm to r (a worker or a replayer's registry).
func Register(r worker.Registry, acts *activities.Activities) {
	r.RegisterWorkflow(ProjectLifecycle)
	r.RegisterWorkflow(AnnualPlan)
	r.RegisterWorkflow(AnnualCycle)
	if acts != nil {
		r.RegisterActivity(acts)
	}
}

// NewWorker builds the egovpm worker on taskQueue. It lives here (not in a main package) so that
// integration tests run exactly the worker that production runs.
// sender, when given, delivers notifications (default: the log).
func NewWorker(c client.Client, taskQueue string, st *store.Store, log *zap.Logger, sender ...notify.Sender) worker.Worker {
	w := worker.New(c, taskQueue, worker.Options{})
	acts := &activities.Activities{Store: st, Log: log, Temporal: c}
	if len(sender) > 0 {
		acts.Sender = sender[0]
	}
	Register(w, acts)
	return w
}
