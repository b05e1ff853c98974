package activities_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	workflowpb "go.temporal.io/api/workflow/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/testsuite"
	"go.uber.org/zap"

	"egovpm/activities"
	"egovpm/activities/wire"
	"egovpm/internal/domain"
	"egovpm/internal/seed"
	"egovpm/internal/store"
	"egovpm/internal/testdb"
)

// signaller is a Temporal client that records SignalWorkflow calls: signals named other than
// want ("" any name) are refused, closed workflows are not found, and fail (once set) fails every
// call after that many have succeeded.
type signaller struct {
	client.Client
	want   string
	mu     sync.Mutex
	got    map[string][]any
	calls  int
	closed map[string]bool
	fail   int
	// names, when set, records each signal's name.
	names map[string][]string
	// pending is what DescribeWorkflow reports of a workflow's pending workflow
	// task, an entry a call, the last one repeated; a workflow not in it has none.
	pending map[string][]*workflowpb.PendingWorkflowTaskInfo
	// events records "signal <id>" and "describe <id>" in call order.
	events []string
}

func (s *signaller) DescribeWorkflow(_ context.Context, id, _ string) (*client.WorkflowExecutionDescription, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.events = append(s.events, "describe "+id)
	var wt *workflowpb.PendingWorkflowTaskInfo
	if p := s.pending[id]; len(p) > 0 {
		wt = p[0]
		if len(p) > 1 {
			s.pending[id] = p[1:]
		}
	}
	return &client.WorkflowExecutionDescription{RawResponse: &workflowservice.DescribeWorkflowExecutionResponse{PendingWorkflowTask: wt}}, nil
}

func (s *signaller) SignalWorkflow(_ context.Context, id, _, name string, arg any) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.want != "" && name != s.want {
		return fmt.Errorf("signal %s", name)
	}
	if s.closed[id] {
		return serviceerror.NewNotFound("workflow execution already completed")
	}
	if s.fail > 0 && s.calls >= s.fail {
		return errors.New("unavailable")
	}
	s.calls++
	s.events = append(s.events, "signal "+id)
	s.got[id] = append(s.got[id], arg)
	if s.names != nil {
		s.names[id] = append(s.names[id], name)
	}
	return nil
}

// fanOut is a SignalMembers test's set-up: the store, the client recording the signals and the
// heartbeats of its runs so far.
type fanOut struct {
	st    *store.Store
	c     *signaller
	beats []wire.FanOutProgress
	// wait is the Activities' FanOutWait.
	wait time.Duration
}

// newFanOut writes bundle b1 of n projects (p000 …) decided as outcome, p001 excluded, then
// runs the statements more; c records the signals of SignalMembers runs over it.
func newFanOut(t *testing.T, n int, c *signaller, more ...string) *fanOut {
	t.Helper()
	st := testdb.New(t)
	ctx := context.Background()
	require.NoError(t, seed.Demo(ctx, st, "demo-Passw0rd"))
	_, err := st.DB().Exec(`INSERT INTO projects (id, unit_id, name, type, plan_year, estimated_investment_fen, mlps_level, stage, created_by)
		SELECT format('p%s', lpad(i::text, 3, '0')), 'unit-a', '项目' || i, 'new', 2031, 500000000, 2, 'awaiting_approval', 'u-alice'
		FROM generate_series(0, $1 - 1) i`, n)
	require.NoError(t, err)
	for _, q := range append([]string{`INSERT INTO tasks (id, kind, workflow_id, candidate_role, due_at, details)
		VALUES ('bt1', 'bundle_approval', 'plan:2031', 'ndrc_approver', now(), '{}')`,
		`INSERT INTO bundles (id, plan_year, task_id, status, created_by) VALUES ('b1', 2031, 'bt1', 'partially_approved', 'u-alice')`,
		`INSERT INTO bundle_projects (bundle_id, project_id, outcome)
		SELECT 'b1', id, CASE WHEN id = 'p001' THEN 'excluded' ELSE 'approved' END FROM projects WHERE plan_year = 2031`}, more...) {
		_, err := st.DB().Exec(q)
		require.NoError(t, err)
	}
	c.got = map[string][]any{}
	return &fanOut{st: st, c: c}
}

