package main

import (
	"bytes"
	"fmt"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"

	"egovpm/workflows"
)

// TestE2E_BundleOfAllKeepsItsMembersOutOfThePlan: issue 20 item 1 (bundle-by-reference). A
// bundle of every small project awaiting approval (a request naming none) takes its members
// by reference to the read model: the plan's history, from the bundle's Update to its
// answer, holds none of their ids (it held every candidate's row, ~310 B each, 310 KB at
// 1,000 projects, PERFORMANCE §11.1). The gateway answers the members from the read model
// in the JSON it always gave; the decision excludes one and approves the others.
func TestE2E_BundleOfAllKeepsItsMembersOutOfThePlan(t *testing.T) {
	t.Parallel()
	s := newStack(t, "2021")
	year := futureYear()
	var ids []string
	for i, u := range []string{"alice", "bob", "alice"} {
		p := s.createProject(u, fmt.Sprintf("打捆引用测试项目%d", i+1), year, int64(200_000_000+i*100_000_000))
		s.submit(u, p)
		s.toAwaitingPlan(u, p, year)
		ids = append(ids, p)
	}
	r := s.retry409("drb1", http.MethodPost, fmt.Sprintf("/api/v1/plans/%d/compile", year), map[string]any{"included": []map[string]any{
		{"project_id": ids[0], "approved_amount_fen": 200_000_000}, {"project_id": ids[1], "approved_amount_fen": 300_000_000},
		{"project_id": ids[2], "approved_amount_fen": 400_000_000}}})
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Raw)
	for i, id := range ids {
		s.waitStage([]string{"alice", "bob", "alice"}[i], id, "awaiting_approval")
	}

	r = s.retry409("drb1", http.MethodPost, fmt.Sprintf("/api/v1/plans/%d/bundles", year), map[string]any{})
	require.Equal(t, http.StatusCreated, r.Status, "%s", r.Raw)
	require.ElementsMatch(t, []any{ids[0], ids[1], ids[2]}, r.Body["project_ids"])
	require.Len(t, r.Body, 3, "id, project_ids, task_id: %s", r.Raw)
	bundleID, task := r.str("id"), r.str("task_id")
	plan := s.do("drb1", http.MethodGet, fmt.Sprintf("/api/v1/plans/%d", year), nil, nil)
	bundles := plan.Body["bundles"].([]any)
	require.Len(t, bundles, 1)
	require.ElementsMatch(t, []any{ids[0], ids[1], ids[2]}, bundles[0].(map[string]any)["project_ids"])

	// From the bundle's Update to its answer, no event of the plan names a member.
	var in bool
	var seen int
	for _, e := range s.events(workflows.PlanWorkflowID(year)) {
		if a := e.GetWorkflowExecutionUpdateAcceptedEventAttributes(); a != nil && a.GetAcceptedRequest().GetInput().GetName() == workflows.UpdateCreateBundle {
			in = true
		}
		if !in {
			continue
		}
		seen++
		b, err := proto.Marshal(e)
		require.NoError(t, err)
		for _, id := range ids {
			require.False(t, bytes.Contains(b, []byte(id)), "event %d (%s) names member %s", e.GetEventId(), e.GetEventType(), id)
		}
		if e.GetWorkflowExecutionUpdateCompletedEventAttributes() != nil {
			break
		}
	}
	require.Greater(t, seen, 2, "the bundle's Update is in the plan's history")

	d := s.decide("ndrc1", task, map[string]any{"decision": "approve", "comment": "同意", "excluded_project_ids": []string{ids[2]}}, nil)
	require.Equal(t, http.StatusOK, d.Status, "%s", d.Raw)
	s.waitStage("alice", ids[0], "procurement")
	s.waitStage("bob", ids[1], "procurement")
	s.waitStage("alice", ids[2], "rejected")
	var outcomes []string
	require.NoError(t, s.store.DB().Select(&outcomes, `SELECT outcome FROM bundle_projects WHERE bundle_id = $1 ORDER BY project_id`, bundleID))
	require.ElementsMatch(t, []string{"approved", "approved", "excluded"}, outcomes)
	v := s.do("audit1", http.MethodGet, "/api/v1/audit/verify", nil, nil)
	require.Equal(t, true, v.Body["ok"], "%s", v.Raw)
	var audits int
	require.NoError(t, s.store.DB().Get(&audits, `SELECT count(*) FROM audit_log WHERE action = 'bundle.create' AND detail->>'bundle_id' = $1`, bundleID))
	require.Equal(t, 3, audits, "one bundle.create row per member")
}
