package main

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"egovpm/internal/audit"
	"egovpm/internal/store"
)

// The routes the part-2 screens read (issue 18): the 年度计划 table's candidates and totals,
// the overdue tasks, the audit log's kind filter, the dashboard's due lists and the ops
// screen's link to the Temporal Web UI. Who may call them is the authorization matrix's.

// TestPlanCompileCandidatesAndTotals (R4, R5): the projects that passed expert review are the
// compile candidates, with their panel's outcome; a draft's totals per unit and per type come
// from the server, and the compiled plan carries the same totals.
func TestPlanCompileCandidatesAndTotals(t *testing.T) {
	t.Parallel()
	s := newStack(t, "2021")
	year := futureYear()
	pa := s.createProject("alice", "计划合计测试：教育云", year, fen12M)
	pb := s.createProject("bob", "计划合计测试：健康档案", year, 300_000_000)
	for _, p := range []struct{ u, id string }{{"alice", pa}, {"bob", pb}} {
		s.submit(p.u, p.id)
		s.prelimApprove(p.id)
	}
	r := s.retry409("drb1", http.MethodPost, fmt.Sprintf("/api/v1/plans/%d/expert-sessions", year),
		map[string]any{"pick_reason": "测试指定专家", "expert_ids": []string{"u-exp2", "u-exp3", "u-exp4"}, "project_ids": []string{pa, pb}})
	require.Equal(t, http.StatusCreated, r.Status, "%s", r.Raw)
	for _, p := range []string{pa, pb} {
		for i, e := range []string{"exp2", "exp3", "exp4"} {
			d := s.decide(e, s.openTask(e, p, "expert_review"), map[string]any{"decision": "pass", "score": 80 + i, "comment": "可行"}, nil)
			require.Equal(t, http.StatusOK, d.Status, "%s", d.Raw)
		}
		s.waitStage("drb1", p, "awaiting_plan")
	}

	r = s.do("drb1", http.MethodGet, fmt.Sprintf("/api/v1/plans/%d/compile-candidates", year), nil, nil)
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Raw)
	items := r.Body["items"].([]any)
	require.Len(t, items, 2, "%s", r.Raw)
	for _, it := range items {
		it := it.(map[string]any)
		require.EqualValues(t, 3, it["panel_pass"], "R4 outcome of %v", it["project_id"])
		require.EqualValues(t, 3, it["panel_size"])
		require.EqualValues(t, 81, it["mean_score"])
		if it["project_id"] == pa {
			require.Equal(t, "市教育局", it["unit_name"])
			require.EqualValues(t, fen12M, it["estimated_investment_fen"])
		}
	}

	draft := map[string]any{
		"included": []map[string]any{{"project_id": pa, "approved_amount_fen": 1_000_000_000}},
		"excluded": []map[string]any{{"project_id": pb, "reason": "与已建系统重复"}},
	}
	r = s.do("drb1", http.MethodPost, fmt.Sprintf("/api/v1/plans/%d/compile-preview", year), draft, nil)
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Raw)
	wantTotals := func(r resp) {
		t.Helper()
		tot := r.Body
		if v, ok := r.Body["totals"].(map[string]any); ok {
			tot = v
		}
		require.EqualValues(t, 1, tot["included"])
		require.EqualValues(t, 1, tot["excluded"])
		require.EqualValues(t, fen12M, tot["requested_fen"])
		require.EqualValues(t, 1_000_000_000, tot["planned_fen"])
		require.EqualValues(t, fen12M-1_000_000_000, tot["cut_fen"], "R5: the cut")
		units := tot["by_unit"].([]any)
		require.Len(t, units, 2)
		a := units[0].(map[string]any)
		require.Equal(t, "unit-a", a["key"])
		require.Equal(t, "市教育局", a["name"])
		require.EqualValues(t, 1_000_000_000, a["planned_fen"])
		b := units[1].(map[string]any)
		require.EqualValues(t, 1, b["excluded"])
		require.EqualValues(t, 0, b["planned_fen"])
		types := tot["by_type"].([]any)
		require.Len(t, types, 1)
		require.EqualValues(t, 1, types[0].(map[string]any)["included"])
	}
	wantTotals(r)
	// A preview changes nothing; an unknown project is named.
	r = s.do("drb1", http.MethodPost, fmt.Sprintf("/api/v1/plans/%d/compile-preview", year),
		map[string]any{"included": []map[string]any{{"project_id": "p-nope", "approved_amount_fen": 1}}}, nil)
	require.Equal(t, http.StatusBadRequest, r.Status, "%s", r.Raw)
	require.Contains(t, r.str("error", "fields", "project_id"), "p-nope")

	r = s.retry409("drb1", http.MethodPost, fmt.Sprintf("/api/v1/plans/%d/compile", year), draft)
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Raw)
	s.waitStage("drb1", pa, "awaiting_approval")
	r = s.do("drb1", http.MethodGet, fmt.Sprintf("/api/v1/plans/%d", year), nil, nil)
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Raw)
	wantTotals(r)
	r = s.do("drb1", http.MethodGet, fmt.Sprintf("/api/v1/plans/%d/compile-candidates", year), nil, nil)
	require.Empty(t, r.Body["items"], "compiled projects are no candidates")
	// NDRC reads the compiled plan: its totals count the included project only.
	r = s.do("ndrc1", http.MethodGet, fmt.Sprintf("/api/v1/plans/%d", year), nil, nil)
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Raw)
	require.EqualValues(t, 0, r.Body["totals"].(map[string]any)["excluded"])
}

