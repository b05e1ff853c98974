package main

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/zap"

	"egovpm/activities"
	"egovpm/internal/audit"
	"egovpm/internal/calendar"
	"egovpm/internal/domain"
	"egovpm/internal/store"
	"egovpm/internal/testdb"
)

// TestT2_SetHolidayMovesDueDates: overrides made with the CLI (the way years after 2027 get
// their holidays) change the due dates the Apply activity computes; bad dates are refused.
func TestT2_SetHolidayMovesDueDates(t *testing.T) {
	url := testdb.URL(t)
	c := cli{t: t, vars: map[string]string{"DATABASE_URL": url, "EGOVPM_AUDIT_KEY": testdb.AuditKey, "USER": "tester"}}
	_, err := c.run("", "set-holiday", "--date", "2028-02-30")
	require.Error(t, err)

	ctx := context.Background()
	db, err := store.Open(ctx, url)
	require.NoError(t, err)
	defer db.Close()
	st := store.New(db, audit.New(testdb.AuditKey))
	acts := &activities.Activities{Store: st, Log: zap.NewNop()}
	due := func() time.Time {
		// A transition that only opens a task reports the task's due date.
		_, err := st.DB().Exec(`INSERT INTO orgs (id, name, kind) VALUES ('drb', '市数管局', 'drb') ON CONFLICT DO NOTHING`)
		require.NoError(t, err)
		id := "t-" + time.Now().Format("150405.000000000")
		res, err := acts.Apply(ctx, domain.Transition{ID: id, WorkflowID: "wf-" + id,
			Open: []domain.NewTask{{ID: "task-" + id, Kind: domain.TaskPrelimReview, CandidateRole: "drb_reviewer", DueWorkdays: 1}}})
		require.NoError(t, err)
		return res.Due["task-"+id]
	}
	before := due()
	// Make the next three days (in Beijing time, the calendar's: at 04:00 there it is already
	// tomorrow in UTC's evening) days off: the due date (one working day on) moves.
	now := time.Now().In(calendar.Shanghai)
	for i := 1; i <= 3; i++ {
		d := now.AddDate(0, 0, i).Format("2006-01-02")
		c.ok("", "set-holiday", "--date", d, "--name", "测试假日")
	}
	after := due()
	require.True(t, after.After(before), "due %s should move past the overrides (was %s)", after, before)
}
