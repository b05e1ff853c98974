package store_test

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"egovpm/internal/calendar"
	"egovpm/internal/seed"
	"egovpm/internal/store"
	"egovpm/internal/testdb"
)

// The daily digest (每日汇总, docs/NOTIFICATIONS.md "Digest"): a user who chose it is mailed
// nothing per notification — not by a transition's send, not by the sweep — except the kinds
// that cannot wait; at the day's DigestAt one mail lists every notification held, oldest first,
// and marks them sent with the user's day, so a second round that day sends nothing; held rows
// are not taken for unsent mail (O1) within their day; leaving the digest hands them back to
// the sweep.
func TestDigestHoldsMailForOneDailyMessage(t *testing.T) {
	st := testdb.New(t)
	ctx := context.Background()
	require.NoError(t, seed.Demo(ctx, st, "demo-Passw0rd"))
	db := st.DB()
	var audits []map[string]any
	audit := func(_ *store.Tx, c map[string]any) error { audits = append(audits, c); return nil }
	changed, err := st.SetMailSettings(ctx, "u-drb1", store.MailChange{Digest: ptr(true)}, audit)
	require.NoError(t, err)
	require.True(t, changed)
	changed, err = st.SetMailSettings(ctx, "u-drb1", store.MailChange{Digest: ptr(true), Email: ptr("")}, audit)
	require.NoError(t, err)
	require.False(t, changed, "the same choice again changes nothing")
	require.Equal(t, []map[string]any{{"digest": true}}, audits, "and is not audited again")
	_, err = st.SetMailSettings(ctx, "u-nobody", store.MailChange{Digest: ptr(true)}, audit)
	require.ErrorIs(t, err, store.ErrNotFound)
	m, err := st.MailSettings(ctx, "u-drb1")
	require.NoError(t, err)
	require.Equal(t, store.MailSettings{Digest: true}, m)
	_, err = st.SetMailSettings(ctx, "u-drb1", store.MailChange{Email: ptr("li.shen@luan.gov.cn")}, audit)
	require.NoError(t, err)
	m, err = st.MailSettings(ctx, "u-drb1")
	require.NoError(t, err)
	require.Equal(t, store.MailSettings{Email: "li.shen@luan.gov.cn", Digest: true}, m)
	require.Equal(t, map[string]any{"email": "li.shen@luan.gov.cn"}, audits[1], "only what changed")

	tr, urged := "project:px/run-1/3", "urge:t1"
	testdb.Notifications(t, st, tr+"#t0:u-drb1", tr+"#t0:u-drbsup", tr+"#1:u-drb1", urged+"#0:u-drb1")
	_, err = db.Exec(`UPDATE notifications SET kind = 'task_urged' WHERE id = $1`, urged+"#0:u-drb1")
	require.NoError(t, err)
	// The rows were written before the digest's day began, so today's digest is due.
	_, err = db.Exec(`UPDATE notifications SET created_at = now() - interval '2 hours' - (CASE WHEN id LIKE '%#1:%' THEN interval '0' ELSE interval '1 minute' END)`)
	require.NoError(t, err)
	_, err = db.Exec(`UPDATE users SET digest_sent_at = now() - interval '3 hours' WHERE id = 'u-drb1'`)
	require.NoError(t, err)

	// drbsup's is about a project: the mail carries its id, for the link into the UI.
	_, err = db.Exec(`INSERT INTO projects (id, unit_id, name, type, plan_year, estimated_investment_fen, mlps_level, stage, created_by)
		VALUES ('pd', 'unit-a', '智慧教育云平台', 'new', 2031, 150000000, 2, 'prelim_review', 'u-alice')`)
	require.NoError(t, err)
	_, err = db.Exec(`UPDATE notifications SET project_id = 'pd' WHERE id IN ($1, $2)`, tr+"#t0:u-drbsup", tr+"#t0:u-drb1")
	require.NoError(t, err)

	var mailed []store.PendingNotification
	send := func(n store.PendingNotification) error { mailed = append(mailed, n); return nil }
	n, err := st.SendNotifications(ctx, tr, send)
	require.NoError(t, err)
	require.Equal(t, 1, n, "the transition's send mails drbsup's alone")
	require.Equal(t, tr+"#t0:u-drbsup", mailed[0].ID)
	require.Equal(t, "pd", mailed[0].ProjectID)
	mailed = nil
	n, err = st.SendStaleNotifications(ctx, time.Minute, 7*24*time.Hour, 500, send)
	require.NoError(t, err)
	require.Equal(t, 1, n, "the sweep mails the 催办 at once, not the held rows")
	require.Equal(t, urged+"#0:u-drb1", mailed[0].ID)
	// The sweep passes the digest due an hour ago (its wait): written after it, the held rows
	// wait for the next one by choice.
	rec, err := st.RecordUnsentMail(ctx, time.Hour, 7*24*time.Hour, time.Now().Add(-3*time.Hour))
	require.NoError(t, err)
	require.Zero(t, rec, "a row held for the digest is not unsent mail before the digest that carries it")

	mailed = nil
	before := time.Now()
	link := func(pid string) string { return "https://zwxm.luan.gov.cn/projects/" + pid }
	n, err = st.SendDigests(ctx, before.Add(-time.Hour), time.Time{}, link, send)
	require.NoError(t, err)
	require.Equal(t, 1, n)
	require.Len(t, mailed, 1)
	d := mailed[0]
	require.Equal(t, "u-drb1", d.UserID)
	require.Equal(t, fmt.Sprintf("digest/u-drb1/%s", before.Add(-time.Hour).In(calendar.Shanghai).Format("2006-01-02")), d.ID)
	require.Contains(t, d.Title, "每日通知汇总")
	require.Contains(t, d.Title, "2 条")
	first, second := strings.Index(d.Body, tr+"#t0:u-drb1"), strings.Index(d.Body, tr+"#1:u-drb1")
	require.True(t, first > 0 && second > first, "both held rows, oldest first: %s", d.Body)
	require.NotContains(t, d.Body, urged)
	require.Contains(t, d.Body, tr+"#t0:u-drb1\n   \n   查看：https://zwxm.luan.gov.cn/projects/pd\n", "an item about a project links to it")
	require.Equal(t, 1, strings.Count(d.Body, "查看："), "the other is about none")
	var unsent int
	require.NoError(t, db.Get(&unsent, `SELECT count(*) FROM notifications WHERE sent_at IS NULL`))
	require.Zero(t, unsent)

	mailed = nil
	testdb.Notifications(t, st, "project:px/run-1/4#t0:u-drb1")
	n, err = st.SendDigests(ctx, before.Add(-time.Hour), time.Time{}, link, send)
	require.NoError(t, err)
	require.Zero(t, n, "one digest a day")
	require.Empty(t, mailed)

	// Written before a digest due more than the wait ago, a held row is unsent mail after all
	// (that digest failed to carry it).
	_, err = db.Exec(`UPDATE notifications SET created_at = now() - interval '26 hours' WHERE id = 'project:px/run-1/4#t0:u-drb1'`)
	require.NoError(t, err)
	rec, err = st.RecordUnsentMail(ctx, time.Hour, 7*24*time.Hour, time.Now().Add(-27*time.Hour))
	require.NoError(t, err)
	require.Zero(t, rec, "its digest, due before it was written, is not the one that missed it")
	rec, err = st.RecordUnsentMail(ctx, time.Hour, 7*24*time.Hour, time.Now().Add(-25*time.Hour))
	require.NoError(t, err)
	require.EqualValues(t, 1, rec)

	// Leaving the digest hands the held row to the sweep.
	changed, err = st.SetMailSettings(ctx, "u-drb1", store.MailChange{Digest: ptr(false)}, audit)
	require.NoError(t, err)
	require.True(t, changed)
	mailed = nil
	_, err = st.SendStaleNotifications(ctx, time.Minute, 7*24*time.Hour, 500, send)
	require.NoError(t, err)
	require.Contains(t, digestIDs(mailed), "project:px/run-1/4#t0:u-drb1")
}

