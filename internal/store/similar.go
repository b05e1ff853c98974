package store

import (
	"context"
	"fmt"
	"sort"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"egovpm/internal/authz"
	"egovpm/internal/similar"
)

// SimilarRow is a duplicate-construction candidate (R16).
type SimilarRow struct {
	ProjectID string         `db:"similar_id" json:"project_id"`
	Name      string         `db:"name" json:"name"`
	UnitID    string         `db:"unit_id" json:"unit_id"`
	PlanYear  int            `db:"plan_year" json:"plan_year"`
	Stage     string         `db:"stage" json:"stage"`
	Score     float64        `db:"score" json:"score"`
	Reasons   pq.StringArray `db:"reasons" json:"reasons"`
}

// SimilarThreshold is the least score stored as a candidate.
const SimilarThreshold = 0.3

// ComputeSimilar scores the project against every other submitted project and stores the top
// candidates (idempotent: it replaces the project's earlier candidates).
func (s *Store) ComputeSimilar(ctx context.Context, projectID string) (int, error) {
	type row struct {
		ID            string         `db:"id"`
		Name          string         `db:"name"`
		Description   string         `db:"description"`
		DataResources pq.StringArray `db:"data_resources"`
	}
	var self row
	if err := s.db.GetContext(ctx, &self, `SELECT id, name, description, data_resources FROM projects WHERE id = $1`, projectID); err != nil {
		return 0, fmt.Errorf("project %s: %w", projectID, notFound(err))
	}
	var others []row
	if err := s.db.SelectContext(ctx, &others, `SELECT id, name, description, data_resources FROM projects WHERE id <> $1 AND stage <> 'draft'`, projectID); err != nil {
		return 0, fmt.Errorf("projects: %w", err)
	}
	type cand struct {
		id      string
		score   float64
		reasons []string
	}
	var cs []cand
	me := similar.Doc{Name: self.Name, Description: self.Description, DataResources: self.DataResources}
	for _, o := range others {
		sc, rs := similar.Score(me, similar.Doc{Name: o.Name, Description: o.Description, DataResources: o.DataResources})
		if sc >= SimilarThreshold {
			if rs == nil {
				rs = []string{} // reasons is NOT NULL: pq.Array(nil) would write NULL
			}
			cs = append(cs, cand{o.ID, min(sc, 1), rs})
		}
	}
	sort.Slice(cs, func(i, j int) bool {
		return cs[i].score > cs[j].score || (cs[i].score == cs[j].score && cs[i].id < cs[j].id)
	})
	if len(cs) > 20 {
		cs = cs[:20]
	}
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM project_similar WHERE project_id = $1`, projectID); err != nil {
			return err
		}
		for _, c := range cs {
			if _, err := tx.ExecContext(ctx, `INSERT INTO project_similar (project_id, similar_id, score, reasons) VALUES ($1,$2,$3,$4)`,
				projectID, c.id, c.score, pq.Array(c.reasons)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("store similar: %w", err)
	}
	return len(cs), nil
}

// Similar returns the stored candidates of a project that reach r shows (the same projects a
// read would open, authz.Reach), best first.
func (s *Store) Similar(ctx context.Context, projectID string, r authz.Reach) ([]SimilarRow, error) {
	args := []any{projectID}
	arg := placeholders(&args)
	var out []SimilarRow
	err := s.db.SelectContext(ctx, &out, `SELECT s.similar_id, p.name, p.unit_id, p.plan_year, p.stage, s.score, s.reasons
		FROM project_similar s JOIN projects p ON p.id = s.similar_id WHERE s.project_id = $1 AND `+reachSQL(r, arg)+`
		ORDER BY s.score DESC, s.similar_id`, args...)
	return out, err
}
