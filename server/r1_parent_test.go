package main

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"
)

// R1: a third-party service project (design, supervision, testing, security) names a main
// project of its own unit; other types name none. Every refusal is 400 invalid_input on
// parent_project_id and creates nothing; the PATCH path applies the same rule.
func TestR1_ThirdPartyProjectNamesItsUnitsMainProject(t *testing.T) {
	t.Parallel()
	s := newStack(t, "2021")
	year := futureYear()
	main := s.createProject("alice", "R1 主项目", year, 300_000_000)
	other := s.createProject("bob", "R1 他单位主项目", year, 300_000_000)
	body := func(name, typ string, parent any) map[string]any {
		return map[string]any{"name": name, "type": typ, "plan_year": year, "estimated_investment_fen": 20_000_000,
			"description": name + "：服务内容", "mlps_level": 2, "uses_crypto": false, "parent_project_id": parent}
	}
	count := func(name string) int {
		var n int
		require.NoError(t, s.store.DB().Get(&n, `SELECT count(*) FROM projects WHERE name = $1`, name))
		return n
	}
	for _, tc := range []struct {
		name, typ string
		parent    any
	}{
		{"R1 无主项目的监理", "supervision", nil},
		{"R1 无主项目的设计", "design", ""},
		{"R1 新建项目带主项目", "new", main},
		{"R1 他单位主项目的测评", "testing", other},
		{"R1 不存在主项目的安全", "security", "p-00000000000000000000"},
	} {
		r := s.do("alice", http.MethodPost, "/api/v1/projects", body(tc.name, tc.typ, tc.parent), nil)
		require.Equal(t, http.StatusBadRequest, r.Status, "%s: %s", tc.name, r.Raw)
		require.Equal(t, "invalid_input", r.code(), tc.name)
		require.NotEmpty(t, r.str("error", "fields", "parent_project_id"), "%s: %s", tc.name, r.Raw)
		require.Zero(t, count(tc.name), "%s: a refused create stores nothing", tc.name)
	}
	ok := s.do("alice", http.MethodPost, "/api/v1/projects", body("R1 主项目的监理", "supervision", main), nil)
	require.Equal(t, http.StatusCreated, ok.Status, "%s", ok.Raw)
	require.Equal(t, main, ok.str("parent_project_id"))

	self := s.do("alice", http.MethodPatch, "/api/v1/projects/"+ok.str("id"), map[string]any{"parent_project_id": ok.str("id")},
		map[string]string{"If-Match": ok.str("version")})
	require.Equal(t, http.StatusBadRequest, self.Status, "%s", self.Raw)
	require.NotEmpty(t, self.str("error", "fields", "parent_project_id"), "a project is not its own main project: %s", self.Raw)
}
