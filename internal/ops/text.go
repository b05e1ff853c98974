package ops

import (
	"fmt"
	"strings"
	"time"

	enumspb "go.temporal.io/api/enums/v1"

	"egovpm/internal/calendar"
	"egovpm/internal/domain"
	"egovpm/internal/store"
)

// The texts of the reasons (O1), as ops staff read them on 运维监控 and in egovpm ops-stuck:
// Chinese, with the identifiers they need to act on (activity types, task ids, task queues) and
// the underlying error message as the code gave it. Reason.Kind stays the stable English code.

// durationZH writes a duration in Chinese, e.g. "3分11秒", "10分钟", "1小时5分钟", "2天3小时";
// from an hour up it is rounded to the minute.
func durationZH(d time.Duration) string {
	if d < 0 {
		d = -d
	}
	if d >= time.Hour {
		d = d.Round(time.Minute)
	} else {
		d = d.Round(time.Second)
	}
	units := []struct {
		size       time.Duration
		name, last string
	}{{24 * time.Hour, "天", "天"}, {time.Hour, "小时", "小时"}, {time.Minute, "分", "分钟"}, {time.Second, "秒", "秒"}}
	var parts []string
	for i, u := range units {
		n := d / u.size
		d -= n * u.size
		if n == 0 {
			continue
		}
		name := u.name
		if d == 0 || i == len(units)-1 {
			name = u.last
		}
		parts = append(parts, fmt.Sprintf("%d%s", n, name))
	}
	if len(parts) == 0 {
		return "0秒"
	}
	return strings.Join(parts, "")
}

// beijingTime writes t as Beijing time to the minute ("2026-12-01 17:00（北京时间）").
func beijingTime(t time.Time) string {
	return t.In(calendar.Shanghai).Format("2006-01-02 15:04") + "（北京时间）"
}

// withMessage appends an underlying error message to a Chinese sentence.
func withMessage(s, msg string) string {
	if msg == "" {
		return s
	}
	return s + "：" + msg
}

// activityFailingDetail: a pending activity on attempt N or later (the attempt is shown beside it).
func activityFailingDetail(activityType, msg string) string {
	return withMessage(fmt.Sprintf("活动 %s 反复失败，仍在重试", activityType), msg)
}

// taskFailingDetail: a workflow task on its second attempt or later, before its failure is read
// from history (TaskFailure replaces it).
func taskFailingDetail(attempt int32) string {
	return fmt.Sprintf("工作流任务第 %d 次尝试仍失败", attempt)
}

// taskFailureCauses names the workflow task failure causes a person meets; others keep the
// enum's name.
var taskFailureCauses = map[enumspb.WorkflowTaskFailedCause]string{
	enumspb.WORKFLOW_TASK_FAILED_CAUSE_NON_DETERMINISTIC_ERROR:           "代码与已记录的历史不一致（不确定性错误，多见于部署后）",
	enumspb.WORKFLOW_TASK_FAILED_CAUSE_WORKFLOW_WORKER_UNHANDLED_FAILURE: "工作流代码出错（如 panic）",
	enumspb.WORKFLOW_TASK_FAILED_CAUSE_BAD_BINARY:                        "该版本的工作进程已被标记为不可用",
}

// taskFailedDetail: the failure that began a failing streak of workflow tasks.
func taskFailedDetail(cause enumspb.WorkflowTaskFailedCause, msg string) string {
	name := cause.String()
	if zh, ok := taskFailureCauses[cause]; ok {
		name = zh + "，" + name
	}
	return withMessage(fmt.Sprintf("工作流任务失败（%s）", name), msg)
}

// taskTimedOutDetail: a workflow task a worker started and did not finish in time.
const taskTimedOutDetail = "工作流任务执行超时：工作进程已开始执行，但未在时限内完成"

// taskStalledDetail: a workflow task no worker picked up within the stall time, or one that has
// been running (heartbeating) that long.
func taskStalledDetail(age time.Duration, queue string, started bool) string {
	if started {
		return fmt.Sprintf("工作流任务已运行 %s 仍未完成（其中的本地活动可能在反复重试）", durationZH(age))
	}
	return fmt.Sprintf("工作流任务已排队 %s，仍无工作进程领取：请检查是否有工作进程（worker）在轮询任务队列 %s", durationZH(age), queue)
}

