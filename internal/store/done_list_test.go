package store_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"egovpm/internal/store"
)

// TestDoneListReadsAPage: 已办 (GET /tasks?status=done) pages on when each task was decided,
// the latest first (doneKey). A reviewer of a decade has decided thousands of tasks; a page,
// the first or one deep in the list, reads its rows and the one after, not every task the
// person decided (schema 0039; with 0004's index on the due date it read all 3,000 here and
// sorted them).
func TestDoneListReadsAPage(t *testing.T) {
	t.Parallel()
	f := newPayFixture(t)
	ctx := context.Background()
	db := f.st.DB()
	// 3,000 decisions each by alice and bob, decided in an order unlike their due dates.
	_, err := db.ExecContext(ctx, `INSERT INTO tasks (id, kind, workflow_id, candidate_role, status, decision,
			decided_by, decided_at, due_at, created_at)
		SELECT 't-done-' || u || '-' || g, 'prelim_review', 'wf-' || g, 'drb_reviewer', 'done', 'approve',
			u, now() - ((g * 7919) % 3000) * interval '1 hour', now() - g * interval '1 day', now() - interval '10 years'
		FROM generate_series(0, 2999) g, unnest(ARRAY['u-alice', 'u-bob']) u`)
	require.NoError(t, err)
	_, err = db.ExecContext(ctx, `ANALYZE tasks`)
	require.NoError(t, err)

	filter := store.TaskFilter{UserID: "u-alice", OrgID: "unit-a", Roles: []string{"submitter"}, Status: "done", Limit: 20}
	var last []store.Task
	for page := 0; page < 50; page++ { // 50 pages: the 1,000th decision and the page after it
		q, args, err := store.TaskListQuery(filter)
		require.NoError(t, err)
		root, plan := explain(t, db, q, args...)
		if read := root.rowsRead("tasks"); page == 0 || page == 49 {
			t.Logf("page %d: %.0f rows of tasks read", page+1, read)
			require.LessOrEqual(t, read, float64(filter.Limit+1), "rows of tasks read for page %d of 已办:\n%s", page+1, plan)
		}
		ts, next, err := f.st.ListTasks(ctx, filter)
		require.NoError(t, err)
		require.Len(t, ts, filter.Limit)
		for i, task := range ts {
			require.Equal(t, "u-alice", task.DecidedBy.String)
			prev := task
			if i > 0 {
				prev = ts[i-1]
			} else if len(last) > 0 {
				prev = last[len(last)-1]
			}
			require.False(t, task.DecidedAt.Time.After(prev.DecidedAt.Time), "the latest decided first: %s after %s", task.ID, prev.ID)
		}
		last, filter.Cursor = ts, next
	}
}
