package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"egovpm/internal/config"
	"egovpm/internal/domain"
	"egovpm/internal/seed"
	"egovpm/internal/testenv"
)

// The authorization matrix (issues 3 and 15): every route of routeTable × every demo user
// (plus no token and a forged token) × the real objects the route acts on: projects in nine
// stages (a draft, in preliminary review, with an open and with a closed expert panel, left out
// of the plan, in a bundle, a special request, in construction, in acceptance), the documents
// uploaded at each stage, tasks offered, claimed, assigned, decided, and a payment.
//
// The expectations are generated: each route says what it does in the terms of docs/AUTHZ.md's
// table (object and action), and the table, read from the document, says which roles may do it
// and on which condition. The conditions are evaluated here on what the fixture made (its own
// record of units, panels, decisions, uploads), not read back from internal/authz, so a row of
// the table the code does not implement fails here; so does a role admitted by routes.go that
// the table does not list, and a route without its object and action in mxRoutes.

// mxClass is the expected class of an answer.
type mxClass int

const (
	mxOK        mxClass = iota + 1 // 2xx
	mxAllowed                      // past authorization: 2xx, or a 4xx other than 401/403/404
	mxUnauth                       // 401
	mxForbidden                    // 403 (function level, or an object the actor sees but may not act on)
	mxNotFound                     // 404 (an object the actor may not see, or that is not there)
)

func (c mxClass) String() string {
	return map[mxClass]string{mxOK: "2xx", mxAllowed: "2xx/4xx-not-401/403/404", mxUnauth: "401",
		mxForbidden: "403", mxNotFound: "404"}[c]
}

func (c mxClass) match(status int) bool {
	switch c {
	case mxOK:
		return status >= 200 && status < 300
	case mxAllowed:
		return status >= 200 && status < 500 && status != http.StatusUnauthorized &&
			status != http.StatusForbidden && status != http.StatusNotFound
	case mxUnauth:
		return status == http.StatusUnauthorized
	case mxForbidden:
		return status == http.StatusForbidden
	case mxNotFound:
		return status == http.StatusNotFound
	}
	return false
}

// mxRow is one row of docs/AUTHZ.md's table: role (or "*") may do action on object when every
// condition holds.
type mxRow struct {
	role, object, action string
	conds                []string
}

// mxTable reads the table between the authz-table markers of docs/AUTHZ.md.
func mxTable(t *testing.T) []mxRow {
	t.Helper()
	f, err := os.Open(filepath.Join(testenv.RepoRoot(), "docs", "AUTHZ.md"))
	require.NoError(t, err)
	defer f.Close()
	var rows []mxRow
	in := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "<!-- authz-table:begin -->":
			in = true
			continue
		case line == "<!-- authz-table:end -->":
			in = false
		}
		if !in || !strings.HasPrefix(line, "|") || strings.HasPrefix(line, "|---") || strings.HasPrefix(line, "| Role") {
			continue
		}
		cells := strings.Split(strings.Trim(line, "|"), "|")
		require.Len(t, cells, 4, "docs/AUTHZ.md table row %q", line)
		cond := strings.Trim(strings.TrimSpace(cells[3]), "`")
		row := mxRow{role: strings.TrimSpace(cells[0]), object: strings.TrimSpace(cells[1]), action: strings.TrimSpace(cells[2]),
			conds: strings.Split(cond, " and ")}
		require.True(t, row.role == "*" || slices.Contains(domain.Roles, row.role), "docs/AUTHZ.md: unknown role %q", row.role)
		rows = append(rows, row)
	}
	require.NoError(t, sc.Err())
	require.NotEmpty(t, rows, "docs/AUTHZ.md has no authz table")
	return rows
}

func mxHas(u seed.DemoUser, roles ...string) bool {
	for _, r := range roles {
		if slices.Contains(u.Roles, r) {
			return true
		}
	}
	return false
}

// mxYear hands each test its own plan year: a plan is one workflow per year (plan:<year>) on
// the devserver shared by the package, and a plan left by an earlier test (or an earlier
// -count iteration) runs on that test's task queue, whose worker is gone.
func mxYear() int { return futureYear() }

// mxTask is what the fixture knows of a task.
type mxTask struct {
	project, bundle string // the task's project, or its bundle
	role, org       string // offered to
	assignee        string // user id, "" while offered
	decider         string // user id, "" while open
	open            bool
	submittedBy     []string // who submitted what it decides on
}

// mxFixture holds the objects the matrix acts on, made through the API (the stage of one
// project, pB, is a past year's draft: its submission is refused by the R2 deadline).
type mxFixture struct {
	year int
	// Projects.
	pB       string // bob, a draft of a past plan year
	pA       string // alice, prelim_review, the offered task tA
	pC       string // bob, prelim_review, tC claimed by drb1
	pX       string // alice, expert_review: panel exp2–exp4 open, session co-organised by finance and ndrc
	pP       string // bob, panel closed (exp2–exp4, session co-organised by crypto), left out of the plan
	pBund    string // bob, small, in the plan, bundled: NDRC's open bundle task tB
	pLarge   string // alice, large, uses cryptography, approved by NDRC (tAppr), contract: construction; payment payF
	pAcc     string // bob, large, approved by NDRC, in acceptance: tSign (DRB), tWit (PRTA) open
	pSpecial string // alice, a special request before the City Government (tSpec)
	projects []string
	unit     map[string]string // project → unit
	stage    map[string]string // project → stage (read back and checked against what was made)
	planYear map[string]int    // project → plan year
	crypto   map[string]bool
	// panel: project → usernames on its panel; panelOpen: the panel is open; coOrgs: the
	// orgs co-organising the session that convened it.
	panel     map[string]map[string]bool
	panelOpen map[string]bool
	coOrgs    map[string][]string
	// cc: project → usernames a decision on it was CC'd to (抄送: in person, or by org).
	cc map[string]map[string]bool
	// reached: project → the (role, org) of the decision tasks opened on it or its bundle.
	reached map[string][][2]string
	// Documents: id → project, kind, uploaded before the project's panel was convened.
	docs      []string
	docProj   map[string]string
	docKind   map[string]string
	docBefore map[string]bool
	// Tasks.
	tA, tC, tX, tE2, tB, tAppr, tSpec, tCheck, tSign, tWit string
	tasks                                                  map[string]*mxTask
	// The payment and the notification.
	payF, payRecorder string
	nA                string
	// submitters: project → who submitted it.
	submitters map[string][]string
	// overdue are the tasks made overdue (T2): tA, past its due date.
	overdue []string
	// rows is docs/AUTHZ.md's table.
	rows []mxRow
	// stack is the stack the fixture was made on (checks compare with the lists).
	stack *stack
}

// mxUserID is the id of a demo user.
func mxUserID(username string) string { return "u-" + username }

