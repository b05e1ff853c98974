package domain

// Fuzz targets for the policy parser and the data-list validator (issue 7, item 3). The seed
// corpus (f.Add below and testdata/fuzz/<Target>/) runs in every plain `go test`; a real run
// is `go test -run='^$' -fuzz=FuzzPolicyJSON -fuzztime=30s ./internal/domain/`.
//
// The bounds it found (a deadline day not in every year, trial_run_months / follow-up /
// om_reminder_days / test durations that overflow the date helpers) are refused by
// Policy.Validate now; TestPolicyValidateBounds pins each of them.

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/require"

	"egovpm/internal/calendar"
)

// validPolicyJSON is the 2021 policy of schema/0002_lifecycle.sql.
const validPolicyJSON = `{
  "version": "2021", "small_threshold_fen": 1000000000,
  "bundle_approver_role": "ndrc_approver", "bundle_approver_org": "ndrc",
  "project_approver_role": "ndrc_approver", "project_approver_org": "ndrc",
  "deadline_month": 6, "deadline_day": 30, "panel_min": 3, "review_due_workdays": 5,
  "trial_run_months": 1, "acceptance_follow_up_days": 30, "om_filing_month": 1, "om_filing_day": 31,
  "reminders": [{"month": 6, "day": 1}, {"month": 6, "day": 20}, {"month": 6, "day": 27}, {"month": 7, "day": 1}],
  "mlps_filing_from_level": 2, "crypto_plan_at_approval": true, "crypto_assessment_gate": true}`

// withPolicy returns the 2021 policy with fields replaced (raw JSON values).
func withPolicy(fields map[string]string) []byte {
	var m map[string]json.RawMessage
	if err := json.Unmarshal([]byte(validPolicyJSON), &m); err != nil {
		panic(err)
	}
	for k, v := range fields {
		m[k] = json.RawMessage(v)
	}
	b, err := json.Marshal(m)
	if err != nil {
		panic(err)
	}
	return b
}

// FuzzPolicyJSON: any JSON either fails to decode or Validate, or gives a policy whose rule
// helpers are consistent: the R2 deadline is on the policy day of planYear-1, a trial run ends
// after it starts (R11), O&M deadlines follow the start and each other and their reminder
// comes before them (R13, T4), the T3 follow-up is positive, and the R12/R17 documents follow
// the security gates. The policy also survives a JSON round trip unchanged.
func FuzzPolicyJSON(f *testing.F) {
	test := `"test_only": true, "trial_run": "5s", "om_year": "6s", "acceptance_follow_up": "30s"`
	for _, b := range [][]byte{
		[]byte(validPolicyJSON),
		withPolicy(map[string]string{"version": `"2023"`, "bundle_approver_role": `"drb_supervisor"`, "project_approver_role": `"drb_supervisor"`}),
		[]byte(strings.Replace(validPolicyJSON, `"crypto_assessment_gate": true`, `"crypto_assessment_gate": true, `+test, 1)),
		withPolicy(map[string]string{"data_list_fields": `[{"name":"resource","label":"数据资源","required":true,"max_len":10},{"name":"sharing","label":"共享","enum":["a","b"]}]`}),
		withPolicy(map[string]string{"deadline_month": "12", "deadline_day": "31", "om_filing_month": "12", "om_filing_day": "31", "om_reminder_days": "400"}),
		withPolicy(map[string]string{"deadline_month": "2", "deadline_day": "30"}),
		withPolicy(map[string]string{"om_filing_month": "4", "om_filing_day": "31"}),
		withPolicy(map[string]string{"trial_run_months": "1000000000000000"}),
		withPolicy(map[string]string{"trial_run_months": "9223372036854775807"}),
		withPolicy(map[string]string{"acceptance_follow_up_days": "106752"}),
		withPolicy(map[string]string{"om_reminder_days": "-5"}),
		withPolicy(map[string]string{"om_reminder_days": "9223372036854775807"}),
		withPolicy(map[string]string{"test_only": "true", "om_year": `"2ns"`}),
		withPolicy(map[string]string{"test_only": "true", "om_year": `"2562047h47m16.854775807s"`}),
		withPolicy(map[string]string{"test_only": "true", "trial_run": `"-5s"`}),
		withPolicy(map[string]string{"panel_min": "4"}),
		withPolicy(map[string]string{"version": `""`}),
		withPolicy(map[string]string{"om_year": `5`}),
		withPolicy(map[string]string{"reminders": `null`, "data_list_fields": `[]`}),
		[]byte(`{}`), []byte(`null`), []byte(`[]`), []byte(`{"version":`), []byte(`{"trial_run":"1.5e3h"}`),
	} {
		f.Add(b, uint8(27), int64(1782864000), uint8(0), uint8(1), uint8(2), true)
	}
	f.Add([]byte(`{"trial_run_months": 1000000000000000}`), uint8(0), int64(0), uint8(0), uint8(0), uint8(0), false)
	f.Add([]byte(`{"deadline_month": 9, "deadline_day": 31, "om_reminder_days": 30}`), uint8(200), int64(-1), uint8(99), uint8(99), uint8(4), true)
	f.Fuzz(func(t *testing.T, data []byte, planYearSel uint8, startSec int64, calYearSel, nSel, mlps uint8, crypto bool) {
		// The JSON as the store reads it, and the JSON laid over the 2021 policy (so a small
		// object like {"trial_run_months": 7} reaches the helpers past Validate).
		var base Policy
		if err := json.Unmarshal([]byte(validPolicyJSON), &base); err != nil {
			t.Fatal(err)
		}
		for _, p := range []Policy{{}, base} {
			if err := json.Unmarshal(data, &p); err != nil {
				continue
			}
			if err := p.Validate(); err != nil {
				continue
			}
			checkPolicy(t, p, planYearSel, startSec, calYearSel, nSel, mlps, crypto)
		}
	})
}

