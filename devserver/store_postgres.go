package main

import (
	"errors"
	"fmt"
	"maps"
	"net"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"go.temporal.io/server/common/config"
	tlog "go.temporal.io/server/common/log"
	"go.temporal.io/server/common/persistence/sql/sqlplugin/postgresql"
	pgschema "go.temporal.io/server/schema/postgresql/v12"
	"go.temporal.io/server/tools/common/schema"
	sqltool "go.temporal.io/server/tools/sql"
)

// Keys of the PostgreSQL data stores in the server configuration.
const (
	pgDataStore       = "postgres-default"
	pgVisibilityStore = "postgres-visibility"
)

// Embedded schema directories (go.temporal.io/server/schema) of the two databases, as
// temporal-sql-tool names them with --schema-name.
const (
	pgSchemaName           = "postgresql/v12/temporal"
	pgVisibilitySchemaName = "postgresql/v12/visibility"
)

// pgPlugins are Temporal's PostgreSQL persistence plugins by the driver they use. pgx (the
// default) prepares each statement once a connection and keeps it (its statement cache);
// lib/pq parses and plans every parameterized statement anew, an extra round trip each
// (docs/PERFORMANCE.md §11.4.5).
var pgPlugins = map[string]string{"pgx": postgresql.PluginNamePGX, "pq": postgresql.PluginName}

