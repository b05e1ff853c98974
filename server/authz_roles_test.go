package main

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"egovpm/internal/auth"
	"egovpm/internal/config"
)

// Issue 15, "Authorization": each role reads what its job needs (SPEC "Who uses it",
// docs/AUTHZ.md), separation of duties, and the supervisor's reassignment (转办).

// legacyUser inserts a user the way a database from before the role-set check may hold one
// (the API and the CLI refuse conflicting roles now) and returns its id.
func (s *stack) legacyUser(username, org string, roles ...string) string {
	s.t.Helper()
	h, err := auth.HashPassword(config.DefaultDemoPassword, auth.LightHashParams)
	require.NoError(s.t, err)
	id := auth.UserID(username)
	_, err = s.store.DB().Exec(`INSERT INTO users (id, username, name, org_id, password_hash, demo) VALUES ($1, $2, $3, $4, $5, true)`,
		id, username, username+"（历史账号）", org, h)
	require.NoError(s.t, err)
	for _, r := range roles {
		_, err = s.store.DB().Exec(`INSERT INTO user_roles (user_id, role) VALUES ($1, $2)`, id, r)
		require.NoError(s.t, err)
	}
	return id
}

// docIDs lists the ids of the documents a project read shows.
func docIDs(r resp) []string {
	ds, _ := r.Body["documents"].([]any)
	var out []string
	for _, d := range ds {
		out = append(out, d.(map[string]any)["id"].(string))
	}
	return out
}

