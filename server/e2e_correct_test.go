package main

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestE2E_ResubmitRoundInReadModel: R3 keeps the history of every revision round, and the
// project's round in the read model (and the API) follows the workflow's: return → resubmit →
// return → resubmit leaves round 3, as the audit log's project.resubmit rows say.
func TestE2E_ResubmitRoundInReadModel(t *testing.T) {
	s := newStack(t, "2021")
	p := s.createProject("alice", "不动产登记信息系统", futureYear(), 200_000_000)
	s.submit("alice", p)
	require.EqualValues(t, 1, s.do("alice", http.MethodGet, "/api/v1/projects/"+p, nil, nil).Body["round"])
	for round := 2; round <= 3; round++ {
		task := s.openTask("drb1", p, "prelim_review")
		r := s.decide("drb1", task, map[string]any{"decision": "return", "comment": "请补充数据共享清单"}, nil)
		require.Equal(t, http.StatusOK, r.Status, "%s", r.Raw)
		r = s.do("alice", http.MethodPost, "/api/v1/projects/"+p+"/submit", nil, nil)
		require.Equal(t, http.StatusOK, r.Status, "%s", r.Raw)
		got := s.do("alice", http.MethodGet, "/api/v1/projects/"+p, nil, nil)
		require.EqualValues(t, round, got.Body["round"], "round after resubmission %d", round-1)
		var audited int
		require.NoError(t, s.store.DB.Get(&audited, `SELECT max((detail->>'round')::int) FROM audit_log
			WHERE object_type = 'project' AND object_id = $1 AND action = 'project.resubmit'`, p))
		require.Equal(t, round, audited)
	}
}
