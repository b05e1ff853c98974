package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"egovpm/internal/authz"
)

// StageCount is how many projects of a reach are in one stage.
type StageCount struct {
	Stage string `db:"stage" json:"stage"`
	Count int    `db:"n" json:"count"`
}

// StageCounts counts the projects reach r reads per stage (the projects GET /projects lists to
// the same actor: one reach condition, reachSQL), of planYear when it is not 0.
func (s *Store) StageCounts(ctx context.Context, r authz.Reach, planYear int) ([]StageCount, error) {
	var args []any
	arg := placeholders(&args)
	where := []string{reachSQL(r, arg)}
	if planYear != 0 {
		where = append(where, "p.plan_year = "+arg(planYear))
	}
	q := `SELECT p.stage, count(*) AS n FROM projects p WHERE ` + strings.Join(where, " AND ") + ` GROUP BY p.stage ORDER BY p.stage`
	var out []StageCount
	if err := s.db.SelectContext(ctx, &out, q, args...); err != nil {
		return nil, fmt.Errorf("stage counts: %w", err)
	}
	return out, nil
}

// DueProject is a project with a date the dashboard counts down to: the end of its trial run
// (T3) or an O&M filing deadline (T4).
type DueProject struct {
	ProjectID string    `db:"project_id" json:"project_id"`
	Name      string    `db:"name" json:"name"`
	UnitID    string    `db:"unit_id" json:"unit_id"`
	DueAt     time.Time `db:"due_at" json:"due_at"`
	// Year is the O&M year of a filing (T4); 0 for a trial run.
	Year int `db:"year" json:"year,omitempty"`
	// Overdue: the filing deadline passed without a filing (R13).
	Overdue bool `db:"overdue" json:"overdue"`
}

// DueList is the first rows of a dashboard list and how many rows it has in all.
type DueList struct {
	Total int          `json:"total"`
	Items []DueProject `json:"items"`
}

// TrialRunsEnding lists the projects reach r reads that are in their trial run and whose trial
// run ends before `before` (ended ones included: no acceptance application yet), soonest
// first: the first limit of them and the count (T3).
func (s *Store) TrialRunsEnding(ctx context.Context, r authz.Reach, before time.Time, limit int) (DueList, error) {
	var args []any
	arg := placeholders(&args)
	from := `FROM projects p WHERE p.stage = 'trial_run' AND p.trial_run_ends_at IS NOT NULL
		AND p.trial_run_ends_at < ` + arg(before) + ` AND ` + reachSQL(r, arg)
	return s.dueList(ctx, `SELECT p.id AS project_id, p.name, p.unit_id, p.trial_run_ends_at AS due_at, 0 AS year, false AS overdue `+
		from+` ORDER BY p.trial_run_ends_at, p.id`, `SELECT count(*) `+from, limit, args)
}

// OMFilingsDue lists the O&M filings of projects reach r reads that are not filed and are due
// before `before` or overdue already, overdue and soonest first: the first limit of them and
// the count (R13, T4).
func (s *Store) OMFilingsDue(ctx context.Context, r authz.Reach, before time.Time, limit int) (DueList, error) {
	var args []any
	arg := placeholders(&args)
	from := `FROM om_filings f JOIN projects p ON p.id = f.project_id WHERE f.filed_at IS NULL
		AND (f.overdue OR f.due_at < ` + arg(before) + `) AND ` + reachSQL(r, arg)
	return s.dueList(ctx, `SELECT p.id AS project_id, p.name, p.unit_id, f.due_at, f.year, f.overdue `+
		from+` ORDER BY f.overdue DESC, f.due_at, p.id`, `SELECT count(*) `+from, limit, args)
}

func (s *Store) dueList(ctx context.Context, list, count string, limit int, args []any) (DueList, error) {
	out := DueList{Items: []DueProject{}}
	if err := s.db.GetContext(ctx, &out.Total, count, args...); err != nil {
		return out, fmt.Errorf("due count: %w", err)
	}
	q := list + fmt.Sprintf(" LIMIT $%d", len(args)+1)
	if err := s.db.SelectContext(ctx, &out.Items, q, append(args, limit)...); err != nil {
		return out, fmt.Errorf("due list: %w", err)
	}
	return out, nil
}
