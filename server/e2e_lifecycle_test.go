package main

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/converter"

	"egovpm/activities/wire"
	"egovpm/workflows"
)

const (
	fen9_5M = int64(950_000_000)   // 9.5 million CNY
	fen12M  = int64(1_200_000_000) // 12 million CNY
)

// futureYear is a plan year whose R2 deadline is years away; each test takes its own so the
// tests' AnnualPlan workflows (one per year) do not meet.
func futureYear() int {
	// Within the plan years the API takes (≤ 2200): a run's calls (fewer than the span; the
	// order of 100) each get their own year, starting at yearBase and wrapping at the end.
	first := time.Now().Year() + 10
	span := 2200 - first + 1
	return first + (yearBase+int(yearSeq.Add(1)))%span
}

// pastYear is a plan year whose R2 deadline has passed, fresh for every call.
func pastYear() int { return 2000 + yearBase%10 + int(pastSeq.Add(1)) }

// yearBase and yearSeq give every call a fresh plan year, so tests (and `go test -count=N`
// reruns on the same devserver) never share an AnnualPlan workflow.
var (
	yearBase = int(time.Now().UnixNano() % 50)
	yearSeq  atomic.Int32
	pastSeq  atomic.Int32
)

// retry409 repeats a plan request while a project's new stage is not yet in the read model
// (a decision of the plan reaches its projects by signal; each applies it a few milliseconds
// after the plan's reply).
func (s *stack) retry409(user, method, path string, body any) resp {
	s.t.Helper()
	var r resp
	require.EventuallyWithT(s.t, func(c *assertT) {
		r = s.do(user, method, path, body, nil)
		assertEqual(c, false, r.Status == http.StatusConflict && r.code() == "project_not_ready")
	}, 20*time.Second, 50*time.Millisecond)
	return r
}

func (s *stack) submit(user, id string) {
	s.t.Helper()
	r := s.do(user, http.MethodPost, "/api/v1/projects/"+id+"/submit", nil, nil)
	require.Equal(s.t, http.StatusAccepted, r.Status, "%s", r.Raw)
}

func (s *stack) prelimApprove(id string) {
	s.t.Helper()
	task := s.openTask("drb1", id, "prelim_review")
	r := s.decide("drb1", task, map[string]any{"decision": "approve", "comment": "符合申报条件"}, nil)
	require.Equal(s.t, http.StatusOK, r.Status, "%s", r.Raw)
	require.Equal(s.t, "expert_review", r.str("stage"))
}

