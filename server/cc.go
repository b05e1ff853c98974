package main

import (
	"errors"

	"github.com/gin-gonic/gin"

	"egovpm/internal/apperr"
	"egovpm/internal/audit"
	"egovpm/internal/domain"
	"egovpm/internal/store"
	"egovpm/internal/text"
)

// checkCC refuses, before the decision is sent, a CC (抄送, issue 19 item 6) that cannot be
// made: a bundle's approval (no one project to read), a person who does not exist or is
// disabled, an org that does not exist (400, nothing decided).
func (s *Server) checkCC(c *gin.Context, t store.Task, req decisionReq) error {
	if len(req.CCUserIDs) == 0 && len(req.CCOrgIDs) == 0 {
		return nil
	}
	if !t.ProjectID.Valid {
		return apperr.Invalid(map[string]string{"cc_user_ids": "打捆项目建议书的审批不能抄送"})
	}
	ctx := c.Request.Context()
	for _, id := range req.CCUserIDs {
		u, err := s.store.UserByID(ctx, id)
		if errors.Is(err, store.ErrNotFound) || (err == nil && u.Disabled) {
			return apperr.Invalid(map[string]string{"cc_user_ids": "抄送对象不存在或已停用：" + id})
		}
		if err != nil {
			return err
		}
	}
	for _, id := range req.CCOrgIDs {
		_, err := s.store.Org(ctx, id)
		if errors.Is(err, store.ErrNotFound) {
			return apperr.Invalid(map[string]string{"cc_org_ids": "抄送机构不存在：" + id})
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// ccDecision records the CC of a decision that was applied (store.CCDecision: who may now
// read the project, their notifications, the `decision.cc` audit row) and mails the
// notifications. A resend of the decision with its Idempotency-Key records nothing twice, and
// finishes a CC that a failure after the decision left undone.
func (s *Server) ccDecision(c *gin.Context, t store.Task, req decisionReq) error {
	if len(req.CCUserIDs) == 0 && len(req.CCOrgIDs) == 0 {
		return nil
	}
	a := mustActor(c)
	users, err := s.store.CCDecision(c.Request.Context(), store.CC{TaskID: t.ID, ProjectID: t.ProjectID.String,
		By: a.ID, Decider: a.Name, Decision: domain.DecisionNames[req.Decision], Comment: text.Trim(req.Comment),
		UserIDs: req.CCUserIDs, OrgIDs: req.CCOrgIDs,
		Audit: audit.Entry{ActorID: a.ID, OrgID: a.OrgID, Action: "decision.cc", ObjectType: "project", ObjectID: t.ProjectID.String,
			Outcome: "ok", RequestID: c.GetString(ctxRequestID), ClientIP: c.ClientIP(),
			Detail: map[string]any{"task_id": t.ID, "decision": req.Decision, "user_ids": req.CCUserIDs, "org_ids": req.CCOrgIDs}}})
	if err != nil {
		return err
	}
	if len(users) > 0 {
		s.mailNotifications("cc:" + t.ID)
	}
	return nil
}
