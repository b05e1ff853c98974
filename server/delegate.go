package main

import (
	"github.com/gin-gonic/gin"

	"egovpm/internal/apperr"
	"egovpm/internal/authz"
)

// delegateReq is 委派's body, the same as 转办's (ReassignRequest in openapi.yaml).
type delegateReq = reassignReq

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
	t, ok := s.loadTask(c, authz.TaskDelegate)
	if !ok {
		return
	}
	if !t.ProjectID.Valid {
		respondError(c, apperr.Rule("delegate_not_supported", "打捆项目建议书的审批不能委派"))
		return
	}
	s.handOver(c, t, req.AssigneeID, req.Reason, true)
}
