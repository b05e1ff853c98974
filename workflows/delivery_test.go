package workflows_test

import (
	"encoding/json"
	"fmt"
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/workflow"

	"egovpm/activities"
	"egovpm/internal/calendar"
	"egovpm/internal/domain"
	"egovpm/workflows"
)

// Task ids of project p1's delivery (taskID: "<workflow id>:<kind>:<round>[:<suffix>]").
const (
	acceptCheck1 = "project:p1:acceptance_check:1:a1"
	signoff1     = "project:p1:acceptance_signoff:1:a1"
	witness1     = "project:p1:acceptance_witness:1:a1"
	acceptCheck2 = "project:p1:acceptance_check:1:a2"
	signoff2     = "project:p1:acceptance_signoff:1:a2"
	witness2     = "project:p1:acceptance_witness:1:a2"
	acceptCheck3 = "project:p1:acceptance_check:1:a3"
	signoff3     = "project:p1:acceptance_signoff:1:a3"
	witness3     = "project:p1:acceptance_witness:1:a3"
	evaluation1  = "project:p1:evaluation:1"

	// approvedFen is the approved amount of the resumed project (R7).
	approvedFen = 1_100_000_000
)

var prtaWitness = domain.Actor{ID: "u-prta1", OrgID: "prta", Roles: []string{domain.RolePRTAWitness}}

// shortPolicy is a test-only policy (R19 TestOnly) with the delivery durations shortened.
func shortPolicy() domain.Policy {
	p := policy2021()
	p.Version = "test"
	p.TestOnly = true
	p.TrialRun = domain.Duration{Duration: 10 * time.Minute}
	p.AcceptanceFollowUp = domain.Duration{Duration: 5 * time.Minute}
	p.OMYear = domain.Duration{Duration: time.Hour}
	return p
}

// shanghaiTime is a civil time in Asia/Shanghai.
func shanghaiTime(y int, m time.Month, d, hh, mm, ss int) time.Time {
	return time.Date(y, m, d, hh, mm, ss, 0, calendar.Shanghai)
}

// newDelivery is newLifecycle with the workflow clock starting at start.
func newDelivery(t *testing.T, start time.Time) *harness {
	t.Helper()
	h := newLifecycle(t)
	h.env.SetStartTime(start)
	// Notifications go out through a regular activity after each transition that has some.
	h.env.OnActivity(a.SendNotifications, mock.Anything, mock.Anything).Return(1, nil).Maybe()
	return h
}

// resumedInput is project p1 (large, MLPS level 2, no crypto) resuming in state st.
func resumedInput(pol domain.Policy, st workflows.ProjectState) workflows.ProjectLifecycleInput {
	in := lifecycleInput(largeFen, pol)
	if st.Round == 0 {
		st.Round = 1
	}
	if st.ApprovedFen == 0 {
		st.PlanAmountFen, st.ApprovedFen = 1_200_000_000, approvedFen
	}
	if st.Seq == 0 {
		st.Seq = 10
	}
	in.Resume = &st
	return in
}

// trialRunOver is a project whose trial run ended (and was notified and followed up) before
// the run starts at start, so no timer is pending.
func trialRunOver(start time.Time) workflows.ProjectState {
	return workflows.ProjectState{Stage: domain.StageTrialRun, TrialRunEndsAt: start.Add(-24 * time.Hour),
		TrialRunNotified: true, FollowUpSent: true}
}

// skipTo makes the next step run at d after the start (time skipping fires the timers due
// before it); it never moves steps backwards.
func (h *harness) skipTo(d time.Duration) {
	if d-time.Second > h.at {
		h.at = d - time.Second
	}
}

