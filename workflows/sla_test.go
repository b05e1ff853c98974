package workflows_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"egovpm/activities"
	"egovpm/internal/calendar"
	"egovpm/internal/domain"
	"egovpm/workflows"
)

// slaEnv runs p1's lifecycle with Apply answering due and remind instants for every task it
// opens (as the calendar activity does), and records the notices written and when.
type slaEnv struct {
	env     *testsuite.TestWorkflowEnvironment
	notices []domain.Notice
	at      []time.Time
	sends   int
	mailed  int // transitions whose notifications Apply mails (notify-in-apply)
}

const (
	slaDue    = 5 * 24 * time.Hour // due five days after it opens
	slaRemind = 4 * 24 * time.Hour // reminded the day before
)

func newSLA(t *testing.T, start time.Time) *slaEnv {
	t.Helper()
	var ts testsuite.WorkflowTestSuite
	s := &slaEnv{env: ts.NewTestWorkflowEnvironment()}
	s.env.SetStartTime(start)
	s.env.SetStartWorkflowOptions(client.StartWorkflowOptions{ID: p1WorkflowID, TaskQueue: workflows.TaskQueue})
	s.env.OnActivity(a.Apply, mock.Anything, mock.Anything).Return(
		func(_ context.Context, tr domain.Transition) (domain.TransitionResult, error) {
			res := domain.TransitionResult{Due: map[string]time.Time{}, Remind: map[string]time.Time{}}
			for _, n := range tr.Open {
				res.Due[n.ID] = s.env.Now().Add(slaDue)
				res.Remind[n.ID] = s.env.Now().Add(slaRemind)
			}
			if tr.MailNotify {
				s.mailed++
			}
			for _, n := range tr.Notify {
				s.notices = append(s.notices, n)
				s.at = append(s.at, s.env.Now())
			}
			return res, nil
		})
	s.env.OnActivity(a.ComputeSimilar, mock.Anything, mock.Anything).Return(0, nil).Maybe()
	s.env.OnActivity(a.SendNotifications, mock.Anything, mock.Anything).Return(
		func(context.Context, string) (int, error) { s.sends++; return 1, nil }).Maybe()
	s.env.OnSignalExternalWorkflow(mock.Anything, mock.Anything, mock.Anything, mock.Anything, mock.Anything).Return(nil).Maybe()
	s.env.OnActivity(a.TellPlan, mock.Anything, mock.Anything).Return(activities.PlanReportResult{}, nil).Maybe()
	return s
}

func (s *slaEnv) kinds() []string {
	var out []string
	for _, n := range s.notices {
		out = append(out, n.Kind)
	}
	return out
}

// TestT2_ReminderThenEscalationOnce: an undecided prelim task is reminded once at its remind
// instant (to its candidates) and escalated once to the DRB supervisor at its due instant; each
// notice is mailed by Apply (notify-in-apply), no send activity.
func TestT2_ReminderThenEscalationOnce(t *testing.T) {
	start := time.Date(2026, 9, 1, 10, 0, 0, 0, calendar.Shanghai)
	s := newSLA(t, start)
	s.env.RegisterDelayedCallback(func() { s.env.CancelWorkflow() }, 10*24*time.Hour)
	s.env.ExecuteWorkflow(workflows.ProjectLifecycle, lifecycleInput(smallFen, policy2021()))
	require.Equal(t, []string{"task_reminder", "task_escalation"}, s.kinds())
	require.True(t, start.Add(slaRemind).Equal(s.at[0]), "reminded at %s", s.at[0])
	require.True(t, start.Add(slaDue).Equal(s.at[1]), "escalated at %s", s.at[1])
	require.Equal(t, domain.RoleDRBReviewer, s.notices[0].Role)
	require.Equal(t, "drb", s.notices[0].OrgID)
	require.Equal(t, prelim1, s.notices[0].TaskID)
	require.Equal(t, domain.RoleDRBSupervisor, s.notices[1].Role)
	require.Equal(t, 2, s.mailed)
	require.Zero(t, s.sends)
}

