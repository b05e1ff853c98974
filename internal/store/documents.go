package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"egovpm/internal/audit"
)

// DocumentRow is a document's metadata.
type DocumentRow struct {
	ID          string    `db:"id" json:"id"`
	ProjectID   string    `db:"project_id" json:"project_id"`
	Kind        string    `db:"kind" json:"kind"`
	Filename    string    `db:"filename" json:"filename"`
	ContentType string    `db:"content_type" json:"content_type"`
	SizeBytes   int64     `db:"size_bytes" json:"size_bytes"`
	SHA256      string    `db:"sha256" json:"sha256"`
	UploadedBy  string    `db:"uploaded_by" json:"uploaded_by"`
	CreatedAt   time.Time `db:"created_at" json:"created_at"`
}

// AddDocument inserts a document row.
func (s *Store) AddDocument(ctx context.Context, t *Tx, d *DocumentRow) error {
	tx := t.tx
	const q = `INSERT INTO documents (id, project_id, kind, filename, content_type, size_bytes, sha256, uploaded_by)
		VALUES ($1,$2,$3,$4,$5,$6,$7,$8) RETURNING created_at`
	if err := tx.GetContext(ctx, &d.CreatedAt, q, d.ID, d.ProjectID, d.Kind, d.Filename, d.ContentType, d.SizeBytes, d.SHA256, d.UploadedBy); err != nil {
		return fmt.Errorf("insert document: %w", err)
	}
	return nil
}

// Documents lists a project's documents.
func (s *Store) Documents(ctx context.Context, projectID string) ([]DocumentRow, error) {
	var ds []DocumentRow
	err := s.selectP(ctx, &ds, `SELECT id, project_id, kind, filename, content_type, size_bytes, sha256, uploaded_by, created_at
		FROM documents WHERE project_id = $1 ORDER BY created_at, id LIMIT 1000`, projectID)
	return ds, err
}

// Document returns one document of a project.
func (s *Store) Document(ctx context.Context, projectID, id string) (DocumentRow, error) {
	var d DocumentRow
	err := s.db.GetContext(ctx, &d, `SELECT id, project_id, kind, filename, content_type, size_bytes, sha256, uploaded_by, created_at
		FROM documents WHERE project_id = $1 AND id = $2`, projectID, id)
	return d, notFound(err)
}

// DocumentContentUsed reports whether a document row names the content with hash sha.
func (s *Store) DocumentContentUsed(ctx context.Context, sha string) (bool, error) {
	var used bool
	err := s.db.GetContext(ctx, &used, `SELECT EXISTS (SELECT 1 FROM documents WHERE sha256 = $1)`, sha)
	return used, err
}

// UsersWithRole returns id → org of the given users that have role.
func (s *Store) UsersWithRole(ctx context.Context, role string, ids []string) (map[string]string, error) {
	var rows []struct {
		ID    string `db:"id"`
		OrgID string `db:"org_id"`
	}
	err := s.db.SelectContext(ctx, &rows, `SELECT u.id, u.org_id FROM users u JOIN user_roles r ON r.user_id = u.id
		WHERE r.role = $1 AND u.id = ANY($2) AND NOT u.disabled`, role, pq.Array(ids))
	if err != nil {
		return nil, fmt.Errorf("users with role %s: %w", role, err)
	}
	out := make(map[string]string, len(rows))
	for _, r := range rows {
		out[r.ID] = r.OrgID
	}
	return out, nil
}

// Notification is a row of notifications as its addressee sees it. ID is the row's public_id
// (schema/0016): URL-safe, unlike the workflow-derived key the row is deduplicated by, which
// stays inside the store.
type Notification struct {
	ID        string     `db:"id" json:"id"`
	Kind      string     `db:"kind" json:"kind"`
	Title     string     `db:"title" json:"title"`
	Body      string     `db:"body" json:"body"`
	ProjectID *string    `db:"project_id" json:"project_id"`
	TaskID    *string    `db:"task_id" json:"task_id"`
	CreatedAt time.Time  `db:"created_at" json:"created_at"`
	ReadAt    *time.Time `db:"read_at" json:"read_at"`
	// MailFailed: the mail relay refused the person's address for good (failed_at), so the
	// notification reached them here only.
	MailFailed bool `db:"mail_failed" json:"mail_failed"`
}

// NotificationID is the public id of the notification with key key, as the database computes
// it (notification_public_id, schema/0016): "n-" and 32 hex digits of the key's SHA-256.
func NotificationID(key string) string {
	sum := sha256.Sum256([]byte(key))
	return "n-" + hex.EncodeToString(sum[:16])
}

