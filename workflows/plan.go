package workflows

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"egovpm/activities/wire"
	"egovpm/internal/authz"
	"egovpm/internal/calendar"
	"egovpm/internal/domain"
	"egovpm/internal/text"
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
	ID         string   `json:"id"`
	TaskID     string   `json:"task_id"`
	ProjectIDs []string `json:"project_ids"`
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

// BundleResult describes a created bundle.
type BundleResult struct {
	ID         string   `json:"id"`
	ProjectIDs []string `json:"project_ids"`
	TaskID     string   `json:"task_id"`
	// RequestHash: see DecideResult.RequestHash.
	RequestHash string `json:"request_hash,omitempty"`
}

// AnsweredHash is the hash of the request the result answers.
func (r BundleResult) AnsweredHash() string { return r.RequestHash }

type planMsg struct {
	convene *ConveneUpdate
	compile *CompileUpdate
	bundle  *BundleUpdate
	decide  *DecideUpdate
	status  *ProjectStatusSignal
	// reassign moves a bundle's approval task to another approver (转办).
	reassign *ReassignUpdate
	// timer is a bundle task's T2 timer that fired (bundle-task-timers).
	timer *bundleTimer
	// updateID is the id of the Update that brought the message (the client's Idempotency-Key
	// through the gateway); it names the transition the message applies.
	updateID string
	// candidates are the small projects awaiting approval in no bundle, read for a bundle
	// that names none (plan-stages-from-read-model); waiting those of them left out because
	// their 密码应用方案 is missing (R17, crypto-plan-every-route).
	candidates []string
	waiting    []string
	handled    bool
	result     any
	err        error
}

type plan struct {
	in    AnnualPlanInput
	id    string
	runID string
	st    PlanState
	idx   map[string]*PlanProject
	inbox []*planMsg
	// cause is the id of the Update whose message is being handled ("" otherwise).
	cause string
	// status is the channel of the projects' stage reports (SignalProjectStatus; read only by
	// runs started before plan-stages-from-read-model).
	status workflow.ReceiveChannel
	// sending counts notification sends in flight.
	sending int
	// fromReadModel: this run reads project stages from the read model when it handles a
	// decision (version plan-stages-from-read-model) and ignores stage reports. Runs started
	// before it validate against the stage reports they have heard.
	fromReadModel bool
	// bundleTimers: this run reminds and escalates open bundle approval tasks (T2, version
	// bundle-task-timers); cancelBundle stops the timers of each such task.
	bundleTimers bool
	cancelBundle map[string]workflow.CancelFunc
	// blankTexts (blank-texts): a required reason or comment that is only white space or
	// invisible characters is missing (text.Blank). Runs started before it refuse only an
	// empty one.
	blankTexts bool
	// sod (plan-separation-of-duties): the bundle's creator may not decide it, refused in the
	// handler too; runs started before refuse it in the Update validator only.
	sod bool
	// pinnedApprovers: a bundle is decided by the bundle approver of its projects' pinned
	// policy, and holds one approver's projects (R6, R19, version bundle-by-pinned-approver);
	// runs started before send every bundle to the approver of the plan's own policy.
	pinnedApprovers bool
	// oddPanels: the effective panel of each project a session convenes must be odd and at
	// least the policy's minimum (R4, version panel-odd-after-recusal); runs started before
	// it want the whole panel odd and each effective panel at least the minimum.
	oddPanels bool
	// cryptoGate: a bundle holds only projects whose 密码应用方案 is in where their pinned
	// policy demands it at approval (R17, version crypto-plan-every-route); runs started
	// before it bundle without looking.
	cryptoGate bool
}

// missing reports whether a required text s is missing: blank (text.Blank), or empty in runs
// started before blank-texts.
func (p *plan) missing(s string) bool {
	if p.blankTexts {
		return text.Blank(s)
	}
	return s == ""
}

// AnnualPlan is the plan of one year (R2, R4–R6, R8): it convenes expert sessions, compiles
// the plan and bundles the small projects, and fans decisions out to the project workflows.
// It validates each decision against the projects' stages as the read model holds them, read
// in a local activity when it handles the decision (plan-stages-from-read-model): a project's
// own decisions never wake the plan. Runs started before that version validate against the
// stage reports the projects sent them.
func AnnualPlan(ctx workflow.Context, in AnnualPlanInput) (PlanState, error) {
	if in.Year == 0 {
		return PlanState{}, temporal.NewNonRetryableApplicationError("plan without year", "BadInput", nil)
	}
	if err := in.Policy.Validate(); err != nil {
		return PlanState{}, temporal.NewNonRetryableApplicationError("invalid policy: "+err.Error(), "BadInput", nil)
	}
	info := workflow.GetInfo(ctx)
	p := &plan{in: in, id: info.WorkflowExecution.ID, runID: info.WorkflowExecution.RunID, idx: map[string]*PlanProject{},
		cancelBundle: map[string]workflow.CancelFunc{}}
	p.st.Year = in.Year
	if in.Resume != nil {
		p.st = *in.Resume
		for _, pp := range p.st.Projects {
			p.idx[pp.ProjectID] = pp
		}
	}
	// Decided once per run, before any handler runs: a run keeps one way of knowing stages.
	// A run started before this version keeps hearing stage reports until it continues as
	// new (lifecycles report to every plan year not in plan_stage_sources).
	ctx = withBaseline(ctx, planBaselines, planChanges)
	p.fromReadModel = version(ctx, "plan-stages-from-read-model", 1) == 1
	p.bundleTimers = version(ctx, "bundle-task-timers", 1) == 1
	p.blankTexts = version(ctx, "blank-texts", 1) == 1
	p.sod = version(ctx, "plan-separation-of-duties", 1) == 1
	p.cryptoGate = version(ctx, "crypto-plan-every-route", 1) == 1
	p.oddPanels = version(ctx, "panel-odd-after-recusal", 1) == 1
	p.pinnedApprovers = version(ctx, "bundle-by-pinned-approver", 1) == 1
	if err := p.setup(ctx); err != nil {
		return PlanState{}, err
	}
	if p.fromReadModel {
		// Tell the lifecycles to stop reporting stages to this year's plan. Until this is
		// written they still do, and this run drops the reports.
		if err := workflow.ExecuteLocalActivity(localCtx(ctx), wire.MarkPlanReadsStages, in.Year).Get(ctx, nil); err != nil {
			return p.st, err
		}
	}
	if version(ctx, "t1-reminders", 1) == 1 {
		p.armReminders(ctx)
	}
	if p.bundleTimers {
		for _, b := range p.st.Bundles { // a resumed run's open bundle tasks
			if b.Status == "pending" {
				p.armBundleTimers(ctx, b)
			}
		}
	}
	return p.run(ctx)
}

