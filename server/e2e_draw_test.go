package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"egovpm/internal/domain"
	"egovpm/internal/store"
)

// drawOf decodes a draw's answer.
func drawOf(t *testing.T, r resp) domain.ExpertDraw {
	t.Helper()
	require.Equal(t, http.StatusCreated, r.Status, "%s", r.Raw)
	var d domain.ExpertDraw
	require.NoError(t, json.Unmarshal(r.Raw, &d))
	return d
}

// selectionRows are the `expert.selection` audit rows of session sid, as their details.
func (s *stack) selectionRows(sid string) []map[string]any {
	s.t.Helper()
	var details [][]byte
	require.NoError(s.t, s.store.DB().SelectContext(context.Background(), &details,
		`SELECT detail FROM audit_log WHERE action = $1 AND object_id = $2 ORDER BY seq`, store.ActionExpertSelection, sid))
	out := []map[string]any{}
	for _, b := range details {
		var m map[string]any
		require.NoError(s.t, json.Unmarshal(b, &m))
		out = append(out, m)
	}
	return out
}

// TestE2E_ExpertDraw (R4, 随机抽取, issue 19 item 6): DRB draws a panel at random from the
// pool of a specialty; the expert of a project's unit is recused before the draw; the draw's
// seed, candidates and result are in the audit log and re-run to the same experts; convening
// exactly the draw needs no reason, anything else is hand-picked and needs one (422
// pick_reason_required, nothing convened), and the reason is audited.
func TestE2E_ExpertDraw(t *testing.T) {
	t.Parallel()
	s := newStack(t, "2021")
	year := futureYear()
	p1 := s.createProject("alice", "随机抽取专家的教育项目", year, 300_000_000)
	p2 := s.createProject("bob", "随机抽取专家的卫健项目", year, 200_000_000)
	p3 := s.createProject("bob", "手工选择专家的卫健项目", year, 200_000_000)
	for _, p := range []struct{ u, id string }{{"alice", p1}, {"bob", p2}, {"bob", p3}} {
		s.submit(p.u, p.id)
		s.prelimApprove(p.id)
	}
	draws := fmt.Sprintf("/api/v1/plans/%d/expert-draws", year)
	sessions := fmt.Sprintf("/api/v1/plans/%d/expert-sessions", year)
	body := map[string]any{"project_ids": []string{p1, p2}, "specialty": "software", "count": 3}

	// R4's rule on the count, and the pool's size after recusal: nothing is drawn or audited.
	even := s.do("drb1", http.MethodPost, draws, map[string]any{"project_ids": []string{p1}, "specialty": "software", "count": 4}, nil)
	require.Equal(t, http.StatusBadRequest, even.Status, "%s", even.Raw)
	require.Contains(t, even.str("error", "fields", "count"), "奇数")
	five := s.do("drb1", http.MethodPost, draws, map[string]any{"project_ids": []string{p1, p2}, "specialty": "software", "count": 5}, nil)
	require.Equal(t, http.StatusUnprocessableEntity, five.Status, "%s", five.Raw)
	require.Equal(t, "expert_pool_too_small", five.code(), "exp1 (unit-a) is recused: four are left")
	require.EqualValues(t, 4, five.Body["error"].(map[string]any)["extra"].(map[string]any)["available"])
	require.Equal(t, http.StatusForbidden, s.do("alice", http.MethodPost, draws, body, nil).Status)

	key := map[string]string{"Idempotency-Key": "draw-" + p1}
	d := drawOf(t, s.do("drb1", http.MethodPost, draws, body, key))
	require.Equal(t, []domain.Recusal{{ExpertID: "u-exp1", ProjectID: p1}}, d.Recused)
	require.Equal(t, []string{"u-exp2", "u-exp3", "u-exp4", "u-exp5"}, d.Candidates)
	require.Len(t, d.Drawn, 3)
	for _, e := range d.Drawn {
		require.Contains(t, d.Candidates, e)
	}
	again := drawOf(t, s.do("drb1", http.MethodPost, draws, body, key))
	require.Equal(t, d, again, "a resend with its key answers the first draw, never a new one")
	other := s.do("drb1", http.MethodPost, draws, map[string]any{"project_ids": []string{p1}, "specialty": "software", "count": 3}, key)
	require.Equal(t, "idempotency_key_reused", other.code())

	// The audit row re-runs to the same experts (and is there once).
	detail, actor, err := s.store.ExpertDrawRecord(context.Background(), d.DrawID)
	require.NoError(t, err)
	require.Equal(t, "u-drb1", actor)
	replayed, err := domain.ReplayDraw(detail)
	require.NoError(t, err)
	require.Equal(t, d.Drawn, replayed)
	var n int
	require.NoError(t, s.store.DB().GetContext(context.Background(), &n,
		`SELECT count(*) FROM audit_log WHERE action = 'expert.draw' AND object_id = $1`, d.DrawID))
	require.Equal(t, 1, n)
	audited := s.do("audit1", http.MethodGet, "/api/v1/audit?kind=expert.draw&object="+d.DrawID, nil, nil)
	require.Equal(t, http.StatusOK, audited.Status, "%s", audited.Raw)
	require.Contains(t, string(audited.Raw), d.Seed)

	// Not the draw's experts, and no reason: refused, nothing convened.
	swapped := slices.Clone(d.Drawn)
	for _, c := range d.Candidates {
		if !slices.Contains(d.Drawn, c) {
			swapped[0] = c
		}
	}
	for _, b := range []map[string]any{
		{"expert_ids": d.Drawn, "project_ids": []string{p1, p2}},
		{"expert_ids": swapped, "project_ids": []string{p1, p2}, "draw_id": d.DrawID},
		{"expert_ids": swapped, "project_ids": []string{p1, p2}, "draw_id": d.DrawID, "pick_reason": "  \u200b "},
	} {
		r := s.retry409("drb1", http.MethodPost, sessions, b)
		require.Equal(t, http.StatusUnprocessableEntity, r.Status, "%s", r.Raw)
		require.Equal(t, "pick_reason_required", r.code())
	}
	bad := s.retry409("drb1", http.MethodPost, sessions, map[string]any{"expert_ids": d.Drawn, "project_ids": []string{p1, p3}, "draw_id": d.DrawID})
	require.Equal(t, http.StatusBadRequest, bad.Status, "the draw was not made for p3: %s", bad.Raw)
	require.Contains(t, bad.str("error", "fields", "draw_id"), "不是")
	panel := s.do("drb1", http.MethodGet, fmt.Sprintf("/api/v1/plans/%d/panel", year), nil, nil)
	require.Len(t, panel.Body["projects"], 3, "nothing convened")

	// Exactly the draw (in another order): convened without a reason, audited as drawn.
	order := slices.Clone(d.Drawn)
	slices.Reverse(order)
	r := s.retry409("drb1", http.MethodPost, sessions, map[string]any{"expert_ids": order, "project_ids": []string{p1, p2}, "draw_id": d.DrawID})
	require.Equal(t, http.StatusCreated, r.Status, "%s", r.Raw)
	sel := s.selectionRows(r.str("session_id"))
	require.Len(t, sel, 1)
	require.Equal(t, "draw", sel[0]["mode"])
	require.Equal(t, d.DrawID, sel[0]["draw_id"])
	require.NotContains(t, sel[0], "reason")
	for _, e := range d.Drawn {
		s.openTask(strings.TrimPrefix(e, "u-"), p1, "expert_review")
	}

	// Hand-picked with a reason: convened, the reason in the audit row.
	hk := map[string]string{"Idempotency-Key": "pick-" + p3}
	hb := map[string]any{"expert_ids": []string{"u-exp2", "u-exp3", "u-exp4"}, "project_ids": []string{p3}, "pick_reason": "需要熟悉卫健系统的专家"}
	h := s.do("drb1", http.MethodPost, sessions, hb, hk)
	require.Equal(t, http.StatusCreated, h.Status, "%s", h.Raw)
	require.Equal(t, http.StatusCreated, s.do("drb1", http.MethodPost, sessions, hb, hk).Status)
	sel = s.selectionRows(h.str("session_id"))
	require.Len(t, sel, 1, "a resend records the selection once")
	require.Equal(t, "hand_pick", sel[0]["mode"])
	require.Equal(t, "需要熟悉卫健系统的专家", sel[0]["reason"])

	// The panel screen lists the specialties and each expert's.
	panel = s.do("drb1", http.MethodGet, fmt.Sprintf("/api/v1/plans/%d/panel", year), nil, nil)
	require.Contains(t, string(panel.Raw), `"code":"software","name":"软件与信息系统","experts":5`)
	require.Contains(t, string(panel.Raw), `"specialties":["data","software"]`)
}

