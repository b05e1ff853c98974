package schema_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

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
	_, err := st.DB.ExecContext(ctx, `INSERT INTO audit_log (actor_id, action, object_type, object_id, outcome, prev_hash, hash)
		VALUES ('x','a','o','1','ok','p','h')`)
	require.NoError(t, err)
	_, err = st.DB.ExecContext(ctx, `UPDATE audit_log SET outcome = 'changed'`)
	require.ErrorContains(t, err, "append-only")
	_, err = st.DB.ExecContext(ctx, `DELETE FROM audit_log`)
	require.ErrorContains(t, err, "append-only")
}
