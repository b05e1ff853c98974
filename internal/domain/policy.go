package domain

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Policy is one version of the rules (R19). The version in force at submission is copied
// into the workflow input and governs the project for its whole life.
type Policy struct {
	Version string `json:"version"`
	// SmallThresholdFen: projects below it go through a bundle (R6). 10,000,000 CNY.
	SmallThresholdFen int64 `json:"small_threshold_fen"`
	// Approvers (R6): the role deciding bundles and large projects; 2021 NDRC, 2023 DRB.
	BundleApproverRole  string `json:"bundle_approver_role"`
	BundleApproverOrg   string `json:"bundle_approver_org"`
	ProjectApproverRole string `json:"project_approver_role"`
	ProjectApproverOrg  string `json:"project_approver_org"`
	// SubmissionDeadline (R2): month/day/hour/min/sec in Asia/Shanghai of year Y for plan year Y+1.
	DeadlineMonth int `json:"deadline_month"`
	DeadlineDay   int `json:"deadline_day"`
	// PanelMin (R4): smallest effective expert panel of a project (after recusal).
	PanelMin int `json:"panel_min"`
	// PanelOdd (R4): the effective panel of each project must have an odd number of experts;
	// absent: true (what every policy said before the field).
	PanelOdd *bool `json:"panel_odd,omitempty"`
	// PanelPassMoreThan (R4): a project passes expert review when more than this share of its
	// effective panel passes it; absent: one half (a strict majority).
	PanelPassMoreThan *Fraction `json:"panel_pass_more_than,omitempty"`
	// ReviewDueWorkdays (T2): working days a reviewer has for a task.
	ReviewDueWorkdays int `json:"review_due_workdays"`
	// TrialRunMonths (R11): calendar months of trial run; TrialRun overrides it when set
	// (test policies only).
	TrialRunMonths int      `json:"trial_run_months"`
	TrialRun       Duration `json:"trial_run,omitempty"`
	// AcceptanceFollowUpDays (T3); AcceptanceFollowUp overrides it in test policies.
	AcceptanceFollowUpDays int      `json:"acceptance_follow_up_days"`
	AcceptanceFollowUp     Duration `json:"acceptance_follow_up,omitempty"`
	// OMYear, in test policies, replaces the calendar O&M year (R13) with a short duration.
	OMYear Duration `json:"om_year,omitempty"`
	// OMFilingMonth/Day (R13): the annual O&M report is due by this day of the next year.
	OMFilingMonth int `json:"om_filing_month"`
	OMFilingDay   int `json:"om_filing_day"`
	// OMReminderDays (T4): the unit is reminded this many days before the filing deadline.
	OMReminderDays int `json:"om_reminder_days,omitempty"`
	// EvaluationAfterMonths (R14): the performance evaluation opens this many calendar months
	// of operation after acceptance; absent or 0: at acceptance.
	// EvaluationEveryMonths: it recurs every so many months after the first; absent or 0:
	// once. EvaluationAfter and EvaluationEvery override them in test policies.
	EvaluationAfterMonths int      `json:"evaluation_after_months,omitempty"`
	EvaluationEveryMonths int      `json:"evaluation_every_months,omitempty"`
	EvaluationAfter       Duration `json:"evaluation_after,omitempty"`
	EvaluationEvery       Duration `json:"evaluation_every,omitempty"`
	// Reminders (T1): month/day in year Y for unsubmitted drafts, and the window-closed day.
	Reminders []MonthDay `json:"reminders"`
	// PlanCloseMonth/Day (R5, issue 19): the year-end close of the plan of year Y, this day of
	// Y at 23:59:59 Asia/Shanghai (the seeded policies: 31 December). Every project of the
	// year still before the plan's decision is then not included. Absent (policies pinned
	// before the field): the plan never closes.
	PlanCloseMonth int `json:"plan_close_month,omitempty"`
	PlanCloseDay   int `json:"plan_close_day,omitempty"`
	// PlanCloseAfter, in test policies, replaces the close day: the plan closes this long after
	// its first run started.
	PlanCloseAfter Duration `json:"plan_close_after,omitzero"`
	// Security gates (R17).
	MLPSFilingFromLevel  int  `json:"mlps_filing_from_level"`
	CryptoPlanAtApproval bool `json:"crypto_plan_at_approval"`
	CryptoAssessmentGate bool `json:"crypto_assessment_gate"`
	// ChangeReapprovalPercent (项目变更): a change request that lowers the approved amount by
	// more than this percentage of it goes back to the authority that approved the project, as
	// every increase does; absent or 0: only increases do (smaller changes go to DRB).
	ChangeReapprovalPercent int `json:"change_reapproval_percent,omitempty"`
	// DataListFields replaces DefaultDataListFields when set (R9: the item schema is configurable).
	DataListFields []DataListField `json:"data_list_fields,omitempty"`
	// TestOnly marks a policy with short durations that production mode refuses.
	TestOnly bool `json:"test_only,omitempty"`
}