// TestOverdueTasks (T2): GET /tasks?overdue=true keeps the caller's overdue tasks; GET
// /tasks/overdue shows the DRB supervisor every overdue task, claimed by others too.
func TestOverdueTasks(t *testing.T) {
	t.Parallel()
	s := newStack(t, "2021")
	year := futureYear()
	late := s.createProject("alice", "逾期测试：迟办项目", year, 100_000_000)
	onTime := s.createProject("bob", "逾期测试：按期项目", year, 100_000_000)
	s.submit("alice", late)
	s.submit("bob", onTime)
	tLate := s.openTask("drb1", late, "prelim_review")
	tOnTime := s.openTask("drb1", onTime, "prelim_review")
	r := s.do("drb1", http.MethodPost, "/api/v1/tasks/"+tLate+"/claim", nil, nil)
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Raw)
	_, err := s.store.DB().Exec(`UPDATE tasks SET due_at = now() - interval '1 day' WHERE id = $1`, tLate)
	require.NoError(t, err)

	r = s.do("drb1", http.MethodGet, "/api/v1/tasks?overdue=true", nil, nil)
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Raw)
	require.Equal(t, []string{tLate}, mxItemIDs(r))
	r = s.do("drb1", http.MethodGet, "/api/v1/tasks", nil, nil)
	require.ElementsMatch(t, []string{tLate, tOnTime}, mxItemIDs(r))
	require.Equal(t, http.StatusBadRequest, s.do("drb1", http.MethodGet, "/api/v1/tasks?overdue=true&status=done", nil, nil).Status)
	require.Equal(t, http.StatusBadRequest, s.do("drb1", http.MethodGet, "/api/v1/tasks?overdue=maybe", nil, nil).Status)

	// The supervisor's inbox lacks drb1's claimed task; the overdue list has it.
	r = s.do("drbsup", http.MethodGet, "/api/v1/tasks?overdue=true", nil, nil)
	require.Empty(t, mxItemIDs(r))
	r = s.do("drbsup", http.MethodGet, "/api/v1/tasks/overdue", nil, nil)
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Raw)
	require.Equal(t, []string{tLate}, mxItemIDs(r))
	require.Equal(t, "u-drb1", r.Body["items"].([]any)[0].(map[string]any)["assignee_id"])
	require.Equal(t, http.StatusForbidden, s.do("drb1", http.MethodGet, "/api/v1/tasks/overdue", nil, nil).Status)

	d := s.do("drbsup", http.MethodGet, "/api/v1/dashboard", nil, nil)
	require.Equal(t, http.StatusOK, d.Status, "%s", d.Raw)
	require.EqualValues(t, 1, d.Body["tasks"].(map[string]any)["all_overdue"])
	d = s.do("drb1", http.MethodGet, "/api/v1/dashboard", nil, nil)
	require.EqualValues(t, 1, d.Body["tasks"].(map[string]any)["overdue"])
	require.EqualValues(t, 2, d.Body["tasks"].(map[string]any)["open"])
}

