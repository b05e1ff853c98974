package audit_test

import (
	"context"
	"fmt"
	"testing"
	"time"

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
		tx, err := st.DB().BeginTxx(ctx, nil)
		require.NoError(t, err)
		require.NoError(t, st.Audit.Append(ctx, tx, audit.Entry{ActorID: "u-drb1", OrgID: "drb", Action: "task.decide",
			ObjectType: "project", ObjectID: fmt.Sprintf("p-%d", i), Outcome: "approve", Detail: map[string]any{"i": i, "说明": "同意"}}))
		require.NoError(t, tx.Commit())
	}
	return st.DB(), st.Audit
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
		tx, err := st.DB().BeginTxx(ctx, nil)
		require.NoError(t, err)
		require.NoError(t, st.Audit.Append(ctx, tx, audit.Entry{ActorID: "a", Action: "x", ObjectType: "o", ObjectID: "1", Outcome: "ok", DedupKey: "k1"}))
		require.NoError(t, tx.Commit())
	}
	var n int
	require.NoError(t, st.DB().Get(&n, `SELECT count(*) FROM audit_log`))
	require.Equal(t, 1, n)
}

// TestR18_DedupKeyConcurrentAppend: two transactions append the same dedup key at once (an
// activity retried while its first attempt still runs). The second waits for the head lock;
// its statement's snapshot predates the first commit, so the insert itself must skip the key:
// one row, the head not moved by the skipped one, the chain intact, no error.
func TestR18_DedupKeyConcurrentAppend(t *testing.T) {
	st := testdb.New(t)
	ctx := context.Background()
	e := audit.Entry{ActorID: "a", Action: "x", ObjectType: "o", ObjectID: "1", Outcome: "ok", DedupKey: "k2"}
	tx1, err := st.DB().BeginTxx(ctx, nil)
	require.NoError(t, err)
	require.NoError(t, st.Audit.Append(ctx, tx1, e))

	tx2, err := st.DB().BeginTxx(ctx, nil)
	require.NoError(t, err)
	var pid int
	require.NoError(t, tx2.GetContext(ctx, &pid, `SELECT pg_backend_pid()`))
	done := make(chan error, 1)
	go func() { done <- st.Audit.Append(ctx, tx2, e) }()
	require.Eventually(t, func() bool {
		var waiting bool
		err := st.DB().Get(&waiting, `SELECT coalesce(wait_event_type = 'Lock', false) FROM pg_stat_activity WHERE pid = $1`, pid)
		return err == nil && waiting
	}, 10*time.Second, 5*time.Millisecond, "the second append waits for the head lock")
	require.NoError(t, tx1.Commit())
	require.NoError(t, <-done)
	require.NoError(t, tx2.Commit())

	tx3, err := st.DB().BeginTxx(ctx, nil)
	require.NoError(t, err)
	require.NoError(t, st.Audit.Append(ctx, tx3, audit.Entry{ActorID: "a", Action: "y", ObjectType: "o", ObjectID: "1", Outcome: "ok"}))
	require.NoError(t, tx3.Commit())
	var n int
	require.NoError(t, st.DB().Get(&n, `SELECT count(*) FROM audit_log`))
	require.Equal(t, 2, n)
	res, err := st.Audit.Verify(ctx, st.DB())
	require.NoError(t, err)
	require.True(t, res.OK, res.Reason)
}
