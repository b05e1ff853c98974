package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"time"

	"go.uber.org/zap/zapcore"
)

// Defaults used when neither a flag nor an environment variable sets a value.
const (
	defaultAddr      = "127.0.0.1:7233"
	defaultDBFile    = ".data/temporal/temporal.db"
	defaultStore     = storeSQLite
	defaultNamespace = "default"
	defaultRetention = 7 * 24 * time.Hour
	defaultUIAddr    = "127.0.0.1:8233"
	defaultLogLevel  = "warn"
	// defaultMetricsAddr serves the server's Prometheus metrics on loopback.
	defaultMetricsAddr = "127.0.0.1:9466"

	defaultPGURL                = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
	defaultPGDatabase           = "temporal"
	defaultPGVisibilityDatabase = "temporal_visibility"
	defaultPGSynchronousCommit  = "off"
	defaultPGDriver             = "pgx"

	// minRetention is the shortest namespace retention the Temporal server accepts.
	minRetention = 24 * time.Hour
)

// options holds the validated devserver settings.
type options struct {
	// Addr is the frontend gRPC listen address, host:port.
	Addr string
	// DBFile is the SQLite database file path.
	DBFile string
	// Store names the persistence store.
	Store string
	// Namespace is the namespace registered at start.
	Namespace string
	// Retention is the retention period of a newly created namespace.
	Retention time.Duration
	// UIAddr is the Web UI listen address; empty means the UI is off.
	UIAddr string
	// UIWriteActions lets the Web UI change workflows (terminate, reset, signal, cancel,
	// Update, start, batch actions); off, the UI only reads and its server refuses every
	// write request (issue 21 item 5: no change to a workflow without an audit row).
	UIWriteActions bool
	// LogLevel is the level of the Temporal server's logs.
	LogLevel zapcore.Level
	// PGURL is the PostgreSQL server of the postgres store (its database part names the
	// maintenance database used to create the others).
	PGURL string
	// PGDatabase and PGVisibilityDatabase are the databases of the postgres store.
	PGDatabase, PGVisibilityDatabase string
	// PGSynchronousCommit is the synchronous_commit setting of the server's sessions.
	PGSynchronousCommit string
	// PGDriver is the PostgreSQL driver of the server's persistence plugin: pgx or pq.
	PGDriver string
	// PprofAddr serves net/http/pprof (a loopback host:port); empty means off.
	PprofAddr string
	// MetricsAddr serves the Temporal server's Prometheus metrics at /metrics; empty means off.
	MetricsAddr string
	// MetricsAddrDefault is set when MetricsAddr is the built-in default: a busy default port
	// (another devserver) turns metrics off with a warning instead of failing the start.
	MetricsAddrDefault bool
	// SearchAttributes registers the application's custom search attributes at start; off
	// leaves the namespace as a stock Temporal server has it (`egovpm temporal-setup` adds them).
	SearchAttributes bool
	// TLS serves the frontend over TLS when set (tlsFiles).
	TLS tlsFiles
	// LongPoll is the matching service's long-poll time (matching.longPollExpirationInterval);
	// zero keeps the server's default of one minute.
	LongPoll time.Duration
	// FullVisibilityIndexes keeps every index of Temporal's SQLite visibility schema; off (the
	// default) the indexes no query of this platform uses are dropped (visibility.go).
	FullVisibilityIndexes bool
	// SQLiteCacheMiB is the SQLite page cache of the server's connection (PRAGMA cache_size);
	// zero keeps SQLite's default of about 2 MiB.
	SQLiteCacheMiB int
	// SQLiteMmapMiB is how much of the database file the connection reads through a memory
	// map (PRAGMA mmap_size); zero keeps SQLite's default, no map.
	SQLiteMmapMiB int
	// HistoryCacheEntries is the history service's mutable-state cache in workflows
	// (history.hostLevelCacheMaxSize); zero keeps the devserver's default (defaultHistoryCache).
	HistoryCacheEntries int
	// EventsCacheMiB is the history shard's events cache (history.eventsCacheMaxSizeBytes);
	// zero keeps the devserver's default (defaultEventsCacheMiB).
	EventsCacheMiB int
	// StopOnStdinClose stops the server gracefully when its standard input reaches its end: a
	// parent that holds the other end of a pipe (a test harness, the bench) takes the server
	// with it when it dies, even by SIGKILL, which no signal handler in the child sees.
	StopOnStdinClose bool
}

