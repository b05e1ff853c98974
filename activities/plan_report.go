package activities

import (
	"context"
	"errors"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/temporal"
	"go.uber.org/zap"

	"egovpm/internal/domain"
)

// PlanReport is a signal a project lifecycle sends its year's AnnualPlan: its new stage.
type PlanReport struct {
	WorkflowID string               `json:"workflow_id"`
	Signal     string               `json:"signal"`
	Status     domain.ProjectStatus `json:"status"`
}

// TellPlan delivers r with one SignalWorkflow call, as a local activity that runs just before
// the transition's Apply: the plan has the new stage in its history before the read model
// shows it, in one RPC instead of a SignalExternalWorkflow command and the extra workflow
// task its delivery costs (~100 ms of every decision on the devserver, docs/PERFORMANCE.md).
// A retry may deliver the same report twice; the plan's handling of a stage report is
// idempotent. A plan that does not exist (or has closed) is logged and skipped, as a failed
// SignalExternalWorkflow was.
func (a *Activities) TellPlan(ctx context.Context, r PlanReport) error {
	if a.Temporal == nil {
		return temporal.NewNonRetryableApplicationError("no Temporal client to signal the plan", "Config", nil)
	}
	if r.WorkflowID == "" || r.Signal == "" || r.Status.ProjectID == "" {
		return temporal.NewNonRetryableApplicationError("incomplete plan report", "BadInput", nil)
	}
	err := a.Temporal.SignalWorkflow(ctx, r.WorkflowID, "", r.Signal, r.Status)
	var nf *serviceerror.NotFound
	if errors.As(err, &nf) {
		a.Log.Warn("plan not told of stage: no such open plan", zap.String("plan", r.WorkflowID), zap.Error(err))
		return nil
	}
	return err
}
