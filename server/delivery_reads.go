package main

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"egovpm/internal/apperr"
	"egovpm/internal/authz"
	"egovpm/internal/domain"
	"egovpm/internal/store"
)

// The delivery reads (R9–R15): a project's contract and payments, the delivery status the
// screens show (trial run, the document checklists of construction complete and acceptance,
// the O&M year), the payments and O&M filings across projects, and the funds summary.

// errNoDeliveryRead is the 403 of a project the actor reads whose delivery record (contract,
// payments) is not theirs to read (docs/AUTHZ.md).
var errNoDeliveryRead = apperr.Forbidden("forbidden", "无权查看该项目的此项信息")

// loadDeliveryRecord loads the project for a read of one of its delivery records, which scopes
// grant: 404 for a project the actor may not read, 403 for one whose record they may not.
func (s *Server) loadDeliveryRecord(c *gin.Context, scopes map[domain.Role][]authz.Scope) (store.Project, bool) {
	p, v, ok := s.loadProjectView(c, authz.ProjectRead)
	if !ok {
		return p, false
	}
	if !v.Shows(mustActor(c), scopes) {
		respondError(c, errNoDeliveryRead)
		return p, false
	}
	return p, true
}

// getContract answers a project's registered contract with its data three lists (R9): 404
// for a project the actor may not read or without a contract, 403 for a contract not theirs
// to read.
func (s *Server) getContract(c *gin.Context) {
	p, v, ok := s.loadProjectView(c, authz.ProjectRead)
	if !ok {
		return
	}
	ct, err := s.store.Contract(c.Request.Context(), p.ID)
	if errors.Is(err, store.ErrNotFound) {
		respondError(c, apperr.New(apperr.KindNotFound, "no_contract", "该项目尚未登记合同"))
		return
	}
	if err != nil {
		respondError(c, err)
		return
	}
	if !v.Shows(mustActor(c), authz.ContractScopes) {
		respondError(c, errNoDeliveryRead)
		return
	}
	c.JSON(http.StatusOK, ct)
}

type paymentListJSON struct {
	paymentJSON
	ProjectName     string  `json:"project_name"`
	UnitID          string  `json:"unit_id"`
	PlanYear        int     `json:"plan_year"`
	RecordedByName  string  `json:"recorded_by_name"`
	ConfirmedByName *string `json:"confirmed_by_name"`
}

func toPaymentListJSON(r store.PaymentListRow) paymentListJSON {
	return paymentListJSON{paymentJSON: toPaymentJSON(r.Payment), ProjectName: r.ProjectName, UnitID: r.UnitID,
		PlanYear: r.PlanYear, RecordedByName: r.RecordedByName, ConfirmedByName: r.ConfirmedName}
}

var paymentStatuses = []string{store.PaymentRecorded, store.PaymentConfirmed, store.PaymentRejected}

// paymentFilter reads the payment filters of a list or an export (status, unit_id, year).
func paymentFilter(c *gin.Context) (store.PaymentFilter, error) {
	f := store.PaymentFilter{Reach: authz.ReachFor(mustActor(c), authz.PaymentScopes), Status: c.Query("status"), UnitID: c.Query("unit_id")}
	if f.Status != "" && !domain.Contains(paymentStatuses, f.Status) {
		return f, apperr.Invalid(map[string]string{"status": "须为 recorded、confirmed 或 rejected"})
	}
	if f.UnitID != "" && !validOrgID.MatchString(f.UnitID) {
		return f, apperr.Invalid(map[string]string{"unit_id": "单位编号不合法"})
	}
	y, err := yearQuery(c, "year")
	f.PlanYear = y
	return f, err
}

// yearQuery reads an optional year parameter (2000–2200; 0 when absent).
func yearQuery(c *gin.Context, name string) (int, error) {
	v := c.Query(name)
	if v == "" {
		return 0, nil
	}
	y, err := strconv.Atoi(v)
	if err != nil || y < 2000 || y > 2200 {
		return 0, apperr.Invalid(map[string]string{name: "须为 2000–2200 的年份"})
	}
	return y, nil
}

// listProjectPayments answers a project's payments with what they add up to against the
// approved and contract amounts (R7, R15): what may still be recorded is the server's figure.
func (s *Server) listProjectPayments(c *gin.Context) {
	p, ok := s.loadDeliveryRecord(c, authz.PaymentScopes)
	if !ok {
		return
	}
	lq, err := parseList(c)
	if err != nil {
		respondError(c, err)
		return
	}
	ctx := c.Request.Context()
	rows, next, err := s.store.ListPayments(ctx, store.PaymentFilter{Reach: authz.ReachFor(mustActor(c), authz.PaymentScopes),
		ProjectID: p.ID, Limit: lq.Limit, Cursor: lq.Cursor})
	if err != nil {
		respondError(c, badCursor(err))
		return
	}
	sum, err := s.store.ProjectPaymentsSummary(ctx, p.ID)
	if err != nil {
		respondError(c, err)
		return
	}
	items := make([]paymentListJSON, 0, len(rows))
	for _, r := range rows {
		items = append(items, toPaymentListJSON(r))
	}
	c.JSON(http.StatusOK, gin.H{"items": items, "next_cursor": next, "summary": sum})
}

// listPayments answers the payments the actor reads across projects, newest first (Finance
// and DRB find the recorded ones to confirm, R15).
func (s *Server) listPayments(c *gin.Context) {
	lq, err := parseList(c)
	if err != nil {
		respondError(c, err)
		return
	}
	f, err := paymentFilter(c)
	if err != nil {
		respondError(c, err)
		return
	}
	f.Limit, f.Cursor = lq.Limit, lq.Cursor
	rows, next, err := s.store.ListPayments(c.Request.Context(), f)
	sendPage(c, rows, next, err, toPaymentListJSON)
}