// TestE2E_BundleWithExclusion is scenario (a): a 9.5M project through prelim review (R3),
// expert review with a recused expert and an odd effective panel (R4), the plan (R5) and a
// bundle with two other projects decided once by NDRC with one exclusion (R6, R7).
func TestE2E_BundleWithExclusion(t *testing.T) {
	t.Parallel()
	s := newStack(t, "2021")
	year := futureYear()
	p1 := s.createProject("alice", "六安市智慧教育云平台", year, fen9_5M)
	p2 := s.createProject("bob", "全民健康信息平台升级", year, 500_000_000)
	p3 := s.createProject("alice", "校园安全视频汇聚", year, 300_000_000)
	for _, p := range []struct{ u, id string }{{"alice", p1}, {"bob", p2}, {"alice", p3}} {
		s.submit(p.u, p.id)
	}
	// Units see only their own projects.
	require.Equal(t, http.StatusNotFound, s.do("bob", http.MethodGet, "/api/v1/projects/"+p1, nil, nil).Status)
	for _, id := range []string{p1, p2, p3} {
		s.prelimApprove(id)
	}

	experts := []string{"u-exp1", "u-exp2", "u-exp3", "u-exp4", "u-exp5"}
	sessions := fmt.Sprintf("/api/v1/plans/%d/expert-sessions", year)
	// R4: five experts are four for unit-a's projects once exp1 (unit-a) is recused: an even
	// effective panel is refused, naming those projects; unit-b's five are fine.
	r := s.retry409("drb1", http.MethodPost, sessions, map[string]any{"pick_reason": "测试指定专家", "expert_ids": experts, "project_ids": []string{p1, p2, p3}})
	require.Equal(t, http.StatusUnprocessableEntity, r.Status, "%s", r.Raw)
	require.Equal(t, "panel_even_after_recusal", r.code())
	for _, id := range []string{p1, p3} {
		require.Contains(t, r.str("error", "message"), id)
	}
	require.NotContains(t, r.str("error", "message"), p2)
	r = s.retry409("drb1", http.MethodPost, sessions, map[string]any{"pick_reason": "测试指定专家", "expert_ids": experts, "project_ids": []string{p2}})
	require.Equal(t, http.StatusCreated, r.Status, "%s", r.Raw)
	r = s.retry409("drb1", http.MethodPost, sessions, map[string]any{"pick_reason": "测试指定专家", "expert_ids": experts[:4], "project_ids": []string{p1, p3}})
	require.Equal(t, http.StatusCreated, r.Status, "%s", r.Raw)

	// R4: exp1 belongs to unit-a, so is never offered unit-a's projects.
	s.openTask("exp1", p2, "expert_review")
	for _, id := range []string{p1, p3} {
		rr := s.do("exp1", http.MethodGet, "/api/v1/tasks?project_id="+id, nil, nil)
		require.Empty(t, rr.Body["items"], "exp1 must be recused from %s", id)
	}
	for _, id := range []string{p1, p2, p3} {
		for _, e := range experts {
			if (e == "u-exp1" || e == "u-exp5") && id != p2 {
				continue // exp1 recused; exp5 not on unit-a's panel
			}
			user := e[2:]
			task := s.openTask(user, id, "expert_review")
			decision := "pass"
			if e == "u-exp5" {
				decision = "fail" // a dissent that the majority outvotes
			}
			rr := s.decide(user, task, map[string]any{"decision": decision, "score": 82, "comment": "方案可行"}, nil)
			require.Equal(t, http.StatusOK, rr.Status, "%s", rr.Raw)
		}
		s.waitStage("drb1", id, "awaiting_plan")
	}

	r = s.retry409("drb1", http.MethodPost, fmt.Sprintf("/api/v1/plans/%d/compile", year), map[string]any{
		"included": []map[string]any{
			{"project_id": p1, "approved_amount_fen": 900_000_000}, // R7: cut
			{"project_id": p2, "approved_amount_fen": 500_000_000},
			{"project_id": p3, "approved_amount_fen": 300_000_000},
		},
	})
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Raw)
	for _, id := range []string{p1, p2, p3} {
		s.waitStage("drb1", id, "awaiting_approval")
	}

	r = s.retry409("drb1", http.MethodPost, fmt.Sprintf("/api/v1/plans/%d/bundles", year), map[string]any{"project_ids": []string{p1, p2, p3}})
	require.Equal(t, http.StatusCreated, r.Status, "%s", r.Raw)
	require.ElementsMatch(t, []any{p1, p2, p3}, r.Body["project_ids"])
	bundleTask := r.str("task_id")

	// Only NDRC decides the bundle (R6, 2021 policy).
	require.Equal(t, http.StatusNotFound, s.decide("drb1", bundleTask, map[string]any{"decision": "approve"}, nil).Status)
	r = s.decide("ndrc1", bundleTask, map[string]any{"decision": "approve", "comment": "同意", "excluded_project_ids": []string{p3}}, nil)
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Raw)

	s.waitStage("alice", p1, "procurement")
	s.waitStage("bob", p2, "procurement")
	s.waitStage("alice", p3, "rejected")
	// Issue 19 item 1 (R5–R7): the unit is told of p1's cut amount, in the plan and approved,
	// with both amounts, and of p3's exclusion from the bundle; NDRC of the bundle task once
	// (the plan's own notice, not doubled by the derived one).
	told := map[string]string{}
	for _, n := range s.notices("alice") {
		told[n["project_id"].(string)+" "+n["kind"].(string)] = n["title"].(string) + " " + n["body"].(string)
	}
	require.Equal(t, "项目已列入 "+fmt.Sprint(year)+" 年度实施计划，金额核减：六安市智慧教育云平台 计划金额 9,000,000.00 元，申报金额 9,500,000.00 元。",
		told[p1+" included_cut"])
	require.Equal(t, "项目已批复，金额核减：六安市智慧教育云平台 批复金额 9,000,000.00 元，申报金额 9,500,000.00 元。", told[p1+" approved_cut"])
	require.Equal(t, "项目被移出打捆项目建议书：校园安全视频汇聚 意见：同意", told[p3+" bundle_excluded"])
	require.Contains(t, told, p3+" included")
	var bundleNotices int
	for _, n := range s.notices("ndrc1") {
		if n["task_id"] == bundleTask {
			bundleNotices++
		}
	}
	require.Equal(t, 1, bundleNotices)
	got := s.do("alice", http.MethodGet, "/api/v1/projects/"+p1, nil, nil)
	require.EqualValues(t, 900_000_000, got.Body["approved_amount_fen"])
	require.NotEmpty(t, got.Body["timeline"])

	v := s.do("audit1", http.MethodGet, "/api/v1/audit/verify", nil, nil)
	require.Equal(t, true, v.Body["ok"], "%s", v.Raw)

	// The plan validated every decision above against the read model: no decision reported
	// a stage to it (plan-stages-from-read-model; each report cost a signal and a plan
	// workflow task per decision, docs/PERFORMANCE.md). Only a submission made in the
	// milliseconds before the new plan recorded that it reads stages may still report
	// (prelim_review), and the plan drops it.
	reports := s.stageReports(workflows.PlanWorkflowID(year))
	require.LessOrEqual(t, len(reports), 3, "%v", reports)
	for _, st := range reports {
		require.Equal(t, "prelim_review", st, "a decision reported its stage to the plan: %v", reports)
	}

	// No decision paid for a TemporalChangeVersion write: every change id a lifecycle meets is
	// met in its first workflow task (versions-at-start, docs/PERFORMANCE.md). The Stage
	// search attribute is written by the stage changes only (stage-search-attribute), one
	// each: a decision that leaves the stage (a claim, an expert's score) writes none.
	for _, id := range []string{p1, p2, p3} {
		wf := workflows.ProjectWorkflowID(id)
		require.Equal(t, 1, s.upsertBatches(wf, "TemporalChangeVersion"), "project %s", id)
		writes := s.stageWrites(wf)
		require.NotEmpty(t, writes, "project %s: no Stage write", id)
		for i := 1; i < len(writes); i++ {
			require.NotEqual(t, writes[i-1], writes[i], "project %s: a Stage write without a stage change: %v", id, writes)
		}
		got := s.do("drb1", http.MethodGet, "/api/v1/projects/"+id, nil, nil)
		require.Equal(t, `"`+got.str("stage")+`"`, writes[len(writes)-1], "project %s: Stage is the read model's stage", id)
	}

	// Nor a stage report at all once the lifecycle knew its plan reads stages (plan-report-once):
	// the submission's (or, if the plan had not yet recorded it, the first few) of the six
	// stage changes above ran TellPlan.
	for _, id := range []string{p1, p2, p3} {
		n := s.localActivities(workflows.ProjectWorkflowID(id), "TellPlan")
		require.True(t, n >= 1 && n <= 2, "project %s ran TellPlan %d times", id, n)
		// One version marker: the run's baseline stands for every change (withBaseline).
		require.Equal(t, 1, s.markers(workflows.ProjectWorkflowID(id), "Version"), "project %s", id)
	}
	require.Equal(t, 1, s.markers(workflows.PlanWorkflowID(year), "Version"), "the plan")

	// notify-in-apply (issue 20 item 1): a member's explicit notices (the unit's "approved" of
	// the bundle result, the "returned"-like ones before it) are mailed by Apply after its
	// commit: no SendNotifications activity in the member's history, while the unit's row is
	// there and mailed.
	for _, id := range []string{p1, p2, p3} {
		for _, e := range s.events(workflows.ProjectWorkflowID(id)) {
			if a := e.GetActivityTaskScheduledEventAttributes(); a != nil {
				require.NotEqual(t, wire.SendNotifications, a.GetActivityType().GetName(), "project %s", id)
			}
		}
	}
	require.EventuallyWithT(t, func(c *assertT) {
		var n struct{ Rows, Sent int }
		assertEqual(c, nil, s.store.DB().Get(&n, `SELECT count(*) AS rows, count(sent_at) AS sent FROM notifications
			WHERE project_id = $1 AND kind = 'approved'`, p2))
		assert.Positive(c, n.Rows)
		assertEqual(c, n.Rows, n.Sent)
	}, 20*time.Second, 200*time.Millisecond, "the unit's approved notice of p2 is written and mailed")
}

