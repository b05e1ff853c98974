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
