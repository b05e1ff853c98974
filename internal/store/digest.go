package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"egovpm/internal/calendar"
)

// The daily digest (每日汇总, docs/NOTIFICATIONS.md "Digest"): a user who chose it (users.mail_digest,
// PUT /api/v1/me/mail-settings) gets the mail of their notifications as one message a day at
// DigestAt, Beijing time, instead of one each. The notifications themselves are written, shown in
// the app and kept exactly as for anyone; only their mail waits. What someone is waiting on now
// (InstantKinds) is mailed at once all the same.

// DigestAt is when, in Asia/Shanghai, a working day's digest goes out: at the first mail sweep
// at or after it. Days off (weekends, statutory holidays, the overrides of T2's calendar) have
// none; the next working day's carries what they wrote.
const DigestAt = 8*time.Hour + 30*time.Minute

// DigestClock is DigestAt as the clock reads it ("08:30").
func DigestClock() string {
	return fmt.Sprintf("%02d:%02d", int(DigestAt/time.Hour), int(DigestAt%time.Hour/time.Minute))
}

// InstantKinds are the notices mailed at once even to a user who takes the digest: a 催办, an
// overdue task escalated to the supervisors, a disabled user's tasks waiting for 转办, and ops'
// notices of work that failed — each is about something late already —, and the test mail the
// person asked for.
var InstantKinds = []string{"task_urged", "task_escalation", "holder_disabled", "activity_failed", MailUnsentKind, MailTestKind}

// heldForDigest is, in a statement over notifications n and their users u, whether n's mail waits
// for u's digest. It names InstantKinds (TestHeldForDigestNamesInstantKinds keeps the two alike).
const heldForDigest = `u.mail_digest AND n.kind NOT IN ('task_urged', 'task_escalation', 'holder_disabled', 'activity_failed', 'mail_unsent', 'mail_test')`

// digestListed bounds the notices a digest lists one by one; the rest are counted (the app has
// them all).
const digestListed = 100

// digestLookBack bounds how far DigestDue looks back for a working day: longer than any run of
// days off (春节 and 国庆 with their weekends are nine at most).
const digestLookBack = 31

// DigestDue returns the time of the latest digest due at or before now: DigestAt, Asia/Shanghai,
// on the latest working day of cal (T2: weekends, statutory holidays and the make-up working days
// of 调休, with the overrides of holiday_overrides) whose DigestAt has come. On a day off it is the
// last working day's, already sent, so what is written on days off waits for the next working
// day's.
func DigestDue(now time.Time, cal *calendar.Calendar) time.Time {
	t := now.In(calendar.Shanghai)
	for back := 0; back <= digestLookBack; back++ {
		due := time.Date(t.Year(), t.Month(), t.Day()-back, 0, 0, 0, 0, calendar.Shanghai).Add(DigestAt)
		if !due.After(t) && cal.IsWorkday(due) {
			return due
		}
	}
	// A month without a working day: only an override table saying so. Then every day has one.
	due := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, calendar.Shanghai).Add(DigestAt)
	if due.After(t) {
		due = due.AddDate(0, 0, -1)
	}
	return due
}

// NextDigest returns when the next digest after now is due: DigestAt on the first working day of
// cal whose DigestAt is after now (what the person is told to expect; DigestDue's counterpart).
func NextDigest(now time.Time, cal *calendar.Calendar) time.Time {
	t := now.In(calendar.Shanghai)
	for ahead := 0; ahead <= digestLookBack; ahead++ {
		due := time.Date(t.Year(), t.Month(), t.Day()+ahead, 0, 0, 0, 0, calendar.Shanghai).Add(DigestAt)
		if due.After(t) && cal.IsWorkday(due) {
			return due
		}
	}
	// A month without a working day: only an override table saying so. Then every day has one.
	due := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, calendar.Shanghai).Add(DigestAt)
	if !due.After(t) {
		due = due.AddDate(0, 0, 1)
	}
	return due
}

