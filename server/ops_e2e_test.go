package main

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/api/temporalproto"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
	"go.uber.org/zap"

	"egovpm/activities"
	"egovpm/internal/config"
	"egovpm/internal/logging"
	"egovpm/internal/ops"
	"egovpm/internal/platform"
	"egovpm/internal/seed"
	"egovpm/internal/testdb"
	"egovpm/worker/setup"
	"egovpm/workflows"
)

// opsStack is newStack with the worker in the test's hands: the ops tests stop it, deploy a
// bad build on its task queue and bring the good build back.
type opsStack struct {
	*stack
	queue  string
	log    *zap.Logger
	worker worker.Worker
}

func newOpsStack(t *testing.T) *opsStack {
	t.Helper()
	url := testdb.URL(t)
	queue := "egovpm-ops-" + newID("")
	cfg, err := config.Load(func(k string) string {
		return map[string]string{
			"DATABASE_URL": url, "TEMPORAL_ADDRESS": devAddr, "TEMPORAL_TASK_QUEUE": queue,
			"DATA_DIR": t.TempDir(), "EGOVPM_POLICY": "2021", "EGOVPM_AUDIT_KEY": testdb.AuditKey, "LOG_LEVEL": "error",
		}[k]
	})
	require.NoError(t, err)
	log := zap.NewNop()
	if os.Getenv("EGOVPM_TEST_LOG") != "" {
		log, _ = logging.New("debug")
	}
	ctx := context.Background()
	deps, err := platform.Connect(ctx, cfg, log)
	require.NoError(t, err)
	t.Cleanup(deps.Close)
	require.NoError(t, seed.Demo(ctx, deps.Store, cfg.DemoPassword))
	srv, err := New(cfg, deps, log)
	require.NoError(t, err)
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(hs.Close)
	s := &opsStack{stack: &stack{t: t, srv: srv, http: hs, store: deps.Store, temporal: deps.Temporal, tokens: map[string]string{}},
		queue: queue, log: log}
	t.Cleanup(s.stopWorker)
	s.startWorker(setup.NewWorker(deps.Temporal, queue, deps.Store, log))
	return s
}

func (s *opsStack) startWorker(w worker.Worker) {
	s.t.Helper()
	require.NoError(s.t, w.Start())
	s.worker = w
}

func (s *opsStack) stopWorker() {
	if s.worker != nil {
		s.worker.Stop()
		s.worker = nil
	}
}

// settledInPrelim creates and submits alice's project name and waits until its workflow has
// settled in prelim review (no pending activity or workflow task); it returns its open prelim
// task and its workflow id.
func (s *opsStack) settledInPrelim(name string) (task, wfID string) {
	s.t.Helper()
	p := s.createProject("alice", name, futureYear(), 300_000_000)
	s.submit("alice", p)
	task = s.openTask("drb1", p, "prelim_review")
	wfID = workflows.ProjectWorkflowID(p)
	require.EventuallyWithT(s.t, func(c *assertT) {
		d, err := ops.Describe(context.Background(), s.temporal, wfID, "")
		if assert.NoError(c, err) {
			assert.Empty(c, d.GetPendingActivities())
			assert.Nil(c, d.GetPendingWorkflowTask())
		}
	}, 20*time.Second, 100*time.Millisecond, "the workflow settles in prelim review")
	return task, wfID
}

// badBuild is a worker of a deliberately non-deterministic deploy: its ProjectLifecycle waits
// for a timer before doing what the good build does, so every recorded history's first
// command no longer matches.
func (s *opsStack) badBuild() worker.Worker {
	w := worker.New(s.temporal, s.queue, worker.Options{})
	registerBad(w)
	w.RegisterActivity(&activities.Activities{Store: s.store, Log: s.log, Temporal: s.temporal})
	return w
}

func registerBad(r ops.Registry) {
	r.(worker.WorkflowRegistry).RegisterWorkflowWithOptions(sleepFirstLifecycle, workflow.RegisterOptions{Name: "ProjectLifecycle"})
	r.RegisterWorkflow(workflows.AnnualPlan)
}

