package main

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// delivery is GET /api/v1/projects/{p}/delivery as user reads it.
func (s *stack) delivery(user, p string) resp {
	r := s.do(user, http.MethodGet, "/api/v1/projects/"+p+"/delivery", nil, nil)
	require.Equal(s.t, http.StatusOK, r.Status, "%s", r.Raw)
	return r
}

// TestE2E_R14_EvaluationOpensAfterThePeriodAndRecurs (issue 19 item 9): under a test policy
// whose evaluation opens 8 s after acceptance and recurs every 8 s (evaluation_after,
// evaluation_every), the project enters O&M with no evaluation open and the next one due;
// round 1 opens after the period (across the O&M years' continue-as-new, 6 s each), DRB
// decides it, round 2 opens as a task of its own and is decided; the delivery read lists both
// rounds newest first, keeps the latest in evaluation, and names the date round 3 opens.
func TestE2E_R14_EvaluationOpensAfterThePeriodAndRecurs(t *testing.T) {
	t.Parallel()
	s := newStack(t, "test")
	_, err := s.store.DB().Exec(`INSERT INTO policy_versions (version, effective_from, title, test_only, body)
		SELECT 'test-evaluation', effective_from, '测试策略（绩效评价按期、每期重复）', true,
			jsonb_set(body, '{version}', '"test-evaluation"') || '{"evaluation_after": "8s", "evaluation_every": "8s"}'::jsonb
		FROM policy_versions WHERE version = 'test'`)
	require.NoError(t, err)
	s = s.restart(t, "test-evaluation")
	p := s.approvedLarge("bob", "城市运行监测平台", false)
	s.inOM("bob", p)
	accepted := time.Now()

	d := s.delivery("bob", p)
	require.Nil(t, d.Body["evaluation"], "R14: not evaluated on the day of acceptance: %s", d.Raw)
	require.Empty(t, d.Body["evaluations"])
	due, err := time.Parse(time.RFC3339, d.str("next_evaluation_at"))
	require.NoError(t, err, "the first round's date is shown: %s", d.Raw)
	require.WithinDuration(t, accepted.Add(8*time.Second), due, 3*time.Second)
	r := s.do("drb1", http.MethodGet, "/api/v1/tasks?kind=evaluation&project_id="+p, nil, nil)
	require.Empty(t, r.Body["items"], "no evaluation task at acceptance: %s", r.Raw)

	round1 := s.openTask("drb1", p, "evaluation")
	require.False(t, time.Now().Before(due), "round 1 opened at %s, before its date %s", time.Now(), due)
	r = s.decide("drb1", round1, map[string]any{"decision": "approve", "score": 81, "grade": "good", "comment": "第一期运行平稳"}, nil)
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Raw)

	var round2 string
	require.EventuallyWithT(t, func(c *assertT) {
		r := s.do("drb1", http.MethodGet, "/api/v1/tasks?kind=evaluation&project_id="+p, nil, nil)
		items, _ := r.Body["items"].([]any)
		if assertLen(c, items, 1) {
			round2, _ = items[0].(map[string]any)["id"].(string)
			assertEqual(c, true, round2 != round1)
		}
	}, 30*time.Second, 100*time.Millisecond, "round 2 opens as a task of its own")
	r = s.decide("drb1", round2, map[string]any{"decision": "approve", "score": 92, "grade": "excellent", "comment": "第二期数据共享明显改善"}, nil)
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Raw)

	d = s.delivery("bob", p)
	evs := d.Body["evaluations"].([]any)
	require.Len(t, evs, 2, "%s", d.Raw)
	newest, older := evs[0].(map[string]any), evs[1].(map[string]any)
	require.Equal(t, float64(2), newest["round"])
	require.Equal(t, float64(92), newest["score"])
	require.Equal(t, float64(1), older["round"])
	require.Equal(t, "good", older["grade"])
	latest := d.Body["evaluation"].(map[string]any)
	require.Equal(t, float64(2), latest["round"], "evaluation is the latest round")
	next, err := time.Parse(time.RFC3339, d.str("next_evaluation_at"))
	require.NoError(t, err, "round 3 is scheduled: %s", d.Raw)
	require.WithinDuration(t, due.Add(16*time.Second), next, 2*time.Second, "rounds keep their period from acceptance")

	var rows []struct {
		Round int `db:"round"`
		Score int `db:"score"`
	}
	require.NoError(t, s.store.DB().Select(&rows, `SELECT round, score FROM evaluations WHERE project_id = $1 ORDER BY round`, p))
	require.Equal(t, 2, len(rows))
	require.Equal(t, []int{1, 2, 81, 92}, []int{rows[0].Round, rows[1].Round, rows[0].Score, rows[1].Score})

	// The unit's later projects still show them (R14), each round.
	q := s.createProject("bob", "城市运行监测平台二期", futureYear(), 200_000_000)
	got := s.do("drb1", http.MethodGet, "/api/v1/projects/"+q, nil, nil)
	require.Len(t, got.Body["unit_evaluations"].([]any), 2, "%s", got.Raw)

	v := s.do("audit1", http.MethodGet, "/api/v1/audit/verify", nil, nil)
	require.Equal(t, true, v.Body["ok"], "%s", v.Raw)
}