// TestAuthzEachRoleReadsWhatItsJobNeeds (issue 15 item 1): the bureaus no longer read every
// unit's drafts. NDRC reads the project that reached its approval, with its documents; Finance
// the approved project and its contract, not its other documents; Crypto its crypto plan; the
// City Government the special request it decides; PRTA nothing before acceptance; admin no
// project at all. Lists agree with single reads. The unit's timeline shows the panel's outcome,
// not the experts' names and scores, which DRB and Audit see.
func TestAuthzEachRoleReadsWhatItsJobNeeds(t *testing.T) {
	t.Parallel()
	s := newStack(t, "test")
	draft := s.createProject("bob", "角色可见性：卫健草稿", futureYear(), 100_000_000)
	dDraft := s.upload("bob", draft, "other", pdf).str("id")
	require.NotEmpty(t, dDraft)

	large := s.approvedLarge("alice", "角色可见性：教育密码应用平台", true)
	contract := s.upload("alice", large, "contract", pdf).str("id")
	require.NotEmpty(t, contract)
	var opinion, cryptoPlan string
	for _, d := range s.do("alice", http.MethodGet, "/api/v1/projects/"+large+"/documents", nil, nil).Body["items"].([]any) {
		switch d := d.(map[string]any); d["kind"] {
		case "opinion":
			opinion = d["id"].(string)
		case "crypto_plan":
			cryptoPlan = d["id"].(string)
		}
	}
	require.NotEmpty(t, opinion)
	require.NotEmpty(t, cryptoPlan)

	late := s.createProject("alice", "角色可见性：应急专题请示", pastYear(), 100_000_000)
	require.Equal(t, http.StatusCreated, s.upload("alice", late, "special_request", pdf).Status)
	s.submit("alice", late)
	s.openTask("gov1", late, "special_request_approval")

	status := func(user, path string) int { return s.do(user, http.MethodGet, path, nil, nil).Status }
	project := func(p string) string { return "/api/v1/projects/" + p }
	doc := func(p, d string) string { return "/api/v1/projects/" + p + "/documents/" + d }

	// No bureau reads another unit's draft or its documents.
	for _, u := range []string{"ndrc1", "gov1", "prta1", "fin1", "crypto1", "exp2", "alice"} {
		require.Equal(t, http.StatusNotFound, status(u, project(draft)), "%s reads bob's draft", u)
		require.Equal(t, http.StatusNotFound, status(u, doc(draft, dDraft)), "%s downloads a document of bob's draft", u)
		r := s.do(u, http.MethodGet, "/api/v1/projects", nil, nil)
		if r.Status == http.StatusOK {
			require.NotContains(t, mxItemIDs(r), draft, "%s lists bob's draft", u)
		}
	}
	// Admin manages users, not project content; ops sees no project.
	for _, u := range []string{"admin", "ops1"} {
		require.Equal(t, http.StatusForbidden, status(u, "/api/v1/projects"), u)
		require.Equal(t, http.StatusForbidden, status(u, project(large)), u)
		require.Equal(t, http.StatusForbidden, status(u, doc(large, opinion)), u)
	}

	// NDRC decided the large project: it reads it and its documents, and lists it.
	require.Equal(t, http.StatusOK, status("ndrc1", project(large)))
	require.Equal(t, http.StatusOK, status("ndrc1", doc(large, opinion)))
	require.Contains(t, mxItemIDs(s.do("ndrc1", http.MethodGet, "/api/v1/projects", nil, nil)), large)
	// Finance: the approved project and its contract, not the opinion.
	require.Equal(t, http.StatusOK, status("fin1", project(large)))
	require.Equal(t, http.StatusOK, status("fin1", doc(large, contract)))
	require.Equal(t, http.StatusNotFound, status("fin1", doc(large, opinion)))
	require.ElementsMatch(t, []string{contract}, docIDs(s.do("fin1", http.MethodGet, project(large), nil, nil)))
	// Crypto: the crypto plan of a project that uses cryptography, nothing else of it.
	require.Equal(t, http.StatusOK, status("crypto1", project(large)))
	require.Equal(t, http.StatusOK, status("crypto1", doc(large, cryptoPlan)))
	require.Equal(t, http.StatusNotFound, status("crypto1", doc(large, opinion)))
	require.Equal(t, http.StatusNotFound, status("crypto1", doc(large, contract)))
	// The City Government: the special request it decides, not the NDRC's project.
	require.Equal(t, http.StatusOK, status("gov1", project(late)))
	require.Equal(t, http.StatusNotFound, status("gov1", project(large)))
	require.Equal(t, http.StatusNotFound, status("ndrc1", project(late)))
	require.Equal(t, []string{late}, mxItemIDs(s.do("gov1", http.MethodGet, "/api/v1/projects", nil, nil)))
	// PRTA witnesses acceptance: nothing before it.
	require.Equal(t, http.StatusNotFound, status("prta1", project(large)))
	require.Empty(t, mxItemIDs(s.do("prta1", http.MethodGet, "/api/v1/projects", nil, nil)))

	// The unit sees the panel's outcome; DRB and Audit see who scored what.
	mine := s.do("alice", http.MethodGet, project(large), nil, nil)
	require.Equal(t, http.StatusOK, mine.Status)
	outcome := false
	for _, e := range mine.Body["timeline"].([]any) {
		e := e.(map[string]any)
		raw := fmt.Sprint(e)
		require.NotContains(t, []string{"u-exp2", "u-exp3", "u-exp4"}, e["actor_id"], "the unit is shown an expert: %v", e)
		require.NotContains(t, raw, "周专家", "the unit is shown an expert's name: %v", e)
		if d, ok := e["detail"].(map[string]any); ok {
			require.NotContains(t, d, "score", "the unit is shown an individual score: %v", e)
			_, list := d["experts"].([]any)
			require.False(t, list, "the unit is shown the experts: %v", e)
		}
		if e["action"] == "expert_review.outcome" {
			outcome = true
		}
	}
	require.True(t, outcome, "the unit's timeline lacks the panel's outcome: %s", mine.Raw)
	for _, u := range []string{"drb1", "audit1"} {
		full := s.do(u, http.MethodGet, project(large), nil, nil)
		var experts []string
		for _, e := range full.Body["timeline"].([]any) {
			if e := e.(map[string]any); e["action"] == "task.decide" && strings.HasPrefix(e["actor_id"].(string), "u-exp") {
				experts = append(experts, e["actor_id"].(string))
			}
		}
		require.ElementsMatch(t, []string{"u-exp2", "u-exp3", "u-exp4"}, experts, "%s: %s", u, full.Raw)
	}
}

