package main

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"egovpm/workflows"
)

// omDue is the due date of O&M year 1 of project p as user reads it on the project page.
func (s *stack) omDue(user, p string) time.Time {
	s.t.Helper()
	got := s.do(user, http.MethodGet, "/api/v1/projects/"+p, nil, nil)
	require.Equal(s.t, http.StatusOK, got.Status, "%s", got.Raw)
	y1 := got.Body["om_filings"].([]any)[0].(map[string]any)
	due, err := time.Parse(time.RFC3339, y1["due_at"].(string))
	require.NoError(s.t, err)
	return due
}

// TestE2E_DeadlineExtension (issue 19 item 4, 延期申请; R13, T4) on the real stack, under a
// test policy whose O&M year lasts 20 s: in O&M, the unit's submitter asks DRB to move year
// 1's filing deadline 12 s later (another unit 404, DRB 403, a blank reason or a bad date 400,
// a date not after the deadline 422 invalid_extension_date); a resend with its Idempotency-Key
// answers the same, a second request while one waits is 409 deadline_extension_pending; the
// extension_review task is in DRB's 待办 and the submitter may not decide it; DRB approves: the
// project page shows the new due date, the unit is told, the year is not flagged at the old
// deadline but after the new one. A further request is rejected with a reason and the unit
// told. All audited, the chain verifies.
func TestE2E_DeadlineExtension(t *testing.T) {
	t.Parallel()
	s := newStack(t, "test")
	_, err := s.store.DB().Exec(`INSERT INTO policy_versions (version, effective_from, title, test_only, body)
		SELECT 'test-extend', effective_from, '测试策略（运维年度 20 秒）', true,
			jsonb_set(body, '{version}', '"test-extend"') || '{"om_year": "20s"}'::jsonb
		FROM policy_versions WHERE version = 'test'`)
	require.NoError(t, err)
	s = s.restart(t, "test-extend")
	p := s.approvedLarge("bob", "城市运行管理平台", false)
	s.inOM("bob", p)
	path := "/api/v1/projects/" + p
	due := s.omDue("bob", p)
	newDue := due.Add(12 * time.Second).Truncate(time.Second)
	ask := func(user string, body map[string]any, hdr map[string]string) resp {
		return s.do(user, http.MethodPost, path+"/deadline-extension", body, hdr)
	}
	body := func(at time.Time, reason string) map[string]any {
		return map[string]any{"step": "om_filing", "new_due_at": at.Format(time.RFC3339), "reason": reason}
	}
	require.Equal(t, true, s.do("bob", http.MethodGet, path, nil, nil).Body["can_request_extension"])
	require.Equal(t, false, s.do("drb1", http.MethodGet, path, nil, nil).Body["can_request_extension"])
	require.Equal(t, http.StatusNotFound, ask("alice", body(newDue, "系统迁移"), nil).Status)
	require.Equal(t, http.StatusForbidden, ask("drb1", body(newDue, "系统迁移"), nil).Status)
	require.Equal(t, http.StatusBadRequest, ask("bob", body(newDue, " \u3000"), nil).Status)
	bad := ask("bob", map[string]any{"step": "om_filing", "new_due_at": "下月底", "reason": "系统迁移"}, nil)
	require.Equal(t, http.StatusBadRequest, bad.Status, "%s", bad.Raw)
	early := ask("bob", body(due.Add(-time.Second), "系统迁移"), nil)
	require.Equal(t, http.StatusUnprocessableEntity, early.Status, "%s", early.Raw)
	require.Equal(t, workflows.CodeExtensionDate, early.code())

	key := map[string]string{"Idempotency-Key": "extend-" + p}
	r := ask("bob", body(newDue, "运维单位更换，年度报告需重新编制"), key)
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Raw)
	review := r.str("task_id")
	require.Contains(t, review, "extension_review")
	again := ask("bob", body(newDue, "运维单位更换，年度报告需重新编制"), key)
	require.Equal(t, http.StatusOK, again.Status, "a resend with its key: %s", again.Raw)
	require.Equal(t, r.Body, again.Body)
	pending := ask("bob", body(newDue, "再次申请"), nil)
	require.Equal(t, http.StatusConflict, pending.Status, "%s", pending.Raw)
	require.Equal(t, workflows.CodeExtensionPending, pending.code())
	require.Equal(t, false, s.do("bob", http.MethodGet, path, nil, nil).Body["can_request_extension"])

	require.Equal(t, review, s.openTask("drb1", p, "extension_review"), "the request is in DRB's 待办")
	inbox := s.do("drb1", http.MethodGet, "/api/v1/tasks?kind=extension_review&project_id="+p, nil, nil)
	details := inbox.Body["items"].([]any)[0].(map[string]any)["details"].(map[string]any)
	require.Equal(t, "运维单位更换，年度报告需重新编制", details["reason"], "DRB reads the request with the task: %s", inbox.Raw)
	asked, err := time.Parse(time.RFC3339, details["new_due_at"].(string))
	require.NoError(t, err)
	require.Equal(t, newDue.UTC(), asked.UTC())
	require.Equal(t, http.StatusForbidden, s.decide("bob", review, map[string]any{"decision": "approve"}, nil).Status,
		"the unit's submitter does not decide his own request")
	ok := s.decide("drb1", review, map[string]any{"decision": "approve", "comment": "同意延期"}, nil)
	require.Equal(t, http.StatusOK, ok.Status, "%s", ok.Raw)
	require.Equal(t, "om", ok.str("stage"))
	require.Equal(t, newDue.UTC(), s.omDue("bob", p).UTC(), "the project page shows the new due date")
	var told int
	require.NoError(t, s.store.DB().Get(&told, `SELECT count(*) FROM notifications WHERE project_id = $1
		AND kind = 'deadline_extended' AND user_id = 'u-bob'`, p))
	require.Equal(t, 1, told, "the unit is told of the extension")

	// A further request, rejected with a reason: the unit is told, the date stays.
	r = ask("bob", body(newDue.Add(3*time.Second), "仍需时间"), nil)
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Raw)
	rej := s.decide("drb1", r.str("task_id"), map[string]any{"decision": "reject", "comment": "请按延期后的时间备案"}, nil)
	require.Equal(t, http.StatusOK, rej.Status, "%s", rej.Raw)
	require.NoError(t, s.store.DB().Get(&told, `SELECT count(*) FROM notifications WHERE project_id = $1
		AND kind = 'extension_rejected' AND user_id = 'u-bob'`, p))
	require.Equal(t, 1, told, "the unit is told of the rejection")

	time.Sleep(time.Until(due.Add(2 * time.Second)))
	_, flagged := s.omYears("drb1", p, "overdue")[1]
	require.False(t, flagged, "not flagged at the old deadline")
	require.Equal(t, true, s.do("bob", http.MethodGet, path, nil, nil).Body["can_request_extension"])
	require.EventuallyWithT(t, func(c *assertT) {
		_, ok := s.omYears("drb1", p, "overdue")[1]
		assertEqual(c, true, ok)
	}, 40*time.Second, 250*time.Millisecond, "year 1 flagged overdue after the new deadline")
	require.False(t, time.Now().Before(newDue), "flagged at %s, before the new deadline %s", time.Now(), newDue)
	require.True(t, newDue.Equal(s.omDue("drb1", p)))

	got := s.do("bob", http.MethodGet, path, nil, nil)
	for _, a := range []string{`"extension.request"`, `"task.decide"`, `"om.overdue"`} {
		require.Contains(t, string(got.Raw), a)
	}
	v := s.do("audit1", http.MethodGet, "/api/v1/audit/verify", nil, nil)
	require.Equal(t, true, v.Body["ok"], "%s", v.Raw)
}
