package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/lib/pq"
	"github.com/stretchr/testify/require"

	"egovpm/internal/auth"
)

// bulkAnswer is the answer of POST /api/v1/tasks/bulk-decision.
type bulkAnswer struct {
	Items []struct {
		TaskID string          `json:"task_id"`
		Status int             `json:"status"`
		Body   json.RawMessage `json:"body"`
	} `json:"items"`
	Decided int `json:"decided"`
	Failed  int `json:"failed"`
}

func (s *stack) bulk(user, key string, body map[string]any, rid string) (resp, bulkAnswer) {
	s.t.Helper()
	hdr := map[string]string{}
	if key != "" {
		hdr["Idempotency-Key"] = key
	}
	if rid != "" {
		hdr["X-Request-ID"] = rid
	}
	r := s.do(user, http.MethodPost, "/api/v1/tasks/bulk-decision", body, hdr)
	var a bulkAnswer
	if r.Status == http.StatusOK {
		require.NoError(s.t, json.Unmarshal(r.Raw, &a), "%s", r.Raw)
	}
	return r, a
}

// prelimTasks submits n projects of alice and returns their open preliminary review tasks
// (R3) and the projects.
func (s *stack) prelimTasks(n int, name string) (tasks, projects []string) {
	s.t.Helper()
	year := futureYear()
	for i := range n {
		p := s.createProject("alice", fmt.Sprintf("%s %d", name, i+1), year, 100_000_000)
		s.submit("alice", p)
		projects = append(projects, p)
	}
	for _, p := range projects {
		tasks = append(tasks, s.openTask("drb1", p, "prelim_review"))
	}
	return tasks, projects
}

// TestBulkDecisionPrelimReviews (issue 19 item 7; R3, R18): DRB approves four preliminary
// reviews in one request, one of them already decided (stale) and one id that names no task.
// Each item's answer is what the decision route answers for it alone (its resend with the
// item's key <bulk key>:<task id> gets the same status and body); the others are decided, each
// with one audit row of its own; resending the bulk request answers the same and decides
// nothing twice.
func TestBulkDecisionPrelimReviews(t *testing.T) {
	t.Parallel()
	s := newStack(t, "2021")
	tasks, projects := s.prelimTasks(4, "批量初审测试")
	// The second one is decided alone first: stale for the bulk request.
	r := s.decide("drb1", tasks[1], map[string]any{"decision": "approve", "comment": "单独审批"}, nil)
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Raw)
	missing := "project:p-none:prelim_review:1"
	ids := append(append([]string{}, tasks...), missing)
	key, rid := "bulk-"+newID(""), "rid-bulk-"+newID("")
	body := map[string]any{"kind": "prelim_review", "decision": "approve", "comment": "符合申报条件", "task_ids": ids}

	r, a := s.bulk("drb1", key, body, rid)
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Raw)
	require.Len(t, a.Items, 5, "%s", r.Raw)
	require.Equal(t, 3, a.Decided)
	require.Equal(t, 2, a.Failed)
	for i, it := range a.Items {
		require.Equal(t, ids[i], it.TaskID, "items in the request's order")
	}
	for _, i := range []int{0, 2, 3} {
		require.Equal(t, http.StatusOK, a.Items[i].Status, "%s", a.Items[i].Body)
		var res map[string]any
		require.NoError(t, json.Unmarshal(a.Items[i].Body, &res))
		require.Equal(t, "expert_review", res["stage"], "R3: approved into expert review")
		require.Equal(t, tasks[i], res["task_id"])
	}
	var stale, none struct{ Error errorDetail }
	require.NoError(t, json.Unmarshal(a.Items[1].Body, &stale))
	require.Equal(t, http.StatusConflict, a.Items[1].Status, "%s", a.Items[1].Body)
	require.Equal(t, "stale_task", stale.Error.Code)
	require.Equal(t, rid+".2", stale.Error.RequestID, "the item's request id: the bulk's and its place")
	require.NoError(t, json.Unmarshal(a.Items[4].Body, &none))
	require.Equal(t, http.StatusNotFound, a.Items[4].Status)
	require.Equal(t, "not_found", none.Error.Code)

	// Each item's answer is the decision route's: sent alone with the item's key and request
	// id, the same status and body.
	for i, id := range ids {
		one := s.decide("drb1", id, map[string]any{"decision": "approve", "comment": "符合申报条件"},
			map[string]string{"Idempotency-Key": key + ":" + id, "X-Request-ID": fmt.Sprintf("%s.%d", rid, i+1)})
		require.Equal(t, a.Items[i].Status, one.Status, "%s: %s", id, one.Raw)
		require.JSONEq(t, string(a.Items[i].Body), string(one.Raw), "%s", id)
	}

	// Decided once each, audited once each (R18), with the item's request id.
	auditRows := func() map[string][]string {
		out := map[string][]string{}
		for _, p := range projects {
			var rids []string
			require.NoError(t, s.store.DB().Select(&rids, `SELECT request_id FROM audit_log
				WHERE object_type = 'project' AND object_id = $1 AND action = 'task.decide' ORDER BY seq`, p))
			out[p] = rids
		}
		return out
	}
	before := auditRows()
	for i, p := range projects {
		require.Len(t, before[p], 1, "one task.decide row for %s", p)
		if i != 1 {
			require.Equal(t, fmt.Sprintf("%s.%d", rid, i+1), before[p][0])
		}
		var status string
		require.NoError(t, s.store.DB().Get(&status, `SELECT status FROM tasks WHERE id = $1`, tasks[i]))
		require.Equal(t, "done", status)
	}

	// The same bulk request again: the same answers, nothing decided twice.
	r2, _ := s.bulk("drb1", key, body, rid)
	require.Equal(t, http.StatusOK, r2.Status, "%s", r2.Raw)
	require.JSONEq(t, string(r.Raw), string(r2.Raw))
	require.Equal(t, before, auditRows())

	// The same key with another decision: each item is a reused key (409), nothing changes.
	body["decision"], body["comment"] = "return", "请补充材料"
	r3, a3 := s.bulk("drb1", key, body, "")
	require.Equal(t, http.StatusOK, r3.Status, "%s", r3.Raw)
	for _, i := range []int{0, 2, 3} {
		require.Equal(t, http.StatusConflict, a3.Items[i].Status, "%s", a3.Items[i].Body)
		require.Contains(t, string(a3.Items[i].Body), "idempotency_key_reused")
	}
	require.Equal(t, before, auditRows())
}