// TestAuthzExpertReadsOnlyWhileThePanelIsOpen (issue 15 item 2): an expert reads the project
// and the documents that existed when the panel was convened, while it is open; a document
// added later is never theirs, and after the panel closes nothing of the project is.
func TestAuthzExpertReadsOnlyWhileThePanelIsOpen(t *testing.T) {
	t.Parallel()
	s := newStack(t, "2021")
	year := futureYear()
	p := s.createProject("bob", "专家可见期测试", year, 300_000_000)
	before := s.upload("bob", p, "other", pdf).str("id")
	s.submit("bob", p)
	s.prelimApprove(p)
	r := s.retry409("drb1", http.MethodPost, fmt.Sprintf("/api/v1/plans/%d/expert-sessions", year),
		map[string]any{"pick_reason": "测试指定专家", "expert_ids": []string{"u-exp2", "u-exp3", "u-exp4"}, "project_ids": []string{p}})
	require.Equal(t, http.StatusCreated, r.Status, "%s", r.Raw)
	tasks := map[string]string{}
	for _, e := range []string{"exp2", "exp3", "exp4"} {
		tasks[e] = s.openTask(e, p, "expert_review")
	}
	// Convened after the document: exp2 reads both, and lists the project.
	time.Sleep(10 * time.Millisecond) // a later created_at for the next upload, whatever the clock's resolution
	after := s.upload("bob", p, "other", pdf).str("id")
	doc := func(d string) string { return "/api/v1/projects/" + p + "/documents/" + d }
	require.Equal(t, http.StatusOK, s.do("exp2", http.MethodGet, "/api/v1/projects/"+p, nil, nil).Status)
	require.Equal(t, http.StatusOK, s.do("exp2", http.MethodGet, doc(before), nil, nil).Status)
	require.Contains(t, mxItemIDs(s.do("exp2", http.MethodGet, "/api/v1/projects", nil, nil)), p)
	// A document uploaded after the panel was convened is not the experts'.
	require.Equal(t, http.StatusNotFound, s.do("exp2", http.MethodGet, doc(after), nil, nil).Status)
	require.Equal(t, []string{before}, docIDs(s.do("exp2", http.MethodGet, "/api/v1/projects/"+p, nil, nil)))
	listed := s.do("exp2", http.MethodGet, "/api/v1/projects/"+p+"/documents", nil, nil)
	require.Equal(t, []string{before}, mxItemIDs(listed))
	// The owner reads both, and is not shown who sits on the panel; DRB is.
	mine := s.do("bob", http.MethodGet, "/api/v1/projects/"+p, nil, nil)
	require.ElementsMatch(t, []string{before, after}, docIDs(mine))
	require.NotContains(t, string(mine.Raw), "u-exp2", "the unit is shown an expert of the open panel")
	require.Len(t, s.do("drb1", http.MethodGet, "/api/v1/projects/"+p, nil, nil).Body["open_tasks"], 3)

	for _, e := range []string{"exp2", "exp3", "exp4"} {
		rr := s.decide(e, tasks[e], map[string]any{"decision": "pass", "score": 88, "comment": "可行"}, nil)
		require.Equal(t, http.StatusOK, rr.Status, "%s", rr.Raw)
	}
	s.waitStage("bob", p, "awaiting_plan")
	// The panel is closed: nothing of the project is the experts' any more.
	for _, e := range []string{"exp2", "exp3", "exp4"} {
		require.Equal(t, http.StatusNotFound, s.do(e, http.MethodGet, "/api/v1/projects/"+p, nil, nil).Status, e)
		require.Equal(t, http.StatusNotFound, s.do(e, http.MethodGet, doc(before), nil, nil).Status, e)
		require.NotContains(t, mxItemIDs(s.do(e, http.MethodGet, "/api/v1/projects", nil, nil)), p, e)
		// Their own decided task stays theirs to read.
		require.Equal(t, http.StatusOK, s.do(e, http.MethodGet, "/api/v1/tasks/"+tasks[e], nil, nil).Status, e)
	}
	// A contract, much later, is never an expert's either.
	_, err := s.store.DB().Exec(`UPDATE projects SET stage = 'construction' WHERE id = $1`, p)
	require.NoError(t, err)
	c := s.upload("bob", p, "contract", pdf).str("id")
	require.Equal(t, http.StatusNotFound, s.do("exp2", http.MethodGet, doc(c), nil, nil).Status)
}

