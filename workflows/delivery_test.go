package workflows_test

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/workflow"

	"egovpm/activities"
	"egovpm/internal/calendar"
	"egovpm/internal/domain"
	"egovpm/workflows"
)

// Delivery (R9–R14, T3, T4) tests. Most start ProjectLifecycle with ProjectLifecycleInput.Resume
// set to a state in the delivery stage under test, which skips start() exactly as a
// continue-as-new run does; TestR9_ContractAfterFullApprovalPath plays the whole approval path
// once to show the two halves join.

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

func TestR12_R17_AcceptanceDocumentsPerSecurityGates(t *testing.T) {
	cases := []struct {
		name   string
		mlps   int
		crypto bool
		gate   bool
		kinds  []string
	}{
		{"MLPS 2 with crypto", 2, true, true, []string{"trial_run_report", "mlps_filing", "crypto_assessment"}},
		{"MLPS 3 without crypto", 3, false, true, []string{"trial_run_report", "mlps_filing"}},
		{"MLPS 1 with crypto", 1, true, true, []string{"trial_run_report", "crypto_assessment"}},
		{"MLPS 1 without crypto", 1, false, true, []string{"trial_run_report"}},
		{"crypto gate off", 2, true, false, []string{"trial_run_report", "mlps_filing"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			start := shanghaiTime(2026, 8, 1, 9, 0, 0)
			h := newDelivery(t, start)
			h.setMissing("trial_run_report", "mlps_filing", "crypto_assessment")
			all := h.applyAcceptance(submitter)
			h.setMissing("mlps_filing", "crypto_assessment")
			gates := h.applyAcceptance(submitter)
			h.projectState(func(st workflows.ProjectState) {
				if len(c.kinds) > 1 {
					require.Equal(t, domain.StageTrialRun, st.Stage)
					require.Zero(t, st.AcceptanceRound, "a refused application opens no round")
				} else {
					require.Equal(t, domain.StageAcceptance, st.Stage, "only the trial-run report is needed")
				}
			})
			h.setMissing()
			ok := h.applyAcceptance(submitter)
			h.cancel()
			pol := policy2021()
			pol.CryptoAssessmentGate = c.gate
			in := resumedInput(pol, trialRunOver(start))
			in.MLPSLevel, in.UsesCrypto = c.mlps, c.crypto
			h.runLifecycle(in)
			h.requireCancelled()

			requireRefused(t, all, domain.StatusUnprocessable, "documents_missing")
			require.Equal(t, toAny(c.kinds), refusalExtra(t, all)["missing"])
			if len(c.kinds) > 1 {
				requireRefused(t, gates, domain.StatusUnprocessable, "documents_missing")
				require.Equal(t, toAny(c.kinds[1:]), refusalExtra(t, gates)["missing"])
			} else {
				requireOK(t, gates)
			}
			if len(c.kinds) > 1 {
				requireOK(t, ok)
			} else {
				requireRejectedByValidator(t, ok, domain.StatusConflict, "wrong_stage")
			}
			for _, call := range h.docsCalls {
				require.Equal(t, activities.DocsInput{ProjectID: "p1", Kinds: c.kinds}, call)
			}
			require.Equal(t, []string{acceptCheck1}, h.openedIDs())
		})
	}
}

