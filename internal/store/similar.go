package store

import (
	"context"
	"database/sql"
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
//
// It reads every submitted project's id, name, description and data resources (issue 20: at a
// province's 10,000 projects, one submission's check): the project's own bigram sets are made
// once (similar.Matcher), and each other project's text, as its row streams in, is read once
// into a reused hash set, not into two string maps per text per pair as before.
//
// At most SimilarScans run at once in a process; the others wait, holding no connection, for
// their turn or their context's end.
// SimilarScans is how many ComputeSimilar scans a Store runs at once. Each holds a connection
// of the pool (16: Open) while it streams every submitted project of the year; unbounded, the
// scans of a burst of submissions (one per submission, hundreds in flight on a busy worker at
// 10,000 projects a year) held every connection, and Apply, on the decision path, waited past
// its deadline (docs/PERFORMANCE.md §11.1.3). Four keep the two cores busy and leave the pool
// to the rest.
const SimilarScans = 4

func (s *Store) ComputeSimilar(ctx context.Context, projectID string) (int, error) {
	select {
	case s.similarSlots <- struct{}{}:
		defer func() { <-s.similarSlots }()
	case <-ctx.Done():
		return 0, fmt.Errorf("similarity of %s: waiting for a scan slot: %w", projectID, ctx.Err())
	}
	var self struct {
		Name          string         `db:"name"`
		Description   string         `db:"description"`
		DataResources pq.StringArray `db:"data_resources"`
	}
	if err := s.db.GetContext(ctx, &self, `SELECT name, description, data_resources FROM projects WHERE id = $1`, projectID); err != nil {
		return 0, fmt.Errorf("project %s: %w", projectID, notFound(err))
	}
	me := similar.NewMatcher(similar.Doc{Name: self.Name, Description: self.Description, DataResources: self.DataResources})
	cs, err := s.similarCandidates(ctx, projectID, me)
	if err != nil {
		return 0, fmt.Errorf("projects: %w", err)
	}
	sort.Slice(cs, func(i, j int) bool {
		return cs[i].score > cs[j].score || (cs[i].score == cs[j].score && cs[i].id < cs[j].id)
	})
	if len(cs) > 20 {
		cs = cs[:20]
	}
	err = s.inTx(ctx, func(tx *sqlx.Tx) error {
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

// similarCand is a project scored at least SimilarThreshold against the one checked.
type similarCand struct {
	id      string
	score   float64
	reasons []string
}

// similarCandidates scores me against every submitted project but projectID, streaming the rows.
func (s *Store) similarCandidates(ctx context.Context, projectID string, me *similar.Matcher) ([]similarCand, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, name, description, data_resources FROM projects WHERE id <> $1 AND stage <> 'draft'`, projectID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var (
		cs  []similarCand
		id  sql.RawBytes
		doc similar.Doc
		res pq.StringArray
	)
	for rows.Next() {
		if err := rows.Scan(&id, &doc.Name, &doc.Description, &res); err != nil {
			return nil, err
		}
		doc.DataResources = res
		if c := me.Compare(doc); c.Score >= SimilarThreshold {
			// reasons is NOT NULL: Reasons is never nil (pq.Array(nil) would write NULL)
			cs = append(cs, similarCand{string(id), min(c.Score, 1), c.Reasons()})
		}
	}
	return cs, rows.Err()
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