// A digest the relay refuses for good marks its rows failed (ops' mail-failures lists them) and
// ends the user's day; one it cannot send now leaves them for the next round.
func TestDigestRefusedOrFailed(t *testing.T) {
	st := testdb.New(t)
	ctx := context.Background()
	require.NoError(t, seed.Demo(ctx, st, "demo-Passw0rd"))
	db := st.DB()
	for _, u := range []string{"u-drb1", "u-exp2"} {
		_, err := st.SetMailSettings(ctx, u, store.MailChange{Digest: ptr(true)}, func(*store.Tx, map[string]any) error { return nil })
		require.NoError(t, err)
	}
	_, err := db.Exec(`UPDATE users SET digest_sent_at = now() - interval '1 day' WHERE mail_digest`)
	require.NoError(t, err)
	testdb.Notifications(t, st, "project:px/run-1/3#t0:u-drb1", "project:px/run-1/3#t1:u-exp2")
	due := time.Now().Add(-time.Hour)

	down := func(n store.PendingNotification) error { return fmt.Errorf("relay down") }
	n, err := st.SendDigests(ctx, due, time.Time{}, nil, down)
	require.Error(t, err)
	require.Zero(t, n)
	var unsent int
	require.NoError(t, db.Get(&unsent, `SELECT count(*) FROM notifications WHERE sent_at IS NULL AND failed_at IS NULL`))
	require.Equal(t, 2, unsent, "nothing marked: both digests are due again")

	refuseDRB := func(n store.PendingNotification) error {
		if n.UserID == "u-drb1" {
			return fmt.Errorf("%w: 550 no such mailbox", store.ErrUndeliverable)
		}
		return nil
	}
	n, err = st.SendDigests(ctx, due, time.Time{}, nil, refuseDRB)
	require.NoError(t, err)
	require.Equal(t, 1, n, "exp2's went out")
	fs, err := st.MailFailures(ctx, time.Now().Add(-time.Hour), 10)
	require.NoError(t, err)
	require.Len(t, fs, 1)
	require.Equal(t, "project:px/run-1/3#t0:u-drb1", fs[0].ID)
	require.Contains(t, fs[0].Failure, "550")
	n, err = st.SendDigests(ctx, due, time.Time{}, nil, refuseDRB)
	require.NoError(t, err)
	require.Zero(t, n, "both days are done")
}