func validContract(amountFen int64) domain.Contract {
	return domain.Contract{Vendor: "安徽某信息技术有限公司", AmountFen: amountFen, SignedOn: "2026-05-20", ProcurementRef: "LACG-2026-0815",
		DataLists: domain.DataLists{
			Demand: domain.DataList{Items: []map[string]string{{"resource": "人口基础信息", "department": "市公安局", "sharing": "conditional",
				"legal_basis": "《政务信息资源共享管理暂行办法》", "frequency": "每日", "interface": "LA-PS-001"}}},
			Responsibility: domain.DataList{NoneReason: "本项目不产生共享数据"},
			Negative:       domain.DataList{NoneReason: "无"},
		}}
}

func (h *harness) contract(actor domain.Actor, c domain.Contract) *outcome {
	return h.update(workflows.UpdateContract, workflows.ContractUpdate{Actor: actor, Contract: c, RequestID: "req-contract"})
}

func (h *harness) constructionComplete(actor domain.Actor, needsSupervision bool) *outcome {
	return h.update(workflows.UpdateConstructionComplete, workflows.ConstructionUpdate{Actor: actor, NeedsSupervision: needsSupervision})
}

func (h *harness) applyAcceptance(actor domain.Actor) *outcome {
	return h.update(workflows.UpdateApplyAcceptance, workflows.AcceptanceUpdate{Actor: actor})
}

func (h *harness) omReport(actor domain.Actor, year int) *outcome {
	return h.update(workflows.UpdateOMReport, workflows.OMReportUpdate{Actor: actor, Year: year, DocumentID: fmt.Sprintf("d-om-%d", year)})
}

// updateNoting is update that also notes the workflow time at which the Update is sent.
func (h *harness) updateNoting(name string, arg any, at *time.Time) *outcome {
	o := &outcome{name: name}
	h.updates++
	id := fmt.Sprintf("upd-%d", h.updates)
	h.step(func() {
		*at = h.env.Now()
		h.send(o, id, arg)
	})
	return o
}

func (h *harness) pass(taskID string, actor domain.Actor) *outcome {
	return h.decide(workflows.DecideUpdate{TaskID: taskID, Actor: actor, Decision: domain.DecisionPass})
}

// notices lists the notifications of kind, in the order written.
func (h *harness) notices(kind string) []domain.Notice {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []domain.Notice
	for _, tr := range h.transitions {
		for _, n := range tr.Notify {
			if n.Kind == kind {
				out = append(out, n)
			}
		}
	}
	return out
}

// omFilings lists the O&M filing rows written, in order.
func (h *harness) omFilings() []domain.OMFiling {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []domain.OMFiling
	for _, tr := range h.transitions {
		if tr.OMFiling != nil {
			out = append(out, *tr.OMFiling)
		}
	}
	return out
}

// withAudit returns the transitions carrying an audit row of action.
func (h *harness) withAudit(action string) []domain.Transition {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []domain.Transition
	for _, tr := range h.transitions {
		for _, au := range tr.Audit {
			if au.Action == action {
				out = append(out, tr)
				break
			}
		}
	}
	return out
}

func (h *harness) openedIDs() []string {
	var out []string
	for _, task := range h.opened() {
		out = append(out, task.ID)
	}
	return out
}

// refusalExtra is the Extra of a refusal, normalised through JSON (as the gateway sends it).
func refusalExtra(t *testing.T, o *outcome) map[string]any {
	t.Helper()
	r, ok := domain.AsRefusal(o.err)
	require.True(t, ok, "%s: not a refusal: %v", o.name, o.err)
	b, err := json.Marshal(r.Extra)
	require.NoError(t, err)
	var m map[string]any
	require.NoError(t, json.Unmarshal(b, &m))
	return m
}

// requireContinuedAsNew checks the run ended in continue-as-new and returns the next run's input.
func (h *harness) requireContinuedAsNew() workflows.ProjectLifecycleInput {
	h.t.Helper()
	var can *workflow.ContinueAsNewError
	require.ErrorAs(h.t, h.env.GetWorkflowError(), &can, "the run must end in continue-as-new")
	require.Equal(h.t, "ProjectLifecycle", can.WorkflowType.Name)
	var next workflows.ProjectLifecycleInput
	require.NoError(h.t, converter.GetDefaultDataConverter().FromPayloads(can.Input, &next))
	require.NotNil(h.t, next.Resume, "a continued run resumes the state")
	return next
}

