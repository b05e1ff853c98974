package main

import (
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func (s *stack) withdrawDecision(user, taskID string, body any, hdr map[string]string) resp {
	return s.do(user, http.MethodPost, "/api/v1/tasks/"+taskID+"/withdraw-decision", body, hdr)
}

// withdrawable is the withdrawable_decision's task id user reads on project p ("" for null).
func (s *stack) withdrawable(user, p string) string {
	r := s.do(user, http.MethodGet, "/api/v1/projects/"+p, nil, nil)
	require.Equal(s.t, http.StatusOK, r.Status, "%s", r.Raw)
	return r.str("withdrawable_decision", "task_id")
}

// noticeKinds lists the kinds of user's notifications about project p.
func (s *stack) noticeKinds(user, p string) []string {
	var out []string
	for _, n := range s.notices(user) {
		if n["project_id"] == p {
			out = append(out, n["kind"].(string))
		}
	}
	return out
}

// TestE2E_WithdrawDecisionOfPrelimReturn (撤回决定, issue 19 item 2, R3, R18): drb1 returns
// alice's project and withdraws the return before she resubmits: another DRB reviewer is 403
// decision_not_own, a blank reason 400; the project is back in prelim review with the task
// reopened assigned to drb1, alice is told (decision_withdrawn), the timeline shows the audit
// row; a resend with the key answers the same. drb1 returns the reopened task again, which he
// may withdraw until alice resubmits; after, it is 409 withdraw_too_late. A rejection is 409
// decision_not_withdrawable.
func TestE2E_WithdrawDecisionOfPrelimReturn(t *testing.T) {
	t.Parallel()
	s := newStack(t, "2021")
	p := s.createProject("alice", "撤回决定测试：社区养老服务平台", futureYear(), 100_000_000)
	s.submit("alice", p)
	task := s.openTask("drb1", p, "prelim_review")
	r := s.decide("drb1", task, map[string]any{"decision": "return", "comment": "请补充预算明细"}, nil)
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Raw)
	require.Equal(t, task, s.withdrawable("drb1", p))
	require.Empty(t, s.withdrawable("drbsup", p), "not his decision")
	require.Empty(t, s.withdrawable("alice", p))

	other := s.withdrawDecision("drbsup", task, map[string]any{"reason": "误操作"}, nil)
	require.Equal(t, http.StatusForbidden, other.Status, "%s", other.Raw)
	require.Equal(t, "decision_not_own", other.code())
	require.Equal(t, http.StatusForbidden, s.withdrawDecision("alice", task, map[string]any{"reason": "x"}, nil).Status)
	blank := s.withdrawDecision("drb1", task, map[string]any{"reason": "  "}, nil)
	require.Equal(t, http.StatusBadRequest, blank.Status, "%s", blank.Raw)

	key := map[string]string{"Idempotency-Key": "wd-" + p}
	r = s.withdrawDecision("drb1", task, map[string]any{"reason": "退回意见有误"}, key)
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Raw)
	require.Equal(t, "prelim_review", r.str("stage"))
	require.Equal(t, "withdraw_decision", r.str("decision"))
	reopened := r.str("task_id")
	require.Equal(t, task+":w1", reopened)
	again := s.withdrawDecision("drb1", task, map[string]any{"reason": "退回意见有误"}, key)
	require.Equal(t, http.StatusOK, again.Status, "a resend with its key: %s", again.Raw)
	require.Equal(t, r.Body, again.Body)
	late := s.withdrawDecision("drb1", task, map[string]any{"reason": "再撤一次"}, nil)
	require.Equal(t, http.StatusConflict, late.Status, "%s", late.Raw)
	require.Equal(t, "withdraw_too_late", late.code())

	got := s.do("alice", http.MethodGet, "/api/v1/projects/"+p, nil, nil)
	require.Equal(t, "prelim_review", got.str("stage"))
	require.Contains(t, string(got.Raw), `"task.withdraw_decision"`)
	require.Contains(t, string(got.Raw), "退回意见有误")
	require.Equal(t, false, got.Body["can_withdraw"], "the reopened task is drb1's: too late for the unit's 撤回")
	tk := s.do("drb1", http.MethodGet, "/api/v1/tasks/"+reopened, nil, nil)
	require.Equal(t, http.StatusOK, tk.Status, "%s", tk.Raw)
	require.Equal(t, "open", tk.str("status"))
	require.Equal(t, "u-drb1", tk.str("assignee_id"))
	require.EventuallyWithT(t, func(c *assertT) {
		assertEqual(c, true, slices.Contains(s.noticeKinds("alice", p), "decision_withdrawn"))
	}, 10*time.Second, 100*time.Millisecond, "alice is told the return was withdrawn")
	require.Equal(t, http.StatusConflict, s.decide("drb1", task, map[string]any{"decision": "approve"}, nil).Status,
		"the withdrawn task is closed")
	r = s.decide("drb1", reopened, map[string]any{"decision": "return", "comment": "请补充预算明细和数据来源"}, nil)
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Raw)
	require.Equal(t, "revision", r.str("stage"))
	require.Equal(t, reopened, s.withdrawable("drb1", p), "the new return may be withdrawn until alice resubmits")

	// alice resubmits: the next step has started (round 2's task opened after the return).
	require.Equal(t, http.StatusOK, s.do("alice", http.MethodPost, "/api/v1/projects/"+p+"/submit", nil, nil).Status)
	s.openTask("drb1", p, "prelim_review")
	require.Empty(t, s.withdrawable("drb1", p), "the unit resubmitted")
	late = s.withdrawDecision("drb1", reopened, map[string]any{"reason": "太晚了"}, nil)
	require.Equal(t, http.StatusConflict, late.Status, "%s", late.Raw)
	require.Equal(t, "withdraw_too_late", late.code())
	require.Equal(t, "prelim_review", s.do("alice", http.MethodGet, "/api/v1/projects/"+p, nil, nil).str("stage"))

	// A rejection ends the project: not a decision that can be withdrawn.
	q := s.createProject("alice", "撤回决定测试：不予通过的项目", futureYear(), 100_000_000)
	s.submit("alice", q)
	rej := s.openTask("drb1", q, "prelim_review")
	require.Equal(t, http.StatusOK, s.decide("drb1", rej, map[string]any{"decision": "reject", "comment": "重复建设"}, nil).Status)
	require.Empty(t, s.withdrawable("drb1", q))
	no := s.withdrawDecision("drb1", rej, map[string]any{"reason": "误操作"}, nil)
	require.Equal(t, http.StatusConflict, no.Status, "%s", no.Raw)
	require.Equal(t, "decision_not_withdrawable", no.code())
}

