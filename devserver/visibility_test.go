package main

import (
	"context"
	stdsql "database/sql"
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	tlog "go.temporal.io/server/common/log"
	"go.temporal.io/server/common/metrics"
	"go.temporal.io/server/common/persistence/sql"
	"go.temporal.io/server/common/persistence/sql/sqlplugin"
	"go.temporal.io/server/common/resolver"
)

// appAliases maps the namespace's search attributes to columns as a fresh devserver does (the
// columns are handed out in registration order; which keyword gets which does not matter here).
var appAliases = map[string]string{
	"Keyword01": "ProjectID", "Keyword02": "UnitID", "Keyword03": "Stage", "Keyword04": "TaskKind", "Int01": "PlanYear",
}

func TestCustomColumnIndex(t *testing.T) {
	for column, want := range map[string]string{
		"Keyword01": "by_keyword_01", "Keyword10": "by_keyword_10", "KeywordList02": "by_keyword_list_02",
		"Int01": "by_int_01", "Datetime03": "by_datetime_03", "Bool01": "by_bool_01", "Text02": "by_text_02",
	} {
		require.Equal(t, want, customColumnIndex(column), column)
	}
}

// TestVisibilityIndexesToDrop: every index the lean set keeps exists in Temporal's schema (a
// renamed index would otherwise be dropped silently and its queries scan), the mapped search
// attributes keep theirs, and the rest go.
func TestVisibilityIndexesToDrop(t *testing.T) {
	stmts, names, err := visibilityIndexes(sqliteVisibilitySchema)
	require.NoError(t, err)
	require.Len(t, names, len(stmts))
	drop := visibilityIndexesToDrop(names, appAliases)
	kept := slices.DeleteFunc(slices.Clone(names), func(n string) bool { return slices.Contains(drop, n) })
	want := append(slices.Clone(keptVisibilityIndexes), "by_keyword_01", "by_keyword_02", "by_keyword_03", "by_keyword_04", "by_int_01")
	require.ElementsMatch(t, want, kept)
	require.Len(t, drop, len(names)-len(want))
	require.Contains(t, drop, "by_keyword_05", "an unmapped custom column's index")
	require.Contains(t, drop, "by_history_length")
}

// sqliteIndexes lists the indexes of executions_visibility that the schema created (not
// SQLite's own for the primary key).
func sqliteIndexes(t *testing.T, dbFile string) []string {
	t.Helper()
	db, err := stdsql.Open("sqlite", "file:"+dbFile+"?mode=ro")
	require.NoError(t, err)
	defer db.Close()
	rows, err := db.Query(`SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'executions_visibility' AND sql IS NOT NULL`)
	require.NoError(t, err)
	defer rows.Close()
	var names []string
	for rows.Next() {
		var n string
		require.NoError(t, rows.Scan(&n))
		names = append(names, n)
	}
	require.NoError(t, rows.Err())
	return names
}

// TestVisibilityIndexesLeanThenFull: a devserver keeps the indexes of the columns the platform
// filters on and drops the rest, a query on every custom search attribute still finds its run,
// and --full-visibility-indexes on the same file brings back every index of Temporal's schema.
func TestVisibilityIndexesLeanThenFull(t *testing.T) {
	addr := freeAddr(t)
	dbFile := filepath.Join(t.TempDir(), "temporal.db")
	args := []string{"--addr", addr, "--db-file", dbFile, "--ui=false", "--log-level", "error"}
	_, all, err := visibilityIndexes(sqliteVisibilitySchema)
	require.NoError(t, err)

	p := startDevProcess(t, args...)
	c := dial(t, addr)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	ns, err := c.WorkflowService().DescribeNamespace(ctx, &workflowservice.DescribeNamespaceRequest{Namespace: "default"})
	require.NoError(t, err)
	aliases := ns.GetConfig().GetCustomSearchAttributeAliases()
	require.Len(t, aliases, len(searchAttributes))
	lean := sqliteIndexes(t, dbFile)
	require.ElementsMatch(t, slices.DeleteFunc(slices.Clone(all), func(n string) bool {
		return slices.Contains(visibilityIndexesToDrop(all, aliases), n)
	}), lean)
	require.Len(t, lean, len(keptVisibilityIndexes)+len(searchAttributes))

	requireFoundByAttributes(t, ctx, c, "lean-visibility")
	c.Close()
	p.stop(t)

	p = startDevProcess(t, append(args, "--full-visibility-indexes")...)
	require.ElementsMatch(t, all, sqliteIndexes(t, dbFile))
	p.stop(t)
}

