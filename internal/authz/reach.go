package authz

import (
	"slices"
	"time"

	"egovpm/internal/domain"
)

// Scope names a set of projects a role reads (docs/AUTHZ.md, column "condition"). The store
// turns each scope into one SQL condition, used alike by single reads and by lists (projects,
// R16 similar projects), so the two always agree.
type Scope string

// The scopes.
const (
	// ScopeAll: every project (DRB, Audit).
	ScopeAll Scope = "any"
	// ScopeOwnUnit: the projects of the actor's unit (submitter).
	ScopeOwnUnit Scope = "own_unit"
	// ScopeDecision: the projects that reached a decision of the actor's role in its org — a
	// task of the role was opened on the project, or on a bundle holding it — from that step
	// on (NDRC, City Government, PRTA).
	ScopeDecision Scope = "reached_decision"
	// ScopeApproved: the projects from their approval on (Finance: funds and payments).
	ScopeApproved Scope = "approved"
	// ScopeCrypto: the projects that use cryptography, from their approval step on (Crypto).
	ScopeCrypto Scope = "uses_crypto_from_approval"
	// ScopePanel: the projects whose expert panel the actor sits on, while it is open, never
	// the actor's own unit's (experts, R4).
	ScopePanel Scope = "panel_open"
	// ScopeCoOrganiser: the projects of an expert session the actor's org co-organises, while
	// their panel is open (Finance, NDRC, Crypto, R4).
	ScopeCoOrganiser Scope = "co_organised_open"
	// ScopeCC: the projects a decision was CC'd (抄送) to the actor on, in person or as one of
	// an org (issue 19 item 6); the project and its timeline, no documents.
	ScopeCC Scope = "cc"
)

// Docs says which documents of a project a grant shows.
type Docs struct {
	// All documents.
	All bool
	// AtConvene: those that existed when the panel (or the session) was convened.
	AtConvene bool
	// Kinds: the documents of these kinds.
	Kinds []string
}

// Grant is one row of the per-role table: a scope of projects and the documents of them.
type Grant struct {
	Scope Scope
	Docs  Docs
}

// ApprovedStages are the stages of a project from its approval on (ScopeApproved).
var ApprovedStages = []domain.Stage{domain.StageApproved, domain.StageProcurement, domain.StageConstruction,
	domain.StageTrialRun, domain.StageAcceptance, domain.StageRectification, domain.StageOM, domain.StageClosed}

// ApprovalStepStages are the stages from a project's approval step on: awaiting approval (R6,
// where R17 asks for the 密码应用方案), a special request before the City Government (R8), and
// ApprovedStages (ScopeCrypto).
var ApprovalStepStages = append([]domain.Stage{domain.StageAwaitingApproval, domain.StageSpecialRequest}, ApprovedStages...)

var (
	allDocs       = Docs{All: true}
	docsAtConvene = Docs{AtConvene: true}
	// ccRead: a decision CC'd to the actor (抄送) shows the project, not its documents.
	ccRead = Grant{ScopeCC, Docs{}}
)

// RoleGrants is the per-role table of what each role reads of projects and their documents
// (SPEC "Who uses it"; docs/AUTHZ.md). A role not in it reads no project (admin, ops).
var RoleGrants = map[domain.Role][]Grant{
	domain.RoleSubmitter:       {{ScopeOwnUnit, allDocs}, ccRead},
	domain.RoleDRBReviewer:     {{ScopeAll, allDocs}},
	domain.RoleDRBSupervisor:   {{ScopeAll, allDocs}},
	domain.RoleAudit:           {{ScopeAll, allDocs}},
	domain.RoleExpert:          {{ScopePanel, docsAtConvene}, ccRead},
	domain.RoleNDRCApprover:    {{ScopeDecision, allDocs}, {ScopeCoOrganiser, docsAtConvene}, ccRead},
	domain.RoleCityGovApprover: {{ScopeDecision, allDocs}, ccRead},
	domain.RolePRTAWitness:     {{ScopeDecision, allDocs}, ccRead},
	domain.RoleFinance:         {{ScopeApproved, Docs{Kinds: []string{"contract"}}}, {ScopeCoOrganiser, docsAtConvene}, ccRead},
	domain.RoleCrypto: {{ScopeCrypto, Docs{Kinds: []string{"crypto_plan", "crypto_assessment"}}},
		{ScopeCoOrganiser, docsAtConvene}, ccRead},
}

// DetailRoles see the details of a project's expert review in its timeline (the experts and
// their scores); everyone else who reads the project sees the panel's outcome.
var DetailRoles = []domain.Role{domain.RoleDRBReviewer, domain.RoleDRBSupervisor, domain.RoleAudit}

// CoOrganiserOrgKinds are the kinds of org that co-organise an expert session (R4).
var CoOrganiserOrgKinds = []string{"finance", "ndrc", "crypto"}

// Reach is what an actor reads of projects: the grants of all their roles.
type Reach struct {
	ActorID string
	OrgID   string
	Grants  []Grant
	// DecisionRoles are the actor's roles that reach projects by ScopeDecision.
	DecisionRoles []string
}

// ReachOf returns a's reach.
func ReachOf(a domain.Actor) Reach {
	r := Reach{ActorID: a.ID, OrgID: a.OrgID}
	for _, role := range domain.Roles { // fixed order: the same SQL for the same roles
		if !a.Has(role) {
			continue
		}
		for _, g := range RoleGrants[role] {
			if g.Scope == ScopeDecision {
				r.DecisionRoles = append(r.DecisionRoles, role)
			}
			r.Grants = append(r.Grants, g)
		}
	}
	return r
}

// All reports whether the reach is every project with every document.
func (r Reach) All() bool {
	return slices.ContainsFunc(r.Grants, func(g Grant) bool { return g.Scope == ScopeAll })
}

// Scopes lists the distinct scopes of the reach, in grant order.
func (r Reach) Scopes() []Scope {
	var out []Scope
	for _, g := range r.Grants {
		if !slices.Contains(out, g.Scope) {
			out = append(out, g.Scope)
		}
	}
	return out
}

// View is what the reach shows of one project: the scopes that reach it (the store decides
// them) and the instant its panel or co-organised session was convened.
type View struct {
	Reach   Reach
	Matched []Scope
	// PanelSince is when the actor's panel task on the project opened (ScopePanel);
	// SessionSince when the co-organised session holding it was convened (ScopeCoOrganiser).
	PanelSince, SessionSince time.Time
}

// Visible reports whether any scope reaches the project.
func (v View) Visible() bool { return len(v.Matched) > 0 }

// Document reports whether the view shows a document of kind created at created.
func (v View) Document(kind string, created time.Time) bool {
	for _, g := range v.Reach.Grants {
		if !slices.Contains(v.Matched, g.Scope) {
			continue
		}
		switch {
		case g.Docs.All, slices.Contains(g.Docs.Kinds, kind):
			return true
		case g.Docs.AtConvene:
			since := v.PanelSince
			if g.Scope == ScopeCoOrganiser {
				since = v.SessionSince
			}
			if !since.IsZero() && !created.After(since) {
				return true
			}
		}
	}
	return false
}

// Details reports whether a sees the details of expert reviews (DetailRoles).
func Details(a domain.Actor) bool { return slices.ContainsFunc(DetailRoles, a.Has) }

// SeesWholePlan reports whether a reads every item of a plan year, those left out with their
// reasons too; other plan readers see the compiled (included) items.
func SeesWholePlan(a domain.Actor) bool { return slices.ContainsFunc(DetailRoles, a.Has) }
