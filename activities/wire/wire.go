// Package wire names the activities as the workflows call them: their registered names and the
// types of their payloads. It does no I/O, so the deterministic package `workflows` calls the
// activities through it without linking the read model or the mail relay. Package activities
// implements them (its methods carry these names, and these types are its payloads).
//
// A name or a payload's JSON shape here is part of every recorded history: neither changes.
package wire

import (
	"time"

	"egovpm/internal/domain"
)

// The registered activity names (the methods of activities.Activities).
const (
	// Apply writes a transition (domain.Transition → domain.TransitionResult), local.
	Apply = "Apply"
	// MissingDocuments lists the document kinds a project lacks (DocsInput → DocsResult), local.
	MissingDocuments = "MissingDocuments"
	// ComputeSimilar stores a project's R16 candidates (project id → count).
	ComputeSimilar = "ComputeSimilar"
	// SendNotifications delivers a transition's notifications (transition id → count).
	SendNotifications = "SendNotifications"
	// RemindDrafts writes and sends a T1 reminder (DraftReminderInput → count).
	RemindDrafts = "RemindDrafts"
	// LoadPolicy reads a policy version (version → domain.Policy), local.
	LoadPolicy = "LoadPolicy"
	// TellPlan signals a project's stage to its plan (PlanReport → PlanReportResult), local.
	TellPlan = "TellPlan"
	// LoadPlanProjects reads projects for a plan's decision (PlanProjectsInput →
	// []domain.PlanProject), local.
	LoadPlanProjects = "LoadPlanProjects"
	// LoadPlanStages reads what a compile checks of its projects (PlanProjectsInput →
	// []PlanStage: no names, units or approvers), local (plan-compile-lean-read).
	LoadPlanStages = "LoadPlanStages"
	// MarkPlanReadsStages records that a plan year reads stages from the read model (year), local.
	MarkPlanReadsStages = "MarkPlanReadsStages"
	// SignalMembers signals a plan decision to every member the read model holds, in pages,
	// heartbeating its cursor (FanOut → FanOutResult), regular.
	SignalMembers = "SignalMembers"
	// SummarizeBundle counts the candidates of a bundle created by reference
	// (BundleSummaryInput → domain.BundleSummary), local.
	SummarizeBundle = "SummarizeBundle"
)

// Names lists every activity name above.
var Names = []string{Apply, MissingDocuments, ComputeSimilar, SendNotifications, RemindDrafts, LoadPolicy, TellPlan,
	LoadPlanProjects, LoadPlanStages, MarkPlanReadsStages, SignalMembers, SummarizeBundle}

// DocsInput asks which of Kinds a project lacks.
type DocsInput struct {
	ProjectID string   `json:"project_id"`
	Kinds     []string `json:"kinds"`
}

// DocsResult lists the missing document kinds.
type DocsResult struct {
	Missing []string `json:"missing"`
}

// DraftReminderInput is a T1 reminder of the plan year's submission deadline.
type DraftReminderInput struct {
	// ID is derived from the plan workflow and the reminder date, so a retry writes nothing twice.
	ID       string    `json:"id"`
	PlanYear int       `json:"plan_year"`
	Deadline time.Time `json:"deadline"`
	// Closed: the window has closed (sent to every submitter), else a reminder to units that
	// still have drafts.
	Closed bool `json:"closed"`
}

// PlanReport is a signal a project lifecycle sends its year's AnnualPlan: its new stage.
type PlanReport struct {
	WorkflowID string `json:"workflow_id"`
	// PlanYear is the plan's year: no report is sent when that plan reads stages from the
	// read model (0 in reports recorded before that: always sent).
	PlanYear int                  `json:"plan_year,omitempty"`
	Signal   string               `json:"signal"`
	Status   domain.ProjectStatus `json:"status"`
}

// PlanReportResult is TellPlan's answer.
type PlanReportResult struct {
	// PlanReadsStages: the plan year reads stages from the read model; no report was sent,
	// and none is needed again.
	PlanReadsStages bool `json:"plan_reads_stages"`
}

// PlanProjectsInput asks what the read model says of some projects of a plan year: the ids
// given, with Bundleable the year's projects awaiting approval in no bundle, or with PrePlan
// the year's projects still before the plan's decision (R5, year-end close).
type PlanProjectsInput struct {
	Year       int      `json:"year"`
	IDs        []string `json:"ids,omitempty"`
	Bundleable bool     `json:"bundleable,omitempty"`
	PrePlan    bool     `json:"pre_plan,omitempty"`
}

