package ops

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
	"go.uber.org/zap"

	"egovpm/internal/apperr"
	"egovpm/internal/logging"
)

// Replay statuses.
const (
	ReplayOK               = "ok"
	ReplayNondeterministic = "nondeterministic"
	ReplayError            = "error"
)

// Sources of a replayed history.
const (
	SourcePosted = "posted"
	SourceLive   = "live"
)

// ReplayRequest says what to replay (O3).
type ReplayRequest struct {
	// Histories are exported histories (the JSON of `temporal workflow show --output json`).
	Histories []*historypb.History
	// Live adds the live histories of open workflows: those named in WorkflowIDs, or every
	// open workflow (up to Options.MaxLiveReplay per call, continued with Cursor).
	Live        bool
	WorkflowIDs []string
	Cursor      string
	// Reason is why ops replays (recorded in the audit row).
	Reason string
}

// ReplayResult is the verdict on one history.
type ReplayResult struct {
	WorkflowID   string `json:"workflow_id"`
	RunID        string `json:"run_id,omitempty"`
	WorkflowType string `json:"workflow_type,omitempty"`
	Source       string `json:"source"`
	// Status is ok, nondeterministic (the code issues other commands than the history
	// recorded) or error (the history could not be replayed at all, e.g. an unknown
	// workflow type).
	Status string `json:"status"`
	Error  string `json:"error,omitempty"`
}

// ReplayReport is the outcome of a replay call.
type ReplayReport struct {
	Items            []ReplayResult `json:"items"`
	OK               int            `json:"ok"`
	Nondeterministic int            `json:"nondeterministic"`
	Errors           int            `json:"errors"`
	// Passed: every history replayed (the deploy gate of O3).
	Passed bool `json:"passed"`
	// Truncated: more open workflows are left; NextCursor continues with them.
	Truncated  bool   `json:"truncated"`
	NextCursor string `json:"next_cursor"`
}

// maxErrorText caps the error text of one result.
const maxErrorText = 4000

// Replay replays histories against the workflows of this build (Options.Register) and reports
// per history whether the code is still deterministic for it (O3). One audit row records the
// call.
func (s *Service) Replay(ctx context.Context, a Actor, req ReplayRequest) (ReplayReport, error) {
	if s.opts.Register == nil {
		return ReplayReport{}, errors.New("ops: no workflows to replay against (Options.Register)")
	}
	rep := ReplayReport{Items: []ReplayResult{}}
	replayer := worker.NewWorkflowReplayer()
	s.opts.Register(replayer)
	// The replayer logs each non-determinism as a workflow panic with a stack trace; the
	// verdict and its error are in the report, so the replay itself stays quiet.
	logger := logging.NewTemporal(zap.NewNop())

	for _, h := range req.Histories {
		rep.Items = append(rep.Items, ReplayHistory(replayer, logger, h, SourcePosted, "", ""))
	}
	if req.Live {
		live, next, err := s.replayLive(ctx, replayer, logger, req)
		if err != nil {
			return ReplayReport{}, err
		}
		rep.Items = append(rep.Items, live...)
		rep.NextCursor, rep.Truncated = next, next != ""
	}
	var bad, broken []string
	for _, r := range rep.Items {
		switch r.Status {
		case ReplayOK:
			rep.OK++
		case ReplayNondeterministic:
			rep.Nondeterministic++
			bad = append(bad, r.WorkflowID)
		default:
			rep.Errors++
			broken = append(broken, r.WorkflowID)
		}
	}
	rep.Passed = rep.Nondeterministic == 0 && rep.Errors == 0

	object := "*"
	if len(rep.Items) == 1 {
		object = rep.Items[0].WorkflowID
	}
	outcome := "passed"
	if !rep.Passed {
		outcome = "failed"
	}
	detail := map[string]any{"posted": len(req.Histories), "live": req.Live, "replayed": len(rep.Items), "ok": rep.OK,
		"nondeterministic": bad, "errors": broken, "truncated": rep.Truncated}
	if len(req.WorkflowIDs) > 0 {
		detail["workflow_ids"] = req.WorkflowIDs
	}
	if req.Reason != "" {
		detail["reason"] = req.Reason
	}
	if err := s.audit(ctx, a, ActionReplay, object, outcome, detail); err != nil {
		return rep, err
	}
	return rep, nil
}