// TestAuditKindFilter: GET /audit?kind= keeps an action, or a family of actions (the part
// before the dot); a malformed kind is 400.
func TestAuditKindFilter(t *testing.T) {
	t.Parallel()
	s := newStack(t, "2021")
	p := s.createProject("alice", "审计筛选测试", futureYear(), 100_000_000)
	s.submit("alice", p)
	task := s.openTask("drb1", p, "prelim_review")
	require.Equal(t, http.StatusOK, s.do("drb1", http.MethodPost, "/api/v1/tasks/"+task+"/claim", nil, nil).Status)
	s.prelimApprove(p)

	actions := func(q string) []string {
		t.Helper()
		r := s.do("audit1", http.MethodGet, "/api/v1/audit?limit=100&"+q, nil, nil)
		require.Equal(t, http.StatusOK, r.Status, "%s", r.Raw)
		var out []string
		for _, it := range r.Body["items"].([]any) {
			out = append(out, it.(map[string]any)["action"].(string))
		}
		return out
	}
	all := actions("object=project:" + p)
	require.Contains(t, all, "project.create")
	family := actions("kind=task")
	require.Contains(t, family, "task.claim")
	require.Contains(t, family, "task.decide")
	for _, a := range family {
		require.True(t, strings.HasPrefix(a, "task."), "kind=task listed %s", a)
	}
	exact := actions("kind=task.claim")
	require.NotEmpty(t, exact)
	for _, a := range exact {
		require.Equal(t, "task.claim", a)
	}
	require.Empty(t, actions("kind=tas"), "a kind is a whole family, not a prefix of one")
	for _, bad := range []string{"Task", "task.", "task;drop", strings.Repeat("a", 40)} {
		r := s.do("audit1", http.MethodGet, "/api/v1/audit?kind="+url.QueryEscape(bad), nil, nil)
		require.Equal(t, http.StatusBadRequest, r.Status, "kind=%q: %s", bad, r.Raw)
	}
}