// armReminders sets the T1 timers of the year: reminders to units with unsubmitted drafts on
// the policy's days before the R2 deadline (1, 20, 27 June), and the "window closed" notice on
// the days after it (1 July), at 09:00 Asia/Shanghai of year-1. Days sent, or more than a day
// past, are skipped (a plan started late sends no old reminders; one interrupted by
// continue-as-new still sends today's).
func (p *plan) armReminders(ctx workflow.Context) {
	deadline := p.in.Policy.SubmissionDeadline(p.in.Year, calendar.Shanghai)
	actx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 2 * time.Minute,
		// Give up after a day (recorded for ops, record-activity-failures): a reminder retried
		// for ever would hold the plan's run open (sending > 0 blocks continue-as-new).
		ScheduleToCloseTimeout: 24 * time.Hour,
		RetryPolicy:            &temporal.RetryPolicy{InitialInterval: time.Second, MaximumInterval: 10 * time.Minute},
	})
	now := workflow.Now(ctx)
	for _, r := range p.in.Policy.Reminders {
		at := time.Date(p.in.Year-1, time.Month(r.Month), r.Day, 9, 0, 0, 0, calendar.Shanghai)
		key := at.Format("01-02")
		if at.Before(now.Add(-24*time.Hour)) || domain.Contains(p.st.Reminded, key) {
			continue
		}
		workflow.Go(ctx, func(ctx workflow.Context) {
			if d := at.Sub(workflow.Now(ctx)); d > 0 {
				if err := workflow.Sleep(ctx, d); err != nil {
					return
				}
			}
			// Counted only while sending: a run may continue as new while reminders sleep
			// (the next run re-arms them), not while one is going out.
			p.sending++
			defer func() { p.sending-- }()
			in := wire.DraftReminderInput{ID: fmt.Sprintf("%s/t1/%s", p.id, key), PlanYear: p.in.Year, Deadline: deadline,
				Closed: at.After(deadline)}
			if err := workflow.ExecuteActivity(actx, wire.RemindDrafts, in).Get(ctx, nil); err != nil {
				workflow.GetLogger(ctx).Error("T1 reminder not sent", "day", key, "error", err)
				if !temporal.IsCanceledError(err) && version(ctx, "record-activity-failures", 1) == 1 {
					recordGaveUp(ctx, "", wire.RemindDrafts, wire.RemindDrafts+"/"+key, err, &p.sending)
				}
				return
			}
			p.st.Reminded = append(p.st.Reminded, key)
		})
	}
}

func (p *plan) setup(ctx workflow.Context) error {
	if err := workflow.SetQueryHandler(ctx, QueryState, func() (PlanState, error) { return p.st, nil }); err != nil {
		return err
	}
	if err := workflow.SetUpdateHandlerWithOptions(ctx, UpdateConvene,
		func(ctx workflow.Context, u ConveneUpdate) (ConveneResult, error) {
			m := &planMsg{convene: &u}
			if err := p.validate(m, !p.fromReadModel); err != nil {
				return ConveneResult{}, err
			}
			if err := p.enqueue(ctx, m); err != nil {
				return answered(u.RequestHash, ConveneResult{}, err, nil)
			}
			return answered(u.RequestHash, m.result.(ConveneResult), nil, func(r *ConveneResult) { r.RequestHash = u.RequestHash })
		},
		workflow.UpdateHandlerOptions{Validator: func(ctx workflow.Context, u ConveneUpdate) error {
			return p.validate(&planMsg{convene: &u}, !p.fromReadModel)
		}},
	); err != nil {
		return err
	}
	if err := workflow.SetUpdateHandlerWithOptions(ctx, UpdateCompile,
		func(ctx workflow.Context, u CompileUpdate) (CompileResult, error) {
			m := &planMsg{compile: &u}
			if err := p.validate(m, !p.fromReadModel); err != nil {
				return CompileResult{}, err
			}
			if err := p.enqueue(ctx, m); err != nil {
				return answered(u.RequestHash, CompileResult{}, err, nil)
			}
			return answered(u.RequestHash, m.result.(CompileResult), nil, func(r *CompileResult) { r.RequestHash = u.RequestHash })
		},
		workflow.UpdateHandlerOptions{Validator: func(ctx workflow.Context, u CompileUpdate) error {
			return p.validate(&planMsg{compile: &u}, !p.fromReadModel)
		}},
	); err != nil {
		return err
	}
	if err := workflow.SetUpdateHandlerWithOptions(ctx, UpdateCreateBundle,
		func(ctx workflow.Context, u BundleUpdate) (BundleResult, error) {
			m := &planMsg{bundle: &u}
			if err := p.validate(m, !p.fromReadModel); err != nil {
				return BundleResult{}, err
			}
			if err := p.enqueue(ctx, m); err != nil {
				return answered(u.RequestHash, BundleResult{}, err, nil)
			}
			return answered(u.RequestHash, m.result.(BundleResult), nil, func(r *BundleResult) { r.RequestHash = u.RequestHash })
		},
		workflow.UpdateHandlerOptions{Validator: func(ctx workflow.Context, u BundleUpdate) error {
			return p.validate(&planMsg{bundle: &u}, !p.fromReadModel)
		}},
	); err != nil {
		return err
	}
	if err := workflow.SetUpdateHandlerWithOptions(ctx, UpdateDecide,
		func(ctx workflow.Context, u DecideUpdate) (DecideResult, error) {
			m := &planMsg{decide: &u}
			if err := p.validate(m, !p.fromReadModel); err != nil {
				return DecideResult{}, err
			}
			if err := p.enqueue(ctx, m); err != nil {
				return answered(u.RequestHash, DecideResult{}, err, nil)
			}
			return answered(u.RequestHash, m.result.(DecideResult), nil, func(r *DecideResult) { r.RequestHash = u.RequestHash })
		},
		workflow.UpdateHandlerOptions{Validator: func(ctx workflow.Context, u DecideUpdate) error {
			if err := p.validate(&planMsg{decide: &u}, !p.fromReadModel); err != nil {
				return err
			}
			return refusal(authz.ActOnTask(u.Actor, p.bundleFacts(p.bundleByTask(u.TaskID), true)))
		}},
	); err != nil {
		return err
	}
	if err := workflow.SetUpdateHandlerWithOptions(ctx, UpdateReassign,
		func(ctx workflow.Context, u ReassignUpdate) (DecideResult, error) {
			m := &planMsg{reassign: &u}
			if err := p.validate(m, !p.fromReadModel); err != nil {
				return DecideResult{}, err
			}
			if err := p.enqueue(ctx, m); err != nil {
				return DecideResult{}, err
			}
			return m.result.(DecideResult), nil
		},
		workflow.UpdateHandlerOptions{Validator: func(ctx workflow.Context, u ReassignUpdate) error {
			return p.validate(&planMsg{reassign: &u}, !p.fromReadModel)
		}},
	); err != nil {
		return err
	}
	ch := workflow.GetSignalChannel(ctx, SignalProjectStatus)
	p.status = ch
	workflow.Go(ctx, func(gctx workflow.Context) {
		for {
			var s ProjectStatusSignal
			ch.Receive(gctx, &s)
			if !p.fromReadModel {
				p.inbox = append(p.inbox, &planMsg{status: &s})
			}
		}
	})
	return nil
}

func (p *plan) enqueue(ctx workflow.Context, m *planMsg) error {
	if info := workflow.GetCurrentUpdateInfo(ctx); info != nil {
		m.updateID = info.ID
	}
	p.inbox = append(p.inbox, m)
	if err := workflow.Await(ctx, func() bool { return m.handled }); err != nil {
		return err
	}
	return m.err
}

