package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"time"

	"egovpm/bench"
)

// exportRows is the size of the 项目台账 the export phase downloads (issue 18: a 10,000-row export
// must not hold the whole table in memory).
const exportRows = 10_000

// export seeds 1,000 and 10,000 projects of two plan years (half approved with a contract and a
// payment) and downloads their 项目台账 as DRB does, as .xlsx and as CSV: the time to the last
// byte and the gateway's RSS before and at its peak during each download (VmHWM, reset before
// each run through /proc/<pid>/clear_refs). A streamed export's peak does not grow with the
// rows: the 1,000-row export comes first, on a gateway that served none.
func (e *env) export(ctx context.Context) ([]string, error) {
	fmt.Printf("\n== 项目台账 export of %d projects ==\n", exportRows)
	small, large := e.nextYear(), e.nextYear()
	t0 := time.Now()
	for _, y := range []struct{ year, n int }{{small, exportRows / 10}, {large, exportRows}} {
		if err := e.seedRegistry(ctx, y.year, y.n); err != nil {
			return nil, err
		}
	}
	fmt.Printf("seeded %d + %d projects in %s\n", exportRows/10, exportRows, time.Since(t0).Round(time.Millisecond))
	token, err := e.cl.Token(ctx, "drb1", password)
	if err != nil {
		return nil, err
	}
	var out []string
	runs := []struct {
		year, rows int
		format     string
		n          int
	}{{small, exportRows / 10, "xlsx", 1}, {large, exportRows, "xlsx", 3}, {large, exportRows, "csv", 3}}
	for _, r := range runs {
		var times []time.Duration
		var size int64
		var mem []string
		for i := 0; i < r.n; i++ {
			// Reset the peak RSS (VmHWM) to the current RSS, so that it is this download's.
			if err := os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", e.gw.Pid()), []byte("5"), 0); err != nil {
				return nil, fmt.Errorf("reset the gateway's peak RSS: %w", err)
			}
			before, _ := bench.Memory(e.gw.Pid())
			t := time.Now()
			n, err := e.download(ctx, token, fmt.Sprintf("/api/v1/exports/registry?plan_year=%d&format=%s", r.year, r.format))
			if err != nil {
				return nil, err
			}
			times = append(times, time.Since(t))
			_, peak := bench.Memory(e.gw.Pid())
			mem = append(mem, fmt.Sprintf("%.1f→%.1f", mb(before), mb(peak)))
			size = n
		}
		sorted := slices.Clone(times)
		slices.Sort(sorted)
		line := fmt.Sprintf("export 项目台账 %d rows (%s, %.2f MB): best %s, median %s; gateway RSS before→peak per run (MB): %v",
			r.rows, r.format, mb(size), sorted[0].Round(time.Millisecond), sorted[len(sorted)/2].Round(time.Millisecond), mem)
		fmt.Println(line)
		out = append(out, line)
	}
	return out, nil
}

// seedRegistry writes n projects of plan year year, half approved with a contract and a payment.
func (e *env) seedRegistry(ctx context.Context, year, n int) error {
	if _, err := e.st.DB().ExecContext(ctx, `
		INSERT INTO projects (id, unit_id, name, type, plan_year, estimated_investment_fen, approved_amount_fen, description,
			mlps_level, stage, created_by, submitted_at)
		SELECT 'exp-' || $2::text || '-' || g, CASE WHEN g % 2 = 0 THEN 'unit-a' ELSE 'unit-b' END,
			'台账项目' || g || '：' || (ARRAY['智慧教育','健康医疗','城市治理','政务服务','应急管理'])[1 + g % 5] || '平台',
			'new', $2::int, 100000000 + g * 1001, CASE WHEN g % 2 = 0 THEN 90000000 + g END, '建设内容说明' || g, 2,
			CASE WHEN g % 2 = 0 THEN 'construction' ELSE 'prelim_review' END, 'u-alice', now()
		FROM generate_series(1, $1) g`, n, year); err != nil {
		return err
	}
	if _, err := e.st.DB().ExecContext(ctx, `
		INSERT INTO contracts (project_id, vendor, amount_fen, signed_on, procurement_ref, data_lists, registered_by)
		SELECT id, '某信息技术有限公司', approved_amount_fen, '2024-01-01', 'LA-' || id, '{}', 'u-alice'
		FROM projects WHERE plan_year = $1 AND approved_amount_fen IS NOT NULL AND id LIKE 'exp-%'`, year); err != nil {
		return err
	}
	_, err := e.st.DB().ExecContext(ctx, `
		INSERT INTO payments (id, project_id, milestone, amount_fen, paid_on, recorded_by)
		SELECT 'pay-' || id, id, '首付款', 1000000, '2024-02-01', 'u-alice'
		FROM projects WHERE plan_year = $1 AND approved_amount_fen IS NOT NULL AND id LIKE 'exp-%'`, year)
	return err
}

// download GETs path as token and reads the body to the end, returning its size.
func (e *env) download(ctx context.Context, token, path string) (int64, error) {
	return downloadFrom(ctx, e.base, token, path)
}

// downloadFrom is download from the gateway at base.
func downloadFrom(ctx context.Context, base, token, path string) (int64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+path, nil)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(res.Body, 500))
		return 0, fmt.Errorf("GET %s: %d %s", path, res.StatusCode, b)
	}
	return io.Copy(io.Discard, res.Body)
}
