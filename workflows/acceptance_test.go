package workflows_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"egovpm/activities"
	"egovpm/internal/calendar"
	"egovpm/internal/domain"
	"egovpm/workflows"
)

// zhKinds are the missing kinds of each case of TestR12_R17_AcceptanceDocumentsPerSecurityGates
// as the refusal names them (web/src/lib/labels.ts's documentKindLabels).
var zhKinds = map[string]string{"MLPS 2 with crypto": "试运行报告、等保备案、密评报告", "MLPS 3 without crypto": "试运行报告、等保备案",
	"MLPS 1 with crypto": "试运行报告、密评报告", "MLPS 1 without crypto": "试运行报告", "crypto gate off": "试运行报告、等保备案"}

func TestR12_R17_AcceptanceDocumentsPerSecurityGates(t *testing.T) {
	cases := []struct {
		name   string
		mlps   int
		crypto bool
		gate   bool
		kinds  []string
	}{
		{"MLPS 2 with crypto", 2, true, true, []string{"trial_run_report", "mlps_filing", "crypto_assessment"}},
		{"MLPS 3 without crypto", 3, false, true, []string{"trial_run_report", "mlps_filing"}},
		{"MLPS 1 with crypto", 1, true, true, []string{"trial_run_report", "crypto_assessment"}},
		{"MLPS 1 without crypto", 1, false, true, []string{"trial_run_report"}},
		{"crypto gate off", 2, true, false, []string{"trial_run_report", "mlps_filing"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			start := shanghaiTime(2026, 8, 1, 9, 0, 0)
			h := newDelivery(t, start)
			h.setMissing("trial_run_report", "mlps_filing", "crypto_assessment")
			all := h.applyAcceptance(submitter)
			h.setMissing("mlps_filing", "crypto_assessment")
			gates := h.applyAcceptance(submitter)
			h.projectState(func(st workflows.ProjectState) {
				if len(c.kinds) > 1 {
					require.Equal(t, domain.StageTrialRun, st.Stage)
					require.Zero(t, st.AcceptanceRound, "a refused application opens no round")
				} else {
					require.Equal(t, domain.StageAcceptance, st.Stage, "only the trial-run report is needed")
				}
			})
			h.setMissing()
			ok := h.applyAcceptance(submitter)
			h.cancel()
			pol := policy2021()
			pol.CryptoAssessmentGate = c.gate
			in := resumedInput(pol, trialRunOver(start))
			in.MLPSLevel, in.UsesCrypto = c.mlps, c.crypto
			h.runLifecycle(in)
			h.requireCancelled()

			requireRefused(t, all, domain.StatusUnprocessable, "documents_missing")
			require.Equal(t, toAny(c.kinds), refusalExtra(t, all)["missing"])
			require.Equal(t, "缺少材料："+zhKinds[c.name], refusalMessage(t, all), "the kinds as the UI names them")
			if len(c.kinds) > 1 {
				requireRefused(t, gates, domain.StatusUnprocessable, "documents_missing")
				require.Equal(t, toAny(c.kinds[1:]), refusalExtra(t, gates)["missing"])
			} else {
				requireOK(t, gates)
			}
			if len(c.kinds) > 1 {
				requireOK(t, ok)
			} else {
				requireRejectedByValidator(t, ok, domain.StatusConflict, "wrong_stage")
			}
			for _, call := range h.docsCalls {
				require.Equal(t, activities.DocsInput{ProjectID: "p1", Kinds: c.kinds}, call)
			}
			require.Equal(t, []string{acceptCheck1}, h.openedIDs())
		})
	}
}