func (p *plan) run(ctx workflow.Context) (PlanState, error) {
	for {
		if err := workflow.Await(ctx, func() bool {
			return len(p.inbox) > 0 || workflow.GetInfo(ctx).GetContinueAsNewSuggested()
		}); err != nil {
			return p.st, err
		}
		if len(p.inbox) == 0 {
			// Keep the history bounded: carry the state into a new run once handlers are done.
			if err := workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) && p.sending == 0 }); err != nil {
				return p.st, err
			}
			st := p.st
			return p.st, workflow.NewContinueAsNewError(ctx, AnnualPlan, AnnualPlanInput{Year: p.in.Year, Policy: p.in.Policy, Resume: &st})
		}
		m := p.inbox[0]
		p.inbox = p.inbox[1:]
		if m.status == nil && m.timer == nil {
			if p.fromReadModel {
				if err := p.load(ctx, m); err != nil {
					m.err, m.handled = err, true
					continue
				}
			}
			if err := p.validate(m, true); err != nil {
				m.err, m.handled = err, true
				continue
			}
		}
		p.cause = m.updateID
		if m.timer != nil {
			// Names the notice's transition the same in every attempt and every run.
			p.cause = "t2:" + m.timer.kind + ":" + m.timer.taskID
		}
		m.result, m.err = p.handle(ctx, m)
		p.cause = ""
		m.handled = true
	}
}

func (p *plan) project(id string) (*PlanProject, error) {
	pp, ok := p.idx[id]
	if !ok && !p.fromReadModel && p.statusPending() {
		// An Update's validator runs before the stage reports that reached the plan in the
		// same workflow task are read (the SDK handles Updates first): the project may be
		// among them, so the answer is "not yet" (409, retry), not "never" (found by the
		// fault test, issue 7: a plan whose worker had been killed).
		return nil, domain.Refuse(domain.StatusConflict, "project_not_ready",
			fmt.Sprintf("%d 年度计划尚未收到项目 %s 的最新状态，请稍后重试", p.in.Year, id))
	}
	if !ok {
		return nil, refuseNotInYear(id, p.in.Year)
	}
	return pp, nil
}

// statusPending reports stage reports the plan has received but not read yet.
func (p *plan) statusPending() bool {
	if p.status != nil && p.status.Len() > 0 {
		return true
	}
	for _, m := range p.inbox {
		if m.status != nil {
			return true
		}
	}
	return false
}

func notReady(pp *PlanProject, want string) error {
	return refuseNotReady(pp.ProjectID, pp.Stage, want)
}

func refuseNotReady(id string, stage domain.Stage, want string) error {
	return domain.Refuse(domain.StatusConflict, "project_not_ready", fmt.Sprintf("项目 %s 当前阶段为 %s，%s", id, stage, want))
}

func refuseNotInYear(id string, year int) error {
	return domain.Refuse(domain.StatusUnprocessable, "project_not_in_plan_year", fmt.Sprintf("项目 %s 未在 %d 年度申报", id, year))
}

// approverNames are the Chinese names of the approving orgs (R6) for messages.
var approverNames = map[string]string{"ndrc": "市发改委", "drb": "市数管局", "citygov": "市政府"}

// checkOneApprover refuses a bundle whose projects (rows: id and bundle approver) are decided by
// more than one approver under their pinned policies (R6, R19: a project submitted under the
// 2021 policy is approved by NDRC, one under 2023 by DRB, whatever policy is in force now):
// 422 bundle_approvers_differ, naming each approver's projects; extra.groups lists them.
func checkOneApprover(rows []domain.PlanProject) error {
	type group struct {
		role, org string
		ids       []string
	}
	var groups []*group
	for _, r := range rows {
		i := slices.IndexFunc(groups, func(g *group) bool { return g.role == r.BundleApproverRole && g.org == r.BundleApproverOrg })
		if i < 0 {
			groups = append(groups, &group{role: r.BundleApproverRole, org: r.BundleApproverOrg})
			i = len(groups) - 1
		}
		groups[i].ids = append(groups[i].ids, r.ProjectID)
	}
	if len(groups) < 2 {
		return nil
	}
	parts := make([]string, 0, len(groups))
	extra := make([]map[string]any, 0, len(groups))
	for _, g := range groups {
		name := approverNames[g.org]
		if name == "" {
			name = g.org
		}
		parts = append(parts, fmt.Sprintf("项目 %s 由%s（%s）审批", strings.Join(g.ids, "、"), name, g.role))
		extra = append(extra, map[string]any{"approver_role": g.role, "approver_org": g.org, "project_ids": g.ids})
	}
	return domain.RefuseWith(domain.StatusUnprocessable, "bundle_approvers_differ",
		"一份打捆项目建议书只能包含同一审批机关批复的项目（按各项目申报时施行的政策版本）："+strings.Join(parts, "；")+
			"。请按审批机关分别打捆", map[string]any{"groups": extra})
}

// refuseCryptoPlanMissing refuses a bundle with projects that use cryptography and lack the
// 密码应用方案 their pinned policy demands at approval (R17): the unit uploads it, then the same
// request goes through.
func refuseCryptoPlanMissing(ids []string) error {
	return domain.RefuseWith(domain.StatusUnprocessable, "documents_missing",
		fmt.Sprintf("项目 %s 使用密码技术，须先上传密码应用方案（crypto_plan）才能报批", strings.Join(ids, "、")),
		map[string]any{"missing": []string{"crypto_plan"}, "project_ids": ids})
}

func refuseNothingToBundle() error {
	return domain.Refuse(domain.StatusUnprocessable, "nothing_to_bundle", "没有待打捆的 1000 万元以下计划项目")
}

// The stage each plan Update needs its projects in, and how a refusal says so.
const (
	wantConvene = "不在待组织专家评审状态"
	wantCompile = "未通过专家评审或已编入计划"
	wantBundle  = "不在待打捆报批状态"
)