// requireFoundByAttributes starts run id with the platform's search attributes and no worker
// (its visibility row is written at its start) and waits until a query on every custom
// attribute finds it.
func requireFoundByAttributes(t *testing.T, ctx context.Context, c client.Client, id string) {
	t.Helper()
	_, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID: id, TaskQueue: testTaskQueue,
		TypedSearchAttributes: appSearchAttributes("p-9", "u-9", "prelim_review", 2027, "none"),
	}, counterWorkflow)
	require.NoError(t, err)
	query := `ProjectID = 'p-9' AND UnitID = 'u-9' AND Stage = 'prelim_review' AND PlanYear = 2027 AND TaskKind = 'none'`
	require.Eventually(t, func() bool {
		resp, err := c.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{Namespace: "default", Query: query})
		return err == nil && len(resp.GetExecutions()) == 1
	}, 30*time.Second, 100*time.Millisecond, "run not found by its search attributes")
}

// BenchmarkVisibilityUpsert is the visibility write of a search-attribute upsert (the Stage of
// a decision, issue 21 item 5) as the SQLite plugin runs it, on a table of 2,000 runs: with
// Temporal's full set of indexes and its FTS trigger ("full"), with the devserver's lean set and
// Temporal's trigger ("lean-fts-always"), and as the devserver runs (the lean set and the
// guarded trigger, "lean").
func BenchmarkVisibilityUpsert(b *testing.B) {
	for _, v := range []string{"full", "lean-fts-always", "lean"} {
		b.Run(v, func(b *testing.B) {
			s, err := newSQLiteStore(filepath.Join(b.TempDir(), "temporal.db"), 0, 0)
			require.NoError(b, err)
			require.NoError(b, s.ensureSchema())
			_, err = s.setVisibilityIndexes(v == "full", appAliases)
			require.NoError(b, err)
			db, err := sql.NewSQLDB(sqlplugin.DbKindVisibility, s.sqlConfig(), resolver.NewNoopResolver(), tlog.NewNoopLogger(), metrics.NoopMetricsHandler)
			require.NoError(b, err)
			defer db.Close()
			if v == "lean-fts-always" {
				q, err := ftsTriggerStatements(true)
				require.NoError(b, err)
				admin, err := sql.NewSQLAdminDB(sqlplugin.DbKindVisibility, s.sqlConfig(), resolver.NewNoopResolver(), tlog.NewNoopLogger(), metrics.NoopMetricsHandler)
				require.NoError(b, err)
				require.NoError(b, admin.Exec(q))
				require.NoError(b, admin.Close())
			}
			benchUpserts(b, db)
		})
	}
}

// benchUpserts fills db's visibility with 2,000 runs, then times b.N upserts of their Stage
// (BenchmarkVisibilityUpsert, BenchmarkPGVisibilityUpsert). Each row carries a
// TemporalChangeVersion as a lifecycle's does (its baseline's marker).
func benchUpserts(b *testing.B, db sqlplugin.DB) {
	ctx := context.Background()
	const runs = 2000
	changes := []string{"lifecycle-baseline-stale-panel-1"}
	for i := range runs {
		_, err := db.ReplaceIntoVisibility(ctx, visibilityRow(i, 1, "prelim_review", changes))
		require.NoError(b, err)
	}
	b.ResetTimer()
	for n := range b.N {
		if _, err := db.ReplaceIntoVisibility(ctx, visibilityRow(n%runs, int64(2+n/runs), "expert_review", changes)); err != nil {
			b.Fatal(err)
		}
	}
}

// visibilityRow is run i's visibility row at version v, in stage, with the change ids of its
// GetVersion calls (TemporalChangeVersion, a keyword list).
func visibilityRow(i int, v int64, stage string, changes []string) *sqlplugin.VisibilityRow {
	start := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	sa := sqlplugin.VisibilitySearchAttributes{"Keyword01": fmt.Sprintf("p-%d", i), "Keyword02": "u-1",
		"Keyword03": stage, "Keyword04": "prelim_review", "Int01": int64(2027)}
	if changes != nil {
		sa["TemporalChangeVersion"] = changes
	}
	return &sqlplugin.VisibilityRow{NamespaceID: "ns", RunID: fmt.Sprintf("run-%d", i), WorkflowTypeName: "ProjectLifecycle",
		WorkflowID: fmt.Sprintf("project/%d", i), StartTime: start, ExecutionTime: start, Status: 1, Memo: []byte{}, Encoding: "proto3",
		TaskQueue: "egovpm", SearchAttributes: &sa, RootWorkflowID: fmt.Sprintf("project/%d", i), RootRunID: fmt.Sprintf("run-%d", i),
		HistoryLength: &v, StateTransitionCount: &v, Version: v}
}

