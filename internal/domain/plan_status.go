package domain

// ProjectStatus is a project's report of its stage to its year's AnnualPlan
// (workflows.ProjectStatusSignal): the plan validates its own decisions against what it has
// heard (R4–R6).
type ProjectStatus struct {
	ProjectID     string `json:"project_id"`
	UnitID        string `json:"unit_id"`
	Name          string `json:"name,omitempty"`
	EstimatedFen  int64  `json:"estimated_fen"`
	Stage         Stage  `json:"stage"`
	PlanAmountFen int64  `json:"plan_amount_fen,omitempty"`
	Supplementary bool   `json:"supplementary,omitempty"`
}

// PlanProject is what the read model says of a project when its AnnualPlan validates a
// decision on it (R4–R6; AnnualPlan from version plan-stages-from-read-model reads this
// instead of hearing ProjectStatus reports).
type PlanProject struct {
	ProjectID    string `json:"project_id" db:"id"`
	PlanYear     int    `json:"plan_year" db:"plan_year"`
	UnitID       string `json:"unit_id" db:"unit_id"`
	Name         string `json:"name" db:"name"`
	EstimatedFen int64  `json:"estimated_fen" db:"estimated_investment_fen"`
	Stage        Stage  `json:"stage" db:"stage"`
	// Version is the project row's version: it changes with every stage change.
	Version int `json:"version" db:"version"`
	// Planned: the plan decided on it (a plan item, included or not, R5/R8).
	Planned       bool   `json:"planned,omitempty" db:"planned"`
	PlanAmountFen int64  `json:"plan_amount_fen,omitempty" db:"plan_amount_fen"`
	Supplementary bool   `json:"supplementary,omitempty" db:"supplementary"`
	BundleID      string `json:"bundle_id,omitempty" db:"bundle_id"`
	// ExpertTasksOpen: a panel's review tasks are open (the project is paneled, R4).
	ExpertTasksOpen bool `json:"expert_tasks_open,omitempty" db:"expert_tasks_open"`
	// CryptoPlanMissing: the project uses cryptography, its pinned policy demands the
	// 密码应用方案 at approval, and none is uploaded yet (R17): it cannot be approved, in a
	// bundle or alone.
	CryptoPlanMissing bool `json:"crypto_plan_missing,omitempty" db:"crypto_plan_missing"`
	// BundleApproverRole and BundleApproverOrg are who decides a bundle of the project under
	// its pinned policy (R6, R19); empty before it is submitted.
	BundleApproverRole string `json:"bundle_approver_role,omitempty" db:"bundle_approver_role"`
	BundleApproverOrg  string `json:"bundle_approver_org,omitempty" db:"bundle_approver_org"`
	// WrittenBy is the id of the plan transition that wrote its plan item (a compile's or an
	// approved adjustment's; empty for a supplementary item or one written before), and
	// LatestSession the latest expert session that convened it, SessionVersion its version
	// then (0 before): a plan run continued as new takes them back only from the transitions
	// and sessions it carries (plan-lean-resume).
	WrittenBy      string `json:"written_by,omitempty" db:"written_by"`
	LatestSession  string `json:"latest_session,omitempty" db:"latest_session"`
	SessionVersion int    `json:"session_version,omitempty" db:"session_version"`
}