func TestR9_ContractAfterFullApprovalPath(t *testing.T) {
	h := newLifecycle(t)
	early := h.contract(submitter, validContract(1))
	h.toAwaitingApproval(1_200_000_000) // MissingDocuments: none, so the approval task opens (R6)
	approve := h.decide(workflows.DecideUpdate{TaskID: approval1, Actor: ndrcAppr, Decision: domain.DecisionApprove, ApprovedAmountFen: approvedFen})
	h.projectState(func(st workflows.ProjectState) {
		require.Equal(t, domain.StageProcurement, st.Stage)
		require.Equal(t, int64(approvedFen), st.ApprovedFen)
	})
	over := h.contract(submitter, validContract(approvedFen+1))
	otherUnit := h.contract(otherSubmit, validContract(approvedFen))
	notSubmitter := h.contract(domain.Actor{ID: "u-x", OrgID: unitA, Roles: []string{domain.RoleExpert}}, validContract(approvedFen))
	constructionEarly := h.constructionComplete(submitter, false)
	acceptEarly := h.applyAcceptance(submitter)
	omEarly := h.omReport(submitter, 1)
	ok := h.contract(submitter, validContract(approvedFen)) // exactly the approved amount is allowed (R7)
	again := h.contract(submitter, validContract(approvedFen))
	h.projectState(func(st workflows.ProjectState) { require.Equal(t, domain.StageConstruction, st.Stage) })
	h.cancel()
	h.runLifecycle(lifecycleInput(largeFen, policy2021()))
	h.requireCancelled()

	requireRejectedByValidator(t, early, domain.StatusConflict, "wrong_stage")
	requireOK(t, approve)
	requireRejectedByValidator(t, over, domain.StatusUnprocessable, "amount_over_approved")
	require.Equal(t, map[string]any{"approved_amount_fen": float64(approvedFen)}, refusalExtra(t, over))
	requireRejectedByValidator(t, otherUnit, domain.StatusForbidden, "forbidden")
	requireRejectedByValidator(t, notSubmitter, domain.StatusForbidden, "forbidden")
	requireRejectedByValidator(t, constructionEarly, domain.StatusConflict, "wrong_stage")
	requireRejectedByValidator(t, acceptEarly, domain.StatusConflict, "wrong_stage")
	requireRejectedByValidator(t, omEarly, domain.StatusConflict, "wrong_stage")
	requireOK(t, ok)
	require.Equal(t, workflows.DecideResult{Decision: workflows.UpdateContract, Stage: domain.StageConstruction}, ok.result)
	requireRejectedByValidator(t, again, domain.StatusConflict, "wrong_stage")
	require.Contains(t, refusalMessage(t, again), "项目当前阶段为建设，", "the stage by its Chinese name")
	require.Contains(t, refusalMessage(t, acceptEarly), "项目当前阶段为采购，只有试运行或整改中的项目可以申请验收")

	stages := h.stages()
	require.Equal(t, []domain.Stage{domain.StageApproved, domain.StageProcurement, domain.StageConstruction}, stages[len(stages)-3:])
	tr := h.transitionTo(domain.StageConstruction)
	want := validContract(approvedFen)
	want.RegisteredBy = submitter.ID
	require.Equal(t, &want, tr.Contract, "the transition carries the contract with its data three lists (R9)")
	require.Len(t, tr.Audit, 1)
	require.Equal(t, "contract.register", tr.Audit[0].Action)
	require.Equal(t, submitter.ID, tr.Audit[0].ActorID)
	require.Equal(t, "req-contract", tr.Audit[0].RequestID)
	require.Equal(t, map[string]any{"vendor": want.Vendor, "amount_fen": int64(approvedFen), "procurement_ref": want.ProcurementRef}, tr.Audit[0].Detail)
	reported := h.reportedStages()
	require.Equal(t, domain.StageConstruction, reported[len(reported)-1])
	require.Len(t, h.withAudit("contract.register"), 1, "refused contracts write nothing")
}