// TestT2_DecidedTaskIsNeitherRemindedNorEscalated: a decision before the reminder cancels both.
func TestT2_DecidedTaskIsNeitherRemindedNorEscalated(t *testing.T) {
	s := newSLA(t, time.Date(2026, 9, 1, 10, 0, 0, 0, calendar.Shanghai))
	s.env.RegisterDelayedCallback(func() {
		s.env.UpdateWorkflow(workflows.UpdateDecide, "u1", &testsuite.TestUpdateCallback{
			OnAccept: func() {}, OnReject: func(err error) { t.Errorf("rejected: %v", err) }, OnComplete: func(any, error) {}},
			workflows.DecideUpdate{TaskID: prelim1, Actor: drbReviewer, Decision: domain.DecisionReject, Comment: "不符合条件"})
	}, time.Hour)
	s.env.ExecuteWorkflow(workflows.ProjectLifecycle, lifecycleInput(smallFen, policy2021()))
	require.True(t, s.env.IsWorkflowCompleted())
	require.NotContains(t, s.kinds(), "task_reminder")
	require.NotContains(t, s.kinds(), "task_escalation")
}

// TestT2_ResumedRunDoesNotRemindTwice: a run resumed (continue-as-new, or a restarted worker
// replaying) with the reminder recorded as sent only escalates.
func TestT2_ResumedRunDoesNotRemindTwice(t *testing.T) {
	start := time.Date(2026, 9, 1, 10, 0, 0, 0, calendar.Shanghai)
	s := newSLA(t, start)
	in := lifecycleInput(smallFen, policy2021())
	in.Resume = &workflows.ProjectState{Stage: domain.StagePrelimReview, Round: 1, Seq: 3, OpenTasks: []workflows.OpenTask{{
		ID: prelim1, Kind: domain.TaskPrelimReview, CandidateRole: domain.RoleDRBReviewer, CandidateOrgID: "drb",
		DueAt: start.Add(time.Hour), RemindAt: start.Add(-time.Hour), Reminded: true}}}
	s.env.RegisterDelayedCallback(func() { s.env.CancelWorkflow() }, 2*time.Hour)
	s.env.ExecuteWorkflow(workflows.ProjectLifecycle, in)
	require.Equal(t, []string{"task_escalation"}, s.kinds())
	require.True(t, start.Add(time.Hour).Equal(s.at[0]))
}

// TestT2_DecisionCancelsItsTimers (cancel-task-timers): deciding a task cancels its reminder
// and escalation timers, so neither wakes the lifecycle later (each woke it for a workflow
// task that found the task gone).
func TestT2_DecisionCancelsItsTimers(t *testing.T) {
	s := newSLA(t, time.Date(2026, 9, 1, 10, 0, 0, 0, calendar.Shanghai))
	fired, cancelled, cancelledBeforeEnd := 0, 0, -1
	s.env.SetOnTimerFiredListener(func(string) { fired++ })
	s.env.SetOnTimerCanceledListener(func(string) { cancelled++ })
	s.env.RegisterDelayedCallback(func() {
		s.env.UpdateWorkflow(workflows.UpdateDecide, "u1", &testsuite.TestUpdateCallback{
			OnAccept: func() {}, OnReject: func(err error) { t.Errorf("rejected: %v", err) }, OnComplete: func(any, error) {}},
			workflows.DecideUpdate{TaskID: prelim1, Actor: drbReviewer, Decision: domain.DecisionApprove, Comment: "符合条件"})
	}, time.Hour)
	s.env.RegisterDelayedCallback(func() {
		cancelledBeforeEnd = cancelled
		s.env.CancelWorkflow()
	}, 10*24*time.Hour)
	s.env.ExecuteWorkflow(workflows.ProjectLifecycle, lifecycleInput(smallFen, policy2021()))
	require.Equal(t, 1, cancelledBeforeEnd, "the decision cancels the task's one timer (the reminder; chained-task-timers)")
	require.Zero(t, fired, "no T2 timer fires after the decision")
	require.Empty(t, s.kinds())
}

// beforeLean makes env run a lifecycle as code before lean-coroutines did (a run that recorded
// lifecycle-baseline-1): a coroutine per signal channel and per timer, both T2 timers of a task
// set when it opens.
func beforeLean(t *testing.T, env *testsuite.TestWorkflowEnvironment) {
	startedBefore(t, env, "lifecycle-baseline-2")
	env.OnGetVersion("lean-coroutines", workflow.DefaultVersion, 1).Return(workflow.DefaultVersion)
	env.OnGetVersion("chained-task-timers", workflow.DefaultVersion, 1).Return(workflow.DefaultVersion)
}

