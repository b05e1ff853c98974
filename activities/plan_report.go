package activities

import (
	"context"
	"errors"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/temporal"
	"go.uber.org/zap"

	"egovpm/activities/wire"
	"egovpm/internal/domain"
	"egovpm/internal/logging"
)

// PlanReport, PlanReportResult and PlanProjectsInput are TellPlan's and LoadPlanProjects'
// payloads (package wire).
type (
	PlanReport        = wire.PlanReport
	PlanReportResult  = wire.PlanReportResult
	PlanProjectsInput = wire.PlanProjectsInput
)

// TellPlan delivers r with one SignalWorkflow call, as a local activity that runs just before
// the transition's Apply: the plan has the new stage in its history before the read model
// shows it, in one RPC instead of a SignalExternalWorkflow command and the extra workflow
// task its delivery costs.
// A retry may deliver the same report twice; the plan's handling of a stage report is
// idempotent. A plan that does not exist (or has closed) is logged and skipped, as a failed
// SignalExternalWorkflow was.
//
// A plan that reads stages from the read model (AnnualPlan from version
// plan-stages-from-read-model, recorded in plan_stage_sources) is not told at all: the signal
// and the plan workflow task it woke would be most of what a decision costs over the floor.
// Plans whose runs began before that version keep hearing reports until they continue as new,
// so the check is made per year, not by the lifecycle's version.
//
// The result says whether the plan reads stages from the read model: a lifecycle that learns
// it stops running this activity (plan-report-once; the year's plan never goes back).
func (a *Activities) TellPlan(ctx context.Context, r PlanReport) (PlanReportResult, error) {
	if a.Temporal == nil {
		return PlanReportResult{}, temporal.NewNonRetryableApplicationError("no Temporal client to signal the plan", "Config", nil)
	}
	if r.WorkflowID == "" || r.Signal == "" || r.Status.ProjectID == "" {
		return PlanReportResult{}, temporal.NewNonRetryableApplicationError("incomplete plan report", "BadInput", nil)
	}
	if r.PlanYear != 0 {
		reads, err := a.planReadsStages(ctx, r.PlanYear)
		if err != nil {
			return PlanReportResult{}, err
		}
		if reads {
			return PlanReportResult{PlanReadsStages: true}, nil
		}
	}
	err := a.Temporal.SignalWorkflow(ctx, r.WorkflowID, "", r.Signal, r.Status)
	var nf *serviceerror.NotFound
	if errors.As(err, &nf) {
		logging.Ctx(ctx, a.Log).Warn("plan not told of stage: no such open plan", zap.String("plan", r.WorkflowID), zap.Error(err))
		return PlanReportResult{}, nil
	}
	return PlanReportResult{}, err
}

// planReadsStages answers from memory once a year is known to read stages (it never goes
// back), else from plan_stage_sources.
func (a *Activities) planReadsStages(ctx context.Context, year int) (bool, error) {
	if _, ok := a.readsStages.Load(year); ok {
		return true, nil
	}
	reads, err := a.Store.PlanReadsStages(ctx, year)
	if err != nil {
		return false, err
	}
	if reads {
		a.readsStages.Store(year, true)
	}
	return reads, nil
}

// LoadPlanProjects reads projects for an AnnualPlan validating a decision (R4–R6). It runs as
// a local activity inside the plan's workflow task: the result is recorded in history, so
// replay sees what the plan saw.
func (a *Activities) LoadPlanProjects(ctx context.Context, in PlanProjectsInput) ([]domain.PlanProject, error) {
	if in.Bundleable {
		return withoutSessions(a.Store.BundleCandidates(ctx, in.Year))
	}
	if in.PrePlan {
		return withoutSessions(a.Store.PrePlanProjects(ctx, in.Year))
	}
	return a.Store.PlanProjects(ctx, in.IDs)
}

// withoutSessions are rows without their latest session: the year's reads (bundle candidates,
// the close's pre-plan projects) do not look at panels, and a session id in each of thousands
// of rows would only grow the plan's history (plan-lean-resume).
func withoutSessions(rows []domain.PlanProject, err error) ([]domain.PlanProject, error) {
	for i := range rows {
		rows[i].LatestSession, rows[i].SessionVersion = "", 0
	}
	return rows, err
}

// LoadPlanStages reads the projects a compile names, as LoadPlanProjects does, and answers
// only what the compile checks of them (wire.PlanStage, plan-compile-lean-read): its read of
// the 1,000 projects a request may name is recorded in the plan's history in one marker.
func (a *Activities) LoadPlanStages(ctx context.Context, in PlanProjectsInput) ([]wire.PlanStage, error) {
	rows, err := a.Store.PlanProjects(ctx, in.IDs)
	if err != nil {
		return nil, err
	}
	out := make([]wire.PlanStage, 0, len(rows))
	for _, r := range rows {
		if s, ok := wire.PlanStageOf(r, in.Year); ok {
			out = append(out, s)
		}
	}
	return out, nil
}

// SummarizeBundle counts the candidates of a bundle an AnnualPlan creates by reference
// (bundle-by-reference), as a local activity: its answer, recorded in history, holds counts,
// a digest and a few ids of each kind, not every candidate.
func (a *Activities) SummarizeBundle(ctx context.Context, in wire.BundleSummaryInput) (domain.BundleSummary, error) {
	return a.Store.BundleSummary(ctx, in.Year, in.BundleID, in.SmallBelowFen, in.DefaultRole, in.DefaultOrg, bundleSampleIDs)
}

// bundleSampleIDs is how many ids of each kind a bundle's summary lists (for a refusal's text).
const bundleSampleIDs = 20

// MarkPlanReadsStages records that the plan of year reads stages from the read model, so
// that lifecycles stop reporting them (TellPlan).
func (a *Activities) MarkPlanReadsStages(ctx context.Context, year int) error {
	return a.Store.MarkPlanReadsStages(ctx, year)
}