func TestR9_ContractFromResumedProcurementBelowApproved(t *testing.T) {
	h := newDelivery(t, shanghaiTime(2026, 5, 20, 9, 0, 0))
	ok := h.contract(submitter, validContract(900_000_000))
	h.projectState(func(st workflows.ProjectState) {
		require.Equal(t, domain.StageConstruction, st.Stage)
		require.Equal(t, 10, st.Seq, "an Update's transition is named by the Update and leaves the counter alone")
	})
	h.cancel()
	h.runLifecycle(resumedInput(policy2021(), workflows.ProjectState{Stage: domain.StageProcurement}))
	h.requireCancelled()

	requireOK(t, ok)
	require.Equal(t, []domain.Stage{domain.StageConstruction}, h.stages(), "Resume skips start(): nothing is submitted again")
	require.Empty(t, h.similar)
	tr := h.transitionTo(domain.StageConstruction)
	require.Equal(t, int64(900_000_000), tr.Contract.AmountFen)
	require.Regexp(t, `^`+regexp.QuoteMeta(p1WorkflowID)+`/[^/]+/u/upd-1/1$`, tr.ID, "named by its Update (transition-id-by-update)")
}

func TestR10_ConstructionCompleteNeedsSupervisionReport(t *testing.T) {
	start := shanghaiTime(2026, 6, 15, 9, 0, 0)
	h := newDelivery(t, start)
	h.setMissing("supervision_report")
	otherUnit := h.constructionComplete(otherSubmit, true)
	missing := h.constructionComplete(submitter, true)
	h.projectState(func(st workflows.ProjectState) {
		require.Equal(t, domain.StageConstruction, st.Stage)
		require.True(t, st.TrialRunEndsAt.IsZero())
	})
	h.setMissing()
	done := h.constructionComplete(submitter, true)
	h.projectState(func(st workflows.ProjectState) { require.Equal(t, domain.StageTrialRun, st.Stage) })
	h.cancel()
	h.runLifecycle(resumedInput(policy2021(), workflows.ProjectState{Stage: domain.StageConstruction}))
	h.requireCancelled()

	requireRejectedByValidator(t, otherUnit, domain.StatusForbidden, "forbidden")
	// The documents are checked by the handler (a local activity), after the Update is accepted.
	requireRefused(t, missing, domain.StatusUnprocessable, "documents_missing")
	require.True(t, missing.accepted)
	require.Equal(t, map[string]any{"missing": []any{"supervision_report"}}, refusalExtra(t, missing))
	require.Equal(t, "缺少材料：监理报告", refusalMessage(t, missing), "the kinds by their Chinese names, not codes")
	requireOK(t, done)
	require.Equal(t, []activities.DocsInput{
		{ProjectID: "p1", Kinds: []string{"supervision_report"}},
		{ProjectID: "p1", Kinds: []string{"supervision_report"}},
	}, h.docsCalls)
	require.Equal(t, []domain.Stage{domain.StageTrialRun}, h.stages(), "the refused report wrote nothing")
	tr := h.transitionTo(domain.StageTrialRun)
	require.Equal(t, "construction.complete", tr.Audit[0].Action)
}

