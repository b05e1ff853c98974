package main

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/api/temporalproto"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
)

// recordDir, when set (make record-histories), makes every end-to-end test export the histories
// of the workflows it ran into that directory, for the replay gate (workflows/testdata, O3).
var recordDir = flag.String("record-histories", "", "export workflow histories of end-to-end tests to this directory")

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9_-]+`)

// recordHistories exports the histories of every workflow on the stack's task queue.
func (s *stack) recordHistories(t *testing.T, queue string) {
	if *recordDir == "" {
		return
	}
	ctx := context.Background()
	// Visibility is eventually consistent: list until some workflow shows, for a few seconds;
	// a test that started none (uploads refused, drafts only) records nothing.
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		var n int
		var token []byte
		for {
			res, err := s.temporal.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{
				Query: "TaskQueue = '" + queue + "'", NextPageToken: token})
			require.NoError(t, err)
			for _, e := range res.Executions {
				writeHistory(t, s.temporal, t.Name(), e.Execution.WorkflowId, e.Execution.RunId)
				n++
			}
			if token = res.NextPageToken; len(token) == 0 {
				break
			}
		}
		if n > 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Logf("record-histories: %s started no workflow", t.Name())
			return
		}
	}
}

func writeHistory(t *testing.T, c client.Client, test, wfID, runID string) {
	ctx := context.Background()
	it := c.GetWorkflowHistory(ctx, wfID, runID, false, 0)
	h := &historypb.History{}
	for it.HasNext() {
		e, err := it.Next()
		require.NoError(t, err)
		h.Events = append(h.Events, e)
	}
	b, err := temporalproto.CustomJSONMarshalOptions{Indent: "  "}.Marshal(h)
	require.NoError(t, err)
	kind := "cycle" // AnnualCycle runs started by the schedule
	switch {
	case strings.HasPrefix(wfID, "plan:"):
		kind = "plan"
	case strings.HasPrefix(wfID, "project:"):
		kind = "project"
	}
	name := unsafeName.ReplaceAllString(test, "_") + "-" + kind + "-" + unsafeName.ReplaceAllString(wfID, "_") + "-" + runID[:8] + ".json"
	require.NoError(t, os.WriteFile(filepath.Join(*recordDir, name), append(b, '\n'), 0o644))
}
