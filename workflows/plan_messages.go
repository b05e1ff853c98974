package workflows

import (
	"time"

	"egovpm/internal/domain"
)

// AnnualPlanInput starts the plan of a year.
type AnnualPlanInput struct {
	Year   int           `json:"year"`
	Policy domain.Policy `json:"policy"`
	// Resume carries state across continue-as-new.
	Resume *PlanState `json:"resume,omitempty"`
}

// PlanProject is what the plan knows of one project.
type PlanProject struct {
	ProjectID    string       `json:"project_id"`
	UnitID       string       `json:"unit_id"`
	Name         string       `json:"name"`
	EstimatedFen int64        `json:"estimated_fen"`
	Stage        domain.Stage `json:"stage"`
	Paneled      bool         `json:"paneled,omitempty"`
	// Version is the read model's version of the project when the plan last read it, and
	// PaneledVersion that version when the plan convened its panel: a panel convened by the
	// plan counts until the project's stage changes (plan-stages-from-read-model).
	Version        int    `json:"version,omitempty"`
	PaneledVersion int    `json:"paneled_version,omitempty"`
	Planned        bool   `json:"planned,omitempty"`
	PlanAmountFen  int64  `json:"plan_amount_fen,omitempty"`
	Supplementary  bool   `json:"supplementary,omitempty"`
	BundleID       string `json:"bundle_id,omitempty"`
	// CryptoPlanMissing: it cannot be approved yet, its 密码应用方案 is missing (R17,
	// crypto-plan-every-route).
	CryptoPlanMissing bool `json:"crypto_plan_missing,omitempty"`
	// ApproverRole and ApproverOrg decide a bundle of it: its pinned policy's bundle approver
	// (R6, R19, bundle-by-pinned-approver); empty in runs started before.
	ApproverRole string `json:"approver_role,omitempty"`
	ApproverOrg  string `json:"approver_org,omitempty"`
}

// PlanBundle is a bundled proposal (R6).
type PlanBundle struct {
	ID     string `json:"id"`
	TaskID string `json:"task_id"`
	// ProjectIDs are its members, in bundles made before bundle-by-reference; a bundle made
	// by reference (ByRef) keeps none: the read model holds them (bundle_projects), the plan
	// their Count and Digest (domain.BundleDigest).
	ProjectIDs []string `json:"project_ids"`
	ByRef      bool     `json:"by_ref,omitempty"`
	Count      int      `json:"count,omitempty"`
	Digest     string   `json:"digest,omitempty"`
	Status     string   `json:"status"`
	// CreatedBy made the bundle: they may not decide it (separation of duties; "" in bundles
	// a run resumed from before it).
	CreatedBy string `json:"created_by,omitempty"`
	// AssigneeID is who the DRB supervisor reassigned the approval task to (转办): only they
	// decide it ("" while it is offered to the approvers).
	AssigneeID string `json:"assignee_id,omitempty"`
	// ApproverRole and ApproverOrg decide it: the pinned policy's bundle approver of its
	// projects (bundle-by-pinned-approver); empty in bundles made before, which the plan's
	// policy's approver decides.
	ApproverRole string `json:"approver_role,omitempty"`
	ApproverOrg  string `json:"approver_org,omitempty"`
	// DueAt and RemindAt are the approval task's T2 instants (bundle-task-timers; zero in
	// bundles made before it); Reminded and Escalated record the notices sent.
	DueAt     time.Time `json:"due_at,omitzero"`
	RemindAt  time.Time `json:"remind_at,omitzero"`
	Reminded  bool      `json:"reminded,omitempty"`
	Escalated bool      `json:"escalated,omitempty"`
}

// PlanState is the live state of a year's plan (QueryState).
type PlanState struct {
	Year     int            `json:"year"`
	Projects []*PlanProject `json:"projects"`
	Bundles  []*PlanBundle  `json:"bundles"`
	Sessions []string       `json:"sessions"`
	Seq      int            `json:"seq"`
	// Reminded lists the T1 reminder days (MM-DD) already sent.
	Reminded []string `json:"reminded,omitempty"`
	// CloseAt is when the plan closes (R5, year-end-close; zero: never, its policy has no
	// close day), and Closed that it has: every project then before its decision was not
	// included.
	CloseAt time.Time `json:"close_at,omitzero"`
	Closed  bool      `json:"closed,omitempty"`
	// Adjustments are the mid-year adjustments (调整) proposed (plan-adjust).
	Adjustments []*PlanAdjustment `json:"adjustments,omitempty"`
	// Compiles are the ids of the plan's compiles and approved adjustments whose writes went
	// through (plan-lean-resume): the plan items a run continued as new takes back from the
	// read model (recall), O(requests) where Projects was O(projects).
	Compiles []string `json:"compiles,omitempty"`
}

