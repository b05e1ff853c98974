package main

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// notices lists user's notifications over HTTP (GET /api/v1/notifications, the bell's source).
func (s *stack) notices(user string) []map[string]any {
	s.t.Helper()
	r := s.do(user, http.MethodGet, "/api/v1/notifications?limit=100", nil, nil)
	require.Equal(s.t, http.StatusOK, r.Status, "%s", r.Raw)
	var out []map[string]any
	for _, it := range r.Body["items"].([]any) {
		out = append(out, it.(map[string]any))
	}
	return out
}

// Issue 19 item 1 on the real stack: a submission opens the prelim review, and each DRB
// reviewer finds the new task in GET /notifications once, with the task and project to open;
// claiming it tells nobody; a return tells the unit once (the workflow's notice and the
// derived one are not doubled), and another unit hears nothing; every notification is mailed
// (the log sender marks it sent).
func TestE2E_NoticesOfTasksAndReturns(t *testing.T) {
	t.Parallel()
	s := newStack(t, "2021")
	name := "不动产登记智能审批"
	p := s.createProject("alice", name, futureYear(), 300_000_000)
	s.submit("alice", p)
	task := s.openTask("drb1", p, "prelim_review")

	for _, user := range []string{"drb1", "drbsup"} {
		require.EventuallyWithT(t, func(c *assertT) {
			ns := s.notices(user)
			if assertLen(c, ns, 1) {
				assertEqual(c, "task", ns[0]["kind"])
				assertEqual(c, "新待办：初审——"+name, ns[0]["title"])
				assertEqual(c, task, ns[0]["task_id"])
				assertEqual(c, p, ns[0]["project_id"])
			}
		}, 20*time.Second, 100*time.Millisecond, "%s is told of the task", user)
	}
	for _, user := range []string{"alice", "bob", "exp2", "ndrc1"} {
		require.Empty(t, s.notices(user), "%s is no candidate", user)
	}

	r := s.do("drb1", http.MethodPost, "/api/v1/tasks/"+task+"/claim", nil, nil)
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Raw)
	var total int
	require.NoError(t, s.store.DB().Get(&total, `SELECT count(*) FROM notifications WHERE project_id = $1`, p))
	require.Equal(t, 2, total, "claiming tells nobody")

	r = s.decide("drb1", task, map[string]any{"decision": "return", "comment": "请补充与省平台的对接方案。"}, nil)
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Raw)
	require.EventuallyWithT(t, func(c *assertT) {
		ns := s.notices("alice")
		if assertLen(c, ns, 1) {
			assertEqual(c, "returned", ns[0]["kind"])
			assertEqual(c, "项目被退回修改："+name, ns[0]["title"])
			assertEqual(c, p, ns[0]["project_id"])
			require.Contains(t, ns[0]["body"], "请补充与省平台的对接方案。")
		}
	}, 20*time.Second, 100*time.Millisecond)
	require.Empty(t, s.notices("bob"), "another unit hears nothing")

	require.EventuallyWithT(t, func(c *assertT) {
		var unsent int
		assertEqual(c, nil, s.store.DB().Get(&unsent, `SELECT count(*) FROM notifications WHERE project_id = $1 AND sent_at IS NULL`, p))
		assertEqual(c, 0, unsent)
	}, 20*time.Second, 200*time.Millisecond, "derived and explicit notices are mailed")
}
