package workflows

import (
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
)

// retirableNow are the change ids and baselines whose old branches no recorded history in
// testdata needs (TestRetirableChanges computes them): a change whose version below its max, or
// a baseline, no history meets. Whether a branch can go also depends on the running workflows
// (versions.go, change): these are the candidates to check there.
var retirableNow = []string{"om-reminder", "lifecycle-baseline-close-terminate", "lifecycle-baseline-stage", "lifecycle-baseline-finish",
	"lifecycle-baseline-turns", "plan-baseline-finish"}

// TestRetirableChanges replays every recorded history and notes each version the runs meet
// (versionMet): a change id met below its highest version needs its old branch; a baseline a
// run recorded is needed; versions-at-start met at DefaultVersion needs the path of the runs
// before it. The ids nothing needs are listed (retirableNow): the test fails when a history is
// added or removed and the list no longer matches, so that versions.go is looked at again.
func TestRetirableChanges(t *testing.T) {
	var mu sync.Mutex
	needed := map[string]bool{}
	versionMet = func(id string, v, max workflow.Version) {
		mu.Lock()
		defer mu.Unlock()
		if v < max || id != "versions-at-start" && isBaseline(id) {
			needed[id] = true
		}
	}
	t.Cleanup(func() { versionMet = nil })

	files, err := filepath.Glob(filepath.Join("testdata", "*.json"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	logger := log.NewStructuredLogger(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError})))
	for _, file := range files {
		f, err := os.Open(file)
		require.NoError(t, err)
		h, err := client.HistoryFromJSON(f, client.HistoryJSONOptions{})
		require.NoError(t, f.Close())
		require.NoError(t, err, file)
		started := h.GetEvents()[0].GetWorkflowExecutionStartedEventAttributes()
		r := worker.NewWorkflowReplayer()
		Register(r)
		require.NoError(t, r.ReplayWorkflowHistoryWithOptions(logger, h, worker.ReplayWorkflowHistoryOptions{
			OriginalExecution: workflow.Execution{ID: started.GetWorkflowId(), RunID: started.GetOriginalExecutionRunId()},
		}), file)
	}

	var retirable []string
	for _, id := range versionIDs() {
		if !needed[id] {
			retirable = append(retirable, id)
		}
	}
	t.Logf("no recorded history needs the old branches of %v", retirable)
	require.Equal(t, retirableNow, retirable,
		"the ids whose old branches no recorded history needs changed: check them against the running workflows (versions.go) and update retirableNow")
}

// versionIDs are every change id, and every baseline but the newest of each workflow (a run
// started now records it), in a fixed order.
func versionIDs() []string {
	var ids []string
	for _, cs := range [][]change{lifecycleChanges, planChanges} {
		for _, c := range cs {
			if !slices.Contains(ids, c.id) {
				ids = append(ids, c.id)
			}
		}
	}
	ids = append(ids, "versions-at-start")
	for _, bs := range [][]baseline{lifecycleBaselines, planBaselines} {
		for _, b := range bs[1:] {
			ids = append(ids, b.id)
		}
	}
	return ids
}

func isBaseline(id string) bool {
	for _, bs := range [][]baseline{lifecycleBaselines, planBaselines} {
		for _, b := range bs {
			if b.id == id {
				return true
			}
		}
	}
	return false
}
