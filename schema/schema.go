// Package schema holds the numbered goose migrations of the read model, embedded in every
// binary, and the checks that keep code and database in step.
package schema

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"

	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

// migrateLockID is the Postgres advisory lock key goose holds while migrating ("egovpm").
const migrateLockID = 0x65676f76706d

//go:embed *.sql
var migrations embed.FS

func provider(db *sql.DB) (*goose.Provider, error) {
	p, err := goose.NewProvider(goose.DialectPostgres, db, migrations)
	if err != nil {
		return nil, fmt.Errorf("load migrations: %w", err)
	}
	return p, nil
}

// Latest returns the highest migration version this build knows.
func Latest() (int64, error) {
	names, err := fs.Glob(migrations, "*.sql")
	if err != nil {
		return 0, fmt.Errorf("list migrations: %w", err)
	}
	var latest int64
	for _, n := range names {
		v, err := goose.NumericComponent(n)
		if err != nil {
			return 0, fmt.Errorf("migration %s: %w", n, err)
		}
		latest = max(latest, v)
	}
	if latest == 0 {
		return 0, errors.New("no migrations embedded")
	}
	return latest, nil
}

// Migrate applies every pending migration. It is safe to run concurrently from several
// processes: goose takes a Postgres advisory lock.
func Migrate(ctx context.Context, db *sql.DB) (int64, error) {
	locker, err := lock.NewPostgresSessionLocker(lock.WithLockID(migrateLockID))
	if err != nil {
		return 0, fmt.Errorf("migration lock: %w", err)
	}
	p, err := goose.NewProvider(goose.DialectPostgres, db, migrations, goose.WithSessionLocker(locker))
	if err != nil {
		return 0, fmt.Errorf("load migrations: %w", err)
	}
	if _, err := p.Up(ctx); err != nil {
		return 0, fmt.Errorf("apply migrations: %w", err)
	}
	return p.GetDBVersion(ctx)
}

// MigrateTo applies the pending migrations up to version and no further: a database as an
// older release left it (tests of data written before a migration).
func MigrateTo(ctx context.Context, db *sql.DB, version int64) error {
	p, err := provider(db)
	if err != nil {
		return err
	}
	if _, err := p.UpTo(ctx, version); err != nil {
		return fmt.Errorf("apply migrations up to %d: %w", version, err)
	}
	return nil
}

// ErrOutdated is returned by Check when the database is behind the code.
var ErrOutdated = errors.New("database schema is older than this build")

// Check refuses a database whose schema is older than this build, with a message that says
// what to run. A newer database is accepted (a rolling deploy runs old code for a while).
func Check(ctx context.Context, db *sql.DB) error {
	p, err := provider(db)
	if err != nil {
		return err
	}
	have, err := p.GetDBVersion(ctx)
	if err != nil {
		return fmt.Errorf("%w: cannot read schema version (%v); run `make migrate` (or the `migrate` command) first", ErrOutdated, err)
	}
	want, err := Latest()
	if err != nil {
		return err
	}
	if have < want {
		return fmt.Errorf("%w: database is at version %d, code needs %d; run `make migrate` (or the `migrate` command) first", ErrOutdated, have, want)
	}
	return nil
}

// Digest returns a hex SHA-256 of the embedded migrations (names and contents): two builds
// with the same digest migrate a database to the same schema (internal/testdb names its
// template database by it).
func Digest() (string, error) {
	names, err := fs.Glob(migrations, "*.sql")
	if err != nil {
		return "", fmt.Errorf("list migrations: %w", err)
	}
	h := sha256.New()
	for _, n := range names {
		b, err := migrations.ReadFile(n)
		if err != nil {
			return "", fmt.Errorf("read migration %s: %w", n, err)
		}
		fmt.Fprintf(h, "%s\x00%d\x00", n, len(b))
		h.Write(b)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