// PlanStage is what a compile reads of a project it names (LoadPlanStages,
// plan-compile-lean-read): the stage and version it checks and keeps (R5), the estimate that
// caps its amount (R7), and the few facts the plan keeps of every project it reads, under
// one-letter keys. A compile may name 1,000 projects: this row is ~85 B in the read's
// MarkerRecorded, where a domain.PlanProject is ~264 B (a name, a unit, the plan year, the
// bundle approver), which put the read over the 256 KB a payload may have.
type PlanStage struct {
	ProjectID    string       `json:"i"`
	Stage        domain.Stage `json:"s"`
	Version      int          `json:"v"`
	EstimatedFen int64        `json:"e"`
	// Supplementary and PlanAmountFen: a supplementary project's plan item (R8).
	Supplementary     bool   `json:"x,omitempty"`
	PlanAmountFen     int64  `json:"a,omitempty"`
	ExpertTasksOpen   bool   `json:"p,omitempty"`
	CryptoPlanMissing bool   `json:"c,omitempty"`
	BundleID          string `json:"b,omitempty"`
	// WrittenBy, LatestSession and SessionVersion: see domain.PlanProject (plan-lean-resume).
	WrittenBy      string `json:"w,omitempty"`
	LatestSession  string `json:"l,omitempty"`
	SessionVersion int    `json:"lv,omitempty"`
}

// PlanStageOf is r as LoadPlanStages answers it for plan year year; false for a project the
// plan does not know (of another year, or a draft), which the read leaves out.
func PlanStageOf(r domain.PlanProject, year int) (PlanStage, bool) {
	if r.PlanYear != year || r.Stage == domain.StageDraft {
		return PlanStage{}, false
	}
	return PlanStage{ProjectID: r.ProjectID, Stage: r.Stage, Version: r.Version, EstimatedFen: r.EstimatedFen,
		Supplementary: r.Supplementary, PlanAmountFen: r.PlanAmountFen, ExpertTasksOpen: r.ExpertTasksOpen,
		CryptoPlanMissing: r.CryptoPlanMissing, BundleID: r.BundleID, WrittenBy: r.WrittenBy, LatestSession: r.LatestSession,
		SessionVersion: r.SessionVersion}, true
}

// BundleSummaryInput asks for the candidates of bundle BundleID of plan year Year that names no
// projects (bundle-by-reference): awaiting approval, estimated below SmallBelowFen, in no other
// bundle, grouped by bundle approver (DefaultRole at DefaultOrg, the plan's policy's, for a
// project whose pinned policy names none). The answer (domain.BundleSummary) counts them, it
// does not list them.
type BundleSummaryInput struct {
	Year          int    `json:"year"`
	BundleID      string `json:"bundle_id"`
	SmallBelowFen int64  `json:"small_below_fen"`
	DefaultRole   string `json:"default_role"`
	DefaultOrg    string `json:"default_org"`
}

// BundleResultSignal is the R6 bundle outcome for one project: the payload of the signal
// "bundle_result" the plan sends each member (workflows.BundleResultSignal is this type).
type BundleResultSignal struct {
	BundleID string       `json:"bundle_id"`
	TaskID   string       `json:"task_id"`
	Approved bool         `json:"approved"`
	Excluded bool         `json:"excluded,omitempty"`
	Comment  string       `json:"comment,omitempty"`
	Actor    domain.Actor `json:"actor"`
}

// ExpertRef is an expert with the org they belong to (for R4 recusal; workflows.ExpertRef).
type ExpertRef struct {
	ID    string `json:"id"`
	OrgID string `json:"org_id"`
}

// PanelSignal gives a project its effective panel (recused experts removed): the payload of
// the signal "panel" (workflows.PanelSignal).
type PanelSignal struct {
	SessionID string      `json:"session_id"`
	Experts   []ExpertRef `json:"experts"`
	// Stale: the project's stage changed since the session convened it (the fan-out found its
	// version moved, store.SessionMember): it is not this session's to review any more, and
	// the lifecycle drops the panel (panel-stale-dropped) instead of opening its tasks.
	Stale bool `json:"stale,omitempty"`
}