// TestE2E_ReplaceSilentExpert (R4, issue 19 item 6): an expert of a drawn panel who does not
// answer is replaced by the DRB supervisor (转办 of the expert's review task): never by an
// expert of the project's unit (recusal) or one already on the panel, always to someone who
// then decides in his place; the panel stays three, and the silent expert no longer sees the task (404).
func TestE2E_ReplaceSilentExpert(t *testing.T) {
	t.Parallel()
	s := newStack(t, "2021")
	year := futureYear()
	p := s.createProject("alice", "替换专家测试：教育数据治理", year, 300_000_000)
	s.submit("alice", p)
	s.prelimApprove(p)
	d := drawOf(t, s.do("drb1", http.MethodPost, fmt.Sprintf("/api/v1/plans/%d/expert-draws", year),
		map[string]any{"project_ids": []string{p}, "specialty": "software", "count": 3}, nil))
	r := s.retry409("drb1", http.MethodPost, fmt.Sprintf("/api/v1/plans/%d/expert-sessions", year),
		map[string]any{"expert_ids": d.Drawn, "project_ids": []string{p}, "draw_id": d.DrawID})
	require.Equal(t, http.StatusCreated, r.Status, "%s", r.Raw)
	silent := strings.TrimPrefix(d.Drawn[0], "u-")
	task := s.openTask(silent, p, "expert_review")
	spare := ""
	for _, c := range d.Candidates {
		if !slices.Contains(d.Drawn, c) {
			spare = c
		}
	}
	replace := func(user, to string) resp {
		return s.do(user, http.MethodPost, "/api/v1/tasks/"+task+"/reassign", map[string]any{"assignee_id": to, "reason": "专家逾期未评审，替换"}, nil)
	}
	require.Equal(t, http.StatusForbidden, replace("drb1", spare).Status, "a reviewer does not replace; the supervisor does")
	for to, why := range map[string]string{"u-exp1": "", d.Drawn[1]: "on_panel"} {
		rr := replace("drbsup", to)
		require.Equal(t, http.StatusUnprocessableEntity, rr.Status, "%s: %s", to, rr.Raw)
		require.Equal(t, "assignee_not_eligible", rr.code())
		if why != "" {
			require.Equal(t, why, rr.Body["error"].(map[string]any)["extra"].(map[string]any)["reason"])
		}
	}
	rr := replace("drbsup", spare)
	require.Equal(t, http.StatusOK, rr.Status, "%s", rr.Raw)
	require.Equal(t, http.StatusNotFound, s.decide(silent, task, map[string]any{"decision": "pass", "score": 80, "comment": "迟到的评审"}, nil).Status)
	got := s.decide(strings.TrimPrefix(spare, "u-"), task, map[string]any{"decision": "pass", "score": 85, "comment": "方案可行"}, nil)
	require.Equal(t, http.StatusOK, got.Status, "%s", got.Raw)
	panel := s.do("drb1", http.MethodGet, "/api/v1/projects/"+p, nil, nil)
	require.Contains(t, string(panel.Raw), spare)
}
