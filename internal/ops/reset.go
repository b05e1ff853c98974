package ops

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"strings"

	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"

	"egovpm/internal/apperr"
)

// ResetRequest asks for a reset (O2).
type ResetRequest struct {
	WorkflowID string
	// RunID is the run to reset; empty: the current run.
	RunID string
	// EventID is the workflow task event to reset to; 0: the last good workflow task
	// (LastGood).
	EventID int64
	// Reason is recorded in Temporal and the audit log.
	Reason string
	// IdempotencyKey, when set, names the reset: a repeated request with the same key resets
	// once, whatever the current run has become. Without it, the request is named by the run
	// and the event, which makes a repeat idempotent only when RunID is given.
	IdempotencyKey string
}

// ResetResult is the outcome of a reset.
type ResetResult struct {
	WorkflowID string `json:"workflow_id"`
	// RunID is the run that was reset (Temporal terminates it if it was still running).
	RunID string `json:"run_id"`
	// NewRunID is the run that continues from the reset point.
	NewRunID string `json:"new_run_id"`
	// EventID is the workflow task event reset to.
	EventID int64 `json:"event_id"`
	// Mode is "last_good" or "event".
	Mode string `json:"mode"`
}

// Reset modes.
const (
	ModeLastGood = "last_good"
	ModeEvent    = "event"
)

// Reset resets a workflow to its last good workflow task, or to the given workflow task
// event, with every later signal and Update reapplied to the new run (O2). A request that names
// the run (RunID) or carries an IdempotencyKey is idempotent: a repeat finds the marker of the
// reset it made (PriorReset) and answers with that new run instead of resetting again.
func (s *Service) Reset(ctx context.Context, a Actor, req ResetRequest) (ResetResult, error) {
	res := ResetResult{WorkflowID: req.WorkflowID, RunID: req.RunID, EventID: req.EventID, Mode: ModeEvent}
	if req.EventID == 0 {
		res.Mode = ModeLastGood
	}
	detail := map[string]any{"mode": res.Mode, "reason": req.Reason}
	fail := func(err error) (ResetResult, error) {
		s.auditFailure(ctx, a, ActionReset, req.WorkflowID, detail, err)
		return ResetResult{}, err
	}

	cur, err := s.describe(ctx, req.WorkflowID, "")
	if err != nil {
		return fail(err)
	}
	curRun := cur.GetWorkflowExecutionInfo().GetExecution().GetRunId()
	if req.RunID != "" || req.IdempotencyKey != "" {
		// A repeated request answers with the reset already made. (Temporal's own dedup by
		// request id does not hold here: server 1.31 gives the new run the original start's
		// request id.)
		events, err := s.history(ctx, req.WorkflowID, curRun)
		if err != nil {
			return fail(err)
		}
		if m, ok := PriorReset(events, req.RunID, req.IdempotencyKey); ok {
			res.RunID, res.NewRunID, res.EventID = m.GetWorkflowTaskFailedEventAttributes().GetBaseRunId(),
				m.GetWorkflowTaskFailedEventAttributes().GetNewRunId(), m.GetEventId()
			detail["run_id"], detail["new_run_id"], detail["event_id"], detail["repeat"] = res.RunID, res.NewRunID, res.EventID, true
			if err := s.audit(ctx, a, ActionReset, req.WorkflowID, "ok", detail); err != nil {
				return res, err
			}
			return res, nil
		}
	}
	if res.RunID == "" {
		res.RunID = curRun
	}
	detail["run_id"] = res.RunID
	events, err := s.history(ctx, req.WorkflowID, res.RunID)
	if err != nil {
		return fail(err)
	}
	if req.EventID == 0 {
		if res.EventID, err = LastGood(events); err != nil {
			return fail(err)
		}
	} else if err := CheckResetPoint(events, req.EventID); err != nil {
		return fail(err)
	}
	detail["event_id"] = res.EventID

	reason := fmt.Sprintf("egovpm ops reset by %s", a.ID)
	if req.Reason != "" {
		reason += ": " + req.Reason
	}
	if req.IdempotencyKey != "" {
		reason += " " + keyTag(req.IdempotencyKey)
	}
	out, err := s.temporal.ResetWorkflowExecution(ctx, &workflowservice.ResetWorkflowExecutionRequest{
		Namespace:                 s.opts.Namespace,
		WorkflowExecution:         &commonpb.WorkflowExecution{WorkflowId: req.WorkflowID, RunId: res.RunID},
		Reason:                    reason,
		WorkflowTaskFinishEventId: res.EventID,
		RequestId:                 resetRequestID(req, res.RunID, res.EventID),
		// Signals and Updates after the reset point are reapplied to the new run. The field is
		// deprecated in favour of ResetReapplyExcludeTypes (empty here: exclude nothing), but
		// stating ALL_ELIGIBLE keeps the intent explicit for older servers.
		ResetReapplyType: enumspb.RESET_REAPPLY_TYPE_ALL_ELIGIBLE,
		Identity:         a.identity(),
	})
	if err != nil {
		return fail(temporalError(err, "reset_refused", "流程引擎拒绝重置"))
	}
	res.NewRunID = out.GetRunId()
	detail["new_run_id"] = res.NewRunID
	if err := s.audit(ctx, a, ActionReset, req.WorkflowID, "ok", detail); err != nil {
		return res, err
	}
	return res, nil
}