func sleepFirstLifecycle(ctx workflow.Context, in workflows.ProjectLifecycleInput) (workflows.ProjectLifecycleResult, error) {
	if err := workflow.Sleep(ctx, time.Hour); err != nil {
		return workflows.ProjectLifecycleResult{}, err
	}
	return workflows.ProjectLifecycle(ctx, in)
}

// stuckItem is one item of GET /api/v1/ops/workflows/stuck.
type stuckItem struct {
	WorkflowID   string       `json:"workflow_id"`
	RunID        string       `json:"run_id"`
	WorkflowType string       `json:"workflow_type"`
	Reasons      []ops.Reason `json:"reasons"`
}

// stuck returns the stuck workflow wfID as ops1 sees it (nil when it is not listed), paging
// through the whole list.
func (s *opsStack) stuck(c *assertT, wfID string) *stuckItem {
	cursor := ""
	for {
		r := s.do("ops1", http.MethodGet, "/api/v1/ops/workflows/stuck?limit=100&cursor="+urlEscape(cursor), nil, nil)
		if !assert.Equal(c, http.StatusOK, r.Status, "%s", r.Raw) {
			return nil
		}
		var page struct {
			Items      []stuckItem `json:"items"`
			NextCursor string      `json:"next_cursor"`
		}
		if !assert.NoError(c, json.Unmarshal(r.Raw, &page)) {
			return nil
		}
		for i := range page.Items {
			if page.Items[i].WorkflowID == wfID {
				return &page.Items[i]
			}
		}
		if page.NextCursor == "" {
			return nil
		}
		cursor = page.NextCursor
	}
}

func reasonOf(it *stuckItem, kind string) *ops.Reason {
	if it == nil {
		return nil
	}
	for i := range it.Reasons {
		if it.Reasons[i].Kind == kind {
			return &it.Reasons[i]
		}
	}
	return nil
}

// auditRow is an audit row of an ops action.
type auditRow struct {
	ActorID string          `db:"actor_id"`
	Outcome string          `db:"outcome"`
	Object  string          `db:"object_type"`
	Detail  json.RawMessage `db:"detail"`
}

func (s *opsStack) audits(action, objectID string) []auditRow {
	s.t.Helper()
	var rows []auditRow
	require.NoError(s.t, s.store.DB().Select(&rows, `SELECT actor_id, outcome, object_type, detail FROM audit_log
		WHERE action = $1 AND object_id = $2 ORDER BY seq`, action, objectID))
	return rows
}