// TestT2_TimersAndSignalsInBothLoops: the T2 timers fire, a decision cancels them, and plan
// signals arrive the same way whether the main loop collects them itself (lean-coroutines) or
// coroutines of their own hand them over (runs started before it).
func TestT2_TimersAndSignalsInBothLoops(t *testing.T) {
	start := time.Date(2026, 9, 1, 10, 0, 0, 0, calendar.Shanghai)
	for _, lean := range []bool{true, false} {
		t.Run(fmt.Sprintf("lean=%v", lean), func(t *testing.T) {
			s := newSLA(t, start)
			if !lean {
				beforeLean(t, s.env)
			}
			s.env.RegisterDelayedCallback(func() { s.env.CancelWorkflow() }, 10*24*time.Hour)
			s.env.ExecuteWorkflow(workflows.ProjectLifecycle, lifecycleInput(smallFen, policy2021()))
			require.Equal(t, []string{"task_reminder", "task_escalation"}, s.kinds())
			require.True(t, start.Add(slaRemind).Equal(s.at[0]), "reminded at %s", s.at[0])
			require.True(t, start.Add(slaDue).Equal(s.at[1]), "escalated at %s", s.at[1])
			s.env.AssertExpectations(t) // beforeLean's versions were asked for
		})
		t.Run(fmt.Sprintf("lean=%v/decided", lean), func(t *testing.T) {
			s := newSLA(t, start)
			if !lean {
				beforeLean(t, s.env)
			}
			timers, cancelled := 0, 0
			s.env.SetOnTimerScheduledListener(func(string, time.Duration) { timers++ })
			s.env.SetOnTimerCanceledListener(func(string) { cancelled++ })
			decide := func(id string, u workflows.DecideUpdate) {
				s.env.UpdateWorkflow(workflows.UpdateDecide, id, &testsuite.TestUpdateCallback{
					OnAccept: func() {}, OnReject: func(err error) { t.Errorf("rejected: %v", err) }, OnComplete: func(any, error) {}}, u)
			}
			s.env.RegisterDelayedCallback(func() {
				decide("u1", workflows.DecideUpdate{TaskID: prelim1, Actor: drbReviewer, Decision: domain.DecisionApprove, Comment: "材料齐全"})
			}, time.Hour)
			s.env.RegisterDelayedCallback(func() {
				s.env.SignalWorkflow(workflows.SignalPanel, workflows.PanelSignal{SessionID: "s1", Experts: panel3})
			}, 2*time.Hour)
			for i, e := range panel3 {
				s.env.RegisterDelayedCallback(func() {
					decide(fmt.Sprintf("u%d", i+2), workflows.DecideUpdate{TaskID: expertTask(e.ID), Actor: expert(e.ID, e.OrgID),
						Decision: domain.DecisionPass, Score: score(80), Comment: "可行"})
				}, time.Duration(3+i)*time.Hour)
			}
			s.env.RegisterDelayedCallback(func() {
				s.env.SignalWorkflow(workflows.SignalPlanResult, workflows.PlanResultSignal{Included: false, Reason: "资金不足", Actor: drbReviewer})
			}, 7*time.Hour)
			s.env.ExecuteWorkflow(workflows.ProjectLifecycle, lifecycleInput(smallFen, policy2021()))
			require.True(t, s.env.IsWorkflowCompleted())
			require.NoError(t, s.env.GetWorkflowError())
			var res workflows.ProjectLifecycleResult
			require.NoError(t, s.env.GetWorkflowResult(&res))
			require.Equal(t, domain.StageNotIncluded, res.Stage)
			require.Empty(t, s.kinds(), "every task decided before its reminder")
			// Four tasks (the prelim review, three expert reviews), each decided before its
			// reminder: one timer each, chained (chained-task-timers), two each before.
			want := map[bool]int{true: 4, false: 8}[lean]
			require.Equal(t, want, timers)
			require.Equal(t, want, cancelled)
			s.env.AssertExpectations(t)
		})
	}
}

// bundleSLA is a 2026 plan whose bundle b1 (p1, p2) opens its NDRC approval task at once:
// due slaDue later, reminded at slaRemind (bundle-task-timers).
// The returned times are when each send of notifications ran (right after its transition).
func bundleSLA(t *testing.T) (*harness, time.Time, *[]time.Time) {
	h := newPlan(t)
	h.taskDue, h.taskRemind = slaDue, slaRemind
	start := time.Date(2026, 9, 1, 10, 0, 0, 0, calendar.Shanghai)
	h.env.SetStartTime(start)
	var sends []time.Time
	h.env.OnActivity(a.SendNotifications, mock.Anything, mock.Anything).Return(
		func(context.Context, string) (int, error) { sends = append(sends, h.env.Now()); return 1, nil }).Maybe()
	bundleOf2(h)
	return h, start, &sends
}

