package authz

import (
	"slices"

	"egovpm/internal/apperr"
	"egovpm/internal/domain"
)

// TaskFacts is what ActOnTask needs of a task: the gateway fills it from the read model, the
// workflows from their own state.
type TaskFacts struct {
	Kind           domain.TaskKind
	CandidateRole  string
	CandidateOrgID string
	// AssigneeID is the one person the task is assigned to ("" when offered to its candidates).
	AssigneeID string
	// ProjectUnitID is the submitting unit of the task's project ("" for a bundle).
	ProjectUnitID string
	Open          bool
	// SubmittedBy are the people who submitted or recorded what the task decides on: who
	// submitted (or resubmitted) the project or applied for the step, who created the bundle.
	SubmittedBy []string
}

func (t TaskFacts) candidate(a domain.Actor) bool {
	return a.Has(t.CandidateRole) && (t.CandidateOrgID == "" || t.CandidateOrgID == a.OrgID)
}

// recused: an expert affiliated with the submitting unit never reviews its project (R4).
func (t TaskFacts) recused(a domain.Actor) bool {
	return (t.Kind == domain.TaskExpertReview || t.CandidateRole == domain.RoleExpert) && t.ProjectUnitID != "" &&
		a.OrgID == t.ProjectUnitID
}

// Refusal codes of ActOnTask, OwnAct and CheckRoles (stable, on the wire).
const (
	CodeStaleTask          = "stale_task"
	CodeRecused            = "recused"
	CodeNotAssignee        = "not_assignee"
	CodeWrongRole          = "wrong_role"
	CodeWrongOrg           = "wrong_org"
	CodeSeparationOfDuties = "separation_of_duties"
	CodeConflictingRoles   = "conflicting_roles"
)

func refuse(kind apperr.Kind, code, msg string) error {
	return apperr.New(kind, code, msg)
}

// StaleTask is the refusal of an act on a task that is closed, or that the workflow no longer
// holds: the gateway and the workflows answer it alike.
func StaleTask() error {
	return refuse(apperr.KindConflict, CodeStaleTask, "该任务已处理、已失效或不属于此流程")
}

// ActOnTask is the one decision whether actor a may act on (claim, decide) task t: the gateway
// asks it against the read model before it sends a decision, and the workflows ask it against
// their own state when they validate and apply one, so both refuse alike. It returns nil or a
// refusal (*apperr.Error): a closed task is stale (conflict); a task assigned to someone else is theirs; the
// actor must hold the task's role in its org; an expert of the submitting unit is recused
// (R4); and nobody decides, checks or confirms what they submitted or recorded themselves
// (separation of duties, OwnAct).
func ActOnTask(a domain.Actor, t TaskFacts) error {
	switch {
	case !t.Open:
		return StaleTask()
	case t.AssigneeID != "" && t.AssigneeID != a.ID:
		return refuse(apperr.KindForbidden, CodeNotAssignee, "该任务已分配给其他人")
	case !a.Has(t.CandidateRole):
		return refuse(apperr.KindForbidden, CodeWrongRole, "您的角色不能处理该任务")
	case t.CandidateOrgID != "" && t.CandidateOrgID != a.OrgID:
		return refuse(apperr.KindForbidden, CodeWrongOrg, "该任务不属于您的单位")
	case t.recused(a):
		return refuse(apperr.KindForbidden, CodeRecused, "专家须回避本单位项目")
	}
	return OwnAct(a, t.SubmittedBy)
}

// OwnAct refuses (separation of duties, MLPS 2.0) an act of a on something a submitted or
// recorded: submittedBy lists who did. Payments use it directly: who recorded a payment may
// not confirm it.
func OwnAct(a domain.Actor, submittedBy []string) error {
	if a.ID != "" && slices.Contains(submittedBy, a.ID) {
		return refuse(apperr.KindForbidden, CodeSeparationOfDuties, "不能审核、决定或确认本人提交或登记的事项（职责分离）")
	}
	return nil
}

// IsRefusal reports whether err is a refusal of ActOnTask, OwnAct or CheckRoles with code.
func IsRefusal(err error, code string) bool {
	r, ok := domain.AsRefusal(err)
	return ok && r.Code == code
}
