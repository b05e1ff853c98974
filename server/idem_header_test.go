package main

import (
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// Every route refuses a malformed Idempotency-Key with 400 bad_idempotency_key and changes
// nothing: the delivery, plan and decision routes turned any key into a Temporal id, and an
// overlong one came back as a 500.
func TestBadIdempotencyKeyIsRefusedEverywhere(t *testing.T) {
	t.Parallel()
	s := newStack(t, "2021")
	year := futureYear()
	p := s.createProject("alice", "幂等键校验项目", year, 300_000_000)
	s.token("drb1") // sign in first: a login writes its own audit row
	var before int
	require.NoError(t, s.store.DB().Get(&before, `SELECT count(*) FROM audit_log`))
	for _, key := range []string{strings.Repeat("k", 2000), "有中文", "a b", ""} {
		for _, r := range []struct{ user, method, path string }{
			{"alice", http.MethodPost, "/api/v1/projects/" + p + "/contract"},
			{"alice", http.MethodPost, "/api/v1/projects/" + p + "/construction-complete"},
			{"alice", http.MethodPost, "/api/v1/projects/" + p + "/submit"},
			{"drb1", http.MethodPost, "/api/v1/plans/" + strconv.Itoa(year) + "/bundles"},
			{"drb1", http.MethodPost, "/api/v1/tasks/t-none/decision"},
			{"alice", http.MethodPost, "/api/v1/projects"},
		} {
			res := s.do(r.user, r.method, r.path, map[string]any{}, map[string]string{"Idempotency-Key": key})
			require.Equal(t, http.StatusBadRequest, res.Status, "%s %s key %.20q: %s", r.method, r.path, key, res.Raw)
			require.Equal(t, "bad_idempotency_key", res.code(), "%s %s", r.method, r.path)
		}
	}
	var after int
	require.NoError(t, s.store.DB().Get(&after, `SELECT count(*) FROM audit_log`))
	require.Equal(t, before, after, "a refused request changes nothing")
}