// TestAuthzAuditReadsTasksAndUsersAndGovReadsThePlan (issue 15 item 3): Audit reads every task
// (open and done, with filters) and the users, and acts on none; the City Government reads the
// plan year it decides special requests in: its compiled items, not the projects left out.
func TestAuthzAuditReadsTasksAndUsersAndGovReadsThePlan(t *testing.T) {
	t.Parallel()
	s := newStack(t, "2021")
	year := futureYear()
	in := s.createProject("alice", "审计可读：列入计划", year, 200_000_000)
	out := s.createProject("bob", "审计可读：未列入计划", year, 200_000_000)
	open := s.createProject("bob", "审计可读：待初审", year, 200_000_000)
	for _, p := range []struct{ u, id string }{{"alice", in}, {"bob", out}, {"bob", open}} {
		s.submit(p.u, p.id)
	}
	openTask := s.openTask("drb1", open, "prelim_review")
	for _, p := range []struct{ u, id string }{{"alice", in}, {"bob", out}} {
		s.toAwaitingPlan(p.u, p.id, year)
	}
	r := s.retry409("drb1", http.MethodPost, fmt.Sprintf("/api/v1/plans/%d/compile", year), map[string]any{
		"included": []map[string]any{{"project_id": in, "approved_amount_fen": 200_000_000}},
		"excluded": []map[string]any{{"project_id": out, "reason": "与已建系统重复"}}})
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Raw)

	// Audit: every task, open and done, filtered like the inbox; no claim, no decision.
	r = s.do("audit1", http.MethodGet, "/api/v1/tasks?project_id="+open, nil, nil)
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Raw)
	require.Equal(t, []string{openTask}, mxItemIDs(r))
	r = s.do("audit1", http.MethodGet, "/api/v1/tasks?status=done&kind=expert_review&project_id="+in, nil, nil)
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Raw)
	require.Len(t, mxItemIDs(r), 3, "%s", r.Raw)
	require.Equal(t, http.StatusOK, s.do("audit1", http.MethodGet, "/api/v1/tasks/"+openTask, nil, nil).Status)
	require.Equal(t, http.StatusForbidden, s.do("audit1", http.MethodPost, "/api/v1/tasks/"+openTask+"/claim", nil, nil).Status)
	require.Equal(t, http.StatusForbidden, s.decide("audit1", openTask, map[string]any{"decision": "approve"}, nil).Status)
	r = s.do("audit1", http.MethodGet, "/api/v1/users?role=drb_reviewer", nil, nil)
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Raw)
	require.Contains(t, mxItemIDs(r), "u-drb1")
	// Everybody else's inbox stays their own.
	require.NotContains(t, mxItemIDs(s.do("exp2", http.MethodGet, "/api/v1/tasks?project_id="+open, nil, nil)), openTask)

	// The plan: DRB sees what was left out and why; the City Government the compiled items.
	plan := func(user string) []string {
		r := s.do(user, http.MethodGet, fmt.Sprintf("/api/v1/plans/%d", year), nil, nil)
		require.Equal(t, http.StatusOK, r.Status, "%s: %s", user, r.Raw)
		var ids []string
		for _, it := range r.Body["items"].([]any) {
			ids = append(ids, it.(map[string]any)["project_id"].(string))
		}
		slices.Sort(ids)
		return ids
	}
	both := []string{in, out}
	slices.Sort(both)
	require.Equal(t, both, plan("drb1"))
	require.Equal(t, both, plan("audit1"))
	for _, u := range []string{"gov1", "ndrc1", "fin1"} {
		require.Equal(t, []string{in}, plan(u), u)
	}
	for _, u := range []string{"alice", "prta1", "crypto1", "admin", "exp2"} {
		require.Equal(t, http.StatusForbidden, s.do(u, http.MethodGet, fmt.Sprintf("/api/v1/plans/%d", year), nil, nil).Status, u)
	}
}

