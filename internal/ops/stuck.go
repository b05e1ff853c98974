package ops

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"google.golang.org/protobuf/types/known/timestamppb"

	"egovpm/internal/apperr"
	"egovpm/internal/store"
)

// Kinds of Reason (O1).
const (
	// KindActivityFailing: an activity is on attempt MinAttempts or later.
	KindActivityFailing = "activity_failing"
	// KindWorkflowTaskFailing: the workflow task fails and is retried (a non-deterministic
	// change, a panic in workflow code).
	KindWorkflowTaskFailing = "workflow_task_failing"
	// KindWorkflowTaskStalled: a workflow task no worker picks up, or one that keeps
	// heartbeating without completing (a local activity retrying inside it).
	KindWorkflowTaskStalled = "workflow_task_stalled"
	// KindTaskOverdue: a human task is open past its due date (and the escalation grace).
	KindTaskOverdue = "task_overdue"
	// KindWorkflowFailed: the workflow's current run closed as failed or timed out (e.g. a
	// local activity gave up while a dependency was down); a reset brings it back.
	KindWorkflowFailed = "workflow_failed"
	// KindActivityGaveUp: a regular activity exhausted its retries and the workflow went on
	// without it (R16's similarity, a notification send, a T1 reminder); the workflow recorded
	// it in the read model, and it is listed until ops resolves it (ResolveFailure).
	KindActivityGaveUp = "activity_gave_up"
)

// Reason is one cause of a stuck workflow.
type Reason struct {
	Kind   string `json:"kind"`
	Detail string `json:"detail"`
	// Attempt of the failing activity or workflow task.
	Attempt      int32  `json:"attempt,omitempty"`
	ActivityID   string `json:"activity_id,omitempty"`
	ActivityType string `json:"activity_type,omitempty"`
	// Cause is the workflow task failure cause (e.g. NonDeterministicError).
	Cause string `json:"cause,omitempty"`
	// EventID is the history event of the first failure of a failing workflow task.
	EventID int64 `json:"event_id,omitempty"`
	// TaskID is the overdue human task.
	TaskID string `json:"task_id,omitempty"`
	// FailureID names the recorded failure of an activity that gave up (resolve it with
	// POST /api/v1/ops/activity-failures/{failure_id}/resolve or egovpm ops-resolve).
	FailureID string `json:"failure_id,omitempty"`
	// Since is when the condition began, where known: the first workflow task failure, the
	// activity's last attempt, the task's due date.
	Since *time.Time `json:"since,omitempty"`
}

// StuckWorkflow is a workflow with the reasons it needs a person.
type StuckWorkflow struct {
	WorkflowID   string   `json:"workflow_id"`
	RunID        string   `json:"run_id"`
	WorkflowType string   `json:"workflow_type"`
	Reasons      []Reason `json:"reasons"`
}

// StuckQuery pages through the stuck workflows.
type StuckQuery struct {
	// MinAttempts overrides Options.MinAttempts when > 0.
	MinAttempts int32
	// Limit is the page size (default 50).
	Limit int
	// Cursor is the next_cursor of the previous page.
	Cursor string
}

// StuckPage is one page of Stuck, in workflow id order.
type StuckPage struct {
	Items      []StuckWorkflow `json:"items"`
	NextCursor string          `json:"next_cursor"`
	// Scanned is the number of open workflows described.
	Scanned int `json:"scanned"`
	// Truncated is set when more open workflows exist than one call scans (Options.MaxScan).
	Truncated bool `json:"truncated"`
}

// errBadCursor is returned for a cursor Stuck or Replay did not hand out.
func errBadCursor() error { return apperr.Invalid(map[string]string{"cursor": "游标不合法"}) }

