package main

import (
	"context"
	"errors"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"egovpm/internal/config"
	"egovpm/internal/notify"
)

// TestMailSettings: each person sets, for themselves alone, the address their notifications are
// mailed to and whether they come one by one or as the daily digest (每日汇总,
// docs/NOTIFICATIONS.md "Digest"). A request without a choice, with a non-boolean one or an
// address a relay could not take (a space, no domain, a header injected, too long) is 400 with
// its field and changes nothing; a change is audited once (user.mail_settings, with what
// changed), the same settings again write nothing.
func TestMailSettings(t *testing.T) {
	t.Parallel()
	is := newIdentityServer(t)
	drb := is.login("drb1", config.DefaultDemoPassword)
	alice := is.login("alice", config.DefaultDemoPassword)
	db := is.srv.store.DB()
	_, err := db.Exec(`UPDATE users SET email = 'drb1@luan.gov.cn' WHERE username = 'drb1'`)
	require.NoError(t, err)
	audits := func() (n int) {
		t.Helper()
		require.NoError(t, db.Get(&n, `SELECT count(*) FROM audit_log WHERE action = 'user.mail_settings'`))
		return n
	}

	r := is.do(drb, http.MethodGet, "/api/v1/me/mail-settings", "")
	require.Equal(t, http.StatusOK, r.Status, "%v", r.Body)
	require.Equal(t, false, r.Body["digest"], "one mail each by default")
	require.Equal(t, "drb1@luan.gov.cn", r.Body["email"])
	require.Equal(t, "08:30", r.Body["digest_at"])
	require.Contains(t, r.Body["instant_kinds"], "task_urged")
	require.Nil(t, r.Body["mail_failed_at"])
	r = is.do(alice, http.MethodGet, "/api/v1/me/mail-settings", "")
	require.Nil(t, r.Body["email"], "no address: null")

	for body, field := range map[string]string{`{}`: "digest", `{"digest":null}`: "digest", `{"digest":"yes"}`: "digest", `{"digest":1}`: "digest",
		`{"email":"li shen@luan.gov.cn"}`: "email", `{"email":"lishen"}`: "email", `{"email":"li@luan"}`: "email",
		`{"email":"li@luan.gov.cn\r\nBcc: x@y.cn"}`: "email", `{"email":"` + strings.Repeat("a", 250) + `@luan.gov.cn"}`: "email",
		`{"email":"li@luan.gov.cn","digest":"yes"}`: "digest"} {
		r = is.do(drb, http.MethodPut, "/api/v1/me/mail-settings", body)
		require.Equal(t, http.StatusBadRequest, r.Status, "%s: %v", body, r.Body)
		require.Contains(t, r.Body["error"].(map[string]any)["fields"], field, "%s: %v", body, r.Body)
	}
	r = is.do(drb, http.MethodGet, "/api/v1/me/mail-settings", "")
	require.Equal(t, "drb1@luan.gov.cn", r.Body["email"], "a refused request changes nothing")
	r = is.do(drb, http.MethodPut, "/api/v1/me/mail-settings", `{"digest":true,"user_id":"u-alice"}`)
	require.Equal(t, http.StatusBadRequest, r.Status, "nobody chooses for another: %v", r.Body)
	require.Zero(t, audits())

	r = is.do(drb, http.MethodPut, "/api/v1/me/mail-settings", `{"digest":true}`)
	require.Equal(t, http.StatusOK, r.Status, "%v", r.Body)
	require.Equal(t, true, r.Body["digest"])
	require.Equal(t, 1, audits())
	r = is.do(drb, http.MethodPut, "/api/v1/me/mail-settings", `{"digest":true}`)
	require.Equal(t, http.StatusOK, r.Status, "%v", r.Body)
	require.Equal(t, 1, audits(), "the same choice again writes nothing")
	r = is.do(drb, http.MethodGet, "/api/v1/me/mail-settings", "")
	require.Equal(t, true, r.Body["digest"])
	r = is.do(alice, http.MethodGet, "/api/v1/me/mail-settings", "")
	require.Equal(t, false, r.Body["digest"], "drb1's choice is his alone")
	require.Nil(t, r.Body["next_digest_at"], "no digest, no next one")

	// The next digest is the next working day's 08:30 by T2's calendar, holiday_overrides
	// included: ten days off from today, then a make-up working day.
	_, err = db.Exec(`INSERT INTO holiday_overrides (day, workday, name)
		SELECT d::date, d::date = today + 10, CASE WHEN d::date = today + 10 THEN '测试调休' ELSE '测试停工' END
		FROM (SELECT (now() AT TIME ZONE 'Asia/Shanghai')::date AS today) x, generate_series(today, today + 10, interval '1 day') d`)
	require.NoError(t, err)
	var want time.Time
	require.NoError(t, db.Get(&want, `SELECT (((now() AT TIME ZONE 'Asia/Shanghai')::date + 10) + time '08:30') AT TIME ZONE 'Asia/Shanghai'`))
	r = is.do(drb, http.MethodGet, "/api/v1/me/mail-settings", "")
	next, err := time.Parse(time.RFC3339, r.Body["next_digest_at"].(string))
	require.NoError(t, err)
	require.True(t, want.Equal(next), "next digest %s, want %s", next, want)

	// A mail the relay refused for good is named until the address changes.
	_, err = db.Exec(`INSERT INTO notifications (id, user_id, kind, title, failed_at, failure)
		VALUES ('x#0:u-drb1', 'u-drb1', 'task', 't', now(), '550 5.1.1 mailbox unavailable')`)
	require.NoError(t, err)
	r = is.do(drb, http.MethodGet, "/api/v1/me/mail-settings", "")
	require.Equal(t, "550 5.1.1 mailbox unavailable", r.Body["mail_failure"])
	require.NotNil(t, r.Body["mail_failed_at"])
	r = is.do(drb, http.MethodPut, "/api/v1/me/mail-settings", `{"email":"li.shen@luan.gov.cn"}`)
	require.Equal(t, http.StatusOK, r.Status, "%v", r.Body)
	require.Equal(t, "drb1@luan.gov.cn", r.Body["email"], "a new address waits for its code")
	require.Equal(t, "li.shen@luan.gov.cn", r.Body["pending_email"])
	require.NotNil(t, r.Body["mail_failure"], "the address in use is still the refused one")
	r = is.confirm(drb, "li.shen@luan.gov.cn")
	require.Nil(t, r.Body["mail_failure"], "the new address has no refusal yet")
	require.Nil(t, r.Body["pending_email"])

	var detail string
	require.NoError(t, db.Get(&detail, `SELECT detail->>'digest' FROM audit_log WHERE action = 'user.mail_settings' AND detail ? 'digest' ORDER BY seq LIMIT 1`))
	require.Equal(t, "true", detail)
	r = is.do(drb, http.MethodPut, "/api/v1/me/mail-settings", `{"digest":false}`)
	require.Equal(t, http.StatusOK, r.Status, "%v", r.Body)
	require.Equal(t, false, r.Body["digest"])
	require.Equal(t, 3, audits())

	// Alice enters her own address (trimmed), and removes it again.
	r = is.do(alice, http.MethodPut, "/api/v1/me/mail-settings", `{"email":"  wangli@luan.gov.cn "}`)
	require.Equal(t, http.StatusOK, r.Status, "%v", r.Body)
	require.Nil(t, r.Body["email"], "not hers until confirmed")
	require.Equal(t, "wangli@luan.gov.cn", r.Body["pending_email"])
	require.Equal(t, false, r.Body["digest"], "the other setting stays")
	require.NoError(t, db.Get(&detail, `SELECT detail->>'email_pending' FROM audit_log WHERE action = 'user.mail_settings' ORDER BY seq DESC LIMIT 1`))
	require.Equal(t, "wangli@luan.gov.cn", detail)
	is.confirm(alice, "wangli@luan.gov.cn")
	var email string
	require.NoError(t, db.Get(&email, `SELECT email FROM users WHERE username = 'alice'`))
	require.Equal(t, "wangli@luan.gov.cn", email)
	require.NoError(t, db.Get(&detail, `SELECT detail->>'email' FROM audit_log WHERE action = 'user.email_confirmed' ORDER BY seq DESC LIMIT 1`))
	require.Equal(t, "wangli@luan.gov.cn", detail)
	r = is.do(alice, http.MethodPut, "/api/v1/me/mail-settings", `{"email":""}`)
	require.Equal(t, http.StatusOK, r.Status, "%v", r.Body)
	require.Nil(t, r.Body["email"])
	require.Equal(t, 5, audits())
}