func newMxFixture(t *testing.T, s *stack) *mxFixture {
	t.Helper()
	f := &mxFixture{year: mxYear(), unit: map[string]string{}, stage: map[string]string{}, crypto: map[string]bool{}, planYear: map[string]int{},
		panel: map[string]map[string]bool{}, panelOpen: map[string]bool{}, coOrgs: map[string][]string{}, cc: map[string]map[string]bool{},
		reached: map[string][][2]string{}, docProj: map[string]string{}, docKind: map[string]string{},
		docBefore: map[string]bool{}, tasks: map[string]*mxTask{}, submitters: map[string][]string{}}
	y := f.year
	create := func(user, name string, year int, fen int64, usesCrypto bool) string {
		r := s.do(user, http.MethodPost, "/api/v1/projects", map[string]any{"name": name, "type": "new", "plan_year": year,
			"estimated_investment_fen": fen, "description": name + "：建设内容说明", "mlps_level": 2, "uses_crypto": usesCrypto}, nil)
		require.Equal(t, http.StatusCreated, r.Status, "%s", r.Raw)
		p := r.str("id")
		f.projects = append(f.projects, p)
		f.unit[p] = map[string]string{"alice": "unit-a", "bob": "unit-b"}[user]
		f.crypto[p] = usesCrypto
		f.planYear[p] = year
		f.submitters[p] = []string{mxUserID(user)}
		return p
	}
	upload := func(user, p, kind string) string {
		r := s.upload(user, p, kind, pdf)
		require.Equal(t, http.StatusCreated, r.Status, "%s", r.Raw)
		d := r.str("id")
		f.docs = append(f.docs, d)
		f.docProj[d], f.docKind[d] = p, kind
		return d
	}
	decide := func(user, task string, body map[string]any) {
		r := s.decide(user, task, body, nil)
		require.Equal(t, http.StatusOK, r.Status, "%s decides %s: %s", user, task, r.Raw)
	}
	convene := func(projects []string, coOrgs []string) {
		r := s.retry409("drb1", http.MethodPost, fmt.Sprintf("/api/v1/plans/%d/expert-sessions", y),
			map[string]any{"pick_reason": "测试指定专家", "expert_ids": []string{"u-exp2", "u-exp3", "u-exp4"}, "project_ids": projects, "co_organiser_ids": coOrgs})
		require.Equal(t, http.StatusCreated, r.Status, "%s", r.Raw)
		for _, p := range projects {
			f.panel[p] = map[string]bool{"exp2": true, "exp3": true, "exp4": true}
			f.coOrgs[p] = coOrgs
			for _, d := range f.docs {
				if f.docProj[d] == p {
					f.docBefore[d] = true
				}
			}
		}
	}

	// A past year's draft with a document.
	f.pB = create("bob", "矩阵测试：卫健草稿", pastYear(), 100_000_000, false)
	upload("bob", f.pB, "other")
	// In preliminary review: claimed by drb1, and offered.
	f.pC = create("bob", "矩阵测试：卫健随访系统", y, 200_000_000, false)
	s.submit("bob", f.pC)
	f.tC = s.openTask("drb1", f.pC, "prelim_review")
	r := s.do("drb1", http.MethodPost, "/api/v1/tasks/"+f.tC+"/claim", nil, nil)
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Raw)
	f.pA = create("alice", "矩阵测试：教育资源平台", y, 300_000_000, false)
	upload("alice", f.pA, "opinion")
	s.submit("alice", f.pA)
	f.tA = s.openTask("drb1", f.pA, "prelim_review")

	// Four projects through a panel that closes, one through a panel left open.
	f.pP = create("bob", "矩阵测试：卫健随访二期", y, 300_000_000, false)
	upload("bob", f.pP, "other")
	f.pBund = create("bob", "矩阵测试：健康档案小项目", y, 200_000_000, false)
	f.pLarge = create("alice", "矩阵测试：教育密码应用平台", y, fen12M, true)
	f.pAcc = create("bob", "矩阵测试：区域健康信息平台", y, fen12M, false)
	f.pX = create("alice", "矩阵测试：智慧校园", y, 400_000_000, false)
	for _, p := range []string{f.pP, f.pBund, f.pLarge, f.pAcc, f.pX} {
		s.submit(map[string]string{"unit-a": "alice", "unit-b": "bob"}[f.unit[p]], p)
	}
	f.tX = s.openTask("drb1", f.pX, "prelim_review")
	// pP's prelim approval is CC'd (抄送) to fin1 and to the crypto org (crypto1): they read it.
	decide("drb1", s.openTask("drb1", f.pP, "prelim_review"), map[string]any{"decision": "approve", "comment": "符合申报条件",
		"cc_user_ids": []string{"u-fin1"}, "cc_org_ids": []string{"crypto"}})
	f.cc[f.pP] = map[string]bool{"fin1": true, "crypto1": true}
	for _, p := range []string{f.pBund, f.pLarge, f.pAcc, f.pX} {
		s.prelimApprove(p)
	}
	closed := []string{f.pP, f.pBund, f.pLarge, f.pAcc}
	convene(closed, []string{"crypto"})
	for _, p := range closed {
		for _, e := range []string{"exp2", "exp3", "exp4"} {
			decide(e, s.openTask(e, p, "expert_review"), map[string]any{"decision": "pass", "score": 85, "comment": "可行"})
		}
	}
	for _, p := range closed {
		s.waitStage("drb1", p, "awaiting_plan")
	}
	upload("alice", f.pX, "opinion") // before its panel is convened
	convene([]string{f.pX}, []string{"finance", "ndrc"})
	f.panelOpen[f.pX] = true
	f.tE2 = s.openTask("exp2", f.pX, "expert_review")
	time.Sleep(10 * time.Millisecond) // a later created_at than the panel's tasks, whatever the clock's resolution
	upload("alice", f.pX, "other")    // after: never the experts'

	// The plan: three in, one left out.
	r = s.retry409("drb1", http.MethodPost, fmt.Sprintf("/api/v1/plans/%d/compile", y), map[string]any{
		"included": []map[string]any{{"project_id": f.pBund, "approved_amount_fen": 200_000_000},
			{"project_id": f.pLarge, "approved_amount_fen": fen12M}, {"project_id": f.pAcc, "approved_amount_fen": fen12M}},
		"excluded": []map[string]any{{"project_id": f.pP, "reason": "与已建系统重复"}}})
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Raw)
	for _, p := range []string{f.pBund, f.pLarge, f.pAcc} {
		s.waitStage("drb1", p, "awaiting_approval")
	}
	upload("bob", f.pBund, "other") // a document of a project awaiting its bundle's approval
	// NDRC approves the two large projects (R6).
	for _, p := range []string{f.pLarge, f.pAcc} {
		user := map[string]string{"unit-a": "alice", "unit-b": "bob"}[f.unit[p]]
		upload(user, p, "opinion")
		upload(user, p, "impl_plan")
		if f.crypto[p] {
			upload(user, p, "crypto_plan") // R17
		}
		task := s.openTask("ndrc1", p, "project_approval")
		if p == f.pLarge {
			f.tAppr = task
		}
		decide("ndrc1", task, map[string]any{"decision": "approve", "approved_amount_fen": 1_000_000_000})
		f.reached[p] = append(f.reached[p], [2]string{domain.RoleNDRCApprover, "ndrc"})
		s.waitStage(user, p, "procurement")
		upload(user, p, "contract")
		r = s.do(user, http.MethodPost, "/api/v1/projects/"+p+"/contract", contractBody(900_000_000, "LA-MX-"+p[2:8]), nil)
		require.Equal(t, http.StatusOK, r.Status, "%s", r.Raw)
		f.submitters[p] = append(f.submitters[p], mxUserID(user))
	}
	// pAcc's trial run (5 s on the test policy) starts now; the rest is made meanwhile.
	r = s.do("bob", http.MethodPost, "/api/v1/projects/"+f.pAcc+"/construction-complete", nil, nil)
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Raw)
	pr := s.do("alice", http.MethodPost, "/api/v1/projects/"+f.pLarge+"/payments",
		map[string]any{"milestone": "首付款", "amount_fen": 10_000_000, "paid_on": "2024-01-15"}, nil)
	require.Equal(t, http.StatusCreated, pr.Status, "%s", pr.Raw)
	f.payF, f.payRecorder = pr.str("id"), mxUserID("alice")

	r = s.retry409("drb1", http.MethodPost, fmt.Sprintf("/api/v1/plans/%d/bundles", y), map[string]any{"project_ids": []string{f.pBund}})
	require.Equal(t, http.StatusCreated, r.Status, "%s", r.Raw)
	f.tB = r.str("task_id")
	f.reached[f.pBund] = append(f.reached[f.pBund], [2]string{domain.RoleNDRCApprover, "ndrc"})

	f.pSpecial = create("alice", "矩阵测试：应急专题请示", pastYear(), 100_000_000, false)
	upload("alice", f.pSpecial, "special_request")
	s.submit("alice", f.pSpecial)
	f.tSpec = s.openTask("gov1", f.pSpecial, "special_request_approval")
	f.reached[f.pSpecial] = append(f.reached[f.pSpecial], [2]string{domain.RoleCityGovApprover, "citygov"})

	// pAcc: trial run over, acceptance applied, checked: the sign-off and the witness open.
	upload("bob", f.pAcc, "trial_run_report")
	upload("bob", f.pAcc, "mlps_filing") // R17: MLPS level 2
	require.EventuallyWithT(t, func(c *assertT) {
		r := s.do("bob", http.MethodPost, "/api/v1/projects/"+f.pAcc+"/acceptance-application", nil, nil)
		assertEqual(c, http.StatusOK, r.Status)
	}, 30*time.Second, 250*time.Millisecond, "R11: the test policy's trial run never ended")
	f.submitters[f.pAcc] = append(f.submitters[f.pAcc], mxUserID("bob"))
	f.tCheck = s.openTask("drb1", f.pAcc, "acceptance_check")
	decide("drb1", f.tCheck, map[string]any{"decision": "approve", "comment": "材料齐全"})
	f.tSign = s.openTask("drb1", f.pAcc, "acceptance_signoff")
	f.tWit = s.openTask("prta1", f.pAcc, "acceptance_witness")
	f.reached[f.pAcc] = append(f.reached[f.pAcc], [2]string{domain.RolePRTAWitness, "prta"})

	// T2: tA is overdue (its due date moved into the past in the read model).
	_, err := s.store.DB().Exec(`UPDATE tasks SET due_at = now() - interval '2 days' WHERE id = $1`, f.tA)
	require.NoError(t, err)
	f.overdue = []string{f.tA}
	f.stack = s

	// alice's notification: the `approved` notice pLarge's lifecycle wrote for its unit's
	// submitters when NDRC approved it (R6). Its key is the workflow's ("/", "#"); the API
	// names it by its public id.
	require.EventuallyWithT(t, func(c *assertT) {
		var n struct {
			Key      string `db:"id"`
			PublicID string `db:"public_id"`
		}
		err := s.store.DB().Get(&n, `SELECT id, public_id FROM notifications
			WHERE user_id = 'u-alice' AND kind = 'approved' AND project_id = $1`, f.pLarge)
		if assertEqual(c, nil, err) {
			assertTrue(c, strings.ContainsAny(n.Key, "/#"), "a workflow's key: "+n.Key)
			f.nA = n.PublicID
		}
	}, 10*time.Second, 50*time.Millisecond, "no approved notice of %s for alice", f.pLarge)

	// The stages made, as the read model holds them.
	want := map[string]string{f.pB: "draft", f.pA: "prelim_review", f.pC: "prelim_review", f.pX: "expert_review",
		f.pP: "not_included", f.pBund: "awaiting_approval", f.pLarge: "construction", f.pAcc: "acceptance", f.pSpecial: "special_request"}
	for p, st := range want {
		s.waitStage("drb1", p, st)
		f.stage[p] = st
	}
	// The tasks, as the read model holds them.
	for _, id := range []string{f.tA, f.tC, f.tX, f.tE2, f.tB, f.tAppr, f.tSpec, f.tCheck, f.tSign, f.tWit} {
		var row struct {
			Project  *string `db:"project_id"`
			Bundle   *string `db:"bundle_id"`
			Role     string  `db:"candidate_role"`
			Org      *string `db:"candidate_org_id"`
			Assignee *string `db:"assignee_id"`
			Decider  *string `db:"decided_by"`
			Status   string  `db:"status"`
		}
		require.NoError(t, s.store.DB().Get(&row, `SELECT project_id, bundle_id, candidate_role, candidate_org_id, assignee_id,
			decided_by, status FROM tasks WHERE id = $1`, id))
		str := func(p *string) string {
			if p == nil {
				return ""
			}
			return *p
		}
		mt := &mxTask{project: str(row.Project), bundle: str(row.Bundle), role: row.Role, org: str(row.Org), assignee: str(row.Assignee),
			decider: str(row.Decider), open: row.Status == "open"}
		if mt.project != "" {
			mt.submittedBy = f.submitters[mt.project]
		} else {
			mt.submittedBy = []string{mxUserID("drb1")} // the bundle's creator
		}
		f.tasks[id] = mt
	}
	// R16 candidates are computed after each submission: wait until DRB sees pX's, so that the
	// similar route lists something to hide.
	require.EventuallyWithT(t, func(c *assertT) {
		r := s.do("drb1", http.MethodGet, "/api/v1/projects/"+f.pX+"/similar", nil, nil)
		items, _ := r.Body["items"].([]any)
		assertEqual(c, true, len(items) > 0)
	}, 20*time.Second, 100*time.Millisecond, "R16: no similar project of %s", f.pX)
	return f
}

// Stages of docs/AUTHZ.md's conditions.
var (
	mxApprovedStages = []string{"approved", "procurement", "construction", "trial_run", "acceptance", "rectification", "om", "closed"}
	mxApprovalStep   = append([]string{"awaiting_approval", "special_request"}, mxApprovedStages...)
)

// mxVerdict is what one condition says of a request.
type mxVerdict int

const (
	mxGrant mxVerdict = iota + 1
	mxDeny
	// mxRefused: allowed, but refused for the object's state (a closed task: 409 stale_task).
	mxRefused
)