// Stuck lists the workflows that need a person (O1): open workflows (Temporal visibility)
// with an activity on attempt N or later or a failing or stalled workflow task, workflows whose
// current run failed, workflows whose human tasks (Postgres) are overdue past escalation, and
// workflows with an activity that gave up after its retries and is not resolved (Postgres).
// Every call scans afresh; pages are keyset by workflow id.
func (s *Service) Stuck(ctx context.Context, q StuckQuery) (StuckPage, error) {
	if q.Limit <= 0 {
		q.Limit = 50
	}
	minAttempts := s.opts.MinAttempts
	if q.MinAttempts > 0 {
		minAttempts = q.MinAttempts
	}
	after := ""
	if q.Cursor != "" {
		b, err := base64.RawURLEncoding.DecodeString(q.Cursor)
		if err != nil || len(b) == 0 {
			return StuckPage{}, errBadCursor()
		}
		after = string(b)
	}

	open, rest, err := s.listWorkflows(ctx, queryRunning, s.opts.MaxScan, nil)
	if err != nil {
		return StuckPage{}, err
	}
	dead, restDead, err := s.listWorkflows(ctx, queryFailed, s.opts.MaxScan, nil)
	if err != nil {
		return StuckPage{}, err
	}
	byID := map[string]*StuckWorkflow{}
	found, curs, err := s.inspect(ctx, append(open, dead...), minAttempts)
	if err != nil {
		return StuckPage{}, err
	}
	for _, w := range found {
		byID[w.WorkflowID] = w
	}
	if err := s.addPostgresReasons(ctx, byID, open, curs); err != nil {
		return StuckPage{}, err
	}

	ids := make([]string, 0, len(byID))
	for id := range byID {
		if id > after {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	page := StuckPage{Items: []StuckWorkflow{}, Scanned: len(open) + len(dead), Truncated: len(rest) > 0 || len(restDead) > 0}
	for i, id := range ids {
		if i == q.Limit {
			page.NextCursor = base64.RawURLEncoding.EncodeToString([]byte(page.Items[len(page.Items)-1].WorkflowID))
			break
		}
		page.Items = append(page.Items, *byID[id])
	}
	return page, nil
}

// addPostgresReasons adds to byID the reasons the read model knows: open tasks overdue past
// escalation and activities that gave up; open are the running workflows, for their runs, and
// curs their current runs as Describe found them (a run reset meanwhile is not current).
func (s *Service) addPostgresReasons(ctx context.Context, byID map[string]*StuckWorkflow, open []*execution, curs map[string]current) error {
	overdue, err := s.overdueTasks(ctx)
	if err != nil {
		return err
	}
	runs := map[string]*execution{}
	for _, e := range open {
		if c, ok := curs[e.WorkflowID]; !ok || c.RunID == e.RunID {
			runs[e.WorkflowID] = e
		}
	}
	for _, o := range overdue {
		w, ok := byID[o.WorkflowID]
		if !ok {
			w = &StuckWorkflow{WorkflowID: o.WorkflowID}
			if e, ok := runs[o.WorkflowID]; ok {
				w.RunID, w.WorkflowType = e.RunID, e.Type
			}
			byID[o.WorkflowID] = w
		}
		w.Reasons = append(w.Reasons, overdueReason(o, curs[o.WorkflowID].LastReset))
	}
	failures, err := s.store.OpenActivityFailures(ctx, s.opts.MaxScan)
	if err != nil {
		return err
	}
	for _, f := range failures {
		w, ok := byID[f.WorkflowID]
		if !ok {
			w = &StuckWorkflow{WorkflowID: f.WorkflowID, RunID: f.RunID, WorkflowType: workflowType(f.WorkflowID)}
			if e, ok := runs[f.WorkflowID]; ok {
				w.RunID, w.WorkflowType = e.RunID, e.Type
			}
			byID[f.WorkflowID] = w
		}
		w.Reasons = append(w.Reasons, gaveUpReason(f))
	}

	return nil
}

// Visibility queries of Stuck: running workflows, and closed ones that ended badly.
const (
	queryRunning = "ExecutionStatus = 'Running'"
	queryFailed  = "ExecutionStatus = 'Failed' OR ExecutionStatus = 'TimedOut'"
)

// listWorkflows lists up to max workflows matching query from visibility, starting at page
// token, and returns the token of what is left (nil when nothing is).
func (s *Service) listWorkflows(ctx context.Context, query string, max int, token []byte) ([]*execution, []byte, error) {
	var out []*execution
	for len(out) < max {
		res, err := s.temporal.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{
			Namespace: s.opts.Namespace, PageSize: int32(min(max-len(out), 1000)), NextPageToken: token, Query: query,
		})
		if err != nil {
			return nil, nil, fmt.Errorf("list workflows (%s): %w", query, err)
		}
		for _, e := range res.GetExecutions() {
			out = append(out, &execution{WorkflowID: e.GetExecution().GetWorkflowId(), RunID: e.GetExecution().GetRunId(),
				Type: e.GetType().GetName(), Status: e.GetStatus(), CloseTime: timeOf(e.GetCloseTime())})
		}
		token = res.GetNextPageToken()
		if len(token) == 0 {
			return out, nil, nil
		}
	}
	return out, token, nil
}

// execution is a workflow run as visibility lists it.
type execution struct {
	WorkflowID, RunID, Type string
	Status                  enumspb.WorkflowExecutionStatus
	CloseTime               *time.Time
}

// inspectWorkers bounds the DescribeWorkflowExecution calls in flight.
const inspectWorkers = 8

// current is a running workflow's run as Describe found it, with when it was last reset (nil:
// never), which an overdue task's reason names (overdueReason).
type current struct {
	RunID     string
	LastReset *time.Time
}

// inspect describes every workflow and returns those with reasons, and the running ones' current
// runs by workflow id.
func (s *Service) inspect(ctx context.Context, open []*execution, minAttempts int32) ([]*StuckWorkflow, map[string]current, error) {
	out := make([]*StuckWorkflow, len(open))
	cur := make([]*current, len(open))
	errs := make([]error, len(open))
	next := make(chan int)
	var wg sync.WaitGroup
	for range inspectWorkers {
		wg.Go(func() {
			for i := range next {
				out[i], cur[i], errs[i] = s.inspectOne(ctx, open[i], minAttempts)
			}
		})
	}
	for i := range open {
		next <- i
	}
	close(next)
	wg.Wait()
	var found []*StuckWorkflow
	runs := map[string]current{}
	for i := range open {
		if errs[i] != nil {
			return nil, nil, errs[i]
		}
		if out[i] != nil {
			found = append(found, out[i])
		}
		if cur[i] != nil {
			runs[open[i].WorkflowID] = *cur[i]
		}
	}
	return found, runs, nil
}

// inspectOne describes run e: its reasons (nil: none) and, when it is running, the run as current.
func (s *Service) inspectOne(ctx context.Context, e *execution, minAttempts int32) (*StuckWorkflow, *current, error) {
	if e.Status != enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING {
		w, err := s.inspectClosed(ctx, e)
		return w, nil, err
	}
	d, err := Describe(ctx, s.temporal, e.WorkflowID, e.RunID)
	var nf *serviceerror.NotFound
	if errors.As(err, &nf) {
		return nil, nil, nil // gone since it was listed
	}
	if err != nil {
		return nil, nil, fmt.Errorf("describe workflow %s: %w", e.WorkflowID, err)
	}
	if d.GetWorkflowExecutionInfo().GetStatus() != enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING {
		return nil, nil, nil // closed since it was listed (a reset terminates the run it resets)
	}
	cur := &current{RunID: e.RunID, LastReset: timeOf(d.GetWorkflowExtendedInfo().GetLastResetTime())}
	reasons, failing := Classify(d, minAttempts, s.opts.HeartbeatStall, s.opts.Now())
	if failing {
		events, err := s.recentEvents(ctx, e.WorkflowID, e.RunID, 1000)
		if err != nil {
			return nil, nil, err
		}
		// A retried task whose history shows no counting failure was only rescheduled (e.g.
		// it timed out on a stopped worker's sticky queue): not failing.
		f, ok := TaskFailure(events)
		kept := reasons[:0]
		for _, r := range reasons {
			if r.Kind == KindWorkflowTaskFailing {
				if !ok {
					continue
				}
				f.Attempt = r.Attempt
				r = f
			}
			kept = append(kept, r)
		}
		reasons = kept
	}
	if len(reasons) == 0 {
		return nil, cur, nil
	}
	return &StuckWorkflow{WorkflowID: e.WorkflowID, RunID: e.RunID, WorkflowType: e.Type, Reasons: reasons}, cur, nil
}

// inspectClosed reports a failed or timed-out run that is still its workflow's current run
// (one that was reset or started again is over).
func (s *Service) inspectClosed(ctx context.Context, e *execution) (*StuckWorkflow, error) {
	d, err := Describe(ctx, s.temporal, e.WorkflowID, "")
	var nf *serviceerror.NotFound
	if errors.As(err, &nf) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("describe workflow %s: %w", e.WorkflowID, err)
	}
	if d.GetWorkflowExecutionInfo().GetExecution().GetRunId() != e.RunID {
		return nil, nil
	}
	events, err := s.recentEvents(ctx, e.WorkflowID, e.RunID, 1)
	if err != nil {
		return nil, err
	}
	msg := ""
	if len(events) > 0 {
		msg = ClosingFailure(events[0])
	}
	r := Reason{Kind: KindWorkflowFailed, Since: e.CloseTime, Detail: closedDetail(e.Status, msg)}
	return &StuckWorkflow{WorkflowID: e.WorkflowID, RunID: e.RunID, WorkflowType: e.Type, Reasons: []Reason{r}}, nil
}

