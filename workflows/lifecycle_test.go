package workflows_test

import (
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"egovpm/activities"
	"egovpm/internal/domain"
	"egovpm/workflows"
)

// panel3 is a panel of three experts, none of them from unitA.
var panel3 = []workflows.ExpertRef{{ID: "e1", OrgID: "univ-1"}, {ID: "e2", OrgID: "univ-2"}, {ID: "e3", OrgID: "univ-3"}}

// prelimApprove approves p1's first preliminary review (R3).
func (h *harness) prelimApprove() *outcome {
	return h.decide(workflows.DecideUpdate{TaskID: prelim1, Actor: drbReviewer, Decision: domain.DecisionApprove, Comment: "材料齐全"})
}

// review is expert e's review of p1 (R4).
func (h *harness) review(e workflows.ExpertRef, pass bool) *outcome {
	d := domain.DecisionFail
	if pass {
		d = domain.DecisionPass
	}
	return h.decide(workflows.DecideUpdate{TaskID: expertTask(e.ID), Actor: expert(e.ID, e.OrgID), Decision: d,
		Score: score(80), Comment: "评审意见"})
}

// toAwaitingPlan plays R3 and R4 through to a passed expert review.
func (h *harness) toAwaitingPlan() {
	h.prelimApprove()
	h.signal(workflows.SignalPanel, workflows.PanelSignal{SessionID: "s1", Experts: panel3})
	for _, e := range panel3 {
		h.review(e, true)
	}
}

// toAwaitingApproval plays R3–R5 with the project in the plan at planFen.
func (h *harness) toAwaitingApproval(planFen int64) {
	h.toAwaitingPlan()
	h.signal(workflows.SignalPlanResult, workflows.PlanResultSignal{Included: true, ApprovedAmountFen: planFen, Actor: drbReviewer})
}

func TestR3_PrelimApproveToExpertReview(t *testing.T) {
	h := newLifecycle(t)
	approve := h.prelimApprove()
	h.projectState(func(st workflows.ProjectState) {
		require.Equal(t, domain.StageExpertReview, st.Stage)
		require.Empty(t, st.OpenTasks)
		require.Equal(t, 1, st.Round)
	})
	h.cancel()
	h.runLifecycle(lifecycleInput(smallFen, policy2021()))
	h.requireCancelled()

	requireOK(t, approve)
	res, ok := approve.result.(workflows.DecideResult)
	require.True(t, ok, "result is %T", approve.result)
	require.Equal(t, workflows.DecideResult{TaskID: prelim1, Decision: domain.DecisionApprove, Stage: domain.StageExpertReview}, res)

	require.Equal(t, []domain.Stage{domain.StagePrelimReview, domain.StageExpertReview}, h.stages())
	submit := h.transitionTo(domain.StagePrelimReview)
	require.Equal(t, p1WorkflowID, submit.WorkflowID)
	require.Equal(t, "p1", submit.ProjectID)
	require.Equal(t, []domain.NewTask{{ID: prelim1, Kind: domain.TaskPrelimReview, ProjectID: "p1",
		CandidateRole: domain.RoleDRBReviewer, CandidateOrgID: "drb", DueWorkdays: 5}}, submit.Open)
	require.Len(t, submit.Audit, 1)
	require.Equal(t, "project.submit", submit.Audit[0].Action)
	require.Equal(t, submitter.ID, submit.Audit[0].ActorID)
	require.Equal(t, "2021", submit.Audit[0].Detail["policy"])

	decided := h.transitionTo(domain.StageExpertReview)
	require.Equal(t, []domain.TaskClose{{TaskID: prelim1, Decision: domain.DecisionApprove, ActorID: drbReviewer.ID, Comment: "材料齐全"}}, decided.Close)
	require.Len(t, decided.Audit, 1)
	require.Equal(t, "task.decide", decided.Audit[0].Action)
	require.Equal(t, domain.DecisionApprove, decided.Audit[0].Outcome)
	require.Equal(t, drbReviewer.OrgID, decided.Audit[0].OrgID)
	require.NotEqual(t, submit.ID, decided.ID, "transition ids key idempotent writes and must differ")

	require.Equal(t, []domain.Stage{domain.StagePrelimReview, domain.StageExpertReview}, h.reportedStages())
	// The plan hears each stage (TellPlan, one RPC) before the read model shows it (Apply),
	// so a client who sees the stage and acts on the plan finds the plan told.
	require.Equal(t, []string{"report prelim_review", "apply prelim_review", "report expert_review", "apply expert_review"}, h.order)
}

