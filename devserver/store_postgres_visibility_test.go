package main

import (
	"context"
	stdsql "database/sql"
	"fmt"
	"slices"
	"testing"
	"time"

	_ "github.com/lib/pq"
	"github.com/stretchr/testify/require"
	"go.temporal.io/api/workflowservice/v1"
	tlog "go.temporal.io/server/common/log"
	"go.temporal.io/server/common/metrics"
	"go.temporal.io/server/common/persistence/sql"
	"go.temporal.io/server/common/persistence/sql/sqlplugin"
	"go.temporal.io/server/common/resolver"
	pgschema "go.temporal.io/server/schema/postgresql/v12"
	"go.temporal.io/server/tools/common/schema"
	sqltool "go.temporal.io/server/tools/sql"
)

// pgVisDB opens the store's visibility database for the test's own queries.
func pgVisDB(t testing.TB, st *postgresStore) *stdsql.DB {
	t.Helper()
	dsn := fmt.Sprintf("postgres://%s:%s@%s/%s?sslmode=%s", st.user, st.password, st.addr, st.visDB, st.attrs["sslmode"])
	db, err := stdsql.Open("postgres", dsn)
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })
	return db
}

// pgIndexes returns the definitions of executions_visibility's indexes by name (not the primary
// key's), and the names in devserver_dropped_indexes when that table exists.
func pgIndexes(t *testing.T, db *stdsql.DB) (map[string]string, []string) {
	t.Helper()
	defs := map[string]string{}
	rows, err := db.Query(`SELECT indexname, indexdef FROM pg_indexes
		WHERE schemaname = current_schema() AND tablename = 'executions_visibility' AND indexname <> 'executions_visibility_pkey'`)
	require.NoError(t, err)
	for rows.Next() {
		var n, d string
		require.NoError(t, rows.Scan(&n, &d))
		defs[n] = d
	}
	require.NoError(t, rows.Err())
	require.NoError(t, rows.Close())
	var recorded []string
	var exists bool
	require.NoError(t, db.QueryRow(`SELECT to_regclass('devserver_dropped_indexes') IS NOT NULL`).Scan(&exists))
	if exists {
		rows, err := db.Query(`SELECT name FROM devserver_dropped_indexes`)
		require.NoError(t, err)
		for rows.Next() {
			var n string
			require.NoError(t, rows.Scan(&n))
			recorded = append(recorded, n)
		}
		require.NoError(t, rows.Err())
		require.NoError(t, rows.Close())
	}
	return defs, recorded
}

func keys(m map[string]string) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

// TestPGVisibilityIndexesLeanThenFull: a devserver on the PostgreSQL store keeps the indexes
// of the columns the platform filters on, drops the rest and records each one dropped, a query
// on every custom search attribute still finds its run, and --full-visibility-indexes on the
// same databases brings back every index of Temporal's schema and forgets the records.
func TestPGVisibilityIndexesLeanThenFull(t *testing.T) {
	st := pgTestStore(t)
	addr := freeAddr(t)
	args := []string{"--addr", addr, "--ui=false", "--log-level", "error", "--store", "postgres",
		"--pg-url", testPGURL(), "--pg-database", st.db, "--pg-visibility-database", st.visDB}
	_, all, err := visibilityIndexes(pgVisibilitySchema)
	require.NoError(t, err)
	require.Greater(t, len(all), 60)

	p := startDevProcess(t, args...)
	c := dial(t, addr)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	ns, err := c.WorkflowService().DescribeNamespace(ctx, &workflowservice.DescribeNamespaceRequest{Namespace: "default"})
	require.NoError(t, err)
	aliases := ns.GetConfig().GetCustomSearchAttributeAliases()
	require.Len(t, aliases, len(searchAttributes))
	db := pgVisDB(t, st)
	lean, recorded := pgIndexes(t, db)
	drop := visibilityIndexesToDrop(all, aliases)
	require.ElementsMatch(t, slices.DeleteFunc(slices.Clone(all), func(n string) bool { return slices.Contains(drop, n) }), keys(lean))
	require.Len(t, lean, len(keptVisibilityIndexes)+len(searchAttributes))
	require.ElementsMatch(t, drop, recorded, "every dropped index is recorded")

	requireFoundByAttributes(t, ctx, c, "lean-visibility-pg")
	c.Close()
	p.stop(t)

	p = startDevProcess(t, append(args, "--full-visibility-indexes")...)
	full, recorded := pgIndexes(t, db)
	require.ElementsMatch(t, all, keys(full))
	require.Empty(t, recorded)
	p.stop(t)
}