// validDBName is what the devserver accepts as a database name: it is put into CREATE
// DATABASE unquoted by the schema tool.
var validDBName = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,62}$`)

// postgresStore keeps the server's state in two databases of a PostgreSQL server: one for
// persistence and one for visibility. Both are created when missing and their schema is set
// up and upgraded by the server's own schema tool (go.temporal.io/server/tools/sql with the
// schemas embedded in go.temporal.io/server/schema), exactly as temporal-sql-tool's
// create-database, setup-schema -v 0.0 and update-schema --schema-name do.
type postgresStore struct {
	addr       string // host:port
	user       string
	password   string
	attrs      map[string]string // connect attributes, such as sslmode
	db, visDB  string
	maintDB    string // the database to connect to for CREATE DATABASE
	schemaLog  tlog.Logger
	maxConns   int
	maxConnsVs int
	plugin     string // Temporal's SQL plugin (pgPlugins)
}

// newPostgresStore parses the server URL (postgres://user:password@host:port/[db]?sslmode=…;
// the database part only names the maintenance database used to create the others, default
// "postgres") and the two database names.
func newPostgresStore(rawURL, db, visDB, syncCommit string) (*postgresStore, error) {
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") || u.Host == "" {
		return nil, fmt.Errorf("invalid --pg-url %q: want postgres://user[:password]@host[:port]/[database][?sslmode=…]", redactURL(rawURL))
	}
	for flag, name := range map[string]string{"--pg-database": db, "--pg-visibility-database": visDB} {
		if !validDBName.MatchString(name) {
			return nil, fmt.Errorf("invalid %s %q: use lower-case letters, digits and _ (at most 63, not starting with a digit)", flag, name)
		}
	}
	if db == visDB {
		return nil, errors.New("--pg-database and --pg-visibility-database must differ")
	}
	if !slices.Contains([]string{"on", "off", "local", "remote_write", "remote_apply"}, syncCommit) {
		return nil, fmt.Errorf("invalid --pg-synchronous-commit %q: want on, off, local, remote_write or remote_apply", syncCommit)
	}
	host, port := u.Hostname(), u.Port()
	if port == "" {
		port = "5432"
	}
	s := &postgresStore{
		addr:       net.JoinHostPort(host, port),
		user:       u.User.Username(),
		attrs:      map[string]string{},
		db:         db,
		visDB:      visDB,
		maintDB:    strings.TrimPrefix(u.Path, "/"),
		schemaLog:  tlog.NewNoopLogger(),
		maxConns:   20,
		maxConnsVs: 10,
		plugin:     postgresql.PluginNamePGX,
	}
	s.password, _ = u.User.Password()
	if s.maintDB == "" {
		s.maintDB = "postgres"
	}
	if s.user == "" {
		s.user = "postgres"
	}
	for k, v := range u.Query() {
		if len(v) > 0 {
			s.attrs[k] = v[len(v)-1]
		}
	}
	if _, ok := s.attrs["sslmode"]; !ok && (host == "127.0.0.1" || host == "localhost" || host == "::1") {
		s.attrs["sslmode"] = "disable"
	}
	// A run-time parameter of the server's sessions (lib/pq passes unknown keys on).
	s.attrs["synchronous_commit"] = syncCommit
	return s, nil
}

// redactURL hides a password in a URL for messages.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.User == nil {
		return raw
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "xxx")
	}
	return u.String()
}

func (s *postgresStore) sqlConfig(db string, maxConns int) *config.SQL {
	return &config.SQL{
		PluginName:        s.plugin,
		DatabaseName:      db,
		ConnectAddr:       s.addr,
		ConnectProtocol:   "tcp",
		User:              s.user,
		Password:          s.password,
		ConnectAttributes: maps.Clone(s.attrs),
		MaxConns:          maxConns,
		MaxIdleConns:      maxConns,
		MaxConnLifetime:   time.Hour,
	}
}

func (s *postgresStore) describe() string {
	return fmt.Sprintf("postgres %s@%s databases %s (persistence) and %s (visibility), plugin %s", s.user, s.addr, s.db, s.visDB, s.plugin)
}

func (s *postgresStore) persistence() config.Persistence {
	return config.Persistence{
		DefaultStore:     pgDataStore,
		VisibilityStore:  pgVisibilityStore,
		NumHistoryShards: numHistoryShards,
		DataStores: map[string]config.DataStore{
			pgDataStore:       {SQL: s.sqlConfig(s.db, s.maxConns)},
			pgVisibilityStore: {SQL: s.sqlConfig(s.visDB, s.maxConnsVs)},
		},
	}
}

// prepare creates both databases when missing and brings their schemas to the versions this
// server needs. The namespace and its search attributes are registered through the API once
// the server runs (ensureNamespace, ensureSearchAttributes).
func (s *postgresStore) prepare(namespaceSpec, string) error {
	for _, d := range []struct {
		name, schema, version string
	}{
		{s.db, pgSchemaName, pgschema.Version},
		{s.visDB, pgVisibilitySchemaName, pgschema.VisibilityVersion},
	} {
		if err := s.ensureDatabase(d.name); err != nil {
			return err
		}
		if err := s.ensureSchema(d.name, d.schema, d.version); err != nil {
			return err
		}
	}
	return nil
}

// ensureDatabase creates the database (the plugin ignores one that exists).
func (s *postgresStore) ensureDatabase(name string) error {
	cfg := s.sqlConfig(name, 1)
	if err := sqltool.DoCreateDatabase(cfg, s.maintDB, s.schemaLog); err != nil {
		return fmt.Errorf("create database %s on %s: %w", name, s.addr, err)
	}
	return nil
}

// ensureSchema sets up the schema version tables in a new database and applies every
// versioned schema change up to the server's version; a database at that version is left
// alone. A database that holds other tables but no Temporal schema is refused.
func (s *postgresStore) ensureSchema(db, schemaName, want string) error {
	conn, err := sqltool.NewConnection(s.sqlConfig(db, 1), s.schemaLog)
	if err != nil {
		return fmt.Errorf("connect to database %s on %s: %w", db, s.addr, err)
	}
	defer conn.Close()
	tables, err := conn.ListTables()
	if err != nil {
		return fmt.Errorf("read tables of %s: %w", db, err)
	}
	if len(tables) > 0 && !slices.Contains(tables, "schema_version") {
		return fmt.Errorf("database %s holds tables but no Temporal schema (no schema_version table); choose another database name", db)
	}
	if len(tables) == 0 {
		setup := schema.NewSetupSchemaTask(conn, &schema.SetupConfig{InitialVersion: "0.0"}, s.schemaLog)
		if err := setup.Run(); err != nil {
			return fmt.Errorf("set up schema version tables in %s: %w", db, err)
		}
	}
	// A lean visibility database gets its dropped indexes back before Temporal's versions
	// are applied on top of it (store_postgres_visibility.go).
	if db == s.visDB {
		if err := s.restoreDroppedIndexes(conn, db, want); err != nil {
			return err
		}
	}
	update := schema.NewUpdateSchemaTask(conn, &schema.UpdateConfig{DBName: db, SchemaName: schemaName, TargetVersion: want}, s.schemaLog)
	if err := update.Run(); err != nil {
		return fmt.Errorf("update schema of %s to %s: %w", db, want, err)
	}
	got, err := conn.ReadSchemaVersion()
	if err != nil {
		return fmt.Errorf("read schema version of %s: %w", db, err)
	}
	if got != want {
		return fmt.Errorf("database %s has schema version %s, this server needs %s", db, got, want)
	}
	return nil
}
