package workflows

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"egovpm/activities/wire"
	"egovpm/internal/authz"
	"egovpm/internal/domain"
	"egovpm/internal/text"
)

// message is one event the lifecycle's main loop handles, in arrival order: an Update waits for
// it to be handled; a signal does not.
type message struct {
	name   string
	decide *DecideUpdate
	resub  *ResubmitUpdate
	panel  *PanelSignal
	plan   *PlanResultSignal
	bundle *BundleResultSignal
	// reassign moves a task to another person (转办).
	reassign *ReassignUpdate
	// Delivery requests (R9–R13) and the timers the lifecycle sets itself.
	contract     *ContractUpdate
	construction *ConstructionUpdate
	accept       *AcceptanceUpdate
	omReport     *OMReportUpdate
	timer        string
	timerYear    int
	taskID       string
	// updateID is the id of the Update that brought the message ("" for signals and timers);
	// applies counts the transitions its handling wrote (transition-id-by-update).
	updateID string
	applies  int
	handled  bool
	result   DecideResult
	err      error
}

type lifecycle struct {
	in    ProjectLifecycleInput
	id    string
	runID string
	st    ProjectState
	inbox []*message
	// deciding marks tasks whose decision is queued, so a second decision is refused at once.
	deciding map[string]bool
	// continueAsNew is set when an O&M year closes (R13).
	continueAsNew bool
	// sod (separation-of-duties): the workflow refuses a decision by whoever submitted or
	// recorded what it decides on, in its handlers too. Runs started before refuse it in the
	// Update validator only (validators are not replayed).
	sod bool
	// sending counts background work in flight (notification sends, R16's similarity from
	// record-activity-failures, recording a failure): the run does not close before it ends.
	sending int
	// cur is the message being handled (nil between messages).
	cur *message
	// taskTimers holds the T2 timers of each open task (armTaskTimers).
	taskTimers map[string]taskTimer
	// lean (lean-coroutines): the main loop reads the signal channels and the fired timers
	// itself (collect). Before it, each signal channel and each timer held a coroutine of
	// its own, parked in the worker's cache with the workflow: a cached lifecycle cost
	// ~150 KB, mostly their stacks, so a 300 MB worker cached 1,000 (docs/PERFORMANCE.md).
	lean    bool
	signals []signalSource
	timers  []pendingTimer
	// blankTexts (blank-texts): a required comment that is only white space or invisible
	// characters is missing (text.Blank). Runs started before it refuse only an empty one.
	blankTexts bool
}

// missing reports whether a required text s is missing: blank (text.Blank), or empty in runs
// started before blank-texts.
func (l *lifecycle) missing(s string) bool {
	if l.blankTexts {
		return text.Blank(s)
	}
	return s == ""
}

// taskTimer cancels an open task's T2 timers; next is the context its next timer is set under
// (chained-task-timers), nil in runs started before it, which set both timers at once.
type taskTimer struct {
	cancel workflow.CancelFunc
	next   workflow.Context
}

// signalSource is a signal channel the main loop reads (lean).
type signalSource struct {
	ch   workflow.ReceiveChannel
	read func(ctx workflow.Context, c workflow.ReceiveChannel) *message
}

// pendingTimer is a timer whose firing puts m in the inbox (lean).
type pendingTimer struct {
	f workflow.Future
	m *message
}

// pending reports input the main loop has not collected yet: a signal, or a timer that has
// fired (or was cancelled).
func (l *lifecycle) pending() bool {
	for _, s := range l.signals {
		if s.ch.Len() > 0 {
			return true
		}
	}
	for _, t := range l.timers {
		if t.f.IsReady() {
			return true
		}
	}
	return false
}

// collect moves the signals received and the timers fired into the inbox, in a fixed order
// (signals by channel as set up, then timers in the order they were set); a cancelled timer
// is dropped.
func (l *lifecycle) collect(ctx workflow.Context) {
	for _, s := range l.signals {
		for s.ch.Len() > 0 {
			l.inbox = append(l.inbox, s.read(ctx, s.ch))
		}
	}
	keep := l.timers[:0]
	for _, t := range l.timers {
		if !t.f.IsReady() {
			keep = append(keep, t)
			continue
		}
		if err := t.f.Get(ctx, nil); err == nil {
			l.inbox = append(l.inbox, t.m)
		}
	}
	l.timers = keep
}

// ProjectLifecycle drives one project from submission to approval (R2–R8) and on through
// delivery. Decisions arrive as UpdateDecide; plan outcomes as signals from AnnualPlan.
func ProjectLifecycle(ctx workflow.Context, in ProjectLifecycleInput) (ProjectLifecycleResult, error) {
	if in.ProjectID == "" || in.UnitID == "" || in.PlanYear == 0 || in.EstimatedFen <= 0 {
		return ProjectLifecycleResult{}, temporal.NewNonRetryableApplicationError("incomplete lifecycle input", "BadInput", nil)
	}
	if err := in.Policy.Validate(); err != nil {
		return ProjectLifecycleResult{}, temporal.NewNonRetryableApplicationError("invalid policy: "+err.Error(), "BadInput", nil)
	}
	ctx = withBaseline(ctx, lifecycleBaselines, lifecycleChanges)
	l, err := newLifecycle(ctx, in)
	if err != nil {
		return ProjectLifecycleResult{}, err
	}
	return l.run(ctx)
}

func newLifecycle(ctx workflow.Context, in ProjectLifecycleInput) (*lifecycle, error) {
	info := workflow.GetInfo(ctx)
	l := &lifecycle{in: in, id: info.WorkflowExecution.ID, runID: info.WorkflowExecution.RunID, deciding: map[string]bool{},
		taskTimers: map[string]taskTimer{}}
	l.lean = version(ctx, "lean-coroutines", 1) == 1
	// Decided once per run, before any handler runs: a decision accepted under one rule is
	// re-checked under the same rule when its history is replayed.
	l.blankTexts = version(ctx, "blank-texts", 1) == 1
	l.sod = version(ctx, "separation-of-duties", 1) == 1
	if in.Resume != nil {
		l.st = *in.Resume
	}
	if err := l.setup(ctx); err != nil {
		return nil, err
	}
	return l, nil
}

