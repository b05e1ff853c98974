package audit_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"egovpm/internal/audit"
	"egovpm/internal/testdb"
)

// TestR18_VerifyWhileAppending: the chain verifies while rows are being appended, as on a live
// system (the worker's hourly check, GET /audit/verify, egovpm audit-verify during the fault
// test). Verify reads the rows and the head in one snapshot: read in separate statements, a
// row appended between the last page and the head looked like a deleted tail.
func TestR18_VerifyWhileAppending(t *testing.T) {
	st := testdb.New(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var stop atomic.Bool
	done := make(chan error, 1)
	go func() {
		for i := 0; !stop.Load(); i++ {
			tx, err := st.DB().BeginTxx(ctx, nil)
			if err == nil {
				err = st.Audit.Append(ctx, tx, audit.Entry{ActorID: "system", Action: "om.remind", ObjectType: "project",
					ObjectID: fmt.Sprintf("p-%d", i), Outcome: "ok"})
				if err == nil {
					err = tx.Commit()
				} else {
					_ = tx.Rollback()
				}
			}
			if err != nil {
				done <- err
				return
			}
		}
		done <- nil
	}()
	verified := 0
	for deadline := time.Now().Add(3 * time.Second); time.Now().Before(deadline); verified++ {
		res, err := st.Audit.Verify(ctx, st.DB())
		require.NoError(t, err)
		if !res.OK {
			stop.Store(true)
			<-done
			require.Failf(t, "a live chain reported broken", "after %d verifications: seq %d: %s", verified, res.Broken, res.Reason)
		}
	}
	stop.Store(true)
	require.NoError(t, <-done)
	t.Logf("%d verifications while appending", verified)
}
