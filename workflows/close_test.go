package workflows_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/workflow"

	"egovpm/internal/calendar"
	"egovpm/internal/domain"
	"egovpm/workflows"
)

// closingPolicy is the 2021 policy with the seeded year-end close: 31 December of the plan year.
func closingPolicy() domain.Policy {
	p := policy2021()
	p.PlanCloseMonth, p.PlanCloseDay = 12, 31
	return p
}

// closingPlan plays the 2026 plan from 31 December 2026 20:00 Asia/Shanghai (its close is four
// hours away) with projects in each stage around the plan, and cancels it the next day; the
// returned outcome is a convene after the close.
func closingPlan(t *testing.T, pol domain.Policy, old bool, setup ...func(*harness)) (*harness, *outcome) {
	h := newPlan(t)
	if old {
		startedBefore(t, h.env, "plan-baseline-close")
		h.env.OnGetVersion("year-end-close", workflow.DefaultVersion, 1).Return(workflow.DefaultVersion)
	}
	for _, f := range setup {
		f(h)
	}
	h.env.SetStartTime(time.Date(planYear, 12, 31, 20, 0, 0, 0, calendar.Shanghai))
	h.status("p-plan", unitA, smallFen, domain.StageAwaitingPlan)
	h.status("p-expert", unitA, smallFen, domain.StageExpertReview)
	h.status("p-prelim", "unit-b", largeFen, domain.StagePrelimReview)
	h.status("p-revision", unitA, smallFen, domain.StageRevision)
	h.status("p-approval", unitA, smallFen, domain.StageAwaitingApproval)
	h.status("p-rejected", unitA, smallFen, domain.StageRejected)
	h.setRow(domain.PlanProject{ProjectID: "p-next", PlanYear: planYear + 1, UnitID: unitA, EstimatedFen: smallFen,
		Stage: domain.StageAwaitingPlan})
	var convene *outcome
	h.env.RegisterDelayedCallback(func() {
		convene = &outcome{name: workflows.UpdateConvene}
		h.send(convene, "after-close", workflows.ConveneUpdate{SessionID: "s-late", Actor: drbReviewer, Experts: panel3,
			ProjectIDs: []string{"p-plan"}})
	}, 5*time.Hour)
	h.env.RegisterDelayedCallback(h.env.CancelWorkflow, 6*time.Hour)
	h.runPlan(pol)
	h.requireCancelled()
	return h, convene
}

// TestR5_YearEndCloseLeavesEveryPrePlanProjectNotIncluded (issue 19 item 5, year-end-close):
// at 23:59:59 Asia/Shanghai of its policy's close day the plan closes: one audit row by system
// names the projects of its year still before its decision (prelim review, revision, expert
// review, awaiting the plan), each of whose lifecycles is told by SignalYearEndClose; projects
// past the plan, closed, or of another year are left alone; a convene afterwards is refused
// with plan_closed.
//
// The projects are told by one SignalMembers activity (plan-close-fanout, issue 20 item 1) that
// reads them from the read model, not by one SignalExternalWorkflow each from the plan (more
// than 2,000 at a province's scale, the pending signals a run may have); a run started before
// plan-baseline-close-fanout still signals each from its history.
func TestR5_YearEndCloseLeavesEveryPrePlanProjectNotIncluded(t *testing.T) {
	for _, old := range []bool{false, true} {
		t.Run(fmt.Sprintf("started before plan-close-fanout: %v", old), func(t *testing.T) {
			h, convene := closingPlan(t, closingPolicy(), false, func(h *harness) {
				if old {
					startedBefore(t, h.env, "plan-baseline-close-fanout")
					h.env.OnGetVersion("plan-close-fanout", workflow.DefaultVersion, 1).Return(workflow.DefaultVersion)
				}
			})
			requireYearEndClose(t, h, convene)
			want := workflows.YearEndCloseSignal{PlanYear: planYear, ClosedAt: time.Date(planYear, 12, 31, 23, 59, 59, 0, calendar.Shanghai),
				Reason: "2026 年度计划已于 2026-12-31 23:59 截止，项目未纳入年度计划"}
			for _, s := range h.sent(workflows.SignalYearEndClose) {
				require.Equal(t, !old, s.ByActivity, "sent by SignalMembers in new runs, by the plan in old ones")
			}
			if old {
				require.Empty(t, h.fanOuts)
				return
			}
			require.Len(t, h.fanOuts, 1, "one activity for the whole close")
			fo := h.fanOuts[0]
			require.Equal(t, "plan:2026/u/year-end-close/1", fo.ID)
			require.Equal(t, workflows.SignalYearEndClose, fo.Signal)
			require.Equal(t, "project:", fo.WorkflowIDPrefix)
			require.NotNil(t, fo.Close)
			require.True(t, want.ClosedAt.Equal(fo.Close.ClosedAt))
			want.ClosedAt = fo.Close.ClosedAt
			require.Equal(t, want, *fo.Close)
			require.Nil(t, fo.Bundle)
			require.Nil(t, fo.Session)
			require.Nil(t, fo.Plan)
		})
	}
}

