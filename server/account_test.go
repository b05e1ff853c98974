package main

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"egovpm/internal/auth"
	"egovpm/internal/calendar"
	"egovpm/internal/config"
)

// TestInitialPasswordMustBeChanged: a user an administrator creates has an initial password;
// until they change it the gateway admits them only to me, the password change, refresh and
// logout. Demo users are not forced.
func TestInitialPasswordMustBeChanged(t *testing.T) {
	t.Parallel()
	is := newIdentityServer(t)
	alice := is.login("alice", config.DefaultDemoPassword)
	r := is.do(alice, http.MethodGet, "/api/v1/me", "")
	require.Equal(t, false, r.Body["user"].(map[string]any)["must_change_password"], "demo users are not forced")

	admin := is.login("admin", config.DefaultDemoPassword)
	r = is.do(admin, http.MethodPost, "/api/v1/users",
		`{"username":"carol","name":"张三","org_id":"unit-a","roles":["submitter"],"password":"Initial-Passw0rd"}`)
	require.Equal(t, http.StatusCreated, r.Status, "%v", r.Body)
	require.Equal(t, true, r.Body["must_change_password"])

	r = is.do("", http.MethodPost, "/api/v1/auth/login", `{"username":"carol","password":"Initial-Passw0rd"}`)
	require.Equal(t, http.StatusOK, r.Status, "%v", r.Body)
	require.Equal(t, true, r.Body["must_change_password"])
	carol := r.Body["token"].(string)

	r = is.do(carol, http.MethodGet, "/api/v1/projects", "")
	require.Equal(t, http.StatusForbidden, r.Status, "%v", r.Body)
	require.Equal(t, auth.CodePasswordChangeRequired, r.code())
	r = is.do(carol, http.MethodGet, "/api/v1/me", "")
	require.Equal(t, http.StatusOK, r.Status, "%v", r.Body)
	require.Equal(t, true, r.Body["user"].(map[string]any)["must_change_password"])

	for body, field := range map[string]string{
		`{"current_password":"wrong-Passw0rd","new_password":"Chosen-Passw0rd"}`:    "current_password",
		`{"current_password":"Initial-Passw0rd","new_password":"short"}`:            "new_password",
		`{"current_password":"Initial-Passw0rd","new_password":"Initial-Passw0rd"}`: "new_password",
	} {
		r = is.do(carol, http.MethodPost, "/api/v1/auth/password", body)
		require.Equal(t, http.StatusBadRequest, r.Status, "%s: %v", body, r.Body)
		require.Contains(t, r.Body["error"].(map[string]any)["fields"], field, "%s: %v", body, r.Body)
	}
	r = is.do("", http.MethodPost, "/api/v1/auth/login", `{"username":"carol","password":"Initial-Passw0rd"}`)
	require.Equal(t, http.StatusOK, r.Status, "%v", r.Body)
	elsewhere := r.Body["token"].(string) // another session, on another device (or someone else's)
	r = is.do(carol, http.MethodPost, "/api/v1/auth/password", `{"current_password":"Initial-Passw0rd","new_password":"Chosen-Passw0rd"}`)
	require.Equal(t, http.StatusOK, r.Status, "%v", r.Body)
	require.Equal(t, false, r.Body["must_change_password"])
	renewed := r.Body["token"].(string)
	r = is.do(renewed, http.MethodGet, "/api/v1/projects", "")
	require.Equal(t, http.StatusOK, r.Status, "the session goes on with the reply's token: %v", r.Body)
	for _, old := range []string{carol, elsewhere} {
		r = is.do(old, http.MethodGet, "/api/v1/me", "")
		require.Equal(t, http.StatusUnauthorized, r.Status, "a token from before the change is dead: %v", r.Body)
		require.Equal(t, auth.CodeTokenRevoked, r.code())
	}

	r = is.do("", http.MethodPost, "/api/v1/auth/login", `{"username":"carol","password":"Initial-Passw0rd"}`)
	require.Equal(t, http.StatusUnauthorized, r.Status)
	r = is.do("", http.MethodPost, "/api/v1/auth/login", `{"username":"carol","password":"Chosen-Passw0rd"}`)
	require.Equal(t, http.StatusOK, r.Status, "%v", r.Body)
	require.Equal(t, false, r.Body["must_change_password"])

	var actions []string
	require.NoError(t, is.srv.store.DB().Select(&actions, `SELECT action || ':' || outcome FROM audit_log WHERE actor_id = 'u-carol' AND action <> 'auth.login' ORDER BY seq`))
	require.Equal(t, []string{"auth.password:ok"}, actions)
}

