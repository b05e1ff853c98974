package workflows

import (
	"errors"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"egovpm/activities/wire"
	"egovpm/internal/domain"
	"egovpm/internal/text"
)

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
	// itself (collect), so none holds a coroutine (and its stack) of its own in the worker's
	// cache. A run without it gives each signal channel and each timer a coroutine.
	lean    bool
	signals []signalSource
	timers  []pendingTimer
	// blankTexts (blank-texts): a required comment that is only white space or invisible
	// characters is missing (text.Blank). Runs started before it refuse only an empty one.
	blankTexts bool
	// withdrawable (withdraw): the unit may withdraw the project before the first decision.
	// Runs started before refuse the Update in its validator.
	withdrawable bool
	// changeable (change-request): the unit may file a change request after approval (项目变更).
	// Runs started before refuse the Update in its validator.
	changeable bool
	// terminable (terminate): DRB may terminate the project, and it may be retired from O&M.
	// Runs started before refuse the Update in its validator.
	terminable bool
	// termRequestable (termination-request): the unit may ask DRB to terminate the project
	// (终止申请). Runs started before refuse the Update in its validator.
	termRequestable bool
	// extensible (deadline-extension): the unit may ask DRB to extend its O&M filing deadline
	// (延期申请). Runs started before refuse the Update in its validator.
	extensible bool
	// deputizable (task-deputy): an absent assignee's standing deputy may take a task over
	// (代理). Runs started before refuse it in the validator.
	deputizable bool
	// decisionWithdrawable (decision-withdraw): a reviewer may withdraw his own decision while
	// its next step has not started (撤回决定). Runs started before refuse it in the validator.
	decisionWithdrawable bool
	// changeCapped (change-below-contract-at-decision): an amount change is refused at its
	// approval too when the contract registered since its request is above its new amount
	// (R7, R9, R15). Runs started before approve it.
	changeCapped bool
	// panelDrop (withdrawn-panel-dropped): a panel convened on a prelim approval withdrawn
	// before the panel arrived is dropped, not held until the project is back in expert review
	// (R4). Runs started before hold it.
	panelDrop bool
}

// missing reports whether a required text s is missing: blank (text.Blank), or empty in runs
// started before blank-texts.
func (l *lifecycle) missing(s string) bool {
	if l.blankTexts {
		return text.Blank(s)
	}
	return s == ""
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
	l.withdrawable = version(ctx, "withdraw", 1) == 1
	l.changeable = version(ctx, "change-request", 1) == 1
	l.terminable = version(ctx, "terminate", 1) == 1
	l.termRequestable = version(ctx, "termination-request", 1) == 1
	l.extensible = version(ctx, "deadline-extension", 1) == 1
	l.deputizable = version(ctx, "task-deputy", 1) == 1
	l.decisionWithdrawable = version(ctx, "decision-withdraw", 1) == 1
	l.changeCapped = version(ctx, "change-below-contract-at-decision", 1) == 1
	l.panelDrop = version(ctx, "withdrawn-panel-dropped", 1) == 1
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
	decide := func(_ workflow.Context, u DecideUpdate) error { return l.validateDecide(u, true) }
	decideQueued := func(_ workflow.Context, u DecideUpdate) error { return l.validateDecide(u, l.sod) }
	reassign := func(_ workflow.Context, u ReassignUpdate) error { return l.validateReassign(u) }
	resubmit := func(_ workflow.Context, u ResubmitUpdate) error { return l.validateResubmit(u) }
	withdraw := func(_ workflow.Context, u WithdrawUpdate) error { return l.validateWithdraw(u) }
	change := func(_ workflow.Context, u ChangeUpdate) error { return l.validateChange(u) }
	terminate := func(_ workflow.Context, u TerminateUpdate) error { return l.validateTerminate(u) }
	termRequest := func(_ workflow.Context, u TerminationRequestUpdate) error { return l.validateTermRequest(u) }
	extension := func(_ workflow.Context, u ExtensionUpdate) error { return l.validateExtension(u) }
	undo := func(_ workflow.Context, u WithdrawDecisionUpdate) error { return l.validateWithdrawDecision(u) }
	if err := errors.Join(
		setUpdate(ctx, UpdateDecide, decide, decideQueued, l.enqueuer(msgDecide)),
		setUpdate(ctx, UpdateReassign, reassign, reassign, l.enqueuer(msgReassign)),
		setUpdate(ctx, UpdateResubmit, resubmit, resubmit, l.enqueuer(msgResubmit)),
		setUpdate(ctx, UpdateWithdraw, withdraw, withdraw, l.enqueuer(msgWithdraw)),
		setUpdate(ctx, UpdateChange, change, change, l.enqueuer(msgChange)),
		setUpdate(ctx, UpdateTerminate, terminate, terminate, l.enqueuer(msgTerminate)),
		setUpdate(ctx, UpdateTerminationRequest, termRequest, termRequest, l.enqueuer(msgTermRequest)),
		setUpdate(ctx, UpdateDeadlineExtension, extension, extension, l.enqueuer(msgExtension)),
		setUpdate(ctx, UpdateWithdrawDecision, undo, undo, l.enqueuer(msgWithdrawDecision)),
		l.setupDelivery(ctx),
	); err != nil {
		return err
	}
	receive[PanelSignal](l, ctx, SignalPanel, msgPanel)
	receive[PlanResultSignal](l, ctx, SignalPlanResult, msgPlanResult)
	receive[BundleResultSignal](l, ctx, SignalBundleResult, msgBundleResult)
	receive[YearEndCloseSignal](l, ctx, SignalYearEndClose, msgYearEndClose)
	receive[PlanAdjustedSignal](l, ctx, SignalPlanAdjusted, msgPlanAdjusted)
	l.drain(ctx, SignalDocuments, func(ctx workflow.Context, c workflow.ReceiveChannel) *message {
		c.Receive(ctx, nil)
		return &message{kind: msgDocuments}
	})
	return nil
}