// TestBulkDecisionRefused (issue 19 item 7): a malformed bulk request is refused whole with a
// 4xx and decides nothing: no Idempotency-Key, no task, more than 100, a task twice, an
// expert review or bundle approval (decided one by one), a decision its kind does not take, a
// return without a comment, tasks of another kind than the one named.
func TestBulkDecisionRefused(t *testing.T) {
	t.Parallel()
	s := newStack(t, "2021")
	tasks, _ := s.prelimTasks(2, "批量拒收测试")
	many := make([]string, 101)
	for i := range many {
		many[i] = fmt.Sprintf("project:p-x%d:prelim_review:1", i)
	}
	ok := map[string]any{"kind": "prelim_review", "decision": "approve", "task_ids": tasks}
	with := func(k string, v any) map[string]any {
		m := map[string]any{}
		for a, b := range ok {
			m[a] = b
		}
		m[k] = v
		return m
	}
	for _, c := range []struct {
		name   string
		key    string
		body   map[string]any
		status int
		code   string
	}{
		{"no key", "", ok, http.StatusBadRequest, "idempotency_key_required"},
		{"no task", "k1", with("task_ids", []string{}), http.StatusBadRequest, "invalid_input"},
		{"101 tasks", "k2", with("task_ids", many), http.StatusBadRequest, "invalid_input"},
		{"a task twice", "k3", with("task_ids", []string{tasks[0], tasks[1], tasks[0]}), http.StatusBadRequest, "invalid_input"},
		{"a bad id", "k4", with("task_ids", []string{"a/b"}), http.StatusBadRequest, "invalid_input"},
		{"expert reviews", "k5", with("kind", "expert_review"), http.StatusUnprocessableEntity, "bulk_kind_not_allowed"},
		{"bundle approvals", "k6", with("kind", "bundle_approval"), http.StatusUnprocessableEntity, "bulk_kind_not_allowed"},
		{"an unknown kind", "k7", with("kind", "nonsense"), http.StatusBadRequest, "invalid_input"},
		{"a reject", "k8", with("decision", "reject"), http.StatusBadRequest, "invalid_input"},
		{"return without comment", "k9", with("decision", "return"), http.StatusBadRequest, "invalid_input"},
		{"a return of approvals", "k10", map[string]any{"kind": "project_approval", "decision": "return", "comment": "退回", "task_ids": tasks},
			http.StatusBadRequest, "invalid_input"},
		{"reviews named approvals", "k13", with("kind", "project_approval"), http.StatusBadRequest, "bulk_mixed_kinds"},
		{"other kind named", "k11", with("kind", "acceptance_check"), http.StatusBadRequest, "bulk_mixed_kinds"},
		{"key too long", strings.Repeat("k", 100), ok, http.StatusBadRequest, "bad_idempotency_key"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r, _ := s.on(t).bulk("drb1", c.key, c.body, "")
			require.Equal(t, c.status, r.Status, "%s", r.Raw)
			require.Equal(t, c.code, r.code(), "%s", r.Raw)
			require.Regexp(t, `\p{Han}`, r.str("error", "message"), "a Chinese message")
		})
	}
	var open int
	require.NoError(t, s.store.DB().Get(&open, `SELECT count(*) FROM tasks WHERE id = ANY($1) AND status = 'open'`, pq.StringArray(tasks)))
	require.Equal(t, 2, open, "nothing decided")
	// Refused to those who decide nothing (routes.go: reviewers).
	r, _ := s.bulk("alice", "k12", ok, "")
	require.Equal(t, http.StatusForbidden, r.Status, "%s", r.Raw)
}