// TestAuditRowsNameTheirProject (审计日志, R18's reader): a row about a project — its own, an
// ops action on its workflow, one on one of its tasks, a download of one of its documents — carries the project's id and name as
// they are now, so the auditor reads which project, and a second project's rows name that
// project, not the first; a row about anything else carries neither.
// ?project= keeps the rows about one project; a malformed id is 400 on its field.
func TestAuditRowsNameTheirProject(t *testing.T) {
	t.Parallel()
	s := newStack(t, "2021")
	names := map[string]string{}
	// trail gives a project a row of each kind: created, submitted, its prelim review claimed,
	// a document uploaded and downloaded. It returns the objects and the task's and document's ids.
	trail := func(name string) (p, task, doc string) {
		p = s.createProject("alice", name, futureYear(), 100_000_000)
		names[p] = name
		s.submit("alice", p)
		task = s.openTask("drb1", p, "prelim_review")
		require.Equal(t, http.StatusOK, s.do("drb1", http.MethodPost, "/api/v1/tasks/"+task+"/claim", nil, nil).Status)
		up := s.upload("alice", p, "opinion", pdf)
		require.Equal(t, http.StatusCreated, up.Status, "%s", up.Raw)
		doc = up.str("id")
		require.Equal(t, http.StatusOK, s.do("drb1", http.MethodGet, "/api/v1/projects/"+p+"/documents/"+doc, nil, nil).Status)
		return p, task, doc
	}
	p, task, doc := trail("审计对象测试项目")
	other, otherTask, otherDoc := trail("审计对象测试：另一项目")
	ctx := context.Background()
	require.NoError(t, s.store.WithTx(ctx, func(tx *store.Tx) error {
		return s.store.AppendAudit(ctx, tx, audit.Entry{ActorID: "u-ops1", Action: "workflow.reset", ObjectType: "workflow",
			ObjectID: "project:" + p, Outcome: "ok"})
	}))
	about := map[string]string{"project:" + p: p, "task:" + task: p, "workflow:project:" + p: p, "document:" + doc: p,
		"project:" + other: other, "task:" + otherTask: other, "document:" + otherDoc: other}
	r := s.do("audit1", http.MethodGet, "/api/v1/audit?limit=100", nil, nil)
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Raw)
	named := map[string]bool{}
	for _, it := range r.Body["items"].([]any) {
		row := it.(map[string]any)
		obj := row["object_type"].(string) + ":" + row["object_id"].(string)
		if want, ok := about[obj]; ok {
			require.Equal(t, want, row["project_id"], "%s", obj)
			require.Equal(t, names[want], row["project_name"], "%s", obj)
			named[obj] = true
			continue
		}
		require.NotContains(t, row, "project_id", "%s", obj)
		require.NotContains(t, row, "project_name", "%s", obj)
	}
	require.Len(t, named, len(about), "every object of the two projects has a row: %v", named)

	// ?project= keeps exactly those rows: not the other project's, not a login.
	for _, q := range []struct {
		project string
		kinds   map[string]bool
	}{
		{p, map[string]bool{"project": true, "task": true, "workflow": true, "document": true}},
		{other, map[string]bool{"project": true, "task": true, "document": true}},
	} {
		r = s.do("audit1", http.MethodGet, "/api/v1/audit?limit=100&project="+q.project, nil, nil)
		require.Equal(t, http.StatusOK, r.Status, "%s", r.Raw)
		kinds := map[string]bool{}
		for _, it := range r.Body["items"].([]any) {
			row := it.(map[string]any)
			require.Equal(t, q.project, row["project_id"], "%v", row)
			require.Equal(t, q.project, about[row["object_type"].(string)+":"+row["object_id"].(string)], "%v", row)
			kinds[row["object_type"].(string)] = true
		}
		require.Equal(t, q.kinds, kinds, "%s", q.project)
	}
	r = s.do("audit1", http.MethodGet, "/api/v1/audit?project="+url.QueryEscape("p 1;--"), nil, nil)
	require.Equal(t, http.StatusBadRequest, r.Status, "%s", r.Raw)
	require.Contains(t, r.Body["error"].(map[string]any)["fields"], "project")
}