// noticesOf lists the notices of the transitions applied, with the workflow time of each.
func (h *harness) noticesOf() []domain.Notice {
	var out []domain.Notice
	for _, tr := range h.transitions {
		out = append(out, tr.Notify...)
	}
	return out
}

// T2 covers every human task: an undecided bundle approval task (opened by the plan, not a
// lifecycle) is reminded to the NDRC approvers the working day before it is due and escalated
// to the DRB supervisor once overdue, each once, audited on the bundle.
func TestT2_BundleTaskRemindedThenEscalated(t *testing.T) {
	h, start, sends := bundleSLA(t)
	h.env.RegisterDelayedCallback(func() { h.env.CancelWorkflow() }, 10*24*time.Hour)
	h.runPlan(policy2021())
	h.requireCancelled()

	ns := h.noticesOf()
	require.Len(t, ns, 3, "the task notice, the reminder and the escalation")
	require.Equal(t, "task", ns[0].Kind)
	require.Equal(t, "task_reminder", ns[1].Kind)
	require.Equal(t, domain.RoleNDRCApprover, ns[1].Role)
	require.Equal(t, bundle1Task, ns[1].TaskID)
	require.Equal(t, "task_escalation", ns[2].Kind)
	require.Equal(t, domain.RoleDRBSupervisor, ns[2].Role)
	require.Equal(t, "drb", ns[2].OrgID)
	require.Len(t, h.transitions, 3)
	require.Equal(t, "task.remind", h.transitions[1].Audit[0].Action)
	require.Equal(t, "task.escalate", h.transitions[2].Audit[0].Action)
	require.Equal(t, "b1", h.transitions[2].Audit[0].ObjectID)
	require.Len(t, *sends, 3)
	require.WithinDuration(t, start.Add(slaRemind), (*sends)[1], time.Minute, "reminded at the remind instant")
	require.WithinDuration(t, start.Add(slaDue), (*sends)[2], time.Minute, "escalated at the due instant")
}

// A bundle decided before its reminder is neither reminded nor escalated: the decision cancels
// its timers.
func TestT2_DecidedBundleTaskIsNeitherRemindedNorEscalated(t *testing.T) {
	h, _, _ := bundleSLA(t)
	decide := h.update(workflows.UpdateDecide, workflows.DecideUpdate{TaskID: bundle1Task, Actor: ndrcAppr, Decision: domain.DecisionApprove})
	h.env.RegisterDelayedCallback(func() { h.env.CancelWorkflow() }, 10*24*time.Hour)
	h.runPlan(policy2021())
	h.requireCancelled()
	requireOK(t, decide)
	for _, n := range h.noticesOf() {
		require.NotContains(t, []string{"task_reminder", "task_escalation"}, n.Kind)
	}
}

// A resumed plan (continue-as-new) re-arms the timers of its open bundle tasks, sending only
// what was not sent: reminded already, it only escalates, at the due instant.
func TestT2_ResumedPlanEscalatesItsOpenBundleTask(t *testing.T) {
	h := newPlan(t)
	start := time.Date(2026, 9, 1, 10, 0, 0, 0, calendar.Shanghai)
	h.env.SetStartTime(start)
	h.env.OnActivity(a.SendNotifications, mock.Anything, mock.Anything).Return(1, nil).Maybe()
	resume := &workflows.PlanState{Year: planYear, Seq: 4, Bundles: []*workflows.PlanBundle{
		{ID: "b1", TaskID: bundle1Task, ProjectIDs: []string{"p1"}, Status: "pending", DueAt: start.Add(time.Hour), RemindAt: start.Add(-time.Hour), Reminded: true},
		{ID: "b0", TaskID: "plan:2026:bundle_approval:b0", ProjectIDs: []string{"p0"}, Status: "approved", DueAt: start.Add(time.Hour)}}}
	h.env.RegisterDelayedCallback(func() { h.env.CancelWorkflow() }, 2*time.Hour)
	h.env.ExecuteWorkflow(workflows.AnnualPlan, workflows.AnnualPlanInput{Year: planYear, Policy: policy2021(), Resume: resume})
	h.requireCancelled()
	ns := h.noticesOf()
	require.Len(t, ns, 1)
	require.Equal(t, "task_escalation", ns[0].Kind)
	require.Equal(t, bundle1Task, ns[0].TaskID)
}
