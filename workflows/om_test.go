package workflows_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/converter"

	"egovpm/internal/calendar"
	"egovpm/internal/domain"
	"egovpm/workflows"
)

// omState is a project in its first O&M year under the 2021 policy, accepted on 15 June 2026.
func omState() workflows.ProjectState {
	return workflows.ProjectState{Stage: domain.StageOM, OMStart: shanghaiTime(2026, 6, 15, 10, 0, 0), OMCalendarYear: 2026,
		OMYear: 1, OMDeadline: shanghaiTime(2027, 1, 31, 23, 59, 59)}
}

func TestR13_OMReportFiledThenYearClosesWithoutOverdueAndContinuesAsNew(t *testing.T) {
	start := shanghaiTime(2027, 1, 10, 9, 0, 0)
	h := newDelivery(t, start)
	var timers []time.Duration
	h.env.SetOnTimerScheduledListener(func(_ string, d time.Duration) { timers = append(timers, d) })
	nextYear := h.omReport(submitter, 2)
	noYear := h.omReport(submitter, 0)
	otherUnit := h.omReport(otherSubmit, 1)
	filed := h.omReport(submitter, 1)
	h.projectState(func(st workflows.ProjectState) { require.True(t, st.OMFiled) })
	twice := h.omReport(submitter, 1)
	h.runLifecycle(resumedInput(policy2021(), omState()))

	requireRejectedByValidator(t, nextYear, domain.StatusUnprocessable, "wrong_om_year")
	require.Equal(t, map[string]any{"om_year": float64(1)}, refusalExtra(t, nextYear))
	requireRejectedByValidator(t, noYear, domain.StatusUnprocessable, "wrong_om_year")
	requireRejectedByValidator(t, otherUnit, domain.StatusForbidden, "forbidden")
	requireOK(t, filed)
	require.Equal(t, workflows.DecideResult{Decision: workflows.UpdateOMReport, Stage: domain.StageOM}, filed.result)
	requireRejectedByValidator(t, twice, domain.StatusConflict, "already_filed")

	deadline1 := shanghaiTime(2027, 1, 31, 23, 59, 59)
	deadline2 := shanghaiTime(2028, 1, 31, 23, 59, 59)
	// T4: a reminder 15 days before the deadline (not sent: the report was filed), then the deadline.
	require.Equal(t, []time.Duration{deadline1.AddDate(0, 0, -15).Sub(start), deadline1.Sub(start)}, timers, "the O&M reminder and deadline timers")
	require.Empty(t, h.notices("om_reminder"), "no reminder once filed")
	require.True(t, deadline1.Equal(h.env.Now()), "the run ends at the deadline, %s", h.env.Now())
	require.Equal(t, []*domain.OMFiling{
		{Year: 1, DueAt: deadline1, Filed: true, DocumentID: "d-om-1", FiledBy: submitter.ID},
		{Year: 2, DueAt: deadline2},
	}, filingPtrs(h.omFilings()))
	require.Empty(t, h.notices("om_overdue"))
	require.Equal(t, []string{"om.file"}, h.auditActions())
	require.Empty(t, h.stages())

	next := h.requireContinuedAsNew()
	require.Equal(t, domain.StageOM, next.Resume.Stage)
	require.Equal(t, 2, next.Resume.OMYear)
	require.Equal(t, 2027, next.Resume.OMCalendarYear)
	require.False(t, next.Resume.OMFiled)
	require.True(t, deadline2.Equal(next.Resume.OMDeadline))
	require.Equal(t, 11, next.Resume.Seq, "the deadline timer advances the counter, the om_report Update does not")
	require.Equal(t, "p1", next.ProjectID)
	require.Equal(t, "2021", next.Policy.Version, "the policy stays pinned across runs (R19)")
}

func filingPtrs(fs []domain.OMFiling) []*domain.OMFiling {
	out := make([]*domain.OMFiling, len(fs))
	for i := range fs {
		out[i] = normFiling(&fs[i])
	}
	return out
}

