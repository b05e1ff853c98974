package store

import (
	"context"
	"fmt"

	"github.com/lib/pq"
)

// TasksByID returns the tasks of ids that exist, in no particular order, with their
// projects' unit for authorization (not who submitted them: Task reads that).
func (s *Store) TasksByID(ctx context.Context, ids []string) ([]Task, error) {
	var out []Task
	err := s.db.SelectContext(ctx, &out, `SELECT `+taskCols+` FROM tasks t LEFT JOIN projects p ON p.id = t.project_id
		WHERE t.id = ANY($1::text[])`, pq.StringArray(ids))
	if err != nil {
		return nil, fmt.Errorf("tasks by id: %w", err)
	}
	return out, nil
}