// checkPolicy asserts FuzzPolicyJSON's properties of a valid policy.
func checkPolicy(t *testing.T, p Policy, planYearSel uint8, startSec int64, calYearSel, nSel, mlps uint8, crypto bool) {
	t.Helper()
	check := func(ok bool, format string, args ...any) {
		t.Helper()
		if !ok {
			t.Fatalf(format, args...)
		}
	}
	sh := calendar.Shanghai

	// Round trip: what the store reads back is the same policy.
	b, err := json.Marshal(p)
	require.NoError(t, err)
	var q Policy
	require.NoError(t, json.Unmarshal(b, &q))
	require.NoError(t, q.Validate())
	b2, err := json.Marshal(q)
	require.NoError(t, err)
	require.JSONEq(t, string(b), string(b2))

	// R2: the deadline for plan year Y is the policy day of Y-1 at 23:59:59 (plan years the
	// API accepts: 2000..2200).
	planYear := 2000 + int(planYearSel)%201
	d := p.SubmissionDeadline(planYear, sh)
	require.Equal(t, planYear-1, d.Year(), "deadline %s for plan year %d", d, planYear)
	require.Equal(t, sh, d.Location())
	require.Equal(t, [3]int{23, 59, 59}, [3]int{d.Hour(), d.Minute(), d.Second()})
	check(int(d.Month()) == p.DeadlineMonth && d.Day() == p.DeadlineDay,
		"deadline %s is not the policy day %d-%d", d, p.DeadlineMonth, p.DeadlineDay)

	// A start in 2000..2299 (Shanghai).
	lo := time.Date(2000, 1, 1, 0, 0, 0, 0, sh).Unix()
	span := time.Date(2300, 1, 1, 0, 0, 0, 0, sh).Unix() - lo
	start := time.Unix(lo+((startSec%span)+span)%span, 0).In(sh)

	// R11: the trial run ends after it starts.
	end := p.TrialRunEnd(start, sh)
	check(end.After(start), "trial run from %s ends at %s", start, end)

	// R13/T4: O&M year n's deadline is after the start, later than year n-1's, and its
	// reminder comes before it.
	n := 1 + int(nSel)%100
	calYear := start.Year() + int(calYearSel)%100
	dl := p.OMDeadline(start, calYear, n, sh)
	check(dl.After(start), "O&M deadline %s (year %d, n %d) not after start %s", dl, calYear, n, start)
	if p.OMYear.Duration > 0 {
		prev := p.OMDeadline(start, calYear, n-1, sh)
		check(dl.After(prev), "O&M deadline n=%d %s not after n=%d %s", n, dl, n-1, prev)
	} else {
		require.Equal(t, calYear+1, dl.Year(), "O&M deadline %s for calendar year %d", dl, calYear)
		check(int(dl.Month()) == p.OMFilingMonth && dl.Day() == p.OMFilingDay,
			"O&M deadline %s is not the policy day %d-%d", dl, p.OMFilingMonth, p.OMFilingDay)
	}
	rem := p.OMReminderAt(dl)
	check(rem.Before(dl), "O&M reminder %s not before deadline %s", rem, dl)
	check(dl.Sub(rem) <= 366*24*time.Hour, "O&M reminder %s more than a year before deadline %s", rem, dl)

	// T3: the follow-up delay is positive.
	check(p.FollowUp() > 0, "follow-up %s not positive", p.FollowUp())

	// R12/R17: documents of an acceptance application.
	level := 1 + int(mlps)%5
	docs := p.AcceptanceDocuments(level, crypto)
	require.Equal(t, "trial_run_report", docs[0])
	require.Equal(t, p.MLPSFilingFromLevel > 0 && level >= p.MLPSFilingFromLevel, Contains(docs, "mlps_filing"))
	require.Equal(t, crypto && p.CryptoAssessmentGate, Contains(docs, "crypto_assessment"))
	seen := map[string]bool{}
	for _, k := range docs {
		require.False(t, seen[k], "duplicate document %s", k)
		seen[k] = true
	}

	// R6 and R9 helpers.
	require.True(t, p.Small(p.SmallThresholdFen-1))
	require.False(t, p.Small(p.SmallThresholdFen))
	require.NotEmpty(t, p.ListFields())
	require.Len(t, ValidateDataLists(DataLists{}, p.ListFields()), 3)
}

