package workflows_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/workflow"

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
		Bundle: workflows.BundleResultSignal{BundleID: "b1", TaskID: bundle1Task, Comment: "p2 另行安排", Actor: ndrcAppr}}}, h.fanOuts)
	require.Equal(t, map[string][]workflows.BundleResultSignal{
		"project:p1": {{BundleID: "b1", TaskID: bundle1Task, Approved: true, Comment: "p2 另行安排", Actor: ndrcAppr}},
		"project:p2": {{BundleID: "b1", TaskID: bundle1Task, Excluded: true, Comment: "p2 另行安排", Actor: ndrcAppr}},
	}, h.bundleResults())
	for _, s := range h.sent(workflows.SignalBundleResult) {
		require.True(t, s.ByActivity, "sent by SignalMembers, not by a SignalExternalWorkflow command")
	}
	require.Equal(t, map[string]string{"p1": "approved", "p2": "excluded"}, h.transitions[1].Bundle.Outcomes,
		"the outcomes the activity reads are written by the decision's Apply")
}

// A plan run started before plan-fanout-activity keeps signalling each member from its own
// history (its recorded histories replay).
func TestPlanBundleDecisionOldRunSignalsEachMember(t *testing.T) {
	h := newPlan(t)
	startedBefore(t, h.env, "plan-baseline-fanout")
	h.env.OnGetVersion("plan-fanout-activity", workflow.DefaultVersion, 1).Return(workflow.DefaultVersion)
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
			[]domain.Stage{domain.StageApproved, domain.StageProcurement}},
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
