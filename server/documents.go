package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"go.uber.org/zap"

	"egovpm/internal/apperr"
	"egovpm/internal/authz"
	"egovpm/internal/docstore"
	"egovpm/internal/domain"
	"egovpm/internal/logging"
	"egovpm/internal/store"
	"egovpm/internal/text"
	"egovpm/workflows"
)

// uploadDocument stores a file of a declared kind for a project. The kind must fit the
// project's stage (domain.DocumentStages) and the type is checked by content; the file is
// received into a temporary file and reaches its content-addressed place only in the
// transaction that records its row, so a refused upload leaves no file. The reply comes after
// the file is synced and its row committed.
func (s *Server) uploadDocument(c *gin.Context) {
	p, ok := s.loadProject(c, authz.DocumentUpload)
	if !ok {
		return
	}
	limit := s.cfg.MaxUploadBytes
	c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, limit+64<<10)
	mr, err := c.Request.MultipartReader()
	if err != nil {
		respondError(c, apperr.BadRequest("bad_multipart", "请以 multipart/form-data 上传，字段 kind 和 file"))
		return
	}
	var kind, filename string
	var pending *docstore.Pending
	defer func() { pending.Discard() }() // every refusal; nothing once committed
	kind, filename, pending, err = s.readUpload(c, mr, p.Stage, limit)
	if err != nil {
		respondError(c, err)
		return
	}
	if pending == nil {
		respondError(c, apperr.Invalid(map[string]string{"file": "必填"}))
		return
	}
	a := mustActor(c)
	doc := store.DocumentRow{ID: newID("d-"), ProjectID: p.ID, Kind: kind, Filename: filename, ContentType: pending.ContentType,
		SizeBytes: pending.Size, SHA256: pending.SHA256, UploadedBy: a.ID}
	ctx := c.Request.Context()
	created := false
	err = s.store.WithTx(ctx, func(tx *store.Tx) error {
		if err := s.store.AddDocument(ctx, tx, &doc); err != nil {
			return err
		}
		if err := s.audit(c, tx, "document.upload", "project", p.ID, "ok",
			gin.H{"document_id": doc.ID, "kind": kind, "sha256": doc.SHA256, "size": doc.SizeBytes}); err != nil {
			return err
		}
		// The file is in place and synced before the row that names it commits.
		var err error
		created, err = pending.Commit()
		return err
	})
	if err != nil {
		if created {
			s.removeUnrecorded(doc.SHA256)
		}
		respondError(c, err)
		return
	}
	if p.WorkflowID.Valid {
		// Wake the lifecycle if it waits on documents (R6 large projects, R17 gates). The row is
		// committed either way; a lifecycle that missed this re-checks on its next step.
		if err := s.temporal.SignalWorkflow(ctx, workflows.ProjectWorkflowID(p.ID), "", workflows.SignalDocuments, nil); err != nil {
			logging.Ctx(ctx, s.log).Warn("documents signal not delivered", zap.String("project_id", p.ID), zap.Error(err))
		}
	}
	c.JSON(http.StatusCreated, doc)
}

// readUpload reads the multipart body of an upload: the kind (before the file, or the route's
// forced kind), checked against the project's stage, and the file, received into the document
// store as pending (returned on a refusal too, for the caller to discard).
func (s *Server) readUpload(c *gin.Context, mr *multipart.Reader, stage string, limit int64) (kind, filename string,
	pending *docstore.Pending, err error) {
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			return kind, filename, pending, uploadErr(err)
		}
		switch part.FormName() {
		case "kind":
			if pending != nil {
				// The kind was checked when the file arrived; a later one would change it
				// unchecked (on the trial-run-report route, past the forced kind).
				return kind, filename, pending, apperr.Invalid(map[string]string{"kind": "须在 file 之前给出 kind"})
			}
			b, err := io.ReadAll(io.LimitReader(part, 64))
			if err != nil {
				return kind, filename, pending, uploadErr(err)
			}
			kind = strings.TrimSpace(string(b))
		case "file":
			if pending != nil {
				return kind, filename, pending, apperr.Invalid(map[string]string{"file": "每次只能上传一个文件"})
			}
			if forced := c.GetString(ctxForcedKind); forced != "" {
				kind = forced
			}
			if kind == "" {
				return kind, filename, pending, apperr.Invalid(map[string]string{"kind": "须在 file 之前给出 kind"})
			}
			if !domain.Contains(domain.DocKinds, kind) {
				return kind, filename, pending, apperr.Invalid(map[string]string{"kind": "未知文档类型"})
			}
			if !domain.DocumentAllowed(kind, domain.Stage(stage)) {
				return kind, filename, pending, wrongStageForDocument(kind, stage)
			}
			pd, err := s.docs.Receive(part, limit)
			if err != nil {
				return kind, filename, pending, uploadErr(err)
			}
			pending = pd
			if filename, err = documentName(part.FileName(), pd.ContentType); err != nil {
				return kind, filename, pending, err
			}
		}
		_ = part.Close()
	}
	return kind, filename, pending, nil
}

