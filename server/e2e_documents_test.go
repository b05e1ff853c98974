package main

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"mime"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/require"
)

// uploadAs sends a multipart upload of content named filename to path (…/documents or
// …/trial-run-report); kind "" sends no kind part.
func (s *stack) uploadAs(user, path, kind, filename string, content []byte) resp {
	s.t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	if kind != "" {
		require.NoError(s.t, mw.WriteField("kind", kind))
	}
	// CreateFormFile would escape the name; the header is written as a client may send it.
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", `form-data; name="file"; filename="`+filename+`"`)
	h.Set("Content-Type", "application/octet-stream")
	fw, err := mw.CreatePart(h)
	require.NoError(s.t, err)
	_, _ = fw.Write(content)
	require.NoError(s.t, mw.Close())
	req, err := http.NewRequest(http.MethodPost, s.http.URL+path, &buf)
	require.NoError(s.t, err)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+s.token(user))
	return s.send(req)
}

// blobs lists the files under the gateway's DATA_DIR/documents.
func (s *stack) blobs() []string {
	s.t.Helper()
	var out []string
	_ = filepath.Walk(filepath.Join(s.srv.cfg.DataDir, "documents"), func(path string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() {
			out = append(out, path)
		}
		return nil
	})
	return out
}

// TestE2E_UploadFilenames (issue 15 items 16, 17): bidi controls and zero-width characters
// are taken out of a filename, "." and ".." are no names, a name is cut to 200 bytes at a
// character boundary keeping its extension (a name of 67+ CJK characters was refused: it was
// cut inside a character), and an extension that names another type than the content is
// refused.
func TestE2E_UploadFilenames(t *testing.T) {
	t.Parallel()
	s := newStack(t, "2021")
	p := s.createProject("alice", "文件名校验项目", futureYear(), 100_000_000)
	docs := "/api/v1/projects/" + p + "/documents"
	long := strings.Repeat("电子政务项目建设方案", 7) // 70 characters, 210 bytes
	for _, c := range []struct{ sent, stored string }{
		{"报告\u202e\u200b.pdf", "报告.pdf"},
		{"\u2066方案\u2069\ufeff.PDF", "方案.PDF"},
		{"..", "document.pdf"},
		{".", "document.pdf"},
		{"../../etc/passwd.pdf", "passwd.pdf"},
		{`C:\temp\..\申请书.pdf`, "申请书.pdf"},
		{"\u200b\u3000", "document.pdf"},
		{"说明", "说明.pdf"},
		{long + ".pdf", long[:195] + ".pdf"}, // 196 bytes for the stem end inside a character: cut at 195
		{long, long[:195] + ".pdf"},
	} {
		r := s.uploadAs("alice", docs, "other", c.sent, pdf)
		require.Equal(t, http.StatusCreated, r.Status, "%q: %s", c.sent, r.Raw)
		name := r.str("filename")
		require.Equal(t, c.stored, name, "%q", c.sent)
		require.True(t, utf8.ValidString(name))
		require.LessOrEqual(t, len(name), 200)
	}
	for _, name := range []string{"evil\u202egpj.exe", "report.pdf.exe", "表格.xlsx", "run.sh"} {
		r := s.uploadAs("alice", docs, "other", name, pdf)
		require.Equal(t, http.StatusUnsupportedMediaType, r.Status, "%q: %s", name, r.Raw)
		require.Equal(t, "type_mismatch", r.code(), "%q", name)
	}
}

