package main

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// inboxHas reports whether task is in user's 待办 (GET /tasks) for project p.
func (s *stack) inboxHas(user, p, task string) bool {
	r := s.do(user, http.MethodGet, "/api/v1/tasks?project_id="+p, nil, nil)
	require.Equal(s.t, http.StatusOK, r.Status, "%s", r.Raw)
	for _, it := range r.Body["items"].([]any) {
		if it.(map[string]any)["id"] == task {
			return true
		}
	}
	return false
}

// TestE2E_Deputy (代理人, issue 19 item 6) on the real stack: drb1 holds a preliminary review;
// a deputy of another org, himself, someone else's absence (not an administrator) and a period
// already past are refused; drb1 records an absence of an hour with drbsup as deputy (a second,
// overlapping, is 409); drbsup cannot take the task over before, and after it shows in his 待办;
// a task the supervisor gives drb1 meanwhile notifies drbsup too; drbsup takes the first over
// (代理: the task is his, audited task.deputize, drb1 told) and decides it, drb1 no longer can;
// once drb1 ends the absence, drbsup's 待办 no longer shows drb1's tasks. Audited, the chain
// verifies.
func TestE2E_Deputy(t *testing.T) {
	t.Parallel()
	s := newStack(t, "test")
	year := futureYear()
	p := s.createProject("alice", "代理测试：市民卡平台", year, 100_000_000)
	s.submit("alice", p)
	prelim := s.openTask("drb1", p, "prelim_review")
	require.Equal(t, http.StatusOK, s.do("drb1", http.MethodPost, "/api/v1/tasks/"+prelim+"/claim", nil, nil).Status)
	require.False(t, s.inboxHas("drbsup", p, prelim), "a task drb1 holds is not drbsup's")
	before := s.do("drbsup", http.MethodPost, "/api/v1/tasks/"+prelim+"/deputize", map[string]any{}, nil)
	require.Equal(t, http.StatusForbidden, before.Status, "%s", before.Raw)

	end := time.Now().Add(time.Hour).Format(time.RFC3339)
	absence := func(user string, body map[string]any) resp {
		return s.do(user, http.MethodPost, "/api/v1/absences", body, nil)
	}
	other := absence("drb1", map[string]any{"deputy_id": "u-alice", "ends_at": end})
	require.Equal(t, http.StatusUnprocessableEntity, other.Status, "%s", other.Raw)
	require.Equal(t, "deputy_not_eligible", other.code())
	self := absence("drb1", map[string]any{"deputy_id": "u-drb1", "ends_at": end})
	require.Equal(t, "deputy_not_eligible", self.code())
	forOther := absence("drb1", map[string]any{"user_id": "u-drbsup", "deputy_id": "u-drb1", "ends_at": end})
	require.Equal(t, http.StatusForbidden, forOther.Status, "%s", forOther.Raw)
	past := absence("drb1", map[string]any{"deputy_id": "u-drbsup", "ends_at": time.Now().Add(-time.Hour).Format(time.RFC3339)})
	require.Equal(t, http.StatusBadRequest, past.Status, "%s", past.Raw)
	r := absence("drb1", map[string]any{"deputy_id": "u-drbsup", "ends_at": end, "reason": "公休假"})
	require.Equal(t, http.StatusCreated, r.Status, "%s", r.Raw)
	id := r.str("id")
	require.Equal(t, "赵督（市数管局）", r.str("deputy_name"))
	again := absence("drb1", map[string]any{"deputy_id": "u-drbsup", "ends_at": end})
	require.Equal(t, http.StatusConflict, again.Status, "%s", again.Raw)
	require.Equal(t, "absence_overlaps", again.code())
	byAdmin := absence("admin", map[string]any{"user_id": "u-drbsup", "deputy_id": "u-drb1", "ends_at": end})
	require.Equal(t, http.StatusCreated, byAdmin.Status, "an administrator sets anyone's: %s", byAdmin.Raw)
	require.Len(t, s.do("drbsup", http.MethodGet, "/api/v1/absences", nil, nil).Body["items"], 2, "his own and the one he stands in for")
	require.Empty(t, s.do("alice", http.MethodGet, "/api/v1/absences", nil, nil).Body["items"])
	require.Equal(t, http.StatusOK, s.do("admin", http.MethodPost, "/api/v1/absences/"+byAdmin.str("id")+"/end", nil, nil).Status)

	require.True(t, s.inboxHas("drbsup", p, prelim), "the absent reviewer's task shows in his deputy's 待办")
	q := s.createProject("alice", "代理测试：社保查询", year, 100_000_000)
	s.submit("alice", q)
	second := s.openTask("drb1", q, "prelim_review")
	moved := s.do("drbsup", http.MethodPost, "/api/v1/tasks/"+second+"/reassign", map[string]any{"assignee_id": "u-drb1", "reason": "指定办理"}, nil)
	require.Equal(t, http.StatusOK, moved.Status, "%s", moved.Raw)
	var told int
	require.EventuallyWithT(t, func(c *assertT) {
		require.NoError(t, s.store.DB().Get(&told, `SELECT count(*) FROM notifications WHERE task_id = $1
			AND kind = 'task_reassigned' AND user_id = 'u-drbsup'`, second))
		assertEqual(c, 1, told)
	}, 10*time.Second, 100*time.Millisecond, "a notification to the absent reviewer reaches his deputy")

	took := s.do("drbsup", http.MethodPost, "/api/v1/tasks/"+prelim+"/deputize", map[string]any{"comment": "代为初审"}, nil)
	require.Equal(t, http.StatusOK, took.Status, "%s", took.Raw)
	require.Equal(t, "u-drbsup", took.str("assignee_id"))
	require.Equal(t, http.StatusNotFound, s.decide("drb1", prelim, map[string]any{"decision": "approve"}, nil).Status,
		"the task is the deputy's now")
	ok := s.decide("drbsup", prelim, map[string]any{"decision": "approve", "comment": "代理初审通过"}, nil)
	require.Equal(t, http.StatusOK, ok.Status, "%s", ok.Raw)
	var audited int
	require.NoError(t, s.store.DB().Get(&audited, `SELECT count(*) FROM audit_log WHERE action = 'task.deputize'
		AND actor_id = 'u-drbsup' AND detail->>'from' = 'u-drb1' AND detail->>'task_id' = $1`, prelim))
	require.Equal(t, 1, audited, "the takeover is audited as 代理")
	require.NoError(t, s.store.DB().Get(&told, `SELECT count(*) FROM notifications WHERE task_id = $1
		AND kind = 'task_deputized' AND user_id = 'u-drb1'`, prelim))
	require.Equal(t, 1, told, "the absent reviewer is told")

	require.Equal(t, http.StatusForbidden, s.do("drbsup", http.MethodPost, "/api/v1/absences/"+id+"/end", nil, nil).Status,
		"the deputy does not end the absence")
	require.Equal(t, http.StatusOK, s.do("drb1", http.MethodPost, "/api/v1/absences/"+id+"/end", nil, nil).Status)
	require.False(t, s.inboxHas("drbsup", q, second), "after the absence drb1's tasks leave the deputy's 待办")
	require.NoError(t, s.store.DB().Get(&audited, `SELECT count(*) FROM audit_log WHERE action IN ('absence.create', 'absence.end')
		AND object_id = 'u-drb1'`))
	require.Equal(t, 2, audited)
	v := s.do("audit1", http.MethodGet, "/api/v1/audit/verify", nil, nil)
	require.Equal(t, true, v.Body["ok"], "%s", v.Raw)
}
