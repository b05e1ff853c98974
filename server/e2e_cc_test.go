package main

import (
	"context"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"
)

// ccNotices are user's notifications of kind decision_cc.
func (s *stack) ccNotices(user string) []map[string]any {
	var out []map[string]any
	for _, n := range s.notices(user) {
		if n["kind"] == "decision_cc" {
			out = append(out, n)
		}
	}
	return out
}

// TestE2E_DecisionCC (抄送, issue 19 item 6): drb1 approves a prelim review and CCs it to fin1
// in person and to the crypto org; each CC'd person is notified once and reads the project
// (not its documents), which they did not before; nobody else gains anything; a CC of someone
// who does not exist is 400 and decides nothing; a resend of the keyed decision CCs nobody
// twice; the audit log has one decision.cc row naming the recipients.
func TestE2E_DecisionCC(t *testing.T) {
	t.Parallel()
	s := newStack(t, "2021")
	name := "抄送测试：社区网格化治理平台"
	p := s.createProject("bob", name, futureYear(), 200_000_000)
	require.Equal(t, http.StatusCreated, s.upload("bob", p, "other", pdf).Status)
	s.submit("bob", p)
	task := s.openTask("drb1", p, "prelim_review")
	for _, u := range []string{"fin1", "crypto1", "ndrc1"} {
		require.Equal(t, http.StatusNotFound, s.do(u, http.MethodGet, "/api/v1/projects/"+p, nil, nil).Status, "%s before the CC", u)
	}

	bad := s.decide("drb1", task, map[string]any{"decision": "approve", "cc_user_ids": []string{"u-nobody"}}, nil)
	require.Equal(t, http.StatusBadRequest, bad.Status, "%s", bad.Raw)
	require.Contains(t, bad.str("error", "fields", "cc_user_ids"), "u-nobody")
	badOrg := s.decide("drb1", task, map[string]any{"decision": "approve", "cc_org_ids": []string{"no-such-org"}}, nil)
	require.Equal(t, http.StatusBadRequest, badOrg.Status, "%s", badOrg.Raw)
	require.Equal(t, "prelim_review", s.do("drb1", http.MethodGet, "/api/v1/projects/"+p, nil, nil).str("stage"), "nothing decided")

	body := map[string]any{"decision": "approve", "comment": "同意，请财政与密码部门知悉", "cc_user_ids": []string{"u-fin1", "u-drb1"},
		"cc_org_ids": []string{"crypto"}}
	key := map[string]string{"Idempotency-Key": "cc-" + task}
	r := s.decide("drb1", task, body, key)
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Raw)
	require.Equal(t, http.StatusOK, s.decide("drb1", task, body, key).Status, "a resend with its key")

	for _, u := range []string{"fin1", "crypto1"} {
		ns := s.ccNotices(u)
		require.Len(t, ns, 1, "%s is told once", u)
		require.Equal(t, "抄送：初审决定——"+name, ns[0]["title"])
		require.Equal(t, "李审（市数管局）：通过。意见：同意，请财政与密码部门知悉", ns[0]["body"])
		require.Equal(t, p, ns[0]["project_id"])
		got := s.do(u, http.MethodGet, "/api/v1/projects/"+p, nil, nil)
		require.Equal(t, http.StatusOK, got.Status, "%s reads the project CC'd to it: %s", u, got.Raw)
		require.Empty(t, got.Body["documents"], "%s sees no document through a CC", u)
		list := s.do(u, http.MethodGet, "/api/v1/projects?limit=100", nil, nil)
		require.Contains(t, string(list.Raw), p, "%s's list shows what its read opens", u)
	}
	require.Empty(t, s.ccNotices("drb1"), "the decider is not CC'd to himself")
	require.Empty(t, s.ccNotices("ndrc1"))
	require.Equal(t, http.StatusNotFound, s.do("ndrc1", http.MethodGet, "/api/v1/projects/"+p, nil, nil).Status)

	var rows []string
	require.NoError(t, s.store.DB().SelectContext(context.Background(), &rows,
		`SELECT detail->>'recipients' FROM audit_log WHERE action = 'decision.cc' AND object_id = $1`, p))
	require.Equal(t, []string{`["u-crypto1", "u-fin1"]`}, rows)
}

