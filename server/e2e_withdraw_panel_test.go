package main

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/lib/pq"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/testsuite"
	"go.uber.org/zap"

	"egovpm/activities"
	"egovpm/activities/wire"
	"egovpm/workflows"
)

// TestE2E_PanelConvenedOnAWithdrawnPrelimApprovalIsDropped (R4, 撤回决定, withdrawn-panel-dropped):
// the race of drb1's withdrawal of his prelim approval with DRB's convene of an expert
// session. The gateway refuses a withdrawal once the read model lists the project in a
// session; the window is the plan's: it read the project in expert review, the withdrawal is
// accepted, and the plan writes the session and signals the panel, which reaches the lifecycle
// back in prelim review. The test plays the plan's side of that interleaving by hand (the
// session rows Apply writes, then the panel signal SignalMembers sends) after a real
// withdrawal. The lifecycle drops the panel (audit expert_review.panel_dropped): no expert task
// opens, in prelim review nor when drb1 approves again; the plan then convenes a panel of its
// own for the project, and only its experts get tasks.
func TestE2E_PanelConvenedOnAWithdrawnPrelimApprovalIsDropped(t *testing.T) {
	t.Parallel()
	s := newStack(t, "2021")
	year := futureYear()
	p := s.createProject("bob", "撤回决定与专家评审会竞态：水利监测平台", year, 300_000_000)
	s.submit("bob", p)
	s.prelimApprove(p)
	task := s.openTaskDone(p)
	r := s.withdrawDecision("drb1", task, map[string]any{"reason": "需补充材料后再审"}, nil)
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Raw)
	require.Equal(t, "prelim_review", r.str("stage"))

	// The plan's side: the session it convened on the approval, then its panel.
	late := "race-" + p
	db := s.store.DB()
	_, err := db.Exec(`INSERT INTO expert_sessions (id, plan_year, expert_ids, created_by) VALUES ($1, $2, $3, 'u-drb1')`,
		late, year, pq.Array([]string{"u-exp1", "u-exp2", "u-exp3"}))
	require.NoError(t, err)
	_, err = db.Exec(`INSERT INTO expert_session_projects (session_id, project_id) VALUES ($1, $2)`, late, p)
	require.NoError(t, err)
	panel := workflows.PanelSignal{SessionID: late, Experts: []workflows.ExpertRef{{ID: "u-exp1", OrgID: "experts"},
		{ID: "u-exp2", OrgID: "experts"}, {ID: "u-exp3", OrgID: "experts"}}}
	require.NoError(t, s.temporal.SignalWorkflow(context.Background(), workflows.ProjectWorkflowID(p), "", workflows.SignalPanel, panel))

	var dropped string
	require.Eventually(t, func() bool {
		return db.Get(&dropped, `SELECT detail->>'session_id' FROM audit_log WHERE object_id = $1
			AND action = 'expert_review.panel_dropped'`, p) == nil
	}, 20*time.Second, 100*time.Millisecond, "the panel of the withdrawn approval is dropped (R18: audited)")
	require.Equal(t, late, dropped)
	s.waitStage("drb1", p, "prelim_review")
	require.Zero(t, s.expertTasks(p), "no expert task on a project back in prelim review")

	s.prelimApprove(p)
	time.Sleep(time.Second) // a held panel would open its tasks with the stage change
	require.Zero(t, s.expertTasks(p), "approved again, the project waits for a panel of its own")
	require.Equal(t, s.openTaskDone(p), s.withdrawable("drb1", p), "the dropped session does not make the new approval too late")
	s.ownPanelOnly(p, year)
}

// ownPanelOnly convenes a panel of exp2-4 for project p of year, in expert review after its
// earlier session's panel (u-exp1-3) was dropped, and checks that only its experts get tasks.
func (s *stack) ownPanelOnly(p string, year int) {
	s.t.Helper()
	sessions := fmt.Sprintf("/api/v1/plans/%d/expert-sessions", year)
	r := s.retry409("drb1", http.MethodPost, sessions, map[string]any{"pick_reason": "测试指定专家",
		"expert_ids": []string{"u-exp2", "u-exp3", "u-exp4"}, "project_ids": []string{p}})
	require.Equal(s.t, http.StatusCreated, r.Status, "%s", r.Raw)
	s.openTask("exp4", p, "expert_review")
	require.Equal(s.t, 3, s.expertTasks(p))
	rr := s.do("exp1", http.MethodGet, "/api/v1/tasks?project_id="+p, nil, nil)
	require.Empty(s.t, rr.Body["items"], "exp1 was only on the dropped panel: %s", rr.Raw)
}