// A plan year that reads stages from the read model needs no stage reports: once TellPlan
// says so, the lifecycle stops running it (plan-report-once): one local activity less per
// stage change.
func TestR5_NoStageReportsOnceThePlanReadsStages(t *testing.T) {
	h := newLifecycle(t)
	h.planReadsStages = true
	h.prelimApprove()
	h.projectState(func(st workflows.ProjectState) { require.True(t, st.PlanReadsStages) })
	h.cancel()
	h.runLifecycle(lifecycleInput(smallFen, policy2021()))
	h.requireCancelled()
	require.Equal(t, []string{"report prelim_review", "apply prelim_review", "apply expert_review"}, h.order)
}

func TestR16_SubmissionComputesSimilarProjects(t *testing.T) {
	h := newLifecycle(t)
	h.cancel()
	h.runLifecycle(lifecycleInput(smallFen, policy2021()))
	h.requireCancelled()
	require.Equal(t, []string{"p1"}, h.similar)
}

func TestR3_PrelimReturnThenResubmit(t *testing.T) {
	h := newLifecycle(t)
	noComment := h.decide(workflows.DecideUpdate{TaskID: prelim1, Actor: drbReviewer, Decision: domain.DecisionReturn})
	badDecision := h.decide(workflows.DecideUpdate{TaskID: prelim1, Actor: drbReviewer, Decision: "maybe"})
	wrongRole := h.decide(workflows.DecideUpdate{TaskID: prelim1, Actor: ndrcAppr, Decision: domain.DecisionApprove})
	earlyResubmit := h.update(workflows.UpdateResubmit, workflows.ResubmitUpdate{Actor: submitter})
	ret := h.decide(workflows.DecideUpdate{TaskID: prelim1, Actor: drbReviewer, Decision: domain.DecisionReturn, Comment: "请补充需求分析"})
	h.projectState(func(st workflows.ProjectState) {
		require.Equal(t, domain.StageRevision, st.Stage)
		require.Empty(t, st.OpenTasks)
	})
	otherUnit := h.update(workflows.UpdateResubmit, workflows.ResubmitUpdate{Actor: otherSubmit})
	notSubmitter := h.update(workflows.UpdateResubmit, workflows.ResubmitUpdate{Actor: domain.Actor{ID: "u-x", OrgID: unitA, Roles: []string{domain.RoleExpert}}})
	resubmit := h.update(workflows.UpdateResubmit, workflows.ResubmitUpdate{Actor: submitter, RequestID: "req-1"})
	oldTask := h.decide(workflows.DecideUpdate{TaskID: prelim1, Actor: drbReviewer, Decision: domain.DecisionApprove})
	h.projectState(func(st workflows.ProjectState) {
		require.Equal(t, domain.StagePrelimReview, st.Stage)
		require.Equal(t, 2, st.Round)
		require.Len(t, st.OpenTasks, 1)
		require.Equal(t, prelim2, st.OpenTasks[0].ID)
		require.Equal(t, domain.TaskPrelimReview, st.OpenTasks[0].Kind)
	})
	round2 := h.decide(workflows.DecideUpdate{TaskID: prelim2, Actor: drbReviewer, Decision: domain.DecisionApprove})
	h.cancel()
	h.runLifecycle(lifecycleInput(smallFen, policy2021()))
	h.requireCancelled()

	requireRejectedByValidator(t, noComment, domain.StatusBadRequest, "invalid_decision")
	requireRejectedByValidator(t, badDecision, domain.StatusBadRequest, "invalid_decision")
	requireRejectedByValidator(t, wrongRole, domain.StatusForbidden, "wrong_role")
	requireRejectedByValidator(t, earlyResubmit, domain.StatusConflict, "wrong_stage")
	requireOK(t, ret)
	requireRejectedByValidator(t, otherUnit, domain.StatusForbidden, "forbidden")
	requireRejectedByValidator(t, notSubmitter, domain.StatusForbidden, "forbidden")
	requireOK(t, resubmit)
	requireRejectedByValidator(t, oldTask, domain.StatusConflict, "stale_task")
	requireOK(t, round2)

	require.Equal(t, []domain.Stage{domain.StagePrelimReview, domain.StageRevision, domain.StagePrelimReview, domain.StageExpertReview}, h.stages())
	returned := h.transitionTo(domain.StageRevision)
	require.Equal(t, "请补充需求分析", returned.Close[0].Comment)
	require.Len(t, returned.Notify, 1)
	require.Equal(t, domain.RoleSubmitter, returned.Notify[0].Role)
	require.Equal(t, unitA, returned.Notify[0].OrgID)
	require.Equal(t, "请补充需求分析", returned.Notify[0].Body)

	// History is kept (R3, R18): the second round opens a new task beside the closed first one.
	var prelims []string
	for _, task := range h.opened() {
		prelims = append(prelims, task.ID)
	}
	require.Equal(t, []string{prelim1, prelim2}, prelims)
	require.Equal(t, []string{"project.submit", "task.decide", "project.resubmit", "task.decide"}, h.auditActions())
	resub := h.transitionTo(domain.StagePrelimReview) // the last one: round 2
	require.Equal(t, 2, resub.Audit[0].Detail["round"])
	require.Equal(t, 2, resub.Round, "the read model's round follows the workflow's (R3)")
	require.Equal(t, submitter.ID, resub.Audit[0].ActorID)
}

