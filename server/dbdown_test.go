package main

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/lib/pq"
	"github.com/stretchr/testify/require"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	"egovpm/internal/store"
	"egovpm/internal/testenv"
)

// A read model that cannot be reached is a dependency outage, 503 database_unavailable, never a
// 500: the errors below are those the fault test (chaos/) met while its PostgreSQL restarted.
func TestDatabaseOutageIs503(t *testing.T) {
	addr, err := testenv.FreeAddr() // nothing listens there
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	db, err := store.Open(ctx, "postgres://postgres@"+addr+"/egovpm?sslmode=disable")
	if err == nil {
		_, err = db.ExecContext(ctx, `SELECT 1`)
		_ = db.Close()
	}
	require.Error(t, err, "a query to a closed port")
	for name, e := range map[string]error{
		"connection refused":   fmt.Errorf("user u-bob: %w", err),
		"starting up":          fmt.Errorf("user u-bob: %w", &pq.Error{Code: "57P03", Message: "the database system is starting up"}),
		"terminated by admin":  &pq.Error{Code: "57P01", Message: "terminating connection due to administrator command"},
		"crash shutdown":       &pq.Error{Code: "57P02"},
		"connection failure":   &pq.Error{Code: "08006"},
		"too many connections": &pq.Error{Code: "53300"},
		"bad connection":       fmt.Errorf("audit insert: %w", driver.ErrBadConn),
	} {
		e := classify(e)
		require.Equal(t, http.StatusServiceUnavailable, statusOf(e), name)
		require.Equal(t, "database_unavailable", e.Code, name)
	}
	// Anything else from the database stays a server fault.
	for name, e := range map[string]error{
		"unique violation": &pq.Error{Code: "23505"},
		"plain error":      errors.New("boom"),
	} {
		require.Equal(t, http.StatusInternalServerError, statusOf(classify(e)), name)
	}
}

// An Update the gateway stopped waiting for (its 30 s limit) is 503 temporal_timeout — a resend
// with the same Idempotency-Key finds its outcome — never a 500: the SDK reports it as
// WorkflowUpdateServiceTimeoutOrCanceledError around a gRPC deadline status, which is no
// context.DeadlineExceeded (the growth bench's 1,000-project compile on a loaded machine, issue 20).
func TestUpdateWaitTimeoutIs503(t *testing.T) {
	for name, e := range map[string]error{
		"update wait timed out": client.NewWorkflowUpdateServiceTimeoutOrCanceledError(serviceerror.NewDeadlineExceeded("context deadline exceeded")),
		"grpc deadline":         fmt.Errorf("plan update: %w", serviceerror.NewDeadlineExceeded("context deadline exceeded")),
		"context deadline":      fmt.Errorf("plan update: %w", context.DeadlineExceeded),
	} {
		c := classify(e)
		require.Equal(t, http.StatusServiceUnavailable, statusOf(c), name)
		require.Equal(t, "temporal_timeout", c.Code, name)
	}
}