// mxTarget is one object a route acts on: the values of its path parameters, and the
// fixture's objects they name.
type mxTarget struct {
	name    string
	params  map[string]string
	query   string // for lists: filters that must not widen what the actor sees
	project string
	doc     string
	task    string
	payment string
	notice  string
}

// cond evaluates one condition of a row of role for u on tg.
func (f *mxFixture) cond(c, role string, u seed.DemoUser, tg mxTarget) mxVerdict {
	v := func(ok bool) mxVerdict {
		if ok {
			return mxGrant
		}
		return mxDeny
	}
	p := tg.project
	t := f.tasks[tg.task]
	switch {
	case c == "any":
		return mxGrant
	case c == "own":
		return v(tg.notice == "" || (tg.notice == f.nA && u.Username == "alice"))
	case c == "own_unit":
		return v(p != "" && f.unit[p] == u.OrgID)
	case c == "reached_decision":
		return v(slices.Contains(f.reached[p], [2]string{role, u.OrgID}))
	case c == "approved":
		return v(slices.Contains(mxApprovedStages, f.stage[p]))
	case c == "uses_crypto_from_approval":
		return v(f.crypto[p] && slices.Contains(mxApprovalStep, f.stage[p]))
	case c == "panel_open":
		return v(f.panelOpen[p] && f.panel[p][u.Username] && f.unit[p] != u.OrgID)
	case c == "co_organised_open":
		return v(f.panelOpen[p] && slices.Contains(f.coOrgs[p], u.OrgID))
	case c == "cc":
		return v(p != "" && f.cc[p][u.Username])
	case c == "at_convene":
		return v(f.docBefore[tg.doc])
	case strings.HasPrefix(c, "kind:"):
		return v(slices.Contains(strings.Split(strings.TrimPrefix(c, "kind:"), ","), f.docKind[tg.doc]))
	case c == "candidate":
		return v(t != nil && f.candidate(u, t) && (t.assignee == "" || !t.open))
	case c == "deputy":
		return v(false) // the fixture records no absence: TestE2E_Deputy plays one
	case c == "assignee":

		return v(t != nil && t.assignee == mxUserID(u.Username))
	case c == "decider":
		return v(t != nil && t.decider == mxUserID(u.Username))
	case c == "may_act":
		if t == nil {
			return mxDeny
		}
		if !t.open {
			return mxRefused
		}
		return v((t.assignee == "" || t.assignee == mxUserID(u.Username)) && f.candidate(u, t) &&
			!slices.Contains(t.submittedBy, mxUserID(u.Username)))
	case c == "open_task":
		if t == nil {
			return mxDeny
		}
		return map[bool]mxVerdict{true: mxGrant, false: mxRefused}[t.open]
	case c == "whole", c == "compiled", c == "inbox", c == "no_conflicting_roles":
		return mxGrant // what they show is checked on the answer (mxRoute.check)
	case c == "task_project_readable":
		if t == nil {
			return mxDeny
		}
		if t.project == "" { // a bundle's approval: for those who read every project
			return v(slices.ContainsFunc(f.rows, func(r mxRow) bool {
				return r.object == "project" && r.action == "read" && slices.Equal(r.conds, []string{"any"}) && mxHas(u, r.role)
			}))
		}
		if t.role == domain.RoleExpert && f.grant(u, "project", "read_review_details", mxProject(t.project)) != mxGrant {
			return mxDeny // who sits on a panel
		}
		return v(f.grant(u, "project", "read", mxProject(t.project)) == mxGrant)
	case c == "project_readable":
		return v(f.grant(u, "project", "read", tg) == mxGrant)
	case c == "not_recorder":
		return v(tg.payment != f.payF || f.payRecorder != mxUserID(u.Username))
	}
	panic("docs/AUTHZ.md: the matrix does not know condition " + c)
}

// candidate: the task is offered to one of u's roles (and org), and u is not recused (R4).
func (f *mxFixture) candidate(u seed.DemoUser, t *mxTask) bool {
	recused := t.role == domain.RoleExpert && t.project != "" && f.unit[t.project] == u.OrgID
	return mxHas(u, t.role) && (t.org == "" || t.org == u.OrgID) && !recused
}

// grant is what docs/AUTHZ.md's table says of u doing action on object tg: the best verdict of
// the rows of u's roles (every condition of a row must hold).
func (f *mxFixture) grant(u seed.DemoUser, object, action string, tg mxTarget) mxVerdict {
	best := mxDeny
	for _, r := range f.rows {
		if r.object != object || r.action != action || (r.role != "*" && !mxHas(u, r.role)) {
			continue
		}
		row := mxGrant
		for _, c := range r.conds {
			switch f.cond(c, r.role, u, tg) {
			case mxDeny:
				row = mxDeny
			case mxRefused:
				if row == mxGrant {
					row = mxRefused
				}
			}
			if row == mxDeny {
				break
			}
		}
		if row == mxGrant || (row == mxRefused && best == mxDeny) {
			best = row
		}
	}
	return best
}

// admitted reports whether a role of u (or "*") has a row for object and action: the
// function-level rule the route table must implement.
func (f *mxFixture) admitted(u seed.DemoUser, object, action string) bool {
	for _, r := range f.rows {
		if r.object == object && r.action == action && (r.role == "*" || mxHas(u, r.role)) {
			return true
		}
	}
	return false
}

// tableRoles lists the roles docs/AUTHZ.md admits to object and action (nil: every signed-in
// user).
func tableRoles(rows []mxRow, object, action string) []string {
	var out []string
	for _, r := range rows {
		if r.object == object && r.action == action {
			if r.role == "*" {
				return nil
			}
			if !slices.Contains(out, r.role) {
				out = append(out, r.role)
			}
		}
	}
	return out
}

// visibleObject is the object whose read decides 404 against 403 for a refused act.
func visibleObject(object string, tg mxTarget) (string, string) {
	switch {
	case tg.task != "":
		return "task", "read"
	case tg.doc != "":
		return "document", "read"
	case tg.payment != "" || object == "payment" && tg.project == "":
		return "project", "read"
	case tg.project != "":
		return "project", "read"
	}
	return object, "read"
}

// expect is the answer u must get from rt on tg.
func (f *mxFixture) expect(rt mxRoute, u seed.DemoUser, tg mxTarget) mxClass {
	if !f.admitted(u, rt.object, rt.action) {
		return mxForbidden
	}
	if rt.missing != nil && rt.missing(f, tg) {
		return mxNotFound
	}
	ok := rt.ok
	if ok == 0 {
		ok = mxOK
	}
	if tg.project == "" && tg.doc == "" && tg.task == "" && tg.payment == "" && tg.notice == "" {
		return ok // a list, or an object of the route's own: what it shows is rt.check's
	}
	obj, act := visibleObject(rt.object, tg)
	readable := f.grant(u, obj, act, tg) != mxDeny
	switch f.grant(u, rt.object, rt.action, tg) {
	case mxGrant:
		return ok
	case mxRefused:
		if readable {
			return mxAllowed
		}
		return mxNotFound
	}
	if readable {
		return mxForbidden
	}
	return mxNotFound
}

// mxRoute is what a route does, in docs/AUTHZ.md's terms, and how the matrix tries it.
type mxRoute struct {
	public bool
	// object and action: the table's rows for them decide who may (empty for public routes).
	object, action string
	// targets lists the objects to try (nil: the route has none).
	targets func(f *mxFixture) []mxTarget
	// body is sent as JSON; bodies of state-changing requests are refused after authorization.
	body string
	// fresh: sign in anew for this request (logout revokes the token it is sent with).
	fresh bool
	// ok is the answer when the table grants (0: mxOK); mxAllowed where the body is refused
	// after authorization.
	ok mxClass
	// missing reports a target that is not there (404 for whoever passes the route).
	missing func(f *mxFixture, tg mxTarget) bool
	// check inspects a 2xx answer: what a list or a detail shows u must be what u may see.
	check func(t *testing.T, f *mxFixture, u seed.DemoUser, tg mxTarget, r resp)
}

func mxProject(p string) mxTarget {
	return mxTarget{name: p, params: map[string]string{"id": p}, project: p}
}

// mxProjects is every project of the fixture.
func mxProjects(f *mxFixture) []mxTarget {
	out := make([]mxTarget, 0, len(f.projects))
	for _, p := range f.projects {
		out = append(out, mxProject(p))
	}
	return out
}

// mxProjectsExcept is mxProjects without stages in which a bodiless request of the owner would
// go through (construction complete of the project in construction).
func mxProjectsExcept(stages ...string) func(f *mxFixture) []mxTarget {
	return func(f *mxFixture) []mxTarget {
		return slices.DeleteFunc(mxProjects(f), func(tg mxTarget) bool { return slices.Contains(stages, f.stage[tg.project]) })
	}
}

// mxUsers is the user 用户管理 acts on in the matrix (a demo user's id; the body is refused
// after authorization, so nobody changes).
func mxUsers(*mxFixture) []mxTarget {
	return []mxTarget{{name: "bob", params: map[string]string{"id": "u-bob"}}}
}

func mxDocs(f *mxFixture) []mxTarget {
	var out []mxTarget
	for _, d := range f.docs {
		p := f.docProj[d]
		out = append(out, mxTarget{name: f.stage[p] + "/" + f.docKind[d], params: map[string]string{"id": p, "doc_id": d}, project: p, doc: d})
	}
	// A document asked for under another project: not there, whoever asks.
	d := f.docs[0]
	out = append(out, mxTarget{name: "doc-under-another-project", params: map[string]string{"id": f.pA, "doc_id": d}, project: f.pA, doc: d})
	return out
}

func mxTasks(f *mxFixture) []mxTarget {
	var out []mxTarget
	for _, id := range []string{f.tA, f.tC, f.tX, f.tE2, f.tB, f.tAppr, f.tSpec, f.tCheck, f.tSign, f.tWit} {
		out = append(out, mxTarget{name: id, params: map[string]string{"id": id}, task: id})
	}
	return out
}

// mxHeldTasks are the tasks whose claim changes nothing: assigned or closed ones (claiming an
// offered task would take it).
func mxHeldTasks(f *mxFixture) []mxTarget {
	return slices.DeleteFunc(mxTasks(f), func(tg mxTarget) bool {
		t := f.tasks[tg.task]
		return t.open && t.assignee == ""
	})
}

func mxPlanYear(f *mxFixture) []mxTarget {
	return []mxTarget{{name: "plan", params: map[string]string{"year": fmt.Sprint(f.year)}}}
}

// mxListed extracts field of each item of a list answer.
func mxListed(r resp, field string) []string {
	items, _ := r.Body["items"].([]any)
	var out []string
	for _, it := range items {
		if m, ok := it.(map[string]any); ok {
			v, _ := m[field].(string)
			out = append(out, v)
		}
	}
	return out
}

