package workflows

import (
	"fmt"
	"slices"

	"go.temporal.io/sdk/workflow"

	"egovpm/activities/wire"
	"egovpm/internal/authz"
	"egovpm/internal/domain"
)

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
	if n := l.st.DecisionWithdrawals; n > 0 {
		id += fmt.Sprintf(":w%d", n) // decision-withdraw: never the id of a task closed before
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

func (l *lifecycle) hasOpen(kind domain.TaskKind) bool {
	for _, t := range l.st.OpenTasks {
		if t.Kind == kind {
			return true
		}
	}
	return false
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
	if err := validateDecision(t.Kind, u, l.st.PlanAmountFen, l.in.EstimatedFen, l.missing); err != nil {
		return err
	}
	return l.validateChangeApproval(t, u)
}

func (l *lifecycle) validateDecideQueued(u DecideUpdate) error {
	t, ok := l.findTask(u.TaskID)
	if !ok {
		return errStale()
	}
	if err := authz.ActOnTask(u.Actor, l.facts(t, l.sod)); err != nil {
		return refusal(err)
	}
	if err := validateDecision(t.Kind, u, l.st.PlanAmountFen, l.in.EstimatedFen, l.missing); err != nil {
		return err
	}
	return l.validateChangeApproval(t, u)
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
	case domain.TaskChangeReview:
		return validateChangeDecision(u, missing)
	case domain.TaskTerminationReview:
		return validateTermDecision(u, missing)
	case domain.TaskExtensionReview:
		return validateExtensionDecision(u, missing)
	default:
		return bad("该任务类型不能在此流程中决定")
	}
	return nil
}

// validateResubmit checks a resubmission: of a project returned for revision (R3), or of one
// withdrawn to draft (撤回); only a withdrawn one may go as a special request (R8).
func (l *lifecycle) validateResubmit(u ResubmitUpdate) error {
	if l.st.Stage != domain.StageRevision && l.st.Stage != domain.StageDraft {
		return domain.Refuse(domain.StatusConflict, "wrong_stage", "只有退回修改的项目可以重新提交")
	}
	if !u.Actor.Has(domain.RoleSubmitter) || u.Actor.OrgID != l.in.UnitID {
		return domain.Refuse(domain.StatusForbidden, "forbidden", "只有本单位申报人可以重新提交")
	}
	if u.Special && l.st.Stage != domain.StageDraft {
		return domain.Refuse(domain.StatusConflict, "wrong_stage", "退回修改的项目重新提交后仍进入初审")
	}
	return nil
}

// decide checks a decision again (another message may have changed the state since the
// validator ran) and applies it to one of the project's tasks.
func (l *lifecycle) decide(ctx workflow.Context, u DecideUpdate) (DecideResult, error) {
	if err := l.validateDecideQueued(u); err != nil {
		return DecideResult{}, err
	}
	t, _ := l.findTask(u.TaskID)
	if t.Kind == domain.TaskTerminationReview {
		return l.decideTermination(ctx, u, t)
	}
	if t.Kind == domain.TaskExtensionReview {
		return l.decideExtension(ctx, u, t)
	}
	auditD := map[string]any{"task_id": t.ID, "kind": string(t.Kind), "decision": u.Decision, "comment": u.Comment}
	tr := transition{close: []domain.TaskClose{{TaskID: t.ID, Decision: u.Decision, ActorID: u.Actor.ID, Comment: u.Comment}}}
	switch t.Kind {
	case domain.TaskPrelimReview: // R3
		l.decidePrelim(u, &tr)
	case domain.TaskExpertReview: // R4
		l.decideReview(u, &tr, auditD)
	case domain.TaskSpecialRequestApproval: // R8
		l.decideSpecial(u, &tr, auditD)
	case domain.TaskProjectApproval: // R6 (large), R7
		l.decideApproval(u, &tr, auditD)
	case domain.TaskChangeReview: // 项目变更
		l.decideChange(u, &tr, auditD)
	case domain.TaskAcceptanceCheck, domain.TaskAcceptanceSignoff, domain.TaskAcceptanceWitness, domain.TaskEvaluation: // R12, R14
		if u.Score != nil {
			auditD["score"], auditD["grade"] = *u.Score, u.Grade
		}
		l.decideAcceptance(ctx, t, u, &tr)
	}
	tr.audit = []domain.AuditItem{{ActorID: u.Actor.ID, OrgID: u.Actor.OrgID, Action: "task.decide", Outcome: u.Decision,
		RequestID: u.RequestID, Detail: auditD}}
	wasOM, before := l.st.Stage == domain.StageOM, slices.Clone(l.st.OpenTasks)
	from := l.st.Stage
	if err := l.apply(ctx, tr); err != nil {
		return DecideResult{}, err
	}
	l.noteDecision(t, u, from, before, tr)
	if !wasOM && l.st.Stage == domain.StageOM {
		l.armTimers(ctx)
	}
	if err := l.advance(ctx); err != nil {
		return DecideResult{}, err
	}
	return DecideResult{TaskID: t.ID, Decision: u.Decision, Stage: l.st.Stage}, nil
}