// setup registers every handler before the first blocking call.
func (l *lifecycle) setup(ctx workflow.Context) error {
	if err := workflow.SetQueryHandler(ctx, QueryState, func() (ProjectState, error) { return l.st, nil }); err != nil {
		return err
	}
	if err := workflow.SetUpdateHandlerWithOptions(ctx, UpdateDecide,
		func(ctx workflow.Context, u DecideUpdate) (DecideResult, error) {
			if err := l.validateDecide(u, l.sod); err != nil {
				return DecideResult{}, err
			}
			res, err := l.enqueue(ctx, &message{name: UpdateDecide, decide: &u})
			return answered(u.RequestHash, res, err, func(r *DecideResult) { r.RequestHash = u.RequestHash })
		},
		workflow.UpdateHandlerOptions{Validator: func(ctx workflow.Context, u DecideUpdate) error { return l.validateDecide(u, true) }},
	); err != nil {
		return err
	}
	if err := workflow.SetUpdateHandlerWithOptions(ctx, UpdateReassign,
		func(ctx workflow.Context, u ReassignUpdate) (DecideResult, error) {
			if err := l.validateReassign(u); err != nil {
				return DecideResult{}, err
			}
			return l.enqueue(ctx, &message{name: UpdateReassign, reassign: &u})
		},
		workflow.UpdateHandlerOptions{Validator: func(ctx workflow.Context, u ReassignUpdate) error { return l.validateReassign(u) }},
	); err != nil {
		return err
	}
	if err := l.setupDelivery(ctx); err != nil {
		return err
	}
	if err := workflow.SetUpdateHandlerWithOptions(ctx, UpdateResubmit,
		func(ctx workflow.Context, u ResubmitUpdate) (DecideResult, error) {
			if err := l.validateResubmit(u); err != nil {
				return DecideResult{}, err
			}
			return l.enqueue(ctx, &message{name: UpdateResubmit, resub: &u})
		},
		workflow.UpdateHandlerOptions{Validator: func(ctx workflow.Context, u ResubmitUpdate) error { return l.validateResubmit(u) }},
	); err != nil {
		return err
	}
	// Each signal channel is drained into the one ordered inbox: by the main loop (lean), or
	// before lean-coroutines by a workflow coroutine of its own.
	receive := func(name string, fn func(ctx workflow.Context, c workflow.ReceiveChannel) *message) {
		ch := workflow.GetSignalChannel(ctx, name)
		if l.lean {
			l.signals = append(l.signals, signalSource{ch: ch, read: fn})
			return
		}
		workflow.Go(ctx, func(gctx workflow.Context) {
			for {
				l.inbox = append(l.inbox, fn(gctx, ch))
			}
		})
	}
	receive(SignalPanel, func(ctx workflow.Context, c workflow.ReceiveChannel) *message {
		var s PanelSignal
		c.Receive(ctx, &s)
		return &message{name: SignalPanel, panel: &s}
	})
	receive(SignalPlanResult, func(ctx workflow.Context, c workflow.ReceiveChannel) *message {
		var s PlanResultSignal
		c.Receive(ctx, &s)
		return &message{name: SignalPlanResult, plan: &s}
	})
	receive(SignalBundleResult, func(ctx workflow.Context, c workflow.ReceiveChannel) *message {
		var s BundleResultSignal
		c.Receive(ctx, &s)
		return &message{name: SignalBundleResult, bundle: &s}
	})
	receive(SignalDocuments, func(ctx workflow.Context, c workflow.ReceiveChannel) *message {
		c.Receive(ctx, nil)
		return &message{name: SignalDocuments}
	})
	return nil
}

// enqueue hands an Update to the main loop and waits for its outcome.
func (l *lifecycle) enqueue(ctx workflow.Context, m *message) (DecideResult, error) {
	if m.decide != nil {
		l.deciding[m.decide.TaskID] = true
	}
	if info := workflow.GetCurrentUpdateInfo(ctx); info != nil {
		m.updateID = info.ID
	}
	l.inbox = append(l.inbox, m)
	if err := workflow.Await(ctx, func() bool { return m.handled }); err != nil {
		return DecideResult{}, err
	}
	return m.result, m.err
}

func (l *lifecycle) run(ctx workflow.Context) (ProjectLifecycleResult, error) {
	if l.in.Resume == nil {
		if err := l.start(ctx); err != nil {
			return ProjectLifecycleResult{}, err
		}
	} else {
		for _, t := range l.st.OpenTasks {
			l.armTaskTimers(ctx, t)
		}
		l.armTimers(ctx)
	}
	// Messages queued before an O&M year closed are still handled (and refused if stale)
	// before the run continues as new.
	for {
		l.collect(ctx)
		if l.st.Stage.Terminal() || (l.continueAsNew && len(l.inbox) == 0) {
			break
		}
		if len(l.inbox) == 0 {
			if err := workflow.Await(ctx, func() bool { return len(l.inbox) > 0 || l.pending() }); err != nil {
				return ProjectLifecycleResult{}, err
			}
			continue // collect what woke it (a cancelled timer wakes it for nothing)
		}
		m := l.inbox[0]
		l.inbox = l.inbox[1:]
		l.cur = m
		m.result, m.err = l.handle(ctx, m)
		l.cur = nil
		m.handled = true
		l.release(ctx)
		if m.decide != nil {
			delete(l.deciding, m.decide.TaskID)
		}
		if m.err != nil && m.decide == nil && m.resub == nil && m.reassign == nil && m.timer == "" && m.contract == nil &&
			m.construction == nil && m.accept == nil && m.omReport == nil {
			// A signal that could not be applied is logged; the sender is a workflow of ours.
			workflow.GetLogger(ctx).Warn("signal not applied", "signal", m.name, "error", m.err)
		}
	}
	// Updates still queued when the stage became terminal are answered as stale, so that every
	// handler finishes.
	for _, m := range l.inbox {
		if m.timer == "" && m.panel == nil && m.plan == nil && m.bundle == nil && m.name != SignalDocuments {
			m.err = errStale() // every queued request gets an answer, none a silent success
		}
		m.handled = true
	}
	l.inbox = nil
	// Let in-flight Update handlers reply, and notifications go out, before the run closes.
	if err := workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) && l.sending == 0 }); err != nil {
		return ProjectLifecycleResult{}, err
	}
	if l.continueAsNew {
		in := l.in
		st := l.st
		in.Resume = &st
		return ProjectLifecycleResult{Stage: l.st.Stage}, workflow.NewContinueAsNewError(ctx, ProjectLifecycle, in)
	}
	return ProjectLifecycleResult{Stage: l.st.Stage}, nil
}