// run runs SignalMembers with in, recording its heartbeats; after a failed run, resume runs it
// again from that run's last heartbeat, the client no longer failing.
func (f *fanOut) run(in wire.FanOut) (wire.FanOutResult, error) {
	return f.execute(f.env(), in)
}

func (f *fanOut) resume(in wire.FanOut) (wire.FanOutResult, error) {
	f.c.fail = 0
	env := f.env()
	env.SetHeartbeatDetails(f.beats[len(f.beats)-1])
	return f.execute(env, in)
}

func (f *fanOut) env() *testsuite.TestActivityEnvironment {
	var ts testsuite.WorkflowTestSuite
	env := ts.NewTestActivityEnvironment()
	env.RegisterActivity(&activities.Activities{Store: f.st, Log: zap.NewNop(), Temporal: f.c, FanOutWait: f.wait})
	env.SetOnActivityHeartbeatListener(func(_ *activity.Info, d converter.EncodedValues) {
		var p wire.FanOutProgress
		if d.Get(&p) == nil {
			f.beats = append(f.beats, p)
		}
	})
	return env
}

func (f *fanOut) execute(env *testsuite.TestActivityEnvironment, in wire.FanOut) (wire.FanOutResult, error) {
	var res wire.FanOutResult
	v, err := env.ExecuteActivity(wire.SignalMembers, in)
	if err == nil {
		err = v.Get(&res)
	}
	return res, err
}

var fanOutIn = wire.FanOut{ID: "tr-1", Signal: "bundle_result", WorkflowIDPrefix: "project:", PageSize: 2,
	Bundle: &wire.BundleResultSignal{BundleID: "b1", TaskID: "bt1", Comment: "同意", Actor: domain.Actor{ID: "u-ndrc"}}}

// Issue 20 item 1: SignalMembers reads the bundle's members from the read model in pages of
// PageSize, signals each its outcome once, skips a member whose workflow is closed, and
// heartbeats after every page the last member signalled.
func TestSignalMembersPagesThroughTheBundle(t *testing.T) {
	f := newFanOut(t, 5, &signaller{want: "bundle_result", closed: map[string]bool{"project:p003": true}})
	res, err := f.run(fanOutIn)
	require.NoError(t, err)
	require.Equal(t, wire.FanOutResult{Signalled: 4, Missing: 1}, res)
	// The SDK throttles heartbeats: the first goes out at once, later ones at its interval.
	require.NotEmpty(t, f.beats)
	require.Equal(t, wire.FanOutProgress{After: "p001", Signalled: 2}, f.beats[0], "a heartbeat after the first page of 2")
	want := *fanOutIn.Bundle
	want.Approved = true
	excluded := *fanOutIn.Bundle
	excluded.Excluded = true
	require.Equal(t, map[string][]any{"project:p000": {want}, "project:p001": {excluded},
		"project:p002": {want}, "project:p004": {want}}, f.c.got)
}

