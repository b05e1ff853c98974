package store_test

import (
	"context"
	"database/sql"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"egovpm/internal/audit"
	"egovpm/internal/domain"
	"egovpm/internal/seed"
	"egovpm/internal/store"
	"egovpm/internal/testdb"
)

// applyFixture is a seeded store with project pa (unit-a, prelim review) and its open tasks
// ta, tb and tc.
func applyFixture(t *testing.T) *store.Store {
	t.Helper()
	st := testdb.New(t)
	ctx := context.Background()
	require.NoError(t, seed.Demo(ctx, st, "demo-Passw0rd"))
	_, err := st.DB().Exec(`INSERT INTO projects (id, unit_id, name, type, plan_year, estimated_investment_fen, mlps_level, stage, created_by)
		VALUES ('pa', 'unit-a', '项目pa', 'new', 2031, 500000000, 2, 'prelim_review', 'u-alice')`)
	require.NoError(t, err)
	_, err = st.DB().Exec(`INSERT INTO tasks (id, kind, workflow_id, project_id, candidate_role, due_at, details)
		SELECT id, 'expert_review', 'project:pa', 'pa', 'expert', now() + interval '5 days', '{"round": 1}'
		FROM unnest(ARRAY['ta', 'tb', 'tc']) id`)
	require.NoError(t, err)
	return st
}

var noDue = func(now time.Time, _ int) time.Time { return now }

type taskRow struct {
	Status    string         `db:"status"`
	Decision  sql.NullString `db:"decision"`
	DecidedBy sql.NullString `db:"decided_by"`
	Assignee  sql.NullString `db:"assignee_id"`
	Comment   sql.NullString `db:"comment"`
	Details   string         `db:"details"`
	Decided   bool           `db:"decided"`
}

func taskRowOf(t *testing.T, st *store.Store, id string) taskRow {
	t.Helper()
	var r taskRow
	require.NoError(t, st.DB().Get(&r, `SELECT status, decision, decided_by, assignee_id, comment, details::text AS details,
		decided_at IS NOT NULL AS decided FROM tasks WHERE id = $1`, id))
	return r
}

