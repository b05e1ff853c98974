package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/server/common/config"
	tlog "go.temporal.io/server/common/log"
	"go.temporal.io/server/common/metrics"
	"go.temporal.io/server/common/persistence/sql"
	"go.temporal.io/server/common/persistence/sql/sqlplugin"
	sqliteplugin "go.temporal.io/server/common/persistence/sql/sqlplugin/sqlite"
	"go.temporal.io/server/common/resolver"
	sqliteschema "go.temporal.io/server/schema/sqlite"
	"google.golang.org/protobuf/types/known/durationpb"
)

// Store names accepted by --store.
const (
	storeSQLite   = "sqlite"
	storePostgres = "postgres"
)

// supportedStores lists the values accepted by --store.
var supportedStores = []string{storeSQLite, storePostgres}

// numHistoryShards is the number of history shards of a new cluster. It is persisted with
// the cluster metadata on first start and cannot change afterwards; one shard is plenty
// for a single developer machine.
const numHistoryShards = 1

// isSupportedStore reports whether name is a known --store value.
func isSupportedStore(name string) bool {
	return slices.Contains(supportedStores, name)
}

// namespaceSpec describes the namespace the devserver registers at start.
type namespaceSpec struct {
	// Name is the namespace name.
	Name string
	// Retention is the retention period used when the namespace is created.
	Retention time.Duration
	// SearchAttributes are the custom search attributes of the namespace.
	SearchAttributes map[string]enumspb.IndexedValueType
}

// store is a persistence backend of the embedded server. Supporting another backend means
// implementing this interface and adding a case to newStore.
type store interface {
	// prepare creates the schema when it is missing and, when the backend allows it,
	// registers the namespace before the server starts. It must be safe to call again on
	// a database that was prepared before.
	prepare(ns namespaceSpec, clusterName string) error
	// persistence returns the server's persistence configuration for this backend.
	persistence() config.Persistence
	// describe returns a short description of where the data lives, for logs.
	describe() string
}

// newStore returns the persistence backend selected by o.Store.
func newStore(o options) (store, error) {
	switch o.Store {
	case storeSQLite:
		return newSQLiteStore(o.DBFile, o.SQLiteCacheMiB, o.SQLiteMmapMiB)
	case storePostgres:
		s, err := newPostgresStore(o.PGURL, o.PGDatabase, o.PGVisibilityDatabase, o.PGSynchronousCommit)
		if err == nil && o.PGDriver != "" {
			s.plugin = pgPlugins[o.PGDriver]
		}
		return s, err
	default:
		return nil, fmt.Errorf("unknown store %q: supported stores are %s", o.Store, strings.Join(supportedStores, ", "))
	}
}

// sqliteDataStore is the key of the SQLite data store in the server configuration.
const sqliteDataStore = "sqlite-default"

// sqliteStore keeps all server state, including visibility, in one SQLite file.
type sqliteStore struct {
	path string
	// cacheMiB and mmapMiB are the connection's page cache and memory map (options); zero
	// leaves SQLite's default, and the pragma out of the DSN.
	cacheMiB, mmapMiB int
}

// newSQLiteStore returns a store backed by the SQLite file at path and creates the
// file's parent directories.
func newSQLiteStore(path string, cacheMiB, mmapMiB int) (*sqliteStore, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("resolve db file %q: %w", path, err)
	}
	if fi, err := os.Stat(abs); err == nil && fi.IsDir() {
		return nil, fmt.Errorf("db file %s is a directory", abs)
	}
	if err := os.MkdirAll(filepath.Dir(abs), 0o755); err != nil {
		return nil, fmt.Errorf("create directory for db file: %w", err)
	}
	return &sqliteStore{path: abs, cacheMiB: cacheMiB, mmapMiB: mmapMiB}, nil
}

