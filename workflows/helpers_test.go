package workflows_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"egovpm/activities"
	"egovpm/activities/wire"
	"egovpm/internal/domain"
	"egovpm/workflows"
)

// a is the nil receiver through which the tests name the mocked activities.
var a *activities.Activities

const (
	planYear = 2026
	unitA    = "unit-a"
	// small and large are estimated totals either side of the 2021 threshold (R6): 10,000,000 CNY.
	smallFen = 500_000_000
	largeFen = 1_500_000_000
)

// policy2021 is the seed's policy (schema/0002_lifecycle.sql, version "2021"): NDRC approves.
func policy2021() domain.Policy {
	return domain.Policy{
		Version:                "2021",
		SmallThresholdFen:      1_000_000_000,
		BundleApproverRole:     domain.RoleNDRCApprover,
		BundleApproverOrg:      "ndrc",
		ProjectApproverRole:    domain.RoleNDRCApprover,
		ProjectApproverOrg:     "ndrc",
		DeadlineMonth:          6,
		DeadlineDay:            30,
		PanelMin:               3,
		ReviewDueWorkdays:      5,
		TrialRunMonths:         1,
		AcceptanceFollowUpDays: 30,
		OMFilingMonth:          1,
		OMFilingDay:            31,
		Reminders:              []domain.MonthDay{{Month: 6, Day: 1}, {Month: 6, Day: 20}, {Month: 6, Day: 27}, {Month: 7, Day: 1}},
		MLPSFilingFromLevel:    2,
		CryptoPlanAtApproval:   true,
		CryptoAssessmentGate:   true,
	}
}

// policy2023 is the 2023 revision (六政办〔2023〕24号): DRB approves (R19).
func policy2023() domain.Policy {
	p := policy2021()
	p.Version = "2023"
	p.BundleApproverRole, p.BundleApproverOrg = domain.RoleDRBSupervisor, "drb"
	p.ProjectApproverRole, p.ProjectApproverOrg = domain.RoleDRBSupervisor, "drb"
	return p
}

// The people of the tests.
var (
	submitter   = domain.Actor{ID: "u-sub1", OrgID: unitA, Roles: []string{domain.RoleSubmitter}}
	otherSubmit = domain.Actor{ID: "u-sub2", OrgID: "unit-b", Roles: []string{domain.RoleSubmitter}}
	drbReviewer = domain.Actor{ID: "u-drb1", OrgID: "drb", Roles: []string{domain.RoleDRBReviewer}}
	drbSuper    = domain.Actor{ID: "u-drbs1", OrgID: "drb", Roles: []string{domain.RoleDRBSupervisor}}
	ndrcAppr    = domain.Actor{ID: "u-ndrc1", OrgID: "ndrc", Roles: []string{domain.RoleNDRCApprover}}
	cityGovAppr = domain.Actor{ID: "u-gov1", OrgID: "citygov", Roles: []string{domain.RoleCityGovApprover}}
)

// expert is the actor of an expert of org.
func expert(id, org string) domain.Actor {
	return domain.Actor{ID: id, OrgID: org, Roles: []string{domain.RoleExpert}}
}

func score(n int) *int { return &n }

// lifecycleInput is a regular (not special) project p1 of unitA.
func lifecycleInput(estimatedFen int64, pol domain.Policy) workflows.ProjectLifecycleInput {
	return workflows.ProjectLifecycleInput{
		ProjectID: "p1", UnitID: unitA, Name: "六安市政务数据共享平台", PlanYear: planYear,
		EstimatedFen: estimatedFen, MLPSLevel: 2, Policy: pol, SubmittedBy: submitter,
	}
}

// Task ids of project p1 (lifecycle_decide.go taskID: "<workflow id>:<kind>:<round>[:<suffix>]").
const (
	p1WorkflowID = "project:p1"
	prelim1      = "project:p1:prelim_review:1"
	prelim2      = "project:p1:prelim_review:2"
	approval1    = "project:p1:project_approval:1"
	special1     = "project:p1:special_request_approval:1"
)

func expertTask(expertID string) string { return "project:p1:expert_review:1:" + expertID }

// sentSignal is a signal a workflow sent to another workflow.
type sentSignal struct {
	WorkflowID string
	Name       string
	Arg        any
	// ByActivity: sent by the TellPlan local activity (one marker event in the sender's
	// history), not by a SignalExternalWorkflow command.
	ByActivity bool
}

// outcome is what the test environment reported for one Update.
type outcome struct {
	name      string
	accepted  bool
	rejected  bool
	completed bool
	result    any
	err       error
}