// TestDashboardDueLists (T3, T4): the trial runs ending soon and the O&M filings due are the
// caller's own (a unit counts only its projects), within the horizon or overdue.
func TestDashboardDueLists(t *testing.T) {
	t.Parallel()
	s := newStack(t, "2021")
	year := futureYear()
	soon := s.createProject("alice", "看板测试：试运行将满", year, 100_000_000)
	later := s.createProject("alice", "看板测试：试运行未满", year, 100_000_000)
	om := s.createProject("alice", "看板测试：运维项目", year, 100_000_000)
	other := s.createProject("bob", "看板测试：他单位试运行", year, 100_000_000)
	// Stages set in the read model: the dashboard reads it, and these rows are its input.
	_, err := s.store.DB().Exec(`UPDATE projects SET stage = 'trial_run', trial_run_ends_at = now() + interval '3 days' WHERE id = ANY($1)`,
		"{"+soon+","+other+"}")
	require.NoError(t, err)
	_, err = s.store.DB().Exec(`UPDATE projects SET stage = 'trial_run', trial_run_ends_at = now() + interval '90 days' WHERE id = $1`, later)
	require.NoError(t, err)
	_, err = s.store.DB().Exec(`UPDATE projects SET stage = 'om' WHERE id = $1`, om)
	require.NoError(t, err)
	_, err = s.store.DB().Exec(`INSERT INTO om_filings (project_id, year, due_at, overdue) VALUES
		($1, 1, now() - interval '40 days', true), ($1, 2, now() + interval '10 days', false), ($1, 3, now() + interval '200 days', false)`, om)
	require.NoError(t, err)

	due := func(user, q string) (trial, filings map[string]any) {
		t.Helper()
		r := s.do(user, http.MethodGet, "/api/v1/dashboard"+q, nil, nil)
		require.Equal(t, http.StatusOK, r.Status, "%s", r.Raw)
		return r.Body["trial_runs_ending"].(map[string]any), r.Body["om_filings_due"].(map[string]any)
	}
	trial, filings := due("alice", "")
	require.EqualValues(t, 1, trial["total"], "T3: alice's trial runs ending within 30 days")
	require.Equal(t, soon, trial["items"].([]any)[0].(map[string]any)["project_id"])
	require.EqualValues(t, 2, filings["total"], "T4: the overdue filing and the one due in 10 days")
	first := filings["items"].([]any)[0].(map[string]any)
	require.Equal(t, true, first["overdue"])
	require.EqualValues(t, 1, first["year"])
	trial, filings = due("alice", "?horizon_days=120")
	require.EqualValues(t, 2, trial["total"])
	require.EqualValues(t, 2, filings["total"])
	trial, _ = due("bob", "")
	require.EqualValues(t, 1, trial["total"], "bob counts only his unit's")
	require.Equal(t, other, trial["items"].([]any)[0].(map[string]any)["project_id"])
	trial, filings = due("drb1", "")
	require.EqualValues(t, 2, trial["total"])
	require.EqualValues(t, 2, filings["total"])
	trial, _ = due("admin", "")
	require.EqualValues(t, 0, trial["total"], "admin reads no project")
	// The 首页's "共 N 个" is the server's total of the projects the caller reads.
	for user, n := range map[string]int{"alice": 3, "bob": 1, "drb1": 4, "admin": 0} {
		r := s.do(user, http.MethodGet, "/api/v1/dashboard", nil, nil)
		require.EqualValues(t, n, r.Body["total"], "%s: %s", user, r.Raw)
	}
	r := s.do("alice", http.MethodGet, fmt.Sprintf("/api/v1/dashboard?plan_year=%d", year+1), nil, nil)
	require.EqualValues(t, 0, r.Body["total"], "of the plan year asked: %s", r.Raw)
	require.Equal(t, http.StatusBadRequest, s.do("alice", http.MethodGet, "/api/v1/dashboard?horizon_days=0", nil, nil).Status)

	// The window is R2's window in progress, as GET /submission-window says it.
	r = s.do("alice", http.MethodGet, "/api/v1/dashboard", nil, nil)
	win := r.Body["window"].(map[string]any)
	require.Equal(t, true, win["open"], "T1: the window in progress is open")
	w := s.do("alice", http.MethodGet, fmt.Sprintf("/api/v1/submission-window?plan_year=%v", win["plan_year"]), nil, nil)
	require.Equal(t, w.Body["deadline"], win["deadline"])
}

// TestOpsConfig: the ops screen links a workflow to its page in the Temporal Web UI.
func TestOpsConfig(t *testing.T) {
	t.Parallel()
	s := newStack(t, "2021")
	r := s.do("ops1", http.MethodGet, "/api/v1/ops/config", nil, nil)
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Raw)
	require.Equal(t, "http://127.0.0.1:8233", r.str("temporal_ui_url"))
	require.Equal(t, "http://127.0.0.1:8233/namespaces/default/workflows/{workflow_id}", r.str("workflow_url_template"))
	require.Equal(t, http.StatusForbidden, s.do("drbsup", http.MethodGet, "/api/v1/ops/config", nil, nil).Status)
}