// openTaskDone is the id of project p's prelim review task drb1 decided last.
func (s *stack) openTaskDone(p string) string {
	s.t.Helper()
	var id string
	require.NoError(s.t, s.store.DB().Get(&id, `SELECT id FROM tasks WHERE project_id = $1 AND kind = 'prelim_review'
		AND status = 'done' ORDER BY decided_at DESC LIMIT 1`, p))
	return id
}

// expertTasks counts project p's expert review tasks (open or done).
func (s *stack) expertTasks(p string) int {
	s.t.Helper()
	var n int
	require.NoError(s.t, s.store.DB().Get(&n, `SELECT count(*) FROM tasks WHERE project_id = $1 AND kind = 'expert_review'`, p))
	return n
}

// TestE2E_StalePanelAfterApprovalAgainIsDropped (R4, 撤回决定, panel-stale-dropped): the plan read
// the project in expert review and convened a session on drb1's prelim approval, whose panel
// reaches the project only after drb1 withdrew the approval and gave it again (the fan-out waited
// its turn or retried). The real SignalMembers activity, on the real read model and Temporal,
// finds the project's version moved since the convene and marks the panel stale; the lifecycle,
// back in expert review, drops it (audit expert_review.panel_dropped) instead of opening its
// experts' tasks; the session DRB convenes after the new approval gives the panel.
func TestE2E_StalePanelAfterApprovalAgainIsDropped(t *testing.T) {
	t.Parallel()
	s := newStack(t, "2021")
	year := futureYear()
	p := s.createProject("bob", "撤回决定后再次通过：旧评审会的专家组迟到", year, 300_000_000)
	s.submit("bob", p)
	s.prelimApprove(p)
	db := s.store.DB()
	var convenedAt int64 // the version the plan read when it convened the session
	require.NoError(t, db.Get(&convenedAt, `SELECT version FROM projects WHERE id = $1`, p))
	r := s.withdrawDecision("drb1", s.openTaskDone(p), map[string]any{"reason": "需补充材料后再审"}, nil)
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Raw)
	late := "stale-" + p
	_, err := db.Exec(`INSERT INTO expert_sessions (id, plan_year, expert_ids, created_by) VALUES ($1, $2, $3, 'u-drb1')`,
		late, year, pq.Array([]string{"u-exp1", "u-exp2", "u-exp3"}))
	require.NoError(t, err)
	_, err = db.Exec(`INSERT INTO expert_session_projects (session_id, project_id, project_version) VALUES ($1, $2, $3)`, late, p, convenedAt)
	require.NoError(t, err)
	s.prelimApprove(p)

	var ts testsuite.WorkflowTestSuite
	env := ts.NewTestActivityEnvironment()
	env.RegisterActivity(&activities.Activities{Store: s.store, Log: zap.NewNop(), Temporal: s.temporal})
	v, err := env.ExecuteActivity(wire.SignalMembers, wire.FanOut{ID: late + "/fan-out", Signal: workflows.SignalPanel,
		WorkflowIDPrefix: workflows.ProjectWorkflowID(""), PageSize: 200, Session: &wire.PanelSignal{SessionID: late,
			Experts: []wire.ExpertRef{{ID: "u-exp1", OrgID: "experts"}, {ID: "u-exp2", OrgID: "experts"}, {ID: "u-exp3", OrgID: "experts"}}}})
	require.NoError(t, err)
	var res wire.FanOutResult
	require.NoError(t, v.Get(&res))
	require.Equal(t, wire.FanOutResult{Signalled: 1}, res)

	var stage string
	require.Eventually(t, func() bool {
		return db.Get(&stage, `SELECT detail->>'stage' FROM audit_log WHERE object_id = $1
			AND action = 'expert_review.panel_dropped' AND detail->>'session_id' = $2`, p, late) == nil
	}, 20*time.Second, 100*time.Millisecond, "the stale panel is dropped (R18: audited)")
	require.Equal(t, "expert_review", stage)
	require.Zero(t, s.expertTasks(p), "no task for the experts of the session convened before")
	s.ownPanelOnly(p, year)
}