func (s *opsStack) history(wfID, runID string) []*historypb.HistoryEvent {
	s.t.Helper()
	it := s.temporal.GetWorkflowHistory(context.Background(), wfID, runID, false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	var out []*historypb.HistoryEvent
	for it.HasNext() {
		ev, err := it.Next()
		require.NoError(s.t, err)
		out = append(out, ev)
	}
	return out
}

// TestO1O2_FailingActivityRetry: a regular activity (ComputeSimilar, R16) fails because the
// table it writes is gone; ops sees it in stuck with its attempt count and last error, fixes
// the cause and retries it now; the activity completes on a fresh attempt. An overdue task is
// listed too, and the retry is audited.
func TestO1O2_FailingActivityRetry(t *testing.T) {
	s := newOpsStack(t)
	year := futureYear()
	pa := s.createProject("alice", "全市教育资源公共服务平台", year, 300_000_000)
	s.submit("alice", pa)
	taskA := s.openTask("drb1", pa, "prelim_review")

	// The dependency goes down: ComputeSimilar's table disappears.
	_, err := s.store.DB().Exec(`ALTER TABLE project_similar RENAME TO project_similar_broken`)
	require.NoError(t, err)
	pb := s.createProject("bob", "全市教育资源公共服务平台（卫健）", year, 200_000_000)
	s.submit("bob", pb)
	wfB := workflows.ProjectWorkflowID(pb)

	// O1: listed with the activity, its attempt (≥ N = 3) and the last error.
	var failing ops.Reason
	require.EventuallyWithT(t, func(c *assertT) {
		r := reasonOf(s.stuck(c, wfB), ops.KindActivityFailing)
		if assert.NotNil(c, r, "%s not (yet) listed with a failing activity", wfB) {
			failing = *r
		}
	}, 20*time.Second, 200*time.Millisecond, "the failing ComputeSimilar reaches attempt 3 after about 3 s of retries")
	require.Equal(t, "ComputeSimilar", failing.ActivityType)
	require.GreaterOrEqual(t, failing.Attempt, int32(3))
	require.Contains(t, failing.Detail, "project_similar")
	require.True(t, strings.HasPrefix(failing.Detail, "活动 ComputeSimilar 反复失败，仍在重试："), "the reason reads in Chinese: %s", failing.Detail)
	require.NotNil(t, failing.Since)
	require.NotEmpty(t, failing.ActivityID)

	// O1: a human task overdue past escalation is listed with its task.
	_, err = s.store.DB().Exec(`UPDATE tasks SET due_at = now() - interval '3 days' WHERE id = $1`, taskA)
	require.NoError(t, err)
	require.EventuallyWithT(t, func(c *assertT) {
		r := reasonOf(s.stuck(c, workflows.ProjectWorkflowID(pa)), ops.KindTaskOverdue)
		if assert.NotNil(c, r) {
			assert.Equal(c, taskA, r.TaskID)
			// In Chinese, naming the task's kind and who may claim it (store.OverdueTasks).
			assert.Regexp(c, `^初审任务 `+taskA+` 已于 \d{4}-\d\d-\d\d \d\d:\d\d（北京时间）到期，仍未办理（待签收，候选角色：数管局审核人员）$`, r.Detail)
		}
	}, 10*time.Second, 200*time.Millisecond)
	// Claimed, it names its assignee.
	r := s.do("drb1", http.MethodPost, "/api/v1/tasks/"+taskA+"/claim", nil, nil)
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Raw)
	require.EventuallyWithT(t, func(c *assertT) {
		if r := reasonOf(s.stuck(c, workflows.ProjectWorkflowID(pa)), ops.KindTaskOverdue); assert.NotNil(c, r) {
			assert.Regexp(c, `（承办人：\S+，用户编号 u-drb1）$`, r.Detail)
		}
	}, 10*time.Second, 200*time.Millisecond)

	// Only ops may look or act.
	r = s.do("drb1", http.MethodGet, "/api/v1/ops/workflows/stuck", nil, nil)
	require.Equal(t, http.StatusForbidden, r.Status, "%s", r.Raw)

	// Fix the cause, then O2: retry now.
	_, err = s.store.DB().Exec(`ALTER TABLE project_similar_broken RENAME TO project_similar`)
	require.NoError(t, err)
	retryPath := "/api/v1/ops/workflows/" + wfB + "/activities/" + failing.ActivityID + "/retry"
	r = s.do("ops1", http.MethodPost, retryPath, map[string]any{"reason": "表已恢复"}, nil)
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Raw)
	require.Equal(t, "ComputeSimilar", r.str("activity_type"))
	require.GreaterOrEqual(t, r.Body["previous_attempt"], float64(3))

	// The activity completes: bob's project now shows alice's as a duplicate-construction
	// candidate (R16).
	require.EventuallyWithT(t, func(c *assertT) {
		r := s.do("drb1", http.MethodGet, "/api/v1/projects/"+pb+"/similar", nil, nil)
		var ids []string
		items, _ := r.Body["items"].([]any)
		for _, it := range items {
			m, _ := it.(map[string]any)
			id, _ := m["project_id"].(string)
			ids = append(ids, id)
		}
		assert.Contains(c, ids, pa)
	}, 20*time.Second, 100*time.Millisecond, "ComputeSimilar never completed after the retry")
	// It completed on a fresh attempt: the retry reset the attempt count (a natural retry
	// would have recorded attempt 4 or 5).
	var started *historypb.ActivityTaskStartedEventAttributes
	for _, ev := range s.history(wfB, "") {
		if a := ev.GetActivityTaskStartedEventAttributes(); a != nil {
			started = a
		}
	}
	require.NotNil(t, started)
	require.Less(t, started.GetAttempt(), failing.Attempt, "the completing attempt came from the reset, not the backoff")

	require.EventuallyWithT(t, func(c *assertT) {
		assert.Nil(c, reasonOf(s.stuck(c, wfB), ops.KindActivityFailing))
	}, 10*time.Second, 200*time.Millisecond, "a recovered workflow leaves the stuck list")

	// Retrying an activity that is not pending is 404, and audited as failed.
	r = s.do("ops1", http.MethodPost, retryPath, map[string]any{}, nil)
	require.Equal(t, http.StatusNotFound, r.Status, "%s", r.Raw)
	require.Equal(t, "activity_not_pending", r.code())

	// Every ops action is audited (R18).
	rows := s.audits(ops.ActionRetry, wfB)
	require.Len(t, rows, 2)
	require.Equal(t, "u-ops1", rows[0].ActorID)
	require.Equal(t, "workflow", rows[0].Object)
	require.Equal(t, "ok", rows[0].Outcome)
	require.Contains(t, string(rows[0].Detail), "ComputeSimilar")
	require.Contains(t, string(rows[0].Detail), "表已恢复")
	require.Equal(t, "failed", rows[1].Outcome)
	v := s.do("audit1", http.MethodGet, "/api/v1/audit/verify", nil, nil)
	require.Equal(t, true, v.Body["ok"], "%s", v.Raw)
}

