package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"

	"egovpm/internal/store"
	"egovpm/internal/testdb"
	"egovpm/internal/testenv"
)

type auditLine struct {
	ActorID  string `db:"actor_id"`
	Action   string `db:"action"`
	ObjectID string `db:"object_id"`
	Outcome  string `db:"outcome"`
	Detail   string `db:"detail"`
}

func opsAudits(t *testing.T, url string) []auditLine {
	t.Helper()
	db, err := store.Open(context.Background(), url)
	require.NoError(t, err)
	defer db.Close()
	var rows []auditLine
	require.NoError(t, db.Select(&rows, `SELECT actor_id, action, object_id, outcome, detail::text AS detail FROM audit_log
		WHERE action LIKE 'ops.%' ORDER BY seq`))
	return rows
}

// TestO3_OpsReplayFiles: ops-replay replays exported histories against this build, passes
// on the recorded ones and fails (exit status 1) on one the code no longer reproduces; each
// run is audited with actor cli.
func TestO3_OpsReplayFiles(t *testing.T) {
	url := testdb.URL(t)
	c := cli{t: t, vars: map[string]string{"DATABASE_URL": url, "EGOVPM_AUDIT_KEY": testdb.AuditKey, "USER": "tester"}}
	files, err := filepath.Glob(filepath.Join("..", "..", "workflows", "testdata", "*-project-*.json"))
	require.NoError(t, err)
	require.NotEmpty(t, files)

	out := c.ok("", append([]string{"ops-replay"}, files...)...)
	require.Contains(t, out, `"passed": true`)
	require.Equal(t, len(files), strings.Count(out, `"status": "ok"`))

	// A history whose activity the code never scheduled: the build is not deterministic for it.
	raw, err := os.ReadFile(files[0])
	require.NoError(t, err)
	require.Contains(t, string(raw), `"ComputeSimilar"`)
	mutated := filepath.Join(t.TempDir(), "mutated.json")
	require.NoError(t, os.WriteFile(mutated, []byte(strings.ReplaceAll(string(raw), `"ComputeSimilar"`, `"ComputeOther"`)), 0o600))
	out, err = c.run("", "ops-replay", files[0], mutated)
	require.ErrorContains(t, err, "1 nondeterministic")
	require.Contains(t, out, `"status": "nondeterministic"`)
	require.Contains(t, out, `"passed": false`)

	rows := opsAudits(t, url)
	require.Len(t, rows, 2)
	for i, outcome := range []string{"passed", "failed"} {
		require.Equal(t, "cli", rows[i].ActorID)
		require.Equal(t, "ops.replay", rows[i].Action)
		require.Equal(t, outcome, rows[i].Outcome)
		require.Contains(t, rows[i].Detail, `"os_user": "tester"`)
	}
	out = c.ok("", "audit-verify")
	require.Contains(t, out, `"ok": true`)
}

// TestO1O2O3_OpsCommandsAgainstTemporal runs ops-stuck, ops-reset, ops-retry and
// ops-replay --live against a real devserver: they connect, answer, and refuse what is not
// there (audited too).
func TestO1O2O3_OpsCommandsAgainstTemporal(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	d, err := testenv.StartDevserver(ctx, t.TempDir(), "")
	require.NoError(t, err, "the ops commands are tested against a real Temporal")
	t.Cleanup(d.Stop)
	url := testdb.URL(t)
	c := cli{t: t, vars: map[string]string{"DATABASE_URL": url, "EGOVPM_AUDIT_KEY": testdb.AuditKey, "TEMPORAL_ADDRESS": d.Addr,
		"LOG_LEVEL": "error"}}

	require.Equal(t, "[]\n", c.ok("", "ops-stuck"), "a fresh namespace has nothing stuck")
	out := c.ok("", "ops-replay", "--live")
	require.Contains(t, out, `"passed": true`)

	_, err = c.run("", "ops-reset", "--workflow", "project:p-none")
	require.ErrorContains(t, err, "不存在")
	_, err = c.run("", "ops-retry", "--workflow", "project:p-none", "--activity", "5")
	require.ErrorContains(t, err, "不存在")
	_, err = c.run("", "ops-replay", "--live", "--workflow", "project:p-none")
	require.ErrorContains(t, err, "not replayable")

	var actions []string
	for _, r := range opsAudits(t, url) {
		require.Equal(t, "cli", r.ActorID)
		actions = append(actions, r.Action+":"+r.Outcome)
	}
	require.Equal(t, []string{"ops.replay:passed", "ops.reset:failed", "ops.retry:failed", "ops.replay:failed"}, actions)

	// Issue 21 item 5: a workflow terminated with the temporal CLI's identity is audited by
	// ops-reconcile, once.
	outsider, err := client.Dial(client.Options{HostPort: d.Addr, Identity: "someone@tctl"})
	require.NoError(t, err)
	defer outsider.Close()
	run, err := outsider.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: "outside-1", TaskQueue: "nobody-polls"}, "Anything")
	require.NoError(t, err)
	require.NoError(t, outsider.TerminateWorkflow(ctx, "outside-1", run.GetRunID(), "手工清理"))
	external := func() []auditLine {
		var out []auditLine
		for _, r := range opsAudits(t, url) {
			if r.Action == "ops.external_terminate" {
				out = append(out, r)
			}
		}
		return out
	}
	require.Eventually(t, func() bool {
		c.ok("", "ops-reconcile", "--settle", "1ns")
		return len(external()) == 1
	}, 30*time.Second, 500*time.Millisecond, "the visibility record lands a moment after the termination")
	row := external()[0]
	require.Equal(t, "outside-1", row.ObjectID)
	require.Contains(t, row.Detail, `"identity": "someone@tctl"`)
	require.Contains(t, row.Detail, "手工清理")
	require.Contains(t, c.ok("", "ops-reconcile", "--settle", "1ns"), `"findings": []`, "nothing new the second time")
	require.Len(t, external(), 1)
}

