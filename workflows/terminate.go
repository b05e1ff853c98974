package workflows

import (
	"go.temporal.io/sdk/workflow"

	"egovpm/internal/domain"
)

// Refusal codes of a termination (终止) or a retirement (系统下线), issue 19 item 4.
const (
	CodeTerminateUnsupported = "terminate_unsupported"
	CodeProjectClosed        = "project_closed"
	CodeRetireNotInOM        = "retire_not_in_om"
	CodeSettlementInvalid    = "settlement_invalid"
)

// isDRB reports whether a is of the Big Data Resources Bureau (its reviewers or supervisors).
func isDRB(a domain.Actor) bool {
	return a.Has(domain.RoleDRBReviewer) || a.Has(domain.RoleDRBSupervisor)
}

// validateTerminate checks a termination or retirement against the state: a run started before
// terminate refuses it; a closed project (or one otherwise ended) cannot close again; DRB
// terminates at any stage, DRB or the unit's own submitter retires a project in O&M; the
// reason is required.
func (l *lifecycle) validateTerminate(u TerminateUpdate) error {
	if !l.terminable {
		return domain.Refuse(domain.StatusConflict, CodeTerminateUnsupported, "该项目的流程版本不支持终止或下线")
	}
	if l.st.Stage.Terminal() {
		return domain.Refuse(domain.StatusConflict, CodeProjectClosed, "项目已关闭，不能再终止或下线")
	}
	word := "终止"
	if u.Retire {
		word = "下线"
		if !isDRB(u.Actor) && (!u.Actor.Has(domain.RoleSubmitter) || u.Actor.OrgID != l.in.UnitID) {
			return domain.Refuse(domain.StatusForbidden, "forbidden", "只有市数管局或本单位申报人可以申请系统下线")
		}
		if l.st.Stage != domain.StageOM {
			return domain.Refuse(domain.StatusConflict, CodeRetireNotInOM, "只有运维阶段的项目可以系统下线")
		}
	} else if !isDRB(u.Actor) {
		return domain.Refuse(domain.StatusForbidden, "forbidden", "只有市数管局可以终止项目")
	}
	if u.SettlementFen != 0 && (u.Retire || u.SettlementFen < 0 || u.SettlementFen > l.st.ApprovedFen) {
		return domain.Refuse(domain.StatusUnprocessable, CodeSettlementInvalid, "终止结算只用于已批复项目的终止，且不超过批复金额")
	}
	if l.missing(u.Reason) {
		return domain.Refuse(domain.StatusBadRequest, "reason_required", "请填写"+word+"理由")
	}
	return nil
}

// terminate checks a termination or retirement again and applies it: every open task is
// cancelled (its T2 timers end) and its holder told, the unit is told, the project's stage
// becomes closed with its closure (terminated or retired, the reason), audited project.terminate
// or project.retire. The run then completes: its stage timers (trial run, O&M deadline) end
// with it, and a year's close does not continue it as new.
func (l *lifecycle) terminate(ctx workflow.Context, u TerminateUpdate) (DecideResult, error) {
	if err := l.validateTerminate(u); err != nil {
		return DecideResult{}, err
	}
	return l.closeProject(ctx, u, nil, nil)
}

// closeProject closes the project for u (validated). decided, when set, is the task whose
// decision closes it (a termination request's review): it is closed with that decision, not
// cancelled; audit rows before are written ahead of project.terminate.
func (l *lifecycle) closeProject(ctx workflow.Context, u TerminateUpdate, decided *domain.TaskClose, before []domain.AuditItem) (DecideResult, error) {
	as, action, what := domain.ClosedTerminated, "project.terminate", "项目已终止"
	if u.Retire {
		as, action, what = domain.ClosedRetired, "project.retire", "系统已下线"
	}
	var closes []domain.TaskClose
	var notify []domain.Notice
	cancelled := []string{}
	if decided != nil {
		closes = append(closes, *decided)
	}
	for _, t := range l.st.OpenTasks {
		if decided != nil && t.ID == decided.TaskID {
			continue
		}
		closes = append(closes, domain.TaskClose{TaskID: t.ID, Cancelled: true, ActorID: u.Actor.ID, Comment: u.Reason})
		cancelled = append(cancelled, t.ID)
		n := domain.Notice{Kind: "task_cancelled", Title: "待办已取消：" + l.in.Name, Body: what + "，该待办不再办理。理由：" + u.Reason,
			TaskID: t.ID, UserID: t.AssigneeID}
		if n.UserID == "" {
			n.Role, n.OrgID = t.CandidateRole, t.CandidateOrgID
		}
		notify = append(notify, n)
	}
	notify = append(notify, domain.Notice{Kind: "project_" + as, Title: what + "：" + l.in.Name, Body: "理由：" + u.Reason,
		Role: domain.RoleSubmitter, OrgID: l.in.UnitID})
	from := l.st.Stage
	l.continueAsNew = false
	l.st.TermRequest, l.st.Extension = nil, nil
	err := l.apply(ctx, transition{
		stage:   domain.StageClosed,
		close:   closes,
		notify:  notify,
		closure: &domain.Closure{As: as, Reason: u.Reason, By: u.Actor.ID, SettlementFen: u.SettlementFen},
		audit: append(before, l.auditBy(u.Actor, action, map[string]any{"reason": u.Reason, "from_stage": string(from),
			"cancelled_tasks": cancelled, "settlement_fen": u.SettlementFen}, u.RequestID)...),
	})
	if err != nil {
		return DecideResult{}, err
	}
	return DecideResult{Decision: as, Stage: l.st.Stage}, nil
}
