package main

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/lib/pq"

	"egovpm/bench"
	"egovpm/internal/domain"
	"egovpm/internal/metrics"
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
	var resent atomic.Int64
	err = bench.Parallel(ctx, clients, idx, func(ctx context.Context, i int) error {
		return submitResending(ctx, e.cl, toks[users[i%2]], ids[i], &resent)
	})
	if n := resent.Load(); n > 0 {
		fmt.Printf("    %d submits answered 503 and were resent\n", n)
	}
	return ids, time.Since(t0), err
}

// submitResending submits project id as a client does: a 503 (the gateway could not start the
// workflow in time; the draft keeps its pinned policy) is resent for up to five minutes, and
// a resend answered 409 already_submitted went through before its 503 was answered.
func submitResending(ctx context.Context, cl *bench.Client, token, id string, resent *atomic.Int64) error {
	sent503 := false
	return bench.Retry(ctx, 5*time.Minute, []int{http.StatusServiceUnavailable}, func() error {
		err := cl.Submit(ctx, token, id)
		se, ok := err.(*bench.StatusError)
		switch {
		case ok && se.Status == http.StatusServiceUnavailable:
			sent503 = true
			resent.Add(1)
		case ok && se.Status == http.StatusConflict && sent503:
			return nil
		}
		return err
	})
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

// baselineKind is one bare-Temporal run beside the decisions.
type baselineKind struct {
	key, name string
	in        func(c int) bench.BaselineInput
}

// baselineKinds are the bare-Temporal runs beside the decisions, in the order they run
// (-baselines picks some).
var baselineKinds = []baselineKind{
	{"floor", "floor (local activity)", func(int) bench.BaselineInput { return bench.BaselineInput{Local: true} }},
	{"regular", "regular activity", func(int) bench.BaselineInput { return bench.BaselineInput{} }},
	{"signal", "floor + signal to 1 workflow", func(c int) bench.BaselineInput {
		return bench.BaselineInput{Local: true, SignalTo: fmt.Sprintf("sink-%d", c)}
	}},
	{"version", "floor + 1 new GetVersion", func(int) bench.BaselineInput { return bench.BaselineInput{Local: true, Versions: 1} }},
	{"versions5", "floor + 5 new GetVersions", func(int) bench.BaselineInput { return bench.BaselineInput{Local: true, Versions: 5} }},
}

// parseBaselines reads -baselines: comma-separated keys of baselineKinds, or none; the kinds
// come back in baselineKinds' order.
func parseBaselines(s string) ([]baselineKind, error) {
	want := map[string]bool{}
	for _, k := range strings.Split(s, ",") {
		if k = strings.TrimSpace(k); k != "" {
			want[k] = true
		}
	}
	if want["none"] && len(want) == 1 {
		return nil, nil
	}
	var keys []string
	var out []baselineKind
	for _, k := range baselineKinds {
		keys = append(keys, k.key)
		if want[k.key] {
			out = append(out, k)
			delete(want, k.key)
		}
	}
	for k := range want {
		return nil, fmt.Errorf("-baselines: unknown kind %q (want a comma-separated list of %s, or none)", k, strings.Join(keys, ", "))
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("-baselines: empty (want a comma-separated list of %s, or none)", strings.Join(keys, ", "))
	}
	return out, nil
}

// decisionRun is one level's decision run, with the gateway's, the worker's and the
// devserver's profiles when -profile is set, and its workflow tasks during it and the two
// seconds after (taskCounts, as the growth phase counts a fan-out's: a decision on a workflow
// evicted from the cache replays its history first, and one whose task outwaited the sticky
// queue replays it from the first event). The SDK counts a workflow task it polls, not one
// handed back in the reply to the previous.
func (e *env) decisionRun(ctx context.Context, c int, tasks []string, app func(context.Context, int, string) error) (bench.Result, string) {
	e.cpu.WaitQuiet(time.Minute)
	name := fmt.Sprintf("decisions-c%d", c)
	pd := profileFor(len(tasks), c)
	waitGw, waitWorker := e.profile(name, pd), e.profileOf("worker", e.workerPprof, name, pd)
	waitDev := e.profileOf("devserver", e.ts.PprofAddr, name, pd)
	before := e.workflowTasks(ctx)
	d := bench.RunItems(ctx, "decision (HTTP, full stack)", c, tasks, e.cpu, app)
	waitGw()
	waitWorker()
	waitDev()
	// The SDK's counters reach /metrics at its next report (metrics.TemporalReportEvery).
	time.Sleep(2 * metrics.TemporalReportEvery)
	wt := e.workflowTasks(ctx).since(before)
	fmt.Println(d.Summary("ops"))
	fmt.Println("    " + d.CPU.PerOp(len(d.Latencies)))
	fmt.Printf("    workflow tasks during the decisions (and 2 s after): %s\n", wt)
	return d, wt
}

// decisionBench is the state of one decisions (or floor) phase.
type decisionBench struct {
	withApp bool
	kinds   []baselineKind
	toks    []string // one token per client, each its own DRB reviewer
	app     func(context.Context, int, string) error
	base    func(context.Context, int, string) error
}

// decisions measures the decision round trip beside the baselines; withApp false runs the
// baselines alone (phase "floor", to compare Temporal stores quickly). Each level is set up
// right before it runs (its projects submitted, its baseline workflows started), so that its
// workflows are still in their workers' sticky caches when it runs (docs/PERFORMANCE.md §11.4.3).
func (e *env) decisions(ctx context.Context, withApp bool) ([]string, error) {
	if withApp {
		fmt.Printf("\n== decision round trip: POST /api/v1/tasks/{id}/decision (prelim approve) vs bare Temporal ==\n")
	} else {
		fmt.Printf("\n== bare Temporal baselines: the decision Update on a bare workflow ==\n")
	}
	b := &decisionBench{withApp: withApp, kinds: e.o.baselines}
	if err := e.decisionClients(ctx, b); err != nil {
		return nil, err
	}
	if err := e.decisionWarmUp(ctx, b); err != nil {
		return nil, err
	}
	summary := []string{fmt.Sprintf("decision round trip (devserver store %s; client-side latency over HTTP keep-alive; floor = the same Update on a bare workflow running 1 local activity, regular = 1 regular activity with eager execution on; each level set up right before it runs):", e.o.store)}
	var all []string
	for _, c := range e.o.levels {
		n := max(e.o.decisions, 25*c)
		fmt.Printf("\n-- %d concurrent clients, %d operations each --\n", c, n)
		tasks, base, err := e.decisionLevelSetup(ctx, b, c, n)
		if err != nil {
			return nil, err
		}
		all = append(all, tasks...)
		summary = append(summary, e.decisionLevel(ctx, b, c, tasks, base)...)
	}
	if !withApp {
		return summary, nil
	}
	// Every decision closed its task once; a failed reply may still have been applied.
	var done int
	if err := e.st.DB().GetContext(ctx, &done, `SELECT count(*) FROM tasks WHERE id = ANY($1) AND status = 'done' AND decision = 'approve'`, pq.Array(all)); err != nil {
		return nil, err
	}
	fmt.Printf("\ncheck: %d of %d decided tasks are done in the read model\n", done, len(all))
	return summary, nil
}

// decisionClients signs each decision client in as its own DRB reviewer and sets the two
// operations: the decision over HTTP and the same Update on a baseline workflow.
func (e *env) decisionClients(ctx context.Context, b *decisionBench) error {
	b.toks = make([]string, maxLevel(e.o))
	if b.withApp {
		for i := range b.toks {
			t, err := e.cl.Login(ctx, reviewer(i+1), password)
			if err != nil {
				return err
			}
			b.toks[i] = t
		}
	}
	body := map[string]any{"decision": "approve", "comment": "符合申报条件"}
	b.app = func(ctx context.Context, w int, task string) error { return e.cl.Decide(ctx, b.toks[w], task, body) }
	actor := domain.Actor{ID: "u-drb1", OrgID: "drb", Roles: []string{domain.RoleDRBReviewer}, Name: "李审（市数管局）"}
	b.base = func(ctx context.Context, _ int, wf string) error {
		return bench.BaselineDecide(ctx, e.tc, wf, "decide:"+wf, workflows.DecideUpdate{TaskID: wf + ":prelim_review:1",
			Actor: actor, Decision: "approve", Comment: "符合申报条件", RequestID: wf})
	}
	return nil
}

// decisionWarmUp submits the warm-up projects and the backlog (left in prelim review: the
// reads phase's inbox) in one plan year, starts the warm-up baseline workflows and runs the
// warm-up (not counted: connections, caches, first calls).
func (e *env) decisionWarmUp(ctx context.Context, b *decisionBench) error {
	t0 := time.Now()
	var warmApp []string
	if b.withApp {
		ids, subDur, err := e.submitted(ctx, warmOps+e.o.backlog, e.nextYear(), 8, "决策")
		if err != nil {
			return err
		}
		if err := e.waitOpenPrelim(ctx, ids); err != nil {
			return err
		}
		warmApp = tasksOf(ids[:warmOps])
		fmt.Printf("setup warm-up: %d projects (%d warm-up, %d backlog) created and submitted through HTTP (8 clients) in %s; submits alone %.1f /s\n",
			len(ids), warmOps, e.o.backlog, time.Since(t0).Round(time.Millisecond), float64(len(ids))/subDur.Seconds())
	}
	warm := map[string][]string{}
	for _, k := range b.kinds {
		for i := range warmOps {
			warm[k.key] = append(warm[k.key], fmt.Sprintf("%s-warm-%d", k.key, i))
		}
		if err := bench.StartBaselines(ctx, e.tc, warm[k.key], k.in(0)); err != nil {
			return err
		}
	}
	fmt.Printf("waiting for the stack to go quiet (similarity activities, plan signals): %s\n", e.cpu.WaitQuiet(5*time.Minute).Round(time.Second))
	var runs []bench.Result
	for _, k := range b.kinds {
		runs = append(runs, bench.RunItems(ctx, "warm "+k.key, 1, warm[k.key], nil, b.base))
	}
	if b.withApp {
		runs = append(runs, bench.RunItems(ctx, "warm decision", 1, warmApp, nil, b.app))
	}
	for _, w := range runs {
		if w.Errors > 0 {
			fmt.Printf("warning: %s: %d of %d warm-up operations failed (first: %s)\n", w.Name, w.Errors, warmOps, w.FirstError)
		}
	}
	return nil
}

// decisionLevelSetup submits level c's n projects (one plan year: the level's decisions report
// to one AnnualPlan) and starts its n baseline workflows of each kind (one open workflow per
// Update, like one project per decision), then waits for the stack to go quiet. It returns the
// projects' prelim tasks and the baseline workflow ids by kind.
func (e *env) decisionLevelSetup(ctx context.Context, b *decisionBench, c, n int) ([]string, map[string][]string, error) {
	var tasks []string
	if b.withApp {
		t0 := time.Now()
		ids, subDur, err := e.submitted(ctx, n, e.nextYear(), 8, "决策")
		if err != nil {
			return nil, nil, err
		}
		if err := e.waitOpenPrelim(ctx, ids); err != nil {
			return nil, nil, err
		}
		tasks = tasksOf(ids)
		fmt.Printf("setup c=%d: %d projects created and submitted through HTTP (8 clients), in prelim review after %s; submits alone %.1f /s\n",
			c, n, time.Since(t0).Round(time.Millisecond), float64(n)/subDur.Seconds())
	}
	base := map[string][]string{}
	t0 := time.Now()
	var keys []string
	for _, k := range b.kinds {
		for i := range n {
			base[k.key] = append(base[k.key], fmt.Sprintf("%s-%d-%d", k.key, c, i))
		}
		if err := bench.StartBaselines(ctx, e.tc, base[k.key], k.in(c)); err != nil {
			return nil, nil, err
		}
		keys = append(keys, k.key)
	}
	if len(keys) > 0 {
		fmt.Printf("setup c=%d: %d baseline workflows each (%s) started in %s\n", c, n, strings.Join(keys, ", "), time.Since(t0).Round(time.Millisecond))
	}
	fmt.Printf("setup c=%d: quiet after %s\n", c, e.cpu.WaitQuiet(5*time.Minute).Round(time.Second))
	return tasks, base, nil
}

// decisionLevel runs level c: the floor, the decisions right after it, then the other
// baselines; it prints the ratios and returns the level's summary lines.
func (e *env) decisionLevel(ctx context.Context, b *decisionBench, c int, tasks []string, base map[string][]string) []string {
	res := map[string]bench.Result{}
	var wt string
	for _, k := range b.kinds {
		e.cpu.WaitQuiet(time.Minute)
		waitDev := func() {}
		if k.key == "floor" && b.withApp {
			// The devserver's profile under the floor, to set beside its profile under the decisions.
			waitDev = e.profileOf("devserver", e.ts.PprofAddr, fmt.Sprintf("floor-c%d", c), profileFor(len(base[k.key]), c))
		}
		r := bench.RunItems(ctx, k.name, c, base[k.key], e.cpu, b.base)
		waitDev()
		res[k.key] = r
		fmt.Println(r.Summary("ops"))
		fmt.Println("    " + r.CPU.PerOp(len(r.Latencies)))
		if k.key == "floor" && b.withApp {
			// The decisions right after the floor, before the other baselines: those leave
			// the devserver busier for a while (the signal baseline's sink workflows, the
			// versions' visibility writes), and the run after them paid for it.
			res["decision"], wt = e.decisionRun(ctx, c, tasks, b.app)
		}
	}
	if _, ok := res["decision"]; b.withApp && !ok {
		// No floor among -baselines: the decisions run alone.
		res["decision"], wt = e.decisionRun(ctx, c, tasks, b.app)
	}
	return levelSummary(c, b.withApp, res, wt)
}

// levelSummary is level c's summary lines: the baselines, and with the application the
// decisions, their ratios to the floor (when it ran) and their workflow tasks (wt).
func levelSummary(c int, withApp bool, res map[string]bench.Result, wt string) []string {
	var parts []string
	for _, k := range []struct{ key, label string }{{"floor", "floor"}, {"regular", "regular"}, {"signal", "floor+signal"}} {
		if r, ok := res[k.key]; ok {
			parts = append(parts, fmt.Sprintf("%s p50 %s p99 %s %.1f updates/s", k.label, bench.Ms(r.Quantile(0.5)), bench.Ms(r.Quantile(0.99)), r.Rate()))
		}
	}
	var out []string
	if len(parts) > 0 {
		out = append(out, fmt.Sprintf("  c=%-2d %s", c, strings.Join(parts, " | ")))
	}
	if withApp {
		d := res["decision"]
		out = append([]string{fmt.Sprintf("  c=%-2d decision p50 %s p99 %s %.1f decisions/s", c, bench.Ms(d.Quantile(0.5)), bench.Ms(d.Quantile(0.99)), d.Rate())}, out...)
		if f, ok := res["floor"]; ok {
			ratioP99 := float64(d.Quantile(0.99)) / float64(f.Quantile(0.99))
			ratioRate := d.Rate() / f.Rate()
			fmt.Printf("decision p99 / floor p99 = %.2f\n", ratioP99)
			fmt.Printf("decisions/s / floor = %.2f\n", ratioRate)
			out = append(out, fmt.Sprintf("  c=%-2d decision p99 / floor p99 = %.2f", c, ratioP99),
				fmt.Sprintf("  c=%-2d decisions/s / floor = %.2f", c, ratioRate))
		} else {
			fmt.Println("no floor baseline (-baselines): no ratios")
		}
		out = append(out, fmt.Sprintf("  c=%-2d workflow tasks during the decisions (and 2 s after): %s", c, wt))
	}
	for _, k := range append([]string{"decision"}, keysOf(baselineKinds)...) {
		if r, ok := res[k]; ok && r.Errors > 0 {
			out = append(out, fmt.Sprintf("  c=%-2d %s: %d ERRORS (first: %s)", c, r.Name, r.Errors, r.FirstError))
		}
	}
	return out
}

func keysOf(ks []baselineKind) []string {
	out := make([]string, len(ks))
	for i, k := range ks {
		out[i] = k.key
	}
	return out
}

func tasksOf(ids []string) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = prelimTask(id)
	}
	return out
}
