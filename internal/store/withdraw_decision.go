package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"egovpm/internal/domain"
)

// DecisionFollowedUp reports whether the step after decided task t has started as far as the
// read model tells (撤回决定, issue 19 item 2): another task of its project was decided after
// it, a task was opened after it (the decision's own open in its transaction, at its instant),
// a task it opened is claimed, or, for preliminary review, the project joined an expert
// session since (R4; a session convened on an earlier, withdrawn approval does not count: its
// panel was dropped, withdrawn-panel-dropped). The workflow checks the rest (its own order of
// events).
func (s *Store) DecisionFollowedUp(ctx context.Context, t Task) (bool, error) {
	if !t.ProjectID.Valid || !t.DecidedAt.Valid {
		return true, nil
	}
	var started bool
	err := s.getP(ctx, &started, `SELECT EXISTS (SELECT 1 FROM tasks o WHERE o.project_id = $1 AND o.id <> $2 AND
			((o.status = 'done' AND o.decided_at > $3) OR o.created_at > $3
			OR (o.status = 'open' AND o.assignee_id IS NOT NULL AND o.created_at >= $3)))
		OR ($4 AND EXISTS (SELECT 1 FROM expert_session_projects sp JOIN expert_sessions es ON es.id = sp.session_id
			WHERE sp.project_id = $1 AND es.created_at >= $3))`,
		t.ProjectID.String, t.ID, t.DecidedAt.Time, t.Kind == string(domain.TaskPrelimReview))
	if err != nil {
		return false, fmt.Errorf("decision followed up: %w", err)
	}
	return started, nil
}

// LastDecision returns the project's last decided task (the latest decision on one of its
// tasks); found is false when none was decided.
func (s *Store) LastDecision(ctx context.Context, projectID string) (t Task, found bool, err error) {
	var id string
	err = s.getP(ctx, &id, `SELECT id FROM tasks WHERE project_id = $1 AND status = 'done'
		ORDER BY decided_at DESC, id DESC LIMIT 1`, projectID)
	if errors.Is(err, sql.ErrNoRows) {
		return t, false, nil
	}
	if err != nil {
		return t, false, fmt.Errorf("last decision: %w", err)
	}
	t, err = s.Task(ctx, id)
	return t, err == nil, err
}