// TestPanelBeforeConvene (R4): before convening, DRB sees the rule in the policy's numbers,
// the projects awaiting a panel, and for the experts picked who is recused, why, and what
// each project's effective panel lacks; the projects leave the list once convened.
func TestPanelBeforeConvene(t *testing.T) {
	t.Parallel()
	s := newStack(t, "2021")
	year := futureYear()
	pa := s.createProject("alice", "组会测试：教育项目", year, 300_000_000)
	pb := s.createProject("bob", "组会测试：卫健项目", year, 300_000_000)
	for _, p := range []struct{ u, id string }{{"alice", pa}, {"bob", pb}} {
		s.submit(p.u, p.id)
		s.prelimApprove(p.id)
	}
	get := func(experts string) resp {
		t.Helper()
		r := s.do("drb1", http.MethodGet, fmt.Sprintf("/api/v1/plans/%d/panel?expert_ids=%s", year, experts), nil, nil)
		require.Equal(t, http.StatusOK, r.Status, "%s", r.Raw)
		return r
	}
	project := func(r resp, id string) map[string]any {
		for _, p := range r.Body["projects"].([]any) {
			if p.(map[string]any)["project_id"] == id {
				return p.(map[string]any)
			}
		}
		return nil
	}
	r := get("")
	rules := r.Body["rules"].(map[string]any)
	require.EqualValues(t, 3, rules["panel_min"], "the 2021 policy's panel_min")
	require.Equal(t, true, rules["odd"])
	require.Contains(t, fmt.Sprint(rules["text"]), "不少于 3 人的奇数")
	require.Len(t, r.Body["experts"], 5)
	require.Len(t, r.Body["co_organisers"], 3, "finance, NDRC, crypto")
	require.EqualValues(t, 3, project(r, pa)["shortfall"])
	require.Equal(t, false, r.Body["selection"].(map[string]any)["ok"])

	// exp1 belongs to unit-a: recused from alice's project, whose panel of two lacks one.
	r = get("u-exp1,u-exp2,u-exp3")
	a := project(r, pa)
	require.EqualValues(t, 2, a["effective"])
	require.EqualValues(t, 1, a["shortfall"])
	rec := a["recused"].([]any)
	require.Len(t, rec, 1)
	require.Equal(t, "u-exp1", rec[0].(map[string]any)["expert_id"])
	require.Contains(t, rec[0].(map[string]any)["reason"], "市教育局")
	b := project(r, pb)
	require.EqualValues(t, 3, b["effective"])
	require.EqualValues(t, 0, b["shortfall"])
	sel := r.Body["selection"].(map[string]any)
	require.Equal(t, false, sel["ok"])
	require.Contains(t, sel["message"], "组会测试：教育项目")

	// Without alice's project in the session, the same experts stand.
	r = get("u-exp1,u-exp2,u-exp3&project_ids=" + pb)
	require.Equal(t, true, r.Body["selection"].(map[string]any)["ok"], "%s", r.Raw)
	r = get("u-exp2,u-exp3,u-exp4")
	require.Equal(t, true, r.Body["selection"].(map[string]any)["ok"])
	require.Equal(t, http.StatusBadRequest, s.do("drb1", http.MethodGet, fmt.Sprintf("/api/v1/plans/%d/panel?expert_ids=u-alice", year), nil, nil).Status)

	c := s.retry409("drb1", http.MethodPost, fmt.Sprintf("/api/v1/plans/%d/expert-sessions", year),
		map[string]any{"pick_reason": "测试指定专家", "expert_ids": []string{"u-exp2", "u-exp3", "u-exp4"}, "project_ids": []string{pa}})
	require.Equal(t, http.StatusCreated, c.Status, "%s", c.Raw)
	require.EventuallyWithT(t, func(c *assertT) {
		assertEqual(c, true, project(get(""), pa) == nil)
	}, 10*time.Second, 50*time.Millisecond, "a convened project leaves the list")
	require.NotNil(t, project(get(""), pb))
}