// mxDocsOf lists the fixture's documents of p that u may read.
func (f *mxFixture) mxDocsOf(u seed.DemoUser, p string) []string {
	var out []string
	for _, d := range f.docs {
		if f.docProj[d] == p && f.grant(u, "document", "read", mxTarget{project: p, doc: d}) == mxGrant {
			out = append(out, d)
		}
	}
	return out
}

// checkProjectList: a list shows only projects u may read; unfiltered, all of them.
func checkProjectList(t *testing.T, f *mxFixture, u seed.DemoUser, tg mxTarget, r resp) {
	got := mxListed(r, "id")
	for _, p := range f.projects {
		may := f.grant(u, "project", "read", mxProject(p)) == mxGrant
		if !may {
			require.NotContains(t, got, p, "GET /api/v1/projects%s lists %s (%s) to %s", tg.query, p, f.stage[p], u.Username)
		} else if tg.query == "" {
			require.Contains(t, got, p, "GET /api/v1/projects does not list %s (%s) to %s, who may read it", p, f.stage[p], u.Username)
		}
	}
}

// checkPaymentsListed: a payments list shows the payment only to those who read pLarge's
// payments, and to them unfiltered (listed: the payments' project ids or payment ids).
func checkPaymentsListed(t *testing.T, f *mxFixture, u seed.DemoUser, tg mxTarget, listed []string) {
	may := f.grant(u, "payment", "read", mxProject(f.pLarge)) == mxGrant
	shown := slices.Contains(listed, f.payF) || slices.Contains(listed, f.pLarge)
	if !may {
		require.False(t, shown, "%s%s shows %s's payment to %s", "payments", tg.query, f.pLarge, u.Username)
		require.Empty(t, listed, "%s is shown payments", u.Username)
	} else if tg.query == "" || tg.query == "?status=recorded" || tg.query == "?format=csv" {
		require.True(t, shown, "the payment of %s is not listed to %s", f.pLarge, u.Username)
	}
}

// checkProjectDetail: the documents shown are those u may read; the panel's members and scores
// only to those who may read the review's details.
func checkProjectDetail(t *testing.T, f *mxFixture, u seed.DemoUser, tg mxTarget, r resp) {
	require.ElementsMatch(t, f.mxDocsOf(u, tg.project), docIDs(r), "documents of %s shown to %s", tg.project, u.Username)
	details := f.grant(u, "project", "read_review_details", tg) == mxGrant
	experts := 0
	for _, e := range r.Body["timeline"].([]any) {
		e := e.(map[string]any)
		if strings.HasPrefix(fmt.Sprint(e["actor_id"]), "u-exp") {
			experts++
		}
		if d, ok := e["detail"].(map[string]any); ok && !details {
			require.NotContains(t, d, "score", "%s is shown an expert's score on %s", u.Username, tg.project)
		}
	}
	for _, ot := range r.Body["open_tasks"].([]any) {
		ot := ot.(map[string]any)
		if ot["kind"] == "expert_review" {
			require.True(t, details, "%s is shown an expert's task on %s's panel", u.Username, tg.project)
			experts++
		}
	}
	if !details {
		require.Zero(t, experts, "%s is shown the experts of %s", u.Username, tg.project)
	} else if len(f.panel[tg.project]) > 0 {
		require.Positive(t, experts, "%s is not shown the experts of %s", u.Username, tg.project)
	}
}

// checkDashboard: the 首页's figures are what the lists behind them show u — per stage the
// projects the table lets u read, the inbox and its overdue part as GET /tasks lists them, and
// every overdue task to those who list them all.
func checkDashboard(t *testing.T, f *mxFixture, u seed.DemoUser, tg mxTarget, r resp) {
	want := map[string]float64{}
	for _, p := range f.projects {
		if f.grant(u, "project", "read", mxProject(p)) == mxGrant && (tg.query == "" || f.planYear[p] == f.year) {
			want[f.stage[p]]++
		}
	}
	got := map[string]float64{}
	for _, sc := range r.Body["stages"].([]any) {
		sc := sc.(map[string]any)
		got[sc["stage"].(string)] = sc["count"].(float64)
	}
	require.Equal(t, want, got, "dashboard stages of %s%s", u.Username, tg.query)
	require.Equal(t, f.admitted(u, "project", "read"), r.Body["reads_projects"], "reads_projects of %s", u.Username)
	checkTaskCounts(t, f, u, tg, r)
}

// checkMenuCounts: GET /me/counts gives u the bell's unread count and the dashboard's task
// figures, each as the route behind it gives it.
func checkMenuCounts(t *testing.T, f *mxFixture, u seed.DemoUser, tg mxTarget, r resp) {
	l := f.stack.on(t).do(u.Username, http.MethodGet, "/api/v1/notifications/unread-count", nil, nil)
	require.Equal(t, http.StatusOK, l.Status, "%s", l.Raw)
	require.Equal(t, l.Body["unread"], r.Body["unread"], "unread of %s", u.Username)
	checkTaskCounts(t, f, u, tg, r)
}

// checkTaskCounts: the task figures of the 首页 and of the menu (GET /me/counts) are what the
// lists behind them show u: the inbox and its overdue part as GET /tasks lists them, and every
// overdue task to those who list them all.
func checkTaskCounts(t *testing.T, f *mxFixture, u seed.DemoUser, _ mxTarget, r resp) {
	tasks, hasTasks := r.Body["tasks"].(map[string]any)
	require.Equal(t, f.admitted(u, "task", "list"), hasTasks, "dashboard tasks of %s", u.Username)
	if hasTasks {
		s := f.stack.on(t)
		for q, key := range map[string]string{"": "open", "&overdue=true": "overdue"} {
			l := s.do(u.Username, http.MethodGet, "/api/v1/tasks?limit=100"+q, nil, nil)
			require.Equal(t, http.StatusOK, l.Status, "%s", l.Raw)
			require.Equal(t, float64(len(mxItemIDs(l))), tasks[key], "dashboard tasks.%s of %s", key, u.Username)
		}
		all, ok := tasks["all_overdue"]
		require.Equal(t, f.admitted(u, "task", "list_overdue"), ok, "dashboard all_overdue of %s", u.Username)
		if ok {
			require.Equal(t, float64(len(f.overdue)), all)
		}
		_, held := tasks["held_by_disabled"]
		require.Equal(t, ok, held, "dashboard held_by_disabled of %s goes with all_overdue", u.Username)
		_, oversight := tasks["oversight"]
		require.Equal(t, ok, oversight, "dashboard oversight of %s goes with all_overdue", u.Username)
	}
}