// TestRefreshRenewsTheSession: a token is exchanged for a fresh one and stops working itself.
func TestRefreshRenewsTheSession(t *testing.T) {
	t.Parallel()
	is := newIdentityServer(t)
	old := is.login("bob", config.DefaultDemoPassword)
	r := is.do(old, http.MethodPost, "/api/v1/auth/refresh", "")
	require.Equal(t, http.StatusOK, r.Status, "%v", r.Body)
	require.Equal(t, "no-store", r.Header.Get("Cache-Control"))
	fresh := r.Body["token"].(string)
	require.NotEqual(t, old, fresh)
	require.Equal(t, "u-bob", r.Body["user"].(map[string]any)["id"])
	_, err := time.Parse(time.RFC3339, r.Body["expires_at"].(string))
	require.NoError(t, err)

	require.Equal(t, http.StatusOK, is.do(fresh, http.MethodGet, "/api/v1/me", "").Status)
	r = is.do(old, http.MethodGet, "/api/v1/me", "")
	require.Equal(t, http.StatusUnauthorized, r.Status)
	require.Equal(t, auth.CodeTokenRevoked, r.code())
	r = is.do(old, http.MethodPost, "/api/v1/auth/refresh", "")
	require.Equal(t, http.StatusUnauthorized, r.Status, "a revoked token cannot be refreshed")
	var n int
	require.NoError(t, is.srv.store.DB().Get(&n, `SELECT count(*) FROM audit_log WHERE action = 'auth.refresh' AND actor_id = 'u-bob'`))
	require.Equal(t, 1, n)
}

// TestSubmissionWindow: the R2 deadline as the submit route applies it, one second either side
// of 30 June 23:59:59 Asia/Shanghai.
func TestSubmissionWindow(t *testing.T) {
	t.Parallel()
	is := newIdentityServer(t)
	pol, err := is.srv.store.Policy(context.Background(), "2021", false)
	require.NoError(t, err)
	is.srv.policy = pol
	alice := is.login("alice", config.DefaultDemoPassword)

	is.srv.now = func() time.Time { return time.Date(2025, 6, 30, 23, 59, 58, 0, calendar.Shanghai) }
	r := is.do(alice, http.MethodGet, "/api/v1/submission-window?plan_year=2026", "")
	require.Equal(t, http.StatusOK, r.Status, "%v", r.Body)
	require.Equal(t, "2025-06-30T23:59:59+08:00", r.Body["deadline"])
	require.Equal(t, true, r.Body["open"])
	require.EqualValues(t, 1, r.Body["seconds_left"])
	require.Equal(t, false, r.Body["special_request_required"])
	require.Equal(t, "2021", r.Body["policy_version"])

	is.srv.now = func() time.Time { return time.Date(2025, 7, 1, 0, 0, 0, 0, calendar.Shanghai) }
	r = is.do(alice, http.MethodGet, "/api/v1/submission-window?plan_year=2026", "")
	require.Equal(t, false, r.Body["open"])
	require.EqualValues(t, 0, r.Body["seconds_left"])
	require.Equal(t, true, r.Body["special_request_required"])
	require.Contains(t, r.Body["message"], "专题请示")

	r = is.do(alice, http.MethodGet, "/api/v1/submission-window", "")
	require.EqualValues(t, 2026, r.Body["plan_year"], "default: next year")
	r = is.do(alice, http.MethodGet, "/api/v1/submission-window?plan_year=abc", "")
	require.Equal(t, http.StatusBadRequest, r.Status)
	require.Equal(t, http.StatusUnauthorized, is.do("", http.MethodGet, "/api/v1/submission-window", "").Status)
}

