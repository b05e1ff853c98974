package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"egovpm/internal/audit"
)

// Urge is one 催办 of an overdue task: who urges it, how often one person may urge one task,
// the notification its holders get and the audit row that records it.
type Urge struct {
	// ID names the urge; the notifications' ids are ID + "#0:" + the recipient's id, so
	// SendNotifications(ID) mails them.
	ID      string
	TaskID  string
	ActorID string
	// Every is the least time between two urges of the task by the actor.
	Every time.Duration
	// Kind, Title and Body are the notification's.
	Kind, Title, Body string
	// Audit is the audit row; its Detail must be a map, to which the store adds the count of
	// people notified ("notified") and the task's due date ("due_at").
	Audit audit.Entry
}

// UrgeResult is what an urge did.
type UrgeResult struct {
	// Notified is how many people were notified: the assignee, or each candidate of a task
	// offered to a role (and org) and not claimed.
	Notified int64
	// DueAt is the task's due date; At the urge's time (the database's clock).
	DueAt, At time.Time
}

// ErrTaskNotOpen and ErrTaskNotOverdue refuse an urge of a task that is closed, or open and
// not yet past its due date (T2: the read model's due_at against the database's clock, as
// GET /tasks/overdue decides).
var (
	ErrTaskNotOpen    = errors.New("task not open")
	ErrTaskNotOverdue = errors.New("task not overdue")
)

// UrgeTooSoonError refuses an urge within Every of the actor's previous urge of the task.
type UrgeTooSoonError struct {
	// Last is the previous urge, Next the first time the next one is accepted.
	Last, Next time.Time
}

func (e *UrgeTooSoonError) Error() string {
	return fmt.Sprintf("urged at %s; next urge from %s", e.Last.Format(time.RFC3339), e.Next.Format(time.RFC3339))
}

// UrgeTask records an urge of an overdue open task in one transaction: the notifications of
// the people who hold the task (its assignee, else every enabled candidate of its role and
// org, an expert never of the project's unit (R4); never the urger) and the audit row. The rate limit holds under concurrency: urges of
// one task by one actor take a transaction-scoped advisory lock, and the previous urge is read
// from the audit log (R18 keeps it). Nothing is written when it refuses.
func (s *Store) UrgeTask(ctx context.Context, u Urge) (UrgeResult, error) {
	var res UrgeResult
	detail, ok := u.Audit.Detail.(map[string]any)
	if !ok {
		return res, fmt.Errorf("urge %s: audit detail must be a map", u.TaskID)
	}
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`,
			"urge:"+u.TaskID+":"+u.ActorID); err != nil {
			return fmt.Errorf("urge lock: %w", err)
		}
		var t struct {
			Status   string         `db:"status"`
			DueAt    time.Time      `db:"due_at"`
			Now      time.Time      `db:"now"`
			Assignee sql.NullString `db:"assignee_id"`
			Role     string         `db:"candidate_role"`
			Org      sql.NullString `db:"candidate_org_id"`
		}
		err := tx.GetContext(ctx, &t, `SELECT status, due_at, now() AS now, assignee_id, candidate_role, candidate_org_id
			FROM tasks WHERE id = $1`, u.TaskID)
		if err != nil {
			return notFound(err)
		}
		res.DueAt, res.At = t.DueAt, t.Now
		switch {
		case t.Status != "open":
			return ErrTaskNotOpen
		case !t.DueAt.Before(t.Now):
			return ErrTaskNotOverdue
		}
		var last sql.NullTime
		err = tx.GetContext(ctx, &last, `SELECT max(at) FROM audit_log
			WHERE object_type = $1 AND object_id = $2 AND action = $3 AND actor_id = $4 AND outcome = 'ok'
			AND detail->>'task_id' = $5`, u.Audit.ObjectType, u.Audit.ObjectID, u.Audit.Action, u.ActorID, u.TaskID)
		if err != nil {
			return fmt.Errorf("last urge: %w", err)
		}
		if last.Valid && t.Now.Before(last.Time.Add(u.Every)) {
			return &UrgeTooSoonError{Last: last.Time, Next: last.Time.Add(u.Every)}
		}
		// The holders and the active deputy (代理人) of each absent holder, never the urger.
		r, err := tx.ExecContext(ctx, `WITH h AS (SELECT u.id FROM tasks t JOIN users u ON NOT u.disabled AND (
				u.id = t.assignee_id OR (t.assignee_id IS NULL
				AND EXISTS (SELECT 1 FROM user_roles r WHERE r.user_id = u.id AND r.role = t.candidate_role)
				AND (t.candidate_org_id IS NULL OR u.org_id = t.candidate_org_id)
				AND NOT (t.candidate_role = 'expert' AND EXISTS ( -- R4: never an expert of the project's unit
					SELECT 1 FROM projects p WHERE p.id = t.project_id AND p.unit_id = u.org_id))))
			WHERE t.id = $5)
			INSERT INTO notifications (id, user_id, kind, title, body, project_id, task_id)
			SELECT $1 || '#0:' || u.id, u.id, $2, $3, $4, t.project_id, t.id
			FROM tasks t, `+withDeputies("h")+` AS u(id)
			WHERE t.id = $5 AND u.id <> $6
			ON CONFLICT (id) DO NOTHING`, u.ID, u.Kind, u.Title, u.Body, u.TaskID, u.ActorID)
		if err != nil {
			return fmt.Errorf("urge notifications: %w", err)
		}
		if res.Notified, err = r.RowsAffected(); err != nil {
			return err
		}
		detail["notified"], detail["due_at"] = res.Notified, t.DueAt.UTC().Format(time.RFC3339)
		return s.Audit.Append(ctx, tx, u.Audit)
	})
	return res, err
}
