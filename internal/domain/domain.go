// Package domain holds the vocabulary of egovpm shared by workflows, activities and the
// gateway: stages, task kinds, document kinds, roles and the versioned policy (R19).
//
// It is deterministic and free of I/O so that workflows may import it.
package domain

import "slices"

// Stage is where a project is in its lifecycle (API.md "Fixed vocabulary").
type Stage string

// The project stages.
const (
	StageDraft            Stage = "draft"
	StagePrelimReview     Stage = "prelim_review"
	StageRevision         Stage = "revision"
	StageExpertReview     Stage = "expert_review"
	StageAwaitingPlan     Stage = "awaiting_plan"
	StageNotIncluded      Stage = "not_included"
	StageAwaitingApproval Stage = "awaiting_approval"
	StageSpecialRequest   Stage = "special_request"
	StageApproved         Stage = "approved"
	StageProcurement      Stage = "procurement"
	StageConstruction     Stage = "construction"
	StageTrialRun         Stage = "trial_run"
	StageAcceptance       Stage = "acceptance"
	StageRectification    Stage = "rectification"
	StageOM               Stage = "om"
	StageRejected         Stage = "rejected"
	StageClosed           Stage = "closed"
)

// Stages lists every stage, in lifecycle order.
var Stages = []Stage{StageDraft, StagePrelimReview, StageRevision, StageExpertReview, StageAwaitingPlan,
	StageNotIncluded, StageAwaitingApproval, StageSpecialRequest, StageApproved, StageProcurement,
	StageConstruction, StageTrialRun, StageAcceptance, StageRectification, StageOM, StageRejected, StageClosed}

// Terminal reports whether no further decision can change the stage.
func (s Stage) Terminal() bool {
	return s == StageNotIncluded || s == StageRejected || s == StageClosed
}

// PrePlanStages are the stages of a submitted project still before the plan's decision (R3–R5):
// the plan's year-end close leaves each such project not included.
var PrePlanStages = []Stage{StagePrelimReview, StageRevision, StageExpertReview, StageAwaitingPlan}

// PrePlan reports whether a project in stage s is still before the plan's decision.
func (s Stage) PrePlan() bool { return slices.Contains(PrePlanStages, s) }

// ProjectType is the kind of project (R1).
type ProjectType string

// ProjectTypes lists the project types of R1; the last four are third-party service projects
// that must link to a parent project.
var ProjectTypes = []string{"new", "continuation", "om", "service", "design", "supervision", "testing", "security"}

// IsThirdParty reports whether t is a third-party service type that needs a parent (R1).
func IsThirdParty(t string) bool {
	switch t {
	case "design", "supervision", "testing", "security":
		return true
	}
	return false
}

// TaskKind is the kind of a human decision point.
type TaskKind string

// The task kinds.
const (
	TaskPrelimReview   TaskKind = "prelim_review"
	TaskExpertReview   TaskKind = "expert_review"
	TaskBundleApproval TaskKind = "bundle_approval"
	// TaskPlanAdjustment decides a mid-year adjustment (调整) of the plan (R5, issue 19 item 5).
	TaskPlanAdjustment         TaskKind = "plan_adjustment"
	TaskProjectApproval        TaskKind = "project_approval"
	TaskSpecialRequestApproval TaskKind = "special_request_approval"
	TaskAcceptanceCheck        TaskKind = "acceptance_check"
	TaskAcceptanceSignoff      TaskKind = "acceptance_signoff"
	TaskAcceptanceWitness      TaskKind = "acceptance_witness"
	TaskOMReview               TaskKind = "om_review"
	TaskEvaluation             TaskKind = "evaluation"
	// TaskChangeReview decides a change request after approval (项目变更): DRB, or the
	// authority that approved the project (Policy.ChangeDecider).
	TaskChangeReview TaskKind = "change_review"
	// TaskTerminationReview decides a unit's own termination request (终止申请, issue 19 item 4):
	// DRB approves (the project closes as terminated) or rejects it.
	TaskTerminationReview TaskKind = "termination_review"
	// TaskExtensionReview decides a unit's request to extend a deadline of its own steps
	// (延期申请, issue 19 item 4): DRB approves (the deadline moves) or rejects it.
	TaskExtensionReview TaskKind = "extension_review"
)

// TaskKinds lists every task kind.
var TaskKinds = []string{"prelim_review", "expert_review", "bundle_approval", "project_approval",
	"special_request_approval", "acceptance_check", "acceptance_signoff", "acceptance_witness", "om_review", "evaluation", "change_review",
	"plan_adjustment", "termination_review", "extension_review"}

// DocKinds lists every document kind.
var DocKinds = []string{"opinion", "impl_plan", "special_request", "contract", "supervision_report",
	"trial_run_report", "crypto_plan", "crypto_assessment", "mlps_filing", "acceptance_minutes", "om_report", "other"}

// DocKindNames are the document kinds as people read them: refusals ("缺少材料：…") and the
// web UI's documentKindLabels (web/src/lib/labels.ts) say the same (TestDocKindNames_MatchWeb).
var DocKindNames = map[string]string{
	"opinion": "项目意见书", "impl_plan": "实施方案", "special_request": "专题请示", "contract": "合同",
	"supervision_report": "监理报告", "trial_run_report": "试运行报告", "crypto_plan": "密码应用方案",
	"crypto_assessment": "密评报告", "mlps_filing": "等保备案", "acceptance_minutes": "验收纪要",
	"om_report": "运维报告", "other": "其他",
}

// Decisions.
const (
	DecisionApprove = "approve"
	DecisionReturn  = "return"
	DecisionReject  = "reject"
	DecisionPass    = "pass"
	DecisionFail    = "fail"
)

// Role is a user's role.
type Role = string

// The roles.
const (
	RoleSubmitter       Role = "submitter"
	RoleDRBReviewer     Role = "drb_reviewer"
	RoleDRBSupervisor   Role = "drb_supervisor"
	RoleExpert          Role = "expert"
	RoleNDRCApprover    Role = "ndrc_approver"
	RoleCityGovApprover Role = "citygov_approver"
	RolePRTAWitness     Role = "prta_witness"
	RoleFinance         Role = "finance"
	RoleCrypto          Role = "crypto"
	RoleAudit           Role = "audit"
	RoleOps             Role = "ops"
	RoleAdmin           Role = "admin"
)

// Roles lists every role.
var Roles = []Role{RoleSubmitter, RoleDRBReviewer, RoleDRBSupervisor, RoleExpert, RoleNDRCApprover,
	RoleCityGovApprover, RolePRTAWitness, RoleFinance, RoleCrypto, RoleAudit, RoleOps, RoleAdmin}

// Actor is the person behind a request or a decision.
type Actor struct {
	ID     string   `json:"id"`
	OrgID  string   `json:"org_id"`
	Roles  []string `json:"roles"`
	Name   string   `json:"name,omitempty"`
	Client string   `json:"client,omitempty"`
}

// Has reports whether the actor has role r.
func (a Actor) Has(r Role) bool {
	for _, x := range a.Roles {
		if x == r {
			return true
		}
	}
	return false
}

// Contains reports whether list holds s.
func Contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