// TestO1O2O3_NonDeterministicDeployResetAndReplay: a deploy whose ProjectLifecycle no longer
// matches the recorded histories makes the next workflow task fail; stuck lists the workflow
// (workflow_task_failing, NonDeterministicError); replay against the bad build reports it
// nondeterministic and against this build ok; with the good build back, a reset to the last
// good workflow task (the signal that woke it reapplied) lets it proceed on the good code.
func TestO1O2O3_NonDeterministicDeployResetAndReplay(t *testing.T) {
	s := newOpsStack(t)
	ctx := context.Background()
	task, wfID := s.settledInPrelim("全市政务数据共享交换平台")

	// Deploy the bad build and wake the workflow with a signal. The stopped worker's long polls
	// end at the client at once but may still be registered at the server for a moment: a task
	// matched to one is started on no worker and times out (START_TO_CLOSE), and that timeout,
	// not the bad build's NonDeterministicError, becomes the first counting failure, which is
	// what the stuck list reports (seen once under load at the package's start). Let the server
	// drop them before the signal makes a task.
	s.stopWorker()
	time.Sleep(2 * time.Second)
	s.startWorker(s.badBuild())
	require.NoError(t, s.temporal.SignalWorkflow(ctx, wfID, "", workflows.SignalDocuments, nil))

	// O1: the workflow task fails with non-determinism.
	var failing ops.Reason
	var runID string
	require.EventuallyWithT(t, func(c *assertT) {
		it := s.stuck(c, wfID)
		r := reasonOf(it, ops.KindWorkflowTaskFailing)
		if assert.NotNil(c, r, "%s not (yet) listed with a failing workflow task", wfID) {
			failing, runID = *r, it.RunID
			assert.Equal(c, "NonDeterministicError", failing.Cause)
		}
	}, 30*time.Second, 200*time.Millisecond, "the bad build's workflow task fails on non-determinism")
	require.NotEmpty(t, failing.Detail)
	require.Greater(t, failing.EventID, int64(0))
	require.GreaterOrEqual(t, failing.Attempt, int32(2))

	// O3: the live history is non-deterministic for the bad build, fine for this one.
	actor := ops.Actor{ID: "u-ops1", OrgID: "ops"}
	badRep, err := ops.New(s.temporal, s.store, zap.NewNop(), ops.Options{Register: registerBad}).
		Replay(ctx, actor, ops.ReplayRequest{Live: true, WorkflowIDs: []string{wfID}})
	require.NoError(t, err)
	require.Len(t, badRep.Items, 1)
	require.Equal(t, ops.ReplayNondeterministic, badRep.Items[0].Status, badRep.Items[0].Error)
	require.False(t, badRep.Passed)

	r := s.do("ops1", http.MethodPost, "/api/v1/ops/replay", map[string]any{"live": true, "workflow_ids": []string{wfID}}, nil)
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Raw)
	var goodRep ops.ReplayReport
	require.NoError(t, json.Unmarshal(r.Raw, &goodRep))
	require.Len(t, goodRep.Items, 1)
	require.Equal(t, ops.ReplayOK, goodRep.Items[0].Status, goodRep.Items[0].Error)
	require.Equal(t, runID, goodRep.Items[0].RunID)
	require.True(t, goodRep.Passed)

	// O3: an exported history posted back replays too; every open workflow replays on demand.
	h := &historypb.History{Events: s.history(wfID, runID)}
	exported, err := temporalproto.CustomJSONMarshalOptions{}.Marshal(h)
	require.NoError(t, err)
	r = s.do("ops1", http.MethodPost, "/api/v1/ops/replay", map[string]any{"histories": []json.RawMessage{exported}}, nil)
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Raw)
	require.Equal(t, true, r.Body["passed"], "%s", r.Raw)
	require.Equal(t, float64(1), r.Body["ok"])
	badPosted, err := ops.New(nil, s.store, zap.NewNop(), ops.Options{Register: registerBad}).
		Replay(ctx, actor, ops.ReplayRequest{Histories: []*historypb.History{h}})
	require.NoError(t, err)
	require.Equal(t, ops.ReplayNondeterministic, badPosted.Items[0].Status)

	// Malformed replay requests are refused before anything runs.
	for body, code := range map[string]int{
		`{}`: http.StatusBadRequest, `{"histories":[{"events":"x"}]}`: http.StatusBadRequest,
		`{"workflow_ids":["a"]}`:                      http.StatusBadRequest,
		`{"live":true,"cursor":"%%%"}`:                http.StatusBadRequest,
		`{"live":true}` + strings.Repeat(" ", 32<<20): http.StatusRequestEntityTooLarge,
	} {
		r := s.raw(s.token("ops1"), http.MethodPost, "/api/v1/ops/replay", body)
		require.Equal(t, code, r.Status, "%.60s: %s", body, r.Raw)
	}

	found := false
	for cursor := ""; ; {
		r = s.do("ops1", http.MethodPost, "/api/v1/ops/replay", map[string]any{"live": true, "cursor": cursor}, nil)
		require.Equal(t, http.StatusOK, r.Status, "%s", r.Raw)
		var rep ops.ReplayReport
		require.NoError(t, json.Unmarshal(r.Raw, &rep))
		t.Logf("live replay of every open workflow: %d ok, %d nondeterministic, %d errors", rep.OK, rep.Nondeterministic, rep.Errors)
		for _, it := range rep.Items {
			if it.WorkflowID == wfID {
				found = true
				require.Equal(t, ops.ReplayOK, it.Status, it.Error)
			}
		}
		if cursor = rep.NextCursor; cursor == "" {
			break
		}
	}
	require.True(t, found, "the live replay of every open workflow covers %s", wfID)

	// O2: the bad build goes, reset to the last good workflow task.
	s.stopWorker()
	resetPath := "/api/v1/ops/workflows/" + wfID + "/reset"
	key := map[string]string{"Idempotency-Key": "rollback-" + newID("")}
	// A run id that is not one (Temporal would answer InvalidArgument, a 500) is a 400.
	r = s.do("ops1", http.MethodPost, resetPath, map[string]any{"run_id": "not-a-run-id", "reason": "x"}, nil)
	require.Equal(t, http.StatusBadRequest, r.Status, "%s", r.Raw)
	require.NotEmpty(t, r.str("error", "fields", "run_id"), "%s", r.Raw)
	r = s.do("ops1", http.MethodPost, resetPath, map[string]any{"run_id": runID, "reason": "回滚不兼容的部署"}, key)
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Raw)
	newRun := r.str("new_run_id")
	require.NotEmpty(t, newRun)
	require.NotEqual(t, runID, newRun)
	require.Equal(t, "last_good", r.str("mode"))
	eventID := int64(r.Body["event_id"].(float64))
	old := s.history(wfID, runID)
	require.Equal(t, enumspb.EVENT_TYPE_WORKFLOW_TASK_COMPLETED, old[eventID-1].GetEventType())
	require.Less(t, eventID, failing.EventID, "the reset point is before the first failure")
	// The same request again is the same reset, recognised by its key or by the run it names.
	for _, repeat := range []struct {
		body map[string]any
		hdr  map[string]string
	}{{map[string]any{}, key}, {map[string]any{"run_id": runID}, nil}} {
		again := s.do("ops1", http.MethodPost, resetPath, repeat.body, repeat.hdr)
		require.Equal(t, http.StatusOK, again.Status, "%s", again.Raw)
		require.Equal(t, newRun, again.str("new_run_id"))
		require.Equal(t, float64(eventID), again.Body["event_id"])
	}

	// The good build is back: the new run proceeds on the good code.
	s.startWorker(setup.NewWorker(s.temporal, s.queue, s.store, s.log))
	require.EventuallyWithT(t, func(c *assertT) {
		assert.Nil(c, reasonOf(s.stuck(c, wfID), ops.KindWorkflowTaskFailing))
	}, 20*time.Second, 200*time.Millisecond, "the reset workflow leaves the stuck list")
	d := s.decide("drb1", task, map[string]any{"decision": "approve", "comment": "符合申报条件"}, nil)
	require.Equal(t, http.StatusOK, d.Status, "%s", d.Raw)
	require.Equal(t, "expert_review", d.str("stage"))
	desc, err := ops.Describe(ctx, s.temporal, wfID, "")
	require.NoError(t, err)
	require.Equal(t, newRun, desc.GetWorkflowExecutionInfo().GetExecution().GetRunId())
	// The signal after the reset point was reapplied to the new run.
	signals := 0
	for _, ev := range s.history(wfID, newRun) {
		if a := ev.GetWorkflowExecutionSignaledEventAttributes(); a != nil && a.GetSignalName() == workflows.SignalDocuments {
			signals++
		}
	}
	require.Equal(t, 1, signals)
	// O3: the reset run's history (with the reset's marker) replays against this build.
	r = s.do("ops1", http.MethodPost, "/api/v1/ops/replay", map[string]any{"live": true, "workflow_ids": []string{wfID}}, nil)
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Raw)
	var after ops.ReplayReport
	require.NoError(t, json.Unmarshal(r.Raw, &after))
	require.Len(t, after.Items, 1)
	require.Equal(t, newRun, after.Items[0].RunID)
	require.Equal(t, ops.ReplayOK, after.Items[0].Status, after.Items[0].Error)

	// Every ops action is audited (R18): the reset (and its repeats), the replays.
	resets := s.audits(ops.ActionReset, wfID)
	require.Len(t, resets, 3)
	for _, row := range resets {
		require.Equal(t, "u-ops1", row.ActorID)
		require.Equal(t, "ok", row.Outcome)
		require.Contains(t, string(row.Detail), newRun)
	}
	replays := s.audits(ops.ActionReplay, wfID)
	require.GreaterOrEqual(t, len(replays), 2)
	require.True(t, slices.ContainsFunc(replays, func(r auditRow) bool { return r.Outcome == "failed" }), "the bad build's replay is recorded as failed")
	v := s.do("audit1", http.MethodGet, "/api/v1/audit/verify", nil, nil)
	require.Equal(t, true, v.Body["ok"], "%s", v.Raw)
}