// TestPGVisibilityIndexesRestoredBeforeUpdate: a lean visibility database at an older schema
// version gets its dropped indexes back, exactly as they were, before Temporal's update-schema
// applies the newer versions, so the update finds every index its earlier versions created.
func TestPGVisibilityIndexesRestoredBeforeUpdate(t *testing.T) {
	st := pgTestStore(t)
	require.NoError(t, st.ensureDatabase(st.visDB))
	conn, err := sqltool.NewConnection(st.sqlConfig(st.visDB, 1), tlog.NewNoopLogger())
	require.NoError(t, err)
	defer conn.Close()
	require.NoError(t, schema.NewSetupSchemaTask(conn, &schema.SetupConfig{InitialVersion: "0.0"}, tlog.NewNoopLogger()).Run())
	const older = "1.13" // pgschema.VisibilityVersion is 1.14: its update adds two indexes
	require.NoError(t, schema.NewUpdateSchemaTask(conn, &schema.UpdateConfig{DBName: st.visDB,
		SchemaName: pgVisibilitySchemaName, TargetVersion: older}, tlog.NewNoopLogger()).Run())
	db := pgVisDB(t, st)
	before, _ := pgIndexes(t, db)

	_, err = st.setVisibilityIndexes(false, appAliases)
	require.NoError(t, err)
	lean, recorded := pgIndexes(t, db)
	require.Len(t, lean, len(keptVisibilityIndexes)+len(appAliases))
	require.Len(t, recorded, len(before)-len(lean))

	require.NoError(t, st.ensureSchema(st.visDB, pgVisibilitySchemaName, pgschema.VisibilityVersion))
	after, recorded := pgIndexes(t, db)
	require.Empty(t, recorded)
	_, all, err := visibilityIndexes(pgVisibilitySchema)
	require.NoError(t, err)
	require.ElementsMatch(t, all, keys(after), "the update ran on the full set and added its own")
	for n, def := range before {
		require.Equal(t, def, after[n], "index %s restored as it was", n)
	}
	// Once at the server's version, a second ensureSchema leaves a lean database lean.
	_, err = st.setVisibilityIndexes(false, appAliases)
	require.NoError(t, err)
	require.NoError(t, st.ensureSchema(st.visDB, pgVisibilitySchemaName, pgschema.VisibilityVersion))
	lean, _ = pgIndexes(t, db)
	require.Len(t, lean, len(keptVisibilityIndexes)+len(appAliases))
}

// BenchmarkPGVisibilityUpsert is the visibility write of a search-attribute upsert (the Stage
// of a decision, issue 21 item 5) as the PostgreSQL plugin runs it, with Temporal's full set of
// indexes and with the devserver's lean set, on a table of 2,000 runs, through either driver.
func BenchmarkPGVisibilityUpsert(b *testing.B) {
	for _, c := range []struct {
		driver string
		full   bool
	}{{"pq", true}, {"pq", false}, {"pgx", true}, {"pgx", false}} {
		b.Run(c.driver+"/"+map[bool]string{true: "full", false: "lean"}[c.full], func(b *testing.B) {
			full := c.full
			st := pgTestStore(b)
			st.plugin = pgPlugins[c.driver]
			require.NoError(b, st.ensureDatabase(st.visDB))
			require.NoError(b, st.ensureSchema(st.visDB, pgVisibilitySchemaName, pgschema.VisibilityVersion))
			_, err := st.setVisibilityIndexes(full, appAliases)
			require.NoError(b, err)
			db, err := sql.NewSQLDB(sqlplugin.DbKindVisibility, st.sqlConfig(st.visDB, 1), resolver.NewNoopResolver(), tlog.NewNoopLogger(), metrics.NoopMetricsHandler)
			require.NoError(b, err)
			defer db.Close()
			benchUpserts(b, db)
		})
	}
}
