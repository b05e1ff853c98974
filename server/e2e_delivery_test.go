package main

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// approvedLarge takes a ≥ 10M project of user through prelim review, expert review, the plan and
// NDRC approval (R3–R7) and returns its id, in stage procurement.
func (s *stack) approvedLarge(user, name string, usesCrypto bool) string {
	s.t.Helper()
	return s.approvedLargeUnder(user, name, usesCrypto, "")
}

// approvedLargeUnder is approvedLarge with the draft pinned to policy version policy before
// its submission (as a retried submit keeps it, R19); "" submits under the policy in force.
func (s *stack) approvedLargeUnder(user, name string, usesCrypto bool, policy string) string {
	s.t.Helper()
	t := s.t
	year := futureYear()
	r := s.do(user, http.MethodPost, "/api/v1/projects", map[string]any{
		"name": name, "type": "new", "plan_year": year, "estimated_investment_fen": fen12M,
		"description": name, "mlps_level": 3, "uses_crypto": usesCrypto}, nil)
	require.Equal(t, http.StatusCreated, r.Status, "%s", r.Raw)
	p := r.str("id")
	if policy != "" {
		_, err := s.store.DB().Exec(`UPDATE projects SET policy_version = $2 WHERE id = $1`, p, policy)
		require.NoError(t, err)
	}
	s.submit(user, p)
	s.toAwaitingPlan(user, p, year)
	r = s.retry409("drb1", http.MethodPost, fmt.Sprintf("/api/v1/plans/%d/compile", year),
		map[string]any{"included": []map[string]any{{"project_id": p, "approved_amount_fen": fen12M}}})
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Raw)
	s.waitStage(user, p, "awaiting_approval")
	kinds := []string{"opinion", "impl_plan"}
	if usesCrypto {
		kinds = append(kinds, "crypto_plan") // R17
	}
	for _, k := range kinds {
		require.Equal(t, http.StatusCreated, s.upload(user, p, k, pdf).Status)
	}
	r = s.decide("ndrc1", s.openTask("ndrc1", p, "project_approval"), map[string]any{"decision": "approve", "approved_amount_fen": 1_000_000_000}, nil)
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Raw)
	s.waitStage(user, p, "procurement")
	return p
}

// contractBody is a contract registration (R9) signed today with the data three lists.
func contractBody(amountFen int64, procurementRef string) map[string]any {
	return map[string]any{"vendor": "安徽某信息技术有限公司", "amount_fen": amountFen, "signed_on": time.Now().Format("2006-01-02"),
		"procurement_ref": procurementRef, "data_lists": map[string]any{
			"demand":         map[string]any{"items": []any{listItem()}},
			"responsibility": map[string]any{"items": []any{listItem()}},
			"negative":       map[string]any{"none_reason": "不涉及禁止共享数据"}}}
}

func listItem() map[string]any {
	return map[string]any{"resource": "卫生健康统计数据", "department": "市卫健委", "sharing": "conditional",
		"legal_basis": "《安徽省政务数据资源管理办法》", "frequency": "每月", "interface": "jh-la-wj-001"}
}

