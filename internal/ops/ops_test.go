package ops

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	failurepb "go.temporal.io/api/failure/v1"
	historypb "go.temporal.io/api/history/v1"
	workflowpb "go.temporal.io/api/workflow/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
	"google.golang.org/protobuf/types/known/timestamppb"

	"egovpm/internal/apperr"
	"egovpm/workflows"
)

var t0 = time.Date(2026, 7, 1, 9, 0, 0, 0, time.UTC)

func event(id int64, typ enumspb.EventType) *historypb.HistoryEvent {
	return &historypb.HistoryEvent{EventId: id, EventType: typ, EventTime: timestamppb.New(t0.Add(time.Duration(id) * time.Second))}
}

func taskFailed(id int64, cause enumspb.WorkflowTaskFailedCause, msg string) *historypb.HistoryEvent {
	e := event(id, enumspb.EVENT_TYPE_WORKFLOW_TASK_FAILED)
	e.Attributes = &historypb.HistoryEvent_WorkflowTaskFailedEventAttributes{WorkflowTaskFailedEventAttributes: &historypb.WorkflowTaskFailedEventAttributes{
		Cause: cause, Failure: &failurepb.Failure{Message: msg}}}
	return e
}

func taskTimedOut(id int64, typ enumspb.TimeoutType) *historypb.HistoryEvent {
	e := event(id, enumspb.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT)
	e.Attributes = &historypb.HistoryEvent_WorkflowTaskTimedOutEventAttributes{WorkflowTaskTimedOutEventAttributes: &historypb.WorkflowTaskTimedOutEventAttributes{
		TimeoutType: typ}}
	return e
}

// task appends one workflow task (scheduled, started, then the given end) at id.
func task(id int64, end func(int64) *historypb.HistoryEvent) []*historypb.HistoryEvent {
	return []*historypb.HistoryEvent{event(id, enumspb.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED),
		event(id+1, enumspb.EVENT_TYPE_WORKFLOW_TASK_STARTED), end(id + 2)}
}

func completed(id int64) *historypb.HistoryEvent {
	return event(id, enumspb.EVENT_TYPE_WORKFLOW_TASK_COMPLETED)
}

func nondet(id int64) *historypb.HistoryEvent {
	return taskFailed(id, enumspb.WORKFLOW_TASK_FAILED_CAUSE_NON_DETERMINISTIC_ERROR, "[TMPRL1100] nondeterministic workflow")
}