// receive drains signal channel name into the inbox as messages of kind with an S payload.
func receive[S any](l *lifecycle, ctx workflow.Context, name string, kind msgKind) {
	l.drain(ctx, name, func(ctx workflow.Context, c workflow.ReceiveChannel) *message {
		var s S
		c.Receive(ctx, &s)
		return &message{kind: kind, payload: s}
	})
}

// drain moves each signal of channel name, read into a message by read, into the one ordered
// inbox: by the main loop (lean), or before lean-coroutines by a workflow coroutine of its own.
func (l *lifecycle) drain(ctx workflow.Context, name string, read func(workflow.Context, workflow.ReceiveChannel) *message) {
	ch := workflow.GetSignalChannel(ctx, name)
	if l.lean {
		l.signals = append(l.signals, signalSource{ch: ch, read: read})
		return
	}
	workflow.Go(ctx, func(gctx workflow.Context) {
		for {
			l.inbox = append(l.inbox, read(gctx, ch))
		}
	})
}

// enqueuer hands an Update's payload to the main loop as a message of kind (setUpdate).
func (l *lifecycle) enqueuer(kind msgKind) func(workflow.Context, any) (DecideResult, error) {
	return func(ctx workflow.Context, payload any) (DecideResult, error) {
		return l.enqueue(ctx, &message{kind: kind, payload: payload})
	}
}

// enqueue hands an Update to the main loop and waits for its outcome.
func (l *lifecycle) enqueue(ctx workflow.Context, m *message) (DecideResult, error) {
	if m.kind == msgDecide {
		l.deciding[m.payload.(DecideUpdate).TaskID] = true
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
		l.next(ctx, m)
	}
	return l.finish(ctx)
}

// next handles message m and answers it.
func (l *lifecycle) next(ctx workflow.Context, m *message) {
	l.cur = m
	last := l.st.LastDecision
	m.result, m.err = l.handle(ctx, m)
	l.afterMessage(m, last)
	l.cur = nil
	m.handled = true
	l.release(ctx)
	if m.kind == msgDecide {
		delete(l.deciding, m.payload.(DecideUpdate).TaskID)
	}
	if m.err != nil && m.kind.signal() {
		// A signal that could not be applied is logged; the sender is a workflow of ours.
		workflow.GetLogger(ctx).Warn("signal not applied", "signal", m.kind.String(), "error", m.err)
	}
}

// settle waits until every handler has finished and background sends are done. An Update
// accepted while it waits (its validator ran on the live state, which the next run carries on)
// is handled, not left waiting for a main loop that has ended: before finish-late-updates its
// handler and drain waited on each other for ever, and the request timed out (an O&M year
// closing while a filing arrived). Runs that met that wait before the change keep waiting.
func (l *lifecycle) settle(ctx workflow.Context) error {
	late := true
	for {
		if err := workflow.Await(ctx, func() bool {
			return (workflow.AllHandlersFinished(ctx) && l.sending == 0) || (late && len(l.inbox) > 0)
		}); err != nil {
			return err
		}
		if len(l.inbox) == 0 || !late {
			return nil
		}
		if version(ctx, "finish-late-updates", 1) == workflow.DefaultVersion {
			late = false
			continue
		}
		for len(l.inbox) > 0 {
			m := l.inbox[0]
			l.inbox = l.inbox[1:]
			if l.st.Stage.Terminal() && m.kind.update() {
				m.err, m.handled = errStale(), true
				continue
			}
			l.next(ctx, m)
		}
	}
}