// start opens the first decision point: the City Government for a special request (R8),
// preliminary review otherwise (R3).
func (l *lifecycle) start(ctx workflow.Context) error {
	l.st.Round = 1
	l.submitted(l.in.SubmittedBy)
	if l.in.Special {
		open := []OpenTask{l.specialTask()}
		detail := map[string]any{"special_request": true, "policy": l.in.Policy.Version}
		if version(ctx, "crypto-plan-every-route", 1) == 1 && l.needsCryptoPlan() {
			// R17: the City Government decides once the 密码应用方案 is in (advance opens
			// the task when SignalDocuments says it arrived).
			missing, err := l.missingDocs(ctx, []string{"crypto_plan"})
			if err != nil {
				return err
			}
			if len(missing) > 0 {
				open, detail["waiting_documents"] = nil, missing
			}
		}
		err := l.apply(ctx, transition{
			stage: domain.StageSpecialRequest,
			open:  open,
			audit: l.auditBy(l.in.SubmittedBy, "project.submit", detail),
		})
		if err != nil {
			return err
		}
		// R16 applies to special requests too; histories from before this change did not run it.
		if version(ctx, "special-request-similarity", 1) == 1 {
			l.similarity(ctx)
		}
		return nil
	}
	if err := l.apply(ctx, transition{
		stage: domain.StagePrelimReview,
		open:  []OpenTask{l.prelimTask()},
		audit: l.auditBy(l.in.SubmittedBy, "project.submit", map[string]any{"round": 1, "policy": l.in.Policy.Version}),
	}); err != nil {
		return err
	}
	l.similarity(ctx)
	return nil
}

// similarity computes the R16 candidates off the decision path: reviewers see them, nothing
// waits for them. An attempt that fails is retried; when all five fail, the failure is
// recorded for ops (record-activity-failures: O1 lists it, ops are notified), and the run
// stays open until it is (sending counts it). Runs started before that version only logged it.
func (l *lifecycle) similarity(ctx workflow.Context) {
	record := version(ctx, "record-activity-failures", 1) == 1
	actx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: time.Minute,
		RetryPolicy:         &temporal.RetryPolicy{MaximumAttempts: 5},
	})
	if record {
		l.sending++
	}
	workflow.Go(ctx, func(gctx workflow.Context) {
		if record {
			defer func() { l.sending-- }()
		}
		if err := workflow.ExecuteActivity(actx, wire.ComputeSimilar, l.in.ProjectID).Get(gctx, nil); err != nil {
			workflow.GetLogger(gctx).Warn("similarity not computed", "error", err)
			if record && !temporal.IsCanceledError(err) {
				recordGaveUp(gctx, l.in.ProjectID, wire.ComputeSimilar, wire.ComputeSimilar, err, &l.sending)
			}
		}
	})
}

func (l *lifecycle) specialTask() OpenTask {
	return OpenTask{ID: l.taskID(domain.TaskSpecialRequestApproval, ""), Kind: domain.TaskSpecialRequestApproval,
		CandidateRole: domain.RoleCityGovApprover, CandidateOrgID: "citygov"}
}

// needsCryptoPlan reports whether the project's approval needs its 密码应用方案 (R17: it uses
// cryptography and its pinned policy has the gate).
func (l *lifecycle) needsCryptoPlan() bool {
	return l.in.UsesCrypto && l.in.Policy.CryptoPlanAtApproval
}

// missingDocs lists which of kinds the project has no document of yet, read in the
// MissingDocuments local activity.
func (l *lifecycle) missingDocs(ctx workflow.Context, kinds []string) ([]string, error) {
	var res wire.DocsResult
	if err := workflow.ExecuteLocalActivity(localCtx(ctx), wire.MissingDocuments,
		wire.DocsInput{ProjectID: l.in.ProjectID, Kinds: kinds}).Get(ctx, &res); err != nil {
		return nil, err
	}
	return res.Missing, nil
}

func (l *lifecycle) prelimTask() OpenTask {
	return OpenTask{ID: l.taskID(domain.TaskPrelimReview, ""), Kind: domain.TaskPrelimReview,
		CandidateRole: domain.RoleDRBReviewer, CandidateOrgID: "drb"}
}

func (l *lifecycle) taskID(kind domain.TaskKind, suffix string) string {
	id := fmt.Sprintf("%s:%s:%d", l.id, kind, l.st.Round)
	if suffix != "" {
		id += ":" + suffix
	}
	return id
}

func (l *lifecycle) findTask(id string) (OpenTask, bool) {
	for _, t := range l.st.OpenTasks {
		if t.ID == id {
			return t, true
		}
	}
	return OpenTask{}, false
}

var (
	// errStale is the workflows' answer to an act on a task they do not hold (closed,
	// unknown): the same refusal as the gateway's (authz.StaleTask).
	errStale = func() error {
		return refusal(authz.StaleTask())
	}
	errDuplicate = func() error {
		return domain.Refuse(domain.StatusConflict, "duplicate_decision", "该任务的决定正在处理或已作出")
	}
)

// refusal turns a *domain.Refusal of the authz policy into the ApplicationError a workflow
// answers an Update with.
func refusal(err error) error {
	r, ok := domain.AsRefusal(err)
	if !ok || err == nil {
		return err
	}
	if len(r.Extra) > 0 {
		return domain.RefuseWith(r.Kind, r.Code, r.Message, r.Extra)
	}
	return domain.Refuse(r.Kind, r.Code, r.Message)
}

// submitted records that a did what the project's tasks decide on (the submission, a
// resubmission, a delivery request): a may not act on them (separation of duties).
func (l *lifecycle) submitted(a domain.Actor) {
	if a.ID != "" && !slices.Contains(l.st.Submitters, a.ID) {
		l.st.Submitters = append(l.st.Submitters, a.ID)
	}
}

// facts is open task t as authz.ActOnTask takes it; with sod, who submitted or recorded what
// it decides on.
func (l *lifecycle) facts(t OpenTask, sod bool) authz.TaskFacts {
	f := authz.TaskFacts{Kind: t.Kind, CandidateRole: t.CandidateRole, CandidateOrgID: t.CandidateOrgID, AssigneeID: t.AssigneeID,
		ProjectUnitID: l.in.UnitID, Open: true}
	if sod {
		f.SubmittedBy = append(slices.Clone(l.st.Submitters), l.in.SubmittedBy.ID)
	}
	return f
}

