package ops

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/api/serviceerror"
	workflowpb "go.temporal.io/api/workflow/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.uber.org/zap"

	"egovpm/internal/audit"
	"egovpm/internal/store"
)

// Audit actions of the reconciliation: a reset or a termination made outside egovpm (the
// Temporal Web UI, the temporal CLI, another client of the cluster), found afterwards.
const (
	ActionExternalReset     = "ops.external_reset"
	ActionExternalTerminate = "ops.external_terminate"
	ActionExternalCancel    = "ops.external_cancel"
)

// Kinds of Finding.
const (
	FindingReset     = "reset"
	FindingTerminate = "terminate"
	FindingCancel    = "cancel"
)

// findingActions are the audit actions of the kinds of Finding.
var findingActions = map[string]string{FindingReset: ActionExternalReset, FindingTerminate: ActionExternalTerminate,
	FindingCancel: ActionExternalCancel}

// ReconcileActor is the audit actor of a finding: the change was made in Temporal, by the
// identity the row's detail names.
const ReconcileActor = "temporal"

// Defaults of ReconcileOptions.
const (
	// DefaultReconcileSettle: changes newer than this wait for the next run. An ops reset
	// writes its audit row just after Temporal's reset, and visibility records land a moment
	// after the change.
	DefaultReconcileSettle = time.Minute
	// DefaultReconcileOverlap: each run looks again this far before the watermark, for
	// visibility records that landed late (findings already written are not written again).
	DefaultReconcileOverlap = 10 * time.Minute
)

// resetterIdentity is the identity the Temporal server gives the termination of a running
// run that a reset replaces (history-resetter); the reset itself is found through its new run.
const resetterIdentity = "history-resetter"

// OwnIdentity reports whether a Temporal identity is one egovpm's own clients set: a
// process's ("egovpm-gateway:…", "egovpm-worker:…", "egovpm-cli:…", platform.Identity) or an
// ops action's ("egovpm-ops:<user>"), each of which writes its own audit row.
func OwnIdentity(id string) bool { return strings.HasPrefix(id, "egovpm-") }

// ReconcileOptions tune Reconcile; zero values take the defaults above.
type ReconcileOptions struct {
	Settle  time.Duration
	Overlap time.Duration
}

// Finding is a reset, termination or cancellation made outside egovpm, as its audit row records it.
type Finding struct {
	Kind       string `json:"kind"`
	WorkflowID string `json:"workflow_id"`
	// RunID is the terminated or canceled run, or the run a reset made.
	RunID string `json:"run_id"`
	// BaseRunID is the run a reset started from.
	BaseRunID string `json:"base_run_id,omitempty"`
	// Identity is the client identity Temporal recorded for a termination or a cancellation
	// request; a reset's requester is not in its history (empty).
	Identity string `json:"identity"`
	Reason   string `json:"reason"`
	// EventID is the termination event, the cancellation request, or the reset point (the
	// event the reset named, where its marker stands in the new run).
	EventID int64     `json:"event_id"`
	At      time.Time `json:"at"`
}

// ReconcileResult is what one Reconcile run looked at and wrote.
type ReconcileResult struct {
	// From (zero on the first run: everything visibility still holds) and To bound the
	// close times of terminated and canceled runs and the start times of reset runs examined.
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
	// Examined counts the runs looked at.
	Examined int `json:"examined"`
	// Findings are the audit rows this run wrote (none for what an earlier run found).
	Findings []Finding `json:"findings"`
}

// Reconcile finds resets, terminations and cancellations made outside egovpm since the last
// run and writes one audit row for each (issue 21 item 5), so the audit trail has no hole
// where someone used the Temporal Web UI or CLI:
//
//   - a run terminated by an identity that is not egovpm's own (OwnIdentity) or the server's
//     reset (history-resetter): ops.external_terminate with the identity and the reason;
//   - a run closed canceled whose cancellation a client requested (not a parent workflow),
//     by an identity that is not egovpm's own (egovpm itself never cancels a workflow):
//     ops.external_cancel with the identity and the reason given;
//   - a run made by a reset that no ops.reset audit row names as its new run:
//     ops.external_reset with the base run, the reset point and the reason (Temporal does not
//     record a reset's requester).
//
// It looks at runs closed (terminated, canceled) or started (reset runs) from the stored
// watermark less the overlap up to now less the settle time, then moves the watermark there. Each finding's
// row has a dedup key (the run), so a run that looks again writes nothing twice, and two
// workers reconciling at once write each row once. docs/AUDIT.md says what it cannot see.
func (s *Service) Reconcile(ctx context.Context, o ReconcileOptions) (ReconcileResult, error) {
	settle := cmp.Or(o.Settle, DefaultReconcileSettle)
	overlap := cmp.Or(o.Overlap, DefaultReconcileOverlap)
	res := ReconcileResult{To: s.opts.Now().Add(-settle).UTC().Truncate(time.Microsecond), Findings: []Finding{}}
	w, ok, err := s.store.ReconcileWatermark(ctx, s.opts.Namespace)
	if err != nil {
		return res, err
	}
	if ok {
		res.From = w.Add(-overlap).UTC()
	}
	if !res.From.Before(res.To) {
		return res, nil
	}
	if err := s.reconcileTerminated(ctx, &res); err != nil {
		return res, err
	}
	if err := s.reconcileCanceled(ctx, &res); err != nil {
		return res, err
	}
	if err := s.reconcileResets(ctx, &res); err != nil {
		return res, err
	}
	if err := s.store.SetReconcileWatermark(ctx, s.opts.Namespace, res.To); err != nil {
		return res, err
	}
	return res, nil
}

