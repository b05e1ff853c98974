package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/lib/pq"
)

// Absence is a standing deputy (代理人, issue 19 item 6): while it is active (not ended, now in
// [StartsAt, EndsAt)) the tasks held by UserID show in DeputyID's 待办, DeputyID may take them
// over (代理), and notifications to UserID reach DeputyID too.
type Absence struct {
	ID         string     `db:"id" json:"id"`
	UserID     string     `db:"user_id" json:"user_id"`
	UserName   string     `db:"user_name" json:"user_name"`
	DeputyID   string     `db:"deputy_id" json:"deputy_id"`
	DeputyName string     `db:"deputy_name" json:"deputy_name"`
	StartsAt   time.Time  `db:"starts_at" json:"starts_at"`
	EndsAt     time.Time  `db:"ends_at" json:"ends_at"`
	Reason     string     `db:"reason" json:"reason"`
	CreatedBy  string     `db:"created_by" json:"created_by"`
	CreatedAt  time.Time  `db:"created_at" json:"created_at"`
	EndedAt    *time.Time `db:"ended_at" json:"ended_at"`
}

// activeAbsence is the SQL condition of an active absence a.
const activeAbsence = `a.ended_at IS NULL AND a.starts_at <= now() AND now() < a.ends_at`

// withDeputies is the SQL set (one column, id) of the people of set (a FROM item with an id
// column, e.g. "unnest($1::text[]) AS s(id)") and the enabled active deputy (代理人) of each
// of them who is absent: every notice to an absent user also reaches his deputy, once however
// many of the set he stands in for, and once when he is one of the set himself (UNION).
func withDeputies(set string) string {
	return `(SELECT id FROM ` + set + ` UNION SELECT a.deputy_id FROM absences a JOIN users d ON d.id = a.deputy_id AND NOT d.disabled
		WHERE a.user_id IN (SELECT id FROM ` + set + `) AND ` + activeAbsence + `)`
}

const absenceCols = `a.id, a.user_id, u.name AS user_name, a.deputy_id, d.name AS deputy_name, a.starts_at, a.ends_at,
	a.reason, a.created_by, a.created_at, a.ended_at`

// ErrAbsenceOverlaps: the user has another absence not ended whose period overlaps.
var ErrAbsenceOverlaps = errors.New("absence overlaps another")

// CreateAbsence records an absence with its audit row (written by audit in the same
// transaction), unless the user has another absence not ended whose period overlaps
// (ErrAbsenceOverlaps).
func (s *Store) CreateAbsence(ctx context.Context, a Absence, audit func(*Tx) error) error {
	return s.WithTx(ctx, func(tx *Tx) error {
		// One absence of a user at a time: serialize the user's absences.
		if _, err := tx.tx.ExecContext(ctx, `SELECT 1 FROM users WHERE id = $1 FOR UPDATE`, a.UserID); err != nil {
			return fmt.Errorf("lock user: %w", err)
		}
		var n int
		if err := tx.tx.GetContext(ctx, &n, `SELECT count(*) FROM absences WHERE user_id = $1 AND ended_at IS NULL
			AND starts_at < $3 AND $2 < ends_at`, a.UserID, a.StartsAt, a.EndsAt); err != nil {
			return fmt.Errorf("overlapping absences: %w", err)
		}
		if n > 0 {
			return ErrAbsenceOverlaps
		}
		if _, err := tx.tx.ExecContext(ctx, `INSERT INTO absences (id, user_id, deputy_id, starts_at, ends_at, reason, created_by)
			VALUES ($1,$2,$3,$4,$5,$6,$7)`, a.ID, a.UserID, a.DeputyID, a.StartsAt, a.EndsAt, a.Reason, a.CreatedBy); err != nil {
			return fmt.Errorf("absence: %w", err)
		}
		return audit(tx)
	})
}

// Absences lists the absences not ended whose period has not passed where userID is the
// absent user or the deputy ("" lists everyone's: the administrator), soonest first.
func (s *Store) Absences(ctx context.Context, userID string) ([]Absence, error) {
	out := []Absence{}
	err := s.db.SelectContext(ctx, &out, `SELECT `+absenceCols+` FROM absences a JOIN users u ON u.id = a.user_id
		JOIN users d ON d.id = a.deputy_id
		WHERE a.ended_at IS NULL AND a.ends_at > now() AND ($1 = '' OR a.user_id = $1 OR a.deputy_id = $1)
		ORDER BY a.starts_at, a.id LIMIT 200`, userID)
	if err != nil {
		return nil, fmt.Errorf("absences: %w", err)
	}
	return out, nil
}

// Absence returns one absence.
func (s *Store) Absence(ctx context.Context, id string) (Absence, error) {
	var a Absence
	err := s.db.GetContext(ctx, &a, `SELECT `+absenceCols+` FROM absences a JOIN users u ON u.id = a.user_id
		JOIN users d ON d.id = a.deputy_id WHERE a.id = $1`, id)
	return a, notFound(err)
}

// EndAbsence ends absence id now (its deputy no longer sees or takes over the user's tasks)
// with its audit row (written by audit in the same transaction); it reports false when it
// had ended already.
func (s *Store) EndAbsence(ctx context.Context, id string, audit func(*Tx) error) (bool, error) {
	ended := false
	err := s.WithTx(ctx, func(tx *Tx) error {
		r, err := tx.tx.ExecContext(ctx, `UPDATE absences SET ended_at = now() WHERE id = $1 AND ended_at IS NULL`, id)
		if err != nil {
			return fmt.Errorf("end absence: %w", err)
		}
		if n, _ := r.RowsAffected(); n == 0 {
			return nil
		}
		ended = true
		return audit(tx)
	})
	return ended, err
}

// ActiveAbsence returns userID's active absence, or ErrNotFound.
func (s *Store) ActiveAbsence(ctx context.Context, userID string) (Absence, error) {
	var a Absence
	err := s.db.GetContext(ctx, &a, `SELECT `+absenceCols+` FROM absences a JOIN users u ON u.id = a.user_id
		JOIN users d ON d.id = a.deputy_id WHERE a.user_id = $1 AND `+activeAbsence+` ORDER BY a.starts_at LIMIT 1`, userID)
	return a, notFound(err)
}

// Deputies lists who may stand in for userID (代理人): active users of the same org who share
// one of the given roles, userID excepted, by name.
func (s *Store) Deputies(ctx context.Context, userID, orgID string, roles []string) ([]User, error) {
	out := []User{}
	err := s.db.SelectContext(ctx, &out, `SELECT `+userCols+` FROM users u WHERE NOT u.disabled AND u.org_id = $2 AND u.id <> $1
		AND EXISTS (SELECT 1 FROM user_roles r WHERE r.user_id = u.id AND r.role = ANY($3::text[])) ORDER BY u.name, u.id LIMIT 200`,
		userID, orgID, pq.Array(roles))
	if err != nil {
		return nil, fmt.Errorf("deputies: %w", err)
	}
	return out, nil
}
