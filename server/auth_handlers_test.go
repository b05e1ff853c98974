package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/zap"

	"egovpm/internal/auth"
	"egovpm/internal/config"
	"egovpm/internal/seed"
	"egovpm/internal/testdb"
)

// identityServer is a gateway with only what the identity handlers need (no Temporal).
type identityServer struct {
	t      *testing.T
	srv    *Server
	engine http.Handler
	// mail is what the gateway mailed.
	mail *mailbox
}

func newIdentityServer(t *testing.T) *identityServer {
	t.Helper()
	st := testdb.New(t)
	require.NoError(t, seed.Demo(context.Background(), st, config.DefaultDemoPassword))
	s := &Server{cfg: config.Config{Mode: config.ModeDev}, store: st, log: zap.NewNop(), now: time.Now,
		auth: auth.NewService(st, auth.Options{Secret: "handler-test-secret", MaxFailures: 3,
			Hash: auth.HashParams{Memory: 1024, Time: 1, Threads: 1}})}
	box := &mailbox{}
	s.mailer = box
	return &identityServer{t: t, srv: s, engine: s.routes(), mail: box}
}

type reply struct {
	Status int
	Header http.Header
	Body   map[string]any
}

func (r reply) code() string {
	e, _ := r.Body["error"].(map[string]any)
	s, _ := e["code"].(string)
	return s
}

func (is *identityServer) do(token, method, path, body string) reply {
	is.t.Helper()
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	w := httptest.NewRecorder()
	is.engine.ServeHTTP(w, req)
	r := reply{Status: w.Code, Header: w.Header()}
	if b := w.Body.Bytes(); len(bytes.TrimSpace(b)) > 0 {
		require.NoError(is.t, json.Unmarshal(b, &r.Body), string(b))
	}
	return r
}

func (is *identityServer) login(user, password string) string {
	is.t.Helper()
	b, _ := json.Marshal(map[string]string{"username": user, "password": password})
	r := is.do("", http.MethodPost, "/api/v1/auth/login", string(b))
	require.Equal(is.t, http.StatusOK, r.Status, "%v", r.Body)
	tok, _ := r.Body["token"].(string)
	require.NotEmpty(is.t, tok)
	return tok
}

func items(r reply, field string) []string {
	var out []string
	list, _ := r.Body["items"].([]any)
	for _, it := range list {
		m, _ := it.(map[string]any)
		s, _ := m[field].(string)
		out = append(out, s)
	}
	return out
}