// mxRoutes says what each route of routeTable does ("METHOD path").
var mxRoutes = map[string]mxRoute{
	"GET /healthz":             {public: true},
	"GET /readyz":              {public: true},
	"GET /api/v1/openapi.yaml": {public: true},

	"POST /api/v1/auth/login":  {public: true, body: `{}`, ok: mxAllowed},
	"POST /api/v1/auth/logout": {object: "session", action: "read", fresh: true},
	"GET /api/v1/me":           {object: "session", action: "read"},
	// 邮件接收方式: the caller's own; an unknown field is 400 once authorized, so nobody's changes.
	"GET /api/v1/me/mail-settings": {object: "session", action: "read"},
	"PUT /api/v1/me/mail-settings": {object: "session", action: "read", body: `{"bogus":1}`, ok: mxAllowed},
	// The demo users have no address: 409 no_email, nothing written.
	"POST /api/v1/me/mail-settings/test": {object: "session", action: "read", ok: mxAllowed},
	// Nobody has an address pending: 409 no_pending_email, nothing written.
	"POST /api/v1/me/mail-settings/confirm": {object: "session", action: "read", body: `{"code":"123456"}`, ok: mxAllowed},
	"POST /api/v1/me/mail-settings/resend":  {object: "session", action: "read", ok: mxAllowed},
	"GET /api/v1/users":                     {object: "user", action: "read"},
	"POST /api/v1/users":                    {object: "user", action: "create", body: `{"username":"x","bogus":1}`, ok: mxAllowed},
	// 用户管理: an unknown field is 400 once authorized, so that no demo user changes.
	"PATCH /api/v1/users/:id":               {object: "user", action: "update", targets: mxUsers, body: `{"bogus":1}`, ok: mxAllowed},
	"POST /api/v1/users/:id/reset-password": {object: "user", action: "reset_password", targets: mxUsers, body: `{"bogus":1}`, ok: mxAllowed},
	"POST /api/v1/users/:id/unlock":         {object: "user", action: "unlock", targets: mxUsers, body: `{"bogus":1}`, ok: mxAllowed},
	"GET /api/v1/orgs":                      {object: "org", action: "list"},
	"POST /api/v1/orgs":                     {object: "org", action: "create", body: `{"id":"x","bogus":1}`, ok: mxAllowed},

	// Refresh revokes the token it is sent with: a fresh one each time.
	"POST /api/v1/auth/refresh": {object: "session", action: "read", fresh: true},
	// Each user changes their own password; a wrong current one is refused after authorization
	// (400), so nothing changes.
	"POST /api/v1/auth/password": {object: "session", action: "read", body: `{"current_password":"x","new_password":"y"}`, ok: mxAllowed},
	// R2's deadline is no secret: every signed-in user reads it, as their own session.
	"GET /api/v1/submission-window": {object: "session", action: "read"},
	// The 首页's figures count what the lists behind them show the caller.
	"GET /api/v1/dashboard": {object: "dashboard", action: "read", targets: func(f *mxFixture) []mxTarget {
		return []mxTarget{{name: "all"}, {name: "year", query: fmt.Sprintf("?plan_year=%d", f.year)}}
	}, check: checkDashboard},
	// The menu's figures (待办, 逾期督办) count the same lists.
	"GET /api/v1/me/counts": {object: "session", action: "read", check: checkMenuCounts},

	"POST /api/v1/projects": {object: "project", action: "create", body: `{"name":"x","unit_id":"unit-b"}`, ok: mxAllowed},
	"GET /api/v1/projects": {object: "project", action: "read", targets: func(f *mxFixture) []mxTarget {
		return []mxTarget{{name: "all"}, {name: "unit-a", query: "?unit_id=unit-a"}, {name: "unit-b", query: "?unit_id=unit-b"},
			{name: "q", query: "?q=%E7%9F%A9%E9%98%B5%E6%B5%8B%E8%AF%95"}, {name: "year", query: fmt.Sprintf("?plan_year=%d", f.year)},
			{name: "stage", query: "?stage=prelim_review"}}
	}, missing: nil, check: checkProjectList},
	"GET /api/v1/projects/:id": {object: "project", action: "read", targets: mxProjects, check: checkProjectDetail},
	// A valid body that the parent rule (R1) refuses for a draft; 409 past it.
	"PATCH /api/v1/projects/:id": {object: "project", action: "write", targets: mxProjects, body: `{"type":"design"}`, ok: mxAllowed},
	// 409 already submitted; 422 deadline_passed for the past-year draft.
	"POST /api/v1/projects/:id/submit": {object: "project", action: "write", targets: mxProjects, ok: mxAllowed},
	// An unknown field: 400 once authorized, so that no fixture project is withdrawn.
	"POST /api/v1/projects/:id/withdraw": {object: "project", action: "write", targets: mxProjects, body: `{"x":1}`, ok: mxAllowed},
	// 项目变更: `{}` is refused after authorization (400 invalid_input), so nothing is filed.
	"POST /api/v1/projects/:id/changes": {object: "project", action: "write", targets: mxProjects, body: `{}`, ok: mxAllowed},
	// A change request's history is read like its project (issue 19 item 10); the fixture has none.
	"GET /api/v1/projects/:id/changes": {object: "project", action: "read", targets: mxProjects,
		check: func(t *testing.T, _ *mxFixture, _ seed.DemoUser, _ mxTarget, r resp) {
			require.Empty(t, mxItemIDs(r))
		}},
	// 终止 and 系统下线 (issue 19 item 4): an unknown field is 400 once authorized, so that no
	// fixture project closes.
	"POST /api/v1/projects/:id/terminate": {object: "project", action: "terminate", targets: mxProjects, body: `{"x":1}`, ok: mxAllowed},
	"POST /api/v1/projects/:id/retire":    {object: "project", action: "retire", targets: mxProjects, body: `{"x":1}`, ok: mxAllowed},
	// 终止申请 by the project's own unit (its write): an unknown field is 400 once authorized.
	"POST /api/v1/projects/:id/termination-request": {object: "project", action: "write", targets: mxProjects, body: `{"x":1}`,
		ok: mxAllowed},
	// 延期申请 by the project's own unit (its write): an unknown field is 400 once authorized.
	"POST /api/v1/projects/:id/deadline-extension": {object: "project", action: "write", targets: mxProjects, body: `{"x":1}`,
		ok: mxAllowed},
	// Not multipart: 400 once authorized.
	"POST /api/v1/projects/:id/documents": {object: "project", action: "write", targets: mxProjects, body: `{}`, ok: mxAllowed},
	"GET /api/v1/projects/:id/documents": {object: "project", action: "read", targets: mxProjects,
		check: func(t *testing.T, f *mxFixture, u seed.DemoUser, tg mxTarget, r resp) {
			require.ElementsMatch(t, f.mxDocsOf(u, tg.project), mxItemIDs(r), "documents of %s listed to %s", tg.project, u.Username)
		}},
	"GET /api/v1/projects/:id/documents/:doc_id": {object: "document", action: "read", targets: mxDocs,
		missing: func(f *mxFixture, tg mxTarget) bool { return f.docProj[tg.doc] != tg.project }},
	"GET /api/v1/projects/:id/similar": {object: "project", action: "read", targets: mxProjects,
		check: func(t *testing.T, f *mxFixture, u seed.DemoUser, tg mxTarget, r resp) {
			for _, p := range mxListed(r, "project_id") {
				require.Equal(t, mxGrant, f.grant(u, "project", "read", mxProject(p)),
					"%s is shown %s (%s) as similar to %s", u.Username, p, f.stage[p], tg.project)
			}
		}},

	// R15: `{}` is refused after authorization (400 invalid_input), so nothing is recorded.
	"POST /api/v1/projects/:id/payments": {object: "payment", action: "record", targets: mxProjects, body: `{}`, ok: mxAllowed},
	// The unknown decision is refused after authorization (400), so nothing is decided.
	"POST /api/v1/payments/:id/confirm": {object: "payment", action: "confirm", body: `{"decision":"bogus"}`, ok: mxAllowed,
		targets: func(f *mxFixture) []mxTarget {
			return []mxTarget{{name: "recorded", params: map[string]string{"id": f.payF}, payment: f.payF, project: f.pLarge},
				{name: "absent", params: map[string]string{"id": "pay-absent"}, payment: "pay-absent"}}
		},
		missing: func(f *mxFixture, tg mxTarget) bool { return tg.payment != f.payF }},
	"GET /api/v1/funds": {object: "funds", action: "read", targets: func(f *mxFixture) []mxTarget {
		return []mxTarget{{name: "all"}, {name: "year", query: fmt.Sprintf("?year=%d", f.year)}, {name: "unit-a", query: "?unit_id=unit-a"}}
	}},
	"GET /api/v1/funds/summary": {object: "funds", action: "read", targets: func(f *mxFixture) []mxTarget {
		return []mxTarget{{name: "all"}, {name: "year", query: fmt.Sprintf("?year=%d", f.year)}, {name: "unit-a", query: "?unit_id=unit-a"}}
	}},
	// R9: the registered contract, read like the contract document; 404 where none is registered.
	"GET /api/v1/projects/:id/contract": {object: "contract", action: "read", targets: mxProjects,
		missing: func(f *mxFixture, tg mxTarget) bool { return tg.project != f.pLarge && tg.project != f.pAcc },
		check: func(t *testing.T, f *mxFixture, u seed.DemoUser, tg mxTarget, r resp) {
			require.Equal(t, tg.project, r.str("project_id"))
			require.Contains(t, r.Body["data_lists"], "negative")
		}},
	// R15: a project's payments and what may still be recorded.
	"GET /api/v1/projects/:id/payments": {object: "payment", action: "read", targets: mxProjects,
		check: func(t *testing.T, f *mxFixture, u seed.DemoUser, tg mxTarget, r resp) {
			if tg.project == f.pLarge {
				require.Equal(t, []string{f.payF}, mxItemIDs(r))
			} else {
				require.Empty(t, mxItemIDs(r))
			}
		}},
	"GET /api/v1/projects/:id/delivery": {object: "project", action: "read", targets: mxProjects},
	"GET /api/v1/payments": {object: "payment", action: "read", targets: func(f *mxFixture) []mxTarget {
		return []mxTarget{{name: "all"}, {name: "recorded", query: "?status=recorded"}, {name: "unit-a", query: "?unit_id=unit-a"}}
	}, check: func(t *testing.T, f *mxFixture, u seed.DemoUser, tg mxTarget, r resp) {
		checkPaymentsListed(t, f, u, tg, mxItemIDs(r))
	}},
	"GET /api/v1/om-filings": {object: "om_filing", action: "read", targets: func(f *mxFixture) []mxTarget {
		return []mxTarget{{name: "all"}, {name: "due", query: "?status=due"}, {name: "overdue", query: "?status=overdue"}}
	}, check: func(t *testing.T, f *mxFixture, u seed.DemoUser, tg mxTarget, r resp) {
		for _, p := range mxListed(r, "project_id") {
			require.Equal(t, mxGrant, f.grant(u, "om_filing", "read", mxProject(p)), "%s is shown the O&M filings of %s", u.Username, p)
		}
	}},
	// Exports, read like the lists they come from.
	"GET /api/v1/exports/registry": {object: "project", action: "read", targets: func(f *mxFixture) []mxTarget {
		return []mxTarget{{name: "all"}, {name: "unit-b", query: "?unit_id=unit-b"}, {name: "csv", query: "?format=csv"}}
	}, check: func(t *testing.T, f *mxFixture, u seed.DemoUser, tg mxTarget, r resp) {
		got := exportedColumn(t, r.Raw, strings.Contains(tg.query, "csv"), 1)
		for _, p := range f.projects {
			may := f.grant(u, "project", "read", mxProject(p)) == mxGrant
			if !may {
				require.NotContains(t, got, p, "the registry%s lists %s (%s) to %s", tg.query, p, f.stage[p], u.Username)
			} else if tg.query != "?unit_id=unit-b" {
				require.Contains(t, got, p, "the registry does not list %s (%s) to %s, who may read it", p, f.stage[p], u.Username)
			}
		}
	}},
	"GET /api/v1/exports/plan-table": {object: "plan", action: "read", targets: func(f *mxFixture) []mxTarget {
		return []mxTarget{{name: "plan", query: fmt.Sprintf("?year=%d", f.year)}}
	}, check: func(t *testing.T, f *mxFixture, u seed.DemoUser, tg mxTarget, r resp) {
		// The compiled plan: its three included items and the 合计 row.
		require.Len(t, exportedColumn(t, r.Raw, false, 1), 4)
	}},
	"GET /api/v1/exports/payments": {object: "payment", action: "read", targets: func(f *mxFixture) []mxTarget {
		return []mxTarget{{name: "all"}, {name: "csv", query: "?format=csv"}}
	}, check: func(t *testing.T, f *mxFixture, u seed.DemoUser, tg mxTarget, r resp) {
		ids := exportedColumn(t, r.Raw, strings.Contains(tg.query, "csv"), 1)
		checkPaymentsListed(t, f, u, tg, slices.DeleteFunc(ids, func(s string) bool { return s == "" }))
	}},
	"GET /api/v1/exports/audit-log": {object: "audit_log", action: "read"},

	// Delivery (R9–R13): bodies refused after authorization (bad data lists, wrong stage, not
	// multipart, unknown document), so nothing changes.
	"POST /api/v1/projects/:id/contract": {object: "project", action: "write", targets: mxProjects, ok: mxAllowed,
		body: `{"vendor":"v","amount_fen":1,"signed_on":"2026-01-01","procurement_ref":"r","data_lists":{}}`},
	"POST /api/v1/projects/:id/construction-complete": {object: "project", action: "write", targets: mxProjectsExcept("construction"), ok: mxAllowed},
	"POST /api/v1/projects/:id/trial-run-report":      {object: "project", action: "write", targets: mxProjects, body: `{}`, ok: mxAllowed},
	"POST /api/v1/projects/:id/acceptance-application": {object: "project", action: "write",
		targets: mxProjectsExcept("trial_run", "rectification"), ok: mxAllowed},
	"POST /api/v1/projects/:id/om-reports": {object: "project", action: "write", targets: mxProjects,
		body: `{"year":1,"document_id":"d-none"}`, ok: mxAllowed},

	"GET /api/v1/tasks": {object: "task", action: "list", targets: func(f *mxFixture) []mxTarget {
		out := []mxTarget{{name: "open"}, {name: "done", query: "?status=done"}}
		for _, p := range []string{f.pA, f.pX, f.pC, f.pAcc} {
			out = append(out, mxTarget{name: p, query: "?project_id=" + p})
		}
		return out
	}, check: func(t *testing.T, f *mxFixture, u seed.DemoUser, tg mxTarget, r resp) {
		got := mxItemIDs(r)
		for _, tgt := range mxTasks(f) {
			task := f.tasks[tgt.task]
			if f.grant(u, "task", "read", tgt) != mxGrant {
				require.NotContains(t, got, tgt.task, "GET /api/v1/tasks%s lists %s to %s", tg.query, tgt.task, u.Username)
			}
			// Audit reads every task: the open ones unfiltered, the closed ones with status=done.
			if mxHas(u, domain.RoleAudit) && ((tg.query == "" && task.open) || (tg.query == "?status=done" && !task.open)) {
				require.Contains(t, got, tgt.task, "audit is not shown %s", tgt.task)
			}
		}
	}},
	"GET /api/v1/tasks/overdue": {object: "task", action: "list_overdue",
		check: func(t *testing.T, f *mxFixture, u seed.DemoUser, tg mxTarget, r resp) {
			overdue := mxListed(r, "id")
			require.ElementsMatch(t, f.overdue, overdue, "GET /api/v1/tasks/overdue as %s", u.Username)
		}},
	"GET /api/v1/tasks/:id": {object: "task", action: "read", targets: mxTasks},
	// The checklist of a task is read as the task is.
	"GET /api/v1/tasks/:id/checklist": {object: "task", action: "read", targets: mxTasks},
	// Claiming an assigned task again is a no-op for its assignee (200).
	"POST /api/v1/tasks/:id/claim": {object: "task", action: "act", targets: mxHeldTasks},
	// "return" without a comment passes the gateway's decoding and is refused by the
	// workflow's Update validator for every task kind here (400), so no decision is made.
	"POST /api/v1/tasks/:id/decision": {object: "task", action: "act", targets: mxTasks, body: `{"decision":"return"}`, ok: mxAllowed},
	// Without an Idempotency-Key a bulk decision is refused after authorization (400), so
	// nothing is decided; each of its items is the decision route's (issue 19 item 7).
	"POST /api/v1/tasks/bulk-decision": {object: "task", action: "act", body: `{"bogus":1}`, ok: mxAllowed},
	// Without an Idempotency-Key a bulk 转办 is refused after authorization (400), so nothing
	// is moved; each of its items is the reassign route's.
	"POST /api/v1/tasks/bulk-reassign": {object: "task", action: "reassign", body: `{"bogus":1}`, ok: mxAllowed},
	// An unknown field is refused once the caller is known to see the task (400), so nobody
	// is urged (issue 19 item 6).
	"POST /api/v1/tasks/:id/urge": {object: "task", action: "urge", targets: mxTasks, body: `{"bogus":1}`, ok: mxAllowed},
	// An assignee who does not exist: 422 assignee_not_eligible once authorized.
	"POST /api/v1/tasks/:id/reassign": {object: "task", action: "reassign", targets: mxTasks,
		body: `{"assignee_id":"u-nobody","reason":"矩阵测试"}`, ok: mxAllowed},
	// 委派 to someone who does not exist: 422 assignee_not_eligible once authorized.
	"POST /api/v1/tasks/:id/delegate": {object: "task", action: "delegate", targets: mxTasks,
		body: `{"assignee_id":"u-nobody","reason":"矩阵测试"}`, ok: mxAllowed},
	// 代理 by the deputy of an absent assignee: the fixture records no absence, so nobody.
	"POST /api/v1/tasks/:id/deputize": {object: "task", action: "deputize", targets: mxTasks, body: `{"bogus":1}`, ok: mxAllowed},
	// 代理人 (issue 19 item 6): one's own absences; an unknown field is 400 once authorized,
	// an absence that does not exist 404.
	"GET /api/v1/absences":          {object: "absence", action: "read"},
	"GET /api/v1/absences/deputies": {object: "absence", action: "read"},
	"POST /api/v1/absences":         {object: "absence", action: "create", body: `{"bogus":1}`, ok: mxAllowed},
	"POST /api/v1/absences/:id/end": {object: "absence", action: "end", targets: func(*mxFixture) []mxTarget {
		return []mxTarget{{name: "ab-none", params: map[string]string{"id": "ab-none"}}}
	}, missing: func(*mxFixture, mxTarget) bool { return true }},
	// 撤回决定 with an unknown field: 400 once the caller is known to be the decider, so no
	// decision is withdrawn (issue 19 item 2).
	"POST /api/v1/tasks/:id/withdraw-decision": {object: "task", action: "withdraw_decision", targets: mxTasks,
		body: `{"bogus":1}`, ok: mxAllowed},

	"GET /api/v1/plans/:year": {object: "plan", action: "read", targets: mxPlanYear,
		check: func(t *testing.T, f *mxFixture, u seed.DemoUser, tg mxTarget, r resp) {
			got := mxListed(r, "project_id")
			require.Contains(t, got, f.pLarge)
			whole := slices.ContainsFunc(f.rows, func(row mxRow) bool {
				return row.object == "plan" && row.action == "read" && mxHas(u, row.role) && slices.Contains(row.conds, "whole")
			})
			if whole {
				require.Contains(t, got, f.pP, "%s is not shown the project left out", u.Username)
			} else {
				require.NotContains(t, got, f.pP, "%s is shown the project left out of the plan", u.Username)
			}
		}},
	"POST /api/v1/plans/:year/expert-sessions":   {object: "plan", action: "manage", targets: mxPlanYear, body: `{"bogus":1}`, ok: mxAllowed},
	"POST /api/v1/plans/:year/expert-draws":      {object: "plan", action: "manage", targets: mxPlanYear, body: `{"bogus":1}`, ok: mxAllowed},
	"POST /api/v1/plans/:year/compile":           {object: "plan", action: "manage", targets: mxPlanYear, body: `{"bogus":1}`, ok: mxAllowed},
	"POST /api/v1/plans/:year/bundles":           {object: "plan", action: "manage", targets: mxPlanYear, body: `{"bogus":1}`, ok: mxAllowed},
	"POST /api/v1/plans/:year/adjustments":       {object: "plan", action: "manage", targets: mxPlanYear, body: `{"bogus":1}`, ok: mxAllowed},
	"GET /api/v1/plans/:year/compile-candidates": {object: "plan", action: "manage", targets: mxPlanYear},
	"GET /api/v1/plans/:year/bundle-candidates":  {object: "plan", action: "manage", targets: mxPlanYear},
	"GET /api/v1/plans/:year/panel":              {object: "plan", action: "manage", targets: mxPlanYear},
	// A read that takes a body: the compile's body, refused after authorization (400).
	"POST /api/v1/plans/:year/compile-preview": {object: "plan", action: "manage", targets: mxPlanYear, body: `{"bogus":1}`, ok: mxAllowed},

	"GET /api/v1/notifications": {object: "notification", action: "read",
		check: func(t *testing.T, f *mxFixture, u seed.DemoUser, tg mxTarget, r resp) {
			if u.Username != "alice" {
				require.NotContains(t, mxItemIDs(r), f.nA)
			}
		}},
	"GET /api/v1/notifications/unread-count": {object: "notification", action: "read"},
	// Each user marks only their own; alice's notification is marked again by the next route (a no-op).
	"POST /api/v1/notifications/read-all": {object: "notification", action: "read"},
	"POST /api/v1/notifications/:id/read": {object: "notification", action: "read",
		targets: func(f *mxFixture) []mxTarget {
			return []mxTarget{{name: "alice's", params: map[string]string{"id": f.nA}, notice: f.nA}}
		}},

	// Ops (SPEC.md "Who uses it": ops finds stuck workflows, resets, retries, replays). The
	// bodies are refused (400) before anything reaches Temporal.
	"GET /api/v1/ops/workflows/stuck": {object: "workflow", action: "operate"},
	"GET /api/v1/ops/config":          {object: "workflow", action: "operate"},
	"POST /api/v1/ops/workflows/:workflow_id/reset": {object: "workflow", action: "operate", targets: mxWorkflow,
		body: `{"bogus":1}`, ok: mxAllowed},
	"POST /api/v1/ops/workflows/:workflow_id/activities/:activity_id/retry": {object: "workflow", action: "operate",
		targets: mxWorkflow, body: `{"bogus":1}`, ok: mxAllowed},
	"POST /api/v1/ops/replay": {object: "workflow", action: "operate", body: `{"bogus":1}`, ok: mxAllowed},
	"POST /api/v1/ops/activity-failures/:id/resolve": {object: "workflow", action: "operate", body: `{"bogus":1}`,
		targets: func(*mxFixture) []mxTarget {
			return []mxTarget{{name: "absent", params: map[string]string{"id": "af-000000000000000000000000"}}}
		},
		ok: mxAllowed},

	"GET /api/v1/audit":        {object: "audit_log", action: "read"},
	"GET /api/v1/audit/verify": {object: "audit_log", action: "read"},
}

