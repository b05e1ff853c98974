package main

import (
	"bytes"
	"database/sql"
	"encoding/csv"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/xuri/excelize/v2"
)

// exportedSheet is one sheet of an export as excelize reads it: the header row and the rows
// under it.
type exportedSheet struct {
	name   string
	header []string
	rows   [][]string
	raw    [][]string
	f      *excelize.File
}

// readXLSX opens an .xlsx export with excelize and splits each sheet at its header row (the
// row whose first cell is 序号).
func readXLSX(t *testing.T, raw []byte) []exportedSheet {
	t.Helper()
	f, err := excelize.OpenReader(bytes.NewReader(raw))
	require.NoError(t, err, "not an .xlsx: %.200s", raw)
	t.Cleanup(func() { _ = f.Close() })
	var out []exportedSheet
	for _, name := range f.GetSheetList() {
		rows, err := f.GetRows(name)
		require.NoError(t, err)
		sh := exportedSheet{name: name, raw: rows, f: f}
		for i, r := range rows {
			if len(r) > 0 && r[0] == "序号" {
				sh.header, sh.rows = r, rows[i+1:]
				break
			}
		}
		require.NotNil(t, sh.header, "sheet %s has no header row", name)
		out = append(out, sh)
	}
	return out
}

// readCSV reads a CSV export: it starts with the UTF-8 BOM; its first line is the header.
func readCSV(t *testing.T, raw []byte) exportedSheet {
	t.Helper()
	require.True(t, bytes.HasPrefix(raw, []byte(utf8BOM)), "CSV without the UTF-8 BOM: %.40q", raw)
	recs, err := csv.NewReader(bytes.NewReader(raw[len(utf8BOM):])).ReadAll()
	require.NoError(t, err)
	require.NotEmpty(t, recs)
	return exportedSheet{header: recs[0], rows: recs[1:]}
}

// exportedColumn is column col of every data row of an export (every sheet), "" where empty.
func exportedColumn(t *testing.T, raw []byte, isCSV bool, col int) []string {
	t.Helper()
	sheets := []exportedSheet{}
	if isCSV {
		sheets = append(sheets, readCSV(t, raw))
	} else {
		sheets = readXLSX(t, raw)
	}
	var out []string
	for _, sh := range sheets {
		for _, r := range sh.rows {
			v := ""
			if col < len(r) {
				v = r[col]
			}
			out = append(out, v)
		}
	}
	return out
}

// cellNumber reads a numeric cell's raw value (the number stored, not its formatting).
func cellNumber(t *testing.T, f *excelize.File, sheet, ref string) float64 {
	t.Helper()
	v, err := f.GetCellValue(sheet, ref, excelize.Options{RawCellValue: true})
	require.NoError(t, err)
	n, err := strconv.ParseFloat(v, 64)
	require.NoError(t, err, "%s!%s = %q", sheet, ref, v)
	return n
}

func requireFen(t *testing.T, wantFen int64, got float64, per float64, what string) {
	t.Helper()
	require.Equal(t, wantFen, int64(math.Round(got*per)), "%s", what)
}

