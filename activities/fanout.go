package activities

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"
	"go.uber.org/zap"

	"egovpm/activities/wire"
	"egovpm/internal/logging"
)

// FanOut, FanOutProgress and FanOutResult are SignalMembers' payloads (package wire).
type (
	FanOut         = wire.FanOut
	FanOutProgress = wire.FanOutProgress
	FanOutResult   = wire.FanOutResult
)

// fanOutPage is the default page of SignalMembers, and fanOutParallel the signals of a page
// in flight at once: enough to overlap the RPCs' round trips, few enough not to crowd out the
// members' own workflow tasks on the same server.
const (
	fanOutPage     = 200
	fanOutParallel = 16
)

// The fan-out's pace (issue 20 item 1): a page is signalled only once the members of the page
// fanOutWindow pages before it have taken up their signals, that is once the last member
// signalled there has no workflow task still waiting in a queue. Signalled faster than the
// worker runs their workflow tasks, 10,000 members' tasks queue up on the worker's sticky
// queue; those that wait longer than its StickyScheduleToStartTimeout (a minute) are moved to
// the task queue and reach the worker with their whole history, which it then replays from
// the first event, when the machine has least CPU to spare (docs/PERFORMANCE.md §11.1.8).
// Two pages keep the worker supplied while the next is read and signalled, and a decision of
// another user's waits behind at most that many members' tasks instead of the whole year's.
//
// The wait for one page's member ends at fanOutWaitMax, or at once when its workflow task is
// failing (attempt > 1: its retries do not say how deep the queue is) or it cannot be
// described: the pace only slows the fan-out down, it never holds it.
const (
	fanOutWindow  = 2
	fanOutPoll    = 200 * time.Millisecond
	fanOutWaitMax = 30 * time.Second
)

// member is one project a fan-out signals, with its payload and, when not the fan-out's
// Signal, its signal's name.
type member struct {
	projectID string
	payload   any
	signal    string
}

// SignalMembers delivers a plan decision to each of its projects through the client (issue 20
// item 1, plan-fanout-activity): a bundle decision to the bundle's members, a convene to the
// session's projects, a compile to the projects it decided, a year-end close to the year's
// projects still before the plan's decision (plan-close-fanout), an approved adjustment to
// the projects it changes (plan-adjust-fanout). It reads them and what each is told a page at
// a time, in project id order, from the read model (bundle_projects, expert_session_projects,
// plan_items: the decision's Apply wrote them before the activity was scheduled; projects and
// plan_items for the close) or from its input (a compile's projects, an adjustment's
// changes), signals each page's members
// (fanOutParallel at once) and heartbeats the page's last id, so that a retry resumes after
// the last page signalled in full. A member of the page a retry resumes in may be signalled
// twice: a lifecycle ignores a panel, a plan result, a bundle result or a year-end close
// outside the stage it was sent for, and an adjustment it has applied (plan-adjust-once), so
// the second changes nothing. A member whose workflow
// is not found open (closed since) is logged and skipped, as a failed SignalExternalWorkflow
// was.
//
// The plan's history records one activity (3 events) per decision instead of 2 events per
// member and the workflow tasks their deliveries woke; no pending-signal limit (2,000) caps a
// decision.
func (a *Activities) SignalMembers(ctx context.Context, in FanOut) (FanOutResult, error) {
	if a.Temporal == nil {
		return FanOutResult{}, temporal.NewNonRetryableApplicationError("no Temporal client to signal the members", "Config", nil)
	}
	n := 0
	for _, set := range []bool{in.Bundle != nil, in.Session != nil, in.Plan != nil, in.Close != nil,
		in.Adjust != nil} {
		if set {
			n++
		}
	}
	if in.Signal == "" || n != 1 {
		return FanOutResult{}, temporal.NewNonRetryableApplicationError("fan-out without a signal or one set of members", "BadInput", nil)
	}
	size := in.PageSize
	if size <= 0 {
		size = fanOutPage
	}
	var pr FanOutProgress
	if activity.HasHeartbeatDetails(ctx) {
		if err := activity.GetHeartbeatDetails(ctx, &pr); err != nil {
			return FanOutResult{}, err
		}
	}
	var marks []string // each page's last member, the last fanOutWindow pages
	for {
		page, err := a.fanOutPage(ctx, in, pr.After, size)
		if err != nil {
			return FanOutResult{Signalled: pr.Signalled, Missing: pr.Missing}, err
		}
		if len(page) == 0 {
			return a.fanOutEnd(ctx, in, marks, pr)
		}
		if len(marks) == fanOutWindow {
			if err := a.awaitTakenUp(ctx, in, in.WorkflowIDPrefix+marks[0], pr); err != nil {
				return FanOutResult{Signalled: pr.Signalled, Missing: pr.Missing}, err
			}
			marks = marks[1:]
		}
		missing, err := a.signalPage(ctx, in, page)
		if err != nil {
			return FanOutResult{Signalled: pr.Signalled, Missing: pr.Missing}, err
		}
		pr.After = page[len(page)-1].projectID
		marks = append(marks, pr.After)
		pr.Signalled += len(page) - missing
		pr.Missing += missing
		activity.RecordHeartbeat(ctx, pr)
		if len(page) < size {
			return a.fanOutEnd(ctx, in, marks, pr)
		}
	}
}