// TestBulkDecisionRateLimitCountsItems (issue 19 item 7; issue 3): each item of a bulk
// decision spends the decider's rate limit as a decision sent alone. With a budget of three
// and the next turn an hour away (past bulkPatience), a bulk request of four decides three and
// answers 429 rate_limited for the fourth (in its item) at once, and the next request of the
// same person is limited too.
func TestBulkDecisionRateLimitCountsItems(t *testing.T) {
	t.Parallel()
	s := newStack(t, "2021")
	tasks, _ := s.prelimTasks(4, "批量限流测试")
	s.srv.decisions = auth.NewLimiter(time.Hour, 3, nil)
	r, a := s.bulk("drb1", "bulk-"+newID(""), map[string]any{"kind": "prelim_review", "decision": "approve", "task_ids": tasks}, "")
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Raw)
	require.Equal(t, 3, a.Decided, "%s", r.Raw)
	for i := range 3 {
		require.Equal(t, http.StatusOK, a.Items[i].Status, "%s", a.Items[i].Body)
	}
	require.Equal(t, http.StatusTooManyRequests, a.Items[3].Status, "%s", a.Items[3].Body)
	require.Contains(t, string(a.Items[3].Body), `"rate_limited"`)
	var status string
	require.NoError(t, s.store.DB().Get(&status, `SELECT status FROM tasks WHERE id = $1`, tasks[3]))
	require.Equal(t, "open", status, "a limited item changes nothing")
	one := s.decide("drb1", tasks[3], map[string]any{"decision": "approve"}, nil)
	require.Equal(t, http.StatusTooManyRequests, one.Status, "the bulk request spent the budget: %s", one.Raw)
}

// TestBulkDecisionWaitsForItsTurn (issue 19 item 7; issue 3): a bulk request whose items
// outrun the rate limit's budget waits for each next item's turn (up to bulkPatience) instead
// of answering 429 for the rest: with two at once and one every 150 ms, five items are all
// decided in one request, at the limit's pace.
func TestBulkDecisionWaitsForItsTurn(t *testing.T) {
	t.Parallel()
	s := newStack(t, "2021")
	tasks, _ := s.prelimTasks(5, "批量限流等待测试")
	s.srv.decisions = auth.NewLimiter(150*time.Millisecond, 2, nil)
	start := time.Now()
	r, a := s.bulk("drb1", "bulk-"+newID(""), map[string]any{"kind": "prelim_review", "decision": "approve", "task_ids": tasks}, "")
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Raw)
	require.Equal(t, 5, a.Decided, "%s", r.Raw)
	require.GreaterOrEqual(t, time.Since(start), 3*150*time.Millisecond, "the three past the budget waited their turn")
	var open int
	require.NoError(t, s.store.DB().Get(&open, `SELECT count(*) FROM tasks WHERE id = ANY($1) AND status = 'open'`, pq.StringArray(tasks)))
	require.Zero(t, open)
}