// MailSettings is how a user's notifications are mailed.
type MailSettings struct {
	// Email is where they go ("" when the user has none: the app only).
	Email string `db:"email"`
	// Digest: one mail a day (DigestAt) instead of one each.
	Digest bool `db:"mail_digest"`
	// FailedAt and Failure: the latest mail of theirs the relay refused for good since the
	// address last changed (its answer), for the person to correct the address; null when none.
	FailedAt sql.NullTime   `db:"failed_at"`
	Failure  sql.NullString `db:"failure"`
	// Pending is the address the person gave that awaits its code (ConfirmEmail), until
	// PendingExpires; PendingFailure the relay's answer when the code's mail could not be sent.
	Pending        sql.NullString `db:"email_pending"`
	PendingExpires sql.NullTime   `db:"email_code_expires"`
	PendingFailure sql.NullString `db:"email_code_failure"`
}

// MailSettings returns user id's mail settings, or ErrNotFound.
func (s *Store) MailSettings(ctx context.Context, id string) (MailSettings, error) {
	var m MailSettings
	err := s.db.GetContext(ctx, &m, `SELECT coalesce(u.email, '') AS email, u.mail_digest, f.failed_at, f.failure,
			u.email_pending, u.email_code_expires, u.email_code_failure
		FROM users u LEFT JOIN LATERAL (SELECT n.failed_at, n.failure FROM notifications n
			WHERE n.user_id = u.id AND n.failed_at > coalesce(u.email_changed_at, '-infinity')
			ORDER BY n.failed_at DESC LIMIT 1) f ON true
		WHERE u.id = $1`, id)
	if err != nil {
		return m, fmt.Errorf("mail settings of %s: %w", id, notFound(err))
	}
	return m, nil
}

// MailChange is a change of a user's mail settings: nil fields stay as they are.
type MailChange struct {
	// Email: the new address, "" to remove it (the app only).
	Email *string
	// Digest: the daily digest (true) or one mail each (false).
	Digest *bool
	// Code, with a new address, makes it wait for this confirmation code (the person's own
	// change, 邮件通知: ConfirmEmail); without one the address takes effect at once (an
	// administrator's, a test's).
	Code string
}

// SetMailSettings applies c to user id's mail settings and, when that changes anything, runs
// audit with what changed ("email", "digest": the new values; "email_pending": the address now
// awaiting c.Code, or "" when a pending one was dropped) in the same transaction; it reports
// whether anything changed (ErrNotFound for no such user). Removing the address, or giving the
// one in use again, drops a pending one. Choosing the digest starts its day from now
// (digest_sent_at): the first one goes out at the next DigestAt, not at the next sweep with
// what came in since. Leaving it hands the rows it held to the mail sweep, which mails each
// within a minute or two.
func (s *Store) SetMailSettings(ctx context.Context, id string, c MailChange, audit func(tx *Tx, changed map[string]any) error) (bool, error) {
	changed := map[string]any{}
	err := s.WithTx(ctx, func(tx *Tx) error {
		var m MailSettings
		err := tx.tx.GetContext(ctx, &m, `SELECT coalesce(email, '') AS email, mail_digest, email_pending FROM users WHERE id = $1 FOR UPDATE`, id)
		if err != nil {
			return fmt.Errorf("mail settings of %s: %w", id, notFound(err))
		}
		if err := s.changeEmail(ctx, tx, id, m, c, changed); err != nil {
			return err
		}
		startDay := false
		if c.Digest != nil && *c.Digest != m.Digest {
			changed["digest"] = *c.Digest
			m.Digest, startDay = *c.Digest, *c.Digest
		}
		if len(changed) == 0 {
			return nil
		}
		if _, ok := changed["digest"]; ok {
			if _, err := tx.tx.ExecContext(ctx, `UPDATE users SET mail_digest = $2,
				digest_sent_at = CASE WHEN $3 THEN now() ELSE digest_sent_at END WHERE id = $1`, id, m.Digest, startDay); err != nil {
				return fmt.Errorf("mail digest of %s: %w", id, err)
			}
		}
		return audit(tx, changed)
	})
	return len(changed) > 0 && err == nil, err
}

// changeEmail applies c.Email to user id, whose settings were m, in tx, noting in changed what
// it changed: a new address with c.Code awaits that code; without one, and "" (none), take
// effect, dropping any pending address; the address in use again drops a pending one.
func (s *Store) changeEmail(ctx context.Context, tx *Tx, id string, m MailSettings, c MailChange, changed map[string]any) error {
	switch {
	case c.Email == nil:
		return nil
	case *c.Email != m.Email && *c.Email != "" && c.Code != "":
		if m.Pending.Valid && m.Pending.String == *c.Email {
			return nil // the same address again: its code stands (resend: ResendEmailCode)
		}
		changed["email_pending"] = *c.Email
		return s.issueEmailCode(ctx, tx, id, *c.Email, c.Code)
	case *c.Email != m.Email:
		changed["email"] = *c.Email
		return s.SetUserEmail(ctx, tx, id, *c.Email)
	case m.Pending.Valid:
		changed["email_pending"] = ""
		return s.SetUserEmail(ctx, tx, id, m.Email)
	}
	return nil
}

