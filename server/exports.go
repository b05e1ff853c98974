package main

import (
	"database/sql"
	"encoding/csv"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
	"go.uber.org/zap"

	"egovpm/internal/apperr"
	"egovpm/internal/audit"
	"egovpm/internal/authz"
	"egovpm/internal/calendar"
	"egovpm/internal/domain"
	"egovpm/internal/logging"
	"egovpm/internal/store"
)

// The exports (issue 18): 年度计划表, 项目台账, 资金拨付表 and the audit log, as .xlsx (excelize's
// StreamWriter) or, where a machine reads them, CSV in UTF-8 with a BOM. Each is authorized
// exactly like the list it comes from (the same route rule and the same reach), audited
// (export.<name>, R18) before a byte is sent, and streamed: rows are read one at a time.

const (
	mimeXLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	mimeCSV  = "text/csv; charset=utf-8"
	utf8BOM  = "\xEF\xBB\xBF"
)

// Chinese names of the vocabulary, for the sheets (the web UI has its own for the screens).
var (
	stageNamesZH = domain.StageNames
	typeNamesZH  = map[string]string{"new": "新建", "continuation": "续建", "om": "运维", "service": "购买服务", "design": "设计",
		"supervision": "监理", "testing": "测评", "security": "安全"}
	paymentStatusZH = map[string]string{store.PaymentRecorded: "待确认", store.PaymentConfirmed: "已确认", store.PaymentRejected: "已退回"}
)

func zh(m map[string]string, k string) string {
	if v, ok := m[k]; ok {
		return v
	}
	return k
}

// exportFormat reads ?format= (xlsx by default; csv where allowed).
func exportFormat(c *gin.Context, csvAllowed bool) (string, error) {
	f := c.DefaultQuery("format", "xlsx")
	if f == "xlsx" || (f == "csv" && csvAllowed) {
		return f, nil
	}
	if csvAllowed {
		return "", apperr.Invalid(map[string]string{"format": "须为 xlsx 或 csv"})
	}
	return "", apperr.Invalid(map[string]string{"format": "须为 xlsx"})
}

// startExport records the export in the audit log (R18) and sends the download's headers:
// nothing is sent when the audit row cannot be written.
func (s *Server) startExport(c *gin.Context, name, title, format string) bool {
	err := s.store.WithTx(c.Request.Context(), func(tx *store.Tx) error {
		return s.audit(c, tx, "export."+name, "export", name, "ok", gin.H{"format": format, "query": c.Request.URL.RawQuery})
	})
	if err != nil {
		respondError(c, err)
		return false
	}
	day := s.now().In(calendar.Shanghai).Format("20060102")
	c.Header("Content-Disposition", contentDisposition(title+"-"+day+"."+format))
	c.Header("Cache-Control", "no-store")
	if format == "csv" {
		c.Header("Content-Type", mimeCSV)
	} else {
		c.Header("Content-Type", mimeXLSX)
	}
	c.Status(http.StatusOK)
	return true
}

// sendBook writes a finished workbook (audited first) or answers the error that stopped it.
func (s *Server) sendBook(c *gin.Context, b *xlsxBook, name, title string, err error) {
	if err != nil {
		respondError(c, err)
		return
	}
	if err := b.end(); err != nil {
		respondError(c, err)
		return
	}
	if !s.startExport(c, name, title, "xlsx") {
		return
	}
	if err := b.write(c.Writer); err != nil {
		// The status is sent: the truncated download is the client's sign; the log keeps why.
		logging.Ctx(c.Request.Context(), s.log).Warn("export write failed", zap.String("export", name), zap.Error(err), zap.String("request_id", c.GetString(ctxRequestID)))
	}
}

// csvOut streams CSV rows after the BOM (Excel on Chinese Windows reads UTF-8 then).
type csvOut struct {
	w *csv.Writer
}

func (s *Server) startCSV(c *gin.Context, name, title string, header []string) (*csvOut, bool) {
	if !s.startExport(c, name, title, "csv") {
		return nil, false
	}
	_, _ = c.Writer.WriteString(utf8BOM)
	out := &csvOut{w: csv.NewWriter(c.Writer)}
	_ = out.w.Write(header)
	return out, true
}

// exportCSV streams one CSV export: the header of cols, then every row each yields, numbered
// from 1 and formatted by its column's kind.
func exportCSV[R any](s *Server, c *gin.Context, name, title string, cols []xlsxCol, values func(n int, r R) []any, each func(yield func(R) error) error) {
	header := make([]string, len(cols))
	for i, col := range cols {
		header[i] = col.header
	}
	out, ok := s.startCSV(c, name, title, header)
	if !ok {
		return
	}
	n := 0
	err := each(func(r R) error {
		n++
		vals := values(n, r)
		rec := make([]string, len(vals))
		for i, v := range vals {
			rec[i] = csvValue(cols[i].kind, v)
		}
		return out.row(rec...)
	})
	out.finish(s, c, name, err)
}

