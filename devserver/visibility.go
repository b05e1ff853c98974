package main

import (
	"context"
	"fmt"
	"io/fs"
	"regexp"
	"slices"
	"strings"
	"unicode"

	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	tlog "go.temporal.io/server/common/log"
	"go.temporal.io/server/common/metrics"
	"go.temporal.io/server/common/persistence/sql"
	"go.temporal.io/server/common/persistence/sql/sqlplugin"
	"go.temporal.io/server/common/resolver"
	temporalschema "go.temporal.io/server/schema"
	"go.uber.org/zap"
)

// Temporal's visibility schemas index every column a list filter might name: 58 indexes on
// executions_visibility in SQLite, 73 in PostgreSQL, most of them on columns this platform
// never filters on (the pre-allocated search-attribute columns its namespace does not map, the
// worker-deployment, batch, CHASM and history-size columns). Temporal writes a run's whole
// visibility row at its start, at its close and at every UpsertSearchAttributes — the
// lifecycle's Stage, kept current at every stage change (issue 21 item 5) — and that write
// updates an entry in every index of the row (in PostgreSQL too: history_length and the like
// change at every write, so it is never a HOT update). In SQLite the statement is also prepared
// anew each time, its program growing with the indexes. In the decision round trip's profile
// (docs/PERFORMANCE.md §11.4.4) the SQLite upsert was 40 % of the devserver's CPU, 4 ms a
// decision; with the unused indexes gone an upsert costs 0.9-1.0 ms instead of 2.4-2.7
// (BenchmarkVisibilityUpsert; 0.84-0.90 since the guarded FTS trigger below, on rows that carry
// a TemporalChangeVersion); PostgreSQL's figures are in §11.4.5 (BenchmarkPGVisibilityUpsert).
//
// An index only speeds a query: a filter on a column whose index was dropped still answers,
// by a scan. Dropping is idempotent, and --full-visibility-indexes restores every index
// (CREATE INDEX IF NOT EXISTS from Temporal's own schema), for an A/B or a UI user's filters.
// PostgreSQL's visibility schema is versioned and a later Temporal's schema update may expect
// the indexes its earlier versions created: the PostgreSQL store records each index it drops
// (its definition, in devserver_dropped_indexes) and recreates them before an update that has
// work to do (store_postgres_visibility.go), then drops them again once the server runs.

// sqliteVisibilitySchema is Temporal's SQLite visibility schema in its embedded assets.
const sqliteVisibilitySchema = "sqlite/v3/visibility/schema.sql"

// In SQLite, Temporal keeps two FTS5 indexes over executions_visibility (its Text columns, and
// its keyword lists: TemporalChangeVersion, BuildIds and the like) by triggers. Its AFTER
// UPDATE trigger deletes a row's entries from both and inserts them again at every write of
// the row, whether those columns changed or not; a Stage upsert changes none of them, yet the
// lifecycle's TemporalChangeVersion list was tokenized and rewritten twice at each decision.
// The devserver gives the same trigger (same name, same body, Temporal's own text) a WHEN
// clause: it runs when a column it indexes, or the rowid, changed. Skipping a delete and insert
// of identical values leaves an external-content FTS5 index as it was, so every MATCH answers
// as before (TestVisibilityFTSTriggerGuarded runs FTS5's integrity-check after each kind of
// write). --full-visibility-indexes restores Temporal's trigger as its schema has it.

// ftsUpdateTrigger matches the AFTER UPDATE trigger of executions_visibility in the schema:
// the head up to BEGIN (group 1) and the body (group 2).
var ftsUpdateTrigger = regexp.MustCompile(`(?s)(CREATE TRIGGER executions_visibility_au AFTER UPDATE ON executions_visibility\s*\n)(BEGIN\b.*?\nEND;)`)

