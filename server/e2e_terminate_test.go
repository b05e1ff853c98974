package main

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"

	"egovpm/workflows"
)

func (s *stack) closeProject(user, id, turn string, body any, hdr map[string]string) resp {
	return s.do(user, http.MethodPost, "/api/v1/projects/"+id+"/"+turn, body, hdr)
}

// requireRunCompleted checks that project p's lifecycle run completed (its timers gone with it):
// not running, not continued as new.
func (s *stack) requireRunCompleted(p string) {
	s.t.Helper()
	require.EventuallyWithT(s.t, func(c *assertT) {
		desc, err := s.temporal.DescribeWorkflow(context.Background(), workflows.ProjectWorkflowID(p), "")
		if !assertEqual(c, nil, err) {
			return
		}
		d := desc.RawResponse
		assertEqual(c, enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED, d.WorkflowExecutionInfo.Status)
		assertEqual(c, 0, len(d.PendingActivities))
	}, 20*time.Second, 200*time.Millisecond)
}

// TestE2E_TerminateAndRetire (issue 19 item 4) on the real stack:
//   - 终止 in preliminary review (R3): the unit, or DRB without a reason, are refused; DRB's
//     termination cancels the claimed prelim task, tells its holder and the unit, closes the
//     project (closure terminated, audited) and completes the run; a resend with its key answers
//     the same, a second termination is 409 project_closed, and the closed project stays readable;
//   - 终止 mid-construction (R10): the run completes and no payment is taken any more (R15,
//     409 project_closed);
//   - 系统下线 from O&M (R13): the unit retires its system, the run completes closed (retired)
//     instead of waiting for the O&M deadline.
func TestE2E_TerminateAndRetire(t *testing.T) {
	t.Parallel()
	s := newStack(t, "test")
	p := s.createProject("alice", "终止的初审项目", futureYear(), 100_000_000)
	s.submit("alice", p)
	task := s.openTask("drb1", p, "prelim_review")
	require.Equal(t, http.StatusOK, s.do("drb1", http.MethodPost, "/api/v1/tasks/"+task+"/claim", nil, nil).Status)
	require.Equal(t, true, s.do("drb1", http.MethodGet, "/api/v1/projects/"+p, nil, nil).Body["can_terminate"])
	require.Equal(t, false, s.do("alice", http.MethodGet, "/api/v1/projects/"+p, nil, nil).Body["can_terminate"])
	require.Equal(t, http.StatusForbidden, s.closeProject("alice", p, "terminate", map[string]any{"reason": "x"}, nil).Status)
	require.Equal(t, http.StatusNotFound, s.closeProject("bob", p, "retire", map[string]any{"reason": "x"}, nil).Status)
	blank := s.closeProject("drb1", p, "terminate", map[string]any{"reason": "  "}, nil)
	require.Equal(t, http.StatusBadRequest, blank.Status, "%s", blank.Raw)
	early := s.closeProject("drb1", p, "retire", map[string]any{"reason": "停用"}, nil)
	require.Equal(t, http.StatusConflict, early.Status, "%s", early.Raw)
	require.Equal(t, workflows.CodeRetireNotInOM, early.code())

	key := map[string]string{"Idempotency-Key": "terminate-" + p}
	r := s.closeProject("drb1", p, "terminate", map[string]any{"reason": "上级决定停建"}, key)
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Raw)
	require.Equal(t, "closed", r.str("stage"))
	require.Equal(t, "terminated", r.str("decision"))
	again := s.closeProject("drb1", p, "terminate", map[string]any{"reason": "上级决定停建"}, key)
	require.Equal(t, http.StatusOK, again.Status, "a resend with its key: %s", again.Raw)
	require.Equal(t, r.Body, again.Body)
	reused := s.closeProject("drb1", p, "terminate", map[string]any{"reason": "另一个理由"}, key)
	require.Equal(t, http.StatusConflict, reused.Status, "%s", reused.Raw)
	require.Equal(t, "idempotency_key_reused", reused.code())
	twice := s.closeProject("drbsup", p, "terminate", map[string]any{"reason": "再次终止"}, nil)
	require.Equal(t, http.StatusConflict, twice.Status, "%s", twice.Raw)
	require.Equal(t, workflows.CodeProjectClosed, twice.code())
	s.requireRunCompleted(p)

	got := s.do("alice", http.MethodGet, "/api/v1/projects/"+p, nil, nil)
	require.Equal(t, http.StatusOK, got.Status, "a closed project stays readable")
	require.Equal(t, "closed", got.str("stage"))
	require.Equal(t, "terminated", got.str("closure", "as"))
	require.Equal(t, "上级决定停建", got.str("closure", "reason"))
	require.Empty(t, got.Body["open_tasks"])
	require.Equal(t, false, got.Body["can_terminate"])
	require.Contains(t, string(got.Raw), `"project.terminate"`)
	var status string
	require.NoError(t, s.store.DB().Get(&status, `SELECT status FROM tasks WHERE id = $1`, task))
	require.Equal(t, "cancelled", status)
	require.Equal(t, http.StatusConflict, s.decide("drb1", task, map[string]any{"decision": "approve"}, nil).Status,
		"the cancelled task is not decided")
	var told []string
	require.NoError(t, s.store.DB().Select(&told, `SELECT user_id || ':' || kind FROM notifications WHERE project_id = $1
		AND kind IN ('task_cancelled', 'project_terminated') ORDER BY 1`, p))
	require.Contains(t, told, "u-drb1:task_cancelled", "the task's holder is told")
	require.Contains(t, told, "u-alice:project_terminated", "the unit is told")
	require.Contains(t, fmt.Sprint(s.do("alice", http.MethodGet, "/api/v1/notifications", nil, nil).Body["items"]), "项目已终止")

	// Mid-construction: no more payments.
	c := s.approvedLarge("bob", "建设中终止的平台", false)
	r = s.do("bob", http.MethodPost, "/api/v1/projects/"+c+"/contract", contractBody(900_000_000, "LA-T-"+c[len(c)-6:]), nil)
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Raw)
	require.Equal(t, "construction", r.str("stage"))
	over := s.closeProject("drbsup", c, "terminate", map[string]any{"reason": "停建", "settlement_fen": 1_000_000_001}, nil)
	require.Equal(t, http.StatusUnprocessableEntity, over.Status, "a settlement above the approved amount: %s", over.Raw)
	require.Equal(t, workflows.CodeSettlementInvalid, over.code())
	r = s.closeProject("drbsup", c, "terminate", map[string]any{"reason": "需求已由省平台覆盖", "settlement_fen": 200_000_000}, nil)
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Raw)
	s.requireRunCompleted(c)
	require.EqualValues(t, 200_000_000, s.do("bob", http.MethodGet, "/api/v1/projects/"+c, nil, nil).Body["closure"].(map[string]any)["settlement_fen"])
	// 终止结算: payments after the closure up to the settlement DRB approved, no more (R15).
	pay := func(fen int64) resp {
		return s.do("bob", http.MethodPost, "/api/v1/projects/"+c+"/payments", map[string]any{
			"milestone": "终止结算", "amount_fen": fen, "paid_on": time.Now().Format("2006-01-02")}, nil)
	}
	first := pay(150_000_000)
	require.Equal(t, http.StatusCreated, first.Status, "%s", first.Raw)
	past := pay(60_000_000)
	require.Equal(t, http.StatusUnprocessableEntity, past.Status, "%s", past.Raw)
	require.Equal(t, "settlement_exceeded", past.code())
	require.Equal(t, http.StatusCreated, pay(50_000_000).Status, "the rest of the settlement")

	// Retire from O&M.
	o := s.approvedLarge("bob", "下线的运维系统", false)
	s.inOM("bob", o)
	require.Equal(t, true, s.do("bob", http.MethodGet, "/api/v1/projects/"+o, nil, nil).Body["can_retire"])
	r = s.closeProject("bob", o, "retire", map[string]any{"reason": "系统已并入市一体化平台"}, nil)
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Raw)
	require.Equal(t, "retired", r.str("decision"))
	s.requireRunCompleted(o)
	got = s.do("drb1", http.MethodGet, "/api/v1/projects/"+o, nil, nil)
	require.Equal(t, "closed", got.str("stage"))
	require.Equal(t, "retired", got.str("closure", "as"))
	none := s.do("bob", http.MethodPost, "/api/v1/projects/"+o+"/payments", map[string]any{
		"milestone": "运维费", "amount_fen": 100_000_000, "paid_on": time.Now().Format("2006-01-02")}, nil)
	require.Equal(t, http.StatusConflict, none.Status, "a closed project without a settlement takes no payment: %s", none.Raw)
	require.Equal(t, workflows.CodeProjectClosed, none.code())
	require.Equal(t, http.StatusBadRequest, s.closeProject("drb1", o, "retire", map[string]any{"reason": "x", "settlement_fen": 1}, nil).Status)

	v := s.do("audit1", http.MethodGet, "/api/v1/audit/verify", nil, nil)
	require.Equal(t, true, v.Body["ok"], "%s", v.Raw)
}
