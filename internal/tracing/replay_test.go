package tracing_test

import (
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/sdk/trace"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/interceptor"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"egovpm/internal/tracing"
	"egovpm/workflows"
)

// Issue 21 item 2, O3: the recorded histories (workflows/testdata) replay with the tracing
// interceptor the worker runs with: it adds headers, never commands.
func TestReplayHistoriesTraced(t *testing.T) {
	otel.SetTracerProvider(trace.NewTracerProvider())
	files, err := filepath.Glob(filepath.Join("..", "..", "workflows", "testdata", "*.json"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	ti, err := tracing.TemporalInterceptor()
	require.NoError(t, err)
	logger := log.NewStructuredLogger(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			f, err := os.Open(file)
			require.NoError(t, err)
			defer f.Close()
			history, err := client.HistoryFromJSON(f, client.HistoryJSONOptions{})
			require.NoError(t, err)
			started := history.GetEvents()[0].GetWorkflowExecutionStartedEventAttributes()
			replayer, err := worker.NewWorkflowReplayerWithOptions(worker.WorkflowReplayerOptions{
				Interceptors: []interceptor.WorkerInterceptor{ti},
			})
			require.NoError(t, err)
			replayer.RegisterWorkflow(workflows.ProjectLifecycle)
			replayer.RegisterWorkflow(workflows.AnnualPlan)
			replayer.RegisterWorkflow(workflows.AnnualCycle)
			err = replayer.ReplayWorkflowHistoryWithOptions(logger, history, worker.ReplayWorkflowHistoryOptions{
				OriginalExecution: workflow.Execution{ID: started.GetWorkflowId(), RunID: started.GetOriginalExecutionRunId()},
			})
			require.NoError(t, err, "replay %s", file)
		})
	}
}