func (o *csvOut) row(vals ...string) error {
	if err := o.w.Write(vals); err != nil {
		return err
	}
	return nil
}

func (o *csvOut) finish(s *Server, c *gin.Context, name string, err error) {
	o.w.Flush()
	if err == nil {
		err = o.w.Error()
	}
	if err != nil {
		// The status is sent: the truncated download is the client's sign; the log keeps why.
		logging.Ctx(c.Request.Context(), s.log).Warn("export stream failed", zap.String("export", name), zap.Error(err), zap.String("request_id", c.GetString(ctxRequestID)))
	}
}

func dateOf(t time.Time) string { return t.In(calendar.Shanghai).Format("2006-01-02") }

func timeOf(t time.Time) string { return t.In(calendar.Shanghai).Format("2006-01-02 15:04:05") }

var registryCols = []xlsxCol{{"序号", 7, xlsxInt}, {"项目编号", 24, xlsxText}, {"项目名称", 36, xlsxText}, {"建设单位", 18, xlsxText},
	{"项目类型", 10, xlsxText}, {"计划年度", 10, xlsxInt}, {"阶段", 12, xlsxText}, {"估算总投资（元）", 18, xlsxYuan},
	{"批复金额（元）", 18, xlsxYuan}, {"合同金额（元）", 18, xlsxYuan}, {"累计付款（元）", 18, xlsxYuan}, {"提交日期", 12, xlsxText},
	{"试运行结束", 12, xlsxText}, {"最近更新", 20, xlsxText}, {"政策版本", 10, xlsxText}, {"部署方式", 18, xlsxText}}

func registryValues(n int, r store.RegistryRow) []any {
	opt := func(v int64, ok bool) any {
		if !ok {
			return nil
		}
		return v
	}
	date := func(t time.Time, ok bool) any {
		if !ok {
			return nil
		}
		return dateOf(t)
	}
	return []any{n, r.ID, r.Name, r.UnitName, zh(typeNamesZH, r.Type), r.PlanYear, zh(stageNamesZH, r.Stage), r.EstimatedInvestmentFen,
		opt(r.ApprovedAmountFen.Int64, r.ApprovedAmountFen.Valid), opt(r.ContractFen.Int64, r.ContractFen.Valid),
		opt(r.PaidFen.Int64, r.PaidFen.Valid), date(r.SubmittedAt.Time, r.SubmittedAt.Valid),
		date(r.TrialRunEndsAt.Time, r.TrialRunEndsAt.Valid), timeOf(r.UpdatedAt), r.PolicyVersion.String, deploymentCell(r.Deployment)}
}

// deploymentCell names where a project's system runs (基础共用); 未填写 for a project created
// before the unit was asked.
func deploymentCell(d sql.NullString) string {
	if !d.Valid {
		return "未填写"
	}
	return zh(domain.DeploymentNames, d.String)
}

// exportRegistry exports the 项目台账: the projects GET /api/v1/projects would list to the actor
// (same filters), one sheet per plan year.
func (s *Server) exportRegistry(c *gin.Context) {
	format, err := exportFormat(c, true)
	if err != nil {
		respondError(c, err)
		return
	}
	a := mustActor(c)
	pq, err := parseProjectQuery(c)
	f := store.RegistryFilter{Reach: authz.ReachOf(a), ContractReach: authz.ReachFor(a, authz.ContractScopes),
		PaymentReach: authz.ReachFor(a, authz.PaymentScopes), UnitID: pq.UnitID, Stage: pq.Stage,
		Type: pq.Type, Q: pq.Q, PlanYear: pq.PlanYear, Deployment: pq.Deployment}
	if err != nil {
		respondError(c, err)
		return
	}
	ctx := c.Request.Context()
	if format == "csv" {
		exportCSV(s, c, "registry", "项目台账", registryCols, registryValues,
			func(yield func(store.RegistryRow) error) error { return s.store.EachRegistryRow(ctx, f, yield) })
		return
	}
	b, err := newXLSXBook()
	if err != nil {
		respondError(c, err)
		return
	}
	defer b.close()
	year, n := -1, 0
	err = s.store.EachRegistryRow(ctx, f, func(r store.RegistryRow) error {
		if r.PlanYear != year {
			year, n = r.PlanYear, 0
			if err := b.sheet(fmt.Sprintf("%d年度", year), "", "", registryCols); err != nil {
				return err
			}
		}
		n++
		return b.add(registryValues(n, r)...)
	})
	if err == nil && year == -1 {
		err = b.sheet("项目台账", "", "", registryCols) // no project: the headers alone
	}
	s.sendBook(c, b, "registry", "项目台账", err)
}