// CheckPlanStages is the part of a plan Update's checks that the read model alone decides
// (rows as LoadPlanProjects reads them): each project named is of the year and not a draft,
// and in the stage the Update needs (R4 convene: expert_review, R5 compile: awaiting_plan,
// R6 bundle: awaiting_approval); a bundle naming none needs a small project awaiting approval;
// a bundle holds no project whose 密码应用方案 is missing (R17), and one approver's projects
// under their pinned policies (R6, R19).
// AnnualPlan checks this and more (its own sessions, plan items and bundles) when it handles
// the Update; the gateway checks it before it asks the plan (server planOp).
func CheckPlanStages(update string, year int, ids []string, rows []domain.PlanProject, pol domain.Policy) error {
	var need domain.Stage
	var want string
	switch update {
	case UpdateConvene:
		need, want = domain.StageExpertReview, wantConvene
	case UpdateCompile:
		need, want = domain.StageAwaitingPlan, wantCompile
	case UpdateCreateBundle:
		need, want = domain.StageAwaitingApproval, wantBundle
		if len(ids) == 0 {
			var waiting []string
			var ready []domain.PlanProject
			for _, r := range rows {
				if Bundleable(r, year, pol) {
					if r.CryptoPlanMissing {
						waiting = append(waiting, r.ProjectID)
					} else {
						ready = append(ready, r)
					}
				}
			}
			switch {
			case len(ready) > 0:
				return checkOneApprover(ready)
			case len(waiting) > 0:
				return refuseCryptoPlanMissing(waiting)
			}
			return refuseNothingToBundle()
		}
	default:
		return fmt.Errorf("CheckPlanStages: %q is not a plan Update", update)
	}
	for _, id := range ids {
		i := slices.IndexFunc(rows, func(r domain.PlanProject) bool { return r.ProjectID == id })
		if i < 0 || rows[i].PlanYear != year || rows[i].Stage == domain.StageDraft {
			return refuseNotInYear(id, year)
		}
		if rows[i].Stage != need {
			return refuseNotReady(id, rows[i].Stage, want)
		}
	}
	if update == UpdateCreateBundle {
		var missing []string
		for _, r := range rows {
			if r.CryptoPlanMissing {
				missing = append(missing, r.ProjectID)
			}
		}
		if len(missing) > 0 {
			return refuseCryptoPlanMissing(missing)
		}
		return checkOneApprover(rows)
	}
	return nil
}

// validate checks a message without changing anything. With state it also checks the
// projects' stages (as the plan knows them); without, only what the message says and the
// plan's own sessions and bundles: a run that reads stages from the read model validates
// its Updates without state (validators cannot read), then again with state in its main
// loop after reading them (load).
func (p *plan) validate(m *planMsg, state bool) error {
	pol := p.in.Policy
	switch {
	case m.convene != nil:
		u := m.convene
		if u.SessionID == "" || domain.Contains(p.st.Sessions, u.SessionID) {
			return domain.Refuse(domain.StatusConflict, "duplicate_session", "专家评审会编号为空或已存在："+u.SessionID)
		}
		if len(u.Experts) < pol.PanelMin || (!p.oddPanels && len(u.Experts)%2 == 0) {
			return domain.Refuse(domain.StatusUnprocessable, "panel_size",
				fmt.Sprintf("专家组人数须为不少于 %d 的奇数", pol.PanelMin))
		}
		if len(u.ProjectIDs) == 0 {
			return domain.Refuse(domain.StatusBadRequest, "invalid_input", "须指定评审项目")
		}
		seen := map[string]bool{}
		for _, e := range u.Experts {
			if seen[e.ID] {
				return domain.Refuse(domain.StatusBadRequest, "duplicate_expert", "专家重复："+e.ID)
			}
			seen[e.ID] = true
		}
		for _, id := range u.ProjectIDs {
			if !state {
				break
			}
			pp, err := p.project(id)
			if err != nil {
				return err
			}
			if pp.Stage != domain.StageExpertReview || pp.Paneled {
				return notReady(pp, wantConvene)
			}
			if n := len(effectivePanel(u.Experts, pp.UnitID)); !p.oddPanels && n < pol.PanelMin {
				return domain.Refuse(domain.StatusUnprocessable, "panel_too_small_after_recusal",
					fmt.Sprintf("项目 %s 回避后专家不足 %d 人", id, pol.PanelMin))
			}
		}
		if state && p.oddPanels {
			rows := make([]domain.PlanProject, 0, len(u.ProjectIDs))
			for _, id := range u.ProjectIDs {
				pp := p.idx[id]
				rows = append(rows, domain.PlanProject{ProjectID: id, UnitID: pp.UnitID, Name: pp.Name})
			}
			if err := CheckPanels(u.Experts, rows, pol); err != nil {
				return err
			}
		}
	case m.compile != nil:
		u := m.compile
		if len(u.Included)+len(u.Excluded) == 0 {
			return domain.Refuse(domain.StatusBadRequest, "invalid_input", "计划中须至少包含一个项目")
		}
		seen := map[string]bool{}
		check := func(id string) (*PlanProject, error) {
			if seen[id] {
				return nil, domain.Refuse(domain.StatusBadRequest, "duplicate_project", "项目重复："+id)
			}
			seen[id] = true
			if !state {
				return nil, nil
			}
			pp, err := p.project(id)
			if err != nil {
				return nil, err
			}
			if pp.Stage != domain.StageAwaitingPlan || pp.Planned {
				return nil, notReady(pp, wantCompile)
			}
			return pp, nil
		}
		for _, in := range u.Included {
			pp, err := check(in.ProjectID)
			if err != nil {
				return err
			}
			// R7: the plan may cut the amount, never raise it.
			if in.ApprovedAmountFen <= 0 || (pp != nil && in.ApprovedAmountFen > pp.EstimatedFen) {
				msg := fmt.Sprintf("项目 %s 的计划金额须为正数，且不超过项目估算", in.ProjectID)
				if pp != nil {
					msg = fmt.Sprintf("项目 %s 的计划金额须在 0.01 到 %s 元之间", in.ProjectID, domain.Yuan(pp.EstimatedFen))
				}
				return domain.Refuse(domain.StatusUnprocessable, "amount_over_limit", msg)
			}
		}
		for _, ex := range u.Excluded {
			if _, err := check(ex.ProjectID); err != nil {
				return err
			}
			if p.missing(ex.Reason) {
				return domain.Refuse(domain.StatusBadRequest, "reason_required", "未列入计划须说明理由："+ex.ProjectID)
			}
		}
	case m.bundle != nil:
		for _, b := range p.st.Bundles {
			if b.ID == m.bundle.BundleID {
				return domain.Refuse(domain.StatusConflict, "duplicate_bundle", "打捆建议书编号已存在："+b.ID)
			}
		}
		if m.bundle.BundleID == "" {
			return domain.Refuse(domain.StatusBadRequest, "invalid_input", "缺少打捆建议书编号")
		}
		ids := m.bundle.ProjectIDs
		if len(ids) == 0 {
			if !state {
				return nil
			}
			ids = p.bundleable(m)
			if len(ids) == 0 && len(m.waiting) > 0 {
				return refuseCryptoPlanMissing(m.waiting)
			}
			if len(ids) == 0 {
				return refuseNothingToBundle()
			}
		}
		seen := map[string]bool{}
		for _, id := range ids {
			if seen[id] {
				return domain.Refuse(domain.StatusBadRequest, "duplicate_project", "项目重复："+id)
			}
			seen[id] = true
			if !state {
				continue
			}
			pp, err := p.project(id)
			if err != nil {
				return err
			}
			if !pol.Small(pp.EstimatedFen) {
				return domain.Refuse(domain.StatusUnprocessable, "not_small_project",
					fmt.Sprintf("项目 %s 总投资不低于 1000 万元，须单独报批", id))
			}
			if pp.Stage != domain.StageAwaitingApproval || pp.BundleID != "" {
				return notReady(pp, wantBundle)
			}
		}
		if state {
			var missing []string
			for _, id := range ids {
				if pp := p.idx[id]; pp != nil && pp.CryptoPlanMissing {
					missing = append(missing, id)
				}
			}
			if len(missing) > 0 {
				return refuseCryptoPlanMissing(missing)
			}
			if p.pinnedApprovers {
				rows := make([]domain.PlanProject, 0, len(ids))
				for _, id := range ids {
					role, org := p.approverOf(p.idx[id])
					rows = append(rows, domain.PlanProject{ProjectID: id, BundleApproverRole: role, BundleApproverOrg: org})
				}
				if err := checkOneApprover(rows); err != nil {
					return err
				}
			}
		}
	case m.reassign != nil:
		u := m.reassign
		b := p.bundleByTask(u.TaskID)
		if b == nil || b.Status != "pending" {
			return errStale()
		}
		return checkReassign(*u, p.bundleFacts(b, true))
	case m.decide != nil:
		// The bundle is the plan's own state: checked in the validator in every version.
		u := m.decide
		b := p.bundleByTask(u.TaskID)
		if b == nil || b.Status != "pending" {
			return errStale()
		}
		if err := authz.ActOnTask(u.Actor, p.bundleFacts(b, p.sod)); err != nil {
			return refusal(err)
		}
		switch u.Decision {
		case domain.DecisionApprove:
			for _, id := range u.ExcludedProjectIDs {
				if !domain.Contains(b.ProjectIDs, id) {
					return domain.Refuse(domain.StatusBadRequest, "invalid_decision", "排除的项目不在该打捆建议书中："+id)
				}
			}
			if len(u.ExcludedProjectIDs) >= len(b.ProjectIDs) {
				return domain.Refuse(domain.StatusBadRequest, "invalid_decision", "全部排除请使用 reject")
			}
		case domain.DecisionReject:
			if p.missing(u.Comment) {
				return domain.Refuse(domain.StatusBadRequest, "invalid_decision", "不予批复须说明理由")
			}
		default:
			return domain.Refuse(domain.StatusBadRequest, "invalid_decision", "打捆审批决定须为 approve 或 reject")
		}
	}
	return nil
}