// Notifications returns a user's notifications, newest first.
func (s *Store) Notifications(ctx context.Context, userID string, limit int, cursor string) ([]Notification, string, error) {
	args := []any{userID, limit + 1}
	q := `SELECT public_id AS id, kind, title, body, project_id, task_id, created_at, read_at, failed_at IS NOT NULL AS mail_failed
		FROM notifications WHERE user_id = $1`
	if cursor != "" {
		var c projectCursor
		if err := DecodeCursor(cursor, &c); err != nil {
			return nil, "", err
		}
		q += ` AND (created_at, public_id) < ($3, $4)`
		args = append(args, c.CreatedAt, c.ID)
	}
	q += ` ORDER BY created_at DESC, public_id DESC LIMIT $2`
	var ns []Notification
	if err := s.db.SelectContext(ctx, &ns, q, args...); err != nil {
		return nil, "", fmt.Errorf("notifications: %w", err)
	}
	ns, next := keysetPage(ns, limit, func(l Notification) any { return projectCursor{CreatedAt: l.CreatedAt, ID: l.ID} })
	return ns, next, nil
}

// UnreadNotifications counts a user's unread notifications.
func (s *Store) UnreadNotifications(ctx context.Context, userID string) (int, error) {
	var n int
	if err := s.db.GetContext(ctx, &n, `SELECT count(*) FROM notifications WHERE user_id = $1 AND read_at IS NULL`, userID); err != nil {
		return 0, fmt.Errorf("unread notifications: %w", err)
	}
	return n, nil
}

