package main

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	taskqueuepb "go.temporal.io/api/taskqueue/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
)

// TestPriorityKeyGoesFirstAndSurvivesContinueAsNew: the devserver dispatches a backlog of
// workflow tasks by priority key, and a run that continues as new keeps its key. egovpm's
// year plan relies on both (workflows.PlanPriority, issue 20 item 1): its compile and convene
// requests are served ahead of the lifecycles its previous request's fan-out woke, on the
// same task queue, and its later runs keep the key.
func TestPriorityKeyGoesFirstAndSurvivesContinueAsNew(t *testing.T) {
	addr := freeAddr(t)
	startDevProcess(t, "--addr", addr, "--db-file", filepath.Join(t.TempDir(), "temporal.db"), "--ui=false", "--log-level", "error")
	c := dial(t, addr)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	const queue = "priority-test"

	// A backlog: twenty runs at the default priority, then one at key 1, with no worker polling.
	const backlog = 20
	for i := range backlog {
		_, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: fmt.Sprintf("member-%02d", i), TaskQueue: queue}, "Order", 0)
		require.NoError(t, err)
	}
	ahead, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: "plan", TaskQueue: queue,
		Priority: temporal.Priority{PriorityKey: 1}}, "Order", 0)
	require.NoError(t, err)

	// The history service hands a run's first workflow task to matching asynchronously (its
	// transfer queue), so the plan's task, started last, may not be in the backlog yet when
	// ExecuteWorkflow returns. A worker that polled then would take members the key-1 task
	// never competed with. Wait until matching holds all of them, the key-1 one included.
	require.Eventually(t, func() bool {
		d, err := c.WorkflowService().DescribeTaskQueue(ctx, &workflowservice.DescribeTaskQueueRequest{
			Namespace: "default", TaskQueue: &taskqueuepb.TaskQueue{Name: queue, Kind: enumspb.TASK_QUEUE_KIND_NORMAL},
			TaskQueueType: enumspb.TASK_QUEUE_TYPE_WORKFLOW, ReportStats: true})
		return err == nil && d.GetStats().GetApproximateBacklogCount() == backlog+1 &&
			d.GetStatsByPriorityKey()[1].GetApproximateBacklogCount() == 1
	}, time.Minute, 100*time.Millisecond, "matching holds the whole backlog")

	// Two workflow tasks at a time (the SDK's least): the order the runs take their first
	// step is, up to the pair in flight, the order the server dispatched them.
	var mu sync.Mutex
	var order []string
	w := worker.New(c, queue, worker.Options{MaxConcurrentWorkflowTaskExecutionSize: 2, MaxConcurrentWorkflowTaskPollers: 2})
	w.RegisterWorkflowWithOptions(func(ctx workflow.Context, hop int) error {
		if !workflow.IsReplaying(ctx) && hop == 0 {
			mu.Lock()
			order = append(order, workflow.GetInfo(ctx).WorkflowExecution.ID)
			mu.Unlock()
		}
		if hop == 0 && workflow.GetInfo(ctx).WorkflowExecution.ID == "plan" {
			return workflow.NewContinueAsNewError(ctx, "Order", 1)
		}
		return nil
	}, workflow.RegisterOptions{Name: "Order"})
	require.NoError(t, w.Start())
	t.Cleanup(w.Stop)

	require.NoError(t, c.GetWorkflow(ctx, "plan", ahead.GetRunID()).Get(ctx, nil), "the plan's runs end")
	require.Eventually(t, func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(order) == backlog+1
	}, time.Minute, 50*time.Millisecond, "every run took its first step")
	mu.Lock()
	pos := slices.Index(order, "plan")
	mu.Unlock()
	// A task per poller may have been matched before the backlog was read whole, and the two
	// in flight record in either order: in dispatch order by key it is among the first three
	// (by start order alone it would be the last).
	require.LessOrEqual(t, pos, 2, "the key-1 run was dispatched %d-th of %d: %v", pos+1, backlog+1, order)

	// The run the plan continued as new has its key.
	d, err := c.DescribeWorkflowExecution(ctx, "plan", "")
	require.NoError(t, err)
	require.NotEqual(t, ahead.GetRunID(), d.GetWorkflowExecutionInfo().GetExecution().GetRunId(), "continued as new")
	require.EqualValues(t, 1, d.GetWorkflowExecutionInfo().GetPriority().GetPriorityKey())
}
