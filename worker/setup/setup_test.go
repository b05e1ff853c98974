package setup_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"egovpm/worker/setup"
)

// Issue 20 item 1: a burst of workflow tasks (a bundle decision's 1,000 members) on a busy
// machine waits longer than the SDK's 5 s on the sticky queue; falling back to the task queue
// then replays each workflow's whole history on the same worker. The worker waits a minute.
func TestWorkerKeepsStickyTasksThroughABurst(t *testing.T) {
	o := setup.Options()
	require.GreaterOrEqual(t, o.StickyScheduleToStartTimeout, 30*time.Second)
	require.Equal(t, setup.StickyScheduleToStart, o.StickyScheduleToStartTimeout)
}

// The experiment's knob: EGOVPM_WORKFLOW_TASK_SLOTS caps the workflow tasks executed at once;
// unset or not a positive number, the SDK's default stands.
func TestWorkflowTaskSlotsFromTheEnvironment(t *testing.T) {
	t.Setenv(setup.WorkflowTaskSlotsEnv, "16")
	require.Equal(t, 16, setup.Options().MaxConcurrentWorkflowTaskExecutionSize)
	for _, v := range []string{"", "0", "-3", "many"} {
		t.Setenv(setup.WorkflowTaskSlotsEnv, v)
		require.Zero(t, setup.Options().MaxConcurrentWorkflowTaskExecutionSize, "%q", v)
	}
}