// heldForDigest's SQL names exactly InstantKinds.
func TestHeldForDigestNamesInstantKinds(t *testing.T) {
	sql := store.HeldForDigestSQL
	m := regexp.MustCompile(`NOT IN \(([^)]*)\)`).FindStringSubmatch(sql)
	require.NotNil(t, m, sql)
	var kinds []string
	for _, k := range strings.Split(m[1], ",") {
		kinds = append(kinds, strings.Trim(strings.TrimSpace(k), "'"))
	}
	require.ElementsMatch(t, store.InstantKinds, kinds)
}

// DigestDue is 08:30 in Beijing on the latest working day (T2's calendar) whose 08:30 has come:
// today's once it has passed on a working day, else the last working day's, so weekends and
// statutory holidays (春节 2026: 15–23 February) have no digest of their own and the make-up
// working days of 调休 (Saturday 14 February 2026) and an override's have one.
func TestDigestDue(t *testing.T) {
	at := func(s string) time.Time {
		v, err := time.ParseInLocation("2006-01-02 15:04", s, calendar.Shanghai)
		require.NoError(t, err)
		return v
	}
	cal, err := calendar.New(nil)
	require.NoError(t, err)
	for _, c := range []struct{ now, due string }{
		{"2026-12-07 08:30", "2026-12-07 08:30"}, // Monday
		{"2026-12-07 23:59", "2026-12-07 08:30"},
		{"2026-12-08 08:29", "2026-12-07 08:30"},
		{"2026-12-05 10:00", "2026-12-04 08:30"}, // Saturday: Friday's
		{"2026-12-07 08:29", "2026-12-04 08:30"}, // Monday before 08:30: still Friday's
		{"2026-02-14 09:00", "2026-02-14 08:30"}, // 调休: a Saturday worked
		{"2026-02-23 12:00", "2026-02-14 08:30"}, // the last day of 春节
		{"2026-02-24 08:31", "2026-02-24 08:30"},
		{"2026-10-08 08:00", "2026-09-30 08:30"}, // 国庆
		{"2027-01-01 00:10", "2026-12-31 08:30"},
	} {
		require.Equal(t, at(c.due), store.DigestDue(at(c.now).UTC(), cal), c.now)
	}
	off, err := calendar.New([]calendar.Override{{Date: "2026-12-07", Workday: false, Name: "临时停工"}})
	require.NoError(t, err)
	require.Equal(t, at("2026-12-04 08:30"), store.DigestDue(at("2026-12-07 12:00"), off), "an override's day off")

	// NextDigest: the first working day's 08:30 after now.
	for _, c := range []struct{ now, next string }{
		{"2026-12-07 08:29", "2026-12-07 08:30"},
		{"2026-12-07 08:30", "2026-12-08 08:30"},
		{"2026-12-04 09:00", "2026-12-07 08:30"}, // Friday: Monday's
		{"2026-12-05 10:00", "2026-12-07 08:30"}, // Saturday
		{"2026-02-13 09:00", "2026-02-14 08:30"}, // before a 调休 Saturday
		{"2026-02-14 09:00", "2026-02-24 08:30"}, // 春节
		{"2026-09-30 12:00", "2026-10-08 08:30"}, // 国庆
	} {
		require.Equal(t, at(c.next), store.NextDigest(at(c.now).UTC(), cal), c.now)
	}
	require.Equal(t, at("2026-12-08 08:30"), store.NextDigest(at("2026-12-04 09:00"), off), "past an override's day off")
	require.Equal(t, "08:30", store.DigestClock())
}