// fanOutEnd ends a fan-out once no more than its last page's members are still to take up
// their signals (awaitTakenUp of the page before it): a plan's fan-outs run one after
// another, and each would otherwise leave its last fanOutWindow pages queued ahead of the
// next one's, and a year's 20 convene requests would queue the whole year's members again.
func (a *Activities) fanOutEnd(ctx context.Context, in FanOut, marks []string, pr FanOutProgress) (FanOutResult, error) {
	res := FanOutResult{Signalled: pr.Signalled, Missing: pr.Missing}
	if len(marks) < 2 {
		return res, nil
	}
	return res, a.awaitTakenUp(ctx, in, in.WorkflowIDPrefix+marks[len(marks)-2], pr)
}

// awaitTakenUp waits, heartbeating pr, until the workflow id has no workflow task waiting in a
// queue (the fan-out's pace, fanOutWindow), for at most a.FanOutWait (fanOutWaitMax when zero).
// It fails only when ctx ends.
func (a *Activities) awaitTakenUp(ctx context.Context, in FanOut, id string, pr FanOutProgress) error {
	limit := cmp.Or(a.FanOutWait, fanOutWaitMax)
	start := time.Now()
	for {
		d, err := a.Temporal.DescribeWorkflow(ctx, id, "")
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if err != nil {
			var nf *serviceerror.NotFound
			if !errors.As(err, &nf) {
				logging.Ctx(ctx, a.Log).Warn("fan-out goes on without its pace: member not described", zap.String("fan_out", in.ID),
					zap.String("workflow_id", id), zap.Error(err))
			}
			return nil
		}
		wt := d.RawResponse.GetPendingWorkflowTask()
		if wt.GetState() != enumspb.PENDING_WORKFLOW_TASK_STATE_SCHEDULED || wt.GetAttempt() > 1 {
			return nil
		}
		if time.Since(start) >= limit {
			logging.Ctx(ctx, a.Log).Warn("fan-out goes on: a member's workflow task still waits", zap.String("fan_out", in.ID),
				zap.String("workflow_id", id), zap.Duration("waited", time.Since(start)))
			return nil
		}
		activity.RecordHeartbeat(ctx, pr)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(fanOutPoll):
		}
	}
}

