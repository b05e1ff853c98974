package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"egovpm/bench"
	"egovpm/internal/domain"
	"egovpm/internal/seed"
	"egovpm/internal/store"
	"egovpm/internal/testdb"
)

// GET /tasks sends the page PostgreSQL builds (store.ListTasksJSON); GET /tasks/{id} and claim
// encode a store.Task with toTaskJSON. Both must show a task the same way — the same fields
// present, absent and null, the same strings, the same times to the character — for every
// shape of task row and in any session time zone, page after page with the same cursors.
func TestTaskListJSONMatchesTaskJSON(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	u := testdb.URL(t)
	st := testdb.Open(t, u, 0)
	require.NoError(t, seed.Demo(ctx, st, "demo-Passw0rd"))
	require.NoError(t, bench.SeedInbox(ctx, st.DB(), bench.InboxSeed{Tasks: 400, Open: 150, Experts: 4, Projects: 30}, nil))
	var project string
	require.NoError(t, st.DB().Get(&project, `SELECT id FROM projects ORDER BY id LIMIT 1`))

	// Rows of every shape, offered to drb1 (role drb_reviewer, org drb), assigned to them or
	// decided by them: optional columns set and unset, strings JSON must escape, details empty,
	// JSON null and nested, times with a fraction to be cut and on a second boundary.
	_, err := st.DB().Exec(`INSERT INTO tasks (id, kind, workflow_id, project_id, bundle_id, candidate_role, candidate_org_id,
			assignee_id, status, decision, decided_by, decided_at, comment, due_at, details, created_at) VALUES
		('tj-1', 'prelim_review', 'wf', $1, NULL, 'drb_reviewer', NULL, NULL, 'open', NULL, NULL, NULL, NULL,
		 '2000-01-01 00:00:00.999999+00', '{}', '1999-12-31 23:59:59+00'),
		('tj-2', 'bundle_approval', 'wf', NULL, 'bundle-2027', 'drb_reviewer', 'drb', NULL, 'open', NULL, NULL, NULL,
		 E'引号 " 反斜杠 \\ 换行 \n 制表 \t 控制 \x01 <a>&amp; \u2028 😀', '2000-01-01 00:00:01+00', 'null', '2000-01-01 08:30:00.5+08'),
		('tj-3', 'prelim_review', 'wf', $1, NULL, 'drb_reviewer', NULL, 'u-drb1', 'open', NULL, NULL, NULL, '',
		 '2000-01-01 00:00:02+00', '{"members": ["u-exp1", "u-exp2"], "n": 1.50, "s": "<&>\"", "nested": {"k": null}}',
		 '2000-01-01 00:00:02+00'),
		('tj-4', 'prelim_review', 'wf', $1, NULL, 'drb_reviewer', NULL, 'u-drb1', 'done', 'approve', 'u-drb1',
		 '2000-01-02 00:00:00+00', '同意', '2000-01-01 00:00:03+00', '{"score": 90}', '2000-01-01 00:00:03+00'),
		('tj-5', 'prelim_review', 'wf', $1, 'bundle-x', 'drb_reviewer', 'drb', NULL, 'cancelled', NULL, 'u-drb1',
		 '2000-01-02 00:00:00+00', NULL, '2000-01-01 00:00:04+00', '[]', '2000-01-01 00:00:04+00')`, project)
	require.NoError(t, err)

	a := domain.Actor{ID: "u-drb1", OrgID: "drb", Roles: []string{domain.RoleDRBReviewer}}
	for _, tz := range []string{"UTC", "Asia/Shanghai", "America/St_Johns"} {
		// A pool whose sessions run in tz: lib/pq reads times in it, to_char writes them in it.
		tu, err := url.Parse(u)
		require.NoError(t, err)
		q := tu.Query()
		q.Set("timezone", tz)
		tu.RawQuery = q.Encode()
		tst := testdb.Open(t, tu.String(), 0)
		for _, status := range []string{"open", "done"} {
			for _, limit := range []int{1, 7, 100} {
				name := fmt.Sprintf("%s/%s/limit=%d", tz, status, limit)
				f := store.TaskFilter{UserID: a.ID, OrgID: a.OrgID, Roles: a.Roles, Status: status, Limit: limit}
				pages := 0
				for {
					want, wantNext, err := tst.ListTasks(ctx, f)
					require.NoError(t, err, name)
					got, gotNext, err := tst.ListTasksJSON(ctx, f)
					require.NoError(t, err, name)
					require.Equal(t, wantNext, gotNext, "%s: the cursor after page %d", name, pages)

					items := make([]taskJSON, 0, len(want))
					for _, task := range want {
						items = append(items, toTaskJSON(task))
					}
					wantJSON, err := json.Marshal(items)
					require.NoError(t, err)
					var wantV, gotV []map[string]any
					require.NoError(t, json.Unmarshal(wantJSON, &wantV))
					require.NoError(t, json.Unmarshal(got, &gotV), "%s: PostgreSQL's page is not JSON: %s", name, got)
					require.Equal(t, wantV, gotV, "%s: page %d", name, pages)
					pages++
					if wantNext == "" {
						break
					}
					f.Cursor = wantNext
				}
				require.Positive(t, pages, name)
			}
		}
	}

	// The crafted rows are on the pages compared above (due first: they come before the seed's).
	f := store.TaskFilter{UserID: a.ID, OrgID: a.OrgID, Roles: a.Roles, Status: "open", Limit: 3}
	got, _, err := st.ListTasksJSON(ctx, f)
	require.NoError(t, err)
	var ids []struct{ ID string }
	require.NoError(t, json.Unmarshal(got, &ids))
	require.Equal(t, []struct{ ID string }{{"tj-1"}, {"tj-2"}, {"tj-3"}}, ids)

	// 已办 (done): the latest decided first, page after page; the crafted rows, decided in
	// 2000, come last (tj-5 before tj-4: the same instant, the greater id first).
	f = store.TaskFilter{UserID: a.ID, OrgID: a.OrgID, Roles: a.Roles, Status: "done", Limit: 7}
	type doneItem struct {
		ID        string    `json:"id"`
		DecidedAt time.Time `json:"decided_at"`
	}
	var done []doneItem
	for {
		got, next, err := st.ListTasksJSON(ctx, f)
		require.NoError(t, err)
		var page []doneItem
		require.NoError(t, json.Unmarshal(got, &page))
		done = append(done, page...)
		if next == "" {
			break
		}
		f.Cursor = next
	}
	require.Greater(t, len(done), 2)
	for i := 1; i < len(done); i++ {
		p, q := done[i-1], done[i]
		require.True(t, p.DecidedAt.After(q.DecidedAt) || (p.DecidedAt.Equal(q.DecidedAt) && p.ID > q.ID),
			"已办 is the latest decided first: %v before %v", p, q)
	}
	require.Equal(t, []string{"tj-5", "tj-4"}, []string{done[len(done)-2].ID, done[len(done)-1].ID})
}
