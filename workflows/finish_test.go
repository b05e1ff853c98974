package workflows_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/workflow"

	"egovpm/internal/domain"
	"egovpm/workflows"
)

// lateFilingWhileClosing runs omState's first O&M year past its deadline unfiled, with every
// notification send taking ten minutes, and files year 1 five minutes after the deadline: the
// run has flagged the year overdue and waits for the om_overdue send before it continues as
// new. old runs it as code before finish-late-updates.
func lateFilingWhileClosing(t *testing.T, old bool) (*harness, *outcome) {
	start := shanghaiTime(2027, 1, 10, 9, 0, 0)
	h := newLifecycle(t)
	h.env.SetStartTime(start)
	h.env.SetTestTimeout(10 * time.Second)
	h.env.OnActivity(a.SendNotifications, mock.Anything, mock.Anything).After(10 * time.Minute).Return(
		func(context.Context, string) (int, error) { return 1, nil }).Maybe()
	if old {
		startedBefore(t, h.env, "lifecycle-baseline-finish")
		h.env.OnGetVersion("lifecycle-baseline-change", workflow.DefaultVersion, 1).Return(workflow.Version(1))
		h.env.OnGetVersion("finish-late-updates", workflow.DefaultVersion, 1).Return(workflow.DefaultVersion)
		h.env.OnGetVersion("notify-in-apply", workflow.DefaultVersion, 1).Return(workflow.DefaultVersion)
	} else {
		// The wait is for the send activity of a run started before notify-in-apply.
		beforeNotifyInApply(t, h.env)
	}
	deadline := omState().OMDeadline.Sub(start)
	h.skipTo(deadline + 5*time.Minute)
	late := h.omReport(submitter, 1)
	h.runLifecycle(resumedInput(policy2021(), omState()))
	return h, late
}

// R13, finish-late-updates: a late filing that arrives while the run that flagged its year
// overdue is closing (waiting for a notification send) is handled there, marked late, and the
// run continues as new without the year in its overdue list. Before the change the handler
// and the closing run waited on each other for ever (CI: the browser's 逾期补报 timed out).
func TestR13_FilingWhileTheYearClosesIsHandledBeforeContinueAsNew(t *testing.T) {
	h, late := lateFilingWhileClosing(t, false)
	next := h.requireContinuedAsNew()
	requireOK(t, late)
	require.Equal(t, workflows.DecideResult{Decision: workflows.UpdateOMReport, Stage: domain.StageOM, Late: true}, late.result)
	require.Empty(t, next.Resume.OMOverdue, "the year filed late is not carried as overdue")
	require.Equal(t, 2, next.Resume.OMYear)
	fs := h.omFilings()
	require.Equal(t, domain.OMFiling{Year: 1, Filed: true, Late: true, DocumentID: "d-om-1", FiledBy: submitter.ID}, fs[len(fs)-1])
}

// finish-late-updates: a run of code before it keeps the old wait (replaying such a history
// must not add commands), so the filing is never answered and the run does not close.
func TestR13_OldRunStillWaitsOnAFilingWhileTheYearCloses(t *testing.T) {
	h, late := lateFilingWhileClosing(t, true)
	var can *workflow.ContinueAsNewError
	require.False(t, errors.As(h.env.GetWorkflowError(), &can), "the old run never closes: %v", h.env.GetWorkflowError())
	require.False(t, late.completed, "the filing is never answered in the old run")
}

// lateBundleWhileContinuing creates bundles b0 (its approval task's notice takes ten minutes to
// send) and b1 (one minute); the server then suggests continue-as-new, and when b1's send is
// done the run waits for b0's to continue as new; bundle b2 comes three minutes in, during
// that wait. old plays a run before plan-finish-late-updates.
func lateBundleWhileContinuing(t *testing.T, old bool) (h *harness, first, late *outcome) {
	h = newPlan(t)
	h.env.SetTestTimeout(10 * time.Second)
	h.env.OnActivity(a.SendNotifications, mock.Anything, mock.Anything).After(10*time.Minute).Return(1, nil).Once()
	h.env.OnActivity(a.SendNotifications, mock.Anything, mock.Anything).After(time.Minute).Return(1, nil).Maybe()
	if old {
		startedBefore(t, h.env, "plan-baseline-finish")
		h.env.OnGetVersion("plan-baseline-correctness", workflow.DefaultVersion, 1).Return(workflow.Version(1))
		h.env.OnGetVersion("plan-finish-late-updates", workflow.DefaultVersion, 1).Return(workflow.DefaultVersion)
	}
	for _, p := range []string{"p0", "p1", "p2"} {
		h.status(p, unitA, smallFen, domain.StageAwaitingApproval)
	}
	h.update(workflows.UpdateCreateBundle, workflows.BundleUpdate{BundleID: "b0", Actor: drbReviewer, ProjectIDs: []string{"p0"}})
	first = h.update(workflows.UpdateCreateBundle, workflows.BundleUpdate{BundleID: "b1", Actor: drbReviewer, ProjectIDs: []string{"p1"}})
	h.step(func() { h.env.SetContinueAsNewSuggested(true) })
	h.skipTo(3 * time.Minute)
	late = h.update(workflows.UpdateCreateBundle, workflows.BundleUpdate{BundleID: "b2", Actor: drbReviewer, ProjectIDs: []string{"p2"}})
	h.runPlan(policy2021())
	return h, first, late
}

// R6, plan-finish-late-updates: a bundle created while the plan run waits to continue as new
// is created in that run and carried into the next.
func TestR6_BundleWhileThePlanContinuesAsNewIsCreated(t *testing.T) {
	h, first, late := lateBundleWhileContinuing(t, false)
	requireOK(t, first)
	requireOK(t, late)
	var can *workflow.ContinueAsNewError
	require.ErrorAs(t, h.env.GetWorkflowError(), &can, "the run continues as new once the sends are done")
	ids := []string{}
	for _, tr := range h.transitions {
		if tr.Bundle != nil {
			ids = append(ids, tr.Bundle.ID)
		}
	}
	require.Equal(t, []string{"b0", "b1", "b2"}, ids)
}

// plan-finish-late-updates: a plan run before it keeps the old wait, which the second bundle's
// Update never ends (replaying such a history must not add commands).
func TestR6_OldPlanRunStillWaitsOnABundleWhileContinuing(t *testing.T) {
	_, first, late := lateBundleWhileContinuing(t, true)
	requireOK(t, first)
	require.False(t, late.completed, "the old run never answers the late bundle")
}