// TestVisibilityFTSTriggerGuarded: the devserver's AFTER UPDATE trigger of executions_visibility
// leaves the FTS5 keyword-list index untouched when a write changes none of its columns (a
// Stage upsert), keeps it exact when they change (FTS5's integrity-check, and MATCH finds the
// new change id and no longer the old), and --full-visibility-indexes brings back Temporal's
// trigger, which rewrites the index at every write.
func TestVisibilityFTSTriggerGuarded(t *testing.T) {
	ctx := context.Background()
	s, err := newSQLiteStore(filepath.Join(t.TempDir(), "temporal.db"), 0, 0)
	require.NoError(t, err)
	require.NoError(t, s.ensureSchema())
	db, err := sql.NewSQLDB(sqlplugin.DbKindVisibility, s.sqlConfig(), resolver.NewNoopResolver(), tlog.NewNoopLogger(), metrics.NoopMetricsHandler)
	require.NoError(t, err)
	defer db.Close()
	raw, err := stdsql.Open("sqlite", "file:"+s.path+"?_pragma=busy_timeout(10000)")
	require.NoError(t, err)
	defer raw.Close()

	// ftsData is the FTS5 keyword-list index's storage: its blocks' count and bytes.
	ftsData := func() string {
		var n, bytes int64
		require.NoError(t, raw.QueryRow(`SELECT count(*), coalesce(sum(length(block)), 0) FROM executions_visibility_fts_keyword_list_data`).Scan(&n, &bytes))
		return fmt.Sprintf("%d blocks, %d bytes", n, bytes)
	}
	integrity := func() {
		for _, fts := range []string{"executions_visibility_fts_keyword_list", "executions_visibility_fts_text"} {
			_, err := raw.Exec(fmt.Sprintf(`INSERT INTO %s(%s) VALUES('integrity-check')`, fts, fts))
			require.NoError(t, err, "%s matches its content", fts)
		}
	}
	matches := func(changeID string) int {
		var n int
		require.NoError(t, raw.QueryRow(`SELECT count(*) FROM executions_visibility_fts_keyword_list WHERE executions_visibility_fts_keyword_list MATCH ?`,
			`TemporalChangeVersion:"`+changeID+`"`).Scan(&n))
		return n
	}
	trigger := func() string {
		var q string
		require.NoError(t, raw.QueryRow(`SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = 'executions_visibility_au'`).Scan(&q))
		return q
	}

	_, err = s.setVisibilityIndexes(false, appAliases)
	require.NoError(t, err)
	require.Contains(t, trigger(), "WHEN OLD.rowid IS NOT NEW.rowid OR OLD.Text01 IS NOT NEW.Text01")
	_, err = s.setVisibilityIndexes(false, appAliases)
	require.NoError(t, err, "idempotent")

	v := int64(1)
	for i := range 3 {
		_, err := db.ReplaceIntoVisibility(ctx, visibilityRow(i, v, "prelim_review", []string{"a-1"}))
		require.NoError(t, err)
	}
	require.Equal(t, 3, matches("a-1"))
	before := ftsData()
	for _, stage := range []string{"expert_review", "plan_compile", "awaiting_approval"} {
		v++
		_, err := db.ReplaceIntoVisibility(ctx, visibilityRow(0, v, stage, []string{"a-1"}))
		require.NoError(t, err)
	}
	require.Equal(t, before, ftsData(), "a Stage upsert leaves the keyword-list index as it was")
	integrity()

	v++
	_, err = db.ReplaceIntoVisibility(ctx, visibilityRow(0, v, "approved", []string{"b-1"}))
	require.NoError(t, err)
	require.NotEqual(t, before, ftsData(), "a new change id is indexed")
	integrity()
	require.Equal(t, 2, matches("a-1"), "run 0 no longer has a-1")
	require.Equal(t, 1, matches("b-1"))

	_, err = s.setVisibilityIndexes(true, nil)
	require.NoError(t, err)
	require.NotContains(t, trigger(), "WHEN", "Temporal's own trigger")
	before = ftsData()
	v++
	_, err = db.ReplaceIntoVisibility(ctx, visibilityRow(0, v, "contract", []string{"b-1"}))
	require.NoError(t, err)
	require.NotEqual(t, before, ftsData(), "Temporal's trigger rewrites the index at every write")
	integrity()
	require.Equal(t, 1, matches("b-1"))
}