func TestR3_PrelimRejectCompletes(t *testing.T) {
	h := newLifecycle(t)
	reject := h.decide(workflows.DecideUpdate{TaskID: prelim1, Actor: drbReviewer, Decision: domain.DecisionReject, Comment: "不属于电子政务项目"})
	h.runLifecycle(lifecycleInput(smallFen, policy2021()))
	h.requireResult(domain.StageRejected)

	requireOK(t, reject)
	require.Equal(t, []domain.Stage{domain.StagePrelimReview, domain.StageRejected}, h.stages())
	rejected := h.transitionTo(domain.StageRejected)
	require.Equal(t, prelim1, rejected.Close[0].TaskID)
	require.Equal(t, "不属于电子政务项目", rejected.Audit[0].Detail["comment"])
	require.Equal(t, []domain.Stage{domain.StagePrelimReview, domain.StageRejected}, h.reportedStages())
}

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

func TestR5_PlanIncludedAwaitsApprovalWithPlanAmount(t *testing.T) {
	h := newLifecycle(t)
	h.toAwaitingApproval(400_000_000)
	h.projectState(func(st workflows.ProjectState) {
		require.Equal(t, domain.StageAwaitingApproval, st.Stage)
		require.Equal(t, int64(400_000_000), st.PlanAmountFen)
		require.Empty(t, st.OpenTasks, "a small project waits for its bundle (R6)")
	})
	h.cancel()
	h.runLifecycle(lifecycleInput(smallFen, policy2021()))
	h.requireCancelled()

	tr := h.transitionTo(domain.StageAwaitingApproval)
	require.Equal(t, int64(400_000_000), tr.ApprovedAmountFen)
	require.Equal(t, "plan.include", tr.Audit[0].Action)
	require.Equal(t, drbReviewer.ID, tr.Audit[0].ActorID)
	st := h.sent(workflows.SignalProjectStatus)
	last := st[len(st)-1].Arg.(workflows.ProjectStatusSignal)
	require.Equal(t, workflows.ProjectStatusSignal{ProjectID: "p1", UnitID: unitA, Name: "六安市政务数据共享平台", EstimatedFen: smallFen,
		Stage: domain.StageAwaitingApproval, PlanAmountFen: 400_000_000}, last)
}

func TestR5_PlanExcludedNotIncluded(t *testing.T) {
	h := newLifecycle(t)
	h.toAwaitingPlan()
	h.signal(workflows.SignalPlanResult, workflows.PlanResultSignal{Included: false, Reason: "资金不足", Actor: drbReviewer})
	h.runLifecycle(lifecycleInput(smallFen, policy2021()))
	h.requireResult(domain.StageNotIncluded)

	tr := h.transitionTo(domain.StageNotIncluded)
	require.Equal(t, "plan.exclude", tr.Audit[0].Action)
	require.Equal(t, "资金不足", tr.Audit[0].Detail["reason"])
}

