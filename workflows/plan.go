package workflows

import (
	"errors"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"egovpm/activities/wire"
	"egovpm/internal/authz"
	"egovpm/internal/domain"
	"egovpm/internal/text"
)

// planKind is what a plan inbox message is (in memory only, as msgKind).
type planKind uint8

// The plan's message kinds: its Updates, the projects' stage reports (runs started before
// plan-stages-from-read-model) and the T2 timers of bundle tasks.
const (
	planConvene planKind = iota + 1
	planCompile
	planBundle
	planDecide
	planReassign
	planAdjust
	planStatus
	planTimer
	planClose
)

// update reports an Update: checked against the projects' stages before it is handled.
func (k planKind) update() bool { return k >= planConvene && k <= planAdjust }

// planMsg is one event the plan's main loop handles, in arrival order.
type planMsg struct {
	kind planKind
	// payload is the Update's payload (ConveneUpdate, …), the ProjectStatusSignal or the
	// bundleTimer.
	payload any
	// updateID is the id of the Update that brought the message (the client's Idempotency-Key
	// through the gateway); it names the transition the message applies.
	updateID string
	// candidates are the small projects awaiting approval in no bundle, read for a bundle
	// that names none (plan-stages-from-read-model); waiting those of them left out because
	// their 密码应用方案 is missing (R17, crypto-plan-every-route).
	candidates []string
	waiting    []string
	// summary: the candidates of a bundle that names none, counted, not listed
	// (bundle-by-reference); members: the projects a decision on a bundle made by reference
	// excludes that are in it, read from the read model.
	summary *domain.BundleSummary
	members []string
	handled bool
	result  any
	err     error
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
	// sending counts notification sends and fan-outs in flight.
	sending int
	// fanOutTickets is the number of fan-outs this run has decided in turn, fanOutTurn the
	// ticket of the one that may run now (plan-fanout-in-turn), counted by the fan-outs
	// decided before plan-fanout-turn-bounded; fanOutOpen the tickets not yet ended, in order.
	fanOutTickets, fanOutTurn int
	fanOutOpen                []int
	// lateUpdates: Updates accepted while the run waits to continue as new are handled
	// (plan-finish-late-updates); false in runs that met that wait before the change.
	lateUpdates bool
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
	// byRef (bundle-by-reference): a bundle holds its members by reference to the read model
	// (bundle_projects): created without a list, Apply writes them from the candidates, the
	// plan keeps their count and digest; a decision writes one outcome for all but the
	// excluded. Bundles made before it keep their ids (PlanBundle.ByRef false).
	byRef bool
	// leanRead (plan-compile-lean-read): a compile reads of its projects only what it checks
	// (wire.PlanStage, LoadPlanStages), not their names, units and approvers, which the plan
	// keeps from its other reads.
	leanRead bool
	// leanResume (plan-lean-resume): the run continues as new without its projects (but the
	// legacy ones), and fills a project it does not know from the read model with the plan's
	// own decisions its runs made (recall); runs started before carry every project.
	leanResume bool
	// legacy are the projects a run before plan-lean-resume carried into this one: of those
	// the read model cannot vouch for what this plan decided (no written_by, no session
	// version), so a lean run keeps carrying them (carried).
	legacy map[string]bool
	// adjust (plan-adjust): DRB may propose a mid-year adjustment (调整) of the plan, decided by
	// the approver of its projects; runs started before refuse it in the validator.
	adjust bool
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
	ctx = withBaseline(ctx, planBaselines, planChanges)
	p := newPlan(ctx, in)
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
	if version(ctx, "year-end-close", 1) == 1 {
		p.armClose(ctx)
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

// newPlan is the plan of in.Year with the rules its run's versions pin.
func newPlan(ctx workflow.Context, in AnnualPlanInput) *plan {
	info := workflow.GetInfo(ctx)
	p := &plan{lateUpdates: true, in: in, id: info.WorkflowExecution.ID, runID: info.WorkflowExecution.RunID, idx: map[string]*PlanProject{},
		cancelBundle: map[string]workflow.CancelFunc{}}
	p.st.Year = in.Year
	if in.Resume != nil {
		p.st = *in.Resume
		p.legacy = map[string]bool{}
		for _, pp := range p.st.Projects {
			p.idx[pp.ProjectID] = pp
			p.legacy[pp.ProjectID] = true
		}
	}
	// Decided once per run, before any handler runs: a run keeps one way of knowing stages.
	// A run started before this version keeps hearing stage reports until it continues as
	// new (lifecycles report to every plan year not in plan_stage_sources).
	p.fromReadModel = version(ctx, "plan-stages-from-read-model", 1) == 1
	p.bundleTimers = version(ctx, "bundle-task-timers", 1) == 1
	p.blankTexts = version(ctx, "blank-texts", 1) == 1
	p.sod = version(ctx, "plan-separation-of-duties", 1) == 1
	p.cryptoGate = version(ctx, "crypto-plan-every-route", 1) == 1
	p.oddPanels = version(ctx, "panel-odd-after-recusal", 1) == 1
	p.pinnedApprovers = version(ctx, "bundle-by-pinned-approver", 1) == 1
	p.adjust = version(ctx, "plan-adjust", 1) == 1
	p.byRef = p.fromReadModel && version(ctx, "bundle-by-reference", 1) == 1
	p.leanRead = p.fromReadModel && version(ctx, "plan-compile-lean-read", 1) == 1
	p.leanResume = p.leanRead && p.byRef && version(ctx, "plan-lean-resume", 1) == 1
	return p
}

func (p *plan) setup(ctx workflow.Context) error {
	if err := workflow.SetQueryHandler(ctx, QueryState, func() (PlanState, error) { return p.st, nil }); err != nil {
		return err
	}
	convene, compile := planCheck[ConveneUpdate](p, planConvene), planCheck[CompileUpdate](p, planCompile)
	bundle, reassign := planCheck[BundleUpdate](p, planBundle), planCheck[ReassignUpdate](p, planReassign)
	decide, adjust := planCheck[DecideUpdate](p, planDecide), planCheck[AdjustUpdate](p, planAdjust)
	decideValidator := func(ctx workflow.Context, u DecideUpdate) error {
		if err := decide(ctx, u); err != nil {
			return err
		}
		if a := p.adjustmentByTask(u.TaskID); a != nil {
			return nil // validateAdjustDecision checked the actor
		}
		return refusal(authz.ActOnTask(u.Actor, p.bundleFacts(p.bundleByTask(u.TaskID), true)))
	}
	if err := errors.Join(
		setUpdate(ctx, UpdateConvene, convene, convene, planEnqueuer[ConveneResult](p, planConvene)),
		setUpdate(ctx, UpdateCompile, compile, compile, planEnqueuer[CompileResult](p, planCompile)),
		setUpdate(ctx, UpdateCreateBundle, bundle, bundle, planEnqueuer[BundleResult](p, planBundle)),
		setUpdate(ctx, UpdateDecide, decideValidator, decide, planEnqueuer[DecideResult](p, planDecide)),
		setUpdate(ctx, UpdateReassign, reassign, reassign, planEnqueuer[DecideResult](p, planReassign)),
		setUpdate(ctx, UpdateProposeAdjustment, adjust, adjust, planEnqueuer[AdjustResult](p, planAdjust)),
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
				p.inbox = append(p.inbox, &planMsg{kind: planStatus, payload: s})
			}
		}
	})
	return nil
}