// csvValue is a cell of a CSV export: amounts in 元 with two decimals, empty for none.
func csvValue(k xlsxKind, v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case int64:
		switch k {
		case xlsxYuan:
			return yuan(x)
		case xlsxWan:
			return fmt.Sprintf("%d.%06d", x/1_000_000, x%1_000_000)
		}
		return strconv.FormatInt(x, 10)
	case int:
		return strconv.Itoa(x)
	case string:
		return x
	}
	return fmt.Sprint(v)
}

var planTableCols = []xlsxCol{{"序号", 7, xlsxInt}, {"项目名称", 40, xlsxText}, {"建设单位", 20, xlsxText}, {"项目类型", 10, xlsxText},
	{"估算总投资（万元）", 18, xlsxWan}, {"计划安排金额（万元）", 20, xlsxWan}, {"审批方式", 14, xlsxText}, {"备注", 24, xlsxText}}

// exportPlanTable exports the 年度计划表 of a plan year (R5): its included items in 万元, with
// 序号 and a 合计 row, set up for A4 landscape with the header row on every page. Read like
// GET /api/v1/plans/{year} (the compiled items are every plan reader's).
func (s *Server) exportPlanTable(c *gin.Context) {
	if _, err := exportFormat(c, false); err != nil {
		respondError(c, err)
		return
	}
	year, err := yearQuery(c, "year")
	if err == nil && year == 0 {
		err = apperr.Invalid(map[string]string{"year": "必填"})
	}
	if err != nil {
		respondError(c, err)
		return
	}
	rows, totals, err := s.store.PlanTable(c.Request.Context(), year)
	if err != nil {
		respondError(c, err)
		return
	}
	b, err := newXLSXBook()
	if err != nil {
		respondError(c, err)
		return
	}
	defer b.close()
	err = b.sheet(fmt.Sprintf("%d年度计划", year), fmt.Sprintf("六安市%d年度电子政务项目实施计划表", year), "单位：万元", planTableCols)
	for i, r := range rows {
		if err != nil {
			break
		}
		route := "单独审批"
		switch {
		case r.Bundled:
			route = "打捆审批"
		case r.Supplementary:
			route = "专题请示"
		}
		note := ""
		if r.Supplementary {
			note = "计划外补充项目"
		}
		if r.PlanAmountFen < r.EstimatedInvestmentFen {
			if note != "" {
				note += "；"
			}
			note += "核减"
		}
		err = b.add(i+1, r.Name, r.UnitName, zh(typeNamesZH, r.Type), r.EstimatedInvestmentFen, r.PlanAmountFen, route, note)
	}
	if err == nil {
		err = b.total("合计", map[int]int64{4: totals[0], 5: totals[1]})
	}
	s.sendBook(c, b, "plan_table", fmt.Sprintf("%d年度计划表", year), err)
}

var paymentCols = []xlsxCol{{"序号", 7, xlsxInt}, {"项目编号", 24, xlsxText}, {"项目名称", 32, xlsxText}, {"建设单位编号", 14, xlsxText},
	{"计划年度", 10, xlsxInt}, {"付款节点", 20, xlsxText}, {"付款金额（元）", 18, xlsxYuan}, {"付款日期", 12, xlsxText},
	{"状态", 10, xlsxText}, {"登记人", 12, xlsxText}, {"确认人", 12, xlsxText}, {"确认时间", 20, xlsxText}, {"说明", 24, xlsxText}}

func paymentValues(n int, r store.PaymentListRow) []any {
	confirmed, at := "", ""
	if r.ConfirmedName != nil {
		confirmed = *r.ConfirmedName
	}
	if r.ConfirmedAt.Valid {
		at = timeOf(r.ConfirmedAt.Time)
	}
	return []any{n, r.ProjectID, r.ProjectName, r.UnitID, r.PlanYear, r.Milestone, r.AmountFen, r.PaidOn,
		zh(paymentStatusZH, r.Status), r.RecordedByName, confirmed, at, r.Comment}
}

