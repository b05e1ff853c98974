package main

import (
	"context"
	"fmt"
	"time"

	"github.com/lib/pq"

	"egovpm/bench"
	"egovpm/internal/domain"
	"egovpm/workflows"
)

const (
	fenSmall = int64(500_000_000) // 5 million CNY: a small project (bundle route, R6)
	warmOps  = 20
)

// submitted creates n projects in plan year through HTTP (alternating the two demo units) and
// submits them; it returns their ids and the time the submits took.
func (e *env) submitted(ctx context.Context, n, year, clients int, label string) ([]string, time.Duration, error) {
	ids := make([]string, n)
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	users := []string{"alice", "bob"}
	toks := map[string]string{}
	for _, u := range users {
		t, err := e.cl.Token(ctx, u, password)
		if err != nil {
			return nil, 0, err
		}
		toks[u] = t
	}
	err := bench.Parallel(ctx, clients, idx, func(ctx context.Context, i int) error {
		u := users[i%2]
		id, err := e.cl.CreateProject(ctx, toks[u], fmt.Sprintf("%s项目%05d：政务服务数据共享平台", label, i), year, fenSmall)
		ids[i] = id
		return err
	})
	if err != nil {
		return nil, 0, err
	}
	t0 := time.Now()
	err = bench.Parallel(ctx, clients, idx, func(ctx context.Context, i int) error {
		return e.cl.Submit(ctx, toks[users[i%2]], ids[i])
	})
	return ids, time.Since(t0), err
}

// prelimTask is the task id ProjectLifecycle gives a project's first preliminary review
// (workflow id + kind + round).
func prelimTask(projectID string) string {
	return workflows.ProjectWorkflowID(projectID) + ":" + string(domain.TaskPrelimReview) + ":1"
}

func (e *env) waitOpenPrelim(ctx context.Context, ids []string) error {
	tasks := make([]string, len(ids))
	for i, id := range ids {
		tasks[i] = prelimTask(id)
	}
	// Ten minutes, and more for many projects on a loaded machine (5,120 took over ten).
	return e.waitCount(ctx, "open prelim tasks", len(ids), 10*time.Minute+time.Duration(len(ids))*200*time.Millisecond,
		`SELECT count(*) FROM tasks WHERE id = ANY($1) AND status = 'open'`, pq.Array(tasks))
}

// profileFor is how long a profile taken at the start of a run of n operations by c clients
// lasts: most of the run (2–10 s).
func profileFor(n, c int) time.Duration {
	return time.Duration(max(2, min(10, n/(40*c)))) * time.Second
}

// baselineKinds are the bare-Temporal runs beside the decisions, in the order they run.
var baselineKinds = []struct {
	key, name string
	in        func(c int) bench.BaselineInput
}{
	{"floor", "floor (local activity)", func(int) bench.BaselineInput { return bench.BaselineInput{Local: true} }},
	{"regular", "regular activity", func(int) bench.BaselineInput { return bench.BaselineInput{} }},
	{"signal", "floor + signal to 1 workflow", func(c int) bench.BaselineInput {
		return bench.BaselineInput{Local: true, SignalTo: fmt.Sprintf("sink-%d", c)}
	}},
	{"version", "floor + 1 new GetVersion", func(int) bench.BaselineInput { return bench.BaselineInput{Local: true, Versions: 1} }},
	{"versions5", "floor + 5 new GetVersions", func(int) bench.BaselineInput { return bench.BaselineInput{Local: true, Versions: 5} }},
}

// decisionRun is one level's decision run, with the gateway's, the worker's and the
// devserver's profiles when -profile is set.
func (e *env) decisionRun(ctx context.Context, c int, tasks []string, app func(context.Context, int, string) error) bench.Result {
	e.cpu.WaitQuiet(time.Minute)
	name := fmt.Sprintf("decisions-c%d", c)
	pd := profileFor(len(tasks), c)
	waitGw, waitWorker := e.profile(name, pd), e.profileOf("worker", e.workerPprof, name, pd)
	waitDev := e.profileOf("devserver", e.ts.PprofAddr, name, pd)
	d := bench.RunItems(ctx, "decision (HTTP, full stack)", c, tasks, e.cpu, app)
	waitGw()
	waitWorker()
	waitDev()
	fmt.Println(d.Summary("ops"))
	fmt.Println("    " + d.CPU.PerOp(len(d.Latencies)))
	return d
}

