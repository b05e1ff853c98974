package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"time"

	"egovpm/bench"
	"egovpm/internal/audit"
	"egovpm/internal/seed"
	"egovpm/internal/store"
)

// readModelSize is the decade the readmodel phase loads (-projects, -tasks, -audit).
type readModelSize struct {
	Projects, Tasks, Audit int
	Samples                int
}

// readModel loads a decade's read model into a database of its own with the COPY generator
// (bench.SeedDecade) and times the product's reads on it through a gateway of its own —
// GET /tasks first and deep page, GET /projects with filters, GET /funds, GET /audit/verify
// of the whole chain (time and the gateway's peak RSS) and the 项目台账 export of the
// decade's 10,000 new builds — beside the same reads on the run's main database holding
// 1,000 projects (issue 20, item 3).
func (e *env) readModel(ctx context.Context) ([]string, error) {
	d := bench.Decade{Projects: e.o.rm.Projects, Tasks: e.o.rm.Tasks, Audit: e.o.rm.Audit}
	fmt.Printf("\n== read model of a decade: %d projects, %d tasks (%d open), %d audit rows, loaded by COPY ==\n",
		d.Projects, d.Tasks, d.Open(), d.Audit)
	name := e.dbName + "_decade"
	e.dbs = append(e.dbs, name)
	st, err := bench.CreateDatabase(ctx, name)
	if err != nil {
		return nil, err
	}
	defer st.DB().Close()
	if err := seed.Demo(ctx, st, password); err != nil {
		return nil, err
	}
	t0 := time.Now()
	if err := bench.SeedDecade(ctx, st.DB(), audit.New(bench.AuditKey), d, os.Stdout); err != nil {
		return nil, err
	}
	var size string
	_ = st.DB().GetContext(ctx, &size, `SELECT pg_size_pretty(pg_database_size(current_database()))`)
	fmt.Printf("loaded in %s; database size %s\n", time.Since(t0).Round(time.Second), size)

	// The small database: the run's own, with 1,000 projects of one plan year.
	small := e.nextYear()
	if err := e.seedRegistry(ctx, small, 1000); err != nil {
		return nil, err
	}
	var out []string
	for _, db := range []struct {
		label, name string
		st          *store.Store
		exportQuery string
		exportRows  int
		gw          *bench.Proc
		base        string
	}{
		{label: "1,000 projects", name: e.dbName, st: e.st, exportQuery: fmt.Sprintf("plan_year=%d", small), exportRows: 1000, gw: e.gw, base: e.base},
		{label: fmt.Sprintf("decade: %d projects, %d tasks, %d audit rows", d.Projects, d.Tasks, d.Audit), name: name, st: st,
			exportQuery: "type=new", exportRows: (d.Projects + 2) / 3},
	} {
		if db.gw == nil {
			// The run's task queue: /readyz wants a worker polling it (this gateway only reads,
			// and appends its own audit rows).
			gw, base, err := bench.StartGateway(ctx, e.bins.Server, e.dir, "server-decade",
				bench.AppEnv(bench.DatabaseURL(name), e.devAddr, e.queue, filepath.Join(e.dir, "data-decade")))
			if err != nil {
				return nil, err
			}
			e.procs = append(e.procs, gw)
			db.gw, db.base = gw, base
		}
		fmt.Printf("\n-- %s (%s) --\n", db.label, db.name)
		lines, err := e.readModelReads(ctx, db.st, db.gw, db.base, db.exportQuery, db.exportRows)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", db.label, err)
		}
		out = append(out, "read model, "+db.label+":")
		out = append(out, lines...)
	}
	return out, nil
}

