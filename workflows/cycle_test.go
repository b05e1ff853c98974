package workflows_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"egovpm/activities"
	"egovpm/internal/calendar"
	"egovpm/workflows"
)

// runPlanReminders runs AnnualPlan for year from start until the test ends and returns the T1
// reminders sent, with the instants they were sent at.
func runPlanReminders(t *testing.T, year int, start time.Time, resume *workflows.PlanState) ([]activities.DraftReminderInput, []time.Time) {
	t.Helper()
	var ts testsuite.WorkflowTestSuite
	env := ts.NewTestWorkflowEnvironment()
	env.SetStartTime(start)
	env.RegisterWorkflow(workflows.AnnualPlan)
	var acts *activities.Activities
	var sent []activities.DraftReminderInput
	var at []time.Time
	env.OnActivity(acts.RemindDrafts, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.DraftReminderInput) (int, error) {
			sent = append(sent, in)
			at = append(at, env.Now())
			return 1, nil
		})
	env.OnActivity(acts.MarkPlanReadsStages, mock.Anything, year).Return(nil).Once()
	// The plan never ends by itself; stop it once July is over.
	env.RegisterDelayedCallback(func() { env.CancelWorkflow() }, time.Date(year-1, 7, 31, 0, 0, 0, 0, calendar.Shanghai).Sub(start))
	env.ExecuteWorkflow(workflows.AnnualPlan, workflows.AnnualPlanInput{Year: year, Policy: policy2021(), Resume: resume})
	require.True(t, env.IsWorkflowCompleted())
	return sent, at
}

// TestT1_PlanRemindersFireOnceAtTheirDays: a plan started in May sends the draft reminders on
// 1, 20 and 27 June and the "window closed" notice on 1 July, at 09:00 Asia/Shanghai, once each.
func TestT1_PlanRemindersFireOnceAtTheirDays(t *testing.T) {
	year := 2028
	sent, at := runPlanReminders(t, year, time.Date(year-1, 5, 1, 9, 0, 0, 0, calendar.Shanghai), nil)
	require.Len(t, sent, 4)
	days := []int{1, 20, 27, 1}
	months := []time.Month{6, 6, 6, 7}
	for i := range sent {
		want := time.Date(year-1, months[i], days[i], 9, 0, 0, 0, calendar.Shanghai)
		require.True(t, want.Equal(at[i]), "reminder %d at %s, want %s", i, at[i], want)
		require.Equal(t, year, sent[i].PlanYear)
		require.Equal(t, i == 3, sent[i].Closed, "only the 1 July notice is 'window closed'")
		require.True(t, sent[i].Deadline.Equal(time.Date(year-1, 6, 30, 23, 59, 59, 0, calendar.Shanghai)))
	}
	require.NotEqual(t, sent[0].ID, sent[1].ID, "each reminder has its own id (idempotent writes)")
}

// TestT1_PlanStartedLateOrResumedSendsNoRepeats: a plan started on 22 June (more than a day
// after the 20 June reminder) sends only the 27 June and 1 July reminders; a run resumed with the 27 June reminder recorded as sent sends
// only 1 July (a restarted plan never sends a reminder twice).
func TestT1_PlanStartedLateOrResumedSendsNoRepeats(t *testing.T) {
	year := 2028
	sent, _ := runPlanReminders(t, year, time.Date(year-1, 6, 22, 10, 0, 0, 0, calendar.Shanghai), nil)
	require.Len(t, sent, 2)
	require.Contains(t, sent[0].ID, "06-27")
	require.Contains(t, sent[1].ID, "07-01")

	resume := &workflows.PlanState{Year: year, Reminded: []string{"06-27"}}
	sent, _ = runPlanReminders(t, year, time.Date(year-1, 6, 27, 10, 0, 0, 0, calendar.Shanghai), resume)
	require.Len(t, sent, 1)
	require.Contains(t, sent[0].ID, "07-01")
}

// TestT1_AnnualCycleStartsNextYearsPlan: the yearly Schedule's workflow starts plan:<year+1>
// with the policy in force, and is content when the plan already runs.
func TestT1_AnnualCycleStartsNextYearsPlan(t *testing.T) {
	var ts testsuite.WorkflowTestSuite
	env := ts.NewTestWorkflowEnvironment()
	env.SetStartTime(time.Date(2027, 5, 1, 9, 0, 0, 0, calendar.Shanghai))
	env.RegisterWorkflow(workflows.AnnualCycle)
	env.RegisterWorkflow(workflows.AnnualPlan)
	var acts *activities.Activities
	env.OnActivity(acts.LoadPolicy, mock.Anything, "2021").Return(policy2021(), nil)
	var started workflows.AnnualPlanInput
	env.OnWorkflow(workflows.AnnualPlan, mock.Anything, mock.Anything).Return(
		func(_ workflow.Context, in workflows.AnnualPlanInput) (workflows.PlanState, error) {
			started = in
			return workflows.PlanState{}, nil
		})
	env.ExecuteWorkflow(workflows.AnnualCycle, workflows.AnnualCycleInput{PolicyVersion: "2021"})
	require.NoError(t, env.GetWorkflowError())
	var year int
	require.NoError(t, env.GetWorkflowResult(&year))
	require.Equal(t, 2028, year)
	require.Equal(t, 2028, started.Year)
	require.Equal(t, "2021", started.Policy.Version)
}
