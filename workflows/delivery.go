package workflows

import (
	"fmt"
	"time"

	"go.temporal.io/sdk/workflow"

	"egovpm/activities/wire"
	"egovpm/internal/calendar"
	"egovpm/internal/domain"
)

// Delivery message names (R9–R14).
const (
	// UpdateContract registers the contract with the data three lists (R9).
	UpdateContract = "contract"
	// UpdateConstructionComplete reports construction complete (R10).
	UpdateConstructionComplete = "construction_complete"
	// UpdateApplyAcceptance applies for final acceptance (R12).
	UpdateApplyAcceptance = "apply_acceptance"
	// UpdateOMReport files the annual O&M report (R13).
	UpdateOMReport = "om_report"
)

// ContractUpdate registers the contract (R9).
type ContractUpdate struct {
	Actor     domain.Actor    `json:"actor"`
	Contract  domain.Contract `json:"contract"`
	RequestID string          `json:"request_id,omitempty"`
	// RequestHash: see DecideUpdate.RequestHash.
	RequestHash string `json:"request_hash,omitempty"`
}

// ConstructionUpdate reports construction complete (R10). NeedsSupervision is set by the
// gateway when the project has a supervision sub-project (R1).
type ConstructionUpdate struct {
	Actor            domain.Actor `json:"actor"`
	NeedsSupervision bool         `json:"needs_supervision"`
	RequestID        string       `json:"request_id,omitempty"`
}

// AcceptanceUpdate applies for acceptance (R12).
type AcceptanceUpdate struct {
	Actor     domain.Actor `json:"actor"`
	RequestID string       `json:"request_id,omitempty"`
}

// OMReportUpdate files the O&M report of one year (R13).
type OMReportUpdate struct {
	Actor      domain.Actor `json:"actor"`
	Year       int          `json:"year"`
	DocumentID string       `json:"document_id"`
	RequestID  string       `json:"request_id,omitempty"`
	// RequestHash: see DecideUpdate.RequestHash.
	RequestHash string `json:"request_hash,omitempty"`
}

// Timer messages the lifecycle sends itself.
const (
	timerTaskReminder   = "task_reminder"
	timerTaskEscalation = "task_escalation"
	timerTrialRunOver   = "trial_run_over"
	timerFollowUp       = "acceptance_follow_up"
	timerOMDeadline     = "om_deadline"
	timerOMReminder     = "om_reminder"
)

func (l *lifecycle) setupDelivery(ctx workflow.Context) error {
	if err := workflow.SetUpdateHandlerWithOptions(ctx, UpdateContract,
		func(ctx workflow.Context, u ContractUpdate) (DecideResult, error) {
			m := &message{name: UpdateContract, contract: &u}
			if err := l.validateDelivery(ctx, m); err != nil {
				return DecideResult{}, err
			}
			res, err := l.enqueue(ctx, m)
			return answered(u.RequestHash, res, err, func(r *DecideResult) { r.RequestHash = u.RequestHash })
		},
		workflow.UpdateHandlerOptions{Validator: func(ctx workflow.Context, u ContractUpdate) error {
			return l.validateDelivery(ctx, &message{name: UpdateContract, contract: &u})
		}}); err != nil {
		return err
	}
	if err := workflow.SetUpdateHandlerWithOptions(ctx, UpdateConstructionComplete,
		func(ctx workflow.Context, u ConstructionUpdate) (DecideResult, error) {
			m := &message{name: UpdateConstructionComplete, construction: &u}
			if err := l.validateDelivery(ctx, m); err != nil {
				return DecideResult{}, err
			}
			return l.enqueue(ctx, m)
		},
		workflow.UpdateHandlerOptions{Validator: func(ctx workflow.Context, u ConstructionUpdate) error {
			return l.validateDelivery(ctx, &message{name: UpdateConstructionComplete, construction: &u})
		}}); err != nil {
		return err
	}
	if err := workflow.SetUpdateHandlerWithOptions(ctx, UpdateApplyAcceptance,
		func(ctx workflow.Context, u AcceptanceUpdate) (DecideResult, error) {
			m := &message{name: UpdateApplyAcceptance, accept: &u}
			if err := l.validateDelivery(ctx, m); err != nil {
				return DecideResult{}, err
			}
			return l.enqueue(ctx, m)
		},
		workflow.UpdateHandlerOptions{Validator: func(ctx workflow.Context, u AcceptanceUpdate) error {
			return l.validateDelivery(ctx, &message{name: UpdateApplyAcceptance, accept: &u})
		}}); err != nil {
		return err
	}
	return workflow.SetUpdateHandlerWithOptions(ctx, UpdateOMReport,
		func(ctx workflow.Context, u OMReportUpdate) (DecideResult, error) {
			m := &message{name: UpdateOMReport, omReport: &u}
			if err := l.validateDelivery(ctx, m); err != nil {
				return DecideResult{}, err
			}
			res, err := l.enqueue(ctx, m)
			return answered(u.RequestHash, res, err, func(r *DecideResult) { r.RequestHash = u.RequestHash })
		},
		workflow.UpdateHandlerOptions{Validator: func(ctx workflow.Context, u OMReportUpdate) error {
			return l.validateDelivery(ctx, &message{name: UpdateOMReport, omReport: &u})
		}})
}

