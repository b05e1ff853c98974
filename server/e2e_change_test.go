package main

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestE2E_ChangeReapprovedByTheAuthorityAndSmallChangeByDRB (项目变更, issue 19 items 3 and
// 10; R6, R7, R19): bob's large project, approved by NDRC under the pinned 2021-style test
// policy at 10,000,000 CNY, asks for 12,000,000: the change_review task goes to NDRC (not
// DRB), a second request waits (change_pending), NDRC approves and a contract above the old
// amount is accepted (the new approved amount is the cap). A scope change then goes to DRB,
// which rejects it with a reason. The history is read by the unit, DRB and Audit, not by
// another unit; both decisions are audited and told to the unit.
func TestE2E_ChangeReapprovedByTheAuthorityAndSmallChangeByDRB(t *testing.T) {
	t.Parallel()
	s := newStack(t, "test")
	p := s.approvedLarge("bob", "城市应急指挥平台变更", false)
	path := "/api/v1/projects/" + p

	r := s.do("bob", http.MethodPost, path+"/changes", map[string]any{"kind": "amount", "description": "增加视频会商模块",
		"reason": "省级平台对接要求", "new_amount_fen": 1_200_000_000}, nil)
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Raw)
	require.Equal(t, "change_request", r.str("decision"))
	require.Equal(t, "procurement", r.str("stage"))
	r = s.do("bob", http.MethodPost, path+"/changes", map[string]any{"kind": "schedule", "description": "延期", "reason": "到货延迟"}, nil)
	require.Equal(t, http.StatusConflict, r.Status, "%s", r.Raw)
	require.Equal(t, "change_pending", r.code())
	r = s.do("alice", http.MethodPost, path+"/changes", map[string]any{"kind": "schedule", "description": "延期", "reason": "到货延迟"}, nil)
	require.Contains(t, []int{http.StatusForbidden, http.StatusNotFound}, r.Status, "%s", r.Raw)
	r = s.do("bob", http.MethodPost, path+"/changes", map[string]any{"kind": "bogus", "description": "x", "reason": "y"}, nil)
	require.Equal(t, http.StatusBadRequest, r.Status, "%s", r.Raw)

	task := s.openTask("ndrc1", p, "change_review")
	r = s.decide("drb1", task, map[string]any{"decision": "approve"}, nil)
	require.Contains(t, []int{http.StatusForbidden, http.StatusNotFound}, r.Status, "an increase is NDRC's to decide: %s", r.Raw)
	r = s.decide("ndrc1", task, map[string]any{"decision": "approve", "comment": "同意增加"}, nil)
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Raw)
	got := s.do("bob", http.MethodGet, path, nil, nil)
	require.Equal(t, float64(1_200_000_000), got.Body["approved_amount_fen"], "%s", got.Raw)
	r = s.do("bob", http.MethodPost, path+"/contract", contractBody(1_100_000_000, "LA-CHG-"+p[len(p)-6:]), nil)
	require.Equal(t, http.StatusOK, r.Status, "R7: the changed approved amount caps the contract: %s", r.Raw)
	pay := fundsPay(s, "bob", p, 1_050_000_000)
	require.Equal(t, http.StatusCreated, pay.Status, "R15: a payment past the old approved amount, within the new one: %s", pay.Raw)

	r = s.do("bob", http.MethodPost, path+"/changes", map[string]any{"kind": "scope", "description": "取消移动端", "reason": "需求调整"}, nil)
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Raw)
	small := s.openTask("drb1", p, "change_review")
	r = s.decide("drb1", small, map[string]any{"decision": "reject"}, nil)
	require.Equal(t, http.StatusBadRequest, r.Status, "a rejection needs its reason: %s", r.Raw)
	r = s.decide("drb1", small, map[string]any{"decision": "reject", "comment": "理由不充分"}, nil)
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Raw)

	for _, u := range []string{"bob", "drb1", "drbsup", "audit1", "ndrc1"} {
		l := s.do(u, http.MethodGet, path+"/changes", nil, nil)
		require.Equal(t, http.StatusOK, l.Status, "%s reads the change history: %s", u, l.Raw)
		items := l.Body["items"].([]any)
		require.Len(t, items, 2, u)
		first, second := items[0].(map[string]any), items[1].(map[string]any)
		require.Equal(t, []any{"amount", "approved", true, "ndrc_approver", float64(1_000_000_000), float64(1_200_000_000), "同意增加"},
			[]any{first["kind"], first["status"], first["reapproval"], first["decider_role"], first["old_amount_fen"], first["new_amount_fen"], first["comment"]})
		require.Equal(t, []any{"scope", "rejected", false, "drb_reviewer", "理由不充分", "u-drb1"},
			[]any{second["kind"], second["status"], second["reapproval"], second["decider_role"], second["comment"], second["decided_by"]})
	}
	for _, u := range []string{"alice", "exp2"} {
		l := s.do(u, http.MethodGet, path+"/changes", nil, nil)
		require.Contains(t, []int{http.StatusForbidden, http.StatusNotFound}, l.Status, "%s may not read another unit's changes: %s", u, l.Raw)
	}

	var audited int
	require.NoError(t, s.store.DB().Get(&audited, `SELECT count(*) FROM audit_log WHERE object_id = $1 AND (action = 'change.request'
		OR (action = 'task.decide' AND detail->>'kind' = 'change_review' AND detail->>'change_id' <> ''))`, p))
	require.Equal(t, 4, audited, "two requests and two decisions audited (R18)")
	var told []string
	require.NoError(t, s.store.DB().Select(&told, `SELECT title FROM notifications WHERE project_id = $1 AND kind = 'change_decided'
		AND user_id = 'u-bob' ORDER BY created_at`, p))
	require.Equal(t, []string{"项目变更已批准：城市应急指挥平台变更", "项目变更未获批准：城市应急指挥平台变更"}, told)
	var ndrcTold int
	require.NoError(t, s.store.DB().Get(&ndrcTold, `SELECT count(*) FROM notifications WHERE project_id = $1 AND user_id = 'u-ndrc1'
		AND task_id = $2`, p, task))
	require.Equal(t, 1, ndrcTold, "NDRC is told of the change task it decides (issue 19 item 1)")
	v := s.do("audit1", http.MethodGet, "/api/v1/audit/verify", nil, nil)
	require.Equal(t, true, v.Body["ok"], "%s", v.Raw)
}

