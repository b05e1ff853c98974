package main

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"egovpm/internal/apperr"
	"egovpm/internal/authz"
	"egovpm/internal/domain"
	"egovpm/internal/store"
	"egovpm/internal/text"
	"egovpm/workflows"
)

type withdrawReq struct {
	Reason string `json:"reason" validate:"max=2000"`
}

// withdrawable reports whether project p, with its open tasks, may be withdrawn (撤回, issue
// 19): it waits for preliminary review (R3) and nobody has claimed that task. The workflow
// checks the rest (the task given by 转办 or being decided; its version).
func withdrawable(p store.Project, tasks []store.Task) bool {
	if p.Stage != string(domain.StagePrelimReview) {
		return false
	}
	for _, t := range tasks {
		if t.Kind == string(domain.TaskPrelimReview) {
			return !t.AssigneeID.Valid || t.AssigneeID.String == ""
		}
	}
	return false
}

// canWithdraw is what the project page shows the actor: whether they may withdraw p now.
func canWithdraw(a domain.Actor, p store.Project, tasks []store.Task) bool {
	return authz.CanProject(a, authz.ProjectSubmit, authz.Project{UnitID: p.UnitID, Visible: true}) == nil && withdrawable(p, tasks)
}

// withdrawProject withdraws a submitted project before the first decision (撤回): its unit's
// submitter, with an optional reason. The lifecycle cancels the prelim task and puts the
// project back in draft with the next round; POST …/submit sends it again (R3; past the R2
// deadline only as a special request, R8). 409 withdraw_too_late once the prelim task is
// claimed or decided.
func (s *Server) withdrawProject(c *gin.Context) {
	p, ok := s.loadProject(c, authz.ProjectSubmit)
	if !ok {
		return
	}
	var req withdrawReq
	if c.Request.ContentLength > 0 {
		if err := bindJSON(c, &req); err != nil {
			respondError(c, err)
			return
		}
	}
	req.Reason = text.Trim(req.Reason)
	tasks, err := s.store.OpenTasksOfProject(c.Request.Context(), p.ID)
	if err != nil {
		respondError(c, err)
		return
	}
	var tooLate error
	if !withdrawable(p, tasks) {
		tooLate = apperr.Conflict(workflows.CodeWithdrawTooLate, "初审已开始或已作出决定，不能撤回")
	}
	s.projectUpdate(c, p, workflows.UpdateWithdraw, req, tooLate, func(requestID, hash string) any {
		return workflows.WithdrawUpdate{Actor: mustActor(c), Reason: req.Reason, RequestID: requestID, RequestHash: hash}
	})
}

// withdrawn reports whether draft p was withdrawn (撤回): its lifecycle runs and it is in a later
// round (a first submission records round 1 before its lifecycle starts).
func withdrawn(p store.Project) bool {
	return p.Stage == string(domain.StageDraft) && p.WorkflowID.Valid && p.Round > 1
}

// resubmitWithdrawn sends withdrawn project p again: to preliminary review before the R2
// deadline of its pinned policy (R3), after it only as a special request with its
// special_request document (R8; submissionTerms refuses deadline_passed without).
func (s *Server) resubmitWithdrawn(c *gin.Context, p store.Project) {
	ctx := c.Request.Context()
	_, special, err := s.submissionTerms(ctx, p)
	if err != nil {
		respondError(c, err)
		return
	}
	if special && !p.SpecialRequest {
		if err := s.store.MarkSpecialRequest(ctx, p.ID); err != nil {
			respondError(c, err)
			return
		}
	}
	a := mustActor(c)
	res, err := s.update(c, workflows.ProjectWorkflowID(p.ID), workflows.UpdateResubmit, updateID(c, "resubmit:"+p.ID),
		workflows.ResubmitUpdate{Actor: a, RequestID: c.GetString(ctxRequestID), Special: special})
	if err != nil {
		respondError(c, err)
		return
	}
	c.JSON(http.StatusOK, res)
}

// projectUpdate sends Update name of the request req to p's lifecycle, keyed by the request's
// Idempotency-Key, and answers it; body builds the Update from the request id and req's hash.
// refused, when not nil, is why the project cannot take the Update now (the gateway's
// precheck): the resend of a keyed request that went through before is answered its first
// answer (answerResent), anything else the refusal.
func (s *Server) projectUpdate(c *gin.Context, p store.Project, name string, req any, refused error,
	body func(requestID, hash string) any) {
	id, hash := updateID(c, name+":"+p.ID), requestHash(c, req)
	if refused != nil {
		if !s.answerResent(c, p, id, hash) {
			respondError(c, refused)
		}
		return
	}
	res, err := s.update(c, workflows.ProjectWorkflowID(p.ID), name, id, body(c.GetString(ctxRequestID), hash))
	if err != nil {
		respondError(c, err)
		return
	}
	c.JSON(http.StatusOK, res)
}

// closedRefusal is 409 project_closed (with msg) when p's lifecycle no longer runs, else nil.
func closedRefusal(p store.Project, msg string) error {
	if running(p) {
		return nil
	}
	return apperr.Conflict(workflows.CodeProjectClosed, msg)
}

// answerResent answers a project Update (withdraw, terminate, termination request) resent with
// its Idempotency-Key after it went through and the project moved on: the first answer, or 409
// idempotency_key_reused for another body. It reports whether it answered.
func (s *Server) answerResent(c *gin.Context, p store.Project, id, hash string) bool {
	if !p.WorkflowID.Valid {
		return false
	}
	return s.answerResentTo(c, workflows.ProjectWorkflowID(p.ID), id, hash)
}

// answerResentTo is answerResent for an Update of workflow workflowID (撤回决定 names the
// task's workflow).
func (s *Server) answerResentTo(c *gin.Context, workflowID, id, hash string) bool {
	if c.GetHeader("Idempotency-Key") == "" {
		return false
	}
	var res workflows.DecideResult
	found, err := s.priorOutcome(c, workflowID, id, &res)
	if !found {
		return false
	}
	if err = sameRequest(hash, &res, err); err != nil {
		respondError(c, err)
		return true
	}
	res.RequestHash = ""
	c.JSON(http.StatusOK, res)
	return true
}
