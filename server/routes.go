package main

import (
	"net/http"
	"slices"
	"strings"

	"github.com/gin-gonic/gin"

	"egovpm/internal/domain"
)

// access is the function-level rule of a route: public, any signed-in user, or a set of roles.
// Object-level rules (own unit, task candidacy, recusal) are checked by internal/authz in the
// handler, through the one policy.
type access struct {
	public bool
	roles  []string // empty with public=false: any signed-in user
}

var (
	public     = access{public: true}
	signedIn   = access{}
	submitters = access{roles: []string{domain.RoleSubmitter}}
	// projectReader: the roles authz.RoleGrants gives projects to (docs/AUTHZ.md); which
	// projects each reads is the object-level rule. Admin and ops read none.
	projectReader = access{roles: []string{domain.RoleSubmitter, domain.RoleDRBReviewer, domain.RoleDRBSupervisor,
		domain.RoleAudit, domain.RoleExpert, domain.RoleNDRCApprover, domain.RoleCityGovApprover, domain.RolePRTAWitness,
		domain.RoleFinance, domain.RoleCrypto}}
	reviewers = access{roles: []string{domain.RoleDRBReviewer, domain.RoleDRBSupervisor, domain.RoleExpert,
		domain.RoleNDRCApprover, domain.RoleCityGovApprover, domain.RolePRTAWitness, domain.RoleFinance, domain.RoleCrypto}}
	// taskReaders: the reviewers' inboxes, and Audit, which reads every task (read-only).
	taskReaders = access{roles: append(slices.Clone(reviewers.roles), domain.RoleAudit)}
	supervisors = access{roles: []string{domain.RoleDRBSupervisor}}
	drb         = access{roles: []string{domain.RoleDRBReviewer, domain.RoleDRBSupervisor}}
	// userReaders: DRB (panels, reassignment), admin, and Audit (read-only over everything).
	userReaders = access{roles: []string{domain.RoleDRBReviewer, domain.RoleDRBSupervisor, domain.RoleAdmin, domain.RoleAudit}}
	admins      = access{roles: []string{domain.RoleAdmin}}
	opsOnly     = access{roles: []string{domain.RoleOps}}
	// R15: payments are confirmed by Finance or DRB; spent vs approved is read by them and Audit.
	fundConfirmers = access{roles: []string{domain.RoleFinance, domain.RoleDRBReviewer, domain.RoleDRBSupervisor}}
	fundReaders    = access{roles: []string{domain.RoleFinance, domain.RoleDRBReviewer, domain.RoleDRBSupervisor, domain.RoleAudit}}
	auditors       = access{roles: []string{domain.RoleAudit, domain.RoleDRBSupervisor}}
	// paymentReaders: a project's payments (R15) are read by its unit, DRB, Audit and Finance
	// (authz.PaymentScopes says of which projects).
	paymentReaders = access{roles: []string{domain.RoleSubmitter, domain.RoleDRBReviewer, domain.RoleDRBSupervisor,
		domain.RoleAudit, domain.RoleFinance}}
	// contractReaders: a registered contract (R9) is read like the contract document
	// (authz.ContractScopes).
	contractReaders = access{roles: []string{domain.RoleSubmitter, domain.RoleDRBReviewer, domain.RoleDRBSupervisor,
		domain.RoleAudit, domain.RoleNDRCApprover, domain.RoleCityGovApprover, domain.RolePRTAWitness, domain.RoleFinance}}
	// omFilingReaders: O&M filings (R13, T4) are read by the unit, DRB and Audit
	// (authz.OMFilingScopes).
	omFilingReaders = access{roles: []string{domain.RoleSubmitter, domain.RoleDRBReviewer, domain.RoleDRBSupervisor, domain.RoleAudit}}
	// planReader: DRB and Audit read the whole plan; NDRC (bundles, R6), the City Government
	// (special requests join the plan, R8) and Finance (the budget, R15) its compiled items.
	planReader = access{roles: []string{domain.RoleDRBReviewer, domain.RoleDRBSupervisor, domain.RoleAudit,
		domain.RoleNDRCApprover, domain.RoleCityGovApprover, domain.RoleFinance}}

	// urgers urge (催办) an overdue task of a project they read: the project readers but Audit,
	// which only reads.
	urgers = access{roles: []string{domain.RoleSubmitter, domain.RoleDRBReviewer, domain.RoleDRBSupervisor,
		domain.RoleExpert, domain.RoleNDRCApprover, domain.RoleCityGovApprover, domain.RolePRTAWitness,
		domain.RoleFinance, domain.RoleCrypto}}

	// overseers read every overdue task: the DRB supervisor, to whom they escalate (T2), and
	// Audit (authz.SeesAllTasks).
	overseers = access{roles: []string{domain.RoleDRBSupervisor, domain.RoleAudit}}

	// retirers retire a system from O&M (系统下线, issue 19 item 4): DRB, or the project's own
	// unit (the object-level rule is the handler's).
	retirers = access{roles: []string{domain.RoleSubmitter, domain.RoleDRBReviewer, domain.RoleDRBSupervisor}}

	// decisionWithdrawers withdraw their own decision (撤回决定, issue 19 item 2) on the tasks
	// whose decisions may be withdrawn: DRB's reviewers (preliminary review, acceptance check
	// and sign-off) and PRTA's witnesses (acceptance witness).
	decisionWithdrawers = access{roles: []string{domain.RoleDRBReviewer, domain.RolePRTAWitness}}
)

