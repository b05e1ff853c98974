package authz

import (
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"egovpm/internal/domain"
)

// TestContractScopesFollowTheContractDocument: a registered contract (R9) is read by exactly
// those whose grants show a contract document (docs/AUTHZ.md "contract read"); payments and
// O&M filings are read within what each role reads of projects.
func TestContractScopesFollowTheContractDocument(t *testing.T) {
	for role, grants := range RoleGrants {
		var want []Scope
		for _, g := range grants {
			if g.Docs.All || slices.Contains(g.Docs.Kinds, "contract") {
				want = append(want, g.Scope)
			}
		}
		require.ElementsMatch(t, want, ContractScopes[role], "role %s", role)
	}
	for _, scopes := range []map[domain.Role][]Scope{ContractScopes, PaymentScopes, OMFilingScopes} {
		for role, ss := range scopes {
			for _, sc := range ss {
				require.True(t, slices.ContainsFunc(RoleGrants[role], func(g Grant) bool { return g.Scope == sc }), "%s %s", role, sc)
			}
		}
	}
}

// TestReachForKeepsTheRecordsScopes: a finance user reads payments of approved projects only,
// not those of a session it co-organises; a unit its own.
func TestReachForKeepsTheRecordsScopes(t *testing.T) {
	fin := domain.Actor{ID: "u-fin1", OrgID: "finance", Roles: []string{domain.RoleFinance}}
	require.Equal(t, []Scope{ScopeApproved}, ReachFor(fin, PaymentScopes).Scopes())
	require.Empty(t, ReachFor(fin, OMFilingScopes).Scopes())
	ndrc := domain.Actor{ID: "u-ndrc1", OrgID: "ndrc", Roles: []string{domain.RoleNDRCApprover}}
	r := ReachFor(ndrc, ContractScopes)
	require.Equal(t, []Scope{ScopeDecision}, r.Scopes())
	require.Equal(t, []string{domain.RoleNDRCApprover}, r.DecisionRoles)
	v := View{Reach: ReachOf(fin), Matched: []Scope{ScopeCoOrganiser}}
	require.False(t, v.Shows(fin, PaymentScopes))
	v.Matched = []Scope{ScopeApproved}
	require.True(t, v.Shows(fin, PaymentScopes))
}
