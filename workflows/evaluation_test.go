package workflows_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/workflow"

	"egovpm/internal/domain"
	"egovpm/workflows"
)

// evaluation2 is the task of project p1's second evaluation round (R14, evaluation-period).
const evaluation2 = "project:p1:evaluation:1:e2"

// periodPolicy is a test policy whose evaluation opens 20 minutes after acceptance and recurs
// every 30 minutes (R14); its O&M year (1h) closes after both rounds.
func periodPolicy() domain.Policy {
	p := shortPolicy()
	p.EvaluationAfter = domain.Duration{Duration: 20 * time.Minute}
	p.EvaluationEvery = domain.Duration{Duration: 30 * time.Minute}
	return p
}

// witnessLeft is a project in acceptance whose sign-off passed: the witness's pass accepts it.
func witnessLeft() workflows.ProjectState {
	return workflows.ProjectState{Stage: domain.StageAcceptance, AcceptanceRound: 1,
		OpenTasks: []workflows.OpenTask{{ID: witness1, Kind: domain.TaskAcceptanceWitness, CandidateRole: domain.RolePRTAWitness, CandidateOrgID: "prta"}}}
}

func (h *harness) evaluate(taskID string, s int) *outcome {
	return h.decide(workflows.DecideUpdate{TaskID: taskID, Actor: drbReviewer, Decision: domain.DecisionApprove, Score: score(s), Grade: "good",
		Comment: "运行平稳"})
}

// evaluations lists the evaluation rows written, in order.
func (h *harness) evaluations() []domain.Evaluation {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []domain.Evaluation
	for _, tr := range h.transitions {
		if tr.Evaluation != nil {
			out = append(out, *tr.Evaluation)
		}
	}
	return out
}

// evaluationDues lists the next-round dates written (the zero time: cleared), in order.
func (h *harness) evaluationDues() []time.Time {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []time.Time
	for _, tr := range h.transitions {
		if tr.EvaluationDue != nil {
			out = append(out, *tr.EvaluationDue)
		}
	}
	return out
}

// R14 (evaluation-period): with a policy period the evaluation is not open at acceptance; it
// opens after the period, and once decided the next round is scheduled a recurrence period
// after the first (counted from acceptance) and opens as a task of its own; each round's
// result is recorded with its round.
func TestR14_EvaluationOpensAfterThePeriodAndRecurs(t *testing.T) {
	start := shanghaiTime(2026, 9, 1, 9, 0, 0)
	h := newDelivery(t, start)
	var acceptedAt time.Time
	accept := h.updateNoting(workflows.UpdateDecide, workflows.DecideUpdate{TaskID: witness1, Actor: prtaWitness, Decision: domain.DecisionPass}, &acceptedAt)
	early := h.evaluate(evaluation1, 80)
	h.projectState(func(st workflows.ProjectState) {
		require.Equal(t, domain.StageOM, st.Stage)
		require.Empty(t, st.OpenTasks, "R14: no evaluation on the day of acceptance")
		require.Zero(t, st.EvaluationRound)
		require.True(t, acceptedAt.Add(20*time.Minute).Equal(st.EvaluationDueAt), "due %s", st.EvaluationDueAt)
	})
	h.skipTo(21 * time.Minute)
	h.projectState(func(st workflows.ProjectState) {
		require.Equal(t, []workflows.OpenTask{{ID: evaluation1, Kind: domain.TaskEvaluation, CandidateRole: domain.RoleDRBReviewer, CandidateOrgID: "drb"}},
			st.OpenTasks, "round 1 opens after the period")
		require.Equal(t, 1, st.EvaluationRound)
		require.True(t, st.EvaluationDueAt.IsZero())
	})
	first := h.evaluate(evaluation1, 81)
	h.projectState(func(st workflows.ProjectState) {
		require.Empty(t, st.OpenTasks)
		require.True(t, acceptedAt.Add(50*time.Minute).Equal(st.EvaluationDueAt), "round 2 is due 20m + 30m after acceptance, not %s", st.EvaluationDueAt)
	})
	h.skipTo(51 * time.Minute)
	h.projectState(func(st workflows.ProjectState) {
		require.Len(t, st.OpenTasks, 1)
		require.Equal(t, evaluation2, st.OpenTasks[0].ID, "round 2 is a task of its own")
		require.Equal(t, 2, st.EvaluationRound)
	})
	second := h.evaluate(evaluation2, 90)
	h.cancel()
	h.runLifecycle(resumedInput(periodPolicy(), witnessLeft()))
	h.requireCancelled()

	requireOK(t, accept)
	requireRejectedByValidator(t, early, domain.StatusConflict, "stale_task")
	requireOK(t, first)
	requireOK(t, second)
	require.Equal(t, []string{evaluation1, evaluation2}, h.openedIDs())
	require.Equal(t, []domain.Evaluation{
		{Round: 1, Score: 81, Grade: "good", Findings: "运行平稳", EvaluatedBy: drbReviewer.ID},
		{Round: 2, Score: 90, Grade: "good", Findings: "运行平稳", EvaluatedBy: drbReviewer.ID},
	}, h.evaluations())
	dues := h.evaluationDues()
	require.Len(t, dues, 5, "scheduled at acceptance, cleared at round 1, scheduled at its decision, cleared at round 2, round 3 scheduled")
	for i, want := range []time.Duration{20 * time.Minute, -1, 50 * time.Minute, -1, 80 * time.Minute} {
		if want < 0 {
			require.True(t, dues[i].IsZero(), "due %d cleared", i)
			continue
		}
		require.True(t, acceptedAt.Add(want).Equal(dues[i]), "due %d: %s", i, dues[i])
	}
	opens := h.withAudit("evaluation.open")
	require.Len(t, opens, 2)
	require.Equal(t, 2, opens[1].Audit[0].Detail["round"])
	require.Equal(t, domain.StageOM, h.transitionTo(domain.StageOM).Stage)
	require.Empty(t, h.transitionTo(domain.StageOM).Open, "acceptance opens no evaluation")
}

