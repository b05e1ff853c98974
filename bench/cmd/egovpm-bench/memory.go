package main

import (
	"context"
	"fmt"
	"path/filepath"
	"time"

	"go.temporal.io/sdk/client"

	"egovpm/bench"
	"egovpm/internal/domain"
	"egovpm/workflows"
)

// memory starts a fresh worker on its own task queue, opens N project workflows on it (each
// in preliminary review, the state most projects wait in) and reads the worker's RSS.
func (e *env) memory(ctx context.Context) ([]string, error) {
	n := e.o.memWorkflows
	fmt.Printf("\n== worker memory with %d open project workflows ==\n", n)
	queue := e.queue + "-mem"
	w, err := bench.StartWorker(ctx, e.bins.Worker, e.dir, "worker-mem",
		bench.AppEnv(bench.DatabaseURL(e.dbName), e.devAddr, queue, filepath.Join(e.dir, "data")))
	if err != nil {
		return nil, err
	}
	e.procs = append(e.procs, w)
	time.Sleep(3 * time.Second)
	idle, _ := bench.Memory(w.Pid())
	fmt.Printf("fresh worker pid %d, idle RSS %.1f MB\n", w.Pid(), mb(idle))

	year := e.nextYear()
	// The projects' rows, as the gateway writes them at creation (drafts of unit-a).
	t0 := time.Now()
	if _, err := e.st.DB().ExecContext(ctx, `
		INSERT INTO projects (id, unit_id, name, type, plan_year, estimated_investment_fen, description, mlps_level, stage, created_by)
		SELECT 'mem-' || g, CASE WHEN g % 2 = 0 THEN 'unit-a' ELSE 'unit-b' END, '常驻项目' || g || '：' || (ARRAY['智慧教育','健康医疗','城市治理','政务服务','应急管理'])[1 + g % 5] || '平台',
			'new', $2, $3, '建设内容说明' || g, 2, 'draft', 'u-alice'
		FROM generate_series(1, $1) g`, n, year, fenSmall); err != nil {
		return nil, err
	}
	actor := domain.Actor{ID: "u-alice", OrgID: "unit-a", Roles: []string{domain.RoleSubmitter}, Name: "王丽（市教育局）"}
	// As the gateway's submit does: start the year's plan if it is not running.
	if _, err := e.tc.ExecuteWorkflow(ctx, workflows.PlanStartOptions(year, queue), workflows.AnnualPlan, workflows.AnnualPlanInput{Year: year, Policy: e.policy}); err != nil {
		return nil, err
	}
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i + 1
	}
	if err := bench.Parallel(ctx, 16, idx, func(ctx context.Context, g int) error {
		pid := fmt.Sprintf("mem-%d", g)
		unit := "unit-b"
		if g%2 == 0 {
			unit = "unit-a"
		}
		_, err := e.tc.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: workflows.ProjectWorkflowID(pid), TaskQueue: queue},
			workflows.ProjectLifecycle, workflows.ProjectLifecycleInput{ProjectID: pid, UnitID: unit, Name: "常驻项目", PlanYear: year,
				EstimatedFen: fenSmall, MLPSLevel: 2, Policy: e.policy, SubmittedBy: actor})
		return err
	}); err != nil {
		return nil, err
	}
	started := time.Since(t0)
	fmt.Printf("%d workflows started in %s (%.0f /s)\n", n, started.Round(time.Millisecond), float64(n)/started.Seconds())
	if err := e.waitCount(ctx, "open prelim tasks of the memory phase", n, 30*time.Minute,
		`SELECT count(*) FROM tasks WHERE project_id LIKE 'mem-%' AND status = 'open'`); err != nil {
		return nil, err
	}
	openRSS, _ := bench.Memory(w.Pid())
	fmt.Printf("all %d in prelim review after %s; worker RSS %.1f MB (similarity activities may still run)\n", n, time.Since(t0).Round(time.Millisecond), mb(openRSS))
	// Similarity activities (R16) run after the start, off the decision path; wait for them.
	quiet := bench.NewCPUSet(map[string]int{"devserver": e.dev.Pid(), "worker-mem": w.Pid()}).WaitQuiet(30 * time.Minute)
	fmt.Printf("quiet after a further %s (total %s)\n", quiet.Round(time.Second), time.Since(t0).Round(time.Second))
	var sims int
	_ = e.st.DB().GetContext(ctx, &sims, `SELECT count(DISTINCT project_id) FROM project_similar WHERE project_id LIKE 'mem-%'`)
	rss, peak := bench.Memory(w.Pid())
	devRSS, _ := bench.Memory(e.dev.Pid())
	fmt.Printf("worker RSS with %d open project workflows: %.1f MB (peak %.1f MB, idle %.1f MB); devserver RSS %.1f MB; %d projects got similarity candidates\n",
		n, mb(rss), mb(peak), mb(idle), mb(devRSS), sims)
	out := []string{fmt.Sprintf("worker memory: RSS %.1f MB with N=%d open project workflows just started (peak %.1f MB, idle %.1f MB; includes the N similarity activities of the burst; sticky cache EGOVPM_WORKFLOW_CACHE, default 2000)",
		mb(rss), n, mb(peak), mb(idle))}

	return out, nil
}

func mb(b int64) float64 { return float64(b) / (1 << 20) }
