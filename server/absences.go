package main

import (
	"errors"
	"net/http"
	"slices"
	"time"

	"github.com/gin-gonic/gin"

	"egovpm/internal/apperr"
	"egovpm/internal/authz"
	"egovpm/internal/calendar"
	"egovpm/internal/domain"
	"egovpm/internal/store"
	"egovpm/internal/text"
	"egovpm/workflows"
)

// deputyRoles are the roles that act on tasks: a deputy (代理人) shares one of them with the
// absent user.
var deputyRoles = []string{domain.RoleDRBReviewer, domain.RoleDRBSupervisor, domain.RoleExpert, domain.RoleNDRCApprover,
	domain.RoleCityGovApprover, domain.RolePRTAWitness, domain.RoleFinance, domain.RoleCrypto}

// maxAbsence is the longest absence one record covers.
const maxAbsence = 366 * 24 * time.Hour

type absenceReq struct {
	UserID   string `json:"user_id" validate:"max=64"`
	DeputyID string `json:"deputy_id" validate:"required,max=64"`
	StartsAt string `json:"starts_at" validate:"max=64"`
	EndsAt   string `json:"ends_at" validate:"required,max=64"`
	Reason   string `json:"reason" validate:"max=2000"`
}

// sharedTaskRoles are the task roles both a and b hold.
func sharedTaskRoles(a, b []string) []string {
	var out []string
	for _, r := range deputyRoles {
		if slices.Contains(a, r) && slices.Contains(b, r) {
			out = append(out, r)
		}
	}
	return out
}

// absenceSubject is whose absence the caller sets or reads: himself, or (an administrator)
// anyone (user_id); 403 for someone else's otherwise.
func absenceSubject(a domain.Actor, userID string) (string, error) {
	if userID == "" || userID == a.ID {
		return a.ID, nil
	}
	if !a.Has(domain.RoleAdmin) {
		return "", apperr.Forbidden("forbidden", "只有本人或系统管理员可以设置代理人")
	}
	return userID, nil
}

// parseAbsencePeriod reads the period of req (starts_at empty: now) and checks it: ends after
// it starts and after now, at most a year long.
func parseAbsencePeriod(req absenceReq, now time.Time) (time.Time, time.Time, error) {
	fields := map[string]string{}
	starts := now
	if req.StartsAt != "" {
		var err error
		if starts, err = time.Parse(time.RFC3339, req.StartsAt); err != nil {
			fields["starts_at"] = "开始时间须为 RFC 3339 时间"
		}
	}
	ends, err := time.Parse(time.RFC3339, req.EndsAt)
	if err != nil {
		fields["ends_at"] = "结束时间须为 RFC 3339 时间"
	}
	switch {
	case len(fields) > 0:
	case !ends.After(starts) || !ends.After(now):
		fields["ends_at"] = "结束时间须晚于开始时间和当前时间"
	case ends.Sub(starts) > maxAbsence:
		fields["ends_at"] = "一次请假最长一年"
	}
	if len(fields) > 0 {
		return starts, ends, apperr.Invalid(fields)
	}
	return starts, ends, nil
}

