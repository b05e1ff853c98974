package workflows_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"egovpm/activities"
	"egovpm/activities/wire"
	"egovpm/internal/domain"
	"egovpm/workflows"
)

// Issue 20 item 1 (plan-fanout-activity): a bundle decision reaches its members through one
// SignalMembers activity that reads them from the read model, not one SignalExternalWorkflow
// per member in the plan's history; the Update answers once the decision is applied and the
// activity scheduled, long before the last member has heard it.
func TestPlanBundleDecisionFansOutThroughOneActivity(t *testing.T) {
	h := newPlan(t)
	h.fanOutTakes = time.Hour
	h.env.OnActivity(a.SendNotifications, mock.Anything, mock.Anything).Return(0, nil).Maybe()
	bundleOf2(h)
	approve := h.decide(workflows.DecideUpdate{TaskID: bundle1Task, Actor: ndrcAppr, Decision: domain.DecisionApprove,
		ExcludedProjectIDs: []string{"p2"}, Comment: "p2 另行安排", RequestID: "req-4"})
	var answeredDuringFanOut, signalledDuringFanOut bool
	h.env.RegisterDelayedCallback(func() {
		answeredDuringFanOut = approve.completed && approve.err == nil
		signalledDuringFanOut = len(h.sent(workflows.SignalBundleResult)) > 0
	}, h.at+10*time.Minute)
	h.env.RegisterDelayedCallback(func() { h.env.CancelWorkflow() }, h.at+2*time.Hour)
	h.runPlan(policy2021())
	h.requireCancelled()

	requireOK(t, approve)
	require.True(t, answeredDuringFanOut, "the Update answers while the fan-out still runs")
	require.False(t, signalledDuringFanOut, "no member heard it from the plan itself")
	require.Equal(t, []wire.FanOut{{ID: planWorkflowID + "/u/upd-2/1", Signal: workflows.SignalBundleResult,
		WorkflowIDPrefix: "project:", PageSize: 200,
		Bundle: &workflows.BundleResultSignal{BundleID: "b1", TaskID: bundle1Task, Comment: "p2 另行安排", Actor: ndrcAppr}}}, h.fanOuts)
	require.Equal(t, map[string][]workflows.BundleResultSignal{
		"project:p1": {{BundleID: "b1", TaskID: bundle1Task, Approved: true, Comment: "p2 另行安排", Actor: ndrcAppr}},
		"project:p2": {{BundleID: "b1", TaskID: bundle1Task, Excluded: true, Comment: "p2 另行安排", Actor: ndrcAppr}},
	}, h.bundleResults())
	for _, s := range h.sent(workflows.SignalBundleResult) {
		require.True(t, s.ByActivity, "sent by SignalMembers, not by a SignalExternalWorkflow command")
	}
	require.Equal(t, map[string]string{"p1": "approved", "p2": "excluded"}, h.outcomes["b1"],
		"the outcomes the activity reads are written by the decision's Apply")
}

// A plan run started before plan-fanout-activity keeps signalling each member from its own
// history (its recorded histories replay).
func TestPlanBundleDecisionOldRunSignalsEachMember(t *testing.T) {
	h := newPlan(t)
	startedBefore(t, h.env, "plan-baseline-fanout")
	h.env.OnGetVersion("plan-fanout-activity", workflow.DefaultVersion, 1).Return(workflow.DefaultVersion)
	h.env.OnGetVersion("bundle-by-reference", workflow.DefaultVersion, 1).Return(workflow.DefaultVersion)
	bundleOf2(h)
	reject := h.decide(workflows.DecideUpdate{TaskID: bundle1Task, Actor: ndrcAppr, Decision: domain.DecisionReject, Comment: "资金不足"})
	h.cancel()
	h.runPlan(policy2021())
	h.requireCancelled()

	requireOK(t, reject)
	require.Empty(t, h.fanOuts)
	sent := h.sent(workflows.SignalBundleResult)
	require.Len(t, sent, 2)
	for _, s := range sent {
		require.False(t, s.ByActivity)
		require.Equal(t, workflows.BundleResultSignal{BundleID: "b1", TaskID: bundle1Task, Comment: "资金不足", Actor: ndrcAppr}, s.Arg)
	}
}