// TestListProjectsByType: the project list filters by type (the 我的项目 screen's filter).
func TestListProjectsByType(t *testing.T) {
	t.Parallel()
	is := newIdentityServer(t)
	alice := is.login("alice", config.DefaultDemoPassword)
	for _, typ := range []string{"new", "om", "om"} {
		r := is.do(alice, http.MethodPost, "/api/v1/projects", `{"name":"类型筛选测试","type":"`+typ+
			`","plan_year":2099,"estimated_investment_fen":100000,"description":"说明","mlps_level":2,"uses_crypto":false}`)
		require.Equal(t, http.StatusCreated, r.Status, "%v", r.Body)
	}
	r := is.do(alice, http.MethodGet, "/api/v1/projects?type=om", "")
	require.Equal(t, http.StatusOK, r.Status, "%v", r.Body)
	require.Len(t, items(r, "id"), 2)
	require.Equal(t, []string{"om", "om"}, items(r, "type"))
	r = is.do(alice, http.MethodGet, "/api/v1/projects?type=new&plan_year=2099", "")
	require.Equal(t, []string{"new"}, items(r, "type"))
	r = is.do(alice, http.MethodGet, "/api/v1/projects?type=castle", "")
	require.Equal(t, http.StatusBadRequest, r.Status)
	// The list checks its filter as its 项目台账 export does (one parser): a malformed unit id is
	// refused, not answered with an empty page.
	for _, path := range []string{"/api/v1/projects?unit_id=UNIT%20A", "/api/v1/exports/registry?unit_id=UNIT%20A"} {
		r = is.do(alice, http.MethodGet, path, "")
		require.Equal(t, http.StatusBadRequest, r.Status, path)
		require.Contains(t, fmt.Sprint(r.Body), "unit_id", path)
	}
}

// TestTasksByPlanYear: the inbox filters by the plan year of the task's project and names the
// project (the 待办 screen's year filter and its project column).
func TestTasksByPlanYear(t *testing.T) {
	t.Parallel()
	is := newIdentityServer(t)
	alice := is.login("alice", config.DefaultDemoPassword)
	ids := map[int]string{}
	for _, y := range []int{2098, 2099} {
		r := is.do(alice, http.MethodPost, "/api/v1/projects", fmt.Sprintf(`{"name":"年度筛选 %d","type":"new","plan_year":%d,`+
			`"estimated_investment_fen":100000,"description":"说明","mlps_level":2,"uses_crypto":false}`, y, y))
		require.Equal(t, http.StatusCreated, r.Status, "%v", r.Body)
		ids[y] = r.Body["id"].(string)
		_, err := is.srv.store.DB().Exec(`INSERT INTO tasks (id, kind, workflow_id, project_id, candidate_role, status, due_at)
			VALUES ($1, 'prelim_review', 'wf', $2, 'drb_reviewer', 'open', now() + interval '1 day')`, fmt.Sprint("ty-", y), ids[y])
		require.NoError(t, err)
	}
	drb1 := is.login("drb1", config.DefaultDemoPassword)
	r := is.do(drb1, http.MethodGet, "/api/v1/tasks?plan_year=2099", "")
	require.Equal(t, http.StatusOK, r.Status, "%v", r.Body)
	require.Equal(t, []string{"ty-2099"}, items(r, "id"))
	require.Equal(t, []string{"年度筛选 2099"}, items(r, "project_name"))
	require.EqualValues(t, 2099, r.Body["items"].([]any)[0].(map[string]any)["plan_year"])
	r = is.do(drb1, http.MethodGet, "/api/v1/tasks", "")
	require.Len(t, items(r, "id"), 2)
	require.Equal(t, http.StatusBadRequest, is.do(drb1, http.MethodGet, "/api/v1/tasks?plan_year=19", "").Status)
}