// validateDecide checks a decision against the state; sod adds the separation of duties
// (the validator always checks it; the handler from version separation-of-duties on).
func (l *lifecycle) validateDecide(u DecideUpdate, sod bool) error {
	t, ok := l.findTask(u.TaskID)
	if !ok {
		return errStale()
	}
	if l.deciding[u.TaskID] {
		return errDuplicate()
	}
	if err := authz.ActOnTask(u.Actor, l.facts(t, sod)); err != nil {
		return refusal(err)
	}
	return validateDecision(t.Kind, u, l.st.PlanAmountFen, l.in.EstimatedFen, l.missing)
}

// validateDecision checks a decision's payload for its task kind; missing tells a missing
// required text (lifecycle.missing).
func validateDecision(kind domain.TaskKind, u DecideUpdate, planFen, estimatedFen int64, missing func(string) bool) error {
	bad := func(msg string) error { return domain.Refuse(domain.StatusBadRequest, "invalid_decision", msg) }
	switch kind {
	case domain.TaskPrelimReview:
		switch u.Decision {
		case domain.DecisionApprove, domain.DecisionReject:
		case domain.DecisionReturn:
			if missing(u.Comment) {
				return bad("退回修改须填写修改意见")
			}
		default:
			return bad("初审决定须为 approve、return 或 reject")
		}
	case domain.TaskExpertReview:
		if u.Decision != domain.DecisionPass && u.Decision != domain.DecisionFail {
			return bad("专家评审决定须为 pass 或 fail")
		}
		if u.Score == nil || *u.Score < 0 || *u.Score > 100 {
			return bad("专家评审须给出 0–100 的评分")
		}
		if missing(u.Comment) {
			return bad("专家评审须填写评审意见")
		}
	case domain.TaskProjectApproval, domain.TaskSpecialRequestApproval:
		switch u.Decision {
		case domain.DecisionApprove:
			limit := ApprovalCap(kind, planFen, estimatedFen)
			if u.ApprovedAmountFen < 0 || u.ApprovedAmountFen > limit {
				// R7: the approved amount may be lower than requested, never higher.
				return domain.Refuse(domain.StatusUnprocessable, "amount_over_limit",
					"批复金额不能超过 "+domain.Yuan(limit)+" 元")
			}
		case domain.DecisionReject:
		default:
			return bad("审批决定须为 approve 或 reject")
		}
	case domain.TaskAcceptanceCheck:
		if u.Decision != domain.DecisionApprove && u.Decision != domain.DecisionReturn {
			return bad("验收材料审查决定须为 approve 或 return")
		}
		if u.Decision == domain.DecisionReturn && missing(u.Comment) {
			return bad("退回须列明整改清单")
		}
	case domain.TaskAcceptanceSignoff, domain.TaskAcceptanceWitness:
		if u.Decision != domain.DecisionPass && u.Decision != domain.DecisionFail {
			return bad("验收签署/见证决定须为 pass 或 fail")
		}
		if u.Decision == domain.DecisionFail && missing(u.Comment) {
			return bad("验收不通过须列明整改清单")
		}
	case domain.TaskEvaluation:
		if u.Decision != domain.DecisionApprove {
			return bad("绩效评估决定须为 approve")
		}
		if u.Score == nil || *u.Score < 0 || *u.Score > 100 {
			return bad("绩效评估须给出 0–100 的评分")
		}
		if !domain.Contains([]string{"excellent", "good", "fair", "poor"}, u.Grade) {
			return bad("绩效等级须为 excellent、good、fair 或 poor")
		}
		if missing(u.Comment) {
			return bad("绩效评估须填写评估意见")
		}
	default:
		return bad("该任务类型不能在此流程中决定")
	}
	return nil
}

func (l *lifecycle) validateResubmit(u ResubmitUpdate) error {
	if l.st.Stage != domain.StageRevision {
		return domain.Refuse(domain.StatusConflict, "wrong_stage", "只有退回修改的项目可以重新提交")
	}
	if !u.Actor.Has(domain.RoleSubmitter) || u.Actor.OrgID != l.in.UnitID {
		return domain.Refuse(domain.StatusForbidden, "forbidden", "只有本单位申报人可以重新提交")
	}
	return nil
}

// handle applies one message to the state (the only place state changes).
func (l *lifecycle) handle(ctx workflow.Context, m *message) (DecideResult, error) {
	if l.hold(ctx, m) {
		return DecideResult{}, nil
	}
	switch {
	case m.decide != nil:
		// Re-check: another message may have changed the state since the validator ran.
		if err := l.validateDecideQueued(*m.decide); err != nil {
			return DecideResult{}, err
		}
		return l.decide(ctx, *m.decide)
	case m.resub != nil:
		if err := l.validateResubmit(*m.resub); err != nil {
			return DecideResult{}, err
		}
		return l.resubmit(ctx, *m.resub)
	case m.reassign != nil:
		if err := l.validateReassign(*m.reassign); err != nil {
			return DecideResult{}, err
		}
		return l.reassignTask(ctx, *m.reassign)
	case m.panel != nil:
		return DecideResult{}, l.onPanel(ctx, *m.panel)
	case m.plan != nil:
		return DecideResult{}, l.onPlanResult(ctx, *m.plan)
	case m.bundle != nil:
		return DecideResult{}, l.onBundleResult(ctx, *m.bundle)
	case m.name == SignalDocuments:
		return DecideResult{}, l.advance(ctx)
	case m.contract != nil || m.construction != nil || m.accept != nil || m.omReport != nil || m.timer != "":
		return l.handleDelivery(ctx, m)
	}
	return DecideResult{}, nil
}

// sentFor is the stage the AnnualPlan sent a signal for ("" for other messages): it sends each
// after reading that stage from the read model (plan-stages-from-read-model).
func sentFor(m *message) domain.Stage {
	switch {
	case m.panel != nil:
		return domain.StageExpertReview
	case m.plan != nil:
		return domain.StageAwaitingPlan
	case m.bundle != nil:
		return domain.StageAwaitingApproval
	}
	return ""
}

// beforeApproval orders the stages a project passes through up to its approval (R3–R6).
var beforeApproval = []domain.Stage{domain.StageSpecialRequest, domain.StageRevision, domain.StagePrelimReview,
	domain.StageExpertReview, domain.StageAwaitingPlan, domain.StageAwaitingApproval}

