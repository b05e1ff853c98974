package workflows

import (
	"go.temporal.io/sdk/workflow"

	"egovpm/internal/authz"
	"egovpm/internal/domain"
	"egovpm/internal/text"
)

// validateReassign checks a reassignment (转办) against the state: the task is open and no
// decision on it is queued, and checkReassign.
func (l *lifecycle) validateReassign(u ReassignUpdate) error {
	t, ok := l.findTask(u.TaskID)
	if !ok {
		return errStale()
	}
	if l.deciding[u.TaskID] {
		return errDuplicate()
	}
	if u.Deputy && !l.deputizable {
		return domain.Refuse(domain.StatusConflict, "deputy_unsupported", "该流程版本不支持代理")
	}
	if err := checkReassign(u, l.facts(t, true)); err != nil {
		return err
	}
	if t.Kind == domain.TaskExpertReview {
		for _, e := range l.st.Panel {
			if e.ID == u.Assignee.ID {
				return domain.RefuseWith(domain.StatusUnprocessable, "assignee_not_eligible", "转办对象已在本项目专家组中",
					map[string]any{"reason": "on_panel"})
			}
		}
	}
	return nil
}

// checkReassign is what every reassignment of open task f needs: a DRB supervisor (for a
// delegation, 委派: the task's assignee), a reason, and a new assignee who is not its assignee
// already and could act on it (authz.ActOnTask: its role and org, not recused, not who
// submitted what it decides on). An expert review also needs an expert not on the panel (the
// lifecycle checks it).
func checkReassign(u ReassignUpdate, f authz.TaskFacts) error {
	switch {
	case u.Deputy && ((f.AssigneeID != "" && f.AssigneeID != u.From) || u.From == "" || u.Assignee.ID != u.Actor.ID):
		return domain.Refuse(domain.StatusConflict, "deputy_not_assignee", "该任务已不由请假人办理，不能代理")
	case u.Deputy:
		// The absence and a claim are the read model's (the gateway checks that the absent
		// user holds the task there): here the task is held by no one else, and the deputy must be
		// someone who could decide the task himself (its role and org, not recused, separation
		// of duties), checked below as the new assignee.
	case u.Delegate && f.AssigneeID != "" && f.AssigneeID != u.Actor.ID:
		return domain.Refuse(domain.StatusForbidden, "delegate_not_assignee", "只有任务的办理人可以委派，请先签收")
	case u.Delegate:
		// A claim is the read model's (the gateway checks it): here the delegator must be
		// someone who could decide the task himself.
		if err := authz.ActOnTask(u.Actor, f); err != nil {
			return err
		}
	case !u.Actor.Has(domain.RoleDRBSupervisor):
		return domain.Refuse(domain.StatusForbidden, "forbidden", "只有市数管局督办人可以转办")
	}
	if text.Blank(u.Reason) {
		return domain.Refuse(domain.StatusBadRequest, "invalid_input", "转办须说明理由")
	}
	if f.AssigneeID == u.Assignee.ID {
		return domain.Refuse(domain.StatusConflict, "already_assigned", "该任务已由此人办理")
	}
	f.AssigneeID = ""
	if err := authz.ActOnTask(u.Assignee, f); err != nil {
		r, _ := domain.AsRefusal(err)
		return domain.RefuseWith(domain.StatusUnprocessable, "assignee_not_eligible", "转办对象不能办理该任务："+r.Message,
			map[string]any{"reason": r.Code})
	}
	return nil
}

// reassignNotices are the notifications of a reassignment of taskID about subject: to the new
// assignee, and to the previous one (from) when there was one.
func reassignNotices(u ReassignUpdate, taskID, from, subject string) []domain.Notice {
	out := []domain.Notice{{Kind: "task_reassigned", Title: "转办待办：" + subject, Body: u.Reason, UserID: u.Assignee.ID, TaskID: taskID}}
	if from != "" && from != u.Assignee.ID {
		out = append(out, domain.Notice{Kind: "task_reassigned_away", Title: "待办已转办他人：" + subject, Body: u.Reason,
			UserID: from, TaskID: taskID})
	}
	return out
}

// deputyNotices is the notification of a takeover (代理) of taskID to the absent assignee.
func deputyNotices(u ReassignUpdate, taskID, subject string) []domain.Notice {
	return []domain.Notice{{Kind: "task_deputized", Title: "待办已由代理人办理：" + subject, Body: u.Actor.Name + " 代理：" + u.Reason,
		UserID: u.From, TaskID: taskID}}
}

// delegateNotices is the notification of a delegation (委派) of taskID to its new assignee.
func delegateNotices(u ReassignUpdate, taskID, subject string) []domain.Notice {
	return []domain.Notice{{Kind: "task_delegated", Title: "委派待办：" + subject, Body: u.Actor.Name + " 委派您办理：" + u.Reason,
		UserID: u.Assignee.ID, TaskID: taskID}}
}

// reassignTask checks a reassignment again and moves the task to the new assignee
// (task-reassign): the workflow holds the assignee, so from now on only they may decide it; the
// read model, the audit row (who, from whom, to whom, why) and the notifications of both are
// one transition.
func (l *lifecycle) reassignTask(ctx workflow.Context, u ReassignUpdate) (DecideResult, error) {
	if err := l.validateReassign(u); err != nil {
		return DecideResult{}, err
	}
	if version(ctx, "task-reassign", 1) == workflow.DefaultVersion {
		return DecideResult{}, domain.Refuse(domain.StatusConflict, "reassign_unsupported", "该流程版本不支持转办")
	}
	if u.Delegate && version(ctx, "task-delegate", 1) == workflow.DefaultVersion {
		return DecideResult{}, domain.Refuse(domain.StatusConflict, "delegate_unsupported", "该流程版本不支持委派")
	}
	i := -1
	for j := range l.st.OpenTasks {
		if l.st.OpenTasks[j].ID == u.TaskID {
			i = j
		}
	}
	t := &l.st.OpenTasks[i]
	from := t.AssigneeID
	if from == "" {
		from = u.From
	}
	assign, notify, action := domain.TaskAssign{TaskID: t.ID, AssigneeID: u.Assignee.ID}, reassignNotices(u, t.ID, from, l.in.Name), "task.reassign"
	if u.Delegate {
		assign.DelegatedBy, notify, action = u.Actor.ID, delegateNotices(u, t.ID, l.in.Name), "task.delegate"
	}
	if u.Deputy {
		notify, action = deputyNotices(u, t.ID, l.in.Name), "task.deputize"
	}
	err := l.apply(ctx, transition{
		assign: []domain.TaskAssign{assign},
		notify: notify,
		audit: l.auditBy(u.Actor, action, map[string]any{"task_id": t.ID, "kind": string(t.Kind), "from": from,
			"to": u.Assignee.ID, "reason": u.Reason}, u.RequestID),
	})
	if err != nil {
		return DecideResult{}, err
	}
	if t.Kind == domain.TaskExpertReview {
		for j := range l.st.Panel {
			if l.st.Panel[j].ID == t.AssigneeID {
				l.st.Panel[j] = ExpertRef{ID: u.Assignee.ID, OrgID: u.Assignee.OrgID}
			}
		}
	}
	t.AssigneeID = u.Assignee.ID
	return DecideResult{TaskID: t.ID, Decision: "reassign", Stage: l.st.Stage}, nil
}
