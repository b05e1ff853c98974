package main

import (
	"bytes"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func (s *stack) urge(user, taskID string, body any) resp {
	s.t.Helper()
	return s.do(user, http.MethodPost, "/api/v1/tasks/"+taskID+"/urge", body, nil)
}

// overdue moves a task's due date into the past in the read model, as T2's timers would find it.
func (s *stack) overdue(taskID string) {
	s.t.Helper()
	_, err := s.store.DB().Exec(`UPDATE tasks SET due_at = now() - interval '2 days' WHERE id = $1`, taskID)
	require.NoError(s.t, err)
}

type urgeNotice struct {
	UserID string  `db:"user_id"`
	Kind   string  `db:"kind"`
	Title  string  `db:"title"`
	Body   string  `db:"body"`
	Sent   bool    `db:"sent"`
	TaskID *string `db:"task_id"`
}

func (s *stack) urgeNotices(taskID string) []urgeNotice {
	s.t.Helper()
	var out []urgeNotice
	require.NoError(s.t, s.store.DB().Select(&out, `SELECT user_id, kind, title, body, sent_at IS NOT NULL AS sent, task_id
		FROM notifications WHERE kind = 'task_urged' AND task_id = $1 ORDER BY created_at, user_id`, taskID))
	return out
}

func (s *stack) urgeAudits(projectID string) []string {
	s.t.Helper()
	var out []string
	require.NoError(s.t, s.store.DB().Select(&out, `SELECT actor_id FROM audit_log
		WHERE object_type = 'project' AND object_id = $1 AND action = 'task.urge' ORDER BY seq`, projectID))
	return out
}

// TestUrgeOverdueTask (issue 19 item 6; T2, R18): the unit urges its project's overdue
// preliminary review. Before the due date: 409 task_not_overdue. Past it: the assignee gets
// one in-app notification (mailed through the sender) and the audit log one task.urge row,
// shown in the project's timeline; the same person again within 24 hours: 429 urge_too_soon
// with Retry-After, nothing written; another reader of the project urges on their own
// budget; the assignee, a unit that cannot see the project, Audit (read-only) and a closed
// task are refused.
func TestUrgeOverdueTask(t *testing.T) {
	t.Parallel()
	s := newStack(t, "2021")
	p := s.createProject("alice", "催办测试：学籍管理系统", futureYear(), 100_000_000)
	s.submit("alice", p)
	task := s.openTask("drb1", p, "prelim_review")
	r := s.do("drb1", http.MethodPost, "/api/v1/tasks/"+task+"/claim", nil, nil)
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Raw)

	r = s.urge("alice", task, nil)
	require.Equal(t, http.StatusConflict, r.Status, "%s", r.Raw)
	require.Equal(t, "task_not_overdue", r.code())
	require.NotEmpty(t, r.str("error", "extra", "due_at"))
	require.Empty(t, s.urgeNotices(task))

	s.overdue(task)
	r = s.urge("alice", task, map[string]any{"message": "请于本周内办理"})
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Raw)
	require.Equal(t, float64(1), r.Body["notified"])
	ns := s.urgeNotices(task)
	require.Len(t, ns, 1)
	require.Equal(t, "u-drb1", ns[0].UserID, "the assignee")
	require.Contains(t, ns[0].Title, "催办：初审已逾期")
	require.Contains(t, ns[0].Title, "催办测试：学籍管理系统")
	require.Contains(t, ns[0].Body, "请于本周内办理")
	require.Equal(t, []string{"u-alice"}, s.urgeAudits(p))
	// The assignee sees it among their notifications, and it is mailed (the log sender here).
	list := s.do("drb1", http.MethodGet, "/api/v1/notifications", nil, nil)
	require.Contains(t, string(list.Raw), "催办：初审已逾期")
	require.EventuallyWithT(t, func(c *assertT) {
		ns := s.urgeNotices(task)
		assertEqual(c, true, len(ns) == 1 && ns[0].Sent)
	}, 10*time.Second, 50*time.Millisecond, "the urge's notification is never sent")
	// The timeline shows the urge.
	pr := s.do("alice", http.MethodGet, "/api/v1/projects/"+p, nil, nil)
	require.Contains(t, string(pr.Raw), `"task.urge"`)
	// Its open task names the assignee for the unit, which may not list users (项目详情's 办理人).
	open := pr.Body["open_tasks"].([]any)
	require.Len(t, open, 1)
	require.Equal(t, "u-drb1", open[0].(map[string]any)["assignee_id"])
	require.Equal(t, "李审（市数管局）", open[0].(map[string]any)["assignee_name"])

	// Again within the window: refused, nothing written.
	r = s.urge("alice", task, nil)
	require.Equal(t, http.StatusTooManyRequests, r.Status, "%s", r.Raw)
	require.Equal(t, "urge_too_soon", r.code())
	require.Regexp(t, `\p{Han}`, r.str("error", "message"))
	require.NotEmpty(t, r.str("error", "extra", "next_urge_at"))
	require.Len(t, s.urgeNotices(task), 1)
	require.Equal(t, []string{"u-alice"}, s.urgeAudits(p))

	// DRB's supervisor, another reader, urges on their own budget.
	r = s.urge("drbsup", task, nil)
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Raw)
	require.Len(t, s.urgeNotices(task), 2)

	// Refused: the assignee (409), a unit that cannot see the project (404, as for a task
	// that does not exist), Audit, which only reads (403).
	r = s.urge("drb1", task, nil)
	require.Equal(t, http.StatusConflict, r.Status, "%s", r.Raw)
	require.Equal(t, "urge_own_task", r.code())
	r = s.urge("bob", task, nil)
	require.Equal(t, http.StatusNotFound, r.Status, "%s", r.Raw)
	require.Equal(t, s.urge("bob", "project:p-none:prelim_review:1", nil).Raw[:40], r.Raw[:40])
	r = s.urge("audit1", task, nil)
	require.Equal(t, http.StatusForbidden, r.Status, "%s", r.Raw)
	require.Len(t, s.urgeNotices(task), 2)

	// A closed task needs no urging (its state is checked before the window).
	r = s.decide("drb1", task, map[string]any{"decision": "approve", "comment": "同意"}, nil)
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Raw)
	r = s.urge("alice", task, nil)
	require.Equal(t, http.StatusConflict, r.Status, "%s", r.Raw)
	require.Equal(t, "task_not_open", r.code())
}

