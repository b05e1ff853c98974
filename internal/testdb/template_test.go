package testdb

import (
	"context"
	"testing"

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