// TestAuthzMatrix checks every route × every demo user (and no token, a forged token) × the
// fixture's objects against what docs/AUTHZ.md's table makes of them, then that the matrix
// changed nothing and the audit chain still verifies (R18).
func TestAuthzMatrix(t *testing.T) {
	t.Parallel()
	rows := mxTable(t)
	// Every route has its object and action, every entry a route, and the route table admits
	// exactly the roles the table lists for them.
	keys := map[string]bool{}
	for _, r := range routeTable {
		k := r.method + " " + r.path
		keys[k] = true
		rt, ok := mxRoutes[k]
		require.True(t, ok, "route %s has no entry in the authorization matrix (mxRoutes)", k)
		if rt.public {
			require.True(t, r.access.public, "%s: public in the matrix, not in routeTable", k)
			continue
		}
		require.False(t, r.access.public, "%s: public in routeTable", k)
		want := tableRoles(rows, rt.object, rt.action)
		require.True(t, want != nil || slices.ContainsFunc(rows, func(row mxRow) bool {
			return row.object == rt.object && row.action == rt.action
		}), "%s: docs/AUTHZ.md has no row for %s %s", k, rt.object, rt.action)
		require.ElementsMatch(t, want, r.access.roles, "%s: routeTable admits other roles than docs/AUTHZ.md's %s %s", k, rt.object, rt.action)
	}
	for k := range mxRoutes {
		require.True(t, keys[k], "matrix entry %s has no route in routeTable", k)
	}

	s := newStack(t, "test")
	f := newMxFixture(t, s)
	f.rows = rows
	for _, u := range seed.DemoUsers {
		s.token(u.Username)
	}
	before := mxState(t, s)
	start := time.Now()
	requests := 0

	for _, rt := range routeTable {
		key := rt.method + " " + rt.path
		rule := mxRoutes[key]
		t.Run(strings.ReplaceAll(key, "/", "_"), func(t *testing.T) {
			s := s.on(t)
			targets := []mxTarget{{name: "-"}}
			if rule.targets != nil {
				targets = rule.targets(f)
			}
			for _, tg := range targets {
				path := mxPath(t, rt.path, tg)
				check := func(who string, want mxClass, r resp) {
					t.Helper()
					requests++
					require.True(t, want.match(r.Status), "%s %s [%s] as %s: want %s, got %d %s",
						rt.method, path, tg.name, who, want, r.Status, r.Raw)
				}
				// No token, and a forged one.
				anon := mxUnauth
				if rule.public {
					anon = mxOK
					if rule.ok != 0 {
						anon = rule.ok
					}
				}
				check("(no token)", anon, s.raw("", rt.method, path, rule.body))
				check("(forged token)", anon, s.raw("forged."+strings.Repeat("x", 40), rt.method, path, rule.body))
				if rule.public {
					return
				}
				for _, u := range seed.DemoUsers {
					want := f.expect(rule, u, tg)
					token := s.token(u.Username)
					if rule.fresh {
						token = s.freshToken(u.Username)
					}
					r := s.raw(token, rt.method, path, rule.body)
					check(u.Username, want, r)
					if rule.fresh && want == mxOK {
						// The revoked token no longer works.
						check(u.Username+" (revoked token)", mxUnauth, s.raw(token, http.MethodGet, "/api/v1/me", ""))
					}
					if rule.check != nil && r.Status == http.StatusOK {
						rule.check(t, f, u, tg, r)
					}
				}
			}
		})
	}
	t.Logf("authorization matrix: %d routes × %d demo users (+ no token, forged token), %d requests in %s",
		len(routeTable), len(seed.DemoUsers), requests, time.Since(start).Round(time.Millisecond))

	t.Run("R18_MatrixChangedNothing", func(t *testing.T) {
		require.Equal(t, before, mxState(t, s), "the matrix's refused requests must not change state")
		v := s.on(t).do("audit1", http.MethodGet, "/api/v1/audit/verify", nil, nil)
		require.Equal(t, http.StatusOK, v.Status, "%s", v.Raw)
		require.Equal(t, true, v.Body["ok"], "%s", v.Raw)
	})
}

