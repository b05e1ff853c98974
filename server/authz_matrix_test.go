package main

import (
	"bytes"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"egovpm/internal/config"
	"egovpm/internal/domain"
	"egovpm/internal/seed"
)

// The authorization matrix of issue 3: every route of routeTable × every demo user (plus no
// token and a forged token) × the objects the route acts on (own / other unit's project or
// document, a task offered, assigned, assigned to someone else or already decided). The
// expectations below are written from API.md and SPEC.md ("Who uses it"), not read back from
// routes.go, so a role added to or dropped from a route by mistake fails here; a route added to
// routeTable without a rule here fails too.

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

// Role sets of the specification (API.md, SPEC.md "Who uses it").
var (
	mxSubmitters = []string{domain.RoleSubmitter}
	// mxSeeAll read every unit's projects: DRB and Audit (API.md), the bureaus that co-organise
	// review or decide (SPEC.md), and admin.
	mxSeeAll = []string{domain.RoleDRBReviewer, domain.RoleDRBSupervisor, domain.RoleAudit, domain.RoleAdmin,
		domain.RoleNDRCApprover, domain.RoleCityGovApprover, domain.RoleFinance, domain.RoleCrypto, domain.RolePRTAWitness}
	// mxProjectReaders: units (their own), experts (projects on their panel) and mxSeeAll.
	mxProjectReaders = append([]string{domain.RoleSubmitter, domain.RoleExpert}, mxSeeAll...)
	// mxReviewers have an inbox (API.md "Inbox (every reviewer role)").
	mxReviewers = []string{domain.RoleDRBReviewer, domain.RoleDRBSupervisor, domain.RoleExpert, domain.RoleNDRCApprover,
		domain.RoleCityGovApprover, domain.RolePRTAWitness, domain.RoleFinance, domain.RoleCrypto}
	mxDRB        = []string{domain.RoleDRBReviewer, domain.RoleDRBSupervisor}
	mxDRBOrAdmin = []string{domain.RoleDRBReviewer, domain.RoleDRBSupervisor, domain.RoleAdmin}
	mxAdmins     = []string{domain.RoleAdmin}
	mxAuditors   = []string{domain.RoleAudit, domain.RoleDRBSupervisor}
	// mxFundConfirmers confirm payments (R15: Finance or DRB); mxFundReaders read spent vs
	// approved (R15: the fund is managed by DRB; Finance and Audit follow it).
	mxFundConfirmers = []string{domain.RoleFinance, domain.RoleDRBReviewer, domain.RoleDRBSupervisor}
	mxFundReaders    = []string{domain.RoleFinance, domain.RoleDRBReviewer, domain.RoleDRBSupervisor, domain.RoleAudit}
	mxPlanReaders    = []string{domain.RoleDRBReviewer, domain.RoleDRBSupervisor, domain.RoleAudit, domain.RoleNDRCApprover,
		domain.RoleFinance, domain.RoleCrypto}
)

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

// mxFixture holds the objects the matrix acts on, set up once through the API.
type mxFixture struct {
	year int
	pA   string                     // alice (unit-a), submitted: prelim_review with the open task tA
	pB   string                     // bob (unit-b), a draft of a past plan year (its submission is refused: deadline)
	pC   string                     // bob (unit-b), submitted: prelim_review with tC claimed by drb1
	pX   string                     // alice (unit-a), past prelim review (tX), expert panel exp2..exp5 (exp1 recused, R4)
	pF   string                     // alice (unit-a), in construction (set in SQL) with the recorded payment payF (R15)
	payF string                     // a recorded payment of pF
	docA string                     // a document of pA
	tA   string                     // prelim task of pA, offered to DRB reviewers, unclaimed
	tC   string                     // prelim task of pC, claimed by drb1
	tX   string                     // prelim task of pX, decided by drb1
	tE2  string                     // exp2's expert review task on pX
	nA   string                     // a notification of alice
	unit map[string]string          // project → unit
	pane map[string]map[string]bool // project → usernames on its expert panel
}