// TestO2_DatabaseOutageStallsThenRecovers: the read model loses a table the Apply local
// activity reads while a project is submitted. The lifecycle does not fail: its local activity
// keeps retrying (up to three days), the workflow stays running, and once the table is back the
// step completes and the project reaches the reviewer's inbox — nothing acknowledged is lost.
// (Recovering a workflow that did fail is shown by the reset in TestO1O2O3 above.)
func TestO2_DatabaseOutageStallsThenRecovers(t *testing.T) {
	t.Parallel()
	s := newOpsStack(t)
	p := s.createProject("alice", "全市智慧停车管理平台", futureYear(), 300_000_000)
	wfID := workflows.ProjectWorkflowID(p)
	_, err := s.store.DB().Exec(`ALTER TABLE holiday_overrides RENAME TO holiday_overrides_broken`)
	require.NoError(t, err)
	s.submit("alice", p)

	// Past the old 15 s give-up point the workflow is still running, with no task yet.
	deadline := time.Now().Add(20 * time.Second)
	require.EventuallyWithT(t, func(c *assertT) {
		assert.True(c, time.Now().After(deadline))
		desc, err := ops.Describe(context.Background(), s.temporal, wfID, "")
		if assert.NoError(c, err) {
			assert.Equal(c, "Running", desc.WorkflowExecutionInfo.Status.String(), "the lifecycle must not fail")
		}
	}, 40*time.Second, time.Second)
	r := s.do("drb1", http.MethodGet, "/api/v1/tasks?project_id="+p, nil, nil)
	require.Empty(t, r.Body["items"])

	_, err = s.store.DB().Exec(`ALTER TABLE holiday_overrides_broken RENAME TO holiday_overrides`)
	require.NoError(t, err)
	// The next retry (exponential backoff) completes the step (R3).
	require.EventuallyWithT(t, func(c *assertT) {
		r := s.do("drb1", http.MethodGet, "/api/v1/tasks?kind=prelim_review&project_id="+p, nil, nil)
		assert.Len(c, r.Body["items"], 1)
	}, 90*time.Second, 500*time.Millisecond)
}