// before reports whether a project in stage s has yet to reach stage want on its way to approval.
func before(s, want domain.Stage) bool {
	i, j := slices.Index(beforeApproval, s), slices.Index(beforeApproval, want)
	return i >= 0 && i < j
}

// hold keeps a plan signal that arrived in a stage before the one it was sent for until
// the stage next changes (hold-early-plan-signals). The lifecycle writes its stage to the read
// model in a local activity, before its workflow task completes; when that completion is lost
// (worker killed), the read model is ahead of the history until the retried task lands, and a
// signal the plan sends meanwhile arrives in the stage before. Ignored, it was lost: the plan
// had answered 2xx and counted the project compiled, and the project stayed in awaiting_plan
// for ever (found by the fault test, issue 7). Held, it is handled at the next stage change if
// that is the stage it was sent for, and dropped (logged) otherwise.
func (l *lifecycle) hold(ctx workflow.Context, m *message) bool {
	want := sentFor(m)
	if want == "" || !before(l.st.Stage, want) {
		return false // not a plan signal, or sent for this stage, or stale (handled and refused)
	}
	if version(ctx, "hold-early-plan-signals", 1) == workflow.DefaultVersion {
		return false
	}
	l.st.Held = append(l.st.Held, HeldSignal{ArrivedIn: l.st.Stage, Panel: m.panel, Plan: m.plan, Bundle: m.bundle})
	workflow.GetLogger(ctx).Info("plan signal held until the stage changes", "signal", m.name, "stage", l.st.Stage, "sent_for", want)
	return true
}

// release hands the held signals back to the main loop, first in line and in arrival order,
// once the stage has changed since they arrived; a signal not sent for the new stage is stale.
func (l *lifecycle) release(ctx workflow.Context) {
	if len(l.st.Held) == 0 {
		return
	}
	var keep []HeldSignal
	var back []*message
	for _, h := range l.st.Held {
		if h.ArrivedIn == l.st.Stage && !l.st.Stage.Terminal() {
			keep = append(keep, h)
			continue
		}
		m := h.message()
		if want := sentFor(m); want != l.st.Stage {
			workflow.GetLogger(ctx).Warn("held plan signal dropped: the stage moved elsewhere", "signal", m.name,
				"arrived_in", h.ArrivedIn, "stage", l.st.Stage, "sent_for", want)
			continue
		}
		back = append(back, m)
	}
	l.st.Held = keep
	l.inbox = append(back, l.inbox...)
}

// message is the inbox message of a held signal.
func (h HeldSignal) message() *message {
	m := &message{name: SignalPanel, panel: h.Panel, plan: h.Plan, bundle: h.Bundle}
	switch {
	case h.Plan != nil:
		m.name = SignalPlanResult
	case h.Bundle != nil:
		m.name = SignalBundleResult
	}
	return m
}

func (l *lifecycle) validateDecideQueued(u DecideUpdate) error {
	t, ok := l.findTask(u.TaskID)
	if !ok {
		return errStale()
	}
	if err := authz.ActOnTask(u.Actor, l.facts(t, l.sod)); err != nil {
		return refusal(err)
	}
	return validateDecision(t.Kind, u, l.st.PlanAmountFen, l.in.EstimatedFen, l.missing)
}

func (l *lifecycle) decide(ctx workflow.Context, u DecideUpdate) (DecideResult, error) {
	t, _ := l.findTask(u.TaskID)
	closeT := domain.TaskClose{TaskID: t.ID, Decision: u.Decision, ActorID: u.Actor.ID, Comment: u.Comment}
	auditD := map[string]any{"task_id": t.ID, "kind": string(t.Kind), "decision": u.Decision, "comment": u.Comment}
	tr := transition{close: []domain.TaskClose{closeT}}
	switch t.Kind {
	case domain.TaskPrelimReview: // R3
		switch u.Decision {
		case domain.DecisionApprove:
			tr.stage = domain.StageExpertReview
		case domain.DecisionReturn:
			tr.stage = domain.StageRevision
			tr.notify = []domain.Notice{{Kind: "returned", Title: "项目被退回修改：" + l.in.Name, Body: u.Comment,
				Role: domain.RoleSubmitter, OrgID: l.in.UnitID}}
		case domain.DecisionReject:
			tr.stage = domain.StageRejected
		}
	case domain.TaskExpertReview: // R4
		score := *u.Score
		closeT.Details = map[string]any{"score": score}
		tr.close[0] = closeT
		auditD["score"] = score
		l.st.Reviews = append(l.st.Reviews, Review{ExpertID: u.Actor.ID, Pass: u.Decision == domain.DecisionPass, Score: score, Opinion: u.Comment})
		if len(l.st.Reviews) == len(l.st.Panel) {
			passed, total := tally(l.st.Reviews)
			auditD["panel_pass"], auditD["panel_size"], auditD["mean_score"] = passed, len(l.st.Reviews), total/len(l.st.Reviews)
			if l.in.Policy.PanelPasses(passed, len(l.st.Reviews)) { // R4: (strict) majority of the effective panel, by policy
				tr.stage = domain.StageAwaitingPlan
			} else {
				tr.stage = domain.StageRejected
				auditD["reason"] = "expert_review_failed"
			}
		}
	case domain.TaskSpecialRequestApproval: // R8
		if u.Decision == domain.DecisionApprove {
			amount := u.ApprovedAmountFen
			if amount == 0 {
				amount = l.in.EstimatedFen
			}
			l.st.PlanAmountFen = amount
			tr.stage = domain.StageAwaitingApproval
			tr.amount = amount
			tr.planItems = []domain.PlanItem{{PlanYear: l.in.PlanYear, ProjectID: l.in.ProjectID, Included: true,
				ApprovedAmountFen: amount, Supplementary: true, DecidedBy: u.Actor.ID}}
			auditD["supplementary_amount_fen"] = amount
		} else {
			tr.stage = domain.StageRejected
		}
	case domain.TaskProjectApproval: // R6 (large), R7
		if u.Decision == domain.DecisionApprove {
			amount := u.ApprovedAmountFen
			if amount == 0 {
				amount = l.st.PlanAmountFen
			}
			auditD["approved_amount_fen"] = amount
			tr.stage, tr.amount = domain.StageApproved, amount
			l.st.ApprovedFen = amount
		} else {
			tr.stage = domain.StageRejected
		}
	case domain.TaskAcceptanceCheck, domain.TaskAcceptanceSignoff, domain.TaskAcceptanceWitness, domain.TaskEvaluation: // R12, R14
		if u.Score != nil {
			auditD["score"], auditD["grade"] = *u.Score, u.Grade
		}
		l.decideAcceptance(ctx, t, u, &tr)
	}
	tr.audit = []domain.AuditItem{{ActorID: u.Actor.ID, OrgID: u.Actor.OrgID, Action: "task.decide", Outcome: u.Decision,
		RequestID: u.RequestID, Detail: auditD}}
	wasOM := l.st.Stage == domain.StageOM
	if err := l.apply(ctx, tr); err != nil {
		return DecideResult{}, err
	}
	if !wasOM && l.st.Stage == domain.StageOM {
		l.armTimers(ctx)
	}
	if err := l.advance(ctx); err != nil {
		return DecideResult{}, err
	}
	return DecideResult{TaskID: t.ID, Decision: u.Decision, Stage: l.st.Stage}, nil
}