// TestR10_R11_TrialRunEndsOneCalendarMonthLaterInShanghai checks TrialRunEndsAt under the 2021
// policy (TrialRunMonths 1): time.AddDate(0, 1, 0) on the Asia/Shanghai civil date. Go normalises
// an overflowing day, so 31 January gives 3 March (2 March in a leap year), not the end of
// February: a trial run starting on the 29th–31st lasts 1–3 days more than "one calendar month"
// in the end-of-month sense, which still satisfies R11's "at least one calendar month".
func TestR10_R11_TrialRunEndsOneCalendarMonthLaterInShanghai(t *testing.T) {
	cases := []struct {
		name  string
		start time.Time
		want  time.Time
	}{
		{"mid month", shanghaiTime(2026, 6, 15, 9, 30, 0), shanghaiTime(2026, 7, 15, 9, 30, 0)},
		{"31 January overflows to 3 March (Go AddDate normalisation; longer than a month)", shanghaiTime(2026, 1, 31, 10, 0, 0), shanghaiTime(2026, 3, 3, 10, 0, 0)},
		{"31 January of a leap year overflows to 2 March", shanghaiTime(2028, 1, 31, 10, 0, 0), shanghaiTime(2028, 3, 2, 10, 0, 0)},
		{"the Shanghai date counts, not UTC", time.Date(2026, 1, 31, 20, 0, 0, 0, time.UTC), shanghaiTime(2026, 3, 1, 4, 0, 0)},
		{"31 December crosses the year", shanghaiTime(2026, 12, 31, 23, 0, 0), shanghaiTime(2027, 1, 31, 23, 0, 0)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := newDelivery(t, c.start.Add(-time.Second)) // the first step runs at c.start
			done := h.constructionComplete(submitter, false)
			var ends time.Time
			h.projectState(func(st workflows.ProjectState) {
				require.Equal(t, domain.StageTrialRun, st.Stage)
				ends = st.TrialRunEndsAt
			})
			h.cancel()
			h.runLifecycle(resumedInput(policy2021(), workflows.ProjectState{Stage: domain.StageConstruction}))
			h.requireCancelled()

			requireOK(t, done)
			require.True(t, c.want.Equal(ends), "trial run ends %s, want %s", ends.In(calendar.Shanghai), c.want)
			tr := h.transitionTo(domain.StageTrialRun)
			require.NotNil(t, tr.TrialRunEndsAt)
			require.True(t, c.want.Equal(*tr.TrialRunEndsAt))
			require.Equal(t, "Asia/Shanghai", tr.TrialRunEndsAt.Location().String())
			require.Empty(t, h.docsCalls, "no supervision sub-project, no supervision report")
		})
	}
}

func TestR10_TrialRunUsesTestPolicyDuration(t *testing.T) {
	start := shanghaiTime(2026, 6, 15, 9, 0, 0)
	h := newDelivery(t, start)
	done := h.constructionComplete(submitter, false) // at start+1s
	var ends time.Time
	h.projectState(func(st workflows.ProjectState) { ends = st.TrialRunEndsAt })
	h.cancel()
	h.runLifecycle(resumedInput(shortPolicy(), workflows.ProjectState{Stage: domain.StageConstruction}))
	h.requireCancelled()

	requireOK(t, done)
	require.True(t, start.Add(time.Second+10*time.Minute).Equal(ends), "ends %s", ends)
}

