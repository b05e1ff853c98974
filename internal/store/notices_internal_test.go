package store

import (
	"testing"

	"github.com/stretchr/testify/require"

	"egovpm/internal/domain"
)

// Issue 19 item 1: a decision of the one-statement shape (stage, closes, one audit row) whose
// stage derives notices goes through the transaction that writes them (applyInTx): the
// one-statement path writes no notification. Other stages keep the one statement.
func TestAloneLeavesDerivedNoticesToTheTransaction(t *testing.T) {
	decision := func(s domain.Stage) domain.Transition {
		return domain.Transition{ID: "x", WorkflowID: "w", ProjectID: "p", Stage: s,
			Close: []domain.TaskClose{{TaskID: "t", Decision: "d", ActorID: "u"}}, Audit: []domain.AuditItem{{ActorID: "u", Action: "task.decide"}}}
	}
	for _, r := range NoticeRules {
		if r.stage != "" {
			require.False(t, alone(decision(r.stage)), "%s (%s)", r.Kind, r.stage)
		}
	}
	require.True(t, alone(decision(domain.StageExpertReview)), "a prelim approval opens nothing and tells nobody")
	require.True(t, alone(decision(domain.StageTrialRun)))
}