// harness is a test workflow environment with the activities and the signals to other
// workflows mocked and recorded. Its steps run one second of workflow time apart, in the order
// they are added, so a test reads as the sequence of events it plays.
type harness struct {
	t   *testing.T
	env *testsuite.TestWorkflowEnvironment

	mu          sync.Mutex
	transitions []domain.Transition
	signals     []sentSignal
	// order lists "report <stage>" (TellPlan) and "apply <stage>" (Apply) as they ran.
	order     []string
	docsCalls []activities.DocsInput
	missing   []string
	similar   []string

	at      time.Duration
	updates int

	// rows is the read model a plan reads stages from (LoadPlanProjects), in the order the
	// projects arrived; nil for a lifecycle. Apply writes plan items and bundles into it as
	// the real store does.
	rows     map[string]*domain.PlanProject
	rowOrder []string
	// readSizes are the encoded sizes of the answers of the plan's reads of named projects
	// (LoadPlanProjects, LoadPlanStages), in order: what each read's marker holds.
	readSizes []int
	// marked lists the years MarkPlanReadsStages recorded.
	marked []int
	// outcomes, sessions and items are the bundles' member outcomes, the sessions' projects
	// and the plan items Apply wrote (bundle_projects, expert_session_projects, plan_items);
	// fanOuts the SignalMembers activities the plan scheduled, each recorded when it runs.
	outcomes map[string]map[string]string
	sessions map[string][]string
	items    map[string]domain.PlanItem
	fanOuts  []wire.FanOut
	// fanOutAt is the workflow time each SignalMembers of fanOuts ran at.
	fanOutAt []time.Time
	// fanOutTakes is how long (workflow time) each SignalMembers runs before it answers;
	// fanOutErr, when set, is its answer: to every fan-out, or only to those of the signal
	// fanOutErrOn names.
	fanOutTakes time.Duration
	fanOutErr   error
	fanOutErrOn string
	// planReadsStages is TellPlan's answer (the plan year reads stages from the read model).
	planReadsStages bool
	// taskDue and taskRemind, when set, are how long after it opens each task Apply opens is due
	// and reminded (as the calendar activity answers); zero: Apply answers no instants.
	taskDue, taskRemind time.Duration
}

func newHarness(t *testing.T, workflowID string) *harness {
	t.Helper()
	var suite testsuite.WorkflowTestSuite
	// Errors only: the environment's debug lines would bury a failure's message.
	suite.SetLogger(log.NewStructuredLogger(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))))
	env := suite.NewTestWorkflowEnvironment()
	env.SetStartWorkflowOptions(client.StartWorkflowOptions{ID: workflowID, TaskQueue: workflows.TaskQueue})
	h := &harness{t: t, env: env}
	env.OnActivity(a.Apply, mock.Anything, mock.Anything).Return(
		func(_ context.Context, tr domain.Transition) (domain.TransitionResult, error) {
			h.mu.Lock()
			defer h.mu.Unlock()
			h.transitions = append(h.transitions, tr)
			members := h.applyToRows(tr)
			if tr.Stage != "" {
				h.order = append(h.order, "apply "+string(tr.Stage))
			}
			var res domain.TransitionResult
			if members != nil {
				res.Bundled, res.BundleDigest = len(members), domain.BundleDigest(members)
			}
			if h.taskDue > 0 && len(tr.Open) > 0 {
				res.Due, res.Remind = map[string]time.Time{}, map[string]time.Time{}
				for _, n := range tr.Open {
					res.Due[n.ID], res.Remind[n.ID] = h.env.Now().Add(h.taskDue), h.env.Now().Add(h.taskRemind)
				}
			}
			return res, nil
		}).Maybe()
	env.OnSignalExternalWorkflow(mock.Anything, mock.Anything, mock.Anything, mock.Anything, mock.Anything).Return(
		func(_, workflowID, _, name string, arg any) error {
			h.mu.Lock()
			defer h.mu.Unlock()
			h.signals = append(h.signals, sentSignal{WorkflowID: workflowID, Name: name, Arg: arg})
			return nil
		}).Maybe()
	// Stage reports to the plan go through the TellPlan local activity (plan-report-local):
	// recorded as the signal it sends.
	env.OnActivity(a.TellPlan, mock.Anything, mock.Anything).Return(
		func(_ context.Context, r activities.PlanReport) (activities.PlanReportResult, error) {
			h.mu.Lock()
			defer h.mu.Unlock()
			h.signals = append(h.signals, sentSignal{WorkflowID: r.WorkflowID, Name: r.Signal, Arg: r.Status, ByActivity: true})
			h.order = append(h.order, "report "+string(r.Status.Stage))
			return activities.PlanReportResult{PlanReadsStages: h.planReadsStages}, nil
		}).Maybe()
	return h
}

