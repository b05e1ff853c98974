package main

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/gin-gonic/gin"
	"github.com/jmoiron/sqlx"
	"go.uber.org/zap"

	"egovpm/internal/apperr"
	"egovpm/internal/authz"
	"egovpm/internal/docstore"
	"egovpm/internal/domain"
	"egovpm/internal/store"
	"egovpm/workflows"
)

// uploadDocument stores a file of a declared kind for a project. The type is checked by content;
// the reply comes after the file is fsynced and its row committed.
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
	var kind string
	var saved *docstore.Saved
	var filename string
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			respondError(c, uploadErr(err))
			return
		}
		switch part.FormName() {
		case "kind":
			if saved != nil {
				// The kind was checked when the file arrived; a later one would change it
				// unchecked (on the trial-run-report route, past the forced kind).
				respondError(c, apperr.Invalid(map[string]string{"kind": "须在 file 之前给出 kind"}))
				return
			}
			b, err := io.ReadAll(io.LimitReader(part, 64))
			if err != nil {
				respondError(c, uploadErr(err))
				return
			}
			kind = strings.TrimSpace(string(b))
		case "file":
			if saved != nil {
				respondError(c, apperr.Invalid(map[string]string{"file": "每次只能上传一个文件"}))
				return
			}
			if forced := c.GetString(ctxForcedKind); forced != "" {
				kind = forced
			}
			if kind == "" {
				respondError(c, apperr.Invalid(map[string]string{"kind": "须在 file 之前给出 kind"}))
				return
			}
			if !domain.Contains(domain.DocKinds, kind) {
				respondError(c, apperr.Invalid(map[string]string{"kind": "未知文档类型"}))
				return
			}
			filename = cleanName(part.FileName())
			sv, err := s.docs.Save(part, limit)
			if err != nil {
				respondError(c, uploadErr(err))
				return
			}
			saved = &sv
		}
		_ = part.Close()
	}
	if saved == nil {
		respondError(c, apperr.Invalid(map[string]string{"file": "必填"}))
		return
	}
	if !domain.Contains(domain.DocKinds, kind) {
		respondError(c, apperr.Invalid(map[string]string{"kind": "未知文档类型"}))
		return
	}
	a := mustActor(c)
	doc := store.DocumentRow{ID: newID("d-"), ProjectID: p.ID, Kind: kind, Filename: filename, ContentType: saved.ContentType,
		SizeBytes: saved.Size, SHA256: saved.SHA256, UploadedBy: a.ID}
	ctx := c.Request.Context()
	err = s.store.WithTx(ctx, func(tx *sqlx.Tx) error {
		if err := s.store.AddDocument(ctx, tx, &doc); err != nil {
			return err
		}
		return s.audit(c, tx, "document.upload", "project", p.ID, "ok",
			gin.H{"document_id": doc.ID, "kind": kind, "sha256": doc.SHA256, "size": doc.SizeBytes})
	})
	if err != nil {
		respondError(c, err)
		return
	}
	if p.WorkflowID.Valid {
		// Wake the lifecycle if it waits on documents (R6 large projects, R17 gates). The row is
		// committed either way; a lifecycle that missed this re-checks on its next step.
		if err := s.temporal.SignalWorkflow(ctx, workflows.ProjectWorkflowID(p.ID), "", workflows.SignalDocuments, nil); err != nil {
			s.log.Warn("documents signal not delivered", zap.String("project_id", p.ID), zap.Error(err))
		}
	}
	c.JSON(http.StatusCreated, doc)
}

func uploadErr(err error) error {
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe), errors.Is(err, docstore.ErrTooLarge):
		return apperr.TooLarge("文件超过大小上限")
	case errors.Is(err, docstore.ErrUnknownType):
		return apperr.New(http.StatusUnsupportedMediaType, "unsupported_type", "只接受 PDF、OFD、DOCX、XLSX 文件（按内容识别）")
	case errors.Is(err, docstore.ErrEmpty):
		return apperr.Invalid(map[string]string{"file": "文件为空"})
	}
	return apperr.BadRequest("bad_multipart", fmt.Sprintf("上传内容不完整：%v", err))
}

func cleanName(n string) string {
	n = filepath.Base(strings.ReplaceAll(n, `\`, "/"))
	if !utf8.ValidString(n) || n == "." || n == "/" {
		n = "document"
	}
	if len(n) > 200 {
		n = n[:200]
	}
	return n
}

func (s *Server) listDocuments(c *gin.Context) {
	p, ok := s.loadProject(c, authz.ProjectRead)
	if !ok {
		return
	}
	docs, err := s.store.Documents(c.Request.Context(), p.ID)
	if err != nil {
		respondError(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"items": nonNil(docs), "next_cursor": ""})
}

func (s *Server) downloadDocument(c *gin.Context) {
	p, ok := s.loadProject(c, authz.ProjectRead)
	if !ok {
		return
	}
	d, err := s.store.Document(c.Request.Context(), p.ID, c.Param("doc_id"))
	if errors.Is(err, store.ErrNotFound) {
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
	c.Header("Content-Disposition", fmt.Sprintf("attachment; filename*=UTF-8''%s", urlEscape(d.Filename)))
	c.DataFromReader(http.StatusOK, d.SizeBytes, d.ContentType, f, nil)
}

// similarProjects lists the R16 candidates with their scores.
func (s *Server) similarProjects(c *gin.Context) {
	p, ok := s.loadProject(c, authz.ProjectRead)
	if !ok {
		return
	}
	rows, err := s.store.Similar(c.Request.Context(), p.ID)
	if err != nil {
		respondError(c, err)
		return
	}
	a := mustActor(c)
	rows = slices.DeleteFunc(rows, func(r store.SimilarRow) bool { return !authz.SeesUnitInLists(a, r.UnitID) })
	c.JSON(http.StatusOK, gin.H{"items": nonNil(rows), "next_cursor": ""})
}
