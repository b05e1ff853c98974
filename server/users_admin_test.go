package main

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"egovpm/internal/auth"
	"egovpm/internal/config"
)

// 用户管理 through the API: an administrator changes a user's roles, disables and re-enables
// the account (a held token stops working at once), unlocks it after failed logins and gives
// it a new initial password; each change is one audit row, a change to nothing writes none,
// bad input is 4xx and changes nothing, and an administrator cannot lock themselves out.
func TestAdminManagesUsers(t *testing.T) {
	t.Parallel()
	is := newIdentityServer(t)
	admin := is.login("admin", config.DefaultDemoPassword)
	r := is.do(admin, http.MethodPost, "/api/v1/users",
		`{"username":"dave","name":"丁伟","org_id":"unit-a","roles":["submitter"],"password":"Initial-Passw0rd"}`)
	require.Equal(t, http.StatusCreated, r.Status, "%v", r.Body)
	r = is.do("", http.MethodPost, "/api/v1/auth/login", `{"username":"dave","password":"Initial-Passw0rd"}`)
	require.Equal(t, http.StatusOK, r.Status, "%v", r.Body)
	dave := r.Body["token"].(string)
	r = is.do(dave, http.MethodPost, "/api/v1/auth/password", `{"current_password":"Initial-Passw0rd","new_password":"Chosen-Passw0rd"}`)
	require.Equal(t, http.StatusOK, r.Status, "%v", r.Body)
	dave = r.Body["token"].(string) // the session goes on with the new token

	// Bad input: 4xx, nothing changes.
	for _, c := range []struct {
		path, body string
		status     int
		code       string
	}{
		{"/api/v1/users/u-dave", `{}`, http.StatusBadRequest, "invalid_input"},
		{"/api/v1/users/u-dave", `{"roles":[]}`, http.StatusBadRequest, "invalid_input"},
		{"/api/v1/users/u-dave", `{"roles":["emperor"]}`, http.StatusBadRequest, "invalid_input"},
		{"/api/v1/users/u-dave", `{"disabled":"yes"}`, http.StatusBadRequest, ""},
		{"/api/v1/users/u-dave", `{"roles":["submitter","drb_reviewer"]}`, http.StatusUnprocessableEntity, "conflicting_roles"},
		{"/api/v1/users/u-nobody", `{"disabled":true}`, http.StatusNotFound, "not_found"},
		{"/api/v1/users/u-admin", `{"disabled":true}`, http.StatusConflict, "cannot_change_self"},
		{"/api/v1/users/u-admin", `{"roles":["audit"]}`, http.StatusConflict, "cannot_change_self"},
	} {
		r = is.do(admin, http.MethodPatch, c.path, c.body)
		require.Equal(t, c.status, r.Status, "%s %s: %v", c.path, c.body, r.Body)
		if c.code != "" {
			require.Equal(t, c.code, r.code(), "%s %s", c.path, c.body)
		}
	}
	for body, field := range map[string]string{`{"password":"short"}`: "password", `{}`: "password"} {
		r = is.do(admin, http.MethodPost, "/api/v1/users/u-dave/reset-password", body)
		require.Equal(t, http.StatusBadRequest, r.Status, "%s: %v", body, r.Body)
		require.Contains(t, r.Body["error"].(map[string]any)["fields"], field, "%s: %v", body, r.Body)
	}
	r = is.do(admin, http.MethodPost, "/api/v1/users/u-admin/reset-password", `{"password":"Another-Passw0rd"}`)
	require.Equal(t, http.StatusConflict, r.Status, "%v", r.Body)
	require.Equal(t, "cannot_change_self", r.code())
	r = is.do(dave, http.MethodGet, "/api/v1/projects", "")
	require.Equal(t, http.StatusOK, r.Status, "nothing changed dave: %v", r.Body)

	// Roles: a new job (the unit's submitter becomes an expert); the same set again writes nothing.
	r = is.do(admin, http.MethodPatch, "/api/v1/users/u-dave", `{"roles":["expert","expert"]}`)
	require.Equal(t, http.StatusOK, r.Status, "%v", r.Body)
	require.Equal(t, []any{"expert"}, r.Body["roles"])
	r = is.do(admin, http.MethodPatch, "/api/v1/users/u-dave", `{"roles":["expert"],"disabled":false}`)
	require.Equal(t, http.StatusOK, r.Status, "%v", r.Body)
	r = is.do(dave, http.MethodGet, "/api/v1/me", "")
	require.Equal(t, []any{"expert"}, r.Body["roles"], "the roles apply to the token dave holds")

	// 停用: the held token stops working, and so does signing in; 启用 brings signing in back,
	// not the token held before (a disable ends the user's sessions for good).
	r = is.do(admin, http.MethodPatch, "/api/v1/users/u-dave", `{"disabled":true}`)
	require.Equal(t, http.StatusOK, r.Status, "%v", r.Body)
	require.Equal(t, true, r.Body["disabled"])
	r = is.do(dave, http.MethodGet, "/api/v1/me", "")
	require.Equal(t, http.StatusUnauthorized, r.Status, "%v", r.Body)
	r = is.do("", http.MethodPost, "/api/v1/auth/login", `{"username":"dave","password":"Chosen-Passw0rd"}`)
	require.NotEqual(t, http.StatusOK, r.Status, "%v", r.Body)
	require.Equal(t, auth.CodeAccountDisabled, r.code())
	r = is.do(admin, http.MethodPatch, "/api/v1/users/u-dave", `{"disabled":false}`)
	require.Equal(t, http.StatusOK, r.Status, "%v", r.Body)
	r = is.do("", http.MethodPost, "/api/v1/auth/login", `{"username":"dave","password":"Chosen-Passw0rd"}`)
	require.Equal(t, http.StatusOK, r.Status, "%v", r.Body)
	r = is.do(dave, http.MethodGet, "/api/v1/me", "")
	require.Equal(t, http.StatusUnauthorized, r.Status, "the token held before the disable stays dead: %v", r.Body)
	require.Equal(t, auth.CodeTokenRevoked, r.code())

	// 解锁: failed logins lock the account (3 in this server); the list says so; unlock lifts it.
	for range 3 {
		is.do("", http.MethodPost, "/api/v1/auth/login", `{"username":"dave","password":"Wrong-Passw0rd"}`)
	}
	r = is.do("", http.MethodPost, "/api/v1/auth/login", `{"username":"dave","password":"Chosen-Passw0rd"}`)
	require.Equal(t, auth.CodeAccountLocked, r.code(), "%v", r.Body)
	r = is.do(admin, http.MethodGet, "/api/v1/users?org_id=unit-a", "")
	require.Equal(t, http.StatusOK, r.Status, "%v", r.Body)
	locked := map[string]any{}
	for _, it := range r.Body["items"].([]any) {
		u := it.(map[string]any)
		locked[u["username"].(string)] = u["locked"]
	}
	require.Equal(t, true, locked["dave"], "the list shows the lock: %v", locked)
	require.Equal(t, false, locked["alice"])
	r = is.do(admin, http.MethodPost, "/api/v1/users/u-dave/unlock", "")
	require.Equal(t, http.StatusOK, r.Status, "%v", r.Body)
	require.Equal(t, false, r.Body["locked"])
	r = is.do("", http.MethodPost, "/api/v1/auth/login", `{"username":"dave","password":"Chosen-Passw0rd"}`)
	require.Equal(t, http.StatusOK, r.Status, "%v", r.Body)
	held := r.Body["token"].(string) // as whoever knew the old password would hold it

	// 重置密码: the old password stops working, the new one is an initial one, a lock is lifted
	// (locked here in SQL: more failed logins would meet the login rate limit of dave's name),
	// and a token signed before the reset is dead — on every route, refresh included — even
	// after dave has chosen his new password.
	_, err := is.srv.store.DB().Exec(`UPDATE users SET failed_logins = 3, locked_until = now() + interval '1 hour' WHERE id = 'u-dave'`)
	require.NoError(t, err)
	r = is.do(admin, http.MethodPost, "/api/v1/users/u-dave/reset-password", `{"password":"Reset-Passw0rd-1"}`)
	require.Equal(t, http.StatusOK, r.Status, "%v", r.Body)
	require.Equal(t, true, r.Body["must_change_password"])
	r = is.do("", http.MethodPost, "/api/v1/auth/login", `{"username":"dave","password":"Chosen-Passw0rd"}`)
	require.Equal(t, http.StatusUnauthorized, r.Status, "the old password is gone: %v", r.Body)
	r = is.do("", http.MethodPost, "/api/v1/auth/login", `{"username":"dave","password":"Reset-Passw0rd-1"}`)
	require.Equal(t, http.StatusOK, r.Status, "%v", r.Body)
	require.Equal(t, true, r.Body["must_change_password"])
	fresh := r.Body["token"].(string)
	for _, path := range []string{"/api/v1/me", "/api/v1/auth/refresh"} {
		method := http.MethodGet
		if path == "/api/v1/auth/refresh" {
			method = http.MethodPost
		}
		r = is.do(held, method, path, "")
		require.Equal(t, http.StatusUnauthorized, r.Status, "%s with the token from before the reset: %v", path, r.Body)
		require.Equal(t, auth.CodeTokenRevoked, r.code(), path)
	}
	r = is.do(fresh, http.MethodPost, "/api/v1/auth/password", `{"current_password":"Reset-Passw0rd-1","new_password":"Chosen-Again-Passw0rd"}`)
	require.Equal(t, http.StatusOK, r.Status, "%v", r.Body)
	fresh = r.Body["token"].(string)
	r = is.do(fresh, http.MethodGet, "/api/v1/projects", "")
	require.Equal(t, http.StatusOK, r.Status, "the token signed after the reset works: %v", r.Body)
	r = is.do(held, http.MethodGet, "/api/v1/projects", "")
	require.Equal(t, http.StatusUnauthorized, r.Status, "the old token stays dead once the new password is set: %v", r.Body)

	// Not an administrator: 403, nothing changes.
	drb := is.login("drb1", config.DefaultDemoPassword)
	r = is.do(drb, http.MethodPatch, "/api/v1/users/u-dave", `{"disabled":true}`)
	require.Equal(t, http.StatusForbidden, r.Status, "%v", r.Body)

	var rows []string
	require.NoError(t, is.srv.store.DB().Select(&rows, `SELECT action || ':' || outcome FROM audit_log
		WHERE actor_id = 'u-admin' AND object_type = 'user' AND object_id = 'u-dave' ORDER BY seq`))
	require.Equal(t, []string{"user.create:ok", "user.set_roles:refused", "user.set_roles:ok", "user.disable:ok", "user.enable:ok",
		"user.unlock:ok", "user.reset_password:ok"}, rows)
	var detail string
	require.NoError(t, is.srv.store.DB().Get(&detail, `SELECT detail::text FROM audit_log WHERE action = 'user.reset_password'`))
	require.NotContains(t, detail, "Reset-Passw0rd-1", "the password is never recorded")
}