// TestApprovalChecklist (R6, R7): NDRC's approval task of a large project shows the documents
// its pinned policy requires with those present, and the cap of the plan amount after the R5
// cut; a bundle approval lists its members; the approval of more than the cap is refused.
func TestApprovalChecklist(t *testing.T) {
	t.Parallel()
	s, p, year := planReady(t, "bob", "清单测试：卫健大数据中心", fen12M)
	small := s.createProject("alice", "清单测试：小项目", year, 200_000_000)
	s.submit("alice", small)
	s.toAwaitingPlan("alice", small, year)
	r := s.retry409("drb1", http.MethodPost, fmt.Sprintf("/api/v1/plans/%d/compile", year),
		map[string]any{"included": []map[string]any{{"project_id": p, "approved_amount_fen": 1_000_000_000},
			{"project_id": small, "approved_amount_fen": 150_000_000}}})
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Raw)
	s.waitStage("bob", p, "awaiting_approval")
	s.waitStage("alice", small, "awaiting_approval")
	for _, k := range []string{"opinion", "impl_plan"} {
		require.Equal(t, http.StatusCreated, s.upload("bob", p, k, pdf).Status)
	}
	task := s.openTask("ndrc1", p, "project_approval")

	r = s.do("ndrc1", http.MethodGet, "/api/v1/tasks/"+task+"/checklist", nil, nil)
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Raw)
	require.Equal(t, "project", r.str("route"))
	require.Equal(t, true, r.Body["complete"])
	require.EqualValues(t, 1_000_000_000, r.Body["cap_fen"], "R7: the plan amount after the R5 cut")
	proj := r.Body["projects"].([]any)[0].(map[string]any)
	require.Equal(t, "2021", proj["policy_version"])
	var kinds []string
	for _, it := range proj["items"].([]any) {
		it := it.(map[string]any)
		kinds = append(kinds, it["kind"].(string))
		require.Equal(t, true, it["present"])
		require.Len(t, it["documents"], 1)
	}
	require.Equal(t, []string{"opinion", "impl_plan"}, kinds)
	require.Equal(t, http.StatusNotFound, s.do("gov1", http.MethodGet, "/api/v1/tasks/"+task+"/checklist", nil, nil).Status)

	d := s.decide("ndrc1", task, map[string]any{"decision": "approve", "approved_amount_fen": 1_000_000_001}, nil)
	require.Equal(t, http.StatusUnprocessableEntity, d.Status, "%s", d.Raw)
	require.Equal(t, "amount_over_limit", d.code())

	b := s.retry409("drb1", http.MethodPost, fmt.Sprintf("/api/v1/plans/%d/bundles", year), map[string]any{"project_ids": []string{small}})
	require.Equal(t, http.StatusCreated, b.Status, "%s", b.Raw)
	r = s.do("ndrc1", http.MethodGet, "/api/v1/tasks/"+b.str("task_id")+"/checklist", nil, nil)
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Raw)
	require.Equal(t, "bundle", r.str("route"))
	require.Nil(t, r.Body["cap_fen"])
	members := r.Body["projects"].([]any)
	require.Len(t, members, 1)
	require.EqualValues(t, 150_000_000, members[0].(map[string]any)["plan_amount_fen"])
	require.Empty(t, members[0].(map[string]any)["items"], "a bundled project without cryptography needs no document at approval")

	// R8: a project submitted after its R2 deadline with a special request goes to the City
	// Government; its checklist is the special-request route's, listing 专题请示, capped at
	// its estimate (it has no plan amount).
	late := s.createProject("alice", "清单测试：专题请示", pastYear(), 400_000_000)
	require.Equal(t, http.StatusCreated, s.upload("alice", late, "special_request", pdf).Status)
	s.submit("alice", late)
	s.waitStage("alice", late, "special_request")
	sr := s.openTask("gov1", late, "special_request_approval")
	r = s.do("gov1", http.MethodGet, "/api/v1/tasks/"+sr+"/checklist", nil, nil)
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Raw)
	require.Equal(t, "special_request", r.str("route"))
	require.Equal(t, true, r.Body["complete"])
	require.EqualValues(t, 400_000_000, r.Body["cap_fen"], "R7: an unplanned project's approval is capped at its estimate")
	proj = r.Body["projects"].([]any)[0].(map[string]any)
	items := proj["items"].([]any)
	require.Len(t, items, 1, "%s", r.Raw)
	require.Equal(t, "special_request", items[0].(map[string]any)["kind"], "R8: the 专题请示 is listed")
	require.Equal(t, true, items[0].(map[string]any)["present"])
	require.Len(t, items[0].(map[string]any)["documents"], 1)
	d = s.decide("gov1", sr, map[string]any{"decision": "approve", "approved_amount_fen": 400_000_001}, nil)
	require.Equal(t, http.StatusUnprocessableEntity, d.Status, "%s", d.Raw)
	require.Equal(t, "amount_over_limit", d.code())
}