func (l *lifecycle) ownUnit(a domain.Actor) error {
	if !a.Has(domain.RoleSubmitter) || a.OrgID != l.in.UnitID {
		return domain.Refuse(domain.StatusForbidden, "forbidden", "只有本单位申报人可以办理")
	}
	return nil
}

func (l *lifecycle) wrongStage(msg string) error {
	return domain.Refuse(domain.StatusConflict, "wrong_stage", fmt.Sprintf("项目当前阶段为 %s，%s", l.st.Stage, msg))
}

// validateDelivery checks a delivery request against the state (no I/O, no change).
func (l *lifecycle) validateDelivery(ctx workflow.Context, m *message) error {
	switch {
	case m.contract != nil:
		if err := l.ownUnit(m.contract.Actor); err != nil {
			return err
		}
		if l.st.Stage != domain.StageProcurement {
			return l.wrongStage("只有待采购的项目可以登记合同")
		}
		if m.contract.Contract.AmountFen > l.st.ApprovedFen {
			// R9, R7: the contract never exceeds the approved amount.
			return domain.RefuseWith(domain.StatusUnprocessable, "amount_over_approved",
				"合同金额超过批复金额 "+domain.Yuan(l.st.ApprovedFen)+" 元", map[string]any{"approved_amount_fen": l.st.ApprovedFen})
		}
	case m.construction != nil:
		if err := l.ownUnit(m.construction.Actor); err != nil {
			return err
		}
		if l.st.Stage != domain.StageConstruction {
			return l.wrongStage("只有建设中的项目可以报告建设完成")
		}
	case m.accept != nil:
		if err := l.ownUnit(m.accept.Actor); err != nil {
			return err
		}
		if l.st.Stage != domain.StageTrialRun && l.st.Stage != domain.StageRectification {
			return l.wrongStage("只有试运行或整改中的项目可以申请验收")
		}
		if l.st.Stage == domain.StageTrialRun && workflow.Now(ctx).Before(l.st.TrialRunEndsAt) {
			// R11: at least one calendar month of trial run.
			ends := l.st.TrialRunEndsAt.In(calendar.Shanghai)
			return domain.RefuseWith(domain.StatusUnprocessable, "trial_run_not_over",
				"试运行未满期，"+ends.Format("2006年1月2日 15:04")+" 后方可申请验收",
				map[string]any{"trial_run_ends_at": ends.Format(time.RFC3339)})
		}
	case m.omReport != nil:
		u := m.omReport
		if err := l.ownUnit(u.Actor); err != nil {
			return err
		}
		if l.st.Stage != domain.StageOM {
			return l.wrongStage("只有运维中的项目可以运维备案")
		}
		if u.Year != l.st.OMYear {
			return domain.RefuseWith(domain.StatusUnprocessable, "wrong_om_year",
				fmt.Sprintf("当前应备案第 %d 个运维年度", l.st.OMYear), map[string]any{"om_year": l.st.OMYear})
		}
		if l.st.OMFiled {
			return domain.Refuse(domain.StatusConflict, "already_filed", "本运维年度已备案")
		}
	}
	return nil
}