// route is one entry of the route table. The table is the single source for Gin, the OpenAPI
// check and the authorization matrix test.
type route struct {
	method  string
	path    string
	access  access
	handler func(*Server) gin.HandlerFunc
	// limited routes count against the actor's decision rate limit.
	limited bool
}

func h(f func(s *Server, c *gin.Context)) func(*Server) gin.HandlerFunc {
	return func(s *Server) gin.HandlerFunc { return func(c *gin.Context) { f(s, c) } }
}

// routeTable lists every route of the API (API.md).
var routeTable = []route{
	{http.MethodGet, "/healthz", public, h((*Server).healthz), false},
	{http.MethodGet, "/readyz", public, h((*Server).readyz), false},
	{http.MethodGet, "/api/v1/openapi.yaml", public, h((*Server).openapi), false},

	{http.MethodPost, "/api/v1/auth/login", public, h((*Server).login), false},
	{http.MethodPost, "/api/v1/auth/logout", signedIn, h((*Server).logout), false},
	{http.MethodPost, "/api/v1/auth/refresh", signedIn, h((*Server).refreshToken), false},
	{http.MethodPost, "/api/v1/auth/password", signedIn, h((*Server).changePassword), false},
	{http.MethodGet, "/api/v1/me", signedIn, h((*Server).me), false},
	{http.MethodGet, "/api/v1/me/mail-settings", signedIn, h((*Server).getMailSettings), false},
	{http.MethodPut, "/api/v1/me/mail-settings", signedIn, h((*Server).putMailSettings), false},
	{http.MethodPost, "/api/v1/me/mail-settings/test", signedIn, h((*Server).sendMailTest), false},
	{http.MethodPost, "/api/v1/me/mail-settings/confirm", signedIn, h((*Server).confirmEmail), false},
	{http.MethodPost, "/api/v1/me/mail-settings/resend", signedIn, h((*Server).resendEmailCode), false},
	{http.MethodGet, "/api/v1/users", userReaders, h((*Server).listUsers), false},
	{http.MethodPost, "/api/v1/users", admins, h((*Server).createUser), false},
	{http.MethodPatch, "/api/v1/users/:id", admins, h((*Server).updateUser), false},
	{http.MethodPost, "/api/v1/users/:id/reset-password", admins, h((*Server).resetUserPassword), false},
	{http.MethodPost, "/api/v1/users/:id/unlock", admins, h((*Server).unlockUser), false},
	{http.MethodGet, "/api/v1/orgs", signedIn, h((*Server).listOrgs), false},
	{http.MethodPost, "/api/v1/orgs", admins, h((*Server).createOrg), false},

	{http.MethodGet, "/api/v1/submission-window", signedIn, h((*Server).submissionWindow), false},
	{http.MethodGet, "/api/v1/dashboard", signedIn, h((*Server).dashboard), false},
	{http.MethodGet, "/api/v1/me/counts", signedIn, h((*Server).menuCounts), false},
	{http.MethodPost, "/api/v1/projects", submitters, h((*Server).createProject), false},
	{http.MethodGet, "/api/v1/projects", projectReader, h((*Server).listProjects), false},
	{http.MethodGet, "/api/v1/projects/:id", projectReader, h((*Server).getProject), false},
	{http.MethodPatch, "/api/v1/projects/:id", submitters, h((*Server).patchProject), false},
	{http.MethodPost, "/api/v1/projects/:id/submit", submitters, h((*Server).submitProject), true},
	{http.MethodPost, "/api/v1/projects/:id/withdraw", submitters, h((*Server).withdrawProject), true},
	{http.MethodPost, "/api/v1/projects/:id/changes", submitters, h((*Server).requestChange), true},
	{http.MethodGet, "/api/v1/projects/:id/changes", projectReader, h((*Server).listChanges), false},
	{http.MethodPost, "/api/v1/projects/:id/terminate", drb, h((*Server).terminateProject), true},
	{http.MethodPost, "/api/v1/projects/:id/termination-request", submitters, h((*Server).requestTermination), true},
	{http.MethodPost, "/api/v1/projects/:id/deadline-extension", submitters, h((*Server).requestExtension), true},
	{http.MethodPost, "/api/v1/projects/:id/retire", retirers, h((*Server).retireProject), true},
	{http.MethodPost, "/api/v1/projects/:id/documents", submitters, h((*Server).uploadDocument), false},
	{http.MethodGet, "/api/v1/projects/:id/documents", projectReader, h((*Server).listDocuments), false},
	{http.MethodGet, "/api/v1/projects/:id/documents/:doc_id", projectReader, h((*Server).downloadDocument), false},
	{http.MethodGet, "/api/v1/projects/:id/similar", projectReader, h((*Server).similarProjects), false},

	{http.MethodPost, "/api/v1/projects/:id/contract", submitters, h((*Server).registerContract), true},
	{http.MethodPost, "/api/v1/projects/:id/construction-complete", submitters, h((*Server).constructionComplete), true},
	{http.MethodPost, "/api/v1/projects/:id/trial-run-report", submitters, h((*Server).uploadTrialRunReport), true},
	{http.MethodPost, "/api/v1/projects/:id/acceptance-application", submitters, h((*Server).applyAcceptance), true},
	{http.MethodPost, "/api/v1/projects/:id/om-reports", submitters, h((*Server).fileOMReport), true},
	{http.MethodPost, "/api/v1/projects/:id/payments", submitters, h((*Server).recordPayment), true},
	{http.MethodPost, "/api/v1/payments/:id/confirm", fundConfirmers, h((*Server).confirmPayment), true},
	{http.MethodGet, "/api/v1/funds", fundReaders, h((*Server).funds), false},
	{http.MethodGet, "/api/v1/funds/summary", fundReaders, h((*Server).fundsSummary), false},
	{http.MethodGet, "/api/v1/projects/:id/contract", contractReaders, h((*Server).getContract), false},
	{http.MethodGet, "/api/v1/projects/:id/payments", paymentReaders, h((*Server).listProjectPayments), false},
	{http.MethodGet, "/api/v1/projects/:id/delivery", projectReader, h((*Server).deliveryStatus), false},
	{http.MethodGet, "/api/v1/payments", paymentReaders, h((*Server).listPayments), false},
	{http.MethodGet, "/api/v1/om-filings", omFilingReaders, h((*Server).listOMFilings), false},

	{http.MethodGet, "/api/v1/exports/registry", projectReader, h((*Server).exportRegistry), false},
	{http.MethodGet, "/api/v1/exports/plan-table", planReader, h((*Server).exportPlanTable), false},
	{http.MethodGet, "/api/v1/exports/payments", paymentReaders, h((*Server).exportPayments), false},
	{http.MethodGet, "/api/v1/exports/audit-log", auditors, h((*Server).exportAuditLog), false},

	{http.MethodGet, "/api/v1/tasks", taskReaders, h((*Server).listTasks), false},
	{http.MethodGet, "/api/v1/tasks/overdue", overseers, h((*Server).listOverdueTasks), false},
	// Each item of a bulk decision is a decision, rate-limited as one (bulk.go).
	{http.MethodPost, "/api/v1/tasks/bulk-decision", reviewers, h((*Server).bulkDecide), false},
	// Each item of a bulk 转办 is a 转办 (bulk.go).
	{http.MethodPost, "/api/v1/tasks/bulk-reassign", supervisors, h((*Server).bulkReassign), false},
	{http.MethodGet, "/api/v1/tasks/:id", taskReaders, h((*Server).getTask), false},
	{http.MethodGet, "/api/v1/tasks/:id/checklist", taskReaders, h((*Server).taskChecklist), false},
	{http.MethodPost, "/api/v1/tasks/:id/claim", reviewers, h((*Server).claimTask), true},
	{http.MethodPost, "/api/v1/tasks/:id/decision", reviewers, h((*Server).decideTask), true},
	{http.MethodPost, "/api/v1/tasks/:id/reassign", supervisors, h((*Server).reassignTask), true},
	{http.MethodPost, "/api/v1/tasks/:id/delegate", reviewers, h((*Server).delegateTask), true},
	{http.MethodPost, "/api/v1/tasks/:id/deputize", reviewers, h((*Server).deputizeTask), true},
	{http.MethodGet, "/api/v1/absences", signedIn, h((*Server).listAbsences), false},
	{http.MethodPost, "/api/v1/absences", signedIn, h((*Server).createAbsence), false},
	{http.MethodGet, "/api/v1/absences/deputies", signedIn, h((*Server).listDeputies), false},
	{http.MethodPost, "/api/v1/absences/:id/end", signedIn, h((*Server).endAbsence), false},
	{http.MethodPost, "/api/v1/tasks/:id/urge", urgers, h((*Server).urgeTask), true},
	{http.MethodPost, "/api/v1/tasks/:id/withdraw-decision", decisionWithdrawers, h((*Server).withdrawDecision), true},

	{http.MethodGet, "/api/v1/plans/:year", planReader, h((*Server).getPlan), false},
	{http.MethodPost, "/api/v1/plans/:year/expert-sessions", drb, h((*Server).conveneExpertSession), true},
	{http.MethodGet, "/api/v1/plans/:year/panel", drb, h((*Server).panel), false},
	{http.MethodPost, "/api/v1/plans/:year/expert-draws", drb, h((*Server).drawExperts), true},
	{http.MethodPost, "/api/v1/plans/:year/compile", drb, h((*Server).compilePlan), true},
	{http.MethodGet, "/api/v1/plans/:year/compile-candidates", drb, h((*Server).compileCandidates), false},
	{http.MethodPost, "/api/v1/plans/:year/compile-preview", drb, h((*Server).compilePreview), false},
	{http.MethodPost, "/api/v1/plans/:year/bundles", drb, h((*Server).createBundle), true},
	{http.MethodPost, "/api/v1/plans/:year/adjustments", drb, h((*Server).proposeAdjustment), true},
	{http.MethodGet, "/api/v1/plans/:year/bundle-candidates", drb, h((*Server).bundleCandidates), false},

	{http.MethodGet, "/api/v1/notifications", signedIn, h((*Server).listNotifications), false},
	{http.MethodGet, "/api/v1/notifications/unread-count", signedIn, h((*Server).unreadNotifications), false},
	{http.MethodPost, "/api/v1/notifications/read-all", signedIn, h((*Server).readAllNotifications), false},
	{http.MethodPost, "/api/v1/notifications/:id/read", signedIn, h((*Server).readNotification), false},

	{http.MethodGet, "/api/v1/ops/config", opsOnly, h((*Server).opsConfig), false},
	{http.MethodGet, "/api/v1/ops/workflows/stuck", opsOnly, h((*Server).stuckWorkflows), false},
	{http.MethodPost, "/api/v1/ops/workflows/:workflow_id/reset", opsOnly, h((*Server).resetWorkflow), true},
	{http.MethodPost, "/api/v1/ops/workflows/:workflow_id/activities/:activity_id/retry", opsOnly, h((*Server).retryActivity), true},
	{http.MethodPost, "/api/v1/ops/replay", opsOnly, h((*Server).replayHistories), true},
	{http.MethodPost, "/api/v1/ops/activity-failures/:id/resolve", opsOnly, h((*Server).resolveActivityFailure), true},

	{http.MethodGet, "/api/v1/audit", auditors, h((*Server).listAudit), false},
	{http.MethodGet, "/api/v1/audit/verify", auditors, h((*Server).verifyAudit), false},
}