// closedDetail: the workflow's current run closed badly; msg is its failure (ClosingFailure).
func closedDetail(status enumspb.WorkflowExecutionStatus, msg string) string {
	s := "本次运行已结束（" + status.String() + "）"
	switch status {
	case enumspb.WORKFLOW_EXECUTION_STATUS_FAILED:
		s = "本次运行已失败"
	case enumspb.WORKFLOW_EXECUTION_STATUS_TIMED_OUT:
		s = "本次运行已超时"
	}
	return withMessage(s, msg)
}

// overdueDetail: an open human task past its due date, named by its kind (domain.TaskKindNames)
// and who has it: the assignee, or the role of those who may claim it (domain.RoleNames).
func overdueDetail(t store.OverdueTask) string {
	kind := t.Kind
	if zh, ok := domain.TaskKindNames[t.Kind]; ok {
		kind = zh
	}
	who := "待签收，候选角色：" + domain.RoleName(t.CandidateRole)
	if t.AssigneeID.Valid {
		who = "承办人：" + t.AssigneeID.String
		if t.AssigneeName != "" {
			who = "承办人：" + t.AssigneeName + "，用户编号 " + t.AssigneeID.String
		}
	}
	return fmt.Sprintf("%s任务 %s 已于 %s到期，仍未办理（%s）", kind, t.ID, beijingTime(t.DueAt), who)
}

// resetStillOverdue ends the detail of an overdue task of a workflow reset after the task fell due.
func resetStillOverdue(at time.Time) string {
	return fmt.Sprintf("；流程已于 %s重置，该任务仍逾期（重置不改变人工任务的期限）", beijingTime(at))
}

// gaveUpDetail: a regular activity exhausted its retries and the workflow went on without it.
func gaveUpDetail(f store.ActivityFailure) string {
	return withMessage(fmt.Sprintf("活动 %s 重试用尽，已放弃（运行 %s）", f.ActivityType, f.RunID), f.Error)
}

// eventTypeNames name the history events ops meets choosing a reset point.
var eventTypeNames = map[enumspb.EventType]string{
	enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED:               "流程启动",
	enumspb.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED:                  "工作流任务排队",
	enumspb.EVENT_TYPE_WORKFLOW_TASK_STARTED:                    "工作流任务开始",
	enumspb.EVENT_TYPE_WORKFLOW_TASK_COMPLETED:                  "工作流任务完成",
	enumspb.EVENT_TYPE_WORKFLOW_TASK_FAILED:                     "工作流任务失败",
	enumspb.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT:                  "工作流任务超时",
	enumspb.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:                  "活动排队",
	enumspb.EVENT_TYPE_ACTIVITY_TASK_STARTED:                    "活动开始",
	enumspb.EVENT_TYPE_ACTIVITY_TASK_COMPLETED:                  "活动完成",
	enumspb.EVENT_TYPE_ACTIVITY_TASK_FAILED:                     "活动失败",
	enumspb.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT:                  "活动超时",
	enumspb.EVENT_TYPE_TIMER_STARTED:                            "定时器启动",
	enumspb.EVENT_TYPE_TIMER_FIRED:                              "定时器触发",
	enumspb.EVENT_TYPE_TIMER_CANCELED:                           "定时器取消",
	enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED:              "收到信号",
	enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED:       "接受更新请求",
	enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED:      "更新请求完成",
	enumspb.EVENT_TYPE_MARKER_RECORDED:                          "记录标记",
	enumspb.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES:        "更新检索属性",
	enumspb.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED: "启动子流程",
	enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED:             "流程完成",
	enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED:                "流程失败",
	enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT:             "流程超时",
	enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW:      "流程以新运行继续",
}

// eventTypeName names a history event's type in Chinese, with its Temporal name
// ("“活动排队”（ActivityTaskScheduled）"); a type without a name keeps the Temporal one.
func eventTypeName(t enumspb.EventType) string {
	if zh, ok := eventTypeNames[t]; ok {
		return "“" + zh + "”（" + t.String() + "）"
	}
	return " " + t.String() + " "
}