// TestE2E_DeliveryLifecycle is issue 5's end-to-end path on the short test policy: contract
// (R9) → construction (R10) → early acceptance refused (R11) → trial run ends → acceptance with a
// missing 密评 report refused (R12, R17) → complete → DRB signs, PRTA witnesses → O&M year 1 filed
// → year 2 overdue flagged (R13) → evaluation recorded and shown on the unit's next project (R14).
func TestE2E_DeliveryLifecycle(t *testing.T) {
	t.Parallel()
	s := newStack(t, "test")
	p := s.approvedLarge("bob", "区域健康信息平台", true)
	path := "/api/v1/projects/" + p

	contract := contractBody(1_000_000_001, "LA-2026-001")
	r := s.do("bob", http.MethodPost, path+"/contract", contract, nil)
	require.Equal(t, http.StatusUnprocessableEntity, r.Status, "%s", r.Raw)
	require.Equal(t, "amount_over_approved", r.code())
	// A list with no items and no reason is 400 and stores nothing.
	bad := map[string]any{}
	for k, v := range contract {
		bad[k] = v
	}
	bad["amount_fen"] = 900_000_000
	bad["data_lists"] = map[string]any{"demand": map[string]any{}, "responsibility": map[string]any{"items": []any{listItem()}},
		"negative": map[string]any{"none_reason": "无"}}
	r = s.do("bob", http.MethodPost, path+"/contract", bad, nil)
	require.Equal(t, http.StatusBadRequest, r.Status, "%s", r.Raw)
	require.Contains(t, r.Body["error"].(map[string]any)["fields"], "data_lists.demand")
	// Another unit cannot register it.
	require.Equal(t, http.StatusNotFound, s.do("alice", http.MethodPost, path+"/contract", contract, nil).Status)

	contract["amount_fen"] = 900_000_000
	r = s.do("bob", http.MethodPost, path+"/contract", contract, nil)
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Raw)
	require.Equal(t, "construction", r.str("stage"))

	r = s.do("bob", http.MethodPost, path+"/construction-complete", nil, nil)
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Raw)
	require.Equal(t, "trial_run", r.str("stage"))

	r = s.do("bob", http.MethodPost, path+"/acceptance-application", nil, nil)
	require.Equal(t, http.StatusUnprocessableEntity, r.Status, "%s", r.Raw)
	require.Equal(t, "trial_run_not_over", r.code())
	require.NotEmpty(t, r.Body["error"].(map[string]any)["extra"].(map[string]any)["trial_run_ends_at"])

	// The trial run (5 s in the test policy) ends; the unit is notified (T3).
	require.EventuallyWithT(t, func(c *assertT) {
		n := s.do("bob", http.MethodGet, "/api/v1/notifications", nil, nil)
		found := false
		for _, it := range n.Body["items"].([]any) {
			if it.(map[string]any)["kind"] == "trial_run_over" {
				found = true
			}
		}
		assertEqual(c, true, found)
	}, 30*time.Second, 200*time.Millisecond)

	// Trial-run report and 等保 filing, but no 密评 report (R17: the project uses cryptography).
	require.Equal(t, http.StatusCreated, s.upload("bob", p, "trial_run_report", pdf).Status)
	require.Equal(t, http.StatusCreated, s.upload("bob", p, "mlps_filing", pdf).Status)
	r = s.do("bob", http.MethodPost, path+"/acceptance-application", nil, nil)
	require.Equal(t, http.StatusUnprocessableEntity, r.Status, "%s", r.Raw)
	require.Equal(t, "documents_missing", r.code())
	require.Contains(t, fmt.Sprint(r.Body["error"].(map[string]any)["extra"]), "crypto_assessment")
	require.Equal(t, "缺少材料：密评报告", r.str("error", "message"), "the kind as the screens name it")

	require.Equal(t, http.StatusCreated, s.upload("bob", p, "crypto_assessment", pdf).Status)
	r = s.do("bob", http.MethodPost, path+"/acceptance-application", nil, nil)
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Raw)
	require.Equal(t, "acceptance", r.str("stage"))

	// First round: PRTA's witness fails → rectification list → the unit applies again (R12).
	r = s.decide("drb1", s.openTask("drb1", p, "acceptance_check"), map[string]any{"decision": "approve", "comment": "材料齐全"}, nil)
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Raw)
	r = s.decide("prta1", s.openTask("prta1", p, "acceptance_witness"), map[string]any{"decision": "fail", "comment": "接口文档缺失，需整改"}, nil)
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Raw)
	require.Equal(t, "rectification", r.str("stage"))
	r = s.do("bob", http.MethodPost, path+"/acceptance-application", nil, nil)
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Raw)
	require.Equal(t, "acceptance", r.str("stage"))

	r = s.decide("drb1", s.openTask("drb1", p, "acceptance_check"), map[string]any{"decision": "approve", "comment": "整改完成"}, nil)
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Raw)
	// R12: both the DRB sign-off and the PRTA witness are required.
	r = s.decide("drb1", s.openTask("drb1", p, "acceptance_signoff"), map[string]any{"decision": "pass", "comment": "同意验收"}, nil)
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Raw)
	require.Equal(t, "acceptance", r.str("stage"))
	r = s.decide("prta1", s.openTask("prta1", p, "acceptance_witness"), map[string]any{"decision": "pass", "comment": "见证无异议"}, nil)
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Raw)
	require.Equal(t, "om", r.str("stage"))

	// O&M year 1 filed in time.
	d := s.upload("bob", p, "om_report", pdf)
	require.Equal(t, http.StatusCreated, d.Status)
	r = s.do("bob", http.MethodPost, path+"/om-reports", map[string]any{"year": 2, "document_id": d.str("id")}, nil)
	require.Equal(t, http.StatusUnprocessableEntity, r.Status, "%s", r.Raw)
	require.Equal(t, "wrong_om_year", r.code())
	r = s.do("bob", http.MethodPost, path+"/om-reports", map[string]any{"year": 1, "document_id": d.str("id")}, nil)
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Raw)

	// R14: DRB evaluates.
	r = s.decide("drb1", s.openTask("drb1", p, "evaluation"), map[string]any{"decision": "approve", "score": 86, "grade": "good", "comment": "达到预期目标"}, nil)
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Raw)
	// The test policy evaluates at acceptance and recurs hourly (evaluation_every): round 1 is
	// recorded and round 2 scheduled.
	dl := s.do("bob", http.MethodGet, path+"/delivery", nil, nil)
	require.Len(t, dl.Body["evaluations"], 1, "%s", dl.Raw)
	require.Equal(t, float64(1), dl.Body["evaluation"].(map[string]any)["round"])
	require.NotNil(t, dl.Body["next_evaluation_at"], "%s", dl.Raw)

	// Year 2 passes its deadline (6 s per year in the test policy) without a filing: flagged overdue.
	require.EventuallyWithT(t, func(c *assertT) {
		got := s.do("bob", http.MethodGet, path, nil, nil)
		oms, _ := got.Body["om_filings"].([]any)
		if assertEqual(c, true, len(oms) >= 2) {
			y1, y2 := oms[0].(map[string]any), oms[1].(map[string]any)
			assertEqual(c, false, y1["overdue"])
			assertEqual(c, true, y1["filed_at"] != nil)
			assertEqual(c, true, y2["overdue"])
		}
	}, 40*time.Second, 250*time.Millisecond)

	// The evaluation is shown when the unit's later projects are reviewed.
	q := s.createProject("bob", "健康档案共享二期", futureYear(), 200_000_000)
	got := s.do("drb1", http.MethodGet, "/api/v1/projects/"+q, nil, nil)
	evals := got.Body["unit_evaluations"].([]any)
	require.Len(t, evals, 1)
	require.Equal(t, "good", evals[0].(map[string]any)["grade"])

	// Every notification written was delivered by the (log) sender activity.
	require.EventuallyWithT(t, func(c *assertT) {
		var unsent int
		assertEqual(c, nil, s.store.DB().Get(&unsent, `SELECT count(*) FROM notifications WHERE project_id = $1 AND sent_at IS NULL`, p))
		assertEqual(c, 0, unsent)
	}, 20*time.Second, 200*time.Millisecond)

	v := s.do("audit1", http.MethodGet, "/api/v1/audit/verify", nil, nil)
	require.Equal(t, true, v.Body["ok"], "%s", v.Raw)
}