// events lists the events of workflow id's current run.
func (s *stack) events(id string) []*historypb.HistoryEvent {
	s.t.Helper()
	it := s.temporal.GetWorkflowHistory(context.Background(), id, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	var out []*historypb.HistoryEvent
	for it.HasNext() {
		e, err := it.Next()
		require.NoError(s.t, err)
		out = append(out, e)
	}
	return out
}

// markers counts the markers named name in workflow id's current run.
func (s *stack) markers(id, name string) int {
	n := 0
	for _, e := range s.events(id) {
		if a := e.GetMarkerRecordedEventAttributes(); a != nil && a.GetMarkerName() == name {
			n++
		}
	}
	return n
}

// localActivities counts the markers of local activity typ in workflow id's current run.
func (s *stack) localActivities(id, typ string) int {
	n := 0
	for _, e := range s.events(id) {
		a := e.GetMarkerRecordedEventAttributes()
		if a == nil || a.GetMarkerName() != "LocalActivity" {
			continue
		}
		var data struct {
			ActivityType string
		}
		require.NoError(s.t, converter.GetDefaultDataConverter().FromPayloads(a.GetDetails()["data"], &data))
		if data.ActivityType == typ {
			n++
		}
	}
	return n
}

// upsertBatches counts the workflow tasks of workflow id's current run that upserted search
// attribute key (each such task costs the server a visibility write).
func (s *stack) upsertBatches(id, key string) int {
	n, task := 0, int64(-1)
	for _, e := range s.events(id) {
		a := e.GetUpsertWorkflowSearchAttributesEventAttributes()
		if a == nil || a.GetWorkflowTaskCompletedEventId() == task {
			continue
		}
		if _, ok := a.GetSearchAttributes().GetIndexedFields()[key]; ok {
			n, task = n+1, a.GetWorkflowTaskCompletedEventId()
		}
	}
	return n
}

// stageWrites lists the Stage values (JSON) workflow id's current run upserted, in order.
func (s *stack) stageWrites(id string) []string {
	var out []string
	for _, e := range s.events(id) {
		if p, ok := e.GetUpsertWorkflowSearchAttributesEventAttributes().GetSearchAttributes().GetIndexedFields()["Stage"]; ok {
			out = append(out, string(p.GetData()))
		}
	}
	return out
}

// stageReports lists the stages reported to workflow id's current run by SignalProjectStatus.
func (s *stack) stageReports(id string) []string {
	var out []string
	for _, e := range s.events(id) {
		a := e.GetWorkflowExecutionSignaledEventAttributes()
		if a == nil || a.GetSignalName() != workflows.SignalProjectStatus {
			continue
		}
		var st workflows.ProjectStatusSignal
		require.NoError(s.t, converter.GetDefaultDataConverter().FromPayloads(a.GetInput(), &st))
		out = append(out, string(st.Stage))
	}
	return out
}

// toAwaitingPlan takes submitted project p of year (owned by user) through preliminary approval
// and an expert session of exp2–exp4 who all pass it (R3, R4).
func (s *stack) toAwaitingPlan(user, p string, year int) {
	s.t.Helper()
	s.prelimApprove(p)
	r := s.retry409("drb1", http.MethodPost, fmt.Sprintf("/api/v1/plans/%d/expert-sessions", year),
		map[string]any{"pick_reason": "测试指定专家", "expert_ids": []string{"u-exp2", "u-exp3", "u-exp4"}, "project_ids": []string{p}})
	require.Equal(s.t, http.StatusCreated, r.Status, "%s", r.Raw)
	for _, e := range []string{"exp2", "exp3", "exp4"} {
		rr := s.decide(e, s.openTask(e, p, "expert_review"), map[string]any{"decision": "pass", "score": 90, "comment": "可行"}, nil)
		require.Equal(s.t, http.StatusOK, rr.Status, "%s", rr.Raw)
	}
	s.waitStage(user, p, "awaiting_plan")
}

// planReady starts a stack (2021 policy) and takes a new project of user's, estimated at fen,
// through submission, preliminary approval and expert review to awaiting_plan.
func planReady(t *testing.T, user, name string, fen int64) (*stack, string, int) {
	t.Helper()
	s := newStack(t, "2021")
	year := futureYear()
	p := s.createProject(user, name, year, fen)
	s.submit(user, p)
	s.toAwaitingPlan(user, p, year)
	return s, p, year
}

// TestE2E_LargeProjectAlone is scenario (b): a 12M project with its opinion and implementation
// plan is approved alone by NDRC at a cut amount (R6, R7).
func TestE2E_LargeProjectAlone(t *testing.T) {
	t.Parallel()
	s, p, year := planReady(t, "bob", "卫健大数据中心", fen12M)
	r := s.retry409("drb1", http.MethodPost, fmt.Sprintf("/api/v1/plans/%d/compile", year),
		map[string]any{"included": []map[string]any{{"project_id": p, "approved_amount_fen": fen12M}}})
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Raw)
	s.waitStage("bob", p, "awaiting_approval")

	// A large project is never bundled.
	r = s.do("drb1", http.MethodPost, fmt.Sprintf("/api/v1/plans/%d/bundles", year), map[string]any{"project_ids": []string{p}}, nil)
	require.Equal(t, http.StatusUnprocessableEntity, r.Status, "%s", r.Raw)
	require.Equal(t, "not_small_project", r.code())

	// No approval task until both documents are in.
	require.Equal(t, http.StatusCreated, s.upload("bob", p, "opinion", pdf).Status)
	rr := s.do("ndrc1", http.MethodGet, "/api/v1/tasks?kind=project_approval&project_id="+p, nil, nil)
	require.Empty(t, rr.Body["items"])
	require.Equal(t, http.StatusCreated, s.upload("bob", p, "impl_plan", pdf).Status)
	task := s.openTask("ndrc1", p, "project_approval")

	r = s.decide("ndrc1", task, map[string]any{"decision": "approve", "approved_amount_fen": fen12M + 1}, nil)
	require.Equal(t, http.StatusUnprocessableEntity, r.Status, "%s", r.Raw)
	require.Equal(t, "amount_over_limit", r.code())
	r = s.decide("ndrc1", task, map[string]any{"decision": "approve", "approved_amount_fen": 1_100_000_000, "comment": "核减"}, nil)
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Raw)
	s.waitStage("bob", p, "procurement")
	got := s.do("bob", http.MethodGet, "/api/v1/projects/"+p, nil, nil)
	require.EqualValues(t, 1_100_000_000, got.Body["approved_amount_fen"])
	s.requireStageSearchable(p, "procurement")
}