// A member signalled twice (SignalMembers retried in the page it had reached) applies its
// bundle's outcome once: the second arrives outside awaiting_approval and is ignored.
func TestR6_RepeatedBundleResultAppliedOnce(t *testing.T) {
	for _, c := range []struct {
		name  string
		sig   workflows.BundleResultSignal
		final []domain.Stage
	}{
		{"approved", workflows.BundleResultSignal{BundleID: "b1", TaskID: bundle1Task, Approved: true, Actor: ndrcAppr},
			[]domain.Stage{domain.StageAwaitingApproval, domain.StageProcurement}}, // through approved (bundle-approve-once)
		{"excluded", workflows.BundleResultSignal{BundleID: "b1", TaskID: bundle1Task, Excluded: true, Actor: ndrcAppr},
			[]domain.Stage{domain.StageRejected}},
	} {
		t.Run(c.name, func(t *testing.T) {
			h := newLifecycle(t)
			h.toAwaitingApproval(400_000_000)
			h.step(func() { // two in one workflow task: the page resent before the first is handled
				h.env.SignalWorkflow(workflows.SignalBundleResult, c.sig)
				h.env.SignalWorkflow(workflows.SignalBundleResult, c.sig)
			})
			h.signal(workflows.SignalBundleResult, c.sig)
			if c.final[len(c.final)-1] != domain.StageRejected {
				h.cancel()
			}
			h.runLifecycle(lifecycleInput(smallFen, policy2021()))
			stages := h.stages()
			require.Equal(t, c.final, stages[len(stages)-len(c.final):])
			n := 0
			for _, tr := range h.transitions {
				if len(tr.Audit) > 0 && (tr.Audit[0].Action == "bundle.approve" || tr.Audit[0].Action == "bundle.exclude") {
					n++
				}
			}
			require.Equal(t, 1, n, "one bundle transition however often the result arrives")
		})
	}
}

// The same for a convene's and a compile's fan-out: a panel repeated (also after the reviews
// are in) opens the expert tasks once, a plan result repeated moves the project once.
func TestRepeatedPanelAndPlanResultAppliedOnce(t *testing.T) {
	h := newLifecycle(t)
	h.prelimApprove()
	panel := workflows.PanelSignal{SessionID: "s1", Experts: panel3}
	h.step(func() {
		h.env.SignalWorkflow(workflows.SignalPanel, panel)
		h.env.SignalWorkflow(workflows.SignalPanel, panel)
	})
	h.signal(workflows.SignalPanel, panel)
	for _, e := range panel3 {
		h.review(e, true)
	}
	h.signal(workflows.SignalPanel, panel)
	included := workflows.PlanResultSignal{Included: true, ApprovedAmountFen: 400_000_000, Actor: drbReviewer}
	h.step(func() {
		h.env.SignalWorkflow(workflows.SignalPlanResult, included)
		h.env.SignalWorkflow(workflows.SignalPlanResult, included)
	})
	h.signal(workflows.SignalPlanResult, workflows.PlanResultSignal{Reason: "重复", Actor: drbReviewer})
	h.projectState(func(st workflows.ProjectState) {
		require.Equal(t, domain.StageAwaitingApproval, st.Stage)
		require.Equal(t, int64(400_000_000), st.PlanAmountFen)
	})
	h.cancel()
	h.runLifecycle(lifecycleInput(smallFen, policy2021()))
	h.requireCancelled()

	require.Equal(t, []domain.Stage{domain.StagePrelimReview, domain.StageExpertReview, domain.StageAwaitingPlan,
		domain.StageAwaitingApproval}, h.stages())
	opened := 0
	for _, task := range h.opened() {
		if task.Kind == domain.TaskExpertReview {
			opened++
		}
	}
	require.Equal(t, len(panel3), opened, "one task per expert, however often the panel arrives")
}