// Issue 20 item 1, the fan-out's pace: a page is signalled only once the last member of the
// page two before it has no workflow task waiting in a queue (scheduled, not started), so the
// members' tasks never queue up longer than the worker's sticky queue keeps them. Pages of 2
// over p000 … p006 (p001 excluded): the third page waits for p001, the fourth for p003, and
// the fan-out ends once p005, of the page before the last, has taken its signal up.
func TestSignalMembersKeepsToThePaceOfItsMembers(t *testing.T) {
	waiting := &workflowpb.PendingWorkflowTaskInfo{State: enumspb.PENDING_WORKFLOW_TASK_STATE_SCHEDULED, Attempt: 1}
	started := &workflowpb.PendingWorkflowTaskInfo{State: enumspb.PENDING_WORKFLOW_TASK_STATE_STARTED, Attempt: 1}
	f := newFanOut(t, 7, &signaller{want: "bundle_result", pending: map[string][]*workflowpb.PendingWorkflowTaskInfo{
		"project:p001": {waiting, waiting, started}}})
	res, err := f.run(fanOutIn)
	require.NoError(t, err)
	require.Equal(t, wire.FanOutResult{Signalled: 7}, res)
	ev := f.c.events
	require.Len(t, ev, 7+3+1+1)
	require.ElementsMatch(t, []string{"signal project:p000", "signal project:p001", "signal project:p002", "signal project:p003"}, ev[:4],
		"two pages go out at once")
	require.Equal(t, []string{"describe project:p001", "describe project:p001", "describe project:p001"}, ev[4:7],
		"the third page waits until p001's workflow task has started")
	require.ElementsMatch(t, []string{"signal project:p004", "signal project:p005"}, ev[7:9])
	require.Equal(t, []string{"describe project:p003", "signal project:p006", "describe project:p005"}, ev[9:],
		"p003 has no task waiting: the last page goes at once; then the end waits for p005")
}

// The pace never holds a fan-out: the wait for a member ends after FanOutWait, and at once when
// its workflow task is failing (its retries say nothing of the queue ahead of it).
func TestSignalMembersPaceIsBounded(t *testing.T) {
	waiting := &workflowpb.PendingWorkflowTaskInfo{State: enumspb.PENDING_WORKFLOW_TASK_STATE_SCHEDULED, Attempt: 1}
	failing := &workflowpb.PendingWorkflowTaskInfo{State: enumspb.PENDING_WORKFLOW_TASK_STATE_SCHEDULED, Attempt: 3}
	f := newFanOut(t, 7, &signaller{want: "bundle_result", pending: map[string][]*workflowpb.PendingWorkflowTaskInfo{
		"project:p001": {waiting}, "project:p003": {failing}}})
	f.wait = 700 * time.Millisecond
	start := time.Now()
	res, err := f.run(fanOutIn)
	require.NoError(t, err)
	require.Equal(t, wire.FanOutResult{Signalled: 7}, res)
	require.GreaterOrEqual(t, time.Since(start), f.wait, "waited for p001 until FanOutWait")
	var p001, p003 int
	for _, e := range f.c.events {
		switch e {
		case "describe project:p001":
			p001++
		case "describe project:p003":
			p003++
		}
	}
	require.Positive(t, p001)
	require.Equal(t, 1, p003, "a failing workflow task is not waited for")
	require.Equal(t, "signal project:p006", f.c.events[len(f.c.events)-2])
}

// A retried SignalMembers resumes after its heartbeat's cursor: the pages signalled in full
// before the failure are not signalled again (the page it failed in is: members ignore a
// repeat, TestR6_RepeatedBundleResultAppliedOnce).
func TestSignalMembersResumesFromItsHeartbeat(t *testing.T) {
	f := newFanOut(t, 5, &signaller{want: "bundle_result", fail: 3})
	_, err := f.run(fanOutIn)
	require.ErrorContains(t, err, "unavailable")
	require.Equal(t, []wire.FanOutProgress{{After: "p001", Signalled: 2}}, f.beats, "the failed page is not counted")

	res, err := f.resume(fanOutIn)
	require.NoError(t, err)
	require.Equal(t, wire.FanOutResult{Signalled: 5}, res)
	for id, got := range f.c.got {
		if id == "project:p002" || id == "project:p003" { // the failed page: once or twice
			require.NotEmpty(t, got, id)
			require.LessOrEqual(t, len(got), 2, id)
			continue
		}
		require.Len(t, got, 1, id)
	}
	require.Len(t, f.c.got, 5)
	require.Equal(t, 6, f.c.calls, "p000 and p001 signalled once, before the failure; one of p002, p003 again")
}