func digestIDs(ns []store.PendingNotification) []string {
	out := make([]string, len(ns))
	for i, n := range ns {
		out[i] = n.ID
	}
	return out
}

func ptr[T any](v T) *T { return &v }

// 邮件通知 tells the person of the latest mail the relay refused for good, with its answer, until
// they change the address it was about.
func TestMailSettingsShowTheLatestRefusal(t *testing.T) {
	st := testdb.New(t)
	ctx := context.Background()
	require.NoError(t, seed.Demo(ctx, st, "demo-Passw0rd"))
	db := st.DB()
	audit := func(*store.Tx, map[string]any) error { return nil }
	_, err := st.SetMailSettings(ctx, "u-bob", store.MailChange{Email: ptr("chenbo@luan.gov.cn")}, audit)
	require.NoError(t, err)
	testdb.Notifications(t, st, "project:px/run-1/3#0:u-bob", "project:px/run-1/4#0:u-bob", "project:px/run-1/4#0:u-alice")
	_, err = db.Exec(`UPDATE notifications SET failed_at = now() - CASE WHEN id LIKE '%/3#%' THEN interval '1 minute' ELSE interval '0' END,
		failure = '550 5.1.1 <' || id || '> mailbox unavailable'`)
	require.NoError(t, err)
	m, err := st.MailSettings(ctx, "u-bob")
	require.NoError(t, err)
	require.True(t, m.FailedAt.Valid)
	require.Contains(t, m.Failure.String, "run-1/4#0:u-bob", "the latest of his own")

	_, err = st.SetMailSettings(ctx, "u-bob", store.MailChange{Digest: ptr(true)}, audit)
	require.NoError(t, err)
	m, err = st.MailSettings(ctx, "u-bob")
	require.NoError(t, err)
	require.True(t, m.FailedAt.Valid, "another setting leaves the address as it was")
	_, err = st.SetMailSettings(ctx, "u-bob", store.MailChange{Email: ptr("chen.bo@luan.gov.cn")}, audit)
	require.NoError(t, err)
	m, err = st.MailSettings(ctx, "u-bob")
	require.NoError(t, err)
	require.False(t, m.FailedAt.Valid, "a refusal of the old address is no longer about this one")
}