func tally(rs []Review) (passed, total int) {
	for _, r := range rs {
		if r.Pass {
			passed++
		}
		total += r.Score
	}
	return passed, total
}

func (l *lifecycle) resubmit(ctx workflow.Context, u ResubmitUpdate) (DecideResult, error) {
	l.st.Round++
	l.submitted(u.Actor)
	err := l.apply(ctx, transition{
		stage: domain.StagePrelimReview,
		round: l.st.Round,
		open:  []OpenTask{l.prelimTask()},
		audit: l.auditBy(u.Actor, "project.resubmit", map[string]any{"round": l.st.Round}),
	})
	if err != nil {
		return DecideResult{}, err
	}
	return DecideResult{Decision: "resubmit", Stage: l.st.Stage}, nil
}

// onPanel opens one review task per expert of the effective panel (R4).
func (l *lifecycle) onPanel(ctx workflow.Context, s PanelSignal) error {
	if l.st.Stage != domain.StageExpertReview || len(l.st.Panel) > 0 {
		return fmt.Errorf("panel %s ignored in stage %s", s.SessionID, l.st.Stage)
	}
	var open []OpenTask
	var panel []ExpertRef
	for _, e := range s.Experts {
		if e.OrgID == l.in.UnitID {
			continue // R4 recusal, also enforced by AnnualPlan
		}
		panel = append(panel, e)
		open = append(open, OpenTask{ID: l.taskID(domain.TaskExpertReview, e.ID), Kind: domain.TaskExpertReview,
			CandidateRole: domain.RoleExpert, AssigneeID: e.ID})
	}
	l.st.Panel = panel
	l.st.Reviews = nil
	return l.apply(ctx, transition{open: open,
		audit: l.auditBy(domain.Actor{ID: "system"}, "expert_review.panel", map[string]any{"session_id": s.SessionID, "experts": len(panel)})})
}

// onPlanResult applies R5: included projects await approval (R6), the others close.
func (l *lifecycle) onPlanResult(ctx workflow.Context, s PlanResultSignal) error {
	if l.st.Stage != domain.StageAwaitingPlan {
		return fmt.Errorf("plan result ignored in stage %s", l.st.Stage)
	}
	if !s.Included {
		return l.apply(ctx, transition{stage: domain.StageNotIncluded,
			audit: l.auditBy(s.Actor, "plan.exclude", map[string]any{"reason": s.Reason})})
	}
	l.st.PlanAmountFen = s.ApprovedAmountFen
	if err := l.apply(ctx, transition{stage: domain.StageAwaitingApproval, amount: s.ApprovedAmountFen,
		audit: l.auditBy(s.Actor, "plan.include", map[string]any{"plan_amount_fen": s.ApprovedAmountFen})}); err != nil {
		return err
	}
	return l.advance(ctx)
}

// onBundleResult applies the bundle decision to this project (R6).
func (l *lifecycle) onBundleResult(ctx workflow.Context, s BundleResultSignal) error {
	if l.st.Stage != domain.StageAwaitingApproval || !l.in.Policy.Small(l.in.EstimatedFen) {
		return fmt.Errorf("bundle result ignored in stage %s", l.st.Stage)
	}
	l.st.BundleID = s.BundleID
	d := map[string]any{"bundle_id": s.BundleID, "task_id": s.TaskID, "comment": s.Comment}
	if s.Approved {
		l.st.ApprovedFen = l.st.PlanAmountFen
		d["approved_amount_fen"] = l.st.ApprovedFen
		if err := l.apply(ctx, transition{stage: domain.StageApproved, amount: l.st.ApprovedFen,
			audit: l.auditBy(s.Actor, "bundle.approve", d)}); err != nil {
			return err
		}
		return l.advance(ctx)
	}
	action := "bundle.reject"
	if s.Excluded {
		action = "bundle.exclude"
	}
	return l.apply(ctx, transition{stage: domain.StageRejected, audit: l.auditBy(s.Actor, action, d)})
}

// advance takes the steps that need no person: report to the plan, open the approval task of a
// large project once its documents are in (R6, R17), open the City Government's task of a
// special request waiting for its 密码应用方案 (R8, R17), move an approved project to
// procurement.
func (l *lifecycle) advance(ctx workflow.Context) error {
	switch l.st.Stage {
	case domain.StageSpecialRequest:
		// Only a special request opened without its task waits (crypto-plan-every-route); in
		// runs started before, the task is open from submission on.
		if l.hasOpen(domain.TaskSpecialRequestApproval) || !l.needsCryptoPlan() {
			return nil
		}
		missing, err := l.missingDocs(ctx, []string{"crypto_plan"})
		if err != nil || len(missing) > 0 {
			return err // SignalDocuments wakes us when the unit uploads it
		}
		return l.apply(ctx, transition{open: []OpenTask{l.specialTask()},
			audit: l.auditBy(domain.Actor{ID: "system"}, "approval.request", map[string]any{"documents": []string{"crypto_plan"}})})
	case domain.StageAwaitingApproval:
		// Routing (R6) follows the estimated total investment; a cut plan amount does not move a
		// project between routes.
		if l.in.Policy.Small(l.in.EstimatedFen) || l.hasOpen(domain.TaskProjectApproval) {
			return nil
		}
		kinds := l.in.Policy.ApprovalDocuments(domain.RouteProject, l.in.UsesCrypto) // R6, R17
		missing, err := l.missingDocs(ctx, kinds)
		if err != nil || len(missing) > 0 {
			return err // SignalDocuments wakes us when the unit uploads them
		}
		return l.apply(ctx, transition{open: []OpenTask{{ID: l.taskID(domain.TaskProjectApproval, ""),
			Kind: domain.TaskProjectApproval, CandidateRole: l.in.Policy.ProjectApproverRole, CandidateOrgID: l.in.Policy.ProjectApproverOrg}},
			audit: l.auditBy(domain.Actor{ID: "system"}, "approval.request", map[string]any{"documents": kinds})})
	case domain.StageApproved:
		return l.apply(ctx, transition{stage: domain.StageProcurement,
			notify: []domain.Notice{{Kind: "approved", Title: "项目已批复：" + l.in.Name, Role: domain.RoleSubmitter, OrgID: l.in.UnitID}},
			audit:  l.auditBy(domain.Actor{ID: "system"}, "project.procurement", nil)})
	}
	return nil
}

