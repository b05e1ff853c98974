package workflows

import (
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"egovpm/activities/wire"
	"egovpm/internal/calendar"
	"egovpm/internal/domain"
)

// AnnualCycleInput names the policy version in force when the schedule fires.
type AnnualCycleInput struct {
	PolicyVersion string `json:"policy_version"`
}

// AnnualCycle runs once a year from the Schedule (worker/setup.EnsureSchedule): it starts
// AnnualPlan for next year (id plan:<year>), whose timers send the T1 reminders. A plan already
// started (by a submission) is left as it is.
func AnnualCycle(ctx workflow.Context, in AnnualCycleInput) (int, error) {
	var pol domain.Policy
	if err := workflow.ExecuteLocalActivity(localCtx(ctx), wire.LoadPolicy, in.PolicyVersion).Get(ctx, &pol); err != nil {
		return 0, err
	}
	year := workflow.Now(ctx).In(calendar.Shanghai).Year() + 1
	opts := workflow.ChildWorkflowOptions{
		WorkflowID:        PlanWorkflowID(year),
		ParentClosePolicy: enumspb.PARENT_CLOSE_POLICY_ABANDON,
		StaticSummary:     PlanSummary(year),
	}
	// cycle-plan-priority: the plan runs ahead of its projects (PlanPriority), as the
	// gateway starts it; a cycle started before starts it at the default priority.
	if getVersion(ctx, "cycle-plan-priority", 1) == 1 {
		opts.Priority = PlanPriority
	}
	cctx := workflow.WithChildOptions(ctx, opts)
	err := workflow.ExecuteChildWorkflow(cctx, AnnualPlan, AnnualPlanInput{Year: year, Policy: pol}).
		GetChildWorkflowExecution().Get(ctx, nil)
	if err != nil && !temporal.IsWorkflowExecutionAlreadyStartedError(err) {
		return year, err
	}
	return year, nil
}
