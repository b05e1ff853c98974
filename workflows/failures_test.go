package workflows_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/workflow"

	"egovpm/activities"
	"egovpm/internal/calendar"
	"egovpm/internal/domain"
	"egovpm/workflows"
)

// gaveUp returns the transitions that recorded an activity failure.
func (h *harness) gaveUp() []domain.Transition {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []domain.Transition
	for _, tr := range h.transitions {
		if tr.ActivityFailure != nil {
			out = append(out, tr)
		}
	}
	return out
}

// TestO1_SimilarityThatGivesUpIsRecordedForOps: R16's ComputeSimilar fails on all five
// attempts; the lifecycle records the failure for ops (a row the stuck list shows, an audit
// row, a notification to the ops role, which is sent) instead of only logging it, and its run
// does not end before it has.
func TestO1_SimilarityThatGivesUpIsRecordedForOps(t *testing.T) {
	h := newHarness(t, p1WorkflowID)
	attempts := 0
	h.env.OnActivity(a.ComputeSimilar, mock.Anything, mock.Anything).Return(
		func(context.Context, string) (int, error) {
			h.mu.Lock()
			defer h.mu.Unlock()
			attempts++
			return 0, errors.New(`store similar: pq: null value in column "reasons"`)
		})
	var sent []string
	h.env.OnActivity(a.SendNotifications, mock.Anything, mock.Anything).Return(
		func(_ context.Context, id string) (int, error) {
			h.mu.Lock()
			defer h.mu.Unlock()
			sent = append(sent, id)
			return 1, nil
		})
	reject := h.decide(workflows.DecideUpdate{TaskID: prelim1, Actor: drbReviewer, Decision: domain.DecisionReject, Comment: "不符合条件"})
	h.runLifecycle(lifecycleInput(smallFen, policy2021()))
	h.requireResult(domain.StageRejected)
	requireOK(t, reject)

	require.Equal(t, 5, attempts, "five attempts, then it gives up")
	failed := h.gaveUp()
	require.Len(t, failed, 1)
	tr := failed[0]
	require.Equal(t, p1WorkflowID, tr.WorkflowID)
	require.Equal(t, "p1", tr.ProjectID)
	require.Equal(t, "ComputeSimilar", tr.ActivityFailure.ActivityType)
	require.Contains(t, tr.ActivityFailure.Error, `null value in column "reasons"`)
	require.NotEmpty(t, tr.ActivityFailure.RunID)
	require.Contains(t, tr.ID, "/gave-up/ComputeSimilar")
	require.Len(t, tr.Audit, 1)
	require.Equal(t, "activity.gave_up", tr.Audit[0].Action)
	require.Equal(t, "workflow", tr.Audit[0].ObjectType)
	require.Equal(t, p1WorkflowID, tr.Audit[0].ObjectID)
	require.Len(t, tr.Notify, 1)
	require.Equal(t, domain.RoleOps, tr.Notify[0].Role)
	require.Contains(t, tr.Notify[0].Title, "ComputeSimilar")
	require.Equal(t, []string{tr.ID}, sent, "the ops notification goes out")
}

// TestO1_NotificationSendThatGivesUpIsRecordedNotResent: a notification send that fails for a
// day is recorded for ops like any activity that gives up; the record's own notification
// stays in the read model (in-app) and is not sent again through the failing path. A run of
// notify-in-apply has no send activity (the mail sweep records a mail that gives up:
// TestSweepMailRecordsAMailUnsentADayForOps); this is a run started before.
func TestO1_NotificationSendThatGivesUpIsRecordedNotResent(t *testing.T) {
	h := newLifecycle(t)
	beforeNotifyInApply(t, h.env)
	var sent []string
	h.env.OnActivity(a.SendNotifications, mock.Anything, mock.Anything).Return(
		func(_ context.Context, id string) (int, error) {
			h.mu.Lock()
			defer h.mu.Unlock()
			sent = append(sent, id)
			return 0, errors.New("smtp: 421 service not available")
		})
	h.decide(workflows.DecideUpdate{TaskID: prelim1, Actor: drbReviewer, Decision: domain.DecisionReturn, Comment: "请补充需求分析"})
	h.update(workflows.UpdateResubmit, workflows.ResubmitUpdate{Actor: submitter})
	h.decide(workflows.DecideUpdate{TaskID: prelim2, Actor: drbReviewer, Decision: domain.DecisionReject, Comment: "不符合条件"})
	h.runLifecycle(lifecycleInput(smallFen, policy2021()))
	h.requireResult(domain.StageRejected)

	returned := h.transitionTo(domain.StageRevision)
	failed := h.gaveUp()
	require.Len(t, failed, 1)
	require.Equal(t, "SendNotifications", failed[0].ActivityFailure.ActivityType)
	require.Contains(t, failed[0].ID, "/gave-up/SendNotifications/"+returned.ID)
	require.Contains(t, failed[0].ActivityFailure.Error, "421")
	for _, id := range sent {
		require.Equal(t, returned.ID, id, "only the return's notifications are sent (and retried)")
	}
}