// handleDelivery applies a delivery request or a timer.
func (l *lifecycle) handleDelivery(ctx workflow.Context, m *message) (DecideResult, error) {
	if m.timer == "" {
		if err := l.validateDelivery(ctx, m); err != nil {
			return DecideResult{}, err
		}
	}
	switch {
	case m.contract != nil:
		l.submitted(m.contract.Actor)
		c := m.contract.Contract
		c.RegisteredBy = m.contract.Actor.ID
		err := l.apply(ctx, transition{stage: domain.StageConstruction, contract: &c,
			audit: l.auditBy(m.contract.Actor, "contract.register", map[string]any{"vendor": c.Vendor, "amount_fen": c.AmountFen,
				"procurement_ref": c.ProcurementRef}, m.contract.RequestID)})
		return l.result(m.name), err
	case m.construction != nil:
		l.submitted(m.construction.Actor)
		if m.construction.NeedsSupervision {
			if err := l.requireDocs(ctx, []string{"supervision_report"}); err != nil {
				return DecideResult{}, err
			}
		}
		ends := l.in.Policy.TrialRunEnd(workflow.Now(ctx), calendar.Shanghai)
		if err := l.apply(ctx, transition{stage: domain.StageTrialRun, trialRunEndsAt: &ends,
			audit: l.auditBy(m.construction.Actor, "construction.complete", map[string]any{"trial_run_ends_at": ends}, m.construction.RequestID)}); err != nil {
			return DecideResult{}, err
		}
		l.st.TrialRunEndsAt = ends
		l.armTimers(ctx)
		return l.result(m.name), nil
	case m.accept != nil:
		l.submitted(m.accept.Actor)
		if err := l.requireDocs(ctx, l.in.Policy.AcceptanceDocuments(l.in.MLPSLevel, l.in.UsesCrypto)); err != nil {
			return DecideResult{}, err
		}
		l.st.AcceptanceRound++
		err := l.apply(ctx, transition{stage: domain.StageAcceptance,
			open: []OpenTask{{ID: l.taskID(domain.TaskAcceptanceCheck, fmt.Sprintf("a%d", l.st.AcceptanceRound)),
				Kind: domain.TaskAcceptanceCheck, CandidateRole: domain.RoleDRBReviewer, CandidateOrgID: "drb"}},
			audit: l.auditBy(m.accept.Actor, "acceptance.apply", map[string]any{"round": l.st.AcceptanceRound}, m.accept.RequestID)})
		return l.result(m.name), err
	case m.omReport != nil:
		u := m.omReport
		l.submitted(u.Actor)
		err := l.apply(ctx, transition{
			omFiling: &domain.OMFiling{Year: u.Year, DueAt: l.st.OMDeadline, Filed: true, DocumentID: u.DocumentID, FiledBy: u.Actor.ID},
			audit:    l.auditBy(u.Actor, "om.file", map[string]any{"year": u.Year, "document_id": u.DocumentID}, u.RequestID)})
		if err == nil {
			l.st.OMFiled = true
		}
		return l.result(m.name), err
	case m.timer == timerTrialRunOver:
		if l.st.Stage != domain.StageTrialRun || l.st.TrialRunNotified {
			return DecideResult{}, nil
		}
		l.st.TrialRunNotified = true
		err := l.apply(ctx, transition{
			notify: []domain.Notice{{Kind: "trial_run_over", Title: "试运行已满期，可申请竣工验收：" + l.in.Name, Role: domain.RoleSubmitter, OrgID: l.in.UnitID}},
			audit:  l.auditBy(domain.Actor{ID: "system"}, "trial_run.over", nil, "")})
		l.armTimers(ctx)
		return DecideResult{}, err
	case m.timer == timerFollowUp:
		if l.st.Stage != domain.StageTrialRun || l.st.FollowUpSent {
			return DecideResult{}, nil
		}
		l.st.FollowUpSent = true // T3: one reminder
		return DecideResult{}, l.apply(ctx, transition{
			notify: []domain.Notice{{Kind: "acceptance_reminder", Title: "试运行结束已逾期未申请验收：" + l.in.Name, Role: domain.RoleSubmitter, OrgID: l.in.UnitID}},
			audit:  l.auditBy(domain.Actor{ID: "system"}, "acceptance.reminder", nil, "")})
	case m.timer == timerOMDeadline:
		return DecideResult{}, l.onOMDeadline(ctx, m.timerYear)
	case m.timer == timerOMReminder:
		if l.st.Stage != domain.StageOM || m.timerYear != l.st.OMYear || l.st.OMFiled || l.st.OMReminded {
			return DecideResult{}, nil
		}
		l.st.OMReminded = true // T4: once per year
		return DecideResult{}, l.apply(ctx, transition{
			notify: []domain.Notice{{Kind: "om_reminder", Title: fmt.Sprintf("第 %d 个运维年度备案将于 %s 截止：%s", m.timerYear,
				l.st.OMDeadline.In(calendar.Shanghai).Format("2006年1月2日"), l.in.Name), Role: domain.RoleSubmitter, OrgID: l.in.UnitID}},
			audit: l.auditBy(domain.Actor{ID: "system"}, "om.remind", map[string]any{"year": m.timerYear})})
	case m.timer == timerTaskReminder, m.timer == timerTaskEscalation:
		return DecideResult{}, l.onTaskTimer(ctx, m.timer, m.taskID)
	}
	return DecideResult{}, nil
}