// planCheck is the check of a plan Update of kind before it is queued: without the projects'
// stages in a run that reads them from the read model (validators cannot read), with the
// stage reports heard in a run started before.
func planCheck[U any](p *plan, kind planKind) func(workflow.Context, U) error {
	return func(_ workflow.Context, u U) error {
		return p.validate(&planMsg{kind: kind, payload: u}, !p.fromReadModel)
	}
}

// planEnqueuer hands an Update's payload to the main loop as a message of kind and answers with
// the R its handling made (setUpdate).
func planEnqueuer[R any](p *plan, kind planKind) func(workflow.Context, any) (R, error) {
	return func(ctx workflow.Context, payload any) (R, error) {
		m := &planMsg{kind: kind, payload: payload}
		if err := p.enqueue(ctx, m); err != nil {
			var zero R
			return zero, err
		}
		return m.result.(R), nil
	}
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

// settle waits until every handler has finished and sends are done; late is true when an
// Update was accepted meanwhile, for the loop to handle (plan-finish-late-updates). Runs that
// met this wait before the change keep the old one, which that Update never ended.
func (p *plan) settle(ctx workflow.Context) (late bool, err error) {
	for {
		if err := workflow.Await(ctx, func() bool {
			return (workflow.AllHandlersFinished(ctx) && p.sending == 0) || (p.lateUpdates && len(p.inbox) > 0)
		}); err != nil {
			return false, err
		}
		if len(p.inbox) == 0 || !p.lateUpdates {
			return false, nil
		}
		if version(ctx, "plan-finish-late-updates", 1) != workflow.DefaultVersion {
			return true, nil
		}
		p.lateUpdates = false
	}
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
			// An Update accepted meanwhile is handled first (plan-finish-late-updates: it used
			// to wait for this loop while the loop waited for it, for ever).
			if late, err := p.settle(ctx); err != nil || late {
				if err != nil {
					return p.st, err
				}
				continue
			}
			st := p.st
			if p.leanResume {
				st.Projects = p.carried()
			}
			return p.st, workflow.NewContinueAsNewError(ctx, AnnualPlan, AnnualPlanInput{Year: p.in.Year, Policy: p.in.Policy, Resume: &st})
		}
		m := p.inbox[0]
		p.inbox = p.inbox[1:]
		if m.kind.update() {
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
		if bt, ok := m.payload.(bundleTimer); ok {
			// Names the notice's transition the same in every attempt and every run.
			p.cause = "t2:" + bt.kind + ":" + bt.taskID
		}
		if m.kind == planClose {
			p.cause = "year-end-close"
		}
		m.result, m.err = p.handle(ctx, m)
		p.cause = ""
		m.handled = true
	}
}
