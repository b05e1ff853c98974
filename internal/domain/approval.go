package domain

// ApprovalRoute is how a project comes to its approval (R6, R8).
type ApprovalRoute string

// The approval routes.
const (
	// RouteProject: 10,000,000 CNY and above, decided alone with its opinion and
	// implementation plan (R6).
	RouteProject ApprovalRoute = "project"
	// RouteBundle: below the threshold, decided in the year's bundled proposal (R6).
	RouteBundle ApprovalRoute = "bundle"
	// RouteSpecial: an unplanned project before the City Government (R8).
	RouteSpecial ApprovalRoute = "special_request"
)

// ApprovalDocuments lists the document kinds a project's approval needs under p on route:
// the project opinion and implementation plan of a project decided alone (R6), the special
// request of an unplanned one (R8), and the 密码应用方案 of a project that uses cryptography
// when the policy asks for it at approval, on every route (R17). The lifecycle waits for
// them before it opens the approval task; the approver's checklist shows them.
func (p Policy) ApprovalDocuments(route ApprovalRoute, usesCrypto bool) []string {
	var kinds []string
	switch route {
	case RouteProject:
		kinds = []string{"opinion", "impl_plan"}
	case RouteSpecial:
		kinds = []string{"special_request"}
	}
	if usesCrypto && p.CryptoPlanAtApproval {
		kinds = append(kinds, "crypto_plan") // R17
	}
	return kinds
}
