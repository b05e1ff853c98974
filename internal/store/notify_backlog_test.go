package store_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"egovpm/internal/seed"
	"egovpm/internal/store"
	"egovpm/internal/testdb"
)

// TestSendNotificationsReadsItsPrefixNotTheBacklog: the mail of a transition's notifications,
// and the sweep that sends each stale row by its id, read the unsent rows of their prefix only,
// not every unsent row (schema 0036). Before, starts_with() walked the whole unsent set on each
// read: with a backlog of 108,931 unsent rows each read took 0.5 s and the sweep, reading once
// per row, was quadratic (docs/PERFORMANCE.md §11.7).
func TestSendNotificationsReadsItsPrefixNotTheBacklog(t *testing.T) {
	t.Parallel()
	st := testdb.New(t)
	ctx := context.Background()
	require.NoError(t, seed.Demo(ctx, st, "demo-Passw0rd"))
	db := st.DB()
	// A backlog: 6,000 unsent notices of 3,000 transitions, and two of the one mailed.
	_, err := db.Exec(`INSERT INTO notifications (id, user_id, kind, title)
		SELECT 'project:p' || i || '/r/1#t0:' || u, u, 'task_opened', '待办'
		FROM generate_series(1, 3000) i, unnest(ARRAY['u-drb1', 'u-drbsup']) u`)
	require.NoError(t, err)
	testdb.Notifications(t, st, "project:px/r/7#t0:u-alice", "project:px/r/7#t1:u-bob")
	_, err = db.Exec(`ANALYZE notifications`)
	require.NoError(t, err)

	root, plan := explain(t, db, store.NextUnsentSQL, "project:px/r/7#")
	read := root.rowsRead("notifications")
	require.LessOrEqual(t, read, 2.0, "rows of notifications read for one transition's mail:\n%s", plan)

	// And it sends what starts with the prefix, all of it, and nothing else.
	var got []string
	n, err := st.SendNotifications(ctx, "project:px/r/7", func(p store.PendingNotification) error {
		got = append(got, p.ID)
		return nil
	})
	require.NoError(t, err)
	require.Equal(t, 2, n)
	require.Equal(t, []string{"project:px/r/7#t0:u-alice", "project:px/r/7#t1:u-bob"}, got)
	root, plan = explain(t, db, store.UnsentByIDSQL, "project:p17/r/1#t0:u-drbsup")
	require.LessOrEqual(t, root.rowsRead("notifications"), 1.0, "rows of notifications read for one stale row:\n%s", plan)
	n, err = store.SendUnsentByID(ctx, st, "project:p17/r/1#t0:u-drbsup", func(store.PendingNotification) error { return nil })
	require.NoError(t, err)
	require.Equal(t, 1, n, "a stale row sent by its id, as the sweep does")
	var unsent int
	require.NoError(t, db.Get(&unsent, `SELECT count(*) FROM notifications WHERE sent_at IS NULL`))
	require.Equal(t, 5999, unsent)
}