// TestE2E_WithdrawDecisionRefusedOnceTheNextTaskIsClaimed (R12): DRB's approval of the
// acceptance check opened the sign-off and the witness; withdrawn, both are cancelled and the
// check reopens for drb1, who approves it again; once PRTA claims the witness, withdrawing is
// 409 withdraw_too_late, and the project page no longer offers it. The prelim approval of the
// same project, long followed up, is too late as well.
func TestE2E_WithdrawDecisionRefusedOnceTheNextTaskIsClaimed(t *testing.T) {
	t.Parallel()
	s := newStack(t, "test")
	p := s.approvedLarge("bob", "撤回决定测试：城市应急指挥平台", false)
	path := "/api/v1/projects/" + p
	r := s.do("bob", http.MethodPost, path+"/contract", contractBody(900_000_000, "LA-2026-"+p[len(p)-6:]), nil)
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Raw)
	r = s.do("bob", http.MethodPost, path+"/construction-complete", nil, nil)
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Raw)
	require.Equal(t, http.StatusCreated, s.upload("bob", p, "trial_run_report", pdf).Status)
	require.Equal(t, http.StatusCreated, s.upload("bob", p, "mlps_filing", pdf).Status)
	require.EventuallyWithT(t, func(c *assertT) {
		assertEqual(c, http.StatusOK, s.do("bob", http.MethodPost, path+"/acceptance-application", nil, nil).Status)
	}, 30*time.Second, 250*time.Millisecond)
	check := s.openTask("drb1", p, "acceptance_check")
	r = s.decide("drb1", check, map[string]any{"decision": "approve", "comment": "材料齐全"}, nil)
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Raw)
	s.openTask("prta1", p, "acceptance_witness")

	r = s.withdrawDecision("drb1", check, map[string]any{"reason": "材料审查有遗漏"}, nil)
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Raw)
	require.Equal(t, "acceptance", r.str("stage"))
	check2 := r.str("task_id")
	require.Equal(t, check+":w1", check2)
	open := s.do("drb1", http.MethodGet, path, nil, nil).Body["open_tasks"].([]any)
	require.Len(t, open, 1, "the sign-off and the witness are cancelled")
	require.Equal(t, check2, open[0].(map[string]any)["id"])
	require.EventuallyWithT(t, func(c *assertT) {
		assertEqual(c, true, slices.Contains(s.noticeKinds("prta1", p), "task_cancelled"))
	}, 10*time.Second, 100*time.Millisecond, "PRTA is told the witness is cancelled")

	r = s.decide("drb1", check2, map[string]any{"decision": "approve", "comment": "补充后材料齐全"}, nil)
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Raw)
	witness := s.openTask("prta1", p, "acceptance_witness")
	require.Equal(t, check2, s.withdrawable("drb1", p))
	require.Equal(t, http.StatusOK, s.do("prta1", http.MethodPost, "/api/v1/tasks/"+witness+"/claim", nil, nil).Status)
	require.Empty(t, s.withdrawable("drb1", p), "the next step started")
	late := s.withdrawDecision("drb1", check2, map[string]any{"reason": "太晚了"}, nil)
	require.Equal(t, http.StatusConflict, late.Status, "%s", late.Raw)
	require.Equal(t, "withdraw_too_late", late.code())
	require.Equal(t, "acceptance", s.do("bob", http.MethodGet, path, nil, nil).str("stage"))

	prelim := s.do("drb1", http.MethodGet, "/api/v1/tasks?status=done&kind=prelim_review&project_id="+p, nil, nil)
	items := prelim.Body["items"].([]any)
	require.Len(t, items, 1, "%s", prelim.Raw)
	old := s.withdrawDecision("drb1", items[0].(map[string]any)["id"].(string), map[string]any{"reason": "太晚了"}, nil)
	require.Equal(t, http.StatusConflict, old.Status, "%s", old.Raw)
	require.Equal(t, "withdraw_too_late", old.code())
}