// taskRoute prefixes the routes that act on one task (:id): authenticate reads it.
const taskRoute = "/api/v1/tasks/:id"

// initialPasswordRoutes admit a user who still has an initial password
// (must_change_password): everything else answers 403 password_change_required.
var initialPasswordRoutes = map[string]bool{
	"GET /api/v1/me":             true,
	"POST /api/v1/auth/password": true,
	"POST /api/v1/auth/refresh":  true,
	"POST /api/v1/auth/logout":   true,
}

func (s *Server) routes() *gin.Engine {
	e := gin.New()
	e.ContextWithFallback = true
	e.HandleMethodNotAllowed = true
	e.Use(noSniff(), requestID(), s.traced(), s.accessLog(), s.observe(), s.recovery(), saneURL(), idempotencyKeyHeader())
	e.NoRoute(newUIHandler().serve) // the web UI; /api/… stays the JSON 404 no_route
	e.NoMethod(func(c *gin.Context) { respondError(c, errNoMethod) })
	for _, r := range routeTable {
		handlers := []gin.HandlerFunc{}
		if !r.access.public {
			handlers = append(handlers, s.authenticate(strings.HasPrefix(r.path, taskRoute), initialPasswordRoutes[r.method+" "+r.path]),
				requireRoles(r.access.roles))
		}
		if r.limited {
			handlers = append(handlers, s.rateLimit())
		}
		handlers = append(handlers, r.handler(s))
		e.Handle(r.method, r.path, handlers...)
	}
	return e
}