func TestR13_T4_OverdueFlaggedAtDeadlineThenContinuesAsNew(t *testing.T) {
	start := shanghaiTime(2027, 1, 10, 9, 0, 0)
	deadline1 := shanghaiTime(2027, 1, 31, 23, 59, 59)
	h := newDelivery(t, start)
	h.skipTo(deadline1.Sub(start) - time.Second)
	h.projectState(func(st workflows.ProjectState) {
		require.Equal(t, 1, st.OMYear, "no flag before the deadline")
		require.Empty(t, h.omFilings())
	})
	h.runLifecycle(resumedInput(policy2021(), omState()))

	deadline2 := shanghaiTime(2028, 1, 31, 23, 59, 59)
	require.Equal(t, []*domain.OMFiling{
		{Year: 1, DueAt: deadline1, Overdue: true},
		{Year: 2, DueAt: deadline2},
	}, filingPtrs(h.omFilings()))
	overdue := h.notices("om_overdue")
	require.Len(t, overdue, 1)
	require.Equal(t, domain.RoleSubmitter, overdue[0].Role)
	require.Equal(t, unitA, overdue[0].OrgID)
	require.Contains(t, overdue[0].Title, "第 1 个运维年度")
	// T4: reminded before the deadline, flagged overdue after it.
	require.Equal(t, []string{"om.remind", "om.overdue"}, h.auditActions())
	require.Len(t, h.notices("om_reminder"), 1)

	next := h.requireContinuedAsNew()
	require.Equal(t, 2, next.Resume.OMYear)
	require.True(t, deadline2.Equal(next.Resume.OMDeadline))
}

func TestR13_OMYearOfTestPolicyIsADuration(t *testing.T) {
	start := shanghaiTime(2026, 9, 1, 9, 0, 0)
	omStart := start.Add(-10 * time.Minute)
	h := newDelivery(t, start)
	h.runLifecycle(resumedInput(shortPolicy(), workflows.ProjectState{Stage: domain.StageOM, OMStart: omStart, OMYear: 1,
		OMDeadline: omStart.Add(time.Hour)}))

	next := h.requireContinuedAsNew()
	require.True(t, omStart.Add(time.Hour).Equal(h.env.Now()))
	require.True(t, omStart.Add(2*time.Hour).Equal(next.Resume.OMDeadline), "year n ends n×om_year after the O&M start")
	require.Len(t, h.notices("om_overdue"), 1)
}

// TestR13_OMDeadlineFollowsTheShanghaiCalendarYearOfAcceptance checks the 2021 deadline of the
// first O&M year around new year: the calendar year is Asia/Shanghai's, not UTC's.
func TestR13_OMDeadlineFollowsTheShanghaiCalendarYearOfAcceptance(t *testing.T) {
	cases := []struct {
		name     string
		accepted time.Time
		deadline time.Time
	}{
		{"accepted mid year", shanghaiTime(2026, 6, 15, 10, 0, 0), shanghaiTime(2027, 1, 31, 23, 59, 59)},
		{"accepted 31 December in Shanghai (still 2026)", shanghaiTime(2026, 12, 31, 23, 30, 0), shanghaiTime(2027, 1, 31, 23, 59, 59)},
		{"accepted 1 January in Shanghai (31 December UTC)", time.Date(2026, 12, 31, 16, 30, 0, 0, time.UTC), shanghaiTime(2028, 1, 31, 23, 59, 59)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := newDelivery(t, c.accepted.Add(-time.Second))
			h.pass(signoff1, drbReviewer) // the witness passed before this run
			var st workflows.ProjectState
			h.projectState(func(s workflows.ProjectState) { st = s })
			h.cancel()
			h.runLifecycle(resumedInput(policy2021(), workflows.ProjectState{Stage: domain.StageAcceptance, AcceptanceRound: 1,
				OpenTasks: []workflows.OpenTask{{ID: signoff1, Kind: domain.TaskAcceptanceSignoff, CandidateRole: domain.RoleDRBReviewer, CandidateOrgID: "drb"}}}))
			h.requireCancelled()

			require.Equal(t, domain.StageOM, st.Stage)
			require.Equal(t, c.accepted.In(calendar.Shanghai).Year(), st.OMCalendarYear)
			require.True(t, c.deadline.Equal(st.OMDeadline), "deadline %s, want %s", st.OMDeadline.In(calendar.Shanghai), c.deadline)
			require.Equal(t, []*domain.OMFiling{{Year: 1, DueAt: c.deadline}}, filingPtrs(h.omFilings()))
		})
	}
}

