package ops

import (
	"database/sql"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	failurepb "go.temporal.io/api/failure/v1"
	historypb "go.temporal.io/api/history/v1"
	workflowpb "go.temporal.io/api/workflow/v1"
	"google.golang.org/protobuf/types/known/timestamppb"

	"egovpm/internal/store"
)

// TestO1_ReasonTexts: every kind of reason reads in Chinese on 运维监控 (durations, task kinds and
// roles by their Chinese names, times in Beijing time), keeping the identifiers ops acts on and
// the code's own error message; the kinds stay the English codes.
func TestO1_ReasonTexts(t *testing.T) {
	now := t0.Add(time.Hour)
	detail := func(kind string, rs []Reason) string {
		t.Helper()
		require.Len(t, rs, 1)
		require.Equal(t, kind, rs[0].Kind)
		return rs[0].Detail
	}

	act := &workflowpb.PendingActivityInfo{ActivityId: "5", ActivityType: &commonpb.ActivityType{Name: "ComputeSimilar"}, Attempt: 3,
		LastFailure: &failurepb.Failure{Message: "store similar", Cause: &failurepb.Failure{Message: `relation "project_similar" does not exist`}}}
	rs, _ := Classify(describe([]*workflowpb.PendingActivityInfo{act}, nil), 3, time.Minute, now)
	require.Equal(t, `活动 ComputeSimilar 反复失败，仍在重试：store similar: relation "project_similar" does not exist`, detail(KindActivityFailing, rs))
	act.LastFailure = nil
	rs, _ = Classify(describe([]*workflowpb.PendingActivityInfo{act}, nil), 3, time.Minute, now)
	require.Equal(t, "活动 ComputeSimilar 反复失败，仍在重试", detail(KindActivityFailing, rs))

	rs, _ = Classify(describe(nil, &workflowpb.PendingWorkflowTaskInfo{Attempt: 4, OriginalScheduledTime: timestamppb.New(now.Add(-time.Second))}),
		3, time.Minute, now)
	require.Equal(t, "工作流任务第 4 次尝试仍失败", detail(KindWorkflowTaskFailing, rs))
	r, ok := TaskFailure(reversed(history(task(2, completed), task(5, nondet))))
	require.True(t, ok)
	require.Equal(t, "工作流任务失败（代码与已记录的历史不一致（不确定性错误，多见于部署后），NonDeterministicError）：[TMPRL1100] nondeterministic workflow", r.Detail)
	require.Equal(t, "NonDeterministicError", r.Cause)
	r, _ = TaskFailure(reversed(history(task(2, completed), task(5, func(id int64) *historypb.HistoryEvent {
		return taskFailed(id, enumspb.WORKFLOW_TASK_FAILED_CAUSE_BAD_SCHEDULE_ACTIVITY_ATTRIBUTES, "")
	}))))
	require.Equal(t, "工作流任务失败（BadScheduleActivityAttributes）", r.Detail, "a cause without a Chinese name keeps its enum name")

	queued := &workflowpb.PendingWorkflowTaskInfo{Attempt: 1, State: enumspb.PENDING_WORKFLOW_TASK_STATE_SCHEDULED,
		OriginalScheduledTime: timestamppb.New(now.Add(-(3*time.Minute + 11*time.Second + 400*time.Millisecond)))}
	rs, _ = Classify(describe(nil, queued), 3, 2*time.Minute, now)
	require.Equal(t, "工作流任务已排队 3分11秒，仍无工作进程领取：请检查是否有工作进程（worker）在轮询任务队列 egovpm", detail(KindWorkflowTaskStalled, rs))
	queued.State = enumspb.PENDING_WORKFLOW_TASK_STATE_STARTED
	rs, _ = Classify(describe(nil, queued), 3, 2*time.Minute, now)
	require.Equal(t, "工作流任务已运行 3分11秒 仍未完成（其中的本地活动可能在反复重试）", detail(KindWorkflowTaskStalled, rs))

	require.Equal(t, "本次运行已失败：boom: store down", closedDetail(enumspb.WORKFLOW_EXECUTION_STATUS_FAILED, "boom: store down"))
	require.Equal(t, "本次运行已超时", closedDetail(enumspb.WORKFLOW_EXECUTION_STATUS_TIMED_OUT, ""))
	timedOut := event(9, enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT)
	require.Equal(t, "", ClosingFailure(timedOut), "a timeout has no failure message (the detail says it timed out)")

	due := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	o := store.OverdueTask{ID: "t-1", Kind: "prelim_review", WorkflowID: "project:p-1", DueAt: due, CandidateRole: "drb_reviewer"}
	require.Equal(t, "初审任务 t-1 已于 2026-12-01 17:00（北京时间）到期，仍未办理（待签收，候选角色：数管局审核人员）", overdueReason(o, nil).Detail)
	o.AssigneeID, o.AssigneeName = sql.NullString{String: "u-drb1", Valid: true}, "张审核"
	o.Kind = "acceptance_witness"
	r = overdueReason(o, nil)
	require.Equal(t, KindTaskOverdue, r.Kind)
	require.Equal(t, "验收见证任务 t-1 已于 2026-12-01 17:00（北京时间）到期，仍未办理（承办人：张审核，用户编号 u-drb1）", r.Detail)
	// Reset after it fell due, the workflow keeps the task open and overdue: the reason says so.
	reset := due.Add(50 * time.Hour)
	require.Equal(t, "验收见证任务 t-1 已于 2026-12-01 17:00（北京时间）到期，仍未办理（承办人：张审核，用户编号 u-drb1）"+
		"；流程已于 2026-12-03 19:00（北京时间）重置，该任务仍逾期（重置不改变人工任务的期限）", overdueReason(o, &reset).Detail)
	early := due.Add(-time.Hour)
	require.Equal(t, r.Detail, overdueReason(o, &early).Detail, "a reset before the task fell due is not news")

	f := store.ActivityFailure{ID: "f-1", WorkflowID: "project:p-1", RunID: "r1", ActivityType: "ComputeSimilar", Error: "store similar: timeout"}
	r = gaveUpReason(f)
	require.Equal(t, KindActivityGaveUp, r.Kind)
	require.Equal(t, "活动 ComputeSimilar 重试用尽，已放弃（运行 r1）：store similar: timeout", r.Detail)
}

func TestO1_DurationZH(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0: "0秒", 400 * time.Millisecond: "0秒", 45 * time.Second: "45秒", 3*time.Minute + 11*time.Second: "3分11秒",
		10 * time.Minute: "10分钟", time.Hour + 5*time.Minute + 20*time.Second: "1小时5分钟", 2 * time.Hour: "2小时",
		51*time.Hour + 29*time.Second: "2天3小时", 26*time.Hour + 7*time.Minute: "1天2小时7分钟",
	} {
		require.Equal(t, want, durationZH(d), "%s", d)
	}
}
