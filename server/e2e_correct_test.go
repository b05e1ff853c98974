package main

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"egovpm/internal/ops"
	"egovpm/workflows"
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

// TestE2E_ActivityThatGivesUpIsListedForOps: O1, R16. ComputeSimilar cannot write its table and
// fails on all five attempts; the lifecycle goes on without the hint, and the failure is not
// only a log line: it is in ops' stuck list (activity_gave_up, with the error and a failure
// id), in ops1's notifications and in the audit log, until ops resolves it (audited); a second
// resolve is 409 already_resolved, and only ops may resolve.
func TestE2E_ActivityThatGivesUpIsListedForOps(t *testing.T) {
	s := newStack(t, "2021")
	_, err := s.store.DB.Exec(`ALTER TABLE project_similar RENAME TO project_similar_broken`)
	require.NoError(t, err)
	p := s.createProject("alice", "全市教育资源公共服务平台", futureYear(), 300_000_000)
	s.submit("alice", p)
	wf := workflows.ProjectWorkflowID(p)

	var gaveUp ops.Reason
	o := &opsStack{stack: s}
	require.EventuallyWithT(t, func(c *assertT) {
		r := reasonOf(o.stuck(c, wf), ops.KindActivityGaveUp)
		if assert.NotNil(c, r, "%s not (yet) listed with an activity that gave up", wf) {
			gaveUp = *r
		}
	}, 60*time.Second, 500*time.Millisecond, "five attempts of ComputeSimilar back off about 15 s")
	_, err = s.store.DB.Exec(`ALTER TABLE project_similar_broken RENAME TO project_similar`)
	require.NoError(t, err)
	require.Equal(t, "ComputeSimilar", gaveUp.ActivityType)
	require.Contains(t, gaveUp.Detail, "project_similar")
	require.NotEmpty(t, gaveUp.FailureID)
	require.NotNil(t, gaveUp.Since)
	s.waitStage("alice", p, "prelim_review") // the lifecycle went on

	require.EventuallyWithT(t, func(c *assertT) {
		r := s.do("ops1", http.MethodGet, "/api/v1/notifications", nil, nil)
		assert.Contains(c, string(r.Raw), `"kind":"activity_failed"`)
		assert.Contains(c, string(r.Raw), "ComputeSimilar")
	}, 10*time.Second, 100*time.Millisecond, "ops1 is notified")
	var n int
	require.NoError(t, s.store.DB.Get(&n, `SELECT count(*) FROM audit_log WHERE action = 'activity.gave_up' AND object_id = $1`, wf))
	require.Equal(t, 1, n)

	path := "/api/v1/ops/activity-failures/" + gaveUp.FailureID + "/resolve"
	r := s.do("drb1", http.MethodPost, path, map[string]any{"comment": "x"}, nil)
	require.Equal(t, http.StatusForbidden, r.Status, "%s", r.Raw)
	r = s.do("ops1", http.MethodPost, path, map[string]any{"comment": "  "}, nil)
	require.Equal(t, http.StatusBadRequest, r.Status, "%s", r.Raw)
	r = s.do("ops1", http.MethodPost, path, map[string]any{"comment": "表已恢复；该项目的重复建设提示由 DRB 人工比对"}, nil)
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Raw)
	require.Equal(t, "u-ops1", r.str("resolved_by"))
	require.Equal(t, "ComputeSimilar", r.str("activity_type"))
	r = s.do("ops1", http.MethodPost, path, map[string]any{"comment": "再次处理"}, nil)
	require.Equal(t, http.StatusConflict, r.Status, "%s", r.Raw)
	require.Equal(t, "already_resolved", r.code())
	r = s.do("ops1", http.MethodPost, "/api/v1/ops/activity-failures/af-000000000000000000000000/resolve", map[string]any{"comment": "x"}, nil)
	require.Equal(t, http.StatusNotFound, r.Status, "%s", r.Raw)
	require.EventuallyWithT(t, func(c *assertT) {
		assert.Nil(c, reasonOf(o.stuck(c, wf), ops.KindActivityGaveUp))
	}, 10*time.Second, 200*time.Millisecond, "a resolved failure leaves the stuck list")
	require.NoError(t, s.store.DB.Get(&n, `SELECT count(*) FROM audit_log WHERE action = $1 AND object_id = $2`, ops.ActionResolve, wf))
	require.Equal(t, 1, n)
	v := s.do("audit1", http.MethodGet, "/api/v1/audit/verify", nil, nil)
	require.Equal(t, true, v.Body["ok"], "%s", v.Raw)
}