// A transition's stage, approved amount and closed tasks are written with its first audit
// row's head lock (one statement): every column as the separate statements wrote it, several
// tasks at once (a task named twice takes its first close), a retry after the commit writes
// no second audit row, and the chain verifies (R18).
func TestApplyTransitionWritesStageTasksAndAudit(t *testing.T) {
	st := applyFixture(t)
	ctx := context.Background()
	tr := domain.Transition{ID: "project:pa/r/1", WorkflowID: "project:pa", ProjectID: "pa", Stage: domain.StageAwaitingPlan,
		ApprovedAmountFen: 420_000_000,
		Close: []domain.TaskClose{
			{TaskID: "ta", Decision: "pass", ActorID: "u-exp1", Comment: "同意", Details: map[string]any{"score": 88}},
			{TaskID: "tb", Cancelled: true},
			{TaskID: "ta", Decision: "fail", ActorID: "u-exp2", Comment: "第二次"},
		},
		Audit: []domain.AuditItem{
			{ActorID: "u-exp1", OrgID: "experts", Action: "task.decide", Outcome: "pass"},
			{ActorID: "u-exp1", OrgID: "experts", Action: "project.stage", Outcome: "awaiting_plan"},
		}}
	_, err := st.ApplyTransition(ctx, tr, noDue)
	require.NoError(t, err)

	var p struct {
		Stage   string `db:"stage"`
		Amount  int64  `db:"approved_amount_fen"`
		Version int    `db:"version"`
	}
	require.NoError(t, st.DB().Get(&p, `SELECT stage, approved_amount_fen, version FROM projects WHERE id = 'pa'`))
	require.Equal(t, "awaiting_plan", p.Stage)
	require.EqualValues(t, 420_000_000, p.Amount)
	require.Equal(t, 2, p.Version)

	ta := taskRowOf(t, st, "ta")
	require.Equal(t, taskRow{Status: "done", Decision: sql.NullString{String: "pass", Valid: true},
		DecidedBy: sql.NullString{String: "u-exp1", Valid: true}, Assignee: sql.NullString{String: "u-exp1", Valid: true},
		Comment: sql.NullString{String: "同意", Valid: true}, Details: `{"round": 1, "score": 88}`, Decided: true}, ta)
	require.Equal(t, taskRow{Status: "cancelled", Details: `{"round": 1}`, Decided: true}, taskRowOf(t, st, "tb"))
	require.Equal(t, taskRow{Status: "open", Details: `{"round": 1}`}, taskRowOf(t, st, "tc"))

	var actions []string
	require.NoError(t, st.DB().Select(&actions, `SELECT action FROM audit_log WHERE dedup_key LIKE 'project:pa/r/1#%' ORDER BY seq`))
	require.Equal(t, []string{"task.decide", "project.stage"}, actions)

	// The retried activity: the tasks are closed already, the audit rows are not written twice.
	_, err = st.ApplyTransition(ctx, tr, noDue)
	require.NoError(t, err)
	require.Equal(t, ta, taskRowOf(t, st, "ta"))
	var n int
	require.NoError(t, st.DB().Get(&n, `SELECT count(*) FROM audit_log WHERE dedup_key LIKE 'project:pa/r/1#%'`))
	require.Equal(t, 2, n)
	res, err := st.Audit.Verify(ctx, st.DB())
	require.NoError(t, err)
	require.True(t, res.OK, "%+v", res)

	// Without an audit row the stage and the task are written alone.
	_, err = st.ApplyTransition(ctx, domain.Transition{ID: "project:pa/r/2", WorkflowID: "project:pa", ProjectID: "pa",
		Stage: domain.StageAwaitingApproval, Close: []domain.TaskClose{{TaskID: "tc", Decision: "pass", ActorID: "u-exp3"}}}, noDue)
	require.NoError(t, err)
	require.NoError(t, st.DB().Get(&p, `SELECT stage, approved_amount_fen, version FROM projects WHERE id = 'pa'`))
	require.Equal(t, "awaiting_approval", p.Stage)
	require.EqualValues(t, 420_000_000, p.Amount, "an amount of 0 leaves the approved amount")
	require.Equal(t, "done", taskRowOf(t, st, "tc").Status)
}