// TestAuthzSeparationOfDuties (issue 15 item 4): conflicting role sets are refused on create
// (and on role change, cmd/egovpm), and a person who holds them from before is still refused
// the conflicting acts: deciding what they submitted, confirming a payment they recorded. Each
// refusal has its code and an audit row (R18).
func TestAuthzSeparationOfDuties(t *testing.T) {
	t.Parallel()
	s := newStack(t, "2021")
	r := s.do("admin", http.MethodPost, "/api/v1/users", map[string]any{"username": "mixed-new", "name": "兼任者",
		"org_id": "unit-a", "roles": []string{"submitter", "drb_reviewer"}, "password": "Str0ng-Passw0rd!x"}, nil)
	require.Equal(t, http.StatusUnprocessableEntity, r.Status, "%s", r.Raw)
	require.Equal(t, "conflicting_roles", r.code())
	var n int
	require.NoError(t, s.store.DB().Get(&n, `SELECT count(*) FROM users WHERE username = 'mixed-new'`))
	require.Zero(t, n)
	require.NoError(t, s.store.DB().Get(&n, `SELECT count(*) FROM audit_log WHERE action = 'user.create' AND outcome = 'refused'
		AND detail->>'code' = 'conflicting_roles' AND detail->>'username' = 'mixed-new'`))
	require.Equal(t, 1, n, "the refusal is recorded (R18)")

	// A person of the DRB (itself a unit that submits its own projects) who holds submitter +
	// drb_reviewer from before cannot review what they submitted.
	mixed := s.legacyUser("mixed", "drb", "submitter", "drb_reviewer")
	p := s.createProject("mixed", "职责分离测试项目", futureYear(), 100_000_000)
	s.submit("mixed", p)
	task := s.openTask("drb1", p, "prelim_review")
	d := s.decide("mixed", task, map[string]any{"decision": "approve", "comment": "自审"}, nil)
	require.Equal(t, http.StatusForbidden, d.Status, "%s", d.Raw)
	require.Equal(t, "separation_of_duties", d.code())
	c := s.do("mixed", http.MethodPost, "/api/v1/tasks/"+task+"/claim", nil, nil)
	require.Equal(t, http.StatusForbidden, c.Status, "%s", c.Raw)
	require.Equal(t, "separation_of_duties", c.code())
	require.NoError(t, s.store.DB().Get(&n, `SELECT count(*) FROM audit_log WHERE actor_id = $1 AND outcome = 'refused'
		AND detail->>'code' = 'separation_of_duties' AND object_id = $2`, mixed, task))
	require.Equal(t, 2, n, "each refusal is recorded (R18)")
	got := s.do("drb1", http.MethodGet, "/api/v1/tasks/"+task, nil, nil)
	require.Equal(t, "open", got.str("status"))
	require.Empty(t, got.str("assignee_id"))
	// Somebody else reviews it.
	d = s.decide("drb1", task, map[string]any{"decision": "approve", "comment": "符合条件"}, nil)
	require.Equal(t, http.StatusOK, d.Status, "%s", d.Raw)

	// Payments: who recorded one may not confirm it.
	finsub := s.legacyUser("finsub", "finance", "submitter", "finance")
	f := s.createProject("finsub", "职责分离付款项目", futureYear(), 100_000_000)
	_, err := s.store.DB().Exec(`UPDATE projects SET stage = 'construction', approved_amount_fen = 50000000 WHERE id = $1`, f)
	require.NoError(t, err)
	pr := s.do("finsub", http.MethodPost, "/api/v1/projects/"+f+"/payments",
		map[string]any{"milestone": "首付款", "amount_fen": 1_000_000, "paid_on": "2024-01-15"}, nil)
	require.Equal(t, http.StatusCreated, pr.Status, "%s", pr.Raw)
	pay := pr.str("id")
	cr := s.do("finsub", http.MethodPost, "/api/v1/payments/"+pay+"/confirm", map[string]any{"decision": "confirm"}, nil)
	require.Equal(t, http.StatusForbidden, cr.Status, "%s", cr.Raw)
	require.Equal(t, "separation_of_duties", cr.code())
	require.NoError(t, s.store.DB().Get(&n, `SELECT count(*) FROM audit_log WHERE actor_id = $1 AND action = 'payment.confirm'
		AND outcome = 'refused' AND object_id = $2`, finsub, pay))
	require.Equal(t, 1, n)
	var status string
	require.NoError(t, s.store.DB().Get(&status, `SELECT status FROM payments WHERE id = $1`, pay))
	require.Equal(t, "recorded", status)
	cr = s.do("fin1", http.MethodPost, "/api/v1/payments/"+pay+"/confirm", map[string]any{"decision": "confirm"}, nil)
	require.Equal(t, http.StatusOK, cr.Status, "%s", cr.Raw)
}