// decidePrelim: preliminary review approves, returns for revision or rejects (R3).
func (l *lifecycle) decidePrelim(u DecideUpdate, tr *transition) {
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
}

// decideReview records an expert's review; the last review of the panel decides (R4).
func (l *lifecycle) decideReview(u DecideUpdate, tr *transition, auditD map[string]any) {
	score := *u.Score
	tr.close[0].Details = map[string]any{"score": score}
	auditD["score"] = score
	l.st.Reviews = append(l.st.Reviews, Review{ExpertID: u.Actor.ID, Pass: u.Decision == domain.DecisionPass, Score: score, Opinion: u.Comment})
	if len(l.st.Reviews) != len(l.st.Panel) {
		return
	}
	passed, total := tally(l.st.Reviews)
	auditD["panel_pass"], auditD["panel_size"], auditD["mean_score"] = passed, len(l.st.Reviews), total/len(l.st.Reviews)
	if l.in.Policy.PanelPasses(passed, len(l.st.Reviews)) { // R4: (strict) majority of the effective panel, by policy
		tr.stage = domain.StageAwaitingPlan
	} else {
		tr.stage = domain.StageRejected
		auditD["reason"] = "expert_review_failed"
	}
}

// decideSpecial: the City Government approves a special request as a supplementary plan item,
// or rejects it (R8).
func (l *lifecycle) decideSpecial(u DecideUpdate, tr *transition, auditD map[string]any) {
	if u.Decision != domain.DecisionApprove {
		tr.stage = domain.StageRejected
		return
	}
	amount := granted(u, l.in.EstimatedFen)
	l.st.PlanAmountFen = amount
	tr.stage = domain.StageAwaitingApproval
	tr.amount = amount
	tr.planItems = []domain.PlanItem{{PlanYear: l.in.PlanYear, ProjectID: l.in.ProjectID, Included: true,
		ApprovedAmountFen: amount, Supplementary: true, DecidedBy: u.Actor.ID}}
	auditD["supplementary_amount_fen"] = amount
}

// decideApproval approves a large project alone, at most its plan amount, or rejects it (R6, R7).
func (l *lifecycle) decideApproval(u DecideUpdate, tr *transition, auditD map[string]any) {
	if u.Decision != domain.DecisionApprove {
		tr.stage = domain.StageRejected
		return
	}
	amount := granted(u, l.st.PlanAmountFen)
	auditD["approved_amount_fen"] = amount
	tr.stage, tr.amount = domain.StageApproved, amount
	l.st.ApprovedFen = amount
}

// granted is the amount an approval grants: the amount decided, or def when it names none.
func granted(u DecideUpdate, def int64) int64 {
	if u.ApprovedAmountFen == 0 {
		return def
	}
	return u.ApprovedAmountFen
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

// resubmit checks a resubmission again and opens the next round of preliminary review (R3).
func (l *lifecycle) resubmit(ctx workflow.Context, u ResubmitUpdate) (DecideResult, error) {
	if err := l.validateResubmit(u); err != nil {
		return DecideResult{}, err
	}
	if l.st.Stage != domain.StageDraft { // a withdrawal counted the round already
		l.st.Round++
	}
	l.submitted(u.Actor)
	if u.Special {
		// R8: past the R2 deadline a withdrawn project comes back only as a special request.
		detail := map[string]any{"round": l.st.Round, "special_request": true}
		if err := l.openSpecial(ctx, u.Actor, "project.resubmit", detail, l.st.Round, u.RequestID); err != nil {
			return DecideResult{}, err
		}
		return DecideResult{Decision: "resubmit", Stage: l.st.Stage}, nil
	}
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
