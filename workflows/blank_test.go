package workflows_test

import (
	"testing"

	"egovpm/internal/domain"
	"egovpm/workflows"
)

// blanks are texts a reader sees nothing in: white space (U+3000 included) and invisible
// characters (issue 15 item 10).
var blanks = []string{"   ", "\u3000\u3000", "\u200b", "\ufeff\u2060", "\u200c \u200d"}

// TestBlankCommentsAreMissingInTheLifecycle: a return comment of a preliminary review (R3) or
// an expert's opinion (R4) that is blank is refused as a missing one is.
func TestBlankCommentsAreMissingInTheLifecycle(t *testing.T) {
	h := newLifecycle(t)
	var returns, opinions []*outcome
	for _, b := range blanks {
		returns = append(returns, h.decide(workflows.DecideUpdate{TaskID: prelim1, Actor: drbReviewer, Decision: domain.DecisionReturn, Comment: b}))
	}
	h.prelimApprove()
	h.signal(workflows.SignalPanel, workflows.PanelSignal{SessionID: "s1", Experts: panel3})
	for _, b := range blanks {
		opinions = append(opinions, h.decide(workflows.DecideUpdate{TaskID: expertTask("e1"), Actor: expert("e1", "univ-1"),
			Decision: domain.DecisionPass, Score: score(90), Comment: b}))
	}
	h.cancel()
	h.runLifecycle(lifecycleInput(smallFen, policy2021()))
	h.requireCancelled()
	for i := range blanks {
		requireRejectedByValidator(t, returns[i], domain.StatusBadRequest, "invalid_decision")
		requireRejectedByValidator(t, opinions[i], domain.StatusBadRequest, "invalid_decision")
	}
}

// TestBlankReasonsAreMissingInThePlan: an exclusion reason of the plan (R5) or a bundle
// rejection's comment (R6) that is blank is refused as a missing one is.
func TestBlankReasonsAreMissingInThePlan(t *testing.T) {
	h := newPlan(t)
	h.status("p3", "unit-c", largeFen, domain.StageAwaitingPlan)
	bundleOf2(h)
	var excl, rejects []*outcome
	for _, b := range blanks {
		excl = append(excl, h.update(workflows.UpdateCompile, workflows.CompileUpdate{Actor: drbReviewer,
			Excluded: []workflows.PlanExclusion{{ProjectID: "p3", Reason: b}}}))
		rejects = append(rejects, h.decide(workflows.DecideUpdate{TaskID: bundle1Task, Actor: ndrcAppr, Decision: domain.DecisionReject, Comment: b}))
	}
	h.cancel()
	h.runPlan(policy2021())
	h.requireCancelled()
	for i := range blanks {
		requireRejectedByValidator(t, excl[i], domain.StatusBadRequest, "reason_required")
		requireRejectedByValidator(t, rejects[i], domain.StatusBadRequest, "invalid_decision")
	}
}
