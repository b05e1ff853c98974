package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"egovpm/internal/seed"
	"egovpm/internal/store"
	"egovpm/internal/testdb"
)

// O1: the mail sweep's record of a mail unsent a day (RecordUnsentMail) is recorded as
// recordGaveUp records an activity that gave up, in one transaction: the activity_failures
// row, an activity.gave_up audit row through the chain (R18, which verifies after), and a
// notice to the ops role. A second run adds nothing; nor does the ops notice, unsent a day in
// its turn.
func TestRecordUnsentMailAuditsAndTellsOps(t *testing.T) {
	st := testdb.New(t)
	ctx := context.Background()
	require.NoError(t, seed.Demo(ctx, st, "demo-Passw0rd"))
	db := st.DB()
	old, fresh := "project:px/run-1/3", "project:px/run-1/4"
	testdb.Notifications(t, st, old+"#0:u-drb1", old+"#t0:u-drbsup", fresh+"#0:u-drb1")
	_, err := db.Exec(`UPDATE notifications SET created_at = now() - interval '25 hours' WHERE starts_with(id, $1)`, old)
	require.NoError(t, err)
	record := func() int64 {
		t.Helper()
		n, err := st.RecordUnsentMail(ctx, 24*time.Hour, 7*24*time.Hour, time.Now())
		require.NoError(t, err)
		return n
	}
	type counts struct{ Failures, Audit, Notices int }
	count := func() (c counts) {
		t.Helper()
		require.NoError(t, db.Get(&c, `SELECT (SELECT count(*) FROM activity_failures) AS failures,
			(SELECT count(*) FROM audit_log) AS audit, (SELECT count(*) FROM notifications) AS notices`))
		return c
	}
	before := count()
	require.EqualValues(t, 1, record())
	after := count()
	require.Equal(t, counts{before.Failures + 1, before.Audit + 1, before.Notices + 1}, after)

	res, err := st.Audit.Verify(ctx, db)
	require.NoError(t, err)
	require.True(t, res.OK, "%+v", res)
	var a struct {
		Action, ObjectType, ObjectID, Outcome, Type, Tr string
	}
	require.NoError(t, db.Get(&a, `SELECT action, object_type AS objecttype, object_id AS objectid, outcome, detail->>'activity_type' AS type,
		detail->>'transition_id' AS tr FROM audit_log ORDER BY seq DESC LIMIT 1`))
	require.Equal(t, "activity.gave_up", a.Action)
	require.Equal(t, "workflow", a.ObjectType)
	require.Equal(t, "project:px", a.ObjectID)
	require.Equal(t, "failed", a.Outcome)
	require.Equal(t, store.MailGiveUpType, a.Type)
	require.Equal(t, old, a.Tr)

	ns, _, err := st.Notifications(ctx, "u-ops1", 10, "")
	require.NoError(t, err)
	require.Len(t, ns, 1)
	require.Equal(t, store.MailUnsentKind, ns[0].Kind)
	require.Equal(t, "通知 "+old+"#0:u-drb1 一天未能发出，需要运维处理", ns[0].Title)
	var id string
	require.NoError(t, db.Get(&id, `SELECT id FROM notifications WHERE user_id = 'u-ops1'`))
	require.Equal(t, "mail/"+old+"#0:u-ops1", id)

	require.Zero(t, record(), "a second sweep adds nothing")
	require.Equal(t, after, count())
	_, err = db.Exec(`UPDATE notifications SET created_at = now() - interval '25 hours' WHERE user_id = 'u-ops1'`)
	require.NoError(t, err)
	require.Zero(t, record(), "the ops notice, unsent a day, is no record of its own")
	require.Equal(t, after, count())
}

// O1: a full batch of RecordUnsentMail that comes back short because another sweep added some
// of its candidates meanwhile (between the batch's read and its INSERT ... ON CONFLICT DO
// NOTHING) does not end the sweep: the transitions past the batch are recorded too, each once.
// The other sweep is a transaction that adds the first candidate's row and commits only once
// the batch's INSERT waits for it, so the batch's read cannot have seen it.
func TestRecordUnsentMailRacedBatchGoesOn(t *testing.T) {
	st := testdb.New(t)
	ctx := context.Background()
	require.NoError(t, seed.Demo(ctx, st, "demo-Passw0rd"))
	db := st.DB()
	trs := make([]string, store.RecordUnsentMailBatch+1)
	ids := make([]string, len(trs))
	for i := range trs {
		trs[i] = fmt.Sprintf("project:px/run-1/%04d", i)
		ids[i] = trs[i] + "#0:u-drb1"
	}
	testdb.Notifications(t, st, ids...)
	_, err := db.Exec(`UPDATE notifications SET created_at = now() - interval '25 hours'`)
	require.NoError(t, err)
	var audits int
	require.NoError(t, db.Get(&audits, `SELECT count(*) FROM audit_log`))

	other, err := db.BeginTxx(ctx, nil)
	require.NoError(t, err)
	defer func() { _ = other.Rollback() }()
	_, err = other.Exec(`INSERT INTO activity_failures (id, workflow_id, run_id, activity_type, error)
		VALUES ($1, 'project:px', 'run-1', $2, 'the other sweep')`, store.FailureID("mail/"+trs[0]), store.MailGiveUpType)
	require.NoError(t, err)
	var xid string
	require.NoError(t, other.Get(&xid, `SELECT pg_current_xact_id()::text`))

	type result struct {
		n   int64
		err error
	}
	done := make(chan result, 1)
	go func() {
		n, err := st.RecordUnsentMail(ctx, 24*time.Hour, 7*24*time.Hour, time.Now())
		done <- result{n, err}
	}()
	require.Eventually(t, func() bool {
		var waiting bool
		require.NoError(t, db.Get(&waiting, `SELECT EXISTS (SELECT 1 FROM pg_locks
			WHERE locktype = 'transactionid' AND transactionid::text = $1 AND NOT granted)`, xid))
		return waiting
	}, 30*time.Second, 20*time.Millisecond, "the batch's INSERT waits for the other sweep's row")
	require.NoError(t, other.Commit())
	r := <-done
	require.NoError(t, r.err)
	require.EqualValues(t, len(trs)-1, r.n, "every transition but the other sweep's is recorded by this sweep")

	want := make([]string, len(trs))
	for i, tr := range trs {
		want[i] = store.FailureID("mail/" + tr)
	}
	var got []string
	require.NoError(t, db.Select(&got, `SELECT id FROM activity_failures WHERE activity_type = $1`, store.MailGiveUpType))
	require.ElementsMatch(t, want, got, "every transition is recorded once")
	var n int
	require.NoError(t, db.Get(&n, `SELECT count(*) FROM audit_log`))
	require.Equal(t, audits+len(trs)-1, n, "an audit row for each record this sweep added, none for the other's")
	res, err := st.Audit.Verify(ctx, db)
	require.NoError(t, err)
	require.True(t, res.OK, "%+v", res)
}