// TestUrgeOfferedTaskOncePerPerson (issue 19 item 6): an overdue task offered to a role and
// not claimed notifies each candidate once (DRB's reviewers, drb1 and drbsup); of five urges
// sent at once by one person exactly one goes through and the others are urge_too_soon.
func TestUrgeOfferedTaskOncePerPerson(t *testing.T) {
	t.Parallel()
	s := newStack(t, "2021")
	p := s.createProject("alice", "催办测试：校车监管平台", futureYear(), 100_000_000)
	s.submit("alice", p)
	task := s.openTask("drb1", p, "prelim_review")
	s.overdue(task)
	tok := s.token("alice")
	var wg sync.WaitGroup
	statuses := make([]int, 5)
	for i := range statuses {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, err := http.NewRequest(http.MethodPost, s.http.URL+"/api/v1/tasks/"+task+"/urge", bytes.NewReader(nil))
			if err != nil {
				return
			}
			req.Header.Set("Authorization", "Bearer "+tok)
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				return
			}
			res.Body.Close()
			statuses[i] = res.StatusCode
		}()
	}
	wg.Wait()
	ok, soon := 0, 0
	for _, st := range statuses {
		switch st {
		case http.StatusOK:
			ok++
		case http.StatusTooManyRequests:
			soon++
		}
	}
	require.Equal(t, 1, ok, "%v", statuses)
	require.Equal(t, 4, soon, "%v", statuses)
	ns := s.urgeNotices(task)
	require.Len(t, ns, 2, "each candidate once")
	require.Equal(t, "u-drb1", ns[0].UserID)
	require.Equal(t, "u-drbsup", ns[1].UserID)
	require.Equal(t, []string{"u-alice"}, s.urgeAudits(p))
}
