package main

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"egovpm/internal/config"
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
	require.Nil(t, r.Body["mail_failure"], "the new address has no refusal yet")

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
	require.Equal(t, "wangli@luan.gov.cn", r.Body["email"])
	require.Equal(t, false, r.Body["digest"], "the other setting stays")
	var email string
	require.NoError(t, db.Get(&email, `SELECT email FROM users WHERE username = 'alice'`))
	require.Equal(t, "wangli@luan.gov.cn", email)
	require.NoError(t, db.Get(&detail, `SELECT detail->>'email' FROM audit_log WHERE action = 'user.mail_settings' ORDER BY seq DESC LIMIT 1`))
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
