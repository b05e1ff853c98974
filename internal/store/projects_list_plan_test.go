package store_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"egovpm/internal/authz"
	"egovpm/internal/domain"
	"egovpm/internal/store"
)

// TestListProjectsFilteredReadsAPage: issue 20 item 3, the project list filtered on stage,
// plan year or both reads a page of projects, not every project newer than the matches. Here
// as in the decade's read model (docs/PERFORMANCE.md §11.3) stage and year are correlated:
// the O&M projects are the oldest third and of the early years, so ?plan_year=2024&stage=om
// matches nothing while the planner, taking them as independent, would expect 200. Without
// 0034 that page walks projects_list_idx through all 6,000 rows; with its indexes but not its
// statistics on (stage, plan_year), it reads the year's 600 and filters them.
func TestListProjectsFilteredReadsAPage(t *testing.T) {
	t.Parallel()
	f := newPayFixture(t)
	ctx := context.Background()
	db := f.st.DB()
	_, err := db.ExecContext(ctx, `INSERT INTO projects (id, unit_id, name, type, plan_year, estimated_investment_fen,
			mlps_level, stage, created_by, created_at)
		SELECT 'p-plan-' || g, CASE WHEN g % 2 = 0 THEN 'unit-a' ELSE 'unit-b' END, '计划测试项目' || g,
			(ARRAY['new','continuation','om'])[1 + g % 3], 2025 - g / 600, 1000000, 2,
			CASE WHEN g >= 4000 THEN 'om' ELSE (ARRAY['construction','expert_review','approved'])[1 + g % 3] END,
			'u-alice', now() - g * interval '1 minute'
		FROM generate_series(0, 5999) g`)
	require.NoError(t, err)
	_, err = db.ExecContext(ctx, `ANALYZE projects`)
	require.NoError(t, err)

	reach := authz.ReachOf(domain.Actor{ID: "u-drb", OrgID: "drb", Roles: []string{string(domain.RoleDRBReviewer)}})
	for _, c := range []struct {
		filter store.ProjectFilter
		rows   int
	}{
		{store.ProjectFilter{PlanYear: 2024, Stage: "om"}, 0},
		{store.ProjectFilter{Stage: "om"}, 20},
		{store.ProjectFilter{PlanYear: 2016}, 20},
		{store.ProjectFilter{PlanYear: 2017, Stage: "om"}, 20},
	} {
		c.filter.Reach, c.filter.Limit = reach, 20
		ps, _, err := f.st.ListProjects(ctx, c.filter)
		require.NoError(t, err)
		require.Len(t, ps, c.rows, "%+v", c.filter)
		q, args, err := store.ListProjectsQuery(c.filter)
		require.NoError(t, err)
		root, plan := explain(t, db, q, args...)
		read := root.rowsRead("projects")
		t.Logf("year %d, stage %q: %.0f rows of projects read", c.filter.PlanYear, c.filter.Stage, read)
		require.LessOrEqual(t, read, float64(c.filter.Limit+1), "rows of projects read for a page of year %d, stage %q:\n%s",
			c.filter.PlanYear, c.filter.Stage, plan)
	}
}