// createCryptoProject creates a draft that uses cryptography (R17) and returns its id.
func (s *stack) createCryptoProject(user, name string, year int, fen int64) string {
	s.t.Helper()
	r := s.do(user, http.MethodPost, "/api/v1/projects", map[string]any{
		"name": name, "type": "new", "plan_year": year, "estimated_investment_fen": fen,
		"description": name + "：建设内容说明", "mlps_level": 3, "uses_crypto": true,
	}, nil)
	require.Equal(s.t, http.StatusCreated, r.Status, "%s", r.Raw)
	return r.str("id")
}

// TestE2E_BundledCryptoProjectNeedsItsCryptoPlan: R17 on the bundle route (R6): a small project
// that uses cryptography is not bundled for approval while its 密码应用方案 is missing (422
// documents_missing, naming it; the key stays usable), and is once the unit uploads it.
func TestE2E_BundledCryptoProjectNeedsItsCryptoPlan(t *testing.T) {
	s := newStack(t, "2021")
	year := futureYear()
	p := s.createCryptoProject("alice", "电子政务外网密码服务平台", year, 500_000_000)
	s.submit("alice", p)
	s.toAwaitingPlan("alice", p, year)
	r := s.retry409("drb1", http.MethodPost, fmt.Sprintf("/api/v1/plans/%d/compile", year),
		map[string]any{"included": []map[string]any{{"project_id": p, "approved_amount_fen": 500_000_000}}})
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Raw)
	s.waitStage("alice", p, "awaiting_approval")

	bundle := func(body map[string]any) resp {
		return s.do("drb1", http.MethodPost, fmt.Sprintf("/api/v1/plans/%d/bundles", year), body,
			map[string]string{"Idempotency-Key": "crypto-bundle-" + p})
	}
	for _, body := range []map[string]any{{"project_ids": []string{p}}, {}} {
		r = bundle(body)
		require.Equal(t, http.StatusUnprocessableEntity, r.Status, "%s", r.Raw)
		require.Equal(t, "documents_missing", r.code())
		require.Contains(t, r.str("error", "message"), p)
		require.Contains(t, r.str("error", "message"), "密码应用方案")
	}
	require.Equal(t, http.StatusCreated, s.upload("alice", p, "crypto_plan", pdf).Status)
	r = bundle(map[string]any{"project_ids": []string{p}})
	require.Equal(t, http.StatusCreated, r.Status, "the same key once the document is in: %s", r.Raw)
	require.Equal(t, []any{p}, r.Body["project_ids"])
}

// TestE2E_KeyedDecisionsAnswerTheirFirstRequestOnly: an Idempotency-Key names one request. A
// decision resent with its key and the same body gets its first answer and is applied once; the
// same key with another body (approve, then reject) is 409 idempotency_key_reused, as for
// payments and creates, and changes nothing. The same holds for a bundle decision (the plan's
// Update) and a plan compile. A resubmission (R3) resent with its key gets its first answer,
// not 409 already_submitted.
func TestE2E_KeyedDecisionsAnswerTheirFirstRequestOnly(t *testing.T) {
	s := newStack(t, "2021")
	p := s.createProject("alice", "幂等键复用测试", futureYear(), 100_000_000)
	s.submit("alice", p)
	task := s.openTask("drb1", p, "prelim_review")

	// R3 return, resubmitted with a key, resent.
	r := s.decide("drb1", task, map[string]any{"decision": "return", "comment": "请补充"}, map[string]string{"Idempotency-Key": "ret-" + p})
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Raw)
	resubmit := func(hdr map[string]string) resp {
		return s.do("alice", http.MethodPost, "/api/v1/projects/"+p+"/submit", nil, hdr)
	}
	key := map[string]string{"Idempotency-Key": "resub-" + p}
	first := resubmit(key)
	require.Equal(t, http.StatusOK, first.Status, "%s", first.Raw)
	again := resubmit(key)
	require.Equal(t, http.StatusOK, again.Status, "a resubmission resent with its key: %s", again.Raw)
	require.Equal(t, first.Body, again.Body)
	r = resubmit(nil)
	require.Equal(t, http.StatusConflict, r.Status, "%s", r.Raw)
	require.Equal(t, "already_submitted", r.code())
	r = resubmit(map[string]string{"Idempotency-Key": "resub-other-" + p})
	require.Equal(t, http.StatusConflict, r.Status, "%s", r.Raw)
	require.Equal(t, "already_submitted", r.code())

	task = s.openTask("drb1", p, "prelim_review")
	key = map[string]string{"Idempotency-Key": "prelim-" + p}
	approve := map[string]any{"decision": "approve", "comment": "同意"}
	first = s.decide("drb1", task, approve, key)
	require.Equal(t, http.StatusOK, first.Status, "%s", first.Raw)
	require.NotContains(t, string(first.Raw), "request_hash")
	r = s.decide("drb1", task, map[string]any{"decision": "reject", "comment": "同意"}, key)
	require.Equal(t, http.StatusConflict, r.Status, "another body with the same key: %s", r.Raw)
	require.Equal(t, "idempotency_key_reused", r.code())
	r = s.decide("drb1", task, map[string]any{"decision": "approve", "comment": "同意。"}, key)
	require.Equal(t, http.StatusConflict, r.Status, "another comment is another body: %s", r.Raw)
	again = s.decide("drb1", task, approve, key)
	require.Equal(t, http.StatusOK, again.Status, "%s", again.Raw)
	require.Equal(t, first.Body, again.Body)
	var n int
	require.NoError(t, s.store.DB.Get(&n, `SELECT count(*) FROM audit_log WHERE action = 'task.decide' AND object_id = $1
		AND detail->>'kind' = 'prelim_review'`, p))
	require.Equal(t, 2, n, "the return and one approval")
	s.waitStage("drb1", p, "expert_review")
}

