// Package workflows holds the deterministic lifecycle code: ProjectLifecycle (one per
// project, id "project:<id>") and AnnualPlan (one per plan year, id "plan:<year>"), with the
// names and payloads of their messages.
//
// Nothing here does I/O or reads the clock: activities write the read model, and decisions
// arrive as Updates validated against the workflow's own state.
package workflows

import (
	"fmt"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"egovpm/activities/wire"
	"egovpm/internal/domain"
)

// TaskQueue is the task queue of the egovpm worker.
const TaskQueue = "egovpm"

// Message names.
const (
	// UpdateDecide delivers a person's decision on a task (both workflows).
	UpdateDecide = "decide"
	// UpdateResubmit resubmits a project returned for revision (R3).
	UpdateResubmit = "resubmit"
	// UpdateReassign moves an open task to another eligible person (转办, T2).
	UpdateReassign = "reassign"
	// UpdateWithdraw withdraws a submitted project before the first decision (撤回).
	UpdateWithdraw = "withdraw"
	// UpdateTerminate closes a project: DRB's 终止 at any stage, or 系统下线 from O&M.
	UpdateTerminate = "terminate"
	// QueryState returns the live state of a workflow.
	QueryState = "state"

	// SignalPanel gives a project its expert panel (R4).
	SignalPanel = "panel"
	// SignalPlanResult tells a project whether it is in the annual plan (R5).
	SignalPlanResult = "plan_result"
	// SignalBundleResult tells a project the outcome of its bundle (R6).
	SignalBundleResult = "bundle_result"
	// SignalDocuments tells a project its documents changed.
	SignalDocuments = "documents_changed"

	// UpdateConvene convenes an expert session (AnnualPlan, R4).
	UpdateConvene = "convene_session"
	// UpdateCompile compiles (part of) the annual plan (AnnualPlan, R5).
	UpdateCompile = "compile"
	// UpdateCreateBundle creates a bundled proposal (AnnualPlan, R6).
	UpdateCreateBundle = "create_bundle"
	// SignalProjectStatus reports a project's stage to its plan.
	SignalProjectStatus = "project_status"
	// SignalYearEndClose tells a project still before the plan's decision that the plan of its
	// year closed (R5, year-end close): it is not included.
	SignalYearEndClose = "year_end_close"
)

// ProjectWorkflowID is the workflow id of a project's lifecycle.
func ProjectWorkflowID(projectID string) string { return "project:" + projectID }

// PlanWorkflowID is the workflow id of a year's plan.
func PlanWorkflowID(year int) string { return fmt.Sprintf("plan:%d", year) }

// PlanPriority is the task priority of a year's plan run (plan-priority, issue 20 item 1): its
// workflow tasks and activities are dispatched before those of the default priority (3 of
// the server's 5 levels), which its projects' lifecycles have. A compile or convene request
// of a large year then waits for the plan's own work only, not behind the previous request's
// fan-out to a thousand projects, whose signals wake their lifecycles on the same task queue
// (PERFORMANCE §11.1.4). The gateway and AnnualCycle start the plan with it; continue-as-new
// keeps it (the server copies it to the next run). Keys need Temporal's priority matcher
// (matching.useNewMatcher, on by default in 1.31, the version the tests run); a server
// without it dispatches in order and ignores them.
var PlanPriority = temporal.Priority{PriorityKey: 1}

// PlanStartOptions are the options a client starts the plan of year with on taskQueue (the
// gateway at a year's first submission, the bench): its id, its summary and PlanPriority; a
// run already open is kept (the Schedule's AnnualCycle, or an earlier submission, started
// it). AnnualCycle starts it as a child with the same id, summary and priority.
func PlanStartOptions(year int, taskQueue string) client.StartWorkflowOptions {
	return client.StartWorkflowOptions{ID: PlanWorkflowID(year), TaskQueue: taskQueue, StaticSummary: PlanSummary(year),
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING, Priority: PlanPriority}
}

