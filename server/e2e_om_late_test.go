package main

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// inOM takes an approved project of user through contract, construction, the trial run (5 s
// in the test policy) and acceptance (R9–R12) into O&M, and returns when it is in stage om.
func (s *stack) inOM(user, p string) {
	t := s.t
	t.Helper()
	path := "/api/v1/projects/" + p
	r := s.do(user, http.MethodPost, path+"/contract", contractBody(900_000_000, "LA-2026-"+p[len(p)-6:]), nil)
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Raw)
	r = s.do(user, http.MethodPost, path+"/construction-complete", nil, nil)
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Raw)
	require.Equal(t, http.StatusCreated, s.upload(user, p, "trial_run_report", pdf).Status)
	require.Equal(t, http.StatusCreated, s.upload(user, p, "mlps_filing", pdf).Status)
	require.EventuallyWithT(t, func(c *assertT) {
		r := s.do(user, http.MethodPost, path+"/acceptance-application", nil, nil)
		assertEqual(c, http.StatusOK, r.Status)
	}, 30*time.Second, 250*time.Millisecond)
	r = s.decide("drb1", s.openTask("drb1", p, "acceptance_check"), map[string]any{"decision": "approve", "comment": "材料齐全"}, nil)
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Raw)
	r = s.decide("drb1", s.openTask("drb1", p, "acceptance_signoff"), map[string]any{"decision": "pass", "comment": "同意验收"}, nil)
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Raw)
	r = s.decide("prta1", s.openTask("prta1", p, "acceptance_witness"), map[string]any{"decision": "pass", "comment": "见证无异议"}, nil)
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Raw)
	require.Equal(t, "om", r.str("stage"))
}

// omYears are the O&M years of project p in GET /api/v1/om-filings?status=status as user reads them.
func (s *stack) omYears(user, p, status string) map[float64]map[string]any {
	r := s.do(user, http.MethodGet, "/api/v1/om-filings?status="+status+"&project_id="+p, nil, nil)
	require.Equal(s.t, http.StatusOK, r.Status, "%s", r.Raw)
	out := map[float64]map[string]any{}
	for _, it := range r.Body["items"].([]any) {
		m := it.(map[string]any)
		out[m["year"].(float64)] = m
	}
	return out
}

// TestE2E_R13_OMFiledLateIsAcceptedMarkedAndToldToDRB: O&M year 1 passes its deadline (6 s in
// the test policy) unfiled and is on DRB's overdue list; the unit files it afterwards: 200
// with late=true, the filing row marked late (and gone from the overdue list), an audit row
// om.file with late, and DRB's reviewers notified (issue 19 item 8). A future year is still
// refused with wrong_om_year.
func TestE2E_R13_OMFiledLateIsAcceptedMarkedAndToldToDRB(t *testing.T) {
	t.Parallel()
	s := newStack(t, "test")
	p := s.approvedLarge("bob", "城市应急指挥平台", false)
	path := "/api/v1/projects/" + p
	s.inOM("bob", p)

	require.EventuallyWithT(t, func(c *assertT) {
		_, ok := s.omYears("drb1", p, "overdue")[1]
		assertEqual(c, true, ok)
	}, 40*time.Second, 250*time.Millisecond, "year 1 flagged overdue on DRB's list")

	d := s.upload("bob", p, "om_report", pdf)
	require.Equal(t, http.StatusCreated, d.Status)
	r := s.do("bob", http.MethodPost, path+"/om-reports", map[string]any{"year": 9, "document_id": d.str("id")}, nil)
	require.Equal(t, http.StatusUnprocessableEntity, r.Status, "%s", r.Raw)
	require.Equal(t, "wrong_om_year", r.code())
	r = s.do("bob", http.MethodPost, path+"/om-reports", map[string]any{"year": 1, "document_id": d.str("id")}, nil)
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Raw)
	require.Equal(t, true, r.Body["late"], "%s", r.Raw)
	require.Equal(t, "om", r.str("stage"))
	r = s.do("bob", http.MethodPost, path+"/om-reports", map[string]any{"year": 1, "document_id": d.str("id")}, nil)
	require.Equal(t, http.StatusUnprocessableEntity, r.Status, "a year filed late is no longer open: %s", r.Raw)
	require.Equal(t, "wrong_om_year", r.code())

	_, still := s.omYears("drb1", p, "overdue")[1]
	require.False(t, still, "a year filed late leaves DRB's overdue list")
	filed := s.omYears("drb1", p, "filed")[1]
	require.NotNil(t, filed)
	require.Equal(t, true, filed["late"])
	require.Equal(t, true, filed["overdue"])
	got := s.do("bob", http.MethodGet, path, nil, nil)
	y1 := got.Body["om_filings"].([]any)[0].(map[string]any)
	require.Equal(t, true, y1["late"])

	var audited int
	require.NoError(t, s.store.DB().Get(&audited, `SELECT count(*) FROM audit_log WHERE action = 'om.file'
		AND object_id = $1 AND detail->>'late' = 'true' AND (detail->>'year')::int = 1`, p))
	require.Equal(t, 1, audited)
	var told []string
	require.NoError(t, s.store.DB().Select(&told, `SELECT user_id FROM notifications WHERE project_id = $1
		AND kind = 'om_late_filing' ORDER BY user_id`, p))
	require.Contains(t, told, "u-drb1", "DRB's reviewers are told a late filing arrived")
	require.NotContains(t, told, "u-bob", "the unit filed it; DRB is told")
	n := s.do("drb1", http.MethodGet, "/api/v1/notifications", nil, nil)
	require.Contains(t, fmt.Sprint(n.Body["items"]), "逾期补报")

	v := s.do("audit1", http.MethodGet, "/api/v1/audit/verify", nil, nil)
	require.Equal(t, true, v.Body["ok"], "%s", v.Raw)
}
