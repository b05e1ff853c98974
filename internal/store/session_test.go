package store_test

import (
	"context"
	"testing"
	"time"

	"egovpm/internal/store"

	"github.com/stretchr/testify/require"
)

// TestSessionUserTaskIsSessionUserAndTask: the folded read of the task routes returns what the
// two reads it replaces return, columns with NULLs and the revocation included, and reports a
// missing user or task as not found (the caller then reads them alone).
func TestSessionUserTaskIsSessionUserAndTask(t *testing.T) {
	t.Parallel()
	st := applyFixture(t)
	ctx := context.Background()
	// tb decided (every nullable column set), ta open (NULLs), a revoked token of alice.
	_, err := st.DB().Exec(`UPDATE tasks SET status = 'done', decision = 'pass', decided_by = 'u-exp2', decided_at = now(),
		comment = '同意', assignee_id = 'u-exp2', candidate_org_id = 'unit-a' WHERE id = 'tb'`)
	require.NoError(t, err)
	mustTx(t, st, func(tx *store.Tx) error {
		return st.RevokeToken(ctx, tx, "jti-gone", "u-alice", time.Now().Add(time.Hour))
	})

	for _, c := range []struct{ user, jti, task string }{
		{"u-alice", "jti-live", "ta"}, {"u-alice", "jti-gone", "tb"}, {"u-drb1", "jti-x", "tb"},
	} {
		u, revoked, task, found, err := st.SessionUserTask(ctx, c.user, c.jti, c.task)
		require.NoError(t, err)
		require.True(t, found, c)
		wantU, wantRevoked, err := st.SessionUser(ctx, c.user, c.jti)
		require.NoError(t, err)
		wantT, err := st.Task(ctx, c.task)
		require.NoError(t, err)
		require.Equal(t, wantU, u, c)
		require.Equal(t, wantRevoked, revoked, c)
		require.Equal(t, wantT, task, c)
	}
	_, revoked, _, _, _ := st.SessionUserTask(ctx, "u-alice", "jti-gone", "ta")
	require.True(t, revoked)

	for _, c := range []struct{ user, task string }{{"u-alice", "no-such-task"}, {"u-nobody", "ta"}} {
		_, _, _, found, err := st.SessionUserTask(ctx, c.user, "jti", c.task)
		require.NoError(t, err)
		require.False(t, found, c)
	}
}