// createAbsence is POST /api/v1/absences (代理人, issue 19 item 6): the user himself (or an
// administrator, for anyone) records an absence with a standing deputy: an active user of the
// same org sharing a role that acts on tasks, not the user; one absence of a user at a time
// (409 absence_overlaps). Audited absence.create.
func (s *Server) createAbsence(c *gin.Context) {
	var req absenceReq
	if err := bindJSON(c, &req); err != nil {
		respondError(c, err)
		return
	}
	a := mustActor(c)
	who, err := absenceSubject(a, req.UserID)
	if err != nil {
		respondError(c, err)
		return
	}
	starts, ends, err := parseAbsencePeriod(req, s.now())
	if err != nil {
		respondError(c, err)
		return
	}
	ctx := c.Request.Context()
	u, err := s.store.UserByID(ctx, who)
	if errors.Is(err, store.ErrNotFound) {
		respondError(c, apperr.Invalid(map[string]string{"user_id": "用户不存在"}))
		return
	} else if err != nil {
		respondError(c, err)
		return
	}
	d, err := s.store.UserByID(ctx, req.DeputyID)
	notEligible := func(msg string) {
		respondError(c, apperr.Rule("deputy_not_eligible", "代理人不符合要求："+msg))
	}
	switch {
	case errors.Is(err, store.ErrNotFound) || (err == nil && d.Disabled):
		notEligible("用户不存在或已停用")
		return
	case err != nil:
		respondError(c, err)
		return
	case d.ID == u.ID:
		notEligible("不能指定本人")
		return
	case d.OrgID != u.OrgID || len(sharedTaskRoles(u.Roles, d.Roles)) == 0:
		notEligible("须为同一单位、具有相同办理角色的人员")
		return
	}
	ab := store.Absence{ID: newID("ab-"), UserID: u.ID, UserName: u.Name, DeputyID: d.ID, DeputyName: d.Name,
		StartsAt: starts, EndsAt: ends, Reason: text.Trim(req.Reason), CreatedBy: a.ID}
	err = s.store.CreateAbsence(ctx, ab, func(tx *store.Tx) error {
		return s.audit(c, tx, "absence.create", "user", u.ID, "ok", map[string]any{"absence_id": ab.ID, "deputy_id": d.ID,
			"starts_at": starts, "ends_at": ends, "reason": ab.Reason})
	})
	s.respondAbsence(c, http.StatusCreated, ab.ID, err)
}

// respondAbsence answers a write of absence id whose store call returned err: an overlap is
// 409 absence_overlaps, another error as respondError maps it; else the absence as it is now,
// with status.
func (s *Server) respondAbsence(c *gin.Context, status int, id string, err error) {
	if errors.Is(err, store.ErrAbsenceOverlaps) {
		err = apperr.Conflict("absence_overlaps", "该时间段与已设置的请假时间重叠，请先结束原请假")
	}
	var ab store.Absence
	if err == nil {
		ab, err = s.store.Absence(c.Request.Context(), id)
	}
	if err != nil {
		respondError(c, err)
		return
	}
	c.JSON(status, ab)
}

// listAbsences is GET /api/v1/absences: the absences not ended and not past where the caller
// is the absent user or the deputy; an administrator's lists everyone's.
func (s *Server) listAbsences(c *gin.Context) {
	a := mustActor(c)
	who := a.ID
	if a.Has(domain.RoleAdmin) {
		who = ""
	}
	items, err := s.store.Absences(c.Request.Context(), who)
	if err != nil {
		respondError(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"items": items})
}

// endAbsence is POST /api/v1/absences/{id}/end: the absent user (or an administrator) ends it
// now; audited absence.end. Someone else's is 404 (its deputy's 403).
func (s *Server) endAbsence(c *gin.Context) {
	a := mustActor(c)
	ctx := c.Request.Context()
	ab, err := s.store.Absence(ctx, c.Param("id"))
	admin := a.Has(domain.RoleAdmin)
	switch {
	case errors.Is(err, store.ErrNotFound) || (err == nil && !admin && ab.UserID != a.ID && ab.DeputyID != a.ID):
		respondError(c, apperr.NotFound("请假记录"))
		return
	case err != nil:
		respondError(c, err)
		return
	case !admin && ab.UserID != a.ID:
		respondError(c, apperr.Forbidden("forbidden", "只有本人或系统管理员可以结束请假"))
		return
	}
	_, err = s.store.EndAbsence(ctx, ab.ID, func(tx *store.Tx) error {
		return s.audit(c, tx, "absence.end", "user", ab.UserID, "ok", map[string]any{"absence_id": ab.ID, "deputy_id": ab.DeputyID})
	})
	s.respondAbsence(c, http.StatusOK, ab.ID, err)
}

