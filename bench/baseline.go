package bench

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"egovpm/workflows"
)

// BaselineQueue is the task queue of the bare baseline workflows (their worker runs in the
// bench process).
const BaselineQueue = "bench-baseline"

// BaselineInput chooses what the baseline's Update handler runs.
type BaselineInput struct {
	// Local runs one local activity (the floor); otherwise one regular activity (the naive
	// design).
	Local bool `json:"local"`
	// SignalTo, when set, makes the handler first signal that workflow and wait until the
	// signal is delivered, as ProjectLifecycle reports every new stage to its year's
	// AnnualPlan before writing it (a diagnostic baseline: many workflows signalling one).
	SignalTo string `json:"signal_to,omitempty"`
	// Versions makes the handler first call workflow.GetVersion for that many change ids new
	// to the run (a diagnostic baseline: the SDK records a marker and upserts the
	// TemporalChangeVersion search attribute, a visibility write on the server, the first time
	// a run meets a change id).
	Versions int `json:"versions,omitempty"`
}

// BaselineWorkflow takes the same Update as a project lifecycle (workflows.UpdateDecide with a
// workflows.DecideUpdate) and answers it after one no-op activity, with no gateway, store or
// audit. It stays open, like a project after a decision.
func BaselineWorkflow(ctx workflow.Context, in BaselineInput) error {
	decided := map[string]bool{}
	err := workflow.SetUpdateHandlerWithOptions(ctx, workflows.UpdateDecide,
		func(ctx workflow.Context, u workflows.DecideUpdate) (workflows.DecideResult, error) {
			decided[u.TaskID] = true
			var out string
			var err error
			if in.SignalTo != "" {
				f := workflow.SignalExternalWorkflow(ctx, in.SignalTo, "", SinkSignal, u.TaskID)
				if err := f.Get(ctx, nil); err != nil {
					return workflows.DecideResult{}, err
				}
			}
			for i := range in.Versions {
				workflow.GetVersion(ctx, fmt.Sprintf("bench-version-%d", i), workflow.DefaultVersion, 1)
			}
			if in.Local {
				lctx := workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{StartToCloseTimeout: 15 * time.Second})
				err = workflow.ExecuteLocalActivity(lctx, NoopActivity, u.TaskID).Get(ctx, &out)
			} else {
				actx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{StartToCloseTimeout: 15 * time.Second,
					RetryPolicy: &temporal.RetryPolicy{MaximumAttempts: 3}})
				err = workflow.ExecuteActivity(actx, NoopActivity, u.TaskID).Get(ctx, &out)
			}
			if err != nil {
				return workflows.DecideResult{}, err
			}
			return workflows.DecideResult{TaskID: u.TaskID, Decision: u.Decision, Stage: "expert_review"}, nil
		},
		workflow.UpdateHandlerOptions{Validator: func(ctx workflow.Context, u workflows.DecideUpdate) error {
			if u.TaskID == "" || decided[u.TaskID] {
				return errors.New("stale task")
			}
			return nil
		}},
	)
	if err != nil {
		return err
	}
	// Never returns on its own: like a project waiting for its next step.
	return workflow.Await(ctx, func() bool { return false })
}

// SinkSignal is the signal BaselineSink drains.
const SinkSignal = "status"

// BaselineSink receives the diagnostic baseline's signals, as AnnualPlan receives every
// project's stage reports: it only counts them, and continues as new when its history grows.
func BaselineSink(ctx workflow.Context, n int) (int, error) {
	ch := workflow.GetSignalChannel(ctx, SinkSignal)
	for {
		var s string
		ok, _ := ch.ReceiveWithTimeout(ctx, time.Hour, &s)
		if ok {
			n++
		}
		if workflow.GetInfo(ctx).GetContinueAsNewSuggested() {
			for ch.ReceiveAsync(&s) {
				n++
			}
			return n, workflow.NewContinueAsNewError(ctx, BaselineSink, n)
		}
	}
}

// NoopActivity does nothing: the baselines measure Temporal's cost alone.
func NoopActivity(_ context.Context, s string) (string, error) { return s, nil }

// StartBaselineWorker runs the baselines' worker in this process.
func StartBaselineWorker(c client.Client) (worker.Worker, error) {
	w := worker.New(c, BaselineQueue, worker.Options{})
	w.RegisterWorkflow(BaselineWorkflow)
	w.RegisterWorkflow(BaselineSink)
	w.RegisterActivity(NoopActivity)
	return w, w.Start()
}

// StartBaselines starts one baseline workflow per id (and the sink of in.SignalTo).
func StartBaselines(ctx context.Context, c client.Client, ids []string, in BaselineInput) error {
	if in.SignalTo != "" {
		if _, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: in.SignalTo, TaskQueue: BaselineQueue}, BaselineSink, 0); err != nil {
			return err
		}
	}
	return Parallel(ctx, 16, ids, func(ctx context.Context, id string) error {
		_, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: id, TaskQueue: BaselineQueue}, BaselineWorkflow, in)
		return err
	})
}

// BaselineDecide sends the decision Update to a baseline workflow and waits for its outcome, as
// the gateway does.
func BaselineDecide(ctx context.Context, c client.Client, workflowID, updateID string, u workflows.DecideUpdate) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	h, err := c.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
		UpdateID: updateID, WorkflowID: workflowID, UpdateName: workflows.UpdateDecide, Args: []any{u},
		WaitForStage: client.WorkflowUpdateStageCompleted,
	})
	if err != nil {
		return err
	}
	var res workflows.DecideResult
	return h.Get(ctx, &res)
}
