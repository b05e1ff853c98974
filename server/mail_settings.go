package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/gin-gonic/gin"
	"go.uber.org/zap"

	"egovpm/internal/apperr"
	"egovpm/internal/calendar"
	"egovpm/internal/notify"
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
	// PendingEmail is the address the person gave that awaits the code mailed to it (POST
	// …/confirm), until PendingExpiresAt; their mail keeps going to Email meanwhile. Null when
	// none. PendingMailFailure: why the code's mail could not be sent (null: it was).
	PendingEmail       *string    `json:"pending_email"`
	PendingExpiresAt   *time.Time `json:"pending_expires_at"`
	PendingMailFailure *string    `json:"pending_mail_failure"`
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
// digest → 200 the settings as now. A new address is not used until confirmed: it waits
// (pending_email) with a six-digit code mailed to it now (POST …/confirm); removing the address
// or giving the one in use again drops a pending one. A change is audited (user.mail_settings,
// with what changed; email_pending for an address awaiting its code, never the code); the same
// settings again change nothing and write nothing.
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
	code, err := store.NewEmailCode()
	if err != nil {
		respondError(c, err)
		return
	}
	pending := ""
	_, err = s.store.SetMailSettings(c.Request.Context(), a.ID, store.MailChange{Email: req.Email, Digest: req.Digest, Code: code},
		func(tx *store.Tx, changed map[string]any) error {
			pending, _ = changed["email_pending"].(string)
			return s.audit(c, tx, "user.mail_settings", "user", a.ID, "ok", changed)
		})
	if err != nil {
		respondError(c, err)
		return
	}
	if pending != "" {
		s.mailEmailCode(c, a.ID, pending, code)
	}
	s.respondMailSettings(c, a.ID)
}

// errNoPendingEmail answers confirm and resend when no address awaits a code.
var errNoPendingEmail = apperr.Conflict("no_pending_email", "没有待验证的邮箱，请先在“设置”中填写新邮箱")

// emailCodeReq is POST /api/v1/me/mail-settings/confirm's body.
type emailCodeReq struct {
	// Code is the six-digit code mailed to the pending address.
	Code string `json:"code"`
}

// confirmEmail is POST /api/v1/me/mail-settings/confirm {code}: the signed-in person enters the
// code mailed to the address they gave → 200 the settings, the address now the one their mail
// goes to (audited as user.email_confirmed). A code not of six digits is 400 on its field and
// counts as no try; a wrong code is 400 on its field too, counted and audited as
// user.email_confirmed refused with the tries left; 409 email_code_lapsed once it expired or was
// entered wrong five times (…/resend mails a new one); 409 no_pending_email when no address
// awaits one.
func (s *Server) confirmEmail(c *gin.Context) {
	var req emailCodeReq
	if err := bindJSON(c, &req); err != nil {
		respondError(c, err)
		return
	}
	code := asciiDigits(req.Code)
	if len(code) != 6 || strings.Trim(code, "0123456789") != "" {
		respondError(c, apperr.Invalid(map[string]string{"code": "请输入邮件中的 6 位数字验证码"}))
		return
	}
	a := mustActor(c)
	_, err := s.store.ConfirmEmail(c.Request.Context(), a.ID, code, func(tx *store.Tx, email string, left int) error {
		if left >= 0 { // a wrong code: refused, on the record (a guessing attempt shows)
			return s.audit(c, tx, "user.email_confirmed", "user", a.ID, "refused", map[string]any{"email": email, "tries_left": left})
		}
		return s.audit(c, tx, "user.email_confirmed", "user", a.ID, "ok", map[string]any{"email": email})
	})
	var wrong *store.EmailCodeWrongError
	switch {
	case errors.As(err, &wrong) && wrong.Left > 0:
		respondError(c, apperr.New(apperr.KindInvalid, "email_code_wrong", "验证码不正确").
			WithFields(map[string]string{"code": fmt.Sprintf("验证码不正确，还可再试 %d 次", wrong.Left)}))
	case errors.As(err, &wrong), errors.Is(err, store.ErrEmailCodeLapsed):
		respondError(c, apperr.Conflict("email_code_lapsed", "验证码已失效（超过 30 分钟或输错 5 次），请点击“重新发送验证码”"))
	case errors.Is(err, store.ErrNoPendingEmail):
		respondError(c, errNoPendingEmail)
	case err != nil:
		respondError(c, err)
	default:
		s.respondMailSettings(c, a.ID)
	}
}