// TestR13_T4_TenYearOMLifeContinuesAsNewEveryYearWithBoundedHistory plays ten O&M years under
// the 2021 policy, one run per year, each run started from the previous run's continue-as-new
// input: the unit files in most years and misses years 3, 6 and 9; DRB evaluates in year 4
// (the evaluation task, opened at acceptance, is carried across runs in Resume).
//
// History bound (issue 5: every run < 10,240 events). The test environment keeps no event
// history, so the test counts what makes one: a run's history is at most
//
//	2 (started, continued-as-new)
//	+ 1 per local activity (its marker: Apply, MissingDocuments, TellPlan)
//	+ 3 per activity (scheduled, started, completed: SendNotifications; retries add none)
//	+ 2 per timer (started, fired)
//	+ 2 per accepted Update (accepted, completed; a validator rejection writes nothing)
//	+ 1 per signal received, + 2 per signal sent (initiated, external signaled)
//	+ 3 per workflow task (scheduled, started, completed), where the workflow tasks are at most
//	  1 (the first) + one per event that wakes the workflow (timer fired, Update, activity
//	  completed, signal in or out) + one per local activity (a slow one may force a heartbeat
//	  workflow task).
//
// All of these are counted per run below and stay constant from year to year (they do not grow
// with the project's age), so the bound holds for decades. T2 adds at most two timers per open
// task (remind, escalate; the mocked Apply returns no due dates, so none here). The only term the
// workflow does not
// bound itself is signals received: every document upload signals documents_changed (~4 events
// each), so a run would need ~2,500 uploads in one O&M year to reach the limit.
func TestR13_T4_TenYearOMLifeContinuesAsNewEveryYearWithBoundedHistory(t *testing.T) {
	missed := map[int]bool{3: true, 6: true, 9: true}
	start := shanghaiTime(2026, 6, 15, 10, 0, 0) // year 1's run starts in acceptance
	in := resumedInput(policy2021(), workflows.ProjectState{Stage: domain.StageAcceptance, AcceptanceRound: 1,
		OpenTasks: []workflows.OpenTask{{ID: signoff1, Kind: domain.TaskAcceptanceSignoff, CandidateRole: domain.RoleDRBReviewer, CandidateOrgID: "drb"}}})
	for year := 1; year <= 10; year++ {
		h := newDelivery(t, start)
		var timers, localActivities, activitiesRun, updates int
		h.env.SetOnTimerScheduledListener(func(string, time.Duration) { timers++ })
		h.env.SetOnLocalActivityStartedListener(func(*activity.Info, context.Context, []any) { localActivities++ })
		h.env.SetOnActivityStartedListener(func(*activity.Info, context.Context, converter.EncodedValues) { activitiesRun++ })
		var outs []*outcome
		if year == 1 {
			outs = append(outs, h.pass(signoff1, drbReviewer)) // accepted: O&M year 1 begins
		}
		h.skipTo(24 * time.Hour)
		if !missed[year] {
			outs = append(outs, h.omReport(submitter, year))
		}
		if year == 4 {
			outs = append(outs, h.decide(workflows.DecideUpdate{TaskID: evaluation1, Actor: drbReviewer, Decision: domain.DecisionApprove,
				Score: score(78), Grade: "fair", Comment: "运维响应偏慢"}))
		}
		updates = len(outs)
		h.runLifecycle(in)
		for _, o := range outs {
			requireOK(t, o)
		}

		deadline := shanghaiTime(2026+year, 1, 31, 23, 59, 59)
		require.True(t, deadline.Equal(h.env.Now()), "year %d closes at its deadline, not %s", year, h.env.Now())
		next := h.requireContinuedAsNew()
		require.Equal(t, domain.StageOM, next.Resume.Stage)
		require.Equal(t, year+1, next.Resume.OMYear)
		require.Equal(t, 2026+year, next.Resume.OMCalendarYear)
		require.False(t, next.Resume.OMFiled)
		require.True(t, shanghaiTime(2027+year, 1, 31, 23, 59, 59).Equal(next.Resume.OMDeadline))
		require.Equal(t, year < 4, len(next.Resume.OpenTasks) == 1, "year %d: the evaluation task is carried until decided", year)

		want := []*domain.OMFiling{{Year: year, DueAt: deadline, Filed: true, DocumentID: fmt.Sprintf("d-om-%d", year), FiledBy: submitter.ID}}
		if missed[year] {
			want = []*domain.OMFiling{{Year: year, DueAt: deadline, Overdue: true}}
		}
		want = append(want, &domain.OMFiling{Year: year + 1, DueAt: shanghaiTime(2027+year, 1, 31, 23, 59, 59)})
		filings := filingPtrs(h.omFilings())
		if year == 1 {
			require.Equal(t, &domain.OMFiling{Year: 1, DueAt: deadline}, filings[0], "acceptance opens year 1")
			filings = filings[1:]
		}
		require.Equal(t, want, filings, "year %d", year)
		require.Len(t, h.notices("om_overdue"), map[bool]int{true: 1, false: 0}[missed[year]], "year %d", year)

		stageReports, signalsOut := 0, 0 // stage reports are TellPlan local activities, counted above
		for _, s := range h.signals {
			if s.ByActivity {
				stageReports++
			} else {
				signalsOut++
			}
		}
		require.Len(t, h.notices("om_reminder"), map[bool]int{true: 1, false: 0}[missed[year]], "year %d: T4 reminder only when not filed", year)
		require.Equal(t, 2, timers, "year %d: two timers per run (the T4 reminder and the O&M deadline)", year)
		require.LessOrEqual(t, localActivities, 4, "year %d", year)
		require.LessOrEqual(t, activitiesRun, 3, "year %d: at most the acceptance, reminder and overdue notifications", year)
		require.LessOrEqual(t, updates, 2, "year %d", year)
		require.LessOrEqual(t, stageReports, 1, "year %d: only the acceptance run reports a stage", year)
		require.Zero(t, signalsOut, "year %d: no SignalExternalWorkflow command", year)
		wakeups := timers + updates + signalsOut + activitiesRun
		workflowTasks := 1 + wakeups + localActivities
		events := 2 + localActivities + 3*activitiesRun + 2*timers + 2*updates + 2*signalsOut + 3*workflowTasks
		t.Logf("year %d: %d local activities, %d activities, %d timers, %d updates, %d signals out: at most %d history events",
			year, localActivities, activitiesRun, timers, updates, signalsOut, events)
		require.Less(t, events, 50, "year %d: history bound %d", year, events)
		require.Less(t, events, 10_240)

		start, in = h.env.Now(), next
	}
	require.Equal(t, 11, in.Resume.OMYear)
}