// PlanResultSignal is the R5 outcome for a project: the payload of the signal "plan_result"
// (workflows.PlanResultSignal).
type PlanResultSignal struct {
	Included          bool         `json:"included"`
	ApprovedAmountFen int64        `json:"approved_amount_fen,omitempty"`
	Reason            string       `json:"reason,omitempty"`
	Actor             domain.Actor `json:"actor"`
}

// FanOut is one plan decision to signal to each of its projects (SignalMembers), exactly one
// of Bundle, Session, Plan, Close and Adjust set. The members are read from the read model, which the
// decision's Apply wrote before the activity was scheduled, a page at a time.
type FanOut struct {
	// ID names the decision (its transition id), for logs.
	ID string `json:"id"`
	// Signal is the signal's name; WorkflowIDPrefix + project id is a member's workflow id.
	Signal           string `json:"signal"`
	WorkflowIDPrefix string `json:"workflow_id_prefix"`
	// Bundle: the members of bundle Bundle.BundleID (bundle_projects), each told this with
	// Approved and Excluded set from its outcome (approved, excluded, rejected).
	Bundle *BundleResultSignal `json:"bundle,omitempty"`
	// Session: the projects of expert session Session.SessionID (expert_session_projects),
	// each told its effective panel of Session.Experts (R4: its own unit's experts recused).
	Session *PanelSignal `json:"session,omitempty"`
	// Plan: the projects a compile decided, each told its plan item (plan_items).
	Plan *PlanFanOut `json:"plan,omitempty"`
	// Close: the year-end close of plan year Close.PlanYear (plan-close-fanout): the projects
	// of that year still before the plan's decision (a pre-plan stage, no plan item), each
	// told this.
	Close *YearEndCloseSignal `json:"close,omitempty"`
	// Adjust: an approved plan adjustment (plan-adjust-fanout): each project it changes, in
	// project id order, is told its change: an added one Adjust.AddSignal (its plan result,
	// included at its amount), the others Signal (a PlanAdjustedSignal).
	Adjust *AdjustFanOut `json:"adjust,omitempty"`
	// PageSize members are read and signalled at a time (0: the activity's default).
	PageSize int `json:"page_size,omitempty"`
}

// YearEndCloseSignal is the year-end close of the plan of PlanYear (R5): a project of that
// year still before the plan's decision is not included, for Reason.
type YearEndCloseSignal struct {
	PlanYear int       `json:"plan_year"`
	ClosedAt time.Time `json:"closed_at"`
	Reason   string    `json:"reason"`
}

// AdjustFanOut is an approved plan adjustment's fan-out: its changes (as many as its Update
// named) and what every project is told of it.
type AdjustFanOut struct {
	AdjustmentID string         `json:"adjustment_id"`
	Reason       string         `json:"reason"`
	Actor        domain.Actor   `json:"actor"`
	Changes      []AdjustChange `json:"changes"`
	// AddSignal is the signal an added project is sent (the plan result's).
	AddSignal string `json:"add_signal"`
}

// AdjustChange is one change of a plan adjustment: Action add, remove or amount.
type AdjustChange struct {
	ProjectID string `json:"project_id"`
	Action    string `json:"action"`
	AmountFen int64  `json:"amount_fen,omitempty"`
}

// PlanAdjustedSignal tells a planned project of an approved adjustment that changes its amount
// or takes it out of the plan (R5, plan-adjust).
type PlanAdjustedSignal struct {
	AdjustmentID string       `json:"adjustment_id"`
	Action       string       `json:"action"`
	AmountFen    int64        `json:"amount_fen,omitempty"`
	Reason       string       `json:"reason"`
	Actor        domain.Actor `json:"actor"`
}

// PlanFanOut is a compile's fan-out: its projects (at most a compile's cap) and its actor.
type PlanFanOut struct {
	ProjectIDs []string     `json:"project_ids"`
	Actor      domain.Actor `json:"actor"`
}

// FanOutProgress is SignalMembers' heartbeat: the last member (in project id order) of the
// last page signalled in full, from which a retry resumes, and the counts so far.
type FanOutProgress struct {
	After     string `json:"after"`
	Signalled int    `json:"signalled"`
	Missing   int    `json:"missing"`
}

// FanOutResult is what SignalMembers did: members signalled, and members whose workflow was
// not found open (closed, or never started), logged and skipped.
type FanOutResult struct {
	Signalled int `json:"signalled"`
	Missing   int `json:"missing"`
}