// TestE2E_ReassignClaimedTask (issue 15 item 5, T2): a task drb1 claimed and left is escalated
// to the supervisor, who can do nothing with it until he reassigns (转办) it: to himself, then
// back. The workflow holds the assignee, so the old assignee's decision is refused and the new
// one's applied; each reassignment is audited (who, from whom, to whom, why) and notified.
func TestE2E_ReassignClaimedTask(t *testing.T) {
	t.Parallel()
	s := newStack(t, "2021")
	p := s.createProject("bob", "转办测试项目", futureYear(), 100_000_000)
	s.submit("bob", p)
	task := s.openTask("drb1", p, "prelim_review")
	r := s.do("drb1", http.MethodPost, "/api/v1/tasks/"+task+"/claim", nil, nil)
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Raw)
	approve := map[string]any{"decision": "approve", "comment": "同意"}
	d := s.decide("drbsup", task, approve, nil)
	require.Equal(t, http.StatusForbidden, d.Status, "%s", d.Raw)
	require.Equal(t, "not_assignee", d.code())

	reassign := func(user, to, reason string) resp {
		return s.do(user, http.MethodPost, "/api/v1/tasks/"+task+"/reassign", map[string]any{"assignee_id": to, "reason": reason}, nil)
	}
	// Only a supervisor reassigns, only to someone who may act on the task, always with a reason.
	require.Equal(t, http.StatusForbidden, reassign("drb1", "u-drbsup", "自行转办").Status)
	for _, to := range []string{"u-alice", "u-exp2", "u-ndrc1", "u-nobody"} {
		r = reassign("drbsup", to, "逾期未办")
		require.Equal(t, http.StatusUnprocessableEntity, r.Status, "to %s: %s", to, r.Raw)
		require.Equal(t, "assignee_not_eligible", r.code(), "to %s", to)
	}
	r = reassign("drbsup", "u-drbsup", "　\u200b") // blank: only white space and a zero-width space
	require.Equal(t, http.StatusBadRequest, r.Status, "%s", r.Raw)

	key := map[string]string{"Idempotency-Key": "reassign-" + p}
	body := map[string]any{"assignee_id": "u-drbsup", "reason": "李审休假，逾期未办"}
	r = s.do("drbsup", http.MethodPost, "/api/v1/tasks/"+task+"/reassign", body, key)
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Raw)
	require.Equal(t, "u-drbsup", r.str("assignee_id"))
	// Resent with its key (the reply was lost): its first answer, applied once.
	r = s.do("drbsup", http.MethodPost, "/api/v1/tasks/"+task+"/reassign", body, key)
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Raw)
	require.Equal(t, http.StatusConflict, reassign("drbsup", "u-drbsup", "再转一次").Status, "already assigned")
	got := s.do("drbsup", http.MethodGet, "/api/v1/tasks/"+task, nil, nil)
	require.Equal(t, "u-drbsup", got.str("assignee_id"))
	var detail string
	require.NoError(t, s.store.DB().Get(&detail, `SELECT detail::text FROM audit_log WHERE action = 'task.reassign' AND object_id = $1
		AND actor_id = 'u-drbsup' ORDER BY seq`, p))
	var rows int
	require.NoError(t, s.store.DB().Get(&rows, `SELECT count(*) FROM audit_log WHERE action = 'task.reassign' AND object_id = $1`, p))
	require.Equal(t, 1, rows, "the resent reassignment was applied once")
	require.Contains(t, detail, `"from": "u-drb1"`)
	require.Contains(t, detail, `"to": "u-drbsup"`)
	require.Contains(t, detail, "李审休假")
	require.EventuallyWithT(t, func(c *assertT) {
		var n int
		assertEqual(c, nil, s.store.DB().Get(&n, `SELECT count(*) FROM notifications WHERE user_id = 'u-drbsup' AND task_id = $1
			AND kind = 'task_reassigned'`, task))
		assertEqual(c, 1, n)
	}, 10*time.Second, 50*time.Millisecond, "the new assignee is notified")

	// The task is no longer drb1's: the gateway does not show it to him; and the workflow holds
	// the assignee, so with the read model bypassed (drb1 assigned again in SQL) it refuses him.
	d = s.decide("drb1", task, approve, nil)
	require.Equal(t, http.StatusNotFound, d.Status, "%s", d.Raw)
	_, err := s.store.DB().Exec(`UPDATE tasks SET assignee_id = 'u-drb1' WHERE id = $1`, task)
	require.NoError(t, err)
	d = s.decide("drb1", task, approve, nil)
	require.Equal(t, http.StatusForbidden, d.Status, "the workflow let the old assignee decide: %s", d.Raw)
	require.Equal(t, "not_assignee", d.code())
	_, err = s.store.DB().Exec(`UPDATE tasks SET assignee_id = 'u-drbsup' WHERE id = $1`, task)
	require.NoError(t, err)

	// Back to drb1, who decides.
	r = reassign("drbsup", "u-drb1", "李审已返岗")
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Raw)
	require.Equal(t, http.StatusForbidden, s.decide("drbsup", task, approve, nil).Status)
	d = s.decide("drb1", task, approve, nil)
	require.Equal(t, http.StatusOK, d.Status, "%s", d.Raw)
	require.Equal(t, "expert_review", d.str("stage"))
	// A closed task is not reassigned.
	r = reassign("drbsup", "u-drbsup", "再转")
	require.Equal(t, http.StatusConflict, r.Status, "%s", r.Raw)
	require.Equal(t, "stale_task", r.code())
}