// TestO1O2_OverdueTaskAfterReset: a workflow reset (O2) while its human task is overdue keeps
// that task: the new run has the same task, open, due when it was. Right after the reset the
// stuck list shows it under the new run, its reason saying the workflow was reset at that time
// and the task is still overdue, so that the row does not read as a reset that did nothing.
// Decided, the task leaves the list.
func TestO1O2_OverdueTaskAfterReset(t *testing.T) {
	s := newOpsStack(t)
	task, wfID := s.settledInPrelim("全市不动产登记信息平台")
	_, err := s.store.DB().Exec(`UPDATE tasks SET due_at = now() - interval '3 days' WHERE id = $1`, task)
	require.NoError(t, err)
	var due time.Time
	require.NoError(t, s.store.DB().Get(&due, `SELECT due_at FROM tasks WHERE id = $1`, task))
	var runID string
	require.EventuallyWithT(t, func(c *assertT) {
		it := s.stuck(c, wfID)
		if r := reasonOf(it, ops.KindTaskOverdue); assert.NotNil(c, r) {
			assert.Equal(c, task, r.TaskID)
			assert.NotContains(c, r.Detail, "重置")
			runID = it.RunID
		}
	}, 10*time.Second, 200*time.Millisecond)
	require.NotEmpty(t, runID)

	r := s.do("ops1", http.MethodPost, "/api/v1/ops/workflows/"+wfID+"/reset", map[string]any{"run_id": runID, "reason": "逾期排查"},
		map[string]string{"Idempotency-Key": "overdue-" + newID("")})
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Raw)
	newRun := r.str("new_run_id")
	require.NotEqual(t, runID, newRun)

	// The same task, still open and due when it was: the reset did not supersede it.
	var row struct {
		Status string    `db:"status"`
		DueAt  time.Time `db:"due_at"`
	}
	require.NoError(t, s.store.DB().Get(&row, `SELECT status, due_at FROM tasks WHERE id = $1`, task))
	require.Equal(t, "open", row.Status)
	require.True(t, due.Equal(row.DueAt), "%s != %s", due, row.DueAt)
	require.EventuallyWithT(t, func(c *assertT) {
		it := s.stuck(c, wfID)
		if r := reasonOf(it, ops.KindTaskOverdue); assert.NotNil(c, r) {
			assert.Equal(c, newRun, it.RunID, "listed under the run the reset made")
			assert.Equal(c, task, r.TaskID)
			assert.Regexp(c, `^初审任务 `+task+` 已于 .*到期，仍未办理（[^）]*）；流程已于 \d{4}-\d\d-\d\d \d\d:\d\d（北京时间）重置，该任务仍逾期（重置不改变人工任务的期限）$`, r.Detail)
		}
	}, 10*time.Second, 200*time.Millisecond, "right after the reset the overdue task says the workflow was reset")

	// The new run has the task: deciding it moves the project on, and it leaves the list.
	d := s.decide("drb1", task, map[string]any{"decision": "approve", "comment": "符合申报条件"}, nil)
	require.Equal(t, http.StatusOK, d.Status, "%s", d.Raw)
	require.EventuallyWithT(t, func(c *assertT) {
		assert.Nil(c, reasonOf(s.stuck(c, wfID), ops.KindTaskOverdue))
	}, 10*time.Second, 200*time.Millisecond)
}