func TestR11_T3_EarlyAcceptanceRefusedThenTrialRunOverNotifiedOnceAndOneReminder(t *testing.T) {
	start := shanghaiTime(2026, 6, 15, 10, 0, 0)
	ends := shanghaiTime(2026, 7, 15, 10, 0, 1) // construction completes at start+1s
	h := newDelivery(t, start)
	h.constructionComplete(submitter, false)
	early := h.applyAcceptance(submitter)
	otherUnit := h.applyAcceptance(otherSubmit)
	h.skipTo(ends.Sub(start) - time.Second)
	lastSecond := h.applyAcceptance(submitter)
	h.projectState(func(st workflows.ProjectState) { require.False(t, st.TrialRunNotified) }) // at ends
	h.projectState(func(st workflows.ProjectState) {
		require.True(t, st.TrialRunNotified, "T3: the unit is told when the trial run ends")
		require.False(t, st.FollowUpSent)
	})
	followUp := ends.Add(30 * 24 * time.Hour) // 2021: AcceptanceFollowUpDays 30
	h.skipTo(followUp.Sub(start) - time.Second)
	h.projectState(func(st workflows.ProjectState) { require.False(t, st.FollowUpSent) })
	h.skipTo(followUp.Sub(start) + time.Second)
	h.projectState(func(st workflows.ProjectState) {
		require.True(t, st.FollowUpSent, "T3: one reminder after 30 days without an application")
		require.Equal(t, domain.StageTrialRun, st.Stage)
	})
	h.skipTo(followUp.Sub(start) + 90*24*time.Hour)
	h.cancel()
	h.runLifecycle(resumedInput(policy2021(), workflows.ProjectState{Stage: domain.StageConstruction}))
	h.requireCancelled()

	requireRefused(t, early, domain.StatusUnprocessable, "trial_run_not_over")
	require.Equal(t, map[string]any{"trial_run_ends_at": "2026-07-15T10:00:01+08:00"}, refusalExtra(t, early))
	r, _ := domain.AsRefusal(early.err)
	require.Contains(t, r.Message, "2026年7月15日 10:00", "the refusal tells the unit the date it ends")
	requireRejectedByValidator(t, early, domain.StatusUnprocessable, "trial_run_not_over")
	requireRejectedByValidator(t, otherUnit, domain.StatusForbidden, "forbidden")
	requireRejectedByValidator(t, lastSecond, domain.StatusUnprocessable, "trial_run_not_over")

	over := h.notices("trial_run_over")
	require.Len(t, over, 1, "exactly one trial-run-over notice")
	require.Equal(t, domain.RoleSubmitter, over[0].Role)
	require.Equal(t, unitA, over[0].OrgID)
	reminders := h.notices("acceptance_reminder")
	require.Len(t, reminders, 1, "exactly one follow-up reminder")
	require.Equal(t, unitA, reminders[0].OrgID)
	require.Equal(t, []string{"construction.complete", "trial_run.over", "acceptance.reminder"}, h.auditActions())
	require.Equal(t, []domain.Stage{domain.StageTrialRun}, h.stages(), "timers never change the stage")
}

func TestR11_T3_NoReminderWhenUnitAppliedAfterTrialRun(t *testing.T) {
	start := shanghaiTime(2026, 6, 15, 10, 0, 0)
	h := newDelivery(t, start)
	h.constructionComplete(submitter, false) // ends at start+1s+10m
	h.skipTo(10*time.Minute + 2*time.Second)
	apply := h.applyAcceptance(submitter)
	h.projectState(func(st workflows.ProjectState) {
		require.Equal(t, domain.StageAcceptance, st.Stage)
		require.True(t, st.TrialRunNotified)
		require.Equal(t, 1, st.AcceptanceRound)
		require.Equal(t, []workflows.OpenTask{{ID: acceptCheck1, Kind: domain.TaskAcceptanceCheck,
			CandidateRole: domain.RoleDRBReviewer, CandidateOrgID: "drb"}}, st.OpenTasks)
	})
	h.skipTo(time.Hour) // well past the follow-up (trial run end + 5m)
	h.projectState(func(st workflows.ProjectState) { require.False(t, st.FollowUpSent) })
	h.cancel()
	h.runLifecycle(resumedInput(shortPolicy(), workflows.ProjectState{Stage: domain.StageConstruction}))
	h.requireCancelled()

	requireOK(t, apply)
	require.Len(t, h.notices("trial_run_over"), 1)
	require.Empty(t, h.notices("acceptance_reminder"), "T3: no reminder once the unit applied")
	require.Equal(t, []string{"construction.complete", "trial_run.over", "acceptance.apply"}, h.auditActions())
}