// TestOpsCommandFlags: the ops commands check their flags before connecting anywhere.
func TestOpsCommandFlags(t *testing.T) {
	c := cli{t: t, vars: map[string]string{}}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"ops-reset"}, "--workflow is required"},
		{[]string{"ops-reconcile", "--settle", "0s"}, "--settle"},
		{[]string{"ops-reset", "--workflow", "project:p-1", "--event", "2"}, "--event"},
		{[]string{"ops-retry", "--workflow", "project:p-1"}, "--activity"},
		{[]string{"ops-replay"}, "history files"},
		{[]string{"ops-replay", "--workflow", "project:p-1"}, "--workflow needs --live"},
		{[]string{"ops-replay", "no-such-file.json"}, "no-such-file.json"},
		{[]string{"ops-stuck", "--min-attempts", "0"}, "--min-attempts"},
		{[]string{"ops-stuck", "extra"}, "unexpected arguments"},
		{[]string{"ops-resolve", "--failure", "af-1"}, "--comment"},
	} {
		_, err := c.run("", tc.args...)
		require.ErrorContains(t, err, tc.want, "%v", tc.args)
	}
}

// TestO1_OpsResolveCommand: ops-resolve marks an activity that gave up as resolved (audited
// with actor cli and the OS user); a second resolve and an unknown failure are refused.
func TestO1_OpsResolveCommand(t *testing.T) {
	url := testdb.URL(t)
	db, err := store.Open(context.Background(), url)
	require.NoError(t, err)
	defer db.Close()
	id := store.FailureID("project:p-1/run-1/gave-up/ComputeSimilar")
	_, err = db.Exec(`INSERT INTO activity_failures (id, workflow_id, run_id, activity_type, error)
		VALUES ($1, 'project:p-1', 'run-1', 'ComputeSimilar', 'store similar: relation "project_similar" does not exist')`, id)
	require.NoError(t, err)
	c := cli{t: t, vars: map[string]string{"DATABASE_URL": url, "EGOVPM_AUDIT_KEY": testdb.AuditKey, "USER": "tester", "LOG_LEVEL": "error"}}

	out := c.ok("", "ops-resolve", "--failure", id, "--comment", "表已恢复")
	require.Contains(t, out, `"resolution": "表已恢复"`)
	var by string
	require.NoError(t, db.Get(&by, `SELECT resolved_by FROM activity_failures WHERE id = $1`, id))
	require.Equal(t, "cli", by)
	_, err = c.run("", "ops-resolve", "--failure", id, "--comment", "再次")
	require.ErrorContains(t, err, "已处理")
	_, err = c.run("", "ops-resolve", "--failure", "af-000000000000000000000000", "--comment", "x")
	require.ErrorContains(t, err, "不存在")

	rows := opsAudits(t, url)
	require.Len(t, rows, 1)
	require.Equal(t, "ops.resolve", rows[0].Action)
	require.Equal(t, "project:p-1", rows[0].ObjectID)
	require.Contains(t, rows[0].Detail, `"os_user": "tester"`)
}
