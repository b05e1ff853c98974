package domain

import (
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"time"
)

// Transition is one step of a lifecycle, written to the read model in one transaction by an
// activity: the stage change, tasks closed and opened, and the audit rows. Its ID (derived
// from the workflow id and a sequence number) makes the write idempotent.
type Transition struct {
	ID         string `json:"id"`
	WorkflowID string `json:"workflow_id"`
	ProjectID  string `json:"project_id,omitempty"`
	// Stage is the new stage; empty leaves it.
	Stage Stage `json:"stage,omitempty"`
	// Through, when set, is a stage the project passes through on its way to Stage in this
	// one transition (bundle-approve-once: approved on the way to procurement); the read model
	// shows Stage, and the notices NoticeRules derive for Through are written with Stage's.
	Through Stage `json:"through,omitempty"`
	// ApprovedAmountFen, when positive, records the approved (or plan) amount (R7).
	ApprovedAmountFen int64 `json:"approved_amount_fen,omitempty"`
	// Round, when positive with a Stage, records the project's submission round (R3): a
	// resubmission after a return for revision starts the next one.
	Round  int         `json:"round,omitempty"`
	Close  []TaskClose `json:"close,omitempty"`
	Open   []NewTask   `json:"open,omitempty"`
	Audit  []AuditItem `json:"audit,omitempty"`
	Notify []Notice    `json:"notify,omitempty"`
	// MailNotify, with Notify, has Apply mail the transition's notifications (explicit and
	// derived) in the background after its commit, the mail sweep being the fallback
	// (notify-in-apply); without it the workflow mails them through its SendNotifications
	// activity.
	MailNotify     bool        `json:"mail_notify,omitempty"`
	PlanItems      []PlanItem  `json:"plan_items,omitempty"`
	Bundle         *Bundle     `json:"bundle,omitempty"`
	Session        *Session    `json:"session,omitempty"`
	Contract       *Contract   `json:"contract,omitempty"`
	TrialRunEndsAt *time.Time  `json:"trial_run_ends_at,omitempty"`
	OMFiling       *OMFiling   `json:"om_filing,omitempty"`
	Evaluation     *Evaluation `json:"evaluation,omitempty"`
	// EvaluationDue records when the project's next evaluation round opens (R14,
	// evaluation-period); the zero time clears it (the round opened, none follows).
	EvaluationDue *time.Time `json:"evaluation_due,omitempty"`
	// Change records a change request filed or decided (项目变更); an approved one applies
	// its new amount or vendor (R7, R9).
	Change *ChangeRecord `json:"change,omitempty"`
	// Assign moves open tasks to another person (转办).
	Assign []TaskAssign `json:"assign,omitempty"`
	// ActivityFailure records a regular activity of the workflow that gave up for good (O1);
	// its row is keyed by the transition's ID.
	ActivityFailure *ActivityFailure `json:"activity_failure,omitempty"`
	// Closure records why a project closed (终止 or 系统下线, issue 19 item 4).
	Closure *Closure `json:"closure,omitempty"`
}

// The ways a project closes (Closure.As): terminated by DRB (终止) or retired from O&M
// (系统下线).
const (
	ClosedTerminated = "terminated"
	ClosedRetired    = "retired"
)

// Closure is how and why a project closed (stage closed).
type Closure struct {
	As     string `json:"as"`
	Reason string `json:"reason"`
	By     string `json:"by"`
	// SettlementFen, when positive, is the final settlement (终止结算) of work already done that
	// DRB approved with a termination: the only payments a closed project still takes.
	SettlementFen int64 `json:"settlement_fen,omitempty"`
}

// TaskAssign assigns an open task to one person.
type TaskAssign struct {
	TaskID     string `json:"task_id"`
	AssigneeID string `json:"assignee_id"`
	// DelegatedBy is who delegated the task (委派, issue 19 item 6): he keeps seeing it.
	DelegatedBy string `json:"delegated_by,omitempty"`
}

// ActivityFailure is a regular activity that exhausted its retries: O1 lists it until ops
// resolves it.
type ActivityFailure struct {
	RunID        string `json:"run_id"`
	ActivityType string `json:"activity_type"`
	Error        string `json:"error"`
}

// Contract is the registered contract of a project (R9).
type Contract struct {
	Vendor         string    `json:"vendor"`
	AmountFen      int64     `json:"amount_fen"`
	SignedOn       string    `json:"signed_on"`
	ProcurementRef string    `json:"procurement_ref"`
	DataLists      DataLists `json:"data_lists"`
	RegisteredBy   string    `json:"registered_by"`
}