func (l *lifecycle) hasOpen(kind domain.TaskKind) bool {
	for _, t := range l.st.OpenTasks {
		if t.Kind == kind {
			return true
		}
	}
	return false
}

// transition is a state change before it is written.
type transition struct {
	stage          domain.Stage
	amount         int64
	round          int
	open           []OpenTask
	close          []domain.TaskClose
	audit          []domain.AuditItem
	notify         []domain.Notice
	planItems      []domain.PlanItem
	contract       *domain.Contract
	trialRunEndsAt *time.Time
	omFiling       *domain.OMFiling
	evaluation     *domain.Evaluation
	assign         []domain.TaskAssign
}

func (l *lifecycle) auditBy(actor domain.Actor, action string, detail map[string]any, requestID ...string) []domain.AuditItem {
	item := domain.AuditItem{ActorID: actor.ID, OrgID: actor.OrgID, Action: action, Outcome: "ok", Detail: detail}
	if len(requestID) > 0 {
		item.RequestID = requestID[0]
	}
	return []domain.AuditItem{item}
}

func localCtx(ctx workflow.Context) workflow.Context {
	// A database outage must stall the lifecycle, never fail it: retry for up to three days
	// (ops sees the failing task in O1 meanwhile). The SDK moves long backoffs to timers.
	return workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{
		StartToCloseTimeout:    15 * time.Second,
		ScheduleToCloseTimeout: 72 * time.Hour,
		// At most every 5 minutes: three days of retries stay a few thousand history events.
		RetryPolicy: &temporal.RetryPolicy{InitialInterval: 200 * time.Millisecond, MaximumInterval: 5 * time.Minute},
	})
}

// apply writes tr through the Apply local activity, then changes the in-memory state and tells
// the plan about a new stage.
func (l *lifecycle) apply(ctx workflow.Context, tr transition) error {
	var id string
	if l.cur != nil && l.cur.updateID != "" && version(ctx, "transition-id-by-update", 1) == 1 {
		// The id keys the transition's audit rows and notifications (written once per id), so
		// it must name the same change in every attempt of a workflow task. The counter does
		// not for Updates: when a task's completion is lost (worker or server killed after
		// Apply ran), the next attempt may take its Updates in another order, and a counter
		// value already written would drop another change's audit row and write this one's
		// twice (R18; found by the fault test for AnnualPlan, issue 7). Signals and timers are
		// history events, replayed in the same order, so they keep the counter — which Update
		// transitions no longer advance.
		l.cur.applies++
		id = fmt.Sprintf("%s/%s/u/%s/%d", l.id, l.runID, l.cur.updateID, l.cur.applies)
	} else {
		l.st.Seq++
		id = fmt.Sprintf("%s/%s/%d", l.id, l.runID, l.st.Seq)
	}
	t := domain.Transition{
		ID:                id,
		WorkflowID:        l.id,
		ProjectID:         l.in.ProjectID,
		Stage:             tr.stage,
		ApprovedAmountFen: tr.amount,
		Round:             tr.round,
		Close:             tr.close,
		Audit:             tr.audit,
		Notify:            tr.notify,
		PlanItems:         tr.planItems,
		Contract:          tr.contract,
		TrialRunEndsAt:    tr.trialRunEndsAt,
		OMFiling:          tr.omFiling,
		Evaluation:        tr.evaluation,
		Assign:            tr.assign,
	}
	for _, o := range tr.open {
		t.Open = append(t.Open, domain.NewTask{ID: o.ID, Kind: o.Kind, ProjectID: l.in.ProjectID, CandidateRole: o.CandidateRole,
			CandidateOrgID: o.CandidateOrgID, AssigneeID: o.AssigneeID, DueWorkdays: l.in.Policy.ReviewDueWorkdays})
	}
	newStage := tr.stage != "" && tr.stage != l.st.Stage
	if newStage {
		// Tell the plan before the read model shows the new stage, so that a client who sees
		// the stage and then acts on the plan finds the plan already told.
		prev := l.st.Stage
		l.st.Stage = tr.stage
		if version(ctx, "plan-report-local", 1) == 1 {
			if !l.st.PlanReadsStages {
				l.tellPlan(ctx, len(tr.planItems) > 0)
			}
		} else {
			l.reportToPlan(ctx, len(tr.planItems) > 0)
		}
		l.st.Stage = prev
	}
	var res domain.TransitionResult
	if err := workflow.ExecuteLocalActivity(localCtx(ctx), wire.Apply, t).Get(ctx, &res); err != nil {
		return err
	}
	for _, c := range tr.close {
		l.removeTask(c.TaskID)
		l.cancelTaskTimers(ctx, c.TaskID)
	}
	if len(tr.open) > 0 && version(ctx, "task-sla-timers", 1) == 1 {
		// T2: remind the working day before a task is due, escalate when it is overdue.
		for i := range tr.open {
			tr.open[i].DueAt, tr.open[i].RemindAt = res.Due[tr.open[i].ID], res.Remind[tr.open[i].ID]
			l.armTaskTimers(ctx, tr.open[i])
		}
	}
	l.st.OpenTasks = append(l.st.OpenTasks, tr.open...)
	if len(tr.notify) > 0 && version(ctx, "send-notifications", 1) == 1 {
		sendNotifications(ctx, t.ID, &l.sending)
	}
	if newStage {
		l.st.Stage = tr.stage
		if tr.stage.Terminal() {
			l.st.OpenTasks = nil
		}
	}
	return nil
}