func newMxFixture(t *testing.T, s *stack) *mxFixture {
	t.Helper()
	f := &mxFixture{year: mxYear(), unit: map[string]string{}, pane: map[string]map[string]bool{}}
	f.pC = s.createProject("bob", "矩阵测试：卫健随访系统", f.year, 200_000_000)
	s.submit("bob", f.pC)
	f.tC = s.openTask("drb1", f.pC, "prelim_review")
	r := s.do("drb1", http.MethodPost, "/api/v1/tasks/"+f.tC+"/claim", nil, nil)
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Raw)

	f.pA = s.createProject("alice", "矩阵测试：教育资源平台", f.year, 300_000_000)
	up := s.upload("alice", f.pA, "opinion", pdf)
	require.Equal(t, http.StatusCreated, up.Status, "%s", up.Raw)
	f.docA = up.str("id")
	s.submit("alice", f.pA)
	f.tA = s.openTask("drb1", f.pA, "prelim_review")

	f.pB = s.createProject("bob", "矩阵测试：卫健草稿", time.Now().Year()-1, 100_000_000)

	f.pX = s.createProject("alice", "矩阵测试：智慧校园", f.year, 400_000_000)
	s.submit("alice", f.pX)
	f.tX = s.openTask("drb1", f.pX, "prelim_review")
	s.prelimApprove(f.pX)
	experts := []string{"u-exp1", "u-exp2", "u-exp3", "u-exp4", "u-exp5"}
	r = s.retry409("drb1", http.MethodPost, fmt.Sprintf("/api/v1/plans/%d/expert-sessions", f.year),
		map[string]any{"expert_ids": experts, "project_ids": []string{f.pX}})
	require.Equal(t, http.StatusCreated, r.Status, "%s", r.Raw)
	f.tE2 = s.openTask("exp2", f.pX, "expert_review")

	f.nA = "n-authz-matrix-alice"
	_, err := s.store.DB.Exec(`INSERT INTO notifications (id, user_id, kind, title) VALUES ($1, 'u-alice', 'test', '矩阵测试通知')`, f.nA)
	require.NoError(t, err)

	// R15: a project with a contract takes payments. The stage is set directly; the lifecycle
	// test covers reaching it.
	f.pF = s.createProject("alice", "矩阵测试：已签约项目", f.year, 100_000_000)
	_, err = s.store.DB.Exec(`UPDATE projects SET stage = 'construction', approved_amount_fen = 50000000 WHERE id = $1`, f.pF)
	require.NoError(t, err)
	pr := s.do("alice", http.MethodPost, "/api/v1/projects/"+f.pF+"/payments",
		map[string]any{"milestone": "首付款", "amount_fen": 10_000_000, "paid_on": "2024-01-15"}, nil)
	require.Equal(t, http.StatusCreated, pr.Status, "%s", pr.Raw)
	f.payF = pr.str("id")

	f.unit = map[string]string{f.pA: "unit-a", f.pB: "unit-b", f.pC: "unit-b", f.pX: "unit-a", f.pF: "unit-a"}
	f.pane[f.pX] = map[string]bool{"exp2": true, "exp3": true, "exp4": true, "exp5": true}
	return f
}

// projectVisible: a unit sees its own projects, the mxSeeAll roles every project, an expert the
// projects on their panel (never their own unit's, R4).
func (f *mxFixture) projectVisible(u seed.DemoUser, p string) bool {
	return (mxHas(u, domain.RoleSubmitter) && u.OrgID == f.unit[p]) || mxHas(u, mxSeeAll...) ||
		(mxHas(u, domain.RoleExpert) && f.pane[p][u.Username] && u.OrgID != f.unit[p])
}

func (f *mxFixture) projectRead(u seed.DemoUser, tg mxTarget) mxClass {
	if f.projectVisible(u, tg.params["id"]) {
		return mxOK
	}
	return mxNotFound
}