// ClosingFailure is the failure message of a run's closing event (WorkflowExecutionFailed,
// with the causes it wraps), or "" (a timeout carries none: closedDetail says it timed out).
func ClosingFailure(ev *historypb.HistoryEvent) string {
	f := ev.GetWorkflowExecutionFailedEventAttributes().GetFailure()
	var parts []string
	for ; f != nil && len(parts) < 5; f = f.GetCause() {
		if m := f.GetMessage(); m != "" {
			parts = append(parts, m)
		}
	}
	return strings.Join(parts, ": ")
}

// recentEvents returns up to max events of a run, newest first.
func (s *Service) recentEvents(ctx context.Context, workflowID, runID string, max int) ([]*historypb.HistoryEvent, error) {
	var out []*historypb.HistoryEvent
	var token []byte
	for len(out) < max {
		res, err := s.temporal.WorkflowService().GetWorkflowExecutionHistoryReverse(ctx, &workflowservice.GetWorkflowExecutionHistoryReverseRequest{
			Namespace:       s.opts.Namespace,
			Execution:       &commonpb.WorkflowExecution{WorkflowId: workflowID, RunId: runID},
			MaximumPageSize: int32(min(max, 100)),
			NextPageToken:   token,
		})
		if err != nil {
			return nil, fmt.Errorf("history of %s: %w", workflowID, err)
		}
		out = append(out, res.GetHistory().GetEvents()...)
		// The failure that began the current streak is after the last completed task.
		for _, ev := range res.GetHistory().GetEvents() {
			if ev.GetEventType() == enumspb.EVENT_TYPE_WORKFLOW_TASK_COMPLETED {
				return out, nil
			}
		}
		token = res.GetNextPageToken()
		if len(token) == 0 {
			break
		}
	}
	return out, nil
}