// Fraction is a share num/den (R4's majority).
type Fraction struct {
	Num int `json:"num"`
	Den int `json:"den"`
}

// MonthDay is a day of the year.
type MonthDay struct {
	Month int `json:"month"`
	Day   int `json:"day"`
}

// Duration is a time.Duration that reads and writes as a Go duration string in JSON.
type Duration struct{ time.Duration }

// MarshalJSON writes the duration as a string like "90s".
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(d.String()) }

// UnmarshalJSON reads a duration string like "90s".
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("duration: %w", err)
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("duration: %w", err)
	}
	d.Duration = v
	return nil
}

// Validate checks a policy is usable.
func (p Policy) Validate() error {
	var errs []error
	if p.Version == "" {
		errs = append(errs, errors.New("version is empty"))
	}
	if p.SmallThresholdFen <= 0 {
		errs = append(errs, errors.New("small_threshold_fen must be positive"))
	}
	if p.BundleApproverRole == "" || p.ProjectApproverRole == "" {
		errs = append(errs, errors.New("approver roles are required"))
	}
	if p.DeadlineMonth < 1 || p.DeadlineMonth > 12 || p.DeadlineDay < 1 || p.DeadlineDay > 31 {
		errs = append(errs, errors.New("deadline month/day out of range"))
	}
	if p.PanelMin < 3 || (p.PanelMustBeOdd() && p.PanelMin%2 == 0) {
		errs = append(errs, errors.New("panel_min must be at least 3 (and odd while panel_odd)"))
	}
	if f := p.PanelPassMoreThan; f != nil && (f.Den < 1 || f.Den > 100 || f.Num < 1 || f.Num >= f.Den) {
		errs = append(errs, errors.New("panel_pass_more_than must be a share num/den with 1 <= num < den <= 100"))
	}
	if p.PanelMin > 99 {
		errs = append(errs, errors.New("panel_min must be at most 99"))
	}
	if p.ReviewDueWorkdays < 1 {
		errs = append(errs, errors.New("review_due_workdays must be at least 1"))
	}
	if p.OMYear.Duration <= 0 && (p.OMFilingMonth < 1 || p.OMFilingMonth > 12 || p.OMFilingDay < 1 || p.OMFilingDay > 31) {
		errs = append(errs, errors.New("om_filing month/day out of range"))
	}
	if p.AcceptanceFollowUp.Duration <= 0 && p.AcceptanceFollowUpDays < 1 {
		errs = append(errs, errors.New("acceptance_follow_up_days must be at least 1"))
	}
	if p.TrialRunMonths < 1 && p.TrialRun.Duration <= 0 {
		errs = append(errs, errors.New("trial run must last at least one month (or a test duration)"))
	}
	// Bounds that keep the date helpers exact (FuzzPolicyJSON): a day every year has
	// (deadline 2-30 would slide into March), and sizes that neither overflow time.Duration
	// nor put the T4 reminder after its deadline.
	if p.DeadlineMonth >= 1 && p.DeadlineMonth <= 12 && p.DeadlineDay > daysInEveryYear(p.DeadlineMonth) {
		errs = append(errs, fmt.Errorf("deadline %d-%d is not a day of every year", p.DeadlineMonth, p.DeadlineDay))
	}
	if p.OMYear.Duration <= 0 && p.OMFilingMonth >= 1 && p.OMFilingMonth <= 12 && p.OMFilingDay > daysInEveryYear(p.OMFilingMonth) {
		errs = append(errs, fmt.Errorf("om_filing %d-%d is not a day of every year", p.OMFilingMonth, p.OMFilingDay))
	}
	if (p.PlanCloseMonth != 0 || p.PlanCloseDay != 0) && (p.PlanCloseMonth < 1 || p.PlanCloseMonth > 12 || p.PlanCloseDay < 1 ||
		p.PlanCloseDay > daysInEveryYear(p.PlanCloseMonth)) {
		errs = append(errs, fmt.Errorf("plan_close %d-%d is not a day of every year", p.PlanCloseMonth, p.PlanCloseDay))
	}
	if p.TrialRunMonths < 0 || p.TrialRunMonths > 120 {
		errs = append(errs, errors.New("trial_run_months must be within 0..120"))
	}
	if p.AcceptanceFollowUpDays < 0 || p.AcceptanceFollowUpDays > 3650 {
		errs = append(errs, errors.New("acceptance_follow_up_days must be within 0..3650"))
	}
	if p.ChangeReapprovalPercent < 0 || p.ChangeReapprovalPercent > 100 {
		errs = append(errs, errors.New("change_reapproval_percent must be within 0..100"))
	}
	if p.OMReminderDays < 0 || p.OMReminderDays > 365 {
		errs = append(errs, errors.New("om_reminder_days must be within 0..365"))
	}
	const maxTest = 366 * 24 * time.Hour
	for _, d := range []struct {
		name string
		v    time.Duration
	}{{"trial_run", p.TrialRun.Duration}, {"acceptance_follow_up", p.AcceptanceFollowUp.Duration}, {"om_year", p.OMYear.Duration},
		{"plan_close_after", p.PlanCloseAfter.Duration}} {
		if d.v < 0 || d.v > maxTest {
			errs = append(errs, fmt.Errorf("%s must be within 0..366 days", d.name))
		}
	}
	if p.OMYear.Duration > 0 && p.OMYear.Duration < time.Second {
		errs = append(errs, errors.New("om_year must be at least one second"))
	}
	if (p.TrialRun.Duration > 0 || p.OMYear.Duration > 0 || p.AcceptanceFollowUp.Duration > 0 || p.PlanCloseAfter.Duration > 0) && !p.TestOnly {
		errs = append(errs, errors.New("short durations (trial_run, om_year, acceptance_follow_up, plan_close_after) are allowed in test policies only"))
	}
	return errors.Join(append(errs, p.validateEvaluation()...)...)
}