// 发送测试邮件: a person with an address mails themselves a test, at most one a minute (429 with
// Retry-After after), mailed right after the answer, even while they take the digest; without
// an address it is 409 no_email and writes nothing.
func TestMailTest(t *testing.T) {
	t.Parallel()
	is := newIdentityServer(t)
	bob := is.login("bob", config.DefaultDemoPassword)
	db := is.srv.store.DB()
	count := func() (n int) {
		t.Helper()
		require.NoError(t, db.Get(&n, `SELECT count(*) FROM notifications WHERE user_id = 'u-bob' AND kind = 'mail_test'`))
		return n
	}
	r := is.do(bob, http.MethodPost, "/api/v1/me/mail-settings/test", "")
	require.Equal(t, http.StatusConflict, r.Status, "%v", r.Body)
	require.Equal(t, "no_email", r.code())
	require.Zero(t, count())

	r = is.do(bob, http.MethodPut, "/api/v1/me/mail-settings", `{"email":"chenbo@luan.gov.cn","digest":true}`)
	require.Equal(t, http.StatusOK, r.Status, "%v", r.Body)
	is.confirm(bob, "chenbo@luan.gov.cn")
	now := time.Date(2026, 12, 7, 10, 15, 20, 0, time.UTC)
	is.srv.now = func() time.Time { return now }
	r = is.do(bob, http.MethodPost, "/api/v1/me/mail-settings/test", "")
	require.Equal(t, http.StatusAccepted, r.Status, "%v", r.Body)
	require.Equal(t, "chenbo@luan.gov.cn", r.Body["email"])
	require.Equal(t, 1, count())
	require.Eventually(t, func() bool {
		var sent bool
		require.NoError(t, db.Get(&sent, `SELECT sent_at IS NOT NULL FROM notifications WHERE user_id = 'u-bob' AND kind = 'mail_test'`))
		return sent
	}, 10*time.Second, 20*time.Millisecond, "mailed at once, the digest notwithstanding")

	now = now.Add(50 * time.Second)
	r = is.do(bob, http.MethodPost, "/api/v1/me/mail-settings/test", "")
	require.Equal(t, http.StatusTooManyRequests, r.Status, "%v", r.Body)
	require.Equal(t, "rate_limited", r.code())
	require.Equal(t, "10", r.Header.Get("Retry-After"), "a minute since the last, not the clock's minute")
	require.Equal(t, 1, count())
	now = now.Add(10 * time.Second)
	r = is.do(bob, http.MethodPost, "/api/v1/me/mail-settings/test", "")
	require.Equal(t, http.StatusAccepted, r.Status, "the next minute: %v", r.Body)
	require.Equal(t, 2, count())
}