// ftsTriggerStatements returns the statements that put the AFTER UPDATE trigger in place:
// Temporal's own (full) or the one guarded by a WHEN clause on the columns its body reads,
// each run in one transaction so no write finds the table without the trigger.
func ftsTriggerStatements(full bool) (string, error) {
	b, err := fs.ReadFile(temporalschema.Assets(), sqliteVisibilitySchema)
	if err != nil {
		return "", fmt.Errorf("read Temporal's schema %s: %w", sqliteVisibilitySchema, err)
	}
	m := ftsUpdateTrigger.FindStringSubmatch(string(b))
	if m == nil {
		return "", fmt.Errorf("no AFTER UPDATE trigger of executions_visibility in Temporal's schema %s", sqliteVisibilitySchema)
	}
	head, body := m[1], m[2]
	if !full {
		var cond []string
		for _, c := range ftsTriggerColumns(body) {
			cond = append(cond, fmt.Sprintf("OLD.%s IS NOT NEW.%s", c, c))
		}
		if len(cond) == 0 {
			return "", fmt.Errorf("the AFTER UPDATE trigger of %s reads no NEW column", sqliteVisibilitySchema)
		}
		head = strings.TrimRight(head, "\n") + "\nWHEN " + strings.Join(cond, " OR ") + "\n"
	}
	return "BEGIN IMMEDIATE;\nDROP TRIGGER IF EXISTS executions_visibility_au;\n" + head + body + "\nCOMMIT;", nil
}

// newColumn matches a NEW.column reference in a trigger body.
var newColumn = regexp.MustCompile(`\bNEW\.(\w+)`)

// ftsTriggerColumns returns the columns a trigger body reads from NEW (rowid included), each
// once, in the body's order.
func ftsTriggerColumns(body string) []string {
	var cols []string
	for _, m := range newColumn.FindAllStringSubmatch(body, -1) {
		if !slices.Contains(cols, m[1]) {
			cols = append(cols, m[1])
		}
	}
	return cols
}

// keptVisibilityIndexes are the indexes of the columns the Web UI's lists, the ops tools
// (workflow id, type, status, times) and Temporal's schedules (TemporalNamespaceDivision) filter
// or sort on; the mapped custom search attributes' indexes are kept too (visibilityIndexesToDrop).
var keptVisibilityIndexes = []string{
	"default_idx", "by_execution_time", "by_workflow_id", "by_workflow_type", "by_status",
	"by_temporal_namespace_division",
}

// indexStmt matches a CREATE INDEX statement on executions_visibility in a schema file.
var indexStmt = regexp.MustCompile(`(?m)^CREATE INDEX (\w+)\s+ON executions_visibility\b[^;]*;`)

// visibilityIndexes returns the CREATE INDEX statements of executions_visibility in Temporal's
// embedded schema at path, by index name, and the names in schema order.
func visibilityIndexes(path string) (map[string]string, []string, error) {
	b, err := fs.ReadFile(temporalschema.Assets(), path)
	if err != nil {
		return nil, nil, fmt.Errorf("read Temporal's schema %s: %w", path, err)
	}
	stmts := map[string]string{}
	var names []string
	for _, m := range indexStmt.FindAllStringSubmatch(string(b), -1) {
		stmts[m[1]] = m[0]
		names = append(names, m[1])
	}
	if len(names) == 0 {
		return nil, nil, fmt.Errorf("no index of executions_visibility in Temporal's schema %s", path)
	}
	return stmts, names, nil
}

// customColumnIndex names the schema's index of a pre-allocated search-attribute column:
// Keyword01 → by_keyword_01, KeywordList02 → by_keyword_list_02, Int01 → by_int_01.
func customColumnIndex(column string) string {
	var b strings.Builder
	b.WriteString("by")
	prev := rune(0)
	for _, r := range column {
		if unicode.IsUpper(r) || unicode.IsDigit(r) && !unicode.IsDigit(prev) {
			b.WriteByte('_')
		}
		b.WriteRune(unicode.ToLower(r))
		prev = r
	}
	return b.String()
}