// TestE2E_ChangeDecreaseBelowALaterContractIsNotApproved (项目变更; R7, R9, R15): bob's project,
// approved at 10,000,000 CNY, asks in procurement for 8,000,000; while it waits he registers a
// 9,500,000 contract (within the approved amount then) and records 9,000,000 of payments.
// Approving the decrease would leave the contract and the payments above the approved amount:
// DRB's approval is refused with 422 amount_below_contract and a Chinese message naming both
// amounts; nothing changes (the approved amount, the pending change); DRB rejects it with a
// reason, and the payments stay capped by the contract (min(contract, approved)).
func TestE2E_ChangeDecreaseBelowALaterContractIsNotApproved(t *testing.T) {
	t.Parallel()
	s := newStack(t, "test")
	p := s.approvedLarge("bob", "城市应急指挥平台减额变更", false)
	path := "/api/v1/projects/" + p

	r := s.do("bob", http.MethodPost, path+"/changes", map[string]any{"kind": "amount", "description": "取消视频会商模块",
		"reason": "需求压缩", "new_amount_fen": 800_000_000}, nil)
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Raw)
	r = s.do("bob", http.MethodPost, path+"/contract", contractBody(950_000_000, "LA-DEC-"+p[len(p)-6:]), nil)
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Raw)
	pay := fundsPay(s, "bob", p, 900_000_000)
	require.Equal(t, http.StatusCreated, pay.Status, "%s", pay.Raw)

	task := s.openTask("drb1", p, "change_review")
	r = s.decide("drb1", task, map[string]any{"decision": "approve"}, nil)
	require.Equal(t, http.StatusUnprocessableEntity, r.Status, "%s", r.Raw)
	require.Equal(t, "amount_below_contract", r.code())
	require.Contains(t, string(r.Raw), "低于变更申请后登记的合同金额")
	require.Contains(t, string(r.Raw), "9500000.00")
	got := s.do("bob", http.MethodGet, path, nil, nil)
	require.Equal(t, float64(1_000_000_000), got.Body["approved_amount_fen"], "nothing changed: %s", got.Raw)
	var pending string
	require.NoError(t, s.store.DB().Get(&pending, `SELECT status FROM project_changes WHERE project_id = $1`, p))
	require.Equal(t, "pending", pending)

	r = s.decide("drb1", task, map[string]any{"decision": "reject", "comment": "变更后金额低于合同金额"}, nil)
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Raw)
	require.NoError(t, s.store.DB().Get(&pending, `SELECT status FROM project_changes WHERE project_id = $1`, p))
	require.Equal(t, "rejected", pending)
	over := fundsPay(s, "bob", p, 50_000_001)
	require.Equal(t, http.StatusUnprocessableEntity, over.Status, "R15: the contract caps the payments: %s", over.Raw)
	require.Equal(t, "amount_over_contract", over.code())
	last := fundsPay(s, "bob", p, 50_000_000)
	require.Equal(t, http.StatusCreated, last.Status, "%s", last.Raw)
}