// DataLists are the data three lists of a contract (R9).
type DataLists struct {
	Demand         DataList `json:"demand"`
	Responsibility DataList `json:"responsibility"`
	Negative       DataList `json:"negative"`
}

// DataList is one list: items, or an explicit "none" with a reason.
type DataList struct {
	Items      []map[string]string `json:"items,omitempty"`
	NoneReason string              `json:"none_reason,omitempty"`
}

// OMFiling records an O&M year's filing or its overdue flag (R13).
type OMFiling struct {
	Year       int       `json:"year"`
	DueAt      time.Time `json:"due_at"`
	Filed      bool      `json:"filed"`
	DocumentID string    `json:"document_id,omitempty"`
	FiledBy    string    `json:"filed_by,omitempty"`
	Overdue    bool      `json:"overdue,omitempty"`
	// Late: filed after the year was flagged overdue (R13).
	Late bool `json:"late,omitempty"`
	// Extend: DueAt is the year's new due date (a deadline extension DRB approved, 延期申请);
	// otherwise a year's row keeps the due date it was first written with.
	Extend bool `json:"extend,omitempty"`
}

// Evaluation is a performance evaluation (R14).
type Evaluation struct {
	// Round is the evaluation's round (R14, evaluation-period); 0 (runs before it) is round 1.
	Round       int    `json:"round,omitempty"`
	Score       int    `json:"score"`
	Grade       string `json:"grade"`
	Findings    string `json:"findings"`
	EvaluatedBy string `json:"evaluated_by"`
}

// PlanItem is a project's place in (or out of) the annual plan (R5, R8).
type PlanItem struct {
	PlanYear          int    `json:"plan_year"`
	ProjectID         string `json:"project_id"`
	Included          bool   `json:"included"`
	ApprovedAmountFen int64  `json:"approved_amount_fen,omitempty"`
	Reason            string `json:"reason,omitempty"`
	Supplementary     bool   `json:"supplementary,omitempty"`
	DecidedBy         string `json:"decided_by"`
	// Adjusted: an approved mid-year adjustment (调整) of the plan replaces the item (R5).
	Adjusted bool `json:"adjusted,omitempty"`
}

// Bundle records a bundled proposal or its outcome (R6).
type Bundle struct {
	ID         string            `json:"id"`
	PlanYear   int               `json:"plan_year"`
	TaskID     string            `json:"task_id"`
	Status     string            `json:"status"`
	CreatedBy  string            `json:"created_by"`
	ProjectIDs []string          `json:"project_ids"`
	Outcomes   map[string]string `json:"outcomes,omitempty"`
	// Select, on a new bundle that names no projects (AnnualPlan bundle-by-reference), makes
	// its members the plan year's candidates as the read model holds them when the
	// transition is written (INSERT … SELECT into bundle_projects): no member id passes
	// through the plan's history. TransitionResult.Bundled and BundleDigest say what it took.
	Select *BundleSelect `json:"select,omitempty"`
	// MemberAudit, when set, is the audit row written for each member of the bundle (its
	// ObjectID the member), keyed by the member so that a retry writes it once.
	MemberAudit *AuditItem `json:"member_audit,omitempty"`
	// Outcome, on a decided bundle (bundle-by-reference), is the outcome of every member not in
	// Outcomes (which then names only the excluded).
	Outcome string `json:"outcome,omitempty"`
}

// BundleSelect is which candidates a bundle created by reference takes (R6, R17, R19): the
// projects of PlanYear awaiting approval, estimated below SmallBelowFen, in no other bundle,
// without a missing 密码应用方案 where their pinned policy demands it, whose pinned policy's
// bundle approver is ApproverRole at ApproverOrg (DefaultRole at DefaultOrg, the plan's
// policy's, for a policy that names none).
type BundleSelect struct {
	SmallBelowFen int64  `json:"small_below_fen"`
	ApproverRole  string `json:"approver_role"`
	ApproverOrg   string `json:"approver_org"`
	DefaultRole   string `json:"default_role"`
	DefaultOrg    string `json:"default_org"`
}

