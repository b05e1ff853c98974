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
