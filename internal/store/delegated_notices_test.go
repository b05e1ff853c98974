package store_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"egovpm/internal/domain"
)

// Issue 19 item 6 (委派): when the colleague decides a delegated task, the delegator is told
// (delegated_task_decided) in the statement that closes it, with the decider, the decision in
// words and the comment, and so is his deputy while he is away; a retry adds nothing, a task
// cancelled or not delegated tells nobody. The first decision goes through the one-statement
// path (audit.Chain.AppendAlone), the second, closing three tasks, through the transaction.
func TestDelegatorIsToldWhenTheDelegatedTaskIsDecided(t *testing.T) {
	st := noticeFixture(t, domain.StagePrelimReview)
	open := func(id string) domain.NewTask { task := prelimTask(id); task.AssigneeID = "u-drbsup"; return task }
	apply(t, st, domain.Transition{ID: "project:pn/r/1", WorkflowID: "project:pn", ProjectID: "pn",
		Open:  []domain.NewTask{open("pn:t1"), open("pn:t2"), open("pn:t3"), open("pn:t4")},
		Audit: []domain.AuditItem{{ActorID: "system", Action: "project.stage", Outcome: "ok"}}})
	_, err := st.DB().Exec(`UPDATE tasks SET delegated_by = 'u-drb1' WHERE id IN ('pn:t1', 'pn:t2', 'pn:t3')`)
	require.NoError(t, err)
	decide := func(id string, closes ...domain.TaskClose) domain.Transition {
		return domain.Transition{ID: id, WorkflowID: "project:pn", ProjectID: "pn", Close: closes,
			Audit: []domain.AuditItem{{ActorID: "u-drbsup", OrgID: "drb", Action: "task.decide", Outcome: "approve"}}}
	}
	d1 := decide("project:pn/r/2", domain.TaskClose{TaskID: "pn:t1", Decision: "approve", ActorID: "u-drbsup", Comment: "同意"})
	apply(t, st, d1)
	apply(t, st, d1) // a retried activity
	require.Equal(t, []string{"pn:t1 u-drb1 project:pn/r/2#delegated_task_decided:pn:t1:u-drb1"},
		noticesOfKind(t, st, "delegated_task_decided"))
	var n noticeRow
	require.NoError(t, st.DB().Get(&n, `SELECT id, user_id, kind, title, body, task_id, project_id FROM notifications
		WHERE kind = 'delegated_task_decided'`))
	require.Equal(t, "委派的任务已办理：初审——智慧教育云平台", n.Title)
	require.Equal(t, "赵督（市数管局）：通过。意见：同意", n.Body)
	require.Equal(t, "pn", *n.Projct)

	absent(t, st, "ab-1", "u-drb1", "u-exp2") // a deputy of another org: the notice only
	d2 := decide("project:pn/r/3",
		domain.TaskClose{TaskID: "pn:t2", Decision: "return", ActorID: "u-drbsup"},
		domain.TaskClose{TaskID: "pn:t3", Cancelled: true, ActorID: "u-drbsup"},
		domain.TaskClose{TaskID: "pn:t4", Decision: "approve", ActorID: "u-drbsup"})
	d2.Stage = domain.StageRevision // derives the unit's notice: written in a transaction
	apply(t, st, d2)
	got := noticesOfKind(t, st, "delegated_task_decided")
	require.ElementsMatch(t, []string{"pn:t1 u-drb1 project:pn/r/2#delegated_task_decided:pn:t1:u-drb1",
		"pn:t2 u-drb1 project:pn/r/3#delegated_task_decided:pn:t2:u-drb1",
		"pn:t2 u-exp2 project:pn/r/3#delegated_task_decided:pn:t2:u-exp2"}, got,
		"t2 to the delegator and his deputy; t3 cancelled and t4 not delegated tell nobody")
	require.NoError(t, st.DB().Get(&n.Body, `SELECT body FROM notifications WHERE id = 'project:pn/r/3#delegated_task_decided:pn:t2:u-drb1'`))
	require.Equal(t, "赵督（市数管局）：退回修改。意见：（未填写）", n.Body)
}
