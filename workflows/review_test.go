package workflows_test

import (
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"egovpm/internal/domain"
	"egovpm/workflows"
)

func TestR4_PanelOpensOneTaskPerExpertWithRecusal(t *testing.T) {
	h := newLifecycle(t)
	h.prelimApprove()
	h.signal(workflows.SignalPanel, workflows.PanelSignal{SessionID: "s1", Experts: append([]workflows.ExpertRef{{ID: "e-own", OrgID: unitA}}, panel3...)})
	var opened []workflows.OpenTask
	h.projectState(func(st workflows.ProjectState) {
		require.Equal(t, domain.StageExpertReview, st.Stage)
		require.Equal(t, panel3, st.Panel)
		opened = st.OpenTasks
	})
	// A second panel for the same project is ignored (the plan convenes each project once).
	h.signal(workflows.SignalPanel, workflows.PanelSignal{SessionID: "s2", Experts: []workflows.ExpertRef{{ID: "e9", OrgID: "univ-9"}}})
	h.projectState(func(st workflows.ProjectState) { require.Len(t, st.OpenTasks, 3) })
	h.cancel()
	h.runLifecycle(lifecycleInput(smallFen, policy2021()))
	h.requireCancelled()

	require.Len(t, opened, 3)
	for i, e := range panel3 {
		require.Equal(t, workflows.OpenTask{ID: expertTask(e.ID), Kind: domain.TaskExpertReview, CandidateRole: domain.RoleExpert, AssigneeID: e.ID}, opened[i])
	}
	var assignees []string
	for _, task := range h.opened() {
		if task.Kind == domain.TaskExpertReview {
			assignees = append(assignees, task.AssigneeID)
			require.Equal(t, 5, task.DueWorkdays)
		}
	}
	require.Equal(t, []string{"e1", "e2", "e3"}, assignees, "the unit's own expert gets no task")
	require.Contains(t, h.auditActions(), "expert_review.panel")
}

func TestR4_ExpertDecisionRefusals(t *testing.T) {
	h := newLifecycle(t)
	h.prelimApprove()
	h.signal(workflows.SignalPanel, workflows.PanelSignal{SessionID: "s1", Experts: append([]workflows.ExpertRef{{ID: "e-own", OrgID: unitA}}, panel3...)})
	cases := []struct {
		name   string
		u      workflows.DecideUpdate
		status domain.Kind
		code   string
	}{
		{"recused expert on another's task", workflows.DecideUpdate{TaskID: expertTask("e1"), Actor: expert("e-own", unitA),
			Decision: domain.DecisionPass, Score: score(90), Comment: "好"}, domain.StatusForbidden, "not_assignee"},
		{"recused expert has no task", workflows.DecideUpdate{TaskID: expertTask("e-own"), Actor: expert("e-own", unitA),
			Decision: domain.DecisionPass, Score: score(90), Comment: "好"}, domain.StatusConflict, "stale_task"},
		{"assignee now of the unit", workflows.DecideUpdate{TaskID: expertTask("e1"), Actor: expert("e1", unitA),
			Decision: domain.DecisionPass, Score: score(90), Comment: "好"}, domain.StatusForbidden, "recused"},
		{"other expert", workflows.DecideUpdate{TaskID: expertTask("e1"), Actor: expert("e2", "univ-2"),
			Decision: domain.DecisionPass, Score: score(90), Comment: "好"}, domain.StatusForbidden, "not_assignee"},
		{"assignee without expert role", workflows.DecideUpdate{TaskID: expertTask("e1"), Actor: domain.Actor{ID: "e1", OrgID: "univ-1", Roles: []string{domain.RoleFinance}},
			Decision: domain.DecisionPass, Score: score(90), Comment: "好"}, domain.StatusForbidden, "wrong_role"},
		{"score missing", workflows.DecideUpdate{TaskID: expertTask("e1"), Actor: expert("e1", "univ-1"),
			Decision: domain.DecisionPass, Comment: "好"}, domain.StatusBadRequest, "invalid_decision"},
		{"score above 100", workflows.DecideUpdate{TaskID: expertTask("e1"), Actor: expert("e1", "univ-1"),
			Decision: domain.DecisionPass, Score: score(101), Comment: "好"}, domain.StatusBadRequest, "invalid_decision"},
		{"score below 0", workflows.DecideUpdate{TaskID: expertTask("e1"), Actor: expert("e1", "univ-1"),
			Decision: domain.DecisionFail, Score: score(-1), Comment: "差"}, domain.StatusBadRequest, "invalid_decision"},
		{"opinion missing", workflows.DecideUpdate{TaskID: expertTask("e1"), Actor: expert("e1", "univ-1"),
			Decision: domain.DecisionPass, Score: score(90)}, domain.StatusBadRequest, "invalid_decision"},
		{"approve is not an expert decision", workflows.DecideUpdate{TaskID: expertTask("e1"), Actor: expert("e1", "univ-1"),
			Decision: domain.DecisionApprove, Score: score(90), Comment: "好"}, domain.StatusBadRequest, "invalid_decision"},
	}
	outs := make([]*outcome, len(cases))
	for i, c := range cases {
		outs[i] = h.decide(c.u)
	}
	h.projectState(func(st workflows.ProjectState) {
		require.Empty(t, st.Reviews, "no refused review may count")
		require.Len(t, st.OpenTasks, 3)
	})
	h.cancel()
	h.runLifecycle(lifecycleInput(smallFen, policy2021()))
	h.requireCancelled()

	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) { requireRejectedByValidator(t, outs[i], c.status, c.code) })
	}
}