// TestE2E_UploadKindMustFitTheStage (issue 15 item 16): a document kind is accepted only in
// the stages its rule gives it (domain.DocumentStages): a trial-run report, a contract or an
// O&M report cannot be uploaded to a draft, through either route; the opinion, a special
// request and other documents can.
func TestE2E_UploadKindMustFitTheStage(t *testing.T) {
	t.Parallel()
	s := newStack(t, "2021")
	p := s.createProject("alice", "文档阶段校验项目", futureYear(), 100_000_000)
	docs := "/api/v1/projects/" + p + "/documents"
	for _, kind := range []string{"trial_run_report", "contract", "om_report", "acceptance_minutes", "mlps_filing"} {
		r := s.uploadAs("alice", docs, kind, kind+".pdf", pdf)
		require.Equal(t, http.StatusConflict, r.Status, "%s: %s", kind, r.Raw)
		require.Equal(t, "wrong_stage_for_document", r.code(), kind)
	}
	r := s.uploadAs("alice", "/api/v1/projects/"+p+"/trial-run-report", "", "试运行报告.pdf", pdf)
	require.Equal(t, http.StatusConflict, r.Status, "%s", r.Raw)
	require.Equal(t, "wrong_stage_for_document", r.code())
	// The message names the stage and kind as the screens do; extra keeps the codes.
	require.Equal(t, "项目当前阶段为草稿，不能上传试运行报告（可上传的阶段：试运行、整改）", r.str("error", "message"))
	require.Equal(t, "draft", r.str("error", "extra", "stage"))
	require.Empty(t, s.blobs(), "a refused upload leaves no file")
	var n int
	require.NoError(t, s.store.DB().Get(&n, `SELECT count(*) FROM documents WHERE project_id = $1`, p))
	require.Zero(t, n)
	for _, kind := range []string{"opinion", "impl_plan", "special_request", "crypto_plan", "other"} {
		r := s.uploadAs("alice", docs, kind, kind+".pdf", pdf)
		require.Equal(t, http.StatusCreated, r.Status, "%s: %s", kind, r.Raw)
	}
}

// TestE2E_ExecutablePolyglotRefused (issue 15 item 16): a file that is a PDF and also holds an
// ELF executable is refused (415 executable_content), as is a "PDF" that has no PDF
// structure (415 malformed_document); neither leaves a row or a file.
func TestE2E_ExecutablePolyglotRefused(t *testing.T) {
	t.Parallel()
	s := newStack(t, "2021")
	p := s.createProject("alice", "多格式文件校验项目", futureYear(), 100_000_000)
	docs := "/api/v1/projects/" + p + "/documents"
	elf := make([]byte, 64)
	copy(elf, "\x7fELF\x02\x01\x01")
	binary.LittleEndian.PutUint16(elf[16:], 2)
	binary.LittleEndian.PutUint16(elf[18:], 0x3e)
	binary.LittleEndian.PutUint32(elf[20:], 1)
	polyglot := append(append([]byte("%PDF-1.7\n1 0 obj << /Length 64 >> stream\n"), elf...), "\nendstream endobj\n%%EOF\n"...)
	r := s.uploadAs("alice", docs, "other", "a.pdf", polyglot)
	require.Equal(t, http.StatusUnsupportedMediaType, r.Status, "%s", r.Raw)
	require.Equal(t, "executable_content", r.code())
	r = s.uploadAs("alice", docs, "other", "a.pdf", []byte("%PDF-1.7\nnot really a pdf\n"))
	require.Equal(t, http.StatusUnsupportedMediaType, r.Status, "%s", r.Raw)
	require.Equal(t, "malformed_document", r.code())
	require.Empty(t, s.blobs())
	var n int
	require.NoError(t, s.store.DB().Get(&n, `SELECT count(*) FROM documents WHERE project_id = $1`, p))
	require.Zero(t, n)
}