// MailTestKind is the kind of the test mail a person sends themselves (MailTest).
const MailTestKind = "mail_test"

// MailTest writes the test mail user id asked for at at (发送测试邮件), to their address email,
// at most one within every: it returns the id to mail it by (SendNotifications), or, when the
// last one is more recent than every, how long until the next may be sent. The user row is
// locked while it checks, so two requests at once write one. The row is the person's own
// notification, not their deputy's.
func (s *Store) MailTest(ctx context.Context, id, email string, at time.Time, every time.Duration) (string, time.Duration, error) {
	tr := fmt.Sprintf("mailtest/%s/%d", id, at.UnixMilli())
	var wait time.Duration
	err := s.WithTx(ctx, func(tx *Tx) error {
		if _, err := tx.tx.ExecContext(ctx, `SELECT 1 FROM users WHERE id = $1 FOR UPDATE`, id); err != nil {
			return err
		}
		var last sql.NullTime
		if err := tx.tx.GetContext(ctx, &last, `SELECT max(created_at) FROM notifications WHERE user_id = $1 AND kind = $2`, id, MailTestKind); err != nil {
			return err
		}
		if last.Valid && at.Sub(last.Time) < every {
			wait = every - at.Sub(last.Time)
			return nil
		}
		_, err := tx.tx.ExecContext(ctx, `INSERT INTO notifications (id, user_id, kind, title, body, created_at) VALUES ($1, $2, $3, $4, $5, $6)`,
			tr+"#0:"+id, id, MailTestKind, "测试邮件：六安市电子政务项目管理系统",
			fmt.Sprintf("这是您在 %s 请求发送的测试邮件：系统的通知可以送达 %s。无需回复。", at.In(calendar.Shanghai).Format("2006-01-02 15:04"), email), at)
		return err
	})
	if err != nil {
		return "", 0, fmt.Errorf("test mail of %s: %w", id, err)
	}
	if wait > 0 {
		return "", wait, nil
	}
	return tr, 0, nil
}

// digestRow is a notification a digest lists.
type digestRow struct {
	ID        string    `db:"id"`
	Title     string    `db:"title"`
	Body      string    `db:"body"`
	CreatedAt time.Time `db:"created_at"`
	ProjectID string    `db:"project_id"`
}

// SendDigests mails the digest due at due (DigestDue) to every user who takes it, has held
// notifications unsent and has had none since due, and returns how many it sent. Each user's
// digest is one transaction: the user row is locked (SKIP LOCKED: two workers never send one),
// the held rows are read and locked, the message sent, and the rows marked sent with the user's
// digest_sent_at in the same commit, so a day has one digest; a crash between the send and the
// commit can repeat it (at-least-once, as SendNotifications). A send error wrapping
// ErrUndeliverable marks the rows failed (the relay refused the address for good: ops see them
// in mail-failures) and the day's digest done; any other error ends the round, to be retried at
// the next sweep. An item about a project is followed by link(its id) when that is not "".
// since is the previous working day's digest due (zero: unknown): when more than a day before
// due, the digest says it covers the days off between.
func (s *Store) SendDigests(ctx context.Context, due, since time.Time, link func(projectID string) string, send func(PendingNotification) error) (int, error) {
	var users []string
	err := s.db.SelectContext(ctx, &users, `SELECT u.id FROM users u
		WHERE u.mail_digest AND coalesce(u.digest_sent_at, '-infinity') < $1
			AND EXISTS (SELECT 1 FROM notifications n WHERE n.user_id = u.id AND n.sent_at IS NULL AND n.failed_at IS NULL AND `+heldForDigest+`)
		ORDER BY u.id`, due)
	if err != nil {
		return 0, fmt.Errorf("digests due: %w", err)
	}
	sent := 0
	for _, id := range users {
		ok, err := s.sendDigest(ctx, id, due, since, link, send)
		if err != nil {
			return sent, err
		}
		if ok {
			sent++
		}
	}
	return sent, nil
}

