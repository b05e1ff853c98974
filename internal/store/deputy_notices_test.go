package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"egovpm/internal/audit"
	"egovpm/internal/domain"
	"egovpm/internal/store"
)

// absent records an active absence of user with deputy (代理人), from an hour ago for a day.
func absent(t *testing.T, st *store.Store, id, user, deputy string) {
	t.Helper()
	_, err := st.DB().Exec(`INSERT INTO absences (id, user_id, deputy_id, starts_at, ends_at, reason, created_by)
		VALUES ($1, $2, $3, now() - interval '1 hour', now() + interval '1 day', '出差', 'u-admin')`, id, user, deputy)
	require.NoError(t, err)
}

// noticesOfKind are the "<task> <user> <id>" of the notifications of kind.
func noticesOfKind(t *testing.T, st *store.Store, kind string) []string {
	t.Helper()
	var out []string
	for _, n := range noticesOf(t, st) {
		if n.Kind == kind {
			task := ""
			if n.Task != nil {
				task = *n.Task
			}
			out = append(out, task+" "+n.User+" "+n.ID)
		}
	}
	return out
}

// Issue 19 item 6 (代理人) with item 1: the notifications the read model derives for the tasks
// a transition opens reach the active deputy of an absent holder too, in the same transaction,
// once: exp3 stands in for exp2 and exp4 and is a candidate of the offered task himself, so he
// has one notice of each task. A retry adds nothing.
func TestDerivedTaskNoticesReachTheDeputyOnce(t *testing.T) {
	st := noticeFixture(t, domain.StageExpertReview)
	absent(t, st, "ab-1", "u-exp2", "u-exp3")
	absent(t, st, "ab-2", "u-exp4", "u-exp3")
	open := domain.Transition{ID: "project:pn/r/1", WorkflowID: "project:pn", ProjectID: "pn",
		Open: []domain.NewTask{
			{ID: "pn:er:exp2", Kind: domain.TaskExpertReview, ProjectID: "pn", CandidateRole: domain.RoleExpert, AssigneeID: "u-exp2", DueWorkdays: 5},
			{ID: "pn:er:any", Kind: domain.TaskExpertReview, ProjectID: "pn", CandidateRole: domain.RoleExpert, DueWorkdays: 5},
		},
		Audit: []domain.AuditItem{{ActorID: "system", Action: "expert_review.panel", Outcome: "ok"}}}
	apply(t, st, open)
	apply(t, st, open) // a retried activity
	require.ElementsMatch(t, []string{
		"pn:er:exp2 u-exp2 project:pn/r/1#t0:u-exp2", "pn:er:exp2 u-exp3 project:pn/r/1#t0:u-exp3",
		"pn:er:any u-exp2 project:pn/r/1#t1:u-exp2", "pn:er:any u-exp3 project:pn/r/1#t1:u-exp3",
		"pn:er:any u-exp4 project:pn/r/1#t1:u-exp4", "pn:er:any u-exp5 project:pn/r/1#t1:u-exp5",
	}, noticesOfKind(t, st, "task"), "the assigned task reaches exp2's deputy; exp3 has the offered one once")
}

// Issue 19 item 6: a notice to a role reaches the active deputy of an absent member of the
// role even when the deputy is not of that role (drbsup away, drb1 his deputy); an explicit
// notice to one absent user reaches the deputy once.
func TestRoleNoticeReachesTheDeputy(t *testing.T) {
	st := noticeFixture(t, domain.StagePrelimReview)
	absent(t, st, "ab-1", "u-drbsup", "u-drb1")
	apply(t, st, domain.Transition{ID: "project:pn/r/0", WorkflowID: "project:pn", ProjectID: "pn", Open: []domain.NewTask{prelimTask("t-1")},
		Audit: []domain.AuditItem{{ActorID: "system", Action: "project.stage", Outcome: "ok"}}})
	apply(t, st, domain.Transition{ID: "project:pn/r/1", WorkflowID: "project:pn", ProjectID: "pn",
		Notify: []domain.Notice{
			{Kind: "task_escalation", Title: "任务已逾期", Role: domain.RoleDRBSupervisor, TaskID: "t-1"},
			{Kind: "task_reminder", Title: "任务明日到期", UserID: "u-drbsup", TaskID: "t-1"},
		},
		Audit: []domain.AuditItem{{ActorID: "system", Action: "task.escalate", Outcome: "ok"}}})
	require.ElementsMatch(t, []string{"t-1 u-drbsup project:pn/r/1#0:u-drbsup", "t-1 u-drb1 project:pn/r/1#0:u-drb1"},
		noticesOfKind(t, st, "task_escalation"))
	require.ElementsMatch(t, []string{"t-1 u-drbsup project:pn/r/1#1:u-drbsup", "t-1 u-drb1 project:pn/r/1#1:u-drb1"},
		noticesOfKind(t, st, "task_reminder"))
}

// Issue 19 item 6: 催办 of a task whose assignee is away notifies his active deputy too, in the
// urge's transaction, and counts him.
func TestUrgeReachesTheDeputy(t *testing.T) {
	st := noticeFixture(t, domain.StagePrelimReview)
	ctx := context.Background()
	absent(t, st, "ab-1", "u-drb1", "u-drbsup")
	task := prelimTask("project:pn:prelim_review:1")
	task.AssigneeID = "u-drb1"
	_, err := st.ApplyTransition(ctx, domain.Transition{ID: "project:pn/r/1", WorkflowID: "project:pn", ProjectID: "pn",
		Open: []domain.NewTask{task}, Audit: []domain.AuditItem{{ActorID: "system", Action: "project.stage", Outcome: "ok"}}},
		func(now time.Time, _ int) time.Time { return now.Add(-time.Hour) })
	require.NoError(t, err)
	res, err := st.UrgeTask(ctx, store.Urge{ID: "urge:1", TaskID: task.ID, ActorID: "u-alice", Every: time.Hour,
		Kind: "task_urged", Title: "催办", Body: "请尽快办理",
		Audit: audit.Entry{ActorID: "u-alice", Action: "task.urge", ObjectType: "project", ObjectID: "pn", Outcome: "ok",
			Detail: map[string]any{"task_id": task.ID}}})
	require.NoError(t, err)
	require.EqualValues(t, 2, res.Notified)
	require.ElementsMatch(t, []string{task.ID + " u-drb1 urge:1#0:u-drb1", task.ID + " u-drbsup urge:1#0:u-drbsup"},
		noticesOfKind(t, st, "task_urged"))
}
