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
	t.Parallel()
	s := newStack(t, "2021")
	p := s.createProject("alice", "上传校验项目", futureYear(), 100_000_000)

	r := s.upload("alice", p, "other", []byte("MZ\x90\x00 this is an executable named report.pdf"))
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
	require.NoError(t, s.store.DB().Get(&n, `SELECT count(*) FROM documents WHERE project_id = $1`, p))
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

// TestE2E_UploadPartsAfterTheFileRefused: the kind is checked when the file arrives, so a
// kind part after the file (which changed the stored kind unchecked, even past the
// trial-run-report route's forced kind) or a second file is 400 and stores no document row.
func TestE2E_UploadPartsAfterTheFileRefused(t *testing.T) {
	t.Parallel()
	s := newStack(t, "2021")
	p := s.createProject("alice", "上传顺序项目", futureYear(), 100_000_000)
	post := func(path string, parts ...[2]string) resp {
		t.Helper()
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		for _, pt := range parts {
			if pt[0] == "file" {
				fw, err := mw.CreateFormFile("file", "a.pdf")
				require.NoError(t, err)
				_, _ = fw.Write(pdf)
				continue
			}
			require.NoError(t, mw.WriteField(pt[0], pt[1]))
		}
		require.NoError(t, mw.Close())
		req, err := http.NewRequest(http.MethodPost, s.http.URL+path, &buf)
		require.NoError(t, err)
		req.Header.Set("Content-Type", mw.FormDataContentType())
		req.Header.Set("Authorization", "Bearer "+s.token("alice"))
		return s.send(req)
	}
	docs := "/api/v1/projects/" + p + "/documents"
	// The trial-run report is taken in the trial run only (domain.DocumentStages): a second
	// project is put there in the read model, which is what the upload reads.
	inTrial := s.createProject("alice", "上传顺序项目（试运行）", futureYear(), 100_000_000)
	_, err := s.store.DB().Exec(`UPDATE projects SET stage = 'trial_run' WHERE id = $1`, inTrial)
	require.NoError(t, err)
	report := "/api/v1/projects/" + inTrial + "/trial-run-report"
	for _, c := range []struct {
		name, path string
		parts      [][2]string
		field      string
	}{
		{"kind after the file", docs, [][2]string{{"kind", "other"}, {"file", ""}, {"kind", "special_request"}}, "kind"},
		{"kind after the forced file", report, [][2]string{{"file", ""}, {"kind", "other"}}, "kind"},
		{"two files", docs, [][2]string{{"kind", "other"}, {"file", ""}, {"file", ""}}, "file"},
	} {
		r := post(c.path, c.parts...)
		require.Equal(t, http.StatusBadRequest, r.Status, "%s: %s", c.name, r.Raw)
		require.Equal(t, "invalid_input", r.code(), c.name)
		require.Contains(t, string(r.Raw), `"`+c.field+`"`, c.name)
	}
	var n int
	require.NoError(t, s.store.DB().Get(&n, `SELECT count(*) FROM documents WHERE project_id IN ($1, $2)`, p, inTrial))
	require.Zero(t, n, "no document row")

	// The same parts in order are accepted.
	r := post(docs, [2]string{"kind", "other"}, [2]string{"file", ""})
	require.Equal(t, http.StatusCreated, r.Status, "%s", r.Raw)
}