// replayLive fetches and replays the live histories the request names, or a page of every
// open workflow.
func (s *Service) replayLive(ctx context.Context, r worker.WorkflowReplayer, logger log.Logger, req ReplayRequest) ([]ReplayResult, string, error) {
	var todo []*execution
	next := ""
	if len(req.WorkflowIDs) > 0 {
		if len(req.WorkflowIDs) > s.opts.MaxLiveReplay {
			return nil, "", apperr.Invalid(map[string]string{"workflow_ids": fmt.Sprintf("一次最多 %d 个流程", s.opts.MaxLiveReplay)})
		}
		for _, id := range req.WorkflowIDs {
			todo = append(todo, &execution{WorkflowID: id})
		}
	} else {
		var token []byte
		if req.Cursor != "" {
			b, err := base64.RawURLEncoding.DecodeString(req.Cursor)
			if err != nil || len(b) == 0 {
				return nil, "", errBadCursor()
			}
			token = b
		}
		open, rest, err := s.listWorkflows(ctx, queryRunning, s.opts.MaxLiveReplay, token)
		if err != nil {
			return nil, "", err
		}
		todo = open
		if len(rest) > 0 {
			next = base64.RawURLEncoding.EncodeToString(rest)
		}
	}
	out := make([]ReplayResult, 0, len(todo))
	for _, e := range todo {
		events, err := s.liveHistory(ctx, e)
		if ae, ok := apperr.As(err); ok && ae.Kind == apperr.KindNotFound {
			out = append(out, ReplayResult{WorkflowID: e.WorkflowID, RunID: e.RunID, Source: SourceLive, Status: ReplayError,
				Error: "workflow not found"})
			continue
		}
		if err != nil {
			return nil, "", err
		}
		res := ReplayHistory(r, logger, &historypb.History{Events: events}, SourceLive, e.WorkflowID, e.RunID)
		if res.WorkflowType == "" {
			res.WorkflowType = e.Type
		}
		out = append(out, res)
	}
	return out, next, nil
}

// liveHistory fetches the history of e's run; for a workflow named only by id, of its current
// run (e gets the run id and type).
func (s *Service) liveHistory(ctx context.Context, e *execution) ([]*historypb.HistoryEvent, error) {
	if e.RunID == "" {
		d, err := s.describe(ctx, e.WorkflowID, "")
		if err != nil {
			return nil, err
		}
		e.RunID = d.GetWorkflowExecutionInfo().GetExecution().GetRunId()
		e.Type = d.GetWorkflowExecutionInfo().GetType().GetName()
	}
	return s.history(ctx, e.WorkflowID, e.RunID)
}

// ReplayHistory replays one history with r under the workflow's own id and run id (the
// workflows derive task ids from their workflow id, so a replay under the replayer's default id
// would report a false non-determinism). workflowID and runID override the ids the history's
// first event carries.
func ReplayHistory(r worker.WorkflowReplayer, logger log.Logger, h *historypb.History, source, workflowID, runID string) ReplayResult {
	res := ReplayResult{WorkflowID: workflowID, RunID: runID, Source: source}
	events := h.GetEvents()
	if len(events) == 0 {
		res.Status, res.Error = ReplayError, "history has no events"
		return res
	}
	started := events[0].GetWorkflowExecutionStartedEventAttributes()
	if started == nil {
		res.Status, res.Error = ReplayError, "history does not begin with WorkflowExecutionStarted"
		return res
	}
	res.WorkflowType = started.GetWorkflowType().GetName()
	if res.WorkflowID == "" {
		res.WorkflowID = started.GetWorkflowId()
	}
	if res.RunID == "" {
		res.RunID = started.GetOriginalExecutionRunId()
	}
	if res.WorkflowID == "" {
		res.Status, res.Error = ReplayError, "the started event carries no workflowId (export the history from a newer server)"
		return res
	}
	err := r.ReplayWorkflowHistoryWithOptions(logger, h, worker.ReplayWorkflowHistoryOptions{
		OriginalExecution: workflow.Execution{ID: res.WorkflowID, RunID: res.RunID},
	})
	res.Status = ReplayStatus(err)
	if err != nil {
		res.Error = err.Error()
		if len(res.Error) > maxErrorText {
			res.Error = res.Error[:maxErrorText] + "…"
		}
	}
	return res
}

// ReplayStatus classifies a replay error: nil is ok; the SDK's non-determinism errors (code
// TMPRL1100, "nondeterministic workflow") are nondeterministic; anything else is error.
func ReplayStatus(err error) string {
	if err == nil {
		return ReplayOK
	}
	msg := strings.ToLower(err.Error())
	for _, mark := range []string{"tmprl1100", "nondeterministic", "non-deterministic", "non deterministic"} {
		if strings.Contains(msg, mark) {
			return ReplayNondeterministic
		}
	}
	return ReplayError
}
