package workflows_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"egovpm/internal/domain"
	"egovpm/workflows"
)

// TestUpdateOutcomesCarryTheRequestHash: Temporal answers a resend of an Update id with the
// first outcome and never compares bodies, so every outcome of an Update sent with a request
// hash carries it back, a result as a refusal, for the gateway to tell a resend with another
// body (409 idempotency_key_reused). Without a hash (a request without a key, or an Update of
// earlier code) the outcome is what it always was.
func TestUpdateOutcomesCarryTheRequestHash(t *testing.T) {
	l := newLifecycle(t)
	decided := l.decide(workflows.DecideUpdate{TaskID: prelim1, Actor: drbReviewer, Decision: domain.DecisionApprove, RequestHash: "h-1"})
	l.cancel()
	l.runLifecycle(lifecycleInput(smallFen, policy2021()))
	requireOK(t, decided)
	require.Equal(t, "h-1", decided.result.(workflows.DecideResult).RequestHash)

	p := newPlan(t)
	p.status("p1", unitA, smallFen, domain.StagePrelimReview)
	refused := p.update(workflows.UpdateConvene, workflows.ConveneUpdate{SessionID: "s1", Actor: drbReviewer, Experts: fourWithA,
		ProjectIDs: []string{"p1"}, RequestHash: "h-2"})
	plain := p.update(workflows.UpdateConvene, workflows.ConveneUpdate{SessionID: "s2", Actor: drbReviewer, Experts: fourWithA,
		ProjectIDs: []string{"p1"}})
	p.status("p1", unitA, smallFen, domain.StageExpertReview)
	convened := p.update(workflows.UpdateConvene, workflows.ConveneUpdate{SessionID: "s3", Actor: drbReviewer, Experts: fourWithA,
		ProjectIDs: []string{"p1"}, RequestHash: "h-3"})
	p.cancel()
	p.runPlan(policy2021())
	p.requireCancelled()

	requireRefused(t, refused, domain.StatusConflict, "project_not_ready")
	r, _ := domain.AsRefusal(refused.err)
	require.Equal(t, "h-2", r.RequestHash)
	require.Contains(t, r.Message, "p1", "the refusal is the same otherwise")
	requireRefused(t, plain, domain.StatusConflict, "project_not_ready")
	r, _ = domain.AsRefusal(plain.err)
	require.Empty(t, r.RequestHash)
	requireOK(t, convened)
	require.Equal(t, "h-3", convened.result.(workflows.ConveneResult).RequestHash)
}
