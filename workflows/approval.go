package workflows

import "egovpm/internal/domain"

// ApprovalCap is the most an approval of kind may grant (R7): a project approved alone at
// most its plan amount after the R5 cut (its estimate while it has none), a special request
// at most its estimate. The Update validator refuses more (amount_over_limit); the approver's
// form shows it.
func ApprovalCap(kind domain.TaskKind, planFen, estimatedFen int64) int64 {
	if kind == domain.TaskProjectApproval && planFen > 0 {
		return planFen
	}
	return estimatedFen
}
