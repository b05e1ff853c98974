package main

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestProjectDeclaresSharedInfrastructure (基础共用, the source document's 三、第一部分 and
// 四（四）; R1's project record): the unit declares where the system runs — the 市政务云平台, its
// own machine room (saying why) or nowhere — and which shared platforms it builds on; the
// project's readers see it; a project created without it reads null (未填写). A self-built
// deployment without a reason, a reason with any other deployment, an unknown value or a
// repeated platform is 400 on its field and changes nothing.
func TestProjectDeclaresSharedInfrastructure(t *testing.T) {
	t.Parallel()
	s := newStack(t, "2021")
	year := futureYear()
	body := func(name string, extra map[string]any) map[string]any {
		b := map[string]any{"name": name, "type": "new", "plan_year": year, "estimated_investment_fen": 100_000_000,
			"description": "基础共用测试", "mlps_level": 2}
		for k, v := range extra {
			b[k] = v
		}
		return b
	}
	count := func() float64 {
		r := s.do("alice", http.MethodGet, "/api/v1/projects?limit=100", nil, nil)
		require.Equal(t, http.StatusOK, r.Status, "%s", r.Raw)
		return float64(len(r.Body["items"].([]any)))
	}

	r := s.do("alice", http.MethodPost, "/api/v1/projects", body("基础共用测试：政务云", map[string]any{
		"deployment": "gov_cloud", "shared_platforms": []string{"service_platform", "data_platform"}}), nil)
	require.Equal(t, http.StatusCreated, r.Status, "%s", r.Raw)
	cloud := r.str("id")
	r = s.do("alice", http.MethodGet, "/api/v1/projects/"+cloud, nil, nil)
	require.Equal(t, "gov_cloud", r.Body["deployment"])
	require.Equal(t, "", r.Body["deployment_reason"])
	require.Equal(t, []any{"data_platform", "service_platform"}, r.Body["shared_platforms"], "in one order, as ticked or not")

	old := s.createProject("alice", "基础共用测试：未填写", year, 100_000_000)
	r = s.do("alice", http.MethodGet, "/api/v1/projects/"+old, nil, nil)
	require.Contains(t, r.Body, "deployment")
	require.Nil(t, r.Body["deployment"], "not asked: null, 未填写")
	require.Equal(t, []any{}, r.Body["shared_platforms"])

	before := count()
	for _, bad := range []struct {
		extra map[string]any
		field string
	}{
		{map[string]any{"deployment": "self_built"}, "deployment_reason"},
		{map[string]any{"deployment": "self_built", "deployment_reason": "   "}, "deployment_reason"},
		{map[string]any{"deployment": "gov_cloud", "deployment_reason": "涉密系统"}, "deployment_reason"},
		{map[string]any{"deployment_reason": "涉密系统"}, "deployment_reason"},
		{map[string]any{"deployment": "cloud"}, "deployment"},
		{map[string]any{"shared_platforms": []string{"data_platform", "data_platform"}}, "shared_platforms"},
		{map[string]any{"shared_platforms": []string{"wechat"}}, "shared_platforms"},
		{map[string]any{"deployment_reason": strings.Repeat("理", 2001), "deployment": "self_built"}, "deployment_reason"},
	} {
		r = s.do("alice", http.MethodPost, "/api/v1/projects", body("基础共用测试：不合法", bad.extra), nil)
		require.Equal(t, http.StatusBadRequest, r.Status, "%v: %s", bad.extra, r.Raw)
		fields := r.Body["error"].(map[string]any)["fields"].(map[string]any)
		found := false
		for f := range fields {
			found = found || strings.HasPrefix(f, bad.field)
		}
		require.True(t, found, "%v: 400 on %s: %s", bad.extra, bad.field, r.Raw)
	}
	require.Equal(t, before, count(), "a refused create makes no project")

	// Editing: self-built with its reason; back to the cloud drops the reason; a reason alone
	// while on the cloud is refused and leaves the project as it was.
	patch := func(b map[string]any) resp {
		return s.do("alice", http.MethodPatch, "/api/v1/projects/"+old, b, nil)
	}
	r = patch(map[string]any{"deployment": "self_built"})
	require.Equal(t, http.StatusBadRequest, r.Status, "%s", r.Raw)
	r = patch(map[string]any{"deployment": "self_built", "deployment_reason": " 涉密业务系统，须部署于专用机房 ", "shared_platforms": []string{"data_platform"}})
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Raw)
	require.Equal(t, "self_built", r.Body["deployment"])
	require.Equal(t, "涉密业务系统，须部署于专用机房", r.Body["deployment_reason"], "trimmed")
	require.Equal(t, []any{"data_platform"}, r.Body["shared_platforms"])
	r = patch(map[string]any{"deployment": "gov_cloud"})
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Raw)
	require.Equal(t, "gov_cloud", r.Body["deployment"])
	require.Equal(t, "", r.Body["deployment_reason"], "the reason went with the self-built deployment")
	require.Equal(t, []any{"data_platform"}, r.Body["shared_platforms"], "not given: kept")
	r = patch(map[string]any{"deployment_reason": "另有理由"})
	require.Equal(t, http.StatusBadRequest, r.Status, "%s", r.Raw)
	r = s.do("alice", http.MethodGet, "/api/v1/projects/"+old, nil, nil)
	require.Equal(t, "", r.Body["deployment_reason"], "a refused edit changes nothing")

	// The reviewers read it with the project (DRB after submission).
	s.submit("alice", old)
	r = s.do("drb1", http.MethodGet, "/api/v1/projects/"+old, nil, nil)
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Raw)
	require.Equal(t, "gov_cloud", r.Body["deployment"])

	// 项目列表 and 项目台账 keep one deployment, or the projects that have not said.
	r = s.do("alice", http.MethodPost, "/api/v1/projects", body("基础共用测试：自建", map[string]any{
		"deployment": "self_built", "deployment_reason": "涉密业务"}), nil)
	require.Equal(t, http.StatusCreated, r.Status, "%s", r.Raw)
	self := r.str("id")
	unset := s.createProject("alice", "基础共用测试：仍未填写", year, 100_000_000)
	for q, want := range map[string][]string{"self_built": {self}, "unset": {unset}, "gov_cloud": {old, cloud}, "none": {}} {
		r = s.do("alice", http.MethodGet, "/api/v1/projects?limit=100&deployment="+q, nil, nil)
		require.Equal(t, http.StatusOK, r.Status, "%s", r.Raw)
		got := []string{}
		for _, it := range r.Body["items"].([]any) {
			got = append(got, it.(map[string]any)["id"].(string))
		}
		require.ElementsMatch(t, want, got, "?deployment=%s", q)
		reg := s.do("alice", http.MethodGet, "/api/v1/exports/registry?format=csv&deployment="+q, nil, nil)
		require.Equal(t, http.StatusOK, reg.Status, "%s", reg.Raw)
		rows := readCSV(t, reg.Raw).rows
		ids := make([]string, 0, len(rows))
		for _, row := range rows {
			ids = append(ids, row[1])
		}
		require.ElementsMatch(t, want, ids, "项目台账 ?deployment=%s", q)
	}
	for _, path := range []string{"/api/v1/projects?deployment=cloud", "/api/v1/exports/registry?deployment=%20"} {
		r = s.do("alice", http.MethodGet, path, nil, nil)
		require.Equal(t, http.StatusBadRequest, r.Status, "%s: %s", path, r.Raw)
		require.Equal(t, "取值必须是其中之一：市政务云平台（gov_cloud）、自建机房或独立部署（self_built）、不涉及部署（none）、未填写（unset）",
			r.Body["error"].(map[string]any)["fields"].(map[string]any)["deployment"], "%s", path)
	}
}
