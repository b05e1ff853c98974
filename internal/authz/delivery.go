package authz

import (
	"slices"

	"egovpm/internal/domain"
)

// Reads of a project's delivery records beyond its detail (docs/AUTHZ.md, objects contract,
// payment and om_filing). Each is a subset of the project's read: the scopes in which a role
// reads the record, among the scopes of RoleGrants.
var (
	// PaymentScopes: who reads a project's payments (R15): the unit its own, DRB and Audit
	// every project's, Finance the approved projects' (the funds it confirms).
	PaymentScopes = map[domain.Role][]Scope{
		domain.RoleSubmitter:     {ScopeOwnUnit},
		domain.RoleDRBReviewer:   {ScopeAll},
		domain.RoleDRBSupervisor: {ScopeAll},
		domain.RoleAudit:         {ScopeAll},
		domain.RoleFinance:       {ScopeApproved},
	}
	// ContractScopes: who reads a project's registered contract and its data three lists (R9):
	// whoever reads a contract document of it (RoleGrants' documents).
	ContractScopes = map[domain.Role][]Scope{
		domain.RoleSubmitter:       {ScopeOwnUnit},
		domain.RoleDRBReviewer:     {ScopeAll},
		domain.RoleDRBSupervisor:   {ScopeAll},
		domain.RoleAudit:           {ScopeAll},
		domain.RoleNDRCApprover:    {ScopeDecision},
		domain.RoleCityGovApprover: {ScopeDecision},
		domain.RolePRTAWitness:     {ScopeDecision},
		domain.RoleFinance:         {ScopeApproved},
	}
	// OMFilingScopes: who reads O&M filings (R13, T4): the unit its own, DRB (which oversees
	// O&M) and Audit every project's.
	OMFilingScopes = map[domain.Role][]Scope{
		domain.RoleSubmitter:     {ScopeOwnUnit},
		domain.RoleDRBReviewer:   {ScopeAll},
		domain.RoleDRBSupervisor: {ScopeAll},
		domain.RoleAudit:         {ScopeAll},
	}
)

// ReachFor is a's reach restricted to scopes: the grants of a's roles whose scope the role
// has in scopes. Lists of a delivery record (payments, O&M filings) filter projects by it.
func ReachFor(a domain.Actor, scopes map[domain.Role][]Scope) Reach {
	r := Reach{ActorID: a.ID, OrgID: a.OrgID}
	for _, role := range domain.Roles { // fixed order: the same SQL for the same roles
		if !a.Has(role) {
			continue
		}
		for _, g := range RoleGrants[role] {
			if !slices.Contains(scopes[role], g.Scope) {
				continue
			}
			if g.Scope == ScopeDecision {
				r.DecisionRoles = append(r.DecisionRoles, role)
			}
			r.Grants = append(r.Grants, g)
		}
	}
	return r
}

// Shows reports whether view v of a project (made for a's whole reach) shows a record read in
// scopes: one of the scopes that reach the project is one in which a role of a reads it.
func (v View) Shows(a domain.Actor, scopes map[domain.Role][]Scope) bool {
	for role, ss := range scopes {
		if !a.Has(role) {
			continue
		}
		for _, sc := range ss {
			if slices.Contains(v.Matched, sc) {
				return true
			}
		}
	}
	return false
}