// removeUnrecorded removes a file this request stored whose row did not commit, unless a row
// of another upload of the same content names it.
func (s *Server) removeUnrecorded(sha string) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	used, err := s.store.DocumentContentUsed(ctx, sha)
	if err != nil || used {
		return
	}
	if err := s.docs.Remove(sha); err != nil {
		s.log.Warn("unrecorded document not removed", zap.String("sha256", sha), zap.Error(err))
	}
}

func wrongStageForDocument(kind, stage string) error {
	allowed := make([]string, 0, len(domain.DocumentStages[kind]))
	for _, st := range domain.DocumentStages[kind] {
		allowed = append(allowed, string(st))
	}
	return apperr.Conflict("wrong_stage_for_document",
		fmt.Sprintf("项目当前阶段为%s，不能上传%s（可上传的阶段：%s）", domain.StageName(domain.Stage(stage)), domain.DocKindName(kind),
			domain.StageNameList(domain.DocumentStages[kind]))).
		WithExtra("stage", stage).WithExtra("allowed_stages", allowed)
}

func uploadErr(err error) error {
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe), errors.Is(err, docstore.ErrTooLarge):
		return apperr.TooLarge("文件超过大小上限")
	case errors.Is(err, docstore.ErrUnknownType):
		return apperr.New(apperr.KindUnsupported, "unsupported_type", "只接受 PDF、OFD、DOCX、XLSX 文件（按内容识别）")
	case errors.Is(err, docstore.ErrExecutable):
		return apperr.New(apperr.KindUnsupported, "executable_content", "文件中含有可执行程序（ELF、PE、Mach-O 或脚本），不予接收")
	case errors.Is(err, docstore.ErrMalformed):
		return apperr.New(apperr.KindUnsupported, "malformed_document", "文件结构与其类型不符（如 PDF 缺少版本号或结尾的 %%EOF），请重新导出后上传")
	case errors.Is(err, docstore.ErrEmpty):
		return apperr.Invalid(map[string]string{"file": "文件为空"})
	}
	// The reader's own words (English, e.g. "multipart: NextPart: EOF") go to extra.detail.
	return apperr.BadRequest("bad_multipart", "上传内容不完整（传输中断或格式有误），请重新上传").WithExtra("detail", err.Error())
}

// maxFilename is the longest stored filename, in bytes.
const maxFilename = 200

// documentName is the name a document of contentType is stored and offered under, from the
// name the client sent: its last path element (either separator), without hidden characters
// (bidi controls, zero-width characters, controls: text.Hidden) and with characters no file
// system takes replaced; "." and ".." and names left blank become "document". It keeps an
// extension of contentType's and adds one when there is none; an extension of another type
// (report.pdf.exe) is refused (415 type_mismatch). The name is cut to maxFilename bytes at a
// character boundary, the extension kept.
func documentName(raw, contentType string) (string, error) {
	n := strings.ReplaceAll(raw, `\`, "/")
	n = n[strings.LastIndex(n, "/")+1:]
	n = strings.ToValidUTF8(n, "")
	n = text.StripHidden(n)
	n = strings.Map(func(r rune) rune {
		if strings.ContainsRune(`<>:"|?*`, r) {
			return '_'
		}
		return r
	}, n)
	n = strings.Trim(text.Trim(n), ".")
	exts := docstore.Extensions[contentType]
	stem, ext := n, ""
	if i := strings.LastIndexByte(n, '.'); i >= 0 && isExtension(n[i+1:]) {
		stem, ext = n[:i], n[i:]
		if !slices.Contains(exts, strings.ToLower(ext)) {
			return "", apperr.New(apperr.KindUnsupported, "type_mismatch",
				fmt.Sprintf("文件扩展名 %s 与文件内容（%s）不符", ext, strings.ToUpper(strings.TrimPrefix(exts[0], "."))))
		}
	}
	if ext == "" {
		ext = exts[0]
	}
	stem = strings.TrimRight(text.Trim(text.Cut(stem, maxFilename-len(ext))), ".")
	if stem == "" {
		stem = "document"
	}
	return stem + ext, nil
}