// requireYearEndClose checks the close of closingPlan's plan: the pre-plan projects of its
// year told, one audit row naming them, a convene afterwards refused.
func requireYearEndClose(t *testing.T, h *harness, convene *outcome) {
	t.Helper()
	sent := h.sent(workflows.SignalYearEndClose)
	var told []string
	for _, s := range sent {
		told = append(told, s.WorkflowID)
		sig := s.Arg.(workflows.YearEndCloseSignal)
		require.Equal(t, planYear, sig.PlanYear)
		require.Equal(t, time.Date(planYear, 12, 31, 23, 59, 59, 0, calendar.Shanghai).UTC(), sig.ClosedAt.UTC())
		require.Contains(t, sig.Reason, "年度计划已于 2026-12-31 23:59 截止")
	}
	require.ElementsMatch(t, []string{"project:p-plan", "project:p-expert", "project:p-prelim", "project:p-revision"}, told)

	var closes []domain.AuditItem
	for _, tr := range h.transitions {
		for _, a := range tr.Audit {
			if a.Action == "plan.year_end_close" {
				closes = append(closes, a)
				require.Equal(t, "plan:2026/u/year-end-close/1", tr.ID, "the close's transition id is the same in every attempt")
			}
		}
	}
	require.Len(t, closes, 1)
	require.Equal(t, "system", closes[0].ActorID)
	require.Equal(t, "plan", closes[0].ObjectType)
	require.ElementsMatch(t, []string{"p-plan", "p-expert", "p-prelim", "p-revision"}, closes[0].Detail["not_included"])
	requireRejectedByValidator(t, convene, domain.StatusConflict, workflows.CodePlanClosed)
}

// TestR5_NoYearEndCloseWithoutAPolicyCloseDayOrInRunsStartedBefore: a plan whose pinned policy
// has no close day (pinned before the field) never closes, as before; neither does a run started
// before year-end-close, whatever its policy says.
func TestR5_NoYearEndCloseWithoutAPolicyCloseDayOrInRunsStartedBefore(t *testing.T) {
	for name, c := range map[string]struct {
		pol domain.Policy
		old bool
	}{"policy without close day": {policy2021(), false}, "run started before": {closingPolicy(), true}} {
		t.Run(name, func(t *testing.T) {
			h, convene := closingPlan(t, c.pol, c.old)
			require.Empty(t, h.sent(workflows.SignalYearEndClose))
			require.NotContains(t, h.auditActions(), "plan.year_end_close")
			require.NotNil(t, convene)
			require.True(t, convene.completed || convene.rejected)
			if convene.err != nil {
				require.NotContains(t, convene.err.Error(), workflows.CodePlanClosed)
			}
		})
	}
}

