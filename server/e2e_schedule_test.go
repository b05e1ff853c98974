package main

import (
	"context"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"
	"go.uber.org/zap"

	"egovpm/activities"
	"egovpm/internal/calendar"
	"egovpm/internal/ops"
	"egovpm/worker/setup"
	"egovpm/workflows"
)

// TestE2E_AnnualScheduleStartsNextPlan: T1's yearly Schedule exists once on the real server
// (creating it again is a no-op) and, triggered, starts next year's AnnualPlan.
func TestE2E_AnnualScheduleStartsNextPlan(t *testing.T) {
	t.Parallel()
	s := newStack(t, "2021")
	ctx := context.Background()
	id := "test-annual-" + newID("")
	queue := s.srv.cfg.TaskQueue
	require.NoError(t, setup.EnsureSchedule(ctx, s.temporal, id, queue, "2021"))
	h := s.temporal.ScheduleClient().GetHandle(ctx, id)
	t.Cleanup(func() { _ = h.Delete(context.Background()) })
	d0, err := h.Describe(ctx)
	require.NoError(t, err)
	require.NoError(t, setup.EnsureSchedule(ctx, s.temporal, id, queue, "2021"), "idempotent")
	d, err := h.Describe(ctx)
	require.NoError(t, err)
	require.Equal(t, d0.Info.LastUpdateAt, d.Info.LastUpdateAt, "a start with the same policy writes nothing")
	require.Equal(t, "Asia/Shanghai", d.Schedule.Spec.TimeZoneName)
	require.NotEmpty(t, d.Schedule.Spec.Calendars)

	require.Equal(t, "2021", schedulePolicy(t, d))
	// R19: after EGOVPM_POLICY changes, the worker's EnsureSchedule moves the schedule to it.
	require.NoError(t, setup.EnsureSchedule(ctx, s.temporal, id, queue, "2023"))
	d, err = h.Describe(ctx)
	require.NoError(t, err)
	require.Equal(t, "2023", schedulePolicy(t, d))
	require.Equal(t, "Asia/Shanghai", d.Schedule.Spec.TimeZoneName, "only the argument changed")
	require.NoError(t, setup.EnsureSchedule(ctx, s.temporal, id, queue, "2021"))

	require.NoError(t, h.Trigger(ctx, client.ScheduleTriggerOptions{}))
	next := time.Now().In(calendar.Shanghai).Year() + 1
	require.EventuallyWithT(t, func(c *assertT) {
		desc, err := ops.Describe(ctx, s.temporal, workflows.PlanWorkflowID(next), "")
		if assertEqual(c, nil, err) {
			assertEqual(c, "AnnualPlan", desc.WorkflowExecutionInfo.Type.Name)
		}
	}, 30*time.Second, 200*time.Millisecond, "plan:%d not started by the schedule", next)
	// The plan the cycle started carries the same summary a gateway-started one does (issue 21
	// item 5: ids only, no project content).
	d2, err := s.temporal.DescribeWorkflow(ctx, workflows.PlanWorkflowID(next), "")
	require.NoError(t, err)
	require.Contains(t, d2.RawResponse.WorkflowExecutionInfo.GetParentExecution().GetWorkflowId(), id+":run", "started by the schedule's cycle")
	sum, err := d2.GetStaticSummary()
	require.NoError(t, err)
	require.Equal(t, "annual plan "+strconv.Itoa(next), sum)
	// Issue 20 item 1 (cycle-plan-priority): the plan runs ahead of its projects, as a
	// gateway-started one does (TestE2E_PlanRunsAheadOfItsProjects).
	require.EqualValues(t, workflows.PlanPriority.PriorityKey, d2.RawResponse.WorkflowExecutionInfo.GetPriority().GetPriorityKey())
}

// TestE2E_PlanRunsAheadOfItsProjects (issue 20 item 1, plan-priority): the year's plan the
// first submission starts has the plan's task priority, its projects' lifecycles the default,
// so that the plan's workflow tasks and activities are dispatched before theirs
// (devserver's TestPriorityKeyGoesFirstAndSurvivesContinueAsNew shows the server doing so).
func TestE2E_PlanRunsAheadOfItsProjects(t *testing.T) {
	t.Parallel()
	s := newStack(t, "2021")
	year := futureYear()
	id := s.createProject("alice", "优先级测试项目", year, 100_000_000)
	s.submit("alice", id)
	ctx := context.Background()
	plan, err := s.temporal.DescribeWorkflow(ctx, workflows.PlanWorkflowID(year), "")
	require.NoError(t, err)
	require.EqualValues(t, 1, plan.RawResponse.WorkflowExecutionInfo.GetPriority().GetPriorityKey(), "the plan's priority")
	project, err := s.temporal.DescribeWorkflow(ctx, workflows.ProjectWorkflowID(id), "")
	require.NoError(t, err)
	require.Zero(t, project.RawResponse.WorkflowExecutionInfo.GetPriority().GetPriorityKey(), "a project at the default priority")
}

// schedulePolicy is the policy version a schedule starts its AnnualCycle with.
func schedulePolicy(t *testing.T, d *client.ScheduleDescription) string {
	t.Helper()
	v, err := setup.ScheduledPolicy(d)
	require.NoError(t, err)
	return v
}

// TestE2E_T1DraftRemindersReachUnitsWithDrafts: the T1 activity notifies (and delivers to) the
// submitters of units that still have drafts for the plan year, once; the window-closed notice
// goes to every submitter.
func TestE2E_T1DraftRemindersReachUnitsWithDrafts(t *testing.T) {
	t.Parallel()
	s := newStack(t, "2021")
	year := futureYear()
	s.createProject("alice", "尚未提交的草稿", year, 100_000_000)
	acts := &activities.Activities{Store: s.store, Log: zap.NewNop()}
	in := activities.DraftReminderInput{ID: "plan:test/t1/06-01", PlanYear: year,
		Deadline: time.Date(year-1, 6, 30, 23, 59, 59, 0, calendar.Shanghai)}
	for range 2 { // a retried activity sends nothing twice
		_, err := acts.RemindDrafts(context.Background(), in)
		require.NoError(t, err)
	}
	kinds := func(user string) []string {
		r := s.do(user, http.MethodGet, "/api/v1/notifications", nil, nil)
		var out []string
		for _, it := range r.Body["items"].([]any) {
			out = append(out, it.(map[string]any)["kind"].(string))
		}
		return out
	}
	require.Equal(t, []string{"submission_reminder"}, kinds("alice"))
	require.Empty(t, kinds("bob"), "unit-b has no draft")

	in.ID, in.Closed = "plan:test/t1/07-01", true
	_, err := acts.RemindDrafts(context.Background(), in)
	require.NoError(t, err)
	require.Contains(t, kinds("bob"), "submission_closed")
	var unsent int
	require.NoError(t, s.store.DB().Get(&unsent, `SELECT count(*) FROM notifications WHERE sent_at IS NULL`))
	require.Zero(t, unsent)
}
