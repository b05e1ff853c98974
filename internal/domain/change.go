package domain

// ChangeKind is what a change request after approval changes (项目变更).
type ChangeKind string

// The change kinds.
const (
	ChangeScope    ChangeKind = "scope"
	ChangeAmount   ChangeKind = "amount"
	ChangeVendor   ChangeKind = "vendor"
	ChangeSchedule ChangeKind = "schedule"
)

// ChangeKinds lists every change kind.
var ChangeKinds = []string{string(ChangeScope), string(ChangeAmount), string(ChangeVendor), string(ChangeSchedule)}

// ChangeStagesOpen are the stages in which a unit may request a change of its approved
// project: from approval until it applies for acceptance (R9–R11). From the acceptance
// application on, what is accepted is what was built; a change after it is a new project (R1).
var ChangeStagesOpen = []Stage{StageProcurement, StageConstruction, StageTrialRun}

// Change statuses.
const (
	ChangePending  = "pending"
	ChangeApproved = "approved"
	ChangeRejected = "rejected"
)

// ChangeRecord is one change request of a project as the read model keeps it (项目变更,
// table project_changes): written when it is filed (pending) and again when it is decided.
type ChangeRecord struct {
	ID           string     `json:"id"`
	Seq          int        `json:"seq"`
	Kind         ChangeKind `json:"kind"`
	Description  string     `json:"description"`
	Reason       string     `json:"reason"`
	OldAmountFen int64      `json:"old_amount_fen,omitempty"`
	NewAmountFen int64      `json:"new_amount_fen,omitempty"`
	NewVendor    string     `json:"new_vendor,omitempty"`
	TaskID       string     `json:"task_id"`
	// DeciderRole and DeciderOrg decide it: DRB, or the approving authority (re-approval).
	DeciderRole string `json:"decider_role"`
	DeciderOrg  string `json:"decider_org,omitempty"`
	Reapproval  bool   `json:"reapproval,omitempty"`
	Status      string `json:"status"`
	RequestedBy string `json:"requested_by"`
	DecidedBy   string `json:"decided_by,omitempty"`
	Comment     string `json:"comment,omitempty"`
}

// ChangeNeedsReapproval reports whether a change of the approved amount from oldFen to newFen
// goes back to the authority that approved the project: every increase, and a decrease of more
// than the policy's ChangeReapprovalPercent of the approved amount (0: none).
func (p Policy) ChangeNeedsReapproval(oldFen, newFen int64) bool {
	if newFen > oldFen {
		return true
	}
	pct := int64(p.ChangeReapprovalPercent)
	return pct > 0 && newFen > 0 && (oldFen-newFen)*100 > oldFen*pct
}

// ChangeDecider is the role and org that decide a change request of a project with estimated
// amount estimatedFen: with reapproval the authority that approved it under the policy (R6:
// the bundle's approver below the threshold, the project approver above; 2021 NDRC, 2023
// DRB), else the DRB reviewers.
func (p Policy) ChangeDecider(estimatedFen int64, reapproval bool) (role, org string) {
	switch {
	case !reapproval:
		return RoleDRBReviewer, "drb"
	case p.Small(estimatedFen):
		return p.BundleApproverRole, p.BundleApproverOrg
	}
	return p.ProjectApproverRole, p.ProjectApproverOrg
}
