package main

import (
	"net/http"
	"regexp"
	"testing"

	"github.com/stretchr/testify/require"

	"egovpm/internal/store"
)

// TestNotificationsByRealID marks read the notifications the workflow itself wrote (issue 15
// item 6): their keys hold "/" and "#", so the API names them by the public id the store
// computes. Then the unread count and mark-all-read.
func TestNotificationsByRealID(t *testing.T) {
	t.Parallel()
	s := newStack(t, "2021")
	year := futureYear()
	p := s.createProject("alice", "通知测试：教育数据中台", year, 300_000_000)
	s.submit("alice", p)
	task := s.openTask("drb1", p, "prelim_review")
	r := s.decide("drb1", task, map[string]any{"decision": "return", "comment": "请补充建设内容"}, nil)
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Raw)
	s.waitStage("alice", p, "revision")

	r = s.do("alice", http.MethodGet, "/api/v1/notifications", nil, nil)
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Raw)
	var returned map[string]any
	for _, it := range r.Body["items"].([]any) {
		if n := it.(map[string]any); n["kind"] == "returned" && n["project_id"] == p {
			returned = n
		}
	}
	require.NotNil(t, returned, "alice is told her project was returned: %s", r.Raw)
	id := returned["id"].(string)
	require.Regexp(t, regexp.MustCompile(`^n-[0-9a-f]{32}$`), id, "a URL-safe id")
	require.Nil(t, returned["read_at"])

	// The owner marks it read by the id the list gave; nobody else can.
	r = s.do("bob", http.MethodPost, "/api/v1/notifications/"+id+"/read", nil, nil)
	require.Equal(t, http.StatusNotFound, r.Status, "%s", r.Raw)
	r = s.do("alice", http.MethodPost, "/api/v1/notifications/"+id+"/read", nil, nil)
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Raw)
	r = s.do("alice", http.MethodPost, "/api/v1/notifications/"+id+"/read", nil, nil)
	require.Equal(t, http.StatusOK, r.Status, "reading again is a no-op: %s", r.Raw)

	// The key stays the dedup key; the public id is the store's function of it.
	var key string
	require.NoError(t, s.store.DB().Get(&key, `SELECT id FROM notifications WHERE public_id = $1`, id))
	require.Regexp(t, `[/#]`, key, "the workflow-derived key holds the characters a URL segment cannot")
	require.Equal(t, store.NotificationID(key), id)

	// Unread count and mark-all-read.
	_, err := s.store.DB().Exec(`INSERT INTO notifications (id, user_id, kind, title) VALUES
		('test/one#1:u-alice', 'u-alice', 'test', '未读一'), ('test/two#2:u-alice', 'u-alice', 'test', '未读二'),
		('test/three#3:u-bob', 'u-bob', 'test', '他人的')`)
	require.NoError(t, err)
	var unread int
	require.NoError(t, s.store.DB().Get(&unread, `SELECT count(*) FROM notifications WHERE user_id = 'u-alice' AND read_at IS NULL`))
	r = s.do("alice", http.MethodGet, "/api/v1/notifications/unread-count", nil, nil)
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Raw)
	require.EqualValues(t, unread, r.Body["unread"])
	require.GreaterOrEqual(t, unread, 2)
	r = s.do("alice", http.MethodPost, "/api/v1/notifications/read-all", nil, nil)
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Raw)
	require.EqualValues(t, unread, r.Body["marked"])
	r = s.do("alice", http.MethodGet, "/api/v1/notifications/unread-count", nil, nil)
	require.EqualValues(t, 0, r.Body["unread"])
	r = s.do("bob", http.MethodGet, "/api/v1/notifications/unread-count", nil, nil)
	require.GreaterOrEqual(t, r.Body["unread"], float64(1), "bob's notifications are his own")
	var audited int
	require.NoError(t, s.store.DB().Get(&audited, `SELECT count(*) FROM audit_log WHERE action IN ('notification.read', 'notification.read_all') AND actor_id = 'u-alice'`))
	require.Equal(t, 3, audited)
}
