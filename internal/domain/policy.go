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
	// PanelMin (R4): smallest (odd) expert panel after recusal.
	PanelMin int `json:"panel_min"`
	// ReviewDueWorkdays (T2): working days a reviewer has for a task.
	ReviewDueWorkdays int `json:"review_due_workdays"`
	// TrialRunMonths (R11): calendar months of trial run; TrialRun overrides it when set
	// (test policies only).
	TrialRunMonths int      `json:"trial_run_months"`
	TrialRun       Duration `json:"trial_run,omitempty"`
	// AcceptanceFollowUpDays (T3).
	AcceptanceFollowUpDays int `json:"acceptance_follow_up_days"`
	// OMFilingMonth/Day (R13): the annual O&M report is due by this day of the next year.
	OMFilingMonth int `json:"om_filing_month"`
	OMFilingDay   int `json:"om_filing_day"`
	// Reminders (T1): month/day in year Y for unsubmitted drafts, and the window-closed day.
	Reminders []MonthDay `json:"reminders"`
	// Security gates (R17).
	MLPSFilingFromLevel  int  `json:"mlps_filing_from_level"`
	CryptoPlanAtApproval bool `json:"crypto_plan_at_approval"`
	CryptoAssessmentGate bool `json:"crypto_assessment_gate"`
	// TestOnly marks a policy with short durations that production mode refuses.
	TestOnly bool `json:"test_only,omitempty"`
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
	if p.PanelMin < 3 || p.PanelMin%2 == 0 {
		errs = append(errs, errors.New("panel_min must be odd and at least 3"))
	}
	if p.ReviewDueWorkdays < 1 {
		errs = append(errs, errors.New("review_due_workdays must be at least 1"))
	}
	if p.TrialRunMonths < 1 && p.TrialRun.Duration <= 0 {
		errs = append(errs, errors.New("trial run must last at least one month (or a test duration)"))
	}
	if p.TrialRun.Duration > 0 && !p.TestOnly {
		errs = append(errs, errors.New("a trial_run duration is allowed in test policies only"))
	}
	return errors.Join(errs...)
}

// SubmissionDeadline returns the R2 deadline for planYear: the policy day of planYear-1 at
// 23:59:59 in loc (Asia/Shanghai).
func (p Policy) SubmissionDeadline(planYear int, loc *time.Location) time.Time {
	return time.Date(planYear-1, time.Month(p.DeadlineMonth), p.DeadlineDay, 23, 59, 59, 0, loc)
}

// Small reports whether an amount goes through a bundle (R6).
func (p Policy) Small(amountFen int64) bool { return amountFen < p.SmallThresholdFen }
