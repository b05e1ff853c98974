package main

import (
	"context"
	"fmt"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"
	"go.uber.org/zap"

	"egovpm/internal/calendar"
	"egovpm/internal/config"
	"egovpm/internal/domain"
	"egovpm/internal/ops"
	"egovpm/internal/platform"
	"egovpm/internal/testdb"
	"egovpm/workflows"
)

// TestE2E_ResubmitRoundInReadModel: R3 keeps the history of every revision round, and the
// project's round in the read model (and the API) follows the workflow's: return → resubmit →
// return → resubmit leaves round 3, as the audit log's project.resubmit rows say.
func TestE2E_ResubmitRoundInReadModel(t *testing.T) {
	t.Parallel()
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
		require.NoError(t, s.store.DB().Get(&audited, `SELECT max((detail->>'round')::int) FROM audit_log
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
	t.Parallel()
	s := newStack(t, "2021")
	_, err := s.store.DB().Exec(`ALTER TABLE project_similar RENAME TO project_similar_broken`)
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
	_, err = s.store.DB().Exec(`ALTER TABLE project_similar_broken RENAME TO project_similar`)
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
	require.NoError(t, s.store.DB().Get(&n, `SELECT count(*) FROM audit_log WHERE action = 'activity.gave_up' AND object_id = $1`, wf))
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
	require.NoError(t, s.store.DB().Get(&n, `SELECT count(*) FROM audit_log WHERE action = $1 AND object_id = $2`, ops.ActionResolve, wf))
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
	t.Parallel()
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
	t.Parallel()
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
	require.NoError(t, s.store.DB().Get(&n, `SELECT count(*) FROM audit_log WHERE action = 'task.decide' AND object_id = $1
		AND detail->>'kind' = 'prelim_review'`, p))
	require.Equal(t, 2, n, "the return and one approval")
	s.waitStage("drb1", p, "expert_review")
}

// TestE2E_KeyedPlanRequestsAnswerTheirFirstRequestOnly: the same for the plan's Updates: a
// compile and a bundle decision resent with their key and another body are 409
// idempotency_key_reused; with the same body they get their first answer.
func TestE2E_KeyedPlanRequestsAnswerTheirFirstRequestOnly(t *testing.T) {
	t.Parallel()
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
	t.Parallel()
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
	require.NoError(t, s.store.DB().Get(&amount, `SELECT amount_fen FROM contracts WHERE project_id = $1`, p))
	require.Equal(t, int64(900_000_000), amount)
}

// TestE2E_Policy2023ApprovedByTheDRBSupervisor: R6 and R19 on the real stack with the 2023
// policy in force (六政办〔2023〕24号: DRB approves). A 12M project is approved alone by the DRB
// supervisor and a small one through a bundle the DRB supervisor decides; NDRC is offered
// neither and may decide neither. (A 2023 policy row that let NDRC approve again fails here.)
func TestE2E_Policy2023ApprovedByTheDRBSupervisor(t *testing.T) {
	t.Parallel()
	s := newStack(t, "2023")
	year := futureYear()
	large := s.createProject("bob", "全市一体化政务云平台", year, fen12M)
	small := s.createProject("alice", "校园食品安全监管系统", year, 300_000_000)
	for _, p := range []struct{ u, id string }{{"bob", large}, {"alice", small}} {
		s.submit(p.u, p.id)
		s.toAwaitingPlan(p.u, p.id, year)
	}
	r := s.retry409("drb1", http.MethodPost, fmt.Sprintf("/api/v1/plans/%d/compile", year), map[string]any{"included": []map[string]any{
		{"project_id": large, "approved_amount_fen": fen12M}, {"project_id": small, "approved_amount_fen": 300_000_000}}})
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Raw)
	s.waitStage("bob", large, "awaiting_approval")
	s.waitStage("alice", small, "awaiting_approval")

	require.Equal(t, http.StatusCreated, s.upload("bob", large, "opinion", pdf).Status)
	require.Equal(t, http.StatusCreated, s.upload("bob", large, "impl_plan", pdf).Status)
	task := s.openTask("drbsup", large, "project_approval")
	require.Empty(t, s.do("ndrc1", http.MethodGet, "/api/v1/tasks?kind=project_approval&project_id="+large, nil, nil).Body["items"])
	r = s.decide("ndrc1", task, map[string]any{"decision": "approve"}, nil)
	require.Contains(t, []int{http.StatusForbidden, http.StatusNotFound}, r.Status, "NDRC decided a 2023 project: %s", r.Raw)
	r = s.decide("drbsup", task, map[string]any{"decision": "approve", "approved_amount_fen": 1_100_000_000, "comment": "同意"}, nil)
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Raw)
	s.waitStage("bob", large, "procurement")

	r = s.retry409("drb1", http.MethodPost, fmt.Sprintf("/api/v1/plans/%d/bundles", year), map[string]any{})
	require.Equal(t, http.StatusCreated, r.Status, "%s", r.Raw)
	require.Equal(t, []any{small}, r.Body["project_ids"])
	bundleTask := r.str("task_id")
	got := s.do("drbsup", http.MethodGet, "/api/v1/tasks/"+bundleTask, nil, nil)
	require.Equal(t, http.StatusOK, got.Status, "%s", got.Raw)
	require.Equal(t, "drb_supervisor", got.str("candidate_role"))
	r = s.decide("ndrc1", bundleTask, map[string]any{"decision": "approve"}, nil)
	require.Contains(t, []int{http.StatusForbidden, http.StatusNotFound}, r.Status, "NDRC decided a 2023 bundle: %s", r.Raw)
	r = s.decide("drbsup", bundleTask, map[string]any{"decision": "approve", "comment": "同意"}, nil)
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Raw)
	s.waitStage("alice", small, "procurement")
	for _, p := range []string{large, small} {
		require.Equal(t, "2023", s.do("drb1", http.MethodGet, "/api/v1/projects/"+p, nil, nil).str("policy_version"))
	}
}

// TestE2E_BundleHoldsOneApproversProjects: R6 and R19. In one plan year a small project pinned
// to the 2021 policy (NDRC approves) and one submitted after the platform moved to the 2023
// policy (DRB approves) cannot share a bundle (422 bundle_approvers_differ); bundled apart, each
// goes to the approver of its own pinned policy, not to the approver of the policy the plan
// year started under.
func TestE2E_BundleHoldsOneApproversProjects(t *testing.T) {
	t.Parallel()
	s := newStack(t, "2021")
	year := futureYear()
	old := s.createProject("alice", "教育督导信息系统", year, 300_000_000)
	s.submit("alice", old)
	s = s.restart(t, "2023")
	recent := s.createProject("bob", "基层医疗机构监管系统", year, 400_000_000)
	s.submit("bob", recent)
	for _, p := range []struct{ u, id string }{{"alice", old}, {"bob", recent}} {
		s.toAwaitingPlan(p.u, p.id, year)
	}
	r := s.retry409("drb1", http.MethodPost, fmt.Sprintf("/api/v1/plans/%d/compile", year), map[string]any{"included": []map[string]any{
		{"project_id": old, "approved_amount_fen": 300_000_000}, {"project_id": recent, "approved_amount_fen": 400_000_000}}})
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Raw)
	s.waitStage("alice", old, "awaiting_approval")
	s.waitStage("bob", recent, "awaiting_approval")

	// The plan refuses the mix itself when asked directly (the gateway refuses it first).
	drb1 := domain.Actor{ID: "u-drb1", OrgID: "drb", Roles: []string{domain.RoleDRBReviewer}}
	requireRefusal(t, s.planDirect(year, workflows.UpdateCreateBundle, workflows.BundleUpdate{BundleID: "b-direct-" + old, Actor: drb1,
		ProjectIDs: []string{old, recent}}), "bundle_approvers_differ")
	bundles := fmt.Sprintf("/api/v1/plans/%d/bundles", year)
	for _, body := range []map[string]any{{"project_ids": []string{old, recent}}, {}} {
		r = s.do("drb1", http.MethodPost, bundles, body, nil)
		require.Equal(t, http.StatusUnprocessableEntity, r.Status, "%s", r.Raw)
		require.Equal(t, "bundle_approvers_differ", r.code())
		require.Contains(t, r.str("error", "message"), old)
		require.Contains(t, r.str("error", "message"), recent)
	}
	for _, c := range []struct{ project, approver, other string }{{recent, "drbsup", "ndrc1"}, {old, "ndrc1", "drbsup"}} {
		r = s.do("drb1", http.MethodPost, bundles, map[string]any{"project_ids": []string{c.project}}, nil)
		require.Equal(t, http.StatusCreated, r.Status, "%s", r.Raw)
		task := r.str("task_id")
		d := s.decide(c.other, task, map[string]any{"decision": "approve"}, nil)
		require.Contains(t, []int{http.StatusForbidden, http.StatusNotFound}, d.Status, "%s decided: %s", c.other, d.Raw)
		d = s.decide(c.approver, task, map[string]any{"decision": "approve", "comment": "同意"}, nil)
		require.Equal(t, http.StatusOK, d.Status, "%s: %s", c.approver, d.Raw)
	}
	s.waitStage("bob", recent, "procurement")
	s.waitStage("alice", old, "procurement")
}

// shanghaiClock is a replaceable clock for the gateway's business rules (Server.now).
type shanghaiClock struct{ at atomic.Pointer[time.Time] }

func (c *shanghaiClock) set(y int, m time.Month, d, h, min, sec int) {
	t := time.Date(y, m, d, h, min, sec, 0, calendar.Shanghai)
	c.at.Store(&t)
}

func (c *shanghaiClock) now() time.Time { return *c.at.Load() }

// TestE2E_SubmissionDeadlineIsThe30thOfJuneInShanghai: R2 under the default (2021) policy. For
// plan year Y a draft submitted at 30 June Y-1 23:59:59 Asia/Shanghai is accepted; one at
// 1 July 00:00:00 is 422 deadline_passed (extra.deadline is the instant). A deadline moved by
// the policy row fails here.
func TestE2E_SubmissionDeadlineIsThe30thOfJuneInShanghai(t *testing.T) {
	t.Parallel()
	s := newStack(t, "2021")
	var clock shanghaiClock
	year := futureYear()
	clock.set(year-1, time.June, 30, 23, 59, 59)
	s.srv.now = clock.now
	onTime := s.createProject("alice", "截止前一秒申报的项目", year, 100_000_000)
	late := s.createProject("alice", "截止后申报的项目", year, 100_000_000)
	r := s.do("alice", http.MethodPost, "/api/v1/projects/"+onTime+"/submit", nil, nil)
	require.Equal(t, http.StatusAccepted, r.Status, "30 June 23:59:59: %s", r.Raw)
	require.Equal(t, false, r.Body["special_request"])

	clock.set(year-1, time.July, 1, 0, 0, 0)
	r = s.do("alice", http.MethodPost, "/api/v1/projects/"+late+"/submit", nil, nil)
	require.Equal(t, http.StatusUnprocessableEntity, r.Status, "1 July 00:00:00: %s", r.Raw)
	require.Equal(t, "deadline_passed", r.code())
	extra, _ := r.Body["error"].(map[string]any)["extra"].(map[string]any)
	require.Equal(t, fmt.Sprintf("%d-06-30T23:59:59+08:00", year-1), extra["deadline"])
	require.Equal(t, "draft", s.do("alice", http.MethodGet, "/api/v1/projects/"+late, nil, nil).str("stage"))
}

// TestE2E_NothingIsSubmittedUnderAPolicyBeforeItTakesEffect: R19, effective_from is read. With
// the 2023 policy (in force from 1 January 2023) a submission dated 31 December 2022 23:59:59
// Asia/Shanghai is 422 policy_not_in_force and changes nothing; on 1 January 2023 it goes
// through under 2023.
func TestE2E_NothingIsSubmittedUnderAPolicyBeforeItTakesEffect(t *testing.T) {
	t.Parallel()
	s := newStack(t, "2023")
	var clock shanghaiClock
	clock.set(2022, time.December, 31, 23, 59, 59)
	s.srv.now = clock.now
	p := s.createProject("bob", "提前按新政策申报的项目", futureYear(), 100_000_000)
	r := s.do("bob", http.MethodPost, "/api/v1/projects/"+p+"/submit", nil, nil)
	require.Equal(t, http.StatusUnprocessableEntity, r.Status, "%s", r.Raw)
	require.Equal(t, "policy_not_in_force", r.code())
	got := s.do("bob", http.MethodGet, "/api/v1/projects/"+p, nil, nil)
	require.Equal(t, "draft", got.str("stage"))
	require.Nil(t, got.Body["policy_version"])

	clock.set(2023, time.January, 1, 0, 0, 0)
	r = s.do("bob", http.MethodPost, "/api/v1/projects/"+p+"/submit", nil, nil)
	require.Equal(t, http.StatusAccepted, r.Status, "%s", r.Raw)
	require.Equal(t, "2023", r.str("policy_version"))
}

// TestR19_GatewayRefusesToStartWithAPolicyNotYetInForce: EGOVPM_POLICY naming a version whose
// effective_from is after today refuses the gateway's start, naming the version and the day.
func TestR19_GatewayRefusesToStartWithAPolicyNotYetInForce(t *testing.T) {
	url := testdb.URL(t)
	cfg, err := config.Load(func(k string) string {
		return map[string]string{"DATABASE_URL": url, "TEMPORAL_ADDRESS": devAddr, "DATA_DIR": t.TempDir(),
			"EGOVPM_POLICY": "2099", "EGOVPM_AUDIT_KEY": testdb.AuditKey, "LOG_LEVEL": "error"}[k]
	})
	require.NoError(t, err)
	deps, err := platform.Connect(context.Background(), cfg, zap.NewNop())
	require.NoError(t, err)
	t.Cleanup(deps.Close)
	_, err = deps.Store.DB().Exec(`INSERT INTO policy_versions (version, effective_from, title, body)
		SELECT '2099', DATE '2099-01-01', '未来的修订', jsonb_set(body, '{version}', '"2099"') FROM policy_versions WHERE version = '2023'`)
	require.NoError(t, err)
	_, err = New(cfg, deps, zap.NewNop())
	require.ErrorContains(t, err, `policy "2099" takes effect on 2099-01-01`)
}

// TestE2E_SpecialRequestOfACryptoProjectWaitsForItsCryptoPlan: R17 on the special-request route
// (R8): a late project that uses cryptography reaches the City Government once its 密码应用方案 is
// uploaded, not before.
func TestE2E_SpecialRequestOfACryptoProjectWaitsForItsCryptoPlan(t *testing.T) {
	t.Parallel()
	s := newStack(t, "2021")
	p := s.createCryptoProject("alice", "应急指挥密码保障系统", pastYear(), 400_000_000)
	require.Equal(t, http.StatusCreated, s.upload("alice", p, "special_request", pdf).Status)
	s.submit("alice", p)
	s.waitStage("alice", p, "special_request")
	r := s.do("gov1", http.MethodGet, "/api/v1/tasks?kind=special_request_approval&project_id="+p, nil, nil)
	require.Empty(t, r.Body["items"], "no approval before the 密码应用方案: %s", r.Raw)
	require.Equal(t, http.StatusCreated, s.upload("alice", p, "crypto_plan", pdf).Status)
	task := s.openTask("gov1", p, "special_request_approval")
	r = s.decide("gov1", task, map[string]any{"decision": "approve", "comment": "同意列入计划"}, nil)
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Raw)
	require.Equal(t, "awaiting_approval", r.str("stage"))
}

// planDirect sends Update name straight to the plan of year, as a gateway that skipped its
// precheck would (a precheck against another policy, or older gateway code): the plan's own
// checks answer.
func (s *stack) planDirect(year int, name string, arg any) error {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	h, err := s.temporal.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{UpdateID: name + "-" + newID(""),
		WorkflowID: workflows.PlanWorkflowID(year), UpdateName: name, Args: []any{arg},
		WaitForStage: client.WorkflowUpdateStageCompleted})
	if err != nil {
		return err
	}
	var out map[string]any
	return h.Get(ctx, &out)
}

// requireRefusal checks that err is a workflow refusal with code.
func requireRefusal(t *testing.T, err error, code string) {
	t.Helper()
	r, ok := domain.AsRefusal(err)
	require.True(t, ok, "not a refusal: %v", err)
	require.Equal(t, code, r.Code, "%v", err)
}

// TestE2E_PlanChecksPanelsAndCryptoPlansItself: the gateway refuses an even effective panel
// (R4) and a bundle without the 密码应用方案 (R17) before asking the plan; the plan refuses them
// too when asked directly, and changes nothing.
func TestE2E_PlanChecksPanelsAndCryptoPlansItself(t *testing.T) {
	t.Parallel()
	s := newStack(t, "2021")
	year := futureYear()
	p := s.createCryptoProject("alice", "政务外网身份认证系统", year, 500_000_000)
	s.submit("alice", p)
	s.prelimApprove(p)
	drb1 := domain.Actor{ID: "u-drb1", OrgID: "drb", Roles: []string{domain.RoleDRBReviewer}}
	var experts []workflows.ExpertRef
	for _, e := range []string{"exp1", "exp2", "exp3", "exp4", "exp5"} {
		org := "expert"
		if e == "exp1" {
			org = "unit-a"
		}
		experts = append(experts, workflows.ExpertRef{ID: "u-" + e, OrgID: org})
	}
	require.EventuallyWithT(t, func(c *assertT) {
		err := s.planDirect(year, workflows.UpdateConvene, workflows.ConveneUpdate{SessionID: "s-direct-" + p, Actor: drb1,
			Experts: experts, ProjectIDs: []string{p}})
		r, _ := domain.AsRefusal(err)
		if assert.NotNil(c, r, "%v", err) {
			assert.Equal(c, "panel_even_after_recusal", r.Code, "%v", err)
		}
	}, 20*time.Second, 100*time.Millisecond, "the plan reads the project in expert review")
	require.Empty(t, s.do("exp2", http.MethodGet, "/api/v1/tasks?project_id="+p, nil, nil).Body["items"], "nothing convened")

	r := s.retry409("drb1", http.MethodPost, fmt.Sprintf("/api/v1/plans/%d/expert-sessions", year),
		map[string]any{"pick_reason": "测试指定专家", "expert_ids": []string{"u-exp2", "u-exp3", "u-exp4"}, "project_ids": []string{p}})
	require.Equal(t, http.StatusCreated, r.Status, "%s", r.Raw)
	for _, e := range []string{"exp2", "exp3", "exp4"} {
		rr := s.decide(e, s.openTask(e, p, "expert_review"), map[string]any{"decision": "pass", "score": 90, "comment": "可行"}, nil)
		require.Equal(t, http.StatusOK, rr.Status, "%s", rr.Raw)
	}
	s.waitStage("alice", p, "awaiting_plan")
	r = s.retry409("drb1", http.MethodPost, fmt.Sprintf("/api/v1/plans/%d/compile", year),
		map[string]any{"included": []map[string]any{{"project_id": p, "approved_amount_fen": 500_000_000}}})
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Raw)
	s.waitStage("alice", p, "awaiting_approval")
	requireRefusal(t, s.planDirect(year, workflows.UpdateCreateBundle, workflows.BundleUpdate{BundleID: "b-direct-1", Actor: drb1,
		ProjectIDs: []string{p}}), "documents_missing")
	requireRefusal(t, s.planDirect(year, workflows.UpdateCreateBundle, workflows.BundleUpdate{BundleID: "b-direct-2", Actor: drb1}),
		"documents_missing")
	require.Equal(t, http.StatusCreated, s.upload("alice", p, "crypto_plan", pdf).Status)
	require.NoError(t, s.planDirect(year, workflows.UpdateCreateBundle, workflows.BundleUpdate{BundleID: "b-direct-3", Actor: drb1}))
}