// finish closes the run: Updates still queued when the stage became terminal are answered as
// stale, so that every handler finishes; in-flight handlers reply and notifications go out
// before the run completes or continues as new.
func (l *lifecycle) finish(ctx workflow.Context) (ProjectLifecycleResult, error) {
	for _, m := range l.inbox {
		if m.kind.update() {
			m.err = errStale() // every queued request gets an answer, none a silent success
		}
		m.handled = true
	}
	l.inbox = nil
	if err := l.settle(ctx); err != nil {
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

// handle applies one message to the state (the only place state changes).
func (l *lifecycle) handle(ctx workflow.Context, m *message) (DecideResult, error) {
	if l.panelWithdrawn(m) {
		return DecideResult{}, l.dropPanel(ctx, m.payload.(PanelSignal), "初审通过的决定已撤回，项目不参加该专家评审会")
	}
	if l.hold(ctx, m) {
		return DecideResult{}, nil
	}
	switch m.kind {
	case msgDecide:
		return l.decide(ctx, m.payload.(DecideUpdate))
	case msgResubmit:
		return l.resubmit(ctx, m.payload.(ResubmitUpdate))
	case msgReassign:
		return l.reassignTask(ctx, m.payload.(ReassignUpdate))
	case msgWithdraw:
		return l.withdraw(ctx, m.payload.(WithdrawUpdate))
	case msgChange:
		return l.requestChange(ctx, m.payload.(ChangeUpdate))
	case msgTerminate:
		return l.terminate(ctx, m.payload.(TerminateUpdate))
	case msgTermRequest:
		return l.requestTermination(ctx, m.payload.(TerminationRequestUpdate))
	case msgExtension:
		return l.requestExtension(ctx, m.payload.(ExtensionUpdate))
	case msgWithdrawDecision:
		return l.withdrawDecision(ctx, m.payload.(WithdrawDecisionUpdate))
	case msgPanel:
		return DecideResult{}, l.onPanel(ctx, m.payload.(PanelSignal))
	case msgPlanResult:
		return DecideResult{}, l.onPlanResult(ctx, m.payload.(PlanResultSignal))
	case msgBundleResult:
		return DecideResult{}, l.onBundleResult(ctx, m.payload.(BundleResultSignal))
	case msgDocuments:
		return DecideResult{}, l.advance(ctx)
	case msgYearEndClose:
		return DecideResult{}, l.onYearEndClose(ctx, m.payload.(YearEndCloseSignal))
	case msgPlanAdjusted:
		return DecideResult{}, l.onPlanAdjusted(ctx, m.payload.(PlanAdjustedSignal))
	case msgContract, msgConstruction, msgAcceptance, msgOMReport:
		return l.handleDelivery(ctx, m)
	}
	return DecideResult{}, l.onTimer(ctx, m)
}

// start opens the first decision point: the City Government for a special request (R8),
// preliminary review otherwise (R3).
func (l *lifecycle) start(ctx workflow.Context) error {
	l.st.Round = 1
	l.submitted(l.in.SubmittedBy)
	if l.in.Special {
		detail := map[string]any{"special_request": true, "policy": l.in.Policy.Version}
		if err := l.openSpecial(ctx, l.in.SubmittedBy, "project.submit", detail, 0); err != nil {
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

// openSpecial sends the project to the City Government as a special request (R8), audited as
// action by actor with detail.
// round is the round the read model records (0: the one it has).
func (l *lifecycle) openSpecial(ctx workflow.Context, actor domain.Actor, action string, detail map[string]any, round int,
	requestID ...string) error {
	open := []OpenTask{l.specialTask()}
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
	return l.apply(ctx, transition{
		stage: domain.StageSpecialRequest,
		round: round,
		open:  open,
		audit: l.auditBy(actor, action, detail, requestID...),
	})
}

// similarity computes the R16 candidates off the decision path: reviewers see them, nothing
// waits for them. An attempt that fails is retried; when all five fail, the failure is
// recorded for ops (record-activity-failures: O1 lists it, ops are notified), and the run
// stays open until it is (sending counts it). Runs started before that version only logged it.
// Since similarity-queue it runs on SimilarityQueue, where a burst waits in the queue, not in
// a started attempt (PERFORMANCE §11.1.3); runs started before use their own queue.
func (l *lifecycle) similarity(ctx workflow.Context) {
	record := version(ctx, "record-activity-failures", 1) == 1
	opts := workflow.ActivityOptions{
		StartToCloseTimeout: time.Minute,
		RetryPolicy:         &temporal.RetryPolicy{MaximumAttempts: 5},
	}
	if version(ctx, "similarity-queue", 1) == 1 {
		opts.TaskQueue = SimilarityQueue(workflow.GetInfo(ctx).TaskQueueName)
	}
	actx := workflow.WithActivityOptions(ctx, opts)
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