// signalMembers is the SignalMembers activity on the harness's read model: each project of
// the fan-out, in project id order, is signalled what the read model says it is told
// (recorded as sent by an activity).
func (h *harness) signalMembers(_ context.Context, in activities.FanOut) (activities.FanOutResult, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.fanOuts = append(h.fanOuts, in)
	h.fanOutAt = append(h.fanOutAt, h.env.Now())
	if h.fanOutErr != nil && (h.fanOutErrOn == "" || h.fanOutErrOn == in.Signal) {
		return activities.FanOutResult{}, h.fanOutErr
	}
	sigs, names := map[string]any{}, map[string]string{}
	switch {
	case in.Bundle != nil:
		for id, o := range h.outcomes[in.Bundle.BundleID] {
			sig := *in.Bundle
			sig.Approved, sig.Excluded = o == "approved", o == "excluded"
			sigs[id] = sig
		}
	case in.Session != nil:
		for _, id := range h.sessions[in.Session.SessionID] {
			sig := workflows.PanelSignal{SessionID: in.Session.SessionID}
			for _, e := range in.Session.Experts {
				if e.OrgID != h.rows[id].UnitID {
					sig.Experts = append(sig.Experts, e)
				}
			}
			sigs[id] = sig
		}
	case in.Plan != nil:
		for _, id := range in.Plan.ProjectIDs {
			it := h.items[id]
			sigs[id] = workflows.PlanResultSignal{Included: it.Included, ApprovedAmountFen: it.ApprovedAmountFen, Reason: it.Reason, Actor: in.Plan.Actor}
		}
	case in.Adjust != nil: // each change as named, an added project told its plan result
		for _, c := range in.Adjust.Changes {
			if c.Action == workflows.AdjustAdd {
				names[c.ProjectID] = in.Adjust.AddSignal
				sigs[c.ProjectID] = workflows.PlanResultSignal{Included: true, ApprovedAmountFen: c.AmountFen, Actor: in.Adjust.Actor}
				continue
			}
			sigs[c.ProjectID] = workflows.PlanAdjustedSignal{AdjustmentID: in.Adjust.AdjustmentID, Action: c.Action,
				AmountFen: c.AmountFen, Reason: in.Adjust.Reason, Actor: in.Adjust.Actor}
		}
	case in.Close != nil: // store.PrePlanPage: the year's projects in a pre-plan stage without a plan item
		for id, r := range h.rows {
			if r.PlanYear == in.Close.PlanYear && r.Stage.PrePlan() && !r.Planned {
				sigs[id] = *in.Close
			}
		}
	}
	for _, id := range slices.Sorted(maps.Keys(sigs)) {
		name := in.Signal
		if n, ok := names[id]; ok {
			name = n
		}
		h.signals = append(h.signals, sentSignal{WorkflowID: in.WorkflowIDPrefix + id, Name: name, Arg: sigs[id], ByActivity: true})
	}
	return activities.FanOutResult{Signalled: len(sigs)}, nil
}