// requireStageSearchable checks that Temporal's visibility finds project p's run by its
// current stage (stage-search-attribute) and that the run's summary names ids and unit only
// (issue 21 item 5): no project content.
func (s *stack) requireStageSearchable(p, stage string) {
	s.t.Helper()
	wf := workflows.ProjectWorkflowID(p)
	query := fmt.Sprintf("WorkflowId = '%s' AND Stage = '%s'", wf, stage)
	require.Eventually(s.t, func() bool {
		res, err := s.temporal.ListWorkflow(context.Background(), &workflowservice.ListWorkflowExecutionsRequest{Query: query})
		return err == nil && len(res.Executions) == 1
	}, 10*time.Second, 100*time.Millisecond, "no run found by %s", query)
	d, err := s.temporal.DescribeWorkflow(context.Background(), wf, "")
	require.NoError(s.t, err)
	sum, err := d.GetStaticSummary()
	require.NoError(s.t, err)
	require.Contains(s.t, sum, "project "+p)
	require.NotContains(s.t, sum, "卫健", "the summary holds no project content")
}

// R19: the policy in force when a project is submitted governs it to the end, whatever
// EGOVPM_POLICY says later. A 12M project submitted under the 2021 policy is approved alone by
// NDRC after the platform restarts with the 2023 policy in force (which routes large approvals
// to the DRB supervisor); a project submitted after the restart is pinned to 2023.
func TestE2E_PolicyPinnedAtSubmissionAcrossAConfigChange(t *testing.T) {
	t.Parallel()
	s, p, year := planReady(t, "bob", "社保卡一卡通平台", fen12M)
	s = s.restart(t, "2023")

	r := s.retry409("drb1", http.MethodPost, fmt.Sprintf("/api/v1/plans/%d/compile", year),
		map[string]any{"included": []map[string]any{{"project_id": p, "approved_amount_fen": fen12M}}})
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Raw)
	s.waitStage("bob", p, "awaiting_approval")
	require.Equal(t, http.StatusCreated, s.upload("bob", p, "opinion", pdf).Status)
	require.Equal(t, http.StatusCreated, s.upload("bob", p, "impl_plan", pdf).Status)
	task := s.openTask("ndrc1", p, "project_approval")
	rr := s.do("drbsup", http.MethodGet, "/api/v1/tasks?kind=project_approval&project_id="+p, nil, nil)
	require.Empty(t, rr.Body["items"], "the 2023 route (DRB supervisor) must not apply to a 2021 project")
	got := s.do("bob", http.MethodGet, "/api/v1/projects/"+p, nil, nil)
	require.Equal(t, "2021", got.Body["policy_version"])

	r = s.decide("ndrc1", task, map[string]any{"decision": "approve", "approved_amount_fen": fen12M}, nil)
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Raw)
	s.waitStage("bob", p, "procurement")

	p2 := s.createProject("alice", "不动产登记一网通办", futureYear(), fen12M)
	s.submit("alice", p2)
	got = s.do("alice", http.MethodGet, "/api/v1/projects/"+p2, nil, nil)
	require.Equal(t, "2023", got.Body["policy_version"], "a project submitted after the change has the new policy")
}