// sendDigest sends user id's digest due at due (SendDigests) and reports whether it sent one.
func (s *Store) sendDigest(ctx context.Context, id string, due, since time.Time, link func(string) string, send func(PendingNotification) error) (bool, error) {
	sent := false
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		var u struct {
			Username string `db:"username"`
			Email    string `db:"email"`
		}
		err := tx.GetContext(ctx, &u, `SELECT username, coalesce(email, '') AS email FROM users
			WHERE id = $1 AND mail_digest AND coalesce(digest_sent_at, '-infinity') < $2 FOR UPDATE SKIP LOCKED`, id, due)
		if errors.Is(err, sql.ErrNoRows) {
			return nil // another worker's, or sent meanwhile, or no longer chosen
		} else if err != nil {
			return err
		}
		var rows []digestRow
		if err := tx.SelectContext(ctx, &rows, `SELECT n.id, n.title, n.body, n.created_at, coalesce(n.project_id, '') AS project_id
			FROM notifications n JOIN users u ON u.id = n.user_id
			WHERE n.user_id = $1 AND n.sent_at IS NULL AND n.failed_at IS NULL AND `+heldForDigest+`
			ORDER BY n.created_at, n.id FOR UPDATE OF n SKIP LOCKED`, id); err != nil {
			return err
		}
		if len(rows) == 0 {
			return nil
		}
		ids := make([]string, len(rows))
		for i, r := range rows {
			ids[i] = r.ID
		}
		mark := `UPDATE notifications SET sent_at = now() WHERE id = ANY($1)`
		args := []any{pq.StringArray(ids)}
		if err := send(digestMessage(id, u.Username, u.Email, due, since, rows, link)); err != nil {
			if !errors.Is(err, ErrUndeliverable) {
				return err
			}
			mark = `UPDATE notifications SET failed_at = now(), failure = left($2, 1000) WHERE id = ANY($1)`
			args = append(args, strings.ReplaceAll(strings.ToValidUTF8(err.Error(), "?"), "\x00", ""))
		} else {
			sent = true
		}
		if _, err := tx.ExecContext(ctx, mark, args...); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE users SET digest_sent_at = now() WHERE id = $1`, id)
		return err
	})
	if err != nil {
		return false, fmt.Errorf("digest of %s: %w", id, err)
	}
	return sent, nil
}

// digestMessage is user id's digest due at due of rows, oldest first: the first digestListed one
// by one with when each was written (and link(its project) for one about a project), the rest
// counted. After days off (since, the previous working day's digest, more than a day before
// due) it says so. Its id is "digest/<user>/<date>".
func digestMessage(id, username, email string, due, since time.Time, rows []digestRow, link func(string) string) PendingNotification {
	day := due.In(calendar.Shanghai)
	var b strings.Builder
	fmt.Fprintf(&b, "您选择了每日汇总接收邮件通知。以下是尚未邮件告知您的 %d 条通知", len(rows))
	if !since.IsZero() && due.Sub(since) > 25*time.Hour {
		fmt.Fprintf(&b, "（含 %s汇总之后周末和节假日期间的通知）", since.In(calendar.Shanghai).Format("1月2日"))
	}
	b.WriteString("，按时间先后排列：\n")
	for i, r := range rows {
		if i == digestListed {
			fmt.Fprintf(&b, "\n另有 %d 条通知未在此列出，请登录系统查看。\n", len(rows)-digestListed)
			break
		}
		fmt.Fprintf(&b, "\n%d. 【%s】%s\n   %s\n", i+1, r.CreatedAt.In(calendar.Shanghai).Format("1月2日 15:04"), r.Title, r.Body)
		if r.ProjectID != "" && link != nil {
			if l := link(r.ProjectID); l != "" {
				fmt.Fprintf(&b, "   查看：%s\n", l)
			}
		}
	}
	b.WriteString("\n如需每条通知即时发送邮件，请在系统的通知列表中将“邮件接收方式”改为“逐条发送”。\n")
	return PendingNotification{ID: fmt.Sprintf("digest/%s/%s", id, day.Format("2006-01-02")), UserID: id, Username: username, Email: email,
		Title: fmt.Sprintf("每日通知汇总（%s）：%d 条", day.Format("1月2日"), len(rows)), Body: b.String()}
}