// A convene and a compile fan out the same way (plan-fanout-activity): one SignalMembers each,
// naming the session (its projects are read from expert_session_projects) or the compiled
// projects (their items are read from plan_items); each project hears what signalAll told it.
// A run started before keeps signalling each project from the plan.
func TestPlanConveneAndCompileFanOut(t *testing.T) {
	for _, old := range []bool{false, true} {
		t.Run(fmt.Sprintf("started before: %v", old), func(t *testing.T) {
			h := newPlan(t)
			if old {
				startedBefore(t, h.env, "plan-baseline-fanout")
				h.env.OnGetVersion("plan-fanout-activity", workflow.DefaultVersion, 1).Return(workflow.DefaultVersion)
			}
			h.status("p1", unitA, smallFen, domain.StageExpertReview)
			h.status("p2", "unit-b", smallFen, domain.StageAwaitingPlan)
			h.status("p3", "unit-c", largeFen, domain.StageAwaitingPlan)
			convene := h.update(workflows.UpdateConvene, workflows.ConveneUpdate{SessionID: "s1", Actor: drbReviewer, Experts: sixExperts,
				ProjectIDs: []string{"p1"}})
			compile := h.update(workflows.UpdateCompile, workflows.CompileUpdate{Actor: drbReviewer,
				Included: []workflows.PlanInclusion{{ProjectID: "p2", ApprovedAmountFen: 400_000_000}},
				Excluded: []workflows.PlanExclusion{{ProjectID: "p3", Reason: "与已建系统重复"}}})
			h.cancel()
			h.runPlan(policy2021())
			h.requireCancelled()

			requireOK(t, convene)
			requireOK(t, compile)
			require.Equal(t, []workflows.PanelSignal{{SessionID: "s1", Experts: []workflows.ExpertRef{sixExperts[0], sixExperts[1],
				sixExperts[3], sixExperts[4], sixExperts[5]}}}, h.panelSent("p1"))
			require.Equal(t, map[string][]workflows.PlanResultSignal{
				"project:p2": {{Included: true, ApprovedAmountFen: 400_000_000, Actor: drbReviewer}},
				"project:p3": {{Reason: "与已建系统重复", Actor: drbReviewer}},
			}, h.planResults())
			for _, s := range append(h.sent(workflows.SignalPanel), h.sent(workflows.SignalPlanResult)...) {
				require.Equal(t, !old, s.ByActivity, s.WorkflowID)
			}
			if old {
				require.Empty(t, h.fanOuts)
				return
			}
			require.Equal(t, []wire.FanOut{
				{ID: planWorkflowID + "/u/upd-1/1", Signal: workflows.SignalPanel, WorkflowIDPrefix: "project:", PageSize: 200,
					Session: &workflows.PanelSignal{SessionID: "s1", Experts: sixExperts}},
				{ID: planWorkflowID + "/u/upd-2/1", Signal: workflows.SignalPlanResult, WorkflowIDPrefix: "project:", PageSize: 200,
					Plan: &wire.PlanFanOut{ProjectIDs: []string{"p2", "p3"}, Actor: drbReviewer}},
			}, h.fanOuts)
		})
	}
}

// A fan-out that gives up is recorded for ops (record-activity-failures), and the run goes on.
func TestPlanFanOutThatGivesUpIsRecorded(t *testing.T) {
	h := newPlan(t)
	h.fanOutErr = temporal.NewNonRetryableApplicationError("no such bundle", "NotDecided", nil)
	h.env.OnActivity(a.SendNotifications, mock.Anything, mock.Anything).Return(0, nil).Maybe()
	bundleOf2(h)
	approve := h.decide(workflows.DecideUpdate{TaskID: bundle1Task, Actor: ndrcAppr, Decision: domain.DecisionApprove})
	h.cancel()
	h.runPlan(policy2021())
	h.requireCancelled()

	requireOK(t, approve)
	var failures []*domain.ActivityFailure
	for _, tr := range h.transitions {
		if tr.ActivityFailure != nil {
			failures = append(failures, tr.ActivityFailure)
			require.Equal(t, planWorkflowID+"/"+tr.ActivityFailure.RunID+"/gave-up/SignalMembers/"+planWorkflowID+"/u/upd-2/1", tr.ID)
		}
	}
	require.Len(t, failures, 1)
	require.Equal(t, "SignalMembers", failures[0].ActivityType)
	require.Contains(t, failures[0].Error, "no such bundle")
}

// Issue 20 item 1 (plan-fanout-in-turn): a convene and a compile decided one right after the
// other both answer at once, and their fan-outs run one after the other, in that order: the
// compile's SignalMembers starts when the convene's has ended, here 20 minutes later (within
// fanOutTurnWait). A run started before plan-fanout-turn-bounded does the same; one started
// before plan-fanout-in-turn runs them side by side.
func TestPlanFanOutsGoInTurn(t *testing.T) {
	for _, started := range []string{"now", "plan-baseline-fanout-in-turn", "plan-baseline-lean-resume"} {
		t.Run(started, func(t *testing.T) {
			h := newPlan(t)
			startedUnder(t, h, started)
			h.fanOutTakes = 20 * time.Minute
			convene, compile := conveneThenCompile(h)
			var answered bool
			h.env.RegisterDelayedCallback(func() { answered = convene.completed && compile.completed }, h.at+time.Minute)
			h.env.RegisterDelayedCallback(func() { h.env.CancelWorkflow() }, h.at+3*time.Hour)
			h.runPlan(policy2021())
			h.requireCancelled()

			requireOK(t, convene)
			requireOK(t, compile)
			require.True(t, answered, "both answer before either fan-out has ended")
			require.Len(t, h.fanOuts, 2)
			require.Equal(t, workflows.SignalPanel, h.fanOuts[0].Signal)
			require.Equal(t, workflows.SignalPlanResult, h.fanOuts[1].Signal)
			gap := h.fanOutAt[1].Sub(h.fanOutAt[0])
			if started == "plan-baseline-lean-resume" {
				require.Less(t, gap, time.Minute, "side by side")
				return
			}
			require.GreaterOrEqual(t, gap, 20*time.Minute, "the compile's fan-out waits for the convene's")
		})
	}
}

