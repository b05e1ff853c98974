// Package authz is the one authorization policy of egovpm: it answers "may actor A do action X
// on object O" from role, org ownership, task candidacy/assignment, the recusal rule (R4) and
// separation of duties (SPEC "Who uses it"). Every handler asks it, and the workflows ask it
// too (ActOnTask): it does no I/O. docs/AUTHZ.md is the table it implements, in the SPEC's
// terms.
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
	ProjectRead    Action = "project.read"
	ProjectEdit    Action = "project.edit"
	ProjectSubmit  Action = "project.submit"
	ProjectDeliver Action = "project.deliver"
	DocumentUpload Action = "document.upload"
	TaskRead       Action = "task.read"
	TaskClaim      Action = "task.claim"
	TaskDecide     Action = "task.decide"
	TaskReassign   Action = "task.reassign"
	TaskDelegate   Action = "task.delegate"
	// TaskDeputize is 代理 (issue 19 item 6): the standing deputy of the task's absent
	// assignee takes it over.
	TaskDeputize Action = "task.deputize"
	// TaskWithdrawDecision: 撤回决定, the decider's own decision (issue 19 item 2).
	TaskWithdrawDecision Action = "task.withdraw_decision"
	PlanManage           Action = "plan.manage"
	AuditRead            Action = "audit.read"
	OrgUserManage        Action = "admin.manage"
	DirectoryRead        Action = "directory.read"
	NotificationOwn      Action = "notification.own"
)

// Project is what the policy needs of a project.
type Project struct {
	UnitID string
	// Visible: one of the actor's grants reaches the project (the store decides it from the
	// actor's Reach, the same way for single reads and lists).
	Visible bool
}

var (
	errNotFound  = apperr.NotFound("项目")
	errForbidden = apperr.Forbidden("forbidden", "无权执行此操作")
)

// CanProject decides project actions: invisible projects are 404; only the owning unit's
// submitters change a project (edit, submit, upload, deliver, record payments).
func CanProject(a domain.Actor, act Action, p Project) error {
	if !p.Visible {
		return errNotFound
	}
	switch act {
	case ProjectRead:
		return nil
	case ProjectEdit, ProjectSubmit, DocumentUpload, ProjectDeliver:
		if a.Has(domain.RoleSubmitter) && a.OrgID == p.UnitID {
			return nil
		}
		return errForbidden
	}
	return errForbidden
}

// SeesAllTasks reports whether the actor reads every task: Audit (read-only over
// everything) and the DRB supervisor, to whom overdue tasks of every kind escalate (T2) and
// who reassigns them.
func SeesAllTasks(a domain.Actor) bool {
	return a.Has(domain.RoleAudit) || a.Has(domain.RoleDRBSupervisor)
}

// Task is what the policy needs of a task in the read model.
type Task struct {
	Kind           string
	CandidateRole  string
	CandidateOrgID string
	AssigneeID     string
	ProjectUnitID  string
	Open           bool
	DecidedBy      string
	// SubmittedBy are the people who submitted or recorded what the task decides on
	// (separation of duties).
	SubmittedBy []string
	// DeputyOf is the absent user whose active standing deputy (代理人, issue 19 item 6) the
	// caller is, when that user holds the task (the gateway fills it from the read model).
	DeputyOf string
}

// Facts is t as ActOnTask takes it.
func (t Task) Facts() TaskFacts {
	return TaskFacts{Kind: domain.TaskKind(t.Kind), CandidateRole: t.CandidateRole, CandidateOrgID: t.CandidateOrgID,
		AssigneeID: t.AssigneeID, ProjectUnitID: t.ProjectUnitID, Open: t.Open, SubmittedBy: t.SubmittedBy}
}

// CanTask decides task actions in the gateway. Tasks the actor is not a candidate for, nor
// assigned to, nor decided, are invisible (404), unless the actor reads every task
// (SeesAllTasks). Claiming and deciding are ActOnTask's to decide; reassigning is the DRB
// supervisor's, on an open task.
func CanTask(a domain.Actor, act Action, t Task) error {
	f := t.Facts()
	candidate := f.candidate(a) && !f.recused(a)
	assignedToMe := t.AssigneeID == a.ID
	assignedToOther := t.AssigneeID != "" && !assignedToMe
	// A closed task stays visible to its candidates, so a lost race answers 409, not 404.
	deputy := t.DeputyOf != "" && t.DeputyOf == t.AssigneeID
	visible := (candidate && (!assignedToOther || !t.Open)) || assignedToMe ||
		(t.DecidedBy != "" && t.DecidedBy == a.ID) || SeesAllTasks(a) || (deputy && t.Open)
	if !visible {
		return apperr.NotFound("任务")
	}
	switch act {
	case TaskRead:
		return nil
	case TaskClaim, TaskDecide:
		if err := ActOnTask(a, f); err != nil {
			return err
		}
		return nil
	case TaskDelegate:
		// 委派 (issue 19 item 6): the task's assignee, who may act on it himself.
		if !assignedToMe {
			return apperr.Forbidden("delegate_not_assignee", "只有任务的办理人可以委派，请先签收")
		}
		return ActOnTask(a, f)
	case TaskDeputize:
		// 代理 (issue 19 item 6): the absent assignee's deputy, who may act on it himself.
		if !deputy {
			return apperr.Forbidden("not_deputy", "只有任务办理人在请假期间的代理人可以代理")
		}
		if !t.Open {
			return StaleTask()
		}
		f.AssigneeID = ""
		return ActOnTask(a, f)
	case TaskWithdrawDecision:
		// 撤回决定 (issue 19 item 2): only who made the decision.
		if t.Open || t.DecidedBy == "" || t.DecidedBy != a.ID {
			return apperr.Forbidden("decision_not_own", "只有作出该决定的人可以撤回")
		}
		return nil
	case TaskReassign:
		if !a.Has(domain.RoleDRBSupervisor) {
			return errForbidden
		}
		if !t.Open {
			return StaleTask()
		}
		return nil
	}
	return errForbidden
}