// TestE2E_PlanRefusalForAStageNotReachedKeepsTheKey: a plan operation refused because a
// project has not reached its stage yet changes nothing, so the same Idempotency-Key goes
// through once it has; a resend of an operation that went through gets its first answer,
// though the stage has moved on (R5, R6; found by the fault test, issue 7: the plan's own
// refusal completed the Update and answered every resend of the key with it).
func TestE2E_PlanRefusalForAStageNotReachedKeepsTheKey(t *testing.T) {
	t.Parallel()
	s, p, year := planReady(t, "alice", "政务服务好差评系统", 500_000_000)

	bundle := func() resp {
		return s.do("drb1", http.MethodPost, fmt.Sprintf("/api/v1/plans/%d/bundles", year),
			map[string]any{"project_ids": []string{p}}, map[string]string{"Idempotency-Key": "bundle-early-1"})
	}
	r := bundle()
	require.Equal(t, http.StatusConflict, r.Status, "%s", r.Raw)
	require.Equal(t, "project_not_ready", r.code())

	compile := func(key string) resp {
		return s.do("drb1", http.MethodPost, fmt.Sprintf("/api/v1/plans/%d/compile", year),
			map[string]any{"included": []map[string]any{{"project_id": p, "approved_amount_fen": 400_000_000}}},
			map[string]string{"Idempotency-Key": key})
	}
	first := compile("compile-1")
	require.Equal(t, http.StatusOK, first.Status, "%s", first.Raw)
	s.waitStage("alice", p, "awaiting_approval")
	again := compile("compile-1")
	require.Equal(t, http.StatusOK, again.Status, "a resend of a compile that went through: %s", again.Raw)
	require.Equal(t, first.Body, again.Body)
	r = compile("compile-2")
	require.Equal(t, http.StatusConflict, r.Status, "a new compile of a compiled project: %s", r.Raw)
	require.Equal(t, "project_not_ready", r.code())

	r = bundle()
	require.Equal(t, http.StatusCreated, r.Status, "the key refused early goes through now: %s", r.Raw)
	require.Equal(t, []any{p}, r.Body["project_ids"])
}

