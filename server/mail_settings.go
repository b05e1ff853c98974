package main

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"egovpm/internal/apperr"
	"egovpm/internal/store"
	"egovpm/internal/text"
)

// 邮件通知 (docs/NOTIFICATIONS.md, "Digest"): each person sets the address the mail of their
// notifications goes to, and chooses how it comes — one mail each (the default) or one digest
// a working day at 08:30 (每日汇总) —, and may mail themselves a test. The notifications in the
// app are the same either way.

// mailSettingsJSON is GET and PUT /api/v1/me/mail-settings.
type mailSettingsJSON struct {
	// Email is where the mail goes; null when the person has none (the app only).
	Email *string `json:"email"`
	// Digest: one mail a working day at DigestAt (每日汇总) instead of one each.
	Digest bool `json:"digest"`
	// DigestAt is the digest's time of day, Beijing time ("08:30").
	DigestAt string `json:"digest_at"`
	// InstantKinds are the notification kinds mailed at once even in a digest.
	InstantKinds []string `json:"instant_kinds"`
	// MailFailedAt and MailFailure: the latest mail the relay refused for good since the
	// address last changed, and its answer (null when none): the address needs correcting.
	MailFailedAt *time.Time `json:"mail_failed_at"`
	MailFailure  *string    `json:"mail_failure"`
	// NextDigestAt: when the next digest is due (the first working day's DigestAt to come, T2's
	// calendar); null for one who takes no digest.
	NextDigestAt *time.Time `json:"next_digest_at"`
}

type mailSettingsReq struct {
	// Email: the person's address; "" removes it; absent leaves it.
	Email *string `json:"email"`
	// Digest: the daily digest (true) or one mail each (false); absent leaves it.
	Digest *bool `json:"digest"`
}

// check normalises r's address and refuses a request that changes nothing it knows, or an
// address the mail relay could not take.
func (r *mailSettingsReq) check() error {
	if r.Email == nil && r.Digest == nil {
		return apperr.Invalid(map[string]string{"digest": "请给出邮箱（email）或邮件接收方式（digest：逐条发送 false，每日汇总 true）"})
	}
	if r.Email != nil {
		e, msg := checkEmail(*r.Email)
		r.Email = &e
		if msg != "" {
			return apperr.Invalid(map[string]string{"email": msg})
		}
	}
	return nil
}

// checkEmail trims an address and returns it with "" or, when a mail relay could not take it,
// the message for its field. "" is no address (the app only).
func checkEmail(e string) (string, string) {
	e = strings.TrimSpace(e)
	if e == "" {
		return e, ""
	}
	return e, text.EmailProblem(e)
}

// getMailSettings is GET /api/v1/me/mail-settings: how the signed-in person's mail is sent.
func (s *Server) getMailSettings(c *gin.Context) {
	s.respondMailSettings(c, mustActor(c).ID)
}

// putMailSettings is PUT /api/v1/me/mail-settings {email, digest}: the signed-in person sets
// the address their mail goes to ("" none: the app only) and chooses one mail each or the daily
// digest → 200 the settings as now. A change is audited (user.mail_settings, with what
// changed); the same settings again change nothing and write nothing.
func (s *Server) putMailSettings(c *gin.Context) {
	var req mailSettingsReq
	if err := bindJSON(c, &req); err != nil {
		respondError(c, err)
		return
	}
	if err := req.check(); err != nil {
		respondError(c, err)
		return
	}
	a := mustActor(c)
	_, err := s.store.SetMailSettings(c.Request.Context(), a.ID, store.MailChange{Email: req.Email, Digest: req.Digest},
		func(tx *store.Tx, changed map[string]any) error {
			return s.audit(c, tx, "user.mail_settings", "user", a.ID, "ok", changed)
		})
	if err != nil {
		respondError(c, err)
		return
	}
	s.respondMailSettings(c, a.ID)
}

func (s *Server) respondMailSettings(c *gin.Context, id string) {
	m, err := s.store.MailSettings(c.Request.Context(), id)
	if err != nil {
		respondError(c, err)
		return
	}
	out := mailSettingsJSON{Digest: m.Digest, DigestAt: store.DigestClock(), InstantKinds: store.InstantKinds}
	if m.Email != "" {
		out.Email = &m.Email
	}
	if m.FailedAt.Valid {
		out.MailFailedAt, out.MailFailure = &m.FailedAt.Time, &m.Failure.String
	}
	if m.Digest {
		cal, err := s.store.Calendar(c.Request.Context())
		if err != nil {
			respondError(c, err)
			return
		}
		next := store.NextDigest(s.now(), cal)
		out.NextDigestAt = &next
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, out)
}

// mailTestJSON is POST /api/v1/me/mail-settings/test's answer.
type mailTestJSON struct {
	// Email is where the test mail goes.
	Email string `json:"email"`
}

// sendMailTest is POST /api/v1/me/mail-settings/test (发送测试邮件): a mail to the caller's own
// address, at most one a minute since the last, so they know it arrives → 202 (mailed right
// after the answer; a refusal by the relay shows in GET /me/mail-settings). No address: 409
// no_email.
func (s *Server) sendMailTest(c *gin.Context) {
	a := mustActor(c)
	ctx := c.Request.Context()
	m, err := s.store.MailSettings(ctx, a.ID)
	if err != nil {
		respondError(c, err)
		return
	}
	if m.Email == "" {
		respondError(c, apperr.Conflict("no_email", "尚未登记邮箱，请先在“邮件通知设置”中填写邮箱"))
		return
	}
	id, wait, err := s.store.MailTest(ctx, a.ID, m.Email, s.now(), time.Minute)
	if err != nil {
		respondError(c, err)
		return
	}
	if wait > 0 {
		secs := int((wait + time.Second - 1) / time.Second)
		c.Header("Retry-After", strconv.Itoa(secs))
		respondError(c, apperr.New(apperr.KindRateLimited, "rate_limited", "每分钟只能发送一封测试邮件，请稍后再试").WithExtra("retry_after_seconds", secs))
		return
	}
	s.mailNotifications(id)
	c.JSON(http.StatusAccepted, mailTestJSON{Email: m.Email})
}