// 用户管理 sets the address a user's notifications are mailed to — at creation and after — and
// only an administrator reads it in the user lists (least privilege: DRB lists users to pick
// experts, not to mail them). A bad address is 400 with its field and changes nothing; a change
// is one audit row (user.set_email), the same address again none; "" removes it. An address
// a user gave that awaits its code is shown to administrators only (pending_email), until their
// own change drops it.
func TestAdminSetsUserEmail(t *testing.T) {
	t.Parallel()
	is := newIdentityServer(t)
	admin := is.login("admin", config.DefaultDemoPassword)
	drb := is.login("drb1", config.DefaultDemoPassword)
	r := is.do(admin, http.MethodPost, "/api/v1/users",
		`{"username":"erin","name":"赵五","org_id":"unit-a","roles":["submitter"],"password":"Initial-Passw0rd","email":"zhaowu@luan"}`)
	require.Equal(t, http.StatusBadRequest, r.Status, "%v", r.Body)
	require.Contains(t, r.Body["error"].(map[string]any)["fields"], "email")
	r = is.do(admin, http.MethodPost, "/api/v1/users",
		`{"username":"erin","name":"赵五","org_id":"unit-a","roles":["submitter"],"password":"Initial-Passw0rd","email":" zhaowu@luan.gov.cn"}`)
	require.Equal(t, http.StatusCreated, r.Status, "%v", r.Body)
	require.Equal(t, "zhaowu@luan.gov.cn", r.Body["email"])

	// field reads key of each user of unit-a in token's list of users, by username.
	field := func(token, key string) map[string]any {
		t.Helper()
		r := is.do(token, http.MethodGet, "/api/v1/users?org_id=unit-a", "")
		require.Equal(t, http.StatusOK, r.Status, "%v", r.Body)
		out := map[string]any{}
		for _, it := range r.Body["items"].([]any) {
			u := it.(map[string]any)
			if e, ok := u[key]; ok {
				out[u["username"].(string)] = e
			}
		}
		return out
	}
	emails := func(token string) map[string]any { return field(token, "email") }
	pending := func(token string) map[string]any { return field(token, "pending_email") }
	require.Equal(t, map[string]any{"erin": "zhaowu@luan.gov.cn"}, emails(admin), "alice has none: absent")
	require.Empty(t, emails(drb), "DRB reads no addresses")

	for _, body := range []string{`{"email":"王丽 <wangli@luan.gov.cn>"}`, `{"email":"wangli@luan.gov.cn\nBcc: x@y.cn"}`, `{"email":7}`} {
		r = is.do(admin, http.MethodPatch, "/api/v1/users/u-alice", body)
		require.Equal(t, http.StatusBadRequest, r.Status, "%s: %v", body, r.Body)
	}
	r = is.do(admin, http.MethodPatch, "/api/v1/users/u-alice", `{"email":"wangli@luan.gov.cn"}`)
	require.Equal(t, http.StatusOK, r.Status, "%v", r.Body)
	require.Equal(t, "wangli@luan.gov.cn", r.Body["email"])
	r = is.do(admin, http.MethodPatch, "/api/v1/users/u-alice", `{"email":"wangli@luan.gov.cn"}`)
	require.Equal(t, http.StatusOK, r.Status, "%v", r.Body)
	alice := is.login("alice", config.DefaultDemoPassword)
	r = is.do(alice, http.MethodGet, "/api/v1/me/mail-settings", "")
	require.Equal(t, "wangli@luan.gov.cn", r.Body["email"], "alice reads what the administrator set")

	// alice gives another address in 设置: the administrator sees it awaiting her code (DRB does
	// not); the administrator's own change drops it.
	r = is.do(alice, http.MethodPut, "/api/v1/me/mail-settings", `{"email":"wangli.home@luan.gov.cn"}`)
	require.Equal(t, http.StatusOK, r.Status, "%v", r.Body)
	require.Equal(t, map[string]any{"alice": "wangli.home@luan.gov.cn"}, pending(admin))
	require.Empty(t, pending(drb), "DRB reads no addresses, pending or not")
	r = is.do(admin, http.MethodPatch, "/api/v1/users/u-alice", `{"email":""}`)
	require.Equal(t, http.StatusOK, r.Status, "%v", r.Body)
	require.NotContains(t, r.Body, "email")
	require.NotContains(t, r.Body, "pending_email", "the administrator's change drops the pending address")
	require.Empty(t, pending(admin))

	var rows []string
	require.NoError(t, is.srv.store.DB().Select(&rows, `SELECT action || ':' || coalesce(detail->>'email', '-') FROM audit_log
		WHERE actor_id = 'u-admin' AND action LIKE 'user.%' ORDER BY seq`))
	require.Equal(t, []string{"user.create:zhaowu@luan.gov.cn", "user.set_email:wangli@luan.gov.cn", "user.set_email:"}, rows)
}