// Classify returns the reasons a described workflow is stuck on the Temporal side: each
// pending activity on attempt minAttempts or later, a workflow task on its second attempt or
// later (failing is then true: the failure itself is in history, see TaskFailure), and a
// workflow task not completed within stall of being scheduled.
func Classify(d *workflowservice.DescribeWorkflowExecutionResponse, minAttempts int32, stall time.Duration, now time.Time) (reasons []Reason, failing bool) {
	for _, pa := range d.GetPendingActivities() {
		if pa.GetAttempt() < minAttempts {
			continue
		}
		r := Reason{Kind: KindActivityFailing, ActivityID: pa.GetActivityId(), ActivityType: pa.GetActivityType().GetName(),
			Attempt: pa.GetAttempt()}
		msg := pa.GetLastFailure().GetMessage()
		if cause := pa.GetLastFailure().GetCause().GetMessage(); cause != "" && !strings.Contains(msg, cause) {
			msg = strings.TrimPrefix(msg+": "+cause, ": ")
		}
		r.Detail = activityFailingDetail(r.ActivityType, msg)
		r.Since = timeOf(pa.GetLastAttemptCompleteTime())
		if r.Since == nil {
			r.Since = timeOf(pa.GetLastStartedTime())
		}
		reasons = append(reasons, r)
	}
	if wt := d.GetPendingWorkflowTask(); wt != nil {
		switch {
		case wt.GetAttempt() > 1:
			failing = true
			reasons = append(reasons, Reason{Kind: KindWorkflowTaskFailing, Attempt: wt.GetAttempt(),
				Detail: taskFailingDetail(wt.GetAttempt()), Since: timeOf(wt.GetOriginalScheduledTime())})
		case wt.GetOriginalScheduledTime() != nil && now.Sub(wt.GetOriginalScheduledTime().AsTime()) > stall:
			age := now.Sub(wt.GetOriginalScheduledTime().AsTime())
			detail := taskStalledDetail(age, d.GetWorkflowExecutionInfo().GetTaskQueue(),
				wt.GetState() == enumspb.PENDING_WORKFLOW_TASK_STATE_STARTED)
			reasons = append(reasons, Reason{Kind: KindWorkflowTaskStalled, Attempt: wt.GetAttempt(), Detail: detail,
				Since: timeOf(wt.GetOriginalScheduledTime())})
		}
	}
	return reasons, failing
}