// PlanSummary is the static summary of a year's plan run in the Temporal UI and CLI, the same
// whether the gateway or the annual cycle starts it: the year only, no project content.
func PlanSummary(year int) string { return fmt.Sprintf("annual plan %d", year) }

// ProjectLifecycleInput starts a project's lifecycle. The policy in force at submission is
// pinned here for the project's whole life (R19).
type ProjectLifecycleInput struct {
	ProjectID    string        `json:"project_id"`
	UnitID       string        `json:"unit_id"`
	Name         string        `json:"name"`
	PlanYear     int           `json:"plan_year"`
	EstimatedFen int64         `json:"estimated_fen"`
	MLPSLevel    int           `json:"mlps_level"`
	UsesCrypto   bool          `json:"uses_crypto"`
	Special      bool          `json:"special"`
	Policy       domain.Policy `json:"policy"`
	SubmittedBy  domain.Actor  `json:"submitted_by"`
	RequestID    string        `json:"request_id,omitempty"`
	// Resume carries state across continue-as-new; nil on first start.
	Resume *ProjectState `json:"resume,omitempty"`
}

// ProjectLifecycleResult is the end state of a project.
type ProjectLifecycleResult struct {
	Stage domain.Stage `json:"stage"`
}

// OpenTask is a task the workflow waits on.
type OpenTask struct {
	ID             string          `json:"id"`
	Kind           domain.TaskKind `json:"kind"`
	CandidateRole  string          `json:"candidate_role"`
	CandidateOrgID string          `json:"candidate_org_id,omitempty"`
	AssigneeID     string          `json:"assignee_id,omitempty"`
	BundleID       string          `json:"bundle_id,omitempty"`
	// T2: when it is due, when to remind, and what was sent.
	DueAt     time.Time `json:"due_at,omitzero"`
	RemindAt  time.Time `json:"remind_at,omitzero"`
	Reminded  bool      `json:"reminded,omitempty"`
	Escalated bool      `json:"escalated,omitempty"`
	// Details are what the task's decider reads with it (an extension request's dates and
	// reason), written to the read model when it opens.
	Details map[string]any `json:"details,omitempty"`
}

// ExpertRef is an expert with the org they belong to (for R4 recusal).
type ExpertRef = wire.ExpertRef

// Review is one expert's review (R4).
type Review struct {
	ExpertID string `json:"expert_id"`
	Pass     bool   `json:"pass"`
	Score    int    `json:"score"`
	Opinion  string `json:"opinion"`
}