// load reads from the read model the projects a message names (or, for a bundle that names
// none, the year's candidates) and updates what the plan knows of them
// (plan-stages-from-read-model). The read is a local activity: its result is in history, so a
// replay validates against what the plan saw. A project of another year, or still a draft, is
// left unknown to the plan (project_not_in_plan_year).
func (p *plan) load(ctx workflow.Context, m *planMsg) error {
	in := wire.PlanProjectsInput{Year: p.in.Year}
	switch {
	case m.convene != nil:
		in.IDs = m.convene.ProjectIDs
	case m.compile != nil:
		in.IDs = m.compile.ProjectIDs()
	case m.bundle != nil:
		in.IDs = m.bundle.ProjectIDs
		in.Bundleable = len(in.IDs) == 0
	default:
		return nil
	}
	// Retried as Apply is (localCtx): a read-model outage stalls the plan, the Update stays in
	// flight (the gateway answers 503 temporal_timeout; a resend with the same key waits for
	// the same Update), and the key is not spent on a refusal. Before, the read gave up after
	// 30 s and completed the Update with 503 read_model_unavailable, which answered every
	// later resend of that key too.
	var rows []domain.PlanProject
	if err := workflow.ExecuteLocalActivity(localCtx(ctx), wire.LoadPlanProjects, in).Get(ctx, &rows); err != nil {
		workflow.GetLogger(ctx).Error("plan could not read project stages", "error", err)
		return domain.Refuse(domain.StatusUnavailable, "read_model_unavailable", "项目库暂时无法读取，本次操作未执行，请稍后重试")
	}
	for _, r := range rows {
		if r.PlanYear != p.in.Year || r.Stage == domain.StageDraft {
			continue
		}
		pp, ok := p.idx[r.ProjectID]
		if !ok {
			pp = &PlanProject{ProjectID: r.ProjectID}
			p.idx[r.ProjectID] = pp
			p.st.Projects = append(p.st.Projects, pp)
		}
		pp.UnitID, pp.Name, pp.EstimatedFen, pp.Stage, pp.Version = r.UnitID, r.Name, r.EstimatedFen, r.Stage, r.Version
		// Only what the lifecycles write is read back: stages, panel tasks, and the plan
		// items of supplementary projects (R8). The plan's own decisions (compiled, bundled)
		// stay those of its state: a workflow task retried after a lost completion would
		// otherwise find the write of its own first attempt and refuse itself (found by the
		// fault test).
		if r.Supplementary {
			pp.Planned, pp.Supplementary, pp.PlanAmountFen = true, true, r.PlanAmountFen
		}
		// Paneled while its panel's tasks are open, or since this plan convened it and the
		// stage has not changed (the lifecycle may not have opened the tasks yet).
		pp.Paneled = r.ExpertTasksOpen || (pp.Paneled && pp.PaneledVersion != 0 && pp.PaneledVersion == r.Version)
		pp.CryptoPlanMissing = p.cryptoGate && r.CryptoPlanMissing
		if p.pinnedApprovers {
			pp.ApproverRole, pp.ApproverOrg = r.BundleApproverRole, r.BundleApproverOrg
		}
		if in.Bundleable && p.in.Policy.Small(r.EstimatedFen) && pp.BundleID == "" {
			if pp.CryptoPlanMissing {
				m.waiting = append(m.waiting, r.ProjectID) // R17: not approvable until it is in
			} else {
				m.candidates = append(m.candidates, r.ProjectID)
			}
		}
	}
	return nil
}

// CheckPanels refuses a session of experts over projects (rows as the read model holds them:
// id, unit, name) when the effective panel of any project (its experts minus those of its own
// unit, R4 recusal) is smaller than the policy's minimum or, while the policy wants it odd,
// even: an even panel can tie, and a tie is no majority. The refusal names every project that
// falls short, why, and how many experts from outside its unit it lacks, so that DRB, who picks
// the experts, can add them or convene those projects apart: 422 panel_too_small_after_recusal
// when one is below the minimum, else 422 panel_even_after_recusal; extra lists them.
// AnnualPlan checks it when it handles the convene (panel-odd-after-recusal); the gateway
// checks it before it asks the plan.
func CheckPanels(experts []ExpertRef, rows []domain.PlanProject, pol domain.Policy) error {
	var lines []string
	var short []map[string]any
	small := false
	for _, r := range rows {
		n := len(effectivePanel(experts, r.UnitID))
		add := pol.PanelShortfall(n)
		if add == 0 {
			continue
		}
		small = small || n < pol.PanelMin
		name := r.Name
		if name == "" {
			name = r.ProjectID
		}
		lines = append(lines, fmt.Sprintf("项目「%s」（%s）回避 %d 人后有效专家 %d 人，须再增加 %d 名非本单位专家",
			name, r.ProjectID, len(experts)-n, n, add))
		short = append(short, map[string]any{"project_id": r.ProjectID, "recused": len(experts) - n, "effective": n, "add": add})
	}
	if len(lines) == 0 {
		return nil
	}
	rule := fmt.Sprintf("不少于 %d 人", pol.PanelMin)
	if pol.PanelMustBeOdd() {
		rule += "的奇数"
	}
	code := "panel_even_after_recusal"
	if small {
		code = "panel_too_small_after_recusal"
	}
	return domain.RefuseWith(domain.StatusUnprocessable, code,
		fmt.Sprintf("每个项目回避后的有效专家组须为%s：%s（也可将这些项目另行组织评审会）", rule, strings.Join(lines, "；")),
		map[string]any{"panel_min": pol.PanelMin, "odd": pol.PanelMustBeOdd(), "projects": short})
}