var mxParam = regexp.MustCompile(`:[a-z_]+`)

func mxPath(t *testing.T, pattern string, tg mxTarget) string {
	p := mxParam.ReplaceAllStringFunc(pattern, func(m string) string {
		v, ok := tg.params[m[1:]]
		require.True(t, ok, "%s: target %q has no value for %s", pattern, tg.name, m)
		return v
	})
	return p + tg.query
}

// raw sends a request with the given bearer token ("" for none).
func (s *stack) raw(token, method, path, body string) resp {
	s.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, s.http.URL+path, rd)
	require.NoError(s.t, err)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return s.send(req)
}

// on returns the stack reporting to t (a subtest).
func (s *stack) on(t *testing.T) *stack {
	c := *s
	c.t = t
	return &c
}

func (s *stack) freshToken(user string) string {
	s.t.Helper()
	r := s.do("", http.MethodPost, "/api/v1/auth/login", map[string]any{"username": user, "password": config.DefaultDemoPassword}, nil)
	require.Equal(s.t, http.StatusOK, r.Status, "login %s: %s", user, r.Raw)
	return r.str("token")
}

// mxState is what the matrix must leave unchanged.
func mxState(t *testing.T, s *stack) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for name, q := range map[string]string{
		"projects":  `SELECT id || '|' || unit_id || '|' || name || '|' || type || '|' || stage || '|' || version FROM projects ORDER BY id`,
		"tasks":     `SELECT id || '|' || status || '|' || coalesce(assignee_id, '') || '|' || coalesce(decision, '') FROM tasks ORDER BY id`,
		"documents": `SELECT id FROM documents ORDER BY id`,
		"users":     `SELECT id || '|' || org_id FROM users ORDER BY id`,
		"roles":     `SELECT user_id || '|' || role FROM user_roles ORDER BY 1`,
		"orgs":      `SELECT id FROM orgs ORDER BY id`,
		"plan":      `SELECT project_id FROM plan_items ORDER BY 1`,
		"payments":  `SELECT id || '|' || status || '|' || amount_fen FROM payments ORDER BY id`,
		"changes": `SELECT action || '|' || object_id FROM audit_log WHERE action IN ('project.create', 'project.edit',
			'project.submit_request', 'document.upload', 'user.create', 'org.create', 'task.decide', 'payment.record',
			'payment.confirm', 'payment.reject', 'contract.register', 'om.file') ORDER BY seq`,
	} {
		var rows []string
		require.NoError(t, s.store.DB().Select(&rows, q), name)
		out[name] = rows
	}
	return out
}

func mxItemIDs(r resp) []string {
	items, _ := r.Body["items"].([]any)
	var ids []string
	for _, it := range items {
		if m, ok := it.(map[string]any); ok {
			id, _ := m["id"].(string)
			ids = append(ids, id)
		}
	}
	return ids
}

// TestAuthzSubmitterCannotReadOtherUnitByGuessingIDs: a unit that learns (or guesses) another
// unit's project and document ids gets the same 404 as for ids that do not exist, on every
// project route, and its lists never show them.
func TestAuthzSubmitterCannotReadOtherUnitByGuessingIDs(t *testing.T) {
	t.Parallel()
	s := newStack(t, "2021")
	year := mxYear()
	pa := s.createProject("alice", "教育局可见性测试", year, 100_000_000)
	up := s.upload("alice", pa, "opinion", pdf)
	require.Equal(t, http.StatusCreated, up.Status, "%s", up.Raw)
	doc := up.str("id")
	pb := s.createProject("bob", "卫健委可见性测试", year, 100_000_000)
	missingP, missingD := newID("p-"), newID("d-")

	// Positive controls: the owner and DRB read them.
	for _, u := range []string{"alice", "drb1", "audit1"} {
		r := s.do(u, http.MethodGet, "/api/v1/projects/"+pa+"/documents/"+doc, nil, nil)
		require.Equal(t, http.StatusOK, r.Status, "%s: %s", u, r.Raw)
		require.Equal(t, pdf, r.Raw)
	}

	notFoundLike := func(path, missingPath string) {
		t.Helper()
		got := s.do("bob", http.MethodGet, path, nil, nil)
		ref := s.do("bob", http.MethodGet, missingPath, nil, nil)
		require.Equal(t, http.StatusNotFound, got.Status, "GET %s as bob: %s", path, got.Raw)
		require.Equal(t, http.StatusNotFound, ref.Status, "GET %s as bob: %s", missingPath, ref.Raw)
		// Same code and message as a missing id: existence cannot be probed.
		require.Equal(t, ref.code(), got.code())
		require.Equal(t, ref.str("error", "message"), got.str("error", "message"))
	}
	notFoundLike("/api/v1/projects/"+pa, "/api/v1/projects/"+missingP)
	notFoundLike("/api/v1/projects/"+pa+"/documents", "/api/v1/projects/"+missingP+"/documents")
	notFoundLike("/api/v1/projects/"+pa+"/documents/"+doc, "/api/v1/projects/"+missingP+"/documents/"+doc)
	notFoundLike("/api/v1/projects/"+pa+"/similar", "/api/v1/projects/"+missingP+"/similar")
	// The document id under bob's own project: the document is not there for him.
	notFoundLike("/api/v1/projects/"+pb+"/documents/"+doc, "/api/v1/projects/"+pb+"/documents/"+missingD)

	// Nor can bob write to it.
	before := s.do("alice", http.MethodGet, "/api/v1/projects/"+pa, nil, nil)
	r := s.do("bob", http.MethodPatch, "/api/v1/projects/"+pa, map[string]any{"name": "被篡改"}, nil)
	require.Equal(t, http.StatusNotFound, r.Status, "%s", r.Raw)
	r = s.do("bob", http.MethodPost, "/api/v1/projects/"+pa+"/submit", nil, nil)
	require.Equal(t, http.StatusNotFound, r.Status, "%s", r.Raw)
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	require.NoError(t, mw.WriteField("kind", "other"))
	fw, err := mw.CreateFormFile("file", "x.pdf")
	require.NoError(t, err)
	_, _ = fw.Write(pdf)
	require.NoError(t, mw.Close())
	req, err := http.NewRequest(http.MethodPost, s.http.URL+"/api/v1/projects/"+pa+"/documents", &buf)
	require.NoError(t, err)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+s.token("bob"))
	r = s.send(req)
	require.Equal(t, http.StatusNotFound, r.Status, "%s", r.Raw)
	after := s.do("alice", http.MethodGet, "/api/v1/projects/"+pa, nil, nil)
	require.Equal(t, before.Body, after.Body, "bob's attempts changed alice's project")

	// Lists: filters cannot widen a unit's view.
	for _, q := range []string{"", "?unit_id=unit-a", "?q=" + "教育局可见性测试", fmt.Sprintf("?plan_year=%d", year)} {
		r := s.do("bob", http.MethodGet, "/api/v1/projects"+q, nil, nil)
		require.Equal(t, http.StatusOK, r.Status, "%s", r.Raw)
		require.NotContains(t, mxItemIDs(r), pa, "GET /api/v1/projects%s as bob", q)
		items, _ := r.Body["items"].([]any)
		for _, it := range items {
			require.Equal(t, "unit-b", it.(map[string]any)["unit_id"], "GET /api/v1/projects%s as bob", q)
		}
	}
	// An expert not on a panel of the project does not see it either.
	require.Equal(t, http.StatusNotFound, s.do("exp2", http.MethodGet, "/api/v1/projects/"+pa+"/documents/"+doc, nil, nil).Status)
}

