package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"egovpm/internal/auth"
	"egovpm/internal/store"
	"egovpm/internal/testdb"
)

type cli struct {
	t    *testing.T
	vars map[string]string
}

func (c cli) run(stdin string, args ...string) (string, error) {
	var out, errOut bytes.Buffer
	err := runArgs(context.Background(), args, env{
		getenv: func(k string) string { return c.vars[k] },
		stdin:  strings.NewReader(stdin),
		stdout: &out,
		stderr: &errOut,
	})
	return out.String(), err
}

func (c cli) ok(stdin string, args ...string) string {
	c.t.Helper()
	out, err := c.run(stdin, args...)
	require.NoError(c.t, err, out)
	return out
}

func TestCommands(t *testing.T) {
	url := testdb.URL(t)
	c := cli{t: t, vars: map[string]string{"DATABASE_URL": url, "EGOVPM_AUDIT_KEY": testdb.AuditKey, "USER": "tester"}}
	ctx := context.Background()

	require.Contains(t, c.ok("", "migrate"), "schema at version")
	c.ok("", "create-org", "--id", "unit-c", "--name", "市民政局", "--kind", "unit")
	_, err := c.run("", "create-org", "--id", "unit-c", "--name", "市民政局", "--kind", "unit")
	require.ErrorContains(t, err, "already exists")
	_, err = c.run("", "create-org", "--id", "Unit C", "--name", "x", "--kind", "unit")
	require.ErrorContains(t, err, "--id")
	_, err = c.run("", "create-org", "--id", "unit-d", "--name", "x", "--kind", "bank")
	require.ErrorContains(t, err, "--kind")

	out := c.ok("Str0ng-password!\n", "create-user", "--username", "carol", "--name", "张三", "--org", "unit-c",
		"--roles", "submitter,admin", "--password-stdin")
	require.Contains(t, out, "u-carol")
	require.Contains(t, out, "enable-totp", "admin needs TOTP in production: the CLI says so")
	_, err = c.run("weak\n", "create-user", "--username", "dave", "--name", "李四", "--org", "unit-c", "--roles", "submitter", "--password-stdin")
	require.ErrorContains(t, err, "密码")
	_, err = c.run("Str0ng-password!\n", "create-user", "--username", "dave", "--name", "李四", "--org", "unit-c", "--roles", "submitter")
	require.ErrorContains(t, err, "--password-stdin")
	_, err = c.run("Str0ng-password!\n", "create-user", "--username", "dave", "--name", "李四", "--org", "nowhere", "--roles", "submitter", "--password-stdin")
	require.ErrorContains(t, err, "does not exist")
	_, err = c.run("Str0ng-password!\n", "create-user", "--username", "dave", "--name", "李四", "--org", "unit-c", "--roles", "king", "--password-stdin")
	require.ErrorContains(t, err, "unknown role")
	_, err = c.run("Str0ng-password!\n", "create-user", "--username", "carol", "--name", "张三", "--org", "unit-c", "--roles", "submitter", "--password-stdin")
	require.ErrorContains(t, err, "already exists")
	_, err = c.run("Str0ng-password!\n", "create-user", "--username", "erin", "--name", "赵五", "--org", "unit-c", "--roles", "submitter",
		"--email", "zhaowu@luan", "--password-stdin")
	require.ErrorContains(t, err, "--email")
	c.ok("Str0ng-password!\n", "create-user", "--username", "erin", "--name", "赵五", "--org", "unit-c", "--roles", "submitter",
		"--email", " zhaowu@luan.gov.cn ", "--password-stdin")
	var email string
	require.NoError(t, testdb.Open(t, url, 0).DB().Get(&email, `SELECT email FROM users WHERE id = 'u-erin'`))
	require.Equal(t, "zhaowu@luan.gov.cn", email, "the address the user's notices go to, trimmed")

	c.ok("", "set-roles", "--username", "carol", "--roles", "submitter")
	c.ok("", "disable-user", "--username", "carol")
	c.ok("", "disable-user", "--username", "carol", "--enable")
	c.ok("", "unlock-user", "--username", "carol")
	_, err = c.run("", "unlock-user", "--username", "nobody")
	require.ErrorContains(t, err, "no user")

	out = c.ok("", "enable-totp", "--username", "carol")
	require.Contains(t, out, "otpauth://totp/egovpm:carol?")
	_, err = c.run("", "enable-totp", "--username", "carol")
	require.ErrorContains(t, err, "--force")

	db, err := store.Open(ctx, url)
	require.NoError(t, err)
	defer db.Close()
	st := store.New(db, nil)
	u, err := st.UserByID(ctx, "u-carol")
	require.NoError(t, err)
	require.Equal(t, []string{"submitter"}, []string(u.Roles))
	require.False(t, u.Disabled)
	require.True(t, u.TOTPEnabled)
	var hash string
	require.NoError(t, db.Get(&hash, `SELECT password_hash FROM users WHERE id = 'u-carol'`))
	ok, err := auth.VerifyPassword(hash, "Str0ng-password!")
	require.NoError(t, err)
	require.True(t, ok)
	require.Contains(t, hash, "m=65536,t=1,p=2", "the CLI hashes with the production parameters")

	c.ok("", "seed-demo")
	c.ok("", "seed-demo")
	prod := cli{t: t, vars: map[string]string{"DATABASE_URL": url, "EGOVPM_MODE": "production",
		"EGOVPM_TOKEN_SECRET": strings.Repeat("s", 40), "EGOVPM_AUDIT_KEY": strings.Repeat("k", 40)}}
	_, err = prod.run("", "seed-demo")
	require.ErrorContains(t, err, "production")

	var actions []string
	require.NoError(t, db.Select(&actions, `SELECT action FROM audit_log WHERE actor_id = 'cli' ORDER BY seq`))
	require.Equal(t, []string{"org.create", "user.create", "user.create", "user.set_roles", "user.disable", "user.enable", "user.unlock",
		"user.enable_totp"}, actions)
	var erinEmail string
	require.NoError(t, db.Get(&erinEmail, `SELECT detail->>'email' FROM audit_log WHERE action = 'user.create' AND object_id = 'u-erin'`))
	require.Equal(t, "zhaowu@luan.gov.cn", erinEmail)

	out = c.ok("", "audit-verify")
	require.Contains(t, out, `"ok": true`)

	// Tamper with one row behind the trigger's back: verify reports it and fails.
	_, err = db.Exec(`ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update`)
	require.NoError(t, err)
	_, err = db.Exec(`UPDATE audit_log SET object_id = 'u-mallory' WHERE seq = 2`)
	require.NoError(t, err)
	out, err = c.run("", "audit-verify")
	require.ErrorContains(t, err, "seq 2")
	require.Contains(t, out, `"ok": false`)

	_, err = c.run("", "no-such-command")
	require.ErrorContains(t, err, "unknown command")
	_, err = c.run("", "migrate", "extra")
	require.ErrorContains(t, err, "unexpected arguments")

	// disable-user of a user who holds an open task tells the DRB supervisors (holder_disabled),
	// as 用户管理's 停用 does.
	_, err = db.Exec(`INSERT INTO tasks (id, kind, workflow_id, candidate_role, assignee_id, due_at)
		VALUES ('t-carol', 'prelim_review', 'wf-carol', 'drb_reviewer', 'u-carol', now() + interval '1 day')`)
	require.NoError(t, err)
	c.ok("", "disable-user", "--username", "carol")
	var told []string
	require.NoError(t, db.Select(&told, `SELECT u.username FROM notifications n JOIN users u ON u.id = n.user_id
		WHERE n.kind = 'holder_disabled' AND n.body LIKE '张三（carol） 的账号已停用，其持有 1 项%' ORDER BY 1`))
	require.Equal(t, []string{"drbsup"}, told)
}

