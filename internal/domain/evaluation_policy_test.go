package domain

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// R14 (issue 19 item 9): the evaluation period fields are bounded, and the short durations
// are for test policies only, as the other delivery durations.
func TestR14_EvaluationPeriodFieldsValidated(t *testing.T) {
	for name, fields := range map[string]map[string]string{
		"evaluation_after_months -1":       {"evaluation_after_months": "-1"},
		"evaluation_every_months 121":      {"evaluation_every_months": "121"},
		"evaluation_after outside tests":   {"evaluation_after": `"30s"`},
		"evaluation_every outside tests":   {"evaluation_every": `"30s"`},
		"evaluation_after 2ns":             {"test_only": "true", "evaluation_after": `"2ns"`},
		"evaluation_every over 366 days":   {"test_only": "true", "evaluation_every": `"9000h"`},
		"evaluation_every negative (test)": {"test_only": "true", "evaluation_every": `"-5s"`},
	} {
		var p Policy
		require.NoError(t, json.Unmarshal(withPolicy(fields), &p), name)
		require.Error(t, p.Validate(), name)
	}
	for name, fields := range map[string]map[string]string{
		"absent (at acceptance, once)": {},
		"after 12 months, every 12":    {"evaluation_after_months": "12", "evaluation_every_months": "12"},
		"120 months":                   {"evaluation_after_months": "120"},
		"test durations":               {"test_only": "true", "evaluation_after": `"6s"`, "evaluation_every": `"1s"`},
	} {
		var p Policy
		require.NoError(t, json.Unmarshal(withPolicy(fields), &p), name)
		require.NoError(t, p.Validate(), name)
	}
}

// R14: when each evaluation round opens: at acceptance and once without the fields; after
// the period in calendar months of Asia/Shanghai (a month-end clamps to the shorter month);
// test durations add up.
func TestR14_EvaluationAt(t *testing.T) {
	sh, err := time.LoadLocation("Asia/Shanghai")
	require.NoError(t, err)
	start := time.Date(2026, 1, 31, 10, 0, 0, 0, sh)
	var none Policy
	at, ok := none.EvaluationAt(start, 1, sh)
	require.True(t, ok)
	require.True(t, start.Equal(at), "no period: at acceptance")
	_, ok = none.EvaluationAt(start, 2, sh)
	require.False(t, ok, "no recurrence: once")

	yearly := Policy{EvaluationAfterMonths: 1, EvaluationEveryMonths: 12}
	at, _ = yearly.EvaluationAt(start, 1, sh)
	require.True(t, time.Date(2026, 2, 28, 10, 0, 0, 0, sh).Equal(at), "31 January + 1 month: %s", at)
	at, ok = yearly.EvaluationAt(start, 3, sh)
	require.True(t, ok)
	require.True(t, time.Date(2028, 2, 29, 10, 0, 0, 0, sh).Equal(at), "round 3: 1 + 2×12 months, a leap February: %s", at)
	once := Policy{EvaluationAfterMonths: 6}
	_, ok = once.EvaluationAt(start, 2, sh)
	require.False(t, ok)

	short := Policy{TestOnly: true, EvaluationAfter: Duration{6 * time.Second}, EvaluationEvery: Duration{4 * time.Second}}
	at, _ = short.EvaluationAt(start, 3, sh)
	require.Equal(t, 14*time.Second, at.Sub(start))
	recurOnly := Policy{TestOnly: true, EvaluationEvery: Duration{4 * time.Second}}
	at, _ = recurOnly.EvaluationAt(start, 1, sh)
	require.True(t, start.Equal(at), "test recurrence without a period: round 1 at acceptance")
}