// benignTaskFailures are workflow task failures that say nothing about the code: the server
// or a reset failed the task, and the next one succeeds.
var benignTaskFailures = map[enumspb.WorkflowTaskFailedCause]bool{
	enumspb.WORKFLOW_TASK_FAILED_CAUSE_UNHANDLED_COMMAND:       true,
	enumspb.WORKFLOW_TASK_FAILED_CAUSE_UNHANDLED_UPDATE:        true,
	enumspb.WORKFLOW_TASK_FAILED_CAUSE_RESET_STICKY_TASK_QUEUE: true,
	enumspb.WORKFLOW_TASK_FAILED_CAUSE_RESET_WORKFLOW:          true,
	enumspb.WORKFLOW_TASK_FAILED_CAUSE_FAILOVER_CLOSE_COMMAND:  true,
}

// isTaskFailure reports whether ev is a workflow task failure that counts (O1, O2).
func isTaskFailure(ev *historypb.HistoryEvent) bool {
	switch ev.GetEventType() {
	case enumspb.EVENT_TYPE_WORKFLOW_TASK_FAILED:
		return !benignTaskFailures[ev.GetWorkflowTaskFailedEventAttributes().GetCause()]
	case enumspb.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT:
		// A task that sat on a dead worker's sticky queue is rescheduled; one that ran out of
		// time on a worker failed.
		return ev.GetWorkflowTaskTimedOutEventAttributes().GetTimeoutType() == enumspb.TIMEOUT_TYPE_START_TO_CLOSE
	}
	return false
}

// TaskFailure finds, in events newest first, the failure that began the current run of
// failing workflow tasks: the oldest counting WorkflowTaskFailed or WorkflowTaskTimedOut after
// the last WorkflowTaskCompleted. (Later attempts of a failing task are not written to history.)
func TaskFailure(newestFirst []*historypb.HistoryEvent) (Reason, bool) {
	var first *historypb.HistoryEvent
	for _, ev := range newestFirst {
		if ev.GetEventType() == enumspb.EVENT_TYPE_WORKFLOW_TASK_COMPLETED {
			break
		}
		if isTaskFailure(ev) {
			first = ev
		}
	}
	if first == nil {
		return Reason{}, false
	}
	r := Reason{Kind: KindWorkflowTaskFailing, EventID: first.GetEventId(), Since: timeOf(first.GetEventTime())}
	if a := first.GetWorkflowTaskFailedEventAttributes(); a != nil {
		r.Cause = causeName(a.GetCause())
		r.Detail = taskFailedDetail(a.GetCause(), a.GetFailure().GetMessage())
	} else {
		r.Detail = taskTimedOutDetail
	}
	return r, true
}

// causeName names a cause as the API's enum string does (e.g. NonDeterministicError).
func causeName(c enumspb.WorkflowTaskFailedCause) string {
	return c.String()
}

// overdueTasks lists the open tasks overdue past escalation (T2: the supervisor has been told;
// nobody has acted), oldest first.
func (s *Service) overdueTasks(ctx context.Context) ([]store.OverdueTask, error) {
	return s.store.OverdueTasks(ctx, s.opts.Now().Add(-s.opts.OverdueGrace), s.opts.MaxScan)
}

// overdueReason is the O1 reason of an overdue task of a workflow last reset at reset (nil:
// never). A reset after the task fell due leaves it open and overdue (the new run reopens the
// same task, due when it was), so the reason says so: the row is not the reset's failure.
func overdueReason(t store.OverdueTask, reset *time.Time) Reason {
	due := t.DueAt
	detail := overdueDetail(t)
	if reset != nil && reset.After(due) {
		detail += resetStillOverdue(*reset)
	}
	return Reason{Kind: KindTaskOverdue, TaskID: t.ID, Since: &due, Detail: detail}
}

// gaveUpReason is the O1 reason of a recorded activity failure.
func gaveUpReason(f store.ActivityFailure) Reason {
	at := f.FailedAt
	return Reason{Kind: KindActivityGaveUp, ActivityType: f.ActivityType, FailureID: f.ID, Since: &at,
		Detail: gaveUpDetail(f)}
}

// workflowType names the workflow type of a workflow id (project:…, plan:…) for a workflow
// visibility did not list (closed).
func workflowType(id string) string {
	switch {
	case strings.HasPrefix(id, "project:"):
		return "ProjectLifecycle"
	case strings.HasPrefix(id, "plan:"):
		return "AnnualPlan"
	}
	return ""
}

func timeOf(ts *timestamppb.Timestamp) *time.Time {
	if ts == nil || (ts.GetSeconds() == 0 && ts.GetNanos() == 0) {
		return nil
	}
	t := ts.AsTime()
	return &t
}