// isExtension reports whether s (after a name's last dot) is a filename extension: 1–8 ASCII
// letters and digits, a letter among them ("1.2" in 方案1.2 is a version, not an extension).
func isExtension(s string) bool {
	if len(s) == 0 || len(s) > 8 {
		return false
	}
	letter := false
	for _, r := range s {
		switch {
		case 'a' <= r && r <= 'z', 'A' <= r && r <= 'Z':
			letter = true
		case '0' <= r && r <= '9':
		default:
			return false
		}
	}
	return letter
}

func (s *Server) listDocuments(c *gin.Context) {
	p, v, ok := s.loadProjectView(c, authz.ProjectRead)
	if !ok {
		return
	}
	docs, err := s.store.Documents(c.Request.Context(), p.ID)
	if err != nil {
		respondError(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"items": nonNil(visibleDocuments(v, docs)), "next_cursor": ""})
}

// downloadDocument sends a document as an attachment. The download is audited like the upload
// (R18): the row (object document:<id>, the project in its detail, so it stays off the
// timeline the unit reads) commits before the first byte is sent.
func (s *Server) downloadDocument(c *gin.Context) {
	p, v, ok := s.loadProjectView(c, authz.ProjectRead)
	if !ok {
		return
	}
	d, err := s.store.Document(c.Request.Context(), p.ID, c.Param("doc_id"))
	if errors.Is(err, store.ErrNotFound) || (err == nil && !v.Document(d.Kind, d.CreatedAt)) {
		respondError(c, apperr.NotFound("文档"))
		return
	}
	if err != nil {
		respondError(c, err)
		return
	}
	f, err := s.docs.Open(d.SHA256)
	if err != nil {
		respondError(c, fmt.Errorf("open document %s: %w", d.ID, err))
		return
	}
	defer f.Close()
	err = s.store.WithTx(c.Request.Context(), func(tx *store.Tx) error {
		return s.audit(c, tx, "document.download", "document", d.ID, "ok",
			gin.H{"project_id": p.ID, "kind": d.Kind, "sha256": d.SHA256, "size": d.SizeBytes})
	})
	if err != nil {
		respondError(c, err)
		return
	}
	c.Header("Content-Disposition", contentDisposition(d.Filename))
	c.DataFromReader(http.StatusOK, d.SizeBytes, d.ContentType, f, nil)
}

// similarProjects lists the R16 candidates with their scores.
func (s *Server) similarProjects(c *gin.Context) {
	p, ok := s.loadProject(c, authz.ProjectRead)
	if !ok {
		return
	}
	rows, err := s.store.Similar(c.Request.Context(), p.ID, authz.ReachOf(mustActor(c)))
	if err != nil {
		respondError(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"items": nonNil(rows), "next_cursor": ""})
}

// contentDisposition offers a file named name for download, never inline (RFC 6266): an ASCII
// filename for clients that read only that (the name itself when it is plain ASCII, else
// "document" with its extension), and the UTF-8 name as filename* (RFC 5987), which every
// current browser uses.
func contentDisposition(name string) string {
	fallback := name
	for _, r := range name {
		if r < 0x20 || r >= 0x7f || strings.ContainsRune(`"\%;`, r) {
			fallback = "document"
			if i := strings.LastIndexByte(name, '.'); i >= 0 && isExtension(name[i+1:]) {
				fallback += name[i:]
			}
			break
		}
	}
	return `attachment; filename="` + fallback + `"; filename*=UTF-8''` + rfc5987(name)
}

// rfc5987 percent-encodes s as an RFC 5987 value: attr-char as is, every other byte of its
// UTF-8 as %XX.
func rfc5987(s string) string {
	const hexDigits = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("!#$&+-.^_`|~", c) >= 0 {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hexDigits[c>>4])
		b.WriteByte(hexDigits[c&15])
	}
	return b.String()
}