// decisions measures the decision round trip beside the baselines; withApp false runs the
// baselines alone (phase "floor", to compare Temporal stores quickly).
func (e *env) decisions(ctx context.Context, withApp bool) ([]string, error) {
	if withApp {
		fmt.Printf("\n== decision round trip: POST /api/v1/tasks/{id}/decision (prelim approve) vs bare Temporal ==\n")
	} else {
		fmt.Printf("\n== bare Temporal baselines: the decision Update on a bare workflow ==\n")
	}
	counts := map[int]int{}
	total := warmOps + e.o.backlog
	for _, c := range e.o.levels {
		counts[c] = max(e.o.decisions, 25*c)
		total += counts[c]
	}
	toks := make([]string, maxLevel(e.o))
	var warmApp []string
	appTasks := map[int][]string{}
	if withApp {
		// Reviewers: each client signs in once as its own DRB reviewer.
		for i := range toks {
			t, err := e.cl.Login(ctx, reviewer(i+1), password)
			if err != nil {
				return nil, err
			}
			toks[i] = t
		}
		// Open tasks: one project per decision, created and submitted through HTTP, one plan
		// year per concurrency level (the decisions of a level report to one AnnualPlan).
		t0 := time.Now()
		var subDur time.Duration
		var ids []string
		years := map[int]int{}
		for _, c := range e.o.levels {
			years[c] = e.nextYear()
		}
		warmYear := e.nextYear()
		for _, part := range []struct {
			year, n int
			dst     func([]string)
		}{
			{warmYear, warmOps + e.o.backlog, func(s []string) { warmApp = s[:warmOps] }},
		} {
			got, d, err := e.submitted(ctx, part.n, part.year, 8, "决策")
			if err != nil {
				return nil, err
			}
			part.dst(got)
			ids, subDur = append(ids, got...), subDur+d
		}
		for _, c := range e.o.levels {
			got, d, err := e.submitted(ctx, counts[c], years[c], 8, "决策")
			if err != nil {
				return nil, err
			}
			appTasks[c] = tasksOf(got)
			ids, subDur = append(ids, got...), subDur+d
		}
		if err := e.waitOpenPrelim(ctx, ids); err != nil {
			return nil, err
		}
		fmt.Printf("setup: %d projects created and submitted through HTTP (8 clients) in %s; submits alone %.1f /s\n",
			total, time.Since(t0).Round(time.Millisecond), float64(total)/subDur.Seconds())
	}

	// Baselines: one open workflow per Update, like one project per decision.
	base := map[string]map[int][]string{}
	warm := map[string][]string{}
	t0 := time.Now()
	for _, k := range baselineKinds {
		base[k.key] = map[int][]string{}
		for i := range warmOps {
			warm[k.key] = append(warm[k.key], fmt.Sprintf("%s-warm-%d", k.key, i))
		}
		if err := bench.StartBaselines(ctx, e.tc, warm[k.key], k.in(0)); err != nil {
			return nil, err
		}
		for _, c := range e.o.levels {
			for i := range counts[c] {
				base[k.key][c] = append(base[k.key][c], fmt.Sprintf("%s-%d-%d", k.key, c, i))
			}
			if err := bench.StartBaselines(ctx, e.tc, base[k.key][c], k.in(c)); err != nil {
				return nil, err
			}
		}
	}
	fmt.Printf("setup: baseline workflows started in %s\n", time.Since(t0).Round(time.Millisecond))
	fmt.Printf("waiting for the stack to go quiet (similarity activities, plan signals): %s\n", e.cpu.WaitQuiet(5*time.Minute).Round(time.Second))

	body := map[string]any{"decision": "approve", "comment": "符合申报条件"}
	app := func(ctx context.Context, w int, task string) error { return e.cl.Decide(ctx, toks[w], task, body) }
	actor := domain.Actor{ID: "u-drb1", OrgID: "drb", Roles: []string{domain.RoleDRBReviewer}, Name: "李审（市数管局）"}
	baseline := func(ctx context.Context, _ int, wf string) error {
		return bench.BaselineDecide(ctx, e.tc, wf, "decide:"+wf, workflows.DecideUpdate{TaskID: wf + ":prelim_review:1",
			Actor: actor, Decision: "approve", Comment: "符合申报条件", RequestID: wf})
	}
	// Warm-up (not counted): connections, caches, first calls.
	warmRuns := []bench.Result{}
	for _, k := range baselineKinds {
		warmRuns = append(warmRuns, bench.RunItems(ctx, "warm "+k.key, 1, warm[k.key], nil, baseline))
	}
	if withApp {
		warmRuns = append(warmRuns, bench.RunItems(ctx, "warm decision", 1, tasksOf(warmApp), nil, app))
	}
	for _, w := range warmRuns {
		if w.Errors > 0 {
			fmt.Printf("warning: %s: %d of %d warm-up operations failed (first: %s)\n", w.Name, w.Errors, warmOps, w.FirstError)
		}
	}

	var summary []string
	summary = append(summary, fmt.Sprintf("decision round trip (devserver store %s; client-side latency over HTTP keep-alive; floor = the same Update on a bare workflow running 1 local activity, regular = 1 regular activity with eager execution on):", e.o.store))
	for _, c := range e.o.levels {
		fmt.Printf("\n-- %d concurrent clients, %d operations each --\n", c, counts[c])
		res := map[string]bench.Result{}
		for _, k := range baselineKinds {
			e.cpu.WaitQuiet(time.Minute)
			waitDev := func() {}
			if k.key == "floor" && withApp {
				// The devserver's profile under the floor, to set beside its profile under the decisions.
				waitDev = e.profileOf("devserver", e.ts.PprofAddr, fmt.Sprintf("floor-c%d", c), profileFor(len(base[k.key][c]), c))
			}
			r := bench.RunItems(ctx, k.name, c, base[k.key][c], e.cpu, baseline)
			waitDev()
			res[k.key] = r
			fmt.Println(r.Summary("ops"))
			fmt.Println("    " + r.CPU.PerOp(len(r.Latencies)))
			if k.key == "floor" && withApp {
				// The decisions right after the floor, before the other baselines: those leave
				// the devserver busier for a while (the signal baseline's sink workflows, the
				// versions' visibility writes), and the run after them paid for it.
				res["decision"] = e.decisionRun(ctx, c, appTasks[c], app)
			}
		}
		d := res["decision"]
		f, g, sg := res["floor"], res["regular"], res["signal"]
		line := fmt.Sprintf("  c=%-2d floor p50 %s p99 %s %.1f updates/s | regular p50 %s p99 %s %.1f updates/s | floor+signal p50 %s p99 %s %.1f updates/s",
			c, bench.Ms(f.Quantile(0.5)), bench.Ms(f.Quantile(0.99)), f.Rate(), bench.Ms(g.Quantile(0.5)), bench.Ms(g.Quantile(0.99)), g.Rate(),
			bench.Ms(sg.Quantile(0.5)), bench.Ms(sg.Quantile(0.99)), sg.Rate())
		if !withApp {
			summary = append(summary, line)
			continue
		}
		ratioP99 := float64(d.Quantile(0.99)) / float64(f.Quantile(0.99))
		ratioRate := d.Rate() / f.Rate()
		fmt.Printf("decision p99 / floor p99 = %.2f\n", ratioP99)
		fmt.Printf("decisions/s / floor = %.2f\n", ratioRate)
		summary = append(summary,
			fmt.Sprintf("  c=%-2d decision p50 %s p99 %s %.1f decisions/s", c, bench.Ms(d.Quantile(0.5)), bench.Ms(d.Quantile(0.99)), d.Rate()),
			line,
			fmt.Sprintf("  c=%-2d decision p99 / floor p99 = %.2f", c, ratioP99),
			fmt.Sprintf("  c=%-2d decisions/s / floor = %.2f", c, ratioRate))
		for _, r := range []bench.Result{d, f, g, sg} {
			if r.Errors > 0 {
				summary = append(summary, fmt.Sprintf("  c=%-2d %s: %d ERRORS (first: %s)", c, r.Name, r.Errors, r.FirstError))
			}
		}
	}
	if !withApp {
		return summary, nil
	}

	// Every decision closed its task once; a failed reply may still have been applied.
	var all []string
	for _, c := range e.o.levels {
		all = append(all, appTasks[c]...)
	}
	var done int
	if err := e.st.DB().GetContext(ctx, &done, `SELECT count(*) FROM tasks WHERE id = ANY($1) AND status = 'done' AND decision = 'approve'`, pq.Array(all)); err != nil {
		return nil, err
	}
	fmt.Printf("\ncheck: %d of %d decided tasks are done in the read model\n", done, len(all))
	return summary, nil
}

func tasksOf(ids []string) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = prelimTask(id)
	}
	return out
}