// exportFixture writes projects, plan items, contracts and payments straight into the read
// model (the exports read it; how the rows came to be is other tests' business).
func exportFixture(t *testing.T, s *stack, year int) {
	t.Helper()
	db := s.store.DB()
	_, err := db.Exec(`INSERT INTO projects (id, unit_id, name, type, plan_year, estimated_investment_fen, approved_amount_fen,
			description, mlps_level, uses_crypto, created_by, stage, deployment, deployment_reason)
		SELECT 'p-exp-' || g, CASE WHEN g % 3 = 0 THEN 'unit-b' ELSE 'unit-a' END, '导出测试项目 ' || g, 'new',
			$1 - (g % 2), 1000000 * g + 12345, CASE WHEN g <= 6 THEN 1000000 * g END, '说明', 2, false,
			CASE WHEN g % 3 = 0 THEN 'u-bob' ELSE 'u-alice' END,
			CASE WHEN g <= 4 THEN 'construction' WHEN g <= 6 THEN 'approved' ELSE 'draft' END,
			(ARRAY[NULL, 'gov_cloud', 'self_built', 'none'])[g % 4 + 1], CASE WHEN g % 4 = 2 THEN '涉密业务' ELSE '' END
		FROM generate_series(1, 9) g`, year)
	require.NoError(t, err)
	_, err = db.Exec(`INSERT INTO plan_items (plan_year, project_id, included, approved_amount_fen, reason, decided_by)
		SELECT plan_year, id, approved_amount_fen IS NOT NULL, approved_amount_fen,
			CASE WHEN approved_amount_fen IS NULL THEN '不列入' ELSE '' END, 'u-drb1'
		FROM projects WHERE id LIKE 'p-exp-%' AND plan_year = $1`, year)
	require.NoError(t, err)
	_, err = db.Exec(`INSERT INTO contracts (project_id, vendor, amount_fen, signed_on, procurement_ref, data_lists, registered_by)
		SELECT id, '某公司', approved_amount_fen - 1, '2024-01-01', 'LA-' || id, '{}', created_by
		FROM projects WHERE id LIKE 'p-exp-%' AND stage = 'construction'`)
	require.NoError(t, err)
	_, err = db.Exec(`INSERT INTO payments (id, project_id, milestone, amount_fen, paid_on, recorded_by, status, confirmed_by, confirmed_at)
		SELECT 'pay-exp-' || id || '-' || k, id, '第' || k || '笔', 1001 * k, '2024-03-01', created_by,
			CASE WHEN k = 3 THEN 'rejected' WHEN k = 2 THEN 'confirmed' ELSE 'recorded' END,
			CASE WHEN k >= 2 THEN 'u-fin1' END, CASE WHEN k >= 2 THEN now() END
		FROM projects, generate_series(1, 3) k WHERE id LIKE 'p-exp-%' AND stage = 'construction'`)
	require.NoError(t, err)
}

func (s *stack) export(user, path string) resp {
	s.t.Helper()
	return s.do(user, http.MethodGet, path, nil, nil)
}

