package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"egovpm/internal/audit"
)

// TestE2E_DownloadsAreAudited (issue 15 item 20, R18): a document download is recorded like
// its upload: who, when, which document (object document:<id>, the project in its detail,
// kept off the project's timeline the unit reads).
func TestE2E_DownloadsAreAudited(t *testing.T) {
	t.Parallel()
	s := newStack(t, "2021")
	p := s.createProject("alice", "下载审计项目", futureYear(), 100_000_000)
	up := s.upload("alice", p, "opinion", pdf)
	require.Equal(t, http.StatusCreated, up.Status, "%s", up.Raw)
	doc := up.str("id")
	for _, user := range []string{"alice", "drb1"} {
		r := s.do(user, http.MethodGet, "/api/v1/projects/"+p+"/documents/"+doc, nil, nil)
		require.Equal(t, http.StatusOK, r.Status)
	}
	r := s.do("audit1", http.MethodGet, "/api/v1/audit?object=document:"+doc, nil, nil)
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Raw)
	items, _ := r.Body["items"].([]any)
	require.Len(t, items, 2, "%s", r.Raw)
	var actors []string
	for _, it := range items {
		row := it.(map[string]any)
		require.Equal(t, "document.download", row["action"])
		require.Equal(t, p, row["detail"].(map[string]any)["project_id"])
		require.NotEmpty(t, row["request_id"])
		require.EqualValues(t, audit.Format, row["format"])
		actors = append(actors, row["actor_id"].(string))
	}
	require.ElementsMatch(t, []string{"u-alice", "u-drb1"}, actors)
	// A missing document is no download.
	r = s.do("drb1", http.MethodGet, "/api/v1/projects/"+p+"/documents/d-none", nil, nil)
	require.Equal(t, http.StatusNotFound, r.Status)
	got := s.do("alice", http.MethodGet, "/api/v1/projects/"+p, nil, nil)
	require.NotContains(t, string(got.Raw), "document.download", "downloads stay off the unit's timeline")
}

// TestE2E_AuditVerifyDetectsTruncation (issue 15 item 20, R18): the gateway signs the chain's
// head into DATA_DIR/audit/checkpoints.jsonl and its log; GET /api/v1/audit/verify checks the
// chain against those checkpoints, so deleting the newest rows and moving audit_head back,
// which leaves a chain whole by itself, is reported.
func TestE2E_AuditVerifyDetectsTruncation(t *testing.T) {
	t.Parallel()
	s := newStack(t, "2021")
	for i := range 3 {
		s.createProject("alice", fmt.Sprintf("审计截断测试 %d", i), futureYear(), 100_000_000)
	}
	ctx := context.Background()
	cp, err := s.srv.checkpoint(ctx)
	require.NoError(t, err)
	var head int64
	require.NoError(t, s.store.DB().Get(&head, `SELECT seq FROM audit_head`))
	require.Equal(t, head, cp.Seq)
	b, err := os.ReadFile(filepath.Join(s.srv.cfg.DataDir, audit.AnchorFile))
	require.NoError(t, err)
	require.Contains(t, string(b), fmt.Sprintf(`"seq":%d`, head))
	again, err := s.srv.checkpoint(ctx)
	require.NoError(t, err)
	require.Equal(t, cp, again, "an unmoved head is not signed again")
	require.Equal(t, 1, strings.Count(string(mustRead(t, filepath.Join(s.srv.cfg.DataDir, audit.AnchorFile))), "\n"))

	v := s.do("audit1", http.MethodGet, "/api/v1/audit/verify", nil, nil)
	require.Equal(t, true, v.Body["ok"], "%s", v.Raw)
	anchor := v.Body["anchor"].(map[string]any)
	require.EqualValues(t, head, anchor["last_seq"])
	require.EqualValues(t, 1, anchor["checkpoints"])

	for _, q := range []string{`ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update`,
		fmt.Sprintf(`DELETE FROM audit_log WHERE seq > %d`, head-2),
		`ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_update`,
		fmt.Sprintf(`UPDATE audit_head SET seq = %d, hash = (SELECT hash FROM audit_log WHERE seq = %d)`, head-2, head-2)} {
		_, err = s.store.DB().Exec(q)
		require.NoError(t, err)
	}
	v = s.do("audit1", http.MethodGet, "/api/v1/audit/verify", nil, nil)
	require.Equal(t, false, v.Body["ok"], "%s", v.Raw)
	require.EqualValues(t, head-1, v.Body["broken_seq"], "%s", v.Raw)
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	return b
}