// TestAuthzR4ExpertOfOwnUnitNeverOfferedOrAllowed: exp1 belongs to unit-a. In a session over a
// unit-a and a unit-b project, exp1 gets a task for the unit-b project only; the unit-a
// project's tasks are neither listed, readable, claimable nor decidable by exp1, and its
// project stays invisible to exp1.
func TestAuthzR4ExpertOfOwnUnitNeverOfferedOrAllowed(t *testing.T) {
	t.Parallel()
	s := newStack(t, "2021")
	year := mxYear()
	pa := s.createProject("alice", "回避测试：教育局项目", year, 300_000_000)
	pb := s.createProject("bob", "回避测试：卫健委项目", year, 300_000_000)
	s.submit("alice", pa)
	s.submit("bob", pb)
	s.prelimApprove(pa)
	s.prelimApprove(pb)
	// R4: each project's effective panel is odd: exp1 (unit-a) and an expert of unit-b are
	// each recused from their own unit's project, five remain for both.
	r := s.do("admin", http.MethodPost, "/api/v1/users", map[string]any{"username": "expb", "name": "卫健专家",
		"org_id": "unit-b", "roles": []string{"expert"}, "password": "Expert-Passw0rd-2026"}, nil)
	require.Equal(t, http.StatusCreated, r.Status, "%s", r.Raw)
	experts := []string{"u-exp1", "u-exp2", "u-exp3", "u-exp4", "u-exp5", r.str("id")}
	r = s.retry409("drb1", http.MethodPost, fmt.Sprintf("/api/v1/plans/%d/expert-sessions", year),
		map[string]any{"pick_reason": "测试指定专家", "expert_ids": experts, "project_ids": []string{pa, pb}})
	require.Equal(t, http.StatusCreated, r.Status, "%s", r.Raw)
	panels, _ := r.Body["panels"].([]any)
	require.Len(t, panels, 2, "%s", r.Raw)
	for _, p := range panels {
		p := p.(map[string]any)
		if p["project_id"] == pa {
			require.NotContains(t, p["expert_ids"], "u-exp1", "exp1 on the panel of its own unit's project")
			require.Contains(t, p["recused"], "u-exp1")
		} else {
			require.Contains(t, p["expert_ids"], "u-exp1")
		}
	}

	// Positive control: exp1 is offered the other unit's project, and reads it.
	s.openTask("exp1", pb, "expert_review")
	require.Equal(t, http.StatusOK, s.do("exp1", http.MethodGet, "/api/v1/projects/"+pb, nil, nil).Status)

	// The others get theirs on pa.
	t2 := s.openTask("exp2", pa, "expert_review")
	var n int
	require.NoError(t, s.store.DB().Get(&n, `SELECT count(*) FROM tasks WHERE project_id = $1 AND kind = 'expert_review'`, pa))
	require.Equal(t, 5, n, "one task per expert of the effective panel")
	require.NoError(t, s.store.DB().Get(&n, `SELECT count(*) FROM tasks WHERE project_id = $1 AND assignee_id = 'u-exp1'`, pa))
	require.Zero(t, n, "R4: exp1 has a task on its own unit's project")

	r = s.do("exp1", http.MethodGet, "/api/v1/tasks?project_id="+pa, nil, nil)
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Raw)
	require.Empty(t, r.Body["items"], "R4: exp1 is offered a task of its own unit's project")
	r = s.do("exp1", http.MethodGet, "/api/v1/tasks", nil, nil)
	require.NotContains(t, mxItemIDs(r), t2)

	require.Equal(t, http.StatusNotFound, s.do("exp1", http.MethodGet, "/api/v1/tasks/"+t2, nil, nil).Status)
	require.Equal(t, http.StatusNotFound, s.do("exp1", http.MethodPost, "/api/v1/tasks/"+t2+"/claim", nil, nil).Status)
	d := s.decide("exp1", t2, map[string]any{"decision": "pass", "score": 95, "comment": "同意"}, nil)
	require.Contains(t, []int{http.StatusForbidden, http.StatusNotFound}, d.Status, "R4: exp1 decided a task of its own unit's project: %s", d.Raw)
	require.Equal(t, http.StatusNotFound, s.do("exp1", http.MethodGet, "/api/v1/projects/"+pa, nil, nil).Status,
		"R4: exp1 reads its own unit's project under review")

	// The task is untouched: still open, still exp2's, no decision recorded.
	got := s.do("exp2", http.MethodGet, "/api/v1/tasks/"+t2, nil, nil)
	require.Equal(t, http.StatusOK, got.Status, "%s", got.Raw)
	require.Equal(t, "open", got.str("status"))
	require.Equal(t, "u-exp2", got.str("assignee_id"))
	require.NoError(t, s.store.DB().Get(&n, `SELECT count(*) FROM audit_log WHERE action = 'task.decide' AND actor_id = 'u-exp1'`))
	require.Zero(t, n)
}

// TestAuthzPatchCannotSetStageOrUnit: a PATCH (or create) that names a property the submitter
// may not set — stage, unit_id, amounts, policy — is 400 and changes nothing, not even the
// fields sent with it; no edit is recorded (R18).
func TestAuthzPatchCannotSetStageOrUnit(t *testing.T) {
	t.Parallel()
	s := newStack(t, "2021")
	year := mxYear()
	p := s.createProject("alice", "属性级授权测试", year, 100_000_000)
	path := "/api/v1/projects/" + p
	before := s.do("alice", http.MethodGet, path, nil, nil)
	require.Equal(t, http.StatusOK, before.Status)

	for _, body := range []map[string]any{
		{"stage": "approved"},
		{"unit_id": "unit-b"},
		{"name": "改名", "stage": "approved"},
		{"description": "改", "unit_id": "unit-b"},
		{"approved_amount_fen": 1},
		{"policy_version": "2023"},
		{"special_request": true},
		{"round": 2},
		{"id": "p-other"},
	} {
		r := s.do("alice", http.MethodPatch, path, body, nil)
		require.Equal(t, http.StatusBadRequest, r.Status, "PATCH %v: %s", body, r.Raw)
	}
	after := s.do("alice", http.MethodGet, path, nil, nil)
	require.Equal(t, before.Body, after.Body, "a refused PATCH changed the project")
	var n int
	require.NoError(t, s.store.DB().Get(&n, `SELECT count(*) FROM audit_log WHERE action = 'project.edit' AND object_id = $1`, p))
	require.Zero(t, n, "R18: a refused PATCH recorded an edit")

	// Nor at creation.
	var count int
	require.NoError(t, s.store.DB().Get(&count, `SELECT count(*) FROM projects`))
	r := s.do("alice", http.MethodPost, "/api/v1/projects", map[string]any{
		"name": "越权创建", "type": "new", "plan_year": year, "estimated_investment_fen": 1,
		"mlps_level": 2, "unit_id": "unit-b", "stage": "approved"}, nil)
	require.Equal(t, http.StatusBadRequest, r.Status, "%s", r.Raw)
	require.NoError(t, s.store.DB().Get(&n, `SELECT count(*) FROM projects`))
	require.Equal(t, count, n)

	// Positive control: the same PATCH without the forbidden field is applied.
	r = s.do("alice", http.MethodPatch, path, map[string]any{"name": "改名"}, nil)
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Raw)
	require.Equal(t, "改名", r.str("name"))
	require.Equal(t, "unit-a", r.str("unit_id"))
	require.Equal(t, "draft", r.str("stage"))
}

// TestAuthzDoneInboxListsOnlyOwnDecisions: the "done" inbox (API.md: GET /api/v1/tasks
// status=done) lists the tasks the actor decided, and nobody else's.
//
// Found by this file: the query registers the org and roles parameters but the done branch does
// not use them, so PostgreSQL refuses it ("could not determine data type of parameter") and every
// status=done request answers 500 (internal/store/tasks.go, ListTasks).
func TestAuthzDoneInboxListsOnlyOwnDecisions(t *testing.T) {
	t.Parallel()
	s := newStack(t, "2021")
	p := s.createProject("alice", "已办列表测试", mxYear(), 100_000_000)
	s.submit("alice", p)
	task := s.openTask("drb1", p, "prelim_review")
	s.prelimApprove(p)
	for _, c := range []struct {
		user string
		sees bool
	}{{"drb1", true}, {"drbsup", false}, {"exp1", false}, {"ndrc1", false}} {
		r := s.do(c.user, http.MethodGet, "/api/v1/tasks?status=done", nil, nil)
		require.Equal(t, http.StatusOK, r.Status, "GET /api/v1/tasks?status=done as %s: %s", c.user, r.Raw)
		if c.sees {
			require.Contains(t, mxItemIDs(r), task, c.user)
			// 已办 says what was decided and when.
			for _, it := range r.Body["items"].([]any) {
				if it := it.(map[string]any); it["id"] == task {
					require.Equal(t, "approve", it["decision"])
					at, err := time.Parse(time.RFC3339, it["decided_at"].(string))
					require.NoError(t, err)
					require.WithinDuration(t, time.Now(), at, time.Minute)
				}
			}
		} else {
			require.NotContains(t, mxItemIDs(r), task, c.user)
		}
	}
}

// TestAuthzSimilarHidesOtherUnitsFromSubmitters: R16 shows reviewers the similar projects of
// every unit; a submitter, who "sees only its own unit's projects" (SPEC.md), must not learn
// another unit's project (id, name, stage) through GET /api/v1/projects/{id}/similar.
func TestAuthzSimilarHidesOtherUnitsFromSubmitters(t *testing.T) {
	t.Parallel()
	s := newStack(t, "2021")
	year := mxYear()
	const name = "全市统一视频会议平台"
	pb := s.createProject("bob", name, year, 100_000_000)
	s.submit("bob", pb)
	// Candidates are computed once, against projects past draft: let bob's be in review first.
	s.waitStage("bob", pb, "prelim_review")
	pa := s.createProject("alice", name, year, 100_000_000)
	s.submit("alice", pa)

	// R16 for reviewers: drb1 sees bob's project as a candidate of alice's (computed after submission).
	require.EventuallyWithT(t, func(c *assertT) {
		r := s.do("drb1", http.MethodGet, "/api/v1/projects/"+pa+"/similar", nil, nil)
		var ids []string
		items, _ := r.Body["items"].([]any)
		for _, it := range items {
			id, _ := it.(map[string]any)["project_id"].(string)
			ids = append(ids, id)
		}
		assertEqual(c, true, slices.Contains(ids, pb))
	}, 20*time.Second, 50*time.Millisecond, "R16: %s never listed as similar to %s", pb, pa)

	r := s.do("alice", http.MethodGet, "/api/v1/projects/"+pa+"/similar", nil, nil)
	if r.Status == http.StatusForbidden {
		return // reviewers only: also correct
	}
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Raw)
	items, _ := r.Body["items"].([]any)
	for _, it := range items {
		m := it.(map[string]any)
		require.Equal(t, "unit-a", m["unit_id"], "alice (unit-a) is shown another unit's project %v %v through /similar", m["project_id"], m["name"])
	}
}
