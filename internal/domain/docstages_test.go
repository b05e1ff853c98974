package domain

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// TestDocumentStagesCoverEveryKind: every document kind has its stages (a kind without would
// be refused everywhere), only real stages are named, and no document is taken in a final stage.
func TestDocumentStagesCoverEveryKind(t *testing.T) {
	require.Len(t, DocumentStages, len(DocKinds))
	for _, k := range DocKinds {
		stages := DocumentStages[k]
		require.NotEmpty(t, stages, k)
		for _, s := range stages {
			require.Contains(t, Stages, s, k)
			require.False(t, s.Terminal(), "%s in %s", k, s)
		}
	}
	require.False(t, DocumentAllowed("trial_run_report", StageDraft))
	require.True(t, DocumentAllowed("trial_run_report", StageTrialRun))
	require.False(t, DocumentAllowed("nonsense", StageDraft))
}