// TestE2E_RefusedUploadLeavesNoFile (issue 15 item 17): an upload refused after its file was
// received (a second file, a kind after the file) leaves no file in DATA_DIR; an accepted one
// leaves exactly its own.
func TestE2E_RefusedUploadLeavesNoFile(t *testing.T) {
	t.Parallel()
	s := newStack(t, "2021")
	p := s.createProject("alice", "孤儿文件校验项目", futureYear(), 100_000_000)
	post := func(parts ...[2]string) resp {
		t.Helper()
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		for i, pt := range parts {
			if pt[0] == "file" {
				fw, err := mw.CreateFormFile("file", "a.pdf")
				require.NoError(t, err)
				_, _ = fmt.Fprintf(fw, "%%PDF-1.7\n%% part %d\n%%%%EOF\n", i) // distinct content per part
				continue
			}
			require.NoError(t, mw.WriteField(pt[0], pt[1]))
		}
		require.NoError(t, mw.Close())
		req, err := http.NewRequest(http.MethodPost, s.http.URL+"/api/v1/projects/"+p+"/documents", &buf)
		require.NoError(t, err)
		req.Header.Set("Content-Type", mw.FormDataContentType())
		req.Header.Set("Authorization", "Bearer "+s.token("alice"))
		return s.send(req)
	}
	r := post([2]string{"kind", "other"}, [2]string{"file", ""}, [2]string{"file", ""})
	require.Equal(t, http.StatusBadRequest, r.Status, "%s", r.Raw)
	r = post([2]string{"kind", "other"}, [2]string{"file", ""}, [2]string{"kind", "opinion"})
	require.Equal(t, http.StatusBadRequest, r.Status, "%s", r.Raw)
	require.Empty(t, s.blobs(), "refused uploads leave no file")

	// A body cut off before its closing boundary (a broken transfer): a Chinese message, the
	// reader's English words only in extra.detail.
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	require.NoError(t, mw.WriteField("kind", "other"))
	fw, err := mw.CreateFormFile("file", "a.pdf")
	require.NoError(t, err)
	_, _ = fmt.Fprint(fw, "%PDF-1.7\n")
	req, err := http.NewRequest(http.MethodPost, s.http.URL+"/api/v1/projects/"+p+"/documents", &buf)
	require.NoError(t, err)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+s.token("alice"))
	r = s.send(req)
	require.Equal(t, http.StatusBadRequest, r.Status, "%s", r.Raw)
	require.Equal(t, "bad_multipart", r.code())
	require.Equal(t, "上传内容不完整（传输中断或格式有误），请重新上传", r.str("error", "message"))
	require.NotEmpty(t, r.str("error", "extra", "detail"))
	require.Empty(t, s.blobs(), "refused uploads leave no file")

	r = post([2]string{"kind", "other"}, [2]string{"file", ""})
	require.Equal(t, http.StatusCreated, r.Status, "%s", r.Raw)
	blobs := s.blobs()
	require.Len(t, blobs, 1)
	require.Equal(t, r.str("sha256"), filepath.Base(blobs[0]))
}

// TestE2E_DownloadHeaders (issue 15 item 18): a download is an attachment with an ASCII
// filename fallback and the UTF-8 name (RFC 6266, RFC 5987), and every response of the API
// carries X-Content-Type-Options: nosniff, so no browser runs a document (or an error body)
// as another type.
func TestE2E_DownloadHeaders(t *testing.T) {
	t.Parallel()
	s := newStack(t, "2021")
	p := s.createProject("alice", "下载头校验项目", futureYear(), 100_000_000)
	up := s.uploadAs("alice", "/api/v1/projects/"+p+"/documents", "opinion", "项目意见书（终稿）; x=1 'a'.pdf", pdf)
	require.Equal(t, http.StatusCreated, up.Status, "%s", up.Raw)
	name := up.str("filename")

	get := func(user, path string) *http.Response {
		req, err := http.NewRequest(http.MethodGet, s.http.URL+path, nil)
		require.NoError(t, err)
		if user != "" {
			req.Header.Set("Authorization", "Bearer "+s.token(user))
		}
		res, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		res.Body.Close()
		return res
	}
	res := get("alice", "/api/v1/projects/"+p+"/documents/"+up.str("id"))
	require.Equal(t, http.StatusOK, res.StatusCode)
	require.Equal(t, "nosniff", res.Header.Get("X-Content-Type-Options"))
	require.Equal(t, "application/pdf", res.Header.Get("Content-Type"))
	cd := res.Header.Get("Content-Disposition")
	for _, r := range cd {
		require.True(t, r >= 0x20 && r < 0x7f, "the header is ASCII: %q", cd)
	}
	disp, params, err := mime.ParseMediaType(cd)
	require.NoError(t, err, cd)
	require.Equal(t, "attachment", disp)
	require.Equal(t, name, params["filename"], "filename* carries the UTF-8 name: %s", cd)
	require.Regexp(t, `^attachment; filename="[ -~]+\.pdf"; filename\*=UTF-8''`, cd)

	for _, c := range []struct {
		user, path string
		status     int
	}{
		{"", "/healthz", http.StatusOK},
		{"", "/api/v1/openapi.yaml", http.StatusOK},
		{"", "/api/v1/projects", http.StatusUnauthorized},
		{"", "/api/v1/no-such-route", http.StatusNotFound},
		{"alice", "/api/v1/projects/" + p, http.StatusOK},
		{"alice", "/api/v1/projects/" + p + "/documents/d-none", http.StatusNotFound},
	} {
		res := get(c.user, c.path)
		require.Equal(t, c.status, res.StatusCode, c.path)
		require.Equal(t, "nosniff", res.Header.Get("X-Content-Type-Options"), c.path)
	}
}
