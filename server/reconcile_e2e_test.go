package main

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"

	"egovpm/internal/monitor"
	"egovpm/internal/ops"
	"egovpm/internal/platform"
	"egovpm/workflows"
)

// outsiderIdentity is the identity of someone changing workflows with the temporal CLI.
const outsiderIdentity = "someone@tctl"

// TestReconcileFindsOutsideResetsAndTerminations (issue 21 item 5, R18): a workflow terminated,
// another reset and a third canceled directly through the Temporal API, by an identity that is
// not egovpm's, each get one audit row from the reconciliation; a second run writes nothing new; a reset
// made through the gateway's ops route (which terminates the running run it replaces, with
// the server's history-resetter identity) has its own ops.reset row and no second one; the
// chain verifies.
func TestReconcileFindsOutsideResetsAndTerminations(t *testing.T) {
	s := newOpsStack(t)
	ctx := context.Background()
	year := futureYear()
	var wf [4]string
	for i, name := range []string{"全市政务外网升级改造", "全市政务云灾备中心", "全市电子证照库扩容", "全市视频会商系统"} {
		p := s.createProject("alice", name, year, 100_000_000)
		s.submit("alice", p)
		s.openTask("drb1", p, "prelim_review")
		wf[i] = workflows.ProjectWorkflowID(p)
	}
	// egovpm's own client says who it is (platform.Identity): the gateway started the run.
	started := s.history(wf[0], "")[0].GetWorkflowExecutionStartedEventAttributes()
	require.True(t, ops.OwnIdentity(started.GetIdentity()), "start identity %q", started.GetIdentity())
	for _, c := range []string{"gateway", "worker", "cli"} {
		require.True(t, ops.OwnIdentity(platform.Identity(c)))
	}
	require.False(t, ops.OwnIdentity(outsiderIdentity))

	// The side door: the temporal CLI (or the Web UI with writes on) terminates one and resets another.
	outsider, err := client.Dial(client.Options{HostPort: devAddr, Namespace: "default", Identity: outsiderIdentity})
	require.NoError(t, err)
	defer outsider.Close()
	d0, err := ops.Describe(ctx, s.temporal, wf[0], "")
	require.NoError(t, err)
	run0 := d0.GetWorkflowExecutionInfo().GetExecution().GetRunId()
	require.NoError(t, outsider.TerminateWorkflow(ctx, wf[0], run0, "清理测试数据"))
	d1, err := ops.Describe(ctx, s.temporal, wf[1], "")
	require.NoError(t, err)
	run1 := d1.GetWorkflowExecutionInfo().GetExecution().GetRunId()
	point, err := ops.LastGood(s.history(wf[1], run1))
	require.NoError(t, err)
	reset, err := outsider.ResetWorkflowExecution(ctx, &workflowservice.ResetWorkflowExecutionRequest{
		Namespace: "default", WorkflowExecution: &commonpb.WorkflowExecution{WorkflowId: wf[1], RunId: run1},
		Reason: "再跑一次", WorkflowTaskFinishEventId: point, RequestId: newID("reset-"), Identity: outsiderIdentity,
		ResetReapplyType: enumspb.RESET_REAPPLY_TYPE_ALL_ELIGIBLE,
	})
	require.NoError(t, err)
	newRun1 := reset.GetRunId()
	d3, err := ops.Describe(ctx, s.temporal, wf[3], "")
	require.NoError(t, err)
	run3 := d3.GetWorkflowExecutionInfo().GetExecution().GetRunId()
	require.NoError(t, outsider.CancelWorkflow(ctx, wf[3], run3))
	require.EventuallyWithT(t, func(c *assertT) {
		d, err := ops.Describe(ctx, s.temporal, wf[3], run3)
		if assert.NoError(c, err) {
			assert.Equal(c, enumspb.WORKFLOW_EXECUTION_STATUS_CANCELED, d.GetWorkflowExecutionInfo().GetStatus())
		}
	}, 10*time.Second, 100*time.Millisecond, "the lifecycle ends canceled")

	// The front door: ops resets the third through the gateway, audited there (ops.reset).
	r := s.do("ops1", http.MethodPost, "/api/v1/ops/workflows/"+wf[2]+"/reset", map[string]any{"reason": "重新执行"}, nil)
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Raw)
	require.Len(t, s.audits(ops.ActionReset, wf[2]), 1)

	svc := ops.New(s.temporal, s.store, s.log, ops.Options{Namespace: "default"})
	// No settle time: the test's changes are at most seconds old. Visibility records land a
	// moment after a change, hence the retry (the overlap looks at the window again). The
	// worker's monitor runs it and counts the findings.
	opt := ops.ReconcileOptions{Settle: time.Nanosecond}
	mon := monitor.New(svc, s.store, s.log).WithReconcile(opt)
	require.EventuallyWithT(t, func(c *assertT) {
		err := mon.Reconcile(ctx)
		if !assert.NoError(c, err) {
			return
		}
		assert.Len(c, s.audits(ops.ActionExternalTerminate, wf[0]), 1)
		assert.Len(c, s.audits(ops.ActionExternalReset, wf[1]), 1)
		assert.Len(c, s.audits(ops.ActionExternalCancel, wf[3]), 1)
	}, 30*time.Second, 500*time.Millisecond)

	var term, rst struct {
		RunID     string `json:"run_id"`
		BaseRunID string `json:"base_run_id"`
		Identity  string `json:"identity"`
		Reason    string `json:"reason"`
		EventID   int64  `json:"event_id"`
	}
	row := s.audits(ops.ActionExternalTerminate, wf[0])[0]
	require.Equal(t, ops.ReconcileActor, row.ActorID)
	require.NoError(t, json.Unmarshal(row.Detail, &term))
	require.Equal(t, run0, term.RunID)
	require.Equal(t, outsiderIdentity, term.Identity)
	require.Equal(t, "清理测试数据", term.Reason)
	require.NoError(t, json.Unmarshal(s.audits(ops.ActionExternalReset, wf[1])[0].Detail, &rst))
	require.Equal(t, newRun1, rst.RunID)
	require.Equal(t, run1, rst.BaseRunID)
	require.Equal(t, "再跑一次", rst.Reason)
	require.Equal(t, point, rst.EventID, "the reset point, where the reset's marker stands in the new run")
	var cnl struct {
		RunID    string `json:"run_id"`
		Identity string `json:"identity"`
		EventID  int64  `json:"event_id"`
	}
	row = s.audits(ops.ActionExternalCancel, wf[3])[0]
	require.Equal(t, ops.ReconcileActor, row.ActorID)
	require.NoError(t, json.Unmarshal(row.Detail, &cnl))
	require.Equal(t, run3, cnl.RunID)
	require.Equal(t, outsiderIdentity, cnl.Identity)
	require.Positive(t, cnl.EventID)
	require.Empty(t, s.audits(ops.ActionExternalTerminate, wf[3]), "a cancellation is not a termination")

	// The ops reset is not reported again, nor is the termination of the run it replaced; the
	// reset run is not reported as terminated either.
	require.Empty(t, s.audits(ops.ActionExternalReset, wf[2]))
	require.Empty(t, s.audits(ops.ActionExternalTerminate, wf[2]))
	require.Empty(t, s.audits(ops.ActionExternalTerminate, wf[1]))

	// The worker's metrics count them (other tests' terminations may add to the counts).
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(mon.Collectors()...)
	mfs, err := reg.Gather()
	require.NoError(t, err)
	changes := map[string]float64{}
	for _, mf := range mfs {
		if mf.GetName() == "egovpm_external_workflow_changes_total" {
			for _, m := range mf.GetMetric() {
				changes[m.GetLabel()[0].GetValue()] = m.GetCounter().GetValue()
			}
		}
	}
	require.GreaterOrEqual(t, changes[ops.FindingReset], 1.0)
	require.GreaterOrEqual(t, changes[ops.FindingTerminate], 1.0)
	require.GreaterOrEqual(t, changes[ops.FindingCancel], 1.0)

	// Again: nothing new.
	res, err := svc.Reconcile(ctx, opt)
	require.NoError(t, err)
	for _, f := range res.Findings {
		require.NotContains(t, wf[:], f.WorkflowID, "found again: %+v", f)
	}
	require.Len(t, s.audits(ops.ActionExternalTerminate, wf[0]), 1)
	require.Len(t, s.audits(ops.ActionExternalReset, wf[1]), 1)
	require.Len(t, s.audits(ops.ActionExternalCancel, wf[3]), 1)

	// The watermark is durable and moved.
	w, ok, err := s.store.ReconcileWatermark(ctx, "default")
	require.NoError(t, err)
	require.True(t, ok)
	require.WithinDuration(t, time.Now(), w, time.Minute)

	v := s.do("audit1", http.MethodGet, "/api/v1/audit/verify", nil, nil)
	require.Equal(t, true, v.Body["ok"], "%s", v.Raw)
}
