package workflows

import "egovpm/internal/domain"

// Bundleable reports whether a bundle of plan year `year` created without a list of projects
// would take the project r as the read model holds it (R6): of that year, awaiting approval,
// below the policy's threshold and in no bundle yet — unless its 密码应用方案 is missing
// (r.CryptoPlanMissing, R17), which CheckPlanStages and the plan refuse apart. The gateway
// lists these as the 打捆 screen's candidates.
func Bundleable(r domain.PlanProject, year int, pol domain.Policy) bool {
	return r.PlanYear == year && r.Stage == domain.StageAwaitingApproval && pol.Small(r.EstimatedFen) && r.BundleID == ""
}
