package store_test

import (
	"context"
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
		n, err := st.RecordUnsentMail(ctx, 24*time.Hour, 7*24*time.Hour)
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