func TestR4_MajorityPassAwaitsPlan(t *testing.T) {
	h := newLifecycle(t)
	h.prelimApprove()
	h.signal(workflows.SignalPanel, workflows.PanelSignal{SessionID: "s1", Experts: panel3})
	r1 := h.decide(workflows.DecideUpdate{TaskID: expertTask("e1"), Actor: expert("e1", "univ-1"), Decision: domain.DecisionPass, Score: score(90), Comment: "可行"})
	r2 := h.decide(workflows.DecideUpdate{TaskID: expertTask("e2"), Actor: expert("e2", "univ-2"), Decision: domain.DecisionFail, Score: score(50), Comment: "重复建设"})
	h.projectState(func(st workflows.ProjectState) {
		require.Equal(t, domain.StageExpertReview, st.Stage, "no outcome before the whole panel has reviewed")
		require.Len(t, st.OpenTasks, 1)
		require.Equal(t, expertTask("e3"), st.OpenTasks[0].ID)
	})
	again := h.decide(workflows.DecideUpdate{TaskID: expertTask("e1"), Actor: expert("e1", "univ-1"), Decision: domain.DecisionFail, Score: score(10), Comment: "改主意"})
	r3 := h.decide(workflows.DecideUpdate{TaskID: expertTask("e3"), Actor: expert("e3", "univ-3"), Decision: domain.DecisionPass, Score: score(70), Comment: "可行"})
	h.projectState(func(st workflows.ProjectState) {
		require.Equal(t, domain.StageAwaitingPlan, st.Stage)
		require.Empty(t, st.OpenTasks)
		require.Len(t, st.Reviews, 3)
	})
	h.cancel()
	h.runLifecycle(lifecycleInput(smallFen, policy2021()))
	h.requireCancelled()

	requireOK(t, r1)
	requireOK(t, r2)
	requireRejectedByValidator(t, again, domain.StatusConflict, "stale_task")
	requireOK(t, r3)
	res, ok := r3.result.(workflows.DecideResult)
	require.True(t, ok, "result is %T", r3.result)
	require.Equal(t, domain.StageAwaitingPlan, res.Stage)

	done := h.transitionTo(domain.StageAwaitingPlan)
	require.Equal(t, expertTask("e3"), done.Close[0].TaskID)
	require.Equal(t, map[string]any{"score": 70}, done.Close[0].Details)
	d := done.Audit[0].Detail
	require.Equal(t, 2, d["panel_pass"])
	require.Equal(t, 3, d["panel_size"])
	require.Equal(t, (90+50+70)/3, d["mean_score"])
	require.Equal(t, []domain.Stage{domain.StagePrelimReview, domain.StageExpertReview, domain.StageAwaitingPlan}, h.reportedStages())
}

func TestR4_MajorityFailRejects(t *testing.T) {
	h := newLifecycle(t)
	h.prelimApprove()
	h.signal(workflows.SignalPanel, workflows.PanelSignal{SessionID: "s1", Experts: panel3})
	h.review(panel3[0], true)
	h.review(panel3[1], false)
	last := h.review(panel3[2], false)
	h.runLifecycle(lifecycleInput(smallFen, policy2021()))
	h.requireResult(domain.StageRejected)

	requireOK(t, last)
	rejected := h.transitionTo(domain.StageRejected)
	require.Equal(t, "expert_review_failed", rejected.Audit[0].Detail["reason"])
	require.Equal(t, 1, rejected.Audit[0].Detail["panel_pass"])
}

// R4 outcome on an even panel: recusing one expert of the submitting unit leaves four of a
// panel of five (the plan signals the effective panel). The outcome is a strict majority of
// those who review: two passes of four is a tie, not a majority, and rejects; three pass.
func TestR4_EvenPanelAfterRecusalNeedsStrictMajority(t *testing.T) {
	panel4 := append(slices.Clone(panel3), workflows.ExpertRef{ID: "e4", OrgID: "finance"})
	for _, c := range []struct {
		passes []bool
		want   domain.Stage
	}{
		{[]bool{true, true, false, false}, domain.StageRejected},
		{[]bool{true, false, true, true}, domain.StageAwaitingPlan},
	} {
		h := newLifecycle(t)
		h.prelimApprove()
		h.signal(workflows.SignalPanel, workflows.PanelSignal{SessionID: "s1", Experts: panel4})
		var last *outcome
		for i, pass := range c.passes {
			last = h.review(panel4[i], pass)
		}
		if c.want == domain.StageAwaitingPlan {
			h.cancel()
			h.runLifecycle(lifecycleInput(smallFen, policy2021()))
			h.requireCancelled()
		} else {
			h.runLifecycle(lifecycleInput(smallFen, policy2021()))
			h.requireResult(domain.StageRejected)
		}
		requireOK(t, last)
		done := h.transitionTo(c.want)
		require.Equal(t, 4, done.Audit[0].Detail["panel_size"], "%v", c.passes)
	}
}

func TestR4_EarlyPanelHeldUntilPrelimApproval(t *testing.T) {
	h := newLifecycle(t)
	h.signal(workflows.SignalPanel, workflows.PanelSignal{SessionID: "s1", Experts: panel3})
	h.prelimApprove()
	h.projectState(func(st workflows.ProjectState) {
		require.Equal(t, domain.StageExpertReview, st.Stage)
		require.Len(t, st.OpenTasks, 3, "the held panel opened its tasks")
		require.Empty(t, st.Held)
	})
	h.cancel()
	h.runLifecycle(lifecycleInput(smallFen, policy2021()))
	h.requireCancelled()
}