// Session records an expert session (R4).
type Session struct {
	ID        string   `json:"id"`
	PlanYear  int      `json:"plan_year"`
	ExpertIDs []string `json:"expert_ids"`
	CreatedBy string   `json:"created_by"`
	// ProjectIDs are the projects the session convened panels for; CoOrgIDs the orgs that
	// co-organise it (Finance, NDRC, Crypto), whose people read those projects while their
	// panel is open (docs/AUTHZ.md).
	ProjectIDs []string `json:"project_ids,omitempty"`
	CoOrgIDs   []string `json:"co_org_ids,omitempty"`
	// ProjectVersions, when set, are the versions of ProjectIDs (in order) the plan convened
	// them at (plan-lean-resume): a panel counts until the project's stage changes.
	ProjectVersions []int `json:"project_versions,omitempty"`
}

// TaskClose closes an open task with a decision.
type TaskClose struct {
	TaskID   string `json:"task_id"`
	Decision string `json:"decision"`
	ActorID  string `json:"actor_id"`
	Comment  string `json:"comment,omitempty"`
	// Cancelled closes it without a decision (e.g. the project was withdrawn).
	Cancelled bool `json:"cancelled,omitempty"`
	// Details are kind-specific values of the decision (score, amount...).
	Details map[string]any `json:"details,omitempty"`
}

// NewTask opens a human decision point (DESIGN.md "Decisions from people").
type NewTask struct {
	ID             string         `json:"id"`
	Kind           TaskKind       `json:"kind"`
	ProjectID      string         `json:"project_id,omitempty"`
	BundleID       string         `json:"bundle_id,omitempty"`
	CandidateRole  string         `json:"candidate_role"`
	CandidateOrgID string         `json:"candidate_org_id,omitempty"`
	AssigneeID     string         `json:"assignee_id,omitempty"`
	DueWorkdays    int            `json:"due_workdays"`
	Details        map[string]any `json:"details,omitempty"`
}

// AuditItem is an audit row about the transition's project (or another object).
type AuditItem struct {
	ActorID    string         `json:"actor_id"`
	OrgID      string         `json:"org_id,omitempty"`
	Action     string         `json:"action"`
	ObjectType string         `json:"object_type,omitempty"`
	ObjectID   string         `json:"object_id,omitempty"`
	Outcome    string         `json:"outcome"`
	RequestID  string         `json:"request_id,omitempty"`
	Detail     map[string]any `json:"detail,omitempty"`
}

// Notice is a notification to the users of a role (optionally of one org) or to one user.
type Notice struct {
	Kind   string `json:"kind"`
	Title  string `json:"title"`
	Body   string `json:"body,omitempty"`
	UserID string `json:"user_id,omitempty"`
	Role   string `json:"role,omitempty"`
	OrgID  string `json:"org_id,omitempty"`
	TaskID string `json:"task_id,omitempty"`
}

// TransitionResult reports what the write did: the due instants of the tasks opened.
type TransitionResult struct {
	Due map[string]time.Time `json:"due,omitempty"`
	// Remind is when to remind of each task: 09:00 Asia/Shanghai on the working day before it
	// is due (T2).
	Remind map[string]time.Time `json:"remind,omitempty"`
	// Bundled is how many members the transition's bundle has, and BundleDigest a digest of
	// their ids (BundleDigest), when it wrote a bundle's membership (Bundle.Select or
	// Bundle.ProjectIDs with Bundle.MemberAudit).
	Bundled      int    `json:"bundled,omitempty"`
	BundleDigest string `json:"bundle_digest,omitempty"`
}

// BundleSummary is what a plan needs of the candidates of a bundle it creates by reference
// (bundle-by-reference): how many are ready and a digest of their ids, by approver (R6, R19),
// and those left out because their 密码应用方案 is missing (R17), with a few ids of each.
type BundleSummary struct {
	Count      int              `json:"count"`
	Digest     string           `json:"digest"`
	Approvers  []BundleApprover `json:"approvers,omitempty"`
	Waiting    int              `json:"waiting,omitempty"`
	WaitingIDs []string         `json:"waiting_ids,omitempty"`
}

// BundleApprover is one bundle approver of a bundle's candidates (their pinned policy's, or the
// plan's policy's for a policy that names none), how many of them and a few of their ids.
type BundleApprover struct {
	Role      string   `json:"role"`
	Org       string   `json:"org"`
	Count     int      `json:"count"`
	SampleIDs []string `json:"sample_ids"`
}

// BundleDigest is a digest of a bundle's member ids (any order): the first 16 hex digits of
// the SHA-256 of the sorted ids, each followed by a newline.
func BundleDigest(ids []string) string {
	s := slices.Clone(ids)
	slices.Sort(s)
	h := sha256.New()
	for _, id := range s {
		h.Write([]byte(id + "\n"))
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}
