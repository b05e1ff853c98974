package main

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"egovpm/internal/audit"
	"egovpm/internal/store"
	"egovpm/internal/testdb"
)

// TestAuditCheckpointAndVerify (issue 15 item 20, R18): audit-checkpoint signs the chain's
// head into DATA_DIR; audit-verify checks the chain against it, so deleting the newest rows
// and moving the head back fails it (exit status 1) where the chain alone is whole;
// --anchor reads another copy of the checkpoints.
func TestAuditCheckpointAndVerify(t *testing.T) {
	url := testdb.URL(t)
	data := t.TempDir()
	c := cli{t: t, vars: map[string]string{"DATABASE_URL": url, "EGOVPM_AUDIT_KEY": testdb.AuditKey, "USER": "tester", "DATA_DIR": data}}
	for i := range 4 {
		c.ok("", "create-org", "--id", fmt.Sprintf("unit-%d", i), "--name", fmt.Sprintf("机构 %d", i), "--kind", "unit")
	}
	out := c.ok("", "audit-checkpoint")
	require.Contains(t, out, `"seq":4`)
	copyPath := filepath.Join(t.TempDir(), "elsewhere.jsonl")
	b, err := os.ReadFile(filepath.Join(data, audit.AnchorFile))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(copyPath, b, 0o600))
	out = c.ok("", "audit-verify")
	require.Contains(t, out, `"ok": true`)
	require.Contains(t, out, `"checkpoints": 1`)

	db, err := store.Open(t.Context(), url)
	require.NoError(t, err)
	defer db.Close()
	for _, q := range []string{`ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update`, `DELETE FROM audit_log WHERE seq > 2`,
		`ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_update`,
		`UPDATE audit_head SET seq = 2, hash = (SELECT hash FROM audit_log WHERE seq = 2)`} {
		_, err := db.Exec(q)
		require.NoError(t, err)
	}
	out, err = c.run("", "audit-verify")
	require.ErrorContains(t, err, "seq 3")
	require.Contains(t, out, `"ok": false`)

	require.NoError(t, os.Remove(filepath.Join(data, audit.AnchorFile)))
	c.ok("", "audit-verify") // without its checkpoints the cut chain is whole: the limit docs/AUDIT.md states
	_, err = c.run("", "audit-verify", "--anchor", copyPath)
	require.ErrorContains(t, err, "seq 3")
}