// 逾期督办's 停用人员持有的任务: GET /tasks/overdue?held_by_disabled=true lists the open tasks of
// users whose account is disabled, due or not, and nothing else; the plain list stays the
// overdue ones; a bad value is 400 and names the parameter.
func TestOverdueListsTasksHeldByDisabledUsers(t *testing.T) {
	t.Parallel()
	is := newIdentityServer(t)
	admin := is.login("admin", config.DefaultDemoPassword)
	sup := is.login("drbsup", config.DefaultDemoPassword)
	var drb1, drbsup string
	require.NoError(t, is.srv.store.DB().Get(&drb1, `SELECT id FROM users WHERE username = 'drb1'`))
	require.NoError(t, is.srv.store.DB().Get(&drbsup, `SELECT id FROM users WHERE username = 'drbsup'`))
	_, err := is.srv.store.DB().Exec(`INSERT INTO tasks (id, kind, workflow_id, candidate_role, assignee_id, status, decision, decided_by, decided_at, due_at)
		VALUES ('t-held', 'prelim_review', 'wf-1', 'drb_reviewer', $1, 'open', NULL, NULL, NULL, now() + interval '3 days'),
		       ('t-held-late', 'prelim_review', 'wf-2', 'drb_reviewer', $1, 'open', NULL, NULL, NULL, now() - interval '3 days'),
		       ('t-held-done', 'prelim_review', 'wf-3', 'drb_reviewer', $1, 'done', 'approve', $1, now(), now() + interval '3 days'),
		       ('t-sup', 'prelim_review', 'wf-4', 'drb_reviewer', $2, 'open', NULL, NULL, NULL, now() + interval '3 days'),
		       ('t-pool', 'prelim_review', 'wf-5', 'drb_reviewer', NULL, 'open', NULL, NULL, NULL, now() - interval '1 day')`, drb1, drbsup)
	require.NoError(t, err)
	ids := func(r reply) []string {
		require.Equal(t, http.StatusOK, r.Status, "%v", r.Body)
		var out []string
		for _, it := range r.Body["items"].([]any) {
			out = append(out, it.(map[string]any)["id"].(string))
		}
		return out
	}
	// The home page's counts (GET /dashboard) are the lists': held_by_disabled beside all_overdue.
	dashTasks := func(token string) map[string]any {
		r := is.do(token, http.MethodGet, "/api/v1/dashboard", "")
		require.Equal(t, http.StatusOK, r.Status, "%v", r.Body)
		return r.Body["tasks"].(map[string]any)
	}
	require.Empty(t, ids(is.do(sup, http.MethodGet, "/api/v1/tasks/overdue?held_by_disabled=true", "")), "nobody is disabled yet")
	require.EqualValues(t, 0, dashTasks(sup)["held_by_disabled"])
	r := is.do(admin, http.MethodPatch, "/api/v1/users/"+drb1, `{"disabled":true}`)
	require.Equal(t, http.StatusOK, r.Status, "%v", r.Body)
	require.EqualValues(t, 2, dashTasks(sup)["held_by_disabled"], "t-held and t-held-late, due or not; not the done one")
	require.EqualValues(t, 2, dashTasks(sup)["all_overdue"])
	require.EqualValues(t, 3, dashTasks(sup)["oversight"], "t-held, t-held-late and t-pool: the two views' tasks, each once")
	r = is.do(sup, http.MethodGet, "/api/v1/me/counts", "")
	require.Equal(t, http.StatusOK, r.Status, "%v", r.Body)
	require.EqualValues(t, 3, r.Body["tasks"].(map[string]any)["oversight"], "the menu's figure beside 逾期督办")
	require.NotContains(t, dashTasks(is.login("exp2", config.DefaultDemoPassword)), "held_by_disabled", "an expert does not oversee")
	require.Equal(t, []string{"t-held-late", "t-held"}, ids(is.do(sup, http.MethodGet, "/api/v1/tasks/overdue?held_by_disabled=true", "")))
	require.Equal(t, []string{"t-held-late", "t-pool"}, ids(is.do(sup, http.MethodGet, "/api/v1/tasks/overdue", "")))
	require.Equal(t, []string{"t-held-late", "t-pool"}, ids(is.do(sup, http.MethodGet, "/api/v1/tasks/overdue?held_by_disabled=false", "")))
	r = is.do(sup, http.MethodGet, "/api/v1/tasks/overdue?held_by_disabled=maybe", "")
	require.Equal(t, http.StatusBadRequest, r.Status, "%v", r.Body)
	require.Contains(t, r.Body["error"].(map[string]any)["fields"], "held_by_disabled")
	r = is.do(is.login("alice", config.DefaultDemoPassword), http.MethodGet, "/api/v1/tasks/overdue?held_by_disabled=true", "")
	require.Equal(t, http.StatusForbidden, r.Status, "a unit clerk does not oversee: %v", r.Body)

	// The supervisors are told (holder_disabled), with how many open tasks; a user who holds
	// none is disabled without a notice.
	notices := func() []map[string]any {
		r := is.do(sup, http.MethodGet, "/api/v1/notifications", "")
		require.Equal(t, http.StatusOK, r.Status, "%v", r.Body)
		var out []map[string]any
		for _, it := range r.Body["items"].([]any) {
			if n := it.(map[string]any); n["kind"] == "holder_disabled" {
				out = append(out, n)
			}
		}
		return out
	}
	held := notices()
	require.Len(t, held, 1, "%v", held)
	require.Equal(t, "停用人员持有待办", held[0]["title"])
	require.Contains(t, held[0]["body"], "李审（市数管局）（drb1） 的账号已停用，其持有 2 项未办结的任务")
	var alice string
	require.NoError(t, is.srv.store.DB().Get(&alice, `SELECT id FROM users WHERE username = 'alice'`))
	r = is.do(admin, http.MethodPatch, "/api/v1/users/"+alice, `{"disabled":true}`)
	require.Equal(t, http.StatusOK, r.Status, "%v", r.Body)
	require.Len(t, notices(), 1, "alice held no task: no notice")
}