// FuzzValidateDataLists: any lists and field set give an error map and never panic; an empty
// list (no items, no reason) and a list with both are refused; errors name a path inside the
// list they are about; a list of one item made to the field set is accepted.
func FuzzValidateDataLists(f *testing.F) {
	item := `{"resource":"学籍信息","department":"市教育局","sharing":"conditional","legal_basis":"《安徽省政务数据资源管理办法》","frequency":"每日","interface":"jh-la-edu-001"}`
	for _, s := range []struct{ lists, fields string }{
		{`{"demand":{"items":[` + item + `]},"responsibility":{"items":[` + item + `]},"negative":{"none_reason":"本项目不涉及禁止共享的数据"}}`, ``},
		{`{}`, ``},
		{`{"demand":{"items":[{}]},"responsibility":{"none_reason":"x","items":[{"a":"b"}]},"negative":{"items":[]}}`, ``},
		{`{"demand":{"items":[{"sharing":"sometimes","extra":"x","resource":"` + strings.Repeat("资", 201) + `"}]}}`, ``},
		{`{"negative":{"none_reason":"` + strings.Repeat("无", 700) + `"}}`, ``},
		{`{"negative":{"none_reason":"` + strings.Repeat("x", 2001) + `"}}`, ``},
		{`{"demand":{"items":[{"k":"v"}]}}`, `[{"name":"k","label":"K","required":true,"enum":["v"],"max_len":1}]`},
		{`{"demand":{"items":[{"":""}]}}`, `[{"name":"","label":"","required":true,"max_len":-1},{"name":"","enum":[]}]`},
		{`{"demand":{"items":[{"k":"v"}]}}`, `[]`},
		{`null`, `null`},
	} {
		f.Add([]byte(s.lists), []byte(s.fields))
	}
	f.Fuzz(func(t *testing.T, listsJSON, fieldsJSON []byte) {
		var l DataLists
		if err := json.Unmarshal(listsJSON, &l); err != nil {
			return
		}
		fields := DefaultDataListFields
		if len(fieldsJSON) > 0 {
			var fs []DataListField
			if err := json.Unmarshal(fieldsJSON, &fs); err != nil {
				return
			}
			fields = fs
		}
		errs := ValidateDataLists(l, fields)
		require.NotNil(t, errs)
		require.Equal(t, errs, ValidateDataLists(l, fields), "not deterministic")
		lists := map[string]DataList{"demand": l.Demand, "responsibility": l.Responsibility, "negative": l.Negative}
		for k, v := range errs {
			require.NotEmpty(t, v, k)
			name, rest, _ := strings.Cut(strings.TrimPrefix(k, "data_lists."), ".")
			dl, ok := lists[name]
			require.True(t, ok && strings.HasPrefix(k, "data_lists."), "error key %q names no list", k)
			if strings.HasPrefix(rest, "items[") {
				var i int
				_, err := fmt.Sscanf(rest, "items[%d]", &i)
				require.NoError(t, err, k)
				require.True(t, i >= 0 && i < len(dl.Items), "error key %q beyond %d items", k, len(dl.Items))
			}
		}
		for name, dl := range lists {
			path := "data_lists." + name
			switch {
			case len(dl.Items) == 0 && dl.NoneReason == "":
				require.Contains(t, errs, path, "empty list accepted")
			case len(dl.Items) > 0 && dl.NoneReason != "":
				require.Contains(t, errs, path, "items and none_reason both accepted")
			case len(dl.Items) == 0 && utf8.RuneCountInString(dl.NoneReason) <= 2000 && len(dl.NoneReason) > 2000:
				// The limit is 2000 characters, not bytes: 700 Chinese characters (2100 bytes) pass.
				require.NotContains(t, errs, path+".none_reason", "%d characters refused as over 2000", utf8.RuneCountInString(dl.NoneReason))
			}
		}
		require.Len(t, ValidateDataLists(DataLists{}, fields), 3)

		// One item made to the field set is accepted in every list, when the set allows one.
		it, ok := itemFor(fields)
		if ok {
			one := DataList{Items: []map[string]string{it}}
			require.Empty(t, ValidateDataLists(DataLists{Demand: one, Responsibility: one, Negative: one}, fields), "item %v", it)
		}
	})
}

// itemFor builds an item that satisfies fields, if the set has distinct names and each field
// can be satisfied.
func itemFor(fields []DataListField) (map[string]string, bool) {
	it := map[string]string{}
	for _, f := range fields {
		if _, dup := it[f.Name]; dup {
			return nil, false
		}
		v := "x"
		if len(f.Enum) > 0 {
			v = f.Enum[0]
		}
		if v == "" && f.Required {
			return nil, false
		}
		if f.MaxLen > 0 && utf8.RuneCountInString(v) > f.MaxLen {
			return nil, false
		}
		it[f.Name] = v
	}
	return it, true
}