// PriorReset finds in a run's history (oldest first) the marker an earlier reset left: the
// WorkflowTaskFailed event with cause ResetWorkflow of the reset named key (its tag is in the
// reason), or without a key of the reset of baseRunID. A run made by reset carries the marker
// at its reset point, and so does every later reset of it made after that point.
func PriorReset(events []*historypb.HistoryEvent, baseRunID, key string) (*historypb.HistoryEvent, bool) {
	for _, ev := range events {
		a := ev.GetWorkflowTaskFailedEventAttributes()
		if a.GetCause() != enumspb.WORKFLOW_TASK_FAILED_CAUSE_RESET_WORKFLOW {
			continue
		}
		if key != "" && strings.Contains(a.GetFailure().GetMessage(), keyTag(key)) ||
			key == "" && baseRunID != "" && a.GetBaseRunId() == baseRunID {
			return ev, true
		}
	}
	return nil, false
}

func keyTag(key string) string { return "[idempotency-key " + key + "]" }

// LastGood returns the reset point of a history (oldest first): the last WorkflowTaskCompleted
// before the first failure of the workflow tasks that are failing now, or the last one at all
// when none is failing. Resetting there re-runs that task and everything after it on the code
// the workers run now.
func LastGood(events []*historypb.HistoryEvent) (int64, error) {
	var good, beforeStreak int64
	failing := false
	for _, ev := range events {
		switch {
		case ev.GetEventType() == enumspb.EVENT_TYPE_WORKFLOW_TASK_COMPLETED:
			good, failing = ev.GetEventId(), false
		case isTaskFailure(ev) && !failing:
			failing, beforeStreak = true, good
		}
	}
	if failing {
		good = beforeStreak
	}
	if good == 0 {
		return 0, apperr.Rule("no_good_workflow_task", "该流程没有成功完成过的工作流任务，无法重置到“最后正常”点，请指定事件编号")
	}
	return good, nil
}

// CheckResetPoint checks that id is a workflow task event of the history that Temporal can
// reset to.
func CheckResetPoint(events []*historypb.HistoryEvent, id int64) error {
	for _, ev := range events {
		if ev.GetEventId() != id {
			continue
		}
		switch ev.GetEventType() {
		case enumspb.EVENT_TYPE_WORKFLOW_TASK_COMPLETED, enumspb.EVENT_TYPE_WORKFLOW_TASK_FAILED,
			enumspb.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT, enumspb.EVENT_TYPE_WORKFLOW_TASK_STARTED:
			if id <= 2 {
				break
			}
			return nil
		}
		return apperr.Rule("bad_reset_point", fmt.Sprintf("事件 %d 是%s事件，不能重置到此处：只能重置到工作流任务的完成、失败、超时或开始事件（流程的前两个事件除外）",
			id, eventTypeName(ev.GetEventType())))
	}
	return apperr.Rule("bad_reset_point", fmt.Sprintf("该流程的历史中没有事件 %d", id))
}

// RetryResult is the outcome of an activity retry.
type RetryResult struct {
	WorkflowID   string `json:"workflow_id"`
	RunID        string `json:"run_id"`
	ActivityID   string `json:"activity_id"`
	ActivityType string `json:"activity_type"`
	// PreviousAttempt is the attempt the activity was on; the retry starts again at 1.
	PreviousAttempt int32 `json:"previous_attempt"`
	// LastFailure is the failure of the previous attempt.
	LastFailure string `json:"last_failure,omitempty"`
}

