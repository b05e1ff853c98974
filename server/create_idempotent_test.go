package main

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"
)

// A create resent with the same Idempotency-Key after a lost reply creates nothing new and
// answers with the project the key created (found by the fault test: POST /projects took no
// key, so a resend left a stray draft). The same key with another body is refused; without a
// key every request is a new draft; a key is scoped to its person.
func TestCreateProjectIdempotencyKey(t *testing.T) {
	t.Parallel()
	s := newStack(t, "2021")
	year := futureYear()
	body := func(name string) map[string]any {
		return map[string]any{"name": name, "type": "new", "plan_year": year, "estimated_investment_fen": 300_000_000,
			"description": name + "：建设内容说明", "mlps_level": 2, "uses_crypto": false}
	}
	key := map[string]string{"Idempotency-Key": "create-0001"}
	count := func(name string) int {
		var n int
		require.NoError(t, s.store.DB().Get(&n, `SELECT count(*) FROM projects WHERE name = $1`, name))
		return n
	}
	audits := func(id string) int {
		var n int
		require.NoError(t, s.store.DB().Get(&n, `SELECT count(*) FROM audit_log WHERE action = 'project.create' AND object_id = $1`, id))
		return n
	}

	first := s.do("alice", http.MethodPost, "/api/v1/projects", body("幂等创建的项目"), key)
	require.Equal(t, http.StatusCreated, first.Status, "%s", first.Raw)
	again := s.do("alice", http.MethodPost, "/api/v1/projects", body("幂等创建的项目"), key)
	require.Equal(t, http.StatusCreated, again.Status, "%s", again.Raw)
	require.Equal(t, first.str("id"), again.str("id"))
	require.Equal(t, 1, count("幂等创建的项目"))
	require.Equal(t, 1, audits(first.str("id")), "the resend writes no second audit row (R18)")

	// A resend after the draft was edited is still the same request (compared with what the
	// key first created, not with the edited draft).
	edit := s.do("alice", http.MethodPatch, "/api/v1/projects/"+first.str("id"), map[string]any{"name": "幂等创建后改名"}, nil)
	require.Equal(t, http.StatusOK, edit.Status, "%s", edit.Raw)
	late := s.do("alice", http.MethodPost, "/api/v1/projects", body("幂等创建的项目"), key)
	require.Equal(t, http.StatusCreated, late.Status, "%s", late.Raw)
	require.Equal(t, first.str("id"), late.str("id"))
	require.Equal(t, "幂等创建后改名", late.str("name"), "answers the project as it is now")

	other := s.do("alice", http.MethodPost, "/api/v1/projects", body("另一个内容"), key)
	require.Equal(t, http.StatusConflict, other.Status, "%s", other.Raw)
	require.Equal(t, "idempotency_key_reused", other.code())
	require.Zero(t, count("另一个内容"))

	bob := s.do("bob", http.MethodPost, "/api/v1/projects", body("幂等创建的项目"), key)
	require.Equal(t, http.StatusCreated, bob.Status, "%s", bob.Raw)
	require.NotEqual(t, first.str("id"), bob.str("id"), "a key is scoped to its person")

	bad := s.do("alice", http.MethodPost, "/api/v1/projects", body("坏键"), map[string]string{"Idempotency-Key": "bad key!"})
	require.Equal(t, http.StatusBadRequest, bad.Status)
	require.Equal(t, "bad_idempotency_key", bad.code())
	require.Zero(t, count("坏键"))

	s.createProject("alice", "无键草稿", year, 300_000_000)
	s.createProject("alice", "无键草稿", year, 300_000_000)
	require.Equal(t, 2, count("无键草稿"), "without a key every request is a new draft")
}