func effectivePanel(experts []ExpertRef, unitID string) []ExpertRef {
	var out []ExpertRef
	for _, e := range experts {
		if e.OrgID != unitID { // R4 recusal
			out = append(out, e)
		}
	}
	return out
}

// bundleable lists the included small projects awaiting approval and not yet bundled: read
// for m from the read model (plan-stages-from-read-model), else those the plan has heard of,
// in arrival order.
func (p *plan) bundleable(m *planMsg) []string {
	if p.fromReadModel {
		return m.candidates
	}
	var ids []string
	for _, pp := range p.st.Projects {
		if pp.Stage == domain.StageAwaitingApproval && pp.BundleID == "" && p.in.Policy.Small(pp.EstimatedFen) {
			ids = append(ids, pp.ProjectID)
		}
	}
	return ids
}

// bundleFacts is the approval task of pending bundle b as authz.ActOnTask takes it; with sod,
// the bundle's creator submitted what it decides on.
func (p *plan) bundleFacts(b *PlanBundle, sod bool) authz.TaskFacts {
	role, org := p.bundleApprover(b)
	f := authz.TaskFacts{Kind: domain.TaskBundleApproval, CandidateRole: role, CandidateOrgID: org,
		AssigneeID: b.AssigneeID, Open: true}
	if sod && b.CreatedBy != "" {
		f.SubmittedBy = []string{b.CreatedBy}
	}
	return f
}

// approverOf is who decides a bundle of pp: its pinned policy's bundle approver, or the plan's
// policy's when the plan does not know it (runs before bundle-by-pinned-approver).
func (p *plan) approverOf(pp *PlanProject) (role, org string) {
	if pp != nil && pp.ApproverRole != "" {
		return pp.ApproverRole, pp.ApproverOrg
	}
	return p.in.Policy.BundleApproverRole, p.in.Policy.BundleApproverOrg
}

// bundleApprover is who decides bundle b: its projects' approver, or the plan's policy's for a
// bundle made before bundle-by-pinned-approver.
func (p *plan) bundleApprover(b *PlanBundle) (role, org string) {
	if b.ApproverRole != "" {
		return b.ApproverRole, b.ApproverOrg
	}
	return p.in.Policy.BundleApproverRole, p.in.Policy.BundleApproverOrg
}

func (p *plan) bundleByTask(taskID string) *PlanBundle {
	for _, b := range p.st.Bundles {
		if b.TaskID == taskID {
			return b
		}
	}
	return nil
}

func (p *plan) handle(ctx workflow.Context, m *planMsg) (any, error) {
	switch {
	case m.status != nil:
		s := m.status
		pp, ok := p.idx[s.ProjectID]
		if !ok {
			pp = &PlanProject{ProjectID: s.ProjectID}
			p.idx[s.ProjectID] = pp
			p.st.Projects = append(p.st.Projects, pp)
		}
		pp.UnitID, pp.EstimatedFen, pp.Stage = s.UnitID, s.EstimatedFen, s.Stage
		if s.Name != "" {
			pp.Name = s.Name
		}
		if s.Supplementary {
			pp.Planned, pp.Supplementary, pp.PlanAmountFen = true, true, s.PlanAmountFen
		}
		if s.Stage == domain.StageRevision || s.Stage == domain.StagePrelimReview {
			pp.Paneled = false
		}
		return nil, nil
	case m.convene != nil:
		return p.convene(ctx, *m.convene)
	case m.compile != nil:
		return p.compile(ctx, *m.compile)
	case m.bundle != nil:
		return p.createBundle(ctx, m)
	case m.decide != nil:
		return p.decideBundle(ctx, *m.decide)
	case m.reassign != nil:
		return p.reassignBundle(ctx, *m.reassign)
	case m.timer != nil:
		return nil, p.onBundleTimer(ctx, *m.timer)
	}
	return nil, nil
}

func (p *plan) apply(ctx workflow.Context, t domain.Transition) error {
	_, err := p.applyResult(ctx, t)
	return err
}

// applyResult is apply returning what the transition wrote (the due instants of the tasks it
// opened).
func (p *plan) applyResult(ctx workflow.Context, t domain.Transition) (domain.TransitionResult, error) {
	p.st.Seq++
	t.ID = fmt.Sprintf("%s/%s/%d", p.id, p.runID, p.st.Seq)
	if p.cause != "" && version(ctx, "plan-transition-id-by-update", 1) == 1 {
		// The transition's id keys its audit rows and notifications (written once per id), so
		// it must name the same change in every attempt of a workflow task. A counter does not:
		// when a task's completion is lost (worker or server killed after Apply ran), the next
		// attempt may handle other Updates first, and a counter value already written would
		// silently drop a different change's audit row and write this one's twice (found by
		// the fault test, issue 7). The Update's id names it in every attempt and every run.
		t.ID = p.id + "/u/" + p.cause + "/1"
	}
	t.WorkflowID = p.id
	var res domain.TransitionResult
	if err := workflow.ExecuteLocalActivity(localCtx(ctx), wire.Apply, t).Get(ctx, &res); err != nil {
		return res, err
	}
	if len(t.Notify) > 0 && version(ctx, "send-notifications", 1) == 1 {
		sendNotifications(ctx, t.ID, &p.sending)
	}
	return res, nil
}

// projectSignal is one signal the plan sends a project's lifecycle.
type projectSignal struct {
	projectID, name string
	payload         any
}

// signalAll delivers sigs to their projects and waits until all are delivered. From version
// plan-signals-parallel every SignalExternalWorkflow command goes out in one workflow task and
// the deliveries overlap: a decision on a plan of N projects waits about one delivery
// (~100 ms on the devserver), not N of them, which made compiling a 300-project plan outlast
// the gateway's 30 s reply. Before it, each signal was sent and awaited in turn.
func (p *plan) signalAll(ctx workflow.Context, sigs []projectSignal) {
	logErr := func(s projectSignal, err error) {
		workflow.GetLogger(ctx).Error("project not signalled", "project_id", s.projectID, "signal", s.name, "error", err)
	}
	if version(ctx, "plan-signals-parallel", 1) == workflow.DefaultVersion {
		for _, s := range sigs {
			if err := workflow.SignalExternalWorkflow(ctx, ProjectWorkflowID(s.projectID), "", s.name, s.payload).Get(ctx, nil); err != nil {
				logErr(s, err)
			}
		}
		return
	}
	fs := make([]workflow.Future, len(sigs))
	for i, s := range sigs {
		fs[i] = workflow.SignalExternalWorkflow(ctx, ProjectWorkflowID(s.projectID), "", s.name, s.payload)
	}
	for i, f := range fs {
		if err := f.Get(ctx, nil); err != nil {
			logErr(sigs[i], err)
		}
	}
}