// TestO1_T1ReminderThatGivesUpIsRecordedForOps: a T1 reminder of the plan that fails for a day
// is recorded for ops and its notification sent.
func TestO1_T1ReminderThatGivesUpIsRecordedForOps(t *testing.T) {
	h := newPlan(t)
	h.env.OnActivity(a.RemindDrafts, mock.Anything, mock.Anything).Return(
		func(context.Context, activities.DraftReminderInput) (int, error) {
			return 0, errors.New("database is down")
		})
	var sent []string
	h.env.OnActivity(a.SendNotifications, mock.Anything, mock.Anything).Return(
		func(_ context.Context, id string) (int, error) {
			h.mu.Lock()
			defer h.mu.Unlock()
			sent = append(sent, id)
			return 1, nil
		})
	// 27 June 08:00 of the year before the plan year: the 27 June reminder is an hour away, the
	// earlier ones are past, 1 July is four days away.
	h.env.SetStartTime(time.Date(planYear-1, 6, 27, 8, 0, 0, 0, calendar.Shanghai))
	h.env.RegisterDelayedCallback(h.env.CancelWorkflow, 30*time.Hour)
	h.runPlan(policy2021())
	h.requireCancelled()

	failed := h.gaveUp()
	require.Len(t, failed, 1)
	require.Equal(t, "RemindDrafts", failed[0].ActivityFailure.ActivityType)
	require.Equal(t, planWorkflowID, failed[0].WorkflowID)
	require.Contains(t, failed[0].ID, "/gave-up/RemindDrafts/06-27")
	require.Equal(t, []string{failed[0].ID}, sent)
}

// TestR16_SimilarityRunsOnTheSimilarityQueue: since similarity-queue, ComputeSimilar is
// scheduled on the run's similarity queue (workflows.SimilarityQueue), whose few slots a burst
// of submissions waits for in the queue (issue 20 item 1); a run started before keeps it on its
// own task queue, where its history scheduled it.
func TestR16_SimilarityRunsOnTheSimilarityQueue(t *testing.T) {
	const queue = workflows.TaskQueue // the harness's
	for _, c := range []struct {
		name   string
		before bool
		want   string
	}{{"now", false, workflows.SimilarityQueue(queue)}, {"started before", true, queue}} {
		t.Run(c.name, func(t *testing.T) {
			h := newLifecycle(t)
			if c.before {
				startedBefore(t, h.env, "lifecycle-baseline-similarity-queue")
				h.env.OnGetVersion("similarity-queue", workflow.DefaultVersion, 1).Return(workflow.DefaultVersion)
			}
			var queues []string
			h.env.SetOnActivityStartedListener(func(info *activity.Info, _ context.Context, _ converter.EncodedValues) {
				if info.ActivityType.Name == "ComputeSimilar" {
					h.mu.Lock()
					defer h.mu.Unlock()
					queues = append(queues, info.TaskQueue)
				}
			})
			reject := h.decide(workflows.DecideUpdate{TaskID: prelim1, Actor: drbReviewer, Decision: domain.DecisionReject, Comment: "不符合条件"})
			h.runLifecycle(lifecycleInput(smallFen, policy2021()))
			h.requireResult(domain.StageRejected)
			requireOK(t, reject)
			require.Equal(t, []string{c.want}, queues)
		})
	}
}
