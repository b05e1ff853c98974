package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
	"go.uber.org/zap"

	"egovpm/internal/apperr"
	"egovpm/internal/audit"
	"egovpm/internal/authz"
	"egovpm/internal/calendar"
	"egovpm/internal/domain"
	"egovpm/internal/mailout"
	"egovpm/internal/store"
	"egovpm/internal/text"
)

// urgeEvery is how often one person may urge one task (催办, issue 19 item 6): once a day is
// a reminder, more is noise in the assignee's notifications.
const urgeEvery = 24 * time.Hour

// taskKindNames are the task kinds as the notifications name them.
var taskKindNames = domain.TaskKindNames

type urgeReq struct {
	Message string `json:"message" validate:"max=500"`
}

type urgeJSON struct {
	TaskID     string `json:"task_id"`
	Notified   int64  `json:"notified"`
	UrgedAt    string `json:"urged_at"`
	NextUrgeAt string `json:"next_urge_at"`
}

// urgeTask is POST /api/v1/tasks/{id}/urge (催办, issue 19 item 6): whoever reads the task's
// project (authz: the project read; an expert review only for those who see the panel's
// details; a bundle's approval for those who read every project) urges an open task past its
// due date. Its assignee (or each candidate of a task offered to a role and not claimed) gets
// a notification, and the audit log records the urge, both in one transaction before the
// answer; the notifications are then mailed through the configured sender. One person urges
// one task at most once per urgeEvery (429 urge_too_soon).
func (s *Server) urgeTask(c *gin.Context) {
	t, err := s.taskOf(c)
	if errors.Is(err, store.ErrNotFound) {
		respondError(c, apperr.NotFound("任务"))
		return
	}
	if err != nil {
		respondError(c, err)
		return
	}
	a := mustActor(c)
	ctx := c.Request.Context()
	visible, err := s.urgeVisible(ctx, a, t)
	if err != nil {
		respondError(c, err)
		return
	}
	if !visible {
		if authz.CanTask(a, authz.TaskRead, authzTask(t)) == nil {
			respondError(c, apperr.Forbidden("forbidden", "无权催办该任务"))
		} else {
			respondError(c, apperr.NotFound("任务"))
		}
		return
	}
	// The body is read once the caller is known to see the task.
	var req urgeReq
	if c.Request.ContentLength != 0 {
		if err := bindJSON(c, &req); err != nil {
			respondError(c, err)
			return
		}
	}
	req.Message = text.Trim(req.Message)
	if t.AssigneeID.Valid && t.AssigneeID.String == a.ID {
		respondError(c, apperr.Conflict("urge_own_task", "这是您本人办理的任务，无需催办"))
		return
	}

	urgeID := newID("urge-")
	res, err := s.store.UrgeTask(ctx, urgeOf(c, a, t, req.Message, urgeID))
	var soon *store.UrgeTooSoonError
	switch {
	case errors.As(err, &soon):
		secs := int(time.Until(soon.Next).Seconds()) + 1
		c.Header("Retry-After", strconv.Itoa(secs))
		respondError(c, apperr.New(apperr.KindRateLimited, "urge_too_soon",
			fmt.Sprintf("您已于 %s 催办过该任务，每人每 %d 小时只能催办同一任务一次", soon.Last.In(calendar.Shanghai).Format("2006年1月2日 15:04"),
				int(urgeEvery.Hours()))).
			WithExtra("next_urge_at", soon.Next.UTC().Format(time.RFC3339)).WithExtra("retry_after_seconds", secs))
		return
	case errors.Is(err, store.ErrTaskNotOpen):
		respondError(c, apperr.Conflict("task_not_open", "该任务已办结，无需催办"))
		return
	case errors.Is(err, store.ErrTaskNotOverdue):
		respondError(c, apperr.Conflict("task_not_overdue", fmt.Sprintf("该任务 %s 到期，尚未逾期，逾期后才能催办",
			res.DueAt.In(calendar.Shanghai).Format("2006年1月2日 15:04"))).WithExtra("due_at", res.DueAt.UTC().Format(time.RFC3339)))
		return
	case errors.Is(err, store.ErrNotFound):
		respondError(c, apperr.NotFound("任务"))
		return
	case err != nil:
		respondError(c, err)
		return
	}
	s.mailNotifications(urgeID)
	c.JSON(http.StatusOK, urgeJSON{TaskID: t.ID, Notified: res.Notified, UrgedAt: res.At.UTC().Format(time.RFC3339),
		NextUrgeAt: res.At.Add(urgeEvery).UTC().Format(time.RFC3339)})
}

// urgeVisible reports whether a sees task t as an urge needs: its project's open tasks (an
// expert review only with the panel's details), or for a bundle's approval every project.
func (s *Server) urgeVisible(ctx context.Context, a domain.Actor, t store.Task) (bool, error) {
	visible := authz.ReachOf(a).All()
	if t.ProjectID.Valid {
		v, err := s.store.ProjectView(ctx, t.ProjectID.String, authz.ReachOf(a))
		if err != nil {
			return false, err
		}
		// Who sits on a panel is for those who see the review's details (the project's
		// open_tasks leave expert reviews out for everyone else).
		visible = v.Visible() && (t.Kind != string(domain.TaskExpertReview) || authz.Details(a))
	}
	return visible, nil
}

// urgeOf is the urge of task t by a with message msg (may be empty): the notification to its
// assignee or candidates and the audit row, under id.
func urgeOf(c *gin.Context, a domain.Actor, t store.Task, msg, id string) store.Urge {
	subject := t.ProjectName.String
	objType, objID := "project", t.ProjectID.String
	if !t.ProjectID.Valid {
		subject, objType, objID = "打捆项目 "+t.BundleID.String, "task", t.ID
	}
	kindName := taskKindNames[t.Kind]
	day := t.DueAt.In(calendar.Shanghai).Format("2006年1月2日")
	body := a.Name + " 催办此项待办，请尽快办理。"
	if msg != "" {
		body += "\n留言：" + msg
	}
	detail := map[string]any{"task_id": t.ID, "kind": t.Kind}
	if msg != "" {
		detail["message"] = msg
	}
	return store.Urge{
		ID: id, TaskID: t.ID, ActorID: a.ID, Every: urgeEvery,
		Kind: "task_urged", Title: fmt.Sprintf("催办：%s已逾期（%s到期）：%s", kindName, day, subject), Body: body,
		Audit: audit.Entry{ActorID: a.ID, OrgID: a.OrgID, Action: "task.urge", ObjectType: objType, ObjectID: objID,
			Outcome: "ok", RequestID: c.GetString(ctxRequestID), ClientIP: c.ClientIP(), Detail: detail},
	}
}

// mailNotifications mails the notifications written under id (id + "#…") through the
// configured sender (s.mailer: the relay, NOTIFY_MAIL_DIR's files or the log), each once
// (store.SendNotifications), in the background: the in-app rows are already committed, and the
// answer does not wait for a mail relay. A row the relay refuses for good is marked failed, as
// the worker's sends are (mailout.Through, theirs too).
func (s *Server) mailNotifications(id string) {
	sender := s.sender()
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		_, err := s.store.SendNotifications(ctx, id, mailout.Through(ctx, sender, s.log))
		if err != nil {
			s.log.Warn("notifications not mailed", zap.String("id", id), zap.Error(err))
		}
	}()
}