func (p *plan) convene(ctx workflow.Context, u ConveneUpdate) (ConveneResult, error) {
	res := ConveneResult{SessionID: u.SessionID}
	ids := make([]string, 0, len(u.Experts))
	for _, e := range u.Experts {
		ids = append(ids, e.ID)
	}
	var audits []domain.AuditItem
	for _, pid := range u.ProjectIDs {
		pp := p.idx[pid]
		panel := effectivePanel(u.Experts, pp.UnitID)
		one := PanelOfOne{ProjectID: pid}
		for _, e := range panel {
			one.ExpertIDs = append(one.ExpertIDs, e.ID)
		}
		for _, e := range u.Experts {
			if e.OrgID == pp.UnitID {
				one.Recused = append(one.Recused, e.ID)
			}
		}
		res.Panels = append(res.Panels, one)
		audits = append(audits, domain.AuditItem{ActorID: u.Actor.ID, OrgID: u.Actor.OrgID, Action: "expert_review.convene",
			ObjectType: "project", ObjectID: pid, Outcome: "ok", RequestID: u.RequestID,
			Detail: map[string]any{"session_id": u.SessionID, "experts": one.ExpertIDs, "recused": one.Recused}})
	}
	if err := p.apply(ctx, domain.Transition{Audit: audits,
		Session: &domain.Session{ID: u.SessionID, PlanYear: p.in.Year, ExpertIDs: ids, CreatedBy: u.Actor.ID,
			ProjectIDs: u.ProjectIDs, CoOrgIDs: u.CoOrgIDs}}); err != nil {
		return res, err
	}
	p.st.Sessions = append(p.st.Sessions, u.SessionID)
	sigs := make([]projectSignal, 0, len(u.ProjectIDs))
	for _, pid := range u.ProjectIDs {
		pp := p.idx[pid]
		pp.Paneled, pp.PaneledVersion = true, pp.Version
		sigs = append(sigs, projectSignal{pid, SignalPanel, PanelSignal{SessionID: u.SessionID, Experts: effectivePanel(u.Experts, pp.UnitID)}})
	}
	p.signalAll(ctx, sigs)
	return res, nil
}

func (p *plan) compile(ctx workflow.Context, u CompileUpdate) (CompileResult, error) {
	var items []domain.PlanItem
	var audits []domain.AuditItem
	for _, in := range u.Included {
		items = append(items, domain.PlanItem{PlanYear: p.in.Year, ProjectID: in.ProjectID, Included: true,
			ApprovedAmountFen: in.ApprovedAmountFen, DecidedBy: u.Actor.ID})
		audits = append(audits, domain.AuditItem{ActorID: u.Actor.ID, OrgID: u.Actor.OrgID, Action: "plan.compile",
			ObjectType: "project", ObjectID: in.ProjectID, Outcome: "included", RequestID: u.RequestID,
			Detail: map[string]any{"plan_amount_fen": in.ApprovedAmountFen, "plan_year": p.in.Year}})
	}
	for _, ex := range u.Excluded {
		items = append(items, domain.PlanItem{PlanYear: p.in.Year, ProjectID: ex.ProjectID, Reason: ex.Reason, DecidedBy: u.Actor.ID})
		audits = append(audits, domain.AuditItem{ActorID: u.Actor.ID, OrgID: u.Actor.OrgID, Action: "plan.compile",
			ObjectType: "project", ObjectID: ex.ProjectID, Outcome: "excluded", RequestID: u.RequestID,
			Detail: map[string]any{"reason": ex.Reason, "plan_year": p.in.Year}})
	}
	if err := p.apply(ctx, domain.Transition{PlanItems: items, Audit: audits}); err != nil {
		return CompileResult{}, err
	}
	sigs := make([]projectSignal, 0, len(u.Included)+len(u.Excluded))
	for _, in := range u.Included {
		pp := p.idx[in.ProjectID]
		pp.Planned, pp.PlanAmountFen = true, in.ApprovedAmountFen
		sigs = append(sigs, projectSignal{in.ProjectID, SignalPlanResult, PlanResultSignal{Included: true, ApprovedAmountFen: in.ApprovedAmountFen, Actor: u.Actor}})
	}
	for _, ex := range u.Excluded {
		p.idx[ex.ProjectID].Planned = true
		sigs = append(sigs, projectSignal{ex.ProjectID, SignalPlanResult, PlanResultSignal{Reason: ex.Reason, Actor: u.Actor}})
	}
	p.signalAll(ctx, sigs)
	return CompileResult{Included: len(u.Included), Excluded: len(u.Excluded)}, nil
}

func (p *plan) createBundle(ctx workflow.Context, m *planMsg) (BundleResult, error) {
	u := *m.bundle
	ids := u.ProjectIDs
	if len(ids) == 0 {
		ids = p.bundleable(m)
	}
	ids = append([]string(nil), ids...)
	sort.Strings(ids)
	taskID := fmt.Sprintf("%s:%s:%s", p.id, domain.TaskBundleApproval, u.BundleID)
	pol := p.in.Policy
	b := &PlanBundle{ID: u.BundleID, TaskID: taskID, ProjectIDs: ids, Status: "pending", CreatedBy: u.Actor.ID}
	if p.pinnedApprovers && len(ids) > 0 {
		// R6, R19: the bundle approver of its projects' pinned policy (one for them all: validate).
		b.ApproverRole, b.ApproverOrg = p.approverOf(p.idx[ids[0]])
	}
	role, org := p.bundleApprover(b)
	t := domain.Transition{
		Open: []domain.NewTask{{ID: taskID, Kind: domain.TaskBundleApproval, BundleID: u.BundleID,
			CandidateRole: role, CandidateOrgID: org, DueWorkdays: pol.ReviewDueWorkdays,
			Details: map[string]any{"project_ids": ids, "plan_year": p.in.Year}}},
		Bundle: &domain.Bundle{ID: u.BundleID, PlanYear: p.in.Year, TaskID: taskID, Status: "pending", CreatedBy: u.Actor.ID, ProjectIDs: ids},
		Notify: []domain.Notice{{Kind: "task", Title: fmt.Sprintf("%d 年度打捆项目建议书待审批", p.in.Year), Role: role,
			OrgID: org, TaskID: taskID}},
	}
	for _, id := range ids {
		t.Audit = append(t.Audit, domain.AuditItem{ActorID: u.Actor.ID, OrgID: u.Actor.OrgID, Action: "bundle.create",
			ObjectType: "project", ObjectID: id, Outcome: "ok", RequestID: u.RequestID,
			Detail: map[string]any{"bundle_id": u.BundleID, "task_id": taskID}})
	}
	res, err := p.applyResult(ctx, t)
	if err != nil {
		return BundleResult{}, err
	}
	for _, id := range ids {
		p.idx[id].BundleID = u.BundleID
	}
	p.st.Bundles = append(p.st.Bundles, b)
	if p.bundleTimers {
		b.DueAt, b.RemindAt = res.Due[taskID], res.Remind[taskID]
		p.armBundleTimers(ctx, b)
	}
	return BundleResult{ID: u.BundleID, ProjectIDs: ids, TaskID: taskID}, nil
}