func toAny(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

func TestR12_R13_R14_AcceptanceBothPassEntersOM(t *testing.T) {
	start := shanghaiTime(2026, 6, 15, 10, 0, 0)
	h := newDelivery(t, start)
	apply := h.applyAcceptance(submitter)
	twice := h.applyAcceptance(submitter)
	noList := h.decide(workflows.DecideUpdate{TaskID: acceptCheck1, Actor: drbReviewer, Decision: domain.DecisionReturn})
	badDecision := h.decide(workflows.DecideUpdate{TaskID: acceptCheck1, Actor: drbReviewer, Decision: domain.DecisionPass})
	prtaChecks := h.decide(workflows.DecideUpdate{TaskID: acceptCheck1, Actor: prtaWitness, Decision: domain.DecisionApprove})
	check := h.decide(workflows.DecideUpdate{TaskID: acceptCheck1, Actor: drbReviewer, Decision: domain.DecisionApprove, Comment: "材料齐全"})
	h.projectState(func(st workflows.ProjectState) {
		require.Equal(t, domain.StageAcceptance, st.Stage)
		require.Equal(t, []workflows.OpenTask{
			{ID: signoff1, Kind: domain.TaskAcceptanceSignoff, CandidateRole: domain.RoleDRBReviewer, CandidateOrgID: "drb"},
			{ID: witness1, Kind: domain.TaskAcceptanceWitness, CandidateRole: domain.RolePRTAWitness, CandidateOrgID: "prta"},
		}, st.OpenTasks)
	})
	drbWitnesses := h.pass(witness1, drbReviewer)
	prtaSigns := h.pass(signoff1, prtaWitness)
	failNoList := h.decide(workflows.DecideUpdate{TaskID: signoff1, Actor: drbReviewer, Decision: domain.DecisionFail})
	approveIsNotPass := h.decide(workflows.DecideUpdate{TaskID: signoff1, Actor: drbReviewer, Decision: domain.DecisionApprove})
	signoff := h.pass(signoff1, drbReviewer)
	h.projectState(func(st workflows.ProjectState) {
		require.Equal(t, domain.StageAcceptance, st.Stage, "one pass is not acceptance (R12: both required)")
		require.Len(t, st.OpenTasks, 1)
		require.Equal(t, witness1, st.OpenTasks[0].ID)
	})
	var acceptedAt time.Time
	witness := h.updateNoting(workflows.UpdateDecide, workflows.DecideUpdate{TaskID: witness1, Actor: prtaWitness, Decision: domain.DecisionPass}, &acceptedAt)
	h.projectState(func(st workflows.ProjectState) {
		require.Equal(t, domain.StageOM, st.Stage)
		require.Equal(t, []workflows.OpenTask{{ID: evaluation1, Kind: domain.TaskEvaluation, CandidateRole: domain.RoleDRBReviewer, CandidateOrgID: "drb"}}, st.OpenTasks)
		require.Equal(t, 1, st.OMYear)
		require.Equal(t, 2026, st.OMCalendarYear)
		require.False(t, st.OMFiled)
		require.True(t, acceptedAt.Equal(st.OMStart), "O&M starts at acceptance (%s), not %s", acceptedAt, st.OMStart)
		// 2021 policy (R13): 31 January of the next year, 23:59:59 Asia/Shanghai.
		require.True(t, shanghaiTime(2027, 1, 31, 23, 59, 59).Equal(st.OMDeadline), "deadline %s", st.OMDeadline)
	})
	h.cancel()
	h.runLifecycle(resumedInput(policy2021(), trialRunOver(start)))
	h.requireCancelled()

	requireOK(t, apply)
	require.Equal(t, workflows.DecideResult{Decision: workflows.UpdateApplyAcceptance, Stage: domain.StageAcceptance}, apply.result)
	requireRejectedByValidator(t, twice, domain.StatusConflict, "wrong_stage")
	requireRejectedByValidator(t, noList, domain.StatusBadRequest, "invalid_decision")
	requireRejectedByValidator(t, badDecision, domain.StatusBadRequest, "invalid_decision")
	requireRejectedByValidator(t, prtaChecks, domain.StatusForbidden, "wrong_role")
	requireOK(t, check)
	requireRejectedByValidator(t, drbWitnesses, domain.StatusForbidden, "wrong_role")
	requireRejectedByValidator(t, prtaSigns, domain.StatusForbidden, "wrong_role")
	requireRejectedByValidator(t, failNoList, domain.StatusBadRequest, "invalid_decision")
	requireRejectedByValidator(t, approveIsNotPass, domain.StatusBadRequest, "invalid_decision")
	requireOK(t, signoff)
	require.Equal(t, domain.StageAcceptance, signoff.result.(workflows.DecideResult).Stage)
	requireOK(t, witness)
	require.Equal(t, workflows.DecideResult{TaskID: witness1, Decision: domain.DecisionPass, Stage: domain.StageOM}, witness.result)

	require.Equal(t, []domain.Stage{domain.StageAcceptance, domain.StageOM}, h.stages())
	require.Equal(t, []string{acceptCheck1, signoff1, witness1, evaluation1}, h.openedIDs())
	om := h.transitionTo(domain.StageOM)
	require.Equal(t, []domain.TaskClose{{TaskID: witness1, Decision: domain.DecisionPass, ActorID: prtaWitness.ID}}, om.Close)
	require.Equal(t, &domain.OMFiling{Year: 1, DueAt: shanghaiTime(2027, 1, 31, 23, 59, 59)}, normFiling(om.OMFiling))
	require.Equal(t, []domain.NewTask{{ID: evaluation1, Kind: domain.TaskEvaluation, ProjectID: "p1",
		CandidateRole: domain.RoleDRBReviewer, CandidateOrgID: "drb", DueWorkdays: 5}}, om.Open)
	require.Len(t, om.Notify, 1)
	require.Equal(t, "accepted", om.Notify[0].Kind)
	require.Equal(t, unitA, om.Notify[0].OrgID)
	require.Equal(t, []domain.Stage{domain.StageAcceptance, domain.StageOM}, h.reportedStages())
}

// normFiling puts a filing's due time in Asia/Shanghai so that require.Equal compares instants.
func normFiling(f *domain.OMFiling) *domain.OMFiling {
	if f == nil {
		return nil
	}
	c := *f
	c.DueAt = c.DueAt.In(calendar.Shanghai)
	return &c
}

func TestR12_FailGoesToRectificationAndReapplicationOpensNewRound(t *testing.T) {
	start := shanghaiTime(2026, 6, 15, 10, 0, 0)
	h := newDelivery(t, start)
	// Round a1: DRB's completeness check returns a rectification list.
	h.applyAcceptance(submitter)
	ret := h.decide(workflows.DecideUpdate{TaskID: acceptCheck1, Actor: drbReviewer, Decision: domain.DecisionReturn, Comment: "缺少试运行问题清单"})
	h.projectState(func(st workflows.ProjectState) {
		require.Equal(t, domain.StageRectification, st.Stage)
		require.Empty(t, st.OpenTasks)
	})
	otherUnit := h.applyAcceptance(otherSubmit)
	// Round a2: checked, then PRTA's witness fails; DRB's sign-off is cancelled.
	reapply := h.applyAcceptance(submitter) // no trial-run check in rectification
	h.projectState(func(st workflows.ProjectState) {
		require.Equal(t, domain.StageAcceptance, st.Stage)
		require.Equal(t, 2, st.AcceptanceRound)
		require.Equal(t, []workflows.OpenTask{{ID: acceptCheck2, Kind: domain.TaskAcceptanceCheck, CandidateRole: domain.RoleDRBReviewer, CandidateOrgID: "drb"}}, st.OpenTasks)
	})
	h.decide(workflows.DecideUpdate{TaskID: acceptCheck2, Actor: drbReviewer, Decision: domain.DecisionApprove})
	fail := h.decide(workflows.DecideUpdate{TaskID: witness2, Actor: prtaWitness, Decision: domain.DecisionFail, Comment: "接口未联调"})
	staleSignoff := h.pass(signoff2, drbReviewer)
	h.projectState(func(st workflows.ProjectState) {
		require.Equal(t, domain.StageRectification, st.Stage)
		require.Empty(t, st.OpenTasks)
	})
	// Round a3: both pass (witness first this time).
	h.applyAcceptance(submitter)
	h.decide(workflows.DecideUpdate{TaskID: acceptCheck3, Actor: drbReviewer, Decision: domain.DecisionApprove})
	w3 := h.pass(witness3, prtaWitness)
	h.projectState(func(st workflows.ProjectState) { require.Equal(t, domain.StageAcceptance, st.Stage) })
	s3 := h.pass(signoff3, drbReviewer)
	oldRound := h.pass(signoff1, drbReviewer)
	h.projectState(func(st workflows.ProjectState) {
		require.Equal(t, domain.StageOM, st.Stage)
		require.Equal(t, 3, st.AcceptanceRound)
	})
	h.cancel()
	h.runLifecycle(resumedInput(policy2021(), trialRunOver(start)))
	h.requireCancelled()

	requireOK(t, ret)
	requireRejectedByValidator(t, otherUnit, domain.StatusForbidden, "forbidden")
	requireOK(t, reapply)
	requireOK(t, fail)
	require.Equal(t, domain.StageRectification, fail.result.(workflows.DecideResult).Stage)
	requireRejectedByValidator(t, staleSignoff, domain.StatusConflict, "stale_task")
	requireOK(t, w3)
	requireOK(t, s3)
	requireRejectedByValidator(t, oldRound, domain.StatusConflict, "stale_task")

	require.Equal(t, []domain.Stage{domain.StageAcceptance, domain.StageRectification, domain.StageAcceptance,
		domain.StageRectification, domain.StageAcceptance, domain.StageOM}, h.stages())
	// History is kept: every round's tasks exist side by side.
	require.Equal(t, []string{acceptCheck1, acceptCheck2, signoff2, witness2, acceptCheck3, signoff3, witness3, evaluation1}, h.openedIDs())

	rect := h.notices("rectification")
	require.Len(t, rect, 2)
	require.Equal(t, "缺少试运行问题清单", rect[0].Body)
	require.Equal(t, "接口未联调", rect[1].Body)
	require.Equal(t, unitA, rect[1].OrgID)

	var failed domain.Transition
	for _, tr := range h.transitions {
		if len(tr.Close) > 0 && tr.Close[0].TaskID == witness2 {
			failed = tr
		}
	}
	require.Equal(t, []domain.TaskClose{
		{TaskID: witness2, Decision: domain.DecisionFail, ActorID: prtaWitness.ID, Comment: "接口未联调"},
		{TaskID: signoff2, ActorID: prtaWitness.ID, Cancelled: true},
	}, failed.Close, "the other decision of the round is cancelled")
	var rounds []any
	for _, tr := range h.withAudit("acceptance.apply") {
		rounds = append(rounds, tr.Audit[0].Detail["round"])
	}
	require.Equal(t, []any{1, 2, 3}, rounds)
}

func TestR14_EvaluationDecision(t *testing.T) {
	start := shanghaiTime(2026, 9, 1, 9, 0, 0)
	h := newDelivery(t, start)
	eval := func(actor domain.Actor, decision string, s *int, grade, findings string) *outcome {
		return h.decide(workflows.DecideUpdate{TaskID: evaluation1, Actor: actor, Decision: decision, Score: s, Grade: grade, Comment: findings})
	}
	cases := []struct {
		name   string
		o      *outcome
		status domain.Kind
		code   string
	}{
		{"score missing", eval(drbReviewer, domain.DecisionApprove, nil, "good", "运行平稳"), domain.StatusBadRequest, "invalid_decision"},
		{"score above 100", eval(drbReviewer, domain.DecisionApprove, score(101), "good", "运行平稳"), domain.StatusBadRequest, "invalid_decision"},
		{"score below 0", eval(drbReviewer, domain.DecisionApprove, score(-1), "good", "运行平稳"), domain.StatusBadRequest, "invalid_decision"},
		{"grade missing", eval(drbReviewer, domain.DecisionApprove, score(85), "", "运行平稳"), domain.StatusBadRequest, "invalid_decision"},
		{"grade unknown", eval(drbReviewer, domain.DecisionApprove, score(85), "great", "运行平稳"), domain.StatusBadRequest, "invalid_decision"},
		{"findings missing", eval(drbReviewer, domain.DecisionApprove, score(85), "good", ""), domain.StatusBadRequest, "invalid_decision"},
		{"pass is not an evaluation decision", eval(drbReviewer, domain.DecisionPass, score(85), "good", "运行平稳"), domain.StatusBadRequest, "invalid_decision"},
		{"PRTA does not evaluate", eval(prtaWitness, domain.DecisionApprove, score(85), "good", "运行平稳"), domain.StatusForbidden, "wrong_role"},
	}
	edge0 := eval(drbReviewer, domain.DecisionApprove, score(0), "poor", "未达预期")
	h.projectState(func(st workflows.ProjectState) {
		require.Empty(t, st.OpenTasks, "score 0 is a valid score")
		require.Equal(t, domain.StageOM, st.Stage)
	})
	again := eval(drbReviewer, domain.DecisionApprove, score(85), "good", "运行平稳")
	h.cancel()
	h.runLifecycle(resumedInput(policy2021(), workflows.ProjectState{Stage: domain.StageOM,
		OpenTasks: []workflows.OpenTask{{ID: evaluation1, Kind: domain.TaskEvaluation, CandidateRole: domain.RoleDRBReviewer, CandidateOrgID: "drb"}},
		OMStart:   start.Add(-30 * 24 * time.Hour), OMCalendarYear: 2026, OMYear: 1, OMDeadline: shanghaiTime(2027, 1, 31, 23, 59, 59)}))
	h.requireCancelled()

	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { requireRejectedByValidator(t, c.o, c.status, c.code) })
	}
	requireOK(t, edge0)
	requireRejectedByValidator(t, again, domain.StatusConflict, "stale_task")
	require.Len(t, h.transitions, 1)
	tr := h.transitions[0]
	require.Empty(t, tr.Stage, "an evaluation leaves the project in O&M")
	require.Equal(t, &domain.Evaluation{Score: 0, Grade: "poor", Findings: "未达预期", EvaluatedBy: drbReviewer.ID}, tr.Evaluation)
	require.Equal(t, []domain.TaskClose{{TaskID: evaluation1, Decision: domain.DecisionApprove, ActorID: drbReviewer.ID, Comment: "未达预期"}}, tr.Close)
	require.Equal(t, 0, tr.Audit[0].Detail["score"])
	require.Equal(t, "poor", tr.Audit[0].Detail["grade"])
}

func TestR14_EvaluationRecorded(t *testing.T) {
	h := newDelivery(t, shanghaiTime(2026, 9, 1, 9, 0, 0))
	ok := h.decide(workflows.DecideUpdate{TaskID: evaluation1, Actor: drbReviewer, Decision: domain.DecisionApprove, Score: score(86), Grade: "good",
		Comment: "目标基本达成；数据共享接口调用量偏低"})
	h.cancel()
	h.runLifecycle(resumedInput(shortPolicy(), workflows.ProjectState{Stage: domain.StageOM,
		OpenTasks: []workflows.OpenTask{{ID: evaluation1, Kind: domain.TaskEvaluation, CandidateRole: domain.RoleDRBReviewer, CandidateOrgID: "drb"}},
		OMStart:   shanghaiTime(2026, 9, 1, 8, 30, 0), OMYear: 1, OMDeadline: shanghaiTime(2026, 9, 1, 9, 30, 0)}))
	h.requireCancelled()

	requireOK(t, ok)
	require.Equal(t, &domain.Evaluation{Score: 86, Grade: "good", Findings: "目标基本达成；数据共享接口调用量偏低", EvaluatedBy: drbReviewer.ID},
		h.transitions[0].Evaluation)
}
