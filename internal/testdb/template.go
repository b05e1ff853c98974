package testdb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/lib/pq"

	"egovpm/internal/store"
	"egovpm/schema"
)

// A fresh database per test is a copy (CREATE DATABASE … TEMPLATE) of a database migrated
// once: running the ~35 migrations took 2-3 s a database, the copy a fraction of that. The
// template is named by the digest of the embedded migrations, so a branch with other
// migrations builds its own and a changed migration is never served from a stale copy; it
// stays on the server for the next run. Templates of other migration sets are dropped once
// untouched for staleTemplateAge (dropStaleTemplates), so a developer's server does not collect
// one per migration change.

// templateLockID is the advisory lock (in the server's "postgres" database) held while a
// process looks for or builds the template, so concurrent test binaries build it once.
const templateLockID = 0x65676f76746d // "egovtm"

var tmplOnce struct {
	sync.Mutex
	name string
}

// template returns the name of the template database of this build's migrations, building it
// when the server lacks it.
func template(ctx context.Context, base *url.URL) (string, error) {
	tmplOnce.Lock()
	defer tmplOnce.Unlock()
	if tmplOnce.name != "" {
		return tmplOnce.name, nil
	}
	digest, err := schema.Digest()
	if err != nil {
		return "", err
	}
	name := templatePrefix + digest[:16]
	admin, err := store.Open(ctx, base.String())
	if err != nil {
		return "", err
	}
	defer admin.Close()
	conn, err := admin.Conn(ctx) // one session: the advisory lock is the session's
	if err != nil {
		return "", err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock($1)`, templateLockID); err != nil {
		return "", fmt.Errorf("template lock: %w", err)
	}
	defer func() { _, _ = conn.ExecContext(context.Background(), `SELECT pg_advisory_unlock($1)`, templateLockID) }()
	var ready bool
	if err := conn.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1 AND datistemplate)`,
		name).Scan(&ready); err != nil {
		return "", fmt.Errorf("look up template %s: %w", name, err)
	}
	if !ready {
		if err := buildTemplate(ctx, conn, base, name); err != nil {
			return "", err
		}
	}
	dropStaleTemplates(ctx, conn, templatePrefix, name, staleTemplateAge)
	tmplOnce.name = name
	return name, nil
}

// staleTemplateAge is how long a template of another migration set is kept: long enough for a
// branch checked out again this week to find its own, short enough that the server sheds them.
const staleTemplateAge = 7 * 24 * time.Hour

// templatePrefix begins the name of every template database of ours.
const templatePrefix = "egovpm_template_"

// dropStaleTemplates drops the templates named prefix… other than keep whose files have not changed
// for olderThan: a template is written once, when built, so its directory's modification time
// is its age (pg_stat_file; a server that does not let this role read it keeps its templates).
// A template in use at that moment is left for the next time. Errors only leave templates
// behind, so they are not reported.
func dropStaleTemplates(ctx context.Context, conn *sql.Conn, prefix, keep string, olderThan time.Duration) {
	rows, err := conn.QueryContext(ctx, `SELECT datname FROM pg_database
		WHERE datistemplate AND datname LIKE $1 AND datname <> $2
		  AND (pg_stat_file('base/' || oid)).modification < now() - make_interval(secs => $3)`,
		strings.ReplaceAll(prefix, "_", `\_`)+"%", keep, olderThan.Seconds())
	if err != nil {
		return
	}
	var stale []string
	for rows.Next() {
		var n string
		if rows.Scan(&n) == nil {
			stale = append(stale, n)
		}
	}
	rows.Close()
	for _, n := range stale {
		q := pq.QuoteIdentifier(n)
		if _, err := conn.ExecContext(ctx, `ALTER DATABASE `+q+` IS_TEMPLATE false`); err != nil {
			continue
		}
		if _, err := conn.ExecContext(ctx, `DROP DATABASE IF EXISTS `+q); err != nil {
			// In use: mark it a template again so a run of its branch still finds it.
			_, _ = conn.ExecContext(ctx, `ALTER DATABASE `+q+` IS_TEMPLATE true`)
		}
	}
}

// buildTemplate migrates a database named name+"_build" and only then marks it a template
// and renames it to name, so a template under name is always complete (a build a killed
// process left is dropped and redone).
func buildTemplate(ctx context.Context, conn *sql.Conn, base *url.URL, name string) error {
	build := name + "_build"
	q := pq.QuoteIdentifier
	var stale bool
	if err := conn.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, build).Scan(&stale); err != nil {
		return err
	}
	if stale {
		if _, err := conn.ExecContext(ctx, `ALTER DATABASE `+q(build)+` IS_TEMPLATE false`); err != nil {
			return fmt.Errorf("unmark stale %s: %w", build, err)
		}
		if err := dropNamed(ctx, conn, build); err != nil {
			return err
		}
	}
	// A database under name that is no template is no build of ours finished: drop it too.
	if err := dropNamed(ctx, conn, name); err != nil {
		return err
	}
	if _, err := conn.ExecContext(ctx, `CREATE DATABASE `+q(build)); err != nil {
		return fmt.Errorf("create %s: %w", build, err)
	}
	u := *base
	u.Path = "/" + build
	db, err := store.Open(ctx, u.String())
	if err != nil {
		return fmt.Errorf("open %s: %w", build, err)
	}
	_, err = schema.Migrate(ctx, db.DB)
	db.Close()
	if err != nil {
		return fmt.Errorf("migrate %s: %w", build, err)
	}
	if _, err := conn.ExecContext(ctx, `ALTER DATABASE `+q(build)+` IS_TEMPLATE true`); err != nil {
		return fmt.Errorf("mark %s a template: %w", build, err)
	}
	// The migration's sessions end asynchronously after Close: retry the rename while the
	// server still counts them.
	return retryInUse(ctx, func() error {
		_, err := conn.ExecContext(ctx, `ALTER DATABASE `+q(build)+` RENAME TO `+q(name))
		return err
	})
}

// dropNamed drops the database name if it exists, ending its sessions first.
func dropNamed(ctx context.Context, conn *sql.Conn, name string) error {
	_, _ = conn.ExecContext(ctx, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`, name)
	if _, err := conn.ExecContext(ctx, `DROP DATABASE IF EXISTS `+pq.QuoteIdentifier(name)); err != nil {
		return fmt.Errorf("drop %s: %w", name, err)
	}
	return nil
}

// createFrom creates the database name as a copy of tmpl.
func createFrom(ctx context.Context, base *url.URL, name, tmpl string) error {
	admin, err := store.Open(ctx, base.String())
	if err != nil {
		return err
	}
	defer admin.Close()
	return retryInUse(ctx, func() error {
		_, err := admin.ExecContext(ctx, `CREATE DATABASE `+pq.QuoteIdentifier(name)+` TEMPLATE `+pq.QuoteIdentifier(tmpl))
		return err
	})
}

// retryInUse runs f until it does not fail with 55006 (object_in_use: "database … is being
// accessed by other users"), for at most 10 s.
func retryInUse(ctx context.Context, f func() error) error {
	deadline := time.Now().Add(10 * time.Second)
	for {
		err := f()
		var pqErr *pq.Error
		if err == nil || !errors.As(err, &pqErr) || pqErr.Code != "55006" || time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(50 * time.Millisecond):
		}
	}
}
