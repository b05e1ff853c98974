package main

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"egovpm/workflows"
)

// TestE2E_TerminationRequest (issue 19 item 4, 终止申请) on the real stack: the unit's own
// submitter asks DRB to terminate its project in preliminary review with a reason (another
// unit gets 404, DRB 403, a blank reason 400); a second request while one waits is 409
// termination_request_pending; a resend with its Idempotency-Key answers the same; the
// termination_review task is in DRB's 待办 and the submitter may not decide it; DRB's
// rejection needs a reason, keeps the project going and tells the unit; a new request,
// approved, closes the project as DRB's terminate does (closure terminated with the unit's
// reason and DRB's comment, the prelim task cancelled, the run completed), all audited.
func TestE2E_TerminationRequest(t *testing.T) {
	t.Parallel()
	s := newStack(t, "test")
	p := s.createProject("alice", "申请终止的项目", futureYear(), 100_000_000)
	s.submit("alice", p)
	prelim := s.openTask("drb1", p, "prelim_review")
	ask := func(user, reason string, hdr map[string]string) resp {
		return s.closeProject(user, p, "termination-request", map[string]any{"reason": reason}, hdr)
	}
	require.Equal(t, true, s.do("alice", http.MethodGet, "/api/v1/projects/"+p, nil, nil).Body["can_request_termination"])
	require.Equal(t, false, s.do("drb1", http.MethodGet, "/api/v1/projects/"+p, nil, nil).Body["can_request_termination"])
	require.Equal(t, http.StatusNotFound, ask("bob", "不再建设", nil).Status)
	require.Equal(t, http.StatusForbidden, ask("drb1", "不再建设", nil).Status)
	require.Equal(t, http.StatusBadRequest, ask("alice", " \u3000", nil).Status)

	key := map[string]string{"Idempotency-Key": "termreq-" + p}
	r := ask("alice", "资金未落实", key)
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Raw)
	require.Equal(t, "prelim_review", r.str("stage"))
	review := r.str("task_id")
	require.Contains(t, review, "termination_review")
	again := ask("alice", "资金未落实", key)
	require.Equal(t, http.StatusOK, again.Status, "a resend with its key: %s", again.Raw)
	require.Equal(t, r.Body, again.Body)
	pending := ask("alice", "再次申请", nil)
	require.Equal(t, http.StatusConflict, pending.Status, "%s", pending.Raw)
	require.Equal(t, workflows.CodeTermRequestPending, pending.code())
	require.Equal(t, false, s.do("alice", http.MethodGet, "/api/v1/projects/"+p, nil, nil).Body["can_request_termination"])

	require.Equal(t, review, s.openTask("drb1", p, "termination_review"), "the request is in DRB's 待办")
	require.Equal(t, http.StatusForbidden, s.decide("alice", review, map[string]any{"decision": "approve"}, nil).Status,
		"the unit's submitter does not decide his own request")
	noReason := s.decide("drb1", review, map[string]any{"decision": "reject", "comment": " "}, nil)
	require.Equal(t, http.StatusBadRequest, noReason.Status, "%s", noReason.Raw)
	rej := s.decide("drb1", review, map[string]any{"decision": "reject", "comment": "资金已列入预算，请继续"}, nil)
	require.Equal(t, http.StatusOK, rej.Status, "%s", rej.Raw)
	require.Equal(t, "prelim_review", rej.str("stage"), "a rejected request keeps the project going")
	var told int
	require.NoError(t, s.store.DB().Get(&told, `SELECT count(*) FROM notifications WHERE project_id = $1
		AND kind = 'termination_rejected' AND user_id = 'u-alice'`, p))
	require.Equal(t, 1, told, "the unit is told of the rejection")

	r = ask("alice", "上级决定停建", nil)
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Raw)
	second := r.str("task_id")
	require.NotEqual(t, review, second)
	ok := s.decide("drb1", second, map[string]any{"decision": "approve", "comment": "同意终止"}, nil)
	require.Equal(t, http.StatusOK, ok.Status, "%s", ok.Raw)
	require.Equal(t, "closed", ok.str("stage"))
	s.requireRunCompleted(p)

	got := s.do("alice", http.MethodGet, "/api/v1/projects/"+p, nil, nil)
	require.Equal(t, "closed", got.str("stage"))
	require.Equal(t, "terminated", got.str("closure", "as"))
	require.Equal(t, "单位申请终止：上级决定停建；市数管局意见：同意终止", got.str("closure", "reason"))
	require.Equal(t, false, got.Body["can_request_termination"])
	for _, a := range []string{`"termination.request"`, `"project.terminate"`, `"task.decide"`} {
		require.Contains(t, string(got.Raw), a)
	}
	var status string
	require.NoError(t, s.store.DB().Get(&status, `SELECT status FROM tasks WHERE id = $1`, prelim))
	require.Equal(t, "cancelled", status)
	require.NoError(t, s.store.DB().Get(&told, `SELECT count(*) FROM notifications WHERE project_id = $1
		AND kind = 'project_terminated' AND user_id = 'u-alice'`, p))
	require.Equal(t, 1, told, "the unit is told of the closure")
	closed := ask("alice", "再申请", nil)
	require.Equal(t, http.StatusConflict, closed.Status, "%s", closed.Raw)
	require.Equal(t, workflows.CodeProjectClosed, closed.code())

	v := s.do("audit1", http.MethodGet, "/api/v1/audit/verify", nil, nil)
	require.Equal(t, true, v.Body["ok"], "%s", v.Raw)
}