// TestBulkReassign (T2; issue 15 item 5's 转办, for many): the DRB supervisor moves three
// preliminary reviews (two drb1 claimed, one in the pool) and an id that names no task to
// drbsup in one request. Each item answers what POST /tasks/{id}/reassign answers alone; the
// three are moved, each with its own audit row; a resend moves nothing twice; a person who may
// not act on the tasks fails every item and moves none; a malformed request moves nothing.
func TestBulkReassign(t *testing.T) {
	t.Parallel()
	s := newStack(t, "2021")
	tasks, projects := s.prelimTasks(3, "批量转办测试")
	for _, id := range tasks[:2] {
		r := s.do("drb1", http.MethodPost, "/api/v1/tasks/"+id+"/claim", nil, nil)
		require.Equal(t, http.StatusOK, r.Status, "%s", r.Raw)
	}
	bulk := func(user, key string, body map[string]any) (resp, bulkReassignJSON) {
		hdr := map[string]string{}
		if key != "" {
			hdr["Idempotency-Key"] = key
		}
		r := s.do(user, http.MethodPost, "/api/v1/tasks/bulk-reassign", body, hdr)
		var a bulkReassignJSON
		if r.Status == http.StatusOK {
			require.NoError(t, json.Unmarshal(r.Raw, &a), "%s", r.Raw)
		}
		return r, a
	}
	assignees := func() []string {
		var out []string
		for _, id := range tasks {
			var a string
			require.NoError(t, s.store.DB().Get(&a, `SELECT coalesce(assignee_id, '') FROM tasks WHERE id = $1`, id))
			out = append(out, a)
		}
		return out
	}
	audits := func() int {
		var n int
		require.NoError(t, s.store.DB().Get(&n, `SELECT count(*) FROM audit_log WHERE action = 'task.reassign' AND object_id = ANY($1)`,
			pq.Array(projects)))
		return n
	}
	ids := append(append([]string{}, tasks...), "project:p-none:prelim_review:1")
	body := map[string]any{"assignee_id": "u-drbsup", "reason": "李审离岗，待办转赵督办理", "task_ids": ids}

	// Malformed, or not the supervisor's: refused whole, nothing moved.
	for _, c := range []struct {
		user, key string
		body      map[string]any
		status    int
		code      string
	}{
		{"drbsup", "", body, http.StatusBadRequest, "idempotency_key_required"},
		{"drbsup", "k-empty", map[string]any{"assignee_id": "u-drbsup", "reason": "转", "task_ids": []string{}}, http.StatusBadRequest, "invalid_input"},
		{"drbsup", "k-twice", map[string]any{"assignee_id": "u-drbsup", "reason": "转", "task_ids": []string{tasks[0], tasks[0]}}, http.StatusBadRequest, "invalid_input"},
		{"drbsup", "k-blank", map[string]any{"assignee_id": "u-drbsup", "reason": "　", "task_ids": tasks}, http.StatusBadRequest, "invalid_input"},
		{"drbsup", "k-nobody", map[string]any{"reason": "转", "task_ids": tasks}, http.StatusBadRequest, "invalid_input"},
		{"drb1", "k-drb1", body, http.StatusForbidden, "forbidden"},
	} {
		r, _ := bulk(c.user, c.key, c.body)
		require.Equal(t, c.status, r.Status, "%s %s: %s", c.user, c.key, r.Raw)
		require.Equal(t, c.code, r.code(), "%s %s", c.user, c.key)
	}
	require.Equal(t, []string{"u-drb1", "u-drb1", ""}, assignees())

	// To a unit clerk: every item refused as a 转办 alone refuses it, none moved.
	r, a := bulk("drbsup", "k-alice", map[string]any{"assignee_id": "u-alice", "reason": "转", "task_ids": tasks})
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Raw)
	require.Equal(t, 0, a.Reassigned)
	require.Equal(t, 3, a.Failed)
	for _, it := range a.Items {
		require.Equal(t, http.StatusUnprocessableEntity, it.Status, "%s", it.Body)
		require.Contains(t, string(it.Body), "assignee_not_eligible")
	}
	require.Equal(t, []string{"u-drb1", "u-drb1", ""}, assignees())
	require.Zero(t, audits())

	key := "bulk-reassign-" + newID("")
	r, a = bulk("drbsup", key, body)
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Raw)
	require.Equal(t, 3, a.Reassigned, "%s", r.Raw)
	require.Equal(t, 1, a.Failed)
	require.Len(t, a.Items, 4)
	for i, it := range a.Items {
		require.Equal(t, ids[i], it.TaskID, "in the order given")
	}
	require.Equal(t, http.StatusNotFound, a.Items[3].Status, "%s", a.Items[3].Body)
	require.Equal(t, []string{"u-drbsup", "u-drbsup", "u-drbsup"}, assignees())
	require.Equal(t, 3, audits(), "one audit row a task")
	// Item 1 resent alone with its item key replays its answer.
	alone := s.do("drbsup", http.MethodPost, "/api/v1/tasks/"+tasks[0]+"/reassign",
		map[string]any{"assignee_id": "u-drbsup", "reason": "李审离岗，待办转赵督办理"}, map[string]string{"Idempotency-Key": key + ":" + tasks[0]})
	require.Equal(t, http.StatusOK, alone.Status, "%s", alone.Raw)

	// Resent whole (the answer was lost): each item answers as before, nothing moved twice.
	r, again := bulk("drbsup", key, body)
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Raw)
	require.Equal(t, a.Reassigned, again.Reassigned)
	for i := range a.Items {
		require.Equal(t, a.Items[i].Status, again.Items[i].Status, "item %d", i)
	}
	require.Equal(t, 3, audits(), "the resend moved nothing twice")
}