// A member without an outcome (a bundle not decided) is never signalled as rejected: the
// activity refuses for good.
func TestSignalMembersRefusesAnUndecidedBundle(t *testing.T) {
	f := newFanOut(t, 2, &signaller{want: "bundle_result"}, `UPDATE bundle_projects SET outcome = NULL WHERE project_id = 'p001'`)
	_, err := f.run(fanOutIn)
	require.ErrorContains(t, err, "has no outcome")
	require.Empty(t, f.c.got)
}

// A convene's fan-out tells each project of the session (expert_session_projects) its
// effective panel: the experts of its own unit recused (R4).
func TestSignalMembersTellsTheSessionsProjectsTheirPanels(t *testing.T) {
	f := newFanOut(t, 3, &signaller{want: "panel"}, `UPDATE projects SET unit_id = 'unit-b' WHERE id = 'p001'`,
		`INSERT INTO expert_sessions (id, plan_year, expert_ids, created_by) VALUES ('s1', 2031, '{}', 'u-alice')`,
		`INSERT INTO expert_session_projects (session_id, project_id) VALUES ('s1', 'p000'), ('s1', 'p001')`)
	experts := []wire.ExpertRef{{ID: "e1", OrgID: "univ-1"}, {ID: "eA", OrgID: "unit-a"}, {ID: "eB", OrgID: "unit-b"}}
	_, err := f.run(wire.FanOut{ID: "tr-2", Signal: "panel", WorkflowIDPrefix: "project:",
		Session: &wire.PanelSignal{SessionID: "s1", Experts: experts}})
	require.NoError(t, err)
	require.Equal(t, map[string][]any{
		"project:p000": {wire.PanelSignal{SessionID: "s1", Experts: []wire.ExpertRef{experts[0], experts[2]}}},
		"project:p001": {wire.PanelSignal{SessionID: "s1", Experts: []wire.ExpertRef{experts[0], experts[1]}}},
	}, f.c.got)
}

// A convene's fan-out marks stale the panel of a project whose version moved since the
// session convened it (panel-stale-dropped: a prelim approval withdrawn and given again): not
// one convened at its version now, nor one of a session that recorded no version.
func TestSignalMembersMarksAPanelStaleWhenTheProjectMovedSinceTheConvene(t *testing.T) {
	f := newFanOut(t, 3, &signaller{want: "panel"},
		`INSERT INTO expert_sessions (id, plan_year, expert_ids, created_by) VALUES ('s1', 2031, '{}', 'u-alice')`,
		`INSERT INTO expert_session_projects (session_id, project_id, project_version)
		SELECT 's1', id, CASE id WHEN 'p000' THEN version WHEN 'p001' THEN version - 2 END FROM projects WHERE id IN ('p000', 'p001', 'p002')`)
	experts := []wire.ExpertRef{{ID: "e1", OrgID: "univ-1"}}
	_, err := f.run(wire.FanOut{ID: "tr-2", Signal: "panel", WorkflowIDPrefix: "project:",
		Session: &wire.PanelSignal{SessionID: "s1", Experts: experts}})
	require.NoError(t, err)
	require.Equal(t, map[string][]any{
		"project:p000": {wire.PanelSignal{SessionID: "s1", Experts: experts}},
		"project:p001": {wire.PanelSignal{SessionID: "s1", Experts: experts, Stale: true}},
		"project:p002": {wire.PanelSignal{SessionID: "s1", Experts: experts}},
	}, f.c.got)
}