// R10 through the API: a project with a supervision sub-project cannot report construction
// complete until the supervision report is uploaded (422 documents_missing naming it,
// nothing changed); with the report, the trial run starts.
func TestE2E_ConstructionCompleteNeedsTheSupervisionReport(t *testing.T) {
	t.Parallel()
	s := newStack(t, "test")
	p := s.approvedLarge("bob", "城市运行管理服务平台", false)
	path := "/api/v1/projects/" + p
	r := s.do("bob", http.MethodPost, "/api/v1/projects", map[string]any{"name": "城市运行管理服务平台监理", "type": "supervision",
		"plan_year": futureYear(), "estimated_investment_fen": 20_000_000, "description": "工程监理服务", "mlps_level": 2,
		"uses_crypto": false, "parent_project_id": p}, nil)
	require.Equal(t, http.StatusCreated, r.Status, "%s", r.Raw)

	r = s.do("bob", http.MethodPost, path+"/contract", contractBody(900_000_000, "LA-2026-002"), nil)
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Raw)
	require.Equal(t, "construction", r.str("stage"))

	r = s.do("bob", http.MethodPost, path+"/construction-complete", nil, nil)
	require.Equal(t, http.StatusUnprocessableEntity, r.Status, "%s", r.Raw)
	require.Equal(t, "documents_missing", r.code())
	require.Equal(t, []any{"supervision_report"}, r.Body["error"].(map[string]any)["extra"].(map[string]any)["missing"])
	require.Equal(t, "缺少材料：监理报告", r.str("error", "message"), "not 缺少材料：[supervision_report]")
	require.Equal(t, "construction", s.do("bob", http.MethodGet, path, nil, nil).str("stage"), "a refused report changes nothing")

	require.Equal(t, http.StatusCreated, s.upload("bob", p, "supervision_report", pdf).Status)
	r = s.do("bob", http.MethodPost, path+"/construction-complete", nil, nil)
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Raw)
	require.Equal(t, "trial_run", r.str("stage"))
}