func toAny(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

func TestR12_R13_R14_AcceptanceBothPassEntersOM(t *testing.T) {
	start := shanghaiTime(2026, 6, 15, 10, 0, 0)
	h := newDelivery(t, start)
	apply := h.applyAcceptance(submitter)
	twice := h.applyAcceptance(submitter)
	noList := h.decide(workflows.DecideUpdate{TaskID: acceptCheck1, Actor: drbReviewer, Decision: domain.DecisionReturn})
	badDecision := h.decide(workflows.DecideUpdate{TaskID: acceptCheck1, Actor: drbReviewer, Decision: domain.DecisionPass})
	prtaChecks := h.decide(workflows.DecideUpdate{TaskID: acceptCheck1, Actor: prtaWitness, Decision: domain.DecisionApprove})
	check := h.decide(workflows.DecideUpdate{TaskID: acceptCheck1, Actor: drbReviewer, Decision: domain.DecisionApprove, Comment: "材料齐全"})
	h.projectState(func(st workflows.ProjectState) {
		require.Equal(t, domain.StageAcceptance, st.Stage)
		require.Equal(t, []workflows.OpenTask{
			{ID: signoff1, Kind: domain.TaskAcceptanceSignoff, CandidateRole: domain.RoleDRBReviewer, CandidateOrgID: "drb"},
			{ID: witness1, Kind: domain.TaskAcceptanceWitness, CandidateRole: domain.RolePRTAWitness, CandidateOrgID: "prta"},
		}, st.OpenTasks)
	})
	drbWitnesses := h.pass(witness1, drbReviewer)
	prtaSigns := h.pass(signoff1, prtaWitness)
	failNoList := h.decide(workflows.DecideUpdate{TaskID: signoff1, Actor: drbReviewer, Decision: domain.DecisionFail})
	approveIsNotPass := h.decide(workflows.DecideUpdate{TaskID: signoff1, Actor: drbReviewer, Decision: domain.DecisionApprove})
	signoff := h.pass(signoff1, drbReviewer)
	h.projectState(func(st workflows.ProjectState) {
		require.Equal(t, domain.StageAcceptance, st.Stage, "one pass is not acceptance (R12: both required)")
		require.Len(t, st.OpenTasks, 1)
		require.Equal(t, witness1, st.OpenTasks[0].ID)
	})
	var acceptedAt time.Time
	witness := h.updateNoting(workflows.UpdateDecide, workflows.DecideUpdate{TaskID: witness1, Actor: prtaWitness, Decision: domain.DecisionPass}, &acceptedAt)
	h.projectState(func(st workflows.ProjectState) {
		require.Equal(t, domain.StageOM, st.Stage)
		require.Equal(t, []workflows.OpenTask{{ID: evaluation1, Kind: domain.TaskEvaluation, CandidateRole: domain.RoleDRBReviewer, CandidateOrgID: "drb"}}, st.OpenTasks)
		require.Equal(t, 1, st.OMYear)
		require.Equal(t, 2026, st.OMCalendarYear)
		require.False(t, st.OMFiled)
		require.True(t, acceptedAt.Equal(st.OMStart), "O&M starts at acceptance (%s), not %s", acceptedAt, st.OMStart)
		// 2021 policy (R13): 31 January of the next year, 23:59:59 Asia/Shanghai.
		require.True(t, shanghaiTime(2027, 1, 31, 23, 59, 59).Equal(st.OMDeadline), "deadline %s", st.OMDeadline)
	})
	h.cancel()
	h.runLifecycle(resumedInput(policy2021(), trialRunOver(start)))
	h.requireCancelled()

	requireOK(t, apply)
	require.Equal(t, workflows.DecideResult{Decision: workflows.UpdateApplyAcceptance, Stage: domain.StageAcceptance}, apply.result)
	requireRejectedByValidator(t, twice, domain.StatusConflict, "wrong_stage")
	requireRejectedByValidator(t, noList, domain.StatusBadRequest, "invalid_decision")
	requireRejectedByValidator(t, badDecision, domain.StatusBadRequest, "invalid_decision")
	requireRejectedByValidator(t, prtaChecks, domain.StatusForbidden, "wrong_role")
	requireOK(t, check)
	requireRejectedByValidator(t, drbWitnesses, domain.StatusForbidden, "wrong_role")
	requireRejectedByValidator(t, prtaSigns, domain.StatusForbidden, "wrong_role")
	requireRejectedByValidator(t, failNoList, domain.StatusBadRequest, "invalid_decision")
	requireRejectedByValidator(t, approveIsNotPass, domain.StatusBadRequest, "invalid_decision")
	requireOK(t, signoff)
	require.Equal(t, domain.StageAcceptance, signoff.result.(workflows.DecideResult).Stage)
	requireOK(t, witness)
	require.Equal(t, workflows.DecideResult{TaskID: witness1, Decision: domain.DecisionPass, Stage: domain.StageOM}, witness.result)

	require.Equal(t, []domain.Stage{domain.StageAcceptance, domain.StageOM}, h.stages())
	require.Equal(t, []string{acceptCheck1, signoff1, witness1, evaluation1}, h.openedIDs())
	om := h.transitionTo(domain.StageOM)
	require.Equal(t, []domain.TaskClose{{TaskID: witness1, Decision: domain.DecisionPass, ActorID: prtaWitness.ID}}, om.Close)
	require.Equal(t, &domain.OMFiling{Year: 1, DueAt: shanghaiTime(2027, 1, 31, 23, 59, 59)}, normFiling(om.OMFiling))
	require.Equal(t, []domain.NewTask{{ID: evaluation1, Kind: domain.TaskEvaluation, ProjectID: "p1",
		CandidateRole: domain.RoleDRBReviewer, CandidateOrgID: "drb", DueWorkdays: 5}}, om.Open)
	require.Len(t, om.Notify, 1)
	require.Equal(t, "accepted", om.Notify[0].Kind)
	require.Equal(t, unitA, om.Notify[0].OrgID)
	require.Equal(t, []domain.Stage{domain.StageAcceptance, domain.StageOM}, h.reportedStages())
}

// normFiling puts a filing's due time in Asia/Shanghai so that require.Equal compares instants.
func normFiling(f *domain.OMFiling) *domain.OMFiling {
	if f == nil {
		return nil
	}
	c := *f
	c.DueAt = c.DueAt.In(calendar.Shanghai)
	return &c
}

func TestR12_FailGoesToRectificationAndReapplicationOpensNewRound(t *testing.T) {
	start := shanghaiTime(2026, 6, 15, 10, 0, 0)
	h := newDelivery(t, start)
	// Round a1: DRB's completeness check returns a rectification list.
	h.applyAcceptance(submitter)
	ret := h.decide(workflows.DecideUpdate{TaskID: acceptCheck1, Actor: drbReviewer, Decision: domain.DecisionReturn, Comment: "缺少试运行问题清单"})
	h.projectState(func(st workflows.ProjectState) {
		require.Equal(t, domain.StageRectification, st.Stage)
		require.Empty(t, st.OpenTasks)
	})
	otherUnit := h.applyAcceptance(otherSubmit)
	// Round a2: checked, then PRTA's witness fails; DRB's sign-off is cancelled.
	reapply := h.applyAcceptance(submitter) // no trial-run check in rectification
	h.projectState(func(st workflows.ProjectState) {
		require.Equal(t, domain.StageAcceptance, st.Stage)
		require.Equal(t, 2, st.AcceptanceRound)
		require.Equal(t, []workflows.OpenTask{{ID: acceptCheck2, Kind: domain.TaskAcceptanceCheck, CandidateRole: domain.RoleDRBReviewer, CandidateOrgID: "drb"}}, st.OpenTasks)
	})
	h.decide(workflows.DecideUpdate{TaskID: acceptCheck2, Actor: drbReviewer, Decision: domain.DecisionApprove})
	fail := h.decide(workflows.DecideUpdate{TaskID: witness2, Actor: prtaWitness, Decision: domain.DecisionFail, Comment: "接口未联调"})
	staleSignoff := h.pass(signoff2, drbReviewer)
	h.projectState(func(st workflows.ProjectState) {
		require.Equal(t, domain.StageRectification, st.Stage)
		require.Empty(t, st.OpenTasks)
	})
	// Round a3: both pass (witness first this time).
	h.applyAcceptance(submitter)
	h.decide(workflows.DecideUpdate{TaskID: acceptCheck3, Actor: drbReviewer, Decision: domain.DecisionApprove})
	w3 := h.pass(witness3, prtaWitness)
	h.projectState(func(st workflows.ProjectState) { require.Equal(t, domain.StageAcceptance, st.Stage) })
	s3 := h.pass(signoff3, drbReviewer)
	oldRound := h.pass(signoff1, drbReviewer)
	h.projectState(func(st workflows.ProjectState) {
		require.Equal(t, domain.StageOM, st.Stage)
		require.Equal(t, 3, st.AcceptanceRound)
	})
	h.cancel()
	h.runLifecycle(resumedInput(policy2021(), trialRunOver(start)))
	h.requireCancelled()

	requireOK(t, ret)
	requireRejectedByValidator(t, otherUnit, domain.StatusForbidden, "forbidden")
	requireOK(t, reapply)
	requireOK(t, fail)
	require.Equal(t, domain.StageRectification, fail.result.(workflows.DecideResult).Stage)
	requireRejectedByValidator(t, staleSignoff, domain.StatusConflict, "stale_task")
	requireOK(t, w3)
	requireOK(t, s3)
	requireRejectedByValidator(t, oldRound, domain.StatusConflict, "stale_task")

	require.Equal(t, []domain.Stage{domain.StageAcceptance, domain.StageRectification, domain.StageAcceptance,
		domain.StageRectification, domain.StageAcceptance, domain.StageOM}, h.stages())
	// History is kept: every round's tasks exist side by side.
	require.Equal(t, []string{acceptCheck1, acceptCheck2, signoff2, witness2, acceptCheck3, signoff3, witness3, evaluation1}, h.openedIDs())

	rect := h.notices("rectification")
	require.Len(t, rect, 2)
	require.Equal(t, "缺少试运行问题清单", rect[0].Body)
	require.Equal(t, "接口未联调", rect[1].Body)
	require.Equal(t, unitA, rect[1].OrgID)

	var failed domain.Transition
	for _, tr := range h.transitions {
		if len(tr.Close) > 0 && tr.Close[0].TaskID == witness2 {
			failed = tr
		}
	}
	require.Equal(t, []domain.TaskClose{
		{TaskID: witness2, Decision: domain.DecisionFail, ActorID: prtaWitness.ID, Comment: "接口未联调"},
		{TaskID: signoff2, ActorID: prtaWitness.ID, Cancelled: true},
	}, failed.Close, "the other decision of the round is cancelled")
	var rounds []any
	for _, tr := range h.withAudit("acceptance.apply") {
		rounds = append(rounds, tr.Audit[0].Detail["round"])
	}
	require.Equal(t, []any{1, 2, 3}, rounds)
}

func TestR14_EvaluationDecision(t *testing.T) {
	start := shanghaiTime(2026, 9, 1, 9, 0, 0)
	h := newDelivery(t, start)
	eval := func(actor domain.Actor, decision string, s *int, grade, findings string) *outcome {
		return h.decide(workflows.DecideUpdate{TaskID: evaluation1, Actor: actor, Decision: decision, Score: s, Grade: grade, Comment: findings})
	}
	cases := []struct {
		name   string
		o      *outcome
		status domain.Kind
		code   string
	}{
		{"score missing", eval(drbReviewer, domain.DecisionApprove, nil, "good", "运行平稳"), domain.StatusBadRequest, "invalid_decision"},
		{"score above 100", eval(drbReviewer, domain.DecisionApprove, score(101), "good", "运行平稳"), domain.StatusBadRequest, "invalid_decision"},
		{"score below 0", eval(drbReviewer, domain.DecisionApprove, score(-1), "good", "运行平稳"), domain.StatusBadRequest, "invalid_decision"},
		{"grade missing", eval(drbReviewer, domain.DecisionApprove, score(85), "", "运行平稳"), domain.StatusBadRequest, "invalid_decision"},
		{"grade unknown", eval(drbReviewer, domain.DecisionApprove, score(85), "great", "运行平稳"), domain.StatusBadRequest, "invalid_decision"},
		{"findings missing", eval(drbReviewer, domain.DecisionApprove, score(85), "good", ""), domain.StatusBadRequest, "invalid_decision"},
		{"pass is not an evaluation decision", eval(drbReviewer, domain.DecisionPass, score(85), "good", "运行平稳"), domain.StatusBadRequest, "invalid_decision"},
		{"PRTA does not evaluate", eval(prtaWitness, domain.DecisionApprove, score(85), "good", "运行平稳"), domain.StatusForbidden, "wrong_role"},
	}
	edge0 := eval(drbReviewer, domain.DecisionApprove, score(0), "poor", "未达预期")
	h.projectState(func(st workflows.ProjectState) {
		require.Empty(t, st.OpenTasks, "score 0 is a valid score")
		require.Equal(t, domain.StageOM, st.Stage)
	})
	again := eval(drbReviewer, domain.DecisionApprove, score(85), "good", "运行平稳")
	h.cancel()
	h.runLifecycle(resumedInput(policy2021(), workflows.ProjectState{Stage: domain.StageOM,
		OpenTasks: []workflows.OpenTask{{ID: evaluation1, Kind: domain.TaskEvaluation, CandidateRole: domain.RoleDRBReviewer, CandidateOrgID: "drb"}},
		OMStart:   start.Add(-30 * 24 * time.Hour), OMCalendarYear: 2026, OMYear: 1, OMDeadline: shanghaiTime(2027, 1, 31, 23, 59, 59)}))
	h.requireCancelled()

	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { requireRejectedByValidator(t, c.o, c.status, c.code) })
	}
	requireOK(t, edge0)
	requireRejectedByValidator(t, again, domain.StatusConflict, "stale_task")
	require.Len(t, h.transitions, 1)
	tr := h.transitions[0]
	require.Empty(t, tr.Stage, "an evaluation leaves the project in O&M")
	require.Equal(t, &domain.Evaluation{Score: 0, Grade: "poor", Findings: "未达预期", EvaluatedBy: drbReviewer.ID}, tr.Evaluation)
	require.Equal(t, []domain.TaskClose{{TaskID: evaluation1, Decision: domain.DecisionApprove, ActorID: drbReviewer.ID, Comment: "未达预期"}}, tr.Close)
	require.Equal(t, 0, tr.Audit[0].Detail["score"])
	require.Equal(t, "poor", tr.Audit[0].Detail["grade"])
}