// The plan sends its signals after reading the stage from the read model, which can be ahead of
// the lifecycle's history while a workflow task whose completion was lost is retried: a signal
// that arrives in the stage before the one it was sent for waits for the next stage change
// (hold-early-plan-signals; found by the fault test, issue 7).
func TestR5_EarlyPlanResultHeldUntilTheProjectAwaitsThePlan(t *testing.T) {
	h := newLifecycle(t)
	h.prelimApprove()
	h.signal(workflows.SignalPanel, workflows.PanelSignal{SessionID: "s1", Experts: panel3})
	h.review(panel3[0], true)
	h.review(panel3[1], true)
	h.signal(workflows.SignalPlanResult, workflows.PlanResultSignal{Included: true, ApprovedAmountFen: 300_000_000, Actor: drbReviewer})
	h.projectState(func(st workflows.ProjectState) {
		require.Equal(t, domain.StageExpertReview, st.Stage)
		require.Len(t, st.Held, 1, "the early plan result waits")
		require.Equal(t, domain.StageExpertReview, st.Held[0].ArrivedIn)
	})
	last := h.review(panel3[2], true)
	h.projectState(func(st workflows.ProjectState) {
		require.Equal(t, domain.StageAwaitingApproval, st.Stage, "applied once the project awaits the plan")
		require.Equal(t, int64(300_000_000), st.PlanAmountFen)
		require.Empty(t, st.Held)
	})
	h.cancel()
	h.runLifecycle(lifecycleInput(smallFen, policy2021()))
	h.requireCancelled()

	requireOK(t, last)
	require.Equal(t, domain.StageAwaitingPlan, last.result.(workflows.DecideResult).Stage)
	require.Equal(t, "plan.include", h.transitionTo(domain.StageAwaitingApproval).Audit[0].Action)
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

func TestR6_EarlyBundleResultHeldUntilThePlanIncludesTheProject(t *testing.T) {
	h := newLifecycle(t)
	h.toAwaitingPlan()
	h.signal(workflows.SignalBundleResult, workflows.BundleResultSignal{BundleID: "b1", TaskID: "bt1", Approved: true, Actor: ndrcAppr})
	h.signal(workflows.SignalPlanResult, workflows.PlanResultSignal{Included: true, ApprovedAmountFen: 300_000_000, Actor: drbReviewer})
	h.projectState(func(st workflows.ProjectState) {
		require.Equal(t, domain.StageProcurement, st.Stage)
		require.Equal(t, int64(300_000_000), st.ApprovedFen)
		require.Empty(t, st.Held)
	})
	h.cancel()
	h.runLifecycle(lifecycleInput(smallFen, policy2021()))
	h.requireCancelled()
	require.Contains(t, h.stages(), domain.StageApproved)
}

// A held signal whose project then moves to another stage is stale: it is dropped, not applied
// later (a plan result sent before preliminary approval never closes the project).
func TestR5_HeldPlanResultDroppedWhenTheStageMovesElsewhere(t *testing.T) {
	h := newLifecycle(t)
	h.signal(workflows.SignalPlanResult, workflows.PlanResultSignal{Included: false, Reason: "资金不足", Actor: drbReviewer})
	h.prelimApprove()
	h.signal(workflows.SignalPanel, workflows.PanelSignal{SessionID: "s1", Experts: panel3})
	for _, e := range panel3 {
		h.review(e, true)
	}
	h.projectState(func(st workflows.ProjectState) {
		require.Equal(t, domain.StageAwaitingPlan, st.Stage)
		require.Empty(t, st.Held)
	})
	h.cancel()
	h.runLifecycle(lifecycleInput(smallFen, policy2021()))
	h.requireCancelled()
	require.NotContains(t, h.stages(), domain.StageNotIncluded)
}

func TestR6_SmallProjectBundleApproved(t *testing.T) {
	h := newLifecycle(t)
	h.toAwaitingApproval(400_000_000)
	h.signal(workflows.SignalBundleResult, workflows.BundleResultSignal{BundleID: "b1", TaskID: "plan:2026:bundle_approval:b1", Approved: true, Actor: ndrcAppr})
	h.projectState(func(st workflows.ProjectState) {
		require.Equal(t, domain.StageProcurement, st.Stage)
		require.Equal(t, int64(400_000_000), st.ApprovedFen, "R7: the approved amount is the plan amount")
		require.Equal(t, "b1", st.BundleID)
	})
	// A repeated bundle result changes nothing.
	h.signal(workflows.SignalBundleResult, workflows.BundleResultSignal{BundleID: "b1", Approved: false, Actor: ndrcAppr})
	h.projectState(func(st workflows.ProjectState) { require.Equal(t, domain.StageProcurement, st.Stage) })
	h.cancel()
	h.runLifecycle(lifecycleInput(smallFen, policy2021()))
	h.requireCancelled()

	require.Equal(t, []domain.Stage{domain.StagePrelimReview, domain.StageExpertReview, domain.StageAwaitingPlan,
		domain.StageAwaitingApproval, domain.StageApproved, domain.StageProcurement}, h.stages())
	approved := h.transitionTo(domain.StageApproved)
	require.Equal(t, int64(400_000_000), approved.ApprovedAmountFen)
	require.Equal(t, "bundle.approve", approved.Audit[0].Action)
	require.Equal(t, ndrcAppr.ID, approved.Audit[0].ActorID)
	proc := h.transitionTo(domain.StageProcurement)
	require.Len(t, proc.Notify, 1)
	require.Equal(t, "approved", proc.Notify[0].Kind)
	require.Equal(t, unitA, proc.Notify[0].OrgID)
	for _, task := range h.opened() {
		require.NotEqual(t, domain.TaskProjectApproval, task.Kind, "a small project has no approval task of its own")
	}
	require.Empty(t, h.docsCalls, "a small project needs no opinion or implementation plan")
}

func TestR6_SmallProjectBundleExcluded(t *testing.T) {
	h := newLifecycle(t)
	h.toAwaitingApproval(400_000_000)
	h.signal(workflows.SignalBundleResult, workflows.BundleResultSignal{BundleID: "b1", Approved: false, Excluded: true, Comment: "另行安排", Actor: ndrcAppr})
	h.runLifecycle(lifecycleInput(smallFen, policy2021()))
	h.requireResult(domain.StageRejected)

	tr := h.transitionTo(domain.StageRejected)
	require.Equal(t, "bundle.exclude", tr.Audit[0].Action)
	require.Equal(t, "另行安排", tr.Audit[0].Detail["comment"])
}

func TestR6_SmallProjectBundleRejected(t *testing.T) {
	h := newLifecycle(t)
	h.toAwaitingApproval(400_000_000)
	h.signal(workflows.SignalBundleResult, workflows.BundleResultSignal{BundleID: "b1", Approved: false, Comment: "不予批复", Actor: ndrcAppr})
	h.runLifecycle(lifecycleInput(smallFen, policy2021()))
	h.requireResult(domain.StageRejected)
	require.Equal(t, "bundle.reject", h.transitionTo(domain.StageRejected).Audit[0].Action)
}

func TestR6_LargeProjectWaitsForDocumentsThenNDRCApprovesCutAmount(t *testing.T) {
	h := newLifecycle(t)
	h.setMissing("opinion")
	h.toAwaitingApproval(1_200_000_000)
	// A bundle result never decides a large project.
	h.signal(workflows.SignalBundleResult, workflows.BundleResultSignal{BundleID: "b1", Approved: true, Actor: ndrcAppr})
	early := h.decide(workflows.DecideUpdate{TaskID: approval1, Actor: ndrcAppr, Decision: domain.DecisionApprove})
	h.projectState(func(st workflows.ProjectState) {
		require.Equal(t, domain.StageAwaitingApproval, st.Stage)
		require.Empty(t, st.OpenTasks, "no approval task while the opinion is missing")
	})
	h.setMissing()
	h.signal(workflows.SignalDocuments, nil)
	h.projectState(func(st workflows.ProjectState) {
		require.Equal(t, []workflows.OpenTask{{ID: approval1, Kind: domain.TaskProjectApproval,
			CandidateRole: domain.RoleNDRCApprover, CandidateOrgID: "ndrc"}}, st.OpenTasks)
	})
	// Another document change does not open a second task.
	h.signal(workflows.SignalDocuments, nil)
	wrongRole := h.decide(workflows.DecideUpdate{TaskID: approval1, Actor: drbSuper, Decision: domain.DecisionApprove})
	wrongOrg := h.decide(workflows.DecideUpdate{TaskID: approval1, Actor: domain.Actor{ID: "u-x", OrgID: "drb", Roles: []string{domain.RoleNDRCApprover}}, Decision: domain.DecisionApprove})
	over := h.decide(workflows.DecideUpdate{TaskID: approval1, Actor: ndrcAppr, Decision: domain.DecisionApprove, ApprovedAmountFen: 1_200_000_001})
	negative := h.decide(workflows.DecideUpdate{TaskID: approval1, Actor: ndrcAppr, Decision: domain.DecisionApprove, ApprovedAmountFen: -1})
	badDecision := h.decide(workflows.DecideUpdate{TaskID: approval1, Actor: ndrcAppr, Decision: domain.DecisionReturn, Comment: "补充"})
	approve := h.decide(workflows.DecideUpdate{TaskID: approval1, Actor: ndrcAppr, Decision: domain.DecisionApprove, ApprovedAmountFen: 1_100_000_000, Comment: "核减"})
	h.projectState(func(st workflows.ProjectState) {
		require.Equal(t, domain.StageProcurement, st.Stage)
		require.Equal(t, int64(1_100_000_000), st.ApprovedFen)
		require.Empty(t, st.OpenTasks)
	})
	h.cancel()
	h.runLifecycle(lifecycleInput(largeFen, policy2021()))
	h.requireCancelled()

	requireRejectedByValidator(t, early, domain.StatusConflict, "stale_task")
	requireRejectedByValidator(t, wrongRole, domain.StatusForbidden, "wrong_role")
	requireRejectedByValidator(t, wrongOrg, domain.StatusForbidden, "wrong_org")
	requireRejectedByValidator(t, over, domain.StatusUnprocessable, "amount_over_limit")
	requireRejectedByValidator(t, negative, domain.StatusUnprocessable, "amount_over_limit")
	requireRejectedByValidator(t, badDecision, domain.StatusBadRequest, "invalid_decision")
	requireOK(t, approve)

	var approvals []domain.NewTask
	for _, task := range h.opened() {
		if task.Kind == domain.TaskProjectApproval {
			approvals = append(approvals, task)
		}
	}
	require.Len(t, approvals, 1)
	require.Equal(t, domain.NewTask{ID: approval1, Kind: domain.TaskProjectApproval, ProjectID: "p1",
		CandidateRole: domain.RoleNDRCApprover, CandidateOrgID: "ndrc", DueWorkdays: 5}, approvals[0])
	require.GreaterOrEqual(t, len(h.docsCalls), 2)
	for _, c := range h.docsCalls {
		require.Equal(t, activities.DocsInput{ProjectID: "p1", Kinds: []string{"opinion", "impl_plan"}}, c)
	}
	require.Contains(t, h.auditActions(), "approval.request")
	approved := h.transitionTo(domain.StageApproved)
	require.Equal(t, int64(1_100_000_000), approved.ApprovedAmountFen)
	require.Equal(t, approval1, approved.Close[0].TaskID)
	require.Equal(t, int64(1_100_000_000), approved.Audit[0].Detail["approved_amount_fen"])
	require.Equal(t, domain.StageProcurement, h.stages()[len(h.stages())-1])
}

func TestR6_ThresholdProjectIsLargeAndApprovalDefaultsToPlanAmount(t *testing.T) {
	h := newLifecycle(t)
	h.toAwaitingApproval(900_000_000)
	h.projectState(func(st workflows.ProjectState) {
		require.Len(t, st.OpenTasks, 1, "exactly 10,000,000 CNY is approved on its own (R6)")
		require.Equal(t, approval1, st.OpenTasks[0].ID)
	})
	approve := h.decide(workflows.DecideUpdate{TaskID: approval1, Actor: ndrcAppr, Decision: domain.DecisionApprove})
	h.projectState(func(st workflows.ProjectState) {
		require.Equal(t, domain.StageProcurement, st.Stage)
		require.Equal(t, int64(900_000_000), st.ApprovedFen)
	})
	h.cancel()
	h.runLifecycle(lifecycleInput(1_000_000_000, policy2021()))
	h.requireCancelled()
	requireOK(t, approve)
}

func TestR6_LargeProjectRejected(t *testing.T) {
	h := newLifecycle(t)
	h.toAwaitingApproval(largeFen)
	reject := h.decide(workflows.DecideUpdate{TaskID: approval1, Actor: ndrcAppr, Decision: domain.DecisionReject, Comment: "不予批复"})
	h.runLifecycle(lifecycleInput(largeFen, policy2021()))
	h.requireResult(domain.StageRejected)
	requireOK(t, reject)
}

func TestR17_CryptoProjectNeedsCryptoPlanAtApproval(t *testing.T) {
	h := newLifecycle(t)
	h.setMissing("crypto_plan")
	h.toAwaitingApproval(largeFen)
	h.projectState(func(st workflows.ProjectState) { require.Empty(t, st.OpenTasks) })
	h.cancel()
	in := lifecycleInput(largeFen, policy2021())
	in.UsesCrypto = true
	h.runLifecycle(in)
	h.requireCancelled()
	require.NotEmpty(t, h.docsCalls)
	require.Equal(t, []string{"opinion", "impl_plan", "crypto_plan"}, h.docsCalls[0].Kinds)
}

func TestR8_SpecialRequestApprovedJoinsPlan(t *testing.T) {
	h := newLifecycle(t)
	var first workflows.ProjectState
	h.projectState(func(st workflows.ProjectState) { first = st })
	wrongRole := h.decide(workflows.DecideUpdate{TaskID: special1, Actor: drbReviewer, Decision: domain.DecisionApprove})
	over := h.decide(workflows.DecideUpdate{TaskID: special1, Actor: cityGovAppr, Decision: domain.DecisionApprove, ApprovedAmountFen: smallFen + 1})
	approve := h.decide(workflows.DecideUpdate{TaskID: special1, Actor: cityGovAppr, Decision: domain.DecisionApprove, Comment: "同意"})
	h.projectState(func(st workflows.ProjectState) {
		require.Equal(t, domain.StageAwaitingApproval, st.Stage)
		require.Equal(t, int64(smallFen), st.PlanAmountFen)
		require.Empty(t, st.OpenTasks, "a small supplementary project follows the bundle route (R6)")
	})
	h.cancel()
	in := lifecycleInput(smallFen, policy2021())
	in.Special = true
	h.runLifecycle(in)
	h.requireCancelled()

	require.Equal(t, domain.StageSpecialRequest, first.Stage)
	require.Equal(t, []workflows.OpenTask{{ID: special1, Kind: domain.TaskSpecialRequestApproval,
		CandidateRole: domain.RoleCityGovApprover, CandidateOrgID: "citygov"}}, first.OpenTasks)
	requireRejectedByValidator(t, wrongRole, domain.StatusForbidden, "wrong_role")
	requireRejectedByValidator(t, over, domain.StatusUnprocessable, "amount_over_limit")
	requireOK(t, approve)

	require.Equal(t, []domain.Stage{domain.StageSpecialRequest, domain.StageAwaitingApproval}, h.stages())
	submit := h.transitionTo(domain.StageSpecialRequest)
	require.Equal(t, true, submit.Audit[0].Detail["special_request"])
	tr := h.transitionTo(domain.StageAwaitingApproval)
	require.Equal(t, []domain.PlanItem{{PlanYear: planYear, ProjectID: "p1", Included: true, ApprovedAmountFen: smallFen,
		Supplementary: true, DecidedBy: cityGovAppr.ID}}, tr.PlanItems)
	require.Equal(t, int64(smallFen), tr.ApprovedAmountFen)
	st := h.sent(workflows.SignalProjectStatus)
	last := st[len(st)-1].Arg.(workflows.ProjectStatusSignal)
	require.True(t, last.Supplementary, "the plan learns of the supplementary item")
	require.Equal(t, int64(smallFen), last.PlanAmountFen)
	require.Equal(t, domain.StageAwaitingApproval, last.Stage)
}

func TestR8_SpecialRequestLargeGoesToProjectApproval(t *testing.T) {
	h := newLifecycle(t)
	h.decide(workflows.DecideUpdate{TaskID: special1, Actor: cityGovAppr, Decision: domain.DecisionApprove, ApprovedAmountFen: 1_300_000_000})
	h.projectState(func(st workflows.ProjectState) {
		require.Equal(t, domain.StageAwaitingApproval, st.Stage)
		require.Equal(t, int64(1_300_000_000), st.PlanAmountFen)
		require.Len(t, st.OpenTasks, 1)
		require.Equal(t, approval1, st.OpenTasks[0].ID)
	})
	over := h.decide(workflows.DecideUpdate{TaskID: approval1, Actor: ndrcAppr, Decision: domain.DecisionApprove, ApprovedAmountFen: 1_300_000_001})
	h.cancel()
	in := lifecycleInput(largeFen, policy2021())
	in.Special = true
	h.runLifecycle(in)
	h.requireCancelled()
	requireRejectedByValidator(t, over, domain.StatusUnprocessable, "amount_over_limit")
}

func TestR8_SpecialRequestRejected(t *testing.T) {
	h := newLifecycle(t)
	reject := h.decide(workflows.DecideUpdate{TaskID: special1, Actor: cityGovAppr, Decision: domain.DecisionReject, Comment: "不同意"})
	in := lifecycleInput(smallFen, policy2021())
	in.Special = true
	h.runLifecycle(in)
	h.requireResult(domain.StageRejected)
	requireOK(t, reject)
}

func TestR19_Policy2023RoutesLargeApprovalToDRB(t *testing.T) {
	h := newLifecycle(t)
	h.toAwaitingApproval(largeFen)
	h.projectState(func(st workflows.ProjectState) {
		require.Equal(t, []workflows.OpenTask{{ID: approval1, Kind: domain.TaskProjectApproval,
			CandidateRole: domain.RoleDRBSupervisor, CandidateOrgID: "drb"}}, st.OpenTasks)
	})
	ndrc := h.decide(workflows.DecideUpdate{TaskID: approval1, Actor: ndrcAppr, Decision: domain.DecisionApprove})
	reviewer := h.decide(workflows.DecideUpdate{TaskID: approval1, Actor: drbReviewer, Decision: domain.DecisionApprove})
	approve := h.decide(workflows.DecideUpdate{TaskID: approval1, Actor: drbSuper, Decision: domain.DecisionApprove})
	h.projectState(func(st workflows.ProjectState) { require.Equal(t, domain.StageProcurement, st.Stage) })
	h.cancel()
	h.runLifecycle(lifecycleInput(largeFen, policy2023()))
	h.requireCancelled()

	requireRejectedByValidator(t, ndrc, domain.StatusForbidden, "wrong_role")
	requireRejectedByValidator(t, reviewer, domain.StatusForbidden, "wrong_role")
	requireOK(t, approve)
	submit := h.transitionTo(domain.StagePrelimReview)
	require.Equal(t, "2023", submit.Audit[0].Detail["policy"])
}

func TestR3_DuplicateDecisionRefused(t *testing.T) {
	h := newLifecycle(t)
	both := h.updatesTogether(workflows.UpdateDecide,
		workflows.DecideUpdate{TaskID: prelim1, Actor: drbReviewer, Decision: domain.DecisionApprove},
		workflows.DecideUpdate{TaskID: prelim1, Actor: drbReviewer, Decision: domain.DecisionReject, Comment: "重复"})
	later := h.decide(workflows.DecideUpdate{TaskID: prelim1, Actor: drbReviewer, Decision: domain.DecisionApprove})
	unknown := h.decide(workflows.DecideUpdate{TaskID: "project:p1:prelim_review:9", Actor: drbReviewer, Decision: domain.DecisionApprove})
	h.projectState(func(st workflows.ProjectState) { require.Equal(t, domain.StageExpertReview, st.Stage) })
	h.cancel()
	h.runLifecycle(lifecycleInput(smallFen, policy2021()))
	h.requireCancelled()

	requireOK(t, both[0])
	requireRefused(t, both[1], domain.StatusConflict, "stale_task", "duplicate_decision")
	requireRejectedByValidator(t, later, domain.StatusConflict, "stale_task")
	requireRejectedByValidator(t, unknown, domain.StatusConflict, "stale_task")
	require.Equal(t, []domain.Stage{domain.StagePrelimReview, domain.StageExpertReview}, h.stages(), "one decision only")
}

func TestR19_LifecycleRefusesIncompleteInputOrInvalidPolicy(t *testing.T) {
	cases := map[string]func(in *workflows.ProjectLifecycleInput){
		"no project":     func(in *workflows.ProjectLifecycleInput) { in.ProjectID = "" },
		"no unit":        func(in *workflows.ProjectLifecycleInput) { in.UnitID = "" },
		"no year":        func(in *workflows.ProjectLifecycleInput) { in.PlanYear = 0 },
		"no amount":      func(in *workflows.ProjectLifecycleInput) { in.EstimatedFen = 0 },
		"invalid policy": func(in *workflows.ProjectLifecycleInput) { in.Policy.PanelMin = 4 },
	}
	for name, mutate := range cases {
		t.Run(name, func(t *testing.T) {
			h := newLifecycle(t)
			in := lifecycleInput(smallFen, policy2021())
			mutate(&in)
			h.env.ExecuteWorkflow(workflows.ProjectLifecycle, in)
			require.True(t, h.env.IsWorkflowCompleted())
			err := h.env.GetWorkflowError()
			require.Error(t, err)
			require.Contains(t, err.Error(), "BadInput")
			require.Empty(t, h.stages())
		})
	}
}
