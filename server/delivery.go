package main

import (
	"errors"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"egovpm/internal/apperr"
	"egovpm/internal/authz"
	"egovpm/internal/calendar"
	"egovpm/internal/domain"
	"egovpm/internal/store"
	"egovpm/internal/text"
	"egovpm/workflows"
)

type dataListReq struct {
	Items      []map[string]string `json:"items"`
	NoneReason string              `json:"none_reason"`
}

type contractReq struct {
	Vendor         string `json:"vendor" validate:"required,nonblank,name,max=200"`
	AmountFen      int64  `json:"amount_fen" validate:"required,gt=0,lte=1000000000000"`
	SignedOn       string `json:"signed_on" validate:"required"`
	ProcurementRef string `json:"procurement_ref" validate:"required,nonblank,name,max=100"`
	DataLists      struct {
		Demand         dataListReq `json:"demand"`
		Responsibility dataListReq `json:"responsibility"`
		Negative       dataListReq `json:"negative"`
	} `json:"data_lists"`
}

// deliveryUpdate sends a delivery Update to the project's lifecycle and answers its outcome.
func (s *Server) deliveryUpdate(c *gin.Context, p store.Project, name string, arg any) {
	res, err := s.update(c, workflows.ProjectWorkflowID(p.ID), name, updateID(c, name+":"+p.ID), arg)
	if err != nil {
		respondError(c, err)
		return
	}
	c.JSON(http.StatusOK, res)
}

// registerContract registers the procurement result and contract with the data three lists (R9).
func (s *Server) registerContract(c *gin.Context) {
	var req contractReq
	if err := bindJSON(c, &req); err != nil {
		respondError(c, err)
		return
	}
	fields := map[string]string{}
	signed, err := time.ParseInLocation("2006-01-02", req.SignedOn, calendar.Shanghai)
	switch {
	case err != nil:
		fields["signed_on"] = "须为 YYYY-MM-DD 日期"
	case signed.After(s.now()) || signed.Year() < 2000:
		fields["signed_on"] = "签订日期不能晚于今天或早于 2000 年"
	}
	lists := domain.DataLists{
		Demand:         domain.DataList{Items: req.DataLists.Demand.Items, NoneReason: text.Trim(req.DataLists.Demand.NoneReason)},
		Responsibility: domain.DataList{Items: req.DataLists.Responsibility.Items, NoneReason: text.Trim(req.DataLists.Responsibility.NoneReason)},
		Negative:       domain.DataList{Items: req.DataLists.Negative.Items, NoneReason: text.Trim(req.DataLists.Negative.NoneReason)},
	}
	p, ok := s.loadProject(c, authz.ProjectDeliver)
	if !ok {
		return
	}
	pol := s.policy
	if p.PolicyVersion.Valid && p.PolicyVersion.String != pol.Version {
		if pol, err = s.store.Policy(c.Request.Context(), p.PolicyVersion.String, false); err != nil {
			respondError(c, err)
			return
		}
	}
	for k, v := range domain.ValidateDataLists(lists, pol.ListFields()) {
		fields[k] = v
	}
	if len(fields) > 0 {
		respondError(c, apperr.Invalid(fields))
		return
	}
	s.deliveryUpdate(c, p, workflows.UpdateContract, workflows.ContractUpdate{Actor: mustActor(c), RequestID: c.GetString(ctxRequestID),
		RequestHash: requestHash(c, req), Contract: domain.Contract{Vendor: text.Trim(req.Vendor), AmountFen: req.AmountFen, SignedOn: req.SignedOn,
			ProcurementRef: text.Trim(req.ProcurementRef), DataLists: lists}})
}

// bindNoFields reads the optional body of a request that takes no fields: none, or an empty
// JSON object; anything else is refused (400/413/415) like any body. It answers the refusal
// and reports whether to go on.
func bindNoFields(c *gin.Context) bool {
	if c.Request.ContentLength <= 0 {
		return true
	}
	var req struct{}
	if err := bindJSON(c, &req); err != nil {
		respondError(c, err)
		return false
	}
	return true
}

// constructionComplete reports construction complete (R10); the trial run starts (R11).
func (s *Server) constructionComplete(c *gin.Context) {
	if !bindNoFields(c) {
		return
	}
	p, ok := s.loadProject(c, authz.ProjectDeliver)
	if !ok {
		return
	}
	needs, err := s.store.HasSupervisionChild(c.Request.Context(), p.ID)
	if err != nil {
		respondError(c, err)
		return
	}
	s.deliveryUpdate(c, p, workflows.UpdateConstructionComplete, workflows.ConstructionUpdate{
		Actor: mustActor(c), NeedsSupervision: needs, RequestID: c.GetString(ctxRequestID)})
}

const ctxForcedKind = "forced_doc_kind"

// uploadTrialRunReport uploads the trial-run report (R11): a document upload of kind
// trial_run_report (multipart field file).
func (s *Server) uploadTrialRunReport(c *gin.Context) {
	c.Set(ctxForcedKind, "trial_run_report")
	s.uploadDocument(c)
}

// applyAcceptance applies for final acceptance (R12); 422 trial_run_not_over before the trial
// run ends, 422 documents_missing without the R12/R17 documents.
func (s *Server) applyAcceptance(c *gin.Context) {
	if !bindNoFields(c) {
		return
	}
	p, ok := s.loadProject(c, authz.ProjectDeliver)
	if !ok {
		return
	}
	s.deliveryUpdate(c, p, workflows.UpdateApplyAcceptance, workflows.AcceptanceUpdate{Actor: mustActor(c), RequestID: c.GetString(ctxRequestID)})
}

type omReportReq struct {
	Year       int    `json:"year" validate:"required,gte=1,lte=100"`
	DocumentID string `json:"document_id" validate:"required,max=64"`
}

// fileOMReport files the annual O&M report (R13): an uploaded om_report document for the
// current O&M year.
func (s *Server) fileOMReport(c *gin.Context) {
	var req omReportReq
	if err := bindJSON(c, &req); err != nil {
		respondError(c, err)
		return
	}
	p, ok := s.loadProject(c, authz.ProjectDeliver)
	if !ok {
		return
	}
	d, err := s.store.Document(c.Request.Context(), p.ID, req.DocumentID)
	if errors.Is(err, store.ErrNotFound) || (err == nil && d.Kind != "om_report") {
		respondError(c, apperr.Invalid(map[string]string{"document_id": "须为本项目已上传的运维报告（om_report）"}))
		return
	}
	if err != nil {
		respondError(c, err)
		return
	}
	s.deliveryUpdate(c, p, workflows.UpdateOMReport, workflows.OMReportUpdate{Actor: mustActor(c), Year: req.Year,
		DocumentID: req.DocumentID, RequestID: c.GetString(ctxRequestID), RequestHash: requestHash(c, req)})
}