// A compile's fan-out tells each project it decided its plan item (plan_items), in pages over
// the projects named; a project without an item is refused for good, never told it is out.
func TestSignalMembersTellsTheCompiledProjectsTheirItems(t *testing.T) {
	f := newFanOut(t, 3, &signaller{want: "plan_result"},
		`INSERT INTO plan_items (plan_year, project_id, included, approved_amount_fen, reason, decided_by)
		VALUES (2031, 'p000', true, 400000000, '', 'u-drb1'), (2031, 'p001', false, NULL, '重复建设', 'u-drb1'),
		(2031, 'p002', true, 500000000, '', 'u-drb1')`)
	drb := domain.Actor{ID: "u-drb1"}
	in := wire.FanOut{ID: "tr-3", Signal: "plan_result", WorkflowIDPrefix: "project:", PageSize: 2,
		Plan: &wire.PlanFanOut{ProjectIDs: []string{"p002", "p000", "p001"}, Actor: drb}}
	res, err := f.run(in)
	require.NoError(t, err)
	require.Equal(t, wire.FanOutResult{Signalled: 3}, res)
	require.Equal(t, wire.FanOutProgress{After: "p001", Signalled: 2}, f.beats[0], "pages in project id order")
	require.Equal(t, map[string][]any{
		"project:p000": {wire.PlanResultSignal{Included: true, ApprovedAmountFen: 400000000, Actor: drb}},
		"project:p001": {wire.PlanResultSignal{Reason: "重复建设", Actor: drb}},
		"project:p002": {wire.PlanResultSignal{Included: true, ApprovedAmountFen: 500000000, Actor: drb}},
	}, f.c.got)

	f.c = &signaller{want: "plan_result", got: map[string][]any{}}
	in.Plan.ProjectIDs = []string{"p000", "p009"}
	_, err = f.run(in)
	require.ErrorContains(t, err, "1 of 2 compiled projects have no plan item")
	require.Empty(t, f.c.got)
}

// closeOf puts a fan-out's 9 projects of 2031, p000 … p008, in every stage around the plan:
// p000 prelim review, p001 revision, p002 expert review, p003 awaiting the plan but compiled (a
// plan item), p004 and p005 awaiting the plan, p006 awaiting approval, p007 a draft, p008 expert
// review; and writes q000, of 2032, awaiting the plan.
var closeOf = []string{`UPDATE projects SET stage = CASE id WHEN 'p000' THEN 'prelim_review' WHEN 'p001' THEN 'revision'
		WHEN 'p002' THEN 'expert_review' WHEN 'p003' THEN 'awaiting_plan' WHEN 'p004' THEN 'awaiting_plan'
		WHEN 'p005' THEN 'awaiting_plan' WHEN 'p006' THEN 'awaiting_approval' WHEN 'p007' THEN 'draft'
		ELSE 'expert_review' END`,
	`INSERT INTO plan_items (plan_year, project_id, included, approved_amount_fen, reason, decided_by)
		VALUES (2031, 'p003', true, 400000000, '', 'u-drb1')`,
	`INSERT INTO projects (id, unit_id, name, type, plan_year, estimated_investment_fen, mlps_level, stage, created_by)
		VALUES ('q000', 'unit-a', '下一年度项目', 'new', 2032, 500000000, 2, 'awaiting_plan', 'u-alice')`}

var closeIn = wire.FanOut{ID: "plan:2031/u/year-end-close/1", Signal: "year_end_close", WorkflowIDPrefix: "project:", PageSize: 2,
	Close: &wire.YearEndCloseSignal{PlanYear: 2031, ClosedAt: time.Date(2031, 12, 31, 15, 59, 59, 0, time.UTC), Reason: "2031 年度计划已截止"}}

// The year-end close's fan-out (plan-close-fanout, R5) tells the projects of its year still
// before the plan's decision (a pre-plan stage, no plan item) in pages of PageSize, in id
// order; a compiled project, one past or before the plan, and another year's are left alone;
// a closed workflow is skipped.
func TestSignalMembersTellsTheYearsPrePlanProjectsOfTheClose(t *testing.T) {
	f := newFanOut(t, 9, &signaller{want: "year_end_close", closed: map[string]bool{"project:p008": true}}, closeOf...)
	res, err := f.run(closeIn)
	require.NoError(t, err)
	require.Equal(t, wire.FanOutResult{Signalled: 5, Missing: 1}, res)
	require.Equal(t, wire.FanOutProgress{After: "p001", Signalled: 2}, f.beats[0], "pages of 2 in project id order")
	sig := []any{*closeIn.Close}
	require.Equal(t, map[string][]any{"project:p000": sig, "project:p001": sig, "project:p002": sig,
		"project:p004": sig, "project:p005": sig}, f.c.got)
}