// TestE2E_Delegate (委派, issue 19 item 6): drb1 claims a prelim review and delegates it to
// drbsup (a reviewer too) with a reason; an ineligible colleague (another role) is 422, a
// candidate who has not claimed it is 403, the audit role cannot; drbsup finds it in his inbox
// and decides it; drb1 lists it under status=delegated and sees it decided by drbsup, and is
// told in his bell (delegated_task_decided); the audit log has task.delegate.
func TestE2E_Delegate(t *testing.T) {
	t.Parallel()
	s := newStack(t, "2021")
	p := s.createProject("alice", "委派测试：教育装备管理系统", futureYear(), 200_000_000)
	s.submit("alice", p)
	task := s.openTask("drb1", p, "prelim_review")
	delegate := func(user, to string) resp {
		return s.do(user, http.MethodPost, "/api/v1/tasks/"+task+"/delegate", map[string]any{"assignee_id": to, "reason": "出差一周，委派办理"}, nil)
	}
	unclaimed := delegate("drb1", "u-drbsup")
	require.Equal(t, http.StatusForbidden, unclaimed.Status, "%s", unclaimed.Raw)
	require.Equal(t, "delegate_not_assignee", unclaimed.code())
	require.Equal(t, http.StatusOK, s.do("drb1", http.MethodPost, "/api/v1/tasks/"+task+"/claim", nil, nil).Status)
	wrong := delegate("drb1", "u-ndrc1")
	require.Equal(t, http.StatusUnprocessableEntity, wrong.Status, "%s", wrong.Raw)
	require.Equal(t, "assignee_not_eligible", wrong.code())
	require.Equal(t, http.StatusForbidden, delegate("audit1", "u-drbsup").Status)
	require.Equal(t, http.StatusForbidden, delegate("drbsup", "u-drb1").Status, "not his task")

	r := delegate("drb1", "u-drbsup")
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Raw)
	require.Equal(t, "u-drbsup", r.str("assignee_id"))
	require.Equal(t, "u-drb1", r.str("delegated_by"))
	s.openTask("drbsup", p, "prelim_review")
	got := s.decide("drb1", task, map[string]any{"decision": "approve"}, nil)
	require.Contains(t, []int{http.StatusForbidden, http.StatusNotFound}, got.Status, "the delegator no longer decides: %s", got.Raw)
	d := s.decide("drbsup", task, map[string]any{"decision": "approve", "comment": "代为审核通过"}, nil)
	require.Equal(t, http.StatusOK, d.Status, "%s", d.Raw)

	list := s.do("drb1", http.MethodGet, "/api/v1/tasks?status=delegated", nil, nil)
	require.Equal(t, http.StatusOK, list.Status, "%s", list.Raw)
	items := list.Body["items"].([]any)
	require.Len(t, items, 1)
	it := items[0].(map[string]any)
	require.Equal(t, task, it["id"])
	require.Equal(t, "u-drbsup", it["decided_by"])
	require.Equal(t, "approve", it["decision"])
	require.Empty(t, s.do("drbsup", http.MethodGet, "/api/v1/tasks?status=delegated", nil, nil).Body["items"])

	// The delegator is told the decision (delegated_task_decided), once, in his bell.
	var told []map[string]any
	for _, n := range s.notices("drb1") {
		if n["kind"] == "delegated_task_decided" {
			told = append(told, n)
		}
	}
	require.Len(t, told, 1)
	require.Equal(t, task, told[0]["task_id"])
	require.Equal(t, p, told[0]["project_id"])
	require.Equal(t, "委派的任务已办理：初审——委派测试：教育装备管理系统", told[0]["title"])
	require.Equal(t, "赵督（市数管局）：通过。意见：代为审核通过", told[0]["body"])
	for _, n := range s.notices("drbsup") {
		require.NotEqual(t, "delegated_task_decided", n["kind"], "not the decider")
	}

	var n int
	require.NoError(t, s.store.DB().GetContext(context.Background(), &n,
		`SELECT count(*) FROM audit_log WHERE action = 'task.delegate' AND detail->>'task_id' = $1 AND actor_id = 'u-drb1'`, task))
	require.Equal(t, 1, n)
}
