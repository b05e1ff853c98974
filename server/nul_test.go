package main

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestNULAndBadUTF8Are400: NUL characters in a JSON body, a path or a query, and invalid UTF-8
// in a URL, answer 400 — never a 500 from the database (found by FuzzJSONEndpoints).
func TestNULAndBadUTF8Are400(t *testing.T) {
	t.Parallel()
	s := newStack(t, "2021")
	r := s.do("", http.MethodPost, "/api/v1/auth/login", map[string]any{"username": "a\x00b", "password": "x"}, nil)
	require.Equal(t, http.StatusBadRequest, r.Status, "%s", r.Raw)
	// An escaped backslash followed by the text u0000 is no NUL: an ordinary failed login.
	r = s.do("", http.MethodPost, "/api/v1/auth/login", map[string]any{"username": `a\u0000b`, "password": "x"}, nil)
	require.Equal(t, http.StatusUnauthorized, r.Status, "%s", r.Raw)
	for _, path := range []string{"/api/v1/projects/%00", "/api/v1/projects?q=%00", "/api/v1/projects?q=%FF", "/api/v1/projects/%FF"} {
		req, err := http.NewRequest(http.MethodGet, s.http.URL+path, strings.NewReader(""))
		require.NoError(t, err)
		req.Header.Set("Authorization", "Bearer "+s.token("drb1"))
		r = s.send(req)
		require.Equal(t, http.StatusBadRequest, r.Status, "%s: %s", path, r.Raw)
	}
}