func (l *lifecycle) removeTask(id string) {
	out := l.st.OpenTasks[:0]
	for _, t := range l.st.OpenTasks {
		if t.ID != id {
			out = append(out, t)
		}
	}
	l.st.OpenTasks = out
}

// statusSignal is the project's report of its current stage to its plan.
func (l *lifecycle) statusSignal(supplementary bool) ProjectStatusSignal {
	return ProjectStatusSignal{ProjectID: l.in.ProjectID, UnitID: l.in.UnitID, Name: l.in.Name, EstimatedFen: l.in.EstimatedFen,
		Stage: l.st.Stage, PlanAmountFen: l.st.PlanAmountFen, Supplementary: supplementary}
}

// tellPlan tells AnnualPlan the project's new stage through the TellPlan local activity (one
// SignalWorkflow RPC) before Apply writes it: the plan validates its own decisions against
// what it has heard, and hears a stage before any client can see it. A plan that cannot be
// told within a minute is logged, never blocks the decision (as with reportToPlan). A plan
// that reads stages from the read model (plan-stages-from-read-model) is not signalled: the
// activity returns at once (activities.Activities.TellPlan).
func (l *lifecycle) tellPlan(ctx workflow.Context, supplementary bool) {
	lctx := workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{
		StartToCloseTimeout:    10 * time.Second,
		ScheduleToCloseTimeout: time.Minute,
		RetryPolicy:            &temporal.RetryPolicy{InitialInterval: 200 * time.Millisecond, MaximumInterval: 5 * time.Second},
	})
	// From plan-report-once the answer is read: once the plan year is known to read stages
	// from the read model, the lifecycle stops asking (one local activity, a marker event in
	// history and its round of the workflow task, saved on every later stage change).
	once := version(ctx, "plan-report-once", 1) == 1
	var res wire.PlanReportResult
	var out any
	if once {
		out = &res
	}
	err := workflow.ExecuteLocalActivity(lctx, wire.TellPlan, wire.PlanReport{WorkflowID: PlanWorkflowID(l.in.PlanYear), PlanYear: l.in.PlanYear,
		Signal: SignalProjectStatus, Status: l.statusSignal(supplementary)}).Get(ctx, out)
	if err != nil {
		workflow.GetLogger(ctx).Warn("plan not told of stage", "plan_year", l.in.PlanYear, "error", err)
		return
	}
	l.st.PlanReadsStages = once && res.PlanReadsStages
}

// reportToPlan is tellPlan before version plan-report-local: a SignalExternalWorkflow command
// whose delivery the decision waited for (kept for the histories recorded before it).
func (l *lifecycle) reportToPlan(ctx workflow.Context, supplementary bool) {
	s := l.statusSignal(supplementary)
	f := workflow.SignalExternalWorkflow(ctx, PlanWorkflowID(l.in.PlanYear), "", SignalProjectStatus, s)
	if err := f.Get(ctx, nil); err != nil {
		workflow.GetLogger(ctx).Warn("plan not told of stage", "plan_year", l.in.PlanYear, "error", err)
	}
}

// sendNotifications delivers a transition's notifications through a regular activity, in the
// background: the reply never waits for mail. pending counts sends in flight, so a run does not
// close (complete or continue as new) before they finish. A send that gives up after a day is
// recorded for ops (record-activity-failures; the rows stay unsent in the read model).
func sendNotifications(ctx workflow.Context, transitionID string, pending *int) {
	*pending++
	actx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: time.Minute,
		// Give up after a day: pending counts this send, and a send retried for ever would
		// hold the run open for ever (no yearly continue-as-new). Activity options are not
		// part of replay.
		ScheduleToCloseTimeout: 24 * time.Hour,
		RetryPolicy:            &temporal.RetryPolicy{InitialInterval: time.Second, MaximumInterval: 10 * time.Minute},
	})
	workflow.Go(ctx, func(ctx workflow.Context) {
		defer func() { *pending-- }()
		if err := workflow.ExecuteActivity(actx, wire.SendNotifications, transitionID).Get(ctx, nil); err != nil {
			workflow.GetLogger(ctx).Error("notifications not sent", "transition", transitionID, "error", err)
			if !temporal.IsCanceledError(err) && version(ctx, "record-activity-failures", 1) == 1 {
				recordGaveUp(ctx, "", wire.SendNotifications, wire.SendNotifications+"/"+transitionID, err, pending)
			}
		}
	})
}

// maxFailureText bounds the error text an activity failure records.
const maxFailureText = 2000

// recordGaveUp records, through the Apply local activity, that regular activity typ of this
// run gave up for good (record-activity-failures): a row the O1 stuck list shows until ops
// resolves it, an audit row (R18) and a notification to the ops role, which SendNotifications
// delivers unless the failed activity is that send itself. key names the failure within the
// run, so the write is idempotent. pending counts it while in flight, so the run does not close
// before it is recorded.
func recordGaveUp(ctx workflow.Context, projectID, typ, key string, cause error, pending *int) {
	*pending++
	defer func() { *pending-- }()
	info := workflow.GetInfo(ctx)
	wfID, runID := info.WorkflowExecution.ID, info.WorkflowExecution.RunID
	msg := cause.Error()
	if len(msg) > maxFailureText {
		msg = strings.ToValidUTF8(msg[:maxFailureText], "")
	}
	t := domain.Transition{
		ID: fmt.Sprintf("%s/%s/gave-up/%s", wfID, runID, key), WorkflowID: wfID, ProjectID: projectID,
		ActivityFailure: &domain.ActivityFailure{RunID: runID, ActivityType: typ, Error: msg},
		Audit: []domain.AuditItem{{ActorID: "system", Action: "activity.gave_up", ObjectType: "workflow", ObjectID: wfID,
			Outcome: "failed", Detail: map[string]any{"activity_type": typ, "run_id": runID, "error": msg}}},
		Notify: []domain.Notice{{Kind: "activity_failed", Role: domain.RoleOps, Body: msg,
			Title: fmt.Sprintf("流程 %s 的活动 %s 重试已用尽，需要运维处理", wfID, typ)}},
	}
	if err := workflow.ExecuteLocalActivity(localCtx(ctx), wire.Apply, t).Get(ctx, nil); err != nil {
		workflow.GetLogger(ctx).Error("activity failure not recorded", "activity_type", typ, "error", err)
		return
	}
	if typ != wire.SendNotifications {
		sendNotifications(ctx, t.ID, pending)
	}
}