// reconcileTerminated examines the runs terminated within res's window.
func (s *Service) reconcileTerminated(ctx context.Context, res *ReconcileResult) error {
	q := "ExecutionStatus = 'Terminated'" + window("CloseTime", res.From, res.To)
	return s.listRuns(ctx, q, func(info *workflowpb.WorkflowExecutionInfo) error {
		res.Examined++
		wid, rid := info.GetExecution().GetWorkflowId(), info.GetExecution().GetRunId()
		key := findingKey(FindingTerminate, wid, rid)
		if seen, err := s.store.AuditDedupKeyUsed(ctx, key); err != nil || seen {
			return err
		}
		ev, err := s.closeEvent(ctx, wid, rid)
		if err != nil || ev == nil {
			return err
		}
		a := ev.GetWorkflowExecutionTerminatedEventAttributes()
		if a == nil || a.GetIdentity() == resetterIdentity || OwnIdentity(a.GetIdentity()) {
			return nil
		}
		return s.recordFinding(ctx, res, key, Finding{Kind: FindingTerminate, WorkflowID: wid, RunID: rid,
			Identity: a.GetIdentity(), Reason: a.GetReason(), EventID: ev.GetEventId(), At: ev.GetEventTime().AsTime()})
	})
}

// reconcileCanceled examines the runs that closed canceled within res's window: the
// cancellation request in each history says who asked, and why.
func (s *Service) reconcileCanceled(ctx context.Context, res *ReconcileResult) error {
	q := "ExecutionStatus = 'Canceled'" + window("CloseTime", res.From, res.To)
	return s.listRuns(ctx, q, func(info *workflowpb.WorkflowExecutionInfo) error {
		res.Examined++
		wid, rid := info.GetExecution().GetWorkflowId(), info.GetExecution().GetRunId()
		key := findingKey(FindingCancel, wid, rid)
		if seen, err := s.store.AuditDedupKeyUsed(ctx, key); err != nil || seen {
			return err
		}
		ev, err := s.firstEvent(ctx, wid, rid, enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_CANCEL_REQUESTED)
		if err != nil || ev == nil {
			return err
		}
		a := ev.GetWorkflowExecutionCancelRequestedEventAttributes()
		if a.GetExternalWorkflowExecution() != nil || OwnIdentity(a.GetIdentity()) {
			return nil // asked by a workflow (a parent's code), or by egovpm
		}
		return s.recordFinding(ctx, res, key, Finding{Kind: FindingCancel, WorkflowID: wid, RunID: rid,
			Identity: a.GetIdentity(), Reason: a.GetCause(), EventID: ev.GetEventId(), At: ev.GetEventTime().AsTime()})
	})
}

// reconcileResets examines the runs started within res's window: a reset run's start time
// is the time of the reset.
func (s *Service) reconcileResets(ctx context.Context, res *ReconcileResult) error {
	q := strings.TrimPrefix(window("StartTime", res.From, res.To), " AND ")
	return s.listRuns(ctx, q, func(info *workflowpb.WorkflowExecutionInfo) error {
		res.Examined++
		wid, rid := info.GetExecution().GetWorkflowId(), info.GetExecution().GetRunId()
		key := findingKey(FindingReset, wid, rid)
		if seen, err := s.store.AuditDedupKeyUsed(ctx, key); err != nil || seen {
			return err
		}
		marker, err := s.resetMarker(ctx, wid, rid)
		if err != nil || marker == nil {
			return err
		}
		if audited, err := s.store.OpsResetAudited(ctx, wid, rid); err != nil || audited {
			return err
		}
		a := marker.GetWorkflowTaskFailedEventAttributes()
		return s.recordFinding(ctx, res, key, Finding{Kind: FindingReset, WorkflowID: wid, RunID: rid,
			BaseRunID: a.GetBaseRunId(), Reason: a.GetFailure().GetMessage(), EventID: marker.GetEventId(),
			At: info.GetStartTime().AsTime()})
	})
}

// window is the visibility condition "col within [from, to)"; a zero from has no lower bound.
func window(col string, from, to time.Time) string {
	q := fmt.Sprintf(" AND %s < '%s'", col, to.Format(time.RFC3339Nano))
	if !from.IsZero() {
		q = fmt.Sprintf(" AND %s >= '%s'", col, from.Format(time.RFC3339Nano)) + q
	}
	return q
}

