package main

import (
	_ "embed"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
	"go.temporal.io/sdk/temporal"

	"egovpm/internal/apperr"
	"egovpm/internal/calendar"
	"egovpm/internal/store"
)

//go:embed openapi.yaml
var openapiYAML []byte

func shanghai() *time.Location { return calendar.Shanghai }

func urlEscape(s string) string { return url.PathEscape(s) }

// Search attributes registered by the devserver (and compose's admin-tools).
var (
	saProjectID = temporal.NewSearchAttributeKeyKeyword("ProjectID")
	saUnitID    = temporal.NewSearchAttributeKeyKeyword("UnitID")
	saPlanYear  = temporal.NewSearchAttributeKeyInt64("PlanYear")
)

// projectSummary is the lifecycle's summary in the Temporal UI and CLI: ids and unit only, no
// project content (SPEC: ops sees workflows, not what a unit applied for). The stage is the Stage
// search attribute, kept current by the workflow (stage-search-attribute).
func projectSummary(p store.Project) string {
	return fmt.Sprintf("project %s · unit %s · plan year %d", p.ID, p.UnitID, p.PlanYear)
}

func projectSearchAttributes(p store.Project) temporal.SearchAttributes {
	return temporal.NewSearchAttributes(saProjectID.ValueSet(p.ID), saUnitID.ValueSet(p.UnitID), saPlanYear.ValueSet(int64(p.PlanYear)))
}

func (s *Server) healthz(c *gin.Context) { c.JSON(http.StatusOK, gin.H{"status": "ok"}) }

func (s *Server) openapi(c *gin.Context) { c.Data(http.StatusOK, "application/yaml", openapiYAML) }

func (s *Server) listNotifications(c *gin.Context) {
	lq, err := parseList(c)
	if err != nil {
		respondError(c, err)
		return
	}
	ns, next, err := s.store.Notifications(c.Request.Context(), mustActor(c).ID, lq.Limit, lq.Cursor)
	sendPage(c, ns, next, err, asIs)
}

// readNotification is POST /api/v1/notifications/{id}/read: id is the notification's public
// id (as the list gives it); another user's notification is 404.
func (s *Server) readNotification(c *gin.Context) {
	ctx := c.Request.Context()
	err := s.store.WithTx(ctx, func(tx *store.Tx) error {
		if err := s.store.MarkRead(ctx, tx, mustActor(c).ID, c.Param("id")); err != nil {
			return err
		}
		return s.audit(c, tx, "notification.read", "notification", c.Param("id"), "ok", nil)
	})
	if errors.Is(err, store.ErrNotFound) {
		err = apperr.NotFound("通知")
	}
	if err != nil {
		respondError(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"id": c.Param("id"), "read": true})
}

// unreadJSON is GET /api/v1/notifications/unread-count.
type unreadJSON struct {
	Unread int `json:"unread"`
}

// unreadNotifications is GET /api/v1/notifications/unread-count: the number on the bell.
func (s *Server) unreadNotifications(c *gin.Context) {
	n, err := s.store.UnreadNotifications(c.Request.Context(), mustActor(c).ID)
	if err != nil {
		respondError(c, err)
		return
	}
	c.JSON(http.StatusOK, unreadJSON{Unread: n})
}

// readAllJSON is POST /api/v1/notifications/read-all.
type readAllJSON struct {
	Marked int64 `json:"marked"`
}

// readAllNotifications is POST /api/v1/notifications/read-all: every unread notification of
// the caller is marked read, audited once with the count.
func (s *Server) readAllNotifications(c *gin.Context) {
	ctx := c.Request.Context()
	a := mustActor(c)
	var n int64
	err := s.store.WithTx(ctx, func(tx *store.Tx) error {
		var err error
		if n, err = s.store.MarkAllRead(ctx, tx, a.ID); err != nil {
			return err
		}
		return s.audit(c, tx, "notification.read_all", "user", a.ID, "ok", map[string]any{"marked": n})
	})
	if err != nil {
		respondError(c, err)
		return
	}
	c.JSON(http.StatusOK, readAllJSON{Marked: n})
}

// auditKind is the shape of an audit action or action family (GET /audit?kind=).
var auditKind = regexp.MustCompile(`^[a-z][a-z_]{0,31}(\.[a-z][a-z_]{0,31}){0,3}$`)

func (s *Server) listAudit(c *gin.Context) {
	lq, err := parseList(c)
	if err != nil {
		respondError(c, err)
		return
	}
	f := store.AuditFilter{Object: c.Query("object"), Actor: c.Query("actor"), Kind: c.Query("kind"), Limit: lq.Limit}
	var ok bool
	if f.Kind != "" && !auditKind.MatchString(f.Kind) {
		respondError(c, apperr.Invalid(map[string]string{"kind": "须为操作类型（如 task.decide）或其类别（如 task）"}))
		return
	}
	if f.Project, ok = auditProjectParam(c); !ok {
		return
	}
	if lq.Cursor != "" {
		n, err := strconv.ParseInt(lq.Cursor, 10, 64)
		if err != nil || n < 1 {
			respondError(c, apperr.Invalid(map[string]string{"cursor": "游标不合法"}))
			return
		}
		f.BeforeSeq = n
	}
	for k, dst := range map[string]*time.Time{"from": &f.From, "to": &f.To} {
		if v := c.Query(k); v != "" {
			t, err := time.Parse(time.RFC3339, v)
			if err != nil {
				respondError(c, apperr.Invalid(map[string]string{k: "须为 RFC 3339 时间"}))
				return
			}
			*dst = t
		}
	}
	rows, err := s.store.AuditRows(c.Request.Context(), f)
	if err != nil {
		respondError(c, err)
		return
	}
	next := ""
	if len(rows) == f.Limit {
		next = strconv.FormatInt(rows[len(rows)-1].Seq, 10)
	}
	c.JSON(http.StatusOK, gin.H{"items": nonNil(rows), "next_cursor": next})
}

// auditProjectParam reads an audit read's ?project= (the rows about one project; "" none);
// false, with 400 on its field answered, when it cannot be a project id.
func auditProjectParam(c *gin.Context) (string, bool) {
	p := c.Query("project")
	if p != "" && !validTaskID.MatchString(p) {
		respondError(c, apperr.Invalid(map[string]string{"project": "项目编号不合法"}))
		return "", false
	}
	return p, true
}

func (s *Server) verifyAudit(c *gin.Context) {
	res, err := s.store.VerifyAudit(c.Request.Context(), s.anchor)
	if err != nil {
		respondError(c, err)
		return
	}
	c.JSON(http.StatusOK, res)
}
