package main

import (
	"errors"
	"net/http"

	"github.com/gin-gonic/gin"

	"egovpm/internal/apperr"
	"egovpm/internal/authz"
	"egovpm/internal/domain"
	"egovpm/internal/store"
	"egovpm/internal/text"
	"egovpm/workflows"
)

type delegateReq struct {
	AssigneeID string `json:"assignee_id" validate:"required,max=64"`
	Reason     string `json:"reason" validate:"required,nonblank,max=2000"`
}

// delegateTask is POST /api/v1/tasks/{id}/delegate (委派, issue 19 item 6): the task's assignee
// hands it to a colleague who may act on it (authz.ActOnTask: the task's role and org, not
// recused, not who submitted what it decides on), who decides it. Like 转办 it is an Update of
// the task's workflow (task-delegate; a project's lifecycle only: a bundle's approval is 422
// delegate_not_supported), audited task.delegate and notified to the colleague; the read model
// keeps the delegator, who lists the task with GET /tasks?status=delegated and sees it decided.
func (s *Server) delegateTask(c *gin.Context) {
	var req delegateReq
	if err := bindJSON(c, &req); err != nil {
		respondError(c, err)
		return
	}
	req.Reason = text.Trim(req.Reason)
	t, ok := s.loadTask(c, authz.TaskDelegate)
	if !ok {
		return
	}
	ctx := c.Request.Context()
	notEligible := func(why, code string) {
		respondError(c, apperr.Rule("assignee_not_eligible", "委派对象不能办理该任务："+why).WithExtra("reason", code))
	}
	if !t.ProjectID.Valid {
		respondError(c, apperr.Rule("delegate_not_supported", "打捆项目建议书的审批不能委派"))
		return
	}
	u, err := s.store.UserByID(ctx, req.AssigneeID)
	switch {
	case errors.Is(err, store.ErrNotFound) || (err == nil && u.Disabled):
		notEligible("用户不存在或已停用", "no_such_user")
		return
	case err != nil:
		respondError(c, err)
		return
	}
	a := mustActor(c)
	if u.ID == a.ID {
		respondError(c, apperr.Conflict("already_assigned", "该任务已由您本人办理"))
		return
	}
	assignee := domain.Actor{ID: u.ID, OrgID: u.OrgID, Roles: u.Roles, Name: u.Name}
	f := authzTask(t).Facts()
	f.AssigneeID = ""
	if err := authz.ActOnTask(assignee, f); err != nil {
		r, _ := domain.AsRefusal(err)
		notEligible(r.Message, r.Code)
		return
	}
	_, err = s.update(c, t.WorkflowID, workflows.UpdateReassign, updateID(c, "delegate:"+t.ID), workflows.ReassignUpdate{
		TaskID: t.ID, Actor: a, Assignee: assignee, From: a.ID, Reason: req.Reason, Delegate: true,
		RequestID: c.GetString(ctxRequestID)})
	if err != nil {
		respondError(c, err)
		return
	}
	t, err = s.store.Task(ctx, t.ID)
	if err != nil {
		respondError(c, err)
		return
	}
	c.JSON(http.StatusOK, toTaskJSON(t))
}
