package main

import (
	"github.com/gin-gonic/gin"

	"egovpm/internal/authz"
	"egovpm/internal/domain"
	"egovpm/internal/store"
	"egovpm/workflows"
)

// termRequestReq is the unit's termination request (终止申请): the reason.
type termRequestReq struct {
	Reason string `json:"reason" validate:"max=2000"`
}

// canRequestTermination is what the project page shows the actor: p's own unit submitter may
// ask DRB to terminate it (终止申请) while its lifecycle runs and no request of it waits for
// DRB's decision (an open termination_review task).
func canRequestTermination(a domain.Actor, p store.Project, tasks []store.Task) bool {
	for _, t := range tasks {
		if t.Kind == string(domain.TaskTerminationReview) {
			return false
		}
	}
	return authz.CanProject(a, authz.ProjectDeliver, authz.Project{UnitID: p.UnitID, Visible: true}) == nil && running(p)
}

// requestTermination is the unit's own 终止申请 (issue 19 item 4): its submitter asks, with a
// reason, and the lifecycle opens a termination_review task for DRB, decided from 待办
// (approve closes the project as DRB's terminate does, reject keeps it going). 409
// termination_request_pending while one waits, project_closed once the project has closed
// (unless the request is the resend, with its Idempotency-Key, of one answered before).
func (s *Server) requestTermination(c *gin.Context) {
	p, ok := s.loadProject(c, authz.ProjectDeliver)
	if !ok {
		return
	}
	var req termRequestReq
	if !bindWithReason(c, &req, &req.Reason, "请填写终止理由") {
		return
	}
	s.projectUpdate(c, p, workflows.UpdateTerminationRequest, req, closedRefusal(p, "项目已关闭或尚未提交，不能申请终止"),
		func(requestID, hash string) any {
			return workflows.TerminationRequestUpdate{Actor: mustActor(c), Reason: req.Reason, RequestID: requestID, RequestHash: hash}
		})
}
