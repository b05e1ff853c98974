package store

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"egovpm/internal/audit"
)

// ActionExpertDraw and ActionExpertSelection are the audit actions of a random draw of
// experts and of the selection a session convenes (drawn or hand-picked with a reason; R4,
// 随机抽取, issue 19 item 6).
const (
	ActionExpertDraw      = "expert.draw"
	ActionExpertSelection = "expert.selection"
)

// ExpertPool returns the enabled experts with specialty, by id: the pool a draw picks from.
func (s *Store) ExpertPool(ctx context.Context, specialty string) ([]PanelExpert, error) {
	out := []PanelExpert{}
	const q = `SELECT u.id, u.name, u.org_id, coalesce(o.name, u.org_id) AS org_name FROM users u
		JOIN user_roles r ON r.user_id = u.id AND r.role = 'expert' LEFT JOIN orgs o ON o.id = u.org_id
		JOIN expert_specialties es ON es.user_id = u.id AND es.specialty = $1
		WHERE NOT u.disabled ORDER BY u.id`
	if err := s.db.SelectContext(ctx, &out, q, specialty); err != nil {
		return nil, fmt.Errorf("expert pool: %w", err)
	}
	return out, nil
}

// ExpertSpecialtiesOf returns each expert's specialties (user id → codes, sorted).
func (s *Store) ExpertSpecialtiesOf(ctx context.Context) (map[string][]string, error) {
	var rows []struct {
		UserID string         `db:"user_id"`
		Specs  pq.StringArray `db:"specs"`
	}
	err := s.db.SelectContext(ctx, &rows, `SELECT user_id, array_agg(specialty ORDER BY specialty) AS specs
		FROM expert_specialties GROUP BY user_id`)
	if err != nil {
		return nil, fmt.Errorf("expert specialties: %w", err)
	}
	out := make(map[string][]string, len(rows))
	for _, r := range rows {
		out[r.UserID] = r.Specs
	}
	return out, nil
}

// AddExpertSpecialties gives user the specialties (codes of domain.ExpertSpecialties) it
// lacks, in tx, and returns how many it added.
func (s *Store) AddExpertSpecialties(ctx context.Context, tx *Tx, userID string, specs []string) (int64, error) {
	r, err := tx.tx.ExecContext(ctx, `INSERT INTO expert_specialties (user_id, specialty)
		SELECT $1, unnest($2::text[]) ON CONFLICT DO NOTHING`, userID, pq.StringArray(specs))
	if err != nil {
		return 0, fmt.Errorf("expert specialties of %s: %w", userID, err)
	}
	return r.RowsAffected()
}

// RecordDraw appends the audit row of a draw (its detail the draw, json), once per draw id
// (a resent draw writes nothing more).
func (s *Store) RecordDraw(ctx context.Context, e audit.Entry) error {
	e.DedupKey = ActionExpertDraw + ":" + e.ObjectID
	return s.inTx(ctx, func(tx *sqlx.Tx) error { return s.Audit.Append(ctx, tx, e) })
}

// ExpertDrawRecord returns the detail of draw id's audit row and who drew it (ErrNotFound: no
// such draw).
func (s *Store) ExpertDrawRecord(ctx context.Context, id string) (detail json.RawMessage, actorID string, err error) {
	var row struct {
		Detail  []byte `db:"detail"`
		ActorID string `db:"actor_id"`
	}
	err = s.db.GetContext(ctx, &row, `SELECT detail, actor_id FROM audit_log
		WHERE object_type = 'expert_draw' AND object_id = $1 AND action = $2 ORDER BY seq LIMIT 1`, id, ActionExpertDraw)
	if err != nil {
		return nil, "", notFound(err)
	}
	return row.Detail, row.ActorID, nil
}
