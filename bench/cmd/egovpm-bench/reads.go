package main

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"egovpm/bench"
)

// readLoad runs GET /api/v1/projects/{id} (alice, her unit's projects), GET /api/v1/tasks
// (drb1's inbox, first page) and a half-and-half mix with conns connections for d each.
func readLoad(ctx context.Context, cl *bench.Client, cpu *bench.CPUSet, projectIDs []string, conns int, d time.Duration, label string, sessions func() int64, profile func(string, time.Duration) func()) ([]string, error) {
	alice, err := cl.Token(ctx, "alice", password)
	if err != nil {
		return nil, err
	}
	drb1, err := cl.Token(ctx, "drb1", password)
	if err != nil {
		return nil, err
	}
	if len(projectIDs) == 0 {
		return nil, fmt.Errorf("no projects of unit-a to read")
	}
	getProject := func(ctx context.Context, _ int, i int64) error {
		return cl.Do(ctx, alice, http.MethodGet, "/api/v1/projects/"+projectIDs[int(i)%len(projectIDs)], nil, http.StatusOK, nil)
	}
	var items struct {
		Items []struct{} `json:"items"`
	}
	if err := cl.Do(ctx, drb1, http.MethodGet, "/api/v1/tasks", nil, http.StatusOK, &items); err != nil {
		return nil, err
	}
	listTasks := func(ctx context.Context, _ int, _ int64) error {
		return cl.Do(ctx, drb1, http.MethodGet, "/api/v1/tasks", nil, http.StatusOK, nil)
	}
	mixed := func(ctx context.Context, w int, i int64) error {
		if i%2 == 0 {
			return getProject(ctx, w, i)
		}
		return listTasks(ctx, w, i)
	}
	var out []string
	fmt.Printf("(drb1's inbox first page holds %d tasks; %d projects of unit-a are read at random)\n", len(items.Items), len(projectIDs))
	for _, r := range []struct {
		name string
		op   func(context.Context, int, int64) error
	}{{"GET /api/v1/projects/{id}", getProject}, {"GET /api/v1/tasks", listTasks}, {"mixed 50/50", mixed}} {
		cpu.WaitQuiet(30 * time.Second)
		s0 := sessions()
		wait := profile(r.name, d)
		res := bench.RunFor(ctx, r.name, conns, d, cpu, r.op)
		wait()
		fmt.Println(res.Summary("req"))
		fmt.Println("    " + res.CPU.PerOp(len(res.Latencies)))
		fmt.Printf("    new PostgreSQL sessions opened on the database during the run: %d\n", sessions()-s0)
		line := fmt.Sprintf("  %s%-26s %d conns: %.0f req/s, p50 %s, p99 %s", label, r.name, conns, res.Rate(),
			bench.Ms(res.Quantile(0.5)), bench.Ms(res.Quantile(0.99)))
		if res.Errors > 0 {
			line += fmt.Sprintf(", %d ERRORS (first: %s)", res.Errors, res.FirstError)
		}
		out = append(out, line)
	}
	return out, nil
}

func (e *env) reads(ctx context.Context) ([]string, error) {
	fmt.Printf("\n== read endpoints under load: %d connections, %s per run ==\n", e.o.readConns, e.o.readDur)
	// drb1's inbox holds the decision phase's backlog; without it, submit one.
	var open int
	if err := e.st.DB().GetContext(ctx, &open, `SELECT count(*) FROM tasks WHERE status = 'open' AND candidate_role = 'drb_reviewer'`); err != nil {
		return nil, err
	}
	if open < e.o.backlog {
		ids, _, err := e.submitted(ctx, e.o.backlog-open, e.nextYear(), 8, "读取")
		if err != nil {
			return nil, err
		}
		if err := e.waitOpenPrelim(ctx, ids); err != nil {
			return nil, err
		}
	}
	var ids []string
	if err := e.st.DB().SelectContext(ctx, &ids, `SELECT id FROM projects WHERE unit_id = 'unit-a' AND stage <> 'draft' ORDER BY id LIMIT 5000`); err != nil {
		return nil, err
	}
	var n int
	_ = e.st.DB().GetContext(ctx, &n, `SELECT count(*) FROM tasks`)
	fmt.Printf("(benchmark database: %d tasks)\n", n)
	out, err := readLoad(ctx, e.cl, e.cpu, ids, e.o.readConns, e.o.readDur, "", e.sessions(e.dbName), e.profile)
	if err != nil {
		return nil, err
	}
	return append([]string{fmt.Sprintf("read endpoints (benchmark database, %d tasks):", n)}, out...), nil
}

// sessions returns a counter of the sessions opened on database name so far
// (pg_stat_database.sessions, PostgreSQL 14+).
func (e *env) sessions(name string) func() int64 {
	return func() int64 {
		var n int64
		_ = e.st.DB().GetContext(context.Background(), &n, `SELECT coalesce(sessions, 0) FROM pg_stat_database WHERE datname = $1`, name)
		return n
	}
}