// decideBundle applies the one decision on a bundle to every project in it (R6).
func (p *plan) decideBundle(ctx workflow.Context, u DecideUpdate) (DecideResult, error) {
	b := p.bundleByTask(u.TaskID)
	status := "approved"
	outcomes := map[string]string{}
	for _, id := range b.ProjectIDs {
		switch {
		case u.Decision == domain.DecisionReject:
			outcomes[id], status = "rejected", "rejected"
		case domain.Contains(u.ExcludedProjectIDs, id):
			outcomes[id], status = "excluded", "partially_approved"
		default:
			outcomes[id] = "approved"
		}
	}
	t := domain.Transition{
		Close: []domain.TaskClose{{TaskID: b.TaskID, Decision: u.Decision, ActorID: u.Actor.ID, Comment: u.Comment,
			Details: map[string]any{"excluded_project_ids": u.ExcludedProjectIDs}}},
		Bundle: &domain.Bundle{ID: b.ID, PlanYear: p.in.Year, TaskID: b.TaskID, Status: status, CreatedBy: u.Actor.ID,
			ProjectIDs: b.ProjectIDs, Outcomes: outcomes},
		Audit: []domain.AuditItem{{ActorID: u.Actor.ID, OrgID: u.Actor.OrgID, Action: "task.decide", ObjectType: "bundle",
			ObjectID: b.ID, Outcome: u.Decision, RequestID: u.RequestID,
			Detail: map[string]any{"task_id": b.TaskID, "excluded_project_ids": u.ExcludedProjectIDs, "comment": u.Comment}}},
	}
	if err := p.apply(ctx, t); err != nil {
		return DecideResult{}, err
	}
	b.Status = status
	if cancel, ok := p.cancelBundle[b.TaskID]; ok {
		cancel()
		delete(p.cancelBundle, b.TaskID)
	}
	sigs := make([]projectSignal, 0, len(b.ProjectIDs))
	for _, id := range b.ProjectIDs {
		sigs = append(sigs, projectSignal{id, SignalBundleResult, BundleResultSignal{BundleID: b.ID, TaskID: b.TaskID,
			Approved: outcomes[id] == "approved", Excluded: outcomes[id] == "excluded", Comment: u.Comment, Actor: u.Actor}})
	}
	p.signalAll(ctx, sigs)
	return DecideResult{TaskID: b.TaskID, Decision: u.Decision}, nil
}

// reassignBundle moves the approval task of a pending bundle to the new assignee
// (plan-task-reassign): the plan holds the assignee, so from now on only they decide the
// bundle; one transition writes the task's assignee, the audit row and the notifications.
func (p *plan) reassignBundle(ctx workflow.Context, u ReassignUpdate) (DecideResult, error) {
	if version(ctx, "plan-task-reassign", 1) == workflow.DefaultVersion {
		return DecideResult{}, domain.Refuse(domain.StatusConflict, "reassign_unsupported", "该流程版本不支持转办")
	}
	b := p.bundleByTask(u.TaskID)
	from := b.AssigneeID
	if from == "" {
		from = u.From
	}
	t := domain.Transition{
		Assign: []domain.TaskAssign{{TaskID: b.TaskID, AssigneeID: u.Assignee.ID}},
		Notify: reassignNotices(u, b.TaskID, from, fmt.Sprintf("%d 年度打捆项目建议书审批", p.in.Year)),
		Audit: []domain.AuditItem{{ActorID: u.Actor.ID, OrgID: u.Actor.OrgID, Action: "task.reassign", ObjectType: "bundle",
			ObjectID: b.ID, Outcome: "ok", RequestID: u.RequestID, Detail: map[string]any{"task_id": b.TaskID,
				"kind": string(domain.TaskBundleApproval), "from": from, "to": u.Assignee.ID, "reason": u.Reason}}},
	}
	if err := p.apply(ctx, t); err != nil {
		return DecideResult{}, err
	}
	b.AssigneeID = u.Assignee.ID
	return DecideResult{TaskID: b.TaskID, Decision: "reassign"}, nil
}

// bundleTimer is the T2 timer of a bundle approval task that fired: kind timerTaskReminder or
// timerTaskEscalation.
type bundleTimer struct {
	kind, taskID string
}

// armBundleTimers sets the T2 timers of an open bundle approval task (bundle-task-timers): the
// reminder the working day before it is due, then the escalation when it is overdue, those not
// sent yet, one at a time, under a context the decision cancels. Each timer that fires queues
// a message the main loop handles (onBundleTimer). The plan is one workflow a year with a few
// bundles, so a coroutine per open bundle task costs nothing worth saving.
func (p *plan) armBundleTimers(ctx workflow.Context, b *PlanBundle) {
	if b.DueAt.IsZero() {
		return
	}
	ctx, cancel := workflow.WithCancel(ctx)
	p.cancelBundle[b.TaskID] = cancel
	remind := !b.Reminded && !b.RemindAt.IsZero() && b.RemindAt.Before(b.DueAt)
	escalate := !b.Escalated
	taskID, remindAt, dueAt := b.TaskID, b.RemindAt, b.DueAt
	workflow.Go(ctx, func(gctx workflow.Context) {
		wait := func(at time.Time) bool {
			if d := at.Sub(workflow.Now(gctx)); d > 0 {
				return workflow.Sleep(gctx, d) == nil
			}
			return gctx.Err() == nil
		}
		if remind {
			if !wait(remindAt) {
				return
			}
			p.inbox = append(p.inbox, &planMsg{timer: &bundleTimer{kind: timerTaskReminder, taskID: taskID}})
		}
		if escalate && wait(dueAt) {
			p.inbox = append(p.inbox, &planMsg{timer: &bundleTimer{kind: timerTaskEscalation, taskID: taskID}})
		}
	})
}

// onBundleTimer reminds the bundle approvers of their task, or escalates it to the DRB
// supervisor once overdue (T2), unless it was decided meanwhile or the notice already sent.
func (p *plan) onBundleTimer(ctx workflow.Context, bt bundleTimer) error {
	b := p.bundleByTask(bt.taskID)
	if b == nil || b.Status != "pending" || (bt.kind == timerTaskReminder && b.Reminded) || (bt.kind == timerTaskEscalation && b.Escalated) {
		return nil
	}
	role, org := p.bundleApprover(b)
	to := domain.Notice{Role: role, OrgID: org}
	if b.AssigneeID != "" {
		to = domain.Notice{UserID: b.AssigneeID}
	}
	n, action, detail := t2Notice(bt.kind, b.TaskID, b.DueAt, fmt.Sprintf("%d 年度打捆项目建议书审批", p.in.Year), to)
	t := domain.Transition{Notify: []domain.Notice{n}, Audit: []domain.AuditItem{{ActorID: "system", Action: action,
		ObjectType: "bundle", ObjectID: b.ID, Outcome: "ok", Detail: detail}}}
	if err := p.apply(ctx, t); err != nil {
		return err
	}
	if bt.kind == timerTaskReminder {
		b.Reminded = true
	} else {
		b.Escalated = true
	}
	return nil
}
