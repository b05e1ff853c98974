package main

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// R16 through the API: a project declares the data resources it builds or uses (create and
// patch; trimmed, repeats dropped, too many or blank refused with 400 and nothing changed),
// and on submission a project building the same resources as another unit's, under another
// name, is flagged for it (GET /projects/{id}/similar, reason data_resources).
func TestR16_DataResourcesDeclaredAndCompared(t *testing.T) {
	t.Parallel()
	s := newStack(t, "2021")
	year := futureYear()
	body := func(name string, resources any) map[string]any {
		return map[string]any{"name": name, "type": "new", "plan_year": year, "estimated_investment_fen": 300_000_000,
			"description": name + "：建设内容", "mlps_level": 2, "data_resources": resources}
	}
	r := s.do("alice", http.MethodPost, "/api/v1/projects", body("人口综合服务平台", []string{" 人口基础信息库 ", "电子证照库", "电子证照库"}), nil)
	require.Equal(t, http.StatusCreated, r.Status, "%s", r.Raw)
	a := r.str("id")
	require.Equal(t, []any{"人口基础信息库", "电子证照库"}, r.Body["data_resources"])

	many := make([]string, 101)
	for i := range many {
		many[i] = fmt.Sprintf("资源%d", i)
	}
	for _, bad := range []any{[]string{""}, []string{strings.Repeat("库", 201)}, many} {
		r = s.do("bob", http.MethodPost, "/api/v1/projects", body("坏请求", bad), nil)
		require.Equal(t, http.StatusBadRequest, r.Status, "%s", r.Raw)
	}
	r = s.do("bob", http.MethodPost, "/api/v1/projects", body("城市运行一网统管", nil), nil)
	require.Equal(t, http.StatusCreated, r.Status, "%s", r.Raw)
	b := r.str("id")
	require.Equal(t, []any{}, r.Body["data_resources"], "none declared: an empty list")
	// A bad list on PATCH is 400 and changes nothing.
	r = s.do("bob", http.MethodPatch, "/api/v1/projects/"+b, map[string]any{"data_resources": []string{"人口库", " "}}, nil)
	require.Equal(t, http.StatusBadRequest, r.Status, "%s", r.Raw)
	require.Equal(t, []any{}, s.do("bob", http.MethodGet, "/api/v1/projects/"+b, nil, nil).Body["data_resources"])
	r = s.do("bob", http.MethodPatch, "/api/v1/projects/"+b, map[string]any{"data_resources": []string{"人口基础信息库", "电子证照库"}}, nil)
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Raw)
	require.Equal(t, []any{"人口基础信息库", "电子证照库"}, r.Body["data_resources"])

	s.submit("alice", a)
	s.waitStage("alice", a, "prelim_review")
	s.submit("bob", b)
	require.EventuallyWithT(t, func(c *assertT) {
		r := s.do("drb1", http.MethodGet, "/api/v1/projects/"+b+"/similar", nil, nil)
		items, _ := r.Body["items"].([]any)
		if assertLen(c, items, 1) {
			it := items[0].(map[string]any)
			require.Equal(c, a, it["project_id"])
			require.Contains(c, it["reasons"], "data_resources")
		}
	}, 20*time.Second, 100*time.Millisecond)
}
