package domain

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"
)

// Policy.Validate refuses the bounds FuzzPolicyJSON found: with any of these the date helpers
// of R2/R11/R13/T3/T4 overflow or shift silently.
func TestPolicyValidateBounds(t *testing.T) {
	var base Policy
	require.NoError(t, json.Unmarshal([]byte(validPolicyJSON), &base))
	require.NoError(t, base.Validate())
	for name, fields := range map[string]map[string]string{
		"deadline 2-30 (R2)":                  {"deadline_month": "2", "deadline_day": "30"},
		"deadline 2-29 (not every year)":      {"deadline_month": "2", "deadline_day": "29"},
		"deadline 9-31":                       {"deadline_month": "9", "deadline_day": "31"},
		"om_filing 4-31 (R13)":                {"om_filing_month": "4", "om_filing_day": "31"},
		"trial_run_months 1e15 (R11)":         {"trial_run_months": "1000000000000000"},
		"trial_run_months 121":                {"trial_run_months": "121"},
		"trial_run_months -1":                 {"trial_run_months": "-1", "test_only": "true", "trial_run": `"5s"`},
		"acceptance_follow_up_days 106752":    {"acceptance_follow_up_days": "106752"},
		"om_reminder_days 400 (T4)":           {"om_reminder_days": "400"},
		"om_reminder_days -5":                 {"om_reminder_days": "-5"},
		"om_year 2ns":                         {"test_only": "true", "om_year": `"2ns"`},
		"om_year near the Duration limit":     {"test_only": "true", "om_year": `"2562047h47m16.854775807s"`},
		"trial_run -5s":                       {"test_only": "true", "trial_run": `"-5s"`, "trial_run_months": "0"},
		"acceptance_follow_up over 366 days":  {"test_only": "true", "acceptance_follow_up": `"9000h"`},
		"plan_close 2-29 (R5 year-end close)": {"plan_close_month": "2", "plan_close_day": "29"},
		"plan_close month without day":        {"plan_close_month": "12"},
		"plan_close_after outside tests":      {"plan_close_after": `"10s"`},
	} {
		var p Policy
		require.NoError(t, json.Unmarshal(withPolicy(fields), &p), name)
		require.Error(t, p.Validate(), name)
	}
	for name, fields := range map[string]map[string]string{
		"deadline 6-30 (the 2021 policy)": {},
		"deadline 2-28":                   {"deadline_month": "2", "deadline_day": "28"},
		"om_filing 12-31":                 {"om_filing_month": "12", "om_filing_day": "31"},
		"trial_run_months 120":            {"trial_run_months": "120"},
		"om_reminder_days 365":            {"om_reminder_days": "365"},
		"om_year 1s (test)":               {"test_only": "true", "om_year": `"1s"`},
		"plan_close 12-31 (R5)":           {"plan_close_month": "12", "plan_close_day": "31"},
		"plan_close_after 10s (test)":     {"test_only": "true", "plan_close_after": `"10s"`},
	} {
		var p Policy
		require.NoError(t, json.Unmarshal(withPolicy(fields), &p), name)
		require.NoError(t, p.Validate(), name)
	}
}