// TestR13_OMReportRacingTheDeadlineIsNeverSilentlyLost: an om_report whose validator passes in
// the workflow task in which the O&M deadline fires (or while the deadline's Apply runs) is
// queued behind the timer message. The deadline flags the year overdue and sets continueAsNew;
// queued messages are still handled before the run continues as new, so the report is filed
// late (om-late-filing) rather than answered "filed" with nothing written.
func TestR13_OMReportRacingTheDeadlineIsNeverSilentlyLost(t *testing.T) {
	start := shanghaiTime(2026, 9, 1, 9, 0, 0)
	h := newDelivery(t, start)
	h.skipTo(time.Hour) // exactly the deadline of the test policy's O&M year 1
	report := h.omReport(submitter, 1)
	h.runLifecycle(resumedInput(shortPolicy(), workflows.ProjectState{Stage: domain.StageOM, OMStart: start, OMYear: 1,
		OMDeadline: start.Add(time.Hour)}))
	next := h.requireContinuedAsNew()

	require.True(t, report.accepted, "the validator ran before the deadline was handled")
	requireOK(t, report)
	filings := h.omFilings()
	last := filings[len(filings)-1]
	require.True(t, last.Year == 1 && last.Filed && last.Late, "a report answered without error must be filed: %+v", filings)
	require.Empty(t, next.Resume.OMOverdue, "the year filed late is no longer outstanding")
}
