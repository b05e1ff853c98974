package audit_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/jmoiron/sqlx"
	"github.com/stretchr/testify/require"

	"egovpm/internal/audit"
	"egovpm/internal/testdb"
)

// counted is Writes that count the appends whose change went in: the change AppendAlone
// makes with its audit row, or not at all.
func counted(db *sqlx.DB) audit.Writes {
	return audit.Writes{SQL: `x AS (UPDATE alone_changes SET n = n + 1 WHERE id = $1 RETURNING 1),
	w AS (SELECT (SELECT count(*) FROM x) AS n)`, Args: []any{1}}
}

func execOn(db *sqlx.DB) audit.Exec {
	return func(ctx context.Context, dest any, q string, args ...any) error {
		return db.GetContext(ctx, dest, q, args...)
	}
}

// appendTx is AppendAfter in a transaction of its own.
func appendTx(ctx context.Context, db *sqlx.DB, c *audit.Chain, e audit.Entry, w audit.Writes) error {
	tx, err := db.BeginTxx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback() //nolint:errcheck // after Commit, a no-op
	if err := c.AppendAfter(ctx, tx, e, w); err != nil {
		return err
	}
	return tx.Commit()
}

func aloneFixture(t *testing.T) *sqlx.DB {
	t.Helper()
	st := testdb.New(t)
	_, err := st.DB().Exec(`CREATE TABLE alone_changes (id int PRIMARY KEY, n int NOT NULL); INSERT INTO alone_changes VALUES (1, 0)`)
	require.NoError(t, err)
	return st.DB()
}

func changes(t *testing.T, db *sqlx.DB) (made, rows int) {
	t.Helper()
	require.NoError(t, db.Get(&made, `SELECT n FROM alone_changes WHERE id = 1`))
	require.NoError(t, db.Get(&rows, `SELECT count(*) FROM audit_log`))
	return made, rows
}

// TestR18_AppendAloneExtendsTheHeadItKnows: AppendAlone appends after the head its process
// last wrote, in one statement with the change; when another process has moved the head, or
// the entry was appended before, it writes nothing (not even the change) and says so, and the
// transaction path that follows tells it the head again. The chain verifies throughout.
func TestR18_AppendAloneExtendsTheHeadItKnows(t *testing.T) {
	db := aloneFixture(t)
	ctx := context.Background()
	a, b := audit.New(testdb.AuditKey), audit.New(testdb.AuditKey) // two processes
	e := func(i int) audit.Entry {
		return audit.Entry{ActorID: "u-drb1", Action: "task.decide", ObjectType: "project", ObjectID: "p",
			Outcome: "approve", Detail: map[string]any{"i": i}, DedupKey: fmt.Sprintf("k%d", i)}
	}
	verify := func() {
		t.Helper()
		res, err := a.Verify(ctx, db)
		require.NoError(t, err)
		require.True(t, res.OK, res.Reason)
	}

	appendA := func(i int) bool {
		t.Helper()
		alone, err := a.AppendAlone(ctx, execOn(db), e(i), counted(db), func() error { return appendTx(ctx, db, a, e(i), counted(db)) })
		require.NoError(t, err)
		return alone
	}
	require.False(t, appendA(1), "no head known yet: a transaction")
	for i := 2; i <= 4; i++ {
		require.True(t, appendA(i), "entry %d", i)
	}
	made, rows := changes(t, db)
	require.Equal(t, 4, made)
	require.Equal(t, 4, rows)
	verify()

	// Another process appends: a's head is behind; its statement writes nothing.
	require.NoError(t, appendTx(ctx, db, b, e(5), counted(db)))
	alone, err := a.AppendAlone(ctx, execOn(db), e(6), counted(db), func() error {
		made, rows := changes(t, db)
		require.Equal(t, 5, made, "no change without its audit row")
		require.Equal(t, 5, rows)
		return appendTx(ctx, db, a, e(6), counted(db))
	})
	require.NoError(t, err)
	require.False(t, alone, "the head moved: a transaction")
	require.True(t, appendA(7), "the transaction told a the head")

	// A retry of an appended entry: the statement writes nothing, and the transaction finds
	// the entry appended.
	alone, err = a.AppendAlone(ctx, execOn(db), e(7), counted(db), func() error {
		made, rows := changes(t, db)
		require.Equal(t, 7, made, "the retry's change not made again")
		require.Equal(t, 7, rows)
		return appendTx(ctx, db, a, e(7), audit.Writes{})
	})
	require.NoError(t, err)
	require.False(t, alone)
	made, rows = changes(t, db)
	require.Equal(t, 7, made)
	require.Equal(t, 7, rows)
	verify()

	// A transaction that appended and rolled back: the head a saw (seq 8) is not in the chain;
	// the next append does not extend it (that would leave a gap) but finds the head moved.
	tx, err := db.BeginTxx(ctx, nil)
	require.NoError(t, err)
	require.NoError(t, a.AppendAfter(ctx, tx, e(8), audit.Writes{}))
	require.NoError(t, tx.Rollback())
	require.False(t, appendA(9), "the head a saw was rolled back: a transaction")
	require.True(t, appendA(10))
	made, rows = changes(t, db)
	require.Equal(t, 9, made)
	require.Equal(t, 9, rows)
	verify()
}

// TestR18_AppendAloneConcurrentWriters: one or two processes, each with concurrent appenders
// (AppendAlone with a transaction to fall back on, as store.ApplyTransition calls it). Every
// entry is in the chain once with its change, and the chain verifies. In one process only the
// first append needs a transaction: the others extend one another.
func TestR18_AppendAloneConcurrentWriters(t *testing.T) {
	for _, processes := range []int{1, 2} {
		t.Run(fmt.Sprintf("processes=%d", processes), func(t *testing.T) {
			db := aloneFixture(t)
			ctx := context.Background()
			var chains []*audit.Chain
			for range processes {
				chains = append(chains, audit.New(testdb.AuditKey))
			}
			const workers, each = 6, 40
			var wg sync.WaitGroup
			var mu sync.Mutex
			alone := 0
			errs := make(chan error, workers)
			for w := range workers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					c := chains[w%processes]
					for i := range each {
						e := audit.Entry{ActorID: "u", Action: "x", ObjectType: "o", ObjectID: "1", Outcome: "ok",
							DedupKey: fmt.Sprintf("w%d-%d", w, i)}
						one, err := c.AppendAlone(ctx, execOn(db), e, counted(db), func() error { return appendTx(ctx, db, c, e, counted(db)) })
						if err != nil {
							errs <- err
							return
						}
						if one {
							mu.Lock()
							alone++
							mu.Unlock()
						}
					}
				}()
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				require.NoError(t, err)
			}
			made, rows := changes(t, db)
			require.Equal(t, workers*each, rows)
			require.Equal(t, workers*each, made)
			res, err := chains[0].Verify(ctx, db)
			require.NoError(t, err)
			require.True(t, res.OK, res.Reason)
			t.Logf("%d of %d appends in one statement", alone, workers*each)
			if processes == 1 {
				require.Equal(t, workers*each-1, alone)
			} else {
				require.Greater(t, alone, 0)
			}
		})
	}
}
