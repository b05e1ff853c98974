package schema_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"egovpm/internal/store"
	"egovpm/internal/testdb"
	"egovpm/schema"
)

// TestR14_EvaluationsWrittenBeforeRoundsAreRound1: migration 0030 (issue 19 item 9) keeps the
// one evaluation a project had as its round 1; a later round is a row of its own, a round
// written twice is refused, and no project has a next round date until a workflow writes one.
func TestR14_EvaluationsWrittenBeforeRoundsAreRound1(t *testing.T) {
	ctx := context.Background()
	db, err := store.Open(ctx, testdb.URL(t))
	require.NoError(t, err)
	defer db.Close()
	// The database as the release before schema 0030 left it.
	_, err = db.Exec(`DROP SCHEMA public CASCADE; CREATE SCHEMA public`)
	require.NoError(t, err)
	require.NoError(t, schema.MigrateTo(ctx, db.DB, 28))
	_, err = db.ExecContext(ctx, `INSERT INTO orgs (id, name, kind) VALUES ('unit-a', '市教育局', 'unit');
		INSERT INTO users (id, username, name, org_id, password_hash) VALUES ('u-alice', 'alice', '王丽', 'unit-a', 'x');
		INSERT INTO projects (id, unit_id, name, type, plan_year, estimated_investment_fen, mlps_level, stage, round, created_by)
		VALUES ('p-1', 'unit-a', '教育考试管理系统', 'new', 2030, 100, 2, 'om', 1, 'u-alice');
		INSERT INTO evaluations (project_id, score, grade, findings, evaluated_by) VALUES ('p-1', 86, 'good', '运行平稳', 'u-alice')`)
	require.NoError(t, err)

	_, err = schema.Migrate(ctx, db.DB)
	require.NoError(t, err)
	var rounds []int
	require.NoError(t, db.SelectContext(ctx, &rounds, `SELECT round FROM evaluations WHERE project_id = 'p-1'`))
	require.Equal(t, []int{1}, rounds)
	_, err = db.ExecContext(ctx, `INSERT INTO evaluations (project_id, round, score, grade, findings, evaluated_by)
		VALUES ('p-1', 2, 90, 'excellent', '第二期', 'u-alice')`)
	require.NoError(t, err, "a later round is a row of its own")
	_, err = db.ExecContext(ctx, `INSERT INTO evaluations (project_id, round, score, grade, findings, evaluated_by)
		VALUES ('p-1', 1, 50, 'fair', '重复', 'u-alice')`)
	require.Error(t, err, "one row per round")
	var due []any
	require.NoError(t, db.SelectContext(ctx, &due, `SELECT evaluation_due_at FROM projects WHERE evaluation_due_at IS NOT NULL`))
	require.Empty(t, due)
}