// TestE2E_PlanReadModelOutageKeepsTheKey: when the gateway cannot read the projects a plan
// operation names, it answers 503 read_model_unavailable without asking the plan; the key is
// not spent, and the same request goes through once the read model is back (R5).
func TestE2E_PlanReadModelOutageKeepsTheKey(t *testing.T) {
	t.Parallel()
	s, p, year := planReady(t, "alice", "12345 政务热线升级", 500_000_000)
	compile := func() resp {
		return s.do("drb1", http.MethodPost, fmt.Sprintf("/api/v1/plans/%d/compile", year),
			map[string]any{"included": []map[string]any{{"project_id": p, "approved_amount_fen": 400_000_000}}},
			map[string]string{"Idempotency-Key": "compile-outage-1"})
	}
	// A table only the plan's project read joins (not the session lookup) goes missing.
	_, err := s.store.DB().Exec(`ALTER TABLE bundle_projects RENAME TO bundle_projects_gone`)
	require.NoError(t, err)
	s.unavailable = true
	r := compile()
	s.unavailable = false
	_, err = s.store.DB().Exec(`ALTER TABLE bundle_projects_gone RENAME TO bundle_projects`)
	require.NoError(t, err)
	require.Equal(t, http.StatusServiceUnavailable, r.Status, "%s", r.Raw)
	require.Equal(t, "read_model_unavailable", r.code())
	s.waitStage("alice", p, "awaiting_plan")

	r = compile()
	require.Equal(t, http.StatusOK, r.Status, "the same key once the read model is back: %s", r.Raw)
	s.waitStage("alice", p, "awaiting_approval")
}

