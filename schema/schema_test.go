package schema_test

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"egovpm/internal/audit"
	"egovpm/internal/store"
	"egovpm/internal/testdb"
	"egovpm/schema"
)

// TestMigrateAndCheck: a fresh database migrates to the latest version, Check accepts it,
// and a database behind the code is refused with a message that says what to run.
func TestMigrateAndCheck(t *testing.T) {
	ctx := context.Background()
	url := testdb.URL(t)
	db, err := store.Open(ctx, url)
	require.NoError(t, err)
	defer db.Close()
	require.NoError(t, schema.Check(ctx, db.DB))

	latest, err := schema.Latest()
	require.NoError(t, err)
	v, err := schema.Migrate(ctx, db.DB) // idempotent
	require.NoError(t, err)
	require.Equal(t, latest, v)

	_, err = db.ExecContext(ctx, `DELETE FROM goose_db_version WHERE version_id = $1`, latest)
	require.NoError(t, err)
	err = schema.Check(ctx, db.DB)
	require.ErrorIs(t, err, schema.ErrOutdated)
	require.Contains(t, err.Error(), "migrate")
}

// TestAuditLogAppendOnly: R18, the database itself refuses UPDATE and DELETE on audit_log.
func TestAuditLogAppendOnly(t *testing.T) {
	st := testdb.New(t)
	ctx := context.Background()
	_, err := st.DB().ExecContext(ctx, `INSERT INTO audit_log (actor_id, action, object_type, object_id, outcome, prev_hash, hash)
		VALUES ('x','a','o','1','ok','p','h')`)
	require.NoError(t, err)
	_, err = st.DB().ExecContext(ctx, `UPDATE audit_log SET outcome = 'changed'`)
	require.ErrorContains(t, err, "append-only")
	_, err = st.DB().ExecContext(ctx, `DELETE FROM audit_log`)
	require.ErrorContains(t, err, "append-only")
}

// upSection is the Up part of migration file name, run as one simple-protocol batch.
func upSection(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(name)
	require.NoError(t, err)
	up, _, ok := strings.Cut(string(b), "-- +goose Down")
	require.True(t, ok, "%s has no Down section", name)
	return up
}

// TestRoundBackfill: R3, migration 0014 sets the round of each existing project to the
// highest round its audit log names (project.submit / project.resubmit), which the read model
// had left at 1; a project never resubmitted keeps its round, and running it again changes
// nothing.
func TestRoundBackfill(t *testing.T) {
	st := testdb.New(t)
	ctx := context.Background()
	_, err := st.DB().ExecContext(ctx, `INSERT INTO orgs (id, name, kind) VALUES ('unit-a', '市教育局', 'unit');
		INSERT INTO users (id, username, name, org_id, password_hash) VALUES ('u-alice', 'alice', '王丽', 'unit-a', 'x');
		INSERT INTO projects (id, unit_id, name, type, plan_year, estimated_investment_fen, mlps_level, stage, round, created_by)
		VALUES ('p-1', 'unit-a', '教育考试管理系统', 'new', 2030, 100, 2, 'prelim_review', 1, 'u-alice'),
		       ('p-2', 'unit-a', '校园安全视频汇聚', 'new', 2030, 100, 2, 'prelim_review', 1, 'u-alice')`)
	require.NoError(t, err)
	tx, err := st.DB().BeginTxx(ctx, nil)
	require.NoError(t, err)
	for _, e := range []struct {
		project, action string
		round           any
	}{{"p-1", "project.submit", 1}, {"p-2", "project.submit", 1}, {"p-1", "project.resubmit", 2},
		{"p-1", "project.resubmit", 3}, {"p-2", "project.resubmit", "x"}} {
		require.NoError(t, st.Audit.Append(ctx, tx, audit.Entry{ActorID: "u-alice", Action: e.action, ObjectType: "project",
			ObjectID: e.project, Outcome: "ok", Detail: map[string]any{"round": e.round}}))
	}
	require.NoError(t, tx.Commit())

	for range 2 {
		_, err = st.DB().ExecContext(ctx, upSection(t, "0014_round_and_contract_cap.sql"))
		require.NoError(t, err)
		var rounds []int
		require.NoError(t, st.DB().SelectContext(ctx, &rounds, `SELECT round FROM projects ORDER BY id`))
		require.Equal(t, []int{3, 1}, rounds)
	}
}