func history(parts ...[]*historypb.HistoryEvent) []*historypb.HistoryEvent {
	out := []*historypb.HistoryEvent{event(1, enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED)}
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

func one(id int64, typ enumspb.EventType) []*historypb.HistoryEvent {
	return []*historypb.HistoryEvent{event(id, typ)}
}

func reversed(events []*historypb.HistoryEvent) []*historypb.HistoryEvent {
	out := make([]*historypb.HistoryEvent, len(events))
	for i, e := range events {
		out[len(events)-1-i] = e
	}
	return out
}

// TestO2_LastGood picks the reset point: the last completed workflow task before the failing
// ones, never a point inside a failure streak, and ignores failures that say nothing about the
// code (a reset's own marker, an unhandled command, a task that sat on a dead sticky queue).
func TestO2_LastGood(t *testing.T) {
	signal := enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED
	for _, tc := range []struct {
		name   string
		events []*historypb.HistoryEvent
		want   int64
		err    string
	}{
		{name: "healthy: the last completed task", events: history(task(2, completed), one(5, signal), task(6, completed)), want: 8},
		{name: "non-determinism after a deploy: the task before the failure",
			events: history(task(2, completed), task(5, completed), one(8, signal), task(9, nondet)), want: 7},
		{name: "failed then timed out: still the task before the first failure",
			events: history(task(2, completed), task(5, nondet), task(8, func(id int64) *historypb.HistoryEvent {
				return taskTimedOut(id, enumspb.TIMEOUT_TYPE_START_TO_CLOSE)
			})), want: 4},
		{name: "a failure that recovered: the latest completed task",
			events: history(task(2, completed), task(5, nondet), task(8, completed), one(11, signal), task(12, completed)), want: 14},
		{name: "the marker of an earlier reset is not a failure",
			events: history(task(2, completed), task(5, func(id int64) *historypb.HistoryEvent {
				return taskFailed(id, enumspb.WORKFLOW_TASK_FAILED_CAUSE_RESET_WORKFLOW, "reset")
			}), task(8, completed)), want: 10},
		{name: "an unhandled command inside a streak does not end it",
			events: history(task(2, completed), task(5, nondet), task(8, func(id int64) *historypb.HistoryEvent {
				return taskFailed(id, enumspb.WORKFLOW_TASK_FAILED_CAUSE_UNHANDLED_COMMAND, "")
			})), want: 4},
		{name: "a sticky-queue timeout is not a failure",
			events: history(task(2, completed), task(5, func(id int64) *historypb.HistoryEvent {
				return taskTimedOut(id, enumspb.TIMEOUT_TYPE_SCHEDULE_TO_START)
			}), task(8, completed)), want: 10},
		{name: "no task ever completed", events: history(task(2, nondet)), err: "no_good_workflow_task"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := LastGood(tc.events)
			if tc.err != "" {
				require.ErrorContains(t, err, tc.err)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
			require.Equal(t, enumspb.EVENT_TYPE_WORKFLOW_TASK_COMPLETED, tc.events[got-1].GetEventType(), "event %d", got)
		})
	}
}

// TestO2_CheckResetPoint accepts only the workflow task events Temporal resets to.
func TestO2_CheckResetPoint(t *testing.T) {
	events := history(task(2, completed), one(5, enumspb.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED), task(6, nondet))
	for id, ok := range map[int64]bool{4: true, 3: true, 8: true, 7: true, 5: false, 2: false, 1: false, 99: false} {
		err := CheckResetPoint(events, id)
		if ok {
			require.NoError(t, err, "event %d", id)
		} else {
			require.ErrorContains(t, err, "bad_reset_point", "event %d", id)
		}
	}
	// The refusals say in Chinese what the event is and where a reset may go.
	msg := func(id int64) string {
		e, ok := apperr.As(CheckResetPoint(events, id))
		require.True(t, ok)
		require.Equal(t, "bad_reset_point", e.Code)
		return e.Message
	}
	require.Equal(t, "事件 5 是“活动排队”（ActivityTaskScheduled）事件，不能重置到此处：只能重置到工作流任务的完成、失败、超时或开始事件（流程的前两个事件除外）", msg(5))
	require.Equal(t, "事件 2 是“工作流任务排队”（WorkflowTaskScheduled）事件，不能重置到此处：只能重置到工作流任务的完成、失败、超时或开始事件（流程的前两个事件除外）", msg(2))
	require.Equal(t, "该流程的历史中没有事件 99", msg(99))
}

// TestO1_TaskFailure finds the failure that began the current failing streak, with its cause,
// message and time, and nothing when the last task completed.
func TestO1_TaskFailure(t *testing.T) {
	events := history(task(2, completed), task(5, nondet), task(8, func(id int64) *historypb.HistoryEvent {
		return taskFailed(id, enumspb.WORKFLOW_TASK_FAILED_CAUSE_WORKFLOW_WORKER_UNHANDLED_FAILURE, "panic: later")
	}))
	r, ok := TaskFailure(reversed(events))
	require.True(t, ok)
	require.Equal(t, KindWorkflowTaskFailing, r.Kind)
	require.Equal(t, int64(7), r.EventID)
	require.Equal(t, "NonDeterministicError", r.Cause)
	require.Contains(t, r.Detail, "nondeterministic")
	require.Equal(t, t0.Add(7*time.Second), *r.Since)

	timedOut := history(task(2, completed), task(5, func(id int64) *historypb.HistoryEvent {
		return taskTimedOut(id, enumspb.TIMEOUT_TYPE_START_TO_CLOSE)
	}))
	r, ok = TaskFailure(reversed(timedOut))
	require.True(t, ok)
	require.Equal(t, "工作流任务执行超时：工作进程已开始执行，但未在时限内完成", r.Detail)

	_, ok = TaskFailure(reversed(history(task(2, nondet), task(5, completed))))
	require.False(t, ok, "a failure followed by a completed task is over")
}

func describe(acts []*workflowpb.PendingActivityInfo, wt *workflowpb.PendingWorkflowTaskInfo) *workflowservice.DescribeWorkflowExecutionResponse {
	return &workflowservice.DescribeWorkflowExecutionResponse{
		WorkflowExecutionInfo: &workflowpb.WorkflowExecutionInfo{Execution: &commonpb.WorkflowExecution{WorkflowId: "project:p-1", RunId: "r1"},
			Status: enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING, TaskQueue: "egovpm"},
		PendingActivities: acts, PendingWorkflowTask: wt,
	}
}

// TestO1_Classify reads the reasons off DescribeWorkflowExecution: activities at attempt ≥ N
// with their last error, a workflow task on a second attempt (failing: details from history),
// a workflow task no worker completes.
func TestO1_Classify(t *testing.T) {
	now := t0.Add(time.Hour)
	failing := &workflowpb.PendingActivityInfo{ActivityId: "5", ActivityType: &commonpb.ActivityType{Name: "ComputeSimilar"},
		Attempt: 3, LastFailure: &failurepb.Failure{Message: "store similar: relation \"project_similar\" does not exist"},
		LastAttemptCompleteTime: timestamppb.New(now.Add(-time.Second))}
	retrying := &workflowpb.PendingActivityInfo{ActivityId: "6", ActivityType: &commonpb.ActivityType{Name: "Notify"}, Attempt: 2}

	for _, tc := range []struct {
		name        string
		d           *workflowservice.DescribeWorkflowExecutionResponse
		minAttempts int32
		kinds       []string
		failing     bool
	}{
		{name: "healthy", d: describe(nil, nil), minAttempts: 3},
		{name: "an activity below N is not stuck", d: describe([]*workflowpb.PendingActivityInfo{retrying}, nil), minAttempts: 3},
		{name: "an activity at N is", d: describe([]*workflowpb.PendingActivityInfo{failing, retrying}, nil), minAttempts: 3,
			kinds: []string{KindActivityFailing}},
		{name: "N is a parameter", d: describe([]*workflowpb.PendingActivityInfo{failing, retrying}, nil), minAttempts: 2,
			kinds: []string{KindActivityFailing, KindActivityFailing}},
		{name: "a fresh workflow task is fine",
			d:           describe(nil, &workflowpb.PendingWorkflowTaskInfo{Attempt: 1, OriginalScheduledTime: timestamppb.New(now.Add(-time.Second))}),
			minAttempts: 3},
		{name: "a workflow task on attempt 2 is failing",
			d:           describe(nil, &workflowpb.PendingWorkflowTaskInfo{Attempt: 2, OriginalScheduledTime: timestamppb.New(now.Add(-time.Second))}),
			minAttempts: 3, kinds: []string{KindWorkflowTaskFailing}, failing: true},
		{name: "a workflow task nobody picks up is stalled",
			d: describe(nil, &workflowpb.PendingWorkflowTaskInfo{Attempt: 1, State: enumspb.PENDING_WORKFLOW_TASK_STATE_SCHEDULED,
				OriginalScheduledTime: timestamppb.New(now.Add(-10 * time.Minute))}),
			minAttempts: 3, kinds: []string{KindWorkflowTaskStalled}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			reasons, isFailing := Classify(tc.d, tc.minAttempts, 2*time.Minute, now)
			var kinds []string
			for _, r := range reasons {
				kinds = append(kinds, r.Kind)
			}
			require.Equal(t, tc.kinds, kinds)
			require.Equal(t, tc.failing, isFailing)
		})
	}

	reasons, _ := Classify(describe([]*workflowpb.PendingActivityInfo{failing}, nil), 3, time.Minute, now)
	r := reasons[0]
	require.Equal(t, "5", r.ActivityID)
	require.Equal(t, "ComputeSimilar", r.ActivityType)
	require.Equal(t, int32(3), r.Attempt)
	require.Contains(t, r.Detail, "project_similar")
	require.Equal(t, now.Add(-time.Second), *r.Since)

	reasons, _ = Classify(describe(nil, &workflowpb.PendingWorkflowTaskInfo{Attempt: 1, State: enumspb.PENDING_WORKFLOW_TASK_STATE_STARTED,
		OriginalScheduledTime: timestamppb.New(now.Add(-5 * time.Minute))}), 3, time.Minute, now)
	require.Contains(t, reasons[0].Detail, "本地活动", "a task heartbeating for minutes is a local activity retrying")
}

