package store_test

import (
	"context"
	"database/sql"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"egovpm/internal/domain"
	"egovpm/internal/store"
	"egovpm/internal/testdb"
)

// Reads waiting for a connection are served in the order they came (the store's gate):
// database/sql alone hands a freed connection to a random waiter, which gave GET /tasks a p99
// four times its p50 under load (docs/PERFORMANCE.md §4). One connection, held by a
// transaction while twenty reads of both pools queue up one after the other; released, they
// must finish in arrival order.
func TestReadsWaitForConnectionsInArrivalOrder(t *testing.T) {
	ctx := context.Background()
	u := testdb.URL(t)
	st := testdb.Open(t, u, 1)
	db := st.DB
	inbox, err := store.OpenInbox(ctx, u, 1)
	require.NoError(t, err)
	st.UseInboxPool(inbox)

	for _, pool := range []struct {
		name string
		db   interface {
			BeginTx(context.Context, *sql.TxOptions) (*sql.Tx, error)
		}
		read func() error
	}{
		{"main", db, func() error {
			_, err := st.Task(ctx, "no-such-task")
			if errors.Is(err, store.ErrNotFound) {
				return nil
			}
			return err
		}},
		{"inbox", inbox, func() error {
			_, _, err := st.ListTasksJSON(ctx, store.TaskFilter{UserID: "u-x", OrgID: "drb", Roles: []string{domain.RoleDRBReviewer}, Limit: 5})
			return err
		}},
	} {
		tx, err := pool.db.BeginTx(ctx, nil) // holds the pool's only connection
		require.NoError(t, err)
		var (
			mu    sync.Mutex
			order []int
			wg    sync.WaitGroup
		)
		for i := range 20 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				err := pool.read()
				mu.Lock()
				defer mu.Unlock()
				require.NoError(t, err)
				order = append(order, i)
			}()
			time.Sleep(20 * time.Millisecond) // queued before the next one comes
		}
		require.NoError(t, tx.Rollback())
		wg.Wait()
		want := make([]int, 20)
		for i := range want {
			want[i] = i
		}
		require.Equal(t, want, order, "%s pool: reads served out of arrival order", pool.name)
	}
}