// sqlConfig returns a fresh SQL configuration for the database file. The SQLite plugin
// shares one connection per distinct configuration within a process.
func (s *sqliteStore) sqlConfig() *config.SQL {
	c := &config.SQL{
		PluginName:   sqliteplugin.PluginName,
		DatabaseName: s.path,
		ConnectAttributes: map[string]string{
			// Create the file when it does not exist.
			"mode": "rwc",
			// Keys other than SQLite URI parameters are applied as pragmas.
			// Write-ahead logging keeps readers and the writer from blocking each other.
			"journal_mode": "wal",
			// With WAL, NORMAL survives a crash of the process; only an OS crash may
			// lose the last transactions, which is fine for development.
			"synchronous": "normal",
			// Wait for locks instead of failing at once.
			"busy_timeout": "10000",
		},
	}
	// The plugin keeps one connection for the whole process (its connPool, keyed by the
	// DSN), so these are the server's whole cache and map. SQLite's default cache is 2 MiB;
	// a year of 10,000 projects makes a file of ~180 MiB whose B-tree pages then come back
	// through read(2). Neither knob, nor both, has shown a gain on a 10,000-project fan-out,
	// and the map cost decisions some devserver CPU (PERFORMANCE §11.1.6): both stay off
	// unless asked for.
	if s.cacheMiB > 0 {
		// A negative cache_size is in KiB.
		c.ConnectAttributes["cache_size"] = strconv.Itoa(-s.cacheMiB << 10)
	}
	if s.mmapMiB > 0 {
		c.ConnectAttributes["mmap_size"] = strconv.Itoa(s.mmapMiB << 20)
	}
	return c
}

func (s *sqliteStore) describe() string { return "sqlite file " + s.path }

func (s *sqliteStore) persistence() config.Persistence {
	return config.Persistence{
		DefaultStore:     sqliteDataStore,
		VisibilityStore:  sqliteDataStore,
		NumHistoryShards: numHistoryShards,
		DataStores: map[string]config.DataStore{
			sqliteDataStore: {SQL: s.sqlConfig()},
		},
	}
}

// sqliteMarkerTables are tables every initialised database has: one from the main schema
// and one from the visibility schema.
var sqliteMarkerTables = []string{"namespaces", "cluster_metadata_info", "executions_visibility"}

func (s *sqliteStore) prepare(ns namespaceSpec, clusterName string) error {
	if err := s.ensureSchema(); err != nil {
		return err
	}

	nsCfg, err := sqliteschema.NewNamespaceConfig(clusterName, ns.Name, false, ns.SearchAttributes)
	if err != nil {
		return fmt.Errorf("build namespace %q: %w", ns.Name, err)
	}
	nsCfg.Detail.Config.Retention = durationpb.New(ns.Retention)
	// CreateNamespaces leaves an existing namespace untouched.
	if err := sqliteschema.CreateNamespaces(s.sqlConfig(), nsCfg); err != nil {
		return fmt.Errorf("register namespace %q: %w", ns.Name, err)
	}
	return nil
}

// ensureSchema creates the SQLite schema in an empty database and leaves a database that
// already has it alone. A database holding other tables is rejected.
func (s *sqliteStore) ensureSchema() error {
	db, err := sql.NewSQLAdminDB(sqlplugin.DbKindUnknown, s.sqlConfig(), resolver.NewNoopResolver(),
		tlog.NewNoopLogger(), metrics.NoopMetricsHandler)
	if err != nil {
		return fmt.Errorf("open db file %s: %w", s.path, err)
	}
	defer func() { _ = db.Close() }()

	tables, err := db.ListTables(s.path)
	if err != nil {
		return fmt.Errorf("read tables of %s: %w", s.path, err)
	}
	var missing []string
	for _, t := range sqliteMarkerTables {
		if !slices.Contains(tables, t) {
			missing = append(missing, t)
		}
	}
	switch {
	case len(missing) == 0:
		return nil
	case len(tables) == 0:
		if err := sqliteschema.SetupSchemaOnDB(db); err != nil {
			return fmt.Errorf("create schema in %s: %w", s.path, err)
		}
		return nil
	default:
		return errors.New("db file " + s.path + " is not a Temporal database or has an incomplete schema " +
			"(missing tables " + strings.Join(missing, ", ") + "); move it away or choose another --db-file")
	}
}