// TestR5_YearEndCloseCancelsTasksAndTellsTheUnit (year-end-close): a project in expert review
// told of the close cancels its experts' tasks (their timers end), is not included (the run
// ends) with an audit row by system (the reason the unit's derived notice shows); a close of
// another year is ignored.
func TestR5_YearEndCloseCancelsTasksAndTellsTheUnit(t *testing.T) {
	h := newLifecycle(t)
	h.decide(workflows.DecideUpdate{TaskID: prelim1, Actor: drbReviewer, Decision: domain.DecisionApprove, Comment: "同意"})
	h.signal(workflows.SignalPanel, workflows.PanelSignal{SessionID: "s1", Experts: panel3})
	h.signal(workflows.SignalYearEndClose, workflows.YearEndCloseSignal{PlanYear: planYear + 1, Reason: "另一年度"})
	h.projectState(func(st workflows.ProjectState) {
		require.Equal(t, domain.StageExpertReview, st.Stage, "another year's close is ignored")
		require.Len(t, st.OpenTasks, 3)
	})
	h.signal(workflows.SignalYearEndClose, workflows.YearEndCloseSignal{PlanYear: planYear, Reason: "2026 年度计划已截止"})
	h.runLifecycle(lifecycleInput(smallFen, policy2021()))
	h.requireResult(domain.StageNotIncluded)

	tr := h.transitionTo(domain.StageNotIncluded)
	require.Len(t, tr.Close, 3)
	for _, c := range tr.Close {
		require.True(t, c.Cancelled)
		require.Empty(t, c.ActorID, "cancelled by the system, decided by nobody")
	}
	require.Equal(t, "plan.year_end_close", tr.Audit[0].Action)
	require.Equal(t, "system", tr.Audit[0].ActorID)
	require.Equal(t, "2026 年度计划已截止", tr.Audit[0].Detail["reason"])
	require.Empty(t, tr.Notify, "the unit is told by the not_included notice the stage derives (store.NoticeRules)")
}

// TestR5_YearEndCloseIgnoredByLifecyclesStartedBefore: a lifecycle run started before
// year-end-close ignores the signal (its history replays) and stays where it was.
func TestR5_YearEndCloseIgnoredByLifecyclesStartedBefore(t *testing.T) {
	h := newLifecycle(t)
	startedBefore(t, h.env, "lifecycle-baseline-close")
	h.env.OnGetVersion("year-end-close", workflow.DefaultVersion, 1).Return(workflow.DefaultVersion)
	h.signal(workflows.SignalYearEndClose, workflows.YearEndCloseSignal{PlanYear: planYear, Reason: "截止"})
	h.projectState(func(st workflows.ProjectState) {
		require.Equal(t, domain.StagePrelimReview, st.Stage)
		require.Len(t, st.OpenTasks, 1)
	})
	h.cancel()
	h.runLifecycle(lifecycleInput(smallFen, policy2021()))
	h.requireCancelled()
	require.NotContains(t, h.auditActions(), "plan.year_end_close")
}

// A project told of the close twice (SignalMembers retried in the page it had reached,
// plan-close-fanout), both in one workflow task or one after the other, is not included once
// (not_included ends the run; a repeat is also ignored outside the pre-plan stages).
func TestR5_RepeatedYearEndCloseAppliedOnce(t *testing.T) {
	h := newLifecycle(t)
	sig := workflows.YearEndCloseSignal{PlanYear: planYear, Reason: "2026 年度计划已截止"}
	h.step(func() {
		h.env.SignalWorkflow(workflows.SignalYearEndClose, sig)
		h.env.SignalWorkflow(workflows.SignalYearEndClose, sig)
	})
	h.signal(workflows.SignalYearEndClose, sig)
	h.runLifecycle(lifecycleInput(smallFen, policy2021()))
	h.requireResult(domain.StageNotIncluded)
	n := 0
	for _, a := range h.auditActions() {
		if a == "plan.year_end_close" {
			n++
		}
	}
	require.Equal(t, 1, n, "one close however often it arrives")
}