// A retried close fan-out resumes after its heartbeat's cursor; a project whose lifecycle
// applied the close (not_included) is no longer listed, and those of the pages signalled in
// full are not signalled again.
func TestSignalMembersResumesTheCloseFromItsHeartbeat(t *testing.T) {
	f := newFanOut(t, 9, &signaller{want: "year_end_close", fail: 3}, closeOf...)
	_, err := f.run(closeIn)
	require.ErrorContains(t, err, "unavailable")
	require.Equal(t, []wire.FanOutProgress{{After: "p001", Signalled: 2}}, f.beats, "the failed page is not counted")
	// p000's lifecycle has applied the close meanwhile.
	_, err = f.st.DB().Exec(`UPDATE projects SET stage = 'not_included' WHERE id = 'p000'`)
	require.NoError(t, err)

	res, err := f.resume(closeIn)
	require.NoError(t, err)
	require.Equal(t, wire.FanOutResult{Signalled: 6}, res)
	require.Len(t, f.c.got, 6)
	for id, got := range f.c.got {
		if id == "project:p002" || id == "project:p004" { // the failed page: once or twice
			require.LessOrEqual(t, len(got), 2, id)
			continue
		}
		require.Len(t, got, 1, id)
	}
	require.Equal(t, 7, f.c.calls, "p000 and p001 once, before the failure; one of p002, p004 again; p005, p008 after")
}

// An approved adjustment's fan-out (plan-adjust-fanout) tells each project it changes, in
// pages over the changes in project id order: an added project its plan result (on the plan
// result's signal), a changed or removed one plan_adjusted; a retry resumes after the
// heartbeat's cursor.
func TestSignalMembersTellsTheAdjustedProjectsTheirChanges(t *testing.T) {
	f := newFanOut(t, 1, &signaller{names: map[string][]string{}, fail: 3})
	ndrc := domain.Actor{ID: "u-ndrc"}
	in := wire.FanOut{ID: "tr-4", Signal: "plan_adjusted", WorkflowIDPrefix: "project:", PageSize: 2,
		Adjust: &wire.AdjustFanOut{AdjustmentID: "adj1", Reason: "年中调整", Actor: ndrc, AddSignal: "plan_result",
			Changes: []wire.AdjustChange{{ProjectID: "p3", Action: "remove"}, {ProjectID: "p1", Action: "add", AmountFen: 300},
				{ProjectID: "p2", Action: "amount", AmountFen: 200}, {ProjectID: "p4", Action: "amount", AmountFen: 400}}}}
	_, err := f.run(in)
	require.ErrorContains(t, err, "unavailable")
	require.Equal(t, []wire.FanOutProgress{{After: "p2", Signalled: 2}}, f.beats, "pages of 2 in project id order")

	res, err := f.resume(in)
	require.NoError(t, err)
	require.Equal(t, wire.FanOutResult{Signalled: 4}, res)
	c := f.c
	require.Equal(t, []string{"plan_result"}, c.names["project:p1"])
	require.Equal(t, []any{wire.PlanResultSignal{Included: true, ApprovedAmountFen: 300, Actor: ndrc}}, c.got["project:p1"])
	require.Equal(t, []any{wire.PlanAdjustedSignal{AdjustmentID: "adj1", Action: "amount", AmountFen: 200, Reason: "年中调整", Actor: ndrc}},
		c.got["project:p2"])
	require.Equal(t, "plan_adjusted", c.names["project:p3"][0])
	require.Equal(t, wire.PlanAdjustedSignal{AdjustmentID: "adj1", Action: "remove", Reason: "年中调整", Actor: ndrc}, c.got["project:p3"][0])
	require.Equal(t, "plan_adjusted", c.names["project:p4"][0])
	require.Equal(t, 5, c.calls, "p1 and p2 once; one of p3, p4 again")
}