// findingKey is the audit dedup key of a finding: a run is terminated once, and made by one reset.
func findingKey(kind, workflowID, runID string) string {
	return "reconcile:" + kind + ":" + workflowID + ":" + runID
}

// listRuns calls fn for every run the visibility query q lists, page by page.
func (s *Service) listRuns(ctx context.Context, q string, fn func(*workflowpb.WorkflowExecutionInfo) error) error {
	var token []byte
	for {
		resp, err := s.temporal.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{
			Namespace: s.opts.Namespace, Query: q, PageSize: 500, NextPageToken: token})
		if err != nil {
			return fmt.Errorf("list runs (%s): %w", q, err)
		}
		for _, info := range resp.GetExecutions() {
			if err := fn(info); err != nil {
				return err
			}
		}
		if token = resp.GetNextPageToken(); len(token) == 0 {
			return nil
		}
	}
}

// closeEvent returns a closed run's last event; nil when its history is gone (retention).
func (s *Service) closeEvent(ctx context.Context, workflowID, runID string) (*historypb.HistoryEvent, error) {
	it := s.temporal.GetWorkflowHistory(ctx, workflowID, runID, false, enumspb.HISTORY_EVENT_FILTER_TYPE_CLOSE_EVENT)
	if !it.HasNext() {
		return nil, nil
	}
	ev, err := it.Next()
	if err != nil {
		return nil, s.goneOr(err, workflowID, runID)
	}
	return ev, nil
}

// firstEvent returns the first event of type typ in a run's history, or nil when it has none
// or its history is gone (retention).
func (s *Service) firstEvent(ctx context.Context, workflowID, runID string, typ enumspb.EventType) (*historypb.HistoryEvent, error) {
	it := s.temporal.GetWorkflowHistory(ctx, workflowID, runID, false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		ev, err := it.Next()
		if err != nil {
			return nil, s.goneOr(err, workflowID, runID)
		}
		if ev.GetEventType() == typ {
			return ev, nil
		}
	}
	return nil, nil
}

// resetMarker returns the event a reset left in the run it made (WorkflowTaskFailed, cause
// ResetWorkflow, new run runID), or nil when the run was not made by a reset. Describe tells
// a reset run (its last reset time) without reading the history of every new run.
func (s *Service) resetMarker(ctx context.Context, workflowID, runID string) (*historypb.HistoryEvent, error) {
	d, err := Describe(ctx, s.temporal, workflowID, runID)
	if err != nil {
		return nil, s.goneOr(err, workflowID, runID)
	}
	if d.GetWorkflowExtendedInfo().GetLastResetTime() == nil {
		return nil, nil
	}
	it := s.temporal.GetWorkflowHistory(ctx, workflowID, runID, false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		ev, err := it.Next()
		if err != nil {
			return nil, s.goneOr(err, workflowID, runID)
		}
		a := ev.GetWorkflowTaskFailedEventAttributes()
		if a.GetCause() == enumspb.WORKFLOW_TASK_FAILED_CAUSE_RESET_WORKFLOW && a.GetNewRunId() == runID {
			return ev, nil
		}
	}
	return nil, nil
}

// goneOr is nil for a run whose history retention removed between the list and the read (it is
// logged: the change it may have held is not audited), err otherwise.
func (s *Service) goneOr(err error, workflowID, runID string) error {
	var nf *serviceerror.NotFound
	if errors.As(err, &nf) {
		s.log.Warn("reconcile: run gone before it was examined", zap.String("workflow_id", workflowID), zap.String("run_id", runID))
		return nil
	}
	return fmt.Errorf("examine %s/%s: %w", workflowID, runID, err)
}

// recordFinding writes f's audit row (once, by key) and adds it to res.
func (s *Service) recordFinding(ctx context.Context, res *ReconcileResult, key string, f Finding) error {
	action := findingActions[f.Kind]
	detail := map[string]any{"run_id": f.RunID, "identity": f.Identity, "reason": f.Reason, "event_id": f.EventID,
		"at": f.At.UTC().Format(time.RFC3339Nano), "found_by": "reconcile"}
	if f.Kind == FindingReset {
		detail["base_run_id"] = f.BaseRunID
	}
	err := s.store.WithTx(ctx, func(tx *store.Tx) error {
		return s.store.AppendAudit(ctx, tx, audit.Entry{ActorID: ReconcileActor, Action: action, ObjectType: "workflow",
			ObjectID: f.WorkflowID, Outcome: "ok", Detail: detail, DedupKey: key})
	})
	if err != nil {
		return fmt.Errorf("audit %s of %s: %w", action, f.WorkflowID, err)
	}
	s.log.Warn("workflow changed outside egovpm", zap.String("kind", f.Kind), zap.String("workflow_id", f.WorkflowID),
		zap.String("run_id", f.RunID), zap.String("identity", f.Identity), zap.String("reason", f.Reason))
	res.Findings = append(res.Findings, f)
	return nil
}