// Issue 20 item 1 (plan-fanout-turn-bounded): a fan-out that keeps failing with a retryable
// error (SignalMembers retries for a day; each attempt here fails after 10 minutes, and the
// test environment stops at 10 attempts) holds back the one decided after it for
// fanOutTurnWait (30 minutes), no longer; in a run started before, for as long as it retries.
func TestPlanFanOutTurnIsBounded(t *testing.T) {
	for _, started := range []string{"now", "plan-baseline-fanout-in-turn"} {
		t.Run(started, func(t *testing.T) {
			h := newPlan(t)
			startedUnder(t, h, started)
			h.env.OnActivity(a.SendNotifications, mock.Anything, mock.Anything).Return(0, nil).Maybe()
			h.fanOutErr, h.fanOutErrOn = errors.New("读模型暂不可用"), workflows.SignalPanel
			h.fanOutTakes = 10 * time.Minute
			convene, compile := conveneThenCompile(h)
			h.env.RegisterDelayedCallback(func() { h.env.CancelWorkflow() }, h.at+4*time.Hour)
			h.runPlan(policy2021())
			h.requireCancelled()

			requireOK(t, convene)
			requireOK(t, compile)
			var compiles []time.Time
			for i, f := range h.fanOuts {
				if f.Signal == workflows.SignalPlanResult {
					compiles = append(compiles, h.fanOutAt[i])
				}
			}
			require.Len(t, compiles, 1)
			require.Len(t, h.fanOuts, 11, "the convene's fan-out tried 10 times")
			waited := compiles[0].Sub(h.fanOutAt[0])
			if started != "now" {
				require.Greater(t, waited, 90*time.Minute, "held back while the convene's fan-out retries")
				return
			}
			require.GreaterOrEqual(t, waited, 29*time.Minute, "it waits its turn first")
			require.Less(t, waited, 32*time.Minute, "and not longer than fanOutTurnWait")
		})
	}
}

// startedUnder plays a plan run started under the named plan baseline ("now": this code's).
func startedUnder(t *testing.T, h *harness, baseline string) {
	switch baseline {
	case "now":
	case "plan-baseline-fanout-in-turn":
		startedBefore(t, h.env, "plan-baseline-turn-bounded")
		h.env.OnGetVersion(baseline, workflow.DefaultVersion, 1).Return(workflow.Version(1))
		h.env.OnGetVersion("plan-fanout-turn-bounded", workflow.DefaultVersion, 1).Return(workflow.DefaultVersion)
	case "plan-baseline-lean-resume":
		startedBefore(t, h.env, "plan-baseline-fanout-in-turn")
		h.env.OnGetVersion(baseline, workflow.DefaultVersion, 1).Return(workflow.Version(1))
		h.env.OnGetVersion("plan-fanout-in-turn", workflow.DefaultVersion, 1).Return(workflow.DefaultVersion)
	default:
		t.Fatalf("no such baseline in startedUnder: %s", baseline)
	}
}

// conveneThenCompile decides a convene and then a compile, each with a project to tell.
func conveneThenCompile(h *harness) (convene, compile *outcome) {
	h.status("p1", unitA, smallFen, domain.StageExpertReview)
	h.status("p2", "unit-b", smallFen, domain.StageAwaitingPlan)
	convene = h.update(workflows.UpdateConvene, workflows.ConveneUpdate{SessionID: "s1", Actor: drbReviewer, Experts: sixExperts,
		ProjectIDs: []string{"p1"}})
	compile = h.update(workflows.UpdateCompile, workflows.CompileUpdate{Actor: drbReviewer,
		Included: []workflows.PlanInclusion{{ProjectID: "p2", ApprovedAmountFen: 400_000_000}}})
	return convene, compile
}