// listOMFilings answers O&M years (R13, T4): status due (the unit's to-do), overdue (DRB's
// oversight) or filed.
func (s *Server) listOMFilings(c *gin.Context) {
	lq, err := parseList(c)
	if err != nil {
		respondError(c, err)
		return
	}
	f := store.OMFilingFilter{Reach: authz.ReachFor(mustActor(c), authz.OMFilingScopes), Status: c.Query("status"),
		UnitID: c.Query("unit_id"), ProjectID: c.Query("project_id"), Limit: lq.Limit, Cursor: lq.Cursor}
	if f.Status != "" && !domain.Contains([]string{store.OMDue, store.OMOverdue, store.OMFiled}, f.Status) {
		respondError(c, apperr.Invalid(map[string]string{"status": "须为 due、overdue 或 filed"}))
		return
	}
	if f.UnitID != "" && !validOrgID.MatchString(f.UnitID) {
		respondError(c, apperr.Invalid(map[string]string{"unit_id": "单位编号不合法"}))
		return
	}
	if len(f.ProjectID) > 64 {
		respondError(c, apperr.Invalid(map[string]string{"project_id": "项目编号不合法"}))
		return
	}
	rows, next, err := s.store.ListOMFilings(c.Request.Context(), f)
	sendPage(c, rows, next, err, asIs)
}

type deliveryCheck struct {
	Kind    string `json:"kind"`
	Present bool   `json:"present"`
}

type omYearJSON struct {
	Year  int       `json:"year"`
	DueAt time.Time `json:"due_at"`
	Filed bool      `json:"filed"`
}

// deliveryStatus answers what the delivery screens show of a project (R9–R14), every figure
// and rule from the server: the server's clock and the trial run's end (R11), the documents
// construction complete (R10) and the acceptance application (R12, R17) need under the
// project's pinned policy with which are there, the O&M year to file (R13), whether a
// contract is registered and the project's performance evaluation (R14).
func (s *Server) deliveryStatus(c *gin.Context) {
	p, ok := s.loadProject(c, authz.ProjectRead)
	if !ok {
		return
	}
	ctx := c.Request.Context()
	pol := s.policy
	if p.PolicyVersion.Valid && p.PolicyVersion.String != pol.Version {
		var err error
		if pol, err = s.store.Policy(ctx, p.PolicyVersion.String, false); err != nil {
			respondError(c, err)
			return
		}
	}
	kinds, err := s.store.DocumentKinds(ctx, p.ID)
	if err != nil {
		respondError(c, err)
		return
	}
	check := func(need []string) []deliveryCheck {
		out := make([]deliveryCheck, 0, len(need))
		for _, k := range need {
			out = append(out, deliveryCheck{Kind: k, Present: domain.Contains(kinds, k)})
		}
		return out
	}
	supervised, err := s.store.HasSupervisionChild(ctx, p.ID)
	if err != nil {
		respondError(c, err)
		return
	}
	var construction []string
	if supervised {
		construction = []string{"supervision_report"} // R10
	}
	_, cerr := s.store.Contract(ctx, p.ID)
	if cerr != nil && !errors.Is(cerr, store.ErrNotFound) {
		respondError(c, cerr)
		return
	}
	now := s.now()
	out := gin.H{"stage": p.Stage, "now": now.Format(time.RFC3339), "trial_run_ends_at": nil, "trial_run_over": false,
		"contract_registered": cerr == nil, "construction_documents": check(construction),
		"acceptance_documents": check(pol.AcceptanceDocuments(p.MLPSLevel, p.UsesCrypto)), "om": nil}
	if p.TrialRunEndsAt.Valid {
		out["trial_run_ends_at"] = p.TrialRunEndsAt.Time.Format(time.RFC3339)
		out["trial_run_over"] = !now.Before(p.TrialRunEndsAt.Time)
	}
	if p.Stage == string(domain.StageOM) {
		oms, err := s.store.OMFilings(ctx, p.ID)
		if err != nil {
			respondError(c, err)
			return
		}
		if n := len(oms); n > 0 {
			cur := oms[n-1] // the workflow opens each year's row when the year begins
			out["om"] = omYearJSON{Year: cur.Year, DueAt: cur.DueAt, Filed: cur.FiledAt != nil}
		}
	}
	// R14: evaluations is every round's evaluation, newest first; evaluation is the latest alone.
	evs, due, err := s.store.ProjectEvaluations(ctx, p.ID)
	if err != nil {
		respondError(c, err)
		return
	}
	out["evaluations"], out["evaluation"], out["next_evaluation_at"] = nonNil(evs), nil, nil
	if len(evs) > 0 {
		out["evaluation"] = evs[0]
	}
	if due != nil && p.Stage == string(domain.StageOM) { // a project out of O&M (closed) has no next round
		out["next_evaluation_at"] = due.Format(time.RFC3339)
	}
	c.JSON(http.StatusOK, out)
}

// fundsSummary answers approved vs contracted vs paid per plan year, per unit and in total
// (R15): the funds report's chart and table, summed by the server.
func (s *Server) fundsSummary(c *gin.Context) {
	y, err := yearQuery(c, "year")
	if err != nil {
		respondError(c, err)
		return
	}
	unit := c.Query("unit_id")
	if unit != "" && !validOrgID.MatchString(unit) {
		respondError(c, apperr.Invalid(map[string]string{"unit_id": "单位编号不合法"}))
		return
	}
	sum, err := s.store.FundsSummary(c.Request.Context(), y, unit)
	if err != nil {
		respondError(c, err)
		return
	}
	c.JSON(http.StatusOK, sum)
}