// mail-failures lists the notifications the relay refused for good (T1–T4), newest first,
// within --since, as JSON lines an operator can act on; bad flags are refused.
func TestMailFailures(t *testing.T) {
	url := testdb.URL(t)
	c := cli{t: t, vars: map[string]string{"DATABASE_URL": url, "EGOVPM_AUDIT_KEY": testdb.AuditKey, "USER": "tester"}}
	c.ok("", "migrate")
	c.ok("", "seed-demo")
	st := testdb.Open(t, url, 0)
	testdb.Notifications(t, st, "tr-1#0:u-alice", "tr-1#0:u-bob", "tr-2#0:u-bob")
	_, err := st.DB().Exec(`UPDATE notifications SET failed_at = now() - interval '1 hour', failure = '550 5.1.1 no such mailbox'
		WHERE id = 'tr-1#0:u-alice'`)
	require.NoError(t, err)
	_, err = st.DB().Exec(`UPDATE notifications SET failed_at = now() - interval '30 days', failure = '550 old' WHERE id = 'tr-2#0:u-bob'`)
	require.NoError(t, err)

	out := c.ok("", "mail-failures")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	require.Len(t, lines, 1, out)
	var f store.MailFailure
	require.NoError(t, json.Unmarshal([]byte(lines[0]), &f))
	require.Equal(t, "tr-1#0:u-alice", f.ID)
	require.Equal(t, "alice", f.Username)
	require.Equal(t, "550 5.1.1 no such mailbox", f.Failure)

	out = c.ok("", "mail-failures", "--since", "1000h")
	require.Len(t, strings.Split(strings.TrimSpace(out), "\n"), 2, out)
	for _, bad := range [][]string{{"--since", "-1h"}, {"--limit", "0"}, {"extra"}} {
		_, err := c.run("", append([]string{"mail-failures"}, bad...)...)
		require.Error(t, err, "%v", bad)
	}
}