// validateEvaluation checks the R14 evaluation period fields.
func (p Policy) validateEvaluation() []error {
	var errs []error
	if p.EvaluationAfterMonths < 0 || p.EvaluationAfterMonths > 120 || p.EvaluationEveryMonths < 0 || p.EvaluationEveryMonths > 120 {
		errs = append(errs, errors.New("evaluation_after_months and evaluation_every_months must be within 0..120"))
	}
	const maxTest = 366 * 24 * time.Hour
	for _, d := range []struct {
		name string
		v    time.Duration
	}{{"evaluation_after", p.EvaluationAfter.Duration}, {"evaluation_every", p.EvaluationEvery.Duration}} {
		if d.v < 0 || d.v > maxTest {
			errs = append(errs, fmt.Errorf("%s must be within 0..366 days", d.name))
		}
		if d.v > 0 && d.v < time.Second {
			errs = append(errs, fmt.Errorf("%s must be at least one second", d.name))
		}
	}
	if (p.EvaluationAfter.Duration > 0 || p.EvaluationEvery.Duration > 0) && !p.TestOnly {
		errs = append(errs, errors.New("short durations (evaluation_after, evaluation_every) are allowed in test policies only"))
	}
	return errs
}

// EvaluationAt is when evaluation round n (from 1) of a project accepted at start opens (R14):
// round 1 after the policy's period of operation (at start when it has none), each later
// round one recurrence period after the one before. ok is false when round n never opens (the
// policy evaluates once).
func (p Policy) EvaluationAt(start time.Time, n int, loc *time.Location) (at time.Time, ok bool) {
	if n > 1 && p.EvaluationEvery.Duration <= 0 && p.EvaluationEveryMonths <= 0 {
		return time.Time{}, false
	}
	if p.EvaluationAfter.Duration > 0 || p.EvaluationEvery.Duration > 0 {
		return start.Add(p.EvaluationAfter.Duration + time.Duration(n-1)*p.EvaluationEvery.Duration), true
	}
	months := p.EvaluationAfterMonths + (n-1)*p.EvaluationEveryMonths
	if months == 0 {
		return start, true
	}
	return addMonths(start.In(loc), months), true
}

// addMonths is t plus months calendar months, on the same day of the month or, when that
// month is shorter, on its last day (31 January + 1 month is 28 or 29 February).
func addMonths(t time.Time, months int) time.Time {
	first := time.Date(t.Year(), t.Month()+time.Month(months), 1, t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), t.Location())
	last := first.AddDate(0, 1, -1).Day()
	return time.Date(first.Year(), first.Month(), min(t.Day(), last), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), t.Location())
}