// TestExportsMatchTheDatabase: the 项目台账, 年度计划表 and 资金拨付表 open with excelize, carry the
// Chinese headers, one sheet per plan year, the rows the actor's list shows and the totals the
// database sums; amounts are numbers in 元 (万元 for the plan) formatted with two decimals; the
// header row is frozen (and, for the plan, printed on every page of an A4 landscape sheet);
// the CSV starts with the UTF-8 BOM; every export is audited (R18); a role the list refuses is
// refused the export.
func TestExportsMatchTheDatabase(t *testing.T) {
	t.Parallel()
	s := newStack(t, "test")
	year := futureYear()
	exportFixture(t, s, year)
	db := s.store.DB()

	// 项目台账 for DRB: every project, a sheet per plan year, latest first.
	r := s.export("drb1", "/api/v1/exports/registry?q=%E5%AF%BC%E5%87%BA%E6%B5%8B%E8%AF%95")
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Raw)
	sheets := readXLSX(t, r.Raw)
	require.Equal(t, []string{fmt.Sprintf("%d年度", year), fmt.Sprintf("%d年度", year-1)}, []string{sheets[0].name, sheets[1].name})
	require.Equal(t, registryHeaders(), sheets[0].header)
	for _, sh := range sheets {
		y, _ := strconv.Atoi(strings.TrimSuffix(sh.name, "年度"))
		var n int
		require.NoError(t, db.Get(&n, `SELECT count(*) FROM projects WHERE id LIKE 'p-exp-%' AND plan_year = $1`, y))
		require.Len(t, sh.rows, n, "rows of %s", sh.name)
		for i, row := range sh.rows {
			require.Equal(t, strconv.Itoa(i+1), row[0], "序号")
			var want struct {
				Est        int64          `db:"estimated_investment_fen"`
				Name       string         `db:"name"`
				Paid       int64          `db:"paid"`
				Deployment sql.NullString `db:"deployment"`
			}
			require.NoError(t, db.Get(&want, `SELECT estimated_investment_fen, name, (SELECT coalesce(sum(amount_fen), 0) FROM payments
				WHERE project_id = p.id AND status <> 'rejected') AS paid, deployment FROM projects p WHERE id = $1`, row[1]))
			require.Equal(t, want.Name, row[2])
			require.Equal(t, map[string]string{"": "未填写", "gov_cloud": "市政务云平台", "self_built": "自建机房或独立部署", "none": "不涉及部署"}[want.Deployment.String],
				row[15], "部署方式 (基础共用)")
			requireFen(t, want.Est, cellNumber(t, sh.f, sh.name, cell(8, i+2)), 100, "估算总投资 in 元")
			requireFen(t, want.Paid, cellNumber(t, sh.f, sh.name, cell(11, i+2)), 100, "累计付款 in 元")
		}
		panes, err := sh.f.GetPanes(sh.name)
		require.NoError(t, err)
		require.True(t, panes.Freeze)
		require.Equal(t, 1, panes.YSplit, "the header row is frozen")
		style, err := sh.f.GetCellStyle(sh.name, "H2")
		require.NoError(t, err)
		st, err := sh.f.GetStyle(style)
		require.NoError(t, err)
		require.NotNil(t, st.CustomNumFmt)
		require.Equal(t, "#,##0.00", *st.CustomNumFmt, "元 with two decimals")
	}

	// A unit's registry is its own projects, and without others' amounts.
	r = s.export("bob", "/api/v1/exports/registry")
	require.Equal(t, http.StatusOK, r.Status)
	ids := exportedColumn(t, r.Raw, false, 1)
	var bobs []string
	require.NoError(t, db.Select(&bobs, `SELECT id FROM projects WHERE unit_id = 'unit-b' ORDER BY id`))
	require.ElementsMatch(t, bobs, ids)

	// The CSV: the BOM, the same header, amounts in 元 with two decimals.
	r = s.export("drb1", "/api/v1/exports/registry?format=csv&q=%E5%AF%BC%E5%87%BA%E6%B5%8B%E8%AF%95")
	require.Equal(t, http.StatusOK, r.Status)
	csvSheet := readCSV(t, r.Raw)
	require.Equal(t, registryHeaders(), csvSheet.header)
	require.Len(t, csvSheet.rows, 9)
	require.Regexp(t, `^\d+\.\d{2}$`, csvSheet.rows[0][7])

	// 年度计划表: 万元, 序号, the included items and a 合计 row with the database's totals.
	r = s.export("ndrc1", fmt.Sprintf("/api/v1/exports/plan-table?year=%d", year))
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Raw)
	plan := readXLSX(t, r.Raw)
	require.Len(t, plan, 1)
	p := plan[0]
	require.Equal(t, []string{"序号", "项目名称", "建设单位", "项目类型", "估算总投资（万元）", "计划安排金额（万元）", "审批方式", "备注"}, p.header)
	require.Contains(t, p.raw[0][0], fmt.Sprintf("%d年度电子政务项目实施计划表", year))
	require.Equal(t, "单位：万元", p.raw[1][0])
	var included int
	var est, planned int64
	require.NoError(t, db.QueryRow(`SELECT count(*), sum(p.estimated_investment_fen), sum(i.approved_amount_fen) FROM plan_items i
		JOIN projects p ON p.id = i.project_id WHERE i.plan_year = $1 AND i.included`, year).Scan(&included, &est, &planned))
	require.Len(t, p.rows, included+1, "the items and the 合计 row")
	last := len(p.raw)
	require.Equal(t, "合计", p.raw[last-1][0])
	requireFen(t, est, cellNumber(t, p.f, p.name, cell(5, last)), 1_000_000, "合计 估算总投资 in 万元")
	requireFen(t, planned, cellNumber(t, p.f, p.name, cell(6, last)), 1_000_000, "合计 计划安排 in 万元")
	formula, err := p.f.GetCellFormula(p.name, cell(6, last))
	require.NoError(t, err)
	require.Equal(t, fmt.Sprintf("SUM(F4:F%d)", last-1), formula)
	layout, err := p.f.GetPageLayout(p.name)
	require.NoError(t, err)
	require.Equal(t, "landscape", *layout.Orientation)
	require.Equal(t, 9, *layout.Size, "A4")
	names := p.f.GetDefinedName()
	require.Contains(t, names, excelize.DefinedName{Name: "_xlnm.Print_Titles", Scope: p.name, RefersTo: fmt.Sprintf("'%s'!$3:$3", p.name)})
	panes, err := p.f.GetPanes(p.name)
	require.NoError(t, err)
	require.Equal(t, 3, panes.YSplit)

	// 资金拨付表 for Finance: one sheet per year with a 合计 row of the payments not rejected.
	r = s.export("fin1", "/api/v1/exports/payments")
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Raw)
	pays := readXLSX(t, r.Raw)
	require.NotEmpty(t, pays)
	for _, sh := range pays {
		y, _ := strconv.Atoi(strings.TrimSuffix(sh.name, "年度"))
		var n int
		var total int64
		require.NoError(t, db.QueryRow(`SELECT count(*), coalesce(sum(pay.amount_fen) FILTER (WHERE pay.status <> 'rejected'), 0)
			FROM payments pay JOIN projects p ON p.id = pay.project_id WHERE p.plan_year = $1`, y).Scan(&n, &total))
		require.Len(t, sh.rows, n+1, "payments of %s and the 合计 row", sh.name)
		requireFen(t, total, cellNumber(t, sh.f, sh.name, cell(7, n+2)), 100, "合计 in 元")
	}

	// Audited as export.<name> (R18), with the query.
	var audited []string
	require.NoError(t, db.Select(&audited, `SELECT action || ' ' || actor_id FROM audit_log WHERE action LIKE 'export.%' ORDER BY seq`))
	require.Equal(t, []string{"export.registry u-drb1", "export.registry u-bob", "export.registry u-drb1", "export.plan_table u-ndrc1",
		"export.payments u-fin1"}, audited)

	// Refused like the lists: ops and admin read no project, experts no plan, crypto no payments.
	for _, c := range []struct{ user, path string }{{"ops1", "/api/v1/exports/registry"}, {"admin", "/api/v1/exports/registry"},
		{"exp2", fmt.Sprintf("/api/v1/exports/plan-table?year=%d", year)}, {"crypto1", "/api/v1/exports/payments"},
		{"drb1", "/api/v1/exports/audit-log"}, {"alice", "/api/v1/exports/audit-log"}} {
		r := s.export(c.user, c.path)
		require.Equal(t, http.StatusForbidden, r.Status, "%s %s: %s", c.user, c.path, r.Raw)
	}
	var n int
	require.NoError(t, db.Get(&n, `SELECT count(*) FROM audit_log WHERE action LIKE 'export.%'`))
	require.Equal(t, 5, n, "a refused export is not an export")
	// Bad parameters are 400, before anything is written.
	for _, path := range []string{"/api/v1/exports/registry?format=pdf", "/api/v1/exports/plan-table", "/api/v1/exports/plan-table?year=1999",
		"/api/v1/exports/plan-table?year=2030&format=csv", "/api/v1/exports/payments?status=bogus", "/api/v1/exports/audit-log?from=yesterday"} {
		user := "drbsup"
		r := s.export(user, path)
		require.Equal(t, http.StatusBadRequest, r.Status, "%s: %s", path, r.Raw)
	}

	// The audit log for 审计局: every row, oldest first, as the database holds them.
	r = s.export("audit1", "/api/v1/exports/audit-log?format=csv")
	require.Equal(t, http.StatusOK, r.Status)
	a := readCSV(t, r.Raw)
	require.NoError(t, db.Get(&n, `SELECT count(*) FROM audit_log`))
	require.Len(t, a.rows, n, "every audit row, this export's own included")
	require.Equal(t, "export.audit_log", a.rows[len(a.rows)-1][4])

	// ?project= keeps the rows about one project, as the list does.
	pid := s.createProject("alice", "审计导出测试", year, 100_000_000)
	s.submit("alice", pid)
	r = s.export("audit1", "/api/v1/exports/audit-log?format=csv&project="+pid)
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Raw)
	a = readCSV(t, r.Raw)
	require.NotEmpty(t, a.rows)
	for _, row := range a.rows {
		if row[5] == "task" {
			var p string
			require.NoError(t, db.Get(&p, `SELECT project_id FROM tasks WHERE id = $1`, row[6]))
			require.Equal(t, pid, p, "%v", row)
			continue
		}
		require.Contains(t, []string{"project:" + pid, "workflow:project:" + pid}, row[5]+":"+row[6], "%v", row)
	}
	require.Equal(t, http.StatusBadRequest, s.export("audit1", "/api/v1/exports/audit-log?project=p%20x").Status)
}

