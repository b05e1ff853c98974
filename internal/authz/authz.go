// Package authz is the one authorization policy of egovpm: it answers "may actor A do action X
// on object O" from role, org ownership, task candidacy/assignment and the recusal rule (R4).
// Every handler asks it; none hand-rolls its own check.
//
// Objects the actor may not see answer 404 (not 403), so ids cannot be probed.
package authz

import (
	"egovpm/internal/apperr"
	"egovpm/internal/domain"
)

// Action is something an actor does to an object.
type Action string

// The actions.
const (
	ProjectRead     Action = "project.read"
	ProjectEdit     Action = "project.edit"
	ProjectSubmit   Action = "project.submit"
	ProjectDeliver  Action = "project.deliver"
	DocumentUpload  Action = "document.upload"
	TaskRead        Action = "task.read"
	TaskClaim       Action = "task.claim"
	TaskDecide      Action = "task.decide"
	PlanManage      Action = "plan.manage"
	AuditRead       Action = "audit.read"
	OrgUserManage   Action = "admin.manage"
	DirectoryRead   Action = "directory.read"
	ProjectListAll  Action = "project.list_all"
	NotificationOwn Action = "notification.own"
)

// Project is what the policy needs of a project.
type Project struct {
	UnitID string
	// Involved: the actor has (or had) a task on this project.
	Involved bool
}

// Task is what the policy needs of a task.
type Task struct {
	CandidateRole  string
	CandidateOrgID string
	AssigneeID     string
	ProjectUnitID  string
	Open           bool
	DecidedBy      string
}

var seeAll = []string{domain.RoleDRBReviewer, domain.RoleDRBSupervisor, domain.RoleAudit, domain.RoleAdmin,
	domain.RoleNDRCApprover, domain.RoleCityGovApprover, domain.RoleFinance, domain.RoleCrypto, domain.RolePRTAWitness}

func hasAny(a domain.Actor, roles []string) bool {
	for _, r := range roles {
		if a.Has(r) {
			return true
		}
	}
	return false
}

// SeesAllProjects reports whether the actor may list every unit's projects.
func SeesAllProjects(a domain.Actor) bool { return hasAny(a, seeAll) }

// SeesUnitInLists reports whether a list shown to the actor (e.g. R16 similar projects) may
// name a project of unitID: reviewers (who see all, and experts, who review across units) may;
// a unit sees only its own.
func SeesUnitInLists(a domain.Actor, unitID string) bool {
	return SeesAllProjects(a) || a.Has(domain.RoleExpert) || a.OrgID == unitID
}

var (
	errNotFound  = apperr.NotFound("项目")
	errForbidden = apperr.Forbidden("forbidden", "无权执行此操作")
)

// CanProject decides project actions.
func CanProject(a domain.Actor, act Action, p Project) error {
	own := a.Has(domain.RoleSubmitter) && a.OrgID == p.UnitID
	visible := own || SeesAllProjects(a) || (a.Has(domain.RoleExpert) && p.Involved && a.OrgID != p.UnitID)
	if !visible {
		return errNotFound
	}
	switch act {
	case ProjectRead:
		return nil
	case ProjectEdit, ProjectSubmit, DocumentUpload, ProjectDeliver:
		if own {
			return nil
		}
		return errForbidden
	}
	return errForbidden
}

// CanTask decides task actions. Tasks the actor is not a candidate for, nor assigned to, nor
// decided, are invisible (404).
func CanTask(a domain.Actor, act Action, t Task) error {
	candidate := a.Has(t.CandidateRole) && (t.CandidateOrgID == "" || t.CandidateOrgID == a.OrgID)
	recused := t.CandidateRole == domain.RoleExpert && t.ProjectUnitID != "" && a.OrgID == t.ProjectUnitID
	assignedToMe := t.AssigneeID == a.ID
	assignedToOther := t.AssigneeID != "" && !assignedToMe
	// A closed task stays visible to its candidates, so a lost race answers 409, not 404.
	visible := (candidate && !recused && (!assignedToOther || !t.Open || a.Has(domain.RoleDRBSupervisor))) || assignedToMe ||
		(t.DecidedBy != "" && t.DecidedBy == a.ID)
	if !visible {
		return apperr.NotFound("任务")
	}
	switch act {
	case TaskRead:
		return nil
	case TaskClaim, TaskDecide:
		if recused { // R4
			return apperr.Forbidden("recused", "专家须回避本单位项目")
		}
		if !t.Open {
			return apperr.Conflict("stale_task", "该任务已处理或已失效")
		}
		if assignedToOther {
			return apperr.Forbidden("not_assignee", "该任务已分配给其他人")
		}
		if !candidate && !assignedToMe {
			return errForbidden
		}
		return nil
	}
	return errForbidden
}