// readModelReads times the product's reads on one database through its gateway.
func (e *env) readModelReads(ctx context.Context, st *store.Store, gw *bench.Proc, base string, exportQuery string, exportRows int) ([]string, error) {
	cl := bench.NewClient(base, 16)
	n := e.o.rm.Samples
	tok := func(u string) (string, error) { return cl.Token(ctx, u, password) }
	var out []string
	get := func(what, user, path string) error {
		t, err := tok(user)
		if err != nil {
			return err
		}
		for range 5 { // warm-up: connections, prepared statements, caches
			if err := cl.Do(ctx, t, http.MethodGet, path, nil, http.StatusOK, nil); err != nil {
				return fmt.Errorf("%s: %w", what, err)
			}
		}
		r := bench.RunItems(ctx, what, 1, make([]int, n), nil, func(ctx context.Context, _ int, _ int) error {
			return cl.Do(ctx, t, http.MethodGet, path, nil, http.StatusOK, nil)
		})
		if r.Errors > 0 {
			return fmt.Errorf("%s: %s", what, r.FirstError)
		}
		fmt.Println(r.Summary("req"))
		out = append(out, fmt.Sprintf("  %-52s p50 %9s  p99 %9s  (%d requests, 1 client)", what, bench.Ms(r.Quantile(0.5)), bench.Ms(r.Quantile(0.99)), n))
		return nil
	}
	// The inbox: first page, and a keyset page deep in it (walked with the store's own query).
	for _, user := range []string{"drb1", "bexp7"} {
		u, err := st.UserByUsername(ctx, user)
		if errors.Is(err, store.ErrNotFound) {
			continue // the decade's experts are not in the small database
		}
		if err != nil {
			return nil, err
		}
		if err := get(fmt.Sprintf("GET /tasks %s first page", user), user, "/api/v1/tasks?limit=50"); err != nil {
			return nil, err
		}
		f := store.TaskFilter{UserID: u.ID, OrgID: u.OrgID, Roles: u.Roles, Status: "open", Limit: 100}
		depth, cursor, prev := 0, "", ""
		for depth < 30000 {
			f.Cursor = cursor
			ts, next, err := st.ListTasks(ctx, f)
			if err != nil {
				return nil, err
			}
			depth += len(ts)
			if next == "" {
				break
			}
			prev, cursor = cursor, next
		}
		if cursor == "" {
			cursor = prev
		}
		if cursor != "" {
			if err := get(fmt.Sprintf("GET /tasks %s deep page (~%d in)", user, depth), user, "/api/v1/tasks?limit=50&cursor="+url.QueryEscape(cursor)); err != nil {
				return nil, err
			}
		}
	}
	for _, q := range []string{"", "?stage=om", "?plan_year=2020&stage=om", "?unit_id=unit-a&type=new", "?q=" + url.QueryEscape("应急管理")} {
		if err := get("GET /projects"+q, "drb1", "/api/v1/projects"+q); err != nil {
			return nil, err
		}
	}
	for _, q := range []string{"", "?year=2020", "?unit_id=unit-a"} {
		if err := get("GET /funds"+q, "fin1", "/api/v1/funds"+q); err != nil {
			return nil, err
		}
	}

	// The 项目台账 export as DRB downloads it.
	dt, err := tok("drb1")
	if err != nil {
		return nil, err
	}
	for _, format := range []string{"xlsx", "csv"} {
		var times []time.Duration
		var mem []string
		var size int64
		for range 3 {
			if err := os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", gw.Pid()), []byte("5"), 0); err != nil {
				return nil, err
			}
			before, _ := bench.Memory(gw.Pid())
			t0 := time.Now()
			n, err := downloadFrom(ctx, base, dt, "/api/v1/exports/registry?"+exportQuery+"&format="+format)
			if err != nil {
				return nil, err
			}
			times = append(times, time.Since(t0))
			_, peak := bench.Memory(gw.Pid())
			mem = append(mem, fmt.Sprintf("%.1f→%.1f", mb(before), mb(peak)))
			size = n
		}
		slices.Sort(times)
		line := fmt.Sprintf("  export 项目台账 %s, %d rows (%s, %.2f MB): best %s, median %s, worst (p99 of 3) %s = %.1f µs/row (median); gateway RSS before→peak (MB): %v",
			exportQuery, exportRows, format, mb(size), times[0].Round(time.Millisecond), times[1].Round(time.Millisecond), times[2].Round(time.Millisecond),
			float64(times[1].Microseconds())/float64(exportRows), mem)
		fmt.Println(line)
		out = append(out, line)
	}
	// Audit verify of the whole chain, on the gateway: time and its peak RSS (VmHWM, reset).
	t, err := tok("audit1")
	if err != nil {
		return nil, err
	}
	// A whole chain takes minutes on a loaded machine: longer than the client's usual limit.
	vcl := bench.NewClient(base, 1)
	vcl.HTTP.Timeout = 10 * time.Minute
	var times []time.Duration
	var mem []string
	var checked int64
	for range 3 {
		if err := os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", gw.Pid()), []byte("5"), 0); err != nil {
			return nil, fmt.Errorf("reset the gateway's peak RSS: %w", err)
		}
		before, _ := bench.Memory(gw.Pid())
		var res audit.Result
		t0 := time.Now()
		if err := vcl.Do(ctx, t, http.MethodGet, "/api/v1/audit/verify", nil, http.StatusOK, &res); err != nil {
			return nil, fmt.Errorf("audit verify: %w", err)
		}
		times = append(times, time.Since(t0))
		_, peak := bench.Memory(gw.Pid())
		if !res.OK {
			return nil, fmt.Errorf("audit verify: broken at %d: %s", res.Broken, res.Reason)
		}
		checked = res.Checked
		mem = append(mem, fmt.Sprintf("%.1f→%.1f", mb(before), mb(peak)))
		fmt.Printf("    GET /audit/verify: %d rows ok in %s, gateway RSS %.1f → peak %.1f MB\n", res.Checked, times[len(times)-1].Round(time.Millisecond), mb(before), mb(peak))
	}
	slices.Sort(times)
	line := fmt.Sprintf("  GET /audit/verify: %d rows, ok; best %s, median %s = %.2f µs/row; gateway RSS before→peak per run (MB): %v",
		checked, times[0].Round(time.Millisecond), times[1].Round(time.Millisecond), float64(times[1].Microseconds())/float64(max(1, checked)), mem)
	fmt.Println(line)
	out = append(out, line)

	// The same verify in this process: Go heap allocated and the process's peak RSS.
	var ms0, ms1 runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms0)
	_ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0)
	_, rss0 := bench.Memory(os.Getpid())
	t0 := time.Now()
	res, err := audit.New(bench.AuditKey).Verify(ctx, st.DB())
	if err != nil {
		return nil, err
	}
	el := time.Since(t0)
	runtime.ReadMemStats(&ms1)
	_, rss1 := bench.Memory(os.Getpid())
	line = fmt.Sprintf("  audit.Verify in-process: %d rows in %s (%.2f µs/row), %.1f MB allocated in all, heap in use after %.1f MB, bench RSS peak %.1f → %.1f MB",
		res.Checked, el.Round(time.Millisecond), float64(el.Microseconds())/float64(max(1, res.Checked)),
		float64(ms1.TotalAlloc-ms0.TotalAlloc)/(1<<20), float64(ms1.HeapInuse)/(1<<20), mb(rss0), mb(rss1))
	fmt.Println(line)
	out = append(out, line)

	return out, nil
}