// visibilityIndexesToDrop returns the indexes among names that neither keptVisibilityIndexes nor
// a mapped custom search attribute (aliases: column → name, as DescribeNamespace reports them)
// needs, in names' order.
func visibilityIndexesToDrop(names []string, aliases map[string]string) []string {
	keep := slices.Clone(keptVisibilityIndexes)
	for column := range aliases {
		keep = append(keep, customColumnIndex(column))
	}
	var drop []string
	for _, n := range names {
		if !slices.Contains(keep, n) {
			drop = append(drop, n)
		}
	}
	return drop
}

// tuneVisibility drops the visibility indexes the namespace's queries do not use, or with full
// set restores every one. It runs once the custom search attributes are registered (their
// columns are known only then), on the stores that are visibilityIndexers. It returns the
// statements run.
func tuneVisibility(ctx context.Context, st store, c client.Client, namespace string, full bool, logger *zap.Logger) ([]string, error) {
	s, ok := st.(visibilityIndexer)
	if !ok {
		return nil, nil
	}
	var aliases map[string]string
	if !full {
		ns, err := c.WorkflowService().DescribeNamespace(ctx, &workflowservice.DescribeNamespaceRequest{Namespace: namespace})
		if err != nil {
			return nil, fmt.Errorf("describe namespace %s: %w", namespace, err)
		}
		aliases = ns.GetConfig().GetCustomSearchAttributeAliases()
	}
	run, err := s.setVisibilityIndexes(full, aliases)
	if err == nil {
		logger.Info("visibility indexes", zap.Bool("full", full), zap.Int("statements", len(run)))
	}
	return run, err
}

// visibilityIndexer is a store whose visibility indexes the devserver prunes: the SQLite and
// the PostgreSQL store.
type visibilityIndexer interface {
	// setVisibilityIndexes restores every index of executions_visibility (full) or drops
	// those neither the platform's lists nor the mapped search attributes (aliases) need,
	// returning the statements run.
	setVisibilityIndexes(full bool, aliases map[string]string) ([]string, error)
}

// setVisibilityIndexes restores every index of executions_visibility (full) or drops those
// neither the platform's lists nor the mapped search attributes (aliases) need, and puts
// Temporal's FTS update trigger (full) or the guarded one in place (ftsTriggerStatements).
func (s *sqliteStore) setVisibilityIndexes(full bool, aliases map[string]string) ([]string, error) {
	stmts, names, err := visibilityIndexes(sqliteVisibilitySchema)
	if err != nil {
		return nil, err
	}
	var run []string
	if full {
		for _, n := range names {
			run = append(run, strings.Replace(stmts[n], "CREATE INDEX ", "CREATE INDEX IF NOT EXISTS ", 1))
		}
	} else {
		for _, n := range visibilityIndexesToDrop(names, aliases) {
			run = append(run, "DROP INDEX IF EXISTS "+n)
		}
	}
	trigger, err := ftsTriggerStatements(full)
	if err != nil {
		return nil, err
	}
	run = append(run, trigger)
	// The SQLite plugin shares one connection per file in a process: these statements take
	// their turn with the server's own.
	db, err := sql.NewSQLAdminDB(sqlplugin.DbKindVisibility, s.sqlConfig(), resolver.NewNoopResolver(),
		tlog.NewNoopLogger(), metrics.NoopMetricsHandler)
	if err != nil {
		return nil, fmt.Errorf("open db file %s: %w", s.path, err)
	}
	defer func() { _ = db.Close() }()
	for _, q := range run {
		if err := db.Exec(q); err != nil {
			if q == trigger {
				// The connection is the server's too: leave no transaction open on it.
				_ = db.Exec("ROLLBACK")
			}
			return nil, fmt.Errorf("visibility index (%s): %w", q, err)
		}
	}
	return run, nil
}
