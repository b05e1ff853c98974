package main

import (
	"fmt"
	"strings"

	sqltool "go.temporal.io/server/tools/sql"
)

// The PostgreSQL store's visibility indexes (visibility.go has why the devserver drops most of
// them). Unlike SQLite's, PostgreSQL's visibility schema is versioned: Temporal's update-schema
// applies each version's changes on top of the last, and a later version may alter or drop an
// index an earlier one created. So every index the devserver drops is recorded first, with its
// definition as the database had it (pg_indexes.indexdef), in devserver_dropped_indexes in the
// visibility database, and before an update-schema that has work to do (ensureSchema) the
// recorded indexes are created again: the update then finds the schema its versions left, and
// the lean set is dropped again once the server runs (tuneVisibility).

// pgVisibilitySchema is Temporal's PostgreSQL visibility schema in its embedded assets, at the
// version this server's update-schema brings the database to (pgschema.VisibilityVersion).
const pgVisibilitySchema = "postgresql/v12/visibility/schema.sql"

// pgDroppedIndexesTable holds the definition of every visibility index the devserver dropped.
const pgDroppedIndexesTable = `CREATE TABLE IF NOT EXISTS devserver_dropped_indexes (
	name       TEXT PRIMARY KEY,
	definition TEXT NOT NULL
)`

// pgRestoreDroppedIndexes creates every recorded index again (IF NOT EXISTS: one a later run
// created stays) and forgets the records; a database without the table is left alone.
const pgRestoreDroppedIndexes = `DO $$
DECLARE r record;
BEGIN
	IF to_regclass('devserver_dropped_indexes') IS NULL THEN
		RETURN;
	END IF;
	FOR r IN EXECUTE 'SELECT definition FROM devserver_dropped_indexes ORDER BY name' LOOP
		EXECUTE regexp_replace(r.definition, '^CREATE (UNIQUE )?INDEX ', 'CREATE \1INDEX IF NOT EXISTS ');
	END LOOP;
	EXECUTE 'DELETE FROM devserver_dropped_indexes';
END $$`

// pgDropRecorded records index name's definition (when the index exists) and drops it, in one
// transaction. name comes from Temporal's schema (\w+).
func pgDropRecorded(name string) string {
	return fmt.Sprintf(`DO $$
BEGIN
	INSERT INTO devserver_dropped_indexes (name, definition)
		SELECT indexname, indexdef FROM pg_indexes
		WHERE schemaname = current_schema() AND tablename = 'executions_visibility' AND indexname = '%[1]s'
		ON CONFLICT (name) DO NOTHING;
	DROP INDEX IF EXISTS %[1]s;
END $$`, name)
}

// setVisibilityIndexes restores every index of executions_visibility from Temporal's schema
// (full) or drops, recording each, those neither the platform's lists nor the mapped search
// attributes (aliases) need.
func (s *postgresStore) setVisibilityIndexes(full bool, aliases map[string]string) ([]string, error) {
	stmts, names, err := visibilityIndexes(pgVisibilitySchema)
	if err != nil {
		return nil, err
	}
	run := []string{pgDroppedIndexesTable}
	if full {
		// The recorded definitions first: an index this schema no longer names comes back as
		// the database had it.
		run = append(run, pgRestoreDroppedIndexes)
		for _, n := range names {
			run = append(run, strings.Replace(stmts[n], "CREATE INDEX ", "CREATE INDEX IF NOT EXISTS ", 1))
		}
	} else {
		for _, n := range visibilityIndexesToDrop(names, aliases) {
			run = append(run, pgDropRecorded(n))
		}
	}
	conn, err := sqltool.NewConnection(s.sqlConfig(s.visDB, 1), s.schemaLog)
	if err != nil {
		return nil, fmt.Errorf("connect to database %s on %s: %w", s.visDB, s.addr, err)
	}
	defer conn.Close()
	for _, q := range run {
		if err := conn.Exec(q); err != nil {
			return nil, fmt.Errorf("visibility index of %s (%s): %w", s.visDB, q, err)
		}
	}
	return run, nil
}

// restoreDroppedIndexes creates the recorded visibility indexes again when the database's
// schema is not at version want, that is before an update-schema that has work to do.
func (s *postgresStore) restoreDroppedIndexes(conn *sqltool.Connection, db, want string) error {
	got, err := conn.ReadSchemaVersion()
	if err != nil {
		return fmt.Errorf("read schema version of %s: %w", db, err)
	}
	if got == want {
		return nil
	}
	if err := conn.Exec(pgRestoreDroppedIndexes); err != nil {
		return fmt.Errorf("restore the dropped visibility indexes of %s before its update from %s to %s: %w", db, got, want, err)
	}
	return nil
}