func (l *lifecycle) result(name string) DecideResult {
	return DecideResult{Decision: name, Stage: l.st.Stage}
}

// requireDocs refuses with 422 documents_missing unless the project has every kind.
func (l *lifecycle) requireDocs(ctx workflow.Context, kinds []string) error {
	var res wire.DocsResult
	if err := workflow.ExecuteLocalActivity(localCtx(ctx), wire.MissingDocuments,
		wire.DocsInput{ProjectID: l.in.ProjectID, Kinds: kinds}).Get(ctx, &res); err != nil {
		return err
	}
	if len(res.Missing) > 0 {
		return domain.RefuseWith(domain.StatusUnprocessable, "documents_missing", "缺少材料："+fmt.Sprint(res.Missing),
			map[string]any{"missing": res.Missing})
	}
	return nil
}

// decideAcceptance applies acceptance decisions (R12): the DRB check opens the sign-off and
// the PRTA witness; both must pass; any failure sends the project to rectification.
func (l *lifecycle) decideAcceptance(ctx workflow.Context, t OpenTask, u DecideUpdate, tr *transition) {
	round := fmt.Sprintf("a%d", l.st.AcceptanceRound)
	switch t.Kind {
	case domain.TaskAcceptanceCheck:
		if u.Decision == domain.DecisionApprove {
			tr.open = []OpenTask{
				{ID: l.taskID(domain.TaskAcceptanceSignoff, round), Kind: domain.TaskAcceptanceSignoff, CandidateRole: domain.RoleDRBReviewer, CandidateOrgID: "drb"},
				{ID: l.taskID(domain.TaskAcceptanceWitness, round), Kind: domain.TaskAcceptanceWitness, CandidateRole: domain.RolePRTAWitness, CandidateOrgID: "prta"},
			}
			return
		}
		l.toRectification(tr, u.Comment)
	case domain.TaskAcceptanceSignoff, domain.TaskAcceptanceWitness:
		if u.Decision == domain.DecisionFail {
			for _, o := range l.st.OpenTasks {
				if o.ID != t.ID {
					tr.close = append(tr.close, domain.TaskClose{TaskID: o.ID, ActorID: u.Actor.ID, Cancelled: true})
				}
			}
			l.toRectification(tr, u.Comment)
			return
		}
		other := domain.TaskAcceptanceWitness
		if t.Kind == domain.TaskAcceptanceWitness {
			other = domain.TaskAcceptanceSignoff
		}
		if !l.hasOpen(other) {
			// Both passed: the project is accepted and enters O&M (R13); DRB evaluates (R14).
			tr.stage = domain.StageOM
			now := workflow.Now(ctx)
			l.st.OMStart, l.st.OMCalendarYear, l.st.OMYear, l.st.OMFiled = now, now.In(calendar.Shanghai).Year(), 1, false
			l.st.OMDeadline = l.in.Policy.OMDeadline(now, l.st.OMCalendarYear, 1, calendar.Shanghai)
			tr.omFiling = &domain.OMFiling{Year: 1, DueAt: l.st.OMDeadline}
			tr.open = []OpenTask{{ID: l.taskID(domain.TaskEvaluation, ""), Kind: domain.TaskEvaluation,
				CandidateRole: domain.RoleDRBReviewer, CandidateOrgID: "drb"}}
			tr.notify = []domain.Notice{{Kind: "accepted", Title: "项目已通过竣工验收：" + l.in.Name, Role: domain.RoleSubmitter, OrgID: l.in.UnitID}}
		}
	case domain.TaskEvaluation:
		tr.evaluation = &domain.Evaluation{Score: *u.Score, Grade: u.Grade, Findings: u.Comment, EvaluatedBy: u.Actor.ID}
	}
}

