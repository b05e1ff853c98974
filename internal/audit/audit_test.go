package audit_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/jmoiron/sqlx"
	"github.com/stretchr/testify/require"

	"egovpm/internal/audit"
	"egovpm/internal/testdb"
)

func appendN(t *testing.T, n int) (*sqlx.DB, *audit.Chain) {
	t.Helper()
	st := testdb.New(t)
	ctx := context.Background()
	for i := 1; i <= n; i++ {
		tx, err := st.DB.BeginTxx(ctx, nil)
		require.NoError(t, err)
		require.NoError(t, st.Audit.Append(ctx, tx, audit.Entry{ActorID: "u-drb1", OrgID: "drb", Action: "task.decide",
			ObjectType: "project", ObjectID: fmt.Sprintf("p-%d", i), Outcome: "approve", Detail: map[string]any{"i": i, "说明": "同意"}}))
		require.NoError(t, tx.Commit())
	}
	return st.DB, st.Audit
}

// tamper runs SQL as a superuser would, with the append-only trigger disabled.
func tamper(t *testing.T, db *sqlx.DB, q string) {
	t.Helper()
	_, err := db.Exec(`ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update`)
	require.NoError(t, err)
	_, err = db.Exec(q)
	require.NoError(t, err)
	_, err = db.Exec(`ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_update`)
	require.NoError(t, err)
}

// TestR18_ChainVerifies: an untouched chain verifies, and a wrong key does not.
func TestR18_ChainVerifies(t *testing.T) {
	db, chain := appendN(t, 5)
	res, err := chain.Verify(context.Background(), db)
	require.NoError(t, err)
	require.True(t, res.OK, res.Reason)
	require.EqualValues(t, 5, res.Checked)

	res, err = audit.New("another key").Verify(context.Background(), db)
	require.NoError(t, err)
	require.False(t, res.OK)
	require.EqualValues(t, 1, res.Broken)
}

// TestR18_TamperDetected: altering, deleting a middle row or deleting the last row is reported
// at that row.
func TestR18_TamperDetected(t *testing.T) {
	cases := []struct {
		name string
		sql  string
		want int64
	}{
		{"altered outcome", `UPDATE audit_log SET outcome = 'reject' WHERE seq = 3`, 3},
		{"altered detail", `UPDATE audit_log SET detail = '{"i": 99}' WHERE seq = 2`, 2},
		{"deleted middle", `DELETE FROM audit_log WHERE seq = 4`, 4},
		{"deleted first", `DELETE FROM audit_log WHERE seq = 1`, 1},
		{"deleted last", `DELETE FROM audit_log WHERE seq = 5`, 5},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			db, chain := appendN(t, 5)
			tamper(t, db, tc.sql)
			res, err := chain.Verify(context.Background(), db)
			require.NoError(t, err)
			require.False(t, res.OK)
			require.Equal(t, tc.want, res.Broken, res.Reason)
		})
	}
}

// TestR18_DedupKey: an append with a dedup key already written writes nothing (a retried
// activity).
func TestR18_DedupKey(t *testing.T) {
	st := testdb.New(t)
	ctx := context.Background()
	for range 2 {
		tx, err := st.DB.BeginTxx(ctx, nil)
		require.NoError(t, err)
		require.NoError(t, st.Audit.Append(ctx, tx, audit.Entry{ActorID: "a", Action: "x", ObjectType: "o", ObjectID: "1", Outcome: "ok", DedupKey: "k1"}))
		require.NoError(t, tx.Commit())
	}
	var n int
	require.NoError(t, st.DB.Get(&n, `SELECT count(*) FROM audit_log`))
	require.Equal(t, 1, n)
}