// R14 (evaluation-period): the next round's timer survives continue-as-new: a run resumed
// with a round scheduled opens it when due.
func TestR14_ScheduledEvaluationSurvivesContinueAsNew(t *testing.T) {
	start := shanghaiTime(2026, 9, 1, 10, 0, 0)
	h := newDelivery(t, start)
	h.skipTo(10 * time.Minute)
	h.projectState(func(st workflows.ProjectState) {
		require.Len(t, st.OpenTasks, 1)
		require.Equal(t, evaluation2, st.OpenTasks[0].ID)
	})
	h.cancel()
	h.runLifecycle(resumedInput(periodPolicy(), workflows.ProjectState{Stage: domain.StageOM, OMStart: start.Add(-50 * time.Minute),
		OMYear: 2, OMDeadline: start.Add(70 * time.Minute), EvaluationRound: 1, EvaluationDueAt: start.Add(5 * time.Minute)}))
	h.requireCancelled()
	require.Equal(t, []string{evaluation2}, h.openedIDs())
}

// R14: a policy without the fields (every policy pinned before them) still evaluates at
// acceptance, once: deciding it schedules nothing.
func TestR14_PolicyWithoutPeriodEvaluatesAtAcceptanceOnce(t *testing.T) {
	h := newDelivery(t, shanghaiTime(2026, 9, 1, 9, 0, 0))
	accept := h.pass(witness1, prtaWitness)
	h.projectState(func(st workflows.ProjectState) {
		require.Len(t, st.OpenTasks, 1)
		require.Equal(t, evaluation1, st.OpenTasks[0].ID)
	})
	done := h.evaluate(evaluation1, 70)
	h.skipTo(50 * time.Minute)
	h.projectState(func(st workflows.ProjectState) {
		require.Empty(t, st.OpenTasks)
		require.True(t, st.EvaluationDueAt.IsZero())
	})
	h.cancel()
	h.runLifecycle(resumedInput(shortPolicy(), witnessLeft()))
	h.requireCancelled()
	requireOK(t, accept)
	requireOK(t, done)
	require.Equal(t, []string{evaluation1}, h.openedIDs())
	require.Equal(t, []domain.Evaluation{{Round: 1, Score: 70, Grade: "good", Findings: "运行平稳", EvaluatedBy: drbReviewer.ID}}, h.evaluations())
	require.Empty(t, h.evaluationDues())
}

// R14: a run started before evaluation-period opens the evaluation at acceptance, once, even
// under a policy with a period (its recorded histories replay).
func TestR14_OldRunEvaluatesAtAcceptance(t *testing.T) {
	h := newDelivery(t, shanghaiTime(2026, 9, 1, 9, 0, 0))
	startedBefore(t, h.env, "lifecycle-baseline-evaluation")
	h.env.OnGetVersion("lifecycle-baseline-close-terminate", workflow.DefaultVersion, 1).Return(workflow.Version(1))
	h.env.OnGetVersion("evaluation-period", workflow.DefaultVersion, 1).Return(workflow.DefaultVersion)
	accept := h.pass(witness1, prtaWitness)
	done := h.evaluate(evaluation1, 75)
	h.skipTo(55 * time.Minute)
	h.cancel()
	h.runLifecycle(resumedInput(periodPolicy(), witnessLeft()))
	h.requireCancelled()
	requireOK(t, accept)
	requireOK(t, done)
	require.Equal(t, []string{evaluation1}, h.openedIDs())
	require.Equal(t, []domain.Evaluation{{Score: 75, Grade: "good", Findings: "运行平稳", EvaluatedBy: drbReviewer.ID}}, h.evaluations())
	require.Empty(t, h.evaluationDues())
}