func (l *lifecycle) toRectification(tr *transition, list string) {
	tr.stage = domain.StageRectification
	tr.notify = []domain.Notice{{Kind: "rectification", Title: "验收未通过，请整改后重新申请：" + l.in.Name, Body: list,
		Role: domain.RoleSubmitter, OrgID: l.in.UnitID}}
}

// onOMDeadline closes an O&M year: flags it overdue when no report was filed (R13, T4), opens
// the next year and continues as new so the history stays bounded for decades.
func (l *lifecycle) onOMDeadline(ctx workflow.Context, year int) error {
	if l.st.Stage != domain.StageOM || year != l.st.OMYear {
		return nil
	}
	if !l.st.OMFiled {
		if err := l.apply(ctx, transition{
			omFiling: &domain.OMFiling{Year: year, DueAt: l.st.OMDeadline, Overdue: true},
			notify: []domain.Notice{{Kind: "om_overdue", Title: fmt.Sprintf("第 %d 个运维年度未按期备案：%s", year, l.in.Name),
				Role: domain.RoleSubmitter, OrgID: l.in.UnitID}},
			audit: l.auditBy(domain.Actor{ID: "system"}, "om.overdue", map[string]any{"year": year}, "")}); err != nil {
			return err
		}
	}
	l.st.OMYear++
	l.st.OMCalendarYear++
	l.st.OMFiled, l.st.OMReminded = false, false
	l.st.OMDeadline = l.in.Policy.OMDeadline(l.st.OMStart, l.st.OMCalendarYear, l.st.OMYear, calendar.Shanghai)
	if err := l.apply(ctx, transition{omFiling: &domain.OMFiling{Year: l.st.OMYear, DueAt: l.st.OMDeadline}}); err != nil {
		return err
	}
	l.continueAsNew = true
	return nil
}

// armTimers starts the timers the current state needs. Each fires once into the inbox.
func (l *lifecycle) armTimers(ctx workflow.Context) {
	at := func(when time.Time, m *message) { l.sleepThen(ctx, when, m) }
	switch l.st.Stage {
	case domain.StageTrialRun:
		if !l.st.TrialRunNotified {
			at(l.st.TrialRunEndsAt, &message{name: timerTrialRunOver, timer: timerTrialRunOver})
		} else if !l.st.FollowUpSent {
			at(l.st.TrialRunEndsAt.Add(l.in.Policy.FollowUp()), &message{name: timerFollowUp, timer: timerFollowUp})
		}
	case domain.StageOM:
		if !l.st.OMReminded && version(ctx, "om-reminder", 1) == 1 {
			at(l.in.Policy.OMReminderAt(l.st.OMDeadline), &message{name: timerOMReminder, timer: timerOMReminder, timerYear: l.st.OMYear})
		}
		at(l.st.OMDeadline, &message{name: timerOMDeadline, timer: timerOMDeadline, timerYear: l.st.OMYear})
	}
}

// sleepThen pushes m into the inbox at when (at once if when has passed). Lean, the timer is a
// future the main loop collects; before, a coroutine slept until then.
func (l *lifecycle) sleepThen(ctx workflow.Context, when time.Time, m *message) {
	if l.lean {
		d := when.Sub(workflow.Now(ctx))
		if d <= 0 {
			l.inbox = append(l.inbox, m)
			return
		}
		l.timers = append(l.timers, pendingTimer{f: workflow.NewTimer(ctx, d), m: m})
		return
	}
	workflow.Go(ctx, func(gctx workflow.Context) {
		if d := when.Sub(workflow.Now(gctx)); d > 0 {
			if err := workflow.Sleep(gctx, d); err != nil {
				return
			}
		}
		l.inbox = append(l.inbox, m)
	})
}

// armTaskTimers sets a task's T2 reminder and escalation timers (those not yet sent), under a
// context the task's closing cancels (cancelTaskTimers).
func (l *lifecycle) armTaskTimers(ctx workflow.Context, t OpenTask) {
	if t.DueAt.IsZero() {
		return
	}
	ctx, cancel := workflow.WithCancel(ctx)
	if version(ctx, "chained-task-timers", 1) == 1 {
		l.taskTimers[t.ID] = taskTimer{cancel: cancel, next: ctx}
		l.armNextTaskTimer(t)
		return
	}
	l.taskTimers[t.ID] = taskTimer{cancel: cancel}
	if !t.Reminded && !t.RemindAt.IsZero() {
		l.sleepThen(ctx, t.RemindAt, &message{name: timerTaskReminder, timer: timerTaskReminder, taskID: t.ID})
	}
	if !t.Escalated {
		l.sleepThen(ctx, t.DueAt, &message{name: timerTaskEscalation, timer: timerTaskEscalation, taskID: t.ID})
	}
}