// listDeputies is GET /api/v1/absences/deputies?user_id=: who may stand in for the caller (or,
// for an administrator, user_id): active users of the same org sharing a role that acts on
// tasks.
func (s *Server) listDeputies(c *gin.Context) {
	a := mustActor(c)
	who, err := absenceSubject(a, c.Query("user_id"))
	if err != nil {
		respondError(c, err)
		return
	}
	ctx := c.Request.Context()
	u, err := s.store.UserByID(ctx, who)
	if errors.Is(err, store.ErrNotFound) {
		respondError(c, apperr.NotFound("用户"))
		return
	} else if err != nil {
		respondError(c, err)
		return
	}
	ds, err := s.store.Deputies(ctx, u.ID, u.OrgID, sharedTaskRoles(u.Roles, deputyRoles))
	if err != nil {
		respondError(c, err)
		return
	}
	items := make([]gin.H, 0, len(ds))
	for _, d := range ds {
		items = append(items, gin.H{"id": d.ID, "name": d.Name, "roles": d.Roles})
	}
	c.JSON(http.StatusOK, gin.H{"items": items})
}

// deputyOf is the absent user whose active deputy a is, when that user holds t (authz.Task's
// DeputyOf), else "".
func (s *Server) deputyOf(c *gin.Context, a domain.Actor, t store.Task) (string, store.Absence, error) {
	if !t.AssigneeID.Valid || t.AssigneeID.String == a.ID || t.Status != "open" {
		return "", store.Absence{}, nil
	}
	ab, err := s.store.ActiveAbsence(c.Request.Context(), t.AssigneeID.String)
	if errors.Is(err, store.ErrNotFound) || (err == nil && ab.DeputyID != a.ID) {
		return "", store.Absence{}, nil
	}
	return ab.UserID, ab, err
}

type deputizeReq struct {
	Comment string `json:"comment" validate:"max=2000"`
}

// deputizeTask is POST /api/v1/tasks/{id}/deputize (代理, issue 19 item 6): the standing deputy
// of the task's assignee, absent now, takes the task over and then decides it; the deputy must
// be able to act on it himself (authz.ActOnTask: role and org, recusal, separation of duties).
// It is the lifecycle's reassign Update with deputy set (task-deputy), audited task.deputize
// and told to the absent user; a bundle's approval is 422 deputy_not_supported.
func (s *Server) deputizeTask(c *gin.Context) {
	a := mustActor(c)
	t, err := s.taskOf(c)
	if errors.Is(err, store.ErrNotFound) {
		respondError(c, apperr.NotFound("任务"))
		return
	} else if err != nil {
		respondError(c, err)
		return
	}
	from, ab, err := s.deputyOf(c, a, t)
	if err != nil {
		respondError(c, err)
		return
	}
	at := authzTask(t)
	at.DeputyOf = from
	if err := authz.CanTask(a, authz.TaskDeputize, at); err != nil {
		s.respondRefusal(c, string(authz.TaskDeputize), "task", t.ID, err)
		return
	}
	var req deputizeReq
	if err := bindJSON(c, &req); err != nil {
		respondError(c, err)
		return
	}
	if !t.ProjectID.Valid {
		respondError(c, apperr.Rule("deputy_not_supported", "打捆项目建议书的审批不能由代理人代理"))
		return
	}
	reason := "代理" + ab.UserName + "（请假至 " + ab.EndsAt.In(calendar.Shanghai).Format("2006年1月2日 15:04")
	if ab.Reason != "" {
		reason += "，" + ab.Reason
	}
	reason += "）"
	if cm := text.Trim(req.Comment); cm != "" {
		reason += "：" + cm
	}
	_, err = s.update(c, t.WorkflowID, workflows.UpdateReassign, updateID(c, "deputize:"+t.ID), workflows.ReassignUpdate{
		TaskID: t.ID, Actor: a, Assignee: a, From: from, Reason: reason, Deputy: true, RequestID: c.GetString(ctxRequestID)})
	if err != nil {
		respondError(c, err)
		return
	}
	if t, err = s.store.Task(c.Request.Context(), t.ID); err != nil {
		respondError(c, err)
		return
	}
	c.JSON(http.StatusOK, toTaskJSON(t))
}