// TestE2E_ReturnAndResubmit is scenario (c): R3 return for revision, edit, resubmit.
func TestE2E_ReturnAndResubmit(t *testing.T) {
	t.Parallel()
	s := newStack(t, "2021")
	p := s.createProject("alice", "教育考试管理系统", futureYear(), 200_000_000)
	// Mass assignment is refused (issue 3): stage and unit_id are not editable fields.
	r := s.do("alice", http.MethodPatch, "/api/v1/projects/"+p, map[string]any{"stage": "approved"}, nil)
	require.Equal(t, http.StatusBadRequest, r.Status)
	r = s.do("alice", http.MethodPatch, "/api/v1/projects/"+p, map[string]any{"unit_id": "unit-b"}, nil)
	require.Equal(t, http.StatusBadRequest, r.Status)

	s.submit("alice", p)
	task := s.openTask("drb1", p, "prelim_review")
	r = s.decide("drb1", task, map[string]any{"decision": "return"}, nil)
	require.Equal(t, http.StatusBadRequest, r.Status, "a return needs comments: %s", r.Raw)
	r = s.decide("drb1", task, map[string]any{"decision": "return", "comment": "请补充数据共享清单"}, nil)
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Raw)
	require.Equal(t, "revision", r.str("stage"))

	r = s.do("alice", http.MethodPatch, "/api/v1/projects/"+p, map[string]any{"description": "已补充数据共享清单"}, nil)
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Raw)
	r = s.do("alice", http.MethodPost, "/api/v1/projects/"+p+"/submit", nil, nil)
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Raw)
	require.Equal(t, "prelim_review", r.str("stage"))
	task2 := s.openTask("drb1", p, "prelim_review")
	require.NotEqual(t, task, task2, "round 2 opens a new task")
	// Editing is closed again while in review.
	r = s.do("alice", http.MethodPatch, "/api/v1/projects/"+p, map[string]any{"description": "x"}, nil)
	require.Equal(t, http.StatusConflict, r.Status)
	got := s.do("alice", http.MethodGet, "/api/v1/projects/"+p, nil, nil)
	require.GreaterOrEqual(t, len(got.Body["timeline"].([]any)), 4, "history is kept: %s", got.Raw)
}

