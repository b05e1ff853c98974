package main

import (
	"testing"

	"github.com/stretchr/testify/require"

	"egovpm/internal/store"
	"egovpm/internal/testdb"
)

// TestSeparationOfDutiesCommands (issue 15 item 4): create-user and set-roles refuse a role set
// that holds a conflicting pair, change nothing and record the refusal (R18); sod-report lists
// the users who hold one from before, and exits 1 until they are fixed.
func TestSeparationOfDutiesCommands(t *testing.T) {
	url := testdb.URL(t)
	c := cli{t: t, vars: map[string]string{"DATABASE_URL": url, "EGOVPM_AUDIT_KEY": testdb.AuditKey, "USER": "tester"}}
	c.ok("", "migrate")
	c.ok("", "create-org", "--id", "unit-c", "--name", "市民政局", "--kind", "unit")
	db, err := store.Open(t.Context(), url)
	require.NoError(t, err)
	defer db.Close()
	st := store.New(db, nil)
	count := func(q string, args ...any) int {
		var n int
		require.NoError(t, st.DB().Get(&n, q, args...))
		return n
	}

	require.Contains(t, c.ok("", "sod-report"), "no user holds conflicting roles")

	_, err = c.run("Str0ng-password!\n", "create-user", "--username", "mixed", "--name", "兼任者", "--org", "unit-c",
		"--roles", "submitter,drb_reviewer", "--password-stdin")
	require.ErrorContains(t, err, "conflicting_roles")
	require.ErrorContains(t, err, "申报单位经办人与数管局审核人员")
	require.Zero(t, count(`SELECT count(*) FROM users WHERE username = 'mixed'`))
	require.Equal(t, 1, count(`SELECT count(*) FROM audit_log WHERE action = 'user.create' AND outcome = 'refused'
		AND detail->>'code' = 'conflicting_roles' AND actor_id = 'cli'`))

	c.ok("Str0ng-password!\n", "create-user", "--username", "erin", "--name", "李四", "--org", "unit-c", "--roles", "submitter", "--password-stdin")
	_, err = c.run("", "set-roles", "--username", "erin", "--roles", "submitter,finance")
	require.ErrorContains(t, err, "conflicting_roles")
	require.Equal(t, []string{"submitter"}, roles(t, st, "erin"))
	_, err = c.run("", "set-roles", "--username", "erin", "--roles", "audit,ops")
	require.ErrorContains(t, err, "审计局与运维人员")
	require.Equal(t, 2, count(`SELECT count(*) FROM audit_log WHERE action = 'user.set_roles' AND outcome = 'refused'`))
	c.ok("", "set-roles", "--username", "erin", "--roles", "submitter,expert") // R4 recusal covers this pair

	// A user granted conflicting roles before the check (as an older database holds them).
	_, err = st.DB().Exec(`INSERT INTO users (id, username, name, org_id, password_hash) VALUES ('u-old', 'old', '老账号', 'unit-c', 'x');
		INSERT INTO user_roles (user_id, role) VALUES ('u-old', 'submitter'), ('u-old', 'drb_reviewer'), ('u-old', 'audit')`)
	require.NoError(t, err)
	out, err := c.run("", "sod-report")
	require.ErrorContains(t, err, "1 user(s) hold conflicting roles")
	require.Contains(t, out, "old\tunit-c\taudit,drb_reviewer,submitter\t")
	require.Contains(t, out, "submitter+drb_reviewer")
	require.Contains(t, out, "audit+submitter")
	require.Contains(t, out, "audit+drb_reviewer")
	require.NotContains(t, out, "erin")

	c.ok("", "set-roles", "--username", "old", "--roles", "drb_reviewer")
	require.Contains(t, c.ok("", "sod-report"), "no user holds conflicting roles")
}

func roles(t *testing.T, st *store.Store, username string) []string {
	t.Helper()
	u, err := st.UserByUsername(t.Context(), username)
	require.NoError(t, err)
	return u.Roles
}