// mailbox is a notify.Sender that keeps what it is given: the gateway's mail in a test.
type mailbox struct {
	mu   sync.Mutex
	msgs []notify.Message
	// refuse, when set, is the answer to every send.
	refuse error
}

func (b *mailbox) Send(_ context.Context, m notify.Message) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.refuse != nil {
		return b.refuse
	}
	b.msgs = append(b.msgs, m)
	return nil
}

// code is the confirmation code of the latest mail to email ("" none).
func (b *mailbox) code(email string) string {
	b.mu.Lock()
	defer b.mu.Unlock()
	for i := len(b.msgs) - 1; i >= 0; i-- {
		if m := codeRe.FindStringSubmatch(b.msgs[i].Body); m != nil && b.msgs[i].Email == email {
			return m[1]
		}
	}
	return ""
}

var codeRe = regexp.MustCompile(`验证码：(\d{6})`)

// confirm enters the code mailed to email as the holder of token, as the person would.
func (is *identityServer) confirm(token, email string) reply {
	is.t.Helper()
	code := is.mail.code(email)
	require.NotEmpty(is.t, code, "a code was mailed to %s", email)
	r := is.do(token, http.MethodPost, "/api/v1/me/mail-settings/confirm", `{"code":"`+code+`"}`)
	require.Equal(is.t, http.StatusOK, r.Status, "%v", r.Body)
	require.Equal(is.t, email, r.Body["email"])
	return r
}