func registryHeaders() []string {
	out := make([]string, len(registryCols))
	for i, c := range registryCols {
		out[i] = c.header
	}
	return out
}

// TestDeliveryReadsFromTheServer: the figures the delivery and funds screens show are the
// server's: a project's payments with the cap (the contract amount once registered) and what
// may still be recorded (R7, R15); the funds summary per year, per unit and in total summed by
// the database; the contract with its three lists, read like the contract document (R9); the
// O&M filings due for the unit (T4) and overdue for DRB (R13); the acceptance checklist of the
// pinned policy (R12, R17).
func TestDeliveryReadsFromTheServer(t *testing.T) {
	t.Parallel()
	s := newStack(t, "test")
	year := futureYear()
	exportFixture(t, s, year)
	db := s.store.DB()

	// p-exp-1: alice's, in construction, approved 1,000,000 fen, contract 999,999 fen, payments
	// of 1001 (recorded), 2002 (confirmed) and 3003 (rejected) fen.
	r := s.do("alice", http.MethodGet, "/api/v1/projects/p-exp-1/payments", nil, nil)
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Raw)
	sum := r.Body["summary"].(map[string]any)
	require.EqualValues(t, 1_000_000, sum["approved_amount_fen"])
	require.EqualValues(t, 999_999, sum["contract_amount_fen"])
	require.EqualValues(t, 999_999, sum["cap_fen"], "the contract caps the payments once registered")
	require.EqualValues(t, 3003, sum["recorded_fen"], "rejected payments do not count")
	require.EqualValues(t, 2002, sum["confirmed_fen"])
	require.EqualValues(t, 999_999-3003, sum["remaining_fen"])
	require.Len(t, r.Body["items"], 3)
	require.Equal(t, http.StatusNotFound, s.do("bob", http.MethodGet, "/api/v1/projects/p-exp-1/payments", nil, nil).Status)

	// The funds summary is the database's sums.
	r = s.do("fin1", http.MethodGet, fmt.Sprintf("/api/v1/funds/summary?year=%d", year), nil, nil)
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Raw)
	var want struct {
		Approved, Contracted, Recorded, Confirmed int64
		Projects                                  int
	}
	require.NoError(t, db.QueryRow(`SELECT sum(p.approved_amount_fen), coalesce(sum(c.amount_fen), 0),
		coalesce(sum((SELECT sum(amount_fen) FROM payments WHERE project_id = p.id AND status <> 'rejected')), 0),
		coalesce(sum((SELECT sum(amount_fen) FROM payments WHERE project_id = p.id AND status = 'confirmed')), 0), count(*)
		FROM projects p LEFT JOIN contracts c ON c.project_id = p.id WHERE p.plan_year = $1 AND p.approved_amount_fen IS NOT NULL`, year).
		Scan(&want.Approved, &want.Contracted, &want.Recorded, &want.Confirmed, &want.Projects))
	total := r.Body["total"].(map[string]any)
	require.EqualValues(t, want.Approved, total["approved_fen"])
	require.EqualValues(t, want.Contracted, total["contracted_fen"])
	require.EqualValues(t, want.Recorded, total["recorded_fen"])
	require.EqualValues(t, want.Confirmed, total["confirmed_fen"])
	require.EqualValues(t, want.Projects, total["projects"])
	byYear := r.Body["by_year"].([]any)
	require.Len(t, byYear, 1)
	require.EqualValues(t, want.Approved, byYear[0].(map[string]any)["approved_fen"])
	var unitSum float64
	for _, u := range r.Body["by_unit"].([]any) {
		unitSum += u.(map[string]any)["approved_fen"].(float64)
	}
	require.EqualValues(t, want.Approved, unitSum)

	// The contract: its reader sees the three lists; who may not read the project gets 404.
	_, err := db.Exec(`UPDATE contracts SET data_lists = '{"demand":{"items":[{"resource":"学籍"}]},"negative":{"none_reason":"不涉及"}}' WHERE project_id = 'p-exp-1'`)
	require.NoError(t, err)
	r = s.do("alice", http.MethodGet, "/api/v1/projects/p-exp-1/contract", nil, nil)
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Raw)
	require.EqualValues(t, 999_999, r.Body["amount_fen"])
	require.Equal(t, "不涉及", r.Body["data_lists"].(map[string]any)["negative"].(map[string]any)["none_reason"])
	require.Equal(t, http.StatusOK, s.do("fin1", http.MethodGet, "/api/v1/projects/p-exp-1/contract", nil, nil).Status)
	for _, u := range []string{"bob", "ndrc1"} { // a project they do not read
		require.Equal(t, http.StatusNotFound, s.do(u, http.MethodGet, "/api/v1/projects/p-exp-1/contract", nil, nil).Status, u)
	}
	for _, u := range []string{"crypto1", "exp2", "admin"} { // roles that read no contract
		require.Equal(t, http.StatusForbidden, s.do(u, http.MethodGet, "/api/v1/projects/p-exp-1/contract", nil, nil).Status, u)
	}
	r = s.do("alice", http.MethodGet, "/api/v1/projects/p-exp-5/contract", nil, nil)
	require.Equal(t, http.StatusNotFound, r.Status)
	require.Equal(t, "no_contract", r.code())

	// O&M: p-exp-2 is in O&M with year 1 overdue and year 2 due.
	_, err = db.Exec(`UPDATE projects SET stage = 'om' WHERE id = 'p-exp-2'`)
	require.NoError(t, err)
	_, err = db.Exec(`INSERT INTO om_filings (project_id, year, due_at, overdue) VALUES ('p-exp-2', 1, now() - interval '1 day', true),
		('p-exp-2', 2, now() + interval '300 days', false)`)
	require.NoError(t, err)
	r = s.do("alice", http.MethodGet, "/api/v1/om-filings?status=due", nil, nil)
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Raw)
	require.Len(t, r.Body["items"], 1)
	require.EqualValues(t, 2, r.Body["items"].([]any)[0].(map[string]any)["year"])
	require.Empty(t, s.do("bob", http.MethodGet, "/api/v1/om-filings?status=due", nil, nil).Body["items"], "another unit's filing")
	r = s.do("drb1", http.MethodGet, "/api/v1/om-filings?status=overdue", nil, nil)
	require.Len(t, r.Body["items"], 1)
	require.EqualValues(t, 1, r.Body["items"].([]any)[0].(map[string]any)["year"])
	require.Equal(t, http.StatusForbidden, s.do("fin1", http.MethodGet, "/api/v1/om-filings", nil, nil).Status)
	require.Equal(t, http.StatusBadRequest, s.do("drb1", http.MethodGet, "/api/v1/om-filings?status=late", nil, nil).Status)

	// The delivery status: the server's clock, the O&M year to file, the acceptance checklist
	// of the policy in force (MLPS level 2: the 等保 filing too, R17).
	r = s.do("alice", http.MethodGet, "/api/v1/projects/p-exp-2/delivery", nil, nil)
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Raw)
	require.EqualValues(t, 2, r.Body["om"].(map[string]any)["year"])
	require.Equal(t, true, r.Body["contract_registered"])
	require.Equal(t, []any{map[string]any{"kind": "trial_run_report", "present": false}, map[string]any{"kind": "mlps_filing", "present": false}},
		r.Body["acceptance_documents"])
	require.NotEmpty(t, r.Body["now"])
}
