package main

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestTaskRoutesAnswerMissingAndUnsignedAsBefore: the routes under /tasks/:id read the session
// and the task together (auth.AuthenticateTask). A task that does not exist is 404 not_found
// for a signed-in reviewer; a bad token is 401 whether or not the task exists, so the shared
// read tells nobody unsigned which tasks exist; nothing is written either way.
func TestTaskRoutesAnswerMissingAndUnsignedAsBefore(t *testing.T) {
	t.Parallel()
	s := newStack(t, "2021")
	s.token("drb1") // the login's own audit row first
	var audits int
	require.NoError(t, s.store.DB().Get(&audits, `SELECT count(*) FROM audit_log`))
	routes := []struct{ method, path string }{
		{http.MethodGet, "/api/v1/tasks/no-such-task"},
		{http.MethodPost, "/api/v1/tasks/no-such-task/claim"},
		{http.MethodPost, "/api/v1/tasks/no-such-task/decision"},
	}
	for _, r := range routes {
		var body any
		if r.path == "/api/v1/tasks/no-such-task/decision" {
			body = map[string]any{"decision": "approve", "comment": "同意"}
		}
		got := s.do("drb1", r.method, r.path, body, nil)
		require.Equal(t, http.StatusNotFound, got.Status, "%s %s: %s", r.method, r.path, got.Raw)
		require.Equal(t, "not_found", got.code(), "%s %s", r.method, r.path)

		got = s.do("", r.method, r.path, body, map[string]string{"Authorization": "Bearer not-a-token"})
		require.Equal(t, http.StatusUnauthorized, got.Status, "%s %s: %s", r.method, r.path, got.Raw)
	}
	var after int
	require.NoError(t, s.store.DB().Get(&after, `SELECT count(*) FROM audit_log`))
	require.Equal(t, audits, after, "a refused request writes nothing")
}