// exportPayments exports the 资金拨付表 (R15): the payments GET /api/v1/payments would list to the
// actor (same filters), one sheet per plan year with a 合计 row of its payments not rejected.
func (s *Server) exportPayments(c *gin.Context) {
	format, err := exportFormat(c, true)
	if err != nil {
		respondError(c, err)
		return
	}
	f, err := paymentFilter(c)
	if err != nil {
		respondError(c, err)
		return
	}
	ctx := c.Request.Context()
	if format == "csv" {
		exportCSV(s, c, "payments", "资金拨付表", paymentCols, paymentValues,
			func(yield func(store.PaymentListRow) error) error { return s.store.EachPayment(ctx, f, yield) })
		return
	}
	totals, err := s.store.PaymentTotals(ctx, f)
	if err != nil {
		respondError(c, err)
		return
	}
	b, err := newXLSXBook()
	if err != nil {
		respondError(c, err)
		return
	}
	defer b.close()
	year, n := -1, 0
	closeYear := func() error {
		if year == -1 {
			return nil
		}
		return b.total("合计（不含已退回）", map[int]int64{6: totals[year]})
	}
	err = s.store.EachPayment(ctx, f, func(r store.PaymentListRow) error {
		if r.PlanYear != year {
			if err := closeYear(); err != nil {
				return err
			}
			year, n = r.PlanYear, 0
			if err := b.sheet(fmt.Sprintf("%d年度", year), "", "", paymentCols); err != nil {
				return err
			}
		}
		n++
		return b.add(paymentValues(n, r)...)
	})
	if err == nil {
		if year == -1 {
			err = b.sheet("资金拨付表", "", "", paymentCols)
		} else {
			err = closeYear()
		}
	}
	s.sendBook(c, b, "payments", "资金拨付表", err)
}

var auditCols = []xlsxCol{{"序号", 10, xlsxInt}, {"时间", 20, xlsxText}, {"操作人", 16, xlsxText}, {"所属单位", 12, xlsxText},
	{"操作", 24, xlsxText}, {"对象类型", 12, xlsxText}, {"对象编号", 26, xlsxText}, {"结果", 10, xlsxText},
	{"请求编号", 20, xlsxText}, {"追踪编号", 34, xlsxText}, {"客户端地址", 16, xlsxText}, {"详情", 60, xlsxText},
	{"行哈希", 20, xlsxText}}

// auditValues is r's line in the audit log export; 追踪编号 is its trace id (empty: none).
func auditValues(r audit.Row) []any {
	return []any{r.Seq, timeOf(r.At), r.ActorID, r.OrgID, r.Action, r.ObjectType, r.ObjectID, r.Outcome, r.RequestID,
		traceText(r.TraceID), r.ClientIP, string(r.Detail), r.Hash}
}

// traceText is a row's trace id as exported ("" for none).
func traceText(id *string) string {
	if id == nil {
		return ""
	}
	return *id
}

// exportAuditLog exports the audit log for 审计局 (R18): the rows GET /api/v1/audit would list
// (same filters), oldest first, one sheet per calendar year (Asia/Shanghai).
func (s *Server) exportAuditLog(c *gin.Context) {
	format, err := exportFormat(c, true)
	if err != nil {
		respondError(c, err)
		return
	}
	f := store.AuditFilter{Object: c.Query("object"), Actor: c.Query("actor")}
	var ok bool
	if f.Project, ok = auditProjectParam(c); !ok {
		return
	}
	for k, dst := range map[string]*time.Time{"from": &f.From, "to": &f.To} {
		if v := c.Query(k); v != "" {
			t, perr := time.Parse(time.RFC3339, v)
			if perr != nil {
				respondError(c, apperr.Invalid(map[string]string{k: "须为 RFC 3339 时间"}))
				return
			}
			*dst = t
		}
	}
	ctx := c.Request.Context()
	if format == "csv" {
		exportCSV(s, c, "audit_log", "审计日志", auditCols, func(_ int, r audit.Row) []any { return auditValues(r) },
			func(yield func(audit.Row) error) error { return s.store.EachAuditRow(ctx, f, yield) })
		return
	}
	b, err := newXLSXBook()
	if err != nil {
		respondError(c, err)
		return
	}
	defer b.close()
	year := -1
	err = s.store.EachAuditRow(ctx, f, func(r audit.Row) error {
		if y := r.At.In(calendar.Shanghai).Year(); y != year {
			year = y
			if err := b.sheet(fmt.Sprintf("%d年", year), "", "", auditCols); err != nil {
				return err
			}
		}
		return b.add(auditValues(r)...)
	})
	if err == nil && year == -1 {
		err = b.sheet("审计日志", "", "", auditCols)
	}
	s.sendBook(c, b, "audit_log", "审计日志", err)
}