// maxSQLiteMiB bounds --sqlite-cache-mib and --sqlite-mmap-mib (64 GiB).
const maxSQLiteMiB = 64 << 10

// maxHistoryCacheEntries bounds --history-cache-entries (ten times Temporal's default), and
// maxEventsCacheMiB --events-cache-mib (16 GiB).
const (
	maxHistoryCacheEntries = 1_280_000
	maxEventsCacheMiB      = 16 << 10
)

// parseOptions reads flags from args, falling back to environment variables (read with
// getenv) and then to built-in defaults. Usage and flag errors are written to output.
func parseOptions(args []string, getenv func(string) string, output io.Writer) (options, error) {
	env := func(key, def string) string {
		if v, ok := lookupEnv(getenv, key); ok {
			return v
		}
		return def
	}

	retentionDefault := defaultRetention
	if v, ok := lookupEnv(getenv, "TEMPORAL_RETENTION"); ok {
		d, err := time.ParseDuration(v)
		if err != nil {
			return options{}, fmt.Errorf("invalid TEMPORAL_RETENTION %q: %w", v, err)
		}
		retentionDefault = d
	}
	bools := map[string]bool{"TEMPORAL_UI": true, "TEMPORAL_UI_WRITE_ACTIONS": false,
		"TEMPORAL_SEARCH_ATTRIBUTES": true, "TEMPORAL_FULL_VISIBILITY_INDEXES": false}
	for _, key := range []string{"TEMPORAL_UI", "TEMPORAL_UI_WRITE_ACTIONS", "TEMPORAL_SEARCH_ATTRIBUTES", "TEMPORAL_FULL_VISIBILITY_INDEXES"} {
		if v, ok := lookupEnv(getenv, key); ok {
			b, err := strconv.ParseBool(v)
			if err != nil {
				return options{}, fmt.Errorf("invalid %s %q: want true or false", key, v)
			}
			bools[key] = b
		}
	}
	uiDefault, uiWriteDefault := bools["TEMPORAL_UI"], bools["TEMPORAL_UI_WRITE_ACTIONS"]
	saDefault, fullVisDefault := bools["TEMPORAL_SEARCH_ATTRIBUTES"], bools["TEMPORAL_FULL_VISIBILITY_INDEXES"]
	var longPollDefault time.Duration
	if v, ok := lookupEnv(getenv, "TEMPORAL_LONG_POLL_INTERVAL"); ok {
		d, err := time.ParseDuration(v)
		if err != nil {
			return options{}, fmt.Errorf("invalid TEMPORAL_LONG_POLL_INTERVAL %q: %w", v, err)
		}
		longPollDefault = d
	}
	intEnv := map[string]int{}
	for _, key := range []string{"TEMPORAL_SQLITE_CACHE_MIB", "TEMPORAL_SQLITE_MMAP_MIB",
		"TEMPORAL_HISTORY_CACHE_ENTRIES", "TEMPORAL_EVENTS_CACHE_MIB"} {
		if v, ok := lookupEnv(getenv, key); ok {
			n, err := strconv.Atoi(v)
			if err != nil {
				unit := "MiB"
				if key == "TEMPORAL_HISTORY_CACHE_ENTRIES" {
					unit = "workflows"
				}
				return options{}, fmt.Errorf("invalid %s %q: want a whole number of %s", key, v, unit)
			}
			intEnv[key] = n
		}
	}

	fs := flag.NewFlagSet("devserver", flag.ContinueOnError)
	fs.SetOutput(output)
	var (
		addr      = fs.String("addr", env("TEMPORAL_DEVSERVER_ADDR", defaultAddr), "frontend gRPC `host:port` [TEMPORAL_DEVSERVER_ADDR]")
		dbFile    = fs.String("db-file", env("TEMPORAL_DB_FILE", defaultDBFile), "SQLite database `file` [TEMPORAL_DB_FILE]")
		store     = fs.String("store", env("TEMPORAL_STORE", defaultStore), "persistence `store`: "+strings.Join(supportedStores, ", ")+" [TEMPORAL_STORE]")
		namespace = fs.String("namespace", env("TEMPORAL_NAMESPACE", defaultNamespace), "namespace to register [TEMPORAL_NAMESPACE]")
		retention = fs.Duration("retention", retentionDefault, "retention of a newly created namespace, at least 24h [TEMPORAL_RETENTION]")
		uiOn      = fs.Bool("ui", uiDefault, "serve the Temporal Web UI [TEMPORAL_UI]")
		uiAddr    = fs.String("ui-addr", env("TEMPORAL_UI_ADDR", defaultUIAddr), "Web UI `host:port`, empty disables the UI [TEMPORAL_UI_ADDR]")
		logLevel  = fs.String("log-level", env("LOG_LEVEL", defaultLogLevel), "Temporal server log `level`: debug, info, warn, error [LOG_LEVEL]")
		pgURL     = fs.String("pg-url", env("TEMPORAL_PG_URL", defaultPGURL), "PostgreSQL server `URL` of --store postgres [TEMPORAL_PG_URL]")
		pgDB      = fs.String("pg-database", env("TEMPORAL_PG_DATABASE", defaultPGDatabase), "persistence `database` of --store postgres [TEMPORAL_PG_DATABASE]")
		pgVisDB   = fs.String("pg-visibility-database", env("TEMPORAL_PG_VISIBILITY_DATABASE", defaultPGVisibilityDatabase),
			"visibility `database` of --store postgres [TEMPORAL_PG_VISIBILITY_DATABASE]")
		pprofAddr = fs.String("pprof-addr", env("TEMPORAL_PPROF_ADDR", ""),
			"serve Go profiles (net/http/pprof) on this loopback `host:port`, for measuring the server; empty is off [TEMPORAL_PPROF_ADDR]")
		metricsAddr = fs.String("metrics-addr", env("TEMPORAL_METRICS_ADDR", defaultMetricsAddr),
			"serve the Temporal server's Prometheus metrics at /metrics on this `host:port`; empty is off [TEMPORAL_METRICS_ADDR]")
		searchAttrs = fs.Bool("search-attributes", saDefault,
			"register the custom search attributes at start; false leaves them to `egovpm temporal-setup` [TEMPORAL_SEARCH_ATTRIBUTES]")
		longPoll = fs.Duration("long-poll-interval", longPollDefault,
			"long-poll time of the matching service (matching.longPollExpirationInterval); 0 keeps the server's 1m [TEMPORAL_LONG_POLL_INTERVAL]")
		pgSync = fs.String("pg-synchronous-commit", env("TEMPORAL_PG_SYNCHRONOUS_COMMIT", defaultPGSynchronousCommit),
			"synchronous_commit of the server's PostgreSQL sessions: off (default, like the SQLite store's synchronous=NORMAL) or on [TEMPORAL_PG_SYNCHRONOUS_COMMIT]")
		pgDriver = fs.String("pg-driver", env("TEMPORAL_PG_DRIVER", defaultPGDriver),
			"driver of the server's PostgreSQL plugin: pgx (default: postgres12_pgx, statements prepared once a connection) or pq (postgres12: each statement parsed anew) [TEMPORAL_PG_DRIVER]")
		fullVis = fs.Bool("full-visibility-indexes", fullVisDefault,
			"keep (or restore) every index of Temporal's visibility schema (SQLite or PostgreSQL store); off drops those no query of this platform uses [TEMPORAL_FULL_VISIBILITY_INDEXES]")
		uiWrite = fs.Bool("ui-write-actions", uiWriteDefault,
			"let the Web UI terminate, reset, signal, cancel or start workflows; off (default) it only reads [TEMPORAL_UI_WRITE_ACTIONS]")
		sqliteCache = fs.Int("sqlite-cache-mib", intEnv["TEMPORAL_SQLITE_CACHE_MIB"],
			"SQLite page cache of the server's connection in `MiB` (PRAGMA cache_size); 0 keeps SQLite's default of about 2 MiB [TEMPORAL_SQLITE_CACHE_MIB]")
		sqliteMmap = fs.Int("sqlite-mmap-mib", intEnv["TEMPORAL_SQLITE_MMAP_MIB"],
			"read up to this many `MiB` of the SQLite file through a memory map (PRAGMA mmap_size); 0 keeps SQLite's default, no map [TEMPORAL_SQLITE_MMAP_MIB]")
		historyCache = fs.Int("history-cache-entries", intEnv["TEMPORAL_HISTORY_CACHE_ENTRIES"],
			fmt.Sprintf("`workflows` whose mutable state the history service keeps in memory (history.hostLevelCacheMaxSize); 0 keeps the devserver's %d [TEMPORAL_HISTORY_CACHE_ENTRIES]", defaultHistoryCache))
		eventsCache = fs.Int("events-cache-mib", intEnv["TEMPORAL_EVENTS_CACHE_MIB"],
			fmt.Sprintf("history events kept in memory in `MiB` (history.eventsCacheMaxSizeBytes); 0 keeps the devserver's %d [TEMPORAL_EVENTS_CACHE_MIB]", defaultEventsCacheMiB))
		stdinClose = fs.Bool("stop-on-stdin-close", false,
			"stop gracefully when standard input ends (for a parent process that holds a pipe to it: the server ends with its parent)")
	)
	readTLS := tlsFlags(fs, env)
	if err := fs.Parse(args); err != nil {
		return options{}, err
	}
	if fs.NArg() > 0 {
		return options{}, fmt.Errorf("unexpected arguments: %q", fs.Args())
	}

	tlsOpts, err := readTLS()
	if err != nil {
		return options{}, err
	}
	o := options{
		TLS:       tlsOpts,
		Addr:      strings.TrimSpace(*addr),
		DBFile:    strings.TrimSpace(*dbFile),
		Store:     strings.TrimSpace(*store),
		Namespace: strings.TrimSpace(*namespace),
		Retention: *retention,

		PGURL:                strings.TrimSpace(*pgURL),
		PGDatabase:           strings.TrimSpace(*pgDB),
		PGVisibilityDatabase: strings.TrimSpace(*pgVisDB),
		PGSynchronousCommit:  strings.TrimSpace(*pgSync),
		PGDriver:             strings.TrimSpace(*pgDriver),
		PprofAddr:            strings.TrimSpace(*pprofAddr),
		MetricsAddr:          strings.TrimSpace(*metricsAddr),
		MetricsAddrDefault:   true,
		SearchAttributes:     *searchAttrs,
		LongPoll:             *longPoll,

		FullVisibilityIndexes: *fullVis,
		SQLiteCacheMiB:        *sqliteCache,
		SQLiteMmapMiB:         *sqliteMmap,
		HistoryCacheEntries:   *historyCache,
		EventsCacheMiB:        *eventsCache,
		StopOnStdinClose:      *stdinClose,
	}
	if *uiOn {
		o.UIAddr = strings.TrimSpace(*uiAddr)
		o.UIWriteActions = *uiWrite
	}

	if err := checkHostPort("--addr", o.Addr); err != nil {
		return options{}, err
	}
	if o.UIAddr != "" {
		if err := checkHostPort("--ui-addr", o.UIAddr); err != nil {
			return options{}, err
		}
	}
	if o.PprofAddr != "" {
		if err := checkHostPort("--pprof-addr", o.PprofAddr); err != nil {
			return options{}, err
		}
		if h, _, _ := net.SplitHostPort(o.PprofAddr); h != "127.0.0.1" && h != "localhost" && h != "::1" {
			return options{}, fmt.Errorf("--pprof-addr %q: profiles are served on loopback only (127.0.0.1, ::1 or localhost)", o.PprofAddr)
		}
	}
	if _, ok := lookupEnv(getenv, "TEMPORAL_METRICS_ADDR"); ok {
		o.MetricsAddrDefault = false
	}
	fs.Visit(func(f *flag.Flag) {
		if f.Name == "metrics-addr" {
			o.MetricsAddrDefault = false
		}
	})
	if o.MetricsAddr != "" {
		if err := checkHostPort("--metrics-addr", o.MetricsAddr); err != nil {
			return options{}, err
		}
	}
	if o.LongPoll < 0 {
		return options{}, fmt.Errorf("--long-poll-interval %s: must not be negative", o.LongPoll)
	}
	for _, f := range []struct {
		name string
		v    int
	}{{"--sqlite-cache-mib", o.SQLiteCacheMiB}, {"--sqlite-mmap-mib", o.SQLiteMmapMiB}} {
		if f.v < 0 || f.v > maxSQLiteMiB {
			return options{}, fmt.Errorf("%s %d: want 0 to %d MiB", f.name, f.v, maxSQLiteMiB)
		}
	}
	if o.HistoryCacheEntries < 0 || o.HistoryCacheEntries > maxHistoryCacheEntries {
		return options{}, fmt.Errorf("--history-cache-entries %d: want 0 to %d workflows", o.HistoryCacheEntries, maxHistoryCacheEntries)
	}
	if o.EventsCacheMiB < 0 || o.EventsCacheMiB > maxEventsCacheMiB {
		return options{}, fmt.Errorf("--events-cache-mib %d: want 0 to %d MiB", o.EventsCacheMiB, maxEventsCacheMiB)
	}
	if o.Store != storeSQLite && (o.SQLiteCacheMiB != 0 || o.SQLiteMmapMiB != 0) {
		return options{}, fmt.Errorf("--sqlite-cache-mib and --sqlite-mmap-mib apply to --store sqlite only, not %q", o.Store)
	}
	if !isSupportedStore(o.Store) {
		return options{}, fmt.Errorf("unknown --store %q: supported stores are %s", o.Store, strings.Join(supportedStores, ", "))
	}
	if o.Store == storeSQLite && o.DBFile == "" {
		return options{}, errors.New("--db-file must not be empty")
	}
	if o.Store == storePostgres {
		if _, err := newPostgresStore(o.PGURL, o.PGDatabase, o.PGVisibilityDatabase, o.PGSynchronousCommit); err != nil {
			return options{}, err
		}
		if _, ok := pgPlugins[o.PGDriver]; !ok {
			return options{}, fmt.Errorf("invalid --pg-driver %q: want pgx or pq", o.PGDriver)
		}
	}
	if o.Namespace == "" {
		return options{}, errors.New("--namespace must not be empty")
	}
	if o.Retention < minRetention {
		return options{}, fmt.Errorf("--retention %s is too short: the minimum is %s", o.Retention, minRetention)
	}
	level, err := zapcore.ParseLevel(strings.TrimSpace(*logLevel))
	if err != nil {
		return options{}, fmt.Errorf("invalid --log-level %q: want debug, info, warn or error", *logLevel)
	}
	o.LogLevel = level
	return o, nil
}

// lookupEnv returns the value of key and whether it is set to a non-empty value.
func lookupEnv(getenv func(string) string, key string) (string, bool) {
	v := strings.TrimSpace(getenv(key))
	return v, v != ""
}

// checkHostPort validates that addr has the form host:port with a port from 1 to 65535.
func checkHostPort(flagName, addr string) error {
	_, portStr, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("invalid %s %q: %w", flagName, addr, err)
	}
	port, err := strconv.Atoi(portStr)
	if err != nil || port < 1 || port > 65535 {
		return fmt.Errorf("invalid %s %q: port must be a number from 1 to 65535", flagName, addr)
	}
	return nil
}