// TestE2E_KeyedPlanRequestsAnswerTheirFirstRequestOnly: the same for the plan's Updates: a
// compile and a bundle decision resent with their key and another body are 409
// idempotency_key_reused; with the same body they get their first answer.
func TestE2E_KeyedPlanRequestsAnswerTheirFirstRequestOnly(t *testing.T) {
	s, p, year := planReady(t, "alice", "计划幂等键测试", 500_000_000)
	compile := func(fen int64) resp {
		return s.do("drb1", http.MethodPost, fmt.Sprintf("/api/v1/plans/%d/compile", year),
			map[string]any{"included": []map[string]any{{"project_id": p, "approved_amount_fen": fen}}},
			map[string]string{"Idempotency-Key": "compile-" + p})
	}
	first := compile(400_000_000)
	require.Equal(t, http.StatusOK, first.Status, "%s", first.Raw)
	s.waitStage("alice", p, "awaiting_approval")
	r := compile(300_000_000)
	require.Equal(t, http.StatusConflict, r.Status, "%s", r.Raw)
	require.Equal(t, "idempotency_key_reused", r.code())
	again := compile(400_000_000)
	require.Equal(t, http.StatusOK, again.Status, "%s", again.Raw)
	require.Equal(t, first.Body, again.Body)

	r = s.retry409("drb1", http.MethodPost, fmt.Sprintf("/api/v1/plans/%d/bundles", year), map[string]any{"project_ids": []string{p}})
	require.Equal(t, http.StatusCreated, r.Status, "%s", r.Raw)
	task := r.str("task_id")
	key := map[string]string{"Idempotency-Key": "bundle-decision-" + p}
	first = s.decide("ndrc1", task, map[string]any{"decision": "approve", "comment": "同意"}, key)
	require.Equal(t, http.StatusOK, first.Status, "%s", first.Raw)
	r = s.decide("ndrc1", task, map[string]any{"decision": "reject", "comment": "不同意"}, key)
	require.Equal(t, http.StatusConflict, r.Status, "%s", r.Raw)
	require.Equal(t, "idempotency_key_reused", r.code())
	again = s.decide("ndrc1", task, map[string]any{"decision": "approve", "comment": "同意"}, key)
	require.Equal(t, http.StatusOK, again.Status, "%s", again.Raw)
	require.Equal(t, first.Body, again.Body)
	s.waitStage("alice", p, "procurement")
}

// TestE2E_KeyedContractAnswersItsFirstRequestOnly: a contract registration (R9, a lifecycle
// Update) resent with its key and another amount is 409 idempotency_key_reused; with the same
// body it gets its first answer; the contract registered is the first one.
func TestE2E_KeyedContractAnswersItsFirstRequestOnly(t *testing.T) {
	s := newStack(t, "2021")
	p := s.approvedLarge("bob", "医保智能监管平台", false)
	key := map[string]string{"Idempotency-Key": "contract-" + p}
	body := contractBody(900_000_000, "LA-2026-018")
	first := s.do("bob", http.MethodPost, "/api/v1/projects/"+p+"/contract", body, key)
	require.Equal(t, http.StatusOK, first.Status, "%s", first.Raw)
	r := s.do("bob", http.MethodPost, "/api/v1/projects/"+p+"/contract", contractBody(1_000_000_000, "LA-2026-018"), key)
	require.Equal(t, http.StatusConflict, r.Status, "%s", r.Raw)
	require.Equal(t, "idempotency_key_reused", r.code())
	again := s.do("bob", http.MethodPost, "/api/v1/projects/"+p+"/contract", body, key)
	require.Equal(t, http.StatusOK, again.Status, "%s", again.Raw)
	require.Equal(t, first.Body, again.Body)
	var amount int64
	require.NoError(t, s.store.DB.Get(&amount, `SELECT amount_fen FROM contracts WHERE project_id = $1`, p))
	require.Equal(t, int64(900_000_000), amount)
}