// MarkRead marks a user's notification (by its public id) read; reading it again is a no-op.
// Another user's notification is ErrNotFound.
func (s *Store) MarkRead(ctx context.Context, t *Tx, userID, id string) error {
	tx := t.tx
	res, err := tx.ExecContext(ctx, `UPDATE notifications SET read_at = coalesce(read_at, now()) WHERE public_id = $1 AND user_id = $2`, id, userID)
	if err != nil {
		return fmt.Errorf("mark read: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	return nil
}

// MarkAllRead marks every unread notification of a user read and returns how many it marked.
func (s *Store) MarkAllRead(ctx context.Context, t *Tx, userID string) (int64, error) {
	tx := t.tx
	res, err := tx.ExecContext(ctx, `UPDATE notifications SET read_at = now() WHERE user_id = $1 AND read_at IS NULL`, userID)
	if err != nil {
		return 0, fmt.Errorf("mark all read: %w", err)
	}
	return res.RowsAffected()
}

// AuditFilter selects audit rows.
type AuditFilter struct {
	Object string // "type:id" or "id"
	Actor  string
	// Kind is an action ("task.decide") or a family of actions, the part before the dot
	// ("task": task.claim, task.decide, …).
	Kind string
	// Project keeps the rows about a project (AuditListRow's project): its own, its workflow's
	// (workflow:project:<id>), its tasks' and its documents'.
	Project   string
	From, To  time.Time
	BeforeSeq int64
	Limit     int
}

// AuditListRow is an audit row as 审计日志 lists it: the row, and the project it is about
// when it is about one — a project's own row, an ops action on its workflow
// (workflow:project:<id>), an action on one of its tasks or a download of one of its
// documents — so the auditor reads the project's name, not only its id. The project is read
// now, not part of the chain.
type AuditListRow struct {
	audit.Row
	ProjectID   *string `db:"project_id" json:"project_id,omitempty"`
	ProjectName *string `db:"project_name" json:"project_name,omitempty"`
}

// auditProject joins the page of audit rows a (a subquery) to the project each is about.
const auditProject = ` LEFT JOIN tasks t ON a.object_type = 'task' AND t.id = a.object_id
	LEFT JOIN documents d ON a.object_type = 'document' AND d.id = a.object_id
	LEFT JOIN projects p ON p.id = CASE a.object_type WHEN 'project' THEN a.object_id
		WHEN 'workflow' THEN substring(a.object_id FROM '^project:(.+)$') WHEN 'task' THEN t.project_id
		WHEN 'document' THEN d.project_id END`

// AuditRows returns a page of audit rows, newest first, each with its project (AuditListRow).
func (s *Store) AuditRows(ctx context.Context, f AuditFilter) ([]AuditListRow, error) {
	q, args := auditQuery(f)
	arg := placeholders(&args)
	if f.Kind != "" {
		k := arg(f.Kind)
		q += " AND (action = " + k + " OR left(action, length(" + k + ") + 1) = " + k + " || '.')"
	}
	if f.BeforeSeq > 0 {
		q += " AND seq < " + arg(f.BeforeSeq)
	}
	q += " ORDER BY seq DESC LIMIT " + arg(f.Limit)
	q = `SELECT a.*, p.id AS project_id, p.name AS project_name FROM (` + q + `) a` + auditProject + ` ORDER BY a.seq DESC`
	var rows []AuditListRow
	if err := s.db.SelectContext(ctx, &rows, q, args...); err != nil {
		return nil, fmt.Errorf("audit rows: %w", err)
	}
	return rows, nil
}

// auditQuery selects the audit rows of f's object, actor and time range (from its From, up to
// its To), and returns the query's arguments.
func auditQuery(f AuditFilter) (string, []any) {
	q := `SELECT seq, at, actor_id, org_id, action, object_type, object_id, outcome, request_id, client_ip, detail, dedup_key,
		trace_id, prev_hash, hash, format FROM audit_log WHERE true`
	var args []any
	arg := placeholders(&args)
	if f.Object != "" {
		q += " AND (object_id = " + arg(f.Object) + " OR object_type || ':' || object_id = " + arg(f.Object) + ")"
	}
	if f.Actor != "" {
		q += " AND actor_id = " + arg(f.Actor)
	}
	if f.Project != "" {
		// Four conditions on audit_object_idx, OR-ed in one bitmap: the tasks' and documents'
		// ids as arrays read once (an IN (SELECT …) under OR would be a filter on every row).
		p := arg(f.Project)
		q += " AND ((object_type = 'project' AND object_id = " + p + ") OR (object_type = 'workflow' AND object_id = 'project:' || " + p +
			") OR (object_type = 'task' AND object_id = ANY(ARRAY(SELECT id FROM tasks WHERE project_id = " + p + ")))" +
			" OR (object_type = 'document' AND object_id = ANY(ARRAY(SELECT id FROM documents WHERE project_id = " + p + "))))"
	}
	if !f.From.IsZero() {
		q += " AND at >= " + arg(f.From)
	}
	if !f.To.IsZero() {
		q += " AND at < " + arg(f.To)
	}
	return q, args
}

// PendingNotification is a notification row not yet sent.
type PendingNotification struct {
	ID       string `db:"id"`
	UserID   string `db:"user_id"`
	Username string `db:"username"`
	Email    string `db:"email"`
	Title    string `db:"title"`
	Body     string `db:"body"`
	// ProjectID is the project the notification is about ("" none), for the mail's link.
	ProjectID string `db:"project_id"`
}

// MailFailure is a notification the mail relay refused for good.
type MailFailure struct {
	ID       string    `db:"id" json:"id"`
	UserID   string    `db:"user_id" json:"user_id"`
	Username string    `db:"username" json:"username"`
	Email    string    `db:"email" json:"email"`
	Title    string    `db:"title" json:"title"`
	Failure  string    `db:"failure" json:"failure"`
	FailedAt time.Time `db:"failed_at" json:"failed_at"`
}

// MailFailures lists the notifications refused for good since since, newest first, at most
// limit (for operators: the address to correct and the relay's answer).
func (s *Store) MailFailures(ctx context.Context, since time.Time, limit int) ([]MailFailure, error) {
	out := []MailFailure{}
	err := s.db.SelectContext(ctx, &out, `SELECT n.id, n.user_id, u.username, coalesce(u.email, '') AS email, n.title,
		coalesce(n.failure, '') AS failure, n.failed_at
		FROM notifications n JOIN users u ON u.id = n.user_id
		WHERE n.failed_at >= $1 ORDER BY n.failed_at DESC, n.id LIMIT $2`, since, limit)
	if err != nil {
		return nil, fmt.Errorf("mail failures: %w", err)
	}
	return out, nil
}

// nextUnsentSQL reads and locks the next unsent notification whose id starts with $1 (not one
// its user takes in the daily digest, heldForDigest): the ids
// from $1 up to $1 followed by the last code point, in byte order (COLLATE "C", as the index
// keeps them), are exactly those that start with it; starts_with states it for the reader.
const nextUnsentSQL = `SELECT n.id, n.user_id, u.username, coalesce(u.email, '') AS email, n.title, n.body,
		coalesce(n.project_id, '') AS project_id
	FROM notifications n JOIN users u ON u.id = n.user_id
	WHERE n.id COLLATE "C" >= $1 AND n.id COLLATE "C" < $1 || chr(1114111) AND starts_with(n.id, $1)
		AND n.sent_at IS NULL AND n.failed_at IS NULL AND NOT (` + heldForDigest + `)
	ORDER BY n.id COLLATE "C" LIMIT 1 FOR UPDATE OF n SKIP LOCKED`

// unsentByIDSQL reads and locks notification $1 if it is unsent: the mail sweep's read of a
// stale row (SendStaleNotifications), by its whole id, not as a prefix of others.
const unsentByIDSQL = `SELECT n.id, n.user_id, u.username, coalesce(u.email, '') AS email, n.title, n.body,
		coalesce(n.project_id, '') AS project_id
	FROM notifications n JOIN users u ON u.id = n.user_id
	WHERE n.id = $1 AND n.sent_at IS NULL AND n.failed_at IS NULL AND NOT (` + heldForDigest + `)
	FOR UPDATE OF n SKIP LOCKED`

// ErrUndeliverable marks a send error as permanent (the relay refused the message for good):
// SendNotifications records it on the row and goes on with the next one.
var ErrUndeliverable = errors.New("undeliverable")

// SendNotifications delivers the unsent notifications of id: a transition's (Apply writes its
// notices "<id>#<n>:<user>", "<id>#t<i>:<user>", "<id>#<kind>:<user>"), or the id a gateway
// write names its notices by (a payment's, an urge's, a CC's: "<id>#…" too). It reads the ids
// that start with id + "#", so those of exactly that id: transition ids are prefixes of one
// another ("…/r/1" of "…/r/10"), and id alone as a prefix would mail another's notices.
//
// Each is sent in its own transaction: the row is locked (SKIP LOCKED, so two workers never
// send one), sent, and marked sent_at in the same commit. A row already sent is never sent
// again; a crash between the send and the commit can repeat one message (at-least-once
// delivery, the best a mail relay allows). A send error wrapping ErrUndeliverable marks the
// row failed (failed_at, failure) and the batch goes on: one refused address must not hold
// back the others. Any other error ends the batch, to be retried.
//
// A row is found by its id's prefix as a range of the unsent ids in byte order (the index
// notifications_unsent_idx, schema 0036), so a read costs the rows of the prefix, not every
// unsent row.
func (s *Store) SendNotifications(ctx context.Context, id string, send func(PendingNotification) error) (int, error) {
	return s.sendUnsent(ctx, nextUnsentSQL, id+"#", send)
}

// sendUnsent sends, each in its own transaction (SendNotifications), the unsent rows that read
// (nextUnsentSQL, unsentByIDSQL) finds with arg, until it finds none.
func (s *Store) sendUnsent(ctx context.Context, read, arg string, send func(PendingNotification) error) (int, error) {
	sent := 0
	for {
		var done, failed bool
		err := s.inTx(ctx, func(tx *sqlx.Tx) error {
			var n PendingNotification
			err := tx.GetContext(ctx, &n, read, arg)
			if err != nil {
				if notFound(err) == ErrNotFound {
					done = true
					return nil
				}
				return err
			}
			if err := send(n); err != nil {
				if !errors.Is(err, ErrUndeliverable) {
					return err
				}
				failed = true
				_, err = tx.ExecContext(ctx, `UPDATE notifications SET failed_at = now(), failure = left($2, 1000) WHERE id = $1`,
					n.ID, strings.ReplaceAll(strings.ToValidUTF8(err.Error(), "?"), "\x00", ""))
				return err
			}
			_, err = tx.ExecContext(ctx, `UPDATE notifications SET sent_at = now() WHERE id = $1`, n.ID)
			return err
		})
		if err != nil {
			return sent, fmt.Errorf("send notifications %s: %w", arg, err)
		}
		if done {
			return sent, nil
		}
		if !failed {
			sent++
		}
	}
}

// NotifyUnitsWithDrafts writes one notification (id prefix idPrefix) to each submitter of every
// unit that still has a draft for planYear (T1); with all set, to every submitter; and to the
// active deputy (代理人) of an absent one (withDeputies). Idempotent.
func (s *Store) NotifyUnitsWithDrafts(ctx context.Context, idPrefix string, planYear int, all bool, kind, title, body string) (int64, error) {
	q := `WITH sub AS (SELECT u.id FROM users u
		JOIN user_roles r ON r.user_id = u.id AND r.role = 'submitter'
		WHERE NOT u.disabled AND ($3 OR EXISTS (SELECT 1 FROM projects p WHERE p.unit_id = u.org_id AND p.plan_year = $2 AND p.stage = 'draft')))
		INSERT INTO notifications (id, user_id, kind, title, body)
		SELECT $1 || ':' || u.id, u.id, $4, $5, $6 FROM ` + withDeputies("sub") + ` AS u(id)
		ON CONFLICT (id) DO NOTHING`
	res, err := s.db.ExecContext(ctx, q, idPrefix, planYear, all, kind, title, body)
	if err != nil {
		return 0, fmt.Errorf("notify units with drafts: %w", err)
	}
	return res.RowsAffected()
}

// FailedNotifications counts the notifications whose mail gave up.
func (s *Store) FailedNotifications(ctx context.Context) (int64, error) {
	var n int64
	if err := s.db.GetContext(ctx, &n, `SELECT count(*) FROM notifications WHERE failed_at IS NOT NULL`); err != nil {
		return 0, fmt.Errorf("failed notifications: %w", err)
	}
	return n, nil
}
