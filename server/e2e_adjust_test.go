package main

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestE2E_R5_PlanAdjustmentApprovedByNDRC (issue 19 item 5, 调整): DRB proposes a mid-year
// adjustment of the 2021-policy plan — add a project awaiting the plan, cut a planned amount,
// remove a planned project; the plan_adjustment task is NDRC's (the approver of the projects'
// pinned policy), DRB may not decide it; approved, the plan and the projects follow: the added
// one awaits approval at its amount, the cut one has the new amount, the removed one is not
// included and its unit told. Bad input changes nothing.
func TestE2E_R5_PlanAdjustmentApprovedByNDRC(t *testing.T) {
	t.Parallel()
	s := newStack(t, "2021")
	year := futureYear()
	keep := s.createProject("alice", "政务服务好差评系统", year, 400_000_000)
	drop := s.createProject("bob", "公共资源交易监管平台", year, 300_000_000)
	add := s.createProject("alice", "城市运行一网统管", year, 500_000_000)
	for _, p := range []struct{ u, id string }{{"alice", keep}, {"bob", drop}, {"alice", add}} {
		s.submit(p.u, p.id)
		s.toAwaitingPlan(p.u, p.id, year)
	}
	r := s.retry409("drb1", http.MethodPost, fmt.Sprintf("/api/v1/plans/%d/compile", year), map[string]any{"included": []map[string]any{
		{"project_id": keep, "approved_amount_fen": 400_000_000}, {"project_id": drop, "approved_amount_fen": 300_000_000}}})
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Raw)
	s.waitStage("alice", keep, "awaiting_approval")
	s.waitStage("bob", drop, "awaiting_approval")

	path := fmt.Sprintf("/api/v1/plans/%d/adjustments", year)
	r = s.do("drb1", http.MethodPost, path, map[string]any{"reason": "调整", "changes": []map[string]any{{"project_id": keep, "action": "bogus"}}}, nil)
	require.Equal(t, http.StatusBadRequest, r.Status, "%s", r.Raw)
	r = s.do("drb1", http.MethodPost, path, map[string]any{"reason": "调整", "changes": []map[string]any{
		{"project_id": keep, "action": "amount", "amount_fen": 400_000_001}}}, nil)
	require.Equal(t, http.StatusUnprocessableEntity, r.Status, "%s", r.Raw)
	require.Equal(t, "amount_over_limit", r.code())
	r = s.do("alice", http.MethodPost, path, map[string]any{"reason": "调整", "changes": []map[string]any{
		{"project_id": keep, "action": "remove"}}}, nil)
	require.Equal(t, http.StatusForbidden, r.Status, "%s", r.Raw)

	r = s.do("drb1", http.MethodPost, path, map[string]any{"reason": "年中预算调整", "changes": []map[string]any{
		{"project_id": add, "action": "add", "amount_fen": 450_000_000},
		{"project_id": keep, "action": "amount", "amount_fen": 350_000_000},
		{"project_id": drop, "action": "remove"}}}, map[string]string{"Idempotency-Key": "adj-" + keep})
	require.Equal(t, http.StatusCreated, r.Status, "%s", r.Raw)
	task := r.str("task_id")
	require.NotEmpty(t, task)

	r = s.decide("drbsup", task, map[string]any{"decision": "approve"}, nil)
	require.Equal(t, http.StatusForbidden, r.Status, "%s", r.Raw)
	r = s.decide("ndrc1", task, map[string]any{"decision": "approve", "comment": "同意调整"}, nil)
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Raw)

	s.waitStage("alice", add, "awaiting_approval")
	s.waitStage("bob", drop, "not_included")
	require.EventuallyWithT(t, func(c *assertT) {
		got := s.do("alice", http.MethodGet, "/api/v1/projects/"+keep, nil, nil)
		assertEqual(c, float64(350_000_000), got.Body["approved_amount_fen"])
		got = s.do("alice", http.MethodGet, "/api/v1/projects/"+add, nil, nil)
		assertEqual(c, float64(450_000_000), got.Body["approved_amount_fen"])
	}, 20*time.Second, 100*time.Millisecond)

	plan := s.do("drb1", http.MethodGet, fmt.Sprintf("/api/v1/plans/%d", year), nil, nil)
	require.Equal(t, http.StatusOK, plan.Status, "%s", plan.Raw)
	items := map[string]map[string]any{}
	for _, it := range plan.Body["items"].([]any) {
		m := it.(map[string]any)
		items[m["project_id"].(string)] = m
	}
	require.Equal(t, true, items[add]["included"])
	require.EqualValues(t, 450_000_000, items[add]["approved_amount_fen"])
	require.EqualValues(t, 350_000_000, items[keep]["approved_amount_fen"])
	require.Equal(t, false, items[drop]["included"])

	require.EventuallyWithT(t, func(c *assertT) {
		n := 0
		for _, it := range s.notices("bob") {
			if it["kind"] == "not_included" && it["project_id"] == drop {
				n++
			}
		}
		assertEqual(c, 1, n)
	}, 10*time.Second, 200*time.Millisecond)
	r = s.do("audit1", http.MethodGet, "/api/v1/audit?object=project:"+keep, nil, nil)
	require.Contains(t, string(r.Raw), `"plan.adjust"`)
	require.Contains(t, string(r.Raw), `"plan.adjust_amount"`)
}