// Confirming an address (docs/NOTIFICATIONS.md): the code is mailed to the new address alone —
// not to the bell, the log or the audit log; a code not of six digits is 400 on its field and
// counts nothing; a wrong one is 400 email_code_wrong with the tries left, and the fifth wrong
// one voids it (409 email_code_lapsed, the right code too); a new code, at most one a minute
// (429 Retry-After), renews it; a relay that could not take the code's mail is named; with no
// address pending both are 409 no_pending_email.
func TestEmailConfirmationOverHTTP(t *testing.T) {
	t.Parallel()
	is := newIdentityServer(t)
	bob := is.login("bob", config.DefaultDemoPassword)
	db := is.srv.store.DB()
	for _, path := range []string{"/api/v1/me/mail-settings/confirm", "/api/v1/me/mail-settings/resend"} {
		r := is.do(bob, http.MethodPost, path, `{"code":"123456"}`)
		require.Equal(t, http.StatusConflict, r.Status, "%s: %v", path, r.Body)
		require.Equal(t, "no_pending_email", r.code())
	}
	r := is.do(bob, http.MethodPut, "/api/v1/me/mail-settings", `{"email":"chenbo@luan.gov.cn"}`)
	require.Equal(t, http.StatusOK, r.Status, "%v", r.Body)
	require.NotNil(t, r.Body["pending_expires_at"])
	require.Nil(t, r.Body["pending_mail_failure"])
	code := is.mail.code("chenbo@luan.gov.cn")
	require.Len(t, code, 6)
	var leaks int
	require.NoError(t, db.Get(&leaks, `SELECT (SELECT count(*) FROM audit_log WHERE detail::text LIKE '%' || $1 || '%')
		+ (SELECT count(*) FROM notifications WHERE body LIKE '%' || $1 || '%')`, code))
	require.Zero(t, leaks, "the code is in its mail alone")

	for _, bad := range []string{`{"code":"12345"}`, `{"code":"12345a"}`, `{"code":123456}`, `{}`} {
		r = is.do(bob, http.MethodPost, "/api/v1/me/mail-settings/confirm", bad)
		require.Equal(t, http.StatusBadRequest, r.Status, "%s: %v", bad, r.Body)
		require.Equal(t, "invalid_input", r.code(), "%s", bad)
	}
	wrong := "000000"
	if code == wrong {
		wrong = "000001"
	}
	r = is.do(bob, http.MethodPost, "/api/v1/me/mail-settings/confirm", `{"code":"`+wrong+`"}`)
	require.Equal(t, http.StatusBadRequest, r.Status, "%v", r.Body)
	require.Equal(t, "email_code_wrong", r.code())
	require.Equal(t, "验证码不正确，还可再试 4 次", r.Body["error"].(map[string]any)["fields"].(map[string]any)["code"], "the format errors counted nothing")

	r = is.do(bob, http.MethodPost, "/api/v1/me/mail-settings/resend", "")
	require.Equal(t, http.StatusTooManyRequests, r.Status, "%v", r.Body)
	require.NotEmpty(t, r.Header.Get("Retry-After"))
	for i := 0; i < 4; i++ {
		r = is.do(bob, http.MethodPost, "/api/v1/me/mail-settings/confirm", `{"code":"`+wrong+`"}`)
	}
	require.Equal(t, http.StatusConflict, r.Status, "the fifth wrong one: %v", r.Body)
	require.Equal(t, "email_code_lapsed", r.code())
	r = is.do(bob, http.MethodPost, "/api/v1/me/mail-settings/confirm", `{"code":"`+code+`"}`)
	require.Equal(t, "email_code_lapsed", r.code(), "then the right one too")

	_, err := db.Exec(`UPDATE users SET email_code_sent_at = now() - interval '2 minutes' WHERE id = 'u-bob'`)
	require.NoError(t, err)
	is.mail.refuse = errors.New("550 5.1.1 <chenbo@luan.gov.cn>: mailbox unavailable")
	r = is.do(bob, http.MethodPost, "/api/v1/me/mail-settings/resend", "")
	require.Equal(t, http.StatusOK, r.Status, "%v", r.Body)
	require.Contains(t, r.Body["pending_mail_failure"], "mailbox unavailable", "the person is told the code did not go")
	is.mail.refuse = nil
	_, err = db.Exec(`UPDATE users SET email_code_sent_at = now() - interval '2 minutes' WHERE id = 'u-bob'`)
	require.NoError(t, err)
	r = is.do(bob, http.MethodPost, "/api/v1/me/mail-settings/resend", "")
	require.Equal(t, http.StatusOK, r.Status, "%v", r.Body)
	require.Nil(t, r.Body["pending_mail_failure"])
	code = is.mail.code("chenbo@luan.gov.cn")
	require.Len(t, code, 6)
	// As typed through a Chinese IME: full-width digits, a space in the middle.
	wide := strings.Map(func(r rune) rune { return r - '0' + '０' }, code[:3]) + " " + strings.Map(func(r rune) rune { return r - '0' + '０' }, code[3:])
	r = is.do(bob, http.MethodPost, "/api/v1/me/mail-settings/confirm", `{"code":"`+wide+`"}`)
	require.Equal(t, http.StatusOK, r.Status, "%s: %v", wide, r.Body)
	require.Equal(t, "chenbo@luan.gov.cn", r.Body["email"])
	var n, refused int
	require.NoError(t, db.Get(&n, `SELECT count(*) FROM audit_log WHERE action = 'user.email_confirmed' AND actor_id = 'u-bob' AND outcome = 'ok'`))
	require.Equal(t, 1, n)
	require.NoError(t, db.Get(&refused, `SELECT count(*) FROM audit_log WHERE action = 'user.email_confirmed' AND actor_id = 'u-bob' AND outcome = 'refused'`))
	require.Equal(t, 5, refused, "each wrong code is on the record; the format errors and the lapsed tries are not")
}
