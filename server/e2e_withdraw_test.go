package main

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func (s *stack) withdraw(user, id string, body any, hdr map[string]string) resp {
	return s.do(user, http.MethodPost, "/api/v1/projects/"+id+"/withdraw", body, hdr)
}

// TestE2E_WithdrawThenResubmit (issue 19 item 2, R3): the unit withdraws its project before
// the prelim review is claimed: the task is cancelled, the project is a draft again in round 2,
// audited project.withdraw; a resend with the key answers the same; resubmitting opens round
// 2's prelim task, and once DRB claims it the withdrawal is 409 withdraw_too_late.
func TestE2E_WithdrawThenResubmit(t *testing.T) {
	t.Parallel()
	s := newStack(t, "2021")
	p := s.createProject("alice", "撤回后重新申报的项目", futureYear(), 100_000_000)
	s.submit("alice", p)
	first := s.openTask("drb1", p, "prelim_review")
	require.Equal(t, true, s.do("alice", http.MethodGet, "/api/v1/projects/"+p, nil, nil).Body["can_withdraw"])
	require.Equal(t, false, s.do("drb1", http.MethodGet, "/api/v1/projects/"+p, nil, nil).Body["can_withdraw"])
	require.Equal(t, http.StatusNotFound, s.withdraw("bob", p, nil, nil).Status, "another unit's project")
	require.Equal(t, http.StatusForbidden, s.withdraw("drb1", p, nil, nil).Status, "not a submitter")

	key := map[string]string{"Idempotency-Key": "withdraw-" + p}
	r := s.withdraw("alice", p, map[string]any{"reason": "预算需重新测算"}, key)
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Raw)
	require.Equal(t, "draft", r.str("stage"))
	require.Equal(t, "withdraw", r.str("decision"))
	require.Equal(t, first, r.str("task_id"))
	again := s.withdraw("alice", p, map[string]any{"reason": "预算需重新测算"}, key)
	require.Equal(t, http.StatusOK, again.Status, "a resend with its key: %s", again.Raw)
	require.Equal(t, r.Body, again.Body)
	other := s.withdraw("alice", p, map[string]any{"reason": "另一个理由"}, key)
	require.Equal(t, http.StatusConflict, other.Status, "%s", other.Raw)
	require.Equal(t, "idempotency_key_reused", other.code())
	late := s.withdraw("alice", p, nil, nil)
	require.Equal(t, http.StatusConflict, late.Status)
	require.Equal(t, "withdraw_too_late", late.code())

	got := s.do("alice", http.MethodGet, "/api/v1/projects/"+p, nil, nil)
	require.Equal(t, "draft", got.str("stage"))
	require.EqualValues(t, 2, got.Body["round"])
	require.Equal(t, false, got.Body["can_withdraw"])
	require.Empty(t, got.Body["open_tasks"])
	require.Contains(t, string(got.Raw), `"project.withdraw"`)
	require.Contains(t, string(got.Raw), "预算需重新测算")
	require.Equal(t, http.StatusConflict, s.decide("drb1", first, map[string]any{"decision": "approve"}, nil).Status,
		"the cancelled task is not decided")

	// A withdrawn draft is edited like a returned one, but keeps its plan year (its lifecycle
	// and plan are the year's).
	edit := s.do("alice", http.MethodPatch, "/api/v1/projects/"+p, map[string]any{"description": "重新测算后的建设内容"}, nil)
	require.Equal(t, http.StatusOK, edit.Status, "%s", edit.Raw)
	year := s.do("alice", http.MethodPatch, "/api/v1/projects/"+p, map[string]any{"plan_year": futureYear()}, nil)
	require.Equal(t, http.StatusConflict, year.Status, "%s", year.Raw)
	require.Equal(t, "not_editable", year.code())

	r = s.do("alice", http.MethodPost, "/api/v1/projects/"+p+"/submit", nil, nil)
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Raw)
	require.Equal(t, "prelim_review", r.str("stage"))
	second := s.openTask("drb1", p, "prelim_review")
	require.True(t, strings.HasSuffix(second, ":prelim_review:2"), second)
	require.EqualValues(t, 2, s.do("alice", http.MethodGet, "/api/v1/projects/"+p, nil, nil).Body["round"])

	require.Equal(t, http.StatusOK, s.do("drb1", http.MethodPost, "/api/v1/tasks/"+second+"/claim", nil, nil).Status)
	require.Equal(t, false, s.do("alice", http.MethodGet, "/api/v1/projects/"+p, nil, nil).Body["can_withdraw"])
	claimed := s.withdraw("alice", p, nil, nil)
	require.Equal(t, http.StatusConflict, claimed.Status, "%s", claimed.Raw)
	require.Equal(t, "withdraw_too_late", claimed.code())
	require.Equal(t, "prelim_review", s.do("alice", http.MethodGet, "/api/v1/projects/"+p, nil, nil).str("stage"))
}

// TestE2E_WithdrawnPastTheDeadlineReturnsOnlyThroughR8: a project withdrawn and sent again
// after the R2 deadline of its pinned policy is 422 deadline_passed; with its special_request
// document it goes to the City Government as a special request (R8), not to prelim review.
func TestE2E_WithdrawnPastTheDeadlineReturnsOnlyThroughR8(t *testing.T) {
	t.Parallel()
	s := newStack(t, "2021")
	var clock shanghaiClock
	year := futureYear()
	clock.set(year-1, time.June, 20, 10, 0, 0)
	s.srv.now = clock.now
	p := s.createProject("alice", "截止后撤回的项目", year, 100_000_000)
	s.submit("alice", p)
	s.openTask("drb1", p, "prelim_review")
	require.Equal(t, http.StatusOK, s.withdraw("alice", p, nil, nil).Status)

	clock.set(year-1, time.July, 1, 0, 0, 0)
	r := s.do("alice", http.MethodPost, "/api/v1/projects/"+p+"/submit", nil, nil)
	require.Equal(t, http.StatusUnprocessableEntity, r.Status, "%s", r.Raw)
	require.Equal(t, "deadline_passed", r.code())
	require.Equal(t, "draft", s.do("alice", http.MethodGet, "/api/v1/projects/"+p, nil, nil).str("stage"))

	require.Equal(t, http.StatusCreated, s.upload("alice", p, "special_request", pdf).Status)
	r = s.do("alice", http.MethodPost, "/api/v1/projects/"+p+"/submit", nil, nil)
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Raw)
	require.Equal(t, "special_request", r.str("stage"))
	got := s.do("alice", http.MethodGet, "/api/v1/projects/"+p, nil, nil)
	require.Equal(t, true, got.Body["special_request"])
	require.EqualValues(t, 2, got.Body["round"])
	task := s.openTask("gov1", p, "special_request_approval")
	require.True(t, strings.HasSuffix(task, ":special_request_approval:2"), task)
}