// TestE2E_ReassignBundleApproval (issue 15 item 5, T2): a bundle's approval task, claimed by
// ndrc1 and left, is reassigned by the supervisor to another NDRC approver; the plan holds the
// assignee, so ndrc1 is refused even with the read model bypassed, and the new one decides.
func TestE2E_ReassignBundleApproval(t *testing.T) {
	t.Parallel()
	s := newStack(t, "2021")
	ndrc2 := s.legacyUser("ndrc2", "ndrc", "ndrc_approver")
	year := futureYear()
	p := s.createProject("bob", "打捆转办测试", year, 200_000_000)
	s.submit("bob", p)
	s.toAwaitingPlan("bob", p, year)
	r := s.retry409("drb1", http.MethodPost, fmt.Sprintf("/api/v1/plans/%d/compile", year),
		map[string]any{"included": []map[string]any{{"project_id": p, "approved_amount_fen": 200_000_000}}})
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Raw)
	s.waitStage("bob", p, "awaiting_approval")
	r = s.retry409("drb1", http.MethodPost, fmt.Sprintf("/api/v1/plans/%d/bundles", year), map[string]any{})
	require.Equal(t, http.StatusCreated, r.Status, "%s", r.Raw)
	task := r.str("task_id")
	require.Equal(t, http.StatusOK, s.do("ndrc1", http.MethodPost, "/api/v1/tasks/"+task+"/claim", nil, nil).Status)

	// drb1 made the bundle: he may not take its approval either (separation of duties).
	r = s.do("drbsup", http.MethodPost, "/api/v1/tasks/"+task+"/reassign", map[string]any{"assignee_id": "u-drb1", "reason": "转"}, nil)
	require.Equal(t, http.StatusUnprocessableEntity, r.Status, "%s", r.Raw)
	r = s.do("drbsup", http.MethodPost, "/api/v1/tasks/"+task+"/reassign", map[string]any{"assignee_id": ndrc2, "reason": "钱改出差"}, nil)
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Raw)
	require.Equal(t, ndrc2, r.str("assignee_id"))
	var n int
	require.NoError(t, s.store.DB().Get(&n, `SELECT count(*) FROM audit_log WHERE action = 'task.reassign' AND object_type = 'bundle'
		AND detail->>'from' = 'u-ndrc1' AND detail->>'to' = $1`, ndrc2))
	require.Equal(t, 1, n)

	approve := map[string]any{"decision": "approve", "comment": "同意"}
	_, err := s.store.DB().Exec(`UPDATE tasks SET assignee_id = 'u-ndrc1' WHERE id = $1`, task)
	require.NoError(t, err)
	d := s.decide("ndrc1", task, approve, nil)
	require.Equal(t, http.StatusForbidden, d.Status, "the plan let the old assignee decide: %s", d.Raw)
	require.Equal(t, "not_assignee", d.code())
	_, err = s.store.DB().Exec(`UPDATE tasks SET assignee_id = $2 WHERE id = $1`, task, ndrc2)
	require.NoError(t, err)
	d = s.decide("ndrc2", task, approve, nil)
	require.Equal(t, http.StatusOK, d.Status, "%s", d.Raw)
	s.waitStage("bob", p, "procurement")
}