// TestE2E_LateSubmissionSpecialRequest is scenario (d): after the R2 deadline a plain submission
// is 422 deadline_passed; with a special-request document it goes to the City Government (R8)
// and, approved, joins the plan as a supplementary item awaiting approval (R6).
func TestE2E_LateSubmissionSpecialRequest(t *testing.T) {
	t.Parallel()
	s := newStack(t, "2021")
	late := pastYear() // its R2 deadline has passed
	p := s.createProject("alice", "应急指挥调度系统", late, 400_000_000)
	r := s.do("alice", http.MethodPost, "/api/v1/projects/"+p+"/submit", nil, nil)
	require.Equal(t, http.StatusUnprocessableEntity, r.Status, "%s", r.Raw)
	require.Equal(t, "deadline_passed", r.code())
	require.Contains(t, r.str("error", "message"), "计划外项目须上传专题请示并报市政府批准", "no kind code in the message")

	require.Equal(t, http.StatusCreated, s.upload("alice", p, "special_request", pdf).Status)
	s.submit("alice", p)
	s.waitStage("alice", p, "special_request")
	task := s.openTask("gov1", p, "special_request_approval")
	r = s.decide("gov1", task, map[string]any{"decision": "approve", "comment": "同意列入计划"}, nil)
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Raw)
	require.Equal(t, "awaiting_approval", r.str("stage"))
	plan := s.do("drb1", http.MethodGet, fmt.Sprintf("/api/v1/plans/%d", late), nil, nil)
	items := plan.Body["items"].([]any)
	require.Len(t, items, 1)
	require.Equal(t, true, items[0].(map[string]any)["supplementary"])
	// It follows R6: a small project goes into a bundle.
	r = s.retry409("drb1", http.MethodPost, fmt.Sprintf("/api/v1/plans/%d/bundles", late), map[string]any{})
	require.Equal(t, http.StatusCreated, r.Status, "%s", r.Raw)
}

// TestE2E_IdempotentAndRacingDecisions is scenario (e): one Idempotency-Key sent twice applies
// once; two different decisions racing → one 200, one 409.
func TestE2E_IdempotentAndRacingDecisions(t *testing.T) {
	t.Parallel()
	s := newStack(t, "2021")
	p := s.createProject("alice", "幂等测试项目", futureYear(), 100_000_000)
	s.submit("alice", p)
	task := s.openTask("drb1", p, "prelim_review")
	key := map[string]string{"Idempotency-Key": "k-" + p}
	r1 := s.decide("drb1", task, map[string]any{"decision": "approve", "comment": "ok"}, key)
	r2 := s.decide("drb1", task, map[string]any{"decision": "approve", "comment": "ok"}, key)
	require.Equal(t, http.StatusOK, r1.Status, "%s", r1.Raw)
	require.Equal(t, http.StatusOK, r2.Status, "%s", r2.Raw)
	require.Equal(t, r1.Body, r2.Body)
	var n int
	require.NoError(t, s.store.DB().Get(&n, `SELECT count(*) FROM audit_log WHERE action = 'task.decide' AND object_id = $1`, p))
	require.Equal(t, 1, n, "the decision is applied once")

	q := s.createProject("bob", "并发测试项目", futureYear(), 100_000_000)
	s.submit("bob", q)
	task = s.openTask("drb1", q, "prelim_review")
	s.token("drbsup")
	var wg sync.WaitGroup
	results := make([]resp, 2)
	for i, d := range []struct{ user, decision string }{{"drb1", "approve"}, {"drbsup", "reject"}} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = s.decide(d.user, task, map[string]any{"decision": d.decision, "comment": "竞争"}, nil)
		}()
	}
	wg.Wait()
	statuses := []int{results[0].Status, results[1].Status}
	require.ElementsMatch(t, []int{http.StatusOK, http.StatusConflict}, statuses, "%s | %s", results[0].Raw, results[1].Raw)
	require.NoError(t, s.store.DB().Get(&n, `SELECT count(*) FROM audit_log WHERE action = 'task.decide' AND object_id = $1`, q))
	require.Equal(t, 1, n)
}
