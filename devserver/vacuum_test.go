package main

import (
	"context"
	stdsql "database/sql"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// pgDB opens database name of st's server for the test's own statements.
func pgDB(t *testing.T, st *postgresStore, name string) *stdsql.DB {
	t.Helper()
	db, err := stdsql.Open("postgres", st.dsn(name))
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })
	return db
}

// The stand-in for autovacuum (a server whose autovacuum is off, like this project's test
// machine) vacuums a table of the store's whose dead rows pass autovacuum's default threshold,
// analyses one that only changed, and leaves alone one below both (docs/PERFORMANCE.md §11.1.9).
func TestVacuumOnceFollowsAutovacuumThresholds(t *testing.T) {
	st := pgTestStore(t)
	require.NoError(t, st.ensureDatabase(st.db))
	db := pgDB(t, st, st.db)
	ctx := context.Background()
	conn, err := db.Conn(ctx)
	require.NoError(t, err)
	defer conn.Close()
	exec := func(qs ...string) {
		for _, q := range append(qs, `SELECT pg_stat_force_next_flush()`) {
			_, err := conn.ExecContext(ctx, q)
			require.NoError(t, err, q)
		}
	}
	stat := func(col, table string) (n int64) {
		require.NoError(t, db.QueryRow(`SELECT `+col+` FROM pg_stat_user_tables WHERE relname = $1`, table).Scan(&n))
		return n
	}
	// The statistics reach the shared view once the writing session has flushed them.
	flushed := func(col, table string, want int64) {
		require.Eventually(t, func() bool { return stat(col, table) == want }, 10*time.Second, 50*time.Millisecond, "%s of %s", col, table)
	}
	exec(`CREATE TABLE churn (id int PRIMARY KEY)`, `CREATE TABLE grown (id int PRIMARY KEY)`, `CREATE TABLE calm (id int PRIMARY KEY)`,
		`INSERT INTO churn SELECT generate_series(1, 1000)`, `INSERT INTO calm SELECT generate_series(1, 1000)`)
	flushed("n_tup_ins", "churn", 1000)
	flushed("n_tup_ins", "calm", 1000)
	exec(`ANALYZE churn`, `ANALYZE calm`)
	flushed("n_mod_since_analyze", "calm", 0)
	// churn: 900 dead rows against 100 live (past 50 + 20 %); grown: 200 new rows and none
	// dead (past analyse's 50 + 10 %); calm: 10 dead against 990 live (below both).
	exec(`DELETE FROM churn WHERE id > 100`, `INSERT INTO grown SELECT generate_series(1, 200)`, `DELETE FROM calm WHERE id <= 10`)
	flushed("n_dead_tup", "churn", 900)
	flushed("n_dead_tup", "calm", 10)
	flushed("n_tup_ins", "grown", 200)
	dead := func(table string) int64 { return stat("n_dead_tup", table) }

	done, err := vacuumOnce(ctx, db)
	require.NoError(t, err)
	require.ElementsMatch(t, []string{"public.churn", "public.grown"}, done)
	var vacuumed, analysed, calmVacuumed bool
	require.Eventually(t, func() bool {
		require.NoError(t, db.QueryRow(`SELECT
			(SELECT last_vacuum IS NOT NULL FROM pg_stat_user_tables WHERE relname = 'churn'),
			(SELECT last_analyze IS NOT NULL FROM pg_stat_user_tables WHERE relname = 'grown'),
			(SELECT last_vacuum IS NOT NULL FROM pg_stat_user_tables WHERE relname = 'calm')`).Scan(&vacuumed, &analysed, &calmVacuumed))
		return vacuumed && analysed
	}, 10*time.Second, 100*time.Millisecond)
	require.False(t, calmVacuumed, "a table below the thresholds is left alone")
	require.Zero(t, dead("churn"))
	require.EqualValues(t, 10, dead("calm"))

	// Nothing past the thresholds now: a second pass does nothing.
	done, err = vacuumOnce(ctx, db)
	require.NoError(t, err)
	require.Empty(t, done)
}

func TestPostgresStoreDSN(t *testing.T) {
	st, err := newPostgresStore("postgres://egov:p%40ss@db.example:6543/maint?sslmode=require", "t1", "v1", "off")
	require.NoError(t, err)
	require.Equal(t, "postgres://egov:p%40ss@db.example:6543/t1?sslmode=require&synchronous_commit=off", st.dsn("t1"))
}
