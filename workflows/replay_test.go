package workflows_test

import (
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"egovpm/workflows"
)

// TestReplayHistories is the O3 replay gate: every recorded history in testdata/*.json (the
// JSON of `temporal workflow show --output json`, or of GetWorkflowHistory written with
// protojson) must replay against the current workflow code. A non-deterministic change fails it.
//
// It fails when there is no history at all, so that an empty testdata directory cannot pass for
// a green gate.
func TestReplayHistories(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.json"))
	require.NoError(t, err)
	require.NotEmpty(t, files, "no workflow histories in workflows/testdata/*.json: the replay gate (O3) needs recorded histories")

	logger := log.NewStructuredLogger(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			f, err := os.Open(file)
			require.NoError(t, err)
			defer f.Close()
			history, err := client.HistoryFromJSON(f, client.HistoryJSONOptions{})
			require.NoError(t, err, "read %s", file)
			require.NotEmpty(t, history.GetEvents(), "%s has no events", file)
			started := history.GetEvents()[0].GetWorkflowExecutionStartedEventAttributes()
			require.NotNil(t, started, "%s does not begin with WorkflowExecutionStarted", file)
			// The workflows derive task ids from their workflow id, and recorded Updates name those
			// tasks: replaying under the replayer's default id ("ReplayId") would refuse them and
			// report a false non-determinism.
			id := started.GetWorkflowId()
			require.NotEmpty(t, id, "%s: the started event carries no workflowId (record it with a newer server)", file)

			replayer := worker.NewWorkflowReplayer()
			workflows.Register(replayer)
			err = replayer.ReplayWorkflowHistoryWithOptions(logger, history, worker.ReplayWorkflowHistoryOptions{
				OriginalExecution: workflow.Execution{ID: id, RunID: started.GetOriginalExecutionRunId()},
			})
			require.NoError(t, err, "replay %s (workflow %s)", file, id)
		})
	}
}
