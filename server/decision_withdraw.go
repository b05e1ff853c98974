package main

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"egovpm/internal/apperr"
	"egovpm/internal/authz"
	"egovpm/internal/domain"
	"egovpm/internal/store"
	"egovpm/workflows"
)

type withdrawDecisionReq struct {
	Reason string `json:"reason" validate:"max=2000"`
}

// decisionJSON is the decision the actor may withdraw on the project page (撤回决定).
type decisionJSON struct {
	TaskID   string `json:"task_id"`
	Kind     string `json:"kind"`
	Decision string `json:"decision"`
}

// withdrawableDecision is the project's last decision when the actor made it and may
// withdraw it now as far as the read model tells (the workflow has the last word), else nil.
func (s *Server) withdrawableDecision(c *gin.Context, p store.Project) (*decisionJSON, error) {
	a := mustActor(c)
	if !p.WorkflowID.Valid || domain.Stage(p.Stage).Terminal() || !(a.Has(domain.RoleDRBReviewer) || a.Has(domain.RolePRTAWitness)) {
		return nil, nil
	}
	ctx := c.Request.Context()
	t, found, err := s.store.LastDecision(ctx, p.ID)
	if err != nil || !found || t.DecidedBy.String != a.ID || !workflows.WithdrawableDecision(domain.TaskKind(t.Kind), t.Decision.String) ||
		p.Stage == string(domain.StageOM) {
		return nil, err
	}
	started, err := s.store.DecisionFollowedUp(ctx, t)
	if err != nil || started {
		return nil, err
	}
	return &decisionJSON{TaskID: t.ID, Kind: t.Kind, Decision: t.Decision.String}, nil
}

// withdrawDecision is a reviewer's 撤回决定 of his own decision on a task, with a reason, while
// the next step has not started (issue 19 item 2): 403 decision_not_own for anyone else's,
// 409 decision_not_withdrawable for a kind that cannot be, 409 withdraw_too_late once a task
// opened since is claimed or decided, or the project joined an expert session; the lifecycle
// checks the rest and undoes the decision (the task reopens assigned to him).
func (s *Server) withdrawDecision(c *gin.Context) {
	t, ok := s.loadTask(c, authz.TaskWithdrawDecision)
	if !ok {
		return
	}
	var req withdrawDecisionReq
	if !bindWithReason(c, &req, &req.Reason, "请填写撤回理由") {
		return
	}
	if !t.ProjectID.Valid || !workflows.WithdrawableDecision(domain.TaskKind(t.Kind), t.Decision.String) {
		respondError(c, apperr.Conflict(workflows.CodeDecisionNotWithdrawable,
			"该决定不能撤回：只可撤回初审的通过或退回，以及验收审查、签署、见证的决定（使项目进入运维的除外）"))
		return
	}
	id := updateID(c, workflows.UpdateWithdrawDecision+":"+t.ID)
	started, err := s.store.DecisionFollowedUp(c.Request.Context(), t)
	if err != nil {
		respondError(c, err)
		return
	}
	if started {
		if s.answerResentTo(c, t.WorkflowID, id, requestHash(c, req)) {
			return
		}
		respondError(c, apperr.Conflict(workflows.CodeWithdrawTooLate, "后续环节已开始，不能撤回该决定"))
		return
	}
	res, err := s.update(c, t.WorkflowID, workflows.UpdateWithdrawDecision, id, workflows.WithdrawDecisionUpdate{
		TaskID: t.ID, Actor: mustActor(c), Reason: req.Reason, RequestID: c.GetString(ctxRequestID), RequestHash: requestHash(c, req)})
	if err != nil {
		respondError(c, err)
		return
	}
	c.JSON(http.StatusOK, res)
}