// projectWrite: only the owning unit's submitters act on a project; the others who see it are
// refused (403), those who do not see it are told it is not there (404). The matrix bodies are
// refused after authorization (409 not editable / already submitted, 422 deadline or parent
// rule, 400 not multipart), so nothing changes.
func (f *mxFixture) projectWrite(u seed.DemoUser, tg mxTarget) mxClass {
	p := tg.params["id"]
	switch {
	case !f.projectVisible(u, p):
		return mxNotFound
	case mxHas(u, domain.RoleSubmitter) && u.OrgID == f.unit[p]:
		return mxAllowed
	}
	return mxForbidden
}

// taskSeers: who sees each task (candidates not recused, the assignee, the decider, and the DRB
// supervisor for DRB tasks claimed by someone else).
func (f *mxFixture) taskSeers(task string) []string {
	switch task {
	case f.tA, f.tC, f.tX:
		return []string{"drb1", "drbsup"}
	case f.tE2:
		return []string{"exp2"}
	}
	return nil
}

func (f *mxFixture) taskRead(u seed.DemoUser, tg mxTarget) mxClass {
	if slices.Contains(f.taskSeers(tg.params["id"]), u.Username) {
		return mxOK
	}
	return mxNotFound
}

// taskAct is claim and decide: the supervisor sees tC (claimed by drb1) but may not act on it.
func (f *mxFixture) taskAct(okClass mxClass) func(u seed.DemoUser, tg mxTarget) mxClass {
	return func(u seed.DemoUser, tg mxTarget) mxClass {
		task := tg.params["id"]
		switch {
		case !slices.Contains(f.taskSeers(task), u.Username):
			return mxNotFound
		case task == f.tC && u.Username != "drb1":
			return mxForbidden // not_assignee
		case task == f.tX:
			return mxAllowed // 409 stale_task
		}
		return okClass
	}
}

// mxTarget is one object a route acts on: the values of its path parameters.
type mxTarget struct {
	name   string
	params map[string]string
	query  string // for lists: filters that must not widen what the actor sees
}

// mxRule is the expectation of one route.
type mxRule struct {
	public bool
	roles  []string // who passes the function-level check; nil and !public: every signed-in user
	// targets lists the objects to try (nil: the route has none).
	targets func(f *mxFixture) []mxTarget
	// body is sent as JSON; bodies of state-changing requests are refused after authorization.
	body string
	// fresh: sign in anew for this request (logout revokes the token it is sent with).
	fresh bool
	// want is the expectation for a user who passes the function-level check (nil: mxOK).
	want func(f *mxFixture, u seed.DemoUser, tg mxTarget) mxClass
	// hidden lists ids a list answer must not contain for u.
	hidden func(f *mxFixture, u seed.DemoUser) []string
}

func mxConst(c mxClass) func(*mxFixture, seed.DemoUser, mxTarget) mxClass {
	return func(*mxFixture, seed.DemoUser, mxTarget) mxClass { return c }
}

// mxPaymentProjects adds to mxProjects a project that takes payments (R15).
func mxPaymentProjects(f *mxFixture) []mxTarget {
	return append(mxProjects(f), mxTarget{name: "own-unit-a/construction", params: map[string]string{"id": f.pF}})
}

func mxProjects(f *mxFixture) []mxTarget {
	return []mxTarget{
		{name: "own-unit-a/prelim_review", params: map[string]string{"id": f.pA}},
		{name: "unit-b/draft", params: map[string]string{"id": f.pB}},
		{name: "unit-a/expert_review", params: map[string]string{"id": f.pX}},
	}
}

func mxTasks(f *mxFixture) []mxTarget {
	return []mxTarget{
		{name: "prelim-offered", params: map[string]string{"id": f.tA}},
		{name: "prelim-claimed-by-drb1", params: map[string]string{"id": f.tC}},
		{name: "expert-assigned-exp2", params: map[string]string{"id": f.tE2}},
		{name: "prelim-decided-by-drb1", params: map[string]string{"id": f.tX}},
	}
}

func mxPlanYear(f *mxFixture) []mxTarget {
	return []mxTarget{{name: "plan", params: map[string]string{"year": fmt.Sprint(f.year)}}}
}

