package deploy

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jmoiron/sqlx"
	_ "github.com/lib/pq"
	"github.com/stretchr/testify/require"

	"egovpm/internal/config"
	"egovpm/internal/seed"
	"egovpm/internal/testdb"
)

func dbName(t *testing.T, u string) string {
	p, err := url.Parse(u)
	require.NoError(t, err)
	return strings.TrimPrefix(p.Path, "/")
}

func withDB(t *testing.T, u string) *sqlx.DB {
	db, err := sqlx.Open("postgres", u)
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })
	return db
}

// TestBackupAndRestoreTogether backs up a read model (seeded, with its audit chain), two
// stand-ins for Temporal's databases and a DATA_DIR with scripts/backup.sh, restores them with
// scripts/restore.sh under new names, and finds the same rows, an intact audit chain and the
// same files (issue 21 item 4). A backup whose checksum fails is refused before anything changes.
func TestBackupAndRestoreTogether(t *testing.T) {
	ctx := context.Background()
	st := testdb.New(t)
	require.NoError(t, seed.Demo(ctx, st, config.DefaultDemoPassword))
	var egovpmDB string
	require.NoError(t, st.DB().GetContext(ctx, &egovpmDB, `SELECT current_database()`))
	var users, audits int
	require.NoError(t, st.DB().GetContext(ctx, &users, `SELECT count(*) FROM users`))
	require.NoError(t, st.DB().GetContext(ctx, &audits, `SELECT count(*) FROM audit_log`))
	require.Positive(t, users)

	temporalURL, visURL := testdb.URL(t), testdb.URL(t)
	for _, u := range []string{temporalURL, visURL} {
		db := withDB(t, u)
		_, err := db.Exec(`CREATE TABLE marker (v text)`)
		require.NoError(t, err)
		_, err = db.Exec(`INSERT INTO marker VALUES ($1)`, dbName(t, u))
		require.NoError(t, err)
	}
	data := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(data, "ab", "cd"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(data, "ab", "cd", "abcd1234"), []byte("%PDF-1.7 document"), 0o644))

	env := func(kv ...string) []string {
		return append(os.Environ(), append([]string{"PGHOST=127.0.0.1", "PGPORT=5432", "PGUSER=postgres"}, kv...)...)
	}
	backups := t.TempDir()
	cmd := exec.Command("../scripts/backup.sh", backups)
	cmd.Env = env("EGOVPM_DB="+egovpmDB, "TEMPORAL_DB="+dbName(t, temporalURL), "TEMPORAL_VISIBILITY_DB="+dbName(t, visURL), "DATA_DIR="+data)
	out, err := cmd.Output()
	require.NoError(t, err, "%s", out)
	dir := strings.TrimSpace(string(out))

	var b [4]byte
	_, _ = rand.Read(b[:])
	suffix := hex.EncodeToString(b[:])
	names := map[string]string{"EGOVPM_DB": "restore_egovpm_" + suffix, "TEMPORAL_DB": "restore_temporal_" + suffix,
		"TEMPORAL_VISIBILITY_DB": "restore_vis_" + suffix}
	admin := withDB(t, strings.Replace(temporalURL, "/"+dbName(t, temporalURL)+"?", "/postgres?", 1))
	t.Cleanup(func() {
		for _, n := range names {
			_, _ = admin.Exec(`DROP DATABASE IF EXISTS ` + n + ` WITH (FORCE)`)
		}
	})
	restored := filepath.Join(t.TempDir(), "data")
	restore := func(from string, extra ...string) ([]byte, error) {
		kv := []string{"DATA_DIR=" + restored}
		for k, v := range names {
			kv = append(kv, k+"="+v)
		}
		cmd := exec.Command("../scripts/restore.sh", append([]string{from}, extra...)...)
		cmd.Env = env(kv...)
		return cmd.CombinedOutput()
	}
	out, err = restore(dir)
	require.Error(t, err, "restore wants --yes: %s", out)
	out, err = restore(dir, "--yes")
	require.NoError(t, err, "%s", out)

	rdb := testdb.Open(t, strings.Replace(temporalURL, "/"+dbName(t, temporalURL)+"?", "/"+names["EGOVPM_DB"]+"?", 1), 2)
	var gotUsers, gotAudits int
	require.NoError(t, rdb.DB().GetContext(ctx, &gotUsers, `SELECT count(*) FROM users`))
	require.NoError(t, rdb.DB().GetContext(ctx, &gotAudits, `SELECT count(*) FROM audit_log`))
	require.Equal(t, users, gotUsers)
	require.Equal(t, audits, gotAudits)
	res, err := rdb.Audit.Verify(ctx, rdb.DB())
	require.NoError(t, err)
	require.True(t, res.OK, "the restored audit chain verifies: %+v", res)
	for role, from := range map[string]string{"TEMPORAL_DB": temporalURL, "TEMPORAL_VISIBILITY_DB": visURL} {
		var v string
		db := withDB(t, strings.Replace(temporalURL, "/"+dbName(t, temporalURL)+"?", "/"+names[role]+"?", 1))
		require.NoError(t, db.Get(&v, `SELECT v FROM marker`))
		require.Equal(t, dbName(t, from), v)
	}
	got, err := os.ReadFile(filepath.Join(restored, "ab", "cd", "abcd1234"))
	require.NoError(t, err)
	require.Equal(t, "%PDF-1.7 document", string(got))

	// A damaged backup is refused before anything is dropped.
	require.NoError(t, os.WriteFile(filepath.Join(dir, "data.tar.gz"), []byte("damaged"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(restored, "kept"), []byte("x"), 0o644))
	out, err = restore(dir, "--yes")
	require.Error(t, err, "%s", out)
	_, err = os.Stat(filepath.Join(restored, "kept"))
	require.NoError(t, err, "DATA_DIR untouched")
}