func TestR14_EvaluationRecorded(t *testing.T) {
	h := newDelivery(t, shanghaiTime(2026, 9, 1, 9, 0, 0))
	ok := h.decide(workflows.DecideUpdate{TaskID: evaluation1, Actor: drbReviewer, Decision: domain.DecisionApprove, Score: score(86), Grade: "good",
		Comment: "目标基本达成；数据共享接口调用量偏低"})
	h.cancel()
	h.runLifecycle(resumedInput(shortPolicy(), workflows.ProjectState{Stage: domain.StageOM,
		OpenTasks: []workflows.OpenTask{{ID: evaluation1, Kind: domain.TaskEvaluation, CandidateRole: domain.RoleDRBReviewer, CandidateOrgID: "drb"}},
		OMStart:   shanghaiTime(2026, 9, 1, 8, 30, 0), OMYear: 1, OMDeadline: shanghaiTime(2026, 9, 1, 9, 30, 0)}))
	h.requireCancelled()

	requireOK(t, ok)
	require.Equal(t, &domain.Evaluation{Score: 86, Grade: "good", Findings: "目标基本达成；数据共享接口调用量偏低", EvaluatedBy: drbReviewer.ID},
		h.transitions[0].Evaluation)
}

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
// queued messages are still handled before the run continues as new, so the report is refused
// (wrong year) rather than answered "filed" with nothing written.
func TestR13_OMReportRacingTheDeadlineIsNeverSilentlyLost(t *testing.T) {
	start := shanghaiTime(2026, 9, 1, 9, 0, 0)
	h := newDelivery(t, start)
	h.skipTo(time.Hour) // exactly the deadline of the test policy's O&M year 1
	report := h.omReport(submitter, 1)
	h.runLifecycle(resumedInput(shortPolicy(), workflows.ProjectState{Stage: domain.StageOM, OMStart: start, OMYear: 1,
		OMDeadline: start.Add(time.Hour)}))
	h.requireContinuedAsNew()

	require.True(t, report.accepted, "the validator ran before the deadline was handled")
	filings := h.omFilings()
	if report.err == nil {
		require.True(t, filings[0].Filed, "a report answered without error must be filed, not flagged overdue: %+v", filings)
	} else {
		requireRefused(t, report, domain.StatusUnprocessable, "wrong_om_year")
	}
}