// TestO3_ReplayStatus tells non-determinism from other replay errors.
func TestO3_ReplayStatus(t *testing.T) {
	require.Equal(t, ReplayOK, ReplayStatus(nil))
	require.Equal(t, ReplayNondeterministic, ReplayStatus(errors.New("replay workflow failed with failure: message:\"[TMPRL1100] During replay, a matching ...\"")))
	require.Equal(t, ReplayNondeterministic, ReplayStatus(errors.New("nondeterministic workflow definition code")))
	require.Equal(t, ReplayError, ReplayStatus(errors.New("unable to find workflow type: Foo")))
}

// TestO3_ReplayHistory replays a recorded history against this build (ok) and against a build
// whose ProjectLifecycle issues a different first command (nondeterministic), under the
// workflow's own id.
func TestO3_ReplayHistory(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", "..", "workflows", "testdata", "*-project-*.json"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	f, err := os.Open(files[0])
	require.NoError(t, err)
	defer f.Close()
	h, err := client.HistoryFromJSON(f, client.HistoryJSONOptions{})
	require.NoError(t, err)

	good := worker.NewWorkflowReplayer()
	workflows.Register(good)
	res := ReplayHistory(good, nil, h, SourcePosted, "", "")
	require.Equal(t, ReplayOK, res.Status, res.Error)
	require.True(t, strings.HasPrefix(res.WorkflowID, "project:"), res.WorkflowID)
	require.Equal(t, "ProjectLifecycle", res.WorkflowType)

	bad := worker.NewWorkflowReplayer()
	bad.RegisterWorkflowWithOptions(sleepFirst, workflow.RegisterOptions{Name: "ProjectLifecycle"})
	res = ReplayHistory(bad, nil, h, SourcePosted, "", "")
	require.Equal(t, ReplayNondeterministic, res.Status, res.Error)
	require.NotEmpty(t, res.Error)

	none := worker.NewWorkflowReplayer()
	none.RegisterWorkflow(workflows.AnnualPlan)
	res = ReplayHistory(none, nil, h, SourcePosted, "", "")
	require.Equal(t, ReplayError, res.Status, "an unknown workflow type is an error, not a pass")

	res = ReplayHistory(good, nil, &historypb.History{}, SourcePosted, "", "")
	require.Equal(t, ReplayError, res.Status)
}

// sleepFirst is a "deploy" of ProjectLifecycle that waits before doing what the recorded
// history shows: its first command is a timer.
func sleepFirst(ctx workflow.Context, in workflows.ProjectLifecycleInput) (workflows.ProjectLifecycleResult, error) {
	if err := workflow.Sleep(ctx, time.Hour); err != nil {
		return workflows.ProjectLifecycleResult{}, err
	}
	return workflows.ProjectLifecycle(ctx, in)
}

// TestO2_RequestID: the same reset is the same Temporal request (idempotent), another is not.
func TestO2_RequestID(t *testing.T) {
	a := requestID("reset", "project:p-1", "run-1", "7")
	require.Equal(t, a, requestID("reset", "project:p-1", "run-1", "7"))
	require.NotEqual(t, a, requestID("reset", "project:p-1", "run-1", "8"))
	require.NotEqual(t, a, requestID("reset", "project:p-1", "run-17", ""))
	require.Regexp(t, `^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`, a)
}
