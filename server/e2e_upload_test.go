package main

import (
	"bytes"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestE2E_BadUploadsStoreNothing (issue 5 "bad input"): a file that is not the type it claims
// is 415 and a 60 MB upload is 413; neither leaves a row or a file behind.
func TestE2E_BadUploadsStoreNothing(t *testing.T) {
	s := newStack(t, "2021")
	p := s.createProject("alice", "上传校验项目", futureYear(), 100_000_000)

	r := s.upload("alice", p, "trial_run_report", []byte("MZ\x90\x00 this is an executable named report.pdf"))
	require.Equal(t, http.StatusUnsupportedMediaType, r.Status, "%s", r.Raw)
	require.Equal(t, "unsupported_type", r.code())

	// 60 MB streamed (never held in memory) against the 50 MB default limit.
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	go func() {
		_ = mw.WriteField("kind", "other")
		fw, _ := mw.CreateFormFile("file", "big.pdf")
		_, _ = fw.Write([]byte("%PDF-1.7\n"))
		chunk := bytes.Repeat([]byte("x"), 1<<20)
		for range 60 {
			if _, err := fw.Write(chunk); err != nil {
				break
			}
		}
		_ = mw.Close()
		_ = pw.Close()
	}()
	req, err := http.NewRequest(http.MethodPost, s.http.URL+"/api/v1/projects/"+p+"/documents", pr)
	require.NoError(t, err)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+s.token("alice"))
	r = s.send(req)
	require.Equal(t, http.StatusRequestEntityTooLarge, r.Status, "%s", r.Raw)

	var n int
	require.NoError(t, s.store.DB.Get(&n, `SELECT count(*) FROM documents WHERE project_id = $1`, p))
	require.Zero(t, n, "no document row")
	var files []string
	_ = filepath.Walk(filepath.Join(s.srv.cfg.DataDir, "documents"), func(path string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() {
			files = append(files, path)
		}
		return nil
	})
	require.Empty(t, files, "no file left in DATA_DIR")
}