// daysInEveryYear is the number of days month m has in every year (February: 28).
func daysInEveryYear(m int) int {
	if m == 2 {
		return 28
	}
	return time.Date(2001, time.Month(m)+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// SubmissionDeadline returns the R2 deadline for planYear: the policy day of planYear-1 at
// 23:59:59 in loc (Asia/Shanghai).
func (p Policy) SubmissionDeadline(planYear int, loc *time.Location) time.Time {
	return time.Date(planYear-1, time.Month(p.DeadlineMonth), p.DeadlineDay, 23, 59, 59, 0, loc)
}

// PlanCloseAt is when the plan of planYear closes (R5, year-end close): the policy day of
// planYear at 23:59:59 in loc, or in a test policy plan_close_after after started (the plan's
// first run). ok is false when the policy has no close (pinned before the field).
func (p Policy) PlanCloseAt(planYear int, started time.Time, loc *time.Location) (at time.Time, ok bool) {
	if p.PlanCloseAfter.Duration > 0 {
		return started.Add(p.PlanCloseAfter.Duration), true
	}
	if p.PlanCloseMonth == 0 {
		return time.Time{}, false
	}
	return time.Date(planYear, time.Month(p.PlanCloseMonth), p.PlanCloseDay, 23, 59, 59, 0, loc), true
}

// PanelMustBeOdd reports whether the effective panel of a project must be odd (R4).
func (p Policy) PanelMustBeOdd() bool { return p.PanelOdd == nil || *p.PanelOdd }

// PanelPasses reports whether passed passes of an effective panel of size experts pass the
// project (R4: more than the policy's share, by default a strict majority).
func (p Policy) PanelPasses(passed, size int) bool {
	f := Fraction{Num: 1, Den: 2}
	if p.PanelPassMoreThan != nil {
		f = *p.PanelPassMoreThan
	}
	return passed*f.Den > size*f.Num
}

// PanelShortfall is how many experts not recused from a project its effective panel of size
// experts lacks (R4: at least PanelMin, odd while the policy says so); 0 when it is valid.
func (p Policy) PanelShortfall(size int) int {
	add := max(p.PanelMin-size, 0)
	if p.PanelMustBeOdd() && (size+add)%2 == 0 {
		add++
	}
	return add
}

// Small reports whether an amount goes through a bundle (R6).
func (p Policy) Small(amountFen int64) bool { return amountFen < p.SmallThresholdFen }

// TrialRunEnd is when a trial run started at start ends (R11): one calendar month (policy) in
// Asia/Shanghai, or the test duration.
func (p Policy) TrialRunEnd(start time.Time, loc *time.Location) time.Time {
	if p.TrialRun.Duration > 0 {
		return start.Add(p.TrialRun.Duration)
	}
	return start.In(loc).AddDate(0, p.TrialRunMonths, 0)
}

// OMDeadline is the filing deadline of O&M year `year` (R13): the policy day of the next year,
// 23:59:59 Asia/Shanghai. With a test om_year, year n (from 1) ends n×om_year after start.
func (p Policy) OMDeadline(start time.Time, calendarYear, n int, loc *time.Location) time.Time {
	if p.OMYear.Duration > 0 {
		return start.Add(time.Duration(n) * p.OMYear.Duration)
	}
	return time.Date(calendarYear+1, time.Month(p.OMFilingMonth), p.OMFilingDay, 23, 59, 59, 0, loc)
}

// FollowUp is the T3 reminder delay after a trial run ends without an acceptance application.
func (p Policy) FollowUp() time.Duration {
	if p.AcceptanceFollowUp.Duration > 0 {
		return p.AcceptanceFollowUp.Duration
	}
	return time.Duration(p.AcceptanceFollowUpDays) * 24 * time.Hour
}

// AcceptanceDocuments lists the documents an acceptance application needs (R12, R17).
func (p Policy) AcceptanceDocuments(mlpsLevel int, usesCrypto bool) []string {
	kinds := []string{"trial_run_report"}
	if p.MLPSFilingFromLevel > 0 && mlpsLevel >= p.MLPSFilingFromLevel {
		kinds = append(kinds, "mlps_filing")
	}
	if usesCrypto && p.CryptoAssessmentGate {
		kinds = append(kinds, "crypto_assessment")
	}
	return kinds
}

// ListFields is the data-list item field set in force (R9).
func (p Policy) ListFields() []DataListField {
	if len(p.DataListFields) > 0 {
		return p.DataListFields
	}
	return DefaultDataListFields
}

// OMReminderAt is when to remind the unit of an O&M filing due at deadline (T4): the policy's
// days before it (default 15), or a third of a test O&M year before it.
func (p Policy) OMReminderAt(deadline time.Time) time.Time {
	if p.OMYear.Duration > 0 {
		return deadline.Add(-p.OMYear.Duration / 3)
	}
	days := p.OMReminderDays
	if days <= 0 {
		days = 15
	}
	return deadline.AddDate(0, 0, -days)
}
