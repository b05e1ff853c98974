package workflows

import (
	"errors"
	"fmt"
	"slices"
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

func (l *lifecycle) setupDelivery(ctx workflow.Context) error {
	contract := func(_ workflow.Context, u ContractUpdate) error { return l.validateContract(u) }
	construction := func(_ workflow.Context, u ConstructionUpdate) error { return l.validateConstruction(u) }
	acceptance := func(ctx workflow.Context, u AcceptanceUpdate) error { return l.validateAcceptance(ctx, u) }
	omReport := func(_ workflow.Context, u OMReportUpdate) error { return l.validateOMReport(u) }
	return errors.Join(
		setUpdate(ctx, UpdateContract, contract, contract, l.enqueuer(msgContract)),
		setUpdate(ctx, UpdateConstructionComplete, construction, construction, l.enqueuer(msgConstruction)),
		setUpdate(ctx, UpdateApplyAcceptance, acceptance, acceptance, l.enqueuer(msgAcceptance)),
		setUpdate(ctx, UpdateOMReport, omReport, omReport, l.enqueuer(msgOMReport)),
	)
}

func (l *lifecycle) ownUnit(a domain.Actor) error {
	if !a.Has(domain.RoleSubmitter) || a.OrgID != l.in.UnitID {
		return domain.Refuse(domain.StatusForbidden, "forbidden", "只有本单位申报人可以办理")
	}
	return nil
}

func (l *lifecycle) wrongStage(msg string) error {
	return domain.Refuse(domain.StatusConflict, "wrong_stage", fmt.Sprintf("项目当前阶段为%s，%s", domain.StageName(l.st.Stage), msg))
}

// validateDelivery checks a delivery request against the state (no I/O, no change).
func (l *lifecycle) validateDelivery(ctx workflow.Context, m *message) error {
	switch u := m.payload.(type) {
	case ContractUpdate:
		return l.validateContract(u)
	case ConstructionUpdate:
		return l.validateConstruction(u)
	case AcceptanceUpdate:
		return l.validateAcceptance(ctx, u)
	case OMReportUpdate:
		return l.validateOMReport(u)
	}
	return nil
}

func (l *lifecycle) validateContract(u ContractUpdate) error {
	if err := l.ownUnit(u.Actor); err != nil {
		return err
	}
	if l.st.Stage != domain.StageProcurement {
		return l.wrongStage("只有待采购的项目可以登记合同")
	}
	if u.Contract.AmountFen > l.st.ApprovedFen {
		// R9, R7: the contract never exceeds the approved amount.
		return domain.RefuseWith(domain.StatusUnprocessable, "amount_over_approved",
			"合同金额超过批复金额 "+domain.Yuan(l.st.ApprovedFen)+" 元", map[string]any{"approved_amount_fen": l.st.ApprovedFen})
	}
	return nil
}

func (l *lifecycle) validateConstruction(u ConstructionUpdate) error {
	if err := l.ownUnit(u.Actor); err != nil {
		return err
	}
	if l.st.Stage != domain.StageConstruction {
		return l.wrongStage("只有建设中的项目可以报告建设完成")
	}
	return nil
}

func (l *lifecycle) validateAcceptance(ctx workflow.Context, u AcceptanceUpdate) error {
	if err := l.ownUnit(u.Actor); err != nil {
		return err
	}
	if l.st.Stage != domain.StageTrialRun && l.st.Stage != domain.StageRectification {
		return l.wrongStage("只有试运行或整改中的项目可以申请验收")
	}
	if err := l.changePending(); err != nil {
		return err
	}
	if l.st.Stage == domain.StageTrialRun && workflow.Now(ctx).Before(l.st.TrialRunEndsAt) {
		// R11: at least one calendar month of trial run.
		ends := l.st.TrialRunEndsAt.In(calendar.Shanghai)
		return domain.RefuseWith(domain.StatusUnprocessable, "trial_run_not_over",
			"试运行未满期，"+ends.Format("2006年1月2日 15:04")+" 后方可申请验收",
			map[string]any{"trial_run_ends_at": ends.Format(time.RFC3339)})
	}
	return nil
}

func (l *lifecycle) validateOMReport(u OMReportUpdate) error {
	if err := l.ownUnit(u.Actor); err != nil {
		return err
	}
	if l.st.Stage != domain.StageOM {
		return l.wrongStage("只有运维中的项目可以运维备案")
	}
	if u.Year != l.st.OMYear && !slices.Contains(l.st.OMOverdue, u.Year) {
		return domain.RefuseWith(domain.StatusUnprocessable, "wrong_om_year",
			fmt.Sprintf("当前应备案第 %d 个运维年度", l.st.OMYear), map[string]any{"om_year": l.st.OMYear})
	}
	if u.Year == l.st.OMYear && l.st.OMFiled {
		return domain.Refuse(domain.StatusConflict, "already_filed", "本运维年度已备案")
	}
	return nil
}

// handleDelivery checks a delivery request again and applies it.
func (l *lifecycle) handleDelivery(ctx workflow.Context, m *message) (DecideResult, error) {
	if err := l.validateDelivery(ctx, m); err != nil {
		return DecideResult{}, err
	}
	var err error
	late := false
	switch u := m.payload.(type) {
	case ContractUpdate:
		err = l.registerContract(ctx, u)
	case ConstructionUpdate:
		err = l.completeConstruction(ctx, u)
	case AcceptanceUpdate:
		err = l.applyAcceptance(ctx, u)
	case OMReportUpdate:
		late = u.Year != l.st.OMYear
		err = l.fileOMReport(ctx, u)
	}
	if err != nil {
		return DecideResult{}, err // an Update that fails answers with its error alone
	}
	res := l.result(m.kind.String())
	res.Late = late
	return res, nil
}

// registerContract registers the contract and starts construction (R9).
func (l *lifecycle) registerContract(ctx workflow.Context, u ContractUpdate) error {
	l.submitted(u.Actor)
	c := u.Contract
	c.RegisteredBy = u.Actor.ID
	err := l.apply(ctx, transition{stage: domain.StageConstruction, contract: &c,
		audit: l.auditBy(u.Actor, "contract.register", map[string]any{"vendor": c.Vendor, "amount_fen": c.AmountFen,
			"procurement_ref": c.ProcurementRef}, u.RequestID)})
	if err == nil {
		l.st.ContractFen = c.AmountFen
	}
	return err
}

// completeConstruction starts the trial run (R10, R11): with a supervision sub-project (R1)
// once its report is in.
func (l *lifecycle) completeConstruction(ctx workflow.Context, u ConstructionUpdate) error {
	l.submitted(u.Actor)
	if u.NeedsSupervision {
		if err := l.requireDocs(ctx, []string{"supervision_report"}); err != nil {
			return err
		}
	}
	ends := l.in.Policy.TrialRunEnd(workflow.Now(ctx), calendar.Shanghai)
	if err := l.apply(ctx, transition{stage: domain.StageTrialRun, trialRunEndsAt: &ends,
		audit: l.auditBy(u.Actor, "construction.complete", map[string]any{"trial_run_ends_at": ends}, u.RequestID)}); err != nil {
		return err
	}
	l.st.TrialRunEndsAt = ends
	l.armTimers(ctx)
	return nil
}

// applyAcceptance opens a round of acceptance once its documents are in (R12).
func (l *lifecycle) applyAcceptance(ctx workflow.Context, u AcceptanceUpdate) error {
	l.submitted(u.Actor)
	if err := l.requireDocs(ctx, l.in.Policy.AcceptanceDocuments(l.in.MLPSLevel, l.in.UsesCrypto)); err != nil {
		return err
	}
	l.st.AcceptanceRound++
	return l.apply(ctx, transition{stage: domain.StageAcceptance,
		open: []OpenTask{{ID: l.taskID(domain.TaskAcceptanceCheck, fmt.Sprintf("a%d", l.st.AcceptanceRound)),
			Kind: domain.TaskAcceptanceCheck, CandidateRole: domain.RoleDRBReviewer, CandidateOrgID: "drb"}},
		audit: l.auditBy(u.Actor, "acceptance.apply", map[string]any{"round": l.st.AcceptanceRound}, u.RequestID)})
}

// fileOMReport files the O&M report of the current year, or of a year flagged overdue: that
// one is marked late and DRB is told (R13, om-late-filing).
func (l *lifecycle) fileOMReport(ctx workflow.Context, u OMReportUpdate) error {
	l.submitted(u.Actor)
	if u.Year != l.st.OMYear {
		return l.fileOMReportLate(ctx, u)
	}
	tr := transition{
		omFiling: &domain.OMFiling{Year: u.Year, DueAt: l.st.OMDeadline, Filed: true, DocumentID: u.DocumentID, FiledBy: u.Actor.ID},
		audit:    l.auditBy(u.Actor, "om.file", map[string]any{"year": u.Year, "document_id": u.DocumentID}, u.RequestID)}
	l.dropExtension(&tr, u.Year, false)
	err := l.apply(ctx, tr)
	if err == nil {
		l.st.OMFiled = true
	}
	return err
}

// fileOMReportLate files an overdue year's report (validated: u.Year is in OMOverdue). The
// year's row exists already (its due date is kept), so DueAt is left zero.
func (l *lifecycle) fileOMReportLate(ctx workflow.Context, u OMReportUpdate) error {
	err := l.apply(ctx, transition{
		omFiling: &domain.OMFiling{Year: u.Year, Filed: true, Late: true, DocumentID: u.DocumentID, FiledBy: u.Actor.ID},
		notify: []domain.Notice{{Kind: "om_late_filing", Title: fmt.Sprintf("第 %d 个运维年度逾期补报备案：%s", u.Year, l.in.Name),
			Role: domain.RoleDRBReviewer, OrgID: "drb"}},
		audit: l.auditBy(u.Actor, "om.file", map[string]any{"year": u.Year, "document_id": u.DocumentID, "late": true}, u.RequestID)})
	if err == nil {
		l.st.OMOverdue = slices.DeleteFunc(l.st.OMOverdue, func(y int) bool { return y == u.Year })
	}
	return err
}

// onTrialRunOver tells the unit its trial run is over (R11) and sets the follow-up (T3).
func (l *lifecycle) onTrialRunOver(ctx workflow.Context) error {
	if l.st.Stage != domain.StageTrialRun || l.st.TrialRunNotified {
		return nil
	}
	l.st.TrialRunNotified = true
	err := l.apply(ctx, transition{
		notify: []domain.Notice{{Kind: "trial_run_over", Title: "试运行已满期，可申请竣工验收：" + l.in.Name, Role: domain.RoleSubmitter, OrgID: l.in.UnitID}},
		audit:  l.auditBy(domain.Actor{ID: "system"}, "trial_run.over", nil, "")})
	l.armTimers(ctx)
	return err
}

// onFollowUp reminds a unit that has not applied for acceptance after its trial run, once (T3).
func (l *lifecycle) onFollowUp(ctx workflow.Context) error {
	if l.st.Stage != domain.StageTrialRun || l.st.FollowUpSent {
		return nil
	}
	l.st.FollowUpSent = true // T3: one reminder
	return l.apply(ctx, transition{
		notify: []domain.Notice{{Kind: "acceptance_reminder", Title: "试运行结束已逾期未申请验收：" + l.in.Name, Role: domain.RoleSubmitter, OrgID: l.in.UnitID}},
		audit:  l.auditBy(domain.Actor{ID: "system"}, "acceptance.reminder", nil, "")})
}

// onOMReminder reminds the unit of O&M year's coming deadline, once a year (T4).
func (l *lifecycle) onOMReminder(ctx workflow.Context, year int) error {
	if l.st.Stage != domain.StageOM || year != l.st.OMYear || l.st.OMFiled || l.st.OMReminded {
		return nil
	}
	l.st.OMReminded = true // T4: once per year
	return l.apply(ctx, transition{
		notify: []domain.Notice{{Kind: "om_reminder", Title: fmt.Sprintf("第 %d 个运维年度备案将于 %s 截止：%s", year,
			l.st.OMDeadline.In(calendar.Shanghai).Format("2006年1月2日"), l.in.Name), Role: domain.RoleSubmitter, OrgID: l.in.UnitID}},
		audit: l.auditBy(domain.Actor{ID: "system"}, "om.remind", map[string]any{"year": year})})
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
		return domain.RefuseWith(domain.StatusUnprocessable, "documents_missing", "缺少材料："+domain.DocKindNameList(res.Missing),
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
			l.evaluationAtAcceptance(ctx, now, tr)
			tr.notify = []domain.Notice{{Kind: "accepted", Title: "项目已通过竣工验收：" + l.in.Name, Role: domain.RoleSubmitter, OrgID: l.in.UnitID}}
		}
	case domain.TaskEvaluation:
		tr.evaluation = &domain.Evaluation{Round: l.st.EvaluationRound, Score: *u.Score, Grade: u.Grade, Findings: u.Comment, EvaluatedBy: u.Actor.ID}
		l.nextEvaluation(ctx, tr)
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
	if l.st.Stage != domain.StageOM || year != l.st.OMYear || l.omDeadlineAhead(ctx) {
		return nil // an old year's timer, or one set for a deadline since extended
	}
	if !l.st.OMFiled {
		tr := transition{
			omFiling: &domain.OMFiling{Year: year, DueAt: l.st.OMDeadline, Overdue: true},
			notify: []domain.Notice{{Kind: "om_overdue", Title: fmt.Sprintf("第 %d 个运维年度未按期备案：%s", year, l.in.Name),
				Role: domain.RoleSubmitter, OrgID: l.in.UnitID}},
			audit: l.auditBy(domain.Actor{ID: "system"}, "om.overdue", map[string]any{"year": year}, "")}
		l.dropExtension(&tr, year, true)
		if err := l.apply(ctx, tr); err != nil {
			return err
		}
		if version(ctx, "om-late-filing", 1) == 1 {
			l.st.OMOverdue = append(l.st.OMOverdue, year) // R13: it can still be filed, late
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