// The statement that writes a transition's project and task rows locks the audit chain's
// head only after those rows: every other writer changes its rows, then appends (locks the
// head), so taking the head first could deadlock with one. While another transaction holds
// the project row, a blocked ApplyTransition holds no head lock, and completes once the row
// is free. Both ways of writing: in a transaction (the store's first append) and as one
// statement (audit.Chain.AppendAlone, once the store knows the head).
func TestApplyTransitionLocksItsRowsBeforeTheAuditHead(t *testing.T) {
	for _, oneStatement := range []bool{false, true} {
		t.Run(map[bool]string{false: "transaction", true: "one statement"}[oneStatement], func(t *testing.T) {
			st := applyFixture(t)
			ctx := context.Background()
			// A store of its own: it has not appended yet (the seed's store has), so it
			// knows no head and appends in a transaction until it has.
			st = store.New(st.DB(), audit.New(testdb.AuditKey))
			if oneStatement {
				_, err := st.ApplyTransition(ctx, domain.Transition{ID: "project:pa/r/0", WorkflowID: "project:pa", ProjectID: "pa",
					Close: []domain.TaskClose{{TaskID: "tb", Decision: "pass", ActorID: "u-exp2"}},
					Audit: []domain.AuditItem{{ActorID: "u-exp2", Action: "task.decide", Outcome: "pass"}}}, noDue)
				require.NoError(t, err)
			}
			holder, err := st.DB().BeginTxx(ctx, nil)
			require.NoError(t, err)
			defer func() { _ = holder.Rollback() }()
			_, err = holder.Exec(`UPDATE projects SET name = name WHERE id = 'pa'`)
			require.NoError(t, err)

			done := make(chan error, 1)
			go func() {
				_, err := st.ApplyTransition(ctx, domain.Transition{ID: "project:pa/r/1", WorkflowID: "project:pa", ProjectID: "pa",
					Stage: domain.StageExpertReview, Close: []domain.TaskClose{{TaskID: "ta", Decision: "pass", ActorID: "u-exp1"}},
					Audit: []domain.AuditItem{{ActorID: "u-exp1", Action: "task.decide", Outcome: "pass"}}}, noDue)
				done <- err
			}()
			// Wait until the apply is blocked on the project row.
			var query string
			require.Eventually(t, func() bool {
				var waiting []string
				require.NoError(t, st.DB().Select(&waiting, `SELECT query FROM pg_stat_activity
					WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE '%audit_head%'`))
				if len(waiting) == 1 {
					query = waiting[0]
				}
				return len(waiting) == 1
			}, 10*time.Second, 10*time.Millisecond)
			// pg_stat_activity shows the first kB: the one statement updates the head, the
			// transaction locks it FOR UPDATE.
			require.Equal(t, oneStatement, strings.Contains(query, "UPDATE audit_head"), "the write waiting: %s", query)

			// The head is free: another append can lock it without waiting.
			probe, err := st.DB().BeginTxx(ctx, nil)
			require.NoError(t, err)
			_, err = probe.Exec(`SELECT 1 FROM audit_head WHERE id = 1 FOR UPDATE NOWAIT`)
			require.NoError(t, err, "the blocked apply must not hold the audit head")
			require.NoError(t, probe.Rollback())

			require.NoError(t, holder.Rollback())
			select {
			case err := <-done:
				require.NoError(t, err)
			case <-time.After(10 * time.Second):
				t.Fatal("apply still blocked after the row was released")
			}
			require.Equal(t, "done", taskRowOf(t, st, "ta").Status)
			res, err := st.Audit.Verify(ctx, st.DB())
			require.NoError(t, err)
			require.True(t, res.OK, "%+v", res)
		})
	}
}

// Opening a task reports its stored due date; a retried transition neither adds the task
// again nor moves its due date (T2 timers are armed from what it reports).
func TestApplyTransitionOpensTasksOnce(t *testing.T) {
	st := applyFixture(t)
	ctx := context.Background()
	tr := domain.Transition{ID: "project:pa/r/9", WorkflowID: "project:pa", ProjectID: "pa", Open: []domain.NewTask{
		{ID: "td", Kind: domain.TaskExpertReview, ProjectID: "pa", CandidateRole: domain.RoleExpert, AssigneeID: "u-exp1", DueWorkdays: 5},
		{ID: "te", Kind: domain.TaskExpertReview, ProjectID: "pa", CandidateRole: domain.RoleExpert, AssigneeID: "u-exp2", DueWorkdays: 5}}}
	first := func(now time.Time, workdays int) time.Time { return now.AddDate(0, 0, workdays) }
	res, err := st.ApplyTransition(ctx, tr, first)
	require.NoError(t, err)
	var stored []time.Time
	require.NoError(t, st.DB().Select(&stored, `SELECT due_at FROM tasks WHERE id IN ('td', 'te') ORDER BY id`))
	require.Len(t, stored, 2)
	require.True(t, res.Due["td"].Equal(stored[0]) && res.Due["te"].Equal(stored[1]), "%v %v", res.Due, stored)

	later := func(now time.Time, workdays int) time.Time { return now.AddDate(0, 1, workdays) }
	again, err := st.ApplyTransition(ctx, tr, later)
	require.NoError(t, err)
	require.True(t, again.Due["td"].Equal(stored[0]) && again.Due["te"].Equal(stored[1]), "a retry reports the stored due dates: %v", again.Due)
	var n int
	require.NoError(t, st.DB().Get(&n, `SELECT count(*) FROM tasks WHERE id IN ('td', 'te')`))
	require.Equal(t, 2, n)
}
