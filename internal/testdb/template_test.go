package testdb

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/lib/pq"

	"egovpm/internal/store"
	"egovpm/schema"
)

// TestURLIsAFreshMigratedCopy: each URL is a database of its own at this build's latest
// migration (a copy of the template), so a row one test writes is not in the next one's.
func TestURLIsAFreshMigratedCopy(t *testing.T) {
	ctx := context.Background()
	latest, err := schema.Latest()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for range 2 {
		db, err := store.Open(ctx, URL(t))
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		if err := schema.Check(ctx, db.DB); err != nil {
			t.Fatalf("a fresh database is not at migration %d: %v", latest, err)
		}
		var orgs int
		if err := db.GetContext(ctx, &orgs, `SELECT count(*) FROM orgs WHERE id = 'unit-copy'`); err != nil {
			t.Fatal(err)
		}
		if orgs != 0 {
			t.Fatalf("a fresh database holds another test's row")
		}
		if _, err := db.ExecContext(ctx, `INSERT INTO orgs (id, name, kind) VALUES ('unit-copy', '复制测试', 'unit')`); err != nil {
			t.Fatal(err)
		}
		var name string
		if err := db.GetContext(ctx, &name, `SELECT current_database()`); err != nil {
			t.Fatal(err)
		}
		names = append(names, name)
	}
	if names[0] == names[1] {
		t.Fatalf("two URLs name one database %s", names[0])
	}
	var isTemplate bool
	db, err := store.Open(ctx, ServerURL())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	digest, _ := schema.Digest()
	if err := db.GetContext(ctx, &isTemplate, `SELECT datistemplate FROM pg_database WHERE datname = $1`,
		"egovpm_template_"+digest[:16]); err != nil {
		t.Fatalf("no template database for this build's migrations: %v", err)
	}
	if !isTemplate {
		t.Fatal("the template database is not marked a template")
	}
}

// TestDropStaleTemplates: a template of another migration set is dropped once untouched for
// the age given, the template named keep never, a fresh one not yet. (The test's templates
// have a prefix of their own, so it touches no real template of another branch.)
func TestDropStaleTemplates(t *testing.T) {
	ctx := context.Background()
	admin, err := store.Open(ctx, ServerURL())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.Close() }) // after the databases' cleanups below (LIFO)
	conn, err := admin.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	prefix := fmt.Sprintf("egovpm_template_droptest%d_", os.Getpid())
	keep, stale := prefix+"keep", prefix+"stale"
	for _, n := range []string{keep, stale} {
		if _, err := conn.ExecContext(ctx, `CREATE DATABASE `+pq.QuoteIdentifier(n)); err != nil {
			t.Fatal(err)
		}
		if _, err := conn.ExecContext(ctx, `ALTER DATABASE `+pq.QuoteIdentifier(n)+` IS_TEMPLATE true`); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			_, _ = conn.ExecContext(context.Background(), `ALTER DATABASE `+pq.QuoteIdentifier(n)+` IS_TEMPLATE false`)
			_ = dropNamed(context.Background(), conn, n)
		})
	}
	exists := func(n string) bool {
		var ok bool
		if err := conn.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, n).Scan(&ok); err != nil {
			t.Fatal(err)
		}
		return ok
	}

	dropStaleTemplates(ctx, conn, prefix, keep, time.Hour)
	if !exists(stale) || !exists(keep) {
		t.Fatal("a template younger than the age given was dropped")
	}
	time.Sleep(1100 * time.Millisecond) // the directories' modification times are in whole seconds on some file systems
	dropStaleTemplates(ctx, conn, prefix, keep, time.Second)
	if exists(stale) {
		t.Fatal("a template untouched for longer than the age given was kept")
	}
	if !exists(keep) {
		t.Fatal("the template of this build's migrations was dropped")
	}
}