// armNextTaskTimer sets the earlier of t's T2 timers not sent yet, the reminder first on a tie
// (chained-task-timers): the other is set when it has fired (onTaskTimer). Before, both were
// set when the task opened, and a decision before the reminder cancelled two timers: each
// start and cancel an event in history and a timer task on the server, on every decision.
func (l *lifecycle) armNextTaskTimer(t OpenTask) {
	ctx := l.taskTimers[t.ID].next
	if ctx == nil {
		return // closed, or set both at once (before chained-task-timers)
	}
	remind := !t.Reminded && !t.RemindAt.IsZero()
	switch {
	case remind && (t.Escalated || !t.RemindAt.After(t.DueAt)):
		l.sleepThen(ctx, t.RemindAt, &message{name: timerTaskReminder, timer: timerTaskReminder, taskID: t.ID})
	case !t.Escalated:
		l.sleepThen(ctx, t.DueAt, &message{name: timerTaskEscalation, timer: timerTaskEscalation, taskID: t.ID})
	case remind:
		l.sleepThen(ctx, t.RemindAt, &message{name: timerTaskReminder, timer: timerTaskReminder, taskID: t.ID})
	}
}

// cancelTaskTimers stops the T2 timers of a task that has closed. Before version
// cancel-task-timers they ran on: each woke the workflow (a workflow task) at its instant only
// to find the task gone, and held a coroutine in the worker's cache until then.
func (l *lifecycle) cancelTaskTimers(ctx workflow.Context, taskID string) {
	tt, ok := l.taskTimers[taskID]
	if !ok {
		return
	}
	delete(l.taskTimers, taskID)
	if version(ctx, "cancel-task-timers", 1) == 1 {
		tt.cancel()
	}
}

// t2Notice is the T2 notice of task taskID, due at due, about subject: the reminder, sent to
// (its assignee or candidates), or the escalation to the DRB supervisor once overdue; with the
// audit action and detail that record it. Lifecycle tasks and the plan's bundle tasks share it.
func t2Notice(kind, taskID string, due time.Time, subject string, to domain.Notice) (domain.Notice, string, map[string]any) {
	day := due.In(calendar.Shanghai).Format("2006年1月2日")
	if kind == timerTaskReminder {
		to.Kind, to.Title, to.TaskID = "task_reminder", fmt.Sprintf("待办将于 %s 到期：%s", day, subject), taskID
		return to, "task.remind", map[string]any{"task_id": taskID}
	}
	return domain.Notice{Kind: "task_escalation", Title: fmt.Sprintf("待办已逾期（%s 到期）：%s", day, subject),
			Role: domain.RoleDRBSupervisor, OrgID: "drb", TaskID: taskID},
		"task.escalate", map[string]any{"task_id": taskID, "due_at": due}
}

// onTaskTimer sends a task's reminder to whoever may act on it, or escalates an overdue task to
// the DRB supervisor (T2). Each is sent once: the task records it, and the notification id
// derives from the transition.
func (l *lifecycle) onTaskTimer(ctx workflow.Context, kind, taskID string) error {
	var t *OpenTask
	for i := range l.st.OpenTasks {
		if l.st.OpenTasks[i].ID == taskID {
			t = &l.st.OpenTasks[i]
		}
	}
	if t == nil {
		return nil // decided meanwhile
	}
	if (kind == timerTaskReminder && t.Reminded) || (kind == timerTaskEscalation && t.Escalated) {
		l.armNextTaskTimer(*t)
		return nil // already sent
	}
	to := domain.Notice{Role: t.CandidateRole, OrgID: t.CandidateOrgID}
	if t.AssigneeID != "" {
		to = domain.Notice{UserID: t.AssigneeID}
	}
	n, action, detail := t2Notice(kind, t.ID, t.DueAt, l.in.Name, to)
	tr := transition{notify: []domain.Notice{n}, audit: l.auditBy(domain.Actor{ID: "system"}, action, detail)}
	if err := l.apply(ctx, tr); err != nil {
		return err
	}
	if kind == timerTaskReminder {
		t.Reminded = true
	} else {
		t.Escalated = true
	}
	l.armNextTaskTimer(*t)
	return nil
}