// ProjectState is the live state of a project's lifecycle (QueryState).
type ProjectState struct {
	Stage         domain.Stage `json:"stage"`
	Round         int          `json:"round"`
	OpenTasks     []OpenTask   `json:"open_tasks"`
	Panel         []ExpertRef  `json:"panel,omitempty"`
	Reviews       []Review     `json:"reviews,omitempty"`
	PlanAmountFen int64        `json:"plan_amount_fen,omitempty"`
	ApprovedFen   int64        `json:"approved_fen,omitempty"`
	BundleID      string       `json:"bundle_id,omitempty"`
	Seq           int          `json:"seq"`
	// Adjustments are the plan adjustments applied to the project (plan-adjust-once), a few
	// in its life: a repeat of one is ignored.
	Adjustments []string `json:"adjustments,omitempty"`
	// PlanReadsStages: the plan year reads stages from the read model, so stage changes are
	// not reported to it (plan-report-once).
	PlanReadsStages bool `json:"plan_reads_stages,omitempty"`
	// Held are plan signals that arrived before the stage they were sent for
	// (hold-early-plan-signals): each waits for the next stage change.
	Held []HeldSignal `json:"held,omitempty"`
	// Submitters are who submitted or recorded what the project's tasks decide on (the
	// submission, resubmissions, delivery requests): none of them acts on those tasks
	// (separation of duties).
	Submitters []string `json:"submitters,omitempty"`

	// Delivery (R9–R14).
	TrialRunEndsAt   time.Time `json:"trial_run_ends_at,omitzero"`
	TrialRunNotified bool      `json:"trial_run_notified,omitempty"`
	FollowUpSent     bool      `json:"follow_up_sent,omitempty"`
	AcceptanceRound  int       `json:"acceptance_round,omitempty"`
	OMStart          time.Time `json:"om_start,omitzero"`
	OMCalendarYear   int       `json:"om_calendar_year,omitempty"`
	OMYear           int       `json:"om_year,omitempty"`
	OMDeadline       time.Time `json:"om_deadline,omitzero"`
	OMFiled          bool      `json:"om_filed,omitempty"`
	OMReminded       bool      `json:"om_reminded,omitempty"`
	// OMOverdue are the O&M years flagged overdue and not filed yet (om-late-filing): a
	// filing for one of them is accepted and marked late (R13).
	OMOverdue []int `json:"om_overdue,omitempty"`
	// EvaluationRound is the last R14 evaluation round opened, EvaluationDueAt when the next
	// opens (zero: none is scheduled) (evaluation-period; both zero in runs started before).
	EvaluationRound int       `json:"evaluation_round,omitempty"`
	EvaluationDueAt time.Time `json:"evaluation_due_at,omitzero"`
	// ContractFen is the registered contract's amount (R9); Change the pending change request
	// (项目变更) and Changes how many the project has filed (change-request).
	ContractFen int64                `json:"contract_fen,omitempty"`
	Change      *domain.ChangeRecord `json:"change,omitempty"`
	Changes     int                  `json:"changes,omitempty"`
	// TermRequest is the unit's pending termination request (终止申请, termination-request).
	// (TermRequests counts them.)
	TermRequest  *TermRequest `json:"termination_request,omitempty"`
	TermRequests int          `json:"termination_requests,omitempty"`
	// Extension is the unit's pending deadline extension request (延期申请,
	// deadline-extension). (Extensions counts them.)
	Extension  *ExtensionRequest `json:"extension,omitempty"`
	Extensions int               `json:"extensions,omitempty"`
	// LastDecision is the last decision a withdrawal (撤回决定) may undo, nil once its next
	// step started; DecisionWithdrawals counts withdrawals: from the first on, new task ids
	// carry it (a closed task's id is never reused) (decision-withdraw).
	LastDecision        *DecidedStep `json:"last_decision,omitempty"`
	DecisionWithdrawals int          `json:"decision_withdrawals,omitempty"`
	// PanelWithdrawn: the approval that put the project in expert review was withdrawn (撤回决定)
	// before its panel arrived; a panel that arrives before the project is back in expert
	// review was convened on the withdrawn approval and is dropped (withdrawn-panel-dropped, R4).
	PanelWithdrawn bool `json:"panel_withdrawn,omitempty"`
}

// HeldSignal is a signal from the AnnualPlan that reached the lifecycle in another stage than
// the one it was sent for (see lifecycle.hold). Exactly one of Panel, Plan and Bundle is set.
type HeldSignal struct {
	// ArrivedIn is the stage the lifecycle was in when the signal arrived.
	ArrivedIn domain.Stage        `json:"arrived_in"`
	Panel     *PanelSignal        `json:"panel,omitempty"`
	Plan      *PlanResultSignal   `json:"plan,omitempty"`
	Bundle    *BundleResultSignal `json:"bundle,omitempty"`
}

// DecideUpdate is a person's decision on a task.
type DecideUpdate struct {
	TaskID             string       `json:"task_id"`
	Actor              domain.Actor `json:"actor"`
	Decision           string       `json:"decision"`
	Comment            string       `json:"comment,omitempty"`
	Score              *int         `json:"score,omitempty"`
	ApprovedAmountFen  int64        `json:"approved_amount_fen,omitempty"`
	ExcludedProjectIDs []string     `json:"excluded_project_ids,omitempty"`
	RequestID          string       `json:"request_id,omitempty"`
	// Grade is the R14 evaluation grade (excellent, good, fair, poor).
	Grade string `json:"grade,omitempty"`
	// RequestHash is the gateway's hash of the request when it carries an Idempotency-Key (the
	// Update's id): the outcome carries it back, so a resend with another body is told apart.
	RequestHash string `json:"request_hash,omitempty"`
}