// fanOutPage reads the next page of in's members after the project id after, each with what
// it is told.
func (a *Activities) fanOutPage(ctx context.Context, in FanOut, after string, size int) ([]member, error) {
	var out []member
	switch {
	case in.Bundle != nil:
		rows, err := a.Store.BundleMembersPage(ctx, in.Bundle.BundleID, after, size)
		if err != nil {
			return nil, err
		}
		for _, r := range rows {
			if r.Outcome == "" { // the decision's Apply writes every outcome before scheduling this
				return nil, temporal.NewNonRetryableApplicationError(
					"bundle "+in.Bundle.BundleID+" member "+r.ProjectID+" has no outcome", "NotDecided", nil)
			}
			sig := *in.Bundle
			sig.Approved, sig.Excluded = r.Outcome == "approved", r.Outcome == "excluded"
			out = append(out, member{projectID: r.ProjectID, payload: sig})
		}
	case in.Session != nil:
		rows, err := a.Store.SessionMembersPage(ctx, in.Session.SessionID, after, size)
		if err != nil {
			return nil, err
		}
		for _, r := range rows {
			sig := wire.PanelSignal{SessionID: in.Session.SessionID, Stale: r.Stale}
			for _, e := range in.Session.Experts {
				if e.OrgID != r.UnitID { // R4 recusal
					sig.Experts = append(sig.Experts, e)
				}
			}
			out = append(out, member{projectID: r.ProjectID, payload: sig})
		}
	case in.Close != nil:
		ids, err := a.Store.PrePlanPage(ctx, in.Close.PlanYear, after, size)
		if err != nil {
			return nil, err
		}
		for _, id := range ids {
			out = append(out, member{projectID: id, payload: *in.Close})
		}
	case in.Adjust != nil:
		out = adjustPage(*in.Adjust, after, size)
	default:
		ids := slices.Sorted(slices.Values(in.Plan.ProjectIDs))
		i, _ := slices.BinarySearch(ids, after)
		if i < len(ids) && ids[i] == after {
			i++
		}
		ids = ids[i:min(i+size, len(ids))]
		if len(ids) == 0 {
			return nil, nil
		}
		items, err := a.Store.PlanItemsOf(ctx, ids)
		if err != nil {
			return nil, err
		}
		if len(items) != len(ids) {
			return nil, temporal.NewNonRetryableApplicationError(
				fmt.Sprintf("%d of %d compiled projects have no plan item", len(ids)-len(items), len(ids)), "NotDecided", nil)
		}
		for _, it := range items {
			sig := wire.PlanResultSignal{Included: it.Included, Reason: it.Reason, Actor: in.Plan.Actor}
			if it.Included && it.ApprovedAmountFen != nil {
				sig.ApprovedAmountFen = *it.ApprovedAmountFen
			}
			out = append(out, member{projectID: it.ProjectID, payload: sig})
		}
	}
	return out, nil
}

// signalPage signals each member of page its payload, fanOutParallel at once; it returns the
// members not found open, and the first other error.
func (a *Activities) signalPage(ctx context.Context, in FanOut, page []member) (int, error) {
	var (
		mu      sync.Mutex
		missing int
		errs    []error
		wg      sync.WaitGroup
	)
	sem := make(chan struct{}, fanOutParallel)
	for _, m := range page {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			signal := in.Signal
			if m.signal != "" {
				signal = m.signal
			}
			err := a.Temporal.SignalWorkflow(ctx, in.WorkflowIDPrefix+m.projectID, "", signal, m.payload)
			var nf *serviceerror.NotFound
			mu.Lock()
			defer mu.Unlock()
			switch {
			case errors.As(err, &nf):
				missing++
				logging.Ctx(ctx, a.Log).Warn("member not signalled: no such open workflow", zap.String("fan_out", in.ID),
					zap.String("project_id", m.projectID), zap.Error(err))
			case err != nil:
				errs = append(errs, err)
			}
		}()
	}
	wg.Wait()
	return missing, errors.Join(errs...)
}

// adjustPage is the next page of an adjustment's changes after the project id after, in
// project id order, each with what its project is told: an added project its plan result
// (included at the amount, on ad.AddSignal), a changed or removed one a PlanAdjustedSignal.
func adjustPage(ad wire.AdjustFanOut, after string, size int) []member {
	cs := slices.SortedFunc(slices.Values(ad.Changes), func(a, b wire.AdjustChange) int { return strings.Compare(a.ProjectID, b.ProjectID) })
	i, _ := slices.BinarySearchFunc(cs, after, func(c wire.AdjustChange, id string) int { return strings.Compare(c.ProjectID, id) })
	if i < len(cs) && cs[i].ProjectID == after {
		i++
	}
	var out []member
	for _, c := range cs[i:min(i+size, len(cs))] {
		if c.Action == "add" {
			out = append(out, member{projectID: c.ProjectID, signal: ad.AddSignal,
				payload: wire.PlanResultSignal{Included: true, ApprovedAmountFen: c.AmountFen, Actor: ad.Actor}})
			continue
		}
		out = append(out, member{projectID: c.ProjectID, payload: wire.PlanAdjustedSignal{AdjustmentID: ad.AdjustmentID,
			Action: c.Action, AmountFen: c.AmountFen, Reason: ad.Reason, Actor: ad.Actor}})
	}
	return out
}
