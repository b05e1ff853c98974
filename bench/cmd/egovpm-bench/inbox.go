package main

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"egovpm/bench"
	"egovpm/internal/audit"
	"egovpm/internal/seed"
	"egovpm/internal/store"
)

// inbox seeds a separate database with a city-sized read model and measures the inbox query
// (GET /api/v1/tasks): the store call alone (the server's database time) and the HTTP round
// trip, for the first page and a deep keyset page, with the EXPLAIN of the exact SQL.
func (e *env) inbox(ctx context.Context) ([]string, error) {
	fmt.Printf("\n== inbox: %d tasks (%d open) seeded in SQL ==\n", e.o.inboxTasks, e.o.inboxOpen)
	name := e.dbName + "_inbox"
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
	if err := bench.SeedInbox(ctx, st.DB(), bench.InboxSeed{Tasks: e.o.inboxTasks, Open: e.o.inboxOpen}, os.Stdout); err != nil {
		return nil, err
	}
	var size string
	_ = st.DB().GetContext(ctx, &size, `SELECT pg_size_pretty(pg_total_relation_size('tasks'))`)
	fmt.Printf("seeded in %s; tasks table with indexes: %s\n", time.Since(t0).Round(time.Second), size)

	// The run's task queue: /readyz wants a worker polling it (this gateway only reads).
	gw, base, err := bench.StartGateway(ctx, e.bins.Server, e.dir, "server-inbox",
		bench.AppEnv(bench.DatabaseURL(name), e.devAddr, e.queue, filepath.Join(e.dir, "data-inbox")))
	if err != nil {
		return nil, err
	}
	e.procs = append(e.procs, gw)
	cl := bench.NewClient(base, 128)

	capture := &bench.Capture{}
	cdb, err := capture.OpenCapturing(bench.DatabaseURL(name))
	if err != nil {
		return nil, err
	}
	defer cdb.Close()
	cst := store.New(cdb, audit.New(bench.AuditKey))

	summary := []string{fmt.Sprintf("inbox (%d tasks, %d open; server time = the store's ListTasksJSON call, what GET /tasks runs; HTTP = client round trip, 1 client):", e.o.inboxTasks, e.o.inboxOpen)}
	for _, user := range []string{"drb1", "drbsup", "bexp7", "ndrc1"} {
		u, err := st.UserByUsername(ctx, user)
		if err != nil {
			return nil, err
		}
		f := store.TaskFilter{UserID: u.ID, OrgID: u.OrgID, Roles: u.Roles, Status: "open", Limit: 50}
		// Walk the inbox in pages of 100 to a deep cursor (30,000 tasks in, or 90 % of the inbox).
		depth, cursor := 0, ""
		for {
			wf := f
			wf.Limit, wf.Cursor = 100, cursor
			ts, next, err := cst.ListTasks(ctx, wf)
			if err != nil {
				return nil, err
			}
			depth += len(ts)
			if next == "" || depth >= 30000 {
				break
			}
			cursor = next
		}
		capture.Take()
		fmt.Printf("\n-- %s (roles %v, org %s): inbox walked to depth %d --\n", user, []string(u.Roles), u.OrgID, depth)
		tok, err := cl.Token(ctx, user, password)
		if err != nil {
			return nil, err
		}
		for _, page := range []struct {
			name   string
			cursor string
		}{{"first page", ""}, {fmt.Sprintf("deep page (after %d)", depth), cursor}} {
			pf := f
			pf.Cursor = page.cursor
			for range 20 { // warm-up, not timed: connections, prepared statements, caches
				if _, _, err := cst.ListTasksJSON(ctx, pf); err != nil {
					return nil, err
				}
				if _, err := bench.PreviousListTasks(ctx, cdb, pf); err != nil {
					return nil, err
				}
			}
			r := bench.RunItems(ctx, "store ListTasksJSON "+page.name, 1, make([]int, e.o.inboxSamples), nil, func(ctx context.Context, _ int, _ int) error {
				_, _, err := cst.ListTasksJSON(ctx, pf)
				return err
			})
			fmt.Println(r.Summary("calls"))
			path := "/api/v1/tasks?limit=50"
			if page.cursor != "" {
				path += "&cursor=" + url.QueryEscape(page.cursor)
			}
			h := bench.RunItems(ctx, "HTTP GET /tasks "+page.name, 1, make([]int, e.o.inboxSamples), nil, func(ctx context.Context, _ int, _ int) error {
				return cl.Do(ctx, tok, http.MethodGet, path, nil, http.StatusOK, nil)
			})
			fmt.Println(h.Summary("req"))
			summary = append(summary, fmt.Sprintf("  %-7s %-26s server p50 %s p99 %s | HTTP p50 %s p99 %s",
				user, page.name, bench.Ms(r.Quantile(0.5)), bench.Ms(r.Quantile(0.99)), bench.Ms(h.Quantile(0.5)), bench.Ms(h.Quantile(0.99))))
			capture.Take()
			if _, _, err := cst.ListTasksJSON(ctx, pf); err != nil {
				return nil, err
			}
			qs := capture.Take()
			if len(qs) == 0 {
				continue
			}
			q := qs[len(qs)-1]
			plan, err := bench.Explain(ctx, st.DB(), q)
			if err != nil {
				return nil, err
			}
			fmt.Printf("EXPLAIN (ANALYZE, BUFFERS) of the store's SQL, args %v:\n", q.Args)
			for _, l := range plan {
				fmt.Println("    " + l)
			}
			summary = append(summary, "          plan: "+planDigest(plan))

			// The query before the rewrite (docs/PERFORMANCE.md), on the same page: same tasks?
			want, _, err := cst.ListTasks(ctx, pf)
			if err != nil {
				return nil, err
			}
			got, err := bench.PreviousListTasks(ctx, cdb, pf)
			if err != nil {
				return nil, err
			}
			same := len(got) == len(want)
			for i := 0; same && i < len(got); i++ {
				same = got[i] == want[i].ID
			}
			pr := bench.RunItems(ctx, "previous query "+page.name, 1, make([]int, e.o.inboxSamples), nil, func(ctx context.Context, _ int, _ int) error {
				_, err := bench.PreviousListTasks(ctx, cdb, pf)
				return err
			})
			fmt.Println(pr.Summary("calls"))
			capture.Take()
			if _, err := bench.PreviousListTasks(ctx, cdb, pf); err != nil {
				return nil, err
			}
			if qs := capture.Take(); len(qs) > 0 {
				pplan, err := bench.Explain(ctx, st.DB(), qs[len(qs)-1])
				if err != nil {
					return nil, err
				}
				fmt.Println("EXPLAIN (ANALYZE, BUFFERS) of the previous query:")
				for _, l := range pplan {
					fmt.Println("    " + l)
				}
				summary = append(summary, fmt.Sprintf("          before the rewrite: server p50 %s p99 %s, same page: %v; plan: %s",
					bench.Ms(pr.Quantile(0.5)), bench.Ms(pr.Quantile(0.99)), same, planDigest(pplan)))
			}
		}
	}

	fmt.Printf("\n-- read load on the seeded database --\n")
	var ids []string
	if err := st.DB().SelectContext(ctx, &ids, `SELECT id FROM projects WHERE unit_id = 'unit-a' ORDER BY id LIMIT 5000`); err != nil {
		return nil, err
	}
	cpu := bench.NewCPUSet(map[string]int{"gateway": gw.Pid(), "bench": os.Getpid()})
	cpu.PGPids = e.pgBackends
	out, err := readLoad(ctx, cl, cpu, ids, e.o.readConns, e.o.readDur, "[inbox db] ", e.sessions(name), func(string, time.Duration) func() { return func() {} })
	if err != nil {
		return nil, err
	}
	summary = append(summary, fmt.Sprintf("read endpoints on the inbox database (%d tasks):", e.o.inboxTasks))
	return append(summary, out...), nil
}

// planDigest names the scan nodes of a plan and its execution time.
func planDigest(plan []string) string {
	var parts []string
	for _, l := range plan {
		t := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(l), "->"))
		switch {
		case strings.Contains(t, " Scan ") || strings.HasPrefix(t, "Sort ") || strings.HasPrefix(t, "Sort Method"):
			if i := strings.Index(t, "  (cost"); i > 0 {
				t = t[:i]
			}
			parts = append(parts, t)
		case strings.HasPrefix(t, "Execution Time"):
			parts = append(parts, t)
		}
	}
	return strings.Join(parts, "; ")
}
