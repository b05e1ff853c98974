package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	tlog "go.temporal.io/server/common/log"
	sqltool "go.temporal.io/server/tools/sql"
)

// testPGURL is the PostgreSQL server the postgres store tests use (the one the application's
// tests use: TEST_DATABASE_URL, default the local server). A missing server fails the test.
func testPGURL() string {
	if u := os.Getenv("TEST_DATABASE_URL"); u != "" {
		return u
	}
	return defaultPGURL
}

// pgTestStore returns a postgres store over two fresh database names that are dropped when
// the test ends.
func pgTestStore(t testing.TB) *postgresStore {
	t.Helper()
	var b [4]byte
	_, _ = rand.Read(b[:])
	sfx := hex.EncodeToString(b[:])
	st, err := newPostgresStore(testPGURL(), "temporal_test_"+sfx, "temporal_visibility_test_"+sfx, "off")
	require.NoError(t, err)
	t.Cleanup(func() {
		for _, db := range []string{st.db, st.visDB} {
			// The server's pool may still hold connections for a moment after it stopped.
			var err error
			for range 20 {
				if err = sqltool.DoDropDatabase(st.sqlConfig(db, 1), st.maintDB, tlog.NewNoopLogger()); err == nil {
					break
				}
				time.Sleep(250 * time.Millisecond)
			}
			if err != nil {
				t.Logf("drop database %s: %v", db, err)
			}
		}
	})
	return st
}

func TestPostgresStorePersistsAcrossRestart(t *testing.T) {
	st := pgTestStore(t)
	addr := freeAddr(t)
	args := []string{"--addr", addr, "--ui=false", "--log-level", "error", "--store", "postgres",
		"--pg-url", testPGURL(), "--pg-database", st.db, "--pg-visibility-database", st.visDB}

	// First run: the databases do not exist yet.
	p := startDevProcess(t, args...)
	require.Equal(t, fmt.Sprintf("devserver ready address=%s namespace=default ui=off", addr), p.readyLine)
	c := dial(t, addr)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	ns, err := c.WorkflowService().DescribeNamespace(ctx, &workflowservice.DescribeNamespaceRequest{Namespace: "default"})
	require.NoError(t, err)
	require.Equal(t, defaultRetention, ns.GetConfig().GetWorkflowExecutionRetentionTtl().AsDuration())
	requireSearchAttributes(t, ctx, c)

	w := startWorker(t, c)
	const workflowID = "counter-on-postgres"
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID: workflowID, TaskQueue: testTaskQueue,
		TypedSearchAttributes: temporal.NewSearchAttributes(
			temporal.NewSearchAttributeKeyKeyword("ProjectID").ValueSet("p-pg"),
			temporal.NewSearchAttributeKeyInt64("PlanYear").ValueSet(2027),
		),
	}, counterWorkflow)
	require.NoError(t, err)
	total, err := update(ctx, c, workflowID, 2)
	require.NoError(t, err)
	require.Equal(t, 2, total)
	_, err = update(ctx, c, workflowID, -1)
	require.ErrorContains(t, err, "negative amounts are not allowed")

	// Visibility lives in its own database and answers search-attribute queries.
	query := `ProjectID = 'p-pg' AND PlanYear = 2027`
	require.Eventually(t, func() bool {
		resp, err := c.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{Namespace: "default", Query: query})
		return err == nil && len(resp.GetExecutions()) == 1
	}, 30*time.Second, 100*time.Millisecond, "workflow not found by its search attributes")
	w.Stop()
	c.Close()
	p.stop(t)

	// Second run on the same databases: schema, namespace and the running workflow are kept.
	p = startDevProcess(t, args...)
	c = dial(t, addr)
	requireSearchAttributes(t, ctx, c)
	desc, err := c.DescribeWorkflowExecution(ctx, workflowID, run.GetRunID())
	require.NoError(t, err)
	require.Equal(t, enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING, desc.GetWorkflowExecutionInfo().GetStatus())
	startWorker(t, c)
	total, err = update(ctx, c, workflowID, 4)
	require.NoError(t, err)
	require.Equal(t, 6, total, "the total from before the restart is kept")
	require.NoError(t, c.SignalWorkflow(ctx, workflowID, run.GetRunID(), finishSignal, nil))
	require.NoError(t, c.GetWorkflow(ctx, workflowID, run.GetRunID()).Get(ctx, &total))
	require.Equal(t, 6, total)
	c.Close()
	p.stop(t)
}

func TestPostgresPrepareIsIdempotentAndRefusesForeignDatabase(t *testing.T) {
	st := pgTestStore(t)
	ns := namespaceSpec{Name: "default", Retention: defaultRetention, SearchAttributes: searchAttributes}
	require.NoError(t, st.prepare(ns, clusterName))
	require.NoError(t, st.prepare(ns, clusterName), "second prepare on the same databases")
	for _, db := range []string{st.db, st.visDB} {
		conn, err := sqltool.NewConnection(st.sqlConfig(db, 1), tlog.NewNoopLogger())
		require.NoError(t, err)
		v, err := conn.ReadSchemaVersion()
		conn.Close()
		require.NoError(t, err)
		require.NotEmpty(t, v)
	}

	// A database with unrelated tables and no Temporal schema is refused.
	other := pgTestStore(t)
	require.NoError(t, other.ensureDatabase(other.db))
	conn, err := sqltool.NewConnection(other.sqlConfig(other.db, 1), tlog.NewNoopLogger())
	require.NoError(t, err)
	require.NoError(t, conn.Exec("CREATE TABLE unrelated (id int)"))
	conn.Close()
	err = other.prepare(ns, clusterName)
	require.ErrorContains(t, err, "holds tables but no Temporal schema")
}

func TestPostgresURLParsing(t *testing.T) {
	st, err := newPostgresStore("postgres://u:secret@db.example:6543/maint?sslmode=require", "t", "tv", "on")
	require.NoError(t, err)
	require.Equal(t, "db.example:6543", st.addr)
	require.Equal(t, "u", st.user)
	require.Equal(t, "secret", st.password)
	require.Equal(t, "maint", st.maintDB)
	require.Equal(t, map[string]string{"sslmode": "require", "synchronous_commit": "on"}, st.attrs)
	require.NotContains(t, st.describe(), "secret")

	st, err = newPostgresStore("postgres://127.0.0.1", "t", "tv", "off")
	require.NoError(t, err)
	require.Equal(t, "127.0.0.1:5432", st.addr)
	require.Equal(t, "postgres", st.user)
	require.Equal(t, "postgres", st.maintDB)
	require.Equal(t, "disable", st.attrs["sslmode"], "a local server defaults to no TLS")

	for _, tc := range []struct{ url, db, vis, sync, want string }{
		{"http://x", "t", "tv", "off", "invalid --pg-url"},
		{"postgres://x", "t;drop", "tv", "off", "invalid --pg-database"},
		{"postgres://x", "t", "1tv", "off", "invalid --pg-visibility-database"},
		{"postgres://x", "t", "t", "off", "must differ"},
		{"postgres://x", "t", "tv", "maybe", "invalid --pg-synchronous-commit"},
	} {
		_, err := newPostgresStore(tc.url, tc.db, tc.vis, tc.sync)
		require.ErrorContains(t, err, tc.want, "%+v", tc)
	}
	require.Equal(t, "postgres://u:xxx@h/db", redactURL("postgres://u:pw@h/db"))
}
