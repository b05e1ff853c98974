package workflows_test

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/workflow"

	"egovpm/internal/domain"
	"egovpm/workflows"
)

// TestR4_EffectivePanelMustBeOddAndAtLeastTheMinimum: R4, the effective panel of each project
// (recusal differs per unit) stays odd and at least the policy's minimum. Five experts with one
// of unitA are four for a unitA project: the convene is refused, naming that project, why and
// how many experts from outside its unit it lacks (not the unit-b project, whose five are
// fine); three with one recused are two (below the minimum). Nothing is convened. Six experts,
// one of each unit, are five for both and convene.
func TestR4_EffectivePanelMustBeOddAndAtLeastTheMinimum(t *testing.T) {
	h := newPlan(t)
	h.setRow(domain.PlanProject{ProjectID: "p1", PlanYear: planYear, UnitID: unitA, Name: "智慧教育云平台", EstimatedFen: smallFen,
		Stage: domain.StageExpertReview})
	h.status("p2", "unit-b", smallFen, domain.StageExpertReview)
	even := h.update(workflows.UpdateConvene, workflows.ConveneUpdate{SessionID: "s1", Actor: drbReviewer, Experts: fiveExperts,
		ProjectIDs: []string{"p1", "p2"}})
	small := h.update(workflows.UpdateConvene, workflows.ConveneUpdate{SessionID: "s2", Actor: drbReviewer, Experts: fiveExperts[:3],
		ProjectIDs: []string{"p2", "p1"}})
	ok := h.update(workflows.UpdateConvene, workflows.ConveneUpdate{SessionID: "s3", Actor: drbReviewer, Experts: sixExperts,
		ProjectIDs: []string{"p1", "p2"}})
	h.cancel()
	h.runPlan(policy2021())
	h.requireCancelled()

	requireRefused(t, even, domain.StatusUnprocessable, "panel_even_after_recusal")
	r, _ := domain.AsRefusal(even.err)
	require.Contains(t, r.Message, "项目「智慧教育云平台」（p1）回避 1 人后有效专家 4 人，须再增加 1 名非本单位专家")
	require.Contains(t, r.Message, "不少于 3 人的奇数")
	require.NotContains(t, r.Message, "p2")
	require.Equal(t, []any{map[string]any{"project_id": "p1", "recused": float64(1), "effective": float64(4), "add": float64(1)}},
		extra(t, even.err)["projects"])

	requireRefused(t, small, domain.StatusUnprocessable, "panel_too_small_after_recusal")
	r, _ = domain.AsRefusal(small.err)
	require.Contains(t, r.Message, "（p1）回避 1 人后有效专家 2 人，须再增加 1 名非本单位专家")
	require.NotContains(t, r.Message, "p2）") // three unrecused experts are enough for p2

	requireOK(t, ok)
	require.Len(t, h.panelSent("p1"), 1)
	require.Len(t, h.panelSent("p2"), 1)
	require.Len(t, h.transitions, 1, "only the valid session is convened")
}

// extra decodes the Extra of the refusal in err as JSON would carry it.
func extra(t *testing.T, err error) map[string]any {
	t.Helper()
	r, ok := domain.AsRefusal(err)
	require.True(t, ok, "%v", err)
	return roundTrip(t, r.Extra)
}

// TestR4_PanelRuleNumbersLiveInThePolicy: a policy that does not want odd panels accepts an
// even effective panel of at least its minimum, and a policy's pass share decides the outcome
// (here more than two thirds: two passes of three reject).
func TestR4_PanelRuleNumbersLiveInThePolicy(t *testing.T) {
	h := newPlan(t)
	h.status("p1", unitA, smallFen, domain.StageExpertReview)
	convene := h.update(workflows.UpdateConvene, workflows.ConveneUpdate{SessionID: "s1", Actor: drbReviewer, Experts: fiveExperts,
		ProjectIDs: []string{"p1"}})
	h.cancel()
	pol := policy2021()
	odd := false
	pol.PanelOdd = &odd
	h.runPlan(pol)
	h.requireCancelled()
	requireOK(t, convene)

	l := newLifecycle(t)
	l.prelimApprove()
	l.signal(workflows.SignalPanel, workflows.PanelSignal{SessionID: "s1", Experts: panel3})
	l.review(panel3[0], true)
	l.review(panel3[1], true)
	last := l.review(panel3[2], false)
	in := lifecycleInput(smallFen, policy2021())
	in.Policy.PanelPassMoreThan = &domain.Fraction{Num: 2, Den: 3}
	l.runLifecycle(in)
	l.requireResult(domain.StageRejected)
	requireOK(t, last)
}

// TestR4_PlanStartedBeforeOddPanelsKeepsItsRules: a plan run started before
// panel-odd-after-recusal keeps the rules it started with (so its history replays): the whole
// panel odd, each effective panel at least the minimum, an even effective panel accepted.
func TestR4_PlanStartedBeforeOddPanelsKeepsItsRules(t *testing.T) {
	h := newPlan(t)
	startedBefore(t, h.env, "plan-baseline-correctness")
	h.env.OnGetVersion("plan-baseline-sod", workflow.DefaultVersion, 1).Return(workflow.Version(1))
	h.env.OnGetVersion("panel-odd-after-recusal", workflow.DefaultVersion, 1).Return(workflow.DefaultVersion)
	h.status("p1", unitA, smallFen, domain.StageExpertReview)
	evenList := h.update(workflows.UpdateConvene, workflows.ConveneUpdate{SessionID: "s0", Actor: drbReviewer, Experts: fourWithA,
		ProjectIDs: []string{"p1"}})
	convene := h.update(workflows.UpdateConvene, workflows.ConveneUpdate{SessionID: "s1", Actor: drbReviewer, Experts: fiveExperts,
		ProjectIDs: []string{"p1"}})
	h.cancel()
	h.runPlan(policy2021())
	h.requireCancelled()
	requireRejectedByValidator(t, evenList, domain.StatusUnprocessable, "panel_size")
	requireOK(t, convene)
	require.Len(t, h.panelSent("p1")[0].Experts, 4)
}

// roundTrip is v as JSON decodes it into a map (numbers as float64).
func roundTrip(t *testing.T, v any) map[string]any {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	var out map[string]any
	require.NoError(t, json.Unmarshal(b, &out))
	return out
}
