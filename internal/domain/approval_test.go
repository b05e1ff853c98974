package domain

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// TestApprovalDocumentsR6R8R17: the opinion and implementation plan of a project decided
// alone, the special request of an unplanned one, and the 密码应用方案 of a project that uses
// cryptography on every route when the policy asks for it.
func TestApprovalDocumentsR6R8R17(t *testing.T) {
	gate := Policy{CryptoPlanAtApproval: true}
	require.Equal(t, []string{"opinion", "impl_plan"}, gate.ApprovalDocuments(RouteProject, false))
	require.Equal(t, []string{"opinion", "impl_plan", "crypto_plan"}, gate.ApprovalDocuments(RouteProject, true))
	require.Empty(t, gate.ApprovalDocuments(RouteBundle, false))
	require.Equal(t, []string{"crypto_plan"}, gate.ApprovalDocuments(RouteBundle, true))
	require.Equal(t, []string{"special_request", "crypto_plan"}, gate.ApprovalDocuments(RouteSpecial, true))
	require.Equal(t, []string{"opinion", "impl_plan"}, Policy{}.ApprovalDocuments(RouteProject, true), "no gate, no crypto plan")
}