// RetryActivity makes a pending activity of the workflow's current run run now (O2): Temporal's
// ResetActivity sets its attempt back to 1 and, when it is waiting out a retry backoff,
// schedules it at once (an attempt already running is left to finish). The workflow's code and
// history are untouched.
func (s *Service) RetryActivity(ctx context.Context, a Actor, workflowID, activityID, reason string) (RetryResult, error) {
	detail := map[string]any{"activity_id": activityID, "reason": reason}
	fail := func(err error) (RetryResult, error) {
		s.auditFailure(ctx, a, ActionRetry, workflowID, detail, err)
		return RetryResult{}, err
	}
	d, err := s.describe(ctx, workflowID, "")
	if err != nil {
		return fail(err)
	}
	res := RetryResult{WorkflowID: workflowID, RunID: d.GetWorkflowExecutionInfo().GetExecution().GetRunId(), ActivityID: activityID}
	detail["run_id"] = res.RunID
	if d.GetWorkflowExecutionInfo().GetStatus() != enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING {
		return fail(apperr.Conflict("workflow_not_running", "该流程已结束，没有可重试的活动"))
	}
	found := false
	for _, pa := range d.GetPendingActivities() {
		if pa.GetActivityId() == activityID {
			found = true
			res.ActivityType, res.PreviousAttempt = pa.GetActivityType().GetName(), pa.GetAttempt()
			res.LastFailure = pa.GetLastFailure().GetMessage()
		}
	}
	if !found {
		return fail(apperr.New(apperr.KindNotFound, "activity_not_pending", "该流程没有此编号的待执行活动"))
	}
	detail["activity_type"], detail["previous_attempt"], detail["last_failure"] = res.ActivityType, res.PreviousAttempt, res.LastFailure
	_, err = s.temporal.WorkflowService().ResetActivity(ctx, &workflowservice.ResetActivityRequest{
		Namespace: s.opts.Namespace,
		Execution: &commonpb.WorkflowExecution{WorkflowId: workflowID, RunId: res.RunID},
		Identity:  a.identity(),
		Activity:  &workflowservice.ResetActivityRequest_Id{Id: activityID},
	})
	if err != nil {
		return fail(temporalError(err, "retry_refused", "流程引擎拒绝重试该活动"))
	}
	if err := s.audit(ctx, a, ActionRetry, workflowID, "ok", detail); err != nil {
		return res, err
	}
	return res, nil
}

// describe describes a run (the current one for runID ""), answering 404 for an unknown
// workflow.
func (s *Service) describe(ctx context.Context, workflowID, runID string) (*workflowservice.DescribeWorkflowExecutionResponse, error) {
	d, err := Describe(ctx, s.temporal, workflowID, runID)
	if err != nil {
		return nil, temporalError(err, "", "")
	}
	return d, nil
}

// history returns every event of a run, oldest first.
func (s *Service) history(ctx context.Context, workflowID, runID string) ([]*historypb.HistoryEvent, error) {
	it := s.temporal.GetWorkflowHistory(ctx, workflowID, runID, false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	var out []*historypb.HistoryEvent
	for it.HasNext() {
		ev, err := it.Next()
		if err != nil {
			return nil, temporalError(fmt.Errorf("history of %s: %w", workflowID, err), "", "")
		}
		out = append(out, ev)
	}
	return out, nil
}

// temporalError turns the Temporal errors a client can cause into client errors: an unknown
// workflow or run is 404, a refused argument 422 with code (when given), a server without the
// API 501. Anything else passes through (and becomes a 500 or 503 upstream).
func temporalError(err error, code, msg string) error {
	var nf *serviceerror.NotFound
	var inv *serviceerror.InvalidArgument
	var pre *serviceerror.FailedPrecondition
	var unimpl *serviceerror.Unimplemented
	switch {
	case errors.As(err, &nf):
		return apperr.NotFound("流程或活动")
	case code != "" && errors.As(err, &inv):
		return apperr.Rule(code, msg).WithExtra("temporal", inv.Error())
	case code != "" && errors.As(err, &pre):
		return apperr.Rule(code, msg).WithExtra("temporal", pre.Error())
	case errors.As(err, &unimpl):
		return apperr.New(apperr.KindNotImplemented, "not_supported", "流程引擎不支持该操作").WithExtra("temporal", unimpl.Error())
	}
	return err
}

// resetRequestID names a reset for Temporal (see PriorReset for what makes a repeat safe).
func resetRequestID(req ResetRequest, runID string, eventID int64) string {
	if req.IdempotencyKey != "" {
		return requestID("reset-key", req.WorkflowID, req.IdempotencyKey)
	}
	return requestID("reset", req.WorkflowID, runID, fmt.Sprint(eventID))
}

// requestID derives a Temporal request id (UUID-shaped) from parts, so that the same action
// repeated is the same request.
func requestID(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		fmt.Fprintf(h, "%d:%s|", len(p), p)
	}
	b := h.Sum(nil)
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