// asciiDigits is a code as typed: full-width digits (an IME's １２３４５６) as ASCII, spaces
// dropped ("123 456").
func asciiDigits(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= '０' && r <= '９':
			return r - '０' + '0'
		case unicode.IsSpace(r):
			return -1
		}
		return r
	}, s)
}

// resendEmailCode is POST /api/v1/me/mail-settings/resend: a new code for the pending address,
// mailed now, standing 30 minutes with its five tries renewed → 200 the settings; at most one a
// minute (429 with Retry-After); 409 no_pending_email when no address awaits one.
func (s *Server) resendEmailCode(c *gin.Context) {
	a := mustActor(c)
	code, err := store.NewEmailCode()
	if err != nil {
		respondError(c, err)
		return
	}
	email, wait, err := s.store.ResendEmailCode(c.Request.Context(), a.ID, code)
	switch {
	case errors.Is(err, store.ErrNoPendingEmail):
		respondError(c, errNoPendingEmail)
		return
	case err != nil:
		respondError(c, err)
		return
	case wait > 0:
		secs := int((wait + time.Second - 1) / time.Second)
		c.Header("Retry-After", strconv.Itoa(secs))
		respondError(c, apperr.New(apperr.KindRateLimited, "rate_limited", "每分钟只能发送一次验证码，请稍后再试").WithExtra("retry_after_seconds", secs))
		return
	}
	s.mailEmailCode(c, a.ID, email, code)
	s.respondMailSettings(c, a.ID)
}

// mailEmailCode mails code to email, the address user id gave, before the answer:
// the person is told in it (pending_mail_failure) when the mail could not be sent, and may
// send again. The code is in this mail only: not in the log, the audit log or the bell.
func (s *Server) mailEmailCode(c *gin.Context, id, email, code string) {
	ctx, cancel := context.WithTimeout(c.Request.Context(), 20*time.Second)
	defer cancel()
	at := s.now()
	err := s.sender().Send(ctx, notify.Message{ID: fmt.Sprintf("email-code/%s/%d", id, at.UnixMilli()), UserID: id, Username: id,
		Email: email, Title: "邮箱验证码：六安市电子政务项目管理系统",
		Body: fmt.Sprintf("您于 %s 在六安市电子政务项目管理系统中将接收通知的邮箱设为 %s。\n\n验证码：%s\n\n"+
			"请在 %d 分钟内于“邮件通知”中输入验证码，确认后通知才会发送到这个邮箱。如非本人操作，请忽略本邮件并告知系统管理员。\n",
			at.In(calendar.Shanghai).Format("2006-01-02 15:04"), email, code, int(store.EmailCodeTTL.Minutes()))})
	failure := ""
	if err != nil {
		failure = err.Error()
		s.log.Warn("confirmation code not mailed", zap.String("user", id), zap.Error(err))
	}
	if err := s.store.SetEmailCodeFailure(context.WithoutCancel(c.Request.Context()), id, email, failure); err != nil {
		s.log.Warn("confirmation code's mail not recorded", zap.String("user", id), zap.Error(err))
	}
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
	if m.Pending.Valid {
		out.PendingEmail = &m.Pending.String
		if m.PendingExpires.Valid {
			out.PendingExpiresAt = &m.PendingExpires.Time
		}
		if m.PendingFailure.Valid {
			out.PendingMailFailure = &m.PendingFailure.String
		}
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

// sender is s.mailer, or the log when none was set (a test's Server).
func (s *Server) sender() notify.Sender {
	if s.mailer == nil {
		return notify.LogSender{Log: s.log}
	}
	return s.mailer
}
