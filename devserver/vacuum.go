package main

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"time"

	"github.com/lib/pq"
	"go.uber.org/zap"
)

// vacuumInterval is how often the stand-in for autovacuum looks at the devserver's tables.
// Autovacuum's own default (autovacuum_naptime) is a minute; the matching service's task
// table of a busy queue turns over in seconds, so the stand-in looks more often.
const vacuumInterval = 10 * time.Second

// A PostgreSQL server whose autovacuum is off (this project's test machine has it so) leaves
// the dead rows of the devserver's busiest tables in place: the matching service's task
// table, whose backlog is inserted and deleted by the thousand, and whose garbage collection
// (`DELETE FROM tasks … task_id IN (SELECT … ORDER BY task_id LIMIT …)`) then reads every dead
// row at the head of the queue again, each time: 0.6 ms of PostgreSQL's CPU a bundle member
// at N=1,000 and 6.5 ms at 10,000 (docs/PERFORMANCE.md §11.1.9). On such a server the devserver
// vacuums its own two databases as autovacuum would have: every table whose dead rows pass
// autovacuum's default threshold (50 rows and 20 % of its live ones) is vacuumed, and
// analysed when its changes since the last analysis pass 50 rows and 10 %. A server with
// autovacuum on is left to it. Nothing outside the devserver's databases is touched.

// vacuumThresholdSQL lists the tables of the connected database that autovacuum's default
// thresholds would vacuum (column vacuum true) or only analyse.
const vacuumThresholdSQL = `SELECT schemaname, relname, n_dead_tup > 50 + 0.2 * n_live_tup AS vacuum
	FROM pg_stat_user_tables
	WHERE n_dead_tup > 50 + 0.2 * n_live_tup OR n_mod_since_analyze > 50 + 0.1 * n_live_tup
	ORDER BY n_dead_tup DESC`

// vacuumOnce vacuums (with ANALYZE) or analyses each table of db past autovacuum's default
// thresholds and returns their names, schema-qualified.
func vacuumOnce(ctx context.Context, db *sql.DB) ([]string, error) {
	type table struct {
		schema, name string
		vacuum       bool
	}
	rows, err := db.QueryContext(ctx, vacuumThresholdSQL)
	if err != nil {
		return nil, fmt.Errorf("read table statistics: %w", err)
	}
	var due []table
	for rows.Next() {
		var t table
		if err := rows.Scan(&t.schema, &t.name, &t.vacuum); err != nil {
			_ = rows.Close()
			return nil, fmt.Errorf("read table statistics: %w", err)
		}
		due = append(due, t)
	}
	if err := rows.Close(); err != nil {
		return nil, fmt.Errorf("read table statistics: %w", err)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read table statistics: %w", err)
	}
	var done []string
	for _, t := range due {
		name := pq.QuoteIdentifier(t.schema) + "." + pq.QuoteIdentifier(t.name)
		q := "ANALYZE " + name
		if t.vacuum {
			q = "VACUUM (ANALYZE) " + name
		}
		if _, err := db.ExecContext(ctx, q); err != nil {
			return done, fmt.Errorf("%s: %w", q, err)
		}
		done = append(done, t.schema+"."+t.name)
	}
	return done, nil
}

// autovacuumOn reports the server's autovacuum setting.
func autovacuumOn(ctx context.Context, db *sql.DB) (bool, error) {
	var v string
	if err := db.QueryRowContext(ctx, `SHOW autovacuum`).Scan(&v); err != nil {
		return false, fmt.Errorf("read autovacuum: %w", err)
	}
	return v == "on", nil
}

// dsn is the lib/pq URL of database name on the store's server, with the store's connect
// attributes.
func (s *postgresStore) dsn(name string) string {
	q := url.Values{}
	for k, v := range s.attrs {
		q.Set(k, v)
	}
	u := url.URL{Scheme: "postgres", Host: s.addr, Path: "/" + name, RawQuery: q.Encode()}
	if s.password != "" {
		u.User = url.UserPassword(s.user, s.password)
	} else {
		u.User = url.User(s.user)
	}
	return u.String()
}

// startVacuum starts the stand-in for autovacuum on the store's two databases when the
// server's autovacuum is off, and returns the function that stops it (and waits for it). With
// autovacuum on, or when the setting cannot be read, it starts nothing.
func (s *postgresStore) startVacuum(logger *zap.Logger) (stop func()) {
	names := []string{s.db, s.visDB}
	var dbs []*sql.DB
	closeAll := func() {
		for _, db := range dbs {
			_ = db.Close()
		}
	}
	for _, name := range names {
		db, err := sql.Open("postgres", s.dsn(name))
		if err != nil {
			closeAll()
			logger.Warn("cannot watch the store's tables for vacuum", zap.String("database", name), zap.Error(err))
			return func() {}
		}
		db.SetMaxOpenConns(1)
		dbs = append(dbs, db)
	}
	ctx, cancel := context.WithCancel(context.Background())
	check, checkCancel := context.WithTimeout(ctx, 10*time.Second)
	on, err := autovacuumOn(check, dbs[0])
	checkCancel()
	if err != nil || on {
		cancel()
		closeAll()
		if err != nil {
			logger.Warn("cannot read the server's autovacuum setting; the devserver does not vacuum", zap.Error(err))
		}
		return func() {}
	}
	logger.Info("the PostgreSQL server's autovacuum is off: the devserver vacuums its own databases",
		zap.Strings("databases", names), zap.Duration("every", vacuumInterval))
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(vacuumInterval)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			for i, db := range dbs {
				tables, err := vacuumOnce(ctx, db)
				if err != nil && ctx.Err() == nil {
					logger.Warn("vacuum", zap.String("database", names[i]), zap.Error(err))
				}
				if len(tables) > 0 {
					logger.Debug("vacuumed", zap.String("database", names[i]), zap.Strings("tables", tables))
				}
			}
		}
	}()
	return func() {
		cancel()
		<-done
		closeAll()
	}
}