func TestIdentityHandlers(t *testing.T) {
	t.Parallel()
	is := newIdentityServer(t)

	r := is.do("", http.MethodPost, "/api/v1/auth/login", `{"username":"alice","password":"`+config.DefaultDemoPassword+`"}`)
	require.Equal(t, http.StatusOK, r.Status, "%v", r.Body)
	require.Equal(t, "no-store", r.Header.Get("Cache-Control"))
	user, _ := r.Body["user"].(map[string]any)
	require.Equal(t, "u-alice", user["id"])
	require.Equal(t, "unit-a", user["org_id"])
	require.Equal(t, []any{"submitter"}, user["roles"])
	_, err := time.Parse(time.RFC3339, r.Body["expires_at"].(string))
	require.NoError(t, err)
	alice := r.Body["token"].(string)

	for _, tc := range []struct {
		body   string
		status int
		code   string
	}{
		{`{"username":"alice","password":"wrong"}`, http.StatusUnauthorized, auth.CodeInvalidCredentials},
		{`{"username":"nobody","password":"wrong"}`, http.StatusUnauthorized, auth.CodeInvalidCredentials},
		{`{"username":"alice"}`, http.StatusBadRequest, "invalid_input"},
		{`{"username":"alice","password":"x","role":"admin"}`, http.StatusBadRequest, "invalid_input"},
		{`{"username":`, http.StatusBadRequest, "bad_json"},
		{``, http.StatusBadRequest, "empty_body"},
		{`{"username":"` + strings.Repeat("a", 100) + `","password":"x"}`, http.StatusBadRequest, "invalid_input"},
	} {
		r := is.do("", http.MethodPost, "/api/v1/auth/login", tc.body)
		require.Equal(t, tc.status, r.Status, "%s: %v", tc.body, r.Body)
		require.Equal(t, tc.code, r.code(), tc.body)
	}

	r = is.do(alice, http.MethodGet, "/api/v1/me", "")
	require.Equal(t, http.StatusOK, r.Status, "%v", r.Body)
	require.Equal(t, "市教育局", r.Body["org"].(map[string]any)["name"])
	require.Equal(t, "alice", r.Body["user"].(map[string]any)["username"])
	require.Equal(t, []any{"submitter"}, r.Body["roles"])

	// Users: DRB and admin only; filters and keyset pages of at most 100.
	require.Equal(t, http.StatusForbidden, is.do(alice, http.MethodGet, "/api/v1/users", "").Status)
	drb1 := is.login("drb1", config.DefaultDemoPassword)
	r = is.do(drb1, http.MethodGet, "/api/v1/users?role=expert", "")
	require.Equal(t, http.StatusOK, r.Status, "%v", r.Body)
	require.Equal(t, []string{"exp1", "exp2", "exp3", "exp4", "exp5"}, items(r, "username"))
	r = is.do(drb1, http.MethodGet, "/api/v1/users?org_id=unit-a", "")
	require.Equal(t, []string{"alice", "exp1"}, items(r, "username"))
	var all []string
	cursor := ""
	for {
		r = is.do(drb1, http.MethodGet, "/api/v1/users?limit=7&cursor="+cursor, "")
		require.Equal(t, http.StatusOK, r.Status, "%v", r.Body)
		all = append(all, items(r, "id")...)
		cursor, _ = r.Body["next_cursor"].(string)
		if cursor == "" {
			break
		}
	}
	require.Len(t, all, 17)
	for _, q := range []string{"role=king", "org_id=Bad!", "limit=1000", "limit=x", "cursor=zzz"} {
		r = is.do(drb1, http.MethodGet, "/api/v1/users?"+q, "")
		require.Equal(t, http.StatusBadRequest, r.Status, "%s: %v", q, r.Body)
	}

	// Orgs: any signed-in user reads; admin creates.
	r = is.do(alice, http.MethodGet, "/api/v1/orgs?kind=unit", "")
	require.Equal(t, http.StatusOK, r.Status, "%v", r.Body)
	require.Equal(t, []string{"unit-a", "unit-b"}, items(r, "id"))
	require.Equal(t, http.StatusForbidden, is.do(drb1, http.MethodPost, "/api/v1/orgs", `{"id":"unit-c","name":"市民政局","kind":"unit"}`).Status)
	admin := is.login("admin", config.DefaultDemoPassword)
	r = is.do(admin, http.MethodPost, "/api/v1/orgs", `{"id":"unit-c","name":"市民政局","kind":"unit"}`)
	require.Equal(t, http.StatusCreated, r.Status, "%v", r.Body)
	r = is.do(admin, http.MethodPost, "/api/v1/orgs", `{"id":"unit-c","name":"市民政局","kind":"unit"}`)
	require.Equal(t, http.StatusConflict, r.Status)
	require.Equal(t, "org_exists", r.code())
	for _, body := range []string{`{"id":"Unit C","name":"x","kind":"unit"}`, `{"id":"unit-d","name":"x","kind":"bank"}`,
		`{"id":"unit-d","name":"  ","kind":"unit"}`, `{"id":"unit-d","name":"x","kind":"unit","created_at":"2020-01-01T00:00:00Z"}`} {
		r = is.do(admin, http.MethodPost, "/api/v1/orgs", body)
		require.Equal(t, http.StatusBadRequest, r.Status, "%s: %v", body, r.Body)
	}

	// Users: admin creates; the new user can log in.
	require.Equal(t, http.StatusForbidden, is.do(drb1, http.MethodPost, "/api/v1/users", `{}`).Status)
	carol := `{"username":"carol","name":"张三","org_id":"unit-c","roles":["submitter"],"password":"Str0ng-password!"}`
	r = is.do(admin, http.MethodPost, "/api/v1/users", carol)
	require.Equal(t, http.StatusCreated, r.Status, "%v", r.Body)
	require.Equal(t, "u-carol", r.Body["id"])
	require.Equal(t, []any{"submitter"}, r.Body["roles"])
	require.NotContains(t, r.Body, "password")
	r = is.do(admin, http.MethodPost, "/api/v1/users", carol)
	require.Equal(t, http.StatusConflict, r.Status)
	require.Equal(t, "username_taken", r.code())
	for _, body := range []string{
		`{"username":"dave","name":"李四","org_id":"unit-c","roles":["submitter"],"password":"weak"}`,
		`{"username":"dave","name":"李四","org_id":"nowhere","roles":["submitter"],"password":"Str0ng-password!"}`,
		`{"username":"dave","name":"李四","org_id":"unit-c","roles":["king"],"password":"Str0ng-password!"}`,
		`{"username":"dave","name":"李四","org_id":"unit-c","roles":[],"password":"Str0ng-password!"}`,
		`{"username":"D ave","name":"李四","org_id":"unit-c","roles":["submitter"],"password":"Str0ng-password!"}`,
		`{"username":"dave","name":"李四","org_id":"unit-c","roles":["submitter"],"password":"Str0ng-password!","disabled":false}`,
	} {
		r = is.do(admin, http.MethodPost, "/api/v1/users", body)
		require.Equal(t, http.StatusBadRequest, r.Status, "%s: %v", body, r.Body)
	}
	carolTok := is.login("carol", "Str0ng-password!")
	r = is.do(carolTok, http.MethodGet, "/api/v1/me", "")
	require.Equal(t, "unit-c", r.Body["org"].(map[string]any)["id"])

	// Logout revokes the token at once.
	r = is.do(alice, http.MethodPost, "/api/v1/auth/logout", "")
	require.Equal(t, http.StatusNoContent, r.Status, "%v", r.Body)
	r = is.do(alice, http.MethodGet, "/api/v1/me", "")
	require.Equal(t, http.StatusUnauthorized, r.Status)
	require.Equal(t, auth.CodeTokenRevoked, r.code())
	r = is.do("garbage", http.MethodGet, "/api/v1/me", "")
	require.Equal(t, http.StatusUnauthorized, r.Status)
	require.Equal(t, auth.CodeUnauthenticated, r.code())

	// Lockout answers 429 with Retry-After.
	for i := 0; i < 2; i++ {
		r = is.do("", http.MethodPost, "/api/v1/auth/login", `{"username":"bob","password":"wrong"}`)
		require.Equal(t, http.StatusUnauthorized, r.Status)
	}
	r = is.do("", http.MethodPost, "/api/v1/auth/login", `{"username":"bob","password":"wrong"}`)
	require.Equal(t, http.StatusTooManyRequests, r.Status)
	require.Equal(t, auth.CodeAccountLocked, r.code())
	require.NotEmpty(t, r.Header.Get("Retry-After"))

	var actions []string
	require.NoError(t, is.srv.store.DB().Select(&actions, `SELECT action || ':' || outcome FROM audit_log WHERE action <> 'auth.login' ORDER BY seq`))
	require.Equal(t, []string{"seed.demo:ok", "org.create:ok", "user.create:ok", "auth.logout:ok"}, actions)
	var denied int
	require.NoError(t, is.srv.store.DB().Get(&denied, `SELECT count(*) FROM audit_log WHERE action = 'auth.login' AND outcome = 'denied'`))
	require.Equal(t, 5, denied)
}
