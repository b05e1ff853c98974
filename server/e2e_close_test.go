package main

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// closingStack is a stack whose policy in force is "test-close": the test policy with the plan's
// year-end close 25 s after the plan of a year starts (plan_close_after), as the test policy
// shortens the trial run.
func closingStack(t *testing.T) *stack {
	t.Helper()
	s := newStack(t, "test")
	_, err := s.store.DB().Exec(`INSERT INTO policy_versions (version, effective_from, title, test_only, body)
		SELECT 'test-close', DATE '2000-01-01', '测试策略（年度计划 25 秒后截止）', true,
			body || '{"version": "test-close", "plan_close_after": "25s"}'::jsonb FROM policy_versions WHERE version = 'test'`)
	require.NoError(t, err)
	return s.restart(t, "test-close")
}

// TestE2E_R5_YearEndCloseLeavesPrePlanProjectsNotIncluded (issue 19 item 5): at the plan's
// close every project of its year still before the plan's decision, in prelim review, expert
// review or awaiting the plan, is not included: its open tasks are cancelled, its unit is told
// and the close is audited by system on the plan and on each project; a project the plan
// already included awaits its approval as before.
func TestE2E_R5_YearEndCloseLeavesPrePlanProjectsNotIncluded(t *testing.T) {
	t.Parallel()
	s := closingStack(t)
	year := futureYear()
	waiting := s.createProject("alice", "社区网格化治理平台", year, 300_000_000)
	s.submit("alice", waiting)
	included := s.createProject("bob", "医保智能审核系统", year, 400_000_000)
	s.submit("bob", included)
	inExpert := s.createProject("bob", "不动产登记一窗受理", year, 200_000_000)
	s.submit("bob", inExpert)
	inPrelim := s.createProject("alice", "市民热线知识库", year, 100_000_000)
	s.submit("alice", inPrelim)
	s.toAwaitingPlan("alice", waiting, year)
	s.toAwaitingPlan("bob", included, year)
	r := s.retry409("drb1", http.MethodPost, fmt.Sprintf("/api/v1/plans/%d/compile", year),
		map[string]any{"included": []map[string]any{{"project_id": included, "approved_amount_fen": 400_000_000}}})
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Raw)
	s.waitStage("bob", included, "awaiting_approval")
	s.prelimApprove(inExpert)
	prelimTask := s.openTask("drb1", inPrelim, "prelim_review")

	for _, p := range []struct{ user, id string }{{"alice", waiting}, {"bob", inExpert}, {"alice", inPrelim}} {
		require.EventuallyWithT(t, func(c *assertT) {
			r := s.do(p.user, http.MethodGet, "/api/v1/projects/"+p.id, nil, nil)
			assertEqual(c, "not_included", r.str("stage"))
		}, 60*time.Second, 200*time.Millisecond, "project %s not closed by the plan's year-end close", p.id)
	}
	got := s.do("bob", http.MethodGet, "/api/v1/projects/"+included, nil, nil)
	require.Equal(t, "awaiting_approval", got.str("stage"), "a project already in the plan is left alone")

	// The prelim task is cancelled: nobody has it to decide any more.
	r = s.do("drb1", http.MethodGet, "/api/v1/tasks?kind=prelim_review&project_id="+inPrelim, nil, nil)
	require.Empty(t, r.Body["items"], "%s", r.Raw)
	r = s.decide("drb1", prelimTask, map[string]any{"decision": "approve", "comment": "同意"}, nil)
	require.Equal(t, http.StatusConflict, r.Status, "%s", r.Raw)

	// Each unit is told of its own projects, once.
	told := func(user string) map[string]int {
		out := map[string]int{}
		for _, n := range s.notices(user) {
			if n["kind"] == "not_included" {
				out[fmt.Sprint(n["project_id"])]++
			}
		}
		return out
	}
	require.EventuallyWithT(t, func(c *assertT) {
		assertEqual(c, map[string]int{waiting: 1, inPrelim: 1}, told("alice"))
		assertEqual(c, map[string]int{inExpert: 1}, told("bob"))
	}, 10*time.Second, 200*time.Millisecond)

	// Audited by system: on the plan (naming the projects) and on each project.
	r = s.do("audit1", http.MethodGet, fmt.Sprintf("/api/v1/audit?object=plan:%d", year), nil, nil)
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Raw)
	items, _ := r.Body["items"].([]any)
	require.Len(t, items, 1, "%s", r.Raw)
	row := items[0].(map[string]any)
	require.Equal(t, "plan.year_end_close", row["action"])
	require.Equal(t, "system", row["actor_id"])
	require.ElementsMatch(t, []any{waiting, inExpert, inPrelim}, row["detail"].(map[string]any)["not_included"])
	for _, p := range []string{waiting, inExpert, inPrelim} {
		r = s.do("audit1", http.MethodGet, "/api/v1/audit?object=project:"+p, nil, nil)
		require.Equal(t, http.StatusOK, r.Status, "%s", r.Raw)
		require.Contains(t, string(r.Raw), `"plan.year_end_close"`, "project %s", p)
	}
}