// ConveneUpdate convenes an expert session over some projects (R4).
type ConveneUpdate struct {
	SessionID  string       `json:"session_id"`
	Actor      domain.Actor `json:"actor"`
	Experts    []ExpertRef  `json:"experts"`
	ProjectIDs []string     `json:"project_ids"`
	RequestID  string       `json:"request_id,omitempty"`
	// CoOrgIDs are the orgs that co-organise the session (Finance, NDRC, Crypto; R4): their
	// people read its projects while the panels are open.
	CoOrgIDs []string `json:"co_org_ids,omitempty"`
	// RequestHash: see DecideUpdate.RequestHash.
	RequestHash string `json:"request_hash,omitempty"`
}

// ConveneResult lists each project's effective panel.
type ConveneResult struct {
	SessionID string       `json:"session_id"`
	Panels    []PanelOfOne `json:"panels"`
	// RequestHash: see DecideResult.RequestHash.
	RequestHash string `json:"request_hash,omitempty"`
}

// AnsweredHash is the hash of the request the result answers.
func (r ConveneResult) AnsweredHash() string { return r.RequestHash }

// PanelOfOne is the effective panel of one project.
type PanelOfOne struct {
	ProjectID string   `json:"project_id"`
	ExpertIDs []string `json:"expert_ids"`
	Recused   []string `json:"recused,omitempty"`
}

// PlanInclusion puts a project in the plan at an amount (R5, R7).
type PlanInclusion struct {
	ProjectID         string `json:"project_id"`
	ApprovedAmountFen int64  `json:"approved_amount_fen"`
}

// PlanExclusion leaves a project out with a reason (R5).
type PlanExclusion struct {
	ProjectID string `json:"project_id"`
	Reason    string `json:"reason"`
}

// CompileUpdate compiles projects into (or out of) the plan (R5).
type CompileUpdate struct {
	Actor     domain.Actor    `json:"actor"`
	Included  []PlanInclusion `json:"included"`
	Excluded  []PlanExclusion `json:"excluded"`
	RequestID string          `json:"request_id,omitempty"`
	// RequestHash: see DecideUpdate.RequestHash.
	RequestHash string `json:"request_hash,omitempty"`
}

// ProjectIDs lists the projects u names, included then excluded.
func (u CompileUpdate) ProjectIDs() []string {
	ids := make([]string, 0, len(u.Included)+len(u.Excluded))
	for _, x := range u.Included {
		ids = append(ids, x.ProjectID)
	}
	for _, x := range u.Excluded {
		ids = append(ids, x.ProjectID)
	}
	return ids
}

// CompileResult counts what was compiled.
type CompileResult struct {
	Included int `json:"included"`
	Excluded int `json:"excluded"`
	// RequestHash: see DecideResult.RequestHash.
	RequestHash string `json:"request_hash,omitempty"`
}

// AnsweredHash is the hash of the request the result answers.
func (r CompileResult) AnsweredHash() string { return r.RequestHash }

// BundleUpdate creates a bundled proposal (R6).
type BundleUpdate struct {
	BundleID   string       `json:"bundle_id"`
	Actor      domain.Actor `json:"actor"`
	ProjectIDs []string     `json:"project_ids,omitempty"`
	RequestID  string       `json:"request_id,omitempty"`
	// RequestHash: see DecideUpdate.RequestHash.
	RequestHash string `json:"request_hash,omitempty"`
}

// BundleResult describes a created bundle: its members named (bundles before
// bundle-by-reference), or counted (Count; the gateway reads them from the read model).
type BundleResult struct {
	ID         string   `json:"id"`
	ProjectIDs []string `json:"project_ids"`
	TaskID     string   `json:"task_id"`
	Count      int      `json:"count,omitempty"`
	// RequestHash: see DecideResult.RequestHash.
	RequestHash string `json:"request_hash,omitempty"`
}

// AnsweredHash is the hash of the request the result answers.
func (r BundleResult) AnsweredHash() string { return r.RequestHash }
