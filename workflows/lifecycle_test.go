package workflows_test

import (
	"testing"

	"github.com/stretchr/testify/require"

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