// mxRules is the matrix, keyed like routeTable ("METHOD path").
var mxRules = map[string]mxRule{
	"GET /healthz":             {public: true},
	"GET /readyz":              {public: true},
	"GET /api/v1/openapi.yaml": {public: true},

	"POST /api/v1/auth/login":  {public: true, body: `{}`, want: mxConst(mxAllowed)},
	"POST /api/v1/auth/logout": {fresh: true},
	"GET /api/v1/me":           {},
	"GET /api/v1/users":        {roles: mxDRBOrAdmin},
	"POST /api/v1/users":       {roles: mxAdmins, body: `{"username":"x","bogus":1}`, want: mxConst(mxAllowed)},
	"GET /api/v1/orgs":         {},
	"POST /api/v1/orgs":        {roles: mxAdmins, body: `{"id":"x","bogus":1}`, want: mxConst(mxAllowed)},

	"POST /api/v1/projects": {roles: mxSubmitters, body: `{"name":"x","unit_id":"unit-b"}`, want: mxConst(mxAllowed)},
	"GET /api/v1/projects": {roles: mxProjectReaders, targets: func(f *mxFixture) []mxTarget {
		return []mxTarget{{name: "all"}, {name: "unit-a", query: "?unit_id=unit-a"}, {name: "unit-b", query: "?unit_id=unit-b"},
			{name: "q", query: "?q=%E7%9F%A9%E9%98%B5%E6%B5%8B%E8%AF%95"}, {name: "year", query: fmt.Sprintf("?plan_year=%d", f.year)}}
	}, hidden: func(f *mxFixture, u seed.DemoUser) []string {
		var out []string
		for _, p := range []string{f.pA, f.pB, f.pC, f.pX} {
			if !f.projectVisible(u, p) {
				out = append(out, p)
			}
		}
		return out
	}},
	"GET /api/v1/projects/:id": {roles: mxProjectReaders, targets: mxProjects,
		want: func(f *mxFixture, u seed.DemoUser, tg mxTarget) mxClass { return f.projectRead(u, tg) }},
	// A valid body that the parent rule (R1) refuses for a draft; 409 in review.
	"PATCH /api/v1/projects/:id": {roles: mxSubmitters, targets: mxProjects, body: `{"type":"design"}`,
		want: func(f *mxFixture, u seed.DemoUser, tg mxTarget) mxClass { return f.projectWrite(u, tg) }},
	// 409 already submitted; 422 deadline_passed for the past-year draft.
	"POST /api/v1/projects/:id/submit": {roles: mxSubmitters, targets: mxProjects,
		want: func(f *mxFixture, u seed.DemoUser, tg mxTarget) mxClass { return f.projectWrite(u, tg) }},
	// Not multipart: 400 once authorized.
	"POST /api/v1/projects/:id/documents": {roles: mxSubmitters, targets: mxProjects, body: `{}`,
		want: func(f *mxFixture, u seed.DemoUser, tg mxTarget) mxClass { return f.projectWrite(u, tg) }},
	"GET /api/v1/projects/:id/documents": {roles: mxProjectReaders, targets: mxProjects,
		want: func(f *mxFixture, u seed.DemoUser, tg mxTarget) mxClass { return f.projectRead(u, tg) }},
	"GET /api/v1/projects/:id/documents/:doc_id": {roles: mxProjectReaders,
		targets: func(f *mxFixture) []mxTarget {
			return []mxTarget{
				{name: "own-doc", params: map[string]string{"id": f.pA, "doc_id": f.docA}},
				{name: "doc-of-unit-a-under-unit-b-project", params: map[string]string{"id": f.pB, "doc_id": f.docA}},
			}
		},
		want: func(f *mxFixture, u seed.DemoUser, tg mxTarget) mxClass {
			if tg.params["id"] != f.pA {
				return mxNotFound // the document is not pB's, whoever asks
			}
			return f.projectRead(u, tg)
		}},
	"GET /api/v1/projects/:id/similar": {roles: mxProjectReaders, targets: mxProjects,
		want: func(f *mxFixture, u seed.DemoUser, tg mxTarget) mxClass { return f.projectRead(u, tg) }},
	// R15: `{}` is refused after authorization (400 invalid_input), so nothing is recorded.
	"POST /api/v1/projects/:id/payments": {roles: mxSubmitters, targets: mxPaymentProjects, body: `{}`,
		want: func(f *mxFixture, u seed.DemoUser, tg mxTarget) mxClass { return f.projectWrite(u, tg) }},
	// Finance and DRB confirm any unit's payment; the unknown decision is refused after
	// authorization (400), so nothing is decided. An absent payment is 404.
	"POST /api/v1/payments/:id/confirm": {roles: mxFundConfirmers, body: `{"decision":"bogus"}`,
		targets: func(f *mxFixture) []mxTarget {
			return []mxTarget{{name: "recorded", params: map[string]string{"id": f.payF}},
				{name: "absent", params: map[string]string{"id": "pay-absent"}}}
		},
		want: func(f *mxFixture, _ seed.DemoUser, tg mxTarget) mxClass {
			if tg.params["id"] != f.payF {
				return mxNotFound
			}
			return mxAllowed
		}},
	"GET /api/v1/funds": {roles: mxFundReaders, targets: func(f *mxFixture) []mxTarget {
		return []mxTarget{{name: "all"}, {name: "year", query: fmt.Sprintf("?year=%d", f.year)},
			{name: "unit-a", query: "?unit_id=unit-a"}}
	}},
	// Delivery (R9–R13): bodies that pass decoding but fail after authorization (bad data lists,
	// wrong stage, not multipart, unknown document), so nothing changes.
	"POST /api/v1/projects/:id/contract": {roles: mxSubmitters, targets: mxProjects,
		body: `{"vendor":"v","amount_fen":1,"signed_on":"2026-01-01","procurement_ref":"r","data_lists":{}}`,
		want: func(f *mxFixture, u seed.DemoUser, tg mxTarget) mxClass { return f.projectWrite(u, tg) }},
	"POST /api/v1/projects/:id/construction-complete": {roles: mxSubmitters, targets: mxProjects,
		want: func(f *mxFixture, u seed.DemoUser, tg mxTarget) mxClass { return f.projectWrite(u, tg) }},
	"POST /api/v1/projects/:id/trial-run-report": {roles: mxSubmitters, targets: mxProjects, body: `{}`,
		want: func(f *mxFixture, u seed.DemoUser, tg mxTarget) mxClass { return f.projectWrite(u, tg) }},
	"POST /api/v1/projects/:id/acceptance-application": {roles: mxSubmitters, targets: mxProjects,
		want: func(f *mxFixture, u seed.DemoUser, tg mxTarget) mxClass { return f.projectWrite(u, tg) }},
	"POST /api/v1/projects/:id/om-reports": {roles: mxSubmitters, targets: mxProjects, body: `{"year":1,"document_id":"d-none"}`,
		want: func(f *mxFixture, u seed.DemoUser, tg mxTarget) mxClass { return f.projectWrite(u, tg) }},

	"GET /api/v1/tasks": {roles: mxReviewers, targets: func(f *mxFixture) []mxTarget {
		return []mxTarget{{name: "all"}, {name: "pA", query: "?project_id=" + f.pA}, {name: "pX", query: "?project_id=" + f.pX},
			{name: "pC", query: "?project_id=" + f.pC}}
	}, hidden: func(f *mxFixture, u seed.DemoUser) []string {
		var out []string
		for _, task := range []string{f.tA, f.tC, f.tX, f.tE2} {
			if !slices.Contains(f.taskSeers(task), u.Username) {
				out = append(out, task)
			}
		}
		return out
	}},
	"GET /api/v1/tasks/:id": {roles: mxReviewers, targets: mxTasks,
		want: func(f *mxFixture, u seed.DemoUser, tg mxTarget) mxClass { return f.taskRead(u, tg) }},
	// The offered task tA is left out: claiming it would change who holds it. drb1 re-claiming
	// tC and exp2 re-claiming their task are no-ops (200).
	"POST /api/v1/tasks/:id/claim": {roles: mxReviewers,
		targets: func(f *mxFixture) []mxTarget {
			return slices.DeleteFunc(mxTasks(f), func(tg mxTarget) bool { return tg.params["id"] == f.tA })
		},
		want: func(f *mxFixture, u seed.DemoUser, tg mxTarget) mxClass { return f.taskAct(mxOK)(u, tg) }},
	// "return" without a comment passes the gateway's decoding and is refused by the workflow's
	// Update validator (400), so no decision is made.
	"POST /api/v1/tasks/:id/decision": {roles: mxReviewers, targets: mxTasks, body: `{"decision":"return"}`,
		want: func(f *mxFixture, u seed.DemoUser, tg mxTarget) mxClass { return f.taskAct(mxAllowed)(u, tg) }},

	"GET /api/v1/plans/:year": {roles: mxPlanReaders, targets: mxPlanYear},
	"POST /api/v1/plans/:year/expert-sessions": {roles: mxDRB, targets: mxPlanYear, body: `{"bogus":1}`,
		want: mxConst(mxAllowed)},
	"POST /api/v1/plans/:year/compile": {roles: mxDRB, targets: mxPlanYear, body: `{"bogus":1}`, want: mxConst(mxAllowed)},
	"POST /api/v1/plans/:year/bundles": {roles: mxDRB, targets: mxPlanYear, body: `{"bogus":1}`, want: mxConst(mxAllowed)},

	"GET /api/v1/notifications": {hidden: func(f *mxFixture, u seed.DemoUser) []string {
		if u.Username == "alice" {
			return nil
		}
		return []string{f.nA}
	}},
	"POST /api/v1/notifications/:id/read": {
		targets: func(f *mxFixture) []mxTarget {
			return []mxTarget{{name: "alice's", params: map[string]string{"id": f.nA}}}
		},
		want: func(f *mxFixture, u seed.DemoUser, _ mxTarget) mxClass {
			if u.Username == "alice" {
				return mxOK
			}
			return mxNotFound
		}},

	// Ops (SPEC.md "Who uses it": ops finds stuck workflows, resets, retries, replays): role ops
	// only. The bodies are refused (400) before anything reaches Temporal.
	"GET /api/v1/ops/workflows/stuck": {roles: []string{domain.RoleOps}},
	"POST /api/v1/ops/workflows/:workflow_id/reset": {roles: []string{domain.RoleOps}, targets: mxWorkflow,
		body: `{"bogus":1}`, want: mxConst(mxAllowed)},
	"POST /api/v1/ops/workflows/:workflow_id/activities/:activity_id/retry": {roles: []string{domain.RoleOps},
		targets: mxWorkflow, body: `{"bogus":1}`, want: mxConst(mxAllowed)},
	"POST /api/v1/ops/replay": {roles: []string{domain.RoleOps}, body: `{"bogus":1}`, want: mxConst(mxAllowed)},

	"GET /api/v1/audit":        {roles: mxAuditors},
	"GET /api/v1/audit/verify": {roles: mxAuditors},
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
		require.NoError(t, s.store.DB.Select(&rows, q), name)
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

// TestAuthzMatrix checks every route × every demo user × own/other object × assigned/not
// against the expected 2xx/401/403/404, then that the matrix changed nothing and the audit
// chain still verifies (R18).
func TestAuthzMatrix(t *testing.T) {
	// Every route has a rule and every rule a route: a new route without a rule fails here.
	keys := map[string]bool{}
	for _, r := range routeTable {
		k := r.method + " " + r.path
		keys[k] = true
		_, ok := mxRules[k]
		require.True(t, ok, "route %s has no rule in the authorization matrix (mxRules)", k)
	}
	for k := range mxRules {
		require.True(t, keys[k], "matrix rule %s has no route in routeTable", k)
	}

	s := newStack(t, "2021")
	f := newMxFixture(t, s)
	for _, u := range seed.DemoUsers {
		s.token(u.Username)
	}
	before := mxState(t, s)
	start := time.Now()
	requests := 0

	for _, rt := range routeTable {
		key := rt.method + " " + rt.path
		rule := mxRules[key]
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
					if rule.want != nil {
						anon = rule.want(f, seed.DemoUser{}, tg)
					}
				}
				check("(no token)", anon, s.raw("", rt.method, path, rule.body))
				check("(forged token)", anon, s.raw("forged."+strings.Repeat("x", 40), rt.method, path, rule.body))

				for _, u := range seed.DemoUsers {
					want := mxOK
					switch {
					case !rule.public && rule.roles != nil && !mxHas(u, rule.roles...):
						want = mxForbidden
					case rule.want != nil:
						want = rule.want(f, u, tg)
					}
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
					if rule.hidden != nil && r.Status == http.StatusOK {
						got := mxItemIDs(r)
						for _, id := range rule.hidden(f, u) {
							require.NotContains(t, got, id, "%s %s lists %s to %s", rt.method, path, id, u.Username)
						}
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

// TestAuthzSubmitterCannotReadOtherUnitByGuessingIDs: a unit that learns (or guesses) another
// unit's project and document ids gets the same 404 as for ids that do not exist, on every
// project route, and its lists never show them.
func TestAuthzSubmitterCannotReadOtherUnitByGuessingIDs(t *testing.T) {
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
	s := newStack(t, "2021")
	year := mxYear()
	pa := s.createProject("alice", "回避测试：教育局项目", year, 300_000_000)
	pb := s.createProject("bob", "回避测试：卫健委项目", year, 300_000_000)
	s.submit("alice", pa)
	s.submit("bob", pb)
	s.prelimApprove(pa)
	s.prelimApprove(pb)
	experts := []string{"u-exp1", "u-exp2", "u-exp3", "u-exp4", "u-exp5"}
	r := s.retry409("drb1", http.MethodPost, fmt.Sprintf("/api/v1/plans/%d/expert-sessions", year),
		map[string]any{"expert_ids": experts, "project_ids": []string{pa, pb}})
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
	require.NoError(t, s.store.DB.Get(&n, `SELECT count(*) FROM tasks WHERE project_id = $1 AND kind = 'expert_review'`, pa))
	require.Equal(t, 4, n, "one task per expert of the effective panel")
	require.NoError(t, s.store.DB.Get(&n, `SELECT count(*) FROM tasks WHERE project_id = $1 AND assignee_id = 'u-exp1'`, pa))
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
	require.NoError(t, s.store.DB.Get(&n, `SELECT count(*) FROM audit_log WHERE action = 'task.decide' AND actor_id = 'u-exp1'`))
	require.Zero(t, n)
}

// TestAuthzPatchCannotSetStageOrUnit: a PATCH (or create) that names a property the submitter
// may not set — stage, unit_id, amounts, policy — is 400 and changes nothing, not even the
// fields sent with it; no edit is recorded (R18).
func TestAuthzPatchCannotSetStageOrUnit(t *testing.T) {
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
	require.NoError(t, s.store.DB.Get(&n, `SELECT count(*) FROM audit_log WHERE action = 'project.edit' AND object_id = $1`, p))
	require.Zero(t, n, "R18: a refused PATCH recorded an edit")

	// Nor at creation.
	var count int
	require.NoError(t, s.store.DB.Get(&count, `SELECT count(*) FROM projects`))
	r := s.do("alice", http.MethodPost, "/api/v1/projects", map[string]any{
		"name": "越权创建", "type": "new", "plan_year": year, "estimated_investment_fen": 1,
		"mlps_level": 2, "unit_id": "unit-b", "stage": "approved"}, nil)
	require.Equal(t, http.StatusBadRequest, r.Status, "%s", r.Raw)
	require.NoError(t, s.store.DB.Get(&n, `SELECT count(*) FROM projects`))
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
		} else {
			require.NotContains(t, mxItemIDs(r), task, c.user)
		}
	}
}

// TestAuthzSimilarHidesOtherUnitsFromSubmitters: R16 shows reviewers the similar projects of
// every unit; a submitter, who "sees only its own unit's projects" (SPEC.md), must not learn
// another unit's project (id, name, stage) through GET /api/v1/projects/{id}/similar.
func TestAuthzSimilarHidesOtherUnitsFromSubmitters(t *testing.T) {
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