// newLifecycle is a harness for project p1's lifecycle. MissingDocuments answers with the
// harness's missing list (setMissing changes it); ComputeSimilar finds nothing.
func newLifecycle(t *testing.T) *harness {
	t.Helper()
	h := newHarness(t, p1WorkflowID)
	h.env.OnActivity(a.MissingDocuments, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.DocsInput) (activities.DocsResult, error) {
			h.mu.Lock()
			defer h.mu.Unlock()
			h.docsCalls = append(h.docsCalls, in)
			var res activities.DocsResult
			for _, k := range in.Kinds {
				if domain.Contains(h.missing, k) {
					res.Missing = append(res.Missing, k)
				}
			}
			return res, nil
		}).Maybe()
	h.env.OnActivity(a.ComputeSimilar, mock.Anything, mock.Anything).Return(
		func(_ context.Context, projectID string) (int, error) {
			h.mu.Lock()
			defer h.mu.Unlock()
			h.similar = append(h.similar, projectID)
			return 0, nil
		}).Maybe()
	return h
}

// next is the workflow time of the next step.
func (h *harness) next() time.Duration {
	h.at += time.Second
	return h.at
}

// step runs fn at the next step.
func (h *harness) step(fn func()) { h.env.RegisterDelayedCallback(fn, h.next()) }

// signal sends a signal to the workflow under test at the next step.
func (h *harness) signal(name string, arg any) {
	h.step(func() { h.env.SignalWorkflow(name, arg) })
}

// update sends an Update at the next step; the outcome is filled in as the environment reports.
func (h *harness) update(name string, arg any) *outcome {
	o := &outcome{name: name}
	h.updates++
	id := fmt.Sprintf("upd-%d", h.updates)
	h.step(func() { h.send(o, id, arg) })
	return o
}

// updatesTogether sends several Updates in the same step (the same workflow task).
func (h *harness) updatesTogether(name string, args ...any) []*outcome {
	var outs []*outcome
	var ids []string
	for range args {
		outs = append(outs, &outcome{name: name})
		h.updates++
		ids = append(ids, fmt.Sprintf("upd-%d", h.updates))
	}
	h.step(func() {
		for i, arg := range args {
			h.send(outs[i], ids[i], arg)
		}
	})
	return outs
}

func (h *harness) send(o *outcome, id string, arg any) {
	h.env.UpdateWorkflow(o.name, id, &testsuite.TestUpdateCallback{
		OnAccept:   func() { o.accepted = true },
		OnReject:   func(err error) { o.rejected, o.err = true, err },
		OnComplete: func(r any, err error) { o.completed, o.result, o.err = true, r, err },
	}, arg)
}

func (h *harness) decide(u workflows.DecideUpdate) *outcome {
	return h.update(workflows.UpdateDecide, u)
}

// setMissing changes what MissingDocuments answers from the next step on.
func (h *harness) setMissing(kinds ...string) {
	h.step(func() {
		h.mu.Lock()
		defer h.mu.Unlock()
		h.missing = kinds
	})
}

// projectState queries the lifecycle's state at the next step and hands it to check.
func (h *harness) projectState(check func(st workflows.ProjectState)) {
	h.step(func() {
		v, err := h.env.QueryWorkflow(workflows.QueryState)
		require.NoError(h.t, err)
		var st workflows.ProjectState
		require.NoError(h.t, v.Get(&st))
		check(st)
	})
}

// planState queries the plan's state at the next step and hands it to check.
func (h *harness) planState(check func(st workflows.PlanState)) {
	h.step(func() {
		v, err := h.env.QueryWorkflow(workflows.QueryState)
		require.NoError(h.t, err)
		var st workflows.PlanState
		require.NoError(h.t, v.Get(&st))
		check(st)
	})
}

// cancel ends a workflow that never completes on its own (a lifecycle past approval, a plan)
// at the next step.
func (h *harness) cancel() { h.step(func() { h.env.CancelWorkflow() }) }

// startedBefore makes env play a ProjectLifecycle or AnnualPlan run started before baseline: that baseline
// and every newer one read as not recorded, so the run falls to the older baselines (or the
// per-change markers the test mocks itself).
func startedBefore(t *testing.T, env *testsuite.TestWorkflowEnvironment, baseline string) {
	t.Helper()
	ids := workflows.BaselinesThrough(baseline)
	require.NotEmpty(t, ids, "unknown baseline %s", baseline)
	for _, id := range ids {
		env.OnGetVersion(id, workflow.DefaultVersion, 1).Return(workflow.DefaultVersion)
	}
}

// beforeNotifyInApply plays a run started before lifecycle-baseline-notify-in-apply (on
// lifecycle-baseline-bundle-once): its transitions' notifications go through the
// SendNotifications activity.
func beforeNotifyInApply(t *testing.T, env *testsuite.TestWorkflowEnvironment) {
	t.Helper()
	startedBefore(t, env, "lifecycle-baseline-notify-in-apply")
	env.OnGetVersion("lifecycle-baseline-bundle-once", workflow.DefaultVersion, 1).Return(workflow.Version(1))
	env.OnGetVersion("notify-in-apply", workflow.DefaultVersion, 1).Return(workflow.DefaultVersion)
}
