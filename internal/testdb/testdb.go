// Package testdb gives each test a fresh, migrated PostgreSQL database on the local server
// (TEST_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/). A missing server fails
// the test: CI starts PostgreSQL (.ci/run), and a test that skips for lack of it proves nothing.
package testdb

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/lib/pq"

	"egovpm/internal/audit"
	"egovpm/internal/store"
)

// AuditKey is the audit chain key of test stores.
const AuditKey = "test-audit-key"

// ServerURL returns the URL of the test PostgreSQL server's "postgres" database.
func ServerURL() string {
	if u := os.Getenv("TEST_DATABASE_URL"); u != "" {
		return u
	}
	return "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
}

// URL returns a fresh database URL on the test server: a copy of the template database of this
// build's migrations (template.go), dropped at the end of t.
func URL(t testing.TB) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	base, err := url.Parse(ServerURL())
	if err != nil {
		t.Fatalf("TEST_DATABASE_URL: %v", err)
	}
	tmpl, err := template(ctx, base)
	if err != nil {
		t.Fatalf("PostgreSQL is needed for this test and is not reachable, or the template database "+
			"could not be built (%v). Start it: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start", err)
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	name := "egovpm_test_" + hex.EncodeToString(b[:])
	u := *base
	u.Path = "/" + name
	if err := createFrom(ctx, base, name, tmpl); err != nil {
		t.Fatalf("create test database: %v", err)
	}
	t.Cleanup(func() { drop(t, base, name) })
	return u.String()
}

// New returns a Store over a fresh, migrated database that is dropped when t ends.
func New(t testing.TB) *store.Store {
	t.Helper()
	return Open(t, URL(t), 0)
}

// Open returns a Store over the database at u (a URL from URL, perhaps with session
// parameters added), with a main pool of maxConns connections (0: store.Open's default),
// closed when t ends.
func Open(t testing.TB, u string, maxConns int) *store.Store {
	t.Helper()
	db, err := store.Open(context.Background(), u)
	if err != nil {
		t.Fatalf("open test database: %v", err)
	}
	if maxConns > 0 {
		store.SetPool(db, maxConns)
	}
	st := store.New(db, audit.New(AuditKey))
	t.Cleanup(func() { _ = st.Close() })
	return st
}

// Notifications writes unsent notifications with the given ids, each to the user its id ends
// with ("<transition>#<n>:<user id>", as the store names them).
func Notifications(t testing.TB, st *store.Store, ids ...string) {
	t.Helper()
	for _, id := range ids {
		user := id[strings.LastIndex(id, ":")+1:]
		if _, err := st.DB().Exec(`INSERT INTO notifications (id, user_id, kind, title) VALUES ($1, $2, 'k', $1)`, id, user); err != nil {
			t.Fatalf("notification %s: %v", id, err)
		}
	}
}

func drop(t testing.TB, base *url.URL, name string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	db, err := store.Open(ctx, base.String())
	if err != nil {
		t.Logf("drop test database %s: %v", name, err)
		return
	}
	defer db.Close()
	_, _ = db.ExecContext(ctx, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`, name)
	if _, err := db.ExecContext(ctx, fmt.Sprintf(`DROP DATABASE IF EXISTS %s`, pq.QuoteIdentifier(name))); err != nil {
		t.Logf("drop test database %s: %v", name, err)
	}
}