// DecideResult is the state after a decision.
type DecideResult struct {
	TaskID   string       `json:"task_id"`
	Decision string       `json:"decision"`
	Stage    domain.Stage `json:"stage,omitempty"`
	// Late: an O&M report filed for a year flagged overdue (R13, om-late-filing).
	Late bool `json:"late,omitempty"`
	// RequestHash is the RequestHash of the request this answers (the gateway leaves it out of
	// its reply).
	RequestHash string `json:"request_hash,omitempty"`
}

// AnsweredHash is the hash of the request the result answers.
func (r DecideResult) AnsweredHash() string { return r.RequestHash }

// ReassignUpdate moves an open task to Assignee (转办): a DRB supervisor's act, with a reason.
// From is the assignee the gateway read ("" when the task was offered to its candidates).
type ReassignUpdate struct {
	TaskID    string       `json:"task_id"`
	Actor     domain.Actor `json:"actor"`
	Assignee  domain.Actor `json:"assignee"`
	From      string       `json:"from,omitempty"`
	Reason    string       `json:"reason"`
	RequestID string       `json:"request_id,omitempty"`
	// Delegate: 委派 (issue 19 item 6) — the task's assignee (Actor) hands it to an eligible
	// colleague, who decides it; the read model remembers the delegator (task-delegate).
	Delegate bool `json:"delegate,omitempty"`
	// Deputy: 代理 (issue 19 item 6) — the standing deputy (Actor, also the Assignee) of the
	// task's assignee From, absent (the gateway checks the absence), takes the task over
	// (task-deputy).
	Deputy bool `json:"deputy,omitempty"`
}

// ResubmitUpdate resubmits a project returned for revision (R3) or withdrawn to draft.
// Special (set by the gateway for a withdrawn project past the R2 deadline) sends it to the
// City Government as a special request (R8) instead of preliminary review.
type ResubmitUpdate struct {
	Actor     domain.Actor `json:"actor"`
	RequestID string       `json:"request_id,omitempty"`
	Special   bool         `json:"special_request,omitempty"`
}

// WithdrawUpdate withdraws a submitted project before the first decision (撤回): its unit's
// submitter, with an optional reason.
type WithdrawUpdate struct {
	Actor       domain.Actor `json:"actor"`
	Reason      string       `json:"reason,omitempty"`
	RequestID   string       `json:"request_id,omitempty"`
	RequestHash string       `json:"request_hash,omitempty"`
}

// TerminateUpdate closes the project (stage closed, issue 19 item 4): DRB terminates it (终止)
// at any stage with a reason; with Retire, DRB or the unit's submitter retires it from O&M
// (系统下线). Its open tasks are cancelled and their holders told.
type TerminateUpdate struct {
	Actor  domain.Actor `json:"actor"`
	Reason string       `json:"reason"`
	Retire bool         `json:"retire,omitempty"`
	// SettlementFen (termination only): the final settlement (终止结算) of work already done
	// DRB approves, at most the approved amount.
	SettlementFen int64  `json:"settlement_fen,omitempty"`
	RequestID     string `json:"request_id,omitempty"`
	RequestHash   string `json:"request_hash,omitempty"`
}

// PanelSignal gives a project its effective panel (recused experts removed); defined in wire,
// as PlanResultSignal and BundleResultSignal, so that the SignalMembers activity sends it.
type PanelSignal = wire.PanelSignal

// PlanResultSignal is the R5 outcome for a project.
type PlanResultSignal = wire.PlanResultSignal

// YearEndCloseSignal is the year-end close of the plan of PlanYear (R5); defined in wire so
// that the SignalMembers activity sends it (plan-close-fanout).
type YearEndCloseSignal = wire.YearEndCloseSignal

// BundleResultSignal is the R6 bundle outcome for one project (defined in wire so that the
// SignalMembers activity sends it).
type BundleResultSignal = wire.BundleResultSignal

// ProjectStatusSignal reports a project's stage to its plan (defined in domain so that the
// TellPlan activity can carry it).
type ProjectStatusSignal = domain.ProjectStatus
