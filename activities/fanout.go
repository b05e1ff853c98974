package activities

import (
	"context"
	"errors"
	"sync"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"
	"go.uber.org/zap"

	"egovpm/activities/wire"
	"egovpm/internal/logging"
	"egovpm/internal/store"
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

// SignalMembers delivers a plan decision to every member of its bundle through the client
// (issue 20 item 1, plan-fanout-activity): it reads the members and their outcomes from the
// read model a page at a time (bundle_projects in project id order), signals each page's
// members (fanOutParallel at once) and heartbeats the page's last id, so that a retry resumes
// after the last page signalled in full. A member of the page a retry resumes in may be
// signalled twice: a lifecycle ignores a bundle result outside awaiting_approval, so the
// second changes nothing. A member whose workflow is not found open (closed since) is logged
// and skipped, as a failed SignalExternalWorkflow was.
//
// The plan's history records one activity (3 events) per decision instead of 2 events per
// member and the workflow tasks their deliveries woke; no pending-signal limit (2,000) caps a
// bundle.
func (a *Activities) SignalMembers(ctx context.Context, in FanOut) (FanOutResult, error) {
	if a.Temporal == nil {
		return FanOutResult{}, temporal.NewNonRetryableApplicationError("no Temporal client to signal the members", "Config", nil)
	}
	if in.Signal == "" || in.Bundle.BundleID == "" {
		return FanOutResult{}, temporal.NewNonRetryableApplicationError("fan-out without signal or bundle", "BadInput", nil)
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
	for {
		page, err := a.Store.BundleMembersPage(ctx, in.Bundle.BundleID, pr.After, size)
		if err != nil {
			return FanOutResult{Signalled: pr.Signalled, Missing: pr.Missing}, err
		}
		if len(page) == 0 {
			return FanOutResult{Signalled: pr.Signalled, Missing: pr.Missing}, nil
		}
		for _, m := range page {
			if m.Outcome == "" { // the decision's Apply writes every outcome before scheduling this
				return FanOutResult{Signalled: pr.Signalled, Missing: pr.Missing}, temporal.NewNonRetryableApplicationError(
					"bundle "+in.Bundle.BundleID+" member "+m.ProjectID+" has no outcome", "NotDecided", nil)
			}
		}
		missing, err := a.signalPage(ctx, in, page)
		if err != nil {
			return FanOutResult{Signalled: pr.Signalled, Missing: pr.Missing}, err
		}
		pr.After = page[len(page)-1].ProjectID
		pr.Signalled += len(page) - missing
		pr.Missing += missing
		activity.RecordHeartbeat(ctx, pr)
		if len(page) < size {
			return FanOutResult{Signalled: pr.Signalled, Missing: pr.Missing}, nil
		}
	}
}

// signalPage signals each member of page its outcome, fanOutParallel at once; it returns the
// members not found open, and the first other error.
func (a *Activities) signalPage(ctx context.Context, in FanOut, page []store.BundleMember) (int, error) {
	var (
		mu      sync.Mutex
		missing int
		errs    []error
		wg      sync.WaitGroup
	)
	sem := make(chan struct{}, fanOutParallel)
	for _, m := range page {
		sig := in.Bundle
		sig.Approved, sig.Excluded = m.Outcome == "approved", m.Outcome == "excluded"
		sem <- struct{}{}
		wg.Add(1)
		go func(projectID string) {
			defer func() { <-sem; wg.Done() }()
			err := a.Temporal.SignalWorkflow(ctx, in.WorkflowIDPrefix+projectID, "", in.Signal, sig)
			var nf *serviceerror.NotFound
			mu.Lock()
			defer mu.Unlock()
			switch {
			case errors.As(err, &nf):
				missing++
				logging.Ctx(ctx, a.Log).Warn("member not signalled: no such open workflow", zap.String("fan_out", in.ID),
					zap.String("project_id", projectID), zap.Error(err))
			case err != nil:
				errs = append(errs, err)
			}
		}(m.ProjectID)
	}
	wg.Wait()
	return missing, errors.Join(errs...)
}
